package ct

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/packet"
)

// These tests stall a goroutine where it holds a connection it found under
// a lock it has released (testHook), remove that connection and let
// another take its slot (a fake clock makes reuseGrace pass at once), then
// let the goroutine go on: it must act on nothing of the slot's new
// tenant, and its packet must fare as a packet whose connection is gone.

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// fakeClock is a Config.Clock the test moves by hand.
type fakeClock struct{ ns atomic.Int64 }

func (f *fakeClock) now() int64 { return f.ns.Load() }

// pastGrace moves the clock beyond reuseGrace and returns the new time.
func (f *fakeClock) pastGrace() int64 { return f.ns.Add(reuseGrace + int64(time.Second)) }

// stallAt makes the first goroutine that reaches site wait there: the
// returned channel is closed once it waits, and release lets it go on.
func stallAt(t *testing.T, site hookSite) (stalled <-chan struct{}, release func()) {
	t.Helper()
	st, rel := make(chan struct{}), make(chan struct{})
	var armed atomic.Bool
	armed.Store(true)
	testHook = func(s hookSite) {
		if s == site && armed.CompareAndSwap(true, false) {
			close(st)
			<-rel
		}
	}
	var once sync.Once
	release = func() { once.Do(func() { close(rel) }) }
	t.Cleanup(func() {
		release()
		testHook = nil
	})
	return st, release
}

// waitStalled waits for the stalled goroutine (bounded).
func waitStalled(t *testing.T, stalled <-chan struct{}) {
	t.Helper()
	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the goroutine never reached the hook")
	}
}

// slotOf returns the slot and generation of the connection cached in pk.
func slotOf(t *testing.T, tr *Tracker, pk *packet.Packet) (uint32, uint32) {
	t.Helper()
	c, _, _ := cachedConn(pk)
	if c == nil {
		t.Fatal("no connection cached")
	}
	return c.idx, pk.ConnGen
}

// tcpOpen opens an established TCP connection src:sport -> dst:80 with
// commit params p; it returns the last packet (its connection cached).
func tcpOpen(t *testing.T, tr *Tracker, src, dst string, sport uint16, p Params, now int64) *packet.Packet {
	t.Helper()
	mk := func(s, d string, sp, dp, fl uint16, seq, ack uint32) *packet.Packet {
		return tcpFrame(seg{src: s, dst: d, sport: sp, dport: dp, flags: fl, seq: seq, ack: ack, wscale: -1})
	}
	for i, x := range []struct {
		pk   *packet.Packet
		want uint32
	}{
		{mk(src, dst, sport, 80, tcpSYN, 100, 0), trk | nw},
		{mk(dst, src, 80, sport, tcpSYN|tcpACK, 500, 101), trk | est | rpl},
		{mk(src, dst, sport, 80, tcpACK, 101, 501), trk | est},
	} {
		if got := exec1(tr, x.pk, p, now); got != x.want {
			t.Fatalf("%s:%d open step %d: %s", src, sport, i, stateString(got))
		}
		if i == 2 {
			return x.pk
		}
	}
	return nil
}

// connView is what a test compares of one connection.
type connView struct {
	Conn
	idx, gen uint32
}

// viewOf returns the connection whose original source port is sport.
func viewOf(t *testing.T, tr *Tracker, sport uint16) connView {
	t.Helper()
	for _, c := range tr.entries(nil, tr.Now()) {
		if c.key.sport == sport {
			v := connView{Conn: Conn{Mark: c.mark, Label: c.label, TCP: [2]TCPPeer{tcpPeerOf(&c.tcp[0]), tcpPeerOf(&c.tcp[1])}},
				idx: c.idx, gen: c.gen}
			v.Timeout = time.Duration(c.exp.Load()) // the deadline itself
			return v
		}
	}
	t.Fatalf("no connection from port %d", sport)
	return connView{}
}

// tcpPeersRaw returns the full TCP tracking state (windows included) of
// the connection from port sport.
func tcpPeersRaw(t *testing.T, tr *Tracker, sport uint16) [2]tcpPeer {
	t.Helper()
	for _, c := range tr.entries(nil, tr.Now()) {
		if c.key.sport == sport {
			return c.tcp
		}
	}
	t.Fatalf("no connection from port %d", sport)
	return [2]tcpPeer{}
}

