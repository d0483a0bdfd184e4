package pipeline

import (
	"encoding/binary"
	"math/bits"

	"gswitch/packet"
)

// This file is OVS 3.1's flow_hash_fields (lib/flow.c) and the multipath
// and bundle choices built on it (lib/multipath.c, lib/bundle.c), so that a
// packet picks the same link or member in gswitch as in OVS. The hashes are
// Jenkins' lookup3 (OVS's jhash_bytes) over the little-endian memory image
// of OVS's structures, and OVS's murmur-based hash_add/hash_finish (the
// portable build Debian ships, without SSE 4.2 CRC32). None allocates.

// HashFields is OVS's flow_hash_fields: the hash of the fields of k that
// fields (Hash*) names, with basis. A field set it does not know hashes to
// basis.
func HashFields(k *packet.Key, fields, basis uint16) uint32 {
	w := &k.W
	b := uint32(basis)
	et := w.EthType()
	switch fields {
	case HashEthSrc:
		var m [6]byte
		putMAC(m[:], w.EthSrc())
		return jhashBytes(m[:], b)
	case HashSymmetricL4:
		return hashSymmetricL4(w, b)
	case HashSymmetricL3L4:
		return hashSymmetricL3L4(w, b, false)
	case HashSymmetricL3L4UDP:
		return hashSymmetricL3L4(w, b, true)
	case HashNwSrc, HashNwDst:
		switch et {
		case packet.EthTypeIPv4:
			var a [4]byte
			v := w.IPv4Src()
			if fields == HashNwDst {
				v = w.IPv4Dst()
			}
			binary.BigEndian.PutUint32(a[:], v)
			return jhashBytes(a[:], b)
		case packet.EthTypeIPv6:
			var a [16]byte
			v := w.IPv6Src()
			if fields == HashNwDst {
				v = w.IPv6Dst()
			}
			binary.BigEndian.PutUint64(a[:], v.Hi)
			binary.BigEndian.PutUint64(a[8:], v.Lo)
			return jhashBytes(a[:], b)
		}
		return b
	case HashSymmetricL3:
		// struct { union { be32; in6_addr }; be16 eth_type; }: 20 bytes.
		var f [20]byte
		putL3Xor(f[:16], w, et)
		binary.BigEndian.PutUint16(f[16:], et)
		return jhashBytes(f[:], b)
	}
	return b
}

func putMAC(b []byte, mac uint64) {
	binary.BigEndian.PutUint16(b, uint16(mac>>32))
	binary.BigEndian.PutUint32(b[2:], uint32(mac))
}

// putL3Xor writes the XOR of the packet's source and destination
// addresses (IPv4 in the first 4 bytes, or IPv6) into b[:16].
func putL3Xor(b []byte, w *packet.Words, et uint16) {
	switch et {
	case packet.EthTypeIPv4:
		binary.BigEndian.PutUint32(b, w.IPv4Src()^w.IPv4Dst())
	case packet.EthTypeIPv6:
		s, d := w.IPv6Src(), w.IPv6Dst()
		binary.BigEndian.PutUint64(b, s.Hi^d.Hi)
		binary.BigEndian.PutUint64(b[8:], s.Lo^d.Lo)
	}
}

func hasPorts(proto uint8, udp bool) bool {
	return proto == packet.ProtoTCP || proto == packet.ProtoSCTP || (udp && proto == packet.ProtoUDP)
}

// hashSymmetricL4 is flow_hash_symmetric_l4: jhash of a 32-byte structure
// (addresses, eth_type, VID, ports, MACs, protocol). gswitch's key holds
// one VLAN header, OVS's two: the VIDs of both are XORed there.
func hashSymmetricL4(w *packet.Words, basis uint32) uint32 {
	var f [32]byte
	et := w.EthType()
	putMAC(f[22:], w.EthSrc()^w.EthDst())
	binary.BigEndian.PutUint16(f[18:], w.VlanTCI()&0xfff)
	binary.BigEndian.PutUint16(f[16:], et)
	if et == packet.EthTypeIPv4 || et == packet.EthTypeIPv6 {
		putL3Xor(f[:16], w, et)
		p := w.NwProto()
		f[28] = p
		if hasPorts(p, false) {
			binary.BigEndian.PutUint16(f[20:], w.TpSrc()^w.TpDst())
		}
	}
	return jhashBytes(f[:], basis)
}

