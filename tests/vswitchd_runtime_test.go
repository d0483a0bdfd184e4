package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedVswitchdRuntimeVsOVS: configuration changes made with
// ovs-vsctl while traffic flows, run with gswitch and with OVS 3.1's
// ovs-vswitchd (same database commands, same hosts). h1 pings h2 across
// br0 (400 pings, 20 ms apart) while six ports (five internal, one tap)
// are added to br0 by six ovs-vsctl clients at once (their transactions conflict with one
// another and with the switch's write-backs: ovs-vsctl tries again), a
// second bridge joined by a patch pair is added, a passive controller
// (ptcp:) is set on br0 and used, and all of it is removed again. No ping
// may be lost, every ovs-vsctl must return (each waits for cur_cfg), and
// the port numbers the concurrent clients got, the internal port's
// PROMISC flag and the tap port's driver must be OVS's, the
// periodic Interface statistics must come to count the pings, and
// nothing may be logged as a warning or worse.
func TestPrivilegedVswitchdRuntimeVsOVS(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	want := runtimeChanges(t, bin, "g", 19160)
	if got := strings.Join(want, " "); got != "lost=0 internal=3,4,5,6,7,8 promisc=yes tap=tun patch=9 controller=ok cfg=same stats=ok warnings=0" {
		t.Errorf("gswitch: %s", got)
	}
	if _, err := exec.LookPath("ovs-vswitchd"); err != nil {
		t.Skip("ovs-vswitchd not installed")
	}
	if ovs := runtimeChanges(t, "ovs-vswitchd", "o", 19161); strings.Join(ovs, " ") != strings.Join(want, " ") {
		t.Errorf("results differ:\n gswitch %v\n OVS 3.1 %v", want, ovs)
	}
}

var rePingSummary = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

// runtimeChanges builds the hosts and the switch (daemon bin, names tagged
// tag, the passive controller on port ctlPort) and makes the changes while
// h1 pings h2; it returns the results to compare.
func runtimeChanges(t *testing.T, bin, tag string, ctlPort int) []string {
	S := netns.New(t, "s6d-"+tag+"s")
	h1, h2 := netns.New(t, "s6d-"+tag+"1"), netns.New(t, "s6d-"+tag+"2")
	v1, v2 := "s6d-"+tag+"v1", "s6d-"+tag+"v2"
	netns.Veth(t, "h1", h1, v1, S)
	netns.Veth(t, "h2", h2, v2, S)
	h1.Addr(t, "h1", "198.51.100.1/24")
	h2.Addr(t, "h2", "198.51.100.2/24")
	d := startDBSwitch(t, S, bin)
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
		"--", "add-port", "br0", v1, "--", "add-port", "br0", v2)
	if _, err := h1.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", "198.51.100.2"); err != nil {
		t.Fatalf("%s: h1 -> h2 before the changes failed", bin)
	}
	vsctl := func(args ...string) error {
		out, err := d.In("ovs-vsctl", append([]string{"--db=" + d.DB, "--timeout=30"}, args...)...)
		if err != nil {
			return fmt.Errorf("ovs-vsctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}

	pingDone := make(chan string, 1)
	go func() {
		out, _ := h1.Try("ping", "-c", "400", "-i", "0.02", "-W", "1", "198.51.100.2")
		pingDone <- out
	}()

	var errs []error
	var mu sync.Mutex
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	// Six clients at once, each adding one internal port.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, typ := "s6d-"+tag+"i"+strconv.Itoa(i), "internal"
			if i == 5 {
				typ = "tap"
			}
			fail(vsctl("add-port", "br0", p, "--", "set", "interface", p, "type="+typ))
		}()
	}
	wg.Wait()
	var internal []int
	for i := range 6 {
		p := "s6d-" + tag + "i" + strconv.Itoa(i)
		n, _ := strconv.Atoi(d.Vsctl("get", "interface", p, "ofport"))
		internal = append(internal, n)
	}
	slices.Sort(internal)
	// The tap port is a TAP device the switch made (its driver is tun).
	tap := d.Vsctl("get", "interface", "s6d-"+tag+"i5", "status:driver_name")
	// Internal ports are promiscuous devices, as OVS's userspace datapath
	// makes every port it adds.
	promisc := "no"
	if out, err := S.Try("ip", "-o", "link", "show", "s6d-"+tag+"i0"); err == nil && strings.Contains(out, ",PROMISC") {
		promisc = "yes"
	}

	pa0, pa1 := "s6d-"+tag+"pa0", "s6d-"+tag+"pa1"
	fail(vsctl("add-br", "br1", "--", "set", "bridge", "br1", "datapath_type=netdev",
		"--", "add-port", "br0", pa0, "--", "set", "interface", pa0, "type=patch", "options:peer="+pa1,
		"--", "add-port", "br1", pa1, "--", "set", "interface", pa1, "type=patch", "options:peer="+pa0))
	patch := d.Vsctl("get", "interface", pa0, "ofport")

	target := fmt.Sprintf("tcp:127.0.0.1:%d", ctlPort)
	fail(vsctl("set-controller", "br0", fmt.Sprintf("ptcp:%d:127.0.0.1", ctlPort)))
	controller := "fail"
	if netns.Eventually(10*time.Second, func() bool { _, err := S.Try("ovs-ofctl", "show", target); return err == nil }) {
		controller = "ok"
	}
	fail(vsctl("del-controller", "br0"))

	for i := range 6 {
		fail(vsctl("del-port", "br0", "s6d-"+tag+"i"+strconv.Itoa(i)))
	}
	fail(vsctl("del-port", "br0", pa0, "--", "del-br", "br1"))

	out := <-pingDone
	for _, err := range errs {
		t.Errorf("%s: %v", bin, err)
	}
	lost := "?"
	if m := rePingSummary.FindStringSubmatch(out); m != nil {
		tx, _ := strconv.Atoi(m[1])
		rx, _ := strconv.Atoi(m[2])
		lost = strconv.Itoa(tx - rx)
	} else {
		t.Errorf("%s: ping output:\n%s", bin, out)
	}
	// Interface statistics are written periodically (every 5 s): v1's
	// rx_packets comes to count the 400 echo requests.
	stats := "stale"
	if netns.Eventually(15*time.Second, func() bool {
		n, _ := strconv.Atoi(strings.Trim(d.Vsctl("get", "interface", v1, "statistics:rx_packets"), `"`))
		return n >= 400
	}) {
		stats = "ok"
	}
	cfg := "differ"
	if d.Vsctl("get", "Open_vSwitch", ".", "cur_cfg") == d.Vsctl("get", "Open_vSwitch", ".", "next_cfg") {
		cfg = "same"
	}
	// Nothing here is a problem: no WARN or worse in the log (scripts fail
	// a run on unexpected warnings).
	warn := 0
	if b, err := os.ReadFile(filepath.Join(d.Dir, "ovs-vswitchd.log")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "|WARN|") || strings.Contains(l, "|ERR|") || strings.Contains(l, "|EMER|") {
				t.Logf("%s: %s", bin, l)
				warn++
			}
		}
	} else {
		t.Errorf("%s: log: %v", bin, err)
	}
	var ns []string
	for _, n := range internal {
		ns = append(ns, strconv.Itoa(n))
	}
	return []string{"lost=" + lost, "internal=" + strings.Join(ns, ","), "promisc=" + promisc, "tap=" + tap, "patch=" + patch,
		"controller=" + controller, "cfg=" + cfg, "stats=" + stats, "warnings=" + strconv.Itoa(warn)}
}

