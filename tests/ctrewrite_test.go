package tests

import (
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedCtRewriteVsOVS is OVS's "conntrack - negative test for
// recirculation optimization" (capture.sh's ctrewrite section, flows
// tests/golden/flows/ct-rewrite.flows): between two ct actions in one zone
// the flows rewrite the packet's addresses, so the second ct must look the
// rewritten tuple up as a connection of its own (new, committed with mark
// 2) instead of reusing the connection the first ct cached (whose mark 1
// keeps table 7 from matching: the TCP handshake fails). The dump is
// compared with OVS 3.1's for the same traffic.
func TestPrivilegedCtRewriteVsOVS(t *testing.T) {
	tp := newTopo(t, "g11a", "g11a-p1", "g11a-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/ct-rewrite.flows"))
	// Both hosts reach the floating addresses through the gateway the
	// flows impersonate.
	for _, h := range []struct {
		ns  *netns.NS
		dev string
	}{{tp.L, "l1"}, {tp.R, "r1"}} {
		h.ns.Must(t, "ip", "neigh", "replace", "198.51.100.254", "lladdr", "02:00:00:00:01:fe", "dev", h.dev, "nud", "permanent")
		h.ns.Must(t, "ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.254", "dev", h.dev)
	}
	startPy(t, tp.L, "tcp-server", "17601", "30")
	waitListen(t, tp.L, "tcp", "17601")
	time.Sleep(300 * time.Millisecond)
	if out, err := py(tp.R, "tcp-client", "17602", "203.0.113.1", "17601"); err != nil {
		t.Errorf("TCP to the floating address: %v\n%s\nconntrack:\n%s", err, out, tp.appctl(t, "dpctl/dump-conntrack"))
	}
	time.Sleep(700 * time.Millisecond)
	compareGolden(t, golden.KindConntrack, "ctrewrite/dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
}
