package ct

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"gswitch/packet"
)

// setAddr rewrites an address of pk as set_field does.
func setAddr(t *testing.T, pk *packet.Packet, f packet.FieldID, addr string) {
	t.Helper()
	a := netip.MustParseAddr(addr)
	var v packet.U128
	if a.Is4() {
		b := a.As4()
		v.Lo = uint64(be.Uint32(b[:]))
	} else {
		b := a.As16()
		v = packet.U128{Hi: be.Uint64(b[:8]), Lo: be.Uint64(b[8:])}
	}
	if !pk.SetField(f, v, packet.Ones(packet.Fields[f].Bits)) {
		t.Fatalf("SetField %v %s failed", f, addr)
	}
}

func setPort(t *testing.T, pk *packet.Packet, f packet.FieldID, port uint16) {
	t.Helper()
	if !pk.SetField(f, packet.U128{Lo: uint64(port)}, packet.Ones(16)) {
		t.Fatalf("SetField %v %d failed", f, port)
	}
}

func markParams(mark uint32) Params {
	return Params{Commit: true, SetMark: true, Mark: mark, MarkMask: ^uint32(0)}
}

// TestCtCacheTupleRewrite is OVS's "negative test for recirculation
// optimization" on the tracker: ct(commit, mark 1), then a rewrite of the
// packet's addresses, then ct(commit, mark 2) in the same zone. The
// rewritten tuple is another connection, new and committed with its own
// mark; the cached connection keeps its mark.
func TestCtCacheTupleRewrite(t *testing.T) {
	const (
		fipA = "203.0.113.1"
		fipB = "203.0.113.2"
	)
	now := int64(time.Second)
	tr := New(Config{})
	pk := udpFrame(B, fipA, 5000, 1234, 10)
	if s := exec1(tr, pk, markParams(1), now); s != trk|nw {
		t.Fatalf("first ct: %s", stateString(s))
	}
	setAddr(t, pk, packet.FieldIPv4Dst, A)
	setAddr(t, pk, packet.FieldIPv4Src, fipB)
	if s := exec1(tr, pk, Params{}, now); s != trk|nw {
		t.Fatalf("after the rewrite: %s, want +trk+new (a connection of its own)", stateString(s))
	}
	if pk.Key.CtMark() != 0 || pk.Key.W.CtNwSrc() != be.Uint32(netip.MustParseAddr(fipB).AsSlice()) {
		t.Fatalf("after the rewrite: ct_mark %d, ct_nw_src %#x: the stale connection's", pk.Key.CtMark(), pk.Key.W.CtNwSrc())
	}
	exec1(tr, pk, markParams(2), now)
	got, _ := tr.DPCtl("dump-conntrack", nil)
	want := "udp,orig=(src=198.51.100.2,dst=203.0.113.1,sport=5000,dport=1234),reply=(src=203.0.113.1,dst=198.51.100.2,sport=1234,dport=5000),mark=1\n" +
		"udp,orig=(src=203.0.113.2,dst=198.51.100.1,sport=5000,dport=1234),reply=(src=198.51.100.1,dst=203.0.113.2,sport=1234,dport=5000),mark=2\n"
	if got != want {
		t.Fatalf("dump-conntrack:\n%s\nwant\n%s", got, want)
	}

	// The reply of the second connection, rewritten back into the first's
	// reply: each ct finds its own connection (+est+rpl, its own mark).
	pk = udpFrame(A, fipB, 1234, 5000, 10)
	if s := exec1(tr, pk, Params{}, now); s != trk|est|rpl || pk.Key.CtMark() != 2 {
		t.Fatalf("reply, first ct: %s mark %d", stateString(s), pk.Key.CtMark())
	}
	setAddr(t, pk, packet.FieldIPv4Dst, B)
	setAddr(t, pk, packet.FieldIPv4Src, fipA)
	if s := exec1(tr, pk, Params{}, now); s != trk|est|rpl || pk.Key.CtMark() != 1 {
		t.Fatalf("reply, second ct: %s mark %d", stateString(s), pk.Key.CtMark())
	}

	// A port rewrite is another connection too; rewriting and restoring
	// is not (the cache is kept: the state machine does not run again, so
	// the second pass of a first packet stays +new).
	pk = udpFrame(A, B, 6000, 53, 1)
	exec1(tr, pk, commit, now)
	setPort(t, pk, packet.FieldUDPSrc, 6001)
	setPort(t, pk, packet.FieldUDPSrc, 6000)
	if s := exec1(tr, pk, markParams(3), now); s != trk|nw || pk.Key.CtMark() != 3 {
		t.Fatalf("restored tuple: %s mark %d", stateString(s), pk.Key.CtMark())
	}
	setPort(t, pk, packet.FieldUDPDst, 54)
	if s := exec1(tr, pk, markParams(4), now); s != trk|nw || pk.Key.CtMark() != 4 {
		t.Fatalf("port rewrite: %s mark %d", stateString(s), pk.Key.CtMark())
	}
	if n := tr.Count(); n != 4 {
		got, _ := tr.DPCtl("dump-conntrack", nil)
		t.Fatalf("%d connections, want 4:\n%s", n, got)
	}

	// IPv6 and TCP.
	pk = tcpFrame(seg{src: "2001:db8::1", dst: "2001:db8::2", sport: 1000, dport: 80, flags: tcpSYN, seq: 1, wscale: -1})
	exec1(tr, pk, markParams(5), now)
	setAddr(t, pk, packet.FieldIPv6Dst, "2001:db8::3")
	if s := exec1(tr, pk, markParams(6), now); s != trk|nw || pk.Key.CtMark() != 6 {
		t.Fatalf("IPv6 rewrite: %s mark %d", stateString(s), pk.Key.CtMark())
	}
	got, _ = tr.DPCtl("dump-conntrack", nil)
	if !strings.Contains(got, "dst=2001:db8::3,sport=1000,dport=80),reply=(src=2001:db8::3,dst=2001:db8::1,sport=80,dport=1000),mark=6") ||
		!strings.Contains(got, "dst=2001:db8::2,sport=1000,dport=80),reply=(src=2001:db8::2,dst=2001:db8::1,sport=80,dport=1000),mark=5") {
		t.Fatalf("IPv6 connections:\n%s", got)
	}
}

