package pipeline

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
)

// TestCloneActionSetVsOVS: the cases of tests/golden/cloneaset/cases.tsv,
// built here as the same flows and groups, give the outputs in the order
// OVS 3.1's ofproto/trace printed them (traces.txt, captured with
// tests/ovsref/capture-cloneaset.sh): a clone starts with a copy of the
// action set and executes it when its actions end, a bucket's clone copies
// the group caller's set, and exit stops the action set too; what the
// tables a bucket resubmits to write, clear, push or pop stays for the
// group's caller; ct(table=N) in a clone or a bucket recirculates with the
// registers and stack of the moment and executes the action set it carries.
func TestCloneActionSetVsOVS(t *testing.T) {
	b, err := os.ReadFile(goldenDir + "cloneaset/traces.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	var cur string
	for _, l := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(l, "case "); ok {
			cur = n
		} else if a, ok := strings.CutPrefix(l, "Datapath actions: "); ok {
			lines[cur] = append(lines[cur], a)
		}
	}
	want := map[string][]uint32{}
	for name, ls := range lines {
		p, err := tracePorts(ls)
		if err != nil {
			t.Fatalf("case %s: %v", name, err)
		}
		want[name] = p
	}
	w2 := func(s FlowSpec) FlowSpec { // write_actions(output:2),goto_table:1
		return withInst(s, func(in *Instructions) {
			in.HasWrite, in.Write, in.GotoTable = true, []Action{Output{Port: 2}}, 1
		})
	}
	o := func(p uint32) Action { return Output{Port: p} }
	cl := func(a ...Action) Action { return Clone{Actions: a} }
	rs := func(t uint8) Action { return Resubmit{InPort: PortInPort, Table: t} }
	rs2 := rs(2)
	r := func(n int) packet.FieldID { return packet.FieldReg0 + packet.FieldID(n) }
	sub := func(n int, bits uint16) Subfield { return Subfield{Field: r(n), NBits: bits} }
	push := func(n int) Action { return StackPush{Src: sub(n, 32)} }
	pop := func(n int) Action { return StackPop{Dst: sub(n, 32)} }
	outReg := func(n int) Action { return OutputReg{Src: sub(n, 16), MaxLen: 0xffff} }
	ct2 := CT{ZoneSrc: Subfield{Field: packet.FieldInvalid}, Table: 2}
	write := func(s FlowSpec, acts ...Action) FlowSpec { // write_actions(acts) and no apply-actions
		return withInst(s, func(in *Instructions) { in.HasApply, in.HasWrite, in.Write = false, true, acts })
	}
	gotoT := func(s FlowSpec, t int16) FlowSpec {
		return withInst(s, func(in *Instructions) { in.GotoTable = t })
	}
	grp := func(typ uint8, buckets ...[]Action) *GroupSpec {
		g := &GroupSpec{ID: 1, Type: typ}
		for _, acts := range buckets {
			g.Buckets = append(g.Buckets, Bucket{WatchPort: PortAny, WatchGroup: GroupAny, Actions: acts})
		}
		return g
	}
	all := func(acts ...Action) *GroupSpec { return grp(GroupTypeAll, acts) }
	t1g5 := spec(1, 1, Match{}, GroupAction{GroupID: 1}, o(5)) // table=1,actions=group:1,output:5
	grp1 := func(acts ...Action) *GroupSpec {
		return &GroupSpec{ID: 1, Type: GroupTypeAll, Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny, Actions: acts}}}
	}
	cases := []struct {
		name  string
		group *GroupSpec
		flows []FlowSpec
	}{
		{"wa-clone", nil, []FlowSpec{w2(spec(0, 1, Match{})), spec(1, 1, Match{}, cl(o(3)))}},
		{"clone-goto", nil, []FlowSpec{w2(spec(0, 1, Match{})),
			withInst(spec(1, 1, Match{}, cl(o(3))), func(in *Instructions) { in.GotoTable = 2 }),
			spec(2, 1, Match{}, o(4))}},
		{"clone-resubmit-write", nil, []FlowSpec{w2(spec(0, 1, Match{})),
			spec(1, 1, Match{}, cl(rs2, o(3)), o(5)),
			withInst(spec(2, 1, Match{}), func(in *Instructions) {
				in.HasApply, in.HasWrite, in.Write = false, true, []Action{o(4)}
			})}},
		{"clone-resubmit-clear", nil, []FlowSpec{w2(spec(0, 1, Match{})),
			spec(1, 1, Match{}, cl(rs2, o(3)), o(5)),
			withInst(spec(2, 1, Match{}), func(in *Instructions) { in.HasApply, in.ClearActions = false, true })}},
		{"nested", nil, []FlowSpec{w2(spec(0, 1, Match{})), spec(1, 1, Match{}, cl(cl(o(3)), o(4)))}},
		{"exit-in-clone", nil, []FlowSpec{w2(spec(0, 1, Match{})), spec(1, 1, Match{}, cl(o(3), Exit{}, o(4)), o(5))}},
		{"exit-top", nil, []FlowSpec{w2(spec(0, 1, Match{})), spec(1, 1, Match{}, o(3), Exit{}, o(4))}},
		{"bucket-clone", grp1(cl(o(3)), o(4)), []FlowSpec{w2(spec(0, 1, Match{})),
			spec(1, 1, Match{}, GroupAction{GroupID: 1}, o(5))}},
		{"bucket-resubmit-clone", grp1(rs2), []FlowSpec{w2(spec(0, 1, Match{})),
			spec(1, 1, Match{}, GroupAction{GroupID: 1}, o(5)), spec(2, 1, Match{}, cl(o(3)))}},
		{"aset-group-resubmit-clone", grp1(rs2), []FlowSpec{
			withInst(spec(0, 1, Match{}), func(in *Instructions) {
				in.HasApply, in.HasWrite, in.Write = false, true, []Action{GroupAction{GroupID: 1}}
			}),
			spec(2, 1, Match{}, cl(o(3)), o(4))}},
		{"clone-set-field", nil, []FlowSpec{
			withInst(spec(0, 1, Match{}), func(in *Instructions) {
				in.HasApply, in.HasWrite, in.GotoTable = false, true, 1
				in.Write = []Action{sf(packet.FieldReg0, 7), o(2)}
			}),
			spec(1, 1, Match{}, cl(o(3)))}},
		// a bucket's resubmit writes the caller's action set, and its stack
		{"bucket-resubmit-write", all(rs2), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			write(spec(2, 1, Match{}), o(4))}},
		{"bucket-resubmit-clear", all(rs2), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			withInst(spec(2, 1, Match{}), func(in *Instructions) { in.HasApply, in.ClearActions = false, true })}},
		{"bucket-resubmit-goto-write", all(rs2), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			gotoT(spec(2, 1, Match{}), 3), write(spec(3, 1, Match{}), o(4))}},
		{"indirect-bucket-write", grp(GroupTypeIndirect, []Action{rs2}), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			write(spec(2, 1, Match{}), o(4))}},
		{"two-buckets", grp(GroupTypeAll, []Action{rs2}, []Action{rs(3)}), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			write(spec(2, 1, Match{}), o(4)), write(spec(3, 1, Match{}), o(3))}},
		{"bucket-sees-previous", grp(GroupTypeAll, []Action{rs2}, []Action{rs(3)}), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			write(spec(2, 1, Match{}), o(3)), spec(3, 1, Match{}, cl(o(4)))}},
		{"clone-bucket-resubmit-write", all(rs2), []FlowSpec{w2(spec(0, 1, Match{})),
			spec(1, 1, Match{}, cl(GroupAction{GroupID: 1}, o(3)), o(5)), write(spec(2, 1, Match{}), o(4))}},
		{"bucket-resubmit-exit", all(rs2), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			gotoT(write(spec(2, 1, Match{}), o(4)), 3), spec(3, 1, Match{}, Exit{})}},
		{"aset-group-bucket-write", all(rs2), []FlowSpec{write(spec(0, 1, Match{}), GroupAction{GroupID: 1}),
			write(spec(2, 1, Match{}), o(4))}},
		{"bucket-stack", all(sf(r(1), 3), rs2), []FlowSpec{gotoT(spec(0, 1, Match{}), 1),
			spec(1, 1, Match{}, GroupAction{GroupID: 1}, pop(0), outReg(0)), spec(2, 1, Match{}, push(1))}},
		// ct(table=N) in a clone or a bucket: the recirculation carries the
		// registers and stack of the moment (its outputs come where the ct
		// stands, as the netdev datapath recirculates at once)
		{"ct-in-clone", nil, []FlowSpec{gotoT(spec(0, 1, Match{}, sf(r(1), 5)), 1),
			spec(1, 1, ipMatch(), cl(sf(r(0), 6), push(1), sf(r(1), 0), ct2, o(3)), o(4)),
			spec(2, 1, mkMatch(r(0), 6, r(1), 0), pop(2), outReg(2)), spec(2, 0, Match{}, o(2))}},
		{"ct-last-in-clone", nil, []FlowSpec{gotoT(spec(0, 1, Match{}), 1),
			spec(1, 1, ipMatch(), cl(sf(r(0), 3), ct2), o(4)),
			withInst(spec(2, 1, mkMatch(r(0), 3), o(3)), func(in *Instructions) { in.HasWrite, in.Write = true, []Action{o(5)} }),
			spec(2, 0, Match{}, o(2))}},
		{"ct-in-bucket", all(sf(r(0), 6), ct2), []FlowSpec{gotoT(spec(0, 1, Match{}), 1),
			spec(1, 1, ipMatch(), GroupAction{GroupID: 1}, o(4)),
			spec(2, 1, mkMatch(r(0), 6), o(3)), spec(2, 0, Match{}, o(2))}},
		{"ct-in-bucket-resubmit", all(rs(3)), []FlowSpec{gotoT(spec(0, 1, Match{}, sf(r(1), 3)), 1),
			spec(1, 1, Match{}, GroupAction{GroupID: 1}, o(4)),
			spec(3, 1, ipMatch(), push(1), sf(r(1), 0), ct2, o(5)),
			spec(2, 1, mkMatch(r(1), 0), pop(2), outReg(2)), spec(2, 0, Match{}, o(2))}},
		{"ct-in-bucket-write", all(ct2), []FlowSpec{gotoT(spec(0, 1, Match{}), 1),
			spec(1, 1, ipMatch(), GroupAction{GroupID: 1}, o(4)), write(spec(2, 1, Match{}), o(3))}},
		{"bucket-clear-then-ct", all(rs(3)), []FlowSpec{w2(spec(0, 1, Match{})), t1g5,
			gotoT(withInst(spec(3, 1, Match{}), func(in *Instructions) { in.HasApply, in.ClearActions = false, true }), 4),
			spec(4, 1, ipMatch(), ct2), spec(2, 1, Match{}, o(3))}},
	}
	for _, c := range cases {
		w, ok := want[c.name]
		if !ok {
			t.Fatalf("case %s: not in traces.txt", c.name)
		}
		delete(want, c.name)
		e := newEnv(t, 1, 2, 3, 4, 5)
		if c.group != nil {
			if err := e.d.GroupMod(GroupAdd, c.group); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range c.flows {
			add(t, e.d, f)
		}
		e.send(1, tcpFrame(1, 2))
		if got := e.s.ports(); !slices.Equal(got, w) {
			t.Errorf("case %s: outputs %v, want %v (OVS 3.1)", c.name, got, w)
		}
	}
	for n := range want {
		t.Errorf("case %s of traces.txt not run", n)
	}
}

