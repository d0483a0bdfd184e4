package vswitchd

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"

	"gswitch/ovsdb"
)

// Timing of the reconcile loop.
const (
	// retryInterval: how often the configuration is applied again without
	// a database change (devices that appeared, link and port state).
	retryInterval = time.Second
	// statsInterval: how often Interface statistics are written, as
	// ovs-vswitchd's 5 s stats timer.
	statsInterval = 5 * time.Second
	// transactTimeout bounds one write-back (the database may be away).
	transactTimeout = 5 * time.Second
)

// Loop is the reconcile loop of database mode: each snapshot of the
// monitor becomes a Spec (Desired), is applied to the Switch and what runs
// is written back (WriteBack, ending with cur_cfg = next_cfg so that
// ovs-vsctl's wait returns).
type Loop struct {
	DB      *ovsdb.Client
	Monitor *ovsdb.Monitor
	Switch  *Switch
	Write   WriteBack
	Logger  *zap.Logger
	// DisableSystem is ovs-vswitchd's --disable-system: bridges of
	// datapath_type system are not created (RefuseSystem, logged at each
	// new snapshot as OVS at each reconfiguration) and datapath_types is
	// [netdev].
	DisableSystem bool
	// Ready is called once, after the first configuration is applied and
	// written back (or the write-back failed: it is retried).
	Ready func()

	ct CTApplier // the zone timeout policies applied to Switch's tracker

	// restored: flow-restore-wait was seen false (FlowRestoreWait).
	restored bool
}

// FlowRestoreWait applies Open_vSwitch other_config:flow-restore-wait as
// OVS 3.1's bridge_run: the daemon starts waiting; each configuration
// read while it waits sets the wait to the column ("true", any case: wait;
// anything else or none: stop), and once it has stopped the column is not
// read again. While waiting no bridge has controllers, passive ones
// included (bridge_configure_remotes configures none: the saved flows that
// ovs-ofctl restores through BRIDGE.mgmt meanwhile are not flushed by a
// controller's arrival); then the controllers are configured as usual.
// It reports whether spec's controllers were taken out. (OVS also turns
// its datapath's upcalls off meanwhile; gswitch keeps forwarding.)
func (l *Loop) FlowRestoreWait(snap *ovsdb.Snapshot, spec *Spec) bool {
	if l.restored {
		return false
	}
	root := snap.Root()
	if root != nil && !strings.EqualFold(root.OtherConfig["flow-restore-wait"], "true") {
		l.restored = true
		return false
	}
	for _, b := range spec.Bridges {
		b.Controllers = nil
	}
	return true
}

// Run runs the loop until ctx ends. While the database is away the
// bridges keep running with the last configuration; the monitor
// reconnects and its fresh snapshot is reconciled as any other.
func (l *Loop) Run(ctx context.Context) {
	log := l.Logger
	if log == nil {
		log = zap.NewNop()
	}
	retry := time.NewTicker(retryInterval)
	defer retry.Stop()
	lastStats := time.Time{}
	var lastProblems, lastIPFIX string
	var lastSnap *ovsdb.Snapshot
	ready := false
	if l.DisableSystem {
		l.Write.DatapathTypes = []string{"netdev"}
	}
	for {
		snap := l.Monitor.Snapshot()
		spec, problems := Desired(snap)
		if l.DisableSystem {
			refused := RefuseSystem(&spec)
			if snap != lastSnap {
				for _, m := range refused {
					logModule(log, m)
				}
			}
		}
		lastSnap = snap
		l.FlowRestoreWait(snap, &spec)
		ctWant, ctProblems := DesiredCT(snap)
		problems = append(problems, ctProblems...)
		ipfixWant, ipfixProblems := DesiredIPFIX(snap)
		problems = append(problems, ipfixProblems...)
		if p := strings.Join(problems, "\n"); p != lastProblems {
			for _, m := range problems {
				log.Warn(m)
			}
			lastProblems = p
		}
		l.Switch.Apply(spec)
		if tr := l.Switch.cfg.Tracker; tr != nil {
			l.ct.Apply(tr, ctWant)
		}
		if set := l.Switch.cfg.SetIPFIX; set != nil {
			if p := set(ipfixWant); len(p) != 0 {
				// New problems only, as the others above.
				if s := strings.Join(p, "\n"); s != lastIPFIX {
					for _, m := range p {
						log.Warn(m)
					}
					lastIPFIX = s
				}
			} else {
				lastIPFIX = ""
			}
		}
		stats := time.Since(lastStats) >= statsInterval
		if stats {
			lastStats = time.Now()
		}
		ops := l.Write.Ops(snap, spec, l.Switch.State(), stats)
		if ops = append(ops, DatapathOps(snap)...); len(ops) > 0 {
			tctx, cancel := context.WithTimeout(ctx, transactTimeout)
			_, err := l.DB.Transact(tctx, ops...)
			cancel()
			if err != nil && ctx.Err() == nil {
				log.Info("database write-back failed (retried): " + err.Error())
			}
		}
		if !ready {
			ready = true
			if l.Ready != nil {
				l.Ready()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-l.Monitor.Changed():
		case <-retry.C:
		}
	}
}

// logModule logs m under its module (a child of log, as vlog names
// modules by the last part of a logger's name).
func logModule(log *zap.Logger, m ModuleLine) {
	if m.Module != "bridge" {
		log = log.Named(m.Module)
	}
	switch m.Level {
	case "error":
		log.Error(m.Text)
	case "warn":
		log.Warn(m.Text)
	default:
		log.Info(m.Text)
	}
}
