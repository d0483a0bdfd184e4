//go:build race

package testutil

// RaceEnabled reports whether the binary is built with -race.
const RaceEnabled = true
