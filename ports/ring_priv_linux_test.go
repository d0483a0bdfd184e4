package ports_test

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"net"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/ports"
	"gswitch/tests/netns"
)

// Privileged tests of the packet rings: namespaces s8b-*, interfaces s8b*.
// TestPrivilegedTCPThroughBridge and TestPrivilegedDeviceGoneUnderLoad run
// in both I/O modes, the ring's among them.

// seqFrame is a test frame of n bytes numbered seq, its payload derived
// from seq so that the receiver can check every byte.
func seqFrame(dst, src net.HardwareAddr, seq, n int) []byte {
	f := make([]byte, n)
	copy(f, dst)
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], testEthType)
	binary.BigEndian.PutUint32(f[14:], uint32(seq))
	rand.New(rand.NewSource(int64(seq))).Read(f[18:])
	return f
}

// seqReader passes on copies of the test frames p receives until p closes.
func seqReader(p ports.Port) <-chan []byte {
	ch := make(chan []byte, 4096)
	go func() {
		defer close(ch)
		pool := packet.NewPool()
		pkts := make([]*packet.Packet, packet.MaxBatch)
		for i := range pkts {
			pkts[i] = pool.Get()
		}
		for {
			n, err := p.ReadBatch(pkts)
			if err != nil {
				return
			}
			for _, pk := range pkts[:n] {
				if len(pk.Data) >= 18 && binary.BigEndian.Uint16(pk.Data[12:]) == testEthType {
					select {
					case ch <- bytes.Clone(pk.Data):
					default: // the test stopped reading
					}
				}
			}
		}
	}()
	return ch
}

func nextFrame(t *testing.T, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(20 * time.Second):
		t.Fatal("no frame within 20 s")
	}
	return nil
}

// TestPrivilegedRingFrames: frames of 60 to 9014 bytes, one at a time and
// in batches, both ways between a ring port and an mmsg port, byte for
// byte; the port says it uses the ring.
func TestPrivilegedRingFrames(t *testing.T) {
	netns.Require(t)
	sw := netns.New(t, "s8b-fr-sw")
	h := netns.New(t, "s8b-fr-h")
	vethTo(t, sw, h, "s8bfrs", "s8bfrh")
	sw.Must(t, "ip", "link", "set", "s8bfrs", "mtu", "9000")
	h.Must(t, "ip", "link", "set", "s8bfrh", "mtu", "9000")
	sp := openIn(t, sw, func() (ports.Port, error) { return ports.OpenAFPacket("s8bfrs", ports.WithIO(ports.IORing)) })
	hp := openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s8bfrh", ports.WithIO(ports.IOMmsg)) })
	if m, why := ports.IOOf(sp); m != ports.IORing || why != "" {
		t.Fatalf("switch side I/O %q (%s)", m, why)
	}
	if m, _ := ports.IOOf(hp); m != ports.IOMmsg {
		t.Fatalf("host side I/O %q", m)
	}
	if k := ports.KindOf(sp, "afpacket"); k != "afpacket ring" {
		t.Fatalf("kind %q", k)
	}
	if sp.Name() != "s8bfrs" || sp.MTU() != 9000 || len(sp.HWAddr()) != 6 || !sp.LinkUp() {
		t.Fatalf("name %q mtu %d hw %v up %v", sp.Name(), sp.MTU(), sp.HWAddr(), sp.LinkUp())
	}
	sr, hr := seqReader(sp), seqReader(hp)
	other := net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 9}
	sizes := []int{60, 61, 64, 127, 128, 1514, 1515, 4000, 8192, 9014}
	seq := 0
	for _, dir := range []struct {
		name     string
		from     ports.Port
		to       <-chan []byte
		fromRing bool
	}{{"ring to mmsg", sp, hr, true}, {"mmsg to ring", hp, sr, false}} {
		for _, n := range sizes {
			f := seqFrame(other, dir.from.HWAddr(), seq, n)
			seq++
			if err := dir.from.WriteBatch([]*packet.Packet{packet.New(f)}); err != nil {
				t.Fatal(err)
			}
			if got := nextFrame(t, dir.to); !bytes.Equal(got, f) {
				t.Fatalf("%s: %d-byte frame arrived as %d bytes (equal prefix %v)", dir.name, n, len(got), bytes.HasPrefix(got, f[:min(len(f), len(got))]))
			}
		}
		// A batch of 200 mixed sizes, written 50 at a time.
		var want [][]byte
		for i := 0; i < 200; i++ {
			want = append(want, seqFrame(other, dir.from.HWAddr(), seq, sizes[i%len(sizes)]))
			seq++
		}
		for i := 0; i < 200; i += 50 {
			var b []*packet.Packet
			for _, f := range want[i : i+50] {
				b = append(b, packet.New(f))
			}
			if err := dir.from.WriteBatch(b); err != nil {
				t.Fatal(err)
			}
			for _, f := range want[i : i+50] {
				if got := nextFrame(t, dir.to); !bytes.Equal(got, f) {
					t.Fatalf("%s: batch frame %d: %d bytes, want %d", dir.name, binary.BigEndian.Uint32(f[14:]), len(got), len(f))
				}
			}
		}
	}
	st := sp.Stats()
	if st.TxPackets != 210 || st.TxDrops != 0 || st.RxPackets < 210 || st.RxDrops != 0 {
		t.Fatalf("ring port stats %+v", st)
	}
}

