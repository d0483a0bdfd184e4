package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"gswitch/cmd/gswitch/internal/ctl"
	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports/porttest"
)

// TestBridgeDumpFlows sends bridge/dump-flows to a standalone bridge over
// test ports holding the flows of tests/golden/vswitchd/dump-flows.flows and
// compares with OVS 3.1's answer for the same bridge and flows
// (tests/golden/vswitchd/dump-flows.sh).
func TestBridgeDumpFlows(t *testing.T) {
	s := &Switch{start: time.Now(), pool: packet.NewPool(), stop: make(chan struct{})}
	s.tracker = ct.New(ct.Config{Clock: s.Now})
	var ps []datapath.Port
	for i, n := range []string{"p1", "p2", "p3"} {
		ps = append(ps, datapath.Port{No: uint32(i + 1), Dev: porttest.New(n), Type: "porttest"})
	}
	br, err := datapath.New(datapath.Config{Name: "br0", FailMode: "standalone", Tracker: s.tracker, Pool: s.pool, Clock: s.Now}, ps)
	if err != nil {
		t.Fatal(err)
	}
	s.br = br
	t.Cleanup(func() { close(s.stop); br.Close() })

	// dump-flows.flows, as OVS stores it.
	inPort := func(p uint32) pipeline.Match {
		var m pipeline.Match
		m.Value.SetInPort(p)
		m.Mask.SetInPort(^uint32(0))
		return m
	}
	apply := func(acts ...pipeline.Action) pipeline.Instructions {
		return pipeline.Instructions{HasApply: true, GotoTable: -1, Apply: acts}
	}
	for _, spec := range []pipeline.FlowSpec{
		{Priority: 100, Match: inPort(1), Inst: apply(pipeline.Output{Port: 2})},
		{Priority: 100, Match: inPort(2), Inst: apply(pipeline.Output{Port: 1})},
		{Table: 1, Priority: 10, Inst: apply(pipeline.Resubmit{InPort: pipeline.PortInPort, Table: 2})},
		{Table: 3, Priority: 5, Match: inPort(3), Inst: pipeline.Instructions{GotoTable: -1}},
	} {
		fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny, Spec: spec}
		if err := br.Pipeline().FlowMod(fm, s.Now()); err != nil {
			t.Fatal(err)
		}
	}

	c := ctl.NewServer()
	s.registerVswitchdCommands(c, nil, nil)
	b, err := os.ReadFile("../../tests/golden/vswitchd/dump-flows.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(string(b), "=== ")[1:] {
		cmd, want, _ := strings.Cut(part, "\n")
		f := strings.Fields(cmd)
		got, err := c.Call(f[0], f[1:])
		if err != nil || got != want {
			t.Errorf("%s: %v\n--- OVS\n%s--- gswitch\n%s", cmd, err, want, got)
		}
	}

	// Errors as ovs-vswitchd's (tests/golden/vswitchd/appctl.txt).
	for _, tc := range []struct{ args, want string }{
		{"nosuch", "Unknown bridge"},
		{"", `"bridge/dump-flows" command requires at least 1 arguments`},
		{"--offload-stats br0 x", `"bridge/dump-flows" command takes at most 2 arguments`},
		{"br0 --offload-stats", "Unknown bridge"}, // the last argument names the bridge
	} {
		if _, err := c.Call("bridge/dump-flows", strings.Fields(tc.args)); err == nil || err.Error() != tc.want {
			t.Errorf("bridge/dump-flows %s: %v, want %q", tc.args, err, tc.want)
		}
	}
}
