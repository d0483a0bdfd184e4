package datapath

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"gswitch/ofproto"
	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports"
)

// port is one bridge port: its device (nil for a patch port), its OpenFlow
// number and config, and its output queue.
type port struct {
	no      uint32
	name    string
	typ     string
	dev     ports.Port
	created int64

	config atomic.Uint32 // OFPPC_* (OpenFlow 1.0 numbering)
	up     atomic.Bool
	gone   atomic.Bool // removed: outputs to it are dropped
	// vlan is the port's VLAN configuration for NORMAL (nil: a trunk of
	// every VLAN); SetPortVLAN changes it.
	vlan atomic.Pointer[pipeline.PortVLAN]

	mu      sync.Mutex
	pending []*packet.Packet
	npend   atomic.Int32
	qdrops  atomic.Uint64 // outputs dropped because the queue was full (ports.DropTxQueueFull)
	// closedDrops are outputs dropped because the device was closed under
	// them (counted as ports.DropTxError).
	closedDrops atomic.Uint64

	// flushMu serializes a port's transmits (keeping its output order when
	// several receive goroutines flush) and guards flushBuf, the scratch
	// batch handed to WriteBatch (kept here so it does not escape per call).
	flushMu  sync.Mutex
	flushBuf [packet.MaxBatch]*packet.Packet

	rxDone chan struct{} // closed when the receive loop has returned (nil: none started)
	// rxr is the port's receiver in the bridge's shared receive loop
	// (rxgroup.go; nil: none, or a loop of its own). Set under Bridge.mu.
	rxr *receiver
	// busy is set while the receive loop runs a batch (Quiesce waits for it).
	busy atomic.Bool

	// dropLogged are the drop counters the last drop warning reported, at
	// dropLogAt (Bridge.logDrops; guarded by Bridge.dropLogMu).
	dropLogged [ports.NumDropReasons]uint64
	dropLogAt  int64

	patch *patchEnd  // set for a patch port
	tnl   *tunnelEnd // set for a tunnel port
}

func (b *Bridge) newPort(no uint32, name, typ string, dev ports.Port) *port {
	p := &port{no: no, name: name, typ: typ, dev: dev, created: b.now()}
	if dev != nil {
		p.up.Store(dev.LinkUp())
	}
	return p
}

func (p *port) close() {
	p.gone.Store(true)
	if p.dev != nil {
		p.dev.Close()
	}
}

func (p *port) hwAddr() net.HardwareAddr {
	if p.dev != nil {
		return p.dev.HWAddr()
	}
	if p.patch != nil {
		return p.patch.hw[:]
	}
	if p.tnl != nil {
		return p.tnl.hw[:]
	}
	return nil
}

func (p *port) stats() ports.Stats {
	var st ports.Stats
	if p.dev != nil {
		st = p.dev.Stats()
	} else if p.patch != nil {
		st = p.patch.ctr.Snapshot()
	} else if p.tnl != nil {
		st = p.tnl.ctr.Snapshot()
	}
	q, c := p.qdrops.Load(), p.closedDrops.Load()
	st.TxDrops += q + c
	st.Drops[ports.DropTxQueueFull] += q
	st.Drops[ports.DropTxError] += c
	return st
}

// dropQueued returns what is left in the queue to the pool.
func (p *port) dropQueued(pool *packet.Pool) {
	p.mu.Lock()
	for i, pk := range p.pending {
		pool.Put(pk)
		p.pending[i] = nil
	}
	p.npend.Add(int32(-len(p.pending)))
	p.pending = p.pending[:0]
	p.mu.Unlock()
}

// startPort starts receiving on p (b.mu held, bridge started): in the
// bridge's shared receive loop when its device is ports.Pollable, else in
// a loop of its own.
func (b *Bridge) startPort(p *port) {
	if p.dev == nil || p.rxDone != nil || p.rxr != nil {
		return
	}
	if b.joinGroup(p) {
		return
	}
	p.rxDone = make(chan struct{})
	b.wg.Add(1)
	go b.rxLoop(p)
}

