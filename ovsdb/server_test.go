package ovsdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Tests against Debian's ovsdb-server, which they skip without. Each test
// has its own database and sockets in t.TempDir() and its own TCP port in
// 18320-18359 (helper session s5o's range).

const (
	ovsdbServer = "/usr/sbin/ovsdb-server"
	vswitchSch  = "/usr/share/openvswitch/vswitch.ovsschema"
)

var nextPort atomic.Int32

// server is a private ovsdb-server.
type server struct {
	t    *testing.T
	dir  string
	db   string
	sock string
	port int
	cmd  *exec.Cmd
}

func (s *server) unix() string { return "unix:" + s.sock }
func (s *server) tcp() string  { return fmt.Sprintf("tcp:127.0.0.1:%d", s.port) }

func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	for _, f := range []string{ovsdbServer, vswitchSch} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("no %s: %v", f, err)
		}
	}
	for _, tool := range []string{"ovsdb-tool", "ovs-vsctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	dir := t.TempDir()
	s := &server{t: t, dir: dir, db: filepath.Join(dir, "conf.db"), sock: filepath.Join(dir, "db.sock"),
		port: 18320 + int(nextPort.Add(1)-1)%40}
	if out, err := exec.Command("ovsdb-tool", "create", s.db, vswitchSch).CombinedOutput(); err != nil {
		t.Fatalf("ovsdb-tool create: %v\n%s", err, out)
	}
	s.start(extra...)
	t.Cleanup(s.stop)
	return s
}

