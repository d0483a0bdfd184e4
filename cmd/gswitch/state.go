package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/pipeline"
	"gswitch/statefile"
)

// --state-dir: the switch's state across a restart. On exit (SIGTERM,
// SIGINT, `ctl exit`), saveState quiesces the bridges (no packet, flow-mod
// or packet-out after it), then, before the ports close, writes the
// conntrack table and configuration and each bridge's flows, groups,
// meters and port numbers (ct and pipeline encode their own sections). At
// start, loadState reads and decodes all of it before the ports are
// opened (an --port given without a number takes its saved one), and
// restoreLoaded loads it into the bridges and the tracker before any port
// forwards; in database mode restoreDB does, each bridge's part when the
// database makes it. A file that does not load is set aside (statefile)
// and the switch starts clean.

const ctSection = "ct"

func bridgeSection(name string) string { return "bridge/" + name }

// portsSection holds a bridge's port numbers: one "NAME NUMBER" line per
// port (not LOCAL), by number.
func portsSection(name string) string { return "ports/" + name }

// saveState quiesces the bridges and writes the state to the state
// directory, if any.
func (s *Switch) saveState() error {
	dir := s.cfg.StateDir
	if dir == "" {
		return nil
	}
	t0 := time.Now()
	if s.db != nil {
		s.db.stopLoop() // no bridge made or changed while saving
	}
	for _, br := range s.bridges() {
		br.Quiesce()
	}
	quiesced := time.Since(t0)
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
		n = portsSection(br.Name())
		secs[n] = marshalPorts(br.Ports())
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
		zap.Int("expectations", len(cst.Expectations)), zap.Duration("quiesce", quiesced), zap.Duration("took", time.Since(t0)))
	return nil
}

// loadedState is a state file decoded, not yet imported.
type loadedState struct {
	t0      time.Time
	ct      *ct.State
	bridges map[string]*pipeline.State
	ports   map[string]map[string]uint32 // bridge, port name: number
}

// loadState reads and decodes the saved state, if the state directory
// holds one (nil if none). A state that does not decode is set aside with
// an error logged, and the switch starts clean: every section is decoded
// here, before anything is used.
func (s *Switch) loadState() *loadedState {
	dir := s.cfg.StateDir
	if dir == "" {
		return nil
	}
	t0 := time.Now()
	secs, err := statefile.Load(dir)
	if errors.Is(err, statefile.ErrNoState) {
		s.log.Info("no saved state", zap.String("dir", dir))
		return nil
	}
	if err != nil {
		s.log.Error("saved state not loaded, starting clean", zap.Error(err))
		return nil
	}
	st, err := decodeState(secs)
	if err != nil {
		s.log.Error("saved state not loaded, starting clean", zap.Error(statefile.Aside(dir, err)))
		return nil
	}
	st.t0 = t0
	return st
}

func decodeState(secs statefile.Sections) (*loadedState, error) {
	b, ok := secs[ctSection]
	if !ok {
		return nil, errors.New("state file without a conntrack section")
	}
	cst, err := ct.UnmarshalState(b)
	if err != nil {
		return nil, err
	}
	st := &loadedState{ct: cst, bridges: map[string]*pipeline.State{}, ports: map[string]map[string]uint32{}}
	for n, b := range secs {
		if name, ok := strings.CutPrefix(n, bridgeSection("")); ok {
			if st.bridges[name], err = pipeline.UnmarshalState(b); err != nil {
				return nil, fmt.Errorf("bridge %s: %w", name, err)
			}
		}
		if name, ok := strings.CutPrefix(n, portsSection("")); ok {
			if st.ports[name], err = unmarshalPorts(b); err != nil {
				return nil, fmt.Errorf("bridge %s: %w", name, err)
			}
		}
	}
	return st, nil
}

// restoreState loads the saved state, if the state directory holds one,
// into the bridges and the tracker (none of them forwarding yet):
// loadState, then restoreLoaded.
func (s *Switch) restoreState() { s.restoreLoaded(s.loadState()) }

// restoreLoaded imports a decoded state (importSaved) and removes the
// file; a state that does not import is set aside with an error logged,
// and the switch starts clean but for the port numbers it took.
func (s *Switch) restoreLoaded(st *loadedState) {
	if st == nil {
		return
	}
	dir := s.cfg.StateDir
	if err := s.importSaved(st); err != nil {
		s.log.Error("saved state not loaded, starting clean", zap.Error(statefile.Aside(dir, err)))
		return
	}
	if err := statefile.Remove(dir); err != nil {
		s.log.Warn("saved state loaded but not removed", zap.Error(err))
	}
	s.log.Info("state restored", zap.String("dir", dir), zap.Int("connections", s.tracker.Count()),
		zap.Duration("took", time.Since(st.t0)))
}

// importState decodes and imports a state file's sections (importSaved).
func (s *Switch) importState(secs statefile.Sections) error {
	st, err := decodeState(secs)
	if err != nil {
		return err
	}
	return s.importSaved(st)
}

