package ports

import (
	"encoding/binary"
	"errors"
	"sync"

	"gswitch/packet"
)

// Offload errors. A frame that gets one is dropped and counted as
// DropTxOffload.
var (
	ErrOffloadHeaders = errors.New("ports: offload: frame is not an IPv4/IPv6 TCP/UDP/SCTP frame whose headers parse")
	ErrOffloadGSOType = errors.New("ports: offload: GSO type does not match the frame or is unsupported")
	ErrOffloadCsum    = errors.New("ports: offload: partial checksum position does not match the frame")
)

// TCP flags that segmentation treats specially.
const (
	tcpFIN = 0x01
	tcpPSH = 0x08
	tcpCWR = 0x80
)

// l4Info is where a frame's headers are, found by walking them afresh (the
// key's offsets may be stale after push_vlan/pop_vlan, and the kernel's
// offsets are from before the pipeline ran).
type l4Info struct {
	l3, l4  int   // offsets of the IP and L4 headers
	hdrLen  int   // l4 + L4 header length (TCP data offset, 8 for UDP)
	end     int   // end of the IP packet (without Ethernet padding)
	ipv4    bool  // IPv4 (else IPv6)
	proto   uint8 // TCP, UDP or SCTP
	csumOff int   // offset of the L4 checksum field from l4
}

// locate walks Ethernet, any number of 802.1Q/802.1ad tags, IPv4 or IPv6
// (with hop-by-hop, routing and destination-options extension headers,
// walked by packet.WalkIPv6) to a TCP, UDP or SCTP header. Fragments, IPv6
// packets with an Authentication Header, and anything else are refused.
func locate(f []byte) (l4Info, bool) {
	var in l4Info
	if len(f) < 14 {
		return in, false
	}
	off := 12
	et := binary.BigEndian.Uint16(f[off:])
	off += 2
	for et == packet.EthTypeVLAN || et == packet.EthTypeQinQ {
		if len(f) < off+4 {
			return in, false
		}
		et = binary.BigEndian.Uint16(f[off+2:])
		off += 4
	}
	in.l3 = off
	var proto uint8
	switch et {
	case packet.EthTypeIPv4:
		if len(f) < off+20 || f[off]>>4 != 4 {
			return in, false
		}
		ihl := int(f[off]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(f[off+2:]))
		if ihl < 20 || tot < ihl || off+tot > len(f) {
			return in, false
		}
		if binary.BigEndian.Uint16(f[off+6:])&0x3fff != 0 { // MF or a fragment offset
			return in, false
		}
		in.ipv4 = true
		proto = f[off+9]
		in.end = off + tot
		off += ihl
	case packet.EthTypeIPv6:
		if len(f) < off+40 || f[off]>>4 != 6 {
			return in, false
		}
		pl := int(binary.BigEndian.Uint16(f[off+4:]))
		in.end = off + 40 + pl
		if pl == 0 { // a jumbogram (BIG TCP): the frame's length is the packet's
			in.end = len(f)
		}
		if in.end > len(f) {
			return in, false
		}
		// Hop-by-hop, routing and destination options headers are
		// stepped over, as many as fit; a fragment or an AH is refused.
		c, ok := packet.WalkIPv6(f[:in.end], off, in.end)
		if !ok || c.Frag != 0 || c.AH != 0 {
			return in, false
		}
		proto, off = c.Proto, c.Off
	default:
		return in, false
	}
	in.l4 = off
	in.proto = proto
	switch proto {
	case packet.ProtoTCP:
		if in.end < off+20 {
			return in, false
		}
		doff := int(f[off+12]>>4) * 4
		if doff < 20 || in.end < off+doff {
			return in, false
		}
		in.hdrLen = off + doff
		in.csumOff = 16
	case packet.ProtoUDP:
		if in.end < off+8 {
			return in, false
		}
		in.hdrLen = off + 8
		in.csumOff = 6
	case packet.ProtoSCTP:
		if in.end < off+12 {
			return in, false
		}
		in.hdrLen = off + 12
		in.csumOff = 8
	default:
		return in, false
	}
	return in, true
}

// gsoMatches reports whether GSO type t fits the frame located as in.
func gsoMatches(t uint8, in *l4Info) bool {
	switch t &^ GSOECN {
	case GSOTCPv4:
		return in.ipv4 && in.proto == packet.ProtoTCP
	case GSOTCPv6:
		return !in.ipv4 && in.proto == packet.ProtoTCP
	case GSOUDPL4:
		return in.proto == packet.ProtoUDP && t&GSOECN == 0
	}
	return false
}

