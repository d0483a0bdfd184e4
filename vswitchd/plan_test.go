package vswitchd

import (
	"reflect"
	"testing"
	"time"

	"gswitch/ovsdb"
	"gswitch/pipeline"
)

func strp(s string) *string { return &s }
func intp(i int64) *int64   { return &i }

func TestDesired(t *testing.T) {
	s := &ovsdb.Snapshot{
		OpenVSwitch: map[ovsdb.UUID]*ovsdb.OpenVSwitch{"r": {UUID: "r", Bridges: []ovsdb.UUID{"b0", "b1", "b2"}, NextCfg: 5}},
		Bridges: map[ovsdb.UUID]*ovsdb.Bridge{
			"b0": {UUID: "b0", Name: "br0", Ports: []ovsdb.UUID{"p0", "p1", "p2", "pl"}, Controller: []ovsdb.UUID{"c0"},
				Protocols: []string{"OpenFlow13", "OpenFlow14"}, FailMode: strp("secure")},
			"b1": {UUID: "b1", Name: "br1", Ports: []ovsdb.UUID{"p3"},
				OtherConfig: map[string]string{"datapath-id": "00000000000000b1", "hwaddr": "02:5e:00:00:00:b1"}},
			"b2": {UUID: "b2", Name: "br2", OtherConfig: map[string]string{"datapath-id": "0xb1", "hwaddr": "01:00:00:00:00:01"}},
		},
		Ports: map[ovsdb.UUID]*ovsdb.Port{
			"p0": {UUID: "p0", Name: "v0", Interfaces: []ovsdb.UUID{"i0"}},
			"p1": {UUID: "p1", Name: "v1", Interfaces: []ovsdb.UUID{"i1"}},
			"p2": {UUID: "p2", Name: "pa0", Interfaces: []ovsdb.UUID{"i2"}},
			"pl": {UUID: "pl", Name: "br0", Interfaces: []ovsdb.UUID{"il"}},
			"p3": {UUID: "p3", Name: "v0", Interfaces: []ovsdb.UUID{"i3"}},
		},
		Interfaces: map[ovsdb.UUID]*ovsdb.Interface{
			"i0": {UUID: "i0", Name: "v0", Type: "system", Ofport: intp(3)},         // a previous run's
			"i1": {UUID: "i1", Name: "v1", OfportRequest: intp(7), Ofport: intp(9)}, // the request wins
			"i2": {UUID: "i2", Name: "pa0", Type: "patch", Options: map[string]string{"peer": "pa1"}, Ofport: intp(-1)},
			"il": {UUID: "il", Name: "br0", Type: "internal"},
			"i3": {UUID: "i3", Name: "v0"},
		},
		Controllers: map[ovsdb.UUID]*ovsdb.Controller{"c0": {UUID: "c0", Target: "tcp:127.0.0.1:18441"}},
	}
	spec, problems := Desired(s)
	if spec.NextCfg != 5 || len(spec.Bridges) != 3 {
		t.Fatalf("spec %+v", spec)
	}
	want0 := &BridgeSpec{UUID: "b0", Name: "br0", Local: "il", Protocols: 1<<4 | 1<<5, FailMode: "secure",
		Controllers: []ControllerSpec{{UUID: "c0", Target: "tcp:127.0.0.1:18441", Probe: 5 * time.Second, MaxBackoff: 8 * time.Second}},
		Ifaces: []IfaceSpec{
			{UUID: "i2", Port: "p2", Name: "pa0", Type: "patch", Peer: "pa1"},
			{UUID: "i0", Port: "p0", Name: "v0", Request: 3},
			{UUID: "i1", Port: "p1", Name: "v1", Request: 7},
		}}
	if got := spec.Bridges["br0"]; !reflect.DeepEqual(got, want0) {
		t.Errorf("br0\n got %+v\nwant %+v", got, want0)
	}
	want1 := &BridgeSpec{UUID: "b1", Name: "br1", FailMode: "standalone", DatapathID: 0xb1, DatapathIDSet: true,
		HWAddr: [6]byte{2, 0x5e, 0, 0, 0, 0xb1}, HWAddrSet: true}
	if got := spec.Bridges["br1"]; !reflect.DeepEqual(got, want1) {
		t.Errorf("br1 (v0 is br0's already)\n got %+v\nwant %+v", got, want1)
	}
	if got := spec.Bridges["br2"]; got.DatapathIDSet || got.HWAddrSet {
		t.Errorf("br2: a bad datapath-id and a multicast hwaddr are ignored: %+v", got)
	}
	if len(problems) != 3 {
		t.Errorf("problems %q: want v0 twice, br2's datapath-id and hwaddr", problems)
	}
	if spec, p := Desired(&ovsdb.Snapshot{}); len(spec.Bridges) != 0 || p != nil {
		t.Errorf("no root row: %+v %q", spec, p)
	}
}

