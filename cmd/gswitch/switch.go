package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/ofproto"
	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports"
)

// swPort is one switch port: the kernel side (ports.Port), its OpenFlow
// number and config, and its transmit queue.
type swPort struct {
	no      uint32
	name    string
	tap     bool
	p       ports.Port
	created int64

	config atomic.Uint32 // OFPPC_* (OpenFlow 1.0 numbering)
	up     atomic.Bool

	mu      sync.Mutex
	pending []*packet.Packet
	npend   atomic.Int32

	// flushMu serializes a port's transmits (keeping its output order when
	// several receive goroutines flush) and guards flushBuf, the scratch
	// batch handed to WriteBatch (kept here so it does not escape per call).
	flushMu  sync.Mutex
	flushBuf [packet.MaxBatch]*packet.Packet
}

// Switch is a running gswitch: everything main wires together.
type Switch struct {
	cfg     *Config
	log     *zap.Logger
	start   time.Time
	pool    *packet.Pool
	ports   []*swPort
	byNo    map[uint32]*swPort // immutable after New
	tracker *ct.Tracker
	dp      *pipeline.Datapath
	of      *ofproto.Server
	ctl     ctlServer
	watch   *ports.LinkWatcher
	dpid    uint64
	hwaddr  [6]byte // the bridge's (LOCAL port's) address

	wg      sync.WaitGroup
	stop    chan struct{}
	exitReq chan struct{}
}

// Now is the datapath clock: monotonic nanoseconds since start.
func (s *Switch) Now() int64 { return int64(time.Since(s.start)) }

// NewSwitch opens the ports and builds the datapath and OpenFlow server. It
// does not start traffic; Run does.
func NewSwitch(cfg *Config, log *zap.Logger) (*Switch, error) {
	s := &Switch{cfg: cfg, log: log, start: time.Now(), pool: packet.NewPool(),
		byNo: map[uint32]*swPort{}, stop: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			s.closePorts()
		}
	}()
	for _, ps := range cfg.Ports {
		var p ports.Port
		var err error
		if ps.TAP {
			p, err = ports.CreateTAP(ps.Name, ports.WithLinkUp())
		} else {
			if _, ierr := net.InterfaceByName(ps.Name); ierr != nil {
				return nil, fmt.Errorf("--port %s: no such network interface in this namespace", ps.Name)
			}
			p, err = ports.OpenAFPacket(ps.Name)
		}
		if err != nil {
			return nil, err
		}
		sp := &swPort{no: ps.No, name: p.Name(), tap: ps.TAP, p: p, created: s.Now()}
		sp.up.Store(p.LinkUp())
		s.ports = append(s.ports, sp)
		s.byNo[sp.no] = sp
	}
	s.hwaddr = bridgeMAC(s.ports)
	if cfg.HWAddrSet {
		s.hwaddr = cfg.HWAddr
	}
	s.dpid = cfg.DatapathID
	if !cfg.DatapathSet {
		// As OVS: the datapath id is the bridge's Ethernet address.
		for _, b := range s.hwaddr {
			s.dpid = s.dpid<<8 | uint64(b)
		}
	}
	s.tracker = ct.New(ct.Config{Clock: s.Now})
	s.dp = pipeline.New(pipeline.Config{
		Tracker:     s.tracker,
		Sender:      (*sender)(s),
		PacketIn:    (*pinSink)(s),
		FlowRemoved: func(fr *pipeline.FlowRemoved) { s.of.FlowRemoved(fr) },
	})
	s.updatePipelinePorts()
	of, err := ofproto.New(ofproto.Config{
		Datapath:   s.dp,
		Ports:      (*portTable)(s),
		Ct:         ctFlusher{s.tracker},
		DatapathID: s.dpid,
		Protocols:  cfg.Protocols,
		Clock:      s.Now,
		Logger:     log.Named("ofproto"),
		Desc:       ofproto.Desc{Manufacturer: "gswitch", Hardware: "gswitch userspace switch", Software: "gswitch " + Version, SerialNum: "None", Datapath: cfg.Bridge},
	})
	if err != nil {
		return nil, err
	}
	s.of = of
	if cfg.FailMode == "standalone" && len(cfg.Controllers) == 0 {
		// As ovs-vswitchd does for a bridge with no controller.
		fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
			Spec: pipeline.FlowSpec{Inst: pipeline.Instructions{HasApply: true, GotoTable: -1,
				Apply: []pipeline.Action{pipeline.Output{Port: pipeline.PortNormal}}}}}
		if err := s.dp.FlowMod(fm, s.Now()); err != nil {
			return nil, fmt.Errorf("installing the standalone NORMAL flow: %w", err)
		}
	}
	ok = true
	return s, nil
}

