package ofproto

import (
	"slices"
	"strconv"
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

// TestOfctlGroupHashGolden checks the "hash" selection method's picks
// against OVS 3.1's ofproto/trace (golden group-actions/grouphash-trace.txt,
// capture.sh section grouphash): the select groups of flows/grouphash.groups
// (fields with and without masks, selection_method_param, weights, odd
// bucket ids, fields whose prerequisites a frame lacks) get every frame of
// flows/multipath.packets through a packet-out with
// actions=group:1,...,group:8, and the bucket whose counter moved in each
// group is the bucket OVS used (the two double-tagged frames excepted:
// a parser difference, logged).
func TestOfctlGroupHashGolden(t *testing.T) {
	e := newOfctlEnv(t)
	e.ofctl(t, "-O", "OpenFlow15", "add-groups", "SW", golden.Path("flows/grouphash.groups"))
	counts := func() map[uint32][]uint64 {
		m := map[uint32][]uint64{}
		for _, g := range e.dp.Groups() {
			for _, b := range g.Buckets {
				m[g.Spec.ID] = append(m[g.Spec.ID], b.Packets)
			}
		}
		return m
	}
	// OVS's blocks by frame: "packet NAME" and its "using bucket" lines.
	want := map[string]string{}
	var cur string
	for _, l := range strings.Split(golden.Load("group-actions/grouphash-trace.txt"), "\n") {
		if name, ok := strings.CutPrefix(l, "packet "); ok {
			cur = name
		} else if l != "" {
			want[cur] += l + "\n"
		}
	}
	// Double-tagged frames: OVS 3.1 (default vlan-limit=1) parses one tag,
	// gswitch's parser walks two, so the keys differ before any hashing
	// (the same known difference as TestMultipathBundleVsOVS's).
	known := map[string]bool{
		"qinq 802.1ad 100 over 802.1Q 200 ipv4 tcp": true,
		"double 802.1Q 5 over 4000 non-IP 0x88b5":   true,
	}
	n := 0
	for _, line := range strings.Split(golden.Load("flows/multipath.packets"), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, hex, _ := strings.Cut(line, "\t")
		before := counts()
		e.ofctl(t, "-O", "OpenFlow15", "packet-out", "SW",
			"in_port=1 packet="+hex+" actions=group:1,group:2,group:3,group:4,group:5,group:6,group:7,group:8")
		after := counts()
		var got strings.Builder
		for _, g := range e.dp.Groups() {
			for i := range after[g.Spec.ID] {
				if after[g.Spec.ID][i] != before[g.Spec.ID][i] {
					got.WriteString("using bucket " + strconv.FormatUint(uint64(g.Spec.Buckets[i].ID), 10) + "\n")
				}
			}
		}
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("frame %q: not in the golden", name)
		case got.String() == w:
			n++
		case known[name]:
			t.Logf("frame %q (known parser difference): got\n%swant\n%s", name, got.String(), w)
		default:
			t.Errorf("frame %q: got\n%swant (OVS 3.1 ofproto/trace)\n%s", name, got.String(), w)
		}
	}
	if n+len(known) < len(want) {
		t.Errorf("%d frames of %d match", n, len(want))
	}
}
