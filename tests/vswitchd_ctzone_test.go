package tests

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
	"gswitch/vswitchd"
)

// TestPrivilegedVswitchdCTZones: conntrack zone timeout policies set with
// ovs-vsctl add-zone-tp reach gswitch's tracker as OVS 3.1's ovs-vswitchd
// applies them (tests/golden/ctzone): real UDP from h1 to h2 through br0,
// committed in zone 5, shows in plain ovs-appctl dpctl/dump-conntrack -s
// with the policy's timeouts (udp_first for a new connection, udp_multiple
// once h2 answered), a connection committed before the policy keeps the
// defaults, a short policy makes a connection expire when it says, and
// del-zone-tp gives new connections the defaults again. The netdev
// Datapath row gets OVS 3.1 netdev's capabilities.
func TestPrivilegedVswitchdCTZones(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	S := netns.New(t, "s5z-s")
	H1, H2 := netns.New(t, "s5z-h1"), netns.New(t, "s5z-h2")
	netns.Veth(t, "h1", H1, "s5z-v1", S)
	netns.Veth(t, "h2", H2, "s5z-v2", S)
	H1.Addr(t, "h1", "198.51.100.1/24")
	H2.Addr(t, "h2", "198.51.100.2/24")
	d := startDBSwitch(t, S, bin)
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
		"--", "add-port", "br0", "s5z-v1", "--", "add-port", "br0", "s5z-v2")
	if out, err := d.In("ovs-ofctl", "add-flow", "br0", "priority=10,udp,actions=ct(commit,zone=5),NORMAL"); err != nil {
		t.Fatalf("add-flow: %v\n%s", err, out)
	}

	// ovs-vsctl's zone commands need the netdev Datapath row (OVS 3.1 has
	// no add-dp); gswitch fills its capabilities as ovs-vswitchd does.
	d.Vsctl("--", "--id=@m", "create", "Datapath", "datapath_version=0", "--", "set", "Open_vSwitch", ".", "datapaths:netdev=@m")
	caps := strings.Fields(d.Vsctl("list-dp-cap", "netdev"))
	sort.Strings(caps)
	_, rest, _ := strings.Cut(golden.Load("ctzone/ctzone.txt"), "$ ovs-vsctl list-dp-cap netdev")
	_, rest, _ = strings.Cut(rest, "\n") // the rest of the command line
	want := strings.Fields(strings.SplitN(rest, "\n\n", 2)[0])
	for i, c := range want { // what gswitch lacks, it does not claim
		if k, _, ok := strings.Cut(c, "="); ok {
			if d, unlike := vswitchd.CapabilitiesUnlikeOVS[k]; unlike {
				want[i] = k + "=" + d.Value
			}
		}
	}
	if strings.Join(caps, " ") != strings.Join(want, " ") {
		t.Errorf("list-dp-cap netdev:\n got %v\nwant %v (OVS 3.1)", caps, want)
	}

	udp := func(sport, dport int) {
		py(H1, "udp-client", strconv.Itoa(sport), "198.51.100.2", strconv.Itoa(dport), "1") // no echo is fine
	}
	timeoutRe := regexp.MustCompile(`,zone=(\d+),timeout=(\d+)`)
	// left is the timeout dump-conntrack -s shows for the UDP connection
	// from sport (-1: none).
	left := func(sport int) int {
		t.Helper()
		out, err := d.In("ovs-appctl", "dpctl/dump-conntrack", "-s")
		if err != nil {
			t.Fatalf("dpctl/dump-conntrack -s: %v\n%s", err, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "udp,") && strings.Contains(l, "sport="+strconv.Itoa(sport)+",") {
				m := timeoutRe.FindStringSubmatch(l)
				if m == nil || m[1] != "5" {
					t.Fatalf("connection not in zone 5 with a timeout: %s", l)
				}
				n, _ := strconv.Atoi(m[2])
				return n
			}
		}
		return -1
	}
	// within checks a timeout against the policy's value: a few seconds
	// may have passed (OVS's golden shows the same).
	within := func(what string, got, policy int) {
		t.Helper()
		if got > policy || got < policy-5 {
			t.Errorf("%s: timeout=%d, want %d (at most 5 s less)", what, got, policy)
		}
	}

	udp(20101, 7101)
	within("before any policy (udp_first default)", left(20101), 60)

	d.Vsctl("add-zone-tp", "netdev", "zone=5", "udp_first=300", "udp_single=200", "udp_multiple=100")
	if got := d.Vsctl("list-zone-tp", "netdev"); got != "Zone:5, Timeout Policies: udp_first=300 udp_multiple=100 udp_single=200" {
		t.Errorf("list-zone-tp: %q", got)
	}
	udp(20101, 7101)
	within("committed before the policy: keeps the defaults (udp_single)", left(20101), 60)
	udp(20102, 7102)
	within("new connection (udp_first)", left(20102), 300)
	udp(20102, 7102)
	within("second datagram (udp_single)", left(20102), 200)
	srv := startPy(t, H2, "udp-server", "7103", "10")
	defer srv.Stop()
	py(H1, "ready", "7103", "udp", "198.51.100.2")
	if out, err := py(H1, "udp-client", "20103", "198.51.100.2", "7103", "1"); err != nil {
		t.Fatalf("udp echo through br0: %v\n%s", err, out)
	}
	within("answered (udp_multiple)", left(20103), 100)

	// A short policy: the connection is gone when it says.
	d.Vsctl("--may-exist", "add-zone-tp", "netdev", "zone=5", "udp_first=2")
	udp(20104, 7104)
	if n := left(20104); n < 0 || n > 2 {
		t.Errorf("udp_first=2: timeout=%d", n)
	}
	if !netns.Eventually(6*time.Second, func() bool { return left(20104) < 0 }) {
		t.Errorf("connection under udp_first=2 still there after 6 s")
	}

	d.Vsctl("del-zone-tp", "netdev", "zone=5")
	if got := d.Vsctl("list-zone-tp", "netdev"); got != "" {
		t.Errorf("list-zone-tp after del-zone-tp: %q", got)
	}
	udp(20105, 7105)
	within("after del-zone-tp (udp_first default)", left(20105), 60)
}