// TestPrivilegedVswitchdFailModeVsOVS runs tests/golden/vswitchd/failmode.sh
// with gswitch in ovs-vswitchd's place and compares with OVS 3.1's output
// (failmode.txt, captured by the same script): a passive controller
// (ptcp:) is a listener that leaves the flow table alone; fail_mode
// changes without an active controller flush it (standalone: then the
// NORMAL flow); the first and the last active controller flush it; a
// Controller's type column (primary/service) decides instead of the
// target, and a controller keeps the type it was added with while its
// target stays; restarted with other_config:flow-restore-wait=true it
// configures no controller (the flows added meanwhile stay) until the
// column turns false, and does not read it again.
func TestPrivilegedVswitchdFailModeVsOVS(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	cmd := exec.Command("bash", golden.Path("vswitchd/failmode.sh"), bin)
	cmd.Env = append(os.Environ(), "CAPTURE_NS=s6d-fmg")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("failmode.sh: %v\n%s\n%s", err, out, stderr.String())
	}
	if want := golden.Load("vswitchd/failmode.txt"); string(out) != want {
		t.Errorf("flows differ from OVS 3.1's\n--- OVS (failmode.txt)\n%s--- gswitch\n%s", want, out)
	}
}

// TestPrivilegedVswitchdDBFaultsVsOVS runs tests/golden/vswitchd/dbfaults.sh
// with gswitch in ovs-vswitchd's place and compares with OVS 3.1's output
// (dbfaults.txt, captured by the same script): started with --detach while
// no ovsdb-server listens, the parent waits, and returns 0 once the server
// appears and the configuration is read; a write-back that fails (the
// server a read-only backup) is retried by the loop and lands once the
// server is writable again; with --disable-system, datapath_types is
// [netdev] and bridges of datapath_type system are refused, as OVS.
func TestPrivilegedVswitchdDBFaultsVsOVS(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	cmd := exec.Command("bash", golden.Path("vswitchd/dbfaults.sh"), bin)
	cmd.Env = append(os.Environ(), "CAPTURE_NS=s6c-dbg")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dbfaults.sh: %v\n%s\n%s", err, out, stderr.String())
	}
	if want := golden.Load("vswitchd/dbfaults.txt"); string(out) != want {
		t.Errorf("differs from OVS 3.1's\n--- OVS (dbfaults.txt)\n%s--- gswitch\n%s\n%s", want, out, stderr.String())
	}
}
