package datapath

import (
	"net"
	"sync"
	"testing"
	"time"

	"gswitch/ct"
	"gswitch/ofproto"
	"gswitch/ofproto/oftest"
	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/pipeline"
	"gswitch/ports"
	"gswitch/ports/porttest"
)

// env is the shared part of a process: one tracker, pool and clock.
type env struct {
	tracker *ct.Tracker
	pool    *packet.Pool
	start   time.Time
}

func newEnv(t testing.TB) *env {
	e := &env{pool: packet.NewPool(), start: time.Now()}
	e.tracker = ct.New(ct.Config{Clock: e.now})
	e.tracker.Start()
	t.Cleanup(e.tracker.Stop)
	return e
}

func (e *env) now() int64 { return int64(time.Since(e.start)) }

// bridge starts a secure-mode bridge (no flows) over devs, numbered from 1.
func (e *env) bridge(t *testing.T, name string, devs ...ports.Port) *Bridge {
	t.Helper()
	return e.startBridge(t, Config{Name: name}, devs...)
}

// startBridge starts a bridge with cfg over devs, numbered from 1: named
// br0 and in secure mode unless cfg says otherwise, with e's tracker,
// pool and clock. It is closed when the test ends.
func (e *env) startBridge(t *testing.T, cfg Config, devs ...ports.Port) *Bridge {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "br0"
	}
	if cfg.FailMode == "" {
		cfg.FailMode = "secure"
	}
	cfg.Tracker, cfg.Pool, cfg.Clock = e.tracker, e.pool, e.now
	var ps []Port
	for i, d := range devs {
		ps = append(ps, Port{No: uint32(i + 1), Dev: d, Type: "porttest"})
	}
	b, err := New(cfg, ps)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// addFlow adds in_port=in (0: any) actions=acts to table 0.
func addFlow(t *testing.T, b *Bridge, prio uint16, in uint32, acts ...pipeline.Action) {
	t.Helper()
	var m pipeline.Match
	if in != 0 {
		m.Value.SetInPort(in)
		m.Mask.SetInPort(^uint32(0))
	}
	fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
		Spec: pipeline.FlowSpec{Priority: prio, Match: m, Inst: pipeline.Instructions{HasApply: true, GotoTable: -1, Apply: acts}}}
	if err := b.Pipeline().FlowMod(fm, b.Now()); err != nil {
		t.Fatal(err)
	}
}

func out(port uint32) pipeline.Action { return pipeline.Output{Port: port, MaxLen: 0xffff} }

func frame(i int) []byte {
	return pkttest.UDP4("198.51.100.1", "198.51.100.2", uint16(1000+i), 53, []byte("hello"))
}

// expect reads n frames from p's wire within a second.
func expect(t *testing.T, p *porttest.Port, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-p.Sent():
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: got %d frames, want %d", p.Name(), i, n)
		}
	}
}

