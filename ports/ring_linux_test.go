package ports

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"gswitch/packet"
)

// A synthetic ring in ordinary memory: the tests play the kernel's part
// (tpacket_rcv filling receive slots, tpacket_snd and skb release on the
// transmit side) on the same layout.

func TestRingGeom(t *testing.T) {
	if g := newRingGeom(0, ringTxFramesDef); g.frames != ringTxFramesDef {
		t.Fatalf("default transmit ring %+v", g)
	}
	g := newRingGeom(0, ringRxFramesDef)
	if g.frames != ringRxFramesDef || g.frames%g.perBlock != 0 || g.blockSize%4096 != 0 || g.frameSize%unix.TPACKET_ALIGNMENT != 0 {
		t.Fatalf("default geometry %+v", g)
	}
	if g.blockSize/g.frameSize != g.perBlock || g.blockSize > 256<<12 {
		t.Fatalf("block of %d bytes holds %d slots, want %d in at most 256 pages", g.blockSize, g.blockSize/g.frameSize, g.perBlock)
	}
	// A slot holds the virtio-net header and the largest frame a pool
	// buffer takes, after the kernel's MAC offset (TPACKET2_HDRLEN 52, a
	// MAC header of up to 16 bytes, aligned to 16, plus the header).
	if macoff := (52+16+15)&^15 + VnetHdrLen; g.frameSize-macoff < packet.BufSize-packet.Headroom {
		t.Fatalf("slot of %d bytes cannot hold a %d-byte frame after %d", g.frameSize, packet.BufSize-packet.Headroom, macoff)
	}
	if g := newRingGeom(1, ringRxFramesDef); g.frames != ringPerBlock || g.blocks() != 1 {
		t.Fatalf("one frame: %+v", g)
	}
	g = newRingGeom(31, ringRxFramesDef)
	if g.frames != 45 || g.size() != 3*ringBlockSize {
		t.Fatalf("31 frames: %+v", g)
	}
	// Slots never straddle blocks; the first of each block is at its start.
	for i, want := range map[int]int{0: 0, 1: ringFrameSize, 14: 14 * ringFrameSize, 15: ringBlockSize, 16: ringBlockSize + ringFrameSize, 44: 2*ringBlockSize + 14*ringFrameSize} {
		if got := g.off(i); got != want {
			t.Errorf("off(%d) = %d, want %d", i, got, want)
		}
	}
	r := g.req()
	if r.Block_nr != 3 || r.Frame_nr != 45 || r.Block_size != ringBlockSize || r.Frame_size != ringFrameSize {
		t.Fatalf("req %+v", r)
	}
}

func TestParseIO(t *testing.T) {
	for in, want := range map[string]string{"": IOAuto, "auto": IOAuto, "ring": IORing, "mmsg": IOMmsg} {
		if got, err := ParseIO(in); err != nil || got != want {
			t.Errorf("ParseIO(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseIO("mmap"); err == nil || !strings.Contains(err.Error(), `"mmap"`) {
		t.Errorf("ParseIO(mmap): %v", err)
	}
	if KindOf(nil, "afpacket") != "afpacket" {
		t.Error("KindOf(nil)")
	}
	if KindOf(&ringPort{fdPort: &fdPort{}}, "afpacket") != "afpacket ring" || KindOf(&fdPort{}, "afpacket") != "afpacket mmsg" ||
		KindOf(&fdPort{kind: kindTAP}, "tap") != "tap" {
		t.Error("KindOf")
	}
}

// kernelRx is tpacket_rcv's part: it writes frame (with virtio-net header
// h) into slot i as TPACKET_V2 does and hands the slot over. snap < 0 is
// the whole frame; wire is tp_len.
func kernelRx(mem []byte, g ringGeom, i int, frame []byte, h VnetHdr, status uint32, tci uint16, snap int) {
	off := g.off(i)
	f := mem[off : off+g.frameSize]
	const macoff = (52+16+15)&^15 + VnetHdrLen - 14
	if snap < 0 {
		snap = len(frame)
	}
	ne := binary.NativeEndian
	ne.PutUint32(f[tpLen:], uint32(len(frame)))
	ne.PutUint32(f[tpSnaplen:], uint32(snap))
	ne.PutUint16(f[tpMac:], macoff)
	ne.PutUint16(f[tpVlanTCI:], tci)
	ne.PutUint16(f[tpVlanTPID:], 0x88a8)
	h.Encode(f[macoff-VnetHdrLen:])
	copy(f[macoff:], frame[:snap])
	atomic.StoreUint32(slotStatus(mem, off), unix.TP_STATUS_USER|status)
}

func testRingPort(frames int) (*ringPort, *[]string) {
	g := newRingGeom(frames, ringRxFramesDef)
	mem := make([]byte, 2*g.size())
	var logs []string
	p := &ringPort{fdPort: &fdPort{name: "ring0", kind: kindAFPacket, vnet: true},
		rx: rxRing{g: g, mem: mem[:g.size()]}, tx: txRing{g: g, mem: mem[g.size():]},
		logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }}
	return p, &logs
}

func udpFrame(n int) []byte {
	f := make([]byte, n)
	copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00})
	for i := 14; i < n; i++ {
		f[i] = byte(i * 7)
	}
	return f
}

