package ports

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gswitch/packet"
)

// Option changes how a port is opened.
type Option func(*options)

type options struct {
	noVnet    bool
	setUp     bool
	leaveDown bool
	bufBytes  int
	hwaddr    net.HardwareAddr
	ring      ringOptions // ring_linux.go
}

func buildOptions(opts []Option) options {
	o := options{bufBytes: 8 << 20}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithoutVnetHdr opens the port without virtio-net headers: the kernel
// completes checksums and segments before handing frames over, and frames
// written with offload are segmented and checksummed in software. Mostly for
// tests and for kernels or devices that refuse PACKET_VNET_HDR.
func WithoutVnetHdr() Option { return func(o *options) { o.noVnet = true } }

// WithLinkUp sets the interface administratively up when the port opens (as
// ovs-vswitchd does for the ports it adds). A TAP is set up unless WithLinkDown.
func WithLinkUp() Option { return func(o *options) { o.setUp = true } }

// WithHWAddr gives a TAP device the Ethernet address mac before it is set
// up (as ovs-vswitchd gives a bridge's internal port the bridge's address).
func WithHWAddr(mac net.HardwareAddr) Option { return func(o *options) { o.hwaddr = mac } }

// WithLinkDown leaves a TAP administratively down, as ovs-vswitchd creates
// internal and tap interfaces (the user brings them up).
func WithLinkDown() Option { return func(o *options) { o.leaveDown = true } }

// WithSocketBuffer sets the AF_PACKET socket's receive and send buffer sizes
// (default 8 MiB each; GSO frames are up to 64 KiB).
func WithSocketBuffer(bytes int) Option { return func(o *options) { o.bufBytes = bytes } }

type portKind uint8

const (
	kindAFPacket portKind = iota
	kindTAP
)

const cmsgLen = 64 // room for one tpacket_auxdata control message

// fdPort is a Port over one non-blocking file descriptor: an AF_PACKET
// socket (recvmmsg/sendmmsg) or a TAP (readv/writev per frame). The
// descriptor is not in Go's netpoller: ReadBatch drains it and then waits
// in poll(2) on its own thread (rxw); WriteBatch never waits in the
// netpoller either. The os.File around it is not pollable and is kept for its
// reference count: Close marks it closed and wakes rxw, and the kernel
// descriptor is closed when the last read or write in flight has returned,
// so no call ever uses a descriptor number the kernel gave to someone else.
type fdPort struct {
	name   string
	kind   portKind
	vnet   bool
	file   *os.File
	rc     syscall.RawConn
	ctl    *ctlSock
	closed atomic.Bool
	ctr    Counters

	rxw     *fdWaiter   // ReadBatch waits in it; Close wakes it
	ifindex int         // the AF_PACKET socket's interface (for deviceGone)
	gone    atomic.Bool // ReadBatch found the interface gone
	// linkDown: the socket reported ENETDOWN and the interface still
	// existed; until it is up again, waits recheck (linkDownRecheck)
	// whether the kernel has since unbound the socket (the interface was
	// deleted: it goes down first, and no second error comes).
	linkDown atomic.Bool

	mtuCache atomic.Int32 // the MTU last read (for inferOffload)
	ioNote   string       // why an AF_PACKET port has no ring (IOOf)

	rxmu    sync.Mutex
	rx      rxState
	rxFn    func(uintptr) bool
	rxNowFn func(uintptr) bool

	txmu   sync.Mutex
	tx     txState
	txFn   func(uintptr) bool
	seg    Segmenter
	emitFn func([]byte)
}

type rxState struct {
	msgs      [packet.MaxBatch]unix.Mmsghdr
	iovs      [packet.MaxBatch][2]unix.Iovec
	hdrs      [packet.MaxBatch][VnetHdrLen]byte
	cmsg      [packet.MaxBatch][cmsgLen]byte
	want, got int
	err       syscall.Errno
	closed    bool   // the wait ended because the port was closed
	events    uint32 // ReadNow: what the caller's wait reported
}

const txArenaSize = 4 * packet.BufSize

type txState struct {
	msgs     [packet.MaxBatch]unix.Mmsghdr
	iovs     [packet.MaxBatch][2]unix.Iovec
	hdrs     [packet.MaxBatch][VnetHdrLen]byte
	n        int // staged messages
	start    int // first message not yet sent
	sent     int // result of the last call
	err      syscall.Errno
	arena    []byte // segment copies, valid until the next flush
	arenaUse int
}

func newFDPort(name string, kind portKind, fd int, vnet bool, ctl *ctlSock, o options) (*fdPort, error) {
	// os.NewFile registers a non-blocking descriptor with the netpoller
	// and leaves a blocking one out: hand it over blocking, then make it
	// non-blocking again for our own calls.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), string(kindName(kind))+":"+name)
	rc, err := f.SyscallConn()
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	var w *fdWaiter
	if err == nil {
		w, err = newFDWaiter()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &fdPort{name: name, kind: kind, vnet: vnet, file: f, rc: rc, rxw: w, ctl: ctl}
	if kind == kindAFPacket {
		p.ifindex, _ = ctl.index()
	}
	p.rxFn = p.rxCall
	p.rxNowFn = p.rxNowCall
	p.txFn = p.txCall
	p.emitFn = p.emitSegment
	p.MTU()
	return p, nil
}

func kindName(k portKind) string {
	if k == kindTAP {
		return "tap"
	}
	return "afpacket"
}

func (p *fdPort) Name() string             { return p.name }
func (p *fdPort) HWAddr() net.HardwareAddr { return p.ctl.hwAddr() }

// SetHWAddr sets the interface's Ethernet address (SIOCSIFHWADDR), as
// OVS's netdev_set_etheraddr.
func (p *fdPort) SetHWAddr(mac net.HardwareAddr) error { return p.ctl.setHWAddr(mac) }
func (p *fdPort) MTU() int {
	m := p.ctl.mtu()
	p.mtuCache.Store(int32(m))
	return m
}
func (p *fdPort) LinkUp() bool { return !p.closed.Load() && p.ctl.linkUp() }

// AdminUp reports whether the interface is administratively up (IFF_UP),
// whatever its carrier.
func (p *fdPort) AdminUp() bool {
	f, err := p.ctl.flags()
	return !p.closed.Load() && err == nil && f&unix.IFF_UP != 0
}
func (p *fdPort) Stats() Stats { return p.ctr.Snapshot() }

// VnetHdr reports whether the port exchanges virtio-net headers with the
// kernel (and so passes offloads through instead of doing them in software).
func (p *fdPort) VnetHdr() bool { return p.vnet }

func (p *fdPort) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.rxw.Close()
	err := p.file.Close()
	p.ctl.close()
	return err
}

// rxCall is ReadBatch's RawConn.Read callback (run with the descriptor
// held open): it reads what is there and, when nothing is, waits in
// poll(2) on this thread until something is or the port is closed. It
// always reports true (the descriptor is not pollable by Go).
func (p *fdPort) rxCall(fd uintptr) bool {
	r := &p.rx
	for !p.rxOnce(fd) {
		tmo := time.Duration(-1)
		if p.linkDown.Load() {
			tmo = linkDownRecheck
		}
		rev, err := p.rxw.Wait(int(fd), unix.POLLIN, tmo)
		if err != nil {
			r.closed = true
			return true
		}
		if rev == 0 && tmo >= 0 {
			if boundIfindex(int(fd)) == -1 {
				r.err = unix.ENODEV // unbound by the kernel: the interface is gone
				return true
			}
			if f, err := p.ctl.flags(); err == nil && f&unix.IFF_UP != 0 {
				p.linkDown.Store(false) // up again: back to waiting without a timeout
			}
		}
		if rev&(unix.POLLHUP|unix.POLLNVAL) != 0 && rev&unix.POLLIN == 0 {
			// Hung up: report it rather than poll again at once.
			if !p.rxOnce(fd) {
				r.err = unix.EPIPE
			}
			return true
		}
	}
	return true
}

// rxNowCall is ReadNow's RawConn.Read callback: rxCall without the wait.
// When nothing is there it does what rxCall does after a wait that
// reported r.events: a hang-up is an error, and a recheck (events 0) of a
// socket whose link went down looks whether the kernel has unbound it.
func (p *fdPort) rxNowCall(fd uintptr) bool {
	r := &p.rx
	if p.rxOnce(fd) {
		return true
	}
	rev := r.events
	if rev == 0 && p.linkDown.Load() {
		if boundIfindex(int(fd)) == -1 {
			r.err = unix.ENODEV // unbound by the kernel: the interface is gone
			return true
		}
		if f, err := p.ctl.flags(); err == nil && f&unix.IFF_UP != 0 {
			p.linkDown.Store(false)
		}
	}
	if rev&(unix.POLLHUP|unix.POLLNVAL) != 0 && rev&unix.POLLIN == 0 {
		r.err = unix.EPIPE
	}
	return true
}

// rxOnce reads without waiting; it reports false when there was nothing.
func (p *fdPort) rxOnce(fd uintptr) bool {
	r := &p.rx
	if p.kind == kindAFPacket {
		for {
			n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])),
				uintptr(r.want), unix.MSG_DONTWAIT, 0, 0)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			case 0:
				r.got = int(n)
			default:
				r.err = e
			}
			return true
		}
	}
	for r.got < r.want {
		m := &r.msgs[r.got]
		n, _, e := unix.Syscall(unix.SYS_READV, fd, uintptr(unsafe.Pointer(m.Hdr.Iov)), uintptr(m.Hdr.Iovlen))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return r.got > 0
		case 0:
			m.Len = uint32(n)
			r.got++
		default:
			r.err = e
			return true
		}
	}
	return true
}

