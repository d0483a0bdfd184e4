package pipeline

import (
	"errors"
	"testing"

	"gswitch/packet"
)

// The eviction rules of tests/golden/flowtables (steps 8-12, captured from
// OVS 3.1), at the pipeline: from the largest eviction group, lowest
// importance first, then the earliest expiry; permanent flows stay.
func TestTableConfigEviction(t *testing.T) {
	var removed []FlowRemoved
	d := New(Config{FlowRemoved: func(r *FlowRemoved) { removed = append(removed, *r) }})
	const now = int64(1e12)
	d.SetTableConfig(2, TableConfig{Name: "s6f", Limited: true, FlowLimit: 6, Evict: true,
		Groups: []Subfield{{Field: packet.FieldInPort, NBits: 32}}}, now)
	type fl struct {
		port, dst       uint64
		hard, idle, imp uint16
	}
	addf := func(f fl) error {
		s := spec(2, 0, mkMatch(packet.FieldInPort, f.port, packet.FieldEthDst, f.dst))
		s.HardTimeout, s.IdleTimeout, s.Importance, s.Flags = f.hard, f.idle, f.imp, FlagSendFlowRem
		return d.FlowMod(fmod(FlowAdd, s), now)
	}
	for _, f := range []fl{{1, 0xa, 3000, 0, 0}, {1, 0xb, 1000, 0, 0}, {1, 0xc, 2000, 0, 5}, {1, 0xd, 0, 4000, 0},
		{2, 0xe, 100, 0, 0}, {3, 0xf, 0, 0, 0}} {
		if err := addf(f); err != nil {
			t.Fatal(err)
		}
	}
	dsts := func() map[uint64]bool {
		m := map[uint64]bool{}
		for _, f := range d.Flows(&FlowFilter{Table: 2, OutPort: PortAny, OutGroup: GroupAny}, now) {
			m[f.Spec.Match.Value.Get(packet.FieldEthDst).Lo] = true
		}
		return m
	}
	step := func(name string, gone uint64) {
		t.Helper()
		if got := dsts(); got[gone] || len(got) != 6 {
			t.Fatalf("%s: flows %v, want 6 without %#x", name, got, gone)
		}
	}
	if err := addf(fl{2, 0x10, 500, 0, 0}); err != nil {
		t.Fatal(err)
	}
	step("largest group, earliest expiry", 0xb)
	if err := addf(fl{2, 0x11, 200, 0, 0}); err != nil {
		t.Fatal(err)
	}
	step("importance before expiry", 0xa)
	d.SetTableConfig(2, TableConfig{Limited: true, FlowLimit: 5, Evict: true,
		Groups: []Subfield{{Field: packet.FieldInPort, NBits: 32}}}, now)
	if got := dsts(); len(got) != 5 || got[0xe] {
		t.Fatalf("lower limit: %v, want 5 without 0xe", got)
	}
	if len(removed) != 3 || removed[0].Reason != RemovedEviction {
		t.Fatalf("flow-removed %+v, want 3 evictions", removed)
	}
	ts := d.TableStats()[2]
	if ts.Name != "" || ts.MaxEntries != 5 || ts.Active != 5 {
		t.Fatalf("table stats %+v", ts)
	}

	// Only permanent flows: the table is full even with eviction on.
	d.SetTableConfig(3, TableConfig{Limited: true, FlowLimit: 1, Evict: true}, now)
	add(t, d, spec(3, 1, Match{}))
	var pe *Error
	err := d.FlowMod(fmod(FlowAdd, spec(3, 2, Match{})), now)
	if !errors.As(err, &pe) {
		t.Fatalf("add past a full table of permanent flows: %v", err)
	}
	if c, _ := ErrorCodeOf(pe); c != OFPFMFC_TABLE_FULL {
		t.Fatalf("add past a full table of permanent flows: %v", err)
	}
	// Replacing a flow (same match and priority) adds none.
	if err := d.FlowMod(fmod(FlowAdd, spec(3, 1, Match{}, Output{Port: 1})), now); err != nil {
		t.Fatal(err)
	}
	// Refuse: a lower limit leaves the flows; flow_limit=0 refuses all.
	d.SetTableConfig(3, TableConfig{Limited: true, FlowLimit: 0}, now)
	if n := d.TableStats()[3].Active; n != 1 {
		t.Fatalf("refuse policy removed flows: %d left", n)
	}
}

// OpenFlow's eviction flag (a 1.4+ table-mod) evicts with the database's
// limit even under overflow_policy refuse (tests/golden/flowtables step 19).
func TestTableEvictionOpenFlow(t *testing.T) {
	d := New(Config{})
	d.SetTableConfig(4, TableConfig{Limited: true, FlowLimit: 1}, 1)
	s1 := spec(4, 1, Match{})
	s1.HardTimeout = 300
	add(t, d, s1)
	s2 := spec(4, 2, Match{})
	s2.HardTimeout = 300
	if err := d.FlowMod(fmod(FlowAdd, s2), 1); err == nil {
		t.Fatal("refuse: add past the limit succeeded")
	}
	d.SetTableEviction(TableAll, true)
	if !d.TableEviction(4) {
		t.Fatal("eviction not reported on")
	}
	if err := d.FlowMod(fmod(FlowAdd, s2), 1); err != nil {
		t.Fatal(err)
	}
	if fs := d.Flows(&FlowFilter{Table: 4, OutPort: PortAny, OutGroup: GroupAny}, 1); len(fs) != 1 || fs[0].Spec.Priority != 2 {
		t.Fatalf("flows %+v, want only priority 2", fs)
	}
}
