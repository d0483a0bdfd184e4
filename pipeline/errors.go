package pipeline

import "fmt"

//go:generate go run ./internal/generrcodes -o errcodes.go $OVS_SRC

// Error is a refusal that knows its OFPT_ERROR type and code, numbered as in
// OpenFlow 1.3 (ofproto maps them to OpenFlow 1.0 numbers where they differ).
// Every validation failure in pipeline and nxm is an *Error. Open vSwitch's
// extension errors, which OpenFlow 1.3 sends as OFPET_EXPERIMENTER, have
// Type ErrExperimenter and the exp_type in Code (the experimenter is the one
// ErrorCodeOf finds).
type Error struct {
	Type uint16
	Code uint16
	Msg  string
	// code+1 is the ErrorCode NewError made it from (0: not known), for
	// the codes OpenFlow 1.3 has no number for (OpenFlow 1.5's
	// OFPGMFC_UNKNOWN_BUCKET, ...), which ErrorCodeOf then still finds.
	code int
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (OFPT_ERROR type %d code %d)", e.Msg, e.Type, e.Code)
}

// Errorf returns an *Error for code whose message is formatted from format
// and args.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	e := NewError(code)
	e.Msg = fmt.Sprintf(format, args...)
	return e
}

// NewError returns an *Error for code whose message is the code's name.
// A code OpenFlow 1.3 has no number for gets NXBRC_UNENCODABLE_ERROR's
// numbers, as OVS sends it.
func NewError(code ErrorCode) *Error {
	typ, num := code.numbers13()
	return &Error{Type: typ, Code: num, Msg: code.String(), code: int(code) + 1}
}

// HasCode reports whether e carries code's numbers.
func (e *Error) HasCode(code ErrorCode) bool {
	typ, num := code.numbers13()
	return e.Type == typ && e.Code == num
}

// OpenFlow 1.3 error types (ofp_error_type).
const (
	ErrHelloFailed         = 0
	ErrBadRequest          = 1
	ErrBadAction           = 2
	ErrBadInstruction      = 3
	ErrBadMatch            = 4
	ErrFlowModFailed       = 5
	ErrGroupModFailed      = 6
	ErrPortModFailed       = 7
	ErrTableModFailed      = 8
	ErrQueueOpFailed       = 9
	ErrSwitchConfigFailed  = 10
	ErrRoleRequestFailed   = 11
	ErrMeterModFailed      = 12
	ErrTableFeaturesFailed = 13
	ErrExperimenter        = 0xffff
)

// An ErrorCode is one OpenFlow error as Open vSwitch names it in
// include/openvswitch/ofp-errors.h (OFPBRC_BAD_TYPE, OFPBAC_BAD_OUT_PORT,
// NXBRC_MUST_BE_ZERO, ...). The constants and their numbers in each
// OpenFlow version are in errcodes.go, generated from that file by
// internal/generrcodes; they keep OVS's spelling so that OVS's names can be
// searched for here. To regenerate errcodes.go, run go generate with OVS_SRC
// naming an OVS source tree.
type ErrorCode uint16

// ErrorWire is how one OpenFlow version numbers an error. A standard error
// has Vendor 0 and is sent as ofp_error_msg type Type, code Code. An
// extension error has the experimenter (vendor) ID in Vendor: OpenFlow 1.2
// and later send it as OFPET_EXPERIMENTER with exp_type Type (Code is 0);
// OpenFlow 1.0 sends it as NXET_VENDOR with a struct nx_vendor_error {Vendor,
// Type, Code}. None means the version has no number for the error.
type ErrorWire struct {
	Vendor     uint32
	Type, Code uint16
	None       bool
}

// errorCodeInfo is one row of errorCodes.
type errorCodeInfo struct {
	name             string
	of10, of13, of15 ErrorWire
}

// String returns OVS's name of c, e.g. "OFPBRC_BAD_TYPE".
func (c ErrorCode) String() string {
	if c >= numErrorCodes {
		return fmt.Sprintf("ErrorCode(%d)", uint16(c))
	}
	return errorCodes[c].name
}

// OF10 returns how OpenFlow 1.0 numbers c.
func (c ErrorCode) OF10() ErrorWire { return errorCodes[c].of10 }

// OF13 returns how OpenFlow 1.3 numbers c.
func (c ErrorCode) OF13() ErrorWire { return errorCodes[c].of13 }

// OF15 returns how OpenFlow 1.5 numbers c.
func (c ErrorCode) OF15() ErrorWire { return errorCodes[c].of15 }

// numbers13 returns the Type and Code an *Error for c carries: its OpenFlow
// 1.3 numbers, the exp_type in Code for an extension error, and
// NXBRC_UNENCODABLE_ERROR's numbers if OpenFlow 1.3 has none for c.
func (c ErrorCode) numbers13() (typ, code uint16) {
	w := c.OF13()
	if w.None {
		w = NXBRC_UNENCODABLE_ERROR.OF13()
	}
	if w.Vendor != 0 {
		return ErrExperimenter, w.Type
	}
	return w.Type, w.Code
}

// errorCodeBy13 finds an ErrorCode by the numbers an *Error carries for it
// (NewError); where two codes share numbers the first in errorCodes wins.
// Nicira's and ONF's exp_types do not overlap, so the experimenter is not
// needed to tell extension errors apart.
var errorCodeBy13 = func() map[[2]uint16]ErrorCode {
	m := map[[2]uint16]ErrorCode{}
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		w := c.OF13()
		if w.None {
			continue
		}
		k := [2]uint16{w.Type, w.Code}
		if w.Vendor != 0 {
			k = [2]uint16{ErrExperimenter, w.Type}
		}
		if _, dup := m[k]; !dup {
			m[k] = c
		}
	}
	return m
}()

// ErrorCodeOf returns the ErrorCode whose OpenFlow 1.3 numbers e carries, or
// false if OVS knows no such error.
func ErrorCodeOf(e *Error) (ErrorCode, bool) {
	if e.code > 0 {
		if c := ErrorCode(e.code - 1); c.OF13().None && c.numbers13Known(e.Type, e.Code) {
			return c, true
		}
	}
	c, ok := errorCodeBy13[[2]uint16{e.Type, e.Code}]
	return c, ok
}

// numbers13Known reports whether an Error with OpenFlow 1.3 numbers typ and
// num may be code (its own numbers, or the stand-in NXBRC_UNENCODABLE_ERROR's
// when OpenFlow 1.3 has none for it): a caller that edited Type and Code
// after NewError made a different error.
func (code ErrorCode) numbers13Known(typ, num uint16) bool {
	t, n := code.numbers13()
	return t == typ && n == num
}
