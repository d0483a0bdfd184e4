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

	// exit inside a clone ends the packet's processing, as in OVS 3.1
	// (ofproto/trace of in_port=2,actions=clone(output:1,exit,output:1),
	// output:1 gives "Datapath actions: 1"); the action set does not run
	// (tests/golden/cloneaset, case exit-in-clone).
	e2 := newEnv(t)
	add(t, e2.d, withInst(spec(0, 1, Match{}), func(in *Instructions) {
		in.HasWrite, in.Write, in.GotoTable = true, []Action{Output{Port: 4}}, 1
	}))
	add(t, e2.d, spec(1, 1, Match{},
		Clone{Actions: []Action{Output{Port: 2}, Exit{}, Output{Port: 4}}},
		Output{Port: 3}))
	e2.send(1, tcpFrame(1, 2))
	if got := e2.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("exit in a clone: outputs %v, want [2]", got)
	}
	// nested clones; an exit in a group bucket inside a clone ends the bucket only
	e3 := newEnv(t)
	if err := e3.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeAll, Buckets: []Bucket{
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{Exit{}, Output{Port: 1}}}}}); err != nil {
		t.Fatal(err)
	}
	add(t, e3.d, spec(0, 1, Match{},
		Clone{Actions: []Action{Clone{Actions: []Action{sf(packet.FieldReg1, 1), Output{Port: 4}}}, GroupAction{GroupID: 1}, Output{Port: 2}}},
		Clone{},
		Output{Port: 3}))
	e3.send(1, tcpFrame(1, 2))
	if got := e3.s.ports(); !slices.Equal(got, []uint32{4, 2, 3}) {
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

func push(f packet.FieldID, ofs, n uint16) StackPush {
	return StackPush{Src: Subfield{Field: f, Ofs: ofs, NBits: n}}
}
func pop(f packet.FieldID, ofs, n uint16) StackPop {
	return StackPop{Dst: Subfield{Field: f, Ofs: ofs, NBits: n}}
}

// TestStack: push:/pop: as ovs-actions(7) and OVS 3.1's ofproto/trace show
// them: the stack is kept across resubmit, a wider pop zero-extends and a
// narrower one keeps the low bits, pop from an empty stack writes nothing
// and processing goes on, clone restores the stack.
func TestStack(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, ipMatch(),
		pop(packet.FieldReg0, 0, 32), // underflow: nothing written, go on
		sf(packet.FieldReg1, 0xabcdef12),
		push(packet.FieldReg1, 4, 6), // 0x31
		Resubmit{InPort: PortInPort, Table: 1},
		pop(packet.FieldReg3, 8, 24),     // table 1's reg1 (32 bits) trimmed to 24
		pop(packet.FieldReg4, 0, 32),     // 0x31, zero-extended
		push(packet.FieldIPv4Src, 0, 32), // 198.51.100.1
		Clone{Actions: []Action{pop(packet.FieldReg5, 0, 32), push(packet.FieldReg1, 0, 32), Output{Port: 3}}},
		pop(packet.FieldIPv4Dst, 0, 32), // the clone's pop and push are undone
		Output{Port: 2}))
	add(t, e.d, spec(1, 1, Match{}, push(packet.FieldReg1, 0, 32)))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{3, 2}) {
		t.Fatalf("outputs %v", got)
	}
	k := e.s.out[1].key
	if k.Reg(0) != 0 || k.Reg(3) != 0xcdef1200 || k.Reg(4) != 0x31 || k.Reg(5) != 0 {
		t.Fatalf("reg0=%#x reg3=%#x reg4=%#x reg5=%#x", k.Reg(0), k.Reg(3), k.Reg(4), k.Reg(5))
	}
	if e.s.out[0].key.Reg(5) != 0xc6336401 {
		t.Fatalf("inside the clone reg5=%#x", e.s.out[0].key.Reg(5))
	}
	if d := pkParse(e.s.out[1].data).Key.IPv4Dst(); d != 0xc6336401 {
		t.Fatalf("pop into ip_dst: frame has %#x", d)
	}
	if c := e.d.Counters(); c["stack_underflow"] != 1 {
		t.Fatalf("stack_underflow %d", c["stack_underflow"])
	}

	// a full stack: the push that does not fit ends processing
	e2 := newEnv(t)
	acts := []Action{}
	for range packet.StackDepth {
		acts = append(acts, push(packet.FieldReg0, 0, 32))
	}
	acts = append(acts, Output{Port: 2}, push(packet.FieldReg0, 0, 1), Output{Port: 3})
	add(t, e2.d, spec(0, 1, Match{}, acts...))
	e2.send(1, tcpFrame(1, 2), tcpFrame(3, 4))
	if got := e2.s.ports(); !slices.Equal(got, []uint32{2, 2}) {
		t.Fatalf("full stack: outputs %v", got)
	}
	if c := e2.d.Counters(); c["drop_stack_too_deep"] != 2 {
		t.Fatalf("drop_stack_too_deep %d", c["drop_stack_too_deep"])
	}

	// the stack survives ct(table=N) recirculation
	e3 := newEnv(t)
	add(t, e3.d, spec(0, 1, ipMatch(), sf(packet.FieldReg2, 9), push(packet.FieldReg2, 0, 32), CT{Table: 1}))
	add(t, e3.d, spec(1, 1, ipMatch(), pop(packet.FieldReg6, 0, 32), Output{Port: 2}))
	e3.send(1, tcpFrame(1, 2))
	if len(e3.s.out) != 1 || e3.s.out[0].key.Reg(6) != 9 {
		t.Fatalf("after recirculation: %+v", e3.s.out)
	}
}

