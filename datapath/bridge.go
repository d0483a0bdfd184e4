package datapath

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
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

// Config configures a Bridge.
type Config struct {
	// Name is the bridge's name: its LOCAL port's name and the datapath
	// description ovs-ofctl shows.
	Name string
	// DatapathID is the datapath id when DatapathIDSet; otherwise it is
	// the bridge's Ethernet address, as in OVS.
	DatapathID    uint64
	DatapathIDSet bool
	// HWAddr is the bridge's (LOCAL port's) Ethernet address when
	// HWAddrSet; otherwise the first port's, or a random locally
	// administered one.
	HWAddr    [6]byte
	HWAddrSet bool
	// Protocols is the OpenFlow version bitmap offered (0: all).
	Protocols uint32
	// FailMode is "standalone" (the default) or "secure". A standalone
	// bridge with no active Controllers gets one NORMAL flow, as
	// ovs-vswitchd gives it.
	FailMode string
	// Listen are passive OpenFlow listeners (ptcp:, punix:); Controllers
	// are the Controller rows' targets: active ones (tcp:, unix:) and
	// passive ones (ptcp:, punix:; listeners too, which SetControllers can
	// remove). Start opens them; a failure is an error.
	Listen      []string
	Controllers []string
	// ControllerTypes is the Controller rows' type column by target
	// ("primary" or "service"); a target not in it is primary when active,
	// a service when passive (IsPrimary).
	ControllerTypes map[string]string
	// Mgmt is the management socket path ($OVS_RUNDIR/NAME.mgmt; empty:
	// none). A socket another process answers on is refused; when
	// MgmtOptional, Start then logs a warning and goes on without it.
	Mgmt         string
	MgmtOptional bool
	// Software is the OFPMP_DESC software description.
	Software string
	// Local is the bridge's internal LOCAL port (OpenFlow LOCAL, 65534 in
	// ovs-vsctl), a TAP device named after the bridge as ovs-vswitchd
	// creates for each bridge; give it the bridge's address (HWAddr). Nil:
	// LOCAL has no device, stays down, and outputs to it are dropped.
	Local ports.Port

	// Shared by every bridge of a process. Tracker and Pool are required;
	// Clock (monotonic ns) defaults to the time since New; Logger to a
	// no-op.
	Tracker *ct.Tracker
	Pool    *packet.Pool
	// Tunnels is native tunnelling, shared by the bridges (nil: no
	// tunnel ports).
	Tunnels *Tunnels
	// Sampler gets the packets the bridge's sample actions pick (nil:
	// they are counted and go nowhere).
	Sampler pipeline.Sampler
	Clock   func() int64
	Logger  *zap.Logger
	// NoDropLog turns off the per-port drop warning (logDrops): database
	// mode logs drops in OVS's own words instead (netdev_linux's "Message
	// too long") and, as ovs-vswitchd, nothing for a full queue.
	NoDropLog bool
	// RxThreadPerPort gives every port a receive loop waiting on a thread
	// of its own (as before session 9) instead of the bridge's shared
	// receive loop for its ports.Pollable ports (rxgroup.go).
	RxThreadPerPort bool
}

// Port is one port given to New: a device and its OpenFlow port number.
type Port struct {
	No   uint32
	Dev  ports.Port
	Type string // what `show` calls it: "afpacket", "tap", ...
}

// MaxQueue is how many packets a port's output queue holds.
const MaxQueue = 1024

// Bridge is one OpenFlow bridge: a pipeline, its OpenFlow server and ports.
type Bridge struct {
	cfg     Config
	log     *zap.Logger
	now     func() int64
	pool    *packet.Pool
	tracker *ct.Tracker
	dp      *pipeline.Datapath
	of      *ofproto.Server
	dpid    uint64                  // guarded by mu
	primary map[string]bool         // each controller's type when it was added; guarded by mu
	hwaddr  atomic.Pointer[[6]byte] // changed under mu

	// mu serializes changes to the port table and the events they send
	// (add, remove, port-mod, link changes); tab is the table, an
	// immutable snapshot the packet path loads once per use.
	mu    sync.Mutex
	tab   atomic.Pointer[portTable]
	alloc portAlloc // guarded by mu

	// tnlRx holds copies of packets an output found to be tunnel
	// traffic for this host, decapsulated at Flush (Tunnels).
	tnlRxMu sync.Mutex
	tnlRx   []tnlRxEntry
	tnlRxN  atomic.Int32

	// quiesced: the receive loops drop what they read (Quiesce).
	quiesced atomic.Bool

	// dropLogMu guards the ports' dropLogged and dropLogAt (logDrops).
	dropLogMu sync.Mutex

	wg      sync.WaitGroup
	stop    chan struct{}
	rxg     *rxGroup // the shared receive loop (nil: not started); set under mu
	started bool     // guarded by mu
	closed  bool     // guarded by mu
}

