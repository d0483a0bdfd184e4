package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedBundleFailover: bundle(...,active_backup,...,members:2,3)
// sends the left host's pings to port 2 while its link is up, to port 3
// (a second right host with the same addresses) once port 2's link goes
// down, and back to port 2 when it comes up again, as OVS's bundle action
// follows its netdev ports' carrier (member_enabled_cb: may_enable). The
// replies come back through the port the requests left by, so which of the
// flows matching in_port=2 and in_port=3 was hit, with the flows installed
// afresh in each phase, shows where the requests went: compared with OVS
// 3.1's dump-flows in the same phases (capture.sh section bundlefail).
func TestPrivilegedBundleFailover(t *testing.T) {
	tp := newTopoHook(t, "g11x", "g11x-p1", "g11x-p2", func(tp *topo) {
		r2 := netns.New(t, "g11x-r2")
		r2.Try("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		netns.Veth(t, "r1", r2, "g11x-p3", tp.S)
		r2.Must(t, "ip", "link", "set", "r1", "address", "02:00:00:00:02:01")
		r2.Addr(t, "r1", ip4R+"/24")
		r2.Must(t, "ip", "neigh", "replace", ip4L, "lladdr", "02:00:00:00:01:01", "dev", "r1", "nud", "permanent")
	}, "--port", "g11x-p3=3")
	linkDown := func(port string, down bool) bool {
		out, _ := tp.ofctl("dump-ports-desc")
		i := strings.Index(out, "("+port+")")
		if i < 0 {
			return false
		}
		j := strings.Index(out[i:], " speed:")
		if j < 0 {
			j = len(out) - i
		}
		return strings.Contains(out[i:i+j], "LINK_DOWN") == down
	}
	for _, phase := range []string{"up", "p2-down", "p2-up-again"} {
		switch phase {
		case "p2-down":
			tp.S.Must(t, "ip", "link", "set", "g11x-p2", "down")
		case "p2-up-again":
			tp.S.Must(t, "ip", "link", "set", "g11x-p2", "up")
		}
		if !netns.Eventually(5*time.Second, func() bool { return linkDown("g11x-p2", phase == "p2-down") }) {
			t.Fatalf("%s: port 2's link state not reported", phase)
		}
		tp.mustOfctl(t, "del-flows")
		tp.mustOfctl(t, "add-flows", golden.Path("flows/bundle-failover.flows"))
		out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R)
		if err != nil || !strings.Contains(out, "3 received") {
			t.Errorf("%s: ping: %v\n%s", phase, err, out)
		}
		time.Sleep(300 * time.Millisecond)
		compareGolden(t, golden.KindFlowsHits, "bundlefail/dump-flows."+phase+".txt", tp.mustOfctl(t, "dump-flows"))
	}
}
