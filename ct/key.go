package ct

import (
	"encoding/binary"
	"math/bits"

	"gswitch/packet"
)

var be = binary.BigEndian

// connKey is one direction of a connection, as OVS's struct conn_key: the
// two endpoints, the L4 protocol, the address family and the zone. For
// ICMP and ICMPv6 echo (and timestamp/info) the ports are the identifier on
// both sides and itype is the source endpoint's message type (the other
// side's is its reverse, so it need not be stored). Other IP protocols have
// zero ports. IPv4 addresses use the first 4 bytes of src and dst.
type connKey struct {
	src, dst     [16]byte
	sport, dport uint16
	zone         uint16
	proto        uint8
	itype        uint8
	v6           bool
}

// reverse returns the key of the other direction.
func (k *connKey) reverse() connKey {
	r := *k
	r.src, r.dst = k.dst, k.src
	r.sport, r.dport = k.dport, k.sport
	if k.isICMP() {
		r.itype = reverseICMPType(k.v6, k.itype)
	}
	return r
}

func (k *connKey) isICMP() bool {
	return (k.proto == packet.ProtoICMP && !k.v6) || (k.proto == packet.ProtoICMPv6 && k.v6)
}

// hash is the key's table hash: symmetric (a key and its reverse hash
// the same, so both land in one shard and one chain unless NAT changes
// the reply's addresses), seeded, and with every endpoint mixed on its
// own before the two are combined, so that an attacker who does not know
// the seed cannot build keys that collide (sums of raw addresses or ports
// would collide on purpose). The ICMP type is left out: a request and
// its reply are the same connection. The zone and protocol are mixed in.
func (k *connKey) hash(seed uint64) uint64 {
	var a, b uint64
	if k.v6 {
		a = mix(mix(be.Uint64(k.src[0:])^seed, be.Uint64(k.src[8:])^hashK1)^uint64(k.sport), seed^hashK2)
		b = mix(mix(be.Uint64(k.dst[0:])^seed, be.Uint64(k.dst[8:])^hashK1)^uint64(k.dport), seed^hashK2)
	} else {
		a = mix(uint64(be.Uint32(k.src[:4]))<<16|uint64(k.sport)^seed, hashK1)
		b = mix(uint64(be.Uint32(k.dst[:4]))<<16|uint64(k.dport)^seed, hashK1)
	}
	// The two endpoints' values are combined in order (the smaller first),
	// which is the same from both directions; a sum or an xor would be too,
	// but it would let keys collide whenever the sums of their endpoints'
	// values do, and one multiply per endpoint leaves those nearly linear
	// in the address and port.
	if a > b {
		a, b = b, a
	}
	x := uint64(k.zone)<<8 | uint64(k.proto)
	if k.v6 {
		x |= 1 << 24
	}
	return mix(a^x, b^seed^hashK3)
}

const (
	hashK1 = 0xa0761d6478bd642f
	hashK2 = 0xe7037ed1a0b428db
	hashK3 = 0x8ebc6af09c88c6e3
)

// mix is wyhash's multiply-fold: the 128-bit product's halves xored.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^hashK2, b)
	return hi ^ lo
}

// ICMP message types that ct knows.
const (
	icmp4EchoReply      = 0
	icmp4DstUnreach     = 3
	icmp4SourceQuench   = 4
	icmp4Redirect       = 5
	icmp4EchoRequest    = 8
	icmp4TimeExceeded   = 11
	icmp4ParamProb      = 12
	icmp4Timestamp      = 13
	icmp4TimestampReply = 14
	icmp4InfoRequest    = 15
	icmp4InfoReply      = 16

	icmp6DstUnreach   = 1
	icmp6PacketTooBig = 2
	icmp6TimeExceeded = 3
	icmp6ParamProb    = 4
	icmp6EchoRequest  = 128
	icmp6EchoReply    = 129
)

