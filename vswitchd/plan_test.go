package vswitchd

import (
	"reflect"
	"testing"

	"gswitch/ovsdb"
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
			"i0": {UUID: "i0", Name: "v0", Type: "system"},
			"i1": {UUID: "i1", Name: "v1", OfportRequest: intp(7)},
			"i2": {UUID: "i2", Name: "pa0", Type: "patch", Options: map[string]string{"peer": "pa1"}},
			"il": {UUID: "il", Name: "br0", Type: "internal"},
			"i3": {UUID: "i3", Name: "v0"},
		},
		Controllers: map[ovsdb.UUID]*ovsdb.Controller{"c0": {UUID: "c0", Target: "tcp:127.0.0.1:18441"}},
	}
	spec, problems := Desired(s)
	if spec.NextCfg != 5 || len(spec.Bridges) != 3 {
		t.Fatalf("spec %+v", spec)
	}
	want0 := &BridgeSpec{UUID: "b0", Name: "br0", Local: "il", Protocols: 1 << 4, FailMode: "secure",
		Controllers: []ControllerSpec{{UUID: "c0", Target: "tcp:127.0.0.1:18441"}},
		Ifaces: []IfaceSpec{
			{UUID: "i2", Port: "p2", Name: "pa0", Type: "patch", Peer: "pa1"},
			{UUID: "i0", Port: "p0", Name: "v0"},
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
