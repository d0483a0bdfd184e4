package ct

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gswitch/packet"
)

const (
	trk = packet.CsTrk
	nw  = packet.CsNew
	est = packet.CsEst
	rel = packet.CsRel
	rpl = packet.CsRpl
	inv = packet.CsInv
)

var commit = Params{Commit: true}

func exec1(tr *Tracker, pk *packet.Packet, p Params, now int64) uint32 {
	out := tr.Execute([]*packet.Packet{pk}, nil, &p, now)
	if len(out) != 1 || out[0] != pk {
		panic("Execute did not return the packet")
	}
	return pk.Key.CtState()
}

func stateString(s uint32) string {
	names := []string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}
	out := ""
	for i, n := range names {
		if s&(1<<i) != 0 {
			out += "+" + n
		}
	}
	if out == "" {
		return "0"
	}
	return out
}

const (
	A = "198.51.100.1"
	B = "198.51.100.2"
)

// fwd and rev build segments of the A:1000 -> B:80 connection.
func fwd(flags uint16, seq, ack uint32, payload int) *packet.Packet {
	return tcpFrame(seg{src: A, dst: B, sport: 1000, dport: 80, flags: flags, seq: seq, ack: ack, payload: payload, wscale: -1})
}
func rev(flags uint16, seq, ack uint32, payload int) *packet.Packet {
	return tcpFrame(seg{src: B, dst: A, sport: 80, dport: 1000, flags: flags, seq: seq, ack: ack, payload: payload, wscale: -1})
}

type step struct {
	name string
	pk   *packet.Packet
	p    Params
	want uint32
}

func runSteps(t *testing.T, tr *Tracker, steps []step) {
	t.Helper()
	now := int64(time.Second)
	for i, s := range steps {
		now += int64(time.Millisecond)
		got := exec1(tr, s.pk, s.p, now)
		if got != s.want {
			t.Fatalf("step %d (%s): ct_state %s, want %s", i, s.name, stateString(got), stateString(s.want))
		}
	}
}

func TestTCPHandshakeAndClose(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{
		{"syn", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
		{"syn retransmit", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
		{"synack", rev(tcpSYN|tcpACK, 500, 101, 0), commit, trk | est | rpl},
		{"ack", fwd(tcpACK, 101, 501, 0), commit, trk | est},
		{"data", fwd(tcpACK|tcpPSH, 101, 501, 100), commit, trk | est},
		{"data retransmit", fwd(tcpACK|tcpPSH, 101, 501, 100), commit, trk | est},
		{"reply data", rev(tcpACK|tcpPSH, 501, 201, 50), commit, trk | est | rpl},
		{"fin", fwd(tcpFIN|tcpACK, 201, 551, 0), commit, trk | est},
		{"fin reply", rev(tcpFIN|tcpACK, 551, 202, 0), commit, trk | est | rpl},
		{"last ack", fwd(tcpACK, 202, 552, 0), commit, trk | est},
	})
	if got := connStates(tr); got != "TIME_WAIT" {
		t.Errorf("state after close: %s", got)
	}
	// A new SYN on the closed connection starts a new one.
	runSteps(t, tr, []step{{"new syn", fwd(tcpSYN, 9000, 0, 0), commit, trk | nw}})
	if got := connStates(tr); got != "SYN_SENT" {
		t.Errorf("state after reopen: %s", got)
	}
}

// connStates returns the dump state of the only connection.
func connStates(tr *Tracker) string {
	es := tr.entries(nil, tr.Now())
	if len(es) != 1 {
		return fmt.Sprintf("%d conns", len(es))
	}
	out, err := tr.DPCtl("dump-conntrack", nil)
	_, st, ok := strings.Cut(strings.TrimSuffix(out, "\n"), ",protoinfo=(state=")
	if err != nil || !ok {
		return fmt.Sprintf("dump %q: %v", out, err)
	}
	st, _, _ = strings.Cut(st, ")")
	return st
}

func TestTCPInvalidFlags(t *testing.T) {
	for _, f := range []struct {
		name  string
		flags uint16
	}{
		{"syn+fin", tcpSYN | tcpFIN},
		{"syn+rst", tcpSYN | tcpRST},
		{"no flags", 0},
		{"fin only", tcpFIN},
		{"psh only", tcpPSH},
		{"urg only", tcpURG},
		{"fin+rst no ack", tcpFIN | tcpRST},
		{"psh+rst no ack", tcpPSH | tcpRST},
		{"urg+rst no ack", tcpURG | tcpRST},
	} {
		t.Run(f.name, func(t *testing.T) {
			tr := New(Config{})
			// As a first packet: not valid to create.
			runSteps(t, tr, []step{{"first", fwd(f.flags, 100, 0, 0), commit, trk | inv}})
			if tr.Count() != 0 {
				t.Fatalf("invalid first packet created a connection")
			}
			// On an established connection: +inv.
			runSteps(t, tr, []step{
				{"syn", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
				{"synack", rev(tcpSYN|tcpACK, 500, 101, 0), commit, trk | est | rpl},
				{"ack", fwd(tcpACK, 101, 501, 0), commit, trk | est},
				{"bad", fwd(f.flags, 101, 501, 0), commit, trk | inv},
			})
		})
	}
}

func TestTCPSynAckWithoutConn(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{{"synack", rev(tcpSYN|tcpACK, 500, 101, 0), commit, trk | inv}})
	if tr.Count() != 0 {
		t.Fatal("SYN|ACK created a connection")
	}
}

func TestTCPMidStreamPickup(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{
		{"ack", fwd(tcpACK, 5000, 7000, 10), commit, trk | nw},
		{"reply ack", rev(tcpACK, 7000, 5010, 10), commit, trk | est | rpl},
		{"more", fwd(tcpACK, 5010, 7010, 10), commit, trk | est},
	})
	// A bare RST may start a connection too (valid flags, not SYN|ACK).
	runSteps(t, New(Config{}), []step{{"rst", fwd(tcpRST, 1, 0, 0), commit, trk | nw}})
}

