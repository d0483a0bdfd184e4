package ofproto

import (
	"errors"

	"gswitch/pipeline"
)

// How errors travel.
//
// Everything that refuses a request returns a *pipeline.Error numbered as in
// OpenFlow 1.3: Type/Code are ofp_error_msg's type and code. Open vSwitch's
// extension errors that OpenFlow 1.3 carries as OFPET_EXPERIMENTER are
// written Type=0xffff, Code=exp_type; the experimenter is Nicira (0x2320)
// unless exp_type is one of ONF's (2300-2315 bundles, 2360, 2370-2372, 2600,
// 2640-2641, 4250, 4443-4448), which pipeline.ErrorCodeOf knows.
//
// encodeError turns one into the wire form for the connection's version,
// exactly as OVS's ofperr_encode_reply does: OpenFlow 1.0 has fewer types and
// numbers some errors differently (OFPET_FLOW_MOD_FAILED is 3 in 1.0, 5 in
// 1.3), and OVS's own extensions travel in 1.0 as NXET_VENDOR errors carrying
// a struct nx_vendor_error. An error with no encoding in a version becomes
// NXBRC_UNENCODABLE_ERROR, as in OVS.

// Common errors.
var (
	errBadVersion   = pipeline.NewError(pipeline.OFPBRC_BAD_VERSION)
	errBadType      = pipeline.NewError(pipeline.OFPBRC_BAD_TYPE)
	errBadStat      = pipeline.NewError(pipeline.OFPBRC_BAD_STAT)
	errBadVendor    = pipeline.NewError(pipeline.OFPBRC_BAD_VENDOR)
	errBadSubtype   = pipeline.NewError(pipeline.OFPBRC_BAD_SUBTYPE)
	errBadLen       = pipeline.NewError(pipeline.OFPBRC_BAD_LEN)
	errBadBuffer    = pipeline.NewError(pipeline.OFPBRC_BUFFER_UNKNOWN)
	errBadTableID   = pipeline.NewError(pipeline.OFPBRC_BAD_TABLE_ID)
	errIsSecondary  = pipeline.NewError(pipeline.OFPBRC_IS_SECONDARY)
	errBadPort      = pipeline.NewError(pipeline.OFPBRC_BAD_PORT)
	errMustBeZero   = pipeline.NewError(pipeline.NXBRC_MUST_BE_ZERO)
	errEPerm        = pipeline.NewError(pipeline.OFPBRC_EPERM)
	errMPBufferOvf  = pipeline.NewError(pipeline.OFPBRC_MULTIPART_BUFFER_OVERFLOW)
	errUnencodable  = pipeline.NewError(pipeline.NXBRC_UNENCODABLE_ERROR)
	errBadRole      = pipeline.NewError(pipeline.OFPRRFC_BAD_ROLE)
	errStaleRole    = pipeline.NewError(pipeline.OFPRRFC_STALE)
	errFlowModCmd   = pipeline.NewError(pipeline.OFPFMFC_BAD_COMMAND)
	errFlowModTable = pipeline.NewError(pipeline.OFPFMFC_BAD_TABLE_ID)
	errBadFlags     = pipeline.NewError(pipeline.OFPFMFC_BAD_FLAGS)
	errGroupCmd     = pipeline.NewError(pipeline.OFPGMFC_BAD_COMMAND)
	errPortModPort  = pipeline.NewError(pipeline.OFPPMFC_BAD_PORT)
	errPortModHW    = pipeline.NewError(pipeline.OFPPMFC_BAD_HW_ADDR)
	errPropBadLen   = pipeline.NewError(pipeline.OFPBPC_BAD_LEN)
	errPropBadType  = pipeline.NewError(pipeline.OFPBPC_BAD_TYPE)
	errMatchBadLen  = pipeline.NewError(pipeline.OFPBMC_BAD_LEN)

	errMonitorBadFlags = pipeline.NewError(pipeline.OFPMOFC_BAD_FLAGS)
	errMonitorExists   = pipeline.NewError(pipeline.OFPMOFC_MONITOR_EXISTS)
	errMonitorUnknown  = pipeline.NewError(pipeline.OFPMOFC_UNKNOWN_MONITOR)
	errQueueBadPort    = pipeline.NewError(pipeline.OFPQOFC_BAD_PORT)
	errQueueBadQueue   = pipeline.NewError(pipeline.OFPQOFC_BAD_QUEUE)
	errBundleBadID     = pipeline.NewError(pipeline.OFPBFC_BAD_ID)
	errBundleClosed    = pipeline.NewError(pipeline.OFPBFC_BUNDLE_CLOSED)
	errBundleBadType   = pipeline.NewError(pipeline.OFPBFC_BAD_TYPE)
	errBundleFlags     = pipeline.NewError(pipeline.OFPBFC_BAD_FLAGS)
	errBundleMsgLen    = pipeline.NewError(pipeline.OFPBFC_MSG_BAD_LEN)
	errBundleMsgXid    = pipeline.NewError(pipeline.OFPBFC_MSG_BAD_XID)
	errBundleMsgUns    = pipeline.NewError(pipeline.OFPBFC_MSG_UNSUP)
	errBundleFailed    = pipeline.NewError(pipeline.OFPBFC_MSG_FAILED)
	errBundleTooMany   = pipeline.NewError(pipeline.OFPBFC_OUT_OF_BUNDLES)
	errBundleBadVer    = pipeline.NewError(pipeline.OFPBFC_BAD_VERSION)
)