// rxLoop is a port's own receive goroutine: read a batch, run it through
// the pipeline to completion, repeat.
func (b *Bridge) rxLoop(p *port) {
	defer b.wg.Done()
	defer close(p.rxDone)
	defer ports.LockRxThread(p.dev)() // waits in poll(2) on its own thread
	r := b.newReceiver(p)
	defer r.release()
	for r.once() {
	}
}

// receiver is a receive loop's state: its buffers, its batch and its own
// pipeline worker (pipeline.Loop: the exact-match cache stays warm with the
// port's traffic). The buffers are the loop's, except those the pipeline
// hands over to an output queue at their last output (ProcessOwned leaves
// their slots nil): the loop takes fresh ones from the pool for those.
type receiver struct {
	b     *Bridge
	p     *port
	loop  *pipeline.Loop
	bufs  [packet.MaxBatch]*packet.Packet
	batch packet.Batch

	// In the shared receive loop (rxgroup.go): pd is the port's device,
	// key its key in the set; mu is held for each batch and guards left
	// (the port has left the group, its buffers are released).
	pd   ports.Pollable
	key  uint32
	mu   sync.Mutex
	left bool

	used int // buffers the last read returned (reset before the next)
}

func (b *Bridge) newReceiver(p *port) *receiver {
	r := &receiver{b: b, p: p, loop: b.dp.NewLoop()}
	for i := range r.bufs {
		r.bufs[i] = b.pool.Get()
	}
	return r
}

func (r *receiver) release() {
	for i, pk := range r.bufs {
		r.b.pool.Put(pk)
		r.bufs[i] = nil
	}
}