// bridgeMAC is the bridge's default Ethernet address: the first port's, or
// a random locally administered one when there is no port.
func bridgeMAC(ps []*swPort) [6]byte {
	var mac [6]byte
	if len(ps) > 0 && len(ps[0].p.HWAddr()) == 6 {
		copy(mac[:], ps[0].p.HWAddr())
		return mac
	}
	if f, err := os.Open("/dev/urandom"); err == nil {
		f.Read(mac[:])
		f.Close()
	}
	mac[0] = mac[0]&^1 | 2
	return mac
}

// Run starts the listeners, the receive loops and the timers.
func (s *Switch) Run() error {
	for _, l := range s.cfg.OFListen {
		if err := s.of.Listen(l); err != nil {
			return fmt.Errorf("--of-listen %s: %w", l, err)
		}
	}
	if !s.cfg.NoMgmtSocket {
		mgmt := filepath.Join(s.cfg.RunDir, s.cfg.Bridge+".mgmt")
		if err := s.listenMgmt(mgmt); err != nil {
			if s.cfg.BridgeSet {
				return err
			}
			s.log.Warn("management socket not available; continuing without it", zap.String("path", mgmt), zap.Error(err))
		}
	}
	for _, c := range s.cfg.Controllers {
		if err := s.of.Connect(c); err != nil {
			return fmt.Errorf("--controller %s: %w", c, err)
		}
	}
	w, err := ports.Watch(s.linkChanged)
	if err != nil {
		s.log.Warn("link state watch unavailable; port status will not follow the kernel", zap.Error(err))
	} else {
		s.watch = w
	}
	for _, p := range s.ports {
		s.wg.Add(1)
		go s.rxLoop(p)
	}
	s.tracker.Start()
	s.wg.Add(1)
	go s.timers()
	return nil
}

// listenMgmt listens on punix:PATH, refusing a socket another process answers on.
func (s *Switch) listenMgmt(path string) error {
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("bridge %s: management socket %s is in use by another switch (choose another --bridge or OVS_RUNDIR)", s.cfg.Bridge, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("bridge %s: %w", s.cfg.Bridge, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path) // stale: nobody answered
	}
	if err := s.of.Listen("punix:" + path); err != nil {
		return fmt.Errorf("bridge %s: management socket %s: %w", s.cfg.Bridge, path, err)
	}
	return nil
}

// Close stops everything and releases the ports.
func (s *Switch) Close() {
	close(s.stop)
	if s.watch != nil {
		s.watch.Close()
	}
	s.closePorts()
	s.wg.Wait()
	s.tracker.Stop()
	if s.of != nil {
		s.of.Close()
	}
	if !s.cfg.NoMgmtSocket {
		mgmt := filepath.Join(s.cfg.RunDir, s.cfg.Bridge+".mgmt")
		// Remove our socket only (another process may own a live one).
		if c, err := net.DialTimeout("unix", mgmt, 100*time.Millisecond); err != nil {
			os.Remove(mgmt)
		} else {
			c.Close()
		}
	}
}

func (s *Switch) closePorts() {
	for _, p := range s.ports {
		p.p.Close()
	}
}

// rxLoop is a port's receive goroutine: read a batch, run it through the
// pipeline to completion, repeat. Packets are this loop's own; nothing in
// the pipeline keeps them past Process.
func (s *Switch) rxLoop(p *swPort) {
	defer s.wg.Done()
	var bufs [packet.MaxBatch]*packet.Packet
	for i := range bufs {
		bufs[i] = s.pool.Get()
	}
	batch := packet.Batch{}
	for {
		// Every buffer, not just the n used last time: ReadBatch may have
		// touched buffers past n for frames it dropped (cheap: 0.2% of CPU
		// at TCP load, docs/bench/PROFILE.md).
		for _, pk := range bufs {
			pk.Reset()
		}
		n, err := p.p.ReadBatch(bufs[:])
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return
			}
			select {
			case <-s.stop:
				return
			default:
			}
			s.log.Warn("receive failed", zap.String("port", p.name), zap.Error(err))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if n == 0 || p.config.Load()&ofproto.PortConfigNoRecv != 0 {
			continue
		}
		for _, pk := range bufs[:n] {
			pk.Key.SetInPort(p.no)
		}
		batch.Pkts = bufs[:n]
		batch.Now = s.Now()
		s.dp.Process(&batch)
	}
}

