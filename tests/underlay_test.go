package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// underlayStep is one step of tests/golden/underlay/steps.txt.
type underlayStep struct{ cmd, out, exit string }

// stepsVsOVS reads OVS's steps (tests/golden/DIR/steps.txt) and gswitch's
// (OUT/steps.txt, from runCaptureWithGswitch) and fails unless both runs
// made as many steps.
func stepsVsOVS(t *testing.T, dir, out string) (want, got []underlayStep) {
	t.Helper()
	wantB, err := os.ReadFile(filepath.Join("golden", dir, "steps.txt"))
	if err != nil {
		t.Fatal(err)
	}
	gotB, err := os.ReadFile(filepath.Join(out, "steps.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, got = splitUnderlaySteps(string(wantB)), splitUnderlaySteps(string(gotB))
	if len(got) != len(want) {
		t.Fatalf("gswitch's run has %d steps, OVS's %d", len(got), len(want))
	}
	return want, got
}

func splitUnderlaySteps(s string) []underlayStep {
	var out []underlayStep
	for _, part := range strings.Split(s, "=== ")[1:] {
		line, rest, _ := strings.Cut(part, "\n")
		if strings.HasPrefix(line, "exit ") && len(out) > 0 {
			out[len(out)-1].exit = line
			continue
		}
		out = append(out, underlayStep{cmd: line, out: rest})
	}
	return out
}

// TestPrivilegedUnderlayGoldens runs tests/golden/underlay/capture.sh with
// gswitch in ovs-vswitchd's place (same command line, same namespace setup,
// same route changes and commands) and compares every ovs/route/* and
// tnl/neigh/* answer and exit status with OVS 3.1's (steps.txt): the kernel's
// routes learned at start and again after each route, link and address
// change, user routes, lookups, deletions, the neighbour cache set by hand,
// aging, flushing and every error text. The steps from `add-br br-int` on
// (snooping and cache misses, which need the datapath's tunnel ports) are
// compared only for ovs/route/show; what OVS learned there is checked by
// tunnel/underlay's TestSnoopReplay and TestMissFramesVsOVS from the frames
// the same run kept.
func TestPrivilegedUnderlayGoldens(t *testing.T) {
	out := runCaptureWithGswitch(t, "golden/underlay/capture.sh", "S6R_NS=s6r-gsw")
	want, got := stepsVsOVS(t, "underlay", out)
	tunnels := false
	for i, w := range want {
		g := got[i]
		if g.cmd != w.cmd {
			t.Fatalf("step %d: %q, OVS's %q", i, g.cmd, w.cmd)
		}
		if strings.Contains(w.cmd, "add-br br-int") {
			tunnels = true
		}
		if tunnels && !strings.HasSuffix(w.cmd, "ovs/route/show") {
			continue
		}
		wo, gotOut := w.out, g.out
		if strings.Contains(w.cmd, "neigh/show") || strings.Contains(w.cmd, "arp/show") {
			// OVS lists entries in its cmap's (randomly seeded) order.
			wo, gotOut = sortLinesAfter(wo, 2), sortLinesAfter(gotOut, 2)
		}
		if gotOut != wo || g.exit != w.exit {
			t.Errorf("step %d %s:\n%s", i, w.cmd, lineDiff(wo+w.exit, gotOut+g.exit))
		}
	}
}

// sortLinesAfter sorts the lines of s after its first n.
func sortLinesAfter(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > n {
		tail := lines[n:]
		for i := 1; i < len(tail); i++ {
			for j := i; j > 0 && tail[j] < tail[j-1]; j-- {
				tail[j], tail[j-1] = tail[j-1], tail[j]
			}
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
