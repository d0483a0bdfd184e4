package nxm

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestFieldsAuditVsOVSFields keeps the gap between the fields OVS 3.1 matches
// and sets and the codec's table visible: every OXM/NXM header ovs-fields(7)
// lists (../packet/testdata/ovs-fields-wire.txt, extracted from the man page
// by ../packet/testdata/ovs-fields-prereqs.sh), and every field it lists with
// no OpenFlow encoding, must be either in wireFields (under that name and
// number) or in testdata/fields-left-out.txt with a reason. An entry of the
// left-out list that the table now has, or that the man page does not list,
// fails too, so the list shrinks as fields land.
func TestFieldsAuditVsOVSFields(t *testing.T) {
	type want struct{ field, header, num string }
	var man []want
	f, err := os.Open("../packet/testdata/ovs-fields-wire.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 3 {
			t.Fatalf("bad line %q", line)
		}
		man = append(man, want{p[0], p[1], p[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(man) < 100 {
		t.Fatalf("only %d headers in the man page extract", len(man))
	}
	// Fields of OVS 3.1's meta-flow.h that ovs-fields(7) does not document.
	man = append(man,
		want{"recirc_id", "NXM_NX_RECIRC_ID", "36"},
		want{"dp_hash", "NXM_NX_DP_HASH", "35"})

	left := map[string]string{} // header (or field with no header) -> reason
	lf, err := os.Open("testdata/fields-left-out.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	sc = bufio.NewScanner(lf)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, reason, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("fields-left-out.txt: %q has no reason", line)
		}
		if _, dup := left[k]; dup {
			t.Fatalf("fields-left-out.txt: %s twice", k)
		}
		left[k] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	byName := map[string]*wireField{}
	for i := range wireFields {
		byName[wireFields[i].Name] = &wireFields[i]
	}
	seen := map[string]bool{}
	for _, w := range man {
		key := w.header
		if key == "-" {
			key = w.field
		}
		seen[key] = true
		wf, have := byName[w.header]
		_, out := left[key]
		switch {
		case have && out:
			t.Errorf("%s (%s) is in the codec's table and in testdata/fields-left-out.txt: drop it from the list", key, w.field)
		case have:
			if n, err := strconv.Atoi(w.num); err != nil || int(wf.Field) != n {
				t.Errorf("%s: field number %d, ovs-fields(7) says %s", key, wf.Field, w.num)
			}
		case !out:
			t.Errorf("%s (%s) is in ovs-fields(7) (or meta-flow.h) but neither in the codec's table nor in testdata/fields-left-out.txt", key, w.field)
		}
	}
	for k := range left {
		if !seen[k] {
			t.Errorf("testdata/fields-left-out.txt: %s is not a field or header of ovs-fields(7)", k)
		}
	}
}
