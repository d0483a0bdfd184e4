package lockcheck

import (
	"sync"
	"testing"
)

// panics reports whether f panics.
func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

func TestChecks(t *testing.T) {
	if !Enabled {
		t.Skip("lock checks run in race builds (go test -race)")
	}
	var mu sync.Mutex
	var rw sync.RWMutex
	for _, c := range []struct {
		name  string
		lock  func()
		check func()
		want  bool // panics
	}{
		{"mutex unlocked", func() {}, func() { Held(&mu) }, true},
		{"mutex locked", mu.Lock, func() { Held(&mu); mu.Unlock() }, false},
		{"rwmutex unlocked, read", func() {}, func() { RHeld(&rw) }, true},
		{"rwmutex unlocked, write", func() {}, func() { WHeld(&rw) }, true},
		{"rwmutex read-locked, read", rw.RLock, func() { RHeld(&rw); rw.RUnlock() }, false},
		{"rwmutex read-locked, write", rw.RLock, func() { defer rw.RUnlock(); WHeld(&rw) }, true},
		{"rwmutex write-locked, read", rw.Lock, func() { RHeld(&rw); rw.Unlock() }, false},
		{"rwmutex write-locked, write", rw.Lock, func() { WHeld(&rw); rw.Unlock() }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.lock()
			if got := panics(c.check); got != c.want {
				t.Fatalf("panicked: %v, want %v", got, c.want)
			}
			// A check leaves the locks as it found them.
			if !mu.TryLock() || !rw.TryLock() {
				t.Fatal("a lock was left held")
			}
			mu.Unlock()
			rw.Unlock()
		})
	}
}
