package datapath

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"gswitch/packet"
	"gswitch/ports"
	"gswitch/ports/porttest"
)

// observedBridge is e.bridge with a logger whose warnings the test reads.
func (e *env) observedBridge(t *testing.T, devs ...ports.Port) (*Bridge, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.WarnLevel)
	return e.startBridge(t, Config{Logger: zap.New(core)}, devs...), logs
}

// dropLine returns the reason's count in the drop warnings naming port
// (their sum), and whether there was one.
func dropLine(logs *observer.ObservedLogs, port string, reason ports.DropReason) (uint64, bool) {
	var n uint64
	found := false
	for _, e := range logs.FilterMessageSnippet("port dropped packets").All() {
		m := e.ContextMap()
		if m["port"] != port {
			continue
		}
		if v, ok := m[reason.String()].(uint64); ok {
			n += v
			found = true
		}
	}
	return n, found
}

// A GSO frame to a port without offload is cut in software, each segment
// within the MTU; one whose segments exceed the output's MTU (its MSS from
// a jumbo-frame link) is dropped segment by segment as too big, counted
// and logged naming the port, and the other ports go on.
func TestGSOToPortWithoutOffload(t *testing.T) {
	e := newEnv(t)
	p1, p4 := porttest.New("p1"), porttest.New("p4")
	p2 := porttest.New("p2", porttest.NoOffload(), porttest.MTU(1500), porttest.QueueLen(256))
	p3 := porttest.New("p3", porttest.NoOffload(), porttest.MTU(1500), porttest.QueueLen(256))
	b, logs := e.observedBridge(t, p1, p2, p3, p4)
	addFlow(t, b, 10, 1, out(2))
	addFlow(t, b, 10, 4, out(3))

	gso, _ := offloadFrame(t, false, "A", 30*1448, 1448)
	p1.Inject(gso.Data, gso.Off)
	for i := range 30 {
		select {
		case f := <-p2.Sent():
			if len(f.Data) > 1514 || ports.HasOffload(&f.Off) {
				t.Fatalf("segment %d: %d bytes, offload %+v", i, len(f.Data), f.Off)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("p2 got %d segments of 30", i)
		}
	}
	if st := b.Ports()[1].Stats; st.TxSegmented != 1 || st.TxPackets != 30 || st.TxDrops != 0 {
		t.Errorf("p2 %+v, want 1 frame segmented into 30", st)
	}

	jumbo, _ := offloadFrame(t, false, "A", 5*8948, 8948)
	p4.Inject(jumbo.Data, jumbo.Off)
	var st ports.Stats
	waitFor(t, "p3's too-big drops", func() bool {
		st = b.Ports()[2].Stats
		return st.Drops[ports.DropTxTooBig] == 5
	})
	if st.TxPackets != 0 || st.TxDrops != 5 {
		t.Errorf("p3 %+v, want 5 segments dropped as too big", st)
	}
	b.logDrops(b.now())
	if n, ok := dropLine(logs, "p3", ports.DropTxTooBig); !ok || n == 0 || n > 5 {
		t.Errorf("no drop warning naming p3 with tx_too_big (got %d, %v): %v", n, ok, logs.All())
	}
	// p1 to p2 goes on.
	p1.Inject(frame(1), packet.Offload{})
	expect(t, p2, 1)
}

// A full transmit queue: what does not fit is dropped (tx_full), counted,
// logged once naming the port (not once per packet), and forwarding to
// the other port goes on.
func TestFullPortLogged(t *testing.T) {
	e := newEnv(t)
	const n = 300
	p1, p2 := porttest.New("p1"), porttest.New("p2", porttest.QueueLen(n+10))
	p3 := porttest.New("p3", porttest.QueueLen(4))
	b, logs := e.observedBridge(t, p1, p2, p3)
	addFlow(t, b, 10, 1, out(3), out(2))
	for i := range n {
		for !p1.Inject(frame(i), packet.Offload{}) {
			time.Sleep(time.Millisecond)
		}
	}
	expect(t, p2, n)
	waitFor(t, "p3's drops", func() bool { return b.Ports()[2].Stats.Drops[ports.DropTxFull] == n-4 })
	b.logDrops(b.now())
	b.logDrops(b.now()) // within DropLogInterval: no second line
	if c, ok := dropLine(logs, "p3", ports.DropTxFull); !ok || c == 0 || c > n-4 {
		t.Fatalf("drop warning for p3: %d, %v: %v", c, ok, logs.All())
	}
	if l := logs.FilterMessageSnippet("port dropped packets").Len(); l > 2 {
		t.Errorf("%d drop warnings, want at most 2 (the timer's and ours)", l)
	}
	if _, ok := dropLine(logs, "p2", ports.DropTxFull); ok {
		t.Error("a drop warning for p2, which dropped nothing")
	}
}

// A port whose device goes away under load (its writes fail from then on)
// loses its packets, handed-over ones included, without a stall: the other
// output of the same flow gets every frame.
func TestPortGoesAwayUnderLoad(t *testing.T) {
	e := newEnv(t)
	const n = 3000
	p1, p2, p3 := porttest.New("p1"), porttest.New("p2", porttest.QueueLen(n+10)), porttest.New("p3", porttest.QueueLen(n+10))
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 10, 1, out(3), out(2)) // p2's copy is the handed-over packet
	go func() {
		for i := range n {
			if i == n/4 {
				p2.Close()
			}
			for !p1.Inject(frame(i), packet.Offload{}) {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	expect(t, p3, n)
	if c := b.Pipeline().Counters()["datapath_output_handed_over"]; c != n {
		t.Errorf("handed over %d, want %d", c, n)
	}
	// Nothing is left queued for p2; what it lost is counted.
	waitFor(t, "p2's queue to empty", func() bool { return b.tab.Load().byNo[2].npend.Load() == 0 })
	if st := b.Ports()[1].Stats; st.TxPackets+st.TxDrops != n || st.Drops[ports.DropTxError] == 0 {
		t.Errorf("p2 %+v: want every frame sent or dropped (tx_error after the close)", st)
	}
}

// downPort is a porttest port whose device also reports drops of a port
// that is down (a TAP answering EIO).
type downPort struct {
	*porttest.Port
	down uint64
}

func (d *downPort) Stats() ports.Stats {
	st := d.Port.Stats()
	st.Drops[ports.DropTxDown] += d.down
	st.TxDrops += d.down
	return st
}

// A port that is down drops what is sent to it (tx_down) without a
// warning, as OVS says nothing of an internal port nobody brought up; its
// other drops are still reported, without the tx_down count.
func TestDownPortNotLogged(t *testing.T) {
	e := newEnv(t)
	p2 := &downPort{Port: porttest.New("p2"), down: 5}
	b, logs := e.observedBridge(t, porttest.New("p1"), p2)
	b.logDrops(b.now())
	if l := logs.FilterMessageSnippet("port dropped packets").Len(); l != 0 {
		t.Fatalf("%d drop warnings for a port that is down: %v", l, logs.All())
	}
	if st := b.Ports()[1].Stats; st.Drops[ports.DropTxDown] != 5 || st.TxDrops != 5 {
		t.Errorf("p2 %+v: want its 5 tx_down drops counted", st)
	}
	b.tab.Load().byNo[2].qdrops.Add(3) // the output queue was full: a fault to report
	b.logDrops(b.now() + int64(DropLogInterval))
	if c, ok := dropLine(logs, "p2", ports.DropTxQueueFull); !ok || c != 3 {
		t.Errorf("tx_queue_full warning for p2: %d, %v: %v", c, ok, logs.All())
	}
	if _, ok := dropLine(logs, "p2", ports.DropTxDown); ok {
		t.Error("the warning names tx_down")
	}
}

// With Config.NoDropLog (database mode, which logs drops in OVS's words)
// the bridge's timer writes no drop warning, though drops are counted.
func TestNoDropLog(t *testing.T) {
	e := newEnv(t)
	core, logs := observer.New(zap.WarnLevel)
	p1, p2 := porttest.New("p1"), porttest.New("p2", porttest.QueueLen(4))
	b := e.startBridge(t, Config{Logger: zap.New(core), NoDropLog: true}, p1, p2)
	addFlow(t, b, 10, 1, out(2))
	for i := range 50 {
		for !p1.Inject(frame(i), packet.Offload{}) {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(t, "p2's drops", func() bool { return b.Ports()[1].Stats.TxDrops > 0 })
	time.Sleep(2500 * time.Millisecond) // two ticks of the bridge's timer
	if l := logs.FilterMessageSnippet("port dropped packets").Len(); l != 0 {
		t.Errorf("%d drop warnings with NoDropLog: %v", l, logs.All())
	}
}
