package ports

import (
	"encoding/binary"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gswitch/packet"
)

// Pollable is a Port whose receive can be driven by an RxSet: one thread
// waits for any of several ports and reads the ready ones without waiting,
// instead of each port's loop waiting in ReadBatch on a thread of its own.
// AF_PACKET (recvmmsg or ring) and TAP ports are Pollable; so may a test's
// port be.
type Pollable interface {
	Port
	// ControlRx calls f with the descriptor that polls readable while
	// frames wait, held open for the call; it returns net.ErrClosed
	// (without calling f) once the port is closed.
	ControlRx(f func(fd int)) error
	// ReadNow is ReadBatch without the wait: it returns what is there
	// (n = 0 and no error when nothing is). events are the poll(2) bits
	// (unix.POLLIN, POLLERR, POLLHUP, POLLNVAL) the wait reported for the
	// descriptor, 0 for a timed recheck (RecheckDue). Its errors are
	// ReadBatch's: net.ErrClosed after Close, ErrDeviceGone once the
	// interface is gone, others for a port that cannot be read.
	ReadNow(pkts []*packet.Packet, events uint32) (int, error)
	// RecheckDue reports whether the port wants ReadNow called every
	// RxRecheck even when its descriptor is not ready: its link went
	// down or its socket reported an error, and only a later look tells
	// whether the interface was deleted. Called by the goroutine that
	// calls ReadNow.
	RecheckDue() bool
}

// RxRecheck is how often an RxSet's Wait returns a recheck event for a
// member whose RecheckDue is true.
const RxRecheck = linkDownRecheck

// RxEvent is one ready member of an RxSet: its key and the poll(2) bits
// reported for its descriptor (0: a timed recheck).
type RxEvent struct {
	Key    uint32
	Events uint32
}

// RxSet is an epoll set of Pollable ports (level triggered, EPOLLIN only:
// the kernel raises no EPOLLOUT edge for frames sent) plus an eventfd that
// Close signals. One goroutine, the receive loop of every member, calls
// Wait and then ReadNow on the ports it reported, in turn, on its own
// locked OS thread. A frame that arrives on one member while that thread
// is busy with another costs no wake-up: the next Wait returns at once.
//
// Add and Remove may be called from any goroutine while Wait blocks. A
// member must be removed before its port is closed (Remove takes the
// descriptor out of the set while it is still open, so a number the
// kernel hands out again is never confused with it). Close wakes Wait
// and makes later calls fail; the set's descriptors are released when the
// last of Close and a Wait in progress has returned.
type RxSet struct {
	mu      sync.Mutex
	epfd    int
	efd     int
	closed  bool
	waiting bool // a Wait is in epoll_wait (it frees the descriptors after Close)
	freed   bool
	members map[uint32]Pollable

	// Owned by the goroutine that calls Wait.
	evs         [packet.MaxBatch]unix.EpollEvent
	due         []uint32
	lastRecheck time.Time
}

// NewRxSet returns an empty set.
func NewRxSet() (*RxSet, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	// The eventfd's key is never a member's: members are looked up in the
	// map, and the closed flag is what Wait checks.
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		unix.Close(efd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &RxSet{epfd: epfd, efd: efd, members: map[uint32]Pollable{}}, nil
}

// Add puts p in the set under key (a key not in use). It fails when the
// set or the port is closed.
func (s *RxSet) Add(p Pollable, key uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	var cerr error
	err := p.ControlRx(func(fd int) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(key)}
		cerr = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	})
	if err != nil {
		return err
	}
	if cerr != nil {
		return os.NewSyscallError("epoll_ctl", cerr)
	}
	s.members[key] = p
	return nil
}

// Remove takes the member with key out of the set (nothing if there is
// none); Wait reports it no more. Call it before closing the port.
func (s *RxSet) Remove(key uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.members[key]
	if p == nil {
		return
	}
	delete(s.members, key)
	if s.closed {
		return
	}
	// A closed port's descriptor left the set with its last reference.
	p.ControlRx(func(fd int) { unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, fd, nil) })
}