// ReadBatch implements Port.
func (p *fdPort) ReadBatch(pkts []*packet.Packet) (int, error) {
	return p.read(pkts, true, 0)
}

// read is ReadBatch (wait) or ReadNow (events: what the caller's wait
// reported, 0 for a recheck).
func (p *fdPort) read(pkts []*packet.Packet, wait bool, events uint32) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	p.rxmu.Lock()
	defer p.rxmu.Unlock()
	r := &p.rx
	fn := p.rxFn
	if !wait {
		fn = p.rxNowFn
	}
	want := min(len(pkts), packet.MaxBatch)
	for {
		for i := 0; i < want; i++ {
			sp := pkts[i].RxSpace()
			iov := &r.iovs[i]
			nio := 0
			if p.vnet {
				iov[0].Base = &r.hdrs[i][0]
				iov[0].SetLen(VnetHdrLen)
				nio = 1
			}
			iov[nio].Base = &sp[0]
			iov[nio].SetLen(len(sp))
			m := &r.msgs[i]
			m.Len = 0
			m.Hdr.Iov = &iov[0]
			m.Hdr.SetIovlen(nio + 1)
			m.Hdr.Flags = 0
			if p.kind == kindAFPacket {
				m.Hdr.Control = &r.cmsg[i][0]
				m.Hdr.SetControllen(cmsgLen)
			}
		}
		if p.closed.Load() {
			return 0, net.ErrClosed
		}
		if p.gone.Load() {
			return 0, p.goneErr()
		}
		r.want, r.got, r.err, r.closed, r.events = want, 0, 0, false, events
		if err := p.rc.Read(fn); err != nil || r.closed {
			if p.closed.Load() || r.closed {
				return 0, net.ErrClosed
			}
			return 0, err
		}
		n := p.finishRx(pkts, r.got)
		if r.err != 0 {
			if p.closed.Load() {
				return 0, net.ErrClosed
			}
			p.ctr.RxError()
			if n == 0 && p.deviceGone(r.err) {
				p.gone.Store(true)
				return 0, p.goneErr()
			}
			if p.kind == kindAFPacket && (r.err == unix.ENETDOWN || r.err == unix.ENXIO) {
				p.linkDown.Store(true)
			}
			if !transientRxErr(r.err) && n == 0 {
				return 0, os.NewSyscallError(kindName(p.kind)+" read", r.err)
			}
		}
		if n > 0 {
			return n, nil
		}
		if p.closed.Load() {
			return 0, net.ErrClosed
		}
		if !wait {
			return 0, nil
		}
	}
}

