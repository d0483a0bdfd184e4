package pipeline

// The OpenFlow 1.3 numbers the tests expect, by error type, written out
// here independently of the generated table (errcodes.go) so that a wrong
// ErrorCode at a call site, or a wrong row, fails a test.
const (
	// ErrBadRequest codes.
	BRCBadTableID = 9

	// ErrBadAction codes.
	BACBadType           = 0
	BACBadLen            = 1
	BACBadOutPort        = 4
	BACBadArgument       = 5
	BACTooMany           = 7
	BACBadOutGroup       = 9
	BACMatchInconsistent = 10
	BACUnsupportedOrder  = 11
	BACBadTag            = 12
	BACBadSetType        = 13
	BACBadSetLen         = 14
	BACBadSetArgument    = 15

	// ErrBadInstruction codes.
	BICUnknownInst = 0
	BICUnsupInst   = 1
	BICBadTableID  = 2

	// ErrBadMatch codes.
	BMCBadField  = 6
	BMCBadValue  = 7
	BMCBadMask   = 8
	BMCBadPrereq = 9

	// ErrFlowModFailed codes.
	FMFCUnknown    = 0
	FMFCTableFull  = 1
	FMFCBadTableID = 2
	FMFCOverlap    = 3
	FMFCEPerm      = 4
	FMFCBadTimeout = 5
	FMFCBadCommand = 6
	FMFCBadFlags   = 7

	// ErrGroupModFailed codes.
	GMFCGroupExists      = 0
	GMFCInvalidGroup     = 1
	GMFCOutOfGroups      = 3
	GMFCOutOfBuckets     = 4
	GMFCWatchUnsupported = 6
	GMFCLoop             = 7
	GMFCUnknownGroup     = 8
	GMFCBadType          = 10
	GMFCBadCommand       = 11
	GMFCBadBucket        = 12
	GMFCBadWatch         = 13

	// Nicira experimenter errors (Type ErrExperimenter, Code the exp_type).
	NXBACBadConjunction = 15 // NXBAC_BAD_CONJUNCTION
)
