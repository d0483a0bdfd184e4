package datapath

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/sys/unix"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports"
	"gswitch/ports/porttest"
)

// pollPort is a porttest port that the bridge's shared receive loop can
// wait for (ports.Pollable): an eventfd is readable while frames the test
// injected wait. It counts its reads of each kind and notes whether an
// epoll set of the process still watched its descriptor when it was
// closed.
type pollPort struct {
	*porttest.Port
	efd int

	mu             sync.Mutex
	queued         int // injected, not read yet
	closed         bool
	watchedAtClose bool

	readNows, readBatches atomic.Int64
	fail                  atomic.Bool // reads fail (not closed, not gone)
	gone                  atomic.Bool // reads say ErrDeviceGone
}

func newPollPort(t *testing.T, name string) *pollPort {
	t.Helper()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	// Closed after the bridge (cleanups run last first), so that its
	// number is not reused while a set may hold it.
	t.Cleanup(func() { unix.Close(efd) })
	return &pollPort{Port: porttest.New(name), efd: efd}
}

func (p *pollPort) signal() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(p.efd, one[:])
}

func (p *pollPort) inject(i int) {
	p.mu.Lock()
	ok := p.Port.Inject(frame(i), packet.Offload{})
	if ok {
		p.queued++
	}
	p.mu.Unlock()
	if ok {
		p.signal()
	}
}

func (p *pollPort) ControlRx(f func(fd int)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return net.ErrClosed
	}
	f(p.efd)
	return nil
}

func (p *pollPort) err() error {
	if p.gone.Load() {
		return fmt.Errorf("pollport %s: %w", p.Name(), ports.ErrDeviceGone)
	}
	if p.fail.Load() {
		return fmt.Errorf("pollport %s: broken", p.Name())
	}
	return nil
}

func (p *pollPort) ReadNow(pkts []*packet.Packet, events uint32) (int, error) {
	p.readNows.Add(1)
	if err := p.err(); err != nil {
		return 0, err
	}
	var c [8]byte
	unix.Read(p.efd, c[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queued == 0 {
		return 0, nil
	}
	n, err := p.Port.ReadBatch(pkts) // does not wait: frames are there
	p.queued -= n
	if p.queued > 0 {
		p.signal()
	}
	return n, err
}

func (p *pollPort) ReadBatch(pkts []*packet.Packet) (int, error) {
	p.readBatches.Add(1)
	if err := p.err(); err != nil {
		time.Sleep(time.Millisecond)
		return 0, err
	}
	n, err := p.Port.ReadBatch(pkts)
	p.mu.Lock()
	p.queued -= n
	p.mu.Unlock()
	return n, err
}

func (p *pollPort) RecheckDue() bool { return false }

func (p *pollPort) Close() error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		p.watchedAtClose = epollWatches(p.efd)
	}
	p.mu.Unlock()
	return p.Port.Close()
}

var _ ports.Pollable = (*pollPort)(nil)

// epollWatches reports whether an epoll instance of this process watches
// descriptor fd (its /proc fdinfo lists it as a target).
func epollWatches(fd int) bool {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false
	}
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "tfd:" {
				if n, err := strconv.Atoi(f[1]); err == nil && n == fd {
					return true
				}
			}
		}
	}
	return false
}

// wire is what a pollPort's peer sees: its porttest wire.
func wire(p *pollPort) *porttest.Port { return p.Port }

// The Pollable ports of a bridge are read by its shared receive loop
// (ReadNow after one wait for all of them), never by a loop of their own
// (ReadBatch), and forwarding works both ways.
func TestSharedReceiveLoop(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := newPollPort(t, "p1"), newPollPort(t, "p2"), newPollPort(t, "p3")
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 10, 0, out(pipeline.PortFlood))
	for i := range 20 {
		p1.inject(i)
		p3.inject(100 + i)
	}
	expect(t, wire(p2), 40)
	expect(t, wire(p1), 20)
	expect(t, wire(p3), 20)
	if b.rxg == nil {
		t.Fatal("no shared receive loop")
	}
	for _, p := range []*pollPort{p1, p2, p3} {
		if n := p.readBatches.Load(); n != 0 {
			t.Errorf("%s: %d ReadBatch calls: a loop of its own reads it", p.Name(), n)
		}
	}
	if p1.readNows.Load() == 0 || p3.readNows.Load() == 0 {
		t.Errorf("ReadNow calls: p1 %d, p3 %d", p1.readNows.Load(), p3.readNows.Load())
	}
}