// once reads a batch and runs it through the pipeline; false when the loop
// is to end (the port is closed or gone, the bridge stopping).
func (r *receiver) once() bool {
	r.reset()
	n, err := r.p.dev.ReadBatch(r.bufs[:])
	switch r.handle(n, err) {
	case rxEnd:
		return false
	case rxFailed:
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// reset readies the buffers for a read: the ones the last read returned
// (r.used; those the pipeline handed over were replaced by fresh ones
// from the pool). A read leaves the buffers of frames it dropped with
// their bytes and Data changed at most (ports.Port), which the next read
// sets again. Resetting all 64 every time cost 9 % of the switch's CPU
// under request/response traffic, one frame per batch (docs/bench/RESULTS.md,
// "Receive latency (session 9)").
func (r *receiver) reset() {
	for _, pk := range r.bufs[:r.used] {
		pk.Reset()
	}
	r.used = 0
}

// What handle says of a read.
const (
	rxOK     = iota // go on
	rxEnd           // the port is closed or gone, or the bridge stopping: receiving ends
	rxFailed        // the read failed (logged): try again later
)

// handle runs the n packets a read returned through the pipeline, or
// says what the read's error means.
func (r *receiver) handle(n int, err error) int {
	b, p := r.b, r.p
	bufs := r.bufs[:]
	r.used = n
	if err != nil {
		if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) || p.gone.Load() {
			return rxEnd
		}
		if errors.Is(err, ports.ErrDeviceGone) {
			b.log.Warn("port's interface is gone: its receive loop ends", zap.String("port", p.name), zap.Error(err))
			return rxEnd
		}
		select {
		case <-b.stop:
			return rxEnd
		default:
		}
		b.log.Warn("receive failed", zap.String("port", p.name), zap.Error(err))
		return rxFailed
	}
	if n == 0 || p.config.Load()&ofproto.PortConfigNoRecv != 0 {
		return rxOK
	}
	// busy before quiesced is read, Quiesce the other way round: a batch
	// either sees quiesced or is waited for.
	p.busy.Store(true)
	if b.quiesced.Load() {
		p.busy.Store(false)
		return rxOK
	}
	for _, pk := range bufs[:n] {
		pk.Key.SetInPort(p.no)
	}
	r.batch.Pkts = bufs[:n]
	r.batch.Now = b.now()
	r.loop.ProcessOwned(&r.batch)
	p.busy.Store(false)
	for i, pk := range bufs[:n] {
		if pk == nil {
			bufs[i] = b.pool.Get()
		}
	}
	return rxOK
}

// AddPort adds a port while the bridge runs and returns its number. p.No
// is the requested number (0: none); as ovs-vswitchd, a requested number
// that is free is used, otherwise the next free one after the last
// assigned (from 1, below 32768, not reusing a number freed less than an
// hour ago while another is free). p.Name defaults to the device's name.
// The controllers get OFPT_PORT_STATUS add. On error the device is closed.
func (b *Bridge) AddPort(p Port) (uint32, error) {
	if p.Dev == nil {
		return 0, errors.New("datapath: AddPort without a device")
	}
	name := p.Dev.Name()
	np, err := b.addPort(p.No, name, p.Type, p.Dev, nil)
	if err != nil {
		p.Dev.Close()
		return 0, err
	}
	return np.no, nil
}

// addPort adds a port with device dev or patch end pe.
func (b *Bridge) addPort(req uint32, name, typ string, dev ports.Port, pe *patchEnd) (*port, error) {
	return b.addPortEnd(req, name, typ, dev, pe, nil)
}

// addPortEnd adds a port with device dev, patch end pe or tunnel end te.
func (b *Bridge) addPortEnd(req uint32, name, typ string, dev ports.Port, pe *patchEnd, te *tunnelEnd) (*port, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("bridge %s: closed", b.cfg.Name)
	}
	tab := b.tab.Load()
	if name == b.cfg.Name {
		return nil, fmt.Errorf("bridge %s: port name %s is the bridge's LOCAL port", b.cfg.Name, name)
	}
	for _, q := range tab.list {
		if q.name == name {
			return nil, fmt.Errorf("bridge %s: port %s already exists (port %d)", b.cfg.Name, name, q.no)
		}
	}
	if req > pipeline.PortMax {
		req = 0
	}
	no := b.alloc.get(req, b.now())
	if no == 0 {
		return nil, fmt.Errorf("bridge %s: no free port number for %s", b.cfg.Name, name)
	}
	np := b.newPort(no, name, typ, dev)
	np.patch, np.tnl = pe, te
	if pe != nil || te != nil {
		np.up.Store(true)
	}
	b.tab.Store(tab.with(np))
	b.updatePipelinePortsLocked()
	if b.started {
		b.startPort(np)
	}
	b.of.PortStatus(ofproto.PortAdded, b.ofPort(np))
	return np, nil
}

// RemovePort removes port no while the bridge runs: outputs to it stop,
// its receive loop ends (RemovePort returns after it has), what is queued
// for it is dropped, its device is closed and the controllers get
// OFPT_PORT_STATUS delete. A patch port's peer stays (its outputs are
// dropped, as OVS's with a missing peer).
func (b *Bridge) RemovePort(no uint32) error {
	if no == pipeline.PortLocal {
		return fmt.Errorf("bridge %s: the LOCAL port goes only with the bridge", b.cfg.Name)
	}
	b.mu.Lock()
	tab := b.tab.Load()
	p := tab.byNo[no]
	if p == nil {
		b.mu.Unlock()
		return fmt.Errorf("bridge %s: no port %d", b.cfg.Name, no)
	}
	b.tab.Store(tab.without(no))
	b.alloc.free(no, b.now())
	b.updatePipelinePortsLocked()
	desc := b.ofPort(p) // as OVS: the port's last description, address included
	p.gone.Store(true)
	r, g, done := p.rxr, b.rxg, p.rxDone
	if r == nil {
		p.close() // ends its own loop's ReadBatch
	}
	b.of.PortStatus(ofproto.PortDeleted, desc)
	b.mu.Unlock()
	if r != nil {
		// Out of the shared loop's set before the device closes; waits
		// for the port's batch in progress only.
		g.leave(r)
		p.close()
	}
	if p.patch != nil {
		p.patch.unlink()
	}
	if p.tnl != nil {
		b.cfg.Tunnels.Rebuild()
	}
	if done != nil {
		<-done
	}
	// A flush that loaded the old table may still be writing the queue;
	// it ends on the closed device. Wait for it, then drop the rest.
	p.flushMu.Lock()
	p.dropQueued(b.pool)
	p.flushMu.Unlock()
	return nil
}

