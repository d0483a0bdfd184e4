package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedCloneASetTraffic sends real packets through gswitch for the
// cases of tests/golden/cloneaset/traffic.txt, as
// tests/ovsref/capture-cloneaset-traffic.sh sent them through OVS 3.1: the
// case's group and flows (cases.tsv) on a bridge of five ports whose veth
// peers stay in the switch's namespace, 3 UDP datagrams into port 1, and
// each of ports 2-5 must send as many packets as OVS's did (group buckets
// that write, clear or push through the tables they resubmit to; ct(table=N)
// in a clone and in a bucket, with the real connection tracker).
func TestPrivilegedCloneASetTraffic(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	cases := map[string][2]string{}
	for _, l := range strings.Split(golden.Load("cloneaset/cases.tsv"), "\n") {
		if f := strings.Split(l, "\t"); len(f) == 3 && !strings.HasPrefix(l, "#") {
			cases[f[0]] = [2]string{f[1], f[2]}
		}
	}
	ns := netns.New(t, "s6b-g")
	ns.Try("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	args := []string{}
	for i := 1; i <= 5; i++ {
		netns.Veth(t, fmt.Sprintf("s6b-p%d", i), ns, fmt.Sprintf("s6b-p%d-x", i), ns)
		args = append(args, "--port", fmt.Sprintf("s6b-p%d=%d", i, i))
	}
	ns.Addr(t, "s6b-p1-x", "198.51.100.1/24")
	ns.Must(t, "ip", "neigh", "replace", "198.51.100.2", "lladdr", "02:00:00:00:02:01", "dev", "s6b-p1-x", "nud", "permanent")
	dir := t.TempDir()
	ctl := filepath.Join(dir, "gswitch.ctl")
	const of = "tcp:127.0.0.1:19040"
	sw := ns.Start(t, "env", append([]string{"OVS_RUNDIR=" + dir, bin, "--ctl", ctl,
		"--of-listen", "ptcp:19040:127.0.0.1", "--fail-mode", "secure"}, args...)...)
	ofctl := func(args ...string) string {
		t.Helper()
		full := append([]string{"-O", "OpenFlow13", args[0], of}, args[1:]...)
		out, err := ns.Ofctl(full...)
		if err != nil {
			t.Fatalf("ovs-ofctl %v: %v\n%s\n%s", args, err, out, sw.Output())
		}
		return out
	}
	if !netns.Eventually(10*time.Second, func() bool {
		_, err := ns.Ofctl("show", of)
		return err == nil || sw.Exited()
	}) || sw.Exited() {
		t.Fatalf("gswitch did not answer OpenFlow:\n%s", sw.Output())
	}
	rePort := regexp.MustCompile(`port +(\d+): rx pkts=.*\n\s+tx pkts=(\d+)`)
	txs := func() map[int]int {
		m := map[int]int{}
		for _, s := range rePort.FindAllStringSubmatch(ofctl("dump-ports"), -1) {
			p, _ := strconv.Atoi(s[1])
			n, _ := strconv.Atoi(s[2])
			m[p] = n
		}
		return m
	}
	flows := filepath.Join(dir, "case.flows")
	var name string
	for _, l := range strings.Split(golden.Load("cloneaset/traffic.txt"), "\n") {
		if n, ok := strings.CutPrefix(l, "case "); ok {
			name = n
			continue
		}
		want, ok := strings.CutPrefix(l, "tx ")
		if !ok {
			continue
		}
		c, ok := cases[name]
		if !ok {
			t.Fatalf("case %s of traffic.txt is not in cases.tsv", name)
		}
		t.Run(name, func(t *testing.T) {
			ofctl("del-flows")
			ofctl("del-groups")
			if c[0] != "-" {
				ofctl("add-group", c[0])
			}
			fs := strings.Split(c[1], "|")
			for i := range fs {
				fs[i] = strings.TrimSpace(fs[i])
			}
			if err := os.WriteFile(flows, []byte(strings.Join(fs, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			ofctl("add-flows", flows)
			if out, err := netns.Try("ovs-appctl", "-t", ctl, "dpctl/flush-conntrack"); err != nil {
				t.Fatalf("flush-conntrack: %v\n%s", err, out)
			}
			before := txs()
			if out, err := ns.Try("timeout", "10", "python3", "-c", `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", 5000))
for i in range(3):
    s.sendto(b"cloneaset", ("198.51.100.2", 9))
    time.sleep(0.1)`); err != nil {
				t.Fatalf("sending: %v\n%s", err, out)
			}
			var got string
			netns.Eventually(2*time.Second, func() bool {
				after := txs()
				got = fmt.Sprintf("2=%d 3=%d 4=%d 5=%d", after[2]-before[2], after[3]-before[3], after[4]-before[4], after[5]-before[5])
				return got == want
			})
			if got != want {
				t.Errorf("tx packets %s, OVS 3.1 %s\n%s", got, want, ofctl("dump-ports"))
			}
		})
	}
}
