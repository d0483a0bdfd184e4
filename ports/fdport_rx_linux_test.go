package ports

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gswitch/packet"
)

// socketpairPort makes an fdPort of the AF_PACKET kind over one end of a
// datagram socketpair (recvmmsg works the same there), with "lo" for the
// interface ioctls, and returns it and the other end.
func socketpairPort(t *testing.T) (*fdPort, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[1]) })
	ctl, err := newCtlSock("lo")
	if err != nil {
		t.Fatal(err)
	}
	p, err := newFDPort("lo", kindAFPacket, fds[0], false, ctl, buildOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, fds[1]
}

// epollTargets returns the descriptors registered with the process's epoll
// instances (Go's netpoller), from /proc/self/fdinfo.
func epollTargets(t *testing.T) map[int]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]bool{}
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[eventpoll]" {
			continue
		}
		b, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" {
				if n, err := strconv.Atoi(f[1]); err == nil {
					out[n] = true
				}
			}
		}
	}
	return out
}

// The port's descriptor is never handed to Go's netpoller: ReadBatch
// waits in poll(2), and frames sent while it waits wake it.
func TestFDPortNotInNetpoller(t *testing.T) {
	// Make sure the netpoller exists (so that the check can see it).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, peer := socketpairPort(t)
	fd := 0
	p.rc.Control(func(f uintptr) { fd = int(f) })
	if tg := epollTargets(t); len(tg) == 0 || tg[fd] {
		t.Fatalf("epoll targets %v: want the listener's, and not the port's descriptor %d", tg, fd)
	}
	pool := packet.NewPool()
	pkts := []*packet.Packet{pool.Get(), pool.Get(), pool.Get(), pool.Get()}
	got := make(chan string, 1)
	go func() {
		var all []string
		for len(all) < 5 {
			n, err := p.ReadBatch(pkts)
			if err != nil {
				got <- err.Error()
				return
			}
			for _, pk := range pkts[:n] {
				all = append(all, string(pk.Data[14:16]))
			}
		}
		got <- strings.Join(all, ",")
	}()
	time.Sleep(20 * time.Millisecond) // let it block
	for i := range 5 {
		f := make([]byte, 60)
		copy(f[14:], fmt.Sprintf("f%d", i))
		if _, err := unix.Write(peer, f); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case s := <-got:
		if s != "f0,f1,f2,f3,f4" {
			t.Fatalf("received %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadBatch did not wake for frames within 5s")
	}
	if st := p.Stats(); st.RxPackets != 5 || st.RxBytes != 300 {
		t.Fatalf("stats %+v", st)
	}
}

// Close wakes a ReadBatch blocked in poll(2): it returns net.ErrClosed,
// its goroutine ends, and only then is the descriptor closed.
func TestFDPortCloseWakesRead(t *testing.T) {
	before := runtime.NumGoroutine()
	p, _ := socketpairPort(t)
	fd := 0
	p.rc.Control(func(f uintptr) { fd = int(f) })
	var st0 unix.Stat_t
	if err := unix.Fstat(fd, &st0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		defer LockRxThread(p)()
		pkts := []*packet.Packet{packet.NewPool().Get()}
		_, err := p.ReadBatch(pkts)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("ReadBatch returned without frames: %v", err)
	default:
	}
	p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadBatch after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadBatch still blocked 5s after Close")
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil && st.Ino == st0.Ino && st.Dev == st0.Dev {
		t.Fatal("the socket is still open after Close and the last ReadBatch")
	}
	if _, err := p.ReadBatch([]*packet.Packet{packet.NewPool().Get()}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadBatch after Close: %v", err)
	}
	if !p.rxw.freed.Load() {
		t.Fatal("the waiter's eventfd was not released")
	}
	checkGoroutines(t, before)
}

// A receive error that does not mean the interface is gone is no
// ErrDeviceGone; on a socket whose interface still exists ENETDOWN is not
// either (the interface was set down).
func TestFDPortDeviceGone(t *testing.T) {
	p, _ := socketpairPort(t)
	for _, e := range []unix.Errno{unix.ENETDOWN, unix.ENXIO, unix.EINVAL, unix.EBADFD} {
		if p.deviceGone(e) {
			t.Errorf("%v on an interface that exists: gone", e)
		}
	}
	p.ifindex = -1 // as if the interface had been deleted and the name reused
	if !p.deviceGone(unix.ENETDOWN) || p.deviceGone(unix.EINVAL) {
		t.Error("ENETDOWN with another interface behind the name: not gone")
	}
	gone, err := newCtlSock("gsw-no-such0")
	if err != nil {
		t.Fatal(err)
	}
	p.ctl.close()
	p.ctl = gone
	if !p.deviceGone(unix.ENETDOWN) {
		t.Error("ENETDOWN with no interface of that name: not gone")
	}
	p.kind = kindTAP
	if !p.deviceGone(unix.EBADFD) || p.deviceGone(unix.EIO) {
		t.Error("TAP: EBADFD is gone, EIO is not")
	}
	if err := p.goneErr(); !errors.Is(err, ErrDeviceGone) || !strings.Contains(err.Error(), `"lo"`) {
		t.Errorf("goneErr: %v", err)
	}
}
