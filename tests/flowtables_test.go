package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	netns.Require(t)
	bin := netns.Bin(t)
	if _, err := exec.LookPath("ovsdb-server"); err != nil {
		t.Skip("ovsdb-server not installed")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "golden/flowtables/capture.sh", out)
	cmd.Env = append(os.Environ(), "VSWITCHD="+bin, "S6F_NS=s6f-gold")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("capture.sh with gswitch: %v\n%s", err, b)
	}
	steps, _ := filepath.Glob("golden/flowtables/[0-9][0-9]-*.txt")
	if len(steps) < 20 {
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
		if want != got {
			t.Errorf("%s differs from OVS 3.1's:\n%s", name, lineDiff(want, got))
		}
	}
}
