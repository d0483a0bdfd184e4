package tests

import (
	"strings"
	"testing"

	"gswitch/tests/golden"
)

// TestPrivilegedOF15VsOVS drives gswitch with ovs-ofctl -O OpenFlow15 through
// the steps of capture.sh's of15 section (show, port descriptions, 1.5
// flow-mods with copy_field and masked set_field, flow and aggregate
// statistics, standard bundles: replace-flows, a bundle whose second flow
// fails and is rolled back, a one-flow bundle) and compares every output
// with what the same commands printed for OVS 3.1 (tests/golden/of15).
func TestPrivilegedOF15VsOVS(t *testing.T) {
	tp := newGoldenTopo(t, "g11p")
	o := []string{"-O", "OpenFlow15"}
	steps := []struct {
		golden string
		args   []string
	}{
		{"show", []string{"show"}},
		{"dump-ports-desc", []string{"dump-ports-desc"}},
		{"dump-ports-desc-1", []string{"dump-ports-desc", "1"}},
		{"add-flows", []string{"add-flows", golden.Path("flows/of15.flows")}},
		{"dump-flows", []string{"dump-flows"}},
		{"dump-aggregate", []string{"dump-aggregate"}},
		{"bundle-replace-flows", []string{"--bundle", "replace-flows", golden.Path("flows/of15-replace.flows")}},
		{"dump-flows-replaced", []string{"dump-flows"}},
		{"bundle-add-flows-bad", []string{"--bundle", "add-flows", golden.Path("flows/of15-bad.flows")}},
		{"dump-flows-after-bad", []string{"dump-flows"}},
		{"bundle-add-flow", []string{"--bundle", "add-flow", "table=3,priority=1,actions=drop"}},
		{"dump-flows-table3", []string{"dump-flows", "table=3"}},
	}
	for _, s := range steps {
		out, _ := tp.ofctl(append(append([]string(nil), o...), s.args...)...)
		want := golden.Load("of15/" + s.golden + ".txt")
		// The socket ovs-ofctl names in "talking to ..." differs.
		out, want = dropTalkingTo(out), dropTalkingTo(want)
		if strings.HasPrefix(s.golden, "dump-flows") {
			compareGoldenText(t, golden.KindFlowsSorted, s.golden, want, out)
		} else {
			compareGoldenText(t, golden.KindFlows, s.golden, want, out)
		}
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
