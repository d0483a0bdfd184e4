package nat

import (
	"encoding/binary"
	"errors"

	"gswitch/packet"
)

var be = binary.BigEndian

// Dir is the direction of a packet within its connection.
type Dir uint8

const (
	// Orig is the direction of the packet that created the connection.
	Orig Dir = iota
	// Reply is the other direction.
	Reply
)

// Errors of Apply and ApplyRelated. On any error the frame is unchanged;
// the tracker marks the packet +inv.
var (
	ErrKind     = errors.New("nat: translation kind is not Src or Dst")
	ErrFamily   = errors.New("nat: packet has no parsed IP header of the connection's family")
	ErrProto    = errors.New("nat: packet's protocol is not the connection's")
	ErrNotError = errors.New("nat: packet is not a whole ICMP/ICMPv6 error")
	ErrQuote    = errors.New("nat: ICMP error's quoted datagram is truncated, fragmented or malformed")
	ErrStale    = errors.New("nat: packet's key does not fit its frame (parse it again)")
)

// State returns the ct_state bit that a packet translated in direction
// dir of a connection with translation k gets, as OVS's nat_packet sets
// it: packet.CsSNAT when the packet's source is rewritten (Src, original
// direction; Dst, reply direction), packet.CsDNAT when its destination is.
func State(k Kind, dir Dir) uint32 {
	if srcSide(k, dir) {
		return packet.CsSNAT
	}
	return packet.CsDNAT
}

// srcSide reports whether the packet's source (rather than destination)
// address is the translated one.
func srcSide(k Kind, dir Dir) bool { return (k == Src) == (dir == Orig) }

// Apply translates pk, a parsed packet of a connection with translation k
// travelling in direction dir (OVS's nat_packet for a packet that is not
// an ICMP error). other is the connection's tuple of the OTHER direction:
// the reply tuple for a packet in the original direction, the original
// tuple for a reply. The packet is rewritten to look like other reversed:
// its translated address (the source for Src/Orig and Dst/Reply, the
// destination otherwise) and both ports (TCP, UDP, SCTP; the identifier of
// an ICMP/ICMPv6 echo, timestamp or information message) are set from
// other. Every checksum is updated incrementally through packet.SetField:
// the IPv4 header checksum, the TCP/UDP/ICMPv6 pseudo-header (a UDP
// checksum of 0 stays 0, a partial (offloaded) checksum stays partial and
// right), the SCTP CRC. pk.Key follows the rewritten fields.
//
// A fragment is translated as far as it carries headers (a later fragment
// only gets its address); the tracker should translate the reassembled
// datagram and copy its headers to the fragments instead (see doc.go).
// Apply allocates nothing. It does not change pk's ct_state: or State(k,
// dir) into it.
func Apply(pk *packet.Packet, k Kind, dir Dir, other *Tuple) error {
	if k != Src && k != Dst {
		return ErrKind
	}
	key := &pk.Key
	if !family(key, other.V6) {
		return ErrFamily
	}
	if key.NwProto() != other.Proto && key.NwFrag()&packet.FragLater == 0 {
		return ErrProto
	}
	if err := setAddr(pk, other, srcSide(k, dir)); err != nil {
		return err
	}
	if key.Flags&packet.FlagL4 == 0 || other.SrcPort|other.DstPort == 0 {
		return nil
	}
	sport, dport := other.DstPort, other.SrcPort
	var fs, fd packet.FieldID
	switch other.Proto {
	case protoTCP:
		fs, fd = packet.FieldTCPSrc, packet.FieldTCPDst
	case protoUDP:
		fs, fd = packet.FieldUDPSrc, packet.FieldUDPDst
	case protoSCTP:
		fs, fd = packet.FieldSCTPSrc, packet.FieldSCTPDst
	case protoICMP, protoICMPv6:
		if !other.isICMP() || !icmpIsQuery(other.V6, uint8(key.TpSrc())) {
			return nil
		}
		l4 := int(key.L4)
		if l4+8 > len(pk.Data) {
			return ErrStale
		}
		setICMPID(pk, l4, other.SrcPort)
		return nil
	default:
		return nil
	}
	if key.TpSrc() != sport && !pk.SetField(fs, packet.U128{Lo: uint64(sport)}, packet.U128{Lo: 0xffff}) {
		return ErrStale
	}
	if key.TpDst() != dport && !pk.SetField(fd, packet.U128{Lo: uint64(dport)}, packet.U128{Lo: 0xffff}) {
		return ErrStale
	}
	return nil
}

func family(key *packet.Key, v6 bool) bool {
	if v6 {
		return key.Flags&packet.FlagIPv6 != 0
	}
	return key.Flags&packet.FlagIPv4 != 0
}

