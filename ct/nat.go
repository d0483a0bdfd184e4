package ct

import (
	"math/rand/v2"

	"gswitch/packet"
)

// NAT follows OVS 3.1's userspace conntrack (lib/conntrack.c): a committed
// connection with nat(src=...) or nat(dst=...) gets a translated reply
// key, chosen so that it collides with no other connection; packets of the
// connection are rewritten (addresses, TCP/UDP ports, checksums, and the
// quoted header inside ICMP errors) by every ct action with nat, and get
// +snat or +dnat. A bare nat applies an existing connection's translation
// and never creates one.

// Translations of a connection's original direction.
const (
	natSrc uint8 = 1
	natDst uint8 = 2
)

func reverseNAT(a uint8) uint8 {
	switch a {
	case natSrc:
		return natDst
	case natDst:
		return natSrc
	}
	return 0
}

// natInfo is a ct action's nat(...) in the form the tuple search uses.
type natInfo struct {
	act              uint8 // natSrc, natDst, or 0 for a bare nat
	hasAddr, hasPort bool
	minAddr, maxAddr [16]byte
	minPort, maxPort uint16
	random           bool
}

func parseNATInfo(n *NAT) natInfo {
	var ni natInfo
	switch {
	case n.Flags&NATSrc != 0:
		ni.act = natSrc
	case n.Flags&NATDst != 0:
		ni.act = natDst
	}
	ni.random = n.Flags&NATRandom != 0
	rp := n.RangePresent
	if rp&(NATRangeIPv4Min|NATRangeIPv6Min) != 0 {
		ni.hasAddr = true
		ni.minAddr, ni.maxAddr = n.AddrMin, n.AddrMin
		if rp&(NATRangeIPv4Max|NATRangeIPv6Max) != 0 {
			ni.maxAddr = n.AddrMax
		}
	}
	if rp&NATRangeProtoMin != 0 {
		ni.hasPort = true
		ni.minPort, ni.maxPort = n.PortMin, n.PortMin
		if rp&NATRangeProtoMax != 0 && n.PortMax >= n.PortMin {
			ni.maxPort = n.PortMax
		}
	}
	return ni
}

// natHash is the start of the address and port search (OVS's
// nat_range_hash): a function of the range and the connection's key.
func (t *Tracker) natHash(k *connKey, ni *natInfo) uint32 {
	if ni.random {
		return rand.Uint32()
	}
	h := k.shardHash(t.seed ^ 0x5bd1e995)
	h ^= be.Uint64(ni.minAddr[8:]) ^ be.Uint64(ni.maxAddr[:8])*31 ^ uint64(ni.minPort)<<16 ^ uint64(ni.maxPort)
	h ^= uint64(k.sport)<<32 | uint64(k.dport)<<48
	h *= 0x9e3779b97f4a7c15
	return uint32(h >> 32)
}

// addrInRange returns min + hash % (max - min + 1); for IPv6 the range is
// taken within the low 32 bits, as OVS does.
func addrInRange(min, max *[16]byte, hash uint32, v6 bool) [16]byte {
	var out [16]byte
	if !v6 {
		lo, hi := be.Uint32(min[:4]), be.Uint32(max[:4])
		if hi < lo {
			hi = lo
		}
		r := uint64(hi-lo) + 1
		be.PutUint32(out[:4], lo+uint32(uint64(hash)%r))
		return out
	}
	out = *min
	lo, hi := be.Uint64(min[8:]), be.Uint64(max[8:])
	if be.Uint64(min[:8]) != be.Uint64(max[:8]) || hi < lo || hi-lo > 0xffffffff {
		hi = lo + 0xffffffff
	}
	r := hi - lo + 1
	v := lo + uint64(hash)%r
	if v < lo { // carry into the high half
		be.PutUint64(out[:8], be.Uint64(out[:8])+1)
	}
	be.PutUint64(out[8:], v)
	return out
}

