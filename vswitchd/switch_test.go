package vswitchd

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/ovsdb"
	"gswitch/packet"
	"gswitch/ports"
	"gswitch/ports/porttest"
	"gswitch/tunnel/underlay"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fakeDevs opens porttest ports by name: a name not in the map does not
// exist (ENODEV); a type other than system/internal/tap is refused.
type fakeDevs struct {
	mu   sync.Mutex
	devs map[string]*porttest.Port
}

func (f *fakeDevs) open(name, typ string) (ports.Port, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch typ {
	case "", "system", "internal", "tap":
	default:
		return nil, "", syscall.EAFNOSUPPORT
	}
	d := f.devs[name]
	if d == nil {
		return nil, "", syscall.ENODEV
	}
	delete(f.devs, name) // a device is opened once
	return d, "porttest", nil
}

func (f *fakeDevs) add(name string, mac byte) *porttest.Port {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := porttest.New(name, porttest.HWAddr(net.HardwareAddr{2, 0x5e, 0, 0, 0, mac}))
	f.devs[name] = p
	return p
}

func newTestSwitch(t *testing.T) (*Switch, *fakeDevs) {
	t.Helper()
	f := &fakeDevs{devs: map[string]*porttest.Port{}}
	start := time.Now()
	clock := func() int64 { return int64(time.Since(start)) }
	tr := ct.New(ct.Config{Clock: clock})
	sw := New(Config{Tracker: tr, Pool: packet.NewPool(), Clock: clock, Open: f.open})
	t.Cleanup(sw.Close)
	return sw, f
}

func bridge(name string, ifaces ...IfaceSpec) *BridgeSpec {
	return &BridgeSpec{UUID: ovsdb.UUID("u-" + name), Name: name, FailMode: "standalone", Ifaces: ifaces}
}

func iface(name, typ string, req uint32) IfaceSpec {
	return IfaceSpec{UUID: ovsdb.UUID("u-" + name), Name: name, Type: typ, Request: req}
}

func patch(name, peer string) IfaceSpec {
	is := iface(name, "patch", 0)
	is.Peer = peer
	return is
}

// ofports maps interface name -> ofport (-1: none) and error for bridge br.
func ofports(sw *Switch, br string) (map[string]int64, map[string]string) {
	nos, errs := map[string]int64{}, map[string]string{}
	for _, b := range sw.State() {
		if b.Name != br {
			continue
		}
		for _, is := range b.Ifaces {
			nos[is.Name] = is.Ofport
			if is.Error != "" {
				errs[is.Name] = is.Error
			}
		}
	}
	return nos, errs
}

func wantPorts(t *testing.T, sw *Switch, br string, want map[string]int64, wantErr map[string]string) {
	t.Helper()
	nos, errs := ofports(sw, br)
	if len(nos) != len(want) {
		t.Errorf("%s: ports %v, want %v", br, nos, want)
	}
	for n, no := range want {
		if nos[n] != no {
			t.Errorf("%s: %s has ofport %d, want %d (all %v)", br, n, nos[n], no, nos)
		}
	}
	for n, e := range wantErr {
		if errs[n] != e {
			t.Errorf("%s: %s error %q, want %q", br, n, errs[n], e)
		}
	}
	for n, e := range errs {
		if _, ok := wantErr[n]; !ok {
			t.Errorf("%s: %s has unexpected error %q", br, n, e)
		}
	}
}

