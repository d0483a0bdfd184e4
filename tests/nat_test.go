package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// TestPrivilegedNATVsOVS runs tests/ovsref/capture.sh's NAT section through
// gswitch (SNAT to 203.0.113.100:20000-20099 and 2001:db8::100, DNAT of
// 203.0.113.200 to the right host) and compares the conntrack table with
// what OVS 3.1 printed for the same traffic.
func TestPrivilegedNATVsOVS(t *testing.T) {
	tp := newTopo(t, "gtna", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/nat.flows"))
	tp.R.Must(t, "ip", "route", "add", "203.0.113.0/24", "dev", "r1")
	tp.R.Must(t, "ip", "neigh", "replace", "203.0.113.100", "lladdr", "02:00:00:00:01:01", "dev", "r1", "nud", "permanent")
	tp.R.Must(t, "ip", "neigh", "replace", "2001:db8::100", "lladdr", "02:00:00:00:01:01", "dev", "r1", "nud", "permanent")
	tp.L.Must(t, "ip", "route", "add", "203.0.113.0/24", "dev", "l1")
	tp.L.Must(t, "ip", "neigh", "replace", "203.0.113.200", "lladdr", "02:00:00:00:02:01", "dev", "l1", "nud", "permanent")
	startPy(t, tp.R, "tcp-server", "7001", "60")
	waitListen(t, tp.R, "tcp", "7001")
	startPy(t, tp.R, "udp-server", "7002", "60")
	waitListen(t, tp.R, "udp", "7002")
	if _, err := py(tp.R, "ready", "7001", "tcp", "127.0.0.1"); err != nil {
		t.Fatal("tcp server not ready")
	}
	time.Sleep(300 * time.Millisecond)
	run := func(what string, args ...string) {
		t.Helper()
		if out, err := tp.L.Try(args[0], args[1:]...); err != nil {
			t.Errorf("%s: %v\n%s", what, err, out)
		}
	}
	script := golden.Dir() + "/../ovsref/traffic.py"
	run("ping SNAT", "ping", "-q", "-c", "2", "-i", "0.2", "-W", "2", ip4R)
	run("ping6 SNAT", "ping", "-q", "-6", "-c", "2", "-i", "0.2", "-W", "2", ip6R)
	run("tcp SNAT", "python3", script, "tcp-client", "21011", ip4R, "7001")
	startPy(t, tp.L, "tcp-client", "21012", ip4R, "7001", "60")
	run("udp SNAT", "python3", script, "udp-client", "21013", ip4R, "7002", "2")
	run("udp6 SNAT", "python3", script, "udp-client", "21014", ip6R, "7002", "1")
	run("tcp DNAT", "python3", script, "tcp-client", "21015", "203.0.113.200", "8080")
	run("udp DNAT", "python3", script, "udp-client", "21016", "203.0.113.200", "8081", "1")
	run("ping DNAT", "ping", "-q", "-c", "1", "-W", "2", "203.0.113.200")
	time.Sleep(700 * time.Millisecond)
	compareGolden(t, golden.KindConntrackNAT, "nat/dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
	compareGolden(t, golden.KindConntrackNAT, "nat/dump-conntrack-m.txt", tp.appctl(t, "dpctl/dump-conntrack", "-m"))
	compareGolden(t, golden.KindPlain, "nat/ct-get-nconns.txt", tp.appctl(t, "dpctl/ct-get-nconns"))
}

// TestPrivilegedNATExhaustion: with a SNAT range of two ports, a third
// connection is refused (not translated, so its reply never comes back) and
// the two translated connections keep working.
func TestPrivilegedNATExhaustion(t *testing.T) {
	tp := newTopo(t, "gtnx", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", "testdata/nat-exhaust.flows")
	tp.R.Must(t, "ip", "route", "add", "203.0.113.0/24", "dev", "r1")
	tp.R.Must(t, "ip", "neigh", "replace", "203.0.113.100", "lladdr", "02:00:00:00:01:01", "dev", "r1", "nud", "permanent")
	startPy(t, tp.R, "udp-server", "7002", "60")
	waitListen(t, tp.R, "udp", "7002")
	time.Sleep(300 * time.Millisecond)
	for _, sport := range []string{"21101", "21102"} {
		if out, err := py(tp.L, "udp-client", sport, ip4R, "7002", "1"); err != nil {
			t.Fatalf("UDP from %s through SNAT: %v\n%s", sport, err, out)
		}
	}
	if out, err := py(tp.L, "udp-client", "21103", ip4R, "7002", "1"); err == nil {
		t.Errorf("a third connection got through a two-port SNAT range:\n%s\n%s", out, tp.appctl(t, "dpctl/dump-conntrack"))
	}
	for _, sport := range []string{"21101", "21102"} {
		if out, err := py(tp.L, "udp-client", sport, ip4R, "7002", "1"); err != nil {
			t.Errorf("UDP from %s after the range filled up: %v\n%s", sport, err, out)
		}
	}
	dump := golden.Normalize(golden.KindConntrack, tp.appctl(t, "dpctl/dump-conntrack"))
	n := strings.Count(dump, "dst=203.0.113.100,sport=7002,dport=2000")
	if n != 2 || strings.Contains(dump, "sport=21103") {
		t.Errorf("want exactly the two translated connections (ports 20000-20001):\n%s", dump)
	}
}