// TestControllerSpec: inactivity_probe and max_backoff in effect as
// ovs-vswitchd 3.1 computes them (bridge.c bridge_configure_remotes, then
// rconn's minimum of 5 s for a probe and 1 s for a back-off);
// connection_mode is accepted.
func TestControllerSpec(t *testing.T) {
	for _, tc := range []struct {
		probe, backoff *int64
		mode           *string
		wantProbe      time.Duration
		wantBackoff    time.Duration
	}{
		{nil, nil, nil, 5 * time.Second, 8 * time.Second},
		{intp(0), intp(0), strp("out-of-band"), -1, time.Second},
		{intp(500), intp(500), strp("in-band"), 5 * time.Second, time.Second},
		{intp(4999), intp(2500), nil, 5 * time.Second, 2 * time.Second},
		{intp(30000), intp(60000), nil, 30 * time.Second, 60 * time.Second},
		{intp(7999), intp(1999), nil, 7 * time.Second, time.Second},
	} {
		c := &ovsdb.Controller{UUID: "c", Target: "tcp:127.0.0.1:6653", InactivityProbe: tc.probe, MaxBackoff: tc.backoff,
			ConnectionMode: tc.mode}
		got := controllerSpec(c)
		if got.Probe != tc.wantProbe || got.MaxBackoff != tc.wantBackoff || got.Target != c.Target {
			t.Errorf("probe %v backoff %v: got %+v, want probe %v backoff %v", tc.probe, tc.backoff, got,
				tc.wantProbe, tc.wantBackoff)
		}
	}
	if got := Protocols([]string{"OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15", "OpenFlow16"}); got != 0x7e {
		t.Errorf("Protocols(all) = %#x, want 0x7e", got)
	}
}

// TestVLANSpec: Port tag, trunks and vlan_mode as ovs-vswitchd 3.1's
// port_configure reads them (no vlan_mode: access with a tag, else trunk;
// a tag outside 0..4095 is none).
func TestVLANSpec(t *testing.T) {
	for _, tc := range []struct {
		p    ovsdb.Port
		want VLANSpec
	}{
		{ovsdb.Port{}, VLANSpec{}},
		{ovsdb.Port{Tag: intp(10)}, VLANSpec{Mode: pipeline.VLANAccess, Tag: 10}},
		{ovsdb.Port{Tag: intp(10), Trunks: []int64{30, 20}}, VLANSpec{Mode: pipeline.VLANAccess, Tag: 10, Trunks: "20,30"}},
		{ovsdb.Port{Trunks: []int64{30, 20}}, VLANSpec{Trunks: "20,30"}},
		{ovsdb.Port{Tag: intp(5000)}, VLANSpec{}},
		{ovsdb.Port{Tag: intp(10), VLANMode: strp("trunk")}, VLANSpec{Tag: 10}},
		{ovsdb.Port{Tag: intp(10), VLANMode: strp("native-untagged")}, VLANSpec{Mode: pipeline.VLANNativeUntagged, Tag: 10}},
		{ovsdb.Port{Tag: intp(10), VLANMode: strp("native-tagged"), Trunks: []int64{20}},
			VLANSpec{Mode: pipeline.VLANNativeTagged, Tag: 10, Trunks: "20"}},
	} {
		if got := vlanSpec(&tc.p); got != tc.want {
			t.Errorf("%+v: got %+v, want %+v", tc.p, got, tc.want)
		}
	}
	if (VLANSpec{}).PortVLAN() != nil {
		t.Error("the zero VLANSpec is not a trunk of every VLAN (nil)")
	}
	if v := (VLANSpec{Mode: pipeline.VLANAccess, Tag: 10}).PortVLAN(); v == nil || v.Mode != pipeline.VLANAccess || v.Tag != 10 {
		t.Errorf("access 10: %+v", v)
	}
}

// TestRefuseSystem: with --disable-system only netdev bridges stay, and
// each refused one gets OVS 3.1's three log lines (dbfaults.sh step 3).
func TestRefuseSystem(t *testing.T) {
	spec := Spec{Bridges: map[string]*BridgeSpec{
		"br0": {Name: "br0", DatapathType: "netdev"},
		"br1": {Name: "br1"},
		"br2": {Name: "br2", DatapathType: "system"},
	}}
	lines := RefuseSystem(&spec)
	if len(spec.Bridges) != 1 || spec.Bridges["br0"] == nil {
		t.Errorf("bridges left %v", spec.Bridges)
	}
	if len(lines) != 6 || lines[1].Text != "could not create datapath br1 of unknown type system" ||
		lines[5] != (ModuleLine{"bridge", "error", "failed to create bridge br2: Address family not supported by protocol"}) {
		t.Errorf("log lines %+v", lines)
	}
}
