package tests

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPrivilegedCloneTraffic sends real pings through a clone: the clone's
// copy is tracked (ct in zone 3) and rewritten (eth_dst, ip_dst) and sent
// out, while the packet after the clone leaves unchanged (the pings are
// answered) and untracked, as ovs-actions(7) describes clone. OVS 3.1
// translates the same flows (ofproto/trace of the ping request on a private
// OVS, tests/ovsref/ovs-env.sh) to the datapath actions
// clone(ct(commit,zone=3),set(eth(dst=02:00:00:00:00:99)),set(ipv4(dst=203.0.113.99)),PORT2),PORT2.
func TestPrivilegedCloneTraffic(t *testing.T) {
	tp := newTopo(t, "g11e", "g11e-p1", "g11e-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow",
		"table=0,priority=10,ip,in_port=1,actions=clone(ct(commit,zone=3),mod_dl_dst:02:00:00:00:00:99,mod_nw_dst:203.0.113.99,output:2),resubmit(,1)")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=0,priority=10,ip,in_port=2,actions=output:1")
	// the original after the clone: untracked, so it takes the first flow
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=1,priority=20,ct_state=-trk,ip,nw_dst="+ip4R+",actions=output:2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=1,priority=10,actions=drop")
	out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R)
	if err != nil || !strings.Contains(out, "3 received") {
		t.Fatalf("ping through the clone: %v\n%s", err, out)
	}
	ctz := tp.appctl(t, "dpctl/dump-conntrack", "zone=3")
	if !strings.Contains(ctz, "icmp,orig=(src="+ip4L+",dst="+ip4R) || !strings.Contains(ctz, "zone=3") {
		t.Errorf("no connection in zone 3 from the clone's ct:\n%s", ctz)
	}
	if all := tp.appctl(t, "dpctl/dump-conntrack"); strings.Count(all, "\n") != strings.Count(ctz, "\n") {
		t.Errorf("connections outside zone 3:\n%s", all)
	}
	// port 2 sent each request twice: the clone's copy and the original
	ports := tp.mustOfctl(t, "dump-ports", "2")
	m := regexp.MustCompile(`tx pkts=(\d+)`).FindStringSubmatch(ports)
	if m == nil {
		t.Fatalf("dump-ports: %s", ports)
	}
	if n, _ := strconv.Atoi(m[1]); n < 6 {
		t.Errorf("port 2 sent %d packets, want 6 (3 clones, 3 originals)\n%s", n, ports)
	}
	flows := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "table=1")
	if !strings.Contains(flows, "n_packets=3,") {
		t.Errorf("the originals did not all reach table 1 untracked:\n%s", flows)
	}
}
