package ports_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/ports"
	"gswitch/tests/netns"
)

// Privileged tests of ports whose interface goes away (namespaces s9b-dg*,
// interfaces s9bd*).

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

// TestPrivilegedDeviceGoneUnderLoad, in each I/O mode of AF_PACKET ports
// (WithIO: mmsg, ring): the veth behind a port is deleted while frames
// flow both ways through it, and a TAP port's device while it is read.
// ReadBatch returns ErrDeviceGone naming the port within seconds (no
// panic, no hang), and again when called again; writes to the deleted
// interface are dropped and counted, not sent; Close returns promptly and
// later calls say net.ErrClosed. A port whose link was only set down is
// not gone: it reads on once the link is up again.
func TestPrivilegedDeviceGoneUnderLoad(t *testing.T) {
	netns.Require(t)
	for _, mode := range []string{ports.IOMmsg, ports.IORing} {
		t.Run(mode, func(t *testing.T) { deviceGoneUnderLoad(t, mode) })
	}
}

func deviceGoneUnderLoad(t *testing.T, mode string) {
	m := mode[:1]
	sw := netns.New(t, "s9b-dg"+m+"-sw")
	h := netns.New(t, "s9b-dg"+m+"-h")
	gone, down, tap := "s9bdg"+m+"s", "s9bdd"+m+"s", "s9bdg"+m+"t"
	vethTo(t, sw, h, gone, "s9bdg"+m+"h")
	vethTo(t, sw, h, down, "s9bdd"+m+"h")
	open := func(ns *netns.NS, name, io string) ports.Port {
		return openIn(t, ns, func() (ports.Port, error) { return ports.OpenAFPacket(name, ports.WithIO(io)) })
	}
	ap, hp := open(sw, gone, mode), open(h, "s9bdg"+m+"h", ports.IOMmsg)
	dp, dhp := open(sw, down, mode), open(h, "s9bdd"+m+"h", ports.IOMmsg)
	tp := openIn(t, sw, func() (ports.Port, error) { return ports.CreateTAP(tap) })
	for _, p := range []ports.Port{ap, dp} {
		if got, why := ports.IOOf(p); got != mode {
			t.Fatalf("%s: I/O %q (%s), want %q", p.Name(), got, why, mode)
		}
	}

	var aFrames, dFrames, tFrames atomic.Int64
	aDone, dDone, tDone := readUntilErr(ap, &aFrames), readUntilErr(dp, &dFrames), readUntilErr(tp, &tFrames)
	// Both ends of the veth that goes send batches until stopped (at most
	// 60 s).
	other := net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 11}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	load := func(p ports.Port, tag int) {
		defer wg.Done()
		b := make([]*packet.Packet, 32)
		for i := range b {
			b[i] = packet.New(seqFrame(other, p.HWAddr(), tag+i, 1400))
		}
		for end := time.Now().Add(60 * time.Second); time.Now().Before(end); {
			select {
			case <-stop:
				return
			default:
			}
			if err := p.WriteBatch(b); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("%s: write: %v", p.Name(), err)
				return
			}
		}
	}
	wg.Add(2)
	go load(ap, 0)
	go load(hp, 1000)
	var stopOnce sync.Once
	stopLoad := func() { stopOnce.Do(func() { close(stop); wg.Wait() }) }
	defer stopLoad()
	if !netns.Eventually(30*time.Second, func() bool { return aFrames.Load() > 1000 }) {
		t.Fatalf("only %d frames read before the deletion", aFrames.Load())
	}

	sw.Must(t, "ip", "link", "set", down, "down")
	sw.Must(t, "ip", "link", "del", gone)
	sw.Must(t, "ip", "link", "del", tap)
	for _, c := range []struct {
		p    ports.Port
		done <-chan error
	}{{ap, aDone}, {tp, tDone}} {
		select {
		case err := <-c.done:
			if !errors.Is(err, ports.ErrDeviceGone) || !strings.Contains(err.Error(), c.p.Name()) {
				t.Fatalf("%s: ReadBatch after the interface went: %v, want ErrDeviceGone naming the port", c.p.Name(), err)
			}
			t.Logf("%s: %v", c.p.Name(), err)
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: ReadBatch still blocked 20 s after the interface was deleted", c.p.Name())
		}
		if _, err := c.p.ReadBatch([]*packet.Packet{packet.NewPool().Get()}); !errors.Is(err, ports.ErrDeviceGone) {
			t.Errorf("%s: second ReadBatch: %v", c.p.Name(), err)
		}
	}
	// ap's writer goes on writing to the deleted interface: dropped and
	// counted, not sent.
	before := ap.Stats()
	if !netns.Eventually(20*time.Second, func() bool { return ap.Stats().TxDrops > before.TxDrops+100 }) {
		t.Errorf("writes to the deleted interface were not counted as drops: %+v", ap.Stats())
	}
	after := ap.Stats()
	stopLoad()
	t.Logf("after the deletion: %+v; later: %+v", before, after)
	if after.TxPackets-before.TxPackets > 2*packet.MaxBatch {
		t.Errorf("%d frames sent to a deleted interface", after.TxPackets-before.TxPackets)
	}
	for _, p := range []ports.Port{ap, tp} {
		start := time.Now()
		if err := p.Close(); err != nil {
			t.Errorf("%s: Close: %v", p.Name(), err)
		}
		// Close waits for nothing: seconds would mean a hang.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: Close took %v", p.Name(), d)
		}
		if _, err := p.ReadBatch([]*packet.Packet{packet.NewPool().Get()}); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s: ReadBatch after Close: %v", p.Name(), err)
		}
		if err := p.WriteBatch([]*packet.Packet{packet.New(seqFrame(other, other, 0, 60))}); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s: write after Close: %v", p.Name(), err)
		}
	}

	// A port whose link was set down and up again is not gone: it reads on.
	select {
	case err := <-dDone:
		t.Fatalf("%s: ReadBatch after link down: %v", dp.Name(), err)
	case <-time.After(200 * time.Millisecond):
	}
	sw.Must(t, "ip", "link", "set", down, "up")
	dBefore := dFrames.Load()
	if !netns.Eventually(20*time.Second, func() bool {
		dhp.WriteBatch([]*packet.Packet{testFrame(other, nil, "again")})
		return dFrames.Load() > dBefore
	}) {
		t.Fatalf("%s: nothing received after link up", dp.Name())
	}
	dp.Close()
	select {
	case err := <-dDone:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s after Close: %v", dp.Name(), err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: ReadBatch still blocked 20 s after Close", dp.Name())
	}
}
