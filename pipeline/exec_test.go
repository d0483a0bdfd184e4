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

// TestNormalPortVLAN: NORMAL with OVS's per-port VLAN configuration
// (ovs-vswitchd.conf.db(5) Port tag, trunks, vlan_mode, as OVS 3.1's
// xlate_normal): port 1 access VLAN 10, port 2 trunk of 10 and 20, port 3
// native-untagged 10 trunking 20, port 4 native-tagged 20.
func TestNormalPortVLAN(t *testing.T) {
	e := newEnv(t)
	e.d.SetPorts([]PortInfo{
		{No: 1, Up: true, VLAN: NewPortVLAN(VLANAccess, 10, []uint16{20})},
		{No: 2, Up: true, VLAN: NewPortVLAN(VLANTrunk, 10, []uint16{10, 20})},
		{No: 3, Up: true, VLAN: NewPortVLAN(VLANNativeUntagged, 10, []uint16{20})},
		{No: 4, Up: true, VLAN: NewPortVLAN(VLANNativeTagged, 20, nil)},
	})
	add(t, e.d, spec(0, 0, Match{}, Output{Port: PortNormal}))
	type out struct {
		port uint32
		tci  uint16 // outer tag's TCI without CFI; 0xffff untagged
	}
	got := func() []out {
		var o []out
		for _, s := range e.s.out {
			tci := uint16(0xffff)
			if len(s.data) >= 18 && s.data[12] == 0x81 && s.data[13] == 0 {
				tci = uint16(s.data[14])<<8 | uint16(s.data[15])
			}
			o = append(o, out{s.port, tci})
		}
		return o
	}
	for _, tc := range []struct {
		name string
		in   uint32
		tci  int // -1 untagged
		want []out
	}{
		// access 10 in, untagged: VLAN 10 to the trunk (tagged), native-untagged 10 (untagged)
		// and native-tagged 20, whose empty trunks are every VLAN but 0 (tagged).
		{"access in", 1, -1, []out{{2, 10}, {3, 0xffff}, {4, 10}}},
		// a tagged frame on an access port is dropped.
		{"access tagged", 1, 10, nil},
		// trunk in VLAN 20 (PCP 5): to native-untagged 10 (trunks 20: tagged), native-tagged 20 (tagged); not access 10.
		{"trunk 20", 2, 0xa000 | 20, []out{{3, 0xa000 | 20}, {4, 0xa000 | 20}}},
		// trunk in VLAN 30: not trunked, dropped.
		{"trunk 30", 2, 30, nil},
		// native-untagged in, untagged: VLAN 10 to access 1 (untagged) and trunk 2 (tagged).
		{"native in", 3, -1, []out{{1, 0xffff}, {2, 10}, {4, 10}}},
		// native-tagged 20 in, untagged: VLAN 20, tagged on 2, 3.
		{"native-tagged in", 4, -1, []out{{2, 20}, {3, 20}}},
		// native-tagged in with VLAN 0 tag (priority tag): its native VLAN 20.
		{"priority tagged", 4, 0, []out{{2, 20}, {3, 20}}},
	} {
		e.s.reset()
		e.d.Expire(1e18) // forget what was learned
		f := tcpFrame(uint16(tc.in), 0x42)
		if tc.tci >= 0 {
			f = vlanFrame(f, uint16(tc.tci))
		}
		e.send(tc.in, f)
		if g := got(); !slices.Equal(g, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, g, tc.want)
		}
	}
	// Learned unicast follows the VLAN: 02..01 learned on access port 1
	// (VLAN 10); a frame to it from trunk 2 in VLAN 10 goes there untagged,
	// one in VLAN 20 floods VLAN 20.
	e.s.reset()
	e.d.Expire(1e18)
	e.send(1, tcpFrame(1, 2))
	e.s.reset()
	e.send(2, vlanFrame(swapMACs(tcpFrame(2, 1)), 10))
	if g := got(); !slices.Equal(g, []out{{1, 0xffff}}) {
		t.Errorf("unicast to the access port: %v", g)
	}
	e.s.reset()
	e.send(2, vlanFrame(swapMACs(tcpFrame(2, 1)), 20))
	if g := got(); !slices.Equal(g, []out{{3, 20}, {4, 20}}) {
		t.Errorf("VLAN 20 to a MAC known only in VLAN 10: %v", g)
	}
}
