package tests

import (
	"strings"
	"testing"

	"gswitch/tests/golden"
)

// TestPrivilegedTalkVerbatim types the talk's FTP flows as the talk does:
// plain `ovs-ofctl add-flow br0 "..."` (OpenFlow 1.0 with Nicira
// extensions, through $OVS_RUNDIR/br0.mgmt) with port names, and compares
// what `ovs-ofctl dump-flows br0` prints (with and without --names, with and
// without statistics) with OVS 3.1's output for the same flows on a bridge
// whose ports are also named eth0 and veth1. (The OpenFlow 1.3 goldens were
// made from flows added over OpenFlow 1.3; flows added over 1.0 show the
// reset_counts that a 1.0 add implies, in OVS as in gswitch, so they are not
// compared here: ofproto's TestOfctlFlowLifecycle checks that flag.)
func TestPrivilegedTalkVerbatim(t *testing.T) {
	tp := newTopo(t, "gttk", "eth0", "veth1")
	// Quiet hosts, as in the OVS capture (no MLD reports in the counters).
	tp.L.Must(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	tp.R.Must(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	br := func(args ...string) (string, error) {
		return tp.S.Try("env", append([]string{"OVS_RUNDIR=" + tp.rundir, "timeout", "20", "ovs-ofctl"}, args...)...)
	}
	show, err := br("show", "br0")
	if err != nil || !strings.Contains(show, " 1(eth0): addr:") || !strings.Contains(show, " 2(veth1): addr:") {
		t.Fatalf("ovs-ofctl show br0: %v\n%s", err, show)
	}
	for _, line := range strings.Split(golden.Load("flows/talk-ftp.flows"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if out, err := br("add-flow", "br0", line); err != nil {
			t.Fatalf("ovs-ofctl add-flow br0 %q: %v\n%s", line, err, out)
		}
	}
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"talk-ftp.of10", []string{"dump-flows", "br0"}},
		{"talk-ftp.of10-nostats", []string{"dump-flows", "br0", "--no-stats"}},
		{"talk-ftp.of10-names", []string{"--names", "dump-flows", "br0"}},
		{"talk-ftp.of10-names-nostats", []string{"--names", "dump-flows", "br0", "--no-stats"}},
	} {
		out, err := br(c.args...)
		if err != nil {
			t.Errorf("ovs-ofctl %v: %v\n%s", c.args, err, out)
			continue
		}
		// Every line sorted: OVS's dump order is its classifier's, and the
		// --names and --no-stats forms have no reply header.
		want := sortLines(golden.Normalize(golden.KindFlows, golden.Load("dump-flows/"+c.golden+".txt")))
		got := sortLines(golden.Normalize(golden.KindFlows, out))
		if got != want {
			t.Errorf("ovs-ofctl %v differs from OVS 3.1 (%s)\n--- OVS\n%s--- gswitch\n%s", c.args, c.golden, want, got)
		}
	}
}
