package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// ndKinds are the ND frames capture.sh's ndopts section sends (ND_KINDS).
var ndKinds = []string{"nd-ns-sll", "nd-ns-dad", "nd-ns-tll", "nd-ns-tll-sll", "nd-ns-sll-sll",
	"nd-na-tll", "nd-na", "nd-na-sll-tll", "nd-na-tll-tll", "nd-na-sll"}

// TestPrivilegedNDOptionsTypeVsOVS matches nd_options_type (0, 1 and 2, in
// solicitations and advertisements) on real ND traffic: frames with and
// without link-layer address options, the first one deciding and a
// repeated one not changing it, sent from the left host, then the kernels'
// own solicitation and advertisement. Every flow's counters must be OVS
// 3.1's for the same traffic (capture.sh ndopts).
func TestPrivilegedNDOptionsTypeVsOVS(t *testing.T) {
	tp := newTopo(t, "s5c", "s5c-p1", "s5c-p2")
	time.Sleep(2 * time.Second)
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/nd-options.flows"))
	if out, err := py(tp.L, append([]string{"send", "l1"}, ndKinds...)...); err != nil {
		t.Fatalf("sending ND frames: %v\n%s", err, out)
	}
	tp.L.Must(t, "ip", "neigh", "del", ip6R, "dev", "l1")
	if out, err := tp.L.Try("ping", "-6", "-c", "1", "-W", "2", ip6R); err != nil || !strings.Contains(out, "1 received") {
		t.Fatalf("ping -6 with neighbour discovery: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	compareGolden(t, golden.KindFlows, "ndopts/dump-flows.txt",
		tp.mustOfctl(t, "-O", "OpenFlow13", "--sort", "dump-flows", "icmp6"))
}