const (
	cSrc = "203.0.113.5" // the new tenant's addresses
	cDst = "203.0.113.6"
)

var markDead = Params{Commit: true, SetMark: true, Mark: 0xdead, MarkMask: ^uint32(0)}

// reuseSetup makes connection X (A:1000 -> B:80, established), removes it
// with remove (called with X's packet) and opens Y (cSrc:2000 -> cDst:80,
// mark 7) in X's freed slot, after the grace period. It checks that Y got
// X's slot with another generation and returns Y's view.
func reuseSetup(t *testing.T, tr *Tracker, clk *fakeClock, xIdx, xGen uint32, remove func()) connView {
	t.Helper()
	remove()
	now := clk.pastGrace()
	tcpOpen(t, tr, cSrc, cDst, 2000, Params{Commit: true, SetMark: true, Mark: 7, MarkMask: ^uint32(0)}, now)
	y := viewOf(t, tr, 2000)
	if y.idx != xIdx || y.gen == xGen {
		t.Fatalf("Y in slot %d gen %d, X was in slot %d gen %d: the test needs the slot reused", y.idx, y.gen, xIdx, xGen)
	}
	return y
}

// newReuseTracker is a one-shard tracker (freed slots are reused in FIFO
// order) on a fake clock, with connection X open; it returns X's last
// packet.
func newReuseTracker(t *testing.T) (*Tracker, *fakeClock, *packet.Packet) {
	t.Helper()
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 1, Clock: clk.now})
	x := tcpOpen(t, tr, A, B, 1000, commit, clk.now())
	return tr, clk, x
}

// TestReuseDelayedPacket: a packet whose goroutine stalls between the
// lookup that found its connection X and X's lock, while X is flushed and
// Y takes X's slot, leaves Y as it was (TCP state, mark, timeout) and
// fares as a packet of a connection that is gone: the same ct_state, mark
// and tuple as on a tracker that never had X (commit picks the TCP
// connection up again, as OVS).
func TestReuseDelayedPacket(t *testing.T) {
	for _, tc := range []struct {
		name string
		site hookSite
		p    Params
	}{
		{"established", hookLookup, markDead},
		{"no commit", hookLookup, Params{}},
		// Force on a reply: the delayed goroutine's removal must not
		// take Y.
		{"force reply", hookLookup, Params{Commit: true, Force: true, SetMark: true, Mark: 0xdead, MarkMask: ^uint32(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, clk, x := newReuseTracker(t)
			xIdx, xGen := slotOf(t, tr, x)
			pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
			if tc.p.Force {
				pk = rev(tcpACK|tcpPSH, 501, 101, 100)
			}
			ref := New(Config{Shards: 1})
			refPk := pk.Clone()
			stalled, release := stallAt(t, tc.site)
			done := make(chan uint32)
			go func() { done <- exec1(tr, pk, tc.p, clk.now()) }()
			waitStalled(t, stalled)
			y := reuseSetup(t, tr, clk, xIdx, xGen, func() {
				if n := tr.FlushAll(); n != 1 {
					t.Errorf("flushed %d", n)
				}
			})
			yTCP := tcpPeersRaw(t, tr, 2000)
			created := tr.Counters().Created
			release()
			var got uint32
			select {
			case got = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the delayed packet never finished")
			}
			if y2 := viewOf(t, tr, 2000); y2 != y || tcpPeersRaw(t, tr, 2000) != yTCP {
				t.Fatalf("Y changed by the delayed packet:\n%+v\n%+v", y, y2)
			}
			want := exec1(ref, refPk, tc.p, clk.now())
			if got != want || pk.Key.CtMark() != refPk.Key.CtMark() || pk.Key.W.CtNwSrc() != refPk.Key.W.CtNwSrc() ||
				pk.Key.W.CtTpSrc() != refPk.Key.W.CtTpSrc() {
				t.Fatalf("delayed packet: %s mark %#x, want %s mark %#x (as with no connection)",
					stateString(got), pk.Key.CtMark(), stateString(want), refPk.Key.CtMark())
			}
			if d, w := tr.Counters().Created-created, ref.Counters().Created; d != w {
				t.Fatalf("delayed packet created %d connections, want %d", d, w)
			}
			if c, _, _ := cachedConn(pk); c != nil && c.key.sport == 2000 {
				t.Fatal("the delayed packet cached Y")
			}
			checkInvariants(t, tr)
		})
	}
}

// TestReuseDelayedInsert: a goroutine that created connection X and
// stalls before it takes X's lock (for the mark of its commit) while X is
// flushed and Y takes its slot, leaves Y's mark alone; its packet stays
// +trk+new without a connection, as one that lost an insert race.
func TestReuseDelayedInsert(t *testing.T) {
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 1, Clock: clk.now})
	// A slot to reuse: X's is the first.
	stalled, release := stallAt(t, hookInserted)
	pk := udpFrame(A, B, 1000, 53, 0)
	done := make(chan uint32)
	go func() { done <- exec1(tr, pk, markDead, clk.now()) }()
	waitStalled(t, stalled)
	var xIdx, xGen uint32
	for _, c := range tr.entries(nil, clk.now()) {
		xIdx, xGen = c.idx, c.gen
	}
	y := reuseSetup(t, tr, clk, xIdx, xGen, func() { tr.FlushAll() })
	release()
	if got := <-done; got != trk|nw {
		t.Fatalf("delayed commit: %s", stateString(got))
	}
	if y2 := viewOf(t, tr, 2000); y2 != y {
		t.Fatalf("Y changed: %+v, was %+v", y2, y)
	}
	if c, _, _ := cachedConn(pk); c != nil {
		t.Fatal("a connection is cached for a packet whose connection is gone")
	}
	checkInvariants(t, tr)
}

