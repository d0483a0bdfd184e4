package sampling

import (
	"bytes"
	"testing"
	"time"
)

// FuzzIPFIXEncode: any frame encodes to a message whose template
// describes its data record exactly (decodeIPFIX checks every length),
// with the frame's in_port and no panic.
func FuzzIPFIXEncode(f *testing.F) {
	f.Add(tcpFrame(f), uint16(65535), uint8(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x81, 0, 0x20, 0x05, 0x86, 0xdd}, uint16(1), uint8(2))
	f.Add([]byte{}, uint16(7), uint8(1))
	f.Fuzz(func(t *testing.T, frame []byte, prob uint16, dir uint8) {
		if prob == 0 {
			prob = 1
		}
		r := record(t, frame)
		r.Action.Probability = prob
		r.Action.Direction = dir % 3
		e := NewEncoder()
		known := map[uint16][][2]uint16{}
		for i := range 2 {
			m := decodeIPFIX(t, e.Encode(nil, r, r.Time), known)
			if len(m.data) != 1 || m.seq != uint32(i) {
				t.Fatalf("message %d: %+v", i, m)
			}
			for tid, recs := range m.data {
				if got := field(known[tid], recs[0], ieIngressInterface); len(got) != 4 || got[3] != 1 {
					t.Fatalf("ingress interface %x", got)
				}
			}
		}
	})
}

// FuzzPcapngPacket: any packet and comment read back as written.
func FuzzPcapngPacket(f *testing.F) {
	f.Add(tcpFrame(f), "bridge=br0 table=0", uint32(1))
	f.Add([]byte{}, "", uint32(0))
	f.Add([]byte{1, 2, 3}, "x", uint32(2))
	f.Fuzz(func(t *testing.T, data []byte, comment string, dir uint32) {
		var buf bytes.Buffer
		w, err := NewPcapngWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := w.Interface("br0")
		err = w.Packet(id, time.Unix(1, 2), data, len(data)+3, comment, dir)
		if len(comment) > 0xffff {
			if err == nil {
				t.Fatal("an oversized comment was written")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		bl := readPcapng(t, buf.Bytes())
		epb := bl[len(bl)-1]
		n := le.Uint32(epb.body[12:])
		if epb.typ != blockEPB || !bytes.Equal(epb.body[20:20+n], data) || le.Uint32(epb.body[16:]) != uint32(len(data)+3) {
			t.Fatalf("packet read back differs")
		}
		if comment != "" && string(epb.options[optComment][0]) != comment {
			t.Fatalf("comment %q", epb.options[optComment][0])
		}
		if (dir != 0) != (len(epb.options[optEPBFlag]) == 1) {
			t.Fatalf("flags %v for direction %d", epb.options[optEPBFlag], dir)
		}
	})
}
