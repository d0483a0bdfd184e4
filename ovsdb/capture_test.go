package ovsdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestCaptureSeeds records every message a private ovsdb-server sends
// during a typical session (get_schema, list_dbs, monitor_cond and monitor
// replies, update2 and update notifications for ovs-vsctl's commands,
// transact replies, errors) into testdata/capture, the seeds of the fuzz
// targets and the inputs of TestCapturedMessages. Re-capture with
//
//	OVSDB_CAPTURE=1 go test -count=1 -run TestCaptureSeeds ./ovsdb
func TestCaptureSeeds(t *testing.T) {
	if os.Getenv("OVSDB_CAPTURE") == "" {
		t.Skip("set OVSDB_CAPTURE=1 to re-capture testdata/capture from ovsdb-server")
	}
	s := startServer(t)
	var mu sync.Mutex
	var msgs [][]byte
	tap := func(b []byte) {
		mu.Lock()
		msgs = append(msgs, append([]byte(nil), b...))
		mu.Unlock()
	}
	ctx := context.Background()
	c := dial(t, s.unix(), Options{tap: tap})
	m, err := c.MonitorVSwitch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.ListDBs(ctx)
	c.Echo(ctx)
	s.vsctl("--no-wait", "init")
	s.vsctl("--no-wait", "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev", "protocols=OpenFlow13",
		"other_config:hwaddr=02:00:00:00:00:01")
	s.vsctl("--no-wait", "add-port", "br0", "p1", "--", "set", "interface", "p1", "ofport_request=7", "--", "add-port", "br0", "p2")
	// Monitors started now get a non-empty initial reply.
	c1 := dial(t, s.tcp(), Options{tap: tap, NoMonitorCond: true})
	m1, err := c1.MonitorVSwitch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MonitorVSwitch(ctx); err != nil {
		t.Fatal(err)
	}
	s.vsctl("--no-wait", "set", "interface", "p2", "type=patch", "options:peer=p9", "--", "set", "port", "p2", "trunks=1,2,3")
	s.vsctl("--no-wait", "set-controller", "br0", "tcp:127.0.0.1:6653")
	s.vsctl("--no-wait", "--", "--id=@m", "create", "Datapath", "datapath_version=0", "--", "set", "Open_vSwitch", ".", "datapaths:netdev=@m")
	s.vsctl("--no-wait", "add-zone-tp", "netdev", "zone=5", "tcp_established=100")
	waitFor(t, m, "zone", func(s *Snapshot) bool { return len(s.CTZones) == 1 })
	snap := m.Snapshot()
	p1 := snap.InterfaceByName("p1")
	c.Transact(ctx, UpdateUUID("Interface", p1.UUID, map[string]any{"ofport": int64(7), "statistics": map[string]int64{"rx_packets": 1},
		"status": map[string]string{"driver_name": "veth"}, "link_speed": int64(10000000000)}))
	c.Transact(ctx, Wait("Open_vSwitch", nil, []string{"next_cfg"}, "==", []map[string]any{{"next_cfg": int64(-5)}}, 0))
	c.Transact(ctx, Delete("Interface", WhereUUID(p1.UUID)))
	c.Transact(ctx, Select("Bridge", nil, "name", "ports"))
	s.vsctl("--no-wait", "del-port", "br0", "p1")
	s.vsctl("--no-wait", "del-br", "br0")
	waitFor(t, m, "del-br", func(s *Snapshot) bool { return len(s.Bridges) == 0 })
	waitFor(t, m1, "del-br (monitor)", func(s *Snapshot) bool { return len(s.Bridges) == 0 })
	c.Close()
	c1.Close()

	mu.Lock()
	defer mu.Unlock()
	dir := filepath.Join("testdata", "capture")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, b := range msgs {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.json", i)), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d messages in %s", len(msgs), dir)
}
