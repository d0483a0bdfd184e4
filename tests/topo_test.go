package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// Addresses of the two hosts (documentation ranges only).
const (
	ip4L = "198.51.100.1"
	ip4R = "198.51.100.2"
	ip6L = "2001:db8::1"
	ip6R = "2001:db8::2"
)

// topo is the test topology, the same as tests/ovsref/capture.sh's:
//
//	PREFIX-l  l1 198.51.100.1 2001:db8::1 --veth-- P1 (port 1) [gswitch in PREFIX-s] P2 (port 2) --veth-- r1 198.51.100.2 2001:db8::2  PREFIX-r
type topo struct {
	L, S, R *netns.NS
	sw      *netns.Proc
	ctl     string
	rundir  string
	of      string // OpenFlow target inside S
}

// newTopo builds the namespaces and starts gswitch with ports p1 and p2
// (their names in S) plus extra flags.
func newTopo(t *testing.T, prefix, p1, p2 string, extra ...string) *topo {
	t.Helper()
	return newTopoHook(t, prefix, p1, p2, nil, extra...)
}

// newTopoHook is newTopo with hook run after the hosts are wired and before
// gswitch starts (to add namespaces and ports that extra names).
func newTopoHook(t *testing.T, prefix, p1, p2 string, hook func(tp *topo), extra ...string) *topo {
	t.Helper()
	netns.Require(t)
	bin := netns.Bin(t)
	tp := &topo{
		L:  netns.New(t, prefix+"-l"),
		S:  netns.New(t, prefix+"-s"),
		R:  netns.New(t, prefix+"-r"),
		of: "tcp:127.0.0.1:6653",
	}
	netns.Veth(t, "l1", tp.L, p1, tp.S)
	netns.Veth(t, "r1", tp.R, p2, tp.S)
	tp.L.Must(t, "ip", "link", "set", "l1", "address", "02:00:00:00:01:01")
	tp.R.Must(t, "ip", "link", "set", "r1", "address", "02:00:00:00:02:01")
	tp.L.Addr(t, "l1", ip4L+"/24")
	tp.L.Addr(t, "l1", ip6L+"/64")
	tp.R.Addr(t, "r1", ip4R+"/24")
	tp.R.Addr(t, "r1", ip6R+"/64")
	tp.S.Try("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	// As tests/ovsref/capture.sh sets up OVS's hosts: static neighbours and
	// no router solicitations, so no ARP/ND is needed and nothing unasked
	// crosses the switch. (Unlike there, TX offloads stay on: gswitch
	// handles partial checksums and GSO.)
	for _, h := range []struct {
		ns       *netns.NS
		dev      string
		ip4, ip6 string
		peerMAC  string
	}{{tp.L, "l1", ip4R, ip6R, "02:00:00:00:02:01"}, {tp.R, "r1", ip4L, ip6L, "02:00:00:00:01:01"}} {
		h.ns.Try("sysctl", "-qw", "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
			"net.ipv6.conf.all.router_solicitations=0", "net.ipv6.conf.default.router_solicitations=0")
		h.ns.Must(t, "ip", "neigh", "replace", h.ip4, "lladdr", h.peerMAC, "dev", h.dev, "nud", "permanent")
		h.ns.Must(t, "ip", "neigh", "replace", h.ip6, "lladdr", h.peerMAC, "dev", h.dev, "nud", "permanent")
	}
	if hook != nil {
		hook(tp)
	}
	// A veth's operational state follows its peer's through the kernel's
	// link watch, up to a second late: start the switch once both of its
	// ports run, as the OVS captures did, so port descriptions say LIVE.
	for _, dev := range []string{p1, p2} {
		if !netns.Eventually(5*time.Second, func() bool {
			out, err := tp.S.Try("ip", "-o", "link", "show", "dev", dev)
			return err == nil && strings.Contains(out, "state UP")
		}) {
			out, _ := tp.S.Try("ip", "-o", "link", "show", "dev", dev)
			t.Fatalf("%s is not operationally up:\n%s", dev, out)
		}
	}
	tp.rundir = t.TempDir()
	tp.ctl = filepath.Join(tp.rundir, "gswitch.ctl")
	args := append([]string{"env", "OVS_RUNDIR=" + tp.rundir, bin, "--port", p1 + "=1", "--port", p2 + "=2",
		"--ctl", tp.ctl, "--of-listen", "ptcp:6653:127.0.0.1", "--fail-mode", "secure"}, extra...)
	tp.sw = tp.S.Start(t, args[0], args[1:]...)
	if !netns.Eventually(10*time.Second, func() bool {
		_, err := tp.ofctl("-O", "OpenFlow13", "show")
		return err == nil || tp.sw.Exited()
	}) || tp.sw.Exited() {
		t.Fatalf("gswitch did not answer OpenFlow:\n%s", tp.sw.Output())
	}
	return tp
}

// ofctl runs ovs-ofctl in the switch's namespace; the target is appended
// after the command word (args[0] may be options like -O OpenFlow13).
func (tp *topo) ofctl(args ...string) (string, error) {
	var opts, rest []string
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			opts = append(opts, a)
			continue
		}
		if i > 0 && args[i-1] == "-O" {
			opts = append(opts, a)
			continue
		}
		rest = args[i:]
		break
	}
	if len(rest) == 0 {
		rest = []string{"show"}
	}
	full := append(append(opts, rest[0], tp.of), rest[1:]...)
	return tp.S.Ofctl(full...)
}

// mustOfctl is ofctl that fails the test on error.
func (tp *topo) mustOfctl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := tp.ofctl(args...)
	if err != nil {
		t.Fatalf("ovs-ofctl %v: %v\n%s\nswitch log:\n%s", args, err, out, tp.sw.Output())
	}
	return out
}

// appctl runs ovs-appctl against the switch's control socket.
func (tp *topo) appctl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := netns.Try("ovs-appctl", append([]string{"-t", tp.ctl}, args...)...)
	if err != nil {
		t.Fatalf("ovs-appctl %v: %v\n%s", args, err, out)
	}
	return out
}

// py runs tests/ovsref/traffic.py in ns.
func py(ns *netns.NS, args ...string) (string, error) {
	script := filepath.Join(golden.Dir(), "..", "ovsref", "traffic.py")
	return ns.Try("timeout", append([]string{"30", "python3", script}, args...)...)
}

// startPy starts traffic.py in the background in ns.
func startPy(t *testing.T, ns *netns.NS, args ...string) *netns.Proc {
	script := filepath.Join(golden.Dir(), "..", "ovsref", "traffic.py")
	return ns.Start(t, "python3", append([]string{script}, args...)...)
}

// compareGolden compares got (normalized with kind) with golden file name.
func compareGolden(t *testing.T, kind, name, got string) {
	t.Helper()
	want := golden.Normalize(kind, golden.Load(name))
	g := golden.Normalize(kind, got)
	if g != want {
		if os.Getenv("GSWITCH_SHOW_DIFF") != "" || true {
			t.Errorf("%s differs from OVS 3.1's output\n--- OVS (golden)\n%s--- gswitch\n%s", name, want, g)
		}
	}
}
