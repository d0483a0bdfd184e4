package ofproto

import (
	"encoding/binary"
	"math/bits"
	"testing"

	"gswitch/pipeline"
)

// FuzzDecodeTLVMod feeds NXT_TLV_TABLE_MOD bodies to the decoder and, when
// they decode, applies them twice to one table: never a panic, only
// NXTTMFC_* errors, and the table stays consistent (each slot of the
// option space held by at most one mapping, each mapping holding exactly
// its length, no two mappings of one option).
func FuzzDecodeTLVMod(f *testing.F) {
	mod := func(cmd uint16, maps ...[4]uint16) []byte {
		b := binary.BigEndian.AppendUint16(nil, cmd)
		b = append(b, make([]byte, 6)...)
		for _, m := range maps {
			b = binary.BigEndian.AppendUint16(b, m[0])
			b = append(b, byte(m[1]), byte(m[2]))
			b = binary.BigEndian.AppendUint16(b, m[3])
			b = append(b, 0, 0)
		}
		return b
	}
	f.Add(mod(tlvAdd, [4]uint16{0xffff, 0, 4, 0}))
	f.Add(mod(tlvAdd, [4]uint16{0x102, 0x80, 124, 1}, [4]uint16{0xffff, 3, 124, 5}, [4]uint16{0xffff, 4, 8, 6}))
	f.Add(mod(tlvDelete, [4]uint16{0xffff, 0, 4, 0}, [4]uint16{0, 0, 0, 63}))
	f.Add(mod(tlvClear))
	f.Add(mod(3))
	f.Add(mod(tlvAdd, [4]uint16{0xffff, 0, 5, 0}))
	f.Add(mod(tlvAdd, [4]uint16{0xffff, 0, 4, 64}))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) < 8 {
			return
		}
		body = body[:8+(len(body)-8)/8*8]
		var s tlvState
		for round := 0; round < 2; round++ {
			cmd, maps, err := decodeTLVMod(body)
			if err == nil {
				err = s.mod(cmd, maps, nil)
			}
			if err != nil {
				pe, ok := err.(*pipeline.Error)
				if !ok || pe.Type != pipeline.ErrExperimenter {
					t.Fatalf("error %v is not an NXTTMFC_* error", err)
				}
			}
			var union uint64
			keys := map[uint32]bool{}
			for i, e := range s.tab.E {
				if !e.Valid {
					if e.Slots != 0 {
						t.Fatalf("unmapped tun_metadata%d holds slots", i)
					}
					continue
				}
				if union&e.Slots != 0 {
					t.Fatalf("tun_metadata%d shares option space", i)
				}
				if bits.OnesCount64(e.Slots)*4 != int(e.Len) {
					t.Fatalf("tun_metadata%d holds %d slots for %d bytes", i, bits.OnesCount64(e.Slots), e.Len)
				}
				k := uint32(e.Class)<<8 | uint32(e.Type)
				if keys[k] {
					t.Fatalf("option %#x mapped twice", k)
				}
				keys[k] = true
				union |= e.Slots
			}
			if union != s.tab.Used {
				t.Fatalf("used %#x, mappings hold %#x", s.tab.Used, union)
			}
		}
	})
}
