package golden

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrivilegedCaptureReproduces reruns tests/ovsref/capture.sh against real
// Open vSwitch into a temp dir and checks that the result equals the committed
// goldens: the capture is deterministic and the goldens are current. It needs
// root, network namespaces (ggo-*) and openvswitch-switch; GSWITCH_PRIV=1
// enables it. GOLDEN_SECTIONS picks sections (default "flows ofctl errors
// monitor"; the traffic sections take longer: add "conntrack nat ftp").
func TestPrivilegedCaptureReproduces(t *testing.T) {
	if os.Getenv("GSWITCH_PRIV") != "1" {
		t.Skip("set GSWITCH_PRIV=1 (root, namespaces, openvswitch-switch)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, c := range []string{"ovs-vswitchd", "ovsdb-server", "ovs-ofctl", "ovs-appctl", "ip"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed", c)
		}
	}
	sections := strings.Fields(os.Getenv("GOLDEN_SECTIONS"))
	if len(sections) == 0 {
		sections = []string{"flows", "ofctl", "errors", "monitor"}
	}
	out := t.TempDir()
	script := filepath.Join(Dir(), "..", "ovsref", "capture.sh")
	cmd := exec.Command("bash", append([]string{script}, sections...)...)
	cmd.Env = append(os.Environ(), "GOLDEN_OUT="+out)
	done := make(chan struct{})
	var b []byte
	var err error
	go func() { b, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(8 * time.Minute):
		cmd.Process.Kill() // capture.sh's EXIT trap does not run on KILL; its next run cleans up
		<-done
		t.Fatalf("capture.sh took over 8 minutes:\n%s", b)
	}
	if err != nil {
		t.Fatalf("capture.sh %v: %v\n%s", sections, err, b)
	}
	var n int
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".txt") || strings.HasSuffix(p, ".tsv")) {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		got, _ := os.ReadFile(p)
		want, rerr := os.ReadFile(filepath.Join(Dir(), rel))
		if rerr != nil {
			t.Errorf("%s: captured but not committed", rel)
			return nil
		}
		n++
		if string(got) != string(want) {
			t.Errorf("%s differs from the committed golden:\n--- got\n%s\n--- want\n%s", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("capture.sh wrote no goldens")
	}
	t.Logf("%d files reproduced", n)
}
