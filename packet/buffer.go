package packet

import (
	"net/netip"
	"sync"
)

// Buffer sizes. A frame with GSO from a TAP or AF_PACKET port can be up to
// 64 KiB; Headroom lets push_vlan, and a tunnel port's outer headers (up to
// Ethernet, IPv6, UDP and Geneve with 56 bytes of options), grow a frame
// without moving it.
const (
	Headroom = 128
	BufSize  = 65536 + Headroom + 64
	MaxBatch = 64
)

// Offload describes a frame whose checksum or segmentation the kernel left
// to us (the virtio_net_hdr of PACKET_VNET_HDR and IFF_VNET_HDR ports).
type Offload struct {
	CsumStart  uint16 // offset where the partial checksum starts (valid with FlagCsumPartial)
	CsumOffset uint16 // where, from CsumStart, the checksum field is
	GSOType    uint8  // 0 none, 1 TCPv4, 3 UDP, 4 TCPv6 (VIRTIO_NET_HDR_GSO_*)
	GSOSize    uint16 // segment payload size
	HdrLen     uint16 // headers length, as the kernel reported it
}

// Packet is one frame and everything the datapath knows about it. Packets
// come from a Pool and go back to it; the datapath never keeps one past the
// batch that carried it (ct keeps copies it needs, e.g. fragments).
type Packet struct {
	// Key comes first and Data and Conn right after it, so that
	// the fields a packet's trip through the pipeline and ct touches share
	// as few cache lines as possible (the ct words, nw_frag and the
	// offsets end the Key).
	Key  Key
	Data []byte // the frame, a window of buf starting at or after Headroom
	// Conn is conntrack's cached connection for this packet (set by ct;
	// opaque to everyone else). A later ct action in the connection's
	// zone (without force) finds it here and does not look the packet up
	// again (OVS's ct cache) unless an action rewrote the packet's tuple
	// (ct compares it). Cleared when ct fields are cleared.
	Conn any
	// ConnGen goes with Conn: the generation of the connection's slot
	// when ct cached it, which ct checks before it uses Conn (a
	// connection removed since, its slot perhaps reused by another, is
	// looked up afresh). Meaningless without Conn; copied with it.
	ConnGen uint32
	Off     Offload
	buf     []byte // full backing store, len BufSize
	// Stack is the packet's push/pop stack (Nicira push:/pop:), kept
	// across resubmit and recirculation, copied with the packet.
	Stack Stack
	// Tun is the packet's Geneve option space (tun_metadata0..63): no
	// option is present on a packet from an ordinary port; set_field, load
	// and move write them, and flows that match them read them.
	Tun TunMeta
	// PatchDepth is how many patch ports the packet has crossed from one
	// bridge into another (package datapath bounds it so a patch loop
	// ends); copied with the packet, zero after Reset.
	PatchDepth uint8
	// RxTunDst is the outer destination address the packet was
	// decapsulated from (OVS's orig_tunnel_ipv6_dst: package datapath does
	// not send it back into a tunnel to that address), the zero Addr for a
	// packet that came from no tunnel; copied with the packet, zero after
	// Reset.
	RxTunDst netip.Addr
}

// StackDepth is how many entries a packet's push/pop stack holds.
const StackDepth = 32

// Stack is a push/pop stack of subfield values (up to 128 bits each, held
// right-aligned). It lives in the packet, so it needs no allocation.
type Stack struct {
	N uint8 // entries in use
	V [StackDepth]U128
	// B is each entry's length in bytes as OVS keeps it (the pushed
	// subfield's width rounded up to bytes): a continuation carries it.
	B [StackDepth]uint8
}

// Pool hands out Packets with full-size buffers.
type Pool struct{ p sync.Pool }

// NewPool returns a packet pool.
func NewPool() *Pool {
	return &Pool{p: sync.Pool{New: func() any {
		b := make([]byte, BufSize)
		return &Packet{buf: b, Data: b[Headroom:Headroom]}
	}}}
}

// Get returns a packet with an empty frame of capacity for a full GSO frame.
func (p *Pool) Get() *Packet {
	pk := p.p.Get().(*Packet)
	pk.Reset()
	return pk
}