// natUniqueTuple chooses c's translated reply key (OVS's
// nat_get_unique_tuple). It returns false when the tuple space is
// exhausted.
func (t *Tracker) natUniqueTuple(c *conn, ni *natInfo, now int64) bool {
	k := &c.key
	rk := k.reverse()
	hash := t.natHash(k, ni)
	var addr [16]byte
	switch {
	case ni.hasAddr:
		addr = addrInRange(&ni.minAddr, &ni.maxAddr, hash, k.v6)
	case ni.act == natSrc:
		addr = k.src
	default:
		addr = k.dst
	}
	if ni.act == natSrc {
		rk.dst = addr
	} else {
		rk.src = addr
	}
	c.rkey = rk
	if k.proto != packet.ProtoTCP && k.proto != packet.ProtoUDP {
		return t.freeTuple(&c.rkey, now)
	}
	// Source port range: the sender's port's class when it is not being
	// chosen from a range (SNAT without ports, or DNAT), else the range.
	var cs, mins, maxs uint16
	if (ni.act == natSrc && !ni.hasPort) || ni.act == natDst {
		cs = k.sport
		switch {
		case cs < 512:
			mins, maxs = 1, 511
		case cs < 1024:
			mins, maxs = 600, 1023
		default:
			mins, maxs = 1024, 65535
		}
	} else {
		mins, maxs = ni.minPort, ni.maxPort
		cs = mins + uint16(hash%(uint32(maxs-mins)+1))
	}
	cd, mind, maxd := k.dport, k.dport, k.dport
	if ni.act == natDst && ni.hasPort {
		mind, maxd = ni.minPort, ni.maxPort
		cd = mind + uint16(hash%(uint32(maxd-mind)+1))
	}
	c.rkey.sport, c.rkey.dport = cd, cs
	if ni.act == natDst && ni.hasPort && t.uniquePort(&c.rkey, &c.rkey.sport, cd, mind, maxd, now) {
		return true
	}
	return t.uniquePort(&c.rkey, &c.rkey.dport, cs, mins, maxs, now)
}

// freeTuple reports whether no live connection uses k in either direction.
func (t *Tracker) freeTuple(k *connKey, now int64) bool {
	c, _ := t.lookup(k, now)
	return c == nil
}

// uniquePort searches *port for a value that makes rk free, starting at
// curr (which may be outside [min,max]: it is tried first) and walking the
// range; at most 128 attempts, then fewer from random starts (OVS's
// nat_get_unique_l4).
func (t *Tracker) uniquePort(rk *connKey, port *uint16, curr, min, max uint16, now int64) bool {
	rng := uint32(max-min) + 1
	attempts := min32(rng, 128)
	orig := curr
	for {
		inRange := curr >= min && curr <= max
		n := rng
		if !inRange {
			n++
		}
		for i := uint32(0); i < n && i < attempts; i++ {
			*port = curr
			if t.freeTuple(rk, now) {
				return true
			}
			if !(curr >= min && curr <= max) || curr == max {
				curr = min
			} else {
				curr++
			}
		}
		if attempts < rng && attempts >= 16 {
			attempts /= 2
			curr = min + uint16(rand.Uint32()%rng)
			continue
		}
		*port = orig
		return false
	}
}

func min32(a, b uint32) uint32 {
	if a < b {
		return a
	}
	return b
}

// handleNAT applies c's translation to a packet of it (OVS's handle_nat):
// not again if the packet was already translated in this zone.
func (t *Tracker) handleNAT(pk *packet.Packet, c *conn, zone uint16, reply, related bool, state *uint32) {
	if c.natAct == 0 {
		return
	}
	nb := packet.CsSNAT | packet.CsDNAT
	if *state&nb != 0 && pk.Key.CtZone() == zone {
		return
	}
	*state &^= nb
	natPacket(pk, c, reply, related, state)
}

// natPacket rewrites pk as c's translation says (OVS's nat_packet).
func natPacket(pk *packet.Packet, c *conn, reply, related bool, state *uint32) {
	key, act := &c.rkey, c.natAct
	if reply {
		key, act = &c.key, reverseNAT(c.natAct)
	}
	if act == natSrc {
		*state |= packet.CsSNAT
	} else {
		*state |= packet.CsDNAT
	}
	d := pk.Data
	l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
	v6 := pk.Key.Flags&packet.FlagIPv6 != 0
	end := ipEnd(d, l3, v6)
	if end < 0 || l4 > end {
		return
	}
	proto := key.proto
	if act == natSrc {
		setAddr(d, l3, l4, end, v6, proto, true, &key.dst)
	} else {
		setAddr(d, l3, l4, end, v6, proto, false, &key.src)
	}
	if related {
		natInner(d, l3, l4, end, v6, key, reverseNAT(act))
	} else {
		setPorts(d, l4, end, proto, key.dport, key.sport)
	}
	packet.Parse(pk)
}

// ipEnd returns the end offset of the IP datagram at l3, or -1.
func ipEnd(d []byte, l3 int, v6 bool) int {
	if v6 {
		if len(d)-l3 < 40 {
			return -1
		}
		e := l3 + 40 + int(be.Uint16(d[l3+4:]))
		if e > len(d) {
			return -1
		}
		return e
	}
	if len(d)-l3 < 20 {
		return -1
	}
	e := l3 + int(be.Uint16(d[l3+2:]))
	if e > len(d) || e < l3+20 {
		return -1
	}
	return e
}

