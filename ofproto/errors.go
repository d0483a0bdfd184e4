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
// 2640-2641, 4250, 4443-4448), which errorTable knows.
//
// encodeError turns one into the wire form for the connection's version,
// exactly as OVS's ofperr_encode_reply does: OpenFlow 1.0 has fewer types and
// numbers some errors differently (OFPET_FLOW_MOD_FAILED is 3 in 1.0, 5 in
// 1.3), and OVS's own extensions travel in 1.0 as NXET_VENDOR errors carrying
// a struct nx_vendor_error. An error with no encoding in a version becomes
// NXBRC_UNENCODABLE_ERROR, as in OVS.

type errTriplet struct {
	vendor    uint32
	typ, code uint16
	none      bool
}

type errorEntry struct {
	name       string
	of10, of13 errTriplet
}

// Indexes of errorTable (initialized before the error variables below,
// which depend on them).
var (
	errBy13   = indexBy13()
	errByName = indexByName()
)

func indexBy13() map[[3]uint32]*errorEntry {
	m := map[[3]uint32]*errorEntry{}
	for i := range errorTable {
		e := &errorTable[i]
		if e.of13.none {
			continue
		}
		k := [3]uint32{e.of13.vendor, uint32(e.of13.typ), uint32(e.of13.code)}
		if _, dup := m[k]; !dup {
			m[k] = e
		}
	}
	return m
}

func indexByName() map[string]*errorEntry {
	m := map[string]*errorEntry{}
	for i := range errorTable {
		m[errorTable[i].name] = &errorTable[i]
	}
	return m
}

// ofErr returns the *pipeline.Error for OVS's error name, e.g.
// "OFPBRC_BAD_TYPE", numbered for OpenFlow 1.3.
func ofErr(name string) *pipeline.Error {
	e := errByName[name]
	if e == nil {
		panic("ofproto: unknown error name " + name)
	}
	t := e.of13
	if t.none {
		// Not encodable in 1.3 at all: say so as OVS would.
		t = errByName["NXBRC_UNENCODABLE_ERROR"].of13
	}
	if t.vendor != 0 {
		return &pipeline.Error{Type: pipeline.ErrExperimenter, Code: t.typ, Msg: name}
	}
	return &pipeline.Error{Type: t.typ, Code: t.code, Msg: name}
}

// Common errors.
var (
	errBadVersion    = ofErr("OFPBRC_BAD_VERSION")
	errBadType       = ofErr("OFPBRC_BAD_TYPE")
	errBadStat       = ofErr("OFPBRC_BAD_STAT")
	errBadVendor     = ofErr("OFPBRC_BAD_VENDOR")
	errBadSubtype    = ofErr("OFPBRC_BAD_SUBTYPE")
	errBadLen        = ofErr("OFPBRC_BAD_LEN")
	errBadBuffer     = ofErr("OFPBRC_BUFFER_UNKNOWN")
	errBadTableID    = ofErr("OFPBRC_BAD_TABLE_ID")
	errIsSecondary   = ofErr("OFPBRC_IS_SECONDARY")
	errBadPort       = ofErr("OFPBRC_BAD_PORT")
	errMustBeZero    = ofErr("NXBRC_MUST_BE_ZERO")
	errEPerm         = ofErr("OFPBRC_EPERM")
	errMPBufferOvf   = ofErr("OFPBRC_MULTIPART_BUFFER_OVERFLOW")
	errUnencodable   = ofErr("NXBRC_UNENCODABLE_ERROR")
	errBadRole       = ofErr("OFPRRFC_BAD_ROLE")
	errStaleRole     = ofErr("OFPRRFC_STALE")
	errFlowModCmd    = ofErr("OFPFMFC_BAD_COMMAND")
	errFlowModTable  = ofErr("OFPFMFC_BAD_TABLE_ID")
	errBadFlags      = ofErr("OFPFMFC_BAD_FLAGS")
	errGroupCmd      = ofErr("OFPGMFC_BAD_COMMAND")
	errPortModPort   = ofErr("OFPPMFC_BAD_PORT")
	errPortModHW     = ofErr("OFPPMFC_BAD_HW_ADDR")
	errPropBadLen    = ofErr("OFPBPC_BAD_LEN")
	errPropBadType   = ofErr("OFPBPC_BAD_TYPE")
	errMatchBadLen   = ofErr("OFPBMC_BAD_LEN")
	errQueueBadPort  = ofErr("OFPQOFC_BAD_PORT")
	errBundleBadID   = ofErr("OFPBFC_BAD_ID")
	errBundleClosed  = ofErr("OFPBFC_BUNDLE_CLOSED")
	errBundleBadType = ofErr("OFPBFC_BAD_TYPE")
	errBundleFlags   = ofErr("OFPBFC_BAD_FLAGS")
	errBundleMsgLen  = ofErr("OFPBFC_MSG_BAD_LEN")
	errBundleMsgXid  = ofErr("OFPBFC_MSG_BAD_XID")
	errBundleMsgUns  = ofErr("OFPBFC_MSG_UNSUP")
	errBundleFailed  = ofErr("OFPBFC_MSG_FAILED")
	errBundleTooMany = ofErr("OFPBFC_OUT_OF_BUNDLES")
	errBundleBadVer  = ofErr("OFPBFC_BAD_VERSION")
)