// TestCtCacheICMP: an ICMP echo whose type or code a flow rewrites is
// looked up afresh (as OVS, whose packet_set_icmp drops the cache); an
// ICMP error related to a connection stays cached while it quotes it.
func TestCtCacheICMP(t *testing.T) {
	now := int64(time.Second)
	tr := New(Config{})
	pk := icmpFrame(A, B, icmp4EchoRequest, 0, 7, nil)
	exec1(tr, pk, commit, now)
	if !pk.SetField(packet.FieldICMPCode, packet.U128{Lo: 1}, packet.Ones(8)) {
		t.Fatal("SetField icmp_code")
	}
	if s := exec1(tr, pk, commit, now); s != trk|inv {
		t.Fatalf("echo with code 1 after a cached pass: %s, want +trk+inv", stateString(s))
	}
	pk = icmpFrame(A, B, icmp4EchoRequest, 0, 8, nil)
	exec1(tr, pk, commit, now)
	if !pk.SetField(packet.FieldICMPType, packet.U128{Lo: icmp4EchoReply}, packet.Ones(8)) {
		t.Fatal("SetField icmp_type")
	}
	if s := exec1(tr, pk, commit, now); s != trk|inv {
		t.Fatalf("echo reply A->B: %s, want +trk+inv (no such connection, and a reply cannot start one)", stateString(s))
	}

	orig := udpFrame(A, B, 5000, 53, 10)
	exec1(tr, orig, commit, now)
	perr := icmpFrame("203.0.113.9", A, icmp4DstUnreach, 3, 0, ipDatagram(orig))
	if s := exec1(tr, perr, Params{}, now); s != trk|rel|rpl {
		t.Fatalf("error: %s", stateString(s))
	}
	setAddr(t, perr, packet.FieldIPv4Src, "203.0.113.10")
	if s := exec1(tr, perr, Params{}, now); s != trk|rel|rpl {
		t.Fatalf("error from another router: %s", stateString(s))
	}
	setAddr(t, perr, packet.FieldIPv4Dst, "203.0.113.11")
	if s := exec1(tr, perr, Params{}, now); s != trk|inv {
		t.Fatalf("error sent elsewhere: %s, want +trk+inv (its quote is not from there)", stateString(s))
	}
}

// TestCtCacheAfterNAT: a packet translated by ct(nat) and tracked again
// in the zone is found from its translated tuple, cached, and a third ct
// keeps that (the check compares the translated tuple with the reversed
// reply key); rewriting it afterwards is a lookup of the rewritten tuple.
func TestCtCacheAfterNAT(t *testing.T) {
	tr := New(Config{})
	pk := udpFrame(A, B, 1234, 53, 0)
	exec1(tr, pk, Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}, 1)
	if s := exec1(tr, pk, Params{}, 1); s != trk|nw|snat {
		t.Fatalf("second pass: %s", stateString(s))
	}
	if _, ok := pk.Conn.(*conn); !ok {
		t.Fatalf("second pass cached %T", pk.Conn)
	}
	if !cacheValid(&pk.Key, pk.Conn.(*conn), false, false) {
		t.Fatal("the translated packet does not match its cached connection")
	}
	if s := exec1(tr, pk, markParams(9), 1); s != trk|nw|snat || pk.Key.CtMark() != 9 {
		t.Fatalf("third pass: %s mark %d", stateString(s), pk.Key.CtMark())
	}
	setAddr(t, pk, packet.FieldIPv4Src, A)
	if cacheValid(&pk.Key, pk.Conn.(*conn), false, false) {
		t.Fatal("the untranslated source matches the translated packet's cache")
	}
}
