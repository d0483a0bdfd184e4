package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// TestPrivilegedConntrackVsOVS runs the traffic of tests/ovsref/capture.sh's
// conntrack section through gswitch with the same flows and compares the
// conntrack dumps with what OVS 3.1 printed for the same traffic.
func TestPrivilegedConntrackVsOVS(t *testing.T) {
	tp := newTopo(t, "gtct", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/ct-firewall.flows"))
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/ct-zone-mark.flows"))

	compareGolden(t, golden.KindConntrack, "conntrack/empty.dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
	compareGolden(t, golden.KindPlain, "conntrack/empty.ct-get-nconns.txt", tp.appctl(t, "dpctl/ct-get-nconns"))
	compareGolden(t, golden.KindPlain, "conntrack/empty.ct-bkts.txt", tp.appctl(t, "dpctl/ct-bkts"))

	startPy(t, tp.R, "tcp-server", "7001", "60")
	waitListen(t, tp.R, "tcp", "7001")
	startPy(t, tp.R, "udp-server", "7002", "60")
	waitListen(t, tp.R, "udp", "7002")
	startPy(t, tp.R, "udp-server", "7100", "60")
	waitListen(t, tp.R, "udp", "7100")
	if _, err := py(tp.R, "ready", "7001", "tcp", "127.0.0.1"); err != nil {
		t.Fatal("tcp server not ready")
	}
	time.Sleep(300 * time.Millisecond)
	steps := []struct {
		what   string
		wantOK bool
		run    func() (string, error)
	}{
		{"ping v4", true, func() (string, error) { return tp.L.Try("ping", "-q", "-c", "2", "-i", "0.2", "-W", "2", ip4R) }},
		{"ping v6", true, func() (string, error) { return tp.L.Try("ping", "-q", "-6", "-c", "2", "-i", "0.2", "-W", "2", ip6R) }},
		{"tcp v4", true, func() (string, error) { return py(tp.L, "tcp-client", "20001", ip4R, "7001") }},
		{"tcp v6", true, func() (string, error) { return py(tp.L, "tcp-client", "20002", ip6R, "7001") }},
	}
	for _, s := range steps {
		if out, err := s.run(); (err == nil) != s.wantOK {
			t.Errorf("%s: err=%v\n%s", s.what, err, out)
		}
	}
	startPy(t, tp.L, "tcp-client", "20003", ip4R, "7001", "60")
	steps = []struct {
		what   string
		wantOK bool
		run    func() (string, error)
	}{
		{"udp v4", true, func() (string, error) { return py(tp.L, "udp-client", "20004", ip4R, "7002", "2") }},
		{"udp v6", true, func() (string, error) { return py(tp.L, "udp-client", "20005", ip6R, "7002", "1") }},
		{"udp to a closed port", false, func() (string, error) { return py(tp.L, "udp-client", "20006", ip4R, "7999", "1") }},
		{"udp zone 5", true, func() (string, error) { return py(tp.L, "udp-client", "20007", ip4R, "7100", "2") }},
		{"fragmented ping v4", true, func() (string, error) { return tp.L.Try("ping", "-q", "-c", "1", "-s", "3000", "-W", "2", ip4R) }},
		{"fragmented ping v6", true, func() (string, error) { return tp.L.Try("ping", "-q", "-6", "-c", "1", "-s", "3000", "-W", "2", ip6R) }},
	}
	for _, s := range steps {
		if out, err := s.run(); (err == nil) != s.wantOK {
			t.Errorf("%s: err=%v\n%s", s.what, err, out)
		}
	}
	time.Sleep(700 * time.Millisecond)

	compareGolden(t, golden.KindConntrack, "conntrack/dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
	compareGolden(t, golden.KindConntrack, "conntrack/dump-conntrack-zone5.txt", tp.appctl(t, "dpctl/dump-conntrack", "zone=5"))
	compareGolden(t, golden.KindConntrack, "conntrack/dump-conntrack-m-s.txt", tp.appctl(t, "dpctl/dump-conntrack", "-m", "-s"))
	compareGolden(t, golden.KindConntrack, "conntrack/dump-conntrack-dp.txt", tp.appctl(t, "dpctl/dump-conntrack", "netdev@ovs-netdev"))
	compareGolden(t, golden.KindPlain, "conntrack/ct-get-nconns.txt", tp.appctl(t, "dpctl/ct-get-nconns"))

	// The ICMP port unreachable for the UDP flow came back as +rel.
	if n := nPackets(t, tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "table=1"), "ct_state=+rel+trk"); n < 1 {
		t.Errorf("no packet matched ct_state=+rel+trk (the ICMP port unreachable)")
	}

	// The outside cannot open connections to the inside.
	startPy(t, tp.L, "tcp-server", "7005", "20")
	waitListen(t, tp.L, "tcp", "7005")
	if out, err := py(tp.R, "tcp-client", "20010", ip4L, "7005"); err == nil {
		t.Errorf("TCP from the outside got through the firewall:\n%s", out)
	}
	if out, err := tp.R.Try("ping", "-q", "-c", "1", "-W", "1", ip4L); err == nil {
		t.Errorf("ping from the outside got through:\n%s", out)
	}
	flows := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "table=1")
	if !strings.Contains(flows, "priority=1 actions=drop") || strings.Contains(flows, "n_packets=0, n_bytes=0, priority=1 actions=drop") {
		t.Errorf("the drop rule of table 1 did not count the outside's attempts:\n%s", flows)
	}
	// gswitch ctl sees the same table as ovs-appctl.
	out, err := tp.S.Try(netnsBin(t), "ctl", "--ctl", tp.ctl, "dump-conntrack", "zone=5")
	if err != nil || golden.Normalize(golden.KindConntrack, out) != golden.Normalize(golden.KindConntrack, golden.Load("conntrack/dump-conntrack-zone5.txt")) {
		t.Errorf("gswitch ctl dump-conntrack zone=5: %v\n%s", err, out)
	}
	// Flush by zone, then everything.
	tp.appctl(t, "dpctl/flush-conntrack", "zone=5")
	if out := tp.appctl(t, "dpctl/dump-conntrack", "zone=5"); out != "" {
		t.Errorf("zone 5 not flushed:\n%s", out)
	}
	tp.appctl(t, "dpctl/flush-conntrack")
	if out := tp.appctl(t, "dpctl/ct-get-nconns"); strings.TrimSpace(out) != "0" {
		t.Errorf("after flush: nconns %q", out)
	}
}
