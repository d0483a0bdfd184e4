package pipeline

import (
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// learnTunTable is tunTable with tun_metadata63 mapped to 124 bytes (the
// 31 slots after tun_metadata2's).
func learnTunTable() *packet.TLVTable {
	t := tunTable()
	t.E[63] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 3, Len: 124, Slots: (1<<31 - 1) << 4}
	t.Used |= t.E[63].Slots
	return t
}

// wideSet is set_field:v->tun_metadataN for a value given as big-endian
// bytes (right-aligned in the field).
func wideSet(f TunField, v []byte) SetTun {
	a := SetTun{F: f}
	copy(a.Value[int(f.Len)-len(v):f.Len], v)
	for i := range a.Mask[:f.Len] {
		a.Mask[i] = 0xff
	}
	return a
}

// tunLearnSpecs is tlv-learn.steps' learning flow's first learn action:
// table=10,priority=7, tun_metadata0[0..15]=reg0[0..15],
// tun_metadata1[0..31]=0x5, reg2[0..15]=tun_metadata0[16..31],
// load:tun_metadata0[0..31]->reg1, load:reg1->tun_metadata1[0..31],
// output:tun_metadata0[0..15].
func tunLearnSpecs(tab *packet.TLVTable) Learn {
	t0, t1 := tunF(tab, 0), tunF(tab, 1)
	return Learn{Table: 10, Priority: 7, Cookie: 0, Specs: []LearnSpec{
		{Kind: LearnMatch, NBits: 16, Src: Subfield{Field: packet.FieldReg0, NBits: 16}, Dst: Subfield{Tun: t0, NBits: 16}},
		{Kind: LearnMatch, Imm: true, NBits: 32, Value: packet.U128{Lo: 5}, Dst: Subfield{Tun: t1, NBits: 32}},
		{Kind: LearnMatch, NBits: 16, Src: Subfield{Tun: t0, Ofs: 16, NBits: 16}, Dst: Subfield{Field: packet.FieldReg2, NBits: 16}},
		{Kind: LearnLoad, NBits: 32, Src: Subfield{Tun: t0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg1, NBits: 32}},
		{Kind: LearnLoad, NBits: 32, Src: Subfield{Field: packet.FieldReg1, NBits: 32}, Dst: Subfield{Tun: t1, NBits: 32}},
		{Kind: LearnOutput, NBits: 16, Src: Subfield{Tun: t0, NBits: 16}},
	}}
}

