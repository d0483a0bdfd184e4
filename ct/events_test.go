package ct

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// drain returns the queued events of s, one word each: type, then the
// reason or the TCP state (the later of the peers'), mark and lost count
// where they are not zero.
func drain(s *Subscription) string {
	var out []string
	for {
		select {
		case ev := <-s.Events():
			w := ev.Type.String()
			if ev.Lost != 0 {
				w = fmt.Sprintf("lost%d,", ev.Lost) + w
			}
			if ev.Reason != ReasonNone {
				w += ":" + ev.Reason.String()
			} else if ev.Conn.Proto == packet.ProtoTCP {
				w += ":" + max(ev.Conn.TCP[0].State, ev.Conn.TCP[1].State).String()
			}
			if ev.Conn.Mark != 0 {
				w += fmt.Sprintf(":mark=%d", ev.Conn.Mark)
			}
			out = append(out, w)
		default:
			return strings.Join(out, " ")
		}
	}
}

func TestEventsTCPLifecycle(t *testing.T) {
	tr := New(Config{})
	s := tr.Subscribe(nil, 0)
	defer s.Close()
	runSteps(t, tr, []step{
		{"syn", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
		{"syn retransmit", fwd(tcpSYN, 100, 0, 0), commit, trk | nw},
		{"synack", rev(tcpSYN|tcpACK, 500, 101, 0), commit, trk | est | rpl},
		{"ack", fwd(tcpACK, 101, 501, 0), commit, trk | est},
		{"data", fwd(tcpACK|tcpPSH, 101, 501, 100), commit, trk | est},
		{"fin", fwd(tcpFIN|tcpACK, 201, 501, 0), commit, trk | est},
		{"fin reply", rev(tcpFIN|tcpACK, 501, 202, 0), commit, trk | est | rpl},
		{"last ack", fwd(tcpACK, 202, 502, 0), commit, trk | est},
	})
	want := "new:SYN_SENT update:ESTABLISHED update:CLOSING update:FIN_WAIT_2"
	if got := drain(s); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	// A new SYN on the closed connection ends it (tcp_close) and starts
	// another.
	runSteps(t, tr, []step{{"new syn", fwd(tcpSYN, 9000, 0, 0), commit, trk | nw}})
	if got, want := drain(s), "destroy:tcp_close new:SYN_SENT"; got != want {
		t.Errorf("reopen events %q, want %q", got, want)
	}
	// It expires idle: timeout.
	tr.Sweep(int64(time.Hour))
	if got, want := drain(s), "destroy:timeout"; got != want {
		t.Errorf("expiry events %q, want %q", got, want)
	}
}

func TestEventsUDPMarkFlushForce(t *testing.T) {
	tr := New(Config{})
	s := tr.Subscribe(nil, 0)
	defer s.Close()
	setMark := func(m uint32) Params {
		return Params{Commit: true, SetMark: true, Mark: m, MarkMask: ^uint32(0)}
	}
	runSteps(t, tr, []step{
		{"first", udpFrame(A, B, 5000, 53, 10), commit, trk | nw},
		{"reply", udpFrame(B, A, 53, 5000, 10), commit, trk | est | rpl},
		{"mark", udpFrame(A, B, 5000, 53, 10), setMark(7), trk | est},
		{"same mark", udpFrame(A, B, 5000, 53, 10), setMark(7), trk | est},
	})
	// A mark set by a second ct in the zone (the cached path).
	pk := udpFrame(A, B, 5000, 53, 10)
	exec1(tr, pk, Params{}, int64(2*time.Second))
	exec1(tr, pk, setMark(9), int64(2*time.Second))
	if got, want := drain(s), "new update:mark=7 update:mark=9"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	tr.FlushAll()
	if got, want := drain(s), "destroy:flush:mark=9"; got != want {
		t.Errorf("flush events %q, want %q", got, want)
	}
	runSteps(t, tr, []step{
		{"a->b", udpFrame(A, B, 5000, 53, 1), commit, trk | nw},
		{"b->a force", udpFrame(B, A, 53, 5000, 1), Params{Commit: true, Force: true}, trk | nw},
	})
	if got, want := drain(s), "new destroy:force new"; got != want {
		t.Errorf("force events %q, want %q", got, want)
	}
	if c := tr.Counters(); c.Flushed != 2 {
		t.Errorf("flushed %d, want 2 (a force counts as a flush)", c.Flushed)
	}
	// Uncommitted packets make no events.
	runSteps(t, tr, []step{{"uncommitted", udpFrame(A, B, 6000, 53, 1), Params{}, trk | nw}})
	if got := drain(s); got != "" {
		t.Errorf("uncommitted: %q", got)
	}
}

func TestEventsSubscribersZonesAndLoss(t *testing.T) {
	tr := New(Config{})
	all := tr.Subscribe(nil, 0)
	z5 := tr.Subscribe(new(uint16(5)), 0)
	small := tr.Subscribe(nil, 2)
	if tr.Subscribers() != 3 {
		t.Fatalf("subscribers %d", tr.Subscribers())
	}
	for i := range 5 {
		exec1(tr, udpFrame(A, B, uint16(7000+i), 53, 1), Params{Commit: true, Zone: uint16(i)}, int64(time.Second))
	}
	if got, want := drain(all), "new new new new new"; got != want {
		t.Errorf("all: %q, want %q", got, want)
	}
	if got := drain(z5); got != "" {
		t.Errorf("zone 5 got %q before any zone-5 event", got)
	}
	if got, want := drain(small), "new new"; got != want {
		t.Errorf("small queue: %q, want %q", got, want)
	}
	if tr.EventsLost() != 3 {
		t.Errorf("lost %d, want 3", tr.EventsLost())
	}
	// The next event delivered carries the loss before it.
	exec1(tr, udpFrame(A, B, 7100, 53, 1), Params{Commit: true, Zone: 5}, int64(time.Second))
	if got, want := drain(small), "lost3,new"; got != want {
		t.Errorf("small after loss: %q, want %q", got, want)
	}
	if got, want := drain(z5), "new"; got != want {
		t.Errorf("zone 5: %q, want %q", got, want)
	}
	drain(all)
	// A loss no event has carried yet is taken by the reader.
	for i := range 3 {
		exec1(tr, udpFrame(A, B, uint16(7200+i), 53, 1), commit, int64(time.Second))
	}
	drain(small)
	if n := small.TakeLost(); n != 1 {
		t.Errorf("TakeLost %d, want 1", n)
	}
	small.Close()
	small.Close()
	z5.Close()
	all.Close()
	if tr.Subscribers() != 0 || tr.watching() != nil {
		t.Errorf("subscribers left: %d", tr.Subscribers())
	}
}

// Without subscribers the event hook costs no allocation on the packet
// path (the benchmark BenchmarkExecute shows its time).
func TestEventsNoSubscriberNoAllocs(t *testing.T) {
	tr := New(Config{})
	established(t, tr)
	pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
	batch := []*packet.Packet{pk}
	out := make([]*packet.Packet, 0, 1)
	p := &Params{Commit: true, SetMark: true, Mark: 1, MarkMask: 1}
	testutil.RequireNoAllocs(t, "Execute without subscribers", func() {
		pk.Conn = nil
		out = tr.Execute(batch, out[:0], p, 2e9)
	})
}

// BenchmarkExecuteWatched is BenchmarkExecute's established case with a
// ct-events subscriber (nothing changes, so no event is sent: the cost of
// watching), and its new case, where every packet commits a connection and
// sends a NEW event to a subscriber that drains its queue.
func BenchmarkExecuteWatched(b *testing.B) {
	b.Run("established", func(b *testing.B) {
		tr := New(Config{})
		established(&testing.T{}, tr)
		s := tr.Subscribe(nil, 0)
		defer s.Close()
		pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
		batch := []*packet.Packet{pk}
		out := make([]*packet.Packet, 0, 1)
		p := &Params{Commit: true}
		b.ReportAllocs()
		for b.Loop() {
			pk.Conn = nil
			out = tr.Execute(batch, out[:0], p, 2e9)
		}
	})
	b.Run("new", func(b *testing.B) {
		tr := New(Config{MaxConns: 1 << 30})
		s := tr.Subscribe(nil, 0)
		defer s.Close()
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-s.Events():
				case <-done:
					return
				}
			}
		}()
		defer close(done)
		pk := udpFrame(A, B, 1, 53, 0)
		l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
		pk.Data[l4+6], pk.Data[l4+7] = 0, 0
		batch := []*packet.Packet{pk}
		out := make([]*packet.Packet, 0, 1)
		p := &Params{Commit: true}
		var i uint32
		b.ReportAllocs()
		for b.Loop() {
			i++
			pk.Data[l3+14], pk.Data[l3+15] = byte(i>>24), byte(i>>16)
			pk.Data[l4], pk.Data[l4+1] = byte(i>>8), byte(i)
			pk.Conn = nil
			out = tr.Execute(batch, out[:0], p, 1)
		}
	})
}

