package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// TestPrivilegedTunnelMetadataTraffic: tunnel metadata on packets from
// ordinary ports (capture.sh's tunnel section, flows
// tests/golden/flows/tunnel.flows). Table 0 matches the zero tunnel fields
// of real pings and sets tun_id, tun_src/dst, tun_ipv6_*, tun_flags and the
// GBP fields with set_field, load, move, set_tunnel and set_tunnel64, and
// (with the TLV map of flows/tunnel.tlv) tun_metadata0 and 1 with set_field
// and move; later tables match them, and flows that need a tun_metadata the
// packet does not carry take nothing. The pings must get through, and dump-flows (which
// flows were hit, and the flows' text in OpenFlow 1.3 and 1.0) must be OVS
// 3.1's for the same traffic.
func TestPrivilegedTunnelMetadataTraffic(t *testing.T) {
	tp := newTopo(t, "g11z", "g11z-p1", "g11z-p2")
	var tlvMap string
	for _, l := range strings.Split(golden.Load("flows/tunnel.tlv"), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			tlvMap = l
		}
	}
	tp.mustOfctl(t, "add-tlv-map", tlvMap)
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/tunnel.flows"))
	out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R)
	if err != nil || !strings.Contains(out, "3 received") {
		t.Errorf("ping through the tunnel-metadata flows: %v\n%s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	compareGolden(t, golden.KindFlowsHits, "tunnel/dump-flows.of13.txt", tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows"))
	compareGolden(t, golden.KindFlowsHits, "tunnel/dump-flows.of10.txt", tp.mustOfctl(t, "dump-flows"))
	compareGolden(t, golden.KindFlows, "tunnel/dump-flows.of13-nostats.txt", tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "--no-stats"))
	compareGolden(t, golden.KindFlows, "tunnel/dump-flows.of10-nostats.txt", tp.mustOfctl(t, "dump-flows", "--no-stats"))
}
