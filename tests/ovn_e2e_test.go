package tests

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// ovnE2EFailsFile lists the end-to-end checks gswitch fails today, one a
// line: the check's name, a tab, the reason.
const ovnE2EFailsFile = "ovn/e2e-fails.txt" // relative to tests/

// TestPrivilegedOVNEndToEnd runs tests/ovn/e2e.sh, real OVN 23.03 driving
// two chassis with real traffic (pings on one chassis and across Geneve,
// routing, ACLs, the load balancer and hairpin, SNAT and a floating IP over
// localnet, gateway_mtu, native DHCP), once with ovs-vswitchd 3.1 as the
// chassis' switch and once with gswitch started with ovs-vswitchd's
// command line. OVS must pass every check; gswitch's result lines must be
// OVS's, except for the checks tests/ovn/e2e-fails.txt lists, which must
// fail (a listed check that passes fails the test too: shrink the list).
// It takes a few minutes: `make test-ovn` runs it, `make privileged` not.
func TestPrivilegedOVNEndToEnd(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	for _, c := range []string{"ovn-northd", "ovn-controller", "ovs-vswitchd", "ovsdb-server"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed (apt-get install -y ovn-central ovn-host openvswitch-switch)", c)
		}
	}
	want := runOVNE2E(t, "ovs", bin)
	for _, l := range want {
		if !strings.HasSuffix(l, ": ok") {
			t.Errorf("OVS 3.1 fails a check (the reference must pass all): %s", l)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	got := runOVNE2E(t, "gswitch", bin)
	fails := ovnE2EFails(t)
	gotByName := map[string]string{}
	for _, l := range got {
		name, res, _ := strings.Cut(l, ": ")
		gotByName[name] = res
	}
	if len(got) != len(want) {
		t.Errorf("gswitch ran %d checks, OVS %d (a setup step failed?)", len(got), len(want))
	}
	for _, l := range want {
		name, _, _ := strings.Cut(l, ": ")
		res, ran := gotByName[name]
		reason, listed := fails[name]
		switch {
		case !ran:
			t.Errorf("gswitch did not run %q", name)
		case res == "ok" && listed:
			t.Errorf("%q passes with gswitch now: remove it from tests/%s (was: %s)", name, ovnE2EFailsFile, reason)
		case res != "ok" && !listed:
			t.Errorf("%q fails with gswitch (OVS 3.1 passes it)", name)
		}
		delete(fails, name)
	}
	for name := range fails {
		t.Errorf("tests/%s lists %q, which the script does not run", ovnE2EFailsFile, name)
	}
}

// runOVNE2E runs the script with SWITCH=sw and returns its result lines;
// a setup failure (exit status 2) or a run over 12 minutes fails the test.
func runOVNE2E(t *testing.T, sw, bin string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "ovn/e2e.sh")
	cmd.Env = append(os.Environ(), "SWITCH="+sw, "GSWITCH_BIN="+bin, "OVN_E2E_PREFIX=s7o", "OVN_E2E_PORT=19500")
	cmd.WaitDelay = 30 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("e2e.sh with %s: %v after %v\n%s\n%s", sw, err, time.Since(start).Round(time.Second), out.String(), errb.String())
	}
	t.Logf("e2e.sh with %s (%v):\n%s", sw, time.Since(start).Round(time.Second), out.String())
	if err != nil {
		t.Logf("e2e.sh with %s, details:\n%s", sw, errb.String())
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// ovnE2EFails reads the list of checks gswitch fails: name -> reason.
func ovnE2EFails(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(ovnE2EFailsFile)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, reason, ok := strings.Cut(l, "\t")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("tests/%s: %q: want NAME<tab>REASON", ovnE2EFailsFile, l)
		}
		m[name] = reason
	}
	return m
}