// portAlloc numbers ports as ovs-vswitchd's alloc_ofp_port: usage holds,
// per number, inUse or when it was freed.
type portAlloc struct {
	last  uint32
	usage map[uint32]int64
}

const (
	inUse        = math.MaxInt64
	maxAutoPort  = 32768 // automatic numbers stay in the lower half
	reuseAfterNs = int64(time.Hour)
)

func (a *portAlloc) init() { a.usage = map[uint32]int64{} }

func (a *portAlloc) take(no uint32) { a.usage[no] = inUse }

func (a *portAlloc) free(no uint32, now int64) { a.usage[no] = max(now, 1) }

// get returns req if it is free, else the next automatic number (0: none).
func (a *portAlloc) get(req uint32, now int64) uint32 {
	if req != 0 && a.usage[req] != inUse {
		a.usage[req] = inUse
		return req
	}
	end := a.last
	if end == 0 {
		end = maxAutoPort - 1
	}
	var lruNo uint32
	lru := int64(inUse)
	for {
		a.last++
		if a.last >= maxAutoPort {
			a.last = 1
		}
		u, used := a.usage[a.last]
		if !used || (u != inUse && u < now-reuseAfterNs) {
			a.usage[a.last] = inUse
			return a.last
		}
		if u < lru {
			lru, lruNo = u, a.last
		}
		if a.last == end {
			if lruNo != 0 {
				a.usage[lruNo] = inUse
				return lruNo
			}
			return 0
		}
	}
}

// sender is the pipeline's Sender: outputs are copied into per-port queues
// (or, at a packet's last output, the packet itself is queued: OutputOwned)
// and leave in batches at Flush.
type sender Bridge

func (x *sender) Output(no uint32, pk *packet.Packet) { x.enqueue(no, pk, false) }

// OutputOwned is Output of a packet the pipeline hands over: it is queued
// without a copy, or returned to the pool when it goes nowhere.
func (x *sender) OutputOwned(no uint32, pk *packet.Packet) {
	if !x.enqueue(no, pk, true) {
		x.pool.Put(pk)
	}
}

// enqueue queues pk (owned: pk itself, else a copy) for port no and
// reports whether it queued pk itself.
func (x *sender) enqueue(no uint32, pk *packet.Packet, owned bool) bool {
	b := (*Bridge)(x)
	p := b.tab.Load().byNo[no]
	if p == nil || p.config.Load()&(ofproto.PortConfigNoFwd|ofproto.PortConfigDown) != 0 || p.gone.Load() {
		return false
	}
	if p.tnl == nil {
		if st := b.cfg.Tunnels.on(); st != nil && b.terminate(st, pk) {
			return false
		}
	}
	if p.npend.Load() >= MaxQueue || ((p.patch != nil || p.tnl != nil) && pk.PatchDepth >= MaxPatchDepth) {
		p.qdrops.Add(1)
		return false
	}
	c := pk
	if !owned {
		c = b.pool.Get()
		c.CopyFrom(pk)
	}
	if p.patch != nil {
		c.PatchDepth++
	}
	p.mu.Lock()
	p.pending = append(p.pending, c)
	p.mu.Unlock()
	p.npend.Add(1)
	return owned
}

func (x *sender) Flush() {
	b := (*Bridge)(x)
	if b.tnlRxN.Load() > 0 {
		b.flushDecap()
	}
	for _, p := range b.tab.Load().list {
		if p.npend.Load() == 0 {
			continue
		}
		if p.patch != nil {
			b.flushPatch(p)
			continue
		}
		if p.tnl != nil {
			b.flushTunnel(p)
			continue
		}
		b.flushPort(p)
	}
}

