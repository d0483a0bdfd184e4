package tests

import (
	"regexp"
	"strings"
	"testing"
)

// TestPrivilegedTunnelEdgeGoldens runs tests/golden/tunneledge/capture.sh
// with gswitch in ovs-vswitchd's place (the peer chassis is OVS 3.1 in both
// runs) and compares every step with OVS 3.1's (steps.txt): Geneve over an
// IPv4 and an IPv6 underlay (pings, the outer headers), outer UDP
// checksums (options:csum over IPv4, always over IPv6), DF per
// df_default, packets too big for the underlay (dropped by the kernel's
// refusal, no ICMP to the VM, OVS's netdev_linux warning), tnl/ports/show
// and -v, the tunnel interfaces' status (tunnel_egress_iface and its
// carrier), malformed Geneve frames from the underlay one by one (the
// coverage counters each increments, the port's rx count, the warnings),
// unreachable remotes (no route, no neighbour: status, tx counts,
// drop_action_of_pipeline), options changed in place (key, dst_port,
// remote_ip: same ofport, counters kept, the new headers on the wire) and
// a tunnel that loops back into the switch (ended after one pass, as
// OVS's "Not tunneling to our own address").
//
// Normalized on both sides: the vport numbers tnl/ports/show prints (OVS's
// datapath port numbers, which follow its port creation order), the order
// of tnl/ports/show -v (OVS's classifier order), drop= and errs= of tunnel
// ports (OVS prints ? for a vport), and the flow OVS appends to two
// warnings (gswitch names only the tunnel fields, or nothing). Not
// compared: port tl's tx count in the loop step (OVS counts the one
// packet-out there twice, 42 and 92 bytes, the inner and the pushed
// frame; gswitch once).
func TestPrivilegedTunnelEdgeGoldens(t *testing.T) {
	out := runCaptureWithGswitch(t, "golden/tunneledge/capture.sh", "S7M_NS=s7m-gsw")
	want, got := stepsVsOVS(t, "tunneledge", out)
	for i, w := range want {
		g := got[i]
		if g.cmd != w.cmd {
			t.Fatalf("step %d: %q, OVS's %q", i, g.cmd, w.cmd)
		}
		wo, gotOut := normTunnelEdge(w.cmd, w.out), normTunnelEdge(w.cmd, g.out)
		if gotOut != wo || g.exit != w.exit {
			t.Errorf("step %d %s:\n%s", i, w.cmd, lineDiff(wo+w.exit, gotOut+g.exit))
		}
	}
}

var (
	reVPortNo    = regexp.MustCompile(`(_sys_\d+) \(\d+\)`)
	reVPortStats = regexp.MustCompile(`drop=[0-9?]+, errs=[0-9?]+`)
	reWarnFlow   = regexp.MustCompile(`(receive tunnel port not found) \(.*\)|(Invalid Geneve tunnel metadata on bridge \S+) while processing .*`)
)

// normTunnelEdge normalizes the output of one step of the tunneledge
// capture (see TestPrivilegedTunnelEdgeGoldens).
func normTunnelEdge(cmd, out string) string {
	out = reVPortNo.ReplaceAllString(out, "$1 (N)")
	if strings.HasSuffix(cmd, "tnl/ports/show -v") {
		out = sortLinesAfter(out, 1)
	}
	out = reVPortStats.ReplaceAllString(out, "drop=X, errs=X")
	out = reWarnFlow.ReplaceAllString(out, "$1$2")
	if strings.Contains(cmd, "dump-ports br-int tl ") {
		var keep []string
		for _, l := range strings.SplitAfter(out, "\n") {
			if !strings.Contains(l, "tx pkts=") {
				keep = append(keep, l)
			}
		}
		out = strings.Join(keep, "")
	}
	return out
}
