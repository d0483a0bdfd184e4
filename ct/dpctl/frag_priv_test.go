package dpctl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivilegedGfrOVSGoldens runs ct/frag/testdata/capture.sh against the real
// OVS installed here into a temporary directory and checks that the
// committed golden files still say what OVS says (fragment list lines as a
// set). It needs root, ovs-vswitchd and python3, and takes about a minute.
func TestPrivilegedGfrOVSGoldens(t *testing.T) {
	if os.Getenv("GSWITCH_PRIV") != "1" {
		t.Skip("set GSWITCH_PRIV=1 (root) to run against real OVS")
	}
	for _, tool := range []string{"ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ovs-ofctl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if testing.Short() {
		t.Skip("takes a minute")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "frag", "testdata", "capture.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("capture.sh: %v\n%s", err, b)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 11 {
		t.Fatalf("capture.sh wrote %d files", len(ents))
	}
	for _, e := range ents {
		got, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want := fragGolden(t, e.Name())
		if strings.HasPrefix(e.Name(), "status_") {
			sameStatus(t, e.Name(), string(got), want)
		} else if string(got) != want {
			t.Errorf("%s differs from OVS's:\n--- now\n%s--- committed\n%s", e.Name(), got, want)
		}
	}
}
