package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// TestPrivilegedLearnMACSwitchVsOVS is ovs-actions(7)'s MAC-learning switch
// built from learn (capture.sh's learn section, flows
// tests/golden/flows/learn-mac.flows; ICMP also learns an IP flow with a
// cookie, loads, fin timeouts, send_flow_rem and delete_learned): three
// pings from the left host, then the tables as ovs-ofctl dumps them
// (OpenFlow 1.3 and 1.0), then the learning flows deleted, which takes the
// delete_learned flows with them; a TCP exchange in between, whose FINs
// shorten the tcp flow's timeouts (fin_timeout). All compared with OVS 3.1's dumps for
// the same traffic.
func TestPrivilegedLearnMACSwitchVsOVS(t *testing.T) {
	tp := newTopo(t, "g11s", "g11s-p1", "g11s-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/learn-mac.flows"))
	out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R)
	if err != nil || !strings.Contains(out, "3 received") {
		t.Fatalf("ping through the learning switch: %v\n%s", err, out)
	}
	// A TCP exchange: its FINs cut the tcp flow's timeouts (fin_timeout).
	startPy(t, tp.R, "tcp-server", "17861", "10")
	waitListen(t, tp.R, "tcp", "17861")
	if out, err := py(tp.L, "tcp-client", "17862", ip4R, "17861"); err != nil {
		t.Fatalf("TCP through the learning switch: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	sort := []string{"--sort=dl_dst", "--sort=nw_dst", "--sort"}
	dump := func(version string) string {
		return tp.mustOfctl(t, append(append([]string{"-O", version}, sort...), "dump-flows")...)
	}
	compareGolden(t, golden.KindFlowsHits, "learn/dump-flows.of13.txt", dump("OpenFlow13"))
	compareGolden(t, golden.KindFlowsHits, "learn/dump-flows.of10.txt", dump("OpenFlow10"))
	tp.mustOfctl(t, "-O", "OpenFlow13", "del-flows", "table=0")
	compareGolden(t, golden.KindFlowsHits, "learn/after-delete.of13.txt", dump("OpenFlow13"))
}

// TestPrivilegedLearnLimitVsOVS sends UDP from six source ports, two
// datagrams each, through flows whose learn may hold only three learned
// flows (limit=3) and writes its result to reg5[3]; table 1 counts the
// packets whose learn succeeded apart from the others. The learned flows and
// every counter must be OVS 3.1's for the same traffic (capture.sh
// learnlimit) with its datapath flow cache off (flow-limit=0), where each
// packet is translated and learns: the first three ports learn, the other
// three fail on both of their packets. (With the cache, learnlimit/
// dump-flows.txt, OVS credits one packet of each failing port to the
// success flow: a revalidation translates without side effects, and a learn
// that is not executed writes result 1.)
func TestPrivilegedLearnLimitVsOVS(t *testing.T) {
	tp := newTopo(t, "s5c", "s5c-p1", "s5c-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/learn-limit.flows"))
	startPy(t, tp.R, "udp-server", "7002", "20")
	waitListen(t, tp.R, "udp", "7002")
	for p := 20041; p <= 20046; p++ {
		if out, err := py(tp.L, "udp-client", strconv.Itoa(p), ip4R, "7002", "2"); err != nil {
			t.Fatalf("UDP from %d: %v\n%s", p, err, out)
		}
	}
	time.Sleep(500 * time.Millisecond)
	compareGolden(t, golden.KindFlows, "learnlimit/dump-flows.nocache.txt",
		tp.mustOfctl(t, "-O", "OpenFlow13", "--sort=tp_src", "--sort", "dump-flows"))
}
