package pipeline

import (
	"slices"
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// TestClone: the actions inside clone(...) work on a copy: the frame,
// registers, ct state (ct inside the clone) and the action set seen after it
// are those before it (ovs-actions(7), "The clone action").
func TestClone(t *testing.T) {
	e := newEnv(t, 1, 2, 3, 4, 5)
	add(t, e.d, withInst(spec(0, 1, ipMatch(),
		Clone{Actions: []Action{
			sf(packet.FieldIPv4Dst, 0xcb007109), sf(packet.FieldReg0, 7),
			CT{Zone: 3, Flags: CTCommit, Table: NoTable},
			Output{Port: 2},
			CT{Zone: 3, Table: 2},
			Resubmit{InPort: PortInPort, Table: 1},
		}},
		Output{Port: 3}), func(in *Instructions) {
		in.HasWrite, in.Write = true, []Action{Output{Port: 4}}
	}))
	// table 2: the tracked copy of the clone's second ct
	add(t, e.d, spec(2, 1, Match{}, Output{Port: 5}))
	// table 1 (reached only inside the clone): writes to the clone's
	// action set, which is dropped with the clone.
	add(t, e.d, withInst(spec(1, 1, Match{}), func(in *Instructions) {
		in.HasWrite, in.Write = true, []Action{Output{Port: 1}}
	}))
	e.send(1, tcpFrame(1, 2), tcpFrame(3, 4))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 2, 5, 5, 3, 3, 4, 4}) {
		t.Fatalf("outputs %v, want clone's 2 and 5 (ct table=2), then 3, then the action set's 4", got)
	}
	if k := e.s.out[2].key; k.CtState()&packet.CsTrk == 0 || k.CtZone() != 3 || k.Reg(0) != 7 {
		t.Fatalf("ct(table=2) in the clone: ct_state=%#x zone=%d reg0=%d", k.CtState(), k.CtZone(), k.Reg(0))
	}
	in, out := e.s.out[0], e.s.out[4]
	if k := pkParse(in.data).Key; k.IPv4Dst() != 0xcb007109 {
		t.Fatalf("inside the clone ip_dst %#x", k.IPv4Dst())
	}
	if in.key.Reg(0) != 7 {
		t.Fatalf("inside the clone reg0=%d", in.key.Reg(0))
	}
	if k := pkParse(out.data).Key; k.IPv4Dst() != 0xc6336402 {
		t.Fatalf("after the clone ip_dst %#x", k.IPv4Dst())
	}
	if out.key.Reg(0) != 0 || out.key.CtState() != 0 || out.key.CtZone() != 0 {
		t.Fatalf("after the clone reg0=%d ct_state=%#x zone=%d", out.key.Reg(0), out.key.CtState(), out.key.CtZone())
	}
	if len(e.tr.calls) != 2 || e.tr.calls[0].Zone != 3 || !e.tr.calls[0].Commit {
		t.Fatalf("ct calls %+v", e.tr.calls)
	}

	// exit inside a clone ends the clone only; nested clones.
	e2 := newEnv(t)
	add(t, e2.d, spec(0, 1, Match{},
		Clone{Actions: []Action{Output{Port: 2}, Exit{}, Output{Port: 4}}},
		Clone{Actions: []Action{Clone{Actions: []Action{sf(packet.FieldReg1, 1), Output{Port: 4}}}, Output{Port: 2}}},
		Clone{},
		Output{Port: 3}))
	e2.send(1, tcpFrame(1, 2))
	if got := e2.s.ports(); !slices.Equal(got, []uint32{2, 4, 2, 3}) {
		t.Fatalf("outputs %v", got)
	}
}

// TestCloneValidate: the nested actions are checked as the flow's own.
func TestCloneValidate(t *testing.T) {
	e := newEnv(t)
	err := e.d.FlowMod(&FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny,
		Spec: spec(0, 1, Match{}, Clone{Actions: []Action{sf(packet.FieldIPv4Dst, 1)}})}, 1)
	if pe, ok := err.(*Error); !ok || !pe.HasCode(OFPBAC_MATCH_INCONSISTENT) {
		t.Fatalf("set ip_dst in clone on a non-IP flow: %v", err)
	}
	err = e.d.FlowMod(&FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny,
		Spec: spec(0, 1, Match{}, Clone{Actions: []Action{GroupAction{GroupID: 9}}})}, 1)
	if pe, ok := err.(*Error); !ok || !pe.HasCode(OFPBAC_BAD_OUT_GROUP) {
		t.Fatalf("group 9 in clone: %v", err)
	}
}

func TestZeroAllocClone(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}, {No: 3, Up: true}})
	add(t, d, spec(0, 1, ipMatch(),
		Clone{Actions: []Action{sf(packet.FieldIPv4Dst, 0xcb007109), CT{Zone: 3, Table: 1}}},
		Clone{Actions: []Action{Output{Port: 3}}},
		Output{Port: 2}))
	add(t, d, spec(1, 1, ipMatch(), Output{Port: 3}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/clone", func() { resetBatch(b, frames, 1); d.Process(b) })
}
