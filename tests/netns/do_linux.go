package netns

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs f inside the namespace and returns its error. f runs on a goroutine
// of its own, locked to its OS thread, whose network namespace is switched
// before f and switched back after it; the caller's thread never changes
// namespace. If switching back fails, the thread stays locked, so the
// runtime ends it with the goroutine instead of reusing it in the wrong
// namespace.
//
// Sockets, TAPs and netlink sockets that f opens stay in the namespace
// afterwards, whichever thread uses them; goroutines that f starts do not
// run in it. f must not call t.Fatal (it is not on the test's goroutine):
// return an error instead.
func (n *NS) Do(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- n.doOnThread(f) }()
	return <-done
}

// doOnThread is Do's body, run on the fresh goroutine: it locks the OS
// thread and unlocks it only when the thread is back in its own namespace.
func (n *NS) doOnThread(f func() error) error {
	runtime.LockOSThread()
	target, err := unix.Open("/run/netns/"+n.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns %s: %w", n.Name, err)
	}
	defer unix.Close(target)
	orig, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns %s: current namespace: %w", n.Name, err)
	}
	defer unix.Close(orig)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns %s: setns: %w", n.Name, err)
	}
	err = f()
	if rerr := unix.Setns(orig, unix.CLONE_NEWNET); rerr != nil {
		// The thread is left locked: it exits with this goroutine.
		if err == nil {
			err = fmt.Errorf("netns %s: restoring the namespace: %w", n.Name, rerr)
		}
		return err
	}
	runtime.UnlockOSThread()
	return err
}
