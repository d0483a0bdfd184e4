// Package lockcheck checks the lock preconditions of ct's *Locked
// functions ("s.mu is held") in race builds (go test -race), and compiles
// to nothing otherwise: Enabled is a constant, so in a normal build every
// call is an inlined, empty function.
//
// sync's mutexes do not say who holds them, so the check is the one that
// can be made from outside: when TryLock succeeds, nobody held the lock
// and the precondition was broken; the lock is released at once and the
// call panics. A lock held by another goroutine satisfies the check, so it
// catches a forgotten lock, not a lock taken by the wrong goroutine (the
// race detector, on in the same builds, reports the unprotected accesses
// such a mistake leaves). TryLock serves nothing else in ct: no code path
// decides anything on it.
package lockcheck

import "sync"

// Held panics, in race builds, when mu is not locked.
func Held(mu *sync.Mutex) {
	if Enabled && mu.TryLock() {
		mu.Unlock()
		panic("lockcheck: mutex not held")
	}
}

// RHeld panics, in race builds, when mu is locked neither for reading nor
// for writing.
func RHeld(mu *sync.RWMutex) {
	if Enabled && mu.TryLock() {
		mu.Unlock()
		panic("lockcheck: rwmutex not held")
	}
}

// WHeld panics, in race builds, when mu is not locked for writing. (While
// a writer waits for the lock, a reader that should be the writer passes:
// TryRLock then fails for both.)
func WHeld(mu *sync.RWMutex) {
	if Enabled && mu.TryRLock() {
		mu.RUnlock()
		panic("lockcheck: rwmutex not held for writing")
	}
}