// TestReuseStaleCachedConn: a packet whose cached connection (Packet.Conn)
// was removed, its slot reused by Y, is looked up afresh: the same
// result, and the same effect on Y, as the same packet with nothing
// cached. Y has another tuple, or X's own (a new connection of the same
// tuple: the tuple compare of the cache would then pass, the generation
// does not).
func TestReuseStaleCachedConn(t *testing.T) {
	for _, same := range []bool{false, true} {
		t.Run(fmt.Sprintf("same tuple=%v", same), func(t *testing.T) {
			// Two trackers with the same history; in tr the packet
			// carries its stale cached connection, in ref nothing.
			var results [2]struct {
				state, mark uint32
				y           connView
				tcp         [2]tcpPeer
			}
			for i := range results {
				tr, clk, _ := newReuseTracker(t)
				pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
				if st := exec1(tr, pk, Params{}, clk.now()); st != trk|est {
					t.Fatalf("first pass: %s", stateString(st))
				}
				xIdx, xGen := slotOf(t, tr, pk)
				tr.FlushAll()
				now := clk.pastGrace()
				src, ysport := cSrc, uint16(2000)
				if same {
					src, ysport = A, 1000
				}
				mk := func(s, d string, sp, dp, fl uint16, seq, ack uint32) *packet.Packet {
					return tcpFrame(seg{src: s, dst: d, sport: sp, dport: dp, flags: fl, seq: seq, ack: ack, wscale: -1})
				}
				// Y: a SYN only (SYN_SENT), mark 7.
				if st := exec1(tr, mk(src, B, ysport, 80, tcpSYN, 9000, 0), Params{Commit: true, SetMark: true, Mark: 7, MarkMask: ^uint32(0)}, now); st != trk|nw {
					t.Fatalf("Y syn: %s", stateString(st))
				}
				y := viewOf(t, tr, ysport)
				if y.idx != xIdx || y.gen == xGen {
					t.Fatalf("Y in slot %d gen %d, X in %d gen %d", y.idx, y.gen, xIdx, xGen)
				}
				yTCP := tcpPeersRaw(t, tr, ysport)
				if i == 1 {
					pk.Conn = nil
				}
				r := &results[i]
				r.state = exec1(tr, pk, markDead, now)
				r.mark = pk.Key.CtMark()
				r.y, r.tcp = viewOf(t, tr, ysport), tcpPeersRaw(t, tr, ysport)
				if !same && (r.y != y || r.tcp != yTCP) {
					t.Fatalf("Y touched: %+v, was %+v", r.y, y)
				}
				checkInvariants(t, tr)
			}
			if results[0] != results[1] {
				t.Fatalf("stale cached connection: %+v\nnothing cached: %+v", results[0], results[1])
			}
		})
	}
}