// TestApplyPorts follows the numbering rules of the OVS goldens
// (tests/golden/vswitchd/capture.sh's header): 1, 2, ... in the order
// added, ofport_request honoured when free, a duplicate request gets the
// next free number, a freed number is not reused while others are free, a
// missing device or an unknown type has ofport -1 and OVS's error, and a
// device that appears later gets its port then.
func TestApplyPorts(t *testing.T) {
	sw, f := newTestSwitch(t)
	f.add("v0", 1)
	f.add("v1", 2)
	f.add("i0", 3)
	f.add("v2", 4)
	spec := Spec{Bridges: map[string]*BridgeSpec{"br0": bridge("br0", iface("v0", "", 0), iface("v1", "", 7))}}
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"v0": 1, "v1": 7}, nil)
	br0 := sw.Bridge("br0")

	spec.Bridges["br0"] = bridge("br0", iface("i0", "internal", 0), iface("v0", "", 0), iface("v1", "", 7))
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"v0": 1, "v1": 7, "i0": 2}, nil)

	// del-port v0; then a missing device, an unknown type, a duplicate request.
	spec.Bridges["br0"] = bridge("br0", iface("i0", "internal", 0), iface("v1", "", 7), iface("nodev", "", 0),
		iface("bad", "s5w-bogus", 0), iface("v2", "", 7))
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"v1": 7, "i0": 2, "nodev": -1, "bad": -1, "v2": 3}, map[string]string{
		"nodev": "could not open network device nodev (No such device)",
		"bad":   "could not open network device bad (Address family not supported by protocol)"})

	// The device appears: it gets the next free number (not v0's 1).
	f.add("nodev", 5)
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"v1": 7, "i0": 2, "nodev": 4, "bad": -1, "v2": 3}, map[string]string{
		"bad": "could not open network device bad (Address family not supported by protocol)"})
	if sw.Bridge("br0") != br0 {
		t.Errorf("br0 was built again; its ports should have changed in place")
	}
	if n := len(br0.Ports()); n != 4 {
		t.Errorf("br0 runs %d ports, want 4", n)
	}
}

// TestApplyPatchAndSettings: a second bridge joined by patch ports carries
// traffic; protocols, controllers and fail mode change without building
// the bridge again; removing the peer's bridge leaves the patch port with
// its number and OVS's error.
func TestApplyPatchAndSettings(t *testing.T) {
	sw, f := newTestSwitch(t)
	a := f.add("a0", 1)
	b := f.add("b0", 2)
	spec := Spec{Bridges: map[string]*BridgeSpec{
		"br0": bridge("br0", iface("a0", "", 0), patch("pa0", "pa1")),
		"br1": bridge("br1", iface("b0", "", 0), patch("pa1", "pa0")),
	}}
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"a0": 1, "pa0": 2}, nil)
	wantPorts(t, sw, "br1", map[string]int64{"b0": 1, "pa1": 2}, nil)

	// A broadcast from a0 crosses br0 (NORMAL), the patch pair and br1.
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0x5e, 0, 0, 0, 1, 0x88, 0xb5})
	if !a.Inject(frame, packet.Offload{}) {
		t.Fatal("inject")
	}
	select {
	case fr := <-b.Sent():
		if len(fr.Data) != len(frame) {
			t.Errorf("b0 got %d bytes, want %d", len(fr.Data), len(frame))
		}
	case <-time.After(3 * time.Second):
		t.Fatal("nothing crossed the patch pair to b0")
	}

	br0 := sw.Bridge("br0")
	if n := br0.Pipeline().NumFlows(); n != 1 {
		t.Fatalf("standalone br0 without controller has %d flows, want the NORMAL flow", n)
	}
	// A controller: flows flushed (the bridge gained its first controller).
	// (Each change is a new BridgeSpec, as Desired makes them.)
	edit := func(f func(b *BridgeSpec)) {
		b := *spec.Bridges["br0"]
		f(&b)
		spec.Bridges["br0"] = &b
	}
	edit(func(b *BridgeSpec) {
		b.Controllers = []ControllerSpec{{UUID: "c0", Target: "tcp:127.0.0.1:1"}}
		b.Protocols = 1 << 4
	})
	sw.Apply(spec)
	if sw.Bridge("br0") != br0 {
		t.Fatal("br0 was built again for a controller or protocols change")
	}
	if n := br0.Pipeline().NumFlows(); n != 0 {
		t.Errorf("with a controller br0 has %d flows, want 0 (flushed as ovs-vswitchd)", n)
	}
	st := sw.State()[0]
	if len(st.Controllers) != 1 || !st.Controllers[0].Found || st.Controllers[0].Status.Connected {
		t.Errorf("controller state %+v", st.Controllers)
	}
	// other_config:datapath-id at run time: same bridge, new id.
	edit(func(b *BridgeSpec) { b.DatapathID, b.DatapathIDSet = 0xb1, true })
	sw.Apply(spec)
	if sw.Bridge("br0") != br0 || br0.DatapathID() != 0xb1 {
		t.Errorf("datapath-id change: bridge rebuilt %v, id %x", sw.Bridge("br0") != br0, br0.DatapathID())
	}
	// No controller again: the NORMAL flow is back.
	edit(func(b *BridgeSpec) { b.Controllers = nil })
	sw.Apply(spec)
	if n := br0.Pipeline().NumFlows(); n != 1 {
		t.Errorf("without controller br0 has %d flows, want 1", n)
	}
	if c := br0.OpenFlow().Controllers(); len(c) != 0 {
		t.Errorf("controllers left: %+v", c)
	}

	// del-br br1: pa0 keeps its number, with OVS's error.
	delete(spec.Bridges, "br1")
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"a0": 1, "pa0": 2}, map[string]string{
		"pa0": "No usable peer 'pa1' exists in 'netdev' datapath."})
	if sw.Bridge("br1") != nil {
		t.Error("br1 still runs")
	}
	// br1 back with its peer: relinked, pa0 still 2.
	c := f.add("b0", 2)
	spec.Bridges["br1"] = bridge("br1", iface("b0", "", 0), patch("pa1", "pa0"))
	sw.Apply(spec)
	wantPorts(t, sw, "br0", map[string]int64{"a0": 1, "pa0": 2}, nil)
	if !a.Inject(frame, packet.Offload{}) {
		t.Fatal("inject")
	}
	select {
	case <-c.Sent():
	case <-time.After(3 * time.Second):
		t.Fatal("nothing crossed the relinked patch pair")
	}
}

