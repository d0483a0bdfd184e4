package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// TestPrivilegedMPLSTraffic: real pings through MPLS (capture.sh's mpls
// section, flows tests/golden/flows/mpls.flows). Each direction is pushed
// into MPLS (one label towards the right host; two, 0x8848 under 0x8847,
// back), popped label by label, and its inner ICMP header matched in table 2
// after pop_mpls:0x0800,goto_table:2 (OVS recirculates there). The pings
// must get through (the restored frames are intact), and dump-flows (which
// flows were hit, the flows' text in OpenFlow 1.3 and 1.0) must be OVS
// 3.1's for the same traffic.
func TestPrivilegedMPLSTraffic(t *testing.T) {
	tp := newTopo(t, "g11r", "g11r-p1", "g11r-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/mpls.flows"))
	out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R)
	if err != nil || !strings.Contains(out, "3 received") {
		t.Errorf("ping through the MPLS flows: %v\n%s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	compareGolden(t, golden.KindFlowsHits, "mpls/dump-flows.of13.txt", tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows"))
	compareGolden(t, golden.KindFlowsHits, "mpls/dump-flows.of10.txt", tp.mustOfctl(t, "dump-flows"))
	compareGolden(t, golden.KindFlows, "mpls/dump-flows.of13-nostats.txt", tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "--no-stats"))
	compareGolden(t, golden.KindFlows, "mpls/dump-flows.of10-nostats.txt", tp.mustOfctl(t, "dump-flows", "--no-stats"))
}