// TestReuseDelayedFlushTuple: a flush by tuple stalled between its lookup
// and its removal, while its connection X goes and Y takes X's slot,
// removes nothing and says there was no such connection.
func TestReuseDelayedFlushTuple(t *testing.T) {
	tr, clk, x := newReuseTracker(t)
	xIdx, xGen := slotOf(t, tr, x)
	stalled, release := stallAt(t, hookFlushTuple)
	type res struct {
		n   int
		err error
	}
	done := make(chan res)
	f := FlushFilter{Proto: packet.ProtoTCP, Orig: FlushTuple{Src: addr(A), Dst: addr(B), SrcPort: 1000, DstPort: 80}}
	go func() {
		n, err := tr.FlushMatching(f)
		done <- res{n, err}
	}()
	waitStalled(t, stalled)
	y := reuseSetup(t, tr, clk, xIdx, xGen, func() { tr.FlushZone(0) })
	release()
	if r := <-done; r.n != 0 || r.err != ErrNoConn {
		t.Fatalf("delayed flush: %d, %v", r.n, r.err)
	}
	if tr.Count() != 1 || viewOf(t, tr, 2000) != y {
		t.Fatal("the delayed flush took Y")
	}
	checkInvariants(t, tr)
}

// TestReuseDelayedCrossRemoval: a flush that stalls before it removes a
// connection X whose NATed reply key is in another shard (removed after
// the shard's lock is released), while X goes and Y takes X's slot,
// leaves Y in the table.
func TestReuseDelayedCrossRemoval(t *testing.T) {
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 64, Clock: clk.now})
	// X: a NATed UDP connection whose reply key is in another shard (the
	// others made on the way stay: nothing is freed before X).
	var xs *conn
	for sp := uint16(1000); xs == nil; sp++ {
		if sp == 2000 {
			t.Fatal("no NATed connection crosses shards")
		}
		exec1(tr, udpFrame(A, B, sp, 53, 0), Params{Commit: true, NAT: natTo(NATSrc, srvNAT, 0, 0)}, clk.now())
		for _, c := range tr.entries(nil, clk.now()) {
			if c.key.sport == sp && tr.shardOf(&c.key) != tr.shardOf(&c.rkey) {
				xs = c
			}
		}
	}
	xIdx, xGen, xShard := xs.idx, xs.gen, tr.shardOf(&xs.key)
	others := tr.Count() - 1
	stalled, release := stallAt(t, hookCross)
	done := make(chan int)
	go func() { done <- tr.Flush(FlushFilter{Proto: packet.ProtoUDP, Orig: FlushTuple{SrcPort: xs.key.sport}}) }()
	waitStalled(t, stalled)
	// X goes; Y, in X's shard (so that X's slot is the one it gets),
	// takes the slot.
	if n, err := tr.FlushMatching(FlushFilter{Proto: packet.ProtoUDP, Orig: FlushTuple{Src: addr(A), Dst: addr(B), SrcPort: xs.key.sport, DstPort: 53}}); n != 1 || err != nil {
		t.Fatalf("flush X: %d %v", n, err)
	}
	now := clk.pastGrace()
	var y *conn
	for sp := uint16(3000); y == nil; sp++ {
		if sp == 9000 {
			t.Fatal("no tuple in X's shard")
		}
		pk := udpFrame(cSrc, cDst, sp, 53, 0)
		var ctx lookupCtx
		if !extract(pk, 0, &ctx) || tr.shardOf(&ctx.key) != xShard {
			continue
		}
		exec1(tr, pk, Params{Commit: true, SetMark: true, Mark: 7, MarkMask: ^uint32(0)}, now)
		for _, c := range tr.entries(nil, now) {
			if c.key.sport == sp {
				y = c
			}
		}
	}
	if y.idx != xIdx || y.gen == xGen {
		t.Fatalf("Y in slot %d gen %d, X in %d gen %d", y.idx, y.gen, xIdx, xGen)
	}
	release()
	if n := <-done; n != 0 {
		t.Fatalf("the delayed flush removed %d", n)
	}
	found := false
	for _, c := range tr.entries(nil, now) {
		if c.idx == y.idx {
			found = c.mark == 7 && c.key == y.key
		}
	}
	if !found || tr.Count() != others+1 {
		t.Fatalf("Y gone or changed (%d connections)", tr.Count())
	}
	checkInvariants(t, tr)
}