// TestWriteBackOps: the first write-back after applying sets cur_cfg and
// the Open_vSwitch, Bridge and Interface columns ovs-vswitchd writes; a
// snapshot that already holds them gets no Interface or Open_vSwitch op.
func TestWriteBackOps(t *testing.T) {
	sw, f := newTestSwitch(t)
	f.add("v0", 1)
	snap := &ovsdb.Snapshot{
		OpenVSwitch: map[ovsdb.UUID]*ovsdb.OpenVSwitch{"r": {UUID: "r", Bridges: []ovsdb.UUID{"b0"}, NextCfg: 3, CurCfg: 2}},
		Bridges:     map[ovsdb.UUID]*ovsdb.Bridge{"b0": {UUID: "b0", Name: "br0", Ports: []ovsdb.UUID{"p0", "pl", "pn"}}},
		Ports: map[ovsdb.UUID]*ovsdb.Port{"p0": {UUID: "p0", Name: "v0", Interfaces: []ovsdb.UUID{"i0"}},
			"pl": {UUID: "pl", Name: "br0", Interfaces: []ovsdb.UUID{"il"}},
			"pn": {UUID: "pn", Name: "nodev", Interfaces: []ovsdb.UUID{"in"}}},
		Interfaces: map[ovsdb.UUID]*ovsdb.Interface{"i0": {UUID: "i0", Name: "v0"}, "il": {UUID: "il", Name: "br0", Type: "internal"},
			"in": {UUID: "in", Name: "nodev"}},
	}
	spec, _ := Desired(snap)
	sw.Apply(spec)
	wb := WriteBack{DevInfo: func(name string) (DevInfo, bool) {
		return DevInfo{Ifindex: 9, MTU: 1500, AdminUp: true, Driver: "veth", DrvVer: "1.0"}, name == "v0"
	}}
	ops := wb.Ops(snap, spec, sw.State(), true)
	got := map[ovsdb.UUID]map[string]any{}
	for _, op := range ops {
		u := op.Where[0].Value.(ovsdb.UUID)
		if got[u] == nil {
			got[u] = map[string]any{}
		}
		for k, v := range op.Row {
			got[u][k] = v
		}
	}
	if r := got["r"]; r["cur_cfg"] != int64(3) || r["dpdk_initialized"] != false || r["iface_types"] == nil {
		t.Errorf("Open_vSwitch row %v", r)
	}
	if r := got["b0"]; r["datapath_version"] != DatapathVersion || len(*r["datapath_id"].(*string)) != 16 {
		t.Errorf("Bridge row %v", r)
	}
	if r := got["i0"]; *r["ofport"].(*int64) != 1 || *r["admin_state"].(*string) != "up" || *r["ifindex"].(*int64) != 9 ||
		r["status"].(map[string]string)["driver_name"] != "veth" || len(r["statistics"].(map[string]int64)) != 14 {
		t.Errorf("Interface v0 row %v", r)
	}
	if r := got["il"]; *r["ofport"].(*int64) != 65534 || *r["admin_state"].(*string) != "down" {
		t.Errorf("Interface br0 (LOCAL) row %v", r)
	}
	if r := got["in"]; *r["ofport"].(*int64) != -1 || *r["error"].(*string) != "could not open network device nodev (No such device)" {
		t.Errorf("Interface nodev row %v", r)
	}
	// The database now holds what was written: nothing more to write.
	snap.OpenVSwitch["r"] = &ovsdb.OpenVSwitch{UUID: "r", Bridges: []ovsdb.UUID{"b0"}, NextCfg: 3, CurCfg: 3,
		DatapathTypes: DatapathTypes, IfaceTypes: IfaceTypes, DPDKVersion: p("none")}
	in := *snap.Interfaces["in"]
	in.Ofport, in.Error, in.Status = p(int64(-1)), p("could not open network device nodev (No such device)"), map[string]string{}
	snap.Interfaces["in"] = &in
	for _, op := range wb.Ops(snap, spec, sw.State(), false) {
		if u := op.Where[0].Value.(ovsdb.UUID); u == "r" || u == "in" {
			t.Errorf("unneeded write-back %s %v", u, op.Row)
		}
	}
}

