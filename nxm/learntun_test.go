package nxm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

// TestLearnTunRoundTrip: a learn action whose specs name tun_metadata
// decodes with the TLV table's mapping (an unmapped field is
// NXFMFC_INVALID_TLV_FIELD, bits beyond the mapped width OFPBAC_BAD_SET_LEN)
// and encodes back byte for byte: the field headers carry the mapped length
// (OVS's nxm_header_from_mff for a mapped field) and a 992-bit immediate
// keeps all its bytes.
func TestLearnTunRoundTrip(t *testing.T) {
	if WireRegLoad2 != pipeline.SetTunWireLoad {
		t.Fatalf("pipeline.SetTunWireLoad %d, nxm.WireRegLoad2 %d", pipeline.SetTunWireLoad, WireRegLoad2)
	}
	tab := &packet.TLVTable{}
	tab.E[0] = packet.TLVEntry{Valid: true, Class: 0x102, Type: 0x80, Len: 4, Slots: 0x1}
	tab.E[63] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 2, Len: 124, Slots: (1<<31 - 1) << 1}
	tun := func(i int, l uint8) []byte {
		return binary.BigEndian.AppendUint32(nil, uint32(MakeHeader(ClassNXM1, uint8(tunFieldBase+i), false, l)))
	}
	learn := func(specs ...[]byte) []byte {
		b := nxHdr(nil, nxastLearn, 0)
		b = append(b, make([]byte, 22)...)
		b[26] = 10 // table
		for _, s := range specs {
			b = append(b, s...)
		}
		return finish(b, 0)
	}
	spec := func(h uint16, parts ...[]byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, h)
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	ofs := func(o uint16) []byte { return binary.BigEndian.AppendUint16(nil, o) }
	reg0 := binary.BigEndian.AppendUint32(nil, 0x00010004)
	imm := make([]byte, 124)
	imm[0], imm[123] = 0xa5, 0x01
	ok := learn(
		// NXM_NX_TUN_METADATA0[0..15]=NXM_NX_REG0[0..15]
		spec(16, reg0, ofs(0), tun(0, 4), ofs(0)),
		// NXM_NX_TUN_METADATA63[]=0xa5...01 (992 bits)
		spec(learnSrcImm|992, imm, tun(63, 124), ofs(0)),
		// load:NXM_NX_TUN_METADATA63[0..159]->NXM_NX_TUN_METADATA63[800..959]
		spec(1<<learnDstShift|160, tun(63, 124), ofs(0), tun(63, 124), ofs(800)),
		// output:NXM_NX_TUN_METADATA0[0..15]
		spec(2<<learnDstShift|16, tun(0, 4), ofs(0)))
	acts, err := DecodeActionsTLV(Version10, ok, tab)
	if err != nil {
		t.Fatal(err)
	}
	l := acts[0].(pipeline.Learn)
	if s := l.Specs[1]; len(s.Wide) != 124 || s.Wide[0] != 0xa5 || s.Dst.Tun.Idx != 63 || s.Dst.Tun.Len != 124 {
		t.Fatalf("wide spec %+v", s)
	}
	out, e := EncodeActions(Version10, acts)
	if e != nil {
		t.Fatal(e)
	}
	if !bytes.Equal(out, ok) {
		t.Fatalf("encoded\n% x\nwant\n% x", out, ok)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want pipeline.ErrorCode
	}{
		{"unmapped", learn(spec(16, reg0, ofs(0), tun(5, 124), ofs(0))), pipeline.NXFMFC_INVALID_TLV_FIELD},
		{"992 bits of a 4-byte field", learn(spec(992, tun(0, 124), ofs(0), tun(0, 124), ofs(0))), pipeline.OFPBAC_BAD_SET_LEN},
		{"load:0x7 into 992 bits of a 4-byte field", learn(spec(learnSrcImm|1<<learnDstShift|992, make([]byte, 124), tun(0, 4), ofs(0))), pipeline.OFPBAC_BAD_SET_LEN},
	} {
		_, err := DecodeActionsTLV(Version10, c.b, tab)
		pe, _ := err.(*pipeline.Error)
		if pe == nil {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if code, ok := pipeline.ErrorCodeOf(pe); !ok || code != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
