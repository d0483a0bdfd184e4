package ofproto

import (
	"slices"
	"strings"
	"testing"

	"gswitch/tests/golden"
)

// TestOfctlGroups15Golden replays tests/golden/group-actions/cases15.tsv
// (OpenFlow 1.5 group-mods with bucket ids, selection methods and hash
// fields, insert-buckets and remove-buckets, the Nicira group-mod of
// OpenFlow 1.0) into gswitch with the real ovs-ofctl, in order, and
// compares each verdict and the final dump-groups over OpenFlow 1.5, 1.3
// and 1.0 with OVS 3.1's (tests/ovsref/capture-group-actions.sh of15).
func TestOfctlGroups15Golden(t *testing.T) {
	e := newOfctlEnv(t)
	want := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(golden.Load("group-actions/verdicts15.tsv")), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 {
			continue
		}
		if len(f) != 3 {
			t.Fatalf("verdicts15.tsv line %d: %q", i+1, line)
		}
		want[f[0]] = f[1] + "\t" + f[2]
	}
	n := 0
	for _, line := range strings.Split(golden.Load("group-actions/cases15.tsv"), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("cases15.tsv: %q", line)
		}
		name, ver, cmd, spec := f[0], f[1], f[2], f[3]
		n++
		out, err := e.ofctlErr("-O", ver, cmd, "SW", spec)
		got := "0\tok"
		if err != nil {
			v, _, _ := strings.Cut(out, "\n")
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "OFPT_ERROR") {
					_, v, _ = strings.Cut(l, "): ")
					break
				}
			}
			got = "1\t" + v
		}
		if got != want[name] {
			t.Errorf("%s: %s -O %s %s\n got  %q\n want %q (OVS 3.1)\n%s", name, cmd, ver, spec, got, want[name], out)
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
	for _, d := range []struct{ ver, file string }{
		{"OpenFlow15", "dump-groups15.txt"},
		{"OpenFlow13", "dump-groups15-of13.txt"},
		{"OpenFlow10", "dump-groups15-of10.txt"},
	} {
		got := sorted(e.ofctl(t, "-O", d.ver, "dump-groups", "SW"))
		if w := golden.Load("group-actions/" + d.file); got != w {
			t.Errorf("dump-groups -O %s differs\n--- got\n%s--- want (OVS 3.1)\n%s", d.ver, got, w)
		}
	}
}
