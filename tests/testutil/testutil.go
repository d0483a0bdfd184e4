// Package testutil holds small helpers shared by the tests of several
// packages. It imports only the standard library, so that any package's
// tests may use it (packet's included).
package testutil

import "testing"

// RequireNoAllocs fails t when f allocates: it measures f's average
// allocations over 200 runs (after testing.AllocsPerRun's warm-up run) and
// reports a non-zero count under name.
func RequireNoAllocs(t testing.TB, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

// SkipAllocsUnderRace skips t when the binary is built with -race, for
// allocation checks of code that the race detector's instrumentation makes
// allocate (the pipeline's batch processing).
func SkipAllocsUnderRace(t testing.TB) {
	t.Helper()
	if RaceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
}
