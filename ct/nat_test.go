package ct

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"gswitch/packet"
)

const (
	snat = packet.CsSNAT
	dnat = packet.CsDNAT
	X    = "203.0.113.9"
)

func natTo(flags uint16, addr string, pmin, pmax uint16) *NAT {
	n := &NAT{Flags: flags}
	if addr != "" {
		a := netip.MustParseAddr(addr)
		if a.Is4() {
			a4 := a.As4()
			copy(n.AddrMin[:], a4[:])
			n.RangePresent |= NATRangeIPv4Min
		} else {
			n.AddrMin = a.As16()
			n.RangePresent |= NATRangeIPv6Min
		}
	}
	if pmin != 0 {
		n.PortMin, n.PortMax = pmin, pmax
		n.RangePresent |= NATRangeProtoMin | NATRangeProtoMax
	}
	return n
}

// checkFrame verifies the packet's IPv4 header and L4 checksums and
// returns its addresses and ports.
func checkFrame(t *testing.T, pk *packet.Packet) (src, dst string, sport, dport uint16) {
	t.Helper()
	d := pk.Data
	l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
	v6 := pk.Key.Flags&packet.FlagIPv6 != 0
	end := ipEnd(d, l3, v6)
	var sa, da netip.Addr
	var hdr []byte
	if v6 {
		hdr = d[l3 : l3+40]
		sa, da = netip.AddrFrom16([16]byte(d[l3+8:l3+24])), netip.AddrFrom16([16]byte(d[l3+24:l3+40]))
	} else {
		hdr = d[l3 : l3+20]
		if checksum(hdr, 0) != 0 {
			t.Fatal("bad IPv4 header checksum")
		}
		sa, da = netip.AddrFrom4([4]byte(d[l3+12:l3+16])), netip.AddrFrom4([4]byte(d[l3+16:l3+20]))
	}
	proto := pk.Key.NwProto()
	var bad bool
	switch proto {
	case packet.ProtoTCP, packet.ProtoUDP:
		bad = l4Checksum(v6, hdr, d[l4:end], proto) != 0
		sport, dport = be.Uint16(d[l4:]), be.Uint16(d[l4+2:])
	case packet.ProtoICMP:
		bad = checksum(d[l4:end], 0) != 0
	case packet.ProtoICMPv6:
		bad = l4Checksum(true, hdr, d[l4:end], proto) != 0
	}
	if bad {
		t.Fatalf("bad L4 checksum (proto %d)", proto)
	}
	return sa.String(), da.String(), sport, dport
}

func TestSNATTCP(t *testing.T) {
	tr := New(Config{})
	sn := Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}
	bare := Params{NAT: &NAT{}}
	pk := fwd(tcpSYN, 100, 0, 0)
	if s := exec1(tr, pk, sn, 1); s != trk|nw|snat {
		t.Fatalf("syn: %s", stateString(s))
	}
	if src, dst, sp, dp := checkFrame(t, pk); src != X || dst != B || sp != 1000 || dp != 80 {
		t.Fatalf("syn rewritten to %s:%d -> %s:%d", src, sp, dst, dp)
	}
	if pk.Key.IPv4Src() != be.Uint32(netip.MustParseAddr(X).AsSlice()) {
		t.Error("key not refreshed after NAT")
	}
	// The ct tuple is the original one.
	if pk.Key.W.CtNwSrc() != be.Uint32(netip.MustParseAddr(A).AsSlice()) {
		t.Error("ct_nw_src is not the pre-NAT source")
	}
	if pk.Conn != nil {
		t.Error("connection cached after nat")
	}
	// The reply comes to the translated address: un-NAT.
	r := tcpFrame(seg{src: B, dst: X, sport: 80, dport: 1000, flags: tcpSYN | tcpACK, seq: 500, ack: 101, wscale: -1})
	if s := exec1(tr, r, bare, 2); s != trk|est|rpl|dnat {
		t.Fatalf("synack: %s", stateString(s))
	}
	if src, dst, sp, dp := checkFrame(t, r); src != B || dst != A || sp != 80 || dp != 1000 {
		t.Fatalf("synack rewritten to %s:%d -> %s:%d", src, sp, dst, dp)
	}
	a := fwd(tcpACK, 101, 501, 10)
	if s := exec1(tr, a, bare, 3); s != trk|est|snat {
		t.Fatalf("ack: %s", stateString(s))
	}
	checkFrame(t, a)
	out, _ := tr.DPCtl("dump-conntrack", nil)
	want := "tcp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=1000,dport=80),reply=(src=198.51.100.2,dst=203.0.113.9,sport=80,dport=1000),protoinfo=(state=ESTABLISHED)\n"
	if out != want {
		t.Errorf("dump:\n%s\nwant:\n%s", out, want)
	}
	checkInvariants(t, tr)
	// Without nat in the action the packet is tracked but not rewritten.
	plain := fwd(tcpACK, 111, 501, 0)
	if s := exec1(tr, plain, Params{}, 4); s != trk|est {
		t.Fatalf("no nat: %s", stateString(s))
	}
	if src, _, _, _ := checkFrame(t, plain); src != A {
		t.Fatal("rewritten without nat")
	}
}