// timers runs flow expiry once a second.
func (s *Switch) timers() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.dp.Expire(s.Now())
		}
	}
}

func (s *Switch) linkChanged(name string, up bool) {
	for _, p := range s.ports {
		if p.name != name || p.up.Load() == up {
			continue
		}
		p.up.Store(up)
		s.updatePipelinePorts()
		s.of.PortStatus(ofproto.PortModified, s.ofPort(p))
	}
}

func (s *Switch) updatePipelinePorts() {
	infos := make([]pipeline.PortInfo, 0, len(s.ports))
	for _, p := range s.ports {
		c := p.config.Load()
		infos = append(infos, pipeline.PortInfo{No: p.no, NoFlood: c&ofproto.PortConfigNoFlood != 0,
			Up: p.up.Load() && c&ofproto.PortConfigDown == 0})
	}
	s.dp.SetPorts(infos)
}

func (s *Switch) ofPort(p *swPort) ofproto.Port {
	op := ofproto.Port{No: p.no, Name: p.name, Config: p.config.Load(),
		Curr: ofproto.PortFeature10GBFD | ofproto.PortFeatureCopper, CurrSpeed: 10000000}
	copy(op.HWAddr[:], p.p.HWAddr())
	if !p.up.Load() {
		op.State |= ofproto.PortStateLinkDown
	} else {
		op.State |= ofproto.PortStateLive
	}
	return op
}

// sender is the pipeline's Sender: outputs are copied into per-port queues
// and leave in batches at Flush.
type sender Switch

func (x *sender) Output(port uint32, pk *packet.Packet) {
	s := (*Switch)(x)
	p := s.byNo[port]
	if p == nil || p.config.Load()&(ofproto.PortConfigNoFwd|ofproto.PortConfigDown) != 0 {
		return
	}
	c := s.pool.Get()
	c.CopyFrom(pk)
	p.mu.Lock()
	p.pending = append(p.pending, c)
	p.mu.Unlock()
	p.npend.Add(1)
}

func (x *sender) Flush() {
	s := (*Switch)(x)
	for _, p := range s.ports {
		if p.npend.Load() == 0 {
			continue
		}
		p.flushMu.Lock()
		for p.npend.Load() > 0 {
			out := p.flushBuf[:]
			p.mu.Lock()
			n := copy(out, p.pending)
			rest := copy(p.pending, p.pending[n:])
			clear(p.pending[rest:])
			p.pending = p.pending[:rest]
			p.npend.Add(int32(-n))
			p.mu.Unlock()
			if n == 0 {
				break
			}
			p.p.WriteBatch(out[:n])
			for i := range n {
				s.pool.Put(out[i])
				out[i] = nil
			}
		}
		p.flushMu.Unlock()
	}
}

// pinSink forwards packet-ins to the OpenFlow server, unless the in_port
// has OFPPC_NO_PACKET_IN.
type pinSink Switch

func (x *pinSink) PacketIn(pi *pipeline.PacketIn) {
	s := (*Switch)(x)
	if p := s.byNo[pi.Key.InPort()]; p != nil && p.config.Load()&ofproto.PortConfigNoPacketIn != 0 {
		return
	}
	if !ports.HasOffload(&pi.Off) {
		s.of.PacketIn(pi)
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
			s.of.PacketIn(&one)
		})
		if err != nil {
			s.log.Debug("packet-in: cannot segment a GSO frame", zap.Error(err))
		}
		return
	}
	pk := packet.New(pi.Data)
	pk.Off = pi.Off
	if err := ports.RecomputeOffloadChecksum(pk); err != nil {
		s.log.Debug("packet-in: cannot finish a partial checksum", zap.Error(err))
	}
	one := *pi
	one.Data, one.Off = pk.Data, packet.Offload{}
	s.of.PacketIn(&one)
}

// portTable is the OpenFlow server's view of the ports.
type portTable Switch

func (x *portTable) Ports() []ofproto.Port {
	s := (*Switch)(x)
	out := make([]ofproto.Port, 0, len(s.ports)+1)
	for _, p := range s.ports {
		out = append(out, s.ofPort(p))
	}
	return append(out, s.localPort())
}

