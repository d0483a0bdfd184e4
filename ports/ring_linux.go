package ports

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gswitch/packet"
)

// Packet rings (PACKET_MMAP) for AF_PACKET ports.
//
// A ring port maps two TPACKET_V2 rings shared with the kernel: the receive
// ring, whose slots the kernel fills (tpacket_rcv) and hands over by
// setting TP_STATUS_USER, and the transmit ring, whose slots we fill and
// mark TP_STATUS_SEND_REQUEST before one send(MSG_DONTWAIT) per batch
// (tpacket_snd). Both keep the virtio-net header path: with
// PACKET_VNET_HDR the kernel writes the header just before the frame in a
// receive slot, and reads it at the start of a transmit slot's data.
//
// TPACKET_V2, not V3, for receive: a V3 block is handed over only when it
// is full or its retire timer fires (tp_retire_blk_tov, in milliseconds, at
// least 1), so one request/response exchange would wait up to a
// millisecond per hop; a V2 slot is handed over, and poll(2) woken, frame
// by frame. The price is a fixed slot size: every slot holds a 64 KiB GSO
// super-frame.

// I/O modes of an AF_PACKET port (WithIO).
const (
	IOAuto = "auto" // the ring where it can be set up, else recvmmsg/sendmmsg
	IORing = "ring" // the ring or an error
	IOMmsg = "mmsg" // recvmmsg/sendmmsg
)

// autoIO is what IOAuto tries first: IORing or IOMmsg (see the
// measurements in README). A build may change it with
// -ldflags "-X gswitch/ports.autoIO=ring".
var autoIO = IOMmsg

// tpacket2_hdr (linux/if_packet.h): field offsets in a slot.
const (
	tpStatus   = 0
	tpLen      = 4
	tpSnaplen  = 8
	tpMac      = 12
	tpVlanTCI  = 24
	tpVlanTPID = 26
	tpHdrSize  = 32 // TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
	// tpTxData is where a transmit slot's data starts: tp_hdrlen
	// (TPACKET2_HDRLEN, 52) minus sizeof(struct sockaddr_ll) (20).
	tpTxData = tpHdrSize
)

// Ring geometry: a slot holds the largest frame a pool buffer holds
// (RxSpace) plus the slot header, the virtio-net header and the kernel's
// alignment of the MAC header; 15 slots of 17 pages make a block of 255
// pages (the kernel allocates blocks as 2^n pages).
const (
	ringFrameSize = 17 << 12
	ringPerBlock  = 15
	ringBlockSize = ringFrameSize * ringPerBlock
	// Receive: 480 slots (32 MiB), so that a burst of small frames while
	// the receive thread is off the CPU fits (120 slots lost a third of a
	// 64-byte UDP flood that recvmmsg's 8 MiB socket buffer absorbed).
	// Transmit: 120 slots (8 MiB); the kernel frees them as it sends.
	ringRxFramesDef = 32 * ringPerBlock
	ringTxFramesDef = 8 * ringPerBlock
	ringSpin        = 4 * time.Microsecond
	ringPollTimeout = 100 * time.Millisecond // a safety net; Close wakes the wait at once
)

type ringOptions struct {
	mode   string
	frames int
	logf   func(format string, args ...any)
}

// WithIO chooses how an AF_PACKET port moves frames: IOAuto (default),
// IORing or IOMmsg. OpenAFPacket refuses another value. A TAP ignores it.
func WithIO(mode string) Option { return func(o *options) { o.ring.mode = mode } }

// WithRingFrames sets how many slots each ring has (rounded up to whole
// blocks of 15; default 480 to receive, 120 to transmit). Each slot is
// 68 KiB of kernel memory.
func WithRingFrames(n int) Option { return func(o *options) { o.ring.frames = n } }

// WithLogf gives the port a logger for its rare events (a ring that cannot
// be set up, a frame the ring truncated); default: the standard log.
func WithLogf(f func(format string, args ...any)) Option {
	return func(o *options) { o.ring.logf = f }
}

// ParseIO checks an I/O mode name (for flags and configuration).
func ParseIO(s string) (string, error) {
	switch s {
	case "", IOAuto:
		return IOAuto, nil
	case IORing, IOMmsg:
		return s, nil
	}
	return "", fmt.Errorf("unknown port I/O %q (expected auto, ring or mmsg)", s)
}

// IOOf reports how port p moves frames: "ring" or "mmsg" for an AF_PACKET
// port, "tap" for a TAP, "" for another Port; and, for an AF_PACKET port
// that wanted the ring and fell back, why.
func IOOf(p Port) (mode, fallback string) {
	switch p := p.(type) {
	case *ringPort:
		return IORing, ""
	case *fdPort:
		if p.kind == kindTAP {
			return "tap", ""
		}
		return IOMmsg, p.ioNote
	}
	return "", ""
}