// l4Checksum computes and stores the full L4 checksum of the located frame
// f, whose IP lengths must already be right.
func l4Checksum(f []byte, in *l4Info) {
	l4 := f[in.l4:in.end]
	if in.proto == packet.ProtoSCTP {
		binary.LittleEndian.PutUint32(l4[8:], packet.SCTPChecksum(l4))
		return
	}
	l4[in.csumOff], l4[in.csumOff+1] = 0, 0
	c := ^packet.Fold(packet.Sum(l4, packet.PseudoSumIPHeader(f[in.l3:], !in.ipv4, in.proto, len(l4))))
	if c == 0 && in.proto == packet.ProtoUDP {
		c = 0xffff // RFC 768: zero means "no checksum"
	}
	binary.BigEndian.PutUint16(l4[in.csumOff:], c)
}

// RecomputeOffloadChecksum computes pk's partial (offloaded) L4 checksum in
// software, in place, and clears the partial state of pk.Off (and
// packet.FlagCsumPartial). A frame without a partial checksum is left
// alone. It refuses a GSO frame: use Segment. For TCP, UDP and SCTP over
// IPv4/IPv6 the checksum is recomputed from scratch from the frame's
// current headers, found afresh (so it is right even if NAT did not update
// the partial sum or the key is stale); for anything else the kernel's
// csum_start/csum_offset are used as they are, as by
// packet.CompletePartialChecksum but to the end of the frame.
func RecomputeOffloadChecksum(pk *packet.Packet) error {
	if !CsumPartial(&pk.Off) {
		return nil
	}
	if IsGSO(&pk.Off) {
		return ErrOffloadGSOType
	}
	if err := recomputeOffloadChecksum(pk.Data, &pk.Off); err != nil {
		return err
	}
	pk.Off.CsumStart, pk.Off.CsumOffset = 0, 0
	pk.Key.Flags &^= packet.FlagCsumPartial
	return nil
}

// recomputeOffloadChecksum is RecomputeOffloadChecksum on frame f with
// offload o, which it does not change.
func recomputeOffloadChecksum(f []byte, o *packet.Offload) error {
	if in, ok := locate(f); ok {
		l4Checksum(f, &in)
		return nil
	}
	// Generic completion (RFC 1071 over csum_start..end, the field holding
	// the pseudo-header sum), as a NIC does it.
	start, at := int(o.CsumStart), int(o.CsumStart)+int(o.CsumOffset)
	if start >= len(f) || at+2 > len(f) {
		return ErrOffloadCsum
	}
	binary.BigEndian.PutUint16(f[at:], packet.Checksum(f[start:]))
	return nil
}

// prepareVnet fills h for sending frame f (with offload o) to a port that
// takes virtio-net headers. The positions are derived from the current
// headers, and the checksum field is rewritten to the pseudo-header sum the
// kernel expects (after NAT or a VLAN push the frame's own may be stale).
func prepareVnet(f []byte, o *packet.Offload, h *VnetHdr) error {
	*h = VnetHdr{}
	if !HasOffload(o) {
		return nil
	}
	in, ok := locate(f)
	if !ok {
		if IsGSO(o) {
			return ErrOffloadHeaders
		}
		// Headers we do not know (e.g. MPLS): trust the kernel's offsets.
		if int(o.CsumStart)+int(o.CsumOffset)+2 > len(f) {
			return ErrOffloadCsum
		}
		h.Flags = VnetFlagNeedsCsum
		h.CsumStart, h.CsumOffset = o.CsumStart, o.CsumOffset
		return nil
	}
	if IsGSO(o) {
		if !gsoMatches(o.GSOType, &in) {
			return ErrOffloadGSOType
		}
		h.GSOType, h.GSOSize, h.HdrLen = o.GSOType, o.GSOSize, uint16(in.hdrLen)
	}
	h.Flags = VnetFlagNeedsCsum
	h.CsumStart, h.CsumOffset = uint16(in.l4), uint16(in.csumOff)
	l4 := f[in.l4:in.end]
	if in.proto == packet.ProtoSCTP {
		binary.LittleEndian.PutUint32(l4[8:], 0)
		return nil
	}
	binary.BigEndian.PutUint16(l4[in.csumOff:], packet.Fold(packet.PseudoSumIPHeader(f[in.l3:], !in.ipv4, in.proto, len(l4))))
	return nil
}

// Segmenter cuts GSO frames into wire frames and completes checksums. Its
// zero value is ready to use; it keeps one 64 KiB scratch buffer and is not
// safe for concurrent use.
type Segmenter struct {
	buf []byte
}