// importSaved loads a decoded state into the bridges and the tracker.
// Nothing is half-loaded: the bridges go first, then ct, which checks
// everything before it changes anything; a bridge refuses its flows whole
// but keeps the groups and meters it added before an error, so on any
// error each bridge touched is put back as it was (flows, groups, meters;
// FuzzRestoreState).
func (s *Switch) importSaved(st *loadedState) error {
	type brState struct {
		dp *pipeline.Datapath
		st *pipeline.State
	}
	var brs []brState
	for _, br := range s.bridges() {
		bst := st.bridges[br.Name()]
		if bst == nil {
			s.log.Warn("no saved state for bridge", zap.String("bridge", br.Name()))
			continue
		}
		brs = append(brs, brState{br.Pipeline(), bst})
	}
	now := s.Now()
	var undo []brState
	var err error
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
		if err = s.tracker.ImportState(st.ct, now); err == nil {
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

// restoreDB imports a decoded state in database mode: the conntrack
// table at once (no bridge forwards yet), then each bridge's flows,
// groups and meters when the database makes the bridge, before it starts
// (vswitchd.Config.Restore); its ports take their numbers from the
// Interface ofport column, as ovs-vswitchd's. The file is removed once
// the tracker has its table: a bridge the database no longer has loses
// its saved flows. Nil when there is nothing to restore.
func (s *Switch) restoreDB(st *loadedState) func(*datapath.Bridge) {
	if st == nil {
		return nil
	}
	dir := s.cfg.StateDir
	if err := s.tracker.ImportState(st.ct, s.Now()); err != nil {
		s.log.Error("saved state not loaded, starting clean", zap.Error(statefile.Aside(dir, err)))
		return nil
	}
	if err := statefile.Remove(dir); err != nil {
		s.log.Warn("saved state loaded but not removed", zap.Error(err))
	}
	s.log.Info("state restored", zap.String("dir", dir), zap.Int("connections", s.tracker.Count()),
		zap.Int("bridges", len(st.bridges)), zap.Duration("took", time.Since(st.t0)))
	return func(br *datapath.Bridge) {
		bst := st.bridges[br.Name()]
		if bst == nil {
			return
		}
		delete(st.bridges, br.Name()) // once: a bridge made again later starts clean
		t0 := time.Now()
		dp, now := br.Pipeline(), s.Now()
		old, err := dp.ExportState(now)
		if err == nil {
			if err = dp.ImportState(bst, now); err != nil {
				if rerr := putBack(dp, old, now); rerr != nil {
					s.log.Error("bridge not put back as it was after a refused state", zap.Error(rerr))
				}
			}
		}
		if err != nil {
			s.log.Error("saved state of bridge not loaded", zap.String("bridge", br.Name()), zap.Error(err))
			return
		}
		s.log.Info("bridge state restored", zap.String("bridge", br.Name()), zap.Int("flows", len(bst.Flows)),
			zap.Duration("took", time.Since(t0)))
	}
}

// marshalPorts encodes a bridge's port numbers.
func marshalPorts(ps []datapath.PortState) []byte {
	var b []byte
	for _, p := range ps {
		if p.No == pipeline.PortLocal {
			continue
		}
		b = fmt.Appendf(b, "%s %d\n", p.Name, p.No)
	}
	return b
}

// unmarshalPorts decodes what marshalPorts wrote.
func unmarshalPorts(b []byte) (map[string]uint32, error) {
	m := map[string]uint32{}
	nos := map[uint32]string{}
	for l := range strings.Lines(string(b)) {
		name, num, ok := strings.Cut(strings.TrimSuffix(l, "\n"), " ")
		no, err := strconv.ParseUint(num, 10, 32)
		if !ok || name == "" || err != nil || no == 0 || no > MaxPortNo {
			return nil, fmt.Errorf("port numbers: bad line %q", l)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("port numbers: port %s twice", name)
		}
		if other, dup := nos[uint32(no)]; dup {
			return nil, fmt.Errorf("port numbers: number %d for %s and %s", no, other, name)
		}
		m[name], nos[uint32(no)] = uint32(no), name
	}
	return m, nil
}

// renumberPorts gives each port given without a number (Auto) the number
// it had before the restart (saved), when no port given with a number
// takes it; the others take the lowest numbers free, leaving out those
// of saved ports that are not there now (as OVS does not reuse a number
// soon).
func renumberPorts(ps []PortSpec, saved map[string]uint32) {
	used, reserved := map[uint32]bool{}, map[uint32]bool{}
	present := map[string]bool{}
	for _, p := range ps {
		present[p.Name] = true
		if !p.Auto {
			used[p.No] = true
		}
	}
	for name, no := range saved {
		if !present[name] {
			reserved[no] = true
		}
	}
	for i := range ps {
		if !ps[i].Auto {
			continue
		}
		ps[i].No = 0
		if no, ok := saved[ps[i].Name]; ok && !used[no] {
			ps[i].No = no
			used[no] = true
		}
	}
	next := uint32(1)
	for i := range ps {
		if ps[i].Auto && ps[i].No == 0 {
			for used[next] || reserved[next] {
				next++
			}
			ps[i].No = next
			used[next] = true
		}
	}
}