// portTable is a snapshot of the bridge's ports.
type portTable struct {
	list []*port // by port number
	byNo map[uint32]*port
}

func (t *portTable) with(p *port) *portTable {
	n := &portTable{list: append(append([]*port(nil), t.list...), p), byNo: make(map[uint32]*port, len(t.byNo)+1)}
	sort.Slice(n.list, func(i, j int) bool { return n.list[i].no < n.list[j].no })
	for _, q := range n.list {
		n.byNo[q.no] = q
	}
	return n
}

func (t *portTable) without(no uint32) *portTable {
	n := &portTable{byNo: make(map[uint32]*port, len(t.byNo))}
	for _, q := range t.list {
		if q.no != no {
			n.list = append(n.list, q)
			n.byNo[q.no] = q
		}
	}
	return n
}

// New builds a bridge over ps (it owns them from now on: on error they are
// closed). It does not start traffic; Start does.
func New(cfg Config, ps []Port) (b *Bridge, err error) {
	defer func() {
		if err != nil {
			for _, p := range ps {
				if p.Dev != nil {
					p.Dev.Close()
				}
			}
			if cfg.Local != nil {
				cfg.Local.Close()
			}
		}
	}()
	if cfg.Tracker == nil || cfg.Pool == nil {
		return nil, errors.New("datapath: Config.Tracker and Config.Pool are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Clock == nil {
		start := time.Now()
		cfg.Clock = func() int64 { return int64(time.Since(start)) }
	}
	b = &Bridge{cfg: cfg, log: cfg.Logger, now: cfg.Clock, pool: cfg.Pool, tracker: cfg.Tracker,
		stop: make(chan struct{})}
	b.alloc.init()
	tab := &portTable{byNo: map[uint32]*port{}}
	for _, p := range ps {
		if p.No == 0 || p.No > pipeline.PortMax {
			return nil, fmt.Errorf("port %s: port number %d out of range", p.Dev.Name(), p.No)
		}
		if tab.byNo[p.No] != nil {
			return nil, fmt.Errorf("port %s: port number %d is already taken by %s", p.Dev.Name(), p.No, tab.byNo[p.No].name)
		}
		tab = tab.with(b.newPort(p.No, p.Dev.Name(), p.Type, p.Dev))
		b.alloc.take(p.No)
	}
	if cfg.Local != nil {
		tab = tab.with(b.newPort(pipeline.PortLocal, cfg.Name, "internal", cfg.Local))
	}
	b.tab.Store(tab)
	hw := BridgeHWAddr(cfg, ps)
	b.hwaddr.Store(&hw)
	b.dpid = pickDatapathID(hw, cfg.DatapathID, cfg.DatapathIDSet)
	b.dp = pipeline.New(pipeline.Config{
		Tracker:     b.tracker,
		Sender:      (*sender)(b),
		PacketIn:    (*pinSink)(b),
		FlowRemoved: func(fr *pipeline.FlowRemoved) { b.of.FlowRemoved(fr) },
		FlowEvents:  (*flowEvents)(b),
		Sampler:     cfg.Sampler,
	})
	b.updatePipelinePorts()
	b.of, err = ofproto.New(ofproto.Config{
		Datapath:   b.dp,
		Ports:      (*ofPorts)(b),
		Ct:         ctFlusher{b.tracker},
		DatapathID: b.dpid,
		Protocols:  cfg.Protocols,
		Clock:      b.now,
		Logger:     b.log.Named("ofproto"),
		Desc: ofproto.Desc{Manufacturer: "gswitch", Hardware: "gswitch userspace switch", Software: cfg.Software,
			SerialNum: "None", Datapath: cfg.Name},
	})
	if err != nil {
		return nil, err
	}
	b.primary = controllerTypes(nil, cfg.Controllers, cfg.ControllerTypes)
	if cfg.FailMode != "secure" && !hasPrimary(b.primary) {
		// As ovs-vswitchd does for a bridge with no controller.
		fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
			Spec: pipeline.FlowSpec{Inst: pipeline.Instructions{HasApply: true, GotoTable: -1,
				Apply: []pipeline.Action{pipeline.Output{Port: pipeline.PortNormal}}}}}
		if err := b.dp.FlowMod(fm, b.now()); err != nil {
			return nil, fmt.Errorf("installing the standalone NORMAL flow: %w", err)
		}
	}
	if cfg.Tunnels != nil {
		cfg.Tunnels.register(b)
	}
	return b, nil
}

