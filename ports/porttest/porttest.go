// Package porttest provides in-memory ports for tests: a connected pair of
// ports.Port (frames written to one are read from the other) and a single
// port fed and drained by the test. They copy frames, keep pk.Off as a port
// with virtio-net headers would (or segment and checksum in software with
// NoOffload), count like real ports, and report link changes.
//
// Privileged tests that run code inside a network namespace use
// gswitch/tests/netns (NS.Do).
package porttest

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"gswitch/packet"
	"gswitch/ports"
)

// Frame is one frame on an in-memory wire, with its offload description.
type Frame struct {
	Data []byte
	Off  packet.Offload
}

// Option configures an in-memory port.
type Option func(*Port)

// QueueLen sets how many frames the port's input queue holds (default
// 1024). A write that finds the queue full drops the rest of its batch and
// counts it (ports.DropTxFull), never waiting, as a real port whose kernel
// queue is full.
func QueueLen(n int) Option { return func(p *Port) { p.qlen = n } }

// NoOffload makes the port behave as one without virtio-net headers: frames
// written with GSO or a partial checksum are segmented and checksummed in
// software (with ports.Segment) before they reach the wire.
func NoOffload() Option { return func(p *Port) { p.noOffload = true } }

// MTU sets the port's MTU (default 1500, not enforced) and enforces it as
// the kernel does for AF_PACKET (EMSGSIZE): a frame without GSO longer than
// the MTU plus an Ethernet header and one VLAN tag is dropped and counted
// (ports.DropTxTooBig), a segment of a GSO frame cut in software included.
func MTU(n int) Option { return func(p *Port) { p.mtu, p.enforceMTU = n, true } }

// HWAddr sets the port's Ethernet address (default 02:00:00:00:00:NN).
func HWAddr(a net.HardwareAddr) Option { return func(p *Port) { p.hw = a } }

// Port is an in-memory ports.Port.
type Port struct {
	name       string
	hw         net.HardwareAddr
	mtu        int
	qlen       int
	noOffload  bool
	enforceMTU bool

	in  chan Frame // what ReadBatch reads
	out chan Frame // where WriteBatch writes (the peer's in, or the test's)

	up        atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
	ctr       ports.Counters
	txmu      sync.Mutex
	txFull    bool // guarded by txmu: this WriteBatch found the wire full

	mu       sync.Mutex
	watchers []func(name string, up bool)
}

var _ ports.Port = (*Port)(nil)

var hwSeq atomic.Uint32

func newPort(name string, opts []Option) *Port {
	n := hwSeq.Add(1)
	p := &Port{
		name:   name,
		hw:     net.HardwareAddr{0x02, 0, 0, byte(n >> 16), byte(n >> 8), byte(n)},
		mtu:    1500,
		qlen:   1024,
		closed: make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	p.in = make(chan Frame, p.qlen)
	p.up.Store(true)
	return p
}

// Pair returns two connected ports named a and b.
func Pair(a, b string, opts ...Option) (*Port, *Port) {
	pa, pb := newPort(a, opts), newPort(b, opts)
	pa.out, pb.out = pb.in, pa.in
	return pa, pb
}

// New returns a single port: the test feeds it with Inject and takes what
// was written to it from Sent.
func New(name string, opts ...Option) *Port {
	p := newPort(name, opts)
	p.out = make(chan Frame, p.qlen)
	return p
}

// Inject queues a copy of frame (with offload off) for ReadBatch. It
// reports false when the queue is full.
func (p *Port) Inject(frame []byte, off packet.Offload) bool {
	select {
	case p.in <- Frame{Data: append([]byte(nil), frame...), Off: off}:
		return true
	default:
		return false
	}
}

// Sent is the wire of a port made by New: every frame written to it.
func (p *Port) Sent() <-chan Frame { return p.out }

// SetLinkUp changes the port's link state and tells the watchers.
func (p *Port) SetLinkUp(up bool) {
	if p.up.Swap(up) == up {
		return
	}
	p.mu.Lock()
	ws := append([]func(string, bool){}, p.watchers...)
	p.mu.Unlock()
	for _, w := range ws {
		w(p.name, up)
	}
}

// Watch registers fn to be called on each link change of the port.
func (p *Port) Watch(fn func(name string, up bool)) {
	p.mu.Lock()
	p.watchers = append(p.watchers, fn)
	p.mu.Unlock()
}

func (p *Port) Name() string { return p.name }
func (p *Port) HWAddr() net.HardwareAddr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hw
}

