package ports

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gswitch/packet"
)

// evPort is a Pollable whose descriptor is an eventfd the test makes
// readable (only what RxSet calls is implemented).
type evPort struct {
	Port
	efd     int
	mu      sync.Mutex
	closed  bool
	recheck atomic.Bool
}

func newEvPort(t *testing.T) *evPort {
	t.Helper()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(efd) })
	return &evPort{efd: efd}
}

func (p *evPort) ControlRx(f func(fd int)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return net.ErrClosed
	}
	f(p.efd)
	return nil
}

func (p *evPort) ReadNow([]*packet.Packet, uint32) (int, error) { return 0, nil }
func (p *evPort) RecheckDue() bool                              { return p.recheck.Load() }

func (p *evPort) ready() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(p.efd, one[:])
}

func (p *evPort) drain() {
	var c [8]byte
	unix.Read(p.efd, c[:])
}

// waitSet runs Wait on another goroutine and returns its result, or ok
// false when it has not returned within d.
func waitSet(s *RxSet, d time.Duration) (evs []RxEvent, err error, ok bool) {
	type res struct {
		evs []RxEvent
		err error
	}
	c := make(chan res, 1)
	go func() {
		out := make([]RxEvent, 8)
		n, err := s.Wait(out)
		c <- res{out[:n], err}
	}()
	select {
	case r := <-c:
		return r.evs, r.err, true
	case <-time.After(d):
		return nil, nil, false
	}
}

// Wait reports the ready members by key, level triggered (a member stays
// ready until read); a removed member is reported no more; Close wakes a
// blocked Wait, which then says net.ErrClosed, as do later calls.
func TestRxSet(t *testing.T) {
	s, err := NewRxSet()
	if err != nil {
		t.Fatal(err)
	}
	a, b := newEvPort(t), newEvPort(t)
	if err := s.Add(a, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(b, 2); err != nil {
		t.Fatal(err)
	}
	b.ready()
	evs, err, ok := waitSet(s, time.Second)
	if !ok || err != nil || len(evs) != 1 || evs[0].Key != 2 || evs[0].Events&unix.EPOLLIN == 0 {
		t.Fatalf("b ready: %v %v %v", evs, err, ok)
	}
	a.ready()
	evs, err, ok = waitSet(s, time.Second)
	if !ok || err != nil || len(evs) != 2 {
		t.Fatalf("both ready (b not read): %v %v %v", evs, err, ok)
	}
	a.drain()
	b.drain()
	s.Remove(1)
	s.Remove(1) // twice: nothing
	a.ready()
	c := make(chan []RxEvent, 1)
	go func() {
		out := make([]RxEvent, 8)
		n, _ := s.Wait(out)
		c <- out[:n]
	}()
	select {
	case evs := <-c:
		t.Fatalf("Wait returned %v for a removed member", evs)
	case <-time.After(150 * time.Millisecond):
	}
	b.ready()
	select {
	case evs := <-c:
		if len(evs) != 1 || evs[0].Key != 2 {
			t.Fatalf("got %v, want member 2 alone", evs)
		}
	case <-time.After(time.Second):
		t.Fatal("Wait did not return for member 2")
	}
	b.drain()

	done := make(chan error, 1)
	go func() {
		_, err := s.Wait(make([]RxEvent, 8))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Wait after Close: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not wake Wait")
	}
	if _, err := s.Wait(make([]RxEvent, 8)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("a later Wait: %v", err)
	}
	if err := s.Add(newEvPort(t), 3); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	s.Remove(2) // after Close: nothing
}

// A member whose RecheckDue is true is reported with no events every
// RxRecheck although its descriptor is not ready; a closed port cannot
// join.
func TestRxSetRecheck(t *testing.T) {
	s, err := NewRxSet()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newEvPort(t)
	a.recheck.Store(true)
	if err := s.Add(a, 7); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		start := time.Now()
		evs, err, ok := waitSet(s, 2*RxRecheck)
		if !ok || err != nil || len(evs) != 1 || evs[0] != (RxEvent{Key: 7}) {
			t.Fatalf("recheck %d: %v %v %v", i, evs, err, ok)
		}
		if d := time.Since(start); i > 0 && d < RxRecheck/2 {
			t.Errorf("recheck %d came after %v, want about %v", i, d, RxRecheck)
		}
	}
	a.recheck.Store(false)
	if evs, _, ok := waitSet(s, 2*RxRecheck); ok {
		t.Errorf("Wait returned %v with no recheck due", evs)
	}
	s.Close() // wakes the Wait left behind
	b := newEvPort(t)
	b.closed = true
	s2, err := NewRxSet()
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Add(b, 1); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Add of a closed port: %v", err)
	}
}
