package main

// Database mode: gswitch configured from the Open_vSwitch database, as
// ovs-vswitchd (package vswitchd reconciles; package ovsdb talks to
// ovsdb-server).

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/ovsdb"
	"gswitch/packet"
	"gswitch/vswitchd"
)

// dbMode is what database mode runs besides the Switch's shared parts.
type dbMode struct {
	client  *ovsdb.Client
	monitor *ovsdb.Monitor
	vs      *vswitchd.Switch
	ready   chan struct{} // closed once the first configuration is applied
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewDBSwitch connects to the database (retrying until it answers, as
// ovs-vswitchd waits for ovsdb-server) and prepares the bridges' shared
// parts. Run starts the reconcile loop; Ready tells when the first
// configuration is in place.
func NewDBSwitch(cfg *Config, log *zap.Logger) (*Switch, error) {
	s := &Switch{cfg: cfg, log: log, start: time.Now(), pool: packet.NewPool(), stop: make(chan struct{})}
	s.tracker = ct.New(ct.Config{Clock: s.Now})
	if err := s.openCollectors(); err != nil {
		return nil, err
	}
	ctx := context.Background()
	client, err := ovsdb.Dial(ctx, cfg.Daemon.OVSDB, ovsdb.Options{})
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", cfg.Daemon.OVSDB, err)
	}
	m, err := client.MonitorVSwitch(ctx)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("database %s: %w", cfg.Daemon.OVSDB, err)
	}
	s.tunnels = datapath.NewTunnels(s.underlayTable(), nil, log.Named("tunnel"))
	vs := vswitchd.New(vswitchd.Config{RunDir: cfg.RunDir, Software: "gswitch " + Version,
		Tracker: s.tracker, Pool: s.pool, Clock: s.Now, Logger: log.Named("bridge"), OpenLocal: vswitchd.CreateLocalTAP,
		Open:    vswitchd.OpenDeviceWith(s.portIOOptions()...),
		Tunnels: s.tunnels, Sampler: s.samplers.Bridge,
		SetIPFIX:        func(w vswitchd.IPFIXSets) []string { return s.samplers.SetBridgeIPFIX(w) },
		Restore:         s.restoreDB(s.loadState()),
		RxThreadPerPort: cfg.RxThreads == "port"})
	s.db = &dbMode{client: client, monitor: m, vs: vs, ready: make(chan struct{})}
	return s, nil
}

func (d *dbMode) start(s *Switch) {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	var once sync.Once
	l := &vswitchd.Loop{DB: d.client, Monitor: d.monitor, Switch: d.vs, Logger: s.log.Named("bridge"),
		DisableSystem: s.cfg.Daemon.DisableSystem,
		Ready:         func() { once.Do(func() { close(d.ready) }) }}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		l.Run(ctx)
	}()
}

// stopLoop stops the reconcile loop and waits for it: the bridges stay as
// they are.
func (d *dbMode) stopLoop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
}

func (d *dbMode) close() {
	d.stopLoop()
	d.vs.Close()
	d.client.Close()
}
