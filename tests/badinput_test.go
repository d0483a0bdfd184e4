package tests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gswitch/tests/golden"
)

// TestPrivilegedBadInputVsOVS sends every malformed OpenFlow message of
// tests/golden/of-errors.tsv to the real gswitch binary (with rawof, the
// client that recorded OVS's answers) while ping runs through the switch,
// and checks the same OFPT_ERROR type/code and connection fate as OVS 3.1,
// an unchanged flow table, and forwarding afterwards.
func TestPrivilegedBadInputVsOVS(t *testing.T) {
	tp := newTopo(t, "gtbi", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/l2-forward.flows"))
	before := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "--no-stats")

	rawof := filepath.Join(t.TempDir(), "rawof")
	if out, err := exec.Command("go", "build", "-o", rawof, filepath.Join(golden.Dir(), "..", "ovsref", "rawof")).CombinedOutput(); err != nil {
		t.Fatalf("building rawof: %v\n%s", err, out)
	}
	ping := tp.L.Start(t, "ping", "-q", "-i", "0.2", "-c", "200", "-W", "1", ip4R)
	out, err := tp.S.Try(rawof, "-addr", "127.0.0.1:6653")
	if err != nil {
		t.Fatalf("rawof: %v\n%s", err, out)
	}
	got := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "\t")
		if len(f) >= 6 && f[0] != "name" && !strings.HasPrefix(l, "#") {
			got[f[0]+"/"+f[1]] = f
		}
	}
	rows := golden.Errors()
	if len(rows) < 100 {
		t.Fatalf("golden has only %d rows", len(rows))
	}
	bad, known := 0, 0
	for _, r := range rows {
		if why, ok := knownErrorDifferences[r.Name]; ok {
			known++
			t.Logf("%s: known difference from OVS 3.1 (%s)", r.Name, why)
			continue
		}
		key := r.Name + "/" + itoa(int(r.Version))
		g, ok := got[key]
		if !ok {
			t.Errorf("%s: rawof printed no row", key)
			continue
		}
		want := []string{itoa(r.Type), itoa(r.Code), r.Kept}
		if g[3] != want[0] || g[4] != want[1] || g[5] != want[2] {
			bad++
			t.Errorf("%s: gswitch answered type=%s code=%s %s; OVS 3.1: type=%s code=%s %s (%s)",
				key, g[3], g[4], g[5], want[0], want[1], want[2], r.OVSName)
		}
	}
	t.Logf("%d of %d cases answered as OVS 3.1 does; %d are known differences", len(rows)-bad-known, len(rows), known)

	// Some cases are well-formed flow-mods (OVS accepts them too); the
	// forwarding flows must still be there.
	after := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "--no-stats")
	for _, f := range []string{"priority=100,in_port=1 actions=output:2", "priority=100,in_port=2 actions=output:1"} {
		if !strings.Contains(after, f) {
			t.Errorf("flow %q lost during the bad-input run:\nbefore:\n%s\nafter:\n%s", f, before, after)
		}
	}
	if out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R); err != nil {
		t.Errorf("forwarding after the bad-input run: %v\n%s", err, out)
	}
	ping.Stop()
	if tp.sw.Exited() {
		t.Fatalf("gswitch exited:\n%s", tp.sw.Output())
	}
}

// knownErrorDifferences are the of-errors.tsv cases where gswitch answers
// differently from OVS 3.1 (the same list, with the same reasons, is kept by
// ofproto/golden_test.go). The first group is deliberate: the OpenFlow
// specification (and the project's rule) says every bad message gets an
// OFPT_ERROR; the second is stricter validation or a pending code mapping.
var knownErrorDifferences = map[string]string{
	"wrong-version-after-hello": "deliberate: OFPBRC_BAD_VERSION instead of silence",
	"version-0x7f":              "deliberate: OFPBRC_BAD_VERSION instead of silence",
	"header-length-0":           "deliberate: OFPBRC_BAD_LEN instead of closing",
	"header-length-4":           "deliberate: OFPBRC_BAD_LEN instead of closing",
	"header-length-5":           "deliberate: OFPBRC_BAD_LEN instead of closing",
	"header-length-7":           "deliberate: OFPBRC_BAD_LEN instead of closing",
	"match-type-standard":       "stricter: OFPMT_STANDARD match refused in OpenFlow 1.3",
	"goto-table-255":            "stricter: goto_table:255 refused",
	"ct-unknown-flags":          "stricter: unknown ct flags refused",
	"ct-alg-unknown-port-99":    "stricter: alg=99 refused",
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	if i < 0 {
		return "-" + fmtInt(-i)
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}
