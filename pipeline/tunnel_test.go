package pipeline

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
)

// TestTunnelFieldsSetMatch runs the flows of testdata/tunnel-trace.txt:
// table 0 matches the zero tunnel fields of a packet from an ordinary port,
// then sets tun_id, tun_src, tun_ipv6_dst, tun_flags, tun_gbp_id and
// tun_gbp_flags with set_field, load, set_tunnel and move, and table 1
// matches all of them; the packet leaves on port 2, and the fields are
// those of the "Final flow:" OVS 3.1's ofproto/trace printed.
func TestTunnelFieldsSetMatch(t *testing.T) {
	b, err := os.ReadFile("testdata/tunnel-trace.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Final flow: "); ok {
			for _, kv := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(kv, "=")
				want[k] = v
			}
		}
		if strings.HasPrefix(line, "Datapath actions: ") && line != "Datapath actions: 2" {
			t.Fatalf("golden: %s", line)
		}
	}
	if len(want) == 0 {
		t.Fatal("no Final flow: in the golden")
	}
	ip4 := func(s string) uint64 {
		a := netip.MustParseAddr(s).As4()
		return uint64(a[0])<<24 | uint64(a[1])<<16 | uint64(a[2])<<8 | uint64(a[3])
	}
	ip6 := func(s string) packet.U128 {
		a := netip.MustParseAddr(s).As16()
		var u packet.U128
		for i := 0; i < 8; i++ {
			u.Hi = u.Hi<<8 | uint64(a[i])
			u.Lo = u.Lo<<8 | uint64(a[8+i])
		}
		return u
	}

	e := newEnv(t)
	m0 := mkMatch(packet.FieldInPort, 1, packet.FieldTunID, 0, packet.FieldTunSrc, 0)
	m0.Set(packet.FieldTunFlags, packet.U128{}, packet.U128{Lo: 1})
	add(t, e.d, spec(0, 10, m0,
		sf(packet.FieldTunID, 0x1234),
		sf(packet.FieldTunSrc, ip4("198.51.100.7")),
		SetField{Field: packet.FieldTunIPv6Dst, Value: ip6("2001:db8::9"), Mask: packet.Ones(128)},
		sf(packet.FieldTunFlags, 1),
		RegLoad{Dst: Subfield{Field: packet.FieldTunGbpID, Ofs: 0, NBits: 8}, Value: packet.U128{Lo: 5}},
		sf(packet.FieldTunID, 0x77), // set_tunnel:0x77
		Move{Src: Subfield{Field: packet.FieldTunID, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldReg1, Ofs: 0, NBits: 16}},
		sf(packet.FieldTunGbpFlags, 0x88),
		Move{Src: Subfield{Field: packet.FieldTunSrc, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldTunDst, Ofs: 0, NBits: 32}},
		Resubmit{InPort: PortInPort, Table: 1}))
	m1 := mkMatch(packet.FieldReg1, 0x77, packet.FieldTunID, 0x77, packet.FieldTunSrc, ip4("198.51.100.7"),
		packet.FieldTunDst, ip4("198.51.100.7"), packet.FieldTunGbpID, 5)
	m1.Set(packet.FieldTunIPv6Dst, ip6("2001:db8::"), packet.U128{Hi: 0xffffffff00000000})
	m1.Set(packet.FieldTunGbpFlags, packet.U128{Lo: 0x80}, packet.U128{Lo: 0x80})
	m1.Set(packet.FieldTunFlags, packet.U128{Lo: 1}, packet.U128{Lo: 1})
	add(t, e.d, spec(1, 10, m1, Output{Port: 2}))
	add(t, e.d, spec(1, 5, Match{}))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("outputs %v, want [2] as OVS", got)
	}
	w := &e.s.out[0].key.W
	num := func(k string) uint64 {
		x, err := strconv.ParseUint(want[k], 0, 64)
		if err != nil {
			t.Fatalf("golden %s=%q", k, want[k])
		}
		return x
	}
	if got := uint64(w.Reg(1)); got != num("reg1") {
		t.Errorf("reg1=%#x, OVS %s", got, want["reg1"])
	}
	if got := uint64(w.TunSrc()); got != ip4(want["tun_src"]) {
		t.Errorf("tun_src=%#x, OVS %s", got, want["tun_src"])
	}
	if got := uint64(w.TunDst()); got != ip4(want["tun_dst"]) {
		t.Errorf("tun_dst=%#x, OVS %s", got, want["tun_dst"])
	}
	if got := w.TunIPv6Dst(); got != ip6(want["tun_ipv6_dst"]) {
		t.Errorf("tun_ipv6_dst=%#x, OVS %s", got, want["tun_ipv6_dst"])
	}
	if got := w.TunIPv6Src(); got != ip6(want["tun_ipv6_src"]) {
		t.Errorf("tun_ipv6_src=%#x, OVS %s", got, want["tun_ipv6_src"])
	}
	if got := uint64(w.TunGbpID()); got != num("tun_gbp_id") {
		t.Errorf("tun_gbp_id=%d, OVS %s", got, want["tun_gbp_id"])
	}
	if got := uint64(w.TunGbpFlags()); got != num("tun_gbp_flags") {
		t.Errorf("tun_gbp_flags=%#x, OVS %s", got, want["tun_gbp_flags"])
	}
	if w.TunFlags() != packet.TunFlagOAM || want["tun_flags"] != "oam" {
		t.Errorf("tun_flags=%#x, OVS %s", w.TunFlags(), want["tun_flags"])
	}
	// OVS's trace prints tun_id only for a received keyed tunnel; table 1's
	// tun_id=0x77 matched it.
	if w.TunID() != 0x77 {
		t.Errorf("tun_id=%#x, want 0x77", w.TunID())
	}
}

// TestTunnelFieldsZeroOnEntry: a packet from an ordinary port carries zero
// tunnel fields even when its pooled buffer carried others (OVS: "zeros for
// packets that did not arrive on a tunnel").
func TestTunnelFieldsZeroOnEntry(t *testing.T) {
	e := newEnv(t)
	m := mkMatch(packet.FieldTunID, 0, packet.FieldTunSrc, 0, packet.FieldTunGbpID, 0)
	m.Set(packet.FieldTunIPv6Src, packet.U128{}, packet.Ones(128))
	add(t, e.d, spec(0, 10, m, Output{Port: 2}))
	pk := packet.New(tcpFrame(1, 2))
	pk.Key.SetInPort(1)
	pk.Key.W.SetTunID(9)
	pk.Key.W.SetTunNw(1, 2)
	e.d.Process(&packet.Batch{Now: 1e9, Pkts: []*packet.Packet{pk}})
	if got := e.s.ports(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("outputs %v, want [2]", got)
	}
}
