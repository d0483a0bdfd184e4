package pipeline

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tests/testutil"
)

func mplsMatch(kv ...any) Match {
	return mkMatch(append([]any{packet.FieldEthType, packet.EthTypeMPLS}, kv...)...)
}

func mplsFrame(inner []byte, lses ...uint32) []byte {
	return pkttest.MPLS(inner, packet.EthTypeMPLS, lses...)
}

// TestPopMPLSGotoTable is the os-ken suite's pop_mpls,goto_table:1 pattern:
// after the pop the inner IPv4 header is parsed (OVS recirculates), so table
// 1 matches it; its checksums are untouched.
func TestPopMPLSGotoTable(t *testing.T) {
	e := newEnv(t)
	s := spec(0, 1, mplsMatch(packet.FieldMPLSLabel, 100), PopMPLS{EthType: packet.EthTypeIPv4})
	s.Inst.GotoTable = 1
	add(t, e.d, s)
	add(t, e.d, spec(1, 1, ipMatch(packet.FieldIPv4Dst, 0xc6336402, packet.FieldNwProto, packet.ProtoTCP, packet.FieldTCPDst, 80),
		sf(packet.FieldIPv4Src, 0xcb007109), Output{Port: 2}))
	add(t, e.d, spec(1, 0, Match{}, Output{Port: 3}))
	inner := tcp4("198.51.100.1", "198.51.100.2", 1234, 80)
	e.send(1, mplsFrame(inner, pkttest.LSE(100, 0, true, 9)), mplsFrame(inner, pkttest.LSE(101, 0, true, 9)))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v", got)
	}
	out := pkParse(e.s.out[0].data)
	if out.Key.EthType() != packet.EthTypeIPv4 || out.Key.IPv4Src() != 0xcb007109 || len(out.Data) != len(inner) {
		t.Fatalf("output key %x", out.Key.W[20:])
	}
	if err := pkttest.VerifyChecksums(out.Data); err != nil {
		t.Fatal(err)
	}
}

// TestPushMPLSOnIP: push_mpls on IPv4 takes TTL and TC from the IP header,
// leaves the IP header (and its checksum) alone; set_mpls_* and
// dec_mpls_ttl rewrite only the label stack entry.
func TestPushMPLSOnIP(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, ipMatch(), PushMPLS{EthType: packet.EthTypeMPLS}, Output{Port: 2},
		sf(packet.FieldMPLSLabel, 1000), sf(packet.FieldMPLSTC, 5), DecMPLSTTL{}, Output{Port: 3},
		PushMPLS{EthType: packet.EthTypeMPLSMC}, sf(packet.FieldMPLSTTL, 7), Output{Port: 4}))
	inner := tcp4("198.51.100.1", "198.51.100.2", 1234, 80)
	e.send(1, inner)
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Fatalf("outputs %v", got)
	}
	lses := func(b []byte, n int) []uint32 {
		var l []uint32
		for i := 0; i < n; i++ {
			l = append(l, binary.BigEndian.Uint32(b[14+4*i:]))
		}
		return l
	}
	for i, want := range [][]uint32{
		{pkttest.LSE(0, 0, true, 64)},
		{pkttest.LSE(1000, 5, true, 63)},
		{pkttest.LSE(1000, 5, false, 7), pkttest.LSE(1000, 5, true, 63)},
	} {
		d := e.s.out[i].data
		if got := lses(d, len(want)); !slices.Equal(got, want) || !bytes.Equal(d[14+4*len(want):], inner[14:]) {
			t.Errorf("output %d: % x", i, d)
		}
	}
	if et := binary.BigEndian.Uint16(e.s.out[2].data[12:]); et != packet.EthTypeMPLSMC {
		t.Errorf("eth_type %#x", et)
	}
}

// TestDecMPLSTTLExpires: TTL 1 goes to the controller (invalid TTL) and ends
// the list; a non-MPLS packet ends it too, without a packet-in.
func TestDecMPLSTTLExpires(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, mplsMatch(), DecMPLSTTL{}, Output{Port: 2}))
	// (inconsistent in OpenFlow 1.3: as OpenFlow 1.0 allows)
	if err := e.d.FlowMod(&FlowMod{Command: FlowAdd, Spec: spec(0, 1, ipMatch(), DecMPLSTTL{}, Output{Port: 3}),
		OutPort: PortAny, OutGroup: GroupAny, Lax: true}, 1); err != nil {
		t.Fatal(err)
	}
	inner := tcp4("198.51.100.1", "198.51.100.2", 1234, 80)
	e.send(1, mplsFrame(inner, pkttest.LSE(5, 0, true, 1)), mplsFrame(inner, pkttest.LSE(5, 0, true, 2)), inner)
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v", got)
	}
	if len(e.pi.pis) != 1 || e.pi.pis[0].Reason != ReasonInvalidTTL {
		t.Fatalf("packet-ins %+v", e.pi.pis)
	}
}