// localPort is the LOCAL port as OVS reports a netdev bridge's internal
// interface while it is down. gswitch has no interface behind it: it stays
// down, and outputs to it are dropped as they are on a down OVS port.
func (s *Switch) localPort() ofproto.Port {
	return ofproto.Port{No: pipeline.PortLocal, Name: s.cfg.Bridge, HWAddr: s.hwaddr,
		Config: ofproto.PortConfigDown, State: ofproto.PortStateLinkDown,
		Curr: ofproto.PortFeature10GBFD | ofproto.PortFeatureCopper, CurrSpeed: 10000000}
}

func (x *portTable) PortStats(no uint32) []ofproto.PortStats {
	s := (*Switch)(x)
	var out []ofproto.PortStats
	if no == pipeline.PortAny || no == pipeline.PortLocal {
		out = append(out, ofproto.PortStats{No: pipeline.PortLocal,
			RxFrameErr: 0, RxOverErr: 0, RxCRCErr: 0, Collisions: 0})
	}
	for _, p := range s.ports {
		if no != pipeline.PortAny && p.no != no {
			continue
		}
		st := p.p.Stats()
		out = append(out, ofproto.PortStats{No: p.no,
			RxPackets: st.RxPackets, TxPackets: st.TxPackets, RxBytes: st.RxBytes, TxBytes: st.TxBytes,
			RxDropped: st.RxDrops, TxDropped: st.TxDrops, RxErrors: st.RxErrors, TxErrors: st.TxErrors,
			RxFrameErr: ofproto.Unknown, RxOverErr: ofproto.Unknown, RxCRCErr: ofproto.Unknown, Collisions: ofproto.Unknown,
			Created: p.created})
	}
	return out
}

func (x *portTable) PortMod(no uint32, hw [6]byte, config, mask, advertise uint32) error {
	s := (*Switch)(x)
	p := s.byNo[no]
	if no == pipeline.PortLocal {
		if hw != s.hwaddr {
			return pipeline.Errorf(pipeline.OFPPMFC_BAD_HW_ADDR, "LOCAL: hardware address does not match")
		}
		if mask&config&ofproto.PortConfigDown == 0 && mask&ofproto.PortConfigDown != 0 {
			return pipeline.Errorf(pipeline.OFPPMFC_EPERM, "LOCAL: gswitch has no local interface to bring up")
		}
		return nil
	}
	if p == nil {
		return pipeline.Errorf(pipeline.OFPPMFC_BAD_PORT, "port %d does not exist", no)
	}
	var cur [6]byte
	copy(cur[:], p.p.HWAddr())
	if hw != cur {
		return pipeline.Errorf(pipeline.OFPPMFC_BAD_HW_ADDR, "port %d: hardware address does not match", no)
	}
	const settable = ofproto.PortConfigDown | ofproto.PortConfigNoRecv | ofproto.PortConfigNoFlood |
		ofproto.PortConfigNoFwd | ofproto.PortConfigNoPacketIn
	mask &= settable
	for {
		old := p.config.Load()
		nw := old&^mask | config&mask
		if p.config.CompareAndSwap(old, nw) {
			if old != nw {
				s.updatePipelinePorts()
				s.of.PortStatus(ofproto.PortModified, s.ofPort(p))
			}
			return nil
		}
	}
}

// ctFlusher adapts the tracker to the OpenFlow server's NXT_CT_FLUSH(_ZONE).
type ctFlusher struct{ t *ct.Tracker }

func (c ctFlusher) FlushZone(zone uint16) { c.t.FlushZone(zone) }

func (c ctFlusher) Flush(f *ofproto.CtFlushFilter) {
	conv := func(t ofproto.CtTuple) ct.FlushTuple {
		return ct.FlushTuple{Src: t.Src, Dst: t.Dst, SrcPort: t.SrcPort, DstPort: t.DstPort,
			ICMPID: t.ICMPID, ICMPType: t.ICMPType, ICMPCode: t.ICMPCode}
	}
	// As OVS's handle_nxt_ct_flush, a full tuple that names no connection
	// is not an error to the controller.
	_, _ = c.t.FlushMatching(ct.FlushFilter{HasZone: f.HasZone, Zone: f.Zone, Proto: f.Proto, Orig: conv(f.Orig), Reply: conv(f.Reply)})
}

// portNames returns "name(no)" for logs.
func (s *Switch) portNames() string {
	var b []string
	for _, p := range s.ports {
		b = append(b, fmt.Sprintf("%s(%d)", p.name, p.no))
	}
	sort.Strings(b)
	return strings.Join(b, " ")
}
