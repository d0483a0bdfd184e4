package ports_test

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/ports"
	"gswitch/tests/netns"
)

// Privileged tests of ports in one RxSet (namespaces s9a-*, interfaces
// s9a*).

// setReader waits for the ports of s on one locked thread and reads the
// ready ones with ReadNow, as datapath's shared receive loop: frames
// counts each port's frames by name, and gone gets each port's first error
// (after which it leaves the set).
type setReader struct {
	mu     sync.Mutex
	frames map[string]int
	errs   map[string]error
}

func readSet(s *ports.RxSet, ps []ports.Pollable) *setReader {
	r := &setReader{frames: map[string]int{}, errs: map[string]error{}}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		pool := packet.NewPool()
		pkts := make([]*packet.Packet, packet.MaxBatch)
		for i := range pkts {
			pkts[i] = pool.Get()
		}
		evs := make([]ports.RxEvent, 16)
		for {
			n, err := s.Wait(evs)
			if err != nil {
				return
			}
			for _, ev := range evs[:n] {
				p := ps[ev.Key]
				for _, pk := range pkts {
					pk.Reset()
				}
				got, err := p.ReadNow(pkts, ev.Events)
				r.mu.Lock()
				r.frames[p.Name()] += got
				if err != nil && r.errs[p.Name()] == nil {
					r.errs[p.Name()] = err
					s.Remove(ev.Key)
				}
				r.mu.Unlock()
			}
		}
	}()
	return r
}

func (r *setReader) get(name string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames[name], r.errs[name]
}

// TestPrivilegedRxSetGone: an AF_PACKET port (recvmmsg and ring) and a TAP
// in one RxSet receive through Wait and ReadNow; when their interfaces are
// deleted, ReadNow says ErrDeviceGone (for a socket, through the set's
// timed recheck of a port whose link went down), and a port whose link is
// only set down stays in the set and receives again once it is up.
func TestPrivilegedRxSetGone(t *testing.T) {
	netns.Require(t)
	sw := netns.New(t, "s9a-rs-sw")
	h := netns.New(t, "s9a-rs-h")
	vethTo(t, sw, h, "s9arsm", "s9arsmh")
	vethTo(t, sw, h, "s9arsr", "s9arsrh")
	vethTo(t, sw, h, "s9arsd", "s9arsdh")
	mm := openIn(t, sw, func() (ports.Port, error) { return ports.OpenAFPacket("s9arsm", ports.WithIO(ports.IOMmsg)) })
	rg := openIn(t, sw, func() (ports.Port, error) { return ports.OpenAFPacket("s9arsr", ports.WithIO(ports.IORing)) })
	dn := openIn(t, sw, func() (ports.Port, error) { return ports.OpenAFPacket("s9arsd") })
	tp := openIn(t, sw, func() (ports.Port, error) { return ports.CreateTAP("s9arst") })
	hosts := []ports.Port{
		openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s9arsmh") }),
		openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s9arsrh") }),
		openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s9arsdh") }),
	}
	s, err := ports.NewRxSet()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps := []ports.Pollable{mm.(ports.Pollable), rg.(ports.Pollable), dn.(ports.Pollable), tp.(ports.Pollable)}
	for i, p := range ps {
		if err := s.Add(p, uint32(i)); err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
	}
	r := readSet(s, ps)
	send := func(i int) {
		hosts[i].WriteBatch([]*packet.Packet{testFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, "rxset")})
	}
	for i, p := range ps[:3] {
		if !netns.Eventually(5*time.Second, func() bool { send(i); n, _ := r.get(p.Name()); return n > 0 }) {
			t.Fatalf("%s: nothing received through the set", p.Name())
		}
	}

	sw.Must(t, "ip", "link", "set", "s9arsd", "down")
	sw.Must(t, "ip", "link", "del", "s9arsm")
	sw.Must(t, "ip", "link", "del", "s9arsr")
	sw.Must(t, "ip", "link", "del", "s9arst")
	for _, p := range []ports.Pollable{ps[0], ps[1], ps[3]} {
		if !netns.Eventually(5*time.Second, func() bool { _, err := r.get(p.Name()); return err != nil }) {
			t.Fatalf("%s: no error 5 s after its interface was deleted", p.Name())
		}
		if _, err := r.get(p.Name()); !errors.Is(err, ports.ErrDeviceGone) {
			t.Errorf("%s: %v, want ErrDeviceGone", p.Name(), err)
		}
	}
	time.Sleep(3 * ports.RxRecheck)
	if _, err := r.get(dn.Name()); err != nil {
		t.Fatalf("%s, only set down: %v", dn.Name(), err)
	}
	sw.Must(t, "ip", "link", "set", "s9arsd", "up")
	before, _ := r.get(dn.Name())
	if !netns.Eventually(5*time.Second, func() bool { send(2); n, _ := r.get(dn.Name()); return n > before }) {
		t.Fatalf("%s: nothing received after link up", dn.Name())
	}
	s.Remove(2)
	if err := dn.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := dn.(ports.Pollable).ReadNow([]*packet.Packet{packet.NewPool().Get()}, 0); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadNow after Close: %v", err)
	}
	if err := s.Add(dn.(ports.Pollable), 9); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Add of a closed port: %v", err)
	}
}
