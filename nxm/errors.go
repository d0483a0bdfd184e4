package nxm

import "gswitch/pipeline"

// OpenFlow 1.3 error codes used by the codec, grouped by error type. The
// numbers are the ones OVS's lib/ofp-errors.h gives for OpenFlow 1.3.
const (
	// OFPET_BAD_REQUEST (1)
	BRCBadLen = 6

	// OFPET_BAD_ACTION (2)
	BACBadType         = 0
	BACBadLen          = 1
	BACBadExperimenter = 2
	BACBadExpType      = 3
	BACBadOutPort      = 4
	BACBadArgument     = 5
	BACTooMany         = 7
	BACBadQueue        = 8
	BACBadOutGroup     = 9
	BACMatchInconsist  = 10
	BACUnsupportedOrd  = 11
	BACBadTag          = 12
	BACBadSetType      = 13
	BACBadSetLen       = 14
	BACBadSetArgument  = 15

	// OFPET_BAD_INSTRUCTION (3)
	BICUnknownInst       = 0
	BICUnsupInst         = 1
	BICBadTableID        = 2
	BICUnsupMetadata     = 3
	BICUnsupMetadataMask = 4
	BICBadExperimenter   = 5
	BICBadExpType        = 6
	BICBadLen            = 7

	// OFPET_BAD_MATCH (4)
	BMCBadType      = 0
	BMCBadLen       = 1
	BMCBadTag       = 2
	BMCBadDLMask    = 3
	BMCBadNWMask    = 4
	BMCBadWildcards = 5
	BMCBadField     = 6
	BMCBadValue     = 7
	BMCBadMask      = 8
	BMCBadPrereq    = 9
	BMCDupField     = 10
)

// Experimenter error codes. OpenFlow 1.2+ carries these as OFPET_EXPERIMENTER
// errors: an *pipeline.Error with Type pipeline.ErrExperimenter has the
// experimenter's exp_type in Code, and the experimenter ID is given by
// ExperimenterOf. (OpenFlow 1.0 numbers for the same errors are in
// OF10Code.)
const (
	// Nicira (experimenter 0x00002320), "NX1.2+" in OVS's ofp-errors.h.
	NXBRCNXMInvalid       = 2  // NXBRC_NXM_INVALID
	NXBRCMustBeZero       = 4  // NXBRC_MUST_BE_ZERO
	NXBACMustBeZero       = 11 // NXBAC_MUST_BE_ZERO
	NXBACBadConjunction   = 15 // NXBAC_BAD_CONJUNCTION
	NXFMFCInvalidTLVField = 37 // NXFMFC_INVALID_TLV_FIELD (tun_metadata with no TLV mapping)

	// ONF (experimenter 0x4f4e4600), "ONF1.3-1.4" in ofp-errors.h.
	ONFBACBadSetMask = 4250 // OFPBAC_BAD_SET_MASK
	ONFBICDupInst    = 2600 // OFPBIC_DUP_INST
)

// Experimenter IDs.
const (
	NXVendorID  = 0x00002320
	ONFVendorID = 0x4f4e4600
)

// ExperimenterOf returns the experimenter ID of an OFPET_EXPERIMENTER error
// made by this package (0 if e is not one).
func ExperimenterOf(e *pipeline.Error) uint32 {
	if e == nil || e.Type != pipeline.ErrExperimenter {
		return 0
	}
	switch e.Code {
	case ONFBACBadSetMask, ONFBICDupInst:
		return ONFVendorID
	}
	return NXVendorID
}

// OF10Code returns the OpenFlow 1.0 error OVS sends for e. When nx is
// true, OVS sends it as a Nicira vendor error: an ofp_error_msg of type
// NXET_VENDOR (0xb0c2) code 0 whose data starts with struct nx_vendor_error
// {vendor 0x00002320, type typ, code code}, then the offending message.
func OF10Code(e *pipeline.Error) (typ, code uint16, nx bool) {
	switch e.Type {
	case pipeline.ErrExperimenter:
		switch e.Code {
		case NXBRCNXMInvalid:
			return 1, 256, true
		case NXBRCMustBeZero:
			return 1, 515, true
		case NXBACMustBeZero:
			return 2, 256, true
		case NXBACBadConjunction:
			return 2, 526, true
		case NXFMFCInvalidTLVField:
			return 1, 536, true
		}
		return unencodable()
	case pipeline.ErrBadAction:
		switch e.Code {
		case BACMatchInconsist:
			return 1, 522, true
		case BACBadSetType:
			return 1, 523, true
		case BACBadSetLen:
			return 1, 524, true
		case BACBadSetArgument:
			return 1, 525, true
		case BACBadOutGroup:
			return 2, 9, true
		case BACUnsupportedOrd, BACBadTag:
			return unencodable()
		}
		if e.Code > BACBadSetArgument {
			return unencodable()
		}
	case pipeline.ErrBadMatch:
		switch e.Code {
		case BMCBadWildcards:
			return 1, 262, true
		case BMCBadField:
			return 0, 263, true
		case BMCBadValue:
			return 1, 258, true
		case BMCBadMask:
			return 1, 259, true
		case BMCBadPrereq:
			return 1, 260, true
		case BMCDupField:
			return 1, 261, true
		}
		return unencodable()
	case pipeline.ErrBadInstruction:
		if e.Code == BICUnsupInst {
			return 2, 257, true
		}
		return unencodable()
	case pipeline.ErrTableFeaturesFailed:
		return e.Type, e.Code, true
	}
	return e.Type, e.Code, false
}

// unencodable is NXBRC_UNENCODABLE_ERROR, which OVS sends in OpenFlow 1.0
// for an error that version has no number for.
func unencodable() (uint16, uint16, bool) { return 1, 521, true }

func matchErr(code uint16, format string, args ...any) *pipeline.Error {
	return pipeline.Errorf(pipeline.ErrBadMatch, code, format, args...)
}

func actErr(code uint16, format string, args ...any) *pipeline.Error {
	return pipeline.Errorf(pipeline.ErrBadAction, code, format, args...)
}

func instErr(code uint16, format string, args ...any) *pipeline.Error {
	return pipeline.Errorf(pipeline.ErrBadInstruction, code, format, args...)
}

func expErr(code uint16, format string, args ...any) *pipeline.Error {
	return pipeline.Errorf(pipeline.ErrExperimenter, code, format, args...)
}
