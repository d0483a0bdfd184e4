package nxm

import (
	"bytes"
	"testing"
)

// FuzzDecodeFieldArray: any bytes decode without a panic, and what decodes
// encodes (in the OXM form of OpenFlow 1.5) to bytes that decode to the
// same fields.
func FuzzDecodeFieldArray(f *testing.F) {
	f.Add([]byte{0x80, 0, 0x16, 4, 0xff, 0xff, 0xff, 0, 0x80, 0, 0x1c, 2, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 2, 0xff, 0xff, 0, 1, 0x02, 4, 0, 0, 0, 0xff})
	f.Add([]byte{0x80, 0, 0x17, 8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := DecodeFieldArray(b)
		if err != nil {
			return
		}
		enc := AppendFieldArray(nil, fs, true)
		fs2, err := DecodeFieldArray(enc)
		if err != nil {
			t.Fatalf("% x: re-encoded % x does not decode: %v", b, enc, err)
		}
		if enc2 := AppendFieldArray(nil, fs2, true); !bytes.Equal(enc, enc2) {
			t.Fatalf("% x: % x then % x", b, enc, enc2)
		}
	})
}

func TestFieldArrayNXM(t *testing.T) {
	// OXM_OF_IPV4_DST/ffffff00 and OXM_OF_TCP_DST written for OpenFlow 1.0
	// as NXM_OF_IP_DST and NXM_OF_TCP_DST, as OVS's oxm_put_field_array.
	fs, err := DecodeFieldArray([]byte{0x80, 0, 0x18, 4, 0xff, 0xff, 0xff, 0, 0x80, 0, 0x1c, 2, 0xff, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0x10, 4, 0xff, 0xff, 0xff, 0, 0, 0, 0x14, 2, 0xff, 0xff}
	if got := AppendFieldArray(nil, fs, false); !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}