func TestTCPSimultaneousOpen(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{
		{"syn a", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
		{"syn b", rev(tcpSYN, 500, 0, 0), commit, trk | nw},
		{"synack a", fwd(tcpSYN|tcpACK, 100, 501, 0), commit, trk | est},
		{"synack b", rev(tcpSYN|tcpACK, 500, 101, 0), commit, trk | est | rpl},
		{"ack", fwd(tcpACK, 101, 501, 0), commit, trk | est},
	})
	if got := connStates(tr); got != "ESTABLISHED" {
		t.Errorf("state %s", got)
	}
}

func established(t *testing.T, tr *Tracker) {
	t.Helper()
	runSteps(t, tr, []step{
		{"syn", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
		{"synack", rev(tcpSYN|tcpACK, 500, 101, 0), commit, trk | est | rpl},
		{"ack", fwd(tcpACK, 101, 501, 0), commit, trk | est},
	})
}

func TestTCPWindow(t *testing.T) {
	tr := New(Config{})
	established(t, tr)
	// The peer's window is 65535 (no scaling): the last byte may be at
	// seqhi = ack + window.
	runSteps(t, tr, []step{
		{"window edge", fwd(tcpACK, 101+65535-1000, 501, 1000), commit, trk | est},
		{"beyond window", fwd(tcpACK, 101+65535+10, 501, 1000), commit, trk | inv},
		{"far behind", fwd(tcpACK, uint32(1<<32-199899), 501, 100), commit, trk | inv},
		{"ack far ahead", fwd(tcpACK, 101, 501+200000, 0), commit, trk | inv},
		{"still ok", fwd(tcpACK, 101, 501, 0), commit, trk | est},
	})
	if c := tr.Counters(); c.TCPSeqFail != 3 {
		t.Errorf("seq failures %d, want 3", c.TCPSeqFail)
	}
}

func TestTCPSeqCheckOff(t *testing.T) {
	for _, global := range []bool{true, false} {
		tr := New(Config{})
		if global {
			tr.SetTCPSeqCheck(false)
		} else {
			tr.SetZoneTCPSeqCheck(0, 0)
		}
		established(t, tr)
		runSteps(t, tr, []step{{"beyond window", fwd(tcpACK, 101+65535+10000, 501, 1000), commit, trk | est}})
		// Another zone still checks when only zone 0 is off.
		if !global {
			p := Params{Commit: true, Zone: 9}
			runSteps(t, tr, []step{
				{"syn", fwd(tcpSYN, 100, 0, 0), p, trk | nw},
				{"synack", rev(tcpSYN|tcpACK, 500, 101, 0), p, trk | est | rpl},
				{"ack", fwd(tcpACK, 101, 501, 0), p, trk | est},
				{"beyond", fwd(tcpACK, 101+65535+10000, 501, 1000), p, trk | inv},
			})
		}
	}
}

func TestTCPReset(t *testing.T) {
	tr := New(Config{})
	established(t, tr)
	runSteps(t, tr, []step{
		{"rst wrong seq", fwd(tcpRST|tcpACK, 101+5000, 501, 0), commit, trk | inv},
		{"rst", rev(tcpRST|tcpACK, 501, 101, 0), commit, trk | est | rpl},
	})
	if got := connStates(tr); got != "TIME_WAIT" {
		t.Errorf("state after RST %s", got)
	}
	c := tr.entries(nil, tr.Now())[0]
	if d := c.exp.Load() - (int64(time.Second) + 2*int64(time.Millisecond)); d != 30*int64(time.Second) {
		t.Errorf("RST timeout %v, want tcp_close 30s", time.Duration(d))
	}
}

func TestTCPWindowScale(t *testing.T) {
	tr := New(Config{})
	mk := func(src, dst string, sp, dp, flags uint16, seq, ack uint32, win uint16, pl, ws int) *packet.Packet {
		return tcpFrame(seg{src: src, dst: dst, sport: sp, dport: dp, flags: flags, seq: seq, ack: ack, win: win, payload: pl, wscale: ws})
	}
	runSteps(t, tr, []step{
		{"syn ws7", mk(A, B, 1000, 80, tcpSYN, 100, 0, 64240, 0, 7), commit, trk | nw},
		{"synack ws7", mk(B, A, 80, 1000, tcpSYN|tcpACK, 500, 101, 65160, 0, 7), commit, trk | est | rpl},
		{"ack", mk(A, B, 1000, 80, tcpACK, 101, 501, 502, 0, -1), commit, trk | est},
		// Window 502<<7 = 64256 bytes: 60000 bytes ahead is inside.
		{"scaled window", mk(B, A, 80, 1000, tcpACK, 501+60000, 101, 509, 1000, -1), commit, trk | est | rpl},
	})
}

func TestUDP(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{
		{"first", udpFrame(A, B, 5000, 53, 10), commit, trk | nw},
		{"again", udpFrame(A, B, 5000, 53, 10), commit, trk | nw},
		{"reply", udpFrame(B, A, 53, 5000, 10), commit, trk | est | rpl},
		{"orig after reply", udpFrame(A, B, 5000, 53, 10), commit, trk | est},
	})
	// Without commit nothing is remembered.
	tr2 := New(Config{})
	runSteps(t, tr2, []step{
		{"uncommitted", udpFrame(A, B, 5000, 53, 10), Params{}, trk | nw},
		{"reply", udpFrame(B, A, 53, 5000, 10), Params{}, trk | nw},
	})
	if tr2.Count() != 0 {
		t.Fatal("uncommitted connection remembered")
	}
	// Port 0 is invalid; a bad checksum is invalid.
	runSteps(t, tr2, []step{{"port 0", udpFrame(A, B, 0, 53, 10), commit, trk | inv}})
	bad := udpFrame(A, B, 5000, 53, 10)
	bad.Data[len(bad.Data)-1] ^= 0xff
	runSteps(t, tr2, []step{{"bad csum", bad, commit, trk | inv}})
	// Checksum 0 over IPv4 means none.
	z := udpFrame(A, B, 5001, 53, 10)
	z.Data[z.Key.L4+6], z.Data[z.Key.L4+7] = 0, 0
	runSteps(t, tr2, []step{{"no csum", z, commit, trk | nw}})
}