// SetHWAddr sets the port's Ethernet address (ports.HWAddrSetter).
func (p *Port) SetHWAddr(mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return errors.New("porttest: an Ethernet address has 6 bytes")
	}
	p.mu.Lock()
	p.hw = append(net.HardwareAddr(nil), mac...)
	p.mu.Unlock()
	return nil
}
func (p *Port) MTU() int           { return p.mtu }
func (p *Port) LinkUp() bool       { return p.up.Load() }
func (p *Port) Stats() ports.Stats { return p.ctr.Snapshot() }

// Close implements ports.Port.
func (p *Port) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}

// ReadBatch implements ports.Port.
func (p *Port) ReadBatch(pkts []*packet.Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	n, bytes := 0, 0
	take := func(f Frame) {
		sp := pkts[n].RxSpace()
		if len(f.Data) > len(sp) {
			p.ctr.Drop(ports.DropRxTruncated, 1)
			return
		}
		pk := pkts[n]
		pk.SetLen(copy(sp, f.Data))
		pk.Off = f.Off
		if ports.CsumPartial(&f.Off) {
			pk.Key.Flags |= packet.FlagCsumPartial
		} else {
			pk.Key.Flags &^= packet.FlagCsumPartial
		}
		bytes += len(f.Data)
		n++
	}
	for n == 0 {
		select {
		case <-p.closed:
			return 0, net.ErrClosed
		default:
		}
		select {
		case f := <-p.in:
			take(f)
		case <-p.closed:
			return 0, net.ErrClosed
		}
	}
drain:
	for n < len(pkts) {
		select {
		case f := <-p.in:
			take(f)
		default:
			break drain
		}
	}
	p.ctr.Rx(n, bytes)
	return n, nil
}

// WriteBatch implements ports.Port.
func (p *Port) WriteBatch(pkts []*packet.Packet) error {
	select {
	case <-p.closed:
		return net.ErrClosed
	default:
	}
	p.txmu.Lock()
	defer p.txmu.Unlock()
	p.txFull = false
	for i, pk := range pkts {
		if p.txFull {
			p.ctr.Drop(ports.DropTxFull, len(pkts)-i)
			break
		}
		if !p.up.Load() {
			p.ctr.Drop(ports.DropTxError, 1)
			continue
		}
		if p.noOffload && ports.HasOffload(&pk.Off) {
			gso := ports.IsGSO(&pk.Off)
			err := ports.Segment(pk, func(seg []byte) {
				if p.tooBig(seg, nil) {
					return
				}
				p.send(Frame{Data: append([]byte(nil), seg...)})
			})
			if err != nil {
				p.ctr.Drop(ports.DropTxOffload, 1)
			} else if gso {
				p.ctr.Segmented()
			} else {
				p.ctr.CsumFinished()
			}
			continue
		}
		if p.tooBig(pk.Data, &pk.Off) {
			continue
		}
		p.send(Frame{Data: append([]byte(nil), pk.Data...), Off: pk.Off})
	}
	return nil
}

// tooBig drops and counts a frame the kernel would refuse for its size
// (only with the MTU option).
func (p *Port) tooBig(f []byte, off *packet.Offload) bool {
	if !p.enforceMTU || (off != nil && ports.IsGSO(off)) || len(f) <= p.mtu+18 {
		return false
	}
	p.ctr.Drop(ports.DropTxTooBig, 1)
	return true
}

// send counts a frame as transmitted before it becomes visible on the wire,
// so a test that has received it also sees it in Stats. Only WriteBatch
// (under txmu) sends on p.out, except that a pair's Inject also fills the
// peer's queue: losing that race on an almost full queue counts the frame
// both as sent and as dropped. A full wire drops the frame and marks the
// batch full (WriteBatch drops the rest).
func (p *Port) send(f Frame) {
	if p.txFull || len(p.out) == cap(p.out) {
		p.txFull = true
		p.ctr.Drop(ports.DropTxFull, 1)
		return
	}
	p.ctr.Tx(1, len(f.Data))
	select {
	case p.out <- f:
	default:
		p.txFull = true
		p.ctr.Drop(ports.DropTxFull, 1)
	}
}