// expectNone checks that nothing arrives on p for a moment.
func expectNone(t *testing.T, p *porttest.Port) {
	t.Helper()
	select {
	case f := <-p.Sent():
		t.Fatalf("%s: unexpected frame %x", p.Name(), f.Data)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestForward(t *testing.T) {
	e := newEnv(t)
	p1, p2 := porttest.New("p1"), porttest.New("p2")
	b := e.bridge(t, "br0", p1, p2)
	addFlow(t, b, 10, 1, out(2))
	for i := range 100 {
		p1.Inject(frame(i), packet.Offload{})
	}
	expect(t, p2, 100)
	expectNone(t, p1)
	if st := b.Ports()[1].Stats; st.TxPackets != 100 {
		t.Errorf("p2 tx %d, want 100", st.TxPackets)
	}
}

func TestFloodAndPortModDown(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := porttest.New("p1"), porttest.New("p2"), porttest.New("p3")
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 10, 0, out(pipeline.PortFlood))
	p1.Inject(frame(0), packet.Offload{})
	expect(t, p2, 1)
	expect(t, p3, 1)
	expectNone(t, p1)

	// OFPPC_PORT_DOWN on port 3: no flood and no output there.
	var hw [6]byte
	copy(hw[:], p3.HWAddr())
	ofp := (*ofPorts)(b)
	if err := ofp.PortMod(3, hw, ofproto.PortConfigDown, ofproto.PortConfigDown, 0); err != nil {
		t.Fatal(err)
	}
	p1.Inject(frame(1), packet.Offload{})
	expect(t, p2, 1)
	expectNone(t, p3)
	addFlow(t, b, 20, 2, out(3))
	p2.Inject(frame(2), packet.Offload{})
	expectNone(t, p3)
	if err := ofp.PortMod(3, [6]byte{1}, 0, ofproto.PortConfigDown, 0); err == nil {
		t.Error("port-mod with the wrong address accepted")
	}
	if err := ofp.PortMod(9, hw, 0, ofproto.PortConfigDown, 0); err == nil {
		t.Error("port-mod of a missing port accepted")
	}
	// Up again.
	if err := ofp.PortMod(3, hw, 0, ofproto.PortConfigDown, 0); err != nil {
		t.Fatal(err)
	}
	p2.Inject(frame(3), packet.Offload{})
	expect(t, p3, 1)
}

// controller attaches an OpenFlow 1.3 controller to b.
func controller(t *testing.T, b *Bridge) *oftest.Peer {
	t.Helper()
	a, c := net.Pipe()
	go b.OpenFlow().Serve(a, false)
	p := oftest.New(c)
	t.Cleanup(func() { p.Close() })
	if _, err := p.Handshake(oftest.V13, 1<<oftest.V13); err != nil {
		t.Fatal(err)
	}
	return p
}

// recvType reads messages until one of type typ.
func recvType(t *testing.T, p *oftest.Peer, typ uint8) []byte {
	t.Helper()
	for {
		m, err := p.Recv()
		if err != nil {
			t.Fatalf("waiting for message type %d: %v", typ, err)
		}
		if m[1] == typ {
			return m
		}
	}
}

const (
	ofptPacketIn   = 10
	ofptPortStatus = 12
)

func TestPacketIn(t *testing.T) {
	e := newEnv(t)
	p1 := porttest.New("p1")
	b := e.bridge(t, "br0", p1)
	c := controller(t, b)
	addFlow(t, b, 10, 1, pipeline.Output{Port: pipeline.PortController, MaxLen: 0xffff})
	f := frame(0)
	p1.Inject(f, packet.Offload{})
	m := recvType(t, c, ofptPacketIn)
	if got := m[len(m)-len(f):]; string(got) != string(f) {
		t.Errorf("packet-in carries %x, want %x", got, f)
	}
}

// blockingPort is a port whose writes block until released.
type blockingPort struct {
	*porttest.Port
	release chan struct{}
	once    sync.Once
	writing chan struct{}
}

func (p *blockingPort) WriteBatch(pkts []*packet.Packet) error {
	p.once.Do(func() { close(p.writing) })
	<-p.release
	return p.Port.WriteBatch(pkts)
}

// A port that does not take frames stalls the goroutine writing to it;
// the other ports' receive loops go on (they leave their packets to that
// writer) and its queue is bounded.
func TestFullQueueDoesNotBlockOtherPorts(t *testing.T) {
	e := newEnv(t)
	const n = 3000
	p1, p2, p4 := porttest.New("p1"), porttest.New("p2", porttest.QueueLen(n+10)), porttest.New("p4")
	p3 := &blockingPort{Port: porttest.New("p3"), release: make(chan struct{}), writing: make(chan struct{})}
	b := e.bridge(t, "br0", p1, p2, p3, p4)
	defer close(p3.release)
	addFlow(t, b, 10, 1, out(2), out(3))
	addFlow(t, b, 10, 4, out(2), out(3))
	p1.Inject(frame(0), packet.Offload{})
	select {
	case <-p3.writing: // p1's loop is now stuck in p3's WriteBatch
	case <-time.After(2 * time.Second):
		t.Fatal("no write to p3")
	}
	go func() {
		for i := range n {
			for !p4.Inject(frame(i), packet.Offload{}) {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	// p2 gets p1's first frame (unless p3 came first) and every one of p4's.
	got := 0
	deadline := time.After(5 * time.Second)
	for got < n {
		select {
		case <-p2.Sent():
			got++
		case <-deadline:
			t.Fatalf("p2 got %d of %d frames while p3 was stuck: %+v", got, n, b.Ports())
		}
	}
	var p3st PortState
	for _, ps := range b.Ports() {
		if ps.No == 3 {
			p3st = ps
		}
	}
	if p3st.Stats.TxDrops < n-MaxQueue-1 || p3st.Stats.Drops[ports.DropTxQueueFull] != p3st.Stats.TxDrops {
		t.Errorf("p3 tx drops %d (tx_queue_full %d), want at least %d, all tx_queue_full (queue bounded at %d)",
			p3st.Stats.TxDrops, p3st.Stats.Drops[ports.DropTxQueueFull], n-MaxQueue, MaxQueue)
	}
	if ps := (*ofPorts)(b).PortStats(3); len(ps) != 1 || ps[0].TxDropped != p3st.Stats.TxDrops {
		t.Errorf("OpenFlow port stats %+v, want tx_dropped %d", ps, p3st.Stats.TxDrops)
	}
}

// A port whose wire is full (nobody reads it) drops what does not fit,
// counted per port as tx_full (OpenFlow tx_dropped); forwarding between
// the other ports goes on, every frame delivered.
func TestFullPortDropsCounted(t *testing.T) {
	e := newEnv(t)
	const n, qlen = 2000, 8
	p1, p2 := porttest.New("p1"), porttest.New("p2", porttest.QueueLen(n+10))
	p3 := porttest.New("p3", porttest.QueueLen(qlen))
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 10, 1, out(3), out(2))
	go func() {
		for i := range n {
			for !p1.Inject(frame(i), packet.Offload{}) {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	expect(t, p2, n)
	var st ports.Stats
	waitFor(t, "p3's counters", func() bool {
		st = b.Ports()[2].Stats
		return st.TxPackets+st.TxDrops == n
	})
	if st.TxPackets != qlen || st.Drops[ports.DropTxFull] != n-qlen || st.TxDrops != n-qlen {
		t.Errorf("p3 %+v, want %d sent and %d tx_full drops", st, qlen, n-qlen)
	}
	if ps := (*ofPorts)(b).PortStats(3); len(ps) != 1 || ps[0].TxDropped != n-qlen || ps[0].TxPackets != qlen {
		t.Errorf("OpenFlow port stats %+v", ps)
	}
	if st := b.Ports()[1].Stats; st.TxPackets != n || st.TxDrops != 0 {
		t.Errorf("p2 %+v, want %d sent, no drop", st, n)
	}
}

// A port whose device goes away ends its receive loop; outputs to it are
// dropped and the other ports go on.
func TestPortGoesAway(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := porttest.New("p1"), porttest.New("p2"), porttest.New("p3")
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 10, 0, out(pipeline.PortFlood))
	p2.Close()
	p1.Inject(frame(0), packet.Offload{})
	expect(t, p3, 1)
	p3.Inject(frame(1), packet.Offload{})
	expectNone(t, p2)
	// p2's receive loop has ended.
	b.mu.Lock()
	done := b.tab.Load().byNo[2].rxDone
	b.mu.Unlock()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("p2's receive loop still runs")
	}
}

func TestOutputNoAllocs(t *testing.T) {
	e := newEnv(t)
	p1, p2 := porttest.New("p1"), porttest.New("p2")
	b, err := New(Config{Name: "br0", FailMode: "secure", Tracker: e.tracker, Pool: e.pool, Clock: e.now},
		[]Port{{No: 1, Dev: p1}, {No: 2, Dev: p2}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pk := pkttest.Parsed(frame(0))
	s := (*sender)(b)
	// Warm up (the queue's slice grows once).
	for range 4 {
		s.Output(2, pk)
		s.Output(5, pk)
		(*sender)(b).takeAll(2)
	}
	allocs := testing.AllocsPerRun(100, func() {
		s.Output(2, pk)
		s.Output(5, pk) // no such port
		(*sender)(b).takeAll(2)
	})
	if allocs != 0 {
		t.Errorf("Output allocates %.1f per packet", allocs)
	}
}

// takeAll drops what is queued for port no (tests).
func (x *sender) takeAll(no uint32) {
	b := (*Bridge)(x)
	p := b.tab.Load().byNo[no]
	var buf [packet.MaxBatch]*packet.Packet
	for n := p.take(buf[:]); n > 0; n = p.take(buf[:]) {
		for _, pk := range buf[:n] {
			b.pool.Put(pk)
		}
	}
}

// Config.Local is the bridge's internal LOCAL port: in the port table as
// OpenFlow LOCAL, flooded to, received from, reported once.
func TestLocalPort(t *testing.T) {
	e := newEnv(t)
	p1 := porttest.New("p1")
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0xbb, 0x01}
	local := porttest.New("br0", porttest.HWAddr(mac))
	b, err := New(Config{Name: "br0", FailMode: "secure", HWAddr: [6]byte(mac), HWAddrSet: true, Local: local,
		Tracker: e.tracker, Pool: e.pool, Clock: e.now}, []Port{{No: 1, Dev: p1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addFlow(t, b, 10, 1, out(pipeline.PortFlood))
	addFlow(t, b, 10, pipeline.PortLocal, out(1))
	p1.Inject(frame(0), packet.Offload{})
	expect(t, local, 1)
	local.Inject(frame(1), packet.Offload{})
	expect(t, p1, 1)

	var locals []ofproto.Port
	for _, op := range (*ofPorts)(b).Ports() {
		if op.No == pipeline.PortLocal {
			locals = append(locals, op)
		}
	}
	if len(locals) != 1 || locals[0].Name != "br0" || locals[0].HWAddr != [6]byte(mac) ||
		locals[0].Config != 0 || locals[0].State != ofproto.PortStateLive {
		t.Errorf("LOCAL reported as %+v", locals)
	}
	if st := (*ofPorts)(b).PortStats(pipeline.PortLocal); len(st) != 1 || st[0].RxPackets != 1 || st[0].TxPackets != 1 {
		t.Errorf("LOCAL stats %+v", st)
	}
	if err := b.RemovePort(pipeline.PortLocal); err == nil {
		t.Error("LOCAL removed")
	}
	if err := (*ofPorts)(b).PortMod(pipeline.PortLocal, [6]byte(mac), ofproto.PortConfigDown, ofproto.PortConfigDown, 0); err != nil {
		t.Fatal(err)
	}
	p1.Inject(frame(2), packet.Offload{})
	expectNone(t, local)
}

// Without Config.Local, LOCAL is reported down with no device, as before.
func TestNoLocalPort(t *testing.T) {
	e := newEnv(t)
	b := e.bridge(t, "br0", porttest.New("p1"))
	var n int
	for _, op := range (*ofPorts)(b).Ports() {
		if op.No == pipeline.PortLocal {
			n++
			if op.Config != ofproto.PortConfigDown || op.State != ofproto.PortStateLinkDown || op.HWAddr != b.HWAddr() {
				t.Errorf("LOCAL reported as %+v", op)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d LOCAL ports reported", n)
	}
	hw := b.HWAddr()
	if err := (*ofPorts)(b).PortMod(pipeline.PortLocal, hw, 0, ofproto.PortConfigDown, 0); err == nil {
		t.Error("LOCAL without a device brought up")
	}
}

// TestPortVLANNormal: SetPortVLAN gives a port its VLAN configuration for
// NORMAL on the running bridge: an untagged frame from access port 1
// (VLAN 10) leaves trunk port 2 tagged 10 and does not reach access port 3
// (VLAN 20); a frame tagged 20 from the trunk leaves port 3 untagged.
func TestPortVLANNormal(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := porttest.New("p1"), porttest.New("p2"), porttest.New("p3")
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 0, 0, pipeline.Output{Port: pipeline.PortNormal})
	if !b.SetPortVLAN(1, pipeline.NewPortVLAN(pipeline.VLANAccess, 10, nil)) ||
		!b.SetPortVLAN(3, pipeline.NewPortVLAN(pipeline.VLANAccess, 20, nil)) || b.SetPortVLAN(9, nil) {
		t.Fatal("SetPortVLAN: true for ports 1 and 3, false for 9")
	}
	p1.Inject(frame(0), packet.Offload{})
	select {
	case f := <-p2.Sent():
		if len(f.Data) < 18 || f.Data[12] != 0x81 || f.Data[13] != 0 || uint16(f.Data[14])<<8|uint16(f.Data[15]) != 10 {
			t.Errorf("trunk output not tagged 10: % x", f.Data[:18])
		}
	case <-time.After(2 * time.Second):
		t.Fatal("nothing on the trunk port")
	}
	expectNone(t, p3)
	p2.Inject(pkttest.VLAN(frame(1), 20), packet.Offload{})
	select {
	case f := <-p3.Sent():
		if want := frame(1); string(f.Data) != string(want) {
			t.Errorf("access 20 output: % x, want the untagged frame % x", f.Data, want)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("nothing on access port 3")
	}
	expectNone(t, p1)
}

// TestControllerTypes: the type column decides, else the target (OVS's
// get_controller_ofconn_type); a controller keeps the type it was added
// with while its target stays (OVS 3.1's ofservice, failmode.sh).
func TestControllerTypes(t *testing.T) {
	for _, tc := range []struct {
		target, typ string
		want        bool
	}{
		{"tcp:127.0.0.1:6653", "", true},
		{"ptcp:6653", "", false},
		{"punix:/x", "primary", true},
		{"tcp:127.0.0.1:6653", "service", false},
	} {
		if got := IsPrimary(tc.target, tc.typ); got != tc.want {
			t.Errorf("IsPrimary(%q, %q) = %v", tc.target, tc.typ, got)
		}
	}
	old := map[string]bool{"ptcp:1": true}
	got := controllerTypes(old, []string{"ptcp:1", "tcp:127.0.0.1:2"}, map[string]string{"ptcp:1": "service", "tcp:127.0.0.1:2": "service"})
	if !got["ptcp:1"] || got["tcp:127.0.0.1:2"] || hasPrimary(map[string]bool{"a": false}) || !hasPrimary(got) {
		t.Errorf("controllerTypes = %v", got)
	}
}