func TestICMPEcho(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			a, b, req, repl := A, B, uint8(icmp4EchoRequest), uint8(icmp4EchoReply)
			if v6 {
				a, b, req, repl = "2001:db8::1", "2001:db8::2", icmp6EchoRequest, icmp6EchoReply
			}
			tr := New(Config{})
			runSteps(t, tr, []step{
				{"request", icmpFrame(a, b, req, 0, 7, nil), commit, trk | nw},
				{"request again", icmpFrame(a, b, req, 0, 7, nil), commit, trk | nw},
				{"reply", icmpFrame(b, a, repl, 0, 7, nil), commit, trk | est | rpl},
				{"other id", icmpFrame(b, a, repl, 0, 8, nil), commit, trk | inv},
				{"bad code", icmpFrame(a, b, req, 1, 7, nil), commit, trk | inv},
			})
			pk := icmpFrame(a, b, req, 0, 7, nil)
			exec1(tr, pk, commit, int64(2*time.Second))
			k := &pk.Key
			if k.W.CtTpSrc() != uint16(req) || k.W.CtTpDst() != 0 {
				t.Errorf("ct_tp_src/dst for ICMP: %d/%d", k.W.CtTpSrc(), k.W.CtTpDst())
			}
		})
	}
}

func TestICMPErrorRelated(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			a, b, router := A, B, "203.0.113.1"
			errType := uint8(icmp4DstUnreach)
			if v6 {
				a, b, router = "2001:db8::1", "2001:db8::2", "2001:db8::99"
				errType = icmp6DstUnreach
			}
			tr := New(Config{})
			orig := udpFrame(a, b, 5000, 53, 10)
			exec1(tr, orig, commit, int64(time.Second))
			quoted := ipDatagram(orig)
			runSteps(t, tr, []step{
				{"error from dst", icmpFrame(b, a, errType, 3, 0, quoted), commit, trk | rel | rpl},
				{"error from router", icmpFrame(router, a, errType, 3, 0, quoted), commit, trk | rel | rpl},
				{"error about unknown", icmpFrame(b, a, errType, 3, 0, ipDatagram(udpFrame(a, b, 5001, 53, 10))), commit, trk | inv},
				{"error to wrong host", icmpFrame(b, router, errType, 3, 0, quoted), commit, trk | inv},
				{"truncated quote", icmpFrame(b, a, errType, 3, 0, quoted[:10]), commit, trk | inv},
				{"garbage quote", icmpFrame(b, a, errType, 3, 0, []byte{0xde, 0xad, 0xbe, 0xef}), commit, trk | inv},
			})
			if tr.Count() != 1 {
				t.Fatalf("errors created connections: %d", tr.Count())
			}
		})
	}
}