// hashSymmetricL3L4 is flow_hash_symmetric_l3l4 (and, for non-IP packets,
// flow_hash_symmetric_l2).
func hashSymmetricL3L4(w *packet.Words, basis uint32, udp bool) uint32 {
	h := basis
	switch w.EthType() {
	case packet.EthTypeIPv4:
		h = hashAdd(h, bits.ReverseBytes32(w.IPv4Src()^w.IPv4Dst()))
	case packet.EthTypeIPv6:
		s, d := w.IPv6Src(), w.IPv6Dst()
		h = hashAdd64(h, bits.ReverseBytes64(s.Hi^d.Hi))
		h = hashAdd64(h, bits.ReverseBytes64(s.Lo^d.Lo))
	default:
		return hashSymmetricL2(w, basis)
	}
	p := w.NwProto()
	h = hashAdd(h, uint32(p))
	if w.NwFrag()&(packet.FragAny|packet.FragLater) == 0 && hasPorts(p, udp) {
		h = hashAdd(h, uint32(bits.ReverseBytes16(w.TpSrc()^w.TpDst())))
	}
	return hashFinish(h, basis)
}

// hashSymmetricL2 is flow_hash_symmetric_l2: three words (eth_type and VID,
// then the XOR of the MACs).
func hashSymmetricL2(w *packet.Words, basis uint32) uint32 {
	var f [12]byte
	binary.BigEndian.PutUint16(f[0:], w.EthType())
	binary.BigEndian.PutUint16(f[2:], w.VlanTCI()&0xfff)
	putMAC(f[4:], w.EthSrc()^w.EthDst())
	h := hashAdd(basis, le32(f[0:]))
	h = hashAdd(h, le32(f[4:]))
	h = hashAdd(h, le32(f[8:]))
	return hashFinish(h, basis)
}

// jhashBytes is OVS's jhash_bytes (lookup3's hashlittle over native
// little-endian words).
func jhashBytes(p []byte, basis uint32) uint32 {
	n := uint32(len(p))
	a := 0xdeadbeef + n + basis
	b, c := a, a
	for len(p) >= 12 {
		a += le32(p)
		b += le32(p[4:])
		c += le32(p[8:])
		a, b, c = jmix(a, b, c)
		p = p[12:]
	}
	if len(p) > 0 {
		var t [12]byte
		copy(t[:], p)
		a += le32(t[:])
		b += le32(t[4:])
		c += le32(t[8:])
		_, _, c = jfinal(a, b, c)
	}
	return c
}

func rot(x uint32, k int) uint32 { return bits.RotateLeft32(x, k) }

func jmix(a, b, c uint32) (uint32, uint32, uint32) {
	a -= c
	a ^= rot(c, 4)
	c += b
	b -= a
	b ^= rot(a, 6)
	a += c
	c -= b
	c ^= rot(b, 8)
	b += a
	a -= c
	a ^= rot(c, 16)
	c += b
	b -= a
	b ^= rot(a, 19)
	a += c
	c -= b
	c ^= rot(b, 4)
	b += a
	return a, b, c
}

func jfinal(a, b, c uint32) (uint32, uint32, uint32) {
	c ^= b
	c -= rot(b, 14)
	a ^= c
	a -= rot(c, 11)
	b ^= a
	b -= rot(a, 25)
	c ^= b
	c -= rot(b, 16)
	a ^= c
	a -= rot(c, 4)
	b ^= a
	b -= rot(a, 14)
	c ^= b
	c -= rot(b, 24)
	return a, b, c
}

// hashAdd, hashAdd64 and hashFinish are OVS's mhash-based hash_add,
// hash_add64 and hash_finish.
func hashAdd(h, data uint32) uint32 {
	if data != 0 {
		data *= 0xcc9e2d51
		data = rot(data, 15)
		data *= 0x1b873593
		h ^= data
	}
	h = rot(h, 13)
	return h*5 + 0xe6546b64
}

