package main

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/packet"
	"gswitch/ports"
	"gswitch/sampling"
	"gswitch/tunnel/underlay"
)

// Switch is a running gswitch: the wiring of one bridge (package
// datapath) from the command line, its conntrack, link watch and control
// socket.
type Switch struct {
	cfg     *Config
	log     *zap.Logger
	start   time.Time
	pool    *packet.Pool
	tracker *ct.Tracker
	br      *datapath.Bridge // flag mode's one bridge
	db      *dbMode          // database mode (br is nil then)
	ctl     ctlServer
	watch   *ports.LinkWatcher
	dpid    uint64
	under   *underlay.Underlay // routes and neighbours for tunnels
	tunnels *datapath.Tunnels  // native tunnelling (database mode)
	// samplers are the collector sets sample actions feed (sampling.go).
	samplers *sampling.Registry
	// metrics serves --metrics-listen (metrics.go); nil without.
	metrics *http.Server

	stop    chan struct{} // closed by Close
	exitReq chan struct{}
}

// Now is the datapath clock: monotonic nanoseconds since start.
func (s *Switch) Now() int64 { return int64(time.Since(s.start)) }

// NewSwitch opens the ports and builds the bridge. It does not start
// traffic; Run does.
func NewSwitch(cfg *Config, log *zap.Logger) (*Switch, error) {
	s := &Switch{cfg: cfg, log: log, start: time.Now(), pool: packet.NewPool(), stop: make(chan struct{})}
	saved := s.loadState()
	if saved != nil {
		renumberPorts(cfg.Ports, saved.ports[cfg.Bridge])
	}
	var ps []datapath.Port
	ok := false
	defer func() {
		if !ok {
			for _, p := range ps {
				p.Dev.Close()
			}
		}
	}()
	for _, spec := range cfg.Ports {
		var p ports.Port
		var err error
		typ := "afpacket"
		if spec.TAP {
			typ = "tap"
			p, err = ports.CreateTAP(spec.Name, ports.WithLinkUp())
		} else {
			if _, ierr := net.InterfaceByName(spec.Name); ierr != nil {
				return nil, fmt.Errorf("--port %s: no such network interface in this namespace", spec.Name)
			}
			p, err = ports.OpenAFPacket(spec.Name, s.portIOOptions()...)
			typ = ports.KindOf(p, typ)
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, datapath.Port{No: spec.No, Dev: p, Type: typ})
	}
	s.tracker = ct.New(ct.Config{Clock: s.Now})
	if err := s.openCollectors(); err != nil {
		return nil, err
	}
	bc := datapath.Config{
		Name: cfg.Bridge, DatapathID: cfg.DatapathID, DatapathIDSet: cfg.DatapathSet,
		HWAddr: cfg.HWAddr, HWAddrSet: cfg.HWAddrSet, Protocols: cfg.Protocols,
		FailMode: cfg.FailMode, Listen: cfg.OFListen, Controllers: cfg.Controllers,
		Software: "gswitch " + Version,
		Tracker:  s.tracker, Pool: s.pool, Clock: s.Now, Logger: log,
		Sampler:         s.samplers.Bridge(cfg.Bridge),
		RxThreadPerPort: cfg.RxThreads == "port",
	}
	if !cfg.NoMgmtSocket {
		bc.Mgmt = filepath.Join(cfg.RunDir, cfg.Bridge+".mgmt")
		bc.MgmtOptional = !cfg.BridgeSet
	}
	if cfg.LocalPort {
		// As ovs-vswitchd: an internal device named after the bridge,
		// with the bridge's address.
		mac := datapath.BridgeHWAddr(bc, ps)
		bc.HWAddr, bc.HWAddrSet = mac, true
		local, err := ports.CreateTAP(cfg.Bridge, ports.WithLinkUp(), ports.WithHWAddr(mac[:]))
		if err != nil {
			return nil, fmt.Errorf("--local-port: %w", err)
		}
		bc.Local = local
	}
	ok = true // datapath.New owns the ports now
	br, err := datapath.New(bc, ps)
	if err != nil {
		return nil, err
	}
	s.br = br
	s.dpid = br.DatapathID()
	s.restoreLoaded(saved)
	return s, nil
}

// portIOOptions are --port-io's options for an AF_PACKET port: the I/O
// mode, and the logger for a ring that cannot be set up.
func (s *Switch) portIOOptions() []ports.Option {
	sl := s.log.Named("ports").Sugar()
	return []ports.Option{ports.WithIO(s.cfg.PortIO), ports.WithLogf(sl.Warnf)}
}

// Run starts the bridge (listeners, controllers, receive loops, timers),
// the link watch and conntrack's sweeper.
func (s *Switch) Run() error {
	linkChanged := func(string, bool) {}
	if s.br != nil {
		if err := s.br.Start(); err != nil {
			return err
		}
		linkChanged = s.br.LinkChanged
	} else {
		linkChanged = s.db.vs.LinkChanged
	}
	w, err := ports.Watch(linkChanged)
	if err != nil {
		s.log.Warn("link state watch unavailable; port status will not follow the kernel", zap.Error(err))
	} else {
		s.watch = w
	}
	s.tracker.Start()
	s.startUnderlay()
	if s.db != nil {
		s.db.start(s)
	}
	return s.startMetrics()
}

// Close stops everything and releases the ports.
func (s *Switch) Close() {
	select {
	case <-s.stop:
		return // closed already
	default:
	}
	close(s.stop)
	s.stopMetrics()
	if s.watch != nil {
		s.watch.Close()
	}
	if s.br != nil {
		s.br.Close()
	} else {
		s.db.close()
	}
	s.tracker.Stop()
	s.samplers.Close() // after the bridges: their last samples are written
}

// portNames returns "name(no)" for logs.
func (s *Switch) portNames() string {
	var b []string
	for _, br := range s.bridges() {
		for _, p := range br.Ports() {
			b = append(b, fmt.Sprintf("%s:%s(%d)", br.Name(), p.Name, p.No))
		}
	}
	sort.Strings(b)
	return strings.Join(b, " ")
}

// bridges are the running bridges: flag mode's one, or database mode's.
func (s *Switch) bridges() []*datapath.Bridge {
	if s.br != nil {
		return []*datapath.Bridge{s.br}
	}
	return s.db.vs.Bridges()
}

// bridge is the running bridge name (nil when none).
func (s *Switch) bridge(name string) *datapath.Bridge {
	for _, br := range s.bridges() {
		if br.Name() == name {
			return br
		}
	}
	return nil
}

// pipelineCounters sums the bridges' pipeline counters.
// ofprotoCounters are the OpenFlow connections' drop counters over every
// bridge: rconn_overflow (OVS's name) counts the packet-ins and
// flow-removed messages dropped because a controller's queue was at their
// bound, ofconn_send_queue_full the connections closed because a message
// that cannot be dropped did not fit.
func (s *Switch) ofprotoCounters() map[string]uint64 {
	m := map[string]uint64{"rconn_overflow": 0, "ofconn_send_queue_full": 0}
	for _, br := range s.bridges() {
		st := &br.OpenFlow().Stats
		m["rconn_overflow"] += st.PacketInDropped.Load() + st.FlowRemovedDropped.Load()
		m["ofconn_send_queue_full"] += st.QueueOverflows.Load()
	}
	return m
}

func (s *Switch) pipelineCounters() map[string]uint64 {
	m := map[string]uint64{}
	for _, br := range s.bridges() {
		for k, v := range br.Pipeline().Counters() {
			m[k] += v
		}
	}
	return m
}
