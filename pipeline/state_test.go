package pipeline

import (
	"reflect"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// TestStateRoundTrip: flows (cookies, timeouts, flags, counters, ages, a
// meter instruction, ct and group actions), groups and meters (with their
// counters and ages) survive an
// export, encoding, decoding and import into another datapath whose clock
// reads differently; the flows still forward.
func TestStateRoundTrip(t *testing.T) {
	e := newEnv(t)
	if err := e.d.MeterMod(MeterAdd, &MeterSpec{ID: 1, Flags: 1, Bands: []MeterBand{{Type: 1, Rate: 100000}}}, 1); err != nil {
		t.Fatal(err)
	}
	g := &GroupSpec{ID: 5, Type: GroupTypeAll, Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{Output{Port: 3}}}, {WatchPort: PortAny, WatchGroup: GroupAny, ID: 1, Actions: []Action{Output{Port: 4}}}}}
	if err := e.d.GroupMod(GroupAdd, g); err != nil {
		t.Fatal(err)
	}
	f1 := spec(0, 100, ipMatch(packet.FieldInPort, 1), Output{Port: 2})
	f1.Cookie, f1.IdleTimeout, f1.HardTimeout, f1.Flags = 0xabc, 60, 600, FlagSendFlowRem
	f1.Inst.Meter = 1
	f2 := spec(0, 90, ipMatch(packet.FieldInPort, 2), GroupAction{GroupID: 5})
	f3 := spec(1, 10, ipMatch(), CT{Flags: CTCommit, Table: NoTable, ZoneSrc: Subfield{Field: packet.FieldInvalid}})
	for _, f := range []FlowSpec{f1, f2, f3} {
		add(t, e.d, f)
	}
	frame := pkttest.UDP4("198.51.100.1", "198.51.100.2", 1000, 2000, []byte("x"))
	e.send(1, frame, frame)
	e.send(2, frame)
	const then = int64(5 * time.Second)
	before := e.d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, then)
	st, err := e.d.ExportState(then)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalState(st)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := UnmarshalState(b)
	if err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t)
	add(t, e2.d, spec(3, 1, Match{}, Output{Port: 1})) // replaced by the import
	const now = int64(100 * time.Second)
	if err := e2.d.ImportState(st2, now); err != nil {
		t.Fatal(err)
	}
	after := e2.d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, now)
	if len(after) != len(before) {
		t.Fatalf("%d flows after, %d before", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		// The clock moved by now-then: ages are the same.
		b.Created += now - then
		b.LastUsed += now - then
		b.Modified += now - then
		if !reflect.DeepEqual(a, b) {
			t.Errorf("flow %d after the restart:\n%+v\nbefore:\n%+v", i, a, b)
		}
	}
	if before[0].Packets != 2 || before[1].Packets != 1 {
		t.Fatalf("counters before: %d, %d", before[0].Packets, before[1].Packets)
	}
	gs := e2.d.Groups()
	if len(gs) != 1 || !reflect.DeepEqual(gs[0].Spec.Buckets, g.Buckets) || gs[0].RefCount != 1 ||
		gs[0].Packets != 1 || len(gs[0].Buckets) != 2 || gs[0].Buckets[1].Packets != 1 {
		t.Fatalf("groups after: %+v", gs)
	}
	ms, err := e2.d.Meters(MeterAll)
	if err != nil || len(ms) != 1 || ms[0].Spec.Bands[0].Rate != 100000 || ms[0].FlowCount != 1 {
		t.Fatalf("meters after: %+v %v", ms, err)
	}
	// The meter's counters and age went on (it was added at 1 ns).
	if m := ms[0]; m.Packets != 2 || m.Bytes != 2*uint64(len(frame)) || len(m.Bands) != 1 || m.Created != now-then+1 {
		t.Fatalf("meter counters after: %+v (want 2 packets, %d bytes, created %d)", m, 2*len(frame), now-then+1)
	}
	e2.send(1, frame)
	if n := len(e2.s.out); n == 0 {
		t.Fatal("a restored flow did not forward")
	}
	if f := e2.d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, now)[0]; f.Packets != 3 {
		t.Fatalf("counter after one more packet: %d", f.Packets)
	}
}

// TestStateImportBad: a flow that does not check (a goto to an earlier
// table) is refused and the flows stay as they were.
func TestStateImportBad(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, Match{}, Output{Port: 1}))
	bad := spec(2, 1, Match{})
	bad.Inst.GotoTable = 1
	if err := e.d.ImportState(&State{Flows: []FlowState{{Spec: bad}}}, 1); err == nil {
		t.Fatal("a goto backwards was imported")
	}
	if n := e.d.NumFlows(); n != 1 {
		t.Fatalf("%d flows after a refused import", n)
	}
	if _, err := UnmarshalState([]byte{1, 2, 3}); err == nil {
		t.Fatal("garbage decoded")
	}
}

// FuzzStateImport: a decoded state never panics the import; a refused
// one leaves the flows as they were (ImportState's contract: a flow
// already there stays); what is imported exports, encodes and imports
// into a fresh datapath again with as many flows, groups and meters.
func FuzzStateImport(f *testing.F) {
	e := newEnv(f)
	f1 := spec(0, 100, ipMatch(packet.FieldInPort, 1), Output{Port: 2})
	f1.Cookie, f1.IdleTimeout = 7, 10
	add(f, e.d, f1)
	add(f, e.d, spec(1, 10, ipMatch(), CT{Flags: CTCommit, Table: NoTable, ZoneSrc: Subfield{Field: packet.FieldInvalid}}))
	st, err := e.d.ExportState(1e9)
	if err != nil {
		f.Fatal(err)
	}
	b, err := MarshalState(st)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := UnmarshalState(b)
		if err != nil {
			return
		}
		d := newEnv(t).d
		add(t, d, spec(0, 7, ipMatch(), Output{Port: 3}))
		if err := d.ImportState(st, 1e9); err != nil {
			if n := d.NumFlows(); n != 1 {
				t.Fatalf("refused (%v), yet %d flows", err, n)
			}
			return
		}
		shape := func(d *Datapath) [3]int {
			ms, err := d.Meters(MeterAll)
			if err != nil {
				t.Fatal(err)
			}
			return [3]int{d.NumFlows(), len(d.Groups()), len(ms)}
		}
		st2, err := d.ExportState(2e9)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := MarshalState(st2)
		if err != nil {
			t.Fatalf("an imported state does not encode: %v", err)
		}
		st3, err := UnmarshalState(b2)
		if err != nil {
			t.Fatalf("an exported state does not decode: %v", err)
		}
		d2 := newEnv(t).d
		if err := d2.ImportState(st3, 3e9); err != nil {
			t.Fatalf("an exported state does not import: %v", err)
		}
		if a, b := shape(d), shape(d2); a != b {
			t.Fatalf("flows, groups, meters: imported %v, exported and imported again %v", a, b)
		}
	})
}