// A port removed from a running bridge leaves the shared loop's set before
// its device closes, RemovePort does not wait for the other ports'
// traffic, and the other ports keep forwarding; a port added while it
// runs joins it.
func TestRemovePortLeavesSharedLoop(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := newPollPort(t, "p1"), newPollPort(t, "p2"), newPollPort(t, "p3")
	b := e.bridge(t, "br0", p1, p2, p3)
	addFlow(t, b, 10, 1, out(3))
	addFlow(t, b, 10, 2, out(3))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // p1's traffic to p3 goes on throughout (at most 20 s)
		defer wg.Done()
		for i := 0; i < 100000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p1.inject(i)
			for len(wire(p3).Sent()) > 0 {
				<-wire(p3).Sent()
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	p2.inject(0)
	waitFor(t, "p2's frame", func() bool { return b.Ports()[1].Stats.RxPackets == 1 })
	if !epollWatches(p2.efd) {
		t.Fatal("p2's descriptor is in no epoll set while the bridge runs")
	}
	start := time.Now()
	if err := b.RemovePort(2); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("RemovePort took %v", d)
	}
	p2.mu.Lock()
	closed, watched := p2.closed, p2.watchedAtClose
	p2.mu.Unlock()
	if !closed || watched {
		t.Fatalf("p2 closed %v, still in an epoll set when it closed %v", closed, watched)
	}
	p2.inject(1)                           // nobody reads it any more
	before := b.Ports()[1].Stats.TxPackets // p3's
	waitFor(t, "p1's traffic after the removal", func() bool { return b.Ports()[1].Stats.TxPackets > before+50 })

	p4 := newPollPort(t, "p4")
	no, err := b.AddPort(Port{Dev: p4, Type: "porttest"})
	if err != nil {
		t.Fatal(err)
	}
	addFlow(t, b, 20, no, out(1))
	p4.inject(7)
	expect(t, wire(p1), 1)
	if p4.readBatches.Load() != 0 || p4.readNows.Load() == 0 {
		t.Errorf("p4: %d ReadBatch, %d ReadNow calls: not in the shared loop", p4.readBatches.Load(), p4.readNows.Load())
	}
}

// A port whose interface is gone leaves the shared loop (logged once; its
// descriptor, readable for ever, no longer wakes the loop) and the other
// ports go on; one whose reads fail gets a loop of its own and still
// forwards.
func TestSharedLoopFaults(t *testing.T) {
	e := newEnv(t)
	p1, p2, p3 := newPollPort(t, "p1"), newPollPort(t, "p2"), newPollPort(t, "p3")
	core, logs := observer.New(zap.WarnLevel)
	b := e.startBridge(t, Config{Logger: zap.New(core)}, p1, p2, p3)
	addFlow(t, b, 10, 1, out(2))
	addFlow(t, b, 10, 3, out(2))

	p1.gone.Store(true)
	p1.signal() // readable from now on
	waitFor(t, "the gone warning", func() bool {
		return logs.FilterMessageSnippet("interface is gone").Len() == 1
	})
	n := p1.readNows.Load()
	time.Sleep(50 * time.Millisecond)
	if d := p1.readNows.Load() - n; d != 0 {
		t.Errorf("p1 read %d more times after it left", d)
	}
	p3.inject(0)
	expect(t, wire(p2), 1)

	p3.fail.Store(true)
	p3.signal()
	waitFor(t, "p3's own loop", func() bool { return p3.readBatches.Load() > 0 })
	p3.fail.Store(false)
	p3.inject(1)
	expect(t, wire(p2), 1)
	if logs.FilterMessageSnippet("receive failed").Len() == 0 {
		t.Error("no warning for p3's failed read")
	}
	if epollWatches(p3.efd) {
		t.Error("p3, on a loop of its own, is still in the shared set")
	}
}

// Quiesce waits for a batch of the shared receive loop still in the
// pipeline (held in its output), and after it what the loop reads is
// neither forwarded nor counted.
func TestQuiesceSharedLoop(t *testing.T) {
	e := newEnv(t)
	p1 := newPollPort(t, "p1")
	p2 := &gatedPort{Port: porttest.New("p2"), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	b := e.bridge(t, "br0", p1, p2)
	var open sync.Once
	openGate := func() { open.Do(func() { close(p2.gate) }) }
	t.Cleanup(openGate) // before the bridge's Close, even when the test fails
	addFlow(t, b, 10, 1, out(2))
	p1.inject(0)
	select {
	case <-p2.entered:
	case <-time.After(2 * time.Second):
		t.Fatal("the first frame did not reach p2's output")
	}
	if p1.readNows.Load() == 0 || p1.readBatches.Load() != 0 {
		t.Fatalf("p1: %d ReadNow, %d ReadBatch calls: not in the shared loop", p1.readNows.Load(), p1.readBatches.Load())
	}
	done := make(chan struct{})
	go func() { b.Quiesce(); close(done) }()
	select {
	case <-done:
		t.Fatal("Quiesce returned while the shared loop's batch was still in the pipeline")
	case <-time.After(200 * time.Millisecond):
	}
	openGate()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Quiesce did not return after the batch ended")
	}
	expect(t, p2.Port, 1)
	for i := range 10 {
		p1.inject(i + 1)
	}
	expectNone(t, p2.Port)
	if st := b.Ports()[1].Stats; st.TxPackets != 1 {
		t.Errorf("p2 sent %d, want 1", st.TxPackets)
	}
}

// With Config.RxThreadPerPort each Pollable port has a receive loop of its
// own (ReadBatch), and the bridge no shared loop.
func TestRxThreadPerPort(t *testing.T) {
	e := newEnv(t)
	p1, p2 := newPollPort(t, "p1"), newPollPort(t, "p2")
	b := e.startBridge(t, Config{RxThreadPerPort: true}, p1, p2)
	addFlow(t, b, 10, 1, out(2))
	p1.inject(0)
	expect(t, wire(p2), 1)
	if b.rxg != nil || p1.readNows.Load() != 0 || p1.readBatches.Load() == 0 {
		t.Errorf("shared loop %v; p1: %d ReadNow, %d ReadBatch calls", b.rxg != nil, p1.readNows.Load(), p1.readBatches.Load())
	}
}