// asOFError converts any error to a *pipeline.Error (unknown errors become
// NXBRC_UNENCODABLE_ERROR, as OVS reports an errno it cannot encode).
func asOFError(err error) *pipeline.Error {
	var pe *pipeline.Error
	if errors.As(err, &pe) {
		return pe
	}
	return &pipeline.Error{Type: errUnencodable.Type, Code: errUnencodable.Code, Msg: err.Error()}
}

// lookupError finds the table entry of a 1.3-numbered error.
func lookupError(pe *pipeline.Error) *errorEntry {
	if pe.Type == pipeline.ErrExperimenter {
		if e := errBy13[[3]uint32{VendorNicira, uint32(pe.Code), 0}]; e != nil {
			return e
		}
		return errBy13[[3]uint32{VendorONF, uint32(pe.Code), 0}]
	}
	return errBy13[[3]uint32{0, uint32(pe.Type), uint32(pe.Code)}]
}

// errorTriplet returns the wire (vendor, type, code) of pe for version.
func errorTriplet(pe *pipeline.Error, version uint8) errTriplet {
	e := lookupError(pe)
	if e == nil {
		// Not an OpenFlow 1.3 error OVS knows: no valid encoding.
		e = errByName["NXBRC_UNENCODABLE_ERROR"]
	}
	t := e.of13
	if version == Version10 {
		t = e.of10
	}
	if t.none {
		e = errByName["NXBRC_UNENCODABLE_ERROR"]
		if version == Version10 {
			return e.of10
		}
		return e.of13
	}
	return t
}

// encodeError builds an OFPT_ERROR for req (whose header gives the xid) in
// version. The data is the whole request, as OVS sends it (OpenFlow asks for
// at least 64 bytes), cut only to keep the error within 65535 bytes.
func encodeError(version uint8, xid uint32, pe *pipeline.Error, req []byte) []byte {
	if max := MaxMessageLen - 24; len(req) > max {
		req = req[:max]
	}
	return encodeErrorData(version, xid, errorTriplet(pe, version), req)
}

func encodeErrorData(version uint8, xid uint32, t errTriplet, data []byte) []byte {
	m := newMsg(version, TypeError, xid, 16+len(data))
	switch {
	case t.vendor == 0:
		m.u16(t.typ).u16(t.code)
	case version == Version10:
		m.u16(0xb0c2).u16(0) // NXET_VENDOR, NXVC_VENDOR_ERROR
		m.u32(t.vendor).u16(t.typ).u16(t.code)
	default:
		m.u16(0xffff).u16(t.typ).u32(t.vendor)
	}
	m.bytes(data)
	return m.done()
}

// encodeHelloFailed builds OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE with text.
func encodeHelloFailed(version uint8, text string) []byte {
	m := newMsg(version, TypeError, 0, 4+len(text))
	m.u16(0).u16(0).bytes([]byte(text))
	return m.done()
}
