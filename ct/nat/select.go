package nat

import (
	"encoding/binary"
	"math/rand/v2"
)

// OVS's port classes for a source port kept when it is free
// (lib/conntrack-private.h MIN/MAX_NAT_EPHEMERAL_PORT and set_sport_range):
// a port below 512 moves within 1-511, one below 1024 within 600-1023, any
// other within 1024-65535.
const (
	MinEphemeralPort = 1024
	MaxEphemeralPort = 65535
)

// Search bounds.
const (
	// maxPortAttempts is OVS's max_attempts of nat_get_unique_l4: the
	// first walk tries at most this many consecutive ports; further
	// walks, each from a random port, try half as many as the one before
	// while that is at least 16 (so 128+64+32+16+8 ports at most). A range
	// of at most 128 ports is thus searched completely.
	maxPortAttempts = 128
	// MaxAddrTries is how many addresses of a range Select tries: the
	// hashed one (OVS tries only that one) and then the next ones in
	// order, wrapping, when every port of the hashed one is taken (a
	// gswitch extension; never with Persistent, whose address is fixed).
	MaxAddrTries = 8
	// MaxProbes bounds the inUse calls of one Select.
	MaxProbes = 1024
)

// Select picks the translation of a new connection whose original
// direction is orig, as OVS's nat_get_unique_tuple: it returns the
// connection's reply tuple (orig reversed, with the translated address and
// port in place: for Src the reply's Dst side, for Dst the reply's Src
// side) such that inUse(reply) is false, or ok false when none was found
// within the bounds (tuple space exhaustion: the tracker counts it and
// does not create the connection).
//
// inUse must report whether a tuple is already a key of the tracker's
// table (either direction of a live connection, in the same zone); it is
// called at most MaxProbes times. It gets the tuple by value (a pointer
// passed to a function value escapes: an allocation per Select). seed is
// the tracker's per-process hash secret.
//
// The order is OVS's:
//   - The address is min + hash % size over the range, the hash covering
//     both endpoints (addresses and ports), the range, the family, the
//     protocol and the zone; with Persistent it covers only the source
//     address and the range, without seed, so a client always gets the
//     same address. Without an address range the address is kept
//     (nat(src) / nat(src=0.0.0.0): only a clashing port moves).
//   - Ports (TCP, UDP, SCTP with ports, ICMP/ICMPv6 echo identifiers):
//     with a port range the search starts at min + hash % size (a random
//     port with Random) and walks up, wrapping, for at most 128 ports,
//     then restarts at random ports for 64, 32, 16 and 8 more. For Src
//     without a port range, and for Dst, the source port is kept if
//     the reply tuple is free and otherwise searched for in its OVS
//     ephemeral class (see MinEphemeralPort). For Dst with a port range
//     the destination port is searched for first, then the source port.
//   - Protocols without ports get the address only.
//
// When no port of the hashed address is free, Select goes on with the
// next addresses of the range (up to MaxAddrTries; not with Persistent),
// where OVS would give up.
//
// Select refuses (ok false) a Range that fails Check or does not Fit
// orig's family. It allocates nothing.
func Select(r *Range, orig *Tuple, inUse func(reply Tuple) bool, seed uint64) (reply Tuple, ok bool) {
	if r.Check() != nil || !r.Fits(orig) {
		return Tuple{}, false
	}
	var hash, portOff uint32
	if r.Persistent {
		hash = rangeHash(0, orig, r, false)
		portOff = rangeHash(seed, orig, r, true)
	} else {
		hash = rangeHash(seed, orig, r, true)
		portOff = hash
	}
	if r.Random {
		portOff = rand.Uint32()
	}

	// Addresses.
	var base u128
	n := uint64(1)
	var start uint64
	if r.HasAddr {
		base = load(&r.AddrMin, r.V6)
		n = addrCount(r)
		start = uint64(hash) % n
	} else if r.Kind == Src {
		base = load(&orig.Src, orig.V6)
	} else {
		base = load(&orig.Dst, orig.V6)
	}
	tries := min(n, MaxAddrTries)
	if r.Persistent {
		tries = 1
	}

	// Ports, host order.
	sCurr, sMin, sMax := orig.SrcPort, uint16(0), uint16(0)
	if r.Kind == Src && r.HasPorts {
		sMin, sMax = r.PortMin, r.PortMax
		sCurr = sMin + uint16(portOff%(uint32(sMax-sMin)+1))
	} else {
		sMin, sMax = ephemeralClass(sCurr)
	}
	dCurr, dMin, dMax := orig.DstPort, orig.DstPort, orig.DstPort
	dnatPorts := r.Kind == Dst && r.HasPorts
	if dnatPorts {
		dMin, dMax = r.PortMin, r.PortMax
		dCurr = dMin + uint16(portOff%(uint32(dMax-dMin)+1))
	}
	query := orig.isQuery()
	pat := query || orig.Proto == protoTCP || orig.Proto == protoUDP ||
		orig.Proto == protoSCTP && orig.SrcPort|orig.DstPort != 0

	s := search{inUse: inUse, budget: MaxProbes}
	for i := uint64(0); i < tries && s.budget > 0; i++ {
		reply = orig.Reverse()
		a := base.add((start + i) % n)
		if r.Kind == Src {
			a.store(&reply.Dst, orig.V6)
		} else {
			a.store(&reply.Src, orig.V6)
		}
		if !pat {
			if s.free(&reply) {
				return reply, true
			}
			continue
		}
		if query {
			// One identifier for both endpoints: only the source side's
			// search applies (a destination port range is ignored).
			reply.SrcPort, reply.DstPort = sCurr, sCurr
			if s.walk(&reply, &reply.DstPort, &reply.SrcPort, sCurr, sMin, sMax) {
				return reply, true
			}
			continue
		}
		reply.SrcPort, reply.DstPort = dCurr, sCurr
		if dnatPorts && s.walk(&reply, &reply.SrcPort, nil, dCurr, dMin, dMax) {
			return reply, true
		}
		if s.walk(&reply, &reply.DstPort, nil, sCurr, sMin, sMax) {
			return reply, true
		}
	}
	return Tuple{}, false
}