// TestLearnTunMetadata: learn specs with tun_metadata on either side build
// the flow OVS 3.1 dumps (tests/golden/tlv/learn.txt: match
// reg2=0xabcd/0xffff,tun_metadata0=0x1234,tun_metadata1=0x5, actions
// load:0xabcd0002->NXM_NX_REG1[],set_field:0x77/0xffffffff->tun_metadata1,
// output:2), and the learned flow runs: a packet carrying the learned values
// at the TLV map's places matches it (not one with OVS's own layout), its
// set_field writes tun_metadata1 and it leaves on the port learned from
// tun_metadata0. A 992-bit spec learns the whole tun_metadata63, a wide
// immediate matches it, and a load at bits 800..959 writes them; refreshing
// the learned flows allocates nothing.
func TestLearnTunMetadata(t *testing.T) {
	tab := learnTunTable()
	t0, t1, t63 := tunF(tab, 0), tunF(tab, 1), tunF(tab, 63)
	e := newEnv(t)
	wide := make([]byte, 124)
	for i := range wide {
		wide[i] = byte(i + 1)
	}
	imm := []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14}
	l11 := Learn{Table: 11, Specs: []LearnSpec{
		{Kind: LearnMatch, NBits: 992, Src: Subfield{Tun: t63, NBits: 992}, Dst: Subfield{Tun: t63, NBits: 992}}}}
	l12 := Learn{Table: 12, Specs: []LearnSpec{
		{Kind: LearnMatch, Imm: true, NBits: 992, Wide: append(make([]byte, 104), imm...), Dst: Subfield{Tun: t63, NBits: 992}},
		{Kind: LearnLoad, NBits: 160, Src: Subfield{Tun: t63, NBits: 160}, Dst: Subfield{Tun: t63, Ofs: 800, NBits: 160}},
		{Kind: LearnOutput, NBits: 992, Src: Subfield{Tun: t63, NBits: 992}}}}
	l12.Specs[0].Value = bitsBE(l12.Specs[0].Wide, 0, 128)
	add(t, e.d, spec(0, 1, mkMatch(packet.FieldInPort, 1),
		RegLoad{Dst: Subfield{Field: packet.FieldReg0, NBits: 16}, Value: packet.U128{Lo: 0x1234}},
		RegLoad{Dst: Subfield{Field: packet.FieldReg1, NBits: 32}, Value: packet.U128{Lo: 0x77}},
		tunSet(t0, 0xabcd0002, 0xffffffff), wideSet(t63, wide),
		tunLearnSpecs(tab), l11, l12))
	e.send(1, tcpFrame(1, 2))
	fs := tableFlows(e.d, 10)
	if len(fs) != 1 {
		t.Fatalf("table 10: %d flows", len(fs))
	}
	var want Match
	want.Set(packet.FieldReg2, packet.U128{Lo: 0xabcd}, packet.U128{Lo: 0xffff})
	tunMatch(&want, tab, 0, 0x1234, 0xffff)
	tunMatch(&want, tab, 1, 5, 0xffffffff)
	lf := fs[0].Spec
	if !lf.Match.Same(&want) || lf.Priority != 7 {
		t.Fatalf("learned match %+v, want %+v", lf.Match, want)
	}
	st := tunSet(t1, 0x77, 0xffffffff)
	st.Wire = SetTunWireLoad
	wantActs := []Action{RegLoad{Dst: Subfield{Field: packet.FieldReg1, NBits: 32}, Value: packet.U128{Lo: 0xabcd0002}}, st, Output{Port: 2}}
	if len(lf.Inst.Apply) != len(wantActs) {
		t.Fatalf("learned actions %+v", lf.Inst.Apply)
	}
	for i := range wantActs {
		if !actionEqual(lf.Inst.Apply[i], wantActs[i]) {
			t.Fatalf("learned action %d: %+v, want %+v", i, lf.Inst.Apply[i], wantActs[i])
		}
	}
	// table 11: tun_metadata63 exactly the packet's 124 bytes.
	fs = tableFlows(e.d, 11)
	var want11 Match
	want11.Tun = new(packet.TunMatch)
	ones := make([]byte, 124)
	for i := range ones {
		ones[i] = 0xff
	}
	want11.Tun.SetField(63, &tab.E[63], wide, ones)
	if len(fs) != 1 || !fs[0].Spec.Match.Same(&want11) {
		t.Fatalf("table 11: %+v", fs)
	}
	// table 12: the immediate; a load of bits 0..159 into 800..959; no
	// output (the value is wider than a port).
	fs = tableFlows(e.d, 12)
	var want12 Match
	want12.Tun = new(packet.TunMatch)
	want12.Tun.SetField(63, &tab.E[63], append(make([]byte, 104), imm...), ones)
	ld := SetTun{F: t63, Wire: SetTunWireLoad}
	copy(ld.Value[4:24], wide[104:])
	for i := 4; i < 24; i++ {
		ld.Mask[i] = 0xff
	}
	if len(fs) != 1 || !fs[0].Spec.Match.Same(&want12) || len(fs[0].Spec.Inst.Apply) != 1 || !actionEqual(fs[0].Spec.Inst.Apply[0], ld) {
		t.Fatalf("table 12: %+v", fs)
	}

	// Traffic through table 10: OVS's layout (tun_metadata0=0x12340000,
	// tun_metadata1=0x0005000000000000) does not match; the learned values
	// at the map's places do, and the learned actions run.
	for i, v := range [][2]uint64{{0x12340000, 0x0005000000000000}, {0x1234, 5}} {
		add(t, e.d, spec(0, 2, mkMatch(packet.FieldInPort, 3),
			RegLoad{Dst: Subfield{Field: packet.FieldReg2, NBits: 16}, Value: packet.U128{Lo: 0xabcd}},
			tunSet(t0, v[0], 0xffffffff), tunSet(t1, v[1], ^uint64(0)),
			Resubmit{InPort: PortInPort, Table: 10}))
		e.s.reset()
		e.send(3, tcpFrame(1, 2))
		fs = tableFlows(e.d, 10)
		if i == 0 {
			if fs[0].Packets != 0 || len(e.s.out) != 0 {
				t.Fatalf("OVS's layout matched: %d packets, outputs %v", fs[0].Packets, e.s.ports())
			}
			continue
		}
		if fs[0].Packets != 1 || len(e.s.out) != 1 || e.s.out[0].port != 2 {
			t.Fatalf("the learned values: %d packets, outputs %v", fs[0].Packets, e.s.ports())
		}
		o := &e.s.out[0]
		if r := o.key.W.Reg(1); r != 0xabcd0002 {
			t.Errorf("reg1=%#x after the learned load", r)
		}
		if v := o.tun.GetBits(1, t1.Slots, 0, 64); v.Lo != 0x77 {
			t.Errorf("tun_metadata1=%#x after the learned set_field, want 0x77", v.Lo)
		}
	}

	// Refreshing the learned flows allocates nothing.
	frames := [][]byte{tcpFrame(1, 2)}
	b := mkBatch(1, frames...)
	run := func() {
		resetBatch(b, frames, 1)
		b.Pkts[0].Tun.Present = 0
		e.d.Process(b)
	}
	run()
	if n := len(tableFlows(e.d, 10)) + len(tableFlows(e.d, 11)) + len(tableFlows(e.d, 12)); n != 3 {
		t.Fatalf("after refresh: %d learned flows, want 3", n)
	}
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/learn refresh with tun_metadata", run)
}

// TestTunBitsWide: bits beyond the first 128 of a 992-bit field are read
// and written where they are (loads and moves at high offsets).
func TestTunBitsWide(t *testing.T) {
	tab := learnTunTable()
	f := tunF(tab, 63)
	var m packet.TunMeta
	m.SetBits(63, f.Slots, 800, 32, packet.U128{Lo: 0xdeadbeef})
	m.SetBits(63, f.Slots, 956, 36, packet.U128{Lo: 0xf12345678})
	if v := m.GetBits(63, f.Slots, 800, 32); v.Lo != 0xdeadbeef {
		t.Fatalf("bits 800..831 = %#x", v.Lo)
	}
	if v := m.GetBits(63, f.Slots, 956, 36); v.Lo != 0xf12345678 {
		t.Fatalf("bits 956..991 = %#x", v.Lo)
	}
	if v := m.GetBits(63, f.Slots, 0, 128); v != (packet.U128{}) {
		t.Fatalf("bits 0..127 = %v", v)
	}
	b := make([]byte, 124)
	setBitsBE(b, 800, 32, packet.U128{Lo: 0xdeadbeef})
	if b[20] != 0xde || b[23] != 0xef || bitsBE(b, 800, 32).Lo != 0xdeadbeef {
		t.Fatalf("setBitsBE at 800: % x", b[16:28])
	}
}