// TestReuseDelayedDump: a dump that stalls before it looks up the ALG
// state of a related connection R (its parent), while R goes and a
// related connection of another master takes its slot, reports no parent
// rather than the new one's.
func TestReuseDelayedDump(t *testing.T) {
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 1, Clock: clk.now})
	// ftpData opens an FTP control connection from cport and the data
	// connection its PORT announces; it returns the data connection's
	// client port.
	ftpData := func(cport uint16, now int64) uint16 {
		ctl := Params{Commit: true, Alg: AlgFTP}
		exec1(tr, tcp4(A, B, cport, 21, "S", 1000, 0, ""), ctl, now)
		exec1(tr, tcp4(B, A, 21, cport, "SA", 5000, 1001, ""), ct0, now)
		exec1(tr, tcp4(A, B, cport, 21, "A", 1001, 5001, ""), ct0, now)
		dport := cport + 1000
		port := fmt.Sprintf("PORT 198,51,100,1,%d,%d\r\n", dport>>8, dport&0xff)
		exec1(tr, tcp4(A, B, cport, 21, "PA", 1001, 5001, port), ct0, now)
		if st := exec1(tr, tcp4(B, A, 20, dport, "S", 7000, 0, ""), ctCommit, now); st != trk|nw|rel {
			t.Fatalf("data syn: %s", stateString(st))
		}
		return dport
	}
	d1 := ftpData(20021, clk.now())
	stalled, release := stallAt(t, hookDump)
	done := make(chan []Conn)
	go func() { done <- tr.Conns(nil) }()
	waitStalled(t, stalled)
	// The control connection goes, then R; the next FTP session's
	// control and data connections take their slots in that order (a
	// shard's freed slots are reused first in, first out): its data
	// connection takes R's.
	var rIdx, rGen uint32
	for _, c := range tr.entries(nil, clk.now()) {
		if c.related {
			rIdx, rGen = c.idx, c.gen
		}
	}
	for _, o := range []FlushTuple{{Src: addr(A), Dst: addr(B), SrcPort: 20021, DstPort: 21}, {Src: addr(B), Dst: addr(A), SrcPort: 20, DstPort: d1}} {
		if n, err := tr.FlushMatching(FlushFilter{Proto: packet.ProtoTCP, Orig: o}); n != 1 || err != nil {
			t.Fatalf("flush %+v: %d %v", o, n, err)
		}
	}
	now := clk.pastGrace()
	ftpData(30021, now)
	var taken bool
	for _, c := range tr.entries(nil, now) {
		if c.related && c.idx == rIdx && c.gen != rGen {
			taken = true
		}
	}
	if !taken {
		t.Fatal("the new data connection did not take R's slot")
	}
	release()
	for _, c := range <-done {
		if c.Orig.DstPort == d1 && c.Parent != nil && c.Parent.SrcPort != 20021 {
			t.Fatalf("R reported with the new tenant's parent %+v", *c.Parent)
		}
	}
}

