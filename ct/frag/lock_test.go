package frag

import (
	"testing"

	"gswitch/ct/internal/lockcheck"
)

// TestLockPreconditions: in race builds, the Reassembler's *Locked
// methods without its lock panic before they touch anything.
func TestLockPreconditions(t *testing.T) {
	if !lockcheck.Enabled {
		t.Skip("lock preconditions are checked in race builds (go test -race)")
	}
	r := New()
	for name, f := range map[string]func(){
		"pushLocked":       func() { r.pushLocked(&dgram{}) },
		"removeLocked":     func() { r.removeLocked(&dgram{}) },
		"reassembleLocked": func() { r.reassembleLocked(&dgram{}, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				f()
				return false
			}()
			if !panicked {
				t.Fatal("no panic without the lock")
			}
		})
	}
}