// Put returns pk to the pool. Packets not made by a Pool (New, Clone, or
// with a smaller buffer) are left to the garbage collector.
func (p *Pool) Put(pk *Packet) {
	if len(pk.buf) == BufSize {
		pk.Conn = nil
		p.p.Put(pk)
	}
}

// New makes a standalone packet holding a copy of frame (tests, packet-out).
func New(frame []byte) *Packet {
	n := len(frame) + Headroom + 64
	if n < 2048 {
		n = 2048
	}
	b := make([]byte, n)
	pk := &Packet{buf: b}
	pk.Data = b[Headroom : Headroom+copy(b[Headroom:], frame)]
	return pk
}

// Reset empties the packet for reuse.
func (pk *Packet) Reset() {
	pk.Data = pk.buf[Headroom:Headroom]
	pk.Key = Key{}
	pk.Off = Offload{}
	pk.Conn = nil
	pk.PatchDepth = 0
	pk.RxTunDst = netip.Addr{}
}

// RxSpace returns the buffer space a receive call may fill; call SetLen after.
func (pk *Packet) RxSpace() []byte { return pk.buf[Headroom:] }

// SetLen sets the frame to the first n bytes of RxSpace.
func (pk *Packet) SetLen(n int) { pk.Data = pk.buf[Headroom : Headroom+n] }

// Clone returns a deep copy of pk (used by the ct(table=N) fork and by
// multiple outputs that rewrite the frame).
func (pk *Packet) Clone() *Packet {
	c := &Packet{buf: make([]byte, len(pk.buf))}
	start := cap(pk.buf) - cap(pk.Data)
	c.Data = c.buf[start : start+copy(c.buf[start:], pk.Data)]
	c.Key, c.Off, c.Conn, c.ConnGen = pk.Key, pk.Off, pk.Conn, pk.ConnGen
	c.Tun = pk.Tun
	c.PatchDepth = pk.PatchDepth
	c.RxTunDst = pk.RxTunDst
	return c
}

// CopyFrom makes pk a deep copy of src, reusing pk's buffer.
func (pk *Packet) CopyFrom(src *Packet) {
	start := cap(src.buf) - cap(src.Data)
	if len(pk.buf) < start+len(src.Data) {
		pk.buf = make([]byte, start+len(src.Data)+64)
	}
	pk.Data = pk.buf[start : start+copy(pk.buf[start:], src.Data)]
	pk.Key, pk.Off, pk.Conn, pk.ConnGen = src.Key, src.Off, src.Conn, src.ConnGen
	pk.PatchDepth = src.PatchDepth
	pk.RxTunDst = src.RxTunDst
	pk.Stack.N = src.Stack.N
	copy(pk.Stack.V[:src.Stack.N], src.Stack.V[:src.Stack.N])
	copy(pk.Stack.B[:src.Stack.N], src.Stack.B[:src.Stack.N])
	pk.Tun.Present = src.Tun.Present
	if src.Tun.Present != 0 {
		pk.Tun.Opts = src.Tun.Opts
	}
}

// Grow inserts n bytes at offset off of the frame (using headroom when
// there is some), returning false when there is no room.
func (pk *Packet) Grow(off, n int) bool {
	start := cap(pk.buf) - cap(pk.Data)
	if off > len(pk.Data) {
		return false
	}
	if start >= n {
		nd := pk.buf[start-n : start+len(pk.Data)]
		copy(nd[:off], nd[n:n+off])
		pk.Data = nd
		return true
	}
	if start+len(pk.Data)+n > len(pk.buf) {
		return false
	}
	nd := pk.buf[start : start+len(pk.Data)+n]
	copy(nd[off+n:], nd[off:len(nd)-n])
	pk.Data = nd
	return true
}

// Shrink removes n bytes at offset off of the frame.
func (pk *Packet) Shrink(off, n int) bool {
	if off+n > len(pk.Data) {
		return false
	}
	copy(pk.Data[n:off+n], pk.Data[:off])
	pk.Data = pk.Data[n:]
	return true
}

// Batch is the unit of work on the datapath: up to MaxBatch packets received
// together, with the time they were received (monotonic nanoseconds).
type Batch struct {
	Pkts []*Packet
	Now  int64
	// Tunnel marks packets that come out of a tunnel port's
	// decapsulation: their tunnel fields and options are kept when the
	// pipeline resets their metadata.
	Tunnel bool
}