// TestApplyMTURequest: an interface's mtu_request is set on its device
// once it has a port, again only when it changes, and retried while
// setting it fails (OVS's iface_set_netdev_mtu each reconfiguration);
// patch ports have no device MTU.
func TestApplyMTURequest(t *testing.T) {
	sw, f := newTestSwitch(t)
	var calls []string
	fail := false
	sw.cfg.SetMTU = func(name string, mtu int) error {
		calls = append(calls, name+"="+strconv.Itoa(mtu))
		if fail {
			return syscall.EINVAL
		}
		return nil
	}
	f.add("v0", 1)
	v0 := iface("v0", "", 0)
	v0.MTU = 1400
	pa := patch("pa0", "pa1")
	pa.MTU = 1400
	spec := Spec{Bridges: map[string]*BridgeSpec{"br0": bridge("br0", v0, iface("nodev", "", 0), pa)}}
	sw.Apply(spec)
	sw.Apply(spec)
	if got := strings.Join(calls, " "); got != "v0=1400" {
		t.Fatalf("calls %q, want v0=1400 once", got)
	}
	calls, fail = nil, true
	v0.MTU = 9000
	spec.Bridges["br0"] = bridge("br0", v0)
	sw.Apply(spec)
	sw.Apply(spec)
	fail = false
	sw.Apply(spec)
	sw.Apply(spec)
	if got := strings.Join(calls, " "); got != "v0=9000 v0=9000 v0=9000" {
		t.Fatalf("calls %q, want v0=9000 tried until it works", got)
	}
}