func TestZonesKeepTuplesApart(t *testing.T) {
	tr := New(Config{})
	z1, z2 := Params{Commit: true, Zone: 1}, Params{Commit: true, Zone: 2}
	runSteps(t, tr, []step{
		{"z1 first", udpFrame(A, B, 5000, 53, 1), z1, trk | nw},
		{"z2 first", udpFrame(A, B, 5000, 53, 1), z2, trk | nw},
		{"z1 reply", udpFrame(B, A, 53, 5000, 1), z1, trk | est | rpl},
		{"z2 orig", udpFrame(A, B, 5000, 53, 1), z2, trk | nw},
	})
	if tr.Count() != 2 {
		t.Fatalf("count %d", tr.Count())
	}
	pk := udpFrame(A, B, 5000, 53, 1)
	exec1(tr, pk, z2, int64(2*time.Second))
	if pk.Key.CtZone() != 2 {
		t.Errorf("ct_zone %d", pk.Key.CtZone())
	}
}

func TestMarkLabel(t *testing.T) {
	tr := New(Config{})
	p := Params{Commit: true, SetMark: true, Mark: 0x12, MarkMask: 0xff,
		SetLabel: true, Label: packet.U128{Hi: 1, Lo: 0xab}, LabelMask: packet.U128{Hi: ^uint64(0), Lo: 0xff}}
	pk := udpFrame(A, B, 5000, 53, 1)
	exec1(tr, pk, p, int64(time.Second))
	if pk.Key.CtMark() != 0x12 {
		t.Errorf("mark %#x", pk.Key.CtMark())
	}
	// Masked update keeps the other bits.
	p2 := Params{Commit: true, SetMark: true, Mark: 0x300, MarkMask: 0xf00}
	pk = udpFrame(B, A, 53, 5000, 1)
	exec1(tr, pk, p2, int64(time.Second))
	if pk.Key.CtMark() != 0x312 {
		t.Errorf("masked mark %#x", pk.Key.CtMark())
	}
	hi, lo := pk.Key.CtLabel()
	if hi != 1 || lo != 0xab {
		t.Errorf("label %x %x", hi, lo)
	}
	// Read back without exec.
	pk = udpFrame(A, B, 5000, 53, 1)
	exec1(tr, pk, Params{}, int64(time.Second))
	if pk.Key.CtMark() != 0x312 {
		t.Errorf("read back mark %#x", pk.Key.CtMark())
	}
	// exec without commit does not change the connection.
	pk = udpFrame(A, B, 5000, 53, 1)
	exec1(tr, pk, Params{SetMark: true, Mark: 1, MarkMask: ^uint32(0)}, int64(time.Second))
	if pk.Key.CtMark() != 0x312 {
		t.Errorf("uncommitted exec changed mark: %#x", pk.Key.CtMark())
	}
}

