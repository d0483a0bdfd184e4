package ports

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pipeFDs returns a non-blocking pipe, closed when the test ends.
func pipeFDs(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

func newTestWaiter(t *testing.T) *fdWaiter {
	t.Helper()
	w, err := newFDWaiter()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

type waitResult struct {
	rev int16
	err error
}

// waitIn runs w.Wait(fd, POLLIN, -1) on a goroutine of its own, locked to
// its thread as a receive loop is, and reports the thread's id and then
// the result.
func waitIn(w *fdWaiter, fd int) (tid <-chan int, res <-chan waitResult) {
	tc, rc := make(chan int, 1), make(chan waitResult, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tc <- unix.Gettid()
		rev, err := w.Wait(fd, unix.POLLIN, -1)
		rc <- waitResult{rev, err}
	}()
	return tc, rc
}

func expectResult(t *testing.T, res <-chan waitResult, what string) waitResult {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: Wait still blocked after 5s", what)
	}
	return waitResult{}
}

// expectBlocked checks that the waiter has not returned after a while.
func expectBlocked(t *testing.T, res <-chan waitResult, what string) {
	t.Helper()
	select {
	case r := <-res:
		t.Fatalf("%s: Wait returned early: %+v", what, r)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestFDWaiterReadable(t *testing.T) {
	r, wfd := pipeFDs(t)
	w := newTestWaiter(t)
	// Nothing to read: a finite wait times out with no events.
	if rev, err := w.Wait(r, unix.POLLIN, 10*time.Millisecond); rev != 0 || err != nil {
		t.Fatalf("empty pipe: Wait = %#x, %v; want 0, nil", rev, err)
	}
	// A blocked waiter wakes when the pipe gets data.
	_, res := waitIn(w, r)
	expectBlocked(t, res, "empty pipe")
	unix.Write(wfd, []byte("x"))
	if got := expectResult(t, res, "after a write"); got.err != nil || got.rev&unix.POLLIN == 0 {
		t.Fatalf("after a write: Wait = %#x, %v; want POLLIN", got.rev, got.err)
	}
	// Still readable: Wait returns at once, even without a timeout.
	if rev, err := w.Wait(r, unix.POLLIN, -1); err != nil || rev&unix.POLLIN == 0 {
		t.Fatalf("readable pipe: Wait = %#x, %v", rev, err)
	}
	// The writer's side: POLLOUT on an empty pipe; POLLHUP on the reader
	// once the writer is gone.
	if rev, err := w.Wait(wfd, unix.POLLOUT, 0); err != nil || rev&unix.POLLOUT == 0 {
		t.Fatalf("writable pipe: Wait = %#x, %v", rev, err)
	}
	r2, w2 := pipeFDs(t)
	unix.Close(w2)
	if rev, err := w.Wait(r2, unix.POLLIN, time.Second); err != nil || rev&unix.POLLHUP == 0 {
		t.Fatalf("pipe without writer: Wait = %#x, %v; want POLLHUP", rev, err)
	}
}

func TestFDWaiterCloseWakes(t *testing.T) {
	r, _ := pipeFDs(t)
	w, err := newFDWaiter()
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	var results []<-chan waitResult
	for range 4 {
		_, res := waitIn(w, r)
		results = append(results, res)
	}
	expectBlocked(t, results[0], "before Close")
	w.Close()
	for i, res := range results {
		if got := expectResult(t, res, "after Close"); !errors.Is(got.err, net.ErrClosed) {
			t.Fatalf("waiter %d after Close: %#x, %v; want net.ErrClosed", i, got.rev, got.err)
		}
	}
	if rev, err := w.Wait(r, unix.POLLIN, -1); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Wait after Close: %#x, %v; want net.ErrClosed", rev, err)
	}
	w.Close() // idempotent
	if !w.freed.Load() {
		t.Fatal("the eventfd was not released after Close and the last Wait")
	}
	checkGoroutines(t, before)
}

// checkGoroutines waits a little for goroutines to end, then fails if more
// than n are left.
func checkGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFDWaiterCloseRace closes waiters while goroutines enter and leave
// Wait: every Wait ends, and the eventfd is released exactly once.
func TestFDWaiterCloseRace(t *testing.T) {
	r, _ := pipeFDs(t)
	for range 50 {
		w, err := newFDWaiter()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := w.Wait(r, unix.POLLIN, time.Millisecond); err != nil {
						if !errors.Is(err, net.ErrClosed) {
							t.Error(err)
						}
						return
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		wg.Add(2)
		go func() { defer wg.Done(); w.Close() }()
		go func() { defer wg.Done(); w.Close() }()
		wg.Wait()
		if !w.freed.Load() || w.state.Load() != waiterClosed {
			t.Fatalf("after Close and every Wait: freed %v, state %d", w.freed.Load(), w.state.Load())
		}
	}
}

// TestFDWaiterEINTR interrupts a blocked Wait with signals: it goes on
// waiting, and still wakes for data and for Close.
func TestFDWaiterEINTR(t *testing.T) {
	r, wfd := pipeFDs(t)
	w := newTestWaiter(t)
	for _, wake := range []string{"data", "close"} {
		tidc, res := waitIn(w, r)
		tid := <-tidc
		for range 5 {
			time.Sleep(5 * time.Millisecond)
			// SIGURG is the runtime's own preemption signal: its handler
			// ignores unexpected ones, and ppoll is never restarted after
			// a handler, so each one is an EINTR.
			if err := unix.Tgkill(unix.Getpid(), tid, unix.SIGURG); err != nil {
				t.Fatal(err)
			}
		}
		expectBlocked(t, res, "after signals")
		if wake == "data" {
			unix.Write(wfd, []byte("x"))
			if got := expectResult(t, res, "data after signals"); got.err != nil || got.rev&unix.POLLIN == 0 {
				t.Fatalf("data after signals: %#x, %v", got.rev, got.err)
			}
			var b [8]byte
			unix.Read(r, b[:])
			continue
		}
		w.Close()
		if got := expectResult(t, res, "Close after signals"); !errors.Is(got.err, net.ErrClosed) {
			t.Fatalf("Close after signals: %#x, %v", got.rev, got.err)
		}
	}
	// A finite wait interrupted by signals still ends at its timeout.
	w2 := newTestWaiter(t)
	done := make(chan waitResult, 1)
	tidc := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tidc <- unix.Gettid()
		rev, err := w2.Wait(r, unix.POLLIN, 200*time.Millisecond)
		done <- waitResult{rev, err}
	}()
	tid := <-tidc
	for range 3 {
		time.Sleep(20 * time.Millisecond)
		unix.Tgkill(unix.Getpid(), tid, unix.SIGURG)
	}
	if got := expectResult(t, done, "finite wait with signals"); got.err != nil || got.rev != 0 {
		t.Fatalf("finite wait with signals: %#x, %v; want a timeout", got.rev, got.err)
	}
}

func TestFDWaiterNoAllocs(t *testing.T) {
	r, wfd := pipeFDs(t)
	w := newTestWaiter(t)
	unix.Write(wfd, []byte("x"))
	for _, tmo := range []time.Duration{-1, time.Second} {
		if a := testing.AllocsPerRun(100, func() { w.Wait(r, unix.POLLIN, tmo) }); a != 0 {
			t.Fatalf("Wait(timeout %v) allocates %.1f times per call", tmo, a)
		}
	}
}