func TestZoneCounters(t *testing.T) {
	tr := New(Config{})
	tr.SetZoneLimit(7, 1)
	if _, ok := tr.ZoneCounters(7); ok {
		t.Fatal("counters before any traffic")
	}
	exec1(tr, udpFrame(A, B, 1, 53, 1), Params{Commit: true, Zone: 7}, int64(time.Second))
	exec1(tr, udpFrame(A, B, 2, 53, 1), Params{Commit: true, Zone: 7}, int64(time.Second))
	exec1(tr, udpFrame(A, B, 0, 53, 1), Params{Commit: true, Zone: 7}, int64(time.Second)) // port 0: +inv
	exec1(tr, udpFrame(A, B, 3, 53, 1), Params{Commit: true, Zone: 300}, int64(time.Second))
	if zc, ok := tr.ZoneCounters(7); !ok || zc != (ZoneCounters{Commits: 1, LimitDrops: 1, Invalid: 1}) {
		t.Errorf("zone 7: %+v %v", zc, ok)
	}
	if zc, ok := tr.ZoneCounters(300); !ok || zc != (ZoneCounters{Commits: 1}) {
		t.Errorf("zone 300: %+v %v", zc, ok)
	}
	if _, ok := tr.ZoneCounters(8); ok {
		t.Error("zone 8 counted")
	}
}