func reverseICMPType(v6 bool, t uint8) uint8 {
	if v6 {
		switch t {
		case icmp6EchoRequest:
			return icmp6EchoReply
		case icmp6EchoReply:
			return icmp6EchoRequest
		}
		return t
	}
	switch t {
	case icmp4EchoRequest:
		return icmp4EchoReply
	case icmp4EchoReply:
		return icmp4EchoRequest
	case icmp4Timestamp:
		return icmp4TimestampReply
	case icmp4TimestampReply:
		return icmp4Timestamp
	case icmp4InfoRequest:
		return icmp4InfoReply
	case icmp4InfoReply:
		return icmp4InfoRequest
	}
	return t
}

// lookupCtx is what extraction learns about one packet.
type lookupCtx struct {
	key     connKey
	related bool // ICMP error quoting the connection (key is the quoted tuple, reversed)
	reply   bool
	l4      []byte // the L4 header and payload, up to the end of the IP datagram
	l3      []byte // the IP header (for checksums)
}

// extract builds the lookup key from a parsed packet, as OVS's
// conn_key_extract: it re-reads the headers from the frame with bounds
// checks, rejects fragments, bad IPv4 header checksums, bad L4 checksums
// (unless the checksum is left to offload), truncated headers, port 0 and
// ICMP types that are neither queries nor errors. It returns false for a
// packet that is +inv.
func extract(pk *packet.Packet, zone uint16, ctx *lookupCtx) bool {
	k := &pk.Key
	*ctx = lookupCtx{}
	d := pk.Data
	l3 := int(k.L3)
	if k.Flags&packet.FlagL3 == 0 || l3 <= 0 || l3 > len(d) {
		return false
	}
	ctx.key.zone = zone
	var l4 []byte
	switch {
	case k.Flags&packet.FlagIPv4 != 0:
		if k.Flags&packet.FlagBadIPCsum != 0 {
			return false
		}
		var ok bool
		l4, ok = extractIPv4(&ctx.key, d[l3:], false)
		if !ok {
			return false
		}
		ctx.l3 = d[l3 : l3+int(d[l3]&0xf)*4]
	case k.Flags&packet.FlagIPv6 != 0:
		if k.NwFrag()&packet.FragAny != 0 {
			return false
		}
		if len(d)-l3 < 40 {
			return false
		}
		end := l3 + 40 + int(be.Uint16(d[l3+4:]))
		l4off := int(k.L4)
		if end > len(d) || l4off < l3+40 || l4off > end {
			return false
		}
		ctx.key.v6 = true
		copy(ctx.key.src[:], d[l3+8:l3+24])
		copy(ctx.key.dst[:], d[l3+24:l3+40])
		ctx.key.proto = k.NwProto()
		ctx.l3 = d[l3 : l3+40]
		l4 = d[l4off:end]
	default:
		return false
	}
	ctx.l4 = l4
	csum := k.Flags&packet.FlagCsumPartial == 0
	return extractL4(&ctx.key, l4, ctx.l3, &ctx.related, csum, true, 0)
}

// extractIPv4 reads an IPv4 header into key and returns the L4 bytes (up to
// the datagram's total length).
func extractIPv4(key *connKey, b []byte, inner bool) ([]byte, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, false
	}
	ihl := int(b[0]&0xf) * 4
	if ihl < 20 || len(b) < ihl {
		return nil, false
	}
	if be.Uint16(b[6:])&0x3fff != 0 { // MF or offset: a fragment
		return nil, false
	}
	tot := int(be.Uint16(b[2:]))
	if inner || tot > len(b) {
		// Inside an ICMP error the quoted datagram is cut short: as OVS,
		// use what is there.
		tot = len(b)
	} else if tot < ihl {
		return nil, false
	}
	copy(key.src[:4], b[12:16])
	copy(key.dst[:4], b[16:20])
	key.proto = b[9]
	return b[ihl:tot], true
}

// extractIPv6 reads an IPv6 header (inside an ICMPv6 error) and its
// extension headers (packet.QuotedIPv6L4); a fragment is refused.
func extractIPv6(key *connKey, b []byte) ([]byte, bool) {
	proto, l4, ok := packet.QuotedIPv6L4(b)
	if !ok {
		return nil, false
	}
	copy(key.src[:], b[8:24])
	copy(key.dst[:], b[24:40])
	key.v6 = true
	key.proto = proto
	return b[l4:], true
}