// Wait blocks until members are ready and fills out with them (at most
// len(out)), then returns how many. Every RxRecheck it also reports, with
// Events 0, the members whose RecheckDue is true. It returns net.ErrClosed
// once Close is called. One goroutine at a time calls Wait.
func (s *RxSet) Wait(out []RxEvent) (int, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, net.ErrClosed
	}
	s.due = s.due[:0]
	for k, p := range s.members {
		if p.RecheckDue() {
			s.due = append(s.due, k)
		}
	}
	s.waiting = true
	s.mu.Unlock()
	tmo := -1
	if len(s.due) > 0 {
		tmo = int((max(time.Until(s.lastRecheck.Add(RxRecheck)), 0) + time.Millisecond - 1) / time.Millisecond)
	}
	evs := s.evs[:min(len(out), len(s.evs))]
	var n int
	var err error
	for {
		n, err = unix.EpollWait(s.epfd, evs, tmo)
		if err != unix.EINTR {
			break
		}
	}
	s.mu.Lock()
	s.waiting = false
	if s.closed {
		s.freeLocked()
		s.mu.Unlock()
		return 0, net.ErrClosed
	}
	s.mu.Unlock()
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	k := 0
	for _, ev := range evs[:n] {
		if ev.Fd == -1 {
			continue // the eventfd (Close)
		}
		out[k] = RxEvent{Key: uint32(ev.Fd), Events: ev.Events}
		k++
	}
	if len(s.due) > 0 && time.Since(s.lastRecheck) >= RxRecheck {
		s.lastRecheck = time.Now()
		for _, key := range s.due {
			if k == len(out) {
				break
			}
			out[k] = RxEvent{Key: key}
			k++
		}
	}
	return k, nil
}

// Close wakes a Wait in progress and makes every later call fail. It is
// idempotent.
func (s *RxSet) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.waiting {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(s.efd, one[:])
		return
	}
	s.freeLocked()
}

func (s *RxSet) freeLocked() {
	if s.freed {
		return
	}
	s.freed = true
	unix.Close(s.epfd)
	unix.Close(s.efd)
	clear(s.members)
}

// ControlRx implements Pollable.
func (p *fdPort) ControlRx(f func(fd int)) error {
	if p.closed.Load() {
		return net.ErrClosed
	}
	err := p.rc.Control(func(fd uintptr) { f(int(fd)) })
	if err != nil {
		return net.ErrClosed
	}
	return nil
}

// ReadNow implements Pollable.
func (p *fdPort) ReadNow(pkts []*packet.Packet, events uint32) (int, error) {
	return p.read(pkts, false, events)
}

// RecheckDue implements Pollable: a socket whose link went down.
func (p *fdPort) RecheckDue() bool { return p.linkDown.Load() }

// ControlRx implements Pollable.
func (p *ringPort) ControlRx(f func(fd int)) error {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	if p.closed.Load() || p.mem == nil {
		return net.ErrClosed
	}
	f(p.fd)
	return nil
}

// ReadNow implements Pollable: it copies out what the ring holds; with
// nothing there it does what wait does with the poll bits (an error on
// the socket is read and counted, and from then on a look without frames
// checks whether the interface is gone).
func (p *ringPort) ReadNow(pkts []*packet.Packet, events uint32) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	p.rmu.Lock()
	defer p.rmu.Unlock()
	if p.closed.Load() {
		return 0, net.ErrClosed
	}
	if p.gone {
		return 0, p.goneErr()
	}
	n, bytes := p.drain(pkts[:min(len(pkts), packet.MaxBatch)])
	if n > 0 {
		p.ctr.Rx(n, bytes)
		return n, nil
	}
	if err := p.afterWait(int16(events)); err != nil {
		return 0, err
	}
	if p.gone {
		return 0, p.goneErr()
	}
	return 0, nil
}

// RecheckDue implements Pollable: the socket reported an error.
func (p *ringPort) RecheckDue() bool { return p.errSeen.Load() }
