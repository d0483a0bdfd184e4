package ports

import (
	"encoding/binary"
	"net"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fdWaiter waits for a file descriptor to become ready in poll(2) (ppoll)
// on the calling OS thread, instead of in Go's netpoller, and is woken by
// Close through an eventfd polled beside it.
//
// It is for the packet path: a receive loop that owns its OS thread
// (LockRxThread) reads with MSG_DONTWAIT (or a non-blocking read, or a
// ring) until the descriptor is empty, then calls Wait. No goroutine parks
// in the netpoller and no epoll registration exists for the descriptor, so
// the kernel does not report an EPOLLOUT edge for every transmitted frame
// and the scheduler does not run for every batch (docs/bench/PROFILE.md, R2).
// ppoll is entered as an ordinary syscall: the runtime hands the thread's P
// to other goroutines while it blocks, as for any blocking syscall.
//
// Wait may be called by several goroutines at once, each on its own
// descriptor or the same one. Close may be called at any time from any
// goroutine, more than once: it wakes every Wait in progress and makes
// every later Wait return at once, with net.ErrClosed. The eventfd is
// released when Close has been called and the last Wait has returned, so
// a waiter never polls a reused descriptor number. The caller keeps fd
// open for the whole Wait (an os.File's reference, held across Wait inside
// RawConn.Read or Write, does that).
type fdWaiter struct {
	efd int // eventfd: readable for ever once Close has written to it
	// state is waiterClosed | 2 × the number of callers inside Wait or
	// Close (each holds the eventfd open).
	state atomic.Int64
	freed atomic.Bool
}

const waiterClosed = 1

func newFDWaiter() (*fdWaiter, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &fdWaiter{efd: efd}, nil
}

// Wait blocks the calling thread until fd reports one of events (POLLIN,
// POLLOUT; POLLERR, POLLHUP and POLLNVAL are reported whatever events
// says), the timeout passes (timeout < 0: no timeout) or Close is called.
// It returns fd's revents (0 when the timeout passed), or net.ErrClosed
// after Close. A signal (EINTR) does not end the wait: it goes on for what
// is left of the timeout. It does not allocate.
func (w *fdWaiter) Wait(fd int, events int16, timeout time.Duration) (int16, error) {
	if w.state.Add(2)&waiterClosed != 0 {
		w.leave()
		return 0, net.ErrClosed
	}
	defer w.leave()
	fds := [2]unix.PollFd{
		{Fd: int32(fd), Events: events},
		{Fd: int32(w.efd), Events: unix.POLLIN},
	}
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		var ts unix.Timespec
		tsp := uintptr(0) // nil: no timeout
		if timeout >= 0 {
			ts = unix.NsecToTimespec(max(int64(time.Until(deadline)), 0))
			tsp = uintptr(unsafe.Pointer(&ts))
		}
		fds[0].Revents, fds[1].Revents = 0, 0
		n, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 2, tsp, 0, 0, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e != 0:
			return 0, os.NewSyscallError("ppoll", e)
		case fds[1].Revents != 0:
			return 0, net.ErrClosed
		case n == 0:
			return 0, nil
		}
		return fds[0].Revents, nil
	}
}

// Close wakes every Wait in progress and makes later ones return
// net.ErrClosed. It is idempotent.
func (w *fdWaiter) Close() {
	if w.state.Add(2)&waiterClosed == 0 && w.state.Or(waiterClosed)&waiterClosed == 0 {
		// The counter stays non-zero: the eventfd is readable for every
		// poll from now on.
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(w.efd, one[:])
	}
	w.leave()
}

// leave ends a Wait or Close; the last one out after Close releases the
// eventfd.
func (w *fdWaiter) leave() {
	if w.state.Add(-2) == waiterClosed && w.freed.CompareAndSwap(false, true) {
		unix.Close(w.efd)
	}
}