// flushPort writes p's queue. A goroutine that finds another one writing
// p leaves its packets to it: the writer drains the queue until it is
// empty and looks again after unlocking, so nothing is stranded.
func (b *Bridge) flushPort(p *port) {
	for p.npend.Load() > 0 {
		if !p.flushMu.TryLock() {
			return
		}
		for p.npend.Load() > 0 {
			out := p.flushBuf[:]
			n := p.take(out)
			if n == 0 {
				break
			}
			if err := p.dev.WriteBatch(out[:n]); err != nil {
				p.closedDrops.Add(uint64(n)) // the device is closed
			}
			for i := range n {
				b.pool.Put(out[i])
				out[i] = nil
			}
		}
		p.flushMu.Unlock()
	}
}

// take moves up to len(out) queued packets into out.
func (p *port) take(out []*packet.Packet) int {
	p.mu.Lock()
	n := copy(out, p.pending)
	rest := copy(p.pending, p.pending[n:])
	clear(p.pending[rest:])
	p.pending = p.pending[:rest]
	p.npend.Add(int32(-n))
	p.mu.Unlock()
	return n
}

// pinSink forwards packet-ins to the OpenFlow server, unless the in_port
// has OFPPC_NO_PACKET_IN.
type pinSink Bridge

func (x *pinSink) PacketIn(pi *pipeline.PacketIn) {
	b := (*Bridge)(x)
	if p := b.tab.Load().byNo[pi.Key.InPort()]; p != nil && p.config.Load()&ofproto.PortConfigNoPacketIn != 0 {
		return
	}
	if !ports.HasOffload(&pi.Off) {
		b.of.PacketIn(pi)
		return
	}
	// A controller gets wire frames: segment a GSO super-frame, finish a
	// partial checksum (slow path; copies).
	if ports.IsGSO(&pi.Off) {
		var seg ports.Segmenter
		one := *pi
		one.Off = packet.Offload{}
		err := seg.Segment(pi.Data, &pi.Off, func(frame []byte) {
			one.Data = frame
			b.of.PacketIn(&one)
		})
		if err != nil {
			b.log.Debug("packet-in: cannot segment a GSO frame", zap.Error(err))
		}
		return
	}
	pk := packet.New(pi.Data)
	pk.Off = pi.Off
	if err := ports.RecomputeOffloadChecksum(pk); err != nil {
		b.log.Debug("packet-in: cannot finish a partial checksum", zap.Error(err))
	}
	one := *pi
	one.Data, one.Off = pk.Data, packet.Offload{}
	b.of.PacketIn(&one)
}

var (
	_ pipeline.OwningSender = (*sender)(nil)
	_ pipeline.PacketInSink = (*pinSink)(nil)
	_ ofproto.Ports         = (*ofPorts)(nil)
)

// ofPorts is the OpenFlow server's view of the ports.
type ofPorts Bridge

func (b *Bridge) ofPort(p *port) ofproto.Port {
	op := ofproto.Port{No: p.no, Name: p.name, Config: p.config.Load(),
		Curr: ofproto.PortFeature10GBFD | ofproto.PortFeatureCopper, CurrSpeed: 10000000}
	copy(op.HWAddr[:], p.hwAddr())
	if p.patch != nil || p.tnl != nil {
		// As OVS's patch and tunnel ports: no features, no speed.
		op.Curr, op.CurrSpeed = 0, 0
	}
	if a, ok := p.dev.(interface{ AdminUp() bool }); ok && !a.AdminUp() {
		// As OVS: a device that is administratively down is PORT_DOWN.
		op.Config |= ofproto.PortConfigDown
	}
	if !p.up.Load() {
		op.State |= ofproto.PortStateLinkDown
	} else {
		op.State |= ofproto.PortStateLive
	}
	return op
}