// ringGeom is the layout of one ring: frames slots of frameSize bytes,
// perBlock to a block of blockSize bytes.
type ringGeom struct {
	blockSize, frameSize, perBlock, frames int
}

func newRingGeom(frames, def int) ringGeom {
	if frames <= 0 {
		frames = def
	}
	blocks := (frames + ringPerBlock - 1) / ringPerBlock
	return ringGeom{blockSize: ringBlockSize, frameSize: ringFrameSize, perBlock: ringPerBlock, frames: blocks * ringPerBlock}
}

func (g ringGeom) blocks() int { return g.frames / g.perBlock }
func (g ringGeom) size() int   { return g.blocks() * g.blockSize }

// off is the offset of slot i in the ring.
func (g ringGeom) off(i int) int { return (i/g.perBlock)*g.blockSize + (i%g.perBlock)*g.frameSize }

func (g ringGeom) req() unix.TpacketReq {
	return unix.TpacketReq{Block_size: uint32(g.blockSize), Block_nr: uint32(g.blocks()),
		Frame_size: uint32(g.frameSize), Frame_nr: uint32(g.frames)}
}

// slotStatus is the status word of the slot at off (the first field of
// tpacket2_hdr), shared with the kernel.
func slotStatus(mem []byte, off int) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off+tpStatus])) }

// rxRing walks the receive ring: the kernel fills slots in order and sets
// TP_STATUS_USER; we take them in the same order and give each back
// (TP_STATUS_KERNEL) as soon as its frame is copied out.
type rxRing struct {
	g    ringGeom
	mem  []byte
	head int
}

// peek returns the slot at the head if the kernel has handed it over.
func (q *rxRing) peek() ([]byte, bool) {
	off := q.g.off(q.head)
	if atomic.LoadUint32(slotStatus(q.mem, off))&unix.TP_STATUS_USER == 0 {
		return nil, false
	}
	return q.mem[off : off+q.g.frameSize], true
}

// release gives the head slot back to the kernel and moves on.
func (q *rxRing) release() {
	atomic.StoreUint32(slotStatus(q.mem, q.g.off(q.head)), unix.TP_STATUS_KERNEL)
	if q.head++; q.head == q.g.frames {
		q.head = 0
	}
}

// rxFrame is what one receive slot's header says.
type rxFrame struct {
	status    uint32
	wireLen   int    // tp_len: the frame's length
	data      []byte // tp_snaplen bytes at tp_mac (shorter than wireLen: truncated)
	vnet      []byte // the virtio-net header before the frame (nil without)
	tci, tpid uint16
}

var errRingSlot = errors.New("ports: ring slot header outside its slot")

// walkRxFrame reads the tpacket2_hdr of slot f, which the kernel wrote, and
// checks every offset against the slot.
func walkRxFrame(f []byte, vnet bool) (rxFrame, error) {
	var fr rxFrame
	if len(f) < tpHdrSize {
		return fr, errRingSlot
	}
	ne := binary.NativeEndian
	fr.status = ne.Uint32(f[tpStatus:])
	fr.wireLen = int(ne.Uint32(f[tpLen:]))
	snap := int(ne.Uint32(f[tpSnaplen:]))
	mac := int(ne.Uint16(f[tpMac:]))
	lo := tpHdrSize
	if vnet {
		lo += VnetHdrLen
	}
	if mac < lo || mac > len(f) || snap > len(f)-mac {
		return fr, errRingSlot
	}
	fr.data = f[mac : mac+snap]
	if vnet {
		fr.vnet = f[mac-VnetHdrLen : mac]
	}
	fr.tci = ne.Uint16(f[tpVlanTCI:])
	fr.tpid = ne.Uint16(f[tpVlanTPID:])
	return fr, nil
}

// txRing fills the transmit ring: slots in order from the head, each
// TP_STATUS_AVAILABLE until we mark it TP_STATUS_SEND_REQUEST; the kernel
// sends from its own head (the same slot) on send() and gives a slot back
// when the frame's skb is released.
type txRing struct {
	g    ringGeom
	mem  []byte
	head int
}

// maxData is the most a transmit slot carries (virtio-net header included).
func (q *txRing) maxData() int { return q.g.frameSize - tpTxData }