// TestApplyMinMTU: internal ports without mtu_request take the smallest
// MTU of the bridge's other ports (OVS 3.1's update_mtu_ofproto; an
// internal port with mtu_request counts as one of the others; patch ports
// have none), set again when that minimum changes.
func TestApplyMinMTU(t *testing.T) {
	sw, f := newTestSwitch(t)
	mtu := map[string]int{"v0": 1500, "v1": 1500, "i0": 1500, "i1": 1500}
	sw.cfg.GetMTU = func(name string) (int, error) {
		if m, ok := mtu[name]; ok {
			return m, nil
		}
		return 0, syscall.ENODEV
	}
	sw.cfg.SetMTU = func(name string, m int) error { mtu[name] = m; return nil }
	for i, n := range []string{"v0", "v1", "i0", "i1"} {
		f.add(n, byte(i+1))
	}
	i1 := iface("i1", "internal", 0)
	spec := Spec{Bridges: map[string]*BridgeSpec{"br0": bridge("br0", iface("i0", "internal", 0), i1, iface("v0", "", 0), iface("v1", "", 0))}}
	sw.Apply(spec)
	mtu["v1"] = 1400 // the device changed; the next pass sees it
	sw.Apply(spec)
	if mtu["i0"] != 1400 || mtu["i1"] != 1400 || mtu["v0"] != 1500 {
		t.Fatalf("after v1 went to 1400: %v", mtu)
	}
	i1.MTU = 1300 // mtu_request on an internal port: its own, and the new minimum
	spec.Bridges["br0"] = bridge("br0", iface("i0", "internal", 0), i1, iface("v0", "", 0), iface("v1", "", 0))
	sw.Apply(spec)
	if mtu["i0"] != 1300 || mtu["i1"] != 1300 {
		t.Fatalf("after i1's mtu_request=1300: %v", mtu)
	}
	mtu["v1"] = 9000
	i1.MTU = 9000
	spec.Bridges["br0"] = bridge("br0", iface("i0", "internal", 0), i1, iface("v0", "", 0), iface("v1", "", 0))
	sw.Apply(spec)
	if mtu["i0"] != 1500 {
		t.Fatalf("minimum back to v0's 1500, i0 raised to it: %v", mtu)
	}
}

