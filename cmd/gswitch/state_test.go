package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/pipeline"
	"gswitch/statefile"
)

// newStateSwitch is a flag-mode switch with no port (bridge br0 in
// standalone mode, so with OVS's NORMAL flow) and a state directory.
func newStateSwitch(t testing.TB, dir string) *Switch {
	s := &Switch{cfg: &Config{StateDir: dir}, log: zap.NewNop(), start: time.Now(), pool: packet.NewPool(),
		stop: make(chan struct{})}
	s.tracker = ct.New(ct.Config{Clock: s.Now, Shards: 4})
	br, err := datapath.New(datapath.Config{Name: "br0", Tracker: s.tracker, Pool: s.pool, Clock: s.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	s.br = br
	return s
}

// stateShape is what a restore must bring back (counters and ages aside).
type stateShape struct{ flows, groups, meters, conns, exps int }

func shapeOf(t testing.TB, s *Switch) stateShape {
	dp := s.br.Pipeline()
	ms, err := dp.Meters(pipeline.MeterAll)
	if err != nil {
		t.Fatal(err)
	}
	return stateShape{dp.NumFlows(), len(dp.Groups()), len(ms), s.tracker.Count(), s.tracker.Expectations()}
}

// savedState fills a switch (a group, a flow using it, a meter, two
// connections), saves it and returns the file's bytes.
func savedState(t testing.TB, breakCT bool) []byte {
	s := newStateSwitch(t, t.TempDir())
	dp := s.br.Pipeline()
	if err := dp.GroupMod(pipeline.GroupAdd, &pipeline.GroupSpec{ID: 1, Type: pipeline.GroupTypeAll,
		Buckets: []pipeline.Bucket{{WatchPort: pipeline.PortAny, WatchGroup: pipeline.GroupAny,
			Actions: []pipeline.Action{pipeline.Output{Port: 2}}}}}); err != nil {
		t.Fatal(err)
	}
	fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
		Spec: pipeline.FlowSpec{Priority: 5, Cookie: 9, Inst: pipeline.Instructions{HasApply: true, GotoTable: -1,
			Apply: []pipeline.Action{pipeline.GroupAction{GroupID: 1}}}}}
	if err := dp.FlowMod(fm, s.Now()); err != nil {
		t.Fatal(err)
	}
	if err := dp.MeterMod(pipeline.MeterAdd, &pipeline.MeterSpec{ID: 3, Flags: pipeline.MeterKbps,
		Bands: []pipeline.MeterBand{{Type: pipeline.BandDrop, Rate: 1000}}}, s.Now()); err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{
		pkttest.UDP4("198.51.100.1", "203.0.113.2", 4000, 53, []byte("q")),
		pkttest.TCP4("198.51.100.1", "203.0.113.2", 40000, 21, "S", 1000, 0, nil),
	} {
		p := ct.Params{Commit: true}
		if f[23] == 6 {
			p.Alg = ct.AlgFTP
		}
		s.tracker.Execute([]*packet.Packet{pkttest.Parsed(f)}, nil, &p, s.Now())
	}
	if n := s.tracker.Count(); n != 2 {
		t.Fatalf("%d connections", n)
	}
	if err := s.saveState(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.StateDir, statefile.Name))
	if err != nil {
		t.Fatal(err)
	}
	if !breakCT {
		return b
	}
	// The same file with a conntrack section that decodes but does not
	// import (a helper this build does not know): checked after the
	// bridge's section.
	secs, err := statefile.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ct.UnmarshalState(secs[ctSection])
	if err != nil {
		t.Fatal(err)
	}
	st.Conns[len(st.Conns)-1].Helper = "no-such-helper"
	if secs[ctSection], err = ct.MarshalState(st); err != nil {
		t.Fatal(err)
	}
	return statefile.Encode(secs, []string{bridgeSection("br0"), ctSection})
}

// TestRestoreState: a saved switch comes back whole; a state whose
// conntrack section is refused leaves the switch as it was before the
// restore, the bridge's flows, groups and meters included.
func TestRestoreState(t *testing.T) {
	for _, breakCT := range []bool{false, true} {
		b := savedState(t, breakCT)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, statefile.Name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		s := newStateSwitch(t, dir)
		before := shapeOf(t, s)
		s.restoreState()
		got := shapeOf(t, s)
		want := stateShape{flows: 2, groups: 1, meters: 1, conns: 2, exps: 0}
		if breakCT {
			want = before
		}
		if got != want {
			t.Errorf("refused conntrack section %v: restored %+v, want %+v", breakCT, got, want)
		}
		// A restored file is removed, a refused one set aside.
		ents, _ := os.ReadDir(dir)
		if aside := len(ents) == 1 && strings.HasPrefix(ents[0].Name(), statefile.Name+".bad-"); aside != breakCT ||
			!breakCT && len(ents) != 0 {
			t.Errorf("refused conntrack section %v: state directory holds %v", breakCT, ents)
		}
	}
}

