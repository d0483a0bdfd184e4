package netns

import (
	"strings"
	"testing"
)

// TestDoMissingNamespace checks, without privileges, that Do reports a
// namespace that does not exist and never runs f.
func TestDoMissingNamespace(t *testing.T) {
	ran := false
	err := (&NS{Name: "gsw-no-such-netns"}).Do(func() error { ran = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "gsw-no-such-netns") {
		t.Fatalf("Do on a missing namespace: %v", err)
	}
	if ran {
		t.Fatal("Do ran f although it could not enter the namespace")
	}
}