func TestSNATPortCollision(t *testing.T) {
	tr := New(Config{})
	sn := Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}
	seen := map[uint16]bool{}
	for _, src := range []string{A, "198.51.100.3", "198.51.100.4"} {
		pk := tcpFrame(seg{src: src, dst: B, sport: 1000, dport: 80, flags: tcpSYN, seq: 1, wscale: -1})
		if s := exec1(tr, pk, sn, 1); s != trk|nw|snat {
			t.Fatalf("%s: %s", src, stateString(s))
		}
		s, _, sp, _ := checkFrame(t, pk)
		if s != X || seen[sp] {
			t.Fatalf("%s got %s:%d (seen %v)", src, s, sp, seen)
		}
		if sp != 1000 && (sp < 600 || sp > 1023) {
			t.Errorf("port %d outside the sender's class", sp)
		}
		seen[sp] = true
		// The reply to that port reaches the right host.
		r := tcpFrame(seg{src: B, dst: X, sport: 80, dport: sp, flags: tcpSYN | tcpACK, seq: 9, ack: 2, wscale: -1})
		exec1(tr, r, Params{NAT: &NAT{}}, 2)
		if _, dst, _, dp := checkFrame(t, r); dst != src || dp != 1000 {
			t.Fatalf("reply for %s went to %s:%d", src, dst, dp)
		}
	}
	checkInvariants(t, tr)
	// A two-port range is exhausted by the third connection.
	tr = New(Config{})
	rp := Params{Commit: true, NAT: natTo(NATSrc, X, 5000, 5001)}
	for i := 0; i < 3; i++ {
		pk := udpFrame(A, B, uint16(7000+i), 53, 0)
		s := exec1(tr, pk, rp, 1)
		if i < 2 {
			if _, _, sp, _ := checkFrame(t, pk); s != trk|nw|snat || (sp != 5000 && sp != 5001) {
				t.Fatalf("conn %d: %s port %d", i, stateString(s), sp)
			}
		} else if s != trk|nw || tr.Counters().NATExhausted != 1 || tr.Count() != 2 {
			t.Fatalf("exhausted: %s, %+v", stateString(s), tr.Counters())
		}
	}
	checkInvariants(t, tr)
}

func TestDNATPortAndICMPError(t *testing.T) {
	tr := New(Config{})
	const server = "198.51.100.50"
	dn := Params{Commit: true, NAT: natTo(NATDst, server, 8080, 8080)}
	pk := udpFrame(A, B, 4000, 53, 20)
	if s := exec1(tr, pk, dn, 1); s != trk|nw|dnat {
		t.Fatalf("dnat: %s", stateString(s))
	}
	if _, dst, _, dp := checkFrame(t, pk); dst != server || dp != 8080 {
		t.Fatalf("dnat to %s:%d", dst, dp)
	}
	quoted := ipDatagram(pk) // as the server saw it
	r := udpFrame(server, A, 8080, 4000, 5)
	if s := exec1(tr, r, Params{NAT: &NAT{}}, 2); s != trk|est|rpl|snat {
		t.Fatalf("reply: %s", stateString(s))
	}
	if src, _, sp, _ := checkFrame(t, r); src != B || sp != 53 {
		t.Fatalf("reply from %s:%d", src, sp)
	}
	// An ICMP error from the server about the translated datagram: the
	// outer source and the quoted destination are translated back.
	e := icmpFrame(server, A, icmp4DstUnreach, 3, 0, quoted)
	if s := exec1(tr, e, Params{NAT: &NAT{}}, 3); s != trk|rel|rpl|snat {
		t.Fatalf("error: %s", stateString(s))
	}
	src, _, _, _ := checkFrame(t, e)
	in := e.Data[e.Key.L4+8:]
	if src != B || netip.AddrFrom4([4]byte(in[16:20])).String() != B || be.Uint16(in[22:]) != 53 || checksum(in[:20], 0) != 0 {
		t.Fatalf("error translated wrong: outer src %s, inner dst %s:%d", src, netip.AddrFrom4([4]byte(in[16:20])), be.Uint16(in[22:]))
	}
}