// asOFError converts any error to a *pipeline.Error (unknown errors become
// NXBRC_UNENCODABLE_ERROR, as OVS reports an errno it cannot encode).
func asOFError(err error) *pipeline.Error {
	var pe *pipeline.Error
	if errors.As(err, &pe) {
		return pe
	}
	return pipeline.Errorf(pipeline.NXBRC_UNENCODABLE_ERROR, "%s", err.Error())
}

// errorWire returns how version numbers pe: as NXBRC_UNENCODABLE_ERROR if
// it is not an error OVS knows or the version has no number for it.
func errorWire(pe *pipeline.Error, version uint8) pipeline.ErrorWire {
	wire := pipeline.ErrorCode.OF13
	switch {
	case version == Version10:
		wire = pipeline.ErrorCode.OF10
	case version >= Version15:
		wire = pipeline.ErrorCode.OF15
	}
	c, ok := pipeline.ErrorCodeOf(pe)
	if !ok || wire(c).None {
		c = pipeline.NXBRC_UNENCODABLE_ERROR
	}
	return wire(c)
}

// encodeError builds an OFPT_ERROR for req (whose header gives the xid) in
// version. The data is the whole request, as OVS sends it (OpenFlow asks for
// at least 64 bytes), cut only to keep the error within 65535 bytes.
func encodeError(version uint8, xid uint32, pe *pipeline.Error, req []byte) []byte {
	if max := MaxMessageLen - 24; len(req) > max {
		req = req[:max]
	}
	return encodeErrorData(version, xid, errorWire(pe, version), req)
}

func encodeErrorData(version uint8, xid uint32, t pipeline.ErrorWire, data []byte) []byte {
	m := newMsg(version, TypeError, xid, 16+len(data))
	switch {
	case t.Vendor == 0:
		m.u16(t.Type).u16(t.Code)
	case version == Version10:
		m.u16(0xb0c2).u16(0) // NXET_VENDOR, NXVC_VENDOR_ERROR
		m.u32(t.Vendor).u16(t.Type).u16(t.Code)
	default:
		m.u16(pipeline.ErrExperimenter).u16(t.Type).u32(t.Vendor)
	}
	m.bytes(data)
	return m.done()
}

// encodeHelloFailed builds OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE with text.
func encodeHelloFailed(version uint8, text string) []byte {
	w := pipeline.OFPHFC_INCOMPATIBLE.OF13() // the same in OpenFlow 1.0
	m := newMsg(version, TypeError, 0, 4+len(text))
	m.u16(w.Type).u16(w.Code).bytes([]byte(text))
	return m.done()
}
