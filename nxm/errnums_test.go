package nxm

import "gswitch/pipeline"

// The OpenFlow 1.3 numbers the tests expect, grouped by error type, written
// out here independently of pipeline's generated table (the numbers OVS's
// lib/ofp-errors.h gives for OpenFlow 1.3) so that a wrong ErrorCode at a
// call site fails a test.
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

// ExperimenterOf returns the experimenter ID of an OFPET_EXPERIMENTER error
// (0 if e is not one or not an error OVS knows).
func ExperimenterOf(e *pipeline.Error) uint32 {
	if e == nil || e.Type != pipeline.ErrExperimenter {
		return 0
	}
	c, ok := pipeline.ErrorCodeOf(e)
	if !ok {
		return 0
	}
	return c.OF13().Vendor
}

// OF10Code returns the OpenFlow 1.0 error OVS sends for e, from pipeline's
// table. When nx is true, OVS sends it as a Nicira vendor error: an
// ofp_error_msg of type NXET_VENDOR (0xb0c2) code 0 whose data starts with
// struct nx_vendor_error {vendor 0x00002320, type typ, code code}, then the
// offending message. An error OpenFlow 1.0 has no number for is
// NXBRC_UNENCODABLE_ERROR.
func OF10Code(e *pipeline.Error) (typ, code uint16, nx bool) {
	c, ok := pipeline.ErrorCodeOf(e)
	w := c.OF10()
	if !ok || w.None {
		w = pipeline.NXBRC_UNENCODABLE_ERROR.OF10()
	}
	return w.Type, w.Code, w.Vendor != 0
}