func TestRxRingDrain(t *testing.T) {
	p, logs := testRingPort(15)
	g := p.rx.g
	// Start near the end so that the walk wraps around.
	p.rx.head = 13
	partial := VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
	gso := VnetHdr{Flags: VnetFlagNeedsCsum, GSOType: GSOTCPv4, GSOSize: 1448, HdrLen: 66, CsumStart: 34, CsumOffset: 16}
	big := udpFrame(65000)
	kernelRx(p.rx.mem, g, 13, udpFrame(60), partial, 0, 0, -1)
	kernelRx(p.rx.mem, g, 14, big, gso, 0, 0, -1)
	kernelRx(p.rx.mem, g, 0, udpFrame(100), VnetHdr{}, unix.TP_STATUS_VLAN_VALID|unix.TP_STATUS_VLAN_TPID_VALID, 0x0123, -1)
	kernelRx(p.rx.mem, g, 1, udpFrame(2000), VnetHdr{}, 0, 0, 1500)                                    // cut by the kernel
	kernelRx(p.rx.mem, g, 2, udpFrame(80), VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 79}, 0, 0, -1) // bad header
	kernelRx(p.rx.mem, g, 3, udpFrame(70), VnetHdr{}, 0, 0, -1)
	// Slot 4 stays the kernel's: the walk stops there.
	pool := packet.NewPool()
	pkts := make([]*packet.Packet, 8)
	for i := range pkts {
		pkts[i] = pool.Get()
	}
	n, bytes_ := p.drain(pkts)
	if n != 4 {
		t.Fatalf("drained %d frames, want 4", n)
	}
	if p.rx.head != 4 {
		t.Fatalf("head %d, want 4", p.rx.head)
	}
	for _, i := range []int{13, 14, 0, 1, 2, 3} {
		if st := atomic.LoadUint32(slotStatus(p.rx.mem, g.off(i))); st != unix.TP_STATUS_KERNEL {
			t.Errorf("slot %d status %#x after the walk, want given back", i, st)
		}
	}
	if !bytes.Equal(pkts[0].Data, udpFrame(60)) || pkts[0].Off.CsumStart != 34 || pkts[0].Key.Flags&packet.FlagCsumPartial == 0 {
		t.Errorf("frame 0: %d bytes, %+v", len(pkts[0].Data), pkts[0].Off)
	}
	if !bytes.Equal(pkts[1].Data, big) || pkts[1].Off.GSOType != GSOTCPv4 || pkts[1].Off.GSOSize != 1448 {
		t.Errorf("GSO frame: %d bytes, %+v", len(pkts[1].Data), pkts[1].Off)
	}
	// The tag goes back where the kernel took it from.
	want := append(append(append([]byte{}, udpFrame(100)[:12]...), 0x88, 0xa8, 0x01, 0x23), udpFrame(100)[12:]...)
	if !bytes.Equal(pkts[2].Data, want) {
		t.Errorf("VLAN frame % x", pkts[2].Data[:20])
	}
	if len(pkts[3].Data) != 70 {
		t.Errorf("last frame %d bytes", len(pkts[3].Data))
	}
	if bytes_ != 60+65000+104+70 {
		t.Errorf("bytes %d", bytes_)
	}
	s := p.Stats()
	if s.Drops[DropRxTruncated] != 1 || s.Drops[DropRxBadVnetHdr] != 1 {
		t.Errorf("drops %+v", s.Drops)
	}
	if len(*logs) != 1 || !strings.Contains((*logs)[0], "2000-byte frame") || !strings.Contains((*logs)[0], "ring0") {
		t.Errorf("logs %q", *logs)
	}
	// A full batch stops the walk with the rest still handed over.
	for i := 4; i < 12; i++ {
		kernelRx(p.rx.mem, g, i, udpFrame(60+i), VnetHdr{}, 0, 0, -1)
	}
	if n, _ := p.drain(pkts[:3]); n != 3 || p.rx.head != 7 || len(pkts[2].Data) != 66 {
		t.Fatalf("bounded drain: %d, head %d", n, p.rx.head)
	}
	if n, _ := p.drain(pkts); n != 5 || p.rx.head != 12 {
		t.Fatalf("second drain: %d, head %d", n, p.rx.head)
	}
}