// TestReuseConcurrent runs packets of many connections (looked up and
// cached) on several goroutines while another flushes and recreates them
// and moves the clock past the grace period every round, so slots are
// reused all the time; every packet commits its connection's own mark
// (its source port). Under go test -race, the race detector and the lock
// checks watch every access; at the end no connection carries another's
// mark and the table is consistent. Bounded: a fixed number of rounds.
func TestReuseConcurrent(t *testing.T) {
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 2, Clock: clk.now})
	const conns, rounds, workers = 32, 150, 3
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; !stop.Load() && i < 20000; i++ {
				sp := uint16(1000 + (i*7+g)%conns)
				p := Params{Commit: true, SetMark: true, Mark: uint32(sp), MarkMask: ^uint32(0)}
				pk := udpFrame(A, B, sp, 53, 0)
				exec1(tr, pk, p, clk.now())
				if m := pk.Key.CtMark(); m != uint32(sp) && m != 0 {
					t.Errorf("packet of port %d saw mark %d", sp, m)
					return
				}
				// The cached path, possibly after the connection went.
				exec1(tr, pk, p, clk.now())
				if m := pk.Key.CtMark(); m != uint32(sp) && m != 0 {
					t.Errorf("cached packet of port %d saw mark %d", sp, m)
					return
				}
				if i%64 == 0 {
					tr.Conns(nil)
				}
			}
		}(g)
	}
	for r := 0; r < rounds; r++ {
		switch r % 3 {
		case 0:
			tr.FlushAll()
		case 1:
			tr.Flush(FlushFilter{Proto: packet.ProtoUDP, Orig: FlushTuple{SrcPort: uint16(1000 + r%conns)}})
		default:
			tr.Sweep(clk.now() + int64(time.Hour))
		}
		clk.pastGrace()
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	for _, c := range tr.entries(nil, clk.now()) {
		if c.mark != uint32(c.key.sport) {
			t.Fatalf("connection from port %d carries mark %d", c.key.sport, c.mark)
		}
	}
	checkInvariants(t, tr)
}

// TestReuseDelayedHelperPacket: an FTP control packet (a PORT command)
// whose goroutine stalls between its lookup and the connection's lock
// while the control connection is flushed (its expectations with it)
// adds no expectation when it goes on: its helper does not run for a
// connection that is gone, nor for the slot's next tenant.
func TestReuseDelayedHelperPacket(t *testing.T) {
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 1, Clock: clk.now})
	now := clk.now()
	exec1(tr, tcp4(A, B, 20021, 21, "S", 1000, 0, ""), ctFTP, now)
	exec1(tr, tcp4(B, A, 21, 20021, "SA", 5000, 1001, ""), ct0, now)
	exec1(tr, tcp4(A, B, 20021, 21, "A", 1001, 5001, ""), ct0, now)
	stalled, release := stallAt(t, hookLookup)
	done := make(chan uint32)
	pk := tcp4(A, B, 20021, 21, "PA", 1001, 5001, "PORT 198,51,100,1,78,72\r\n")
	go func() { done <- exec1(tr, pk, ct0, now) }()
	waitStalled(t, stalled)
	tr.FlushAll()
	// The slot's next tenant: another FTP control connection.
	now = clk.pastGrace()
	exec1(tr, tcp4(cSrc, cDst, 20022, 21, "S", 1000, 0, ""), ctFTP, now)
	release()
	if st := <-done; st != trk|nw {
		t.Fatalf("delayed PORT: %s, want +trk+new (its connection is gone)", stateString(st))
	}
	if n := tr.Expectations(); n != 0 {
		t.Fatalf("%d expectations after the master went", n)
	}
	checkInvariants(t, tr)
}

// TestReuseFragmentsCarryGen: the fragments of a tracked datagram carry
// its connection with the connection's generation (here not 0: the slot
// had a tenant before), as the datagram does.
func TestReuseFragmentsCarryGen(t *testing.T) {
	clk := &fakeClock{}
	clk.ns.Store(int64(time.Second))
	tr := New(Config{Shards: 1, Clock: clk.now})
	exec1(tr, udpFrame(A, B, 4000, 53, 0), commit, clk.now())
	tr.FlushAll()
	now := clk.pastGrace()
	var out []*packet.Packet
	for _, f := range fragments(udpFrame(A, B, 5000, 53, 3000), 1400) {
		out = tr.Execute([]*packet.Packet{f}, out, &commit, now)
	}
	es := tr.entries(nil, now)
	if len(out) != 3 || len(es) != 1 || es[0].gen == 0 {
		t.Fatalf("%d fragments, %d connections", len(out), len(es))
	}
	for i, f := range out {
		if c, _, _ := cachedConn(f); c == nil || c.idx != es[0].idx || f.ConnGen != es[0].gen {
			t.Fatalf("fragment %d: connection %v generation %d, want slot %d generation %d", i, c != nil, f.ConnGen, es[0].idx, es[0].gen)
		}
	}
}