// TestPrivilegedRingFull: a batch larger than the transmit ring fills it;
// the rest of the batch is dropped and counted at once (no wait), every
// frame is accounted for, and the ring takes frames again once the kernel
// has sent them.
func TestPrivilegedRingFull(t *testing.T) {
	netns.Require(t)
	sw := netns.New(t, "s8b-full-sw")
	h := netns.New(t, "s8b-full-h")
	vethTo(t, sw, h, "s8bfulls", "s8bfullh")
	sp := openIn(t, sw, func() (ports.Port, error) {
		return ports.OpenAFPacket("s8bfulls", ports.WithIO(ports.IORing), ports.WithRingFrames(15))
	})
	hp := openIn(t, h, func() (ports.Port, error) { return ports.OpenAFPacket("s8bfullh", ports.WithIO(ports.IOMmsg)) })
	hr := seqReader(hp)
	other := net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 10}
	batch := make([]*packet.Packet, packet.MaxBatch)
	for i := range batch {
		batch[i] = packet.New(seqFrame(other, sp.HWAddr(), i, 1000))
	}
	start := time.Now()
	if err := sp.WriteBatch(batch); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	st := sp.Stats()
	full := st.TxDrops - st.Drops[ports.DropTxOffload] - st.Drops[ports.DropTxTooBig] - st.Drops[ports.DropTxError]
	t.Logf("one batch of %d into 15 slots: %+v in %v", len(batch), st, took)
	if st.TxPackets != 15 || full != packet.MaxBatch-15 || st.TxPackets+st.TxDrops != packet.MaxBatch {
		t.Fatalf("sent %d, dropped %d (full %d); want 15 sent and %d dropped as full", st.TxPackets, st.TxDrops, full, packet.MaxBatch-15)
	}
	for i := 0; i < 15; i++ {
		if f := nextFrame(t, hr); binary.BigEndian.Uint32(f[14:]) != uint32(i) {
			t.Fatalf("frame %d arrived as %d", i, binary.BigEndian.Uint32(f[14:]))
		}
	}
	// The kernel releases a slot when it frees the frame's skb, which
	// may be after the frame reached the host's socket (the rest of the
	// receive path runs in a softirq that a loaded machine defers): wait
	// until all 15 are free, then the ring takes 15 again.
	if !netns.Eventually(20*time.Second, func() bool { return ports.RingTxFree(sp) == 15 }) {
		t.Fatalf("%d of 15 transmit slots free 20 s after the frames arrived", ports.RingTxFree(sp))
	}
	if err := sp.WriteBatch(batch[:15]); err != nil {
		t.Fatal(err)
	}
	if st := sp.Stats(); st.TxPackets != 30 {
		t.Fatalf("after the ring drained: %+v", st)
	}
	for i := 0; i < 15; i++ {
		nextFrame(t, hr)
	}
}
