package ports

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LinkWatcher reports link state changes of the interfaces of one network
// namespace (the one current when it was made), from rtnetlink's
// RTNLGRP_LINK group. Up means administratively up and operationally
// running, as Port.LinkUp says; a deleted interface is reported down.
type LinkWatcher struct {
	file *os.File
	rc   syscall.RawConn
	fn   func(name string, up bool)
	done chan struct{}

	mu    sync.Mutex
	state map[int32]linkState // by ifindex
}

type linkState struct {
	name string
	up   bool
}

// Watch starts a LinkWatcher. It learns the current state of every
// interface first and reports it: fn is called, from the watcher's
// goroutine and one call at a time, once for each interface as it is now,
// then whenever an interface's up state changes (or it appears or goes
// away). The first calls matter to a caller that read a port's state
// before the watch began: a carrier that came up in between (veth's
// operational state follows its peer's by up to a second) has no event of
// its own. Close stops it.
func Watch(fn func(name string, up bool)) (*LinkWatcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("ports: link watch: netlink socket: %w", err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ports: link watch: bind: %w", err)
	}
	f := os.NewFile(uintptr(fd), "netlink-link-watch")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &LinkWatcher{file: f, rc: rc, fn: fn, done: make(chan struct{}), state: map[int32]linkState{}}
	// Learn the current state before anything is reported.
	if err := w.dump(); err != nil {
		f.Close()
		return nil, err
	}
	if err := w.readUntilDone(); err != nil {
		f.Close()
		return nil, err
	}
	go w.run()
	return w, nil
}

// Close stops the watcher and waits for its goroutine to end.
func (w *LinkWatcher) Close() error {
	err := w.file.Close()
	<-w.done
	return err
}

// Up reports the last known state of interface name.
func (w *LinkWatcher) Up(name string) (up, known bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.state {
		if s.name == name {
			return s.up, true
		}
	}
	return false, false
}

func (w *LinkWatcher) dump() error {
	req := make([]byte, unix.NLMSG_HDRLEN+unix.SizeofIfInfomsg)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.RTM_GETLINK)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // seq
	req[unix.NLMSG_HDRLEN] = unix.AF_UNSPEC
	var serr error
	err := w.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return !errors.Is(serr, unix.EAGAIN)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("ports: link watch: dump request: %w", err)
	}
	return nil
}

// readUntilDone reads the dump's answer, recording states silently.
func (w *LinkWatcher) readUntilDone() error {
	buf := make([]byte, 1<<16)
	for {
		n, err := w.recv(buf)
		if err != nil {
			return fmt.Errorf("ports: link watch: dump: %w", err)
		}
		if w.handle(buf[:n], false) {
			return nil
		}
	}
}

func (w *LinkWatcher) recv(buf []byte) (int, error) {
	var n int
	var rerr error
	err := w.rc.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err != nil {
		return 0, err
	}
	return n, rerr
}

func (w *LinkWatcher) run() {
	defer close(w.done)
	w.reportAll()
	buf := make([]byte, 1<<16)
	for {
		n, err := w.recv(buf)
		if errors.Is(err, unix.ENOBUFS) {
			// Events were lost: ask for the whole table again and report
			// what changed.
			if w.dump() != nil {
				return
			}
			continue
		}
		if err != nil {
			var errno syscall.Errno
			if errors.As(err, &errno) && errno == unix.EINTR {
				continue
			}
			return // closed
		}
		w.handle(buf[:n], true)
	}
}

// reportAll calls fn with every known interface's state, in ifindex order.
func (w *LinkWatcher) reportAll() {
	w.mu.Lock()
	idx := make([]int32, 0, len(w.state))
	for i := range w.state {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	now := make([]linkState, 0, len(idx))
	for _, i := range idx {
		if s := w.state[i]; s.name != "" {
			now = append(now, s)
		}
	}
	w.mu.Unlock()
	for _, s := range now {
		w.fn(s.name, s.up)
	}
}

// handle processes one datagram of netlink messages and reports whether it
// held NLMSG_DONE.
func (w *LinkWatcher) handle(b []byte, report bool) (done bool) {
	ne := binary.NativeEndian
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return done
		}
		msg := b[unix.NLMSG_HDRLEN:l]
		switch typ {
		case unix.NLMSG_DONE, unix.NLMSG_ERROR:
			done = true
		case unix.RTM_NEWLINK, unix.RTM_DELLINK:
			w.link(msg, typ == unix.RTM_DELLINK, report)
		}
		al := (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
		if al > len(b) {
			break
		}
		b = b[al:]
	}
	return done
}

func (w *LinkWatcher) link(msg []byte, deleted, report bool) {
	if len(msg) < unix.SizeofIfInfomsg {
		return
	}
	ifi := (*unix.IfInfomsg)(unsafe.Pointer(&msg[0]))
	index, flags := ifi.Index, ifi.Flags
	name := ""
	attrs := msg[unix.SizeofIfInfomsg:]
	ne := binary.NativeEndian
	for len(attrs) >= 4 {
		al := int(ne.Uint16(attrs[0:]))
		at := ne.Uint16(attrs[2:])
		if al < 4 || al > len(attrs) {
			break
		}
		if at == unix.IFLA_IFNAME {
			v := attrs[4:al]
			for i, c := range v {
				if c == 0 {
					v = v[:i]
					break
				}
			}
			name = string(v)
		}
		attrs = attrs[min((al+3)&^3, len(attrs)):]
	}
	up := !deleted && flags&unix.IFF_UP != 0 && flags&unix.IFF_RUNNING != 0
	w.mu.Lock()
	old, had := w.state[index]
	if name == "" {
		name = old.name
	}
	if deleted {
		delete(w.state, index)
	} else {
		w.state[index] = linkState{name: name, up: up}
	}
	w.mu.Unlock()
	changed := !had || old.up != up || old.name != name
	if deleted {
		changed = had && old.up
	}
	if report && changed && name != "" {
		w.fn(name, up)
	}
}
