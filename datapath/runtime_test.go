package datapath

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/pipeline"
	"gswitch/ports/porttest"
)

// portStatus reads the next OFPT_PORT_STATUS (OpenFlow 1.3): its reason
// and port number.
func portStatus(t *testing.T, c interface{ Recv() ([]byte, error) }) (reason uint8, no uint32) {
	t.Helper()
	for {
		m, err := c.Recv()
		if err != nil {
			t.Fatalf("waiting for a port status: %v", err)
		}
		if m[1] == ofptPortStatus {
			return m[8], binary.BigEndian.Uint32(m[16:])
		}
	}
}

// traffic injects frames on p until stop is closed (bounded: a minute, ten
// million frames). The bound is in time, not a small count: on a loaded
// machine a count ran out before the test's waits did.
func traffic(p *porttest.Port, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 10_000_000 && time.Now().Before(deadline); i++ {
		select {
		case <-stop:
			return
		default:
		}
		if !p.Inject(frame(i), packet.Offload{}) {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// drain counts what arrives on p until stop is closed.
func drain(p *porttest.Port, n *atomic.Int64, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-p.Sent():
			n.Add(1)
		case <-stop:
			return
		}
	}
}

func TestAddRemovePortUnderTraffic(t *testing.T) {
	e := newEnv(t)
	p1, p2 := porttest.New("p1"), porttest.New("p2")
	b := e.bridge(t, "br0", p1, p2)
	c := controller(t, b)
	addFlow(t, b, 10, 0, out(pipeline.PortFlood))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n2, n3 atomic.Int64
	wg.Add(2)
	go traffic(p1, stop, &wg)
	go drain(p2, &n2, stop, &wg)
	defer func() { close(stop); wg.Wait() }()
	waitFor(t, "p2 gets traffic", func() bool { return n2.Load() > 100 })

	// A new port gets the next number (3) and the flood.
	p3 := porttest.New("p3")
	no, err := b.AddPort(Port{Dev: p3, Type: "porttest"})
	if err != nil || no != 3 {
		t.Fatalf("AddPort: %d, %v; want 3", no, err)
	}
	if r, got := portStatus(t, c); r != 0 || got != 3 {
		t.Fatalf("port status reason %d port %d, want add of 3", r, got)
	}
	wg.Add(1)
	go drain(p3, &n3, stop, &wg)
	waitFor(t, "p3 gets the flood", func() bool { return n3.Load() > 100 })

	// Removing port 2 stops its output; p3 goes on.
	if err := b.RemovePort(2); err != nil {
		t.Fatal(err)
	}
	if r, got := portStatus(t, c); r != 1 || got != 2 {
		t.Fatalf("port status reason %d port %d, want delete of 2", r, got)
	}
	// Once RemovePort returns nothing more is written to p2.
	was2 := p2.Stats().TxPackets
	time.Sleep(50 * time.Millisecond)
	if now := p2.Stats().TxPackets; now != was2 {
		t.Errorf("p2 got %d more frames after its removal", now-was2)
	}
	was3 := n3.Load()
	waitFor(t, "p3 still gets the flood", func() bool { return n3.Load() > was3+100 })
	if err := b.RemovePort(2); err == nil {
		t.Error("removing a missing port succeeded")
	}
	for _, ps := range b.Ports() {
		if ps.No == 2 {
			t.Error("port 2 still listed")
		}
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Port numbers as ovs-vswitchd's alloc_ofp_port: a free requested number,
// else the next after the last automatic one, not reusing a number freed
// within the hour while another is free.
func TestPortNumbers(t *testing.T) {
	e := newEnv(t)
	b := e.bridge(t, "br0", porttest.New("a"), porttest.New("b"))
	add := func(name string, req uint32) uint32 {
		t.Helper()
		no, err := b.AddPort(Port{No: req, Dev: porttest.New(name)})
		if err != nil {
			t.Fatal(err)
		}
		return no
	}
	if no := add("c", 0); no != 3 {
		t.Errorf("c: %d, want 3", no)
	}
	if err := b.RemovePort(3); err != nil {
		t.Fatal(err)
	}
	if no := add("d", 0); no != 4 {
		t.Errorf("d: %d, want 4 (3 was freed just now)", no)
	}
	if no := add("e", 3); no != 3 {
		t.Errorf("e requested 3: got %d", no)
	}
	if no := add("f", 1); no != 5 {
		t.Errorf("f requested 1 (taken): got %d, want 5", no)
	}
	if no := add("g", 100); no != 100 {
		t.Errorf("g requested 100: got %d", no)
	}
	if no := add("h", 0); no != 6 {
		t.Errorf("h: %d, want 6", no)
	}
	if _, err := b.AddPort(Port{Dev: porttest.New("h")}); err == nil {
		t.Error("a second port named h was added")
	}
	if _, err := b.AddPort(Port{Dev: porttest.New("br0")}); err == nil {
		t.Error("a port named as the bridge was added")
	}
}

func TestPatchPorts(t *testing.T) {
	e := newEnv(t)
	p1, p2 := porttest.New("p1"), porttest.New("p2")
	br0 := e.bridge(t, "br0", p1)
	br1 := e.bridge(t, "br1", p2)
	a, err := br0.AddPatch("patch-a", 0, br1, "patch-b")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := br1.AddPatch("patch-b", 7, br0, "patch-a")
	if err != nil {
		t.Fatal(err)
	}
	if a != 2 || pb != 7 {
		t.Fatalf("patch ports %d and %d, want 2 and 7", a, pb)
	}
	addFlow(t, br0, 10, 1, out(a))
	addFlow(t, br1, 10, pb, out(1))
	addFlow(t, br1, 10, 1, out(pb))
	addFlow(t, br0, 10, a, out(1))
	for i := range 10 {
		p1.Inject(frame(i), packet.Offload{})
	}
	expect(t, p2, 10)
	for i := range 3 {
		p2.Inject(frame(i), packet.Offload{})
	}
	expect(t, p1, 3)
	stats := func(b *Bridge, no uint32) PortState {
		for _, ps := range b.Ports() {
			if ps.No == no {
				return ps
			}
		}
		t.Fatalf("%s has no port %d", b.Name(), no)
		return PortState{}
	}
	if st := stats(br0, a).Stats; st.TxPackets != 10 || st.RxPackets != 3 {
		t.Errorf("br0 patch-a: tx %d rx %d, want 10 and 3", st.TxPackets, st.RxPackets)
	}
	if st := stats(br1, pb).Stats; st.TxPackets != 3 || st.RxPackets != 10 {
		t.Errorf("br1 patch-b: tx %d rx %d, want 3 and 10", st.TxPackets, st.RxPackets)
	}

	// Removing one end: outputs to the other are dropped.
	if err := br1.RemovePort(pb); err != nil {
		t.Fatal(err)
	}
	p1.Inject(frame(0), packet.Offload{})
	expectNone(t, p2)
	if st := stats(br0, a).Stats; st.TxDrops != 1 {
		t.Errorf("br0 patch-a: tx drops %d after its peer went, want 1", st.TxDrops)
	}
}

// A loop of patch ports ends after MaxPatchDepth crossings.
func TestPatchLoop(t *testing.T) {
	e := newEnv(t)
	p1, p2 := porttest.New("p1"), porttest.New("p2")
	br0 := e.bridge(t, "br0", p1)
	br1 := e.bridge(t, "br1", p2)
	a, err := br0.AddPatch("patch-a", 0, br1, "patch-b")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := br1.AddPatch("patch-b", 0, br0, "patch-a")
	if err != nil {
		t.Fatal(err)
	}
	addFlow(t, br0, 10, 1, out(a))
	addFlow(t, br0, 10, a, out(pipeline.PortInPort))          // back to br1
	addFlow(t, br1, 10, pb, out(1), out(pipeline.PortInPort)) // to p2 and back
	p1.Inject(frame(0), packet.Offload{})
	// br1 sees the packet after crossings 1, 3, 5 and 7.
	expect(t, p2, MaxPatchDepth/2)
	expectNone(t, p2)
	for _, ps := range br0.Ports() {
		if ps.No == a && ps.Stats.TxDrops != 1 {
			t.Errorf("br0 patch-a: tx drops %d, want 1 (the crossing past the limit)", ps.Stats.TxDrops)
		}
	}
}

// Traffic both ways through a patch pair from several goroutines while a
// third bridge's ports come and go (run with -race).
func TestPatchUnderTraffic(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := porttest.New("p1"), porttest.New("p2"), porttest.New("p3")
	br0 := e.bridge(t, "br0", p1, p3)
	br1 := e.bridge(t, "br1", p2)
	a, _ := br0.AddPatch("patch-a", 0, br1, "patch-b")
	pb, _ := br1.AddPatch("patch-b", 0, br0, "patch-a")
	addFlow(t, br0, 10, 1, out(a))
	addFlow(t, br0, 10, 2, out(a))
	addFlow(t, br0, 10, a, out(1))
	addFlow(t, br1, 10, pb, out(1))
	addFlow(t, br1, 10, 1, out(pb))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n1, n2 atomic.Int64
	wg.Add(5)
	go traffic(p1, stop, &wg)
	go traffic(p2, stop, &wg)
	go traffic(p3, stop, &wg)
	go drain(p1, &n1, stop, &wg)
	go drain(p2, &n2, stop, &wg)
	for i := range 20 {
		no, err := br1.AddPort(Port{Dev: porttest.New("x")})
		if err != nil {
			t.Fatal(err)
		}
		if err := br1.RemovePort(no); err != nil {
			t.Fatal(err)
		}
		_ = i
	}
	waitFor(t, "traffic both ways", func() bool { return n1.Load() > 100 && n2.Load() > 100 })
	close(stop)
	wg.Wait()
}

// Crossing a patch port allocates nothing in the steady state.
func TestPatchNoAllocs(t *testing.T) {
	e := newEnv(t)
	br0, err := New(Config{Name: "br0", FailMode: "secure", Tracker: e.tracker, Pool: e.pool, Clock: e.now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer br0.Close()
	br1, err := New(Config{Name: "br1", FailMode: "secure", Tracker: e.tracker, Pool: e.pool, Clock: e.now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer br1.Close()
	a, _ := br0.AddPatch("patch-a", 0, br1, "patch-b")
	pb, _ := br1.AddPatch("patch-b", 0, br0, "patch-a")
	addFlow(t, br1, 10, pb) // drop
	pk := pkttest.Parsed(frame(0))
	s := (*sender)(br0)
	for range 10 {
		s.Output(a, pk)
		s.Flush()
	}
	allocs := testing.AllocsPerRun(200, func() {
		s.Output(a, pk)
		s.Flush()
	})
	if allocs != 0 {
		t.Errorf("a patch crossing allocates %.1f", allocs)
	}
	for _, ps := range br1.Ports() {
		if ps.No == pb && ps.Stats.RxPackets < 200 {
			t.Errorf("patch-b rx %d, want at least 200", ps.Stats.RxPackets)
		}
	}
}

// Bridges share one conntrack: a connection committed in br0 makes the
// reply that enters br1 +est (with a tracker per bridge it would be +new
// and dropped here).
func TestBridgesShareConntrack(t *testing.T) {
	e := newEnv(t)
	p1, p2 := porttest.New("p1"), porttest.New("p2")
	br0 := e.bridge(t, "br0", p1)
	br1 := e.bridge(t, "br1", p2)
	a, _ := br0.AddPatch("patch-a", 0, br1, "patch-b")
	pb, _ := br1.AddPatch("patch-b", 0, br0, "patch-a")
	ipIn := func(in uint32) pipeline.Match {
		var m pipeline.Match
		m.SetExact(packet.FieldInPort, packet.U128{Lo: uint64(in)})
		m.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
		return m
	}
	add := func(b *Bridge, table uint8, m pipeline.Match, acts ...pipeline.Action) {
		t.Helper()
		fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
			Spec: pipeline.FlowSpec{Table: table, Priority: 10, Match: m, Inst: pipeline.Instructions{HasApply: true, GotoTable: -1, Apply: acts}}}
		if err := b.Pipeline().FlowMod(fm, b.Now()); err != nil {
			t.Fatal(err)
		}
	}
	add(br0, 0, ipIn(1), pipeline.CT{Flags: pipeline.CTCommit, Table: pipeline.NoTable}, out(a))
	add(br0, 0, ipIn(a), out(1))
	add(br1, 0, ipIn(pb), out(1))
	add(br1, 0, ipIn(1), pipeline.CT{Table: 1})
	var est pipeline.Match
	est.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
	est.Value.SetCtState(packet.CsTrk | packet.CsEst) // +trk+est, whatever else (+rpl)
	est.Mask.SetCtState(packet.CsTrk | packet.CsEst)
	add(br1, 1, est, out(pb))

	reply := pkttest.UDP4("198.51.100.2", "198.51.100.1", 53, 1000, []byte("answer"))
	p2.Inject(reply, packet.Offload{}) // no connection yet: +new, dropped
	expectNone(t, p1)
	p1.Inject(frame(0), packet.Offload{}) // committed in br0
	expect(t, p2, 1)
	p2.Inject(reply, packet.Offload{})
	expect(t, p1, 1)
}

// A bridge closed while traffic crosses into it through a patch port: the
// other bridge's ports go on and its patch port drops (counted).
func TestCloseBridgeUnderTraffic(t *testing.T) {
	e := newEnv(t)
	p1, p3 := porttest.New("p1"), porttest.New("p3")
	p2 := porttest.New("p2")
	br0 := e.bridge(t, "br0", p1, p3)
	br1, err := New(Config{Name: "br1", FailMode: "secure", Tracker: e.tracker, Pool: e.pool, Clock: e.now},
		[]Port{{No: 1, Dev: p2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := br1.Start(); err != nil {
		t.Fatal(err)
	}
	a, _ := br0.AddPatch("patch-a", 0, br1, "patch-b")
	pb, _ := br1.AddPatch("patch-b", 0, br0, "patch-a")
	addFlow(t, br0, 10, 1, out(2), out(a))
	addFlow(t, br1, 10, pb, out(1))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n2, n3 atomic.Int64
	wg.Add(3)
	go traffic(p1, stop, &wg)
	go drain(p2, &n2, stop, &wg)
	go drain(p3, &n3, stop, &wg)
	defer func() { close(stop); wg.Wait() }()
	waitFor(t, "traffic through both bridges", func() bool { return n2.Load() > 100 && n3.Load() > 100 })
	br1.Close()
	// Each drop on patch-a is a frame br0 took after br1 went away (what
	// reached p3's wire before may still be waiting for drain: p3's count
	// alone proves nothing about after).
	patchDrops := func() uint64 {
		for _, ps := range br0.Ports() {
			if ps.No == a {
				return ps.Stats.TxDrops
			}
		}
		return 0
	}
	waitFor(t, "patch-a counts 100 drops after its peer's bridge closed", func() bool { return patchDrops() >= 100 })
	was3 := n3.Load()
	waitFor(t, "br0's ports go on", func() bool { return n3.Load() > was3+100 })
}
