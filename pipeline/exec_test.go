package pipeline

import (
	"slices"
	"testing"

	"gswitch/packet"
)

func TestOutputBasic(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1), Output{Port: 2}))
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 2), Output{Port: 2}, Output{Port: PortInPort}))
	e.send(1, tcpFrame(1000, 80), tcpFrame(1001, 80))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 2}) {
		t.Fatalf("outputs %v, want [2 2]", got)
	}
	e.s.reset()
	e.send(2, tcpFrame(1000, 80))
	// output to the in_port is skipped unless explicit
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v, want [2]", got)
	}
	if c := e.d.Counters(); c["drop_output_in_port"] != 1 || c["datapath_packets"] != 3 {
		t.Fatalf("counters %v", c)
	}
	e.s.reset()
	e.send(3, tcpFrame(1000, 80)) // no flow: table miss, dropped
	if len(e.s.out) != 0 || e.d.Counters()["table_miss"] != 1 {
		t.Fatalf("miss: outputs %v, counters %v", e.s.out, e.d.Counters())
	}
	fs := e.d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, 2)
	if len(fs) != 2 || fs[0].Packets+fs[1].Packets != 3 {
		t.Fatalf("flow stats %+v", fs)
	}
	ts := e.d.TableStats()
	if ts[0].Lookups != 4 || ts[0].Matched != 3 || ts[0].Active != 2 {
		t.Fatalf("table stats %+v", ts[0])
	}
}

func TestFloodAllNormal(t *testing.T) {
	e := newEnv(t)
	e.d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}, {No: 3, NoFlood: true, Up: true}, {No: 4, Up: true}})
	add(t, e.d, spec(0, 1, Match{}, Output{Port: PortFlood}))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 4}) {
		t.Fatalf("flood: %v", got)
	}
	add(t, e.d, spec(0, 1, Match{}, Output{Port: PortAll}))
	e.s.reset()
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Fatalf("all: %v", got)
	}
}

func TestNormalLearning(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 0, Match{}, Output{Port: PortNormal}))
	// 02..01 -> 02..02 from port 1: unknown, flooded.
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Fatalf("first frame: %v", got)
	}
	// reply from port 3 (02..02 -> 02..01): 02..01 was learned on port 1.
	e.s.reset()
	e.send(3, swapMACs(tcpFrame(2, 1)))
	if got := e.s.ports(); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("reply: %v", got)
	}
	// now 02..02 is known on 3.
	e.s.reset()
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{3}) {
		t.Fatalf("third frame: %v", got)
	}
	// a VLAN is its own learning domain: tagged frames flood again.
	e.s.reset()
	e.send(1, vlanFrame(tcpFrame(1, 2), 10))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Fatalf("vlan 10: %v", got)
	}
	if n := len(e.d.MACTable(2e9)); n != 3 {
		t.Fatalf("MAC table has %d entries, want 3", n)
	}
	e.d.Expire(1e9 + 301e9)
	if n := len(e.d.MACTable(2e9)); n != 0 {
		t.Fatalf("after aging, MAC table has %d entries", n)
	}
}

func TestNormalForgetsRemovedPort(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 0, Match{}, Output{Port: PortNormal}))
	e.send(1, tcpFrame(1, 2))
	if n := len(e.d.MACTable(2e9)); n != 1 {
		t.Fatalf("%d MAC entries", n)
	}
	e.d.SetPorts([]PortInfo{{No: 2, Up: true}, {No: 3, Up: true}})
	if n := len(e.d.MACTable(2e9)); n != 0 {
		t.Fatalf("%d MAC entries after port 1 went away", n)
	}
}