// deviceGone reports whether the receive error e means that the interface
// itself is gone (deleted, or moved to another namespace): for a socket,
// the kernel reports ENETDOWN once and the name no longer leads to the
// bound interface; for a TAP, the device is detached from the file (EBADFD).
func (p *fdPort) deviceGone(e syscall.Errno) bool {
	if p.kind == kindTAP {
		return e == unix.EBADFD
	}
	if e != unix.ENETDOWN && e != unix.ENXIO && e != unix.ENODEV {
		return false
	}
	idx, err := p.ctl.index()
	return errors.Is(err, unix.ENODEV) || (err == nil && idx != p.ifindex)
}

// linkDownRecheck is how often a receive wait on a socket whose link went
// down checks whether the interface was deleted.
const linkDownRecheck = 100 * time.Millisecond

// boundIfindex is the interface index an AF_PACKET socket is bound to: -1
// once the kernel has unbound it (the interface was unregistered), 0 when
// fd is not such a socket or the call failed.
func boundIfindex(fd int) int {
	sa, err := unix.Getsockname(fd)
	if ll, ok := sa.(*unix.SockaddrLinklayer); err == nil && ok {
		return ll.Ifindex
	}
	return 0
}

func (p *fdPort) goneErr() error {
	return fmt.Errorf("ports: %s %q: %w", kindName(p.kind), p.name, ErrDeviceGone)
}