// FuzzRestoreState feeds whole state files to the restore of a running
// switch (statefile's framing, then ct's and the bridge's sections, as
// restoreState does). Invariants: no panic; a refused file leaves the
// switch exactly as it was (nothing half-loaded); an accepted one saves
// and restores again into a fresh switch with the same flows, groups and
// meters, and the connections and expectations the save kept (those
// whose time had not run out).
func FuzzRestoreState(f *testing.F) {
	f.Add(savedState(f, false))
	f.Add(savedState(f, true))
	f.Add(statefile.Encode(statefile.Sections{ctSection: nil}, []string{ctSection}))
	f.Fuzz(func(t *testing.T, b []byte) {
		secs, err := statefile.Decode(b)
		if err != nil {
			return
		}
		s := newStateSwitch(t, "")
		before := shapeOf(t, s)
		if err := s.importState(secs); err != nil {
			if got := shapeOf(t, s); got != before {
				t.Fatalf("refused (%v), yet the switch went from %+v to %+v", err, before, got)
			}
			return
		}
		got := shapeOf(t, s)
		s.cfg.StateDir = t.TempDir()
		if err := s.saveState(); err != nil {
			t.Fatal(err)
		}
		again, err := statefile.Load(s.cfg.StateDir)
		if err != nil {
			t.Fatal(err)
		}
		// Connections and expectations whose time ran out between the
		// restore and the save are left out of the file.
		cst, err := ct.UnmarshalState(again[ctSection])
		if err != nil {
			t.Fatal(err)
		}
		if len(cst.Conns) > got.conns || len(cst.Expectations) > got.exps {
			t.Fatalf("restored %+v, saved %d connections and %d expectations", got, len(cst.Conns), len(cst.Expectations))
		}
		got.conns, got.exps = len(cst.Conns), len(cst.Expectations)
		s2 := newStateSwitch(t, "")
		if err := s2.importState(again); err != nil {
			t.Fatalf("a restored state saved again does not restore: %v", err)
		}
		if got2 := shapeOf(t, s2); got2 != got {
			t.Fatalf("restored and saved %+v, restored again %+v", got, got2)
		}
	})
}

// TestRenumberPorts: a port given without a number takes its saved number
// unless a numbered port takes it; a new port takes the lowest number
// free, but not an absent port's saved number.
func TestRenumberPorts(t *testing.T) {
	// Before: --port a --port b --port c (1, 2, 3); now c comes first, a
	// is gone, b is given 3 and d is new.
	c, err := ParseArgs([]string{"--port", "c", "--port", "b=3", "--port", "d", "--port", "e"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	renumberPorts(c.Ports, map[string]uint32{"a": 1, "b": 2, "c": 3, "e": 7})
	got := map[string]uint32{}
	for _, p := range c.Ports {
		got[p.Name] = p.No
	}
	// c's 3 is taken by b: c and d take 2 and 4 (1 stays a's, absent); e
	// keeps 7.
	want := map[string]uint32{"c": 2, "b": 3, "d": 4, "e": 7}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("numbers %v, want %v", got, want)
	}
}

// TestPortsSection: port numbers encode and decode (LOCAL left out); a
// bad section is refused with the line it stumbled on.
func TestPortsSection(t *testing.T) {
	b := marshalPorts([]datapath.PortState{{No: 1, Name: "eth0"}, {No: 40, Name: "tap-x"}, {No: pipeline.PortLocal, Name: "br0"}})
	if string(b) != "eth0 1\ntap-x 40\n" {
		t.Fatalf("encoded %q", b)
	}
	m, err := unmarshalPorts(b)
	if err != nil || !reflect.DeepEqual(m, map[string]uint32{"eth0": 1, "tap-x": 40}) {
		t.Fatalf("decoded %v, %v", m, err)
	}
	for _, bad := range []string{"eth0\n", "eth0 0\n", "eth0 x\n", " 3\n", "a 1\na 2\n", "a 1\nb 1\n", "a 4294967295\n"} {
		if _, err := unmarshalPorts([]byte(bad)); err == nil || !strings.Contains(err.Error(), "port numbers") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
