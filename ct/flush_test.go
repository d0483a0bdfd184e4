package ct

import (
	"errors"
	"net/netip"
	"testing"

	"gswitch/packet"
)

// TestFlushMatchingEitherDirection: a full tuple is a key lookup, as in OVS
// 3.1 (ct_dpif_flush, conntrack_flush_tuple): a connection without NAT is
// found by its reply tuple too; a NATed one only by its original tuple (its
// reply tuple, or the original one reversed, is ErrNoConn); without a zone
// the lookup is in zone 0. The expected results are those of OVS 3.1 in
// tests/golden/ctflush/transcript.txt.
func TestFlushMatchingEitherDirection(t *testing.T) {
	a, b := netip.MustParseAddr(A), netip.MustParseAddr(B)
	nat := netip.MustParseAddr("203.0.113.100")
	tr := New(Config{})
	exec1(tr, udpFrame(A, B, 20001, 7002, 0), Params{Commit: true, Zone: 5}, 1)
	exec1(tr, udpFrame(A, B, 20003, 7003, 0), Params{Commit: true, Zone: 5, NAT: natTo(NATSrc, "203.0.113.100", 20050, 20050)}, 1)
	exec1(tr, icmpFrame(A, B, 8, 0, 4660, nil), Params{Commit: true, Zone: 5}, 1)
	udp := func(src, dst netip.Addr, sport, dport uint16) FlushFilter {
		return FlushFilter{HasZone: true, Zone: 5, Proto: packet.ProtoUDP, Orig: FlushTuple{Src: src, Dst: dst, SrcPort: sport, DstPort: dport}}
	}
	for _, c := range []struct {
		name string
		f    FlushFilter
		err  error
		left int
	}{
		{"NAT reply tuple", udp(b, nat, 7003, 20050), ErrNoConn, 3},
		{"NAT original reversed", udp(b, a, 7003, 20003), ErrNoConn, 3},
		{"reply tuple without zone (zone 0)", FlushFilter{Proto: 17, Orig: FlushTuple{Src: b, Dst: a, SrcPort: 7002, DstPort: 20001}}, ErrNoConn, 3},
		{"reply tuple", udp(b, a, 7002, 20001), nil, 2},
		{"ICMP reply tuple", FlushFilter{HasZone: true, Zone: 5, Proto: 1, Orig: FlushTuple{Src: b, Dst: a, ICMPID: 4660, ICMPType: 0}}, nil, 1},
		{"NAT original tuple", udp(a, b, 20003, 7003), nil, 0},
	} {
		_, err := tr.FlushMatching(c.f)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
		}
		if n := tr.Count(); n != c.left {
			t.Errorf("%s: %d left, want %d", c.name, n, c.left)
		}
		checkInvariants(t, tr)
	}
}

// TestDPCtlFlushReplyTuple: dpctl/flush-conntrack with a reply tuple flushes
// the connection (OVS 3.1), and a NATed reply tuple is "No such file or
// directory".
func TestDPCtlFlushReplyTuple(t *testing.T) {
	tr := New(Config{})
	exec1(tr, udpFrame(A, B, 20002, 7002, 0), Params{Commit: true, Zone: 5}, 1)
	exec1(tr, udpFrame(A, B, 20003, 7003, 0), Params{Commit: true, Zone: 5, NAT: natTo(NATSrc, "203.0.113.100", 20050, 20050)}, 1)
	_, err := tr.DPCtl("flush-conntrack", []string{"zone=5", "ct_nw_src=198.51.100.2,ct_nw_dst=203.0.113.100,ct_nw_proto=17,ct_tp_src=7003,ct_tp_dst=20050"})
	if err == nil || err.Error() != "failed to flush conntrack (No such file or directory)" {
		t.Errorf("NAT reply tuple: %v", err)
	}
	if _, err := tr.DPCtl("flush-conntrack", []string{"zone=5", "ct_nw_src=198.51.100.2,ct_nw_dst=198.51.100.1,ct_nw_proto=17,ct_tp_src=7002,ct_tp_dst=20002"}); err != nil {
		t.Errorf("reply tuple: %v", err)
	}
	if n := tr.Count(); n != 1 {
		t.Errorf("%d left, want 1 (the NATed one)", n)
	}
}