// Segment emits frame f (with offload o) as the frames it stands for on the
// wire:
//
//   - a GSO super-frame (TCPv4, TCPv6, UDP L4) as its segments, each with
//     its own IP total/payload length, IPv4 id (incremented per segment) and
//     header checksum, TCP sequence number, TCP flags (CWR only on the first,
//     FIN and PSH only on the last) or UDP length, and a full L4 checksum;
//   - a frame with a partial checksum as one frame with the checksum done;
//   - any other frame as it is.
//
// The slice passed to emit is valid only during the call (it is f itself
// for a frame without GSO, and f is then changed in place); emit must copy
// what it keeps. Bytes after the IP packet's end (Ethernet padding) are not
// part of any segment.
func (s *Segmenter) Segment(f []byte, o *packet.Offload, emit func(frame []byte)) error {
	return s.segment(f, o, nil, emit)
}

// segment is Segment writing each segment into into(n) (nil: the scratch
// buffer).
func (s *Segmenter) segment(f []byte, o *packet.Offload, into func(n int) []byte, emit func(frame []byte)) error {
	if !IsGSO(o) {
		if CsumPartial(o) {
			if err := recomputeOffloadChecksum(f, o); err != nil {
				return err
			}
		}
		emit(f)
		return nil
	}
	in, ok := locate(f)
	if !ok {
		return ErrOffloadHeaders
	}
	if !gsoMatches(o.GSOType, &in) {
		return ErrOffloadGSOType
	}
	mss := int(o.GSOSize)
	if mss == 0 {
		return ErrOffloadGSOType
	}
	hdr := f[:in.hdrLen]
	payload := f[in.hdrLen:in.end]
	if len(payload) <= mss {
		l4Checksum(f, &in)
		emit(f[:in.end])
		return nil
	}
	if into == nil && cap(s.buf) < packet.BufSize {
		s.buf = make([]byte, packet.BufSize)
	}
	var ipID uint16
	if in.ipv4 {
		ipID = binary.BigEndian.Uint16(f[in.l3+4:])
	}
	var seq uint32
	var flags byte
	tcp := in.proto == packet.ProtoTCP
	if tcp {
		seq = binary.BigEndian.Uint32(f[in.l4+4:])
		flags = f[in.l4+13]
	}
	nseg := (len(payload) + mss - 1) / mss
	for i := 0; i < nseg; i++ {
		chunk := payload[i*mss : min((i+1)*mss, len(payload))]
		n := in.hdrLen + len(chunk)
		var b []byte
		if into != nil {
			b = into(n)[:n]
		} else {
			b = s.buf[:n]
		}
		copy(b, hdr)
		copy(b[in.hdrLen:], chunk)
		if in.ipv4 {
			ip := b[in.l3:in.l4]
			binary.BigEndian.PutUint16(ip[2:], uint16(n-in.l3))
			binary.BigEndian.PutUint16(ip[4:], ipID+uint16(i))
			packet.PutIPv4HeaderChecksum(ip)
		} else {
			binary.BigEndian.PutUint16(b[in.l3+4:], uint16(n-in.l3-40))
		}
		if tcp {
			binary.BigEndian.PutUint32(b[in.l4+4:], seq+uint32(i*mss))
			fl := flags
			if i > 0 {
				fl &^= tcpCWR
			}
			if i < nseg-1 {
				fl &^= tcpFIN | tcpPSH
			}
			b[in.l4+13] = fl
		} else {
			binary.BigEndian.PutUint16(b[in.l4+4:], uint16(n-in.l4))
		}
		seg := in
		seg.end = n
		l4Checksum(b, &seg)
		emit(b)
	}
	return nil
}

var segmenters = sync.Pool{New: func() any { return new(Segmenter) }}

// Segment emits pk's frame as plain wire frames (see Segmenter.Segment): the
// segments of a GSO frame, or the frame itself with its partial checksum
// completed in place. Use it where a frame leaves for something that cannot
// take offloads (a port without virtio-net headers, a packet-in). pk.Off is
// left as it was.
func Segment(pk *packet.Packet, emit func(frame []byte)) error {
	s := segmenters.Get().(*Segmenter)
	err := s.Segment(pk.Data, &pk.Off, emit)
	segmenters.Put(s)
	return err
}

// SegmentInto is Segment writing each segment of a GSO frame straight into
// the buffer into(n) returns for its length n (at least n bytes long),
// which emit then gets, filled, so a caller that builds a packet of each
// segment saves a copy. A frame without GSO, or one that fits in one
// segment, goes to emit as Segment sends it (pk's own frame, completed in
// place), without a call to into.
func SegmentInto(pk *packet.Packet, into func(n int) []byte, emit func(frame []byte)) error {
	var s Segmenter
	return s.segment(pk.Data, &pk.Off, into, emit)
}
