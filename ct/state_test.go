package ct

import (
	"strings"
	"testing"
	"time"

	"gswitch/packet"
)

// restart exports e's tracker, encodes and decodes the state, and imports
// it into a fresh tracker whose clock starts elsewhere (another process's
// monotonic clock): e continues on the new tracker.
func (e *algEnv) restart() {
	e.t.Helper()
	b, err := MarshalState(e.tr.ExportState(e.now))
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := UnmarshalState(b)
	if err != nil {
		e.t.Fatal(err)
	}
	tr := New(Config{})
	e.now = int64(3 * time.Second) // the new process's clock
	if err := tr.ImportState(st, e.now); err != nil {
		e.t.Fatal(err)
	}
	e.tr = tr
}

// TestStateRoundTripFTPSNAT: an FTP control connection behind SNAT with a
// sequence adjustment (its PORT was rewritten one byte longer), its mark
// and label, a pending expectation and zone settings survive a restart:
// the dumps are the same, the adjustment still applies, the expectation
// still makes the data connection related and translated.
func TestStateRoundTripFTPSNAT(t *testing.T) {
	e := newAlgEnv(t)
	e.tr.SetZoneLimit(7, 100)
	if err := e.tr.SetZoneTimeouts(0, map[string]uint32{"tcp_established": 600}); err != nil {
		t.Fatal(err)
	}
	e.tr.SetZoneTCPSeqCheck(9, 0)
	ctl := Params{Commit: true, Alg: AlgFTP, NAT: natTo(NATSrc, srvNAT, 0, 0),
		SetMark: true, Mark: 0x42, MarkMask: ^uint32(0), SetLabel: true, Label: packet.U128{Hi: 1, Lo: 2}, LabelMask: packet.U128{Hi: ^uint64(0), Lo: ^uint64(0)}}
	relc := Params{Commit: true, NAT: &NAT{}}
	e.step("syn", tcp4(A, B, 20021, 21, "S", 1000, 0, ""), trk|nw|snat, ctBareNAT, ctl)
	e.step("synack", tcp4(B, srvNAT, 21, 20021, "SA", 5000, 1001, ""), trk|est|rpl|dnat, ctBareNAT)
	e.step("ack", tcp4(A, B, 20021, 21, "A", 1001, 5001, ""), trk|est|snat, ctBareNAT)
	pk := e.step("PORT", tcp4(A, B, 20021, 21, "PA", 1001, 5001, "PORT 198,51,100,1,78,72\r\n"), trk|est|snat, ctBareNAT)
	if got := payloadOf(pk); got != "PORT 203,0,113,100,78,72\r\n" {
		t.Fatalf("rewritten PORT: %q", got)
	}
	dumps := func() string {
		return e.dpctl("dump-conntrack") + e.dpctl("dump-conntrack-exp") + e.dpctl("ct-get-limits", "zone=7") +
			e.dpctl("ct-get-tcp-seq-chk")
	}
	before := dumps()
	beforeSt := e.tr.ExportState(e.now)
	e.restart()
	if after := dumps(); after != before {
		t.Fatalf("after the restart:\n%s\nbefore:\n%s", after, before)
	}
	// The time left is kept (the clocks differ).
	afterSt := e.tr.ExportState(e.now)
	if len(afterSt.Conns) != 1 || afterSt.Conns[0].Left != beforeSt.Conns[0].Left ||
		len(afterSt.Expectations) != 1 || afterSt.Expectations[0].Left != beforeSt.Expectations[0].Left {
		t.Fatalf("time left after the restart: %+v\nbefore: %+v", afterSt, beforeSt)
	}
	if !strings.Contains(before, "mark=66") || !strings.Contains(before, "labels=0x10000000000000002") {
		t.Fatalf("mark and label not in the dump:\n%s", before)
	}
	if got := e.tr.ZoneTimeouts(); got[0]["tcp_established"] != 600 {
		t.Fatalf("zone 0's timeout policy: %v", got)
	}
	// The server acknowledges 26 bytes; the client sent 25: the
	// adjustment survived.
	ack := e.step("server ack", tcp4(B, srvNAT, 21, 20021, "PA", 5001, 1027, "200 ok\r\n"), trk|est|rpl|dnat, ctBareNAT)
	if _, a := tcpSeqAck(ack); a != 1026 {
		t.Fatalf("server ack to client: %d, want 1026", a)
	}
	d := e.step("data syn", tcp4(B, srvNAT, 20, 20040, "S", 7000, 0, ""), trk|nw|rel|dnat, ctBareNAT, relc)
	if _, dst, _, dport := checkFrame(t, d); dst != A || dport != 20040 {
		t.Fatalf("data syn to %s:%d", dst, dport)
	}
}

// TestStateTCPWindowKept: the TCP window state survives: an in-window
// segment after the restart is established, one far outside it invalid;
// the reply side may send first.
func TestStateTCPWindowKept(t *testing.T) {
	e := newAlgEnv(t)
	e.step("syn", tcp4(A, B, 30000, 80, "S", 1000, 0, ""), trk|nw, ct0, ctCommit)
	e.step("synack", tcp4(B, A, 80, 30000, "SA", 5000, 1001, ""), trk|est|rpl, ct0)
	e.step("ack", tcp4(A, B, 30000, 80, "A", 1001, 5001, ""), trk|est, ct0)
	e.restart()
	if n := e.tr.Count(); n != 1 {
		t.Fatalf("%d connections after the restart", n)
	}
	e.step("reply first", tcp4(B, A, 80, 30000, "PA", 5001, 1001, "hello"), trk|est|rpl, ct0)
	e.step("beyond window", tcp4(A, B, 30000, 80, "A", 1001+65535+10, 5006, strings.Repeat("x", 1000)), trk|inv, ct0)
	e.step("in window", tcp4(A, B, 30000, 80, "A", 1001, 5006, ""), trk|est, ct0)
}

