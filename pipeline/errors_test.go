package pipeline

import "testing"

// Every error OpenFlow 1.3 numbers comes back from its *Error as itself,
// unless an earlier row has the same numbers (as OVS's decoder picks the
// first); Nicira's and ONF's exp_types never collide, which ErrorCodeOf
// relies on.
func TestErrorCodeRoundTrip(t *testing.T) {
	expVendor := map[uint16]uint32{}
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		w := c.OF13()
		if w.None {
			continue
		}
		if w.Vendor != 0 {
			if v, dup := expVendor[w.Type]; dup && v != w.Vendor {
				t.Errorf("%v: exp_type %d of vendor %#x is also vendor %#x's", c, w.Type, w.Vendor, v)
			}
			expVendor[w.Type] = w.Vendor
		}
		e := NewError(c)
		got, ok := ErrorCodeOf(e)
		if !ok {
			t.Errorf("%v: ErrorCodeOf(%v) finds nothing", c, e)
			continue
		}
		if got != c && got.OF13() != w {
			t.Errorf("%v: ErrorCodeOf(%v) = %v", c, e, got)
		}
		if !e.HasCode(c) || e.Msg != c.String() {
			t.Errorf("%v: NewError = %+v", c, e)
		}
	}
	if e := NewError(OFPBFC_BAD_VERSION); !e.HasCode(NXBRC_UNENCODABLE_ERROR) {
		t.Errorf("OFPBFC_BAD_VERSION (no OpenFlow 1.3 number) = %+v", e)
	}
	if s := OFPGMFC_BAD_TYPE.String(); s != "OFPGMFC_BAD_TYPE" {
		t.Errorf("String = %q", s)
	}
}
