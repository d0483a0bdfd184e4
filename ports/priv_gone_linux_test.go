package ports_test

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/ports"
	"gswitch/tests/netns"
)

// Privileged tests of ports whose interface goes away (namespaces s8c-*,
// interfaces s8c*).

// readUntilErr reads p on a receive-loop goroutine (LockRxThread) until
// ReadBatch fails, counting frames, and sends the error.
func readUntilErr(p ports.Port, frames *atomic.Int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer ports.LockRxThread(p)()
		pool := packet.NewPool()
		pkts := make([]*packet.Packet, packet.MaxBatch)
		for i := range pkts {
			pkts[i] = pool.Get()
		}
		for {
			n, err := p.ReadBatch(pkts)
			if err != nil {
				done <- err
				return
			}
			frames.Add(int64(n))
		}
	}()
	return done
}

// TestPrivilegedDeviceGoneUnderLoad deletes the veth behind an AF_PACKET
// port while the other end floods it, and a TAP port's device while it is
// read: ReadBatch returns ErrDeviceGone (naming the port) promptly, then
// Close works, and a port whose link was only set down keeps reading.
func TestPrivilegedDeviceGoneUnderLoad(t *testing.T) {
	netns.Require(t)
	sw := netns.New(t, "s8c-dg-sw")
	h := netns.New(t, "s8c-dg-h")
	vethTo(t, sw, h, "s8cdgs", "s8cdgh")
	vethTo(t, sw, h, "s8cdds", "s8cddh")
	ap := openIn(t, sw, func() (ports.Port, error) { return ports.OpenAFPacket("s8cdgs") })
	hp := openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s8cdgh") })
	down := openIn(t, sw, func() (ports.Port, error) { return ports.OpenAFPacket("s8cdds") })
	downHost := openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s8cddh") })
	tp := openIn(t, sw, func() (ports.Port, error) { return ports.CreateTAP("s8cdgt") })

	var aFrames, dFrames, tFrames atomic.Int64
	aDone, dDone, tDone := readUntilErr(ap, &aFrames), readUntilErr(down, &dFrames), readUntilErr(tp, &tFrames)
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() { // the host floods the switch side, at most 5 s
		n := 0
		batch := make([]*packet.Packet, 32)
		for i := range batch {
			batch[i] = testFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, "flood")
		}
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); n++ {
			select {
			case <-stop:
				sent <- n
				return
			default:
			}
			hp.WriteBatch(batch)
		}
		sent <- n
	}()
	time.Sleep(300 * time.Millisecond)
	sw.Must(t, "ip", "link", "set", "s8cdds", "down")
	sw.Must(t, "ip", "link", "del", "s8cdgs")
	sw.Must(t, "ip", "link", "del", "s8cdgt")
	for _, c := range []struct {
		p    ports.Port
		done <-chan error
	}{{ap, aDone}, {tp, tDone}} {
		select {
		case err := <-c.done:
			if !errors.Is(err, ports.ErrDeviceGone) {
				t.Errorf("%s: ReadBatch after the interface went: %v, want ErrDeviceGone", c.p.Name(), err)
			}
			t.Logf("%s: %v", c.p.Name(), err)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadBatch still blocked 5 s after the interface was deleted", c.p.Name())
		}
		if _, err := c.p.ReadBatch([]*packet.Packet{packet.NewPool().Get()}); !errors.Is(err, ports.ErrDeviceGone) {
			t.Errorf("%s: second ReadBatch: %v", c.p.Name(), err)
		}
		if err := c.p.Close(); err != nil {
			t.Errorf("%s: Close: %v", c.p.Name(), err)
		}
	}
	close(stop)
	if n := <-sent; n == 0 || aFrames.Load() == 0 {
		t.Fatalf("no flood: %d batches sent, %d frames received", n, aFrames.Load())
	}
	// A port whose link was set down and up again is not gone: it reads on.
	select {
	case err := <-dDone:
		t.Fatalf("%s: ReadBatch after link down: %v", down.Name(), err)
	case <-time.After(200 * time.Millisecond):
	}
	sw.Must(t, "ip", "link", "set", "s8cdds", "up")
	before := dFrames.Load()
	if !netns.Eventually(5*time.Second, func() bool {
		downHost.WriteBatch([]*packet.Packet{testFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1}, nil, "again")})
		return dFrames.Load() > before
	}) {
		t.Fatalf("%s: nothing received after link up", down.Name())
	}
	down.Close()
	select {
	case err := <-dDone:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s after Close: %v", down.Name(), err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: ReadBatch still blocked after Close", down.Name())
	}
}
