package ports

import (
	"errors"
	"runtime"
)

// ErrDeviceGone is what ReadBatch returns (wrapped, naming the port) once
// the port's kernel interface is gone: deleted, or moved to another
// namespace. The port receives nothing more; its receive loop should end
// (and Close it when the port is removed).
var ErrDeviceGone = errors.New("the interface is gone")

// kernelWaiter is a Port whose ReadBatch waits for frames in the kernel
// (poll(2)) on the calling OS thread rather than in Go's netpoller.
type kernelWaiter interface{ waitsInKernel() }

// LockRxThread prepares the calling goroutine to be p's receive loop: when
// p waits for frames in the kernel on the calling thread (AF_PACKET and
// TAP ports), it locks the goroutine to its OS thread, so that the loop
// reads, waits in poll(2) and wakes on one thread of its own and never
// goes through the scheduler's netpoller hand-offs. It returns the
// function that undoes it, to call when the loop ends. For other ports
// (ports/porttest) it does nothing.
func LockRxThread(p Port) (unlock func()) {
	if _, ok := p.(kernelWaiter); !ok {
		return func() {}
	}
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
