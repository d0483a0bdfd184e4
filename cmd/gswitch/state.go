package main

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/pipeline"
	"gswitch/statefile"
)

// --state-dir: the switch's state across a restart. On exit (SIGTERM,
// SIGINT, `ctl exit`), before the ports close, saveState writes the
// conntrack table and configuration and each bridge's flows, groups and
// meters (each package encodes its own section); at start, before any
// port forwards, restoreState loads them. A file that does not load is
// set aside (statefile) and the switch starts clean.

const ctSection = "ct"

func bridgeSection(name string) string { return "bridge/" + name }

// saveState writes the state to the state directory, if any.
func (s *Switch) saveState() error {
	dir := s.cfg.StateDir
	if dir == "" {
		return nil
	}
	t0 := time.Now()
	now := s.Now()
	secs := statefile.Sections{}
	var names []string
	for _, br := range s.bridges() {
		st, err := br.Pipeline().ExportState(now)
		if err != nil {
			return fmt.Errorf("--state-dir: bridge %s: %w", br.Name(), err)
		}
		b, err := pipeline.MarshalState(st)
		if err != nil {
			return fmt.Errorf("--state-dir: bridge %s: %w", br.Name(), err)
		}
		n := bridgeSection(br.Name())
		secs[n] = b
		names = append(names, n)
	}
	cst := s.tracker.ExportState(now)
	b, err := ct.MarshalState(cst)
	if err != nil {
		return fmt.Errorf("--state-dir: %w", err)
	}
	secs[ctSection] = b
	names = append(names, ctSection)
	size, err := statefile.Write(dir, secs, names)
	if err != nil {
		return fmt.Errorf("--state-dir: %w", err)
	}
	s.log.Info("state saved", zap.String("dir", dir), zap.Int("bytes", size), zap.Int("connections", len(cst.Conns)),
		zap.Int("expectations", len(cst.Expectations)), zap.Duration("took", time.Since(t0)))
	return nil
}

// restoreState loads the saved state, if the state directory holds one,
// into the bridges and the tracker (none of them forwarding yet). A
// state that does not decode is set aside with an error logged, and the
// switch starts clean; nothing is half-loaded: every section is decoded
// before anything is imported, ct checks its table before it changes
// anything, and a bridge is put back as it was when a later part is
// refused (FuzzRestoreState).
func (s *Switch) restoreState() {
	dir := s.cfg.StateDir
	if dir == "" {
		return
	}
	t0 := time.Now()
	secs, err := statefile.Load(dir)
	if errors.Is(err, statefile.ErrNoState) {
		s.log.Info("no saved state", zap.String("dir", dir))
		return
	}
	if err != nil {
		s.log.Error("saved state not loaded, starting clean", zap.Error(err))
		return
	}
	if err := s.importState(secs); err != nil {
		s.log.Error("saved state not loaded, starting clean", zap.Error(statefile.Aside(dir, err)))
		return
	}
	if err := statefile.Remove(dir); err != nil {
		s.log.Warn("saved state loaded but not removed", zap.Error(err))
	}
	s.log.Info("state restored", zap.String("dir", dir), zap.Int("connections", s.tracker.Count()),
		zap.Duration("took", time.Since(t0)))
}

func (s *Switch) importState(secs statefile.Sections) error {
	b, ok := secs[ctSection]
	if !ok {
		return errors.New("state file without a conntrack section")
	}
	cst, err := ct.UnmarshalState(b)
	if err != nil {
		return err
	}
	type brState struct {
		dp *pipeline.Datapath
		st *pipeline.State
	}
	var brs []brState
	for _, br := range s.bridges() {
		b, ok := secs[bridgeSection(br.Name())]
		if !ok {
			s.log.Warn("no saved state for bridge", zap.String("bridge", br.Name()))
			continue
		}
		st, err := pipeline.UnmarshalState(b)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", br.Name(), err)
		}
		brs = append(brs, brState{br.Pipeline(), st})
	}
	// The bridges go first, then ct, which checks everything before it
	// changes anything; a bridge refuses its flows whole but keeps the
	// groups and meters it added before an error. So on any error each
	// bridge touched is put back as it was (flows, groups, meters).
	now := s.Now()
	var undo []brState
	for _, x := range brs {
		var old *pipeline.State
		if old, err = x.dp.ExportState(now); err != nil {
			break
		}
		undo = append(undo, brState{x.dp, old})
		if err = x.dp.ImportState(x.st, now); err != nil {
			break
		}
	}
	if err == nil {
		if err = s.tracker.ImportState(cst, now); err == nil {
			return nil
		}
	}
	for _, x := range undo {
		if rerr := putBack(x.dp, x.st, now); rerr != nil {
			s.log.Error("bridge not put back as it was after a refused state", zap.Error(rerr))
		}
	}
	return err
}

// putBack replaces a datapath's flows, groups and meters with old's.
func putBack(dp *pipeline.Datapath, old *pipeline.State, now int64) error {
	if err := dp.GroupMod(pipeline.GroupDelete, &pipeline.GroupSpec{ID: pipeline.GroupAll}); err != nil {
		return err
	}
	if err := dp.MeterMod(pipeline.MeterDelete, &pipeline.MeterSpec{ID: pipeline.MeterAll}, now); err != nil {
		return err
	}
	return dp.ImportState(old, now)
}