// BridgeHWAddr is the Ethernet address New gives a bridge: cfg.HWAddr if
// set, else the first port's, else a random locally administered one (a
// new one at each call). A caller that creates Config.Local calls it first
// and sets HWAddr to the result.
func BridgeHWAddr(cfg Config, ps []Port) [6]byte {
	var mac [6]byte
	if cfg.HWAddrSet {
		return cfg.HWAddr
	}
	if len(ps) > 0 && len(ps[0].Dev.HWAddr()) == 6 {
		copy(mac[:], ps[0].Dev.HWAddr())
		return mac
	}
	if f, err := os.Open("/dev/urandom"); err == nil {
		f.Read(mac[:])
		f.Close()
	}
	mac[0] = mac[0]&^1 | 2
	return mac
}

// Name is the bridge's name.
func (b *Bridge) Name() string { return b.cfg.Name }

// DatapathID is the bridge's datapath id.
func (b *Bridge) DatapathID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dpid
}

// HWAddr is the bridge's (LOCAL port's) Ethernet address.
func (b *Bridge) HWAddr() [6]byte { return *b.hwaddr.Load() }

// pickDatapathID is the datapath id of a bridge with address hw: id when
// set, else the address as a number, as OVS's bridge_pick_datapath_id.
func pickDatapathID(hw [6]byte, id uint64, set bool) uint64 {
	if set {
		return id
	}
	id = 0
	for _, x := range hw {
		id = id<<8 | uint64(x)
	}
	return id
}

// Pipeline is the bridge's flow tables.
func (b *Bridge) Pipeline() *pipeline.Datapath { return b.dp }

// OpenFlow is the bridge's OpenFlow server.
func (b *Bridge) OpenFlow() *ofproto.Server { return b.of }

// Now is the bridge's clock (monotonic ns).
func (b *Bridge) Now() int64 { return b.now() }

