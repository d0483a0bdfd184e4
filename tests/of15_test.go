package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestPrivilegedBigBundleVsOVS sends 20000 flow-mods in one OpenFlow 1.5
// bundle, replaces them with the same in another, then sends 20000 more
// with a failing one last, which rolls the whole bundle back; outputs, exit
// statuses and the aggregates after are OVS 3.1's (capture.sh bigbundle,
// whose flows this generates the same way). The time each bundle takes is
// logged (indicative: OVS took 0.5-1.3 s for each on the same machine).
func TestPrivilegedBigBundleVsOVS(t *testing.T) {
	tp := newGoldenTopo(t, "s5c")
	dir := t.TempDir()
	var big, bad strings.Builder
	for i := 0; i < 20000; i++ {
		rest := fmt.Sprintf("priority=%d,ip,nw_src=10.%d.%d.1,actions=output:%d\n", 100+i%7, i>>8, i&255, 1+i%2)
		fmt.Fprintf(&big, "table=%d,%s", i%4, rest)
		fmt.Fprintf(&bad, "table=5,%s", rest)
	}
	bad.WriteString("table=6,actions=group:77\n")
	bigF, badF := filepath.Join(dir, "big.flows"), filepath.Join(dir, "bigbad.flows")
	if err := os.WriteFile(bigF, []byte(big.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badF, []byte(bad.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		args []string
	}{
		{"add", []string{"--bundle", "add-flows", bigF}},
		{"aggregate-1", []string{"dump-aggregate"}},
		{"replace", []string{"--bundle", "replace-flows", bigF}},
		{"add-bad", []string{"--bundle", "add-flows", badF}},
		{"aggregate-2", []string{"dump-aggregate"}},
	} {
		start := time.Now()
		out, err := tp.ofctl(append([]string{"-O", "OpenFlow15"}, s.args...)...)
		t.Logf("%s: %v", s.name, time.Since(start).Round(time.Millisecond))
		rc := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			rc = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if cmd := golden.Load("bigbundle/" + s.name + ".cmd"); !strings.Contains(cmd, "# exit status: "+strconv.Itoa(rc)+"\n") {
			t.Errorf("%s: exit status %d, OVS:\n%s", s.name, rc, cmd)
		}
		compareGoldenText(t, golden.KindFlows, s.name, dropTalkingTo(golden.Load("bigbundle/"+s.name+".txt")), dropTalkingTo(out))
	}
}
