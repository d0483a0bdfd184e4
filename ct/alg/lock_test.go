package alg

import (
	"testing"

	"gswitch/ct/internal/lockcheck"
)

// TestLockPreconditions: in race builds, Table.removeLocked without the
// table's lock panics before it touches anything.
func TestLockPreconditions(t *testing.T) {
	if !lockcheck.Enabled {
		t.Skip("lock preconditions are checked in race builds (go test -race)")
	}
	tb := NewTable(0, 0)
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		tb.removeLocked(ExpKey{}, masterKey{})
		return false
	}()
	if !panicked {
		t.Fatal("removeLocked without the lock did not panic")
	}
}
