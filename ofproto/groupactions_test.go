package ofproto

import (
	"slices"
	"strings"
	"testing"

	"gswitch/tests/golden"
)

// TestOfctlGroupActionsGolden replays tests/golden/group-actions/cases.tsv
// into gswitch with the real ovs-ofctl, in order on one switch, and checks
// that every group-mod gets the verdict OVS 3.1 gave it (verdicts.tsv: ok,
// the OFPT_ERROR's name, or ovs-ofctl's own refusal) and that dump-groups
// then prints what OVS printed. OVS checks bucket actions only as it decodes
// them (a bucket has no match to check them against): no NAT family, ALG
// protocol, prerequisite, group existence or VLAN depth checks.
// Captured by tests/ovsref/capture-group-actions.sh.
func TestOfctlGroupActionsGolden(t *testing.T) {
	e := newOfctlEnv(t)
	want := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(golden.Load("group-actions/verdicts.tsv")), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 {
			continue
		}
		if len(f) != 3 {
			t.Fatalf("verdicts.tsv line %d: %q", i+1, line)
		}
		want[f[0]] = f[1] + "\t" + f[2]
	}
	n := 0
	for _, line := range strings.Split(golden.Load("group-actions/cases.tsv"), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, spec, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("cases.tsv: %q", line)
		}
		n++
		out, err := e.ofctlErr("-O", "OpenFlow13", "add-group", "SW", spec)
		got := "0\tok"
		if err != nil {
			rc := "1"
			v, _, _ := strings.Cut(out, "\n")
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "OFPT_ERROR") {
					_, v, _ = strings.Cut(l, "): ")
					break
				}
			}
			got = rc + "\t" + v
		}
		if got != want[name] {
			t.Errorf("%s: add-group %s\n got  %q\n want %q (OVS 3.1)\n%s", name, spec, got, want[name], out)
		}
	}
	if n != len(want) {
		t.Errorf("%d cases, %d verdicts", n, len(want))
	}
	sorted := func(s string) string {
		lines := strings.Split(strings.TrimRight(golden.Normalize(golden.KindFlows, s), "\n"), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	got := sorted(e.ofctl(t, "-O", "OpenFlow13", "dump-groups", "SW"))
	if w := golden.Load("group-actions/dump-groups.txt"); got != w {
		t.Errorf("dump-groups differs\n--- got\n%s--- want (OVS 3.1)\n%s", got, w)
	}
}