func TestNATICMPAndIPv6(t *testing.T) {
	tr := New(Config{})
	sn := Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}
	pk := icmpFrame(A, B, icmp4EchoRequest, 0, 77, []byte("ping"))
	if s := exec1(tr, pk, sn, 1); s != trk|nw|snat {
		t.Fatalf("echo: %s", stateString(s))
	}
	if src, _, _, _ := checkFrame(t, pk); src != X || be.Uint16(pk.Data[pk.Key.L4+4:]) != 77 {
		t.Fatal("echo not translated")
	}
	r := icmpFrame(B, X, icmp4EchoReply, 0, 77, []byte("ping"))
	if s := exec1(tr, r, Params{NAT: &NAT{}}, 2); s != trk|est|rpl|dnat {
		t.Fatalf("echo reply: %s", stateString(s))
	}
	if _, dst, _, _ := checkFrame(t, r); dst != A {
		t.Fatal("echo reply not translated")
	}
	// IPv6 SNAT with a port range.
	const a6, b6, x6 = "2001:db8::1", "2001:db8::2", "2001:db8::99"
	p6 := Params{Commit: true, NAT: natTo(NATSrc, x6, 20000, 20010)}
	u := udpFrame(a6, b6, 999, 53, 8)
	if s := exec1(tr, u, p6, 3); s != trk|nw|snat {
		t.Fatalf("v6: %s", stateString(s))
	}
	src, _, sp, _ := checkFrame(t, u)
	if src != x6 || sp < 20000 || sp > 20010 {
		t.Fatalf("v6 to %s:%d", src, sp)
	}
	ur := udpFrame(b6, x6, 53, sp, 8)
	if s := exec1(tr, ur, Params{NAT: &NAT{}}, 4); s != trk|est|rpl|dnat {
		t.Fatalf("v6 reply: %s", stateString(s))
	}
	if _, dst, _, dp := checkFrame(t, ur); dst != a6 || dp != 999 {
		t.Fatalf("v6 reply to %s:%d", dst, dp)
	}
	checkInvariants(t, tr)
}

func TestNATCachedAndRecirculated(t *testing.T) {
	tr := New(Config{})
	// ct(commit) first (no nat), then ct(nat(src)) in the same zone: the
	// cached connection has no translation, nothing to do.
	pk := udpFrame(A, B, 1234, 53, 0)
	exec1(tr, pk, commit, 1)
	exec1(tr, pk, Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}, 1)
	if src, _, _, _ := checkFrame(t, pk); src != A {
		t.Fatal("translated a connection committed without nat")
	}
	// A packet translated by ct(nat) then sent through ct again in the
	// same zone is found from its translated tuple and not translated
	// twice.
	tr = New(Config{})
	pk = udpFrame(A, B, 1234, 53, 0)
	exec1(tr, pk, Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}, 1)
	s := exec1(tr, pk, Params{NAT: &NAT{}}, 1)
	if s != trk|nw|snat {
		t.Fatalf("second pass: %s", stateString(s))
	}
	if src, _, _, _ := checkFrame(t, pk); src != X {
		t.Fatal("second pass changed the packet")
	}
	if pk.Key.W.CtTpSrc() != 1234 {
		t.Fatal("second pass lost the original tuple")
	}
	// Sweep and flush remove NAT connections (keys may sit in two shards).
	tr = New(Config{Shards: 64})
	for i := 0; i < 200; i++ {
		exec1(tr, udpFrame(A, B, uint16(2000+i), 53, 0), Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}, 1)
	}
	checkInvariants(t, tr)
	if n := tr.Flush(FlushFilter{Orig: FlushTuple{DstPort: 53}, Proto: 17}); n != 200 {
		t.Fatalf("flushed %d", n)
	}
	for i := 0; i < 200; i++ {
		exec1(tr, udpFrame(A, B, uint16(2000+i), 53, 0), Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}, 1)
	}
	if n := tr.Sweep(int64(time.Hour)); n != 200 || tr.Count() != 0 {
		t.Fatalf("swept %d, %d left", n, tr.Count())
	}
	checkInvariants(t, tr)
	out, _ := tr.DPCtl("ct-stats-show", nil)
	if !strings.Contains(out, "Total: 0") {
		t.Error(out)
	}
}