func (x *ofPorts) Ports() []ofproto.Port {
	b := (*Bridge)(x)
	tab := b.tab.Load()
	out := make([]ofproto.Port, 0, len(tab.list)+1)
	for _, p := range tab.list {
		out = append(out, b.ofPort(p))
	}
	if tab.byNo[pipeline.PortLocal] == nil {
		out = append(out, b.localPort())
	}
	return out
}

// localPort is the LOCAL port of a bridge without Config.Local, as OVS
// reports a netdev bridge's internal interface while it is down. There is
// no interface behind it: it stays down, and outputs to it are dropped as
// they are on a down OVS port.
func (b *Bridge) localPort() ofproto.Port {
	return ofproto.Port{No: pipeline.PortLocal, Name: b.cfg.Name, HWAddr: b.HWAddr(),
		Config: ofproto.PortConfigDown, State: ofproto.PortStateLinkDown,
		Curr: ofproto.PortFeature10GBFD | ofproto.PortFeatureCopper, CurrSpeed: 10000000}
}

func (x *ofPorts) PortStats(no uint32) []ofproto.PortStats {
	b := (*Bridge)(x)
	var out []ofproto.PortStats
	tab := b.tab.Load()
	if (no == pipeline.PortAny || no == pipeline.PortLocal) && tab.byNo[pipeline.PortLocal] == nil {
		out = append(out, ofproto.PortStats{No: pipeline.PortLocal})
	}
	for _, p := range tab.list {
		if no != pipeline.PortAny && p.no != no {
			continue
		}
		st := p.stats()
		out = append(out, ofproto.PortStats{No: p.no,
			RxPackets: st.RxPackets, TxPackets: st.TxPackets, RxBytes: st.RxBytes, TxBytes: st.TxBytes,
			RxDropped: st.RxDrops, TxDropped: st.TxDrops, RxErrors: st.RxErrors, TxErrors: st.TxErrors,
			RxFrameErr: ofproto.Unknown, RxOverErr: ofproto.Unknown, RxCRCErr: ofproto.Unknown, Collisions: ofproto.Unknown,
			Created: p.created})
	}
	return out
}

func (x *ofPorts) PortMod(no uint32, hw [6]byte, config, mask, advertise uint32) error {
	b := (*Bridge)(x)
	if no == pipeline.PortLocal && b.tab.Load().byNo[no] == nil {
		if hw != b.HWAddr() {
			return pipeline.Errorf(pipeline.OFPPMFC_BAD_HW_ADDR, "LOCAL: hardware address does not match")
		}
		if mask&config&ofproto.PortConfigDown == 0 && mask&ofproto.PortConfigDown != 0 {
			return pipeline.Errorf(pipeline.OFPPMFC_EPERM, "LOCAL: gswitch has no local interface to bring up")
		}
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.tab.Load().byNo[no]
	if p == nil {
		return pipeline.Errorf(pipeline.OFPPMFC_BAD_PORT, "port %d does not exist", no)
	}
	var cur [6]byte
	copy(cur[:], p.hwAddr())
	if hw != cur {
		return pipeline.Errorf(pipeline.OFPPMFC_BAD_HW_ADDR, "port %d: hardware address does not match", no)
	}
	const settable = ofproto.PortConfigDown | ofproto.PortConfigNoRecv | ofproto.PortConfigNoFlood |
		ofproto.PortConfigNoFwd | ofproto.PortConfigNoPacketIn
	mask &= settable
	old := p.config.Load()
	nw := old&^mask | config&mask
	if old != nw {
		p.config.Store(nw)
		b.updatePipelinePortsLocked()
		b.of.PortStatus(ofproto.PortModified, b.ofPort(p))
	}
	return nil
}

// flowEvents hands the pipeline's flow table events to the OpenFlow
// channel's flow monitors.
type flowEvents Bridge

func (x *flowEvents) FlowEventsWanted() bool {
	of := (*Bridge)(x).of
	return of != nil && of.FlowEventsWanted()
}

func (x *flowEvents) FlowEvents(ev []pipeline.FlowEvent) {
	if of := (*Bridge)(x).of; of != nil {
		of.FlowEvents(ev)
	}
}