func (s *server) start(extra ...string) {
	t := s.t
	t.Helper()
	args := []string{"--remote=punix:" + s.sock, fmt.Sprintf("--remote=ptcp:%d:127.0.0.1", s.port),
		"--unixctl=" + filepath.Join(s.dir, "ovsdb-server.ctl"), "--no-chdir",
		"--log-file=" + filepath.Join(s.dir, "ovsdb-server.log"), "-vconsole:off"}
	args = append(args, extra...)
	args = append(args, s.db)
	s.cmd = exec.Command(ovsdbServer, args...)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("ovsdb-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("unix", s.sock)
		if err == nil {
			c.Close()
			c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
			if err == nil {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "ovsdb-server.log"))
			t.Fatalf("ovsdb-server did not come up: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server (by its pid) and waits for it.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
	os.Remove(s.sock)
}

// vsctl runs ovs-vsctl against the server.
func (s *server) vsctl(args ...string) string {
	s.t.Helper()
	out, err := s.vsctlErr(args...)
	if err != nil {
		s.t.Fatalf("ovs-vsctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *server) vsctlErr(args ...string) (string, error) {
	a := append([]string{"--db=" + s.unix(), "--timeout=20"}, args...)
	out, err := exec.Command("ovs-vsctl", a...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func dial(t *testing.T, target string, opts Options) *Client {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor waits until cond holds for the monitor's snapshot.
func waitFor(t *testing.T, m *Monitor, what string, cond func(*Snapshot) bool) *Snapshot {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		s := m.Snapshot()
		if cond(s) {
			return s
		}
		select {
		case <-m.Changed():
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestServerConnectSchema(t *testing.T) {
	s := startServer(t)
	for _, target := range []string{s.unix(), s.tcp()} {
		c := dial(t, target, Options{})
		ctx := context.Background()
		dbs, err := c.ListDBs(ctx)
		if err != nil || len(dbs) == 0 || dbs[0] != "Open_vSwitch" {
			t.Fatalf("%s: list_dbs = %v, %v", target, dbs, err)
		}
		sch, err := c.GetSchema(ctx, "Open_vSwitch")
		if err != nil {
			t.Fatal(err)
		}
		if sch.Name != "Open_vSwitch" || sch.Version == "" {
			t.Errorf("schema %q %q", sch.Name, sch.Version)
		}
		ct := sch.Tables["Interface"].Columns["ofport_request"]
		if ct == nil || ct.Key.Type != "integer" || ct.Min != 0 || ct.Max != 1 || !ct.IsSet() {
			t.Errorf("Interface.ofport_request type %+v", ct)
		}
		if ct := sch.Tables["Bridge"].Columns["ports"]; ct == nil || ct.Key.RefTable != "Port" || ct.Max != -1 {
			t.Errorf("Bridge.ports type %+v", ct)
		}
		if ct := sch.Tables["Interface"].Columns["statistics"]; ct == nil || !ct.IsMap() || ct.Value.Type != "integer" {
			t.Errorf("Interface.statistics type %+v", ct)
		}
		if !sch.Tables["Open_vSwitch"].IsRoot || sch.Tables["Open_vSwitch"].MaxRows != 1 {
			t.Errorf("Open_vSwitch table %+v", sch.Tables["Open_vSwitch"])
		}
		if err := c.Echo(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetSchema(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "unknown database") {
			t.Errorf("get_schema of a missing database: %v", err)
		}
	}
}

// TestServerReplica: each ovs-vsctl command shows as the replica changing,
// with the right typed values, with monitor_cond and with monitor.
func TestServerReplica(t *testing.T) {
	for _, noCond := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoMonitorCond=%v", noCond), func(t *testing.T) {
			s := startServer(t)
			c := dial(t, s.unix(), Options{NoMonitorCond: noCond})
			m, err := c.MonitorVSwitch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if m.Snapshot().Root() != nil {
				t.Fatal("root row before init")
			}
			s.vsctl("--no-wait", "init")
			waitFor(t, m, "init", func(s *Snapshot) bool { return s.Root() != nil })

			s.vsctl("--no-wait", "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
				"protocols=OpenFlow10,OpenFlow13", "fail_mode=secure", "other_config:datapath-id=0000000000000042")
			snap := waitFor(t, m, "br0", func(s *Snapshot) bool {
				b := s.BridgeByName("br0")
				return b != nil && s.InterfaceByName("br0") != nil && len(s.Root().Bridges) == 1
			})
			b := snap.BridgeByName("br0")
			if b.DatapathType != "netdev" || b.FailMode == nil || *b.FailMode != "secure" ||
				len(b.Protocols) != 2 || b.OtherConfig["datapath-id"] != "0000000000000042" || snap.Root().Bridges[0] != b.UUID {
				t.Errorf("bridge %+v", b)
			}
			if len(b.Ports) != 1 || snap.Ports[b.Ports[0]] == nil || snap.Ports[b.Ports[0]].Name != "br0" {
				t.Errorf("bridge ports %v", b.Ports)
			}
			if typ := snap.InterfaceByName("br0").Type; typ != "internal" {
				t.Errorf("br0 interface type %q", typ)
			}

			s.vsctl("--no-wait", "add-port", "br0", "veth0", "--", "add-port", "br0", "veth1",
				"--", "set", "interface", "veth1", "ofport_request=7", "--", "set", "port", "veth0", "tag=10")
			snap = waitFor(t, m, "ports", func(s *Snapshot) bool {
				i := s.InterfaceByName("veth1")
				return i != nil && i.OfportRequest != nil && len(s.BridgeByName("br0").Ports) == 3
			})
			if r := *snap.InterfaceByName("veth1").OfportRequest; r != 7 {
				t.Errorf("ofport_request %d", r)
			}
			if snap.InterfaceByName("veth0").OfportRequest != nil {
				t.Errorf("veth0 ofport_request set")
			}
			// An optional column changed, then cleared (update2 sends the
			// new value for these, not a set difference).
			s.vsctl("--no-wait", "set", "interface", "veth1", "ofport_request=8")
			waitFor(t, m, "ofport_request 8", func(s *Snapshot) bool {
				r := s.InterfaceByName("veth1").OfportRequest
				return r != nil && *r == 8
			})
			s.vsctl("--no-wait", "clear", "interface", "veth1", "ofport_request")
			waitFor(t, m, "ofport_request cleared", func(s *Snapshot) bool { return s.InterfaceByName("veth1").OfportRequest == nil })
			s.vsctl("--no-wait", "set", "interface", "veth1", "ofport_request=7")
			snap = waitFor(t, m, "ofport_request 7", func(s *Snapshot) bool { return s.InterfaceByName("veth1").OfportRequest != nil })
			var tagged *Port
			for _, p := range snap.Ports {
				if p.Name == "veth0" {
					tagged = p
				}
			}
			if tagged == nil || tagged.Tag == nil || *tagged.Tag != 10 || len(tagged.Interfaces) != 1 ||
				snap.Interfaces[tagged.Interfaces[0]].Name != "veth0" {
				t.Errorf("port veth0 %+v", tagged)
			}

			s.vsctl("--no-wait", "set", "interface", "veth0", "type=patch", "options:peer=veth9", "mtu_request=1400")
			snap = waitFor(t, m, "patch", func(s *Snapshot) bool { return s.InterfaceByName("veth0").Type == "patch" })
			if i := snap.InterfaceByName("veth0"); i.Options["peer"] != "veth9" || i.MTURequest == nil || *i.MTURequest != 1400 {
				t.Errorf("veth0 %+v", i)
			}

			// A map: a key added, its value changed, another key added, the
			// first removed.
			for _, step := range []struct {
				args []string
				want map[string]string
			}{
				{[]string{"set", "bridge", "br0", "other_config:hwaddr=02:00:00:00:00:01"},
					map[string]string{"datapath-id": "0000000000000042", "hwaddr": "02:00:00:00:00:01"}},
				{[]string{"set", "bridge", "br0", "other_config:hwaddr=02:00:00:00:00:02", "other_config:x=y"},
					map[string]string{"datapath-id": "0000000000000042", "hwaddr": "02:00:00:00:00:02", "x": "y"}},
				{[]string{"remove", "bridge", "br0", "other_config", "datapath-id"},
					map[string]string{"hwaddr": "02:00:00:00:00:02", "x": "y"}},
			} {
				s.vsctl(append([]string{"--no-wait"}, step.args...)...)
				waitFor(t, m, strings.Join(step.args, " "), func(s *Snapshot) bool {
					return reflect.DeepEqual(s.BridgeByName("br0").OtherConfig, step.want)
				})
			}

			s.vsctl("--no-wait", "set-controller", "br0", "tcp:127.0.0.1:6653")
			snap = waitFor(t, m, "controller", func(s *Snapshot) bool { return len(s.BridgeByName("br0").Controller) == 1 })
			ctl := snap.Controllers[snap.BridgeByName("br0").Controller[0]]
			if ctl == nil || ctl.Target != "tcp:127.0.0.1:6653" || ctl.IsConnected {
				t.Errorf("controller %+v", ctl)
			}
			s.vsctl("--no-wait", "set", "controller", "br0", "inactivity_probe=3000", "connection_mode=out-of-band")
			snap = waitFor(t, m, "controller settings", func(s *Snapshot) bool {
				c := s.Controllers[ctl.UUID]
				return c != nil && c.InactivityProbe != nil
			})
			if c := snap.Controllers[ctl.UUID]; *c.InactivityProbe != 3000 || c.ConnectionMode == nil || *c.ConnectionMode != "out-of-band" {
				t.Errorf("controller %+v", c)
			}

			// As OVS's own tests make the Datapath row (ovs-vsctl has no add-dp).
			s.vsctl("--no-wait", "--", "--id=@m", "create", "Datapath", "datapath_version=0", "--",
				"set", "Open_vSwitch", ".", "datapaths:netdev=@m")
			s.vsctl("--no-wait", "add-zone-tp", "netdev", "zone=5", "tcp_established=100", "udp_single=20")
			snap = waitFor(t, m, "zone tp", func(s *Snapshot) bool { return len(s.CTTimeoutPolicies) == 1 && len(s.Datapaths) == 1 })
			var dp *Datapath
			for _, d := range snap.Datapaths {
				dp = d
			}
			if snap.Root().Datapaths["netdev"] != dp.UUID || snap.CTZones[dp.CTZones[5]] == nil {
				t.Fatalf("datapath %+v", dp)
			}
			tp := snap.CTTimeoutPolicies[*snap.CTZones[dp.CTZones[5]].TimeoutPolicy]
			if tp == nil || tp.Timeouts["tcp_established"] != 100 || tp.Timeouts["udp_single"] != 20 {
				t.Errorf("timeout policy %+v", tp)
			}

			old := snap.InterfaceByName("veth1").UUID
			s.vsctl("--no-wait", "del-port", "br0", "veth1")
			snap = waitFor(t, m, "del-port", func(s *Snapshot) bool { return s.InterfaceByName("veth1") == nil })
			if len(snap.BridgeByName("br0").Ports) != 2 || snap.Interfaces[old] != nil {
				t.Errorf("after del-port: bridge ports %v", snap.BridgeByName("br0").Ports)
			}
			// Snapshots are not modified by later changes.
			s.vsctl("--no-wait", "del-br", "br0")
			waitFor(t, m, "del-br", func(s *Snapshot) bool { return len(s.Bridges) == 0 && len(s.Interfaces) == 0 })
			if snap.BridgeByName("br0") == nil || len(snap.Interfaces) != 2 {
				t.Errorf("an older snapshot changed")
			}
		})
	}
}

// TestServerWaitCurCfg: a reader copying next_cfg to cur_cfg, as
// ovs-vswitchd does, lets `ovs-vsctl add-br` (with its default --wait) return.
func TestServerWaitCurCfg(t *testing.T) {
	s := startServer(t)
	s.vsctl("--no-wait", "init")
	c := dial(t, s.unix(), Options{})
	m, err := c.MonitorVSwitch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if r := m.Snapshot().Root(); r != nil && r.CurCfg != r.NextCfg {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := c.Transact(ctx, OpenVSwitchState{CurCfg: r.NextCfg, DatapathTypes: []string{"netdev"},
					IfaceTypes: []string{"internal", "patch", "system", "tap"}, DPDKVersion: Ptr("none")}.Update(r.UUID))
				cancel()
				if err != nil {
					t.Errorf("writing cur_cfg: %v", err)
				}
			}
			select {
			case <-m.Changed():
			case <-stop:
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	start := time.Now()
	s.vsctl("add-br", "br9")
	t.Logf("ovs-vsctl add-br br9 (with --wait) returned after %v", time.Since(start))
	out := s.vsctl("get", "Open_vSwitch", ".", "cur_cfg", "next_cfg", "iface_types", "dpdk_version", "dpdk_initialized")
	lines := strings.Split(out, "\n")
	if len(lines) != 5 || lines[3] != "none" || lines[4] != "false" || lines[0] != lines[1] || lines[0] == "0" || lines[2] != "[internal, patch, system, tap]" {
		t.Errorf("cur_cfg, next_cfg, iface_types:\n%s", out)
	}
	s.vsctl("wait-until", "Open_vSwitch", ".", "cur_cfg="+lines[1])
}

// TestServerWriteBack writes the columns ovs-vswitchd fills (ofport,
// error, status, statistics, is_connected) and reads them with ovs-vsctl;
// a mutate; and a failing wait gives a TransactError naming the op.
func TestServerWriteBack(t *testing.T) {
	s := startServer(t)
	s.vsctl("--no-wait", "init", "--", "add-br", "br0", "--", "add-port", "br0", "p1", "--", "set-controller", "br0", "tcp:127.0.0.1:1")
	c := dial(t, s.tcp(), Options{})
	m, err := c.MonitorVSwitch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	snap := m.Snapshot()
	p1, br := snap.InterfaceByName("p1"), snap.BridgeByName("br0")
	if p1 == nil || br == nil || len(br.Controller) != 1 {
		t.Fatalf("initial snapshot lacks p1/br0: %+v", snap)
	}
	ctx := context.Background()
	res, err := c.Transact(ctx,
		UpdateUUID("Interface", p1.UUID, map[string]any{"ofport": int64(-1), "error": "could not open network device p1 (No such device)",
			"status": map[string]string{"driver_name": "veth"}, "statistics": map[string]int64{"rx_packets": 5, "tx_packets": 0},
			"admin_state": "down", "mac_in_use": "02:00:00:00:00:01", "mtu": int64(1500)}),
		UpdateUUID("Bridge", br.UUID, map[string]any{"datapath_id": "0000000000000001", "datapath_version": "<built-in>"}),
		UpdateUUID("Controller", br.Controller[0], map[string]any{"is_connected": true, "role": "other",
			"status": map[string]string{"state": "ACTIVE"}}),
		Mutate("Interface", WhereUUID(p1.UUID), Mutation{"statistics", "insert", map[string]int64{"rx_bytes": 300}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Count != 1 || res[3].Count != 1 {
		t.Errorf("results %+v", res)
	}
	out := s.vsctl("--columns=ofport,error,status,statistics,admin_state,mac_in_use,mtu", "list", "interface", "p1")
	for _, want := range []string{"ofport              : -1", `error               : "could not open network device p1 (No such device)"`,
		"status              : {driver_name=veth}", "statistics          : {rx_bytes=300, rx_packets=5, tx_packets=0}",
		"admin_state         : down", `mac_in_use          : "02:00:00:00:00:01"`, "mtu                 : 1500"} {
		if !strings.Contains(out, want) {
			t.Errorf("ovs-vsctl list interface p1 lacks %q:\n%s", want, out)
		}
	}
	if out := s.vsctl("get", "controller", "br0", "is_connected", "role"); out != "true\nother" {
		t.Errorf("controller is_connected, role: %q", out)
	}
	snap = waitFor(t, m, "write-back in the replica", func(s *Snapshot) bool {
		i := s.Interfaces[p1.UUID]
		return i.Ofport != nil && i.Statistics["rx_bytes"] == 300 && s.Controllers[br.Controller[0]].IsConnected
	})
	if i := snap.Interfaces[p1.UUID]; *i.Ofport != -1 || *i.Error == "" || i.Status["driver_name"] != "veth" || *i.AdminState != "down" {
		t.Errorf("replica interface %+v", i)
	}

	// A wait that fails at once (timeout 0) fails the whole transaction.
	root := snap.Root()
	_, err = c.Transact(ctx,
		Wait("Open_vSwitch", WhereUUID(root.UUID), []string{"next_cfg"}, "==", []map[string]any{{"next_cfg": root.NextCfg + 100}}, 0),
		UpdateUUID("Open_vSwitch", root.UUID, map[string]any{"cur_cfg": int64(1234)}))
	var te *TransactError
	if !errors.As(err, &te) || te.Index != 0 || te.Op != "wait on Open_vSwitch" || te.Err != "timed out" {
		t.Fatalf("failing wait: %v (%#v)", err, te)
	}
	t.Logf("failing wait: %v", err)
	if out := s.vsctl("get", "Open_vSwitch", ".", "cur_cfg"); out == "1234" {
		t.Errorf("a failed transaction changed cur_cfg")
	}
	// An op the server rejects: a Port must have an interface.
	port := snap.Bridges[br.UUID].Ports[0]
	_, err = c.Transact(ctx, UpdateUUID("Port", port, map[string]any{"interfaces": []UUID{}}))
	if !errors.As(err, &te) || te.Index != 0 || te.Err != "syntax error" || !strings.Contains(te.Details, "0 are present") {
		t.Errorf("empty interfaces: %v", err)
	}
	// A failure at commit, after every op succeeded: a deleted Interface
	// still referenced by its Port.
	_, err = c.Transact(ctx, Delete("Interface", WhereUUID(p1.UUID)))
	if !errors.As(err, &te) || te.Index != -1 || te.Err != "referential integrity violation" {
		t.Errorf("referential integrity: %v", err)
	}
	t.Logf("referential integrity: %v", err)
	// A bad column names the op.
	_, err = c.Transact(ctx, Comment("x"), UpdateUUID("Interface", p1.UUID, map[string]any{"no_such_column": "x"}))
	if !errors.As(err, &te) || te.Index != 1 || te.Op != "update on Interface" {
		t.Errorf("unknown column: %v", err)
	}
	t.Logf("unknown column: %v", err)
	// Insert with a named uuid referenced in the same transaction.
	res, err = c.Transact(ctx,
		Insert("Controller", map[string]any{"target": "tcp:127.0.0.1:2"}, "ctl2"),
		Mutate("Bridge", WhereUUID(br.UUID), Mutation{"controller", "insert", Set{NamedUUID("ctl2")}}))
	if err != nil || res[0].UUID == "" {
		t.Fatalf("insert: %v %+v", err, res)
	}
	waitFor(t, m, "inserted controller", func(s *Snapshot) bool {
		return len(s.Bridges[br.UUID].Controller) == 2 && s.Controllers[res[0].UUID] != nil
	})
}

// TestServerRestart: ovsdb-server killed and restarted; the client
// reconnects and the monitor delivers a full fresh snapshot with a new Epoch.
func TestServerRestart(t *testing.T) {
	s := startServer(t)
	s.vsctl("--no-wait", "init", "--", "add-br", "br0")
	c := dial(t, s.unix(), Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	m, err := c.MonitorVSwitch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := m.Snapshot()
	if first.BridgeByName("br0") == nil {
		t.Fatal("no br0")
	}
	s.stop()
	// While the server is down the database changes (as if restored from
	// elsewhere): br0 goes, br1 comes.
	if out, err := exec.Command("ovsdb-tool", "transact", s.db, `["Open_vSwitch",{"op":"delete","table":"Bridge","where":[]},`+
		`{"op":"insert","table":"Bridge","row":{"name":"br1"},"uuid-name":"b"},`+
		`{"op":"update","table":"Open_vSwitch","where":[],"row":{"bridges":["named-uuid","b"]}}]`).CombinedOutput(); err != nil {
		t.Fatalf("ovsdb-tool transact: %v\n%s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	if err := c.Echo(ctx); err == nil {
		t.Errorf("echo succeeded with the server down")
	}
	cancel()
	s.start()
	snap := waitFor(t, m, "fresh snapshot", func(s *Snapshot) bool { return s.Epoch > first.Epoch })
	if snap.BridgeByName("br0") != nil || snap.BridgeByName("br1") == nil || len(snap.Bridges) != 1 {
		t.Errorf("after restart: bridges %+v", snap.Bridges)
	}
	if err := c.Echo(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.vsctl("--no-wait", "add-br", "br2")
	waitFor(t, m, "br2 after restart", func(s *Snapshot) bool { return s.BridgeByName("br2") != nil })

	// monitor_cancel: no more changes arrive.
	if err := m.Cancel(context.Background()); err != nil {
		t.Fatal(err)
	}
	seq := m.Snapshot().Seq
	s.vsctl("--no-wait", "add-br", "br3")
	if err := c.Echo(context.Background()); err != nil { // the server sent any update before this reply
		t.Fatal(err)
	}
	if m.Snapshot().Seq != seq {
		t.Errorf("a cancelled monitor changed")
	}
}

// TestServerWriteBackTyped: the typed write-back builders, read back with
// ovs-vsctl in the shapes ovs-vswitchd leaves (tests/golden/vswitchd).
func TestServerWriteBackTyped(t *testing.T) {
	s := startServer(t)
	s.vsctl("--no-wait", "init", "--", "add-br", "br0", "--", "add-port", "br0", "p1", "--", "add-port", "br0", "p2",
		"--", "set-controller", "br0", "tcp:127.0.0.1:1")
	c := dial(t, s.unix(), Options{})
	m, err := c.MonitorVSwitch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A second monitor without the statistics column, as a reconciler has.
	quiet, err := c.MonitorVSwitch(context.Background(), "Interface.statistics")
	if err != nil {
		t.Fatal(err)
	}
	snap := m.Snapshot()
	br, p1, p2 := snap.BridgeByName("br0"), snap.InterfaceByName("p1"), snap.InterfaceByName("p2")
	_, err = c.Transact(context.Background(),
		InterfaceState{Ofport: Ptr(int64(1)), AdminState: Ptr("up"), LinkState: Ptr("up"), LinkSpeed: Ptr(int64(10000000000)),
			LinkResets: Ptr(int64(1)), MACInUse: Ptr("02:00:00:00:00:01"), MTU: Ptr(int64(1500)), Ifindex: Ptr(int64(12)),
			Status: map[string]string{"driver_name": "veth"}}.Update(p1.UUID),
		InterfaceState{Ofport: Ptr(int64(-1)), Error: Ptr("could not open network device p2 (No such device)")}.Update(p2.UUID),
		InterfaceStatistics(p1.UUID, map[string]int64{"rx_packets": 3, "tx_bytes": 100}),
		BridgeState{DatapathID: Ptr("0000aabbccddeeff"), DatapathVersion: "<built-in>"}.Update(br.UUID),
		ControllerState{IsConnected: true, Role: Ptr("other"), Status: map[string]string{"state": "ACTIVE"}}.Update(br.Controller[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ args, want string }{
		{"get interface p1 ofport admin_state link_state link_speed link_resets mac_in_use mtu ifindex status statistics",
			"1\nup\nup\n10000000000\n1\n\"02:00:00:00:00:01\"\n1500\n12\n{driver_name=veth}\n{rx_packets=3, tx_bytes=100}"},
		{"get interface p2 ofport error admin_state mtu status", "-1\n\"could not open network device p2 (No such device)\"\n[]\n[]\n{}"},
		{"get bridge br0 datapath_id datapath_version", "\"0000aabbccddeeff\"\n\"<built-in>\""},
		{"get controller br0 is_connected role status", "true\nother\n{state=ACTIVE}"},
	} {
		if got := s.vsctl(strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("ovs-vsctl %s:\n%s\nwant\n%s", tc.args, got, tc.want)
		}
	}
	// Statistics alone: the quiet monitor neither changes nor has them.
	waitFor(t, quiet, "write-back", func(s *Snapshot) bool { return s.Interfaces[p1.UUID].Ofport != nil })
	seq := quiet.Snapshot().Seq
	if _, err := c.Transact(context.Background(), InterfaceStatistics(p1.UUID, map[string]int64{"rx_packets": 4})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, m, "statistics", func(s *Snapshot) bool { return s.Interfaces[p1.UUID].Statistics["rx_packets"] == 4 })
	if err := c.Echo(context.Background()); err != nil { // any notification for quiet came before this reply
		t.Fatal(err)
	}
	if q := quiet.Snapshot(); q.Seq != seq || len(q.Interfaces[p1.UUID].Statistics) != 0 {
		t.Errorf("the monitor omitting statistics saw them: seq %d -> %d, %v", seq, q.Seq, q.Interfaces[p1.UUID].Statistics)
	}
	// ovs-vsctl show prints is_connected once the controller row says so.
	if out := s.vsctl("show"); !strings.Contains(out, "is_connected: true") {
		t.Errorf("ovs-vsctl show:\n%s", out)
	}
	// Clearing: a device gone again.
	if _, err := c.Transact(context.Background(), InterfaceState{Ofport: Ptr(int64(-1)), Error: Ptr("gone")}.Update(p1.UUID)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, m, "p1 cleared", func(s *Snapshot) bool {
		i := s.Interfaces[p1.UUID]
		return i.Error != nil && i.MTU == nil && i.AdminState == nil && len(i.Status) == 0 && i.Statistics["rx_packets"] == 4
	})
}

// TestServerWriteBackRowDeleted: a write-back built from a snapshot in
// which a row still existed, sent after ovs-vsctl deleted it (the race
// between read and write), is no conflict: ovs-vswitchd's updates select
// their row by _uuid, so the update of the deleted row matches nothing
// (count 0) while the rest of the transaction, cur_cfg included, is
// written; the reconciler's next pass, woken by the deletion, no longer
// has the row.
func TestServerWriteBackRowDeleted(t *testing.T) {
	s := startServer(t)
	s.vsctl("--no-wait", "init", "--", "add-br", "br0", "--", "add-port", "br0", "p1", "--", "add-port", "br0", "p2")
	c := dial(t, s.unix(), Options{})
	m, err := c.MonitorVSwitch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	snap := m.Snapshot()
	root, p1, p2 := snap.Root(), snap.InterfaceByName("p1"), snap.InterfaceByName("p2")
	s.vsctl("--no-wait", "del-port", "br0", "p2")
	waitFor(t, m, "p2 deleted", func(s *Snapshot) bool { return s.InterfaceByName("p2") == nil })
	res, err := c.Transact(context.Background(),
		InterfaceState{Ofport: Ptr(int64(1))}.Update(p1.UUID),
		InterfaceState{Ofport: Ptr(int64(2))}.Update(p2.UUID),
		CurCfg(root.UUID, root.NextCfg))
	if err != nil {
		t.Fatalf("write-back after the row was deleted: %v", err)
	}
	if len(res) < 2 || res[0].Count != 1 || res[1].Count != 0 {
		t.Errorf("update counts %+v, want 1 for p1 and 0 for the deleted p2", res)
	}
	if got := s.vsctl("get", "interface", "p1", "ofport"); got != "1" {
		t.Errorf("p1 ofport %q, want 1", got)
	}
}