// setAddr sets the packet's source (src true) or destination address to
// other's destination or source address respectively.
func setAddr(pk *packet.Packet, other *Tuple, src bool) error {
	a := &other.Src
	if src {
		a = &other.Dst
	}
	l3 := int(pk.Key.L3)
	off := l3 + 16
	f := packet.FieldIPv4Dst
	v := packet.U128{Lo: uint64(be.Uint32(a[:4]))}
	m := packet.U128{Lo: 0xffffffff}
	n := 4
	if other.V6 {
		off, f, n = l3+24, packet.FieldIPv6Dst, 16
		if src {
			off, f = l3+8, packet.FieldIPv6Src
		}
		v = packet.U128{Hi: be.Uint64(a[:8]), Lo: be.Uint64(a[8:])}
		m = packet.U128{Hi: ^uint64(0), Lo: ^uint64(0)}
	} else if src {
		off, f = l3+12, packet.FieldIPv4Src
	}
	if off+n > len(pk.Data) {
		return ErrStale
	}
	if string(pk.Data[off:off+n]) == string(a[:n]) {
		return nil
	}
	if !pk.SetField(f, v, m) {
		return ErrStale
	}
	return nil
}

// csumPartial reports whether the checksum field at off is an offloaded
// (partial) one: it then holds the pseudo-header sum only and covered
// bytes need no update.
func csumPartial(pk *packet.Packet, off int) bool {
	return pk.Key.Flags&packet.FlagCsumPartial != 0 && int(pk.Off.CsumStart)+int(pk.Off.CsumOffset) == off
}

// setICMPID sets the identifier of the ICMP/ICMPv6 query at l4 and
// updates its checksum.
func setICMPID(pk *packet.Packet, l4 int, id uint16) {
	d := pk.Data
	old := be.Uint16(d[l4+4:])
	if old == id {
		return
	}
	be.PutUint16(d[l4+4:], id)
	if !csumPartial(pk, l4+2) {
		be.PutUint16(d[l4+2:], packet.UpdateCsum16(be.Uint16(d[l4+2:]), old, id))
	}
}

// quote locates the datagram quoted by an ICMP error.
type quote struct {
	l3, l4, end int
	proto       uint8
	v6          bool
}

// ipEnd returns the end of pk's IP datagram (without L2 padding), or -1.
func ipEnd(pk *packet.Packet) int {
	k := &pk.Key
	l3 := int(k.L3)
	d := pk.Data
	var e int
	switch {
	case k.Flags&packet.FlagIPv4 != 0:
		if l3+20 > len(d) {
			return -1
		}
		e = l3 + int(be.Uint16(d[l3+2:]))
	case k.Flags&packet.FlagIPv6 != 0:
		if l3+40 > len(d) {
			return -1
		}
		e = l3 + 40 + int(be.Uint16(d[l3+4:]))
	default:
		return -1
	}
	if e > len(d) {
		return -1
	}
	return e
}

// findQuote checks that pk is a whole ICMP/ICMPv6 error of family v6 and
// parses its quoted datagram with bounds checks: the quoted IP header (and
// IPv6 extension headers) must be complete, not a fragment, and followed by
// at least 8 bytes of its L4 header.
func findQuote(pk *packet.Packet, v6 bool) (quote, error) {
	k := &pk.Key
	var q quote
	if !family(k, v6) {
		return q, ErrFamily
	}
	if k.Flags&packet.FlagL4 == 0 || k.NwFrag() != 0 {
		return q, ErrNotError
	}
	typ := uint8(k.TpSrc())
	if v6 {
		if k.NwProto() != protoICMPv6 || typ < 1 || typ > 4 {
			return q, ErrNotError
		}
	} else if k.NwProto() != protoICMP || !(typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12) {
		return q, ErrNotError
	}
	end := ipEnd(pk)
	l4 := int(k.L4)
	if end < 0 || l4 < int(k.L3) || l4+8 > end {
		return q, ErrStale
	}
	d := pk.Data[:end]
	q.end, q.v6 = end, v6
	q.l3 = l4 + 8
	b := d[q.l3:]
	if !v6 {
		if len(b) < 20 || b[0]>>4 != 4 {
			return q, ErrQuote
		}
		ihl := int(b[0]&0xf) * 4
		if ihl < 20 || be.Uint16(b[6:])&0x3fff != 0 {
			return q, ErrQuote
		}
		q.l4 = q.l3 + ihl
		q.proto = b[9]
	} else {
		proto, l4, ok := packet.QuotedIPv6L4(b)
		if !ok {
			return q, ErrQuote
		}
		q.l4 = q.l3 + l4
		q.proto = proto
	}
	if q.l4+8 > end {
		return q, ErrQuote
	}
	return q, nil
}