func TestStackValidate(t *testing.T) {
	e := newEnv(t)
	for _, a := range []Action{
		push(packet.FieldIPv4Src, 0, 32), // without ip in the match
		pop(packet.FieldReg0, 30, 4),     // beyond the field
		pop(packet.FieldEthType, 0, 16),  // not writable
	} {
		err := e.d.FlowMod(&FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny,
			Spec: spec(0, 1, Match{}, a)}, 1)
		if err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
	if err := e.d.FlowMod(&FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny,
		Spec: withInst(spec(0, 1, Match{}), func(in *Instructions) {
			in.HasWrite, in.Write = true, []Action{push(packet.FieldReg0, 0, 32)}
		})}, 1); err == nil {
		t.Error("push in the action set accepted")
	}
}

func TestZeroAllocStack(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	add(t, d, spec(0, 1, ipMatch(), push(packet.FieldIPv4Src, 0, 32), push(packet.FieldReg0, 0, 32),
		Resubmit{InPort: PortInPort, Table: 1}, pop(packet.FieldReg1, 0, 32), pop(packet.FieldIPv4Dst, 0, 32), Output{Port: 2}))
	add(t, d, spec(1, 1, ipMatch(packet.FieldNwProto, 6), push(packet.FieldTCPSrc, 0, 16), pop(packet.FieldReg3, 0, 16)))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/stack", func() { resetBatch(b, frames, 1); d.Process(b) })
}

// TestCheckPktLarger: the bit is 1 when the frame (as the userspace
// datapath holds it) is longer than N bytes, else 0; any 1-bit writable
// destination, whatever the match (OVS checks no prerequisite for it).
func TestCheckPktLarger(t *testing.T) {
	e := newEnv(t)
	n := uint16(len(tcpFrame(1, 2)))
	add(t, e.d, spec(0, 1, Match{},
		sf(packet.FieldReg0, 0xff),
		CheckPktLarger{PktLen: n - 1, Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 1}},
		CheckPktLarger{PktLen: n, Dst: Subfield{Field: packet.FieldReg0, Ofs: 1, NBits: 1}},
		CheckPktLarger{PktLen: 0, Dst: Subfield{Field: packet.FieldReg9, Ofs: 10, NBits: 1}},
		CheckPktLarger{PktLen: 0, Dst: Subfield{Field: packet.FieldIPDSCP, Ofs: 0, NBits: 1}},
		Output{Port: 2}))
	e.send(1, tcpFrame(1, 2))
	if len(e.s.out) != 1 {
		t.Fatalf("outputs %v", e.s.ports())
	}
	k := e.s.out[0].key
	if k.Reg(0) != 0xfd || k.Reg(9) != 1<<10 {
		t.Fatalf("reg0=%#x reg9=%#x", k.Reg(0), k.Reg(9))
	}
	if d := pkParse(e.s.out[0].data).Key.W.Get(packet.FieldIPDSCP).Lo; d != 1 {
		t.Fatalf("ip_dscp in the frame %d", d)
	}
	for _, a := range []Action{
		CheckPktLarger{Dst: Subfield{Field: packet.FieldReg0, Ofs: 32, NBits: 1}},
		CheckPktLarger{Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 1}},
		CheckPktLarger{Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 2}},
	} {
		if err := e.d.FlowMod(&FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny,
			Spec: spec(0, 2, Match{}, a)}, 1); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

func TestZeroAllocCheckPktLarger(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	add(t, d, spec(0, 1, ipMatch(), CheckPktLarger{PktLen: 60, Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 1}},
		CheckPktLarger{PktLen: 60, Dst: Subfield{Field: packet.FieldIPDSCP, Ofs: 0, NBits: 1}}, Output{Port: 2}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/check_pkt_larger", func() { resetBatch(b, frames, 1); d.Process(b) })
}