// Replay is an in-memory port for benchmarks: ReadBatch copies frames from
// a fixed list, round robin, into the caller's buffers (allocating
// nothing), as many in all as Allow has granted, and blocks when none is
// granted; WriteBatch counts what it is given (Stats, and TxCount for a
// waiting benchmark) and drops it. Frames carry their offload (GSO,
// partial checksum) into the pipeline as a port with virtio-net headers.
type Replay struct {
	name   string
	hw     net.HardwareAddr
	frames []Frame
	next   int // guarded by mu
	ctr    ports.Counters

	mu     sync.Mutex
	cond   sync.Cond
	avail  int   // frames ReadBatch may still hand out; guarded by mu
	sent   int64 // frames given to WriteBatch; guarded by mu
	closed bool  // guarded by mu
}

var _ ports.Port = (*Replay)(nil)

// NewReplay returns a Replay port that reads frames.
func NewReplay(name string, frames []Frame) *Replay {
	n := hwSeq.Add(1)
	p := &Replay{name: name, hw: net.HardwareAddr{0x02, 0, 0, byte(n >> 16), byte(n >> 8), byte(n)}, frames: frames}
	p.cond.L = &p.mu
	return p
}

// SetFrames replaces the frames ReadBatch hands out (from the first).
func (p *Replay) SetFrames(frames []Frame) {
	p.mu.Lock()
	p.frames, p.next = frames, 0
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Allow lets ReadBatch hand out n more frames.
func (p *Replay) Allow(n int) {
	p.mu.Lock()
	p.avail += n
	p.mu.Unlock()
	p.cond.Broadcast()
}

// WaitSent waits until WriteBatch has been given n frames in all (since
// the port was made) and reports false if the port closed first.
func (p *Replay) WaitSent(n int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.sent < n && !p.closed {
		p.cond.Wait()
	}
	return p.sent >= n
}

// TxCount is how many frames WriteBatch has been given.
func (p *Replay) TxCount() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

func (p *Replay) Name() string             { return p.name }
func (p *Replay) HWAddr() net.HardwareAddr { return p.hw }
func (p *Replay) MTU() int                 { return 1500 }
func (p *Replay) LinkUp() bool             { return true }
func (p *Replay) Stats() ports.Stats       { return p.ctr.Snapshot() }

// Close implements ports.Port.
func (p *Replay) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
	return nil
}

// ReadBatch implements ports.Port.
func (p *Replay) ReadBatch(pkts []*packet.Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	for (p.avail == 0 || len(p.frames) == 0) && !p.closed {
		p.cond.Wait()
	}
	if p.closed {
		p.mu.Unlock()
		return 0, net.ErrClosed
	}
	n := min(len(pkts), p.avail)
	p.avail -= n
	next := p.next
	p.next = (p.next + n) % len(p.frames)
	p.mu.Unlock()
	bytes := 0
	for i, pk := range pkts[:n] {
		f := &p.frames[(next+i)%len(p.frames)]
		pk.SetLen(copy(pk.RxSpace(), f.Data))
		pk.Off = f.Off
		if ports.CsumPartial(&f.Off) {
			pk.Key.Flags |= packet.FlagCsumPartial
		} else {
			pk.Key.Flags &^= packet.FlagCsumPartial
		}
		bytes += len(f.Data)
	}
	p.ctr.Rx(n, bytes)
	return n, nil
}

// WriteBatch implements ports.Port.
func (p *Replay) WriteBatch(pkts []*packet.Packet) error {
	bytes := 0
	for _, pk := range pkts {
		bytes += len(pk.Data)
	}
	p.ctr.Tx(len(pkts), bytes)
	p.mu.Lock()
	p.sent += int64(len(pkts))
	p.mu.Unlock()
	p.cond.Broadcast()
	return nil
}