// put copies a frame (with header h when vnet) into the head slot and marks
// it for sending; false when the slot is still the kernel's (ring full).
func (q *txRing) put(h *VnetHdr, data []byte, vnet bool) bool {
	off := q.g.off(q.head)
	st := slotStatus(q.mem, off)
	switch atomic.LoadUint32(st) {
	case unix.TP_STATUS_AVAILABLE, unix.TP_STATUS_WRONG_FORMAT:
	default:
		return false
	}
	d := q.mem[off+tpTxData : off+q.g.frameSize]
	n := 0
	if vnet {
		h.Encode(d)
		n = VnetHdrLen
	}
	n += copy(d[n:], data)
	binary.NativeEndian.PutUint32(q.mem[off+tpLen:], uint32(n))
	atomic.StoreUint32(st, unix.TP_STATUS_SEND_REQUEST)
	if q.head++; q.head == q.g.frames {
		q.head = 0
	}
	return true
}

// reclaim runs after the kick: of the n slots put from first on, the kernel
// took a prefix (tpacket_snd stops at the first it cannot send and leaves
// it and the rest TP_STATUS_SEND_REQUEST). reclaim takes the rest back
// (TP_STATUS_AVAILABLE: dropped, never waited for), moves the head back to
// the first of them, where the kernel's own head stopped, and returns how
// many were taken.
func (q *txRing) reclaim(first, n int) int {
	for k := 0; k < n; k++ {
		i := (first + k) % q.g.frames
		st := slotStatus(q.mem, q.g.off(i))
		if atomic.LoadUint32(st) != unix.TP_STATUS_SEND_REQUEST {
			continue
		}
		for j := k; j < n; j++ {
			atomic.StoreUint32(slotStatus(q.mem, q.g.off((first+j)%q.g.frames)), unix.TP_STATUS_AVAILABLE)
		}
		q.head = i
		return k
	}
	return n
}

// ringSetup is a socket's rings, set up and mapped: the receive ring, then
// the transmit ring.
type ringSetup struct {
	rx, tx ringGeom
	mem    []byte
}

// setupRing gives socket fd (PACKET_VNET_HDR already set, not yet bound)
// a TPACKET_V2 receive and transmit ring and maps them. On failure the
// socket is left without rings.
func setupRing(fd int, o ringOptions) (*ringSetup, error) {
	rg, tg := newRingGeom(o.frames, ringRxFramesDef), newRingGeom(o.frames, ringTxFramesDef)
	if rg.blocks() > 1<<31 {
		return nil, fmt.Errorf("a ring of %d slots is too large", o.frames)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("PACKET_VERSION TPACKET_V2: %w", err)
	}
	// A frame the kernel cannot send is skipped, not left blocking the
	// ring's head (tpacket_snd's tp_loss).
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_LOSS, 1); err != nil {
		return nil, fmt.Errorf("PACKET_LOSS: %w", err)
	}
	req := rg.req()
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fmt.Errorf("PACKET_RX_RING of %d slots of %d bytes: %w", rg.frames, rg.frameSize, err)
	}
	free := func(opt int) {
		var z unix.TpacketReq
		unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, opt, &z)
	}
	req = tg.req()
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &req); err != nil {
		free(unix.PACKET_RX_RING)
		return nil, fmt.Errorf("PACKET_TX_RING of %d slots of %d bytes: %w", tg.frames, tg.frameSize, err)
	}
	size := rg.size() + tg.size()
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		free(unix.PACKET_TX_RING)
		free(unix.PACKET_RX_RING)
		return nil, fmt.Errorf("mmap of %d bytes: %w", size, err)
	}
	return &ringSetup{rx: rg, tx: tg, mem: mem}, nil
}

// ringPort is an AF_PACKET port whose frames move through packet rings. It
// borrows fdPort's name, control socket, counters and accessors; its
// socket is not in Go's netpoller: ReadBatch waits in poll(2) (fdWaiter,
// which Close wakes) on the receive loop's thread (LockRxThread: ringPort
// is a kernelWaiter through fdPort).
type ringPort struct {
	*fdPort
	fd   int
	w    *fdWaiter
	mem  []byte
	logf func(format string, args ...any)

	rmu     sync.Mutex
	rx      rxRing
	errSeen atomic.Bool // the socket reported an error: check on idle wake-ups whether the interface is gone
	gone    bool        // it is: ReadBatch says ErrDeviceGone from now on

	tmu     sync.Mutex
	tx      txRing
	pendLen [packet.MaxBatch]int

	truncated atomic.Uint64
}