// TestStateExpiredLeftOut: a connection whose time is up is not saved,
// and a restored one expires after the time it had left.
func TestStateExpiry(t *testing.T) {
	e := newAlgEnv(t)
	e.step("udp", udp4(A, B, 4000, 53, "q"), trk|nw, ct0, ctCommit) // udp_first: 60 s
	e.restart()
	if n := len(e.tr.Conns(nil)); n != 1 {
		t.Fatalf("%d connections", n)
	}
	e.tr.Sweep(e.now + int64(59*time.Second))
	if n := len(e.tr.Conns(nil)); n != 1 {
		t.Fatalf("%d connections 59 s later", n)
	}
	e.tr.Sweep(e.now + int64(61*time.Second))
	st := e.tr.ExportState(e.now + int64(61*time.Second))
	if len(st.Conns) != 0 {
		t.Fatalf("an expired connection was exported: %+v", st.Conns)
	}
}

// TestStateImportChecks: a state that is not consistent is refused whole.
func TestStateImportChecks(t *testing.T) {
	e := newAlgEnv(t)
	e.step("udp", udp4(A, B, 4000, 53, "q"), trk|nw, ct0, ctCommit)
	st := e.tr.ExportState(e.now)
	dup := *st
	dup.Conns = append(dup.Conns, dup.Conns[0])
	tr := New(Config{})
	if err := tr.ImportState(&dup, 0); err == nil || tr.Count() != 0 {
		t.Fatalf("duplicate tuple: %v, %d connections", err, tr.Count())
	}
	bad := *st
	bad.Conns = []ConnState{st.Conns[0]}
	bad.Conns[0].Helper = "gopher"
	if err := tr.ImportState(&bad, 0); err == nil || !strings.Contains(err.Error(), "unknown helper") {
		t.Fatalf("unknown helper: %v", err)
	}
	if err := e.tr.ImportState(st, e.now); err == nil {
		t.Fatal("import into a tracker with connections")
	}
	if _, err := UnmarshalState([]byte("not gob")); err == nil {
		t.Fatal("garbage decoded")
	}
}

// BenchmarkStateSize reports the encoded size per TCP connection
// (established, with mark and label) and the time to export, encode,
// decode and import 1000 of them.
func BenchmarkStateSize(b *testing.B) {
	tr := New(Config{})
	now := int64(time.Second)
	p := Params{Commit: true, SetMark: true, Mark: 1, MarkMask: ^uint32(0)}
	const n = 1000
	for i := range n {
		sp := uint16(10000 + i)
		exec1(tr, tcp4(A, B, sp, 80, "S", 1000, 0, ""), p, now)
		exec1(tr, tcp4(B, A, 80, sp, "SA", 5000, 1001, ""), ct0, now)
		exec1(tr, tcp4(A, B, sp, 80, "A", 1001, 5001, ""), ct0, now)
	}
	if tr.Count() != n {
		b.Fatalf("%d connections", tr.Count())
	}
	var size int
	for b.Loop() {
		buf, err := MarshalState(tr.ExportState(now))
		if err != nil {
			b.Fatal(err)
		}
		size = len(buf)
		st, err := UnmarshalState(buf)
		if err != nil {
			b.Fatal(err)
		}
		if err := New(Config{}).ImportState(st, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/n, "bytes/conn")
}

// FuzzStateImport: a decoded state never panics the import; an imported
// one exports again with as many connections.
func FuzzStateImport(f *testing.F) {
	e := &algEnv{t: nil, tr: New(Config{}), now: int64(time.Second)}
	exec1(e.tr, tcp4(A, B, 20021, 21, "S", 1000, 0, ""), ctFTP, e.now)
	exec1(e.tr, udp4(A, B, 4000, 53, "q"), ctCommit, e.now)
	b, err := MarshalState(e.tr.ExportState(e.now))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := UnmarshalState(b)
		if err != nil || len(st.Conns) > 10000 {
			return
		}
		tr := New(Config{Shards: 16})
		if err := tr.ImportState(st, 1e9); err != nil {
			if tr.Count() != 0 {
				t.Fatalf("refused, yet %d connections", tr.Count())
			}
			return
		}
		if got := len(tr.ExportState(1e9).Conns); got != tr.Count() {
			t.Fatalf("exported %d of %d", got, tr.Count())
		}
	})
}

// TestStateFTPSplitCommand: a PORT command split over two segments, the
// first before the restart and the rest after it, still announces its
// data connection (the helper's half line is kept).
func TestStateFTPSplitCommand(t *testing.T) {
	e := newAlgEnv(t)
	e.step("syn", tcp4(A, B, 20021, 21, "S", 1000, 0, ""), trk|nw, ct0, ctFTP)
	e.step("synack", tcp4(B, A, 21, 20021, "SA", 5000, 1001, ""), trk|est|rpl, ct0)
	e.step("ack", tcp4(A, B, 20021, 21, "A", 1001, 5001, ""), trk|est, ct0)
	first := "PORT 198,51,100"
	e.step("PORT, first half", tcp4(A, B, 20021, 21, "PA", 1001, 5001, first), trk|est, ct0)
	e.restart()
	e.step("PORT, second half", tcp4(A, B, 20021, 21, "PA", 1001+uint32(len(first)), 5001, ",1,78,72\r\n"), trk|est, ct0)
	if got := e.dpctl("dump-conntrack-exp"); !strings.Contains(got, "dport=20040") {
		t.Fatalf("no expectation from the split PORT: %q", got)
	}
}
