package tests

import (
	"os"
	"testing"
)

// TestMain gives the OVS clients (ovs-ofctl monitor makes a unixctl socket
// of its own) a private, writable OVS_RUNDIR unless one is set.
func TestMain(m *testing.M) {
	if os.Getenv("OVS_RUNDIR") == "" {
		d, err := os.MkdirTemp("", "gswitch-tests-rundir")
		if err == nil {
			os.Setenv("OVS_RUNDIR", d)
			code := m.Run()
			os.RemoveAll(d)
			os.Exit(code)
		}
	}
	os.Exit(m.Run())
}