// transientRxErr reports errors after which reading goes on: the interface
// went down (sk_err is set once), a signal, a kernel buffer shortage.
func transientRxErr(e syscall.Errno) bool {
	switch e {
	case unix.ENETDOWN, unix.ENOBUFS, unix.ENOMEM, unix.EINTR, unix.ENXIO:
		return true
	}
	return false
}

// finishRx turns the got received messages into packets, compacting kept
// ones to the front of pkts, and returns how many were kept.
func (p *fdPort) finishRx(pkts []*packet.Packet, got int) int {
	r := &p.rx
	w, bytes := 0, 0
	for i := 0; i < got; i++ {
		m := &r.msgs[i]
		pk := pkts[i]
		l := int(m.Len)
		if p.vnet {
			l -= VnetHdrLen
		}
		if m.Hdr.Flags&unix.MSG_TRUNC != 0 || l < 0 || l >= len(pk.RxSpace()) {
			p.ctr.Drop(DropRxTruncated, 1)
			continue
		}
		pk.SetLen(l)
		var off packet.Offload
		if p.vnet {
			var h VnetHdr
			h.Decode(r.hdrs[i][:])
			var err error
			if off, err = h.Offload(l); err != nil {
				p.ctr.Drop(DropRxBadVnetHdr, 1)
				continue
			}
		}
		if p.kind == kindAFPacket && m.Hdr.Controllen > 0 {
			aux, ok := auxData(r.cmsg[i][:m.Hdr.Controllen])
			if ok && aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
				// The kernel took the tag out of the frame (VLAN
				// acceleration, or skb_vlan_untag on receive); put it
				// back where it was.
				tpid := uint16(packet.EthTypeVLAN)
				if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && aux.Vlan_tpid != 0 {
					tpid = aux.Vlan_tpid
				}
				if !pk.Grow(12, 4) {
					p.ctr.Drop(DropRxTruncated, 1)
					continue
				}
				binary.BigEndian.PutUint16(pk.Data[12:], tpid)
				binary.BigEndian.PutUint16(pk.Data[14:], aux.Vlan_tci)
				if off.CsumStart != 0 {
					off.CsumStart += 4
				}
				if off.HdrLen != 0 {
					off.HdrLen += 4
				}
			}
			if ok && !p.vnet && aux.Status&unix.TP_STATUS_CSUMNOTREADY != 0 {
				off = p.inferOffload(pk.Data)
			}
		}
		pk.Off = off
		if off.CsumStart != 0 {
			pk.Key.Flags |= packet.FlagCsumPartial
		} else {
			pk.Key.Flags &^= packet.FlagCsumPartial
		}
		bytes += len(pk.Data)
		if w != i {
			pkts[w], pkts[i] = pkts[i], pkts[w]
		}
		w++
	}
	p.ctr.Rx(w, bytes)
	return w
}