func TestCtCacheSameZone(t *testing.T) {
	tr := New(Config{})
	established(t, tr)
	pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
	now := int64(3 * time.Second)
	if s := exec1(tr, pk, Params{}, now); s != trk|est {
		t.Fatalf("state %s", stateString(s))
	}
	seqlo := tr.entries(nil, now)[0].tcp[0].seqlo
	// Second pass in the same zone: cached, state machine not re-run,
	// commit with a mark applies.
	if s := exec1(tr, pk, Params{Commit: true, SetMark: true, Mark: 5, MarkMask: ^uint32(0)}, now); s != trk|est {
		t.Fatalf("cached state %s", stateString(s))
	}
	if pk.Key.CtMark() != 5 || tr.entries(nil, now)[0].tcp[0].seqlo != seqlo {
		t.Fatalf("cache path: mark %d", pk.Key.CtMark())
	}
	// Another zone looks it up afresh: new there.
	if s := exec1(tr, pk, Params{Zone: 3}, now); s != trk|nw {
		t.Fatalf("zone 3 state %s", stateString(s))
	}
}

func TestForce(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{
		{"a->b", udpFrame(A, B, 5000, 53, 1), commit, trk | nw},
		{"b->a force", udpFrame(B, A, 53, 5000, 1), Params{Commit: true, Force: true}, trk | nw},
		{"b->a again", udpFrame(B, A, 53, 5000, 1), commit, trk | nw},
		{"a->b now reply", udpFrame(A, B, 5000, 53, 1), commit, trk | est | rpl},
		{"force same dir keeps", udpFrame(B, A, 53, 5000, 1), Params{Commit: true, Force: true}, trk | est},
	})
	if tr.Count() != 1 {
		t.Fatalf("count %d", tr.Count())
	}
	es := tr.entries(nil, tr.Now())
	if es[0].key.sport != 53 {
		t.Errorf("forced conn has original direction %d->%d", es[0].key.sport, es[0].key.dport)
	}
}

func TestMalformedInvalid(t *testing.T) {
	tr := New(Config{})
	pk := udpFrame(A, B, 5000, 53, 10)
	pk.Data[pk.Key.L3+10] ^= 0xff // break the IPv4 header checksum
	packet.Parse(pk)
	if s := exec1(tr, pk, commit, 1); s != trk|inv {
		t.Fatalf("bad IP checksum: %s", stateString(s))
	}
	if pk.Key.W.CtNwSrc() != 0 || pk.Key.W.CtNwDst() != 0 || pk.Key.CtZone() != 0 {
		t.Error("invalid packet carries a tuple")
	}
	short := packet.New(pk.Data[:20])
	packet.Parse(short)
	if s := exec1(tr, short, commit, 1); s != trk|inv {
		t.Fatalf("truncated: %s", stateString(s))
	}
	// ICMPv6 neighbor discovery is not tracked: +inv, as OVS.
	nd := icmpFrame("2001:db8::1", "2001:db8::2", 135, 0, 0, make([]byte, 16))
	if s := exec1(tr, nd, commit, 1); s != trk|inv {
		t.Fatalf("ND: %s", stateString(s))
	}
	// An alg= without a registered helper (only FTP and TFTP are).
	if s := exec1(tr, udpFrame(A, B, 1, 2, 0), Params{Commit: true, Alg: 80}, 1); s != trk|inv {
		t.Fatalf("ALG: %s", stateString(s))
	}
	if tr.Counters().Unsupported != 1 {
		t.Error("unsupported not counted")
	}
}

func TestOtherProtocol(t *testing.T) {
	tr := New(Config{})
	gre := func(s, d string) *packet.Packet { return frame(s, d, 47, make([]byte, 8), -1) }
	runSteps(t, tr, []step{
		{"first", gre(A, B), commit, trk | nw},
		{"reply", gre(B, A), commit, trk | est | rpl},
	})
}