// tracePorts is the output ports, in the order the netdev datapath sends
// them, of an ofproto/trace's "Datapath actions:" lines (without the
// prefix): the packet's, then one per recirculation in the order of their
// recirc(...) actions, whose outputs come where that action stands (the
// netdev datapath runs a recirculation at once). Actions other than ports
// (ct, clone's parentheses, drop, hash) give none.
func tracePorts(lines []string) ([]uint32, error) {
	next := 1
	var walk func(l string) ([]uint32, error)
	walk = func(l string) ([]uint32, error) {
		out := []uint32{}
		for _, f := range strings.Split(l, ",") {
			f = strings.TrimRight(strings.TrimLeft(f, "clone("), ")")
			if strings.HasPrefix(f, "recirc(") {
				if next >= len(lines) {
					return nil, fmt.Errorf("%q: no line for %s)", l, f)
				}
				next++
				sub, err := walk(lines[next-1])
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
				continue
			}
			if p, err := strconv.Atoi(f); err == nil {
				out = append(out, uint32(p))
			}
		}
		return out, nil
	}
	out, err := walk(lines[0])
	if err == nil && next != len(lines) {
		err = fmt.Errorf("%d recirculation lines, %d recirc actions", len(lines)-1, next-1)
	}
	return out, err
}

// TestStickyGroupBatch: packets of one batch whose ways through a group's
// bucket write, clear and push differently (the tables the bucket resubmits
// to match on tcp_src) each go on after the group with their own action
// set and stack, exactly as each does alone (TestCloneActionSetVsOVS holds
// the single-packet results against OVS 3.1).
func TestStickyGroupBatch(t *testing.T) {
	reg0 := Subfield{Field: packet.FieldReg0, NBits: 32}
	tsrc := Subfield{Field: packet.FieldTCPSrc, NBits: 16}
	setup := func() *env {
		e := newEnv(t, 1, 2, 3, 4, 5, 6)
		g := &GroupSpec{ID: 1, Type: GroupTypeAll, Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny,
			Actions: []Action{Resubmit{InPort: PortInPort, Table: 2}}}}}
		if err := e.d.GroupMod(GroupAdd, g); err != nil {
			t.Fatal(err)
		}
		add(t, e.d, withInst(spec(0, 1, Match{}), func(in *Instructions) {
			in.HasWrite, in.Write, in.GotoTable = true, []Action{Output{Port: 2}}, 1
		}))
		add(t, e.d, spec(1, 1, Match{}, GroupAction{GroupID: 1}, StackPop{Dst: reg0},
			OutputReg{Src: Subfield{Field: packet.FieldReg0, NBits: 16}, MaxLen: 0xffff}, Output{Port: 5}))
		tcp := func(sport int) Match { return ipMatch(packet.FieldNwProto, 6, packet.FieldTCPSrc, sport) }
		add(t, e.d, withInst(spec(2, 2, tcp(1), StackPush{Src: tsrc}), func(in *Instructions) {
			in.HasWrite, in.Write = true, []Action{Output{Port: 4}}
		}))
		add(t, e.d, withInst(spec(2, 2, tcp(2), StackPush{Src: tsrc}), func(in *Instructions) { in.ClearActions = true }))
		add(t, e.d, spec(2, 1, ipMatch(packet.FieldNwProto, 6), StackPush{Src: tsrc}))
		return e
	}
	byPort := func(e *env) map[uint16][]uint32 {
		m := map[uint16][]uint32{}
		for _, o := range e.s.out {
			m[o.key.TpSrc()] = append(m[o.key.TpSrc()], o.port)
		}
		return m
	}
	alone := map[uint16][]uint32{}
	for sp := uint16(1); sp <= 3; sp++ {
		e := setup()
		e.send(6, tcpFrame(sp, 80))
		alone[sp] = byPort(e)[sp]
	}
	if slices.Equal(alone[1], alone[2]) || slices.Equal(alone[2], alone[3]) {
		t.Fatalf("alone: %v: the three ways should differ", alone)
	}
	e := setup()
	e.send(6, tcpFrame(1, 80), tcpFrame(2, 80), tcpFrame(3, 80), tcpFrame(1, 80))
	got := byPort(e)
	for sp := uint16(1); sp <= 3; sp++ {
		want := alone[sp]
		if sp == 1 {
			want = append(slices.Clone(want), want...)
		}
		if !slices.Equal(got[sp], want) {
			t.Errorf("tcp_src %d in a batch: outputs %v, alone %v", sp, got[sp], alone[sp])
		}
	}
}