// auxData finds the PACKET_AUXDATA control message.
func auxData(b []byte) (*unix.TpacketAuxdata, bool) {
	const hdr = int(unsafe.Sizeof(unix.Cmsghdr{}))
	for len(b) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < hdr || l > len(b) {
			return nil, false
		}
		if h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && l >= hdr+int(unsafe.Sizeof(unix.TpacketAuxdata{})) {
			return (*unix.TpacketAuxdata)(unsafe.Pointer(&b[hdr])), true
		}
		al := (l + 7) &^ 7
		if al > len(b) {
			break
		}
		b = b[al:]
	}
	return nil, false
}

// inferOffload describes, for a socket without virtio-net headers, a frame
// the kernel marked TP_STATUS_CSUMNOTREADY: its checksum is partial (at the
// L4 header found by parsing), and a TCP frame longer than the MTU is a GSO
// frame, cut at the MTU. Without virtio-net headers that is all one can
// know; a UDP GSO frame stays one oversized datagram (and is dropped where
// it cannot go). Use virtio-net headers.
func (p *fdPort) inferOffload(f []byte) packet.Offload {
	in, ok := locate(f)
	if !ok {
		return packet.Offload{}
	}
	o := packet.Offload{CsumStart: uint16(in.l4), CsumOffset: uint16(in.csumOff), HdrLen: uint16(in.hdrLen)}
	if mtu := int(p.mtuCache.Load()); in.proto == packet.ProtoTCP && in.end-in.l3 > mtu {
		mtu = p.MTU() // it may have grown
		if mss := mtu - (in.hdrLen - in.l3); mtu > 0 && in.end-in.l3 > mtu && mss > 0 {
			o.GSOType, o.GSOSize = GSOTCPv6, uint16(mss)
			if in.ipv4 {
				o.GSOType = GSOTCPv4
			}
		}
	}
	return o
}

// WriteBatch implements Port.
func (p *fdPort) WriteBatch(pkts []*packet.Packet) error {
	if p.closed.Load() {
		return net.ErrClosed
	}
	p.txmu.Lock()
	defer p.txmu.Unlock()
	t := &p.tx
	t.n, t.arenaUse = 0, 0
	for _, pk := range pkts {
		if p.closed.Load() {
			return net.ErrClosed
		}
		if p.vnet {
			var h VnetHdr
			if err := prepareVnet(pk.Data, &pk.Off, &h); err != nil {
				p.ctr.Drop(DropTxOffload, 1)
				continue
			}
			p.stage(&h, pk.Data)
			continue
		}
		if IsGSO(&pk.Off) {
			if err := p.seg.Segment(pk.Data, &pk.Off, p.emitFn); err != nil {
				p.ctr.Drop(DropTxOffload, 1)
				continue
			}
			p.ctr.Segmented()
			continue
		}
		if CsumPartial(&pk.Off) {
			if err := recomputeOffloadChecksum(pk.Data, &pk.Off); err != nil {
				p.ctr.Drop(DropTxOffload, 1)
				continue
			}
			p.ctr.CsumFinished()
		}
		p.stage(nil, pk.Data)
	}
	p.flush()
	if p.closed.Load() {
		return net.ErrClosed
	}
	return nil
}

// emitSegment copies one software segment into the arena and stages it.
func (p *fdPort) emitSegment(b []byte) {
	t := &p.tx
	if t.arena == nil {
		t.arena = make([]byte, txArenaSize)
	}
	if t.n == packet.MaxBatch || t.arenaUse+len(b) > len(t.arena) {
		p.flush() // (stage must not flush: the arena would be reused under c)
	}
	c := t.arena[t.arenaUse : t.arenaUse+copy(t.arena[t.arenaUse:], b)]
	t.arenaUse += len(b)
	p.stage(nil, c)
}

