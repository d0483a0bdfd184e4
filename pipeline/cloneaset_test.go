package pipeline

import (
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
// the group caller's set, and exit stops the action set too.
func TestCloneActionSetVsOVS(t *testing.T) {
	b, err := os.ReadFile(goldenDir + "cloneaset/traces.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]uint32{}
	var cur string
	for _, l := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(l, "case "); ok {
			cur = n
		} else if a, ok := strings.CutPrefix(l, "Datapath actions: "); ok {
			want[cur] = []uint32{}
			for _, f := range strings.Split(a, ",") {
				p, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("case %s: %q", cur, l)
				}
				want[cur] = append(want[cur], uint32(p))
			}
		}
	}
	w2 := func(s FlowSpec) FlowSpec { // write_actions(output:2),goto_table:1
		return withInst(s, func(in *Instructions) {
			in.HasWrite, in.Write, in.GotoTable = true, []Action{Output{Port: 2}}, 1
		})
	}
	o := func(p uint32) Action { return Output{Port: p} }
	cl := func(a ...Action) Action { return Clone{Actions: a} }
	rs2 := Resubmit{InPort: PortInPort, Table: 2}
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