// Start opens the listeners and the management socket, connects to the
// controllers and starts the receive loops and the flow-expiry timer.
// The shared tracker is started by its owner.
func (b *Bridge) Start() error {
	for _, l := range b.cfg.Listen {
		if err := b.of.Listen(l); err != nil {
			return fmt.Errorf("--of-listen %s: %w", l, err)
		}
	}
	if b.cfg.Mgmt != "" {
		if err := b.listenMgmt(b.cfg.Mgmt); err != nil {
			if !b.cfg.MgmtOptional {
				return err
			}
			b.log.Warn("management socket not available; continuing without it", zap.String("path", b.cfg.Mgmt), zap.Error(err))
			b.cfg.Mgmt = ""
		}
	}
	for _, c := range b.cfg.Controllers {
		if err := b.connect(c, b.primary[c]); err != nil {
			return fmt.Errorf("--controller %s: %w", c, err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.started = true
	for _, p := range b.tab.Load().list {
		b.startPort(p)
	}
	b.wg.Add(1)
	go b.timers()
	return nil
}

// listenMgmt listens on punix:PATH, refusing a socket another process answers on.
func (b *Bridge) listenMgmt(path string) error {
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("bridge %s: management socket %s is in use by another switch (choose another --bridge or OVS_RUNDIR)", b.cfg.Name, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("bridge %s: %w", b.cfg.Name, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path) // stale: nobody answered
	}
	// Its connections are probed after 60 s of silence, as OVS probes
	// its BRIDGE.mgmt socket's (not the 5 s of controllers).
	if err := b.of.ListenProbe("punix:"+path, 60*time.Second); err != nil {
		return fmt.Errorf("bridge %s: management socket %s: %w", b.cfg.Name, path, err)
	}
	return nil
}

// Quiesce stops forwarding before a state is saved and the bridge closed
// (gswitch --state-dir): from now on the receive loops drop what they
// read; Quiesce waits until no batch they started is still in the
// pipeline (a patch port's crossing into another bridge included), then
// closes the OpenFlow server, which waits for the requests in progress
// (flow-mods, packet-outs). A state exported after it holds every packet
// the bridge forwarded and every change a controller made. Close still
// has to be called; Quiesce cannot be undone.
func (b *Bridge) Quiesce() {
	b.quiesced.Store(true)
	for _, p := range b.tab.Load().list {
		for p.busy.Load() {
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.of.Close()
}

// Close stops the bridge and closes its ports and OpenFlow server.
func (b *Bridge) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.stop)
	tab := b.tab.Load()
	g := b.rxg
	b.mu.Unlock()
	if g != nil {
		// The shared loop ends and its ports leave its set before their
		// devices close.
		g.set.Close()
		<-g.done
	}
	for _, p := range tab.list {
		p.close()
		if p.patch != nil {
			p.patch.unlink()
		}
	}
	if b.cfg.Tunnels != nil {
		b.cfg.Tunnels.unregister(b)
	}
	b.wg.Wait()
	for _, p := range tab.list {
		p.dropQueued(b.pool)
	}
	b.of.Close()
	if b.cfg.Mgmt != "" {
		// Remove our socket only (another process may own a live one).
		if c, err := net.DialTimeout("unix", b.cfg.Mgmt, 100*time.Millisecond); err != nil {
			os.Remove(b.cfg.Mgmt)
		} else {
			c.Close()
		}
	}
}

// timers runs flow expiry once a second.
func (b *Bridge) timers() {
	defer b.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.dp.Expire(b.now())
			if !b.cfg.NoDropLog {
				b.logDrops(b.now())
			}
		}
	}
}

// DropLogInterval is how often at most a port's drops are logged.
const DropLogInterval = 10 * time.Second

// logDrops writes one warning for each port whose drop counters grew since
// its last one (at most one every DropLogInterval per port), naming the
// port and the drops by reason (ports.DropReason: a full output, a frame
// too big for the port's MTU, an offload that could not be honoured, ...),
// so that what a port loses is seen without a flood of lines. The timer
// calls it once a second.
func (b *Bridge) logDrops(now int64) {
	b.dropLogMu.Lock()
	defer b.dropLogMu.Unlock()
	for _, p := range b.tab.Load().list {
		if p.dropLogAt != 0 && now-p.dropLogAt < int64(DropLogInterval) {
			continue
		}
		st := p.stats()
		fields := []zap.Field{zap.String("port", p.name), zap.Uint32("ofport", p.no)}
		for r, v := range st.Drops {
			if ports.DropReason(r) == ports.DropTxDown {
				continue // a port that is down: expected, and OVS says nothing either
			}
			if d := v - p.dropLogged[r]; d != 0 {
				fields = append(fields, zap.Uint64(ports.DropReason(r).String(), d))
			}
		}
		if len(fields) == 2 {
			continue
		}
		p.dropLogged, p.dropLogAt = st.Drops, now
		b.log.Warn("port dropped packets (counts since its last such line)", fields...)
	}
}

// LinkChanged tells the bridge that the kernel interface name went up or
// down (from a ports.LinkWatcher); the other bridges' ports are ignored.
func (b *Bridge) LinkChanged(name string, up bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.tab.Load().list {
		if p.name != name || p.dev == nil || p.up.Load() == up {
			continue
		}
		p.up.Store(up)
		b.updatePipelinePortsLocked()
		b.of.PortStatus(ofproto.PortModified, b.ofPort(p))
	}
}

func (b *Bridge) updatePipelinePorts() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.updatePipelinePortsLocked()
}

func (b *Bridge) updatePipelinePortsLocked() {
	tab := b.tab.Load()
	infos := make([]pipeline.PortInfo, 0, len(tab.list))
	for _, p := range tab.list {
		c := p.config.Load()
		infos = append(infos, pipeline.PortInfo{No: p.no, NoFlood: c&ofproto.PortConfigNoFlood != 0,
			Up: p.up.Load() && c&ofproto.PortConfigDown == 0, VLAN: p.vlan.Load()})
	}
	b.dp.SetPorts(infos)
}

// SetPortVLAN sets port no's VLAN configuration for NORMAL (OVS's Port
// tag, trunks and vlan_mode; nil: a trunk of every VLAN), in place: the
// pipeline takes it with its next batch. False when there is no such port.
func (b *Bridge) SetPortVLAN(no uint32, v *pipeline.PortVLAN) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.tab.Load().list {
		if p.no == no {
			p.vlan.Store(v)
			b.updatePipelinePortsLocked()
			return true
		}
	}
	return false
}

// PortState is one port as `show` reports it.
type PortState struct {
	No     uint32
	Name   string
	Type   string
	Up     bool
	Config uint32 // OFPPC_* (OpenFlow 1.0 numbering)
	HWAddr net.HardwareAddr
	Stats  ports.Stats
}

// Ports returns the bridge's ports (not LOCAL), by number.
func (b *Bridge) Ports() []PortState {
	tab := b.tab.Load()
	out := make([]PortState, 0, len(tab.list))
	for _, p := range tab.list {
		out = append(out, PortState{No: p.no, Name: p.name, Type: p.typ, Up: p.up.Load(), Config: p.config.Load(),
			HWAddr: p.hwAddr(), Stats: p.stats()})
	}
	return out
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