// ephemeralClass returns OVS's range for moving source port p.
func ephemeralClass(p uint16) (lo, hi uint16) {
	switch {
	case p < 512:
		return 1, 511
	case p < 1024:
		return 600, 1023
	}
	return MinEphemeralPort, MaxEphemeralPort
}

type search struct {
	inUse  func(Tuple) bool
	budget int
}

func (s *search) free(t *Tuple) bool {
	if s.budget <= 0 {
		return false
	}
	s.budget--
	return !s.inUse(*t)
}

// walk is OVS's nat_get_unique_l4: it sets *port (and *peer) to ports of
// lo..hi starting at curr (which may lie outside the range: it is tried
// first, then the walk wraps to lo) until reply is free. On failure the
// ports are put back to curr.
func (s *search) walk(reply *Tuple, port, peer *uint16, curr, lo, hi uint16) bool {
	size := uint32(hi-lo) + 1
	attempts := min(size, maxPortAttempts)
	first := curr
	for {
		for i := uint32(0); i < attempts; i++ {
			*port = curr
			if peer != nil {
				*peer = curr
			}
			if s.free(reply) {
				return true
			}
			if s.budget <= 0 {
				break
			}
			if curr < lo || curr >= hi {
				curr = lo
			} else {
				curr++
			}
		}
		if s.budget > 0 && attempts < size && attempts >= 16 {
			attempts /= 2
			curr = lo + uint16(rand.Uint32()%size)
			continue
		}
		break
	}
	*port = first
	if peer != nil {
		*peer = first
	}
	return false
}

// u128 is an address as a 128-bit number (IPv4 in lo).
type u128 struct{ hi, lo uint64 }

func load(a *[16]byte, v6 bool) u128 {
	if !v6 {
		return u128{0, uint64(binary.BigEndian.Uint32(a[:4]))}
	}
	return u128{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])}
}

func (u u128) store(a *[16]byte, v6 bool) {
	if !v6 {
		binary.BigEndian.PutUint32(a[:4], uint32(u.lo))
		return
	}
	binary.BigEndian.PutUint64(a[:8], u.hi)
	binary.BigEndian.PutUint64(a[8:], u.lo)
}

func (u u128) add(n uint64) u128 {
	lo := u.lo + n
	hi := u.hi
	if lo < u.lo {
		hi++
	}
	return u128{hi, lo}
}

// addrCount returns the number of addresses of r's range, capped as OVS
// caps IPv6 ranges (nat_ipv6_addrs_delta: at most 0xfffffffe + 1).
func addrCount(r *Range) uint64 {
	lo, hi := load(&r.AddrMin, r.V6), load(&r.AddrMax, r.V6)
	dlo := hi.lo - lo.lo
	dhi := hi.hi - lo.hi
	if hi.lo < lo.lo {
		dhi--
	}
	const capDelta = 0xfffffffe
	if dhi != 0 || dlo > capDelta {
		dlo = capDelta
	}
	return dlo + 1
}

// rangeHash is OVS's nat_range_hash (with our own mixing function): over
// the source address only (full false, persistent) or both endpoints, then
// the range, the family, the protocol and the zone.
func rangeHash(basis uint64, t *Tuple, r *Range, full bool) uint32 {
	h := basis ^ 0x243f6a8885a308d3
	s := load(&t.Src, t.V6)
	h = mix(h, s.hi)
	h = mix(h, s.lo)
	if full {
		d := load(&t.Dst, t.V6)
		h = mix(h, d.hi)
		h = mix(h, d.lo)
		h = mix(h, uint64(t.SrcPort)<<16|uint64(t.DstPort))
	}
	mn, mx := load(&r.AddrMin, r.V6), load(&r.AddrMax, r.V6)
	h = mix(h, mn.hi)
	h = mix(h, mn.lo)
	h = mix(h, mx.hi)
	h = mix(h, mx.lo)
	var v6 uint64
	if t.V6 {
		v6 = 1
	}
	h = mix(h, uint64(r.PortMax)<<16|uint64(r.PortMin)|v6<<32|uint64(t.Proto)<<40|uint64(t.Zone)<<48)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return uint32(h)
}

func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}
