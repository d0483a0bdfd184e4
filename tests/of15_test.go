package tests

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"gswitch/tests/golden"
)

// TestPrivilegedOF15VsOVS drives gswitch with ovs-ofctl through the steps
// of tests/golden/of15/steps.tsv, the ones capture.sh's of15 section ran
// against OVS 3.1 (show, port descriptions, 1.5 flow-mods with copy_field
// and masked set_field, flow and aggregate statistics, standard bundles:
// replace-flows, a bundle whose second flow fails and is rolled back, a
// one-flow bundle; the meter action: flows, a group bucket and packet-outs
// with meter:N, dumps over 1.5 and 1.3, meter statistics, a meter's
// deletion), and compares every output and exit status with OVS's.
func TestPrivilegedOF15VsOVS(t *testing.T) {
	tp := newGoldenTopo(t, "g11p")
	for _, line := range strings.Split(golden.Load("of15/steps.tsv"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		name, kind := f[0], f[1]
		var args []string
		for _, a := range f[2:] {
			switch {
			case a == "br0": // tp.ofctl names the switch
			case strings.HasPrefix(a, "tests/golden/"):
				args = append(args, golden.Path(strings.TrimPrefix(a, "tests/golden/")))
			default:
				args = append(args, a)
			}
		}
		out, err := tp.ofctl(args...)
		rc := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			rc = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cmd := golden.Load("of15/" + name + ".cmd"); !strings.Contains(cmd, "# exit status: "+strconv.Itoa(rc)+"\n") {
			t.Errorf("%s: exit status %d, OVS:\n%s", name, rc, cmd)
		}
		want := golden.Load("of15/" + name + ".txt")
		// The socket ovs-ofctl names in "talking to ..." differs.
		out, want = dropTalkingTo(out), dropTalkingTo(want)
		if kind == golden.KindFlows && strings.HasPrefix(name, "dump-flows") {
			kind = golden.KindFlowsSorted
		}
		compareGoldenText(t, kind, name, want, out)
	}
}

func dropTalkingTo(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "ovs-ofctl: talking to ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// compareGoldenText is compareGolden for a golden text already loaded.
func compareGoldenText(t *testing.T, kind, name, want, got string) {
	t.Helper()
	w, g := golden.Normalize(kind, want), golden.Normalize(kind, got)
	if g != w {
		t.Errorf("%s differs from OVS 3.1's output\n--- OVS (golden)\n%s--- gswitch\n%s", name, w, g)
	}
}