// TestNATDumpGolden replays capture-ovs31-nat.sh's traffic (flows: UDP
// from a: ct(commit,zone=3,nat(src=198.51.100.99)), from b: ct(zone=3,nat);
// TCP from a: ct(commit,nat(dst=198.51.100.2:8080)), from b: ct(nat)) and
// compares the dumps with real OVS's.
func TestNATDumpGolden(t *testing.T) {
	tr := New(Config{})
	const (
		a, b, vip, snatIP = "198.51.100.1", "198.51.100.2", "198.51.100.200", "198.51.100.99"
	)
	fromA := Params{Commit: true, Zone: 3, NAT: natTo(NATSrc, snatIP, 0, 0)}
	fromB := Params{Zone: 3, NAT: &NAT{}}
	exec1(tr, udpFrame(a, b, 40000, 5353, 1), fromA, 1)
	exec1(tr, udpFrame(b, snatIP, 5353, 40000, 1), fromB, 2)
	tA := Params{Commit: true, NAT: natTo(NATDst, b, 8080, 8080)}
	tB := Params{NAT: &NAT{}}
	tcp := func(src, dst string, sp, dp, fl uint16, seq, ack uint32, pl, ws int) *packet.Packet {
		return tcpFrame(seg{src: src, dst: dst, sport: sp, dport: dp, flags: fl, seq: seq, ack: ack, win: 502, payload: pl, wscale: ws})
	}
	exec1(tr, tcp(a, vip, 41000, 80, tcpSYN, 1000, 0, 0, 10), tA, 3)
	exec1(tr, tcp(b, a, 8080, 41000, tcpSYN|tcpACK, 5000, 1001, 0, 10), tB, 4)
	exec1(tr, tcp(a, vip, 41000, 80, tcpACK, 1001, 5001, 0, -1), tA, 5)
	exec1(tr, tcp(b, a, 8080, 41000, tcpACK|tcpPSH, 5001, 1001, 5, -1), tB, 6)
	exec1(tr, tcp(a, vip, 41000, 80, tcpACK, 1001, 5006, 0, -1), tA, 7)
	exec1(tr, tcp(a, vip, 41000, 80, tcpFIN|tcpACK, 1001, 5006, 0, -1), tA, 8)
	exec1(tr, tcp(b, a, 8080, 41000, tcpACK, 5006, 1002, 0, -1), tB, 9)
	for _, c := range []struct{ golden, opt string }{{"nat-dump-conntrack", ""}, {"nat-dump-conntrack-m", "-m"}} {
		want, _, _ := readGolden(t, c.golden)
		var args []string
		if c.opt != "" {
			args = []string{c.opt}
		}
		got, err := tr.DPCtl("dump-conntrack", args)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(sortedLines(got), "\n") != strings.Join(sortedLines(want), "\n") {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.golden, got, want)
		}
	}
}

// TestNATStatesAsOVS mirrors testdata/ovs31/nat-state-flows.txt: two UDP
// request/response pairs through ct(commit,zone=3,nat(src=...)) and
// ct(zone=3,nat).
func TestNATStatesAsOVS(t *testing.T) {
	tr := New(Config{})
	const a, b, x = "198.51.100.1", "198.51.100.2", "198.51.100.99"
	fromA := Params{Commit: true, Zone: 3, NAT: natTo(NATSrc, x, 0, 0)}
	fromB := Params{Zone: 3, NAT: &NAT{}}
	runSteps(t, tr, []step{
		{"request 1", udpFrame(a, b, 40000, 5353, 1), fromA, trk | nw | snat},
		{"reply 1", udpFrame(b, x, 5353, 40000, 1), fromB, trk | est | rpl | dnat},
		{"request 2", udpFrame(a, b, 40000, 5353, 1), fromA, trk | est | snat},
		{"reply 2", udpFrame(b, x, 5353, 40000, 1), fromB, trk | est | rpl | dnat},
	})
}

// ipEnd returns the end offset of the IP datagram at l3, or -1.
func ipEnd(d []byte, l3 int, v6 bool) int {
	if v6 {
		if len(d)-l3 < 40 {
			return -1
		}
		e := l3 + 40 + int(be.Uint16(d[l3+4:]))
		if e > len(d) {
			return -1
		}
		return e
	}
	if len(d)-l3 < 20 {
		return -1
	}
	e := l3 + int(be.Uint16(d[l3+2:]))
	if e > len(d) || e < l3+20 {
		return -1
	}
	return e
}