func TestWalkRxFrame(t *testing.T) {
	f := make([]byte, 256)
	ne := binary.NativeEndian
	set := func(l, snap, mac int) {
		ne.PutUint32(f[tpLen:], uint32(l))
		ne.PutUint32(f[tpSnaplen:], uint32(snap))
		ne.PutUint16(f[tpMac:], uint16(mac))
	}
	set(100, 100, 66)
	fr, err := walkRxFrame(f, true)
	if err != nil || len(fr.data) != 100 || &fr.data[0] != &f[66] || &fr.vnet[0] != &f[56] || fr.wireLen != 100 {
		t.Fatalf("%+v %v", fr, err)
	}
	for _, c := range []struct{ l, snap, mac int }{
		{100, 100, 40},  // MAC inside the header and the virtio-net header
		{100, 191, 66},  // snap past the slot
		{100, 100, 300}, // MAC past the slot
		{1 << 31, 1<<32 - 1, 66},
	} {
		set(c.l, c.snap, c.mac)
		if _, err := walkRxFrame(f, true); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	set(10, 10, 32)
	if _, err := walkRxFrame(f, false); err != nil {
		t.Errorf("MAC right after the header without virtio-net header: %v", err)
	}
	if _, err := walkRxFrame(f[:20], false); err == nil {
		t.Error("short slot accepted")
	}
}

// FuzzWalkRxFrame: whatever the kernel (or a corrupted slot) says, the
// walker stays inside the slot.
func FuzzWalkRxFrame(f *testing.F) {
	seed := make([]byte, 200)
	binary.NativeEndian.PutUint32(seed[tpSnaplen:], 100)
	binary.NativeEndian.PutUint16(seed[tpMac:], 66)
	f.Add(seed, true)
	f.Add(seed[:40], false)
	f.Fuzz(func(t *testing.T, slot []byte, vnet bool) {
		fr, err := walkRxFrame(slot, vnet)
		if err != nil {
			return
		}
		mac := int(binary.NativeEndian.Uint16(slot[tpMac:]))
		if mac+len(fr.data) > len(slot) || mac < tpHdrSize {
			t.Fatalf("frame [%d, %d) outside a %d-byte slot", mac, mac+len(fr.data), len(slot))
		}
		if vnet && (len(fr.vnet) != VnetHdrLen || mac < tpHdrSize+VnetHdrLen) {
			t.Fatalf("virtio-net header %d bytes at %d", len(fr.vnet), mac-VnetHdrLen)
		}
	})
}

func TestTxRingPutReclaim(t *testing.T) {
	p, _ := testRingPort(15)
	q := &p.tx
	q.head = 10
	h := VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
	for i := 0; i < 15; i++ {
		if !q.put(&h, udpFrame(60+i), true) {
			t.Fatalf("put %d refused in an empty ring", i)
		}
	}
	if q.head != 10 || q.put(&h, udpFrame(60), true) {
		t.Fatalf("a full ring took a 16th frame (head %d)", q.head)
	}
	// What the kernel reads: tp_len and, at the data offset, the header
	// and the frame.
	off := q.g.off(12)
	if l := binary.NativeEndian.Uint32(q.mem[off+tpLen:]); l != VnetHdrLen+62 {
		t.Fatalf("tp_len %d", l)
	}
	var got VnetHdr
	got.Decode(q.mem[off+tpTxData:])
	if got != h || !bytes.Equal(q.mem[off+tpTxData+VnetHdrLen:off+tpTxData+VnetHdrLen+62], udpFrame(62)) {
		t.Fatalf("slot 12: %+v", got)
	}
	// The kernel sent 10..14 and 0..2 (SENDING, or already released),
	// then stopped (EAGAIN) at 3: 3..9 come back, the head with them.
	for i := 10; i < 18; i++ {
		st := uint32(unix.TP_STATUS_SENDING)
		if i%2 == 1 {
			st = unix.TP_STATUS_AVAILABLE
		}
		atomic.StoreUint32(slotStatus(q.mem, q.g.off(i%15)), st)
	}
	if took := q.reclaim(10, 15); took != 8 || q.head != 3 {
		t.Fatalf("reclaim took %d, head %d; want 8, 3", took, q.head)
	}
	for i := 3; i < 10; i++ {
		if st := atomic.LoadUint32(slotStatus(q.mem, q.g.off(i))); st != unix.TP_STATUS_AVAILABLE {
			t.Fatalf("slot %d status %#x after reclaim", i, st)
		}
	}
	// Slots still being sent are not overwritten: after 3..9 (7 slots)
	// the head meets slot 10, still SENDING.
	for i := 0; i < 7; i++ {
		if !q.put(&h, udpFrame(60), true) {
			t.Fatalf("put %d refused", i)
		}
	}
	if q.put(&h, udpFrame(60), true) {
		t.Fatal("put over a slot the kernel is still sending")
	}
	if took := q.reclaim(3, 7); took != 0 || q.head != 3 {
		t.Fatalf("nothing sent: took %d, head %d", took, q.head)
	}
	// A slot the kernel refused (WRONG_FORMAT, without PACKET_LOSS) is
	// reused.
	atomic.StoreUint32(slotStatus(q.mem, q.g.off(3)), unix.TP_STATUS_WRONG_FORMAT)
	if !q.put(&h, udpFrame(60), true) {
		t.Fatal("WRONG_FORMAT slot not reused")
	}
}

// BenchmarkRxRingDrain: our side of the receive ring per frame (walk the
// slot, copy the frame out, decode the virtio-net header, give the slot
// back), on a synthetic ring the benchmark refills as the kernel would.
func BenchmarkRxRingDrain(b *testing.B) {
	for _, size := range []int{64, 1514, 65000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			p, _ := testRingPort(120)
			g := p.rx.g
			frame := udpFrame(size)
			h := VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
			pool := packet.NewPool()
			pkts := make([]*packet.Packet, packet.MaxBatch)
			for i := range pkts {
				pkts[i] = pool.Get()
			}
			for i := 0; i < g.frames; i++ {
				kernelRx(p.rx.mem, g, i, frame, h, 0, 0, -1)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				first := p.rx.head
				n, _ := p.drain(pkts[:min(packet.MaxBatch, b.N-done)])
				if n == 0 {
					b.Fatal("empty ring")
				}
				done += n
				for k := 0; k < n; k++ { // the kernel refills the slots
					atomic.StoreUint32(slotStatus(p.rx.mem, g.off((first+k)%g.frames)), unix.TP_STATUS_USER)
				}
			}
		})
	}
}

// BenchmarkTxRingPut: our side of the transmit ring per frame (copy the
// frame and its header into the slot, mark it), the slots given back as
// the kernel would after sending.
func BenchmarkTxRingPut(b *testing.B) {
	for _, size := range []int{64, 1514, 65000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			p, _ := testRingPort(120)
			q := &p.tx
			frame := udpFrame(size)
			h := VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				i0 := q.head
				if !q.put(&h, frame, true) {
					b.Fatal("full")
				}
				atomic.StoreUint32(slotStatus(q.mem, q.g.off(i0)), unix.TP_STATUS_AVAILABLE)
			}
		})
	}
}
