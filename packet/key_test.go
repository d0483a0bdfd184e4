package packet

import "testing"

// TestWordsAccessors checks each accessor of Words against the field
// registry (Get/Set by FieldID), so the two descriptions of the layout
// cannot drift apart.
func TestWordsAccessors(t *testing.T) {
	var w Words
	for i := range w {
		w[i] = 0x0123456789abcdef ^ uint64(i)*0x1111111111111111
	}
	get := func(f FieldID) uint64 { return w.Get(f).Lo }
	get128 := func(f FieldID) U128 { return w.Get(f) }
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"in_port", uint64(w.InPort()), get(FieldInPort)},
		{"recirc_id", uint64(w.RecircID()), get(FieldRecircID)},
		{"metadata", w.Metadata(), get(FieldMetadata)},
		{"reg5", uint64(w.Reg(5)), get(FieldReg5)},
		{"reg10", uint64(w.Reg(10)), get(FieldReg10)},
		{"pkt_mark", uint64(w.PktMark()), get(FieldPktMark)},
		{"ct_state", uint64(w.CtState()), get(FieldCtState)},
		{"ct_mark", uint64(w.CtMark()), get(FieldCtMark)},
		{"ct_zone", uint64(w.CtZone()), get(FieldCtZone)},
		{"ct_nw_proto", uint64(w.CtNwProto()), get(FieldCtNwProto)},
		{"ct_nw_src", uint64(w.CtNwSrc()), get(FieldCtNwSrc)},
		{"ct_nw_dst", uint64(w.CtNwDst()), get(FieldCtNwDst)},
		{"ct_tp_src", uint64(w.CtTpSrc()), get(FieldCtTpSrc)},
		{"ct_tp_dst", uint64(w.CtTpDst()), get(FieldCtTpDst)},
		{"conj_id", uint64(w.ConjID()), get(FieldConjID)},
		{"eth_dst", w.EthDst(), get(FieldEthDst)},
		{"eth_src", w.EthSrc(), get(FieldEthSrc)},
		{"eth_type", uint64(w.EthType()), get(FieldEthType)},
		{"vlan_tci", uint64(w.VlanTCI()), get(FieldVlanTCI)},
		{"ip_src", uint64(w.IPv4Src()), get(FieldIPv4Src)},
		{"ip_dst", uint64(w.IPv4Dst()), get(FieldIPv4Dst)},
		{"nw_proto", uint64(w.NwProto()), get(FieldNwProto)},
		{"nw_tos", uint64(w.NwTOS()), get(FieldNwTOS)},
		{"nw_ttl", uint64(w.NwTTL()), get(FieldNwTTL)},
		{"ip_frag", uint64(w.NwFrag()), get(FieldIPFrag)},
		{"tp_src", uint64(w.TpSrc()), get(FieldTCPSrc)},
		{"tp_dst", uint64(w.TpDst()), get(FieldTCPDst)},
		{"tcp_flags", uint64(w.TCPFlags()), get(FieldTCPFlags)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: accessor %#x, registry %#x", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		name      string
		got, want U128
	}{
		{"ipv6_src", w.IPv6Src(), get128(FieldIPv6Src)},
		{"ipv6_dst", w.IPv6Dst(), get128(FieldIPv6Dst)},
		{"ct_ipv6_src", w.CtIPv6Src(), get128(FieldCtIPv6Src)},
		{"ct_ipv6_dst", w.CtIPv6Dst(), get128(FieldCtIPv6Dst)},
	} {
		if c.got != c.want {
			t.Errorf("%s: accessor %#x, registry %#x", c.name, c.got, c.want)
		}
	}
	if hi, lo := w.CtLabel(); (U128{hi, lo}) != w.Get(FieldCtLabel) {
		t.Errorf("ct_label: accessor %#x %#x, registry %#x", hi, lo, w.Get(FieldCtLabel))
	}

	// Setters: each changes its field, and nothing else.
	sets := []struct {
		f   FieldID
		v   uint64
		set func(*Words)
	}{
		{FieldInPort, 0xfffffff0, func(w *Words) { w.SetInPort(0xfffffff0) }},
		{FieldRecircID, 7, func(w *Words) { w.SetRecircID(7) }},
		{FieldMetadata, 9, func(w *Words) { w.SetMetadata(9) }},
		{FieldCtState, 0x21, func(w *Words) { w.SetCtState(0x21) }},
		{FieldCtMark, 0xdead, func(w *Words) { w.SetCtMark(0xdead) }},
		{FieldCtZone, 0xbeef, func(w *Words) { w.SetCtZone(0xbeef) }},
		{FieldCtNwProto, 17, func(w *Words) { w.SetCtNwProto(17) }},
		{FieldConjID, 42, func(w *Words) { w.SetConjID(42) }},
		{FieldVlanTCI, 0x1005, func(w *Words) { w.SetVlanTCI(0x1005) }},
		{FieldNwProto, 6, func(w *Words) { w.SetNwProto(6) }},
	}
	for _, s := range sets {
		want := w
		want.Set(s.f, U128{Lo: s.v})
		got := w
		s.set(&got)
		if got != want {
			t.Errorf("setter of %s: %x, want %x", s.f, got, want)
		}
	}
	got, want := w, w
	got.SetCtNw(1, 2)
	want.Set(FieldCtNwSrc, U128{Lo: 1})
	want.Set(FieldCtNwDst, U128{Lo: 2})
	got.SetCtTp(3, 4)
	want.Set(FieldCtTpSrc, U128{Lo: 3})
	want.Set(FieldCtTpDst, U128{Lo: 4})
	got.SetCtIPv6(U128{5, 6}, U128{7, 8})
	want.Set(FieldCtIPv6Src, U128{5, 6})
	want.Set(FieldCtIPv6Dst, U128{7, 8})
	got.SetCtLabel(9, 10)
	want.Set(FieldCtLabel, U128{9, 10})
	if got != want {
		t.Errorf("ct tuple setters: %x, want %x", got, want)
	}
}

// TestUseCtTuple checks resubmit(,,ct)'s tuple swap for IPv4 and IPv6.
func TestUseCtTuple(t *testing.T) {
	for _, et := range []uint64{EthTypeIPv4, EthTypeIPv6} {
		var w Words
		for i := range w {
			w[i] = uint64(i+1) * 0x0101010101010101
		}
		w.Set(FieldEthType, U128{Lo: et})
		want := w
		want.Set(FieldNwProto, w.Get(FieldCtNwProto))
		if et == EthTypeIPv4 {
			want.Set(FieldIPv4Src, w.Get(FieldCtNwSrc))
			want.Set(FieldIPv4Dst, w.Get(FieldCtNwDst))
		} else {
			want.Set(FieldIPv6Src, w.Get(FieldCtIPv6Src))
			want.Set(FieldIPv6Dst, w.Get(FieldCtIPv6Dst))
		}
		want.Set(FieldTCPSrc, w.Get(FieldCtTpSrc))
		want.Set(FieldTCPDst, w.Get(FieldCtTpDst))
		w.UseCtTuple()
		if w != want {
			t.Errorf("eth_type %#x: %x, want %x", et, w, want)
		}
	}
}