// stage queues one frame (with header h, or a zero header) for sending,
// flushing first when the queue is full. The frame must stay put until the
// flush.
func (p *fdPort) stage(h *VnetHdr, data []byte) {
	t := &p.tx
	if len(data) == 0 {
		p.ctr.Drop(DropTxError, 1)
		return
	}
	if t.n == packet.MaxBatch {
		p.flush()
	}
	i := t.n
	iov := &t.iovs[i]
	nio := 0
	if p.vnet {
		if h != nil {
			h.Encode(t.hdrs[i][:])
		} else {
			t.hdrs[i] = [VnetHdrLen]byte{}
		}
		iov[0].Base = &t.hdrs[i][0]
		iov[0].SetLen(VnetHdrLen)
		nio = 1
	}
	iov[nio].Base = &data[0]
	iov[nio].SetLen(len(data))
	m := &t.msgs[i]
	m.Hdr = unix.Msghdr{Iov: &iov[0]}
	m.Hdr.SetIovlen(nio + 1)
	m.Len = 0
	t.n++
}

// txCall is the poller callback of flush: it sends from t.start and records
// how many went (t.sent) or the error (t.err) of the first that did not. It
// never asks the poller to wait: a full output is flush's to handle.
func (p *fdPort) txCall(fd uintptr) bool {
	t := &p.tx
	t.sent, t.err = 0, 0
	for {
		var n uintptr
		var e syscall.Errno
		if p.kind == kindAFPacket {
			n, _, e = unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&t.msgs[t.start])),
				uintptr(t.n-t.start), unix.MSG_DONTWAIT, 0, 0)
		} else {
			m := &t.msgs[t.start+t.sent]
			_, _, e = unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(m.Hdr.Iov)), uintptr(m.Hdr.Iovlen))
			if e == 0 {
				t.sent++
				if t.start+t.sent < t.n {
					continue
				}
				return true
			}
			if t.sent > 0 && e != unix.EINTR {
				return true // report what went; the error comes again
			}
		}
		switch e {
		case unix.EINTR:
			continue
		case 0:
			t.sent = int(n)
		default:
			t.err = e
		}
		return true
	}
}

// flush sends every staged frame, dropping and counting those the kernel
// refuses, and empties the queue. It never waits for room (see txVerdict).
func (p *fdPort) flush() {
	t := &p.tx
	t.start = 0
	for t.start < t.n {
		if err := p.rc.Write(p.txFn); err != nil {
			p.ctr.Drop(DropTxError, t.n-t.start) // the fd is closed
			break
		}
		if t.sent > 0 {
			bytes := 0
			for i := t.start; i < t.start+t.sent; i++ {
				bytes += frameLen(&t.msgs[i])
			}
			p.ctr.Tx(t.sent, bytes)
			t.start += t.sent
			continue
		}
		reason, rest, isErr := txVerdict(t.err)
		if isErr {
			p.ctr.TxError()
		}
		if rest {
			p.ctr.Drop(reason, t.n-t.start)
			break
		}
		p.ctr.Drop(reason, 1)
		t.start++
	}
	t.n, t.arenaUse = 0, 0
}

// txVerdict says what flush does with the frame the kernel refused with e
// (and the frames staged after it): under which reason they are dropped,
// whether the rest of the batch goes with it, and whether it counts as a
// transmit error.
//
// A full output (EAGAIN: the socket's send buffer; ENOBUFS: the device's
// queue, which AF_PACKET reports instead of blocking) drops the rest of
// the batch at once, as OVS's netdev_linux_send does with what sendmmsg did
// not take (it calls that EAGAIN and logs nothing): waiting would hold the
// receive loop that flushes, and the port's flush lock, for every other
// port. EMSGSIZE drops the frame as too big. EIO is a TAP that is down: a
// drop (tx_down), not an error, as OVS 3.1 counts it (its tap device counts a tx drop;
// br-ex under OVN shows tx_dropped alone). Anything else is an error and
// drops the frame.
func txVerdict(e syscall.Errno) (reason DropReason, rest, isErr bool) {
	switch e {
	case unix.EAGAIN, unix.ENOBUFS:
		return DropTxFull, true, false
	case unix.EMSGSIZE:
		return DropTxTooBig, false, false
	case unix.EIO:
		return DropTxDown, false, false
	}
	return DropTxError, false, true
}

func frameLen(m *unix.Mmsghdr) int {
	iov := unsafe.Slice(m.Hdr.Iov, m.Hdr.Iovlen)
	return int(iov[len(iov)-1].Len)
}

func (p *fdPort) waitsInKernel() {}