func newRingPort(name string, fd, ifindex int, ctl *ctlSock, rs *ringSetup, o options) (*ringPort, error) {
	w, err := newFDWaiter()
	if err != nil {
		return nil, err
	}
	half := rs.rx.size()
	p := &ringPort{
		fdPort: &fdPort{name: name, kind: kindAFPacket, vnet: true, ctl: ctl, ifindex: ifindex},
		fd:     fd, w: w, mem: rs.mem, logf: o.ring.logf,
		rx: rxRing{g: rs.rx, mem: rs.mem[:half]},
		tx: txRing{g: rs.tx, mem: rs.mem[half:]},
	}
	p.MTU()
	return p, nil
}

// Close implements Port: it wakes a waiting ReadBatch, waits for it and a
// running WriteBatch to leave the rings, then unmaps them and closes the
// socket.
func (p *ringPort) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.w.Close()
	p.rmu.Lock()
	p.tmu.Lock()
	err := unix.Munmap(p.mem)
	p.mem, p.rx.mem, p.tx.mem = nil, nil, nil
	if e := unix.Close(p.fd); err == nil {
		err = e
	}
	p.ctl.close()
	p.tmu.Unlock()
	p.rmu.Unlock()
	return err
}

// ReadBatch implements Port.
func (p *ringPort) ReadBatch(pkts []*packet.Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	p.rmu.Lock()
	defer p.rmu.Unlock()
	want := min(len(pkts), packet.MaxBatch)
	for {
		if p.closed.Load() {
			return 0, net.ErrClosed
		}
		if p.gone {
			return 0, p.goneErr()
		}
		n, bytes := p.drain(pkts[:want])
		if n > 0 {
			p.ctr.Rx(n, bytes)
			return n, nil
		}
		if p.spin() {
			continue
		}
		if err := p.wait(); err != nil {
			return 0, err
		}
	}
}

// drain copies the frames the kernel handed over into pkts, giving each
// slot back at once, and returns how many it kept.
func (p *ringPort) drain(pkts []*packet.Packet) (n, bytes int) {
	for scanned := 0; n < len(pkts) && scanned < p.rx.g.frames; scanned++ {
		f, ok := p.rx.peek()
		if !ok {
			break
		}
		if p.take(pkts[n], f) {
			bytes += len(pkts[n].Data)
			n++
		}
		p.rx.release()
	}
	return n, bytes
}

// spin watches the ring for a few microseconds before the thread sleeps,
// so a frame that is on its way does not cost a sleep and a wake-up.
func (p *ringPort) spin() bool {
	start := time.Now()
	for time.Since(start) < ringSpin {
		if _, ok := p.rx.peek(); ok {
			return true
		}
	}
	return false
}

// wait sleeps in poll(2) until the kernel hands a slot over, Close wakes
// it, or the safety timeout passes. An interface that goes down or away
// sets the socket's error (packet_notifier): it is read (which clears it)
// and counted; from then on each wake-up without frames checks whether
// the interface is gone (ErrDeviceGone, as fdPort's ReadBatch) or only
// down (the wait goes on).
func (p *ringPort) wait() error {
	rev, err := p.w.Wait(p.fd, unix.POLLIN, ringPollTimeout)
	if err != nil {
		if errors.Is(err, net.ErrClosed) || p.closed.Load() {
			return net.ErrClosed
		}
		p.ctr.RxError()
		return fmt.Errorf("ports: af_packet %q: %w", p.name, err)
	}
	return p.afterWait(rev)
}