func hashAdd64(h uint32, data uint64) uint32 {
	return hashAdd(hashAdd(h, uint32(data)), uint32(data>>32))
}

func hashFinish(h, final uint32) uint32 {
	h ^= final
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// hash2Words is OVS's hash_2words (and hash_int(x, y)).
func hash2Words(x, y uint32) uint32 { return hashFinish(hashAdd(hashAdd(x, 0), y), 8) }

// hashUint64 is OVS's hash_uint64 (basis 0).
func hashUint64(x uint64) uint32 { return hashFinish(hashAdd64(0, x), 8) }

// hashBytes is OVS's hash_bytes on a little-endian machine.
func hashBytes(p []byte, basis uint32) uint32 {
	h := basis
	n := len(p)
	for ; len(p) >= 4; p = p[4:] {
		h = hashAdd(h, le32(p))
	}
	if len(p) > 0 {
		var t [4]byte
		copy(t[:], p)
		h = hashAdd(h, le32(t[:]))
	}
	return hashFinish(h, uint32(n))
}

// MultipathLink is OVS's multipath_algorithm: the link (below nLinks) that
// hash picks with algorithm (MP*) and arg.
func MultipathLink(hash uint32, algorithm uint16, nLinks, arg uint32) uint16 {
	switch algorithm {
	case MPModuloN:
		return uint16(hash % nLinks)
	case MPHashThreshold:
		if nLinks == 1 {
			return 0
		}
		return uint16(hash / (0xffffffff/nLinks + 1))
	case MPHRW:
		if nLinks > 64 {
			return iterHash(hash, nLinks, 0)
		}
		best, bestW := uint16(0), hash2Words(hash, 0)
		for l := uint32(1); l < nLinks; l++ {
			if w := hash2Words(hash, l); w > bestW {
				best, bestW = uint16(l), w
			}
		}
		return best
	case MPIterHash:
		return iterHash(hash, nLinks, arg)
	}
	return 0
}

func roundUpPow2(x uint32) uint32 {
	x--
	x |= x >> 1
	x |= x >> 2
	x |= x >> 4
	x |= x >> 8
	return x + 1
}

// iterHash is algorithm_iter_hash (its link is 16 bits wide, as OVS's).
func iterHash(hash, nLinks, modulo uint32) uint16 {
	if modulo < nLinks || modulo/2 > nLinks {
		modulo = roundUpPow2(nLinks)
	}
	var link uint16
	for i := uint32(0); ; i++ {
		link = uint16(hash2Words(hash, i) % modulo)
		if uint32(link) < nLinks {
			return link
		}
	}
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// RSSHash is OVS's miniflow_hash_5tuple(flow, 0) (lib/flow.c): the hash the
// userspace datapath gives a packet that came without a NIC's RSS hash
// (dpif_netdev_packet_get_rss_hash), from which a tunnel port picks the
// outer UDP source port (tunnel.SrcPort). Addresses and ports are hashed as
// OVS's miniflow holds them in memory (network byte order read as
// little-endian words).
func RSSHash(k *packet.Key) uint32 {
	w := &k.W
	var h uint32
	switch w.EthType() {
	case 0x86dd:
		s, d := w.IPv6Src(), w.IPv6Dst()
		h = hashAdd64(h, bits.ReverseBytes64(s.Hi))
		h = hashAdd64(h, bits.ReverseBytes64(s.Lo))
		h = hashAdd64(h, bits.ReverseBytes64(d.Hi))
		h = hashAdd64(h, bits.ReverseBytes64(d.Lo))
	case 0x0800, 0x0806:
		h = hashAdd(h, bits.ReverseBytes32(w.IPv4Src()))
		h = hashAdd(h, bits.ReverseBytes32(w.IPv4Dst()))
	default:
		return hashFinish(h, 42)
	}
	p := w.NwProto()
	h = hashAdd(h, uint32(p))
	switch p {
	case packet.ProtoTCP, packet.ProtoUDP, packet.ProtoSCTP, 1, 58:
		h = hashAdd(h, uint32(bits.ReverseBytes16(w.TpSrc()))|uint32(bits.ReverseBytes16(w.TpDst()))<<16)
	}
	return hashFinish(h, 42)
}
