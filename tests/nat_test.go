package tests

import (
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
	startPy(t, tp.R, "udp-server", "7002", "60")
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