// afterWait handles what a wait without frames reported (rev: the poll
// bits, 0 after a timeout), rmu held.
func (p *ringPort) afterWait(rev int16) error {
	if rev&unix.POLLNVAL != 0 {
		return fmt.Errorf("ports: af_packet %q: socket no longer valid", p.name)
	}
	if rev&unix.POLLERR != 0 {
		unix.GetsockoptInt(p.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		p.ctr.RxError()
		p.errSeen.Store(true)
	}
	if p.errSeen.Load() && rev&unix.POLLIN == 0 && p.deviceGone(unix.ENETDOWN) {
		p.gone = true
	}
	return nil
}

// take copies slot f's frame into pk and describes it as finishRx does.
func (p *ringPort) take(pk *packet.Packet, f []byte) bool {
	fr, err := walkRxFrame(f, true)
	if err != nil {
		p.ctr.Drop(DropRxBadVnetHdr, 1)
		return false
	}
	l := len(fr.data)
	if l < fr.wireLen || l >= len(pk.RxSpace()) {
		// The slot holds 64 KiB and the kernel cut the frame to it (a
		// BIG TCP super-frame?), or the buffer is smaller: never passed on
		// cut short.
		p.ctr.Drop(DropRxTruncated, 1)
		if c := p.truncated.Add(1); c&(c-1) == 0 {
			p.logff("ports: af_packet %q: dropped a %d-byte frame that the packet ring cut to %d bytes (%d so far); use WithIO(%q) for frames over 64 KiB",
				p.name, fr.wireLen, l, c, IOMmsg)
		}
		return false
	}
	pk.SetLen(copy(pk.RxSpace(), fr.data))
	var h VnetHdr
	h.Decode(fr.vnet)
	off, err := h.Offload(l)
	if err != nil {
		p.ctr.Drop(DropRxBadVnetHdr, 1)
		return false
	}
	if fr.status&unix.TP_STATUS_VLAN_VALID != 0 {
		tpid := uint16(packet.EthTypeVLAN)
		if fr.status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && fr.tpid != 0 {
			tpid = fr.tpid
		}
		if !pk.Grow(12, 4) {
			p.ctr.Drop(DropRxTruncated, 1)
			return false
		}
		binary.BigEndian.PutUint16(pk.Data[12:], tpid)
		binary.BigEndian.PutUint16(pk.Data[14:], fr.tci)
		if off.CsumStart != 0 {
			off.CsumStart += 4
		}
		if off.HdrLen != 0 {
			off.HdrLen += 4
		}
	}
	pk.Off = off
	if off.CsumStart != 0 {
		pk.Key.Flags |= packet.FlagCsumPartial
	} else {
		pk.Key.Flags &^= packet.FlagCsumPartial
	}
	return true
}

func (p *ringPort) logff(format string, args ...any) {
	if p.logf != nil {
		p.logf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// WriteBatch implements Port: each frame is copied into a transmit slot
// with its virtio-net header, then one send(MSG_DONTWAIT) kicks the batch.
// It never waits: when the head slot is still the kernel's, or the kernel
// takes only part of the batch (EAGAIN, ENOBUFS), the rest is dropped and
// counted (DropTxFull).
func (p *ringPort) WriteBatch(pkts []*packet.Packet) error {
	if p.closed.Load() {
		return net.ErrClosed
	}
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.closed.Load() {
		return net.ErrClosed
	}
	q := &p.tx
	first, n := q.head, 0
	for i, pk := range pkts {
		if n == len(p.pendLen) {
			p.kick(first, n)
			first, n = q.head, 0
		}
		var h VnetHdr
		if err := prepareVnet(pk.Data, &pk.Off, &h); err != nil {
			p.ctr.Drop(DropTxOffload, 1)
			continue
		}
		if len(pk.Data) == 0 {
			p.ctr.Drop(DropTxError, 1)
			continue
		}
		if len(pk.Data)+VnetHdrLen > q.maxData() {
			p.ctr.Drop(DropTxTooBig, 1)
			continue
		}
		if !q.put(&h, pk.Data, true) {
			p.ctr.Drop(DropTxFull, len(pkts)-i)
			break
		}
		p.pendLen[n] = len(pk.Data)
		n++
	}
	if n > 0 {
		p.kick(first, n)
	}
	return nil
}

// kick asks the kernel to send the n slots put from first on, then takes
// back and counts what it did not take.
func (p *ringPort) kick(first, n int) {
	var e syscall.Errno
	var ret uintptr
	for {
		ret, _, e = unix.Syscall6(unix.SYS_SENDTO, uintptr(p.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		if e != unix.EINTR {
			break
		}
	}
	took := p.tx.reclaim(first, n)
	rest := n - took
	bytes := 0
	for _, l := range p.pendLen[:took] {
		bytes += l
	}
	if e == 0 && int(ret) < bytes && took > 0 {
		// With PACKET_LOSS the kernel skips a frame it refuses (a header
		// virtio_net_hdr_to_skb rejects) and only the byte count shows it.
		p.ctr.TxError()
		p.ctr.Drop(DropTxError, 1)
		took--
		bytes = int(ret)
	}
	p.ctr.Tx(took, bytes)
	if rest > 0 {
		switch e {
		case 0, unix.EAGAIN, unix.ENOBUFS:
			// 0: the kernel stopped at a full send buffer after sending
			// some (tpacket_snd returns their bytes).
			p.ctr.Drop(DropTxFull, rest)
		default:
			p.ctr.TxError()
			p.ctr.Drop(DropTxError, rest)
		}
	}
}

// KindOf is what `show` calls port p: kind followed by its I/O ("afpacket
// ring", "afpacket mmsg"); kind alone for a port that is not AF_PACKET or
// nil.
func KindOf(p Port, kind string) string {
	if p == nil {
		return kind
	}
	switch m, _ := IOOf(p); m {
	case IORing, IOMmsg:
		return kind + " " + m
	}
	return kind
}