// TestWriteBackTunnel: a tunnel port's Interface row as OVS 3.1 writes a
// tunnel vport's (admin and link up, ifindex 0, no speed, duplex or mtu,
// byte and packet counters only) with status tunnel_egress_iface and its
// carrier from the route to remote_ip, and an empty status without one.
func TestWriteBackTunnel(t *testing.T) {
	f := &fakeDevs{devs: map[string]*porttest.Port{}}
	start := time.Now()
	clock := func() int64 { return int64(time.Since(start)) }
	u1 := underlay.AddrFrom4([4]byte{203, 0, 113, 201})
	addrs := func(dev string) ([]underlay.IfAddr, error) {
		if dev != "s7p-u1" {
			return nil, syscall.ENODEV
		}
		return []underlay.IfAddr{{IP: u1, Mask: underlay.AddrFrom4([4]byte{255, 255, 255, 192})}}, nil
	}
	u := underlay.New(addrs)
	tn := datapath.NewTunnels(u, addrs, nil)
	sw := New(Config{Tracker: ct.New(ct.Config{Clock: clock}), Pool: packet.NewPool(), Clock: clock, Open: f.open, Tunnels: tn})
	t.Cleanup(sw.Close)
	gen := func(name, remote string) IfaceSpec {
		is := iface(name, "geneve", 0)
		is.Options = map[string]string{"remote_ip": remote, "key": "flow", "csum": "true"}
		return is
	}
	spec := Spec{NextCfg: 1, Bridges: map[string]*BridgeSpec{"br-int": bridge("br-int", gen("ovn-hv2-0", "203.0.113.202"), gen("ovn-hv3-0", "198.51.100.3"))}}
	sw.Apply(spec)
	u.Router.ResetKernel([]underlay.KernelRoute{{Dst: u1, Plen: 96 + 26, Dev: "s7p-u1"}}, nil)
	st := sw.State()
	egress := map[string]string{}
	for _, is := range st[0].Ifaces {
		egress[is.Name] = is.Egress
	}
	if egress["ovn-hv2-0"] != "s7p-u1" || egress["ovn-hv3-0"] != "" {
		t.Fatalf("egress devices %v, want ovn-hv2-0 s7p-u1 and ovn-hv3-0 none", egress)
	}
	for _, carrier := range []bool{true, false} {
		wb := WriteBack{DevInfo: func(name string) (DevInfo, bool) {
			return DevInfo{Ifindex: 5, MTU: 1500, AdminUp: true, Carrier: carrier}, name == "s7p-u1"
		}}
		rows := map[string]ovsdb.InterfaceState{}
		stats := map[string]map[string]int64{}
		for _, is := range st[0].Ifaces {
			rows[is.Name], stats[is.Name] = ifaceState(is, wb.DevInfo)
		}
		want := "up"
		if !carrier {
			want = "down"
		}
		r := rows["ovn-hv2-0"]
		if *r.Ofport != 1 || *r.AdminState != "up" || *r.LinkState != "up" || *r.Ifindex != 0 || *r.LinkResets != 0 ||
			r.LinkSpeed != nil || r.Duplex != nil || r.MTU != nil || r.MACInUse == nil ||
			!mapEq(r.Status, map[string]string{"tunnel_egress_iface": "s7p-u1", "tunnel_egress_iface_carrier": want}) {
			t.Errorf("carrier %v: ovn-hv2-0 row %+v", carrier, r)
		}
		if len(stats["ovn-hv2-0"]) != 4 {
			t.Errorf("ovn-hv2-0 statistics %v, want the 4 byte and packet counters", stats["ovn-hv2-0"])
		}
		if r := rows["ovn-hv3-0"]; *r.Ofport != 2 || len(r.Status) != 0 {
			t.Errorf("ovn-hv3-0 (no route) row %+v", r)
		}
	}
}

// TestApplyPatchLogsAdded: a patch port is logged when added, as OVS logs
// every port it adds ("bridge br-int: added interface
// patch-br-int-to-ext-localnet on port 3" under OVN), once: not again when
// its peer moves and it is relinked.
func TestApplyPatchLogsAdded(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	f := &fakeDevs{devs: map[string]*porttest.Port{}}
	start := time.Now()
	clock := func() int64 { return int64(time.Since(start)) }
	sw := New(Config{Tracker: ct.New(ct.Config{Clock: clock}), Pool: packet.NewPool(), Clock: clock, Open: f.open, Logger: zap.New(core)})
	t.Cleanup(sw.Close)
	sw.Apply(Spec{Bridges: map[string]*BridgeSpec{
		"br0": bridge("br0", patch("pa0", "pa1")),
		"br1": bridge("br1", patch("pa1", "pa0")),
	}})
	// pa1 moves to br2: pa0 is relinked, pa1 is a new port there.
	sw.Apply(Spec{Bridges: map[string]*BridgeSpec{
		"br0": bridge("br0", patch("pa0", "pa1")),
		"br1": bridge("br1"),
		"br2": bridge("br2", patch("pa1", "pa0")),
	}})
	var got []string
	for _, e := range logs.FilterMessageSnippet("added interface").All() {
		got = append(got, e.Message)
	}
	want := []string{"bridge br0: added interface pa0 on port 1", "bridge br1: added interface pa1 on port 1",
		"bridge br2: added interface pa1 on port 1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
