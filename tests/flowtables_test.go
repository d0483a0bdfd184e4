package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedFlowTablesGoldens replays tests/golden/flowtables/capture.sh
// (a bridge's flow_tables set with ovs-vsctl: name, flow_limit with
// overflow_policy refuse and evict, eviction groups and importance,
// prefixes, bad groups and prefixes) with gswitch in place of ovs-vswitchd
// and compares each step with OVS 3.1's: dump-tables, the flow-mod and
// packet-out (learn) errors past a limit, the flows left after eviction and
// the bridge module's log lines about the tables.
func TestPrivilegedFlowTablesGoldens(t *testing.T) {
	out := runCaptureWithGswitch(t, "golden/flowtables/capture.sh", "S6F_NS=s6f-gold")
	steps, _ := filepath.Glob("golden/flowtables/[0-9][0-9]-*.txt")
	if len(steps) < 21 {
		t.Fatalf("only %d goldens", len(steps))
	}
	for _, g := range steps {
		name := filepath.Base(g)
		gotB, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := golden.NormalizeVswitchd(string(gotB))
		want := golden.Load("flowtables/" + name)
		if name >= "19-" {
			// OVS logs the 'groups' warnings at every reconfiguration,
			// rate-limited (5, then 1 a minute: gone by these steps);
			// gswitch when the bridge's tables change.
			want, got = reGroupsWarn.ReplaceAllString(want, ""), reGroupsWarn.ReplaceAllString(got, "")
		}
		if want != got {
			t.Errorf("%s differs from OVS 3.1's:\n%s", name, lineDiff(want, got))
		}
	}
}

var reGroupsWarn = regexp.MustCompile(`(?m)^bridge\|WARN\|bridge br0 table \d+: .*'groups'.*\n`)

// runCaptureWithGswitch runs a capture script under tests/golden with
// gswitch as VSWITCHD (the script's ovs-vswitchd), extra environment env,
// and a fresh output directory, which it returns. It skips without
// ovsdb-server and fails the test when the script fails or takes over 5
// minutes.
func runCaptureWithGswitch(t *testing.T, script string, env ...string) string {
	t.Helper()
	netns.Require(t)
	bin := netns.Bin(t)
	if _, err := exec.LookPath("ovsdb-server"); err != nil {
		t.Skip("ovsdb-server not installed")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, out)
	cmd.Env = append(append(os.Environ(), "VSWITCHD="+bin), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s with gswitch: %v\n%s", script, err, b)
	}
	return out
}