// extractL4 fills key's L4 part from l4. related is nil inside an ICMP
// error (no recursion and no checksum or length validation there);
// minLen, if non-zero, is the least L4 length accepted inside an ICMPv4
// error (8 bytes).
func extractL4(key *connKey, l4, l3 []byte, related *bool, csum, outer bool, minLen int) bool {
	switch {
	case key.proto == packet.ProtoTCP:
		need := 20
		if minLen != 0 {
			need = minLen
		}
		if len(l4) < need {
			return false
		}
		if outer {
			hl := int(l4[12]>>4) * 4
			if hl < 20 || hl > len(l4) {
				return false
			}
			if csum && !l4ChecksumOK(key.v6, l3, l4, packet.ProtoTCP) {
				return false
			}
		}
		key.sport, key.dport = be.Uint16(l4[0:]), be.Uint16(l4[2:])
		return key.sport != 0 && key.dport != 0
	case key.proto == packet.ProtoUDP:
		if len(l4) < 8 {
			return false
		}
		if outer {
			ul := int(be.Uint16(l4[4:]))
			if ul < 8 || ul > len(l4) {
				return false
			}
			if csum && !(be.Uint16(l4[6:]) == 0 && !key.v6) &&
				!l4ChecksumOK(key.v6, l3, l4, packet.ProtoUDP) {
				return false
			}
		}
		key.sport, key.dport = be.Uint16(l4[0:]), be.Uint16(l4[2:])
		return key.sport != 0 && key.dport != 0
	case key.proto == packet.ProtoICMP && !key.v6:
		if len(l4) < 8 {
			return false
		}
		if outer && csum && packet.Checksum(l4) != 0 {
			return false
		}
		return extractICMP4(key, l4, related)
	case key.proto == packet.ProtoICMPv6 && key.v6:
		if len(l4) < 8 {
			return false
		}
		if outer && csum && !l4ChecksumOK(true, l3, l4, packet.ProtoICMPv6) {
			return false
		}
		return extractICMP6(key, l4, related)
	}
	return true // other protocols: addresses only
}

func extractICMP4(key *connKey, l4 []byte, related *bool) bool {
	typ, code := l4[0], l4[1]
	switch typ {
	case icmp4EchoRequest, icmp4EchoReply, icmp4Timestamp, icmp4TimestampReply,
		icmp4InfoRequest, icmp4InfoReply:
		if code != 0 {
			return false
		}
		id := be.Uint16(l4[4:])
		key.sport, key.dport, key.itype = id, id, typ
		return true
	case icmp4DstUnreach, icmp4TimeExceeded, icmp4ParamProb, icmp4SourceQuench, icmp4Redirect:
		if related == nil {
			return false
		}
		var inner connKey
		il4, ok := extractIPv4(&inner, l4[8:], true)
		if !ok || be.Uint32(inner.src[:4]) != be.Uint32(key.dst[:4]) {
			return false
		}
		inner.zone = key.zone
		if !extractL4(&inner, il4, nil, nil, false, false, 8) {
			return false
		}
		*key = inner.reverse()
		*related = true
		return true
	}
	return false
}

func extractICMP6(key *connKey, l4 []byte, related *bool) bool {
	typ, code := l4[0], l4[1]
	switch typ {
	case icmp6EchoRequest, icmp6EchoReply:
		if code != 0 {
			return false
		}
		id := be.Uint16(l4[4:])
		key.sport, key.dport, key.itype = id, id, typ
		return true
	case icmp6DstUnreach, icmp6PacketTooBig, icmp6TimeExceeded, icmp6ParamProb:
		if related == nil {
			return false
		}
		var inner connKey
		il4, ok := extractIPv6(&inner, l4[8:])
		if !ok || inner.src != key.dst {
			return false
		}
		inner.zone = key.zone
		if !extractL4(&inner, il4, nil, nil, false, false, 0) {
			return false
		}
		*key = inner.reverse()
		*related = true
		return true
	}
	return false
}

// l4ChecksumOK verifies a TCP/UDP/ICMPv6 checksum with the pseudo-header
// of the IP header l3.
func l4ChecksumOK(v6 bool, l3, l4 []byte, proto uint8) bool {
	return packet.Sum(l4, packet.PseudoSumIPHeader(l3, v6, proto, len(l4))) == 0xffff
}