// ApplyRelated translates pk, an ICMP or ICMPv6 error (destination
// unreachable, packet too big, time exceeded, parameter problem; ICMP
// source quench and redirect) travelling in direction dir whose quoted
// datagram belongs to a connection with translation k, as OVS's nat_packet
// with related set and nat_inner_packet. other is, as for Apply, the
// connection's tuple of the other direction; it is also what the quoted
// datagram becomes.
//
// The outer header gets the translated address only (the other outer
// address is that of whoever sent the error and is kept); the quoted
// datagram gets the opposite address, its ports or ICMP identifier, its
// IPv4 header checksum and, when the quote holds it, its L4 checksum
// updated (pseudo-header and ports; a UDP checksum of 0 stays 0; SCTP's
// CRC, which covers the whole original datagram, is left); and the outer
// ICMP/ICMPv6 checksum is computed again over the whole message (as OVS
// does; this also finishes a partial one).
//
// The quote is checked before anything is written: a quote too short for
// its IP header (and IPv6 extension headers) plus 8 bytes of L4 header, a
// quoted fragment, another protocol or family, or a packet that is not a
// whole ICMP error gives an error and leaves the frame unchanged.
func ApplyRelated(pk *packet.Packet, k Kind, dir Dir, other *Tuple) error {
	if k != Src && k != Dst {
		return ErrKind
	}
	q, err := findQuote(pk, other.V6)
	if err != nil {
		return err
	}
	if q.proto != other.Proto {
		return ErrProto
	}
	d := pk.Data
	outerSrc := srcSide(k, dir)
	if err := setAddr(pk, other, outerSrc); err != nil {
		return err
	}

	// The quoted datagram becomes other: its address on the side opposite
	// to the outer one.
	n := 4
	ao := q.l3 + 12 // quoted source address
	if q.v6 {
		n, ao = 16, q.l3+8
	}
	a := other.Src[:n]
	if outerSrc {
		ao += n
		a = other.Dst[:n]
	}
	// The quoted L4 checksum, when the quote holds it.
	csum := -1
	pseudo := true
	switch q.proto {
	case protoTCP:
		csum = q.l4 + 16
	case protoUDP:
		csum = q.l4 + 6
	case protoICMP:
		csum = q.l4 + 2
		pseudo = q.v6
	case protoICMPv6:
		csum = q.l4 + 2
	}
	if csum >= 0 && (csum+2 > q.end || q.proto == protoUDP && be.Uint16(d[csum:]) == 0) {
		csum = -1
	}
	var oldA [16]byte
	copy(oldA[:n], d[ao:ao+n])
	if string(oldA[:n]) != string(a) {
		copy(d[ao:ao+n], a)
		if !q.v6 {
			p := q.l3 + 10
			be.PutUint16(d[p:], update(be.Uint16(d[p:]), oldA[:n], a))
		}
		if csum >= 0 && pseudo {
			fixL4(d, csum, q.proto, oldA[:n], a)
		}
	}
	switch q.proto {
	case protoTCP, protoUDP, protoSCTP:
		if other.SrcPort|other.DstPort != 0 {
			var np [4]byte
			be.PutUint16(np[0:], other.SrcPort)
			be.PutUint16(np[2:], other.DstPort)
			if old := d[q.l4 : q.l4+4]; string(old) != string(np[:]) {
				var op [4]byte
				copy(op[:], old)
				copy(old, np[:])
				if csum >= 0 {
					fixL4(d, csum, q.proto, op[:], np[:])
				}
			}
		}
	case protoICMP, protoICMPv6:
		if other.isICMP() && icmpIsQuery(q.v6, d[q.l4]) {
			if old := be.Uint16(d[q.l4+4:]); old != other.SrcPort {
				be.PutUint16(d[q.l4+4:], other.SrcPort)
				var ob, nb [2]byte
				be.PutUint16(ob[:], old)
				be.PutUint16(nb[:], other.SrcPort)
				if csum >= 0 {
					fixL4(d, csum, q.proto, ob[:], nb[:])
				}
			}
		}
	}
	// The outer ICMP checksum, from scratch over the whole message.
	l4 := int(pk.Key.L4)
	d[l4+2], d[l4+3] = 0, 0
	var sum uint32
	if q.v6 {
		l3 := int(pk.Key.L3)
		sum = packet.PseudoSum6(d[l3+8:l3+24], d[l3+24:l3+40], protoICMPv6, uint32(q.end-l4))
	}
	be.PutUint16(d[l4+2:], ^packet.Fold(packet.Sum(d[l4:q.end], sum)))
	if csumPartial(pk, l4+2) {
		pk.Key.Flags &^= packet.FlagCsumPartial
	}
	return nil
}

// update returns checksum c updated for covered bytes changing from old
// to new (equal even lengths, 16-bit aligned).
func update(c uint16, old, new []byte) uint16 {
	return packet.UpdateCsum16(c, packet.Fold(packet.Sum(old, 0)), packet.Fold(packet.Sum(new, 0)))
}

// fixL4 updates the quoted L4 checksum at off for bytes changing from old
// to new; a UDP checksum that becomes 0 is written as 0xffff.
func fixL4(d []byte, off int, proto uint8, old, new []byte) {
	c := update(be.Uint16(d[off:]), old, new)
	if c == 0 && proto == protoUDP {
		c = 0xffff
	}
	be.PutUint16(d[off:], c)
}