// TestMPLSTooManyLabels: a fourth push, or a pop of a stack whose bottom
// is not among its first three entries, drops the packet (OVS: "more MPLS
// LSEs than the 3 supported").
func TestMPLSTooManyLabels(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, mplsMatch(packet.FieldInPort, 1), PushMPLS{EthType: packet.EthTypeMPLS}, Output{Port: 2}))
	add(t, e.d, spec(0, 1, mplsMatch(packet.FieldInPort, 2), PopMPLS{EthType: packet.EthTypeMPLS}, Output{Port: 3}))
	inner := tcp4("198.51.100.1", "198.51.100.2", 1234, 80)
	three := mplsFrame(inner, 1<<12, 2<<12, pkttest.LSE(3, 0, true, 1))
	four := mplsFrame(inner, 1<<12, 2<<12, 3<<12, pkttest.LSE(4, 0, true, 1))
	e.send(1, three, mplsFrame(inner, pkttest.LSE(3, 0, true, 1)))
	e.send(2, four, three)
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 3}) {
		t.Fatalf("outputs %v", got)
	}
}

// TestMPLSChecks: the flow-mod checks of OVS's ofpacts_check for MPLS.
func TestMPLSChecks(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name string
		m    Match
		acts []Action
		lax  bool
		ok   bool
	}{
		{"pop_mpls without an MPLS match", ipMatch(), []Action{PopMPLS{EthType: 0x0800}}, false, false},
		{"pop_mpls without an MPLS match, OF1.0", ipMatch(), []Action{PopMPLS{EthType: 0x0800}}, true, true},
		{"dec_mpls_ttl on IP", ipMatch(), []Action{DecMPLSTTL{}}, false, false},
		{"set_field mpls_label on IP", ipMatch(), []Action{sf(packet.FieldMPLSLabel, 1)}, false, false},
		{"push_mpls then set_field mpls_label", ipMatch(), []Action{PushMPLS{EthType: 0x8847}, sf(packet.FieldMPLSLabel, 1)}, false, true},
		{"push_mpls then set_field ip_dst", ipMatch(), []Action{PushMPLS{EthType: 0x8847}, sf(packet.FieldIPv4Dst, 1)}, false, false},
		{"push_mpls of 0x0800", ipMatch(), []Action{PushMPLS{EthType: 0x0800}}, false, false},
		{"pop_mpls then set_field ip_dst", mplsMatch(), []Action{PopMPLS{EthType: 0x0800}, sf(packet.FieldIPv4Dst, 1)}, false, true},
		{"pop_mpls then dec_ttl", mplsMatch(), []Action{PopMPLS{EthType: 0x0800}, DecTTL{}}, false, true},
		{"pop_mpls to MPLS then set_field ip_dst", mplsMatch(), []Action{PopMPLS{EthType: 0x8847}, sf(packet.FieldIPv4Dst, 1)}, false, false},
	} {
		fm := &FlowMod{Command: FlowAdd, Spec: spec(0, 1, c.m, c.acts...), OutPort: PortAny, OutGroup: GroupAny, Lax: c.lax}
		err := e.d.FlowMod(fm, 1)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestMPLSNoAllocs(t *testing.T) {
	e := newEnv(t)
	e.s.record = false
	s := spec(0, 1, mplsMatch(), PopMPLS{EthType: packet.EthTypeIPv4})
	s.Inst.GotoTable = 1
	add(t, e.d, s)
	add(t, e.d, spec(1, 1, ipMatch(), PushMPLS{EthType: packet.EthTypeMPLS}, DecMPLSTTL{}, sf(packet.FieldMPLSLabel, 5), Output{Port: 2}))
	frame := mplsFrame(tcp4("198.51.100.1", "198.51.100.2", 1234, 80), pkttest.LSE(100, 0, true, 9))
	pk := packet.New(frame)
	b := &packet.Batch{Now: 1e9, Pkts: []*packet.Packet{pk}}
	run := func() {
		pk.Data = pk.Data[:0]
		pk.Data = append(pk.Data, frame...)
		pk.Key.SetInPort(1)
		e.d.Process(b)
	}
	run()
	testutil.RequireNoAllocs(t, "pop_mpls,goto_table:1 then push_mpls", run)
}
