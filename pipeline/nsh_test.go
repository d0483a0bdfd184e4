package pipeline

import (
	"slices"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

func nshMatch(kv ...any) Match {
	return mkMatch(append([]any{packet.FieldEthType, packet.EthTypeNSH}, kv...)...)
}

func nshFrame(ttl uint8, spi uint32, si uint8) []byte {
	return pkttest.NSH(pkttest.NSHHeader{TTL: ttl, MDType: 1, NP: 3, SPI: spi, SI: si, C: [4]uint32{1, 2, 3, 4}},
		tcp4("198.51.100.1", "198.51.100.2", 1234, 80))
}

// TestNSHMatchAndDecTTL: flows match nsh_spi/nsh_si/nsh_c1 (which share
// words with ipv6_src: an IPv6 flow with those bits does not match);
// dec_nsh_ttl decrements, and at TTL 1 sends the packet to the controller
// (invalid TTL) and ends the list; a non-NSH packet ends it too, without a
// packet-in.
func TestNSHMatchAndDecTTL(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 10, nshMatch(packet.FieldNSHSPI, 0x123456, packet.FieldNSHSI, 9, packet.FieldNSHC1, 1),
		DecNSHTTL{}, sf(packet.FieldNSHSI, 8), Output{Port: 2}))
	v6 := mkMatch(packet.FieldEthType, packet.EthTypeIPv6)
	v6.Set(packet.FieldIPv6Src, packet.U128{Hi: 0x12345609}, packet.U128{Hi: 0xffffffff})
	add(t, e.d, spec(0, 50, v6, Output{Port: 4}))
	if err := e.d.FlowMod(&FlowMod{Command: FlowAdd, Spec: spec(0, 1, ipMatch(), DecNSHTTL{}, Output{Port: 3}),
		OutPort: PortAny, OutGroup: GroupAny, Lax: true}, 1); err != nil {
		t.Fatal(err)
	}
	e.send(1, nshFrame(1, 0x123456, 9), nshFrame(20, 0x123456, 9), nshFrame(20, 0x123456, 7),
		tcp4("198.51.100.1", "198.51.100.2", 1234, 80))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v", got)
	}
	out := pkParse(e.s.out[0].data)
	if out.Key.W.Get(packet.FieldNSHTTL).Lo != 19 || out.Key.W.Get(packet.FieldNSHSI).Lo != 8 {
		t.Fatalf("output key %x", out.Key.W[20:26])
	}
	if len(e.pi.pis) != 1 || e.pi.pis[0].Reason != ReasonInvalidTTL {
		t.Fatalf("packet-ins %+v", e.pi.pis)
	}
}

// TestNSHChecks: dec_nsh_ttl needs an NSH match in OpenFlow 1.3
// (OFPBAC_MATCH_INCONSISTENT, OVS's check_DEC_NSH_TTL); NSH fields need
// eth_type 0x894f.
func TestNSHChecks(t *testing.T) {
	e := newEnv(t)
	err := e.d.FlowMod(&FlowMod{Command: FlowAdd, Spec: spec(0, 1, ipMatch(), DecNSHTTL{}), OutPort: PortAny, OutGroup: GroupAny}, 1)
	if pe, ok := err.(*Error); !ok || func() bool { c, _ := ErrorCodeOf(pe); return c != OFPBAC_MATCH_INCONSISTENT }() {
		t.Errorf("dec_nsh_ttl on IP: %v", err)
	}
	err = e.d.FlowMod(&FlowMod{Command: FlowAdd, Spec: spec(0, 1, ipMatch(), sf(packet.FieldNSHSPI, 5)), OutPort: PortAny, OutGroup: GroupAny}, 1)
	if err == nil {
		t.Error("set_field nsh_spi on IP accepted")
	}
	add(t, e.d, spec(0, 1, nshMatch(), DecNSHTTL{}, sf(packet.FieldNSHC4, 5)))
}

// TestNSHDecTTLActionSet: dec_nsh_ttl written to the action set runs in its
// slot: as OVS 3.1's ofproto/trace of flows/nshttl-aset.flows shows
// (golden cloneaset/nshttl-trace.txt), TTL 20 leaves by port 2 with TTL 19,
// TTL 1 goes to the controller (invalid TTL) and not to port 2.
func TestNSHDecTTLActionSet(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, withInst(spec(0, 1, nshMatch()), func(in *Instructions) {
		in.HasApply, in.HasWrite, in.Write = false, true, []Action{DecNSHTTL{}, Output{Port: 2}}
	}))
	e.send(1, nshFrame(20, 0x123456, 9), nshFrame(1, 0x123456, 9))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v", got)
	}
	if out := pkParse(e.s.out[0].data); out.Key.W.Get(packet.FieldNSHTTL).Lo != 19 {
		t.Fatalf("nsh_ttl %d", out.Key.W.Get(packet.FieldNSHTTL).Lo)
	}
	if len(e.pi.pis) != 1 || e.pi.pis[0].Reason != ReasonInvalidTTL {
		t.Fatalf("packet-ins %+v", e.pi.pis)
	}
}
