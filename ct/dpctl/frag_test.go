package dpctl

import (
	"strings"
	"testing"

	"gswitch/ct/frag"
)

func TestCommandArgs(t *testing.T) {
	r := frag.New()
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"ipf-set-enabled", nil, `"dpctl/ipf-set-enabled" command requires at least 1 arguments`},
		{"ipf-set-min-frag", []string{"v4"}, `"dpctl/ipf-set-min-frag" command requires at least 2 arguments`},
		{"ipf-set-max-nfrags", []string{"a", "b", "c"}, `"dpctl/ipf-set-max-nfrags" command takes at most 2 arguments`},
		{"ipf-bogus", nil, `"ipf-bogus" is not a fragment command`},
		{"dpctl/ipf-set-min-frag", []string{"netdev@ovs-netdev", "v6", "1500"}, ""},
		{"ipf-set-disabled", []string{"netdev@ovs-netdev", " v6"}, ""},
	} {
		_, err := fragCommand(r, tc.name, tc.args, false)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s %q: %v, want %q", tc.name, tc.args, err, tc.err)
		}
	}
	if r.MinFrag(true) != 1500 || r.Enabled(true) {
		t.Fatalf("commands had no effect")
	}
	// The reassembler's refusals, with OVS's errno text (its ipf setters
	// return 1, EPERM).
	if _, err := fragCommand(r, "ipf-set-min-frag", []string{"v6", "399"}, false); err == nil ||
		err.Error() != "requested minimum fragment size too small; see documentation (Operation not permitted)" {
		t.Fatal(err)
	}
	if _, err := fragCommand(r, "ipf-set-max-nfrags", []string{"5001"}, false); err == nil ||
		err.Error() != "setting maximum fragments failed (Operation not permitted)" {
		t.Fatal(err)
	}
	out, err := fragCommand(r, "ipf-get-status", nil, true)
	if err != nil || !strings.HasSuffix(out, "        Fragment Lists:\n\n") {
		t.Fatalf("%q %v", out, err)
	}
}