// csumAdjust updates an Internet checksum for old bytes replaced by new
// (RFC 1624; both of even length).
func csumAdjust(sum uint16, old, new []byte) uint16 {
	s := uint32(^sum)
	for i := 0; i+1 < len(old); i += 2 {
		s += uint32(^be.Uint16(old[i:]))
		s += uint32(be.Uint16(new[i:]))
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// l4CsumOff returns the offset of the L4 checksum field within the header
// for protocols whose checksum covers the pseudo-header, or -1.
func l4CsumOff(proto uint8, v6 bool) int {
	switch {
	case proto == packet.ProtoTCP:
		return 16
	case proto == packet.ProtoUDP:
		return 6
	case proto == packet.ProtoICMPv6 && v6:
		return 2
	}
	return -1
}

// setAddr replaces the source (src) or destination address of the IP
// header at l3 and fixes the IPv4 header checksum and the L4 checksum
// (pseudo-header) of the header at l4 when it is complete.
func setAddr(d []byte, l3, l4, end int, v6 bool, proto uint8, src bool, a *[16]byte) {
	var field []byte
	var newb []byte
	if v6 {
		off := l3 + 24
		if src {
			off = l3 + 8
		}
		field, newb = d[off:off+16], a[:16]
	} else {
		off := l3 + 16
		if src {
			off = l3 + 12
		}
		field, newb = d[off:off+4], a[:4]
		be.PutUint16(d[l3+10:], csumAdjust(be.Uint16(d[l3+10:]), field, newb))
	}
	if co := l4CsumOff(proto, v6); co >= 0 && end-l4 >= co+2 &&
		(proto != packet.ProtoUDP || end-l4 >= 8) {
		old := be.Uint16(d[l4+co:])
		if !(proto == packet.ProtoUDP && !v6 && old == 0) {
			n := csumAdjust(old, field, newb)
			if proto == packet.ProtoUDP && n == 0 {
				n = 0xffff
			}
			be.PutUint16(d[l4+co:], n)
		}
	}
	copy(field, newb)
}

// setPorts sets the TCP or UDP ports at l4 and fixes the checksum.
func setPorts(d []byte, l4, end int, proto uint8, sport, dport uint16) {
	if proto != packet.ProtoTCP && proto != packet.ProtoUDP {
		return
	}
	co := l4CsumOff(proto, false)
	if end-l4 < co+2 {
		if end-l4 >= 4 {
			be.PutUint16(d[l4:], sport)
			be.PutUint16(d[l4+2:], dport)
		}
		return
	}
	var nb [4]byte
	be.PutUint16(nb[0:], sport)
	be.PutUint16(nb[2:], dport)
	old := be.Uint16(d[l4+co:])
	if !(proto == packet.ProtoUDP && old == 0) {
		n := csumAdjust(old, d[l4:l4+4], nb[:])
		if proto == packet.ProtoUDP && n == 0 {
			n = 0xffff
		}
		be.PutUint16(d[l4+co:], n)
	}
	copy(d[l4:l4+4], nb[:])
}

// natInner translates the header quoted in an ICMP error (OVS's
// nat_inner_packet) and recomputes the ICMP checksum.
func natInner(d []byte, l3, l4, end int, v6 bool, key *connKey, act uint8) {
	il3 := l4 + 8
	if il3 >= end {
		return
	}
	var inner connKey
	var il4b []byte
	var ok bool
	if v6 {
		il4b, ok = extractIPv6(&inner, d[il3:end])
	} else {
		il4b, ok = extractIPv4(&inner, d[il3:end], true)
	}
	if !ok {
		return
	}
	il4 := end - len(il4b)
	if !v6 {
		il4 = il3 + int(d[il3]&0xf)*4
	}
	rk := key.reverse()
	iend := end
	setPorts(d, il4, iend, inner.proto, rk.dport, rk.sport)
	if act == natSrc {
		setAddr(d, il3, il4, iend, v6, inner.proto, true, &rk.dst)
	} else {
		setAddr(d, il3, il4, iend, v6, inner.proto, false, &rk.src)
	}
	// The ICMP checksum covers everything: recompute it.
	d[l4+2], d[l4+3] = 0, 0
	var c uint16
	if v6 {
		c = l4Checksum(true, d[l3:l3+40], d[l4:end], packet.ProtoICMPv6)
	} else {
		c = checksum(d[l4:end], 0)
	}
	be.PutUint16(d[l4+2:], c)
}
