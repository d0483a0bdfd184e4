package packet

import (
	"hash/crc32"
	"math/bits"
)

// Internet checksums (RFC 1071) and their incremental updates (RFC 1624),
// for every package: ct, ct/nat, ct/alg, ct/frag and ports use these and
// have none of their own. The names say the contract:
//
//   - Sum accumulates: the one's complement sum of some bytes added to a
//     running sum, folded to 16 bits and kept in a uint32 so sums can be
//     chained: Sum(b2, Sum(b1, 0)) sums b1 then b2 (every piece but the
//     last must have an even length).
//   - Fold turns a sum into its 16-bit value (not complemented).
//   - Checksum is the value stored in a header: the complement of the
//     folded sum, Checksum(b) == ^Fold(Sum(b, 0)). A header whose checksum
//     is right gives Checksum 0 (sums to 0xffff). PutIPv4HeaderChecksum
//     stores it in an IPv4 header.
//   - PseudoSum4, PseudoSum6 and PseudoSumIPHeader are the sums of the
//     TCP/UDP/ICMPv6 pseudo-header, to start an L4 sum with.
//   - UpdateCsum16/32/128 update a stored (complemented) checksum for a
//     changed field of the covered data (RFC 1624 eqn. 3).
//   - AdjustSum16/32/128 update an uncomplemented sum, such as a partial
//     checksum field (below), for a changed field.
//   - SCTPChecksum is SCTP's CRC32c, which is no Internet checksum.
//   - CompletePartialChecksum finishes an offloaded (partial) checksum the
//     way a NIC does, from the sum already in the field. ports'
//     RecomputeOffloadChecksum instead computes it afresh from the frame's
//     current headers.
//
// Partial checksums (offload). A frame read from a TAP or AF_PACKET port
// with a virtio-net header may carry VIRTIO_NET_HDR_F_NEEDS_CSUM: the
// kernel's CHECKSUM_PARTIAL. The port then sets FlagCsumPartial and
// Offload.CsumStart/CsumOffset. The L4 checksum field at
// CsumStart+CsumOffset then holds the folded, NOT complemented, sum of the
// pseudo-header only (what tcp_v4_send_check and udp4_hwcsum leave there:
// ~csum_tcpudp_magic(..., 0)); whoever finishes the checksum sums the bytes
// from CsumStart to the end, complements, and stores the result.
//
// We update such a field as Linux does (inet_proto_csum_replace4/16 with
// pseudohdr=true on a CHECKSUM_PARTIAL skb, used by netfilter NAT and by
// OVS's kernel datapath set actions):
//   - a change to a pseudo-header field (IP addresses) is added to the
//     field without complementing: field' = fold(field + ~old + new)
//     (AdjustSum16/32/128);
//   - a change to bytes covered by the checksum (ports, ICMPv6 type/code,
//     nd_target) leaves the field alone: the final computation will see
//     the new bytes;
//   - a UDP partial field is updated even when it is 0 (0 is a valid
//     pseudo-header sum there; "no checksum" applies only to complete UDP
//     checksums).

// Sum returns the one's complement sum of b added to the running sum
// initial, folded to 16 bits (so it can be passed on as initial; b may have
// an odd length only if it is the last piece).
func Sum(b []byte, initial uint32) uint32 {
	// 64-bit words with their carries: 2^64 is 1 modulo 0xffff, so a
	// carry out of the word is added back in (end-around carry), and the
	// sum folds to the 16-bit one.
	acc := uint64(initial)
	if len(b) >= 32 {
		var carry, c uint64
		for len(b) >= 32 {
			acc, c = bits.Add64(acc, be.Uint64(b[0:]), 0)
			acc, c = bits.Add64(acc, be.Uint64(b[8:]), c)
			acc, c = bits.Add64(acc, be.Uint64(b[16:]), c)
			acc, c = bits.Add64(acc, be.Uint64(b[24:]), c)
			carry += c
			b = b[32:]
		}
		acc, c = bits.Add64(acc, carry, 0)
		acc += c
		acc = acc>>32 + acc&0xffffffff
	}
	for len(b) >= 4 {
		acc += uint64(be.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(be.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return uint32(fold64(acc))
}

func fold64(acc uint64) uint16 {
	acc = acc>>32 + acc&0xffffffff
	acc = acc>>32 + acc&0xffffffff
	acc = acc>>16 + acc&0xffff
	acc = acc>>16 + acc&0xffff
	return uint16(acc)
}

// Fold folds a sum to 16 bits (it is not complemented).
func Fold(sum uint32) uint16 { return fold64(uint64(sum)) }

// Checksum returns the Internet checksum of b: the complement of its sum.
// A buffer that includes a correct checksum field gives 0.
func Checksum(b []byte) uint16 { return ^Fold(Sum(b, 0)) }

// PseudoSum4 returns the sum of an IPv4 pseudo-header (RFC 793/768).
func PseudoSum4(src, dst uint32, proto uint8, length uint16) uint32 {
	acc := uint64(src) + uint64(dst) + uint64(proto) + uint64(length)
	return uint32(fold64(acc))
}

// PseudoSum6 returns the sum of an IPv6 pseudo-header (RFC 8200 8.1); src
// and dst are the 16-byte addresses.
func PseudoSum6(src, dst []byte, proto uint8, length uint32) uint32 {
	return Sum(src[:16], Sum(dst[:16], uint32(fold64(uint64(proto)+uint64(length)))))
}

// PseudoSumIPHeader returns the pseudo-header sum for length bytes of
// protocol proto carried by the IPv4 (v6 false) or IPv6 header ip, whose
// addresses it reads (ip must hold at least 20 or 40 bytes). It serves
// code that works on bytes rather than a parsed Key.
func PseudoSumIPHeader(ip []byte, v6 bool, proto uint8, length int) uint32 {
	if v6 {
		return PseudoSum6(ip[8:24], ip[24:40], proto, uint32(length))
	}
	return PseudoSum4(be.Uint32(ip[12:]), be.Uint32(ip[16:]), proto, uint16(length))
}

// PutIPv4HeaderChecksum computes the checksum of the IPv4 header h (all
// IHL*4 bytes of it, and nothing more) from scratch and stores it in h.
func PutIPv4HeaderChecksum(h []byte) {
	h[10], h[11] = 0, 0
	be.PutUint16(h[10:], Checksum(h))
}

// AdjustSum16 returns the folded sum sum after a 16-bit word of the summed
// data changed from old to new (sum + ~old + new). This is the update for a
// partial (not complemented) checksum field.
func AdjustSum16(sum, old, new uint16) uint16 {
	return fold64(uint64(sum) + uint64(^old) + uint64(new))
}

// AdjustSum32 is AdjustSum16 for a 32-bit field (e.g. an IPv4 address).
func AdjustSum32(sum uint16, old, new uint32) uint16 {
	return fold64(uint64(sum) + uint64(^old) + uint64(new))
}

// AdjustSum128 is AdjustSum16 for a 128-bit field (e.g. an IPv6 address).
func AdjustSum128(sum uint16, old, new U128) uint16 {
	acc := uint64(sum) +
		uint64(^uint32(old.Hi>>32)) + uint64(^uint32(old.Hi)) +
		uint64(^uint32(old.Lo>>32)) + uint64(^uint32(old.Lo)) +
		new.Hi>>32 + new.Hi&0xffffffff + new.Lo>>32 + new.Lo&0xffffffff
	return fold64(acc)
}

// UpdateCsum16 returns checksum csum updated for a 16-bit word of the
// covered data changing from old to new (RFC 1624 eqn. 3:
// HC' = ~(~HC + ~m + m')).
func UpdateCsum16(csum, old, new uint16) uint16 { return ^AdjustSum16(^csum, old, new) }

// UpdateCsum32 is UpdateCsum16 for a 32-bit field, aligned on a 16-bit
// boundary of the covered data.
func UpdateCsum32(csum uint16, old, new uint32) uint16 { return ^AdjustSum32(^csum, old, new) }

// UpdateCsum128 is UpdateCsum16 for a 128-bit field.
func UpdateCsum128(csum uint16, old, new U128) uint16 { return ^AdjustSum128(^csum, old, new) }

// keyFits reports whether the Key's offsets are consistent with the frame,
// so that rewriting and checksum code can index the frame without further
// checks. It is always true right after Parse; it guards against a Key gone
// stale (pk.Data changed without a new Parse).
func (pk *Packet) keyFits() bool {
	k := &pk.Key
	n := len(pk.Data)
	l3, l4 := int(k.L3), int(k.L4)
	switch {
	case k.Flags&FlagIPv4 != 0:
		if l4 < l3+20 || l4 > n || l3+int(be.Uint16(pk.Data[l3+2:])) > n {
			return false
		}
	case k.Flags&FlagIPv6 != 0:
		if l3+40 > n || l4 != 0 && (l4 < l3+40 || l4 > n) || l3+40+int(be.Uint16(pk.Data[l3+4:])) > n {
			return false
		}
	}
	if k.Flags&FlagL4 != 0 {
		min := 8
		switch k.NwProto() {
		case ProtoTCP:
			min = 20
		case ProtoSCTP:
			min = 12
		}
		if k.Flags&(FlagIPv4|FlagIPv6) == 0 || int(k.L7) < l4+min || int(k.L7) > pk.ipEnd() {
			return false
		}
	}
	return true
}

// ipEnd returns the end of the IPv4 or IPv6 datagram (L3 header plus
// payload, without Ethernet padding), or len(pk.Data) when there is no
// valid IP header.
func (pk *Packet) ipEnd() int {
	k := &pk.Key
	l3 := int(k.L3)
	switch {
	case k.Flags&FlagIPv4 != 0:
		if e := l3 + int(be.Uint16(pk.Data[l3+2:])); e <= len(pk.Data) {
			return e
		}
	case k.Flags&FlagIPv6 != 0:
		if e := l3 + 40 + int(be.Uint16(pk.Data[l3+4:])); e <= len(pk.Data) {
			return e
		}
	}
	return len(pk.Data)
}

// l4CsumOffset returns the offset of the L4 checksum field of a packet
// with FlagL4, or -1 if its protocol has no Internet checksum (SCTP uses
// CRC32c) or none applies.
func (pk *Packet) l4CsumOffset() int {
	k := &pk.Key
	if k.Flags&FlagL4 == 0 {
		return -1
	}
	switch k.NwProto() {
	case ProtoTCP:
		return int(k.L4) + 16
	case ProtoUDP:
		return int(k.L4) + 6
	case ProtoICMP, ProtoICMPv6:
		return int(k.L4) + 2
	}
	return -1
}

// l4PseudoSum returns the pseudo-header sum for the packet's L4 payload
// (0 for ICMPv4, which has none).
func (pk *Packet) l4PseudoSum() uint32 {
	k := &pk.Key
	proto := k.NwProto()
	n := pk.ipEnd() - int(k.L4)
	switch {
	case k.Flags&FlagIPv4 != 0:
		if proto == ProtoICMP {
			return 0
		}
		return PseudoSum4(k.IPv4Src(), k.IPv4Dst(), proto, uint16(n))
	case k.Flags&FlagIPv6 != 0:
		l3 := int(k.L3)
		return PseudoSum6(pk.Data[l3+8:l3+24], pk.Data[l3+24:l3+40], proto, uint32(n))
	}
	return 0
}

// csumIsPartial reports whether the checksum field at off is an offloaded
// (partial) one.
func (pk *Packet) csumIsPartial(off int) bool {
	return pk.Key.Flags&FlagCsumPartial != 0 && int(pk.Off.CsumStart)+int(pk.Off.CsumOffset) == off
}

// IPv4HeaderChecksumOK reports whether the packet's IPv4 header checksum is
// right (false when there is no parsed IPv4 header).
func (pk *Packet) IPv4HeaderChecksumOK() bool {
	return pk.Key.Flags&FlagIPv4 != 0 && pk.Key.Flags&FlagBadIPCsum == 0
}

// RecomputeIPv4Checksum rewrites the IPv4 header checksum from scratch
// (after building or heavily editing a header). It reports false when there
// is no parsed IPv4 header.
func (pk *Packet) RecomputeIPv4Checksum() bool {
	k := &pk.Key
	if k.Flags&FlagIPv4 == 0 || !pk.keyFits() {
		return false
	}
	PutIPv4HeaderChecksum(pk.Data[k.L3:k.L4])
	k.Flags &^= FlagBadIPCsum
	return true
}

// L4ChecksumOK reports whether the packet's TCP, UDP, SCTP, ICMP or ICMPv6
// checksum verifies over the whole datagram. It is true for a UDP/IPv4
// packet without a checksum (0), and for a partial (offloaded) checksum
// (the sender's kernel vouches for it, as Linux's CHECKSUM_PARTIAL does). It
// is false for fragments, which cannot be verified alone, and for packets
// without a parsed L4 header.
func (pk *Packet) L4ChecksumOK() bool {
	k := &pk.Key
	if k.Flags&FlagL4 == 0 || k.NwFrag() != 0 || !pk.keyFits() {
		return false
	}
	if k.NwProto() == ProtoSCTP {
		return pk.sctpCRC() == le32(pk.Data[k.L4+8:])
	}
	off := pk.l4CsumOffset()
	if off < 0 {
		return false
	}
	if pk.csumIsPartial(off) {
		return true
	}
	if k.NwProto() == ProtoUDP && k.Flags&FlagIPv4 != 0 && be.Uint16(pk.Data[off:]) == 0 {
		return true
	}
	return Fold(Sum(pk.Data[k.L4:pk.ipEnd()], pk.l4PseudoSum())) == 0xffff
}

// RecomputeL4Checksum rewrites the packet's L4 checksum (TCP, UDP, SCTP,
// ICMP, ICMPv6) from scratch over the whole datagram and clears
// FlagCsumPartial. A UDP/IPv4 checksum of 0 ("none") stays 0; a computed
// UDP checksum of 0 is stored as 0xffff. It reports false when the packet
// has no parsed L4 header or is a fragment.
func (pk *Packet) RecomputeL4Checksum() bool {
	k := &pk.Key
	if k.Flags&FlagL4 == 0 || k.NwFrag() != 0 || !pk.keyFits() {
		return false
	}
	if k.NwProto() == ProtoSCTP {
		putLE32(pk.Data[k.L4+8:], pk.sctpCRC())
		k.Flags &^= FlagCsumPartial
		return true
	}
	off := pk.l4CsumOffset()
	if off < 0 {
		return false
	}
	udp := k.NwProto() == ProtoUDP
	if udp && k.Flags&FlagIPv4 != 0 && be.Uint16(pk.Data[off:]) == 0 && !pk.csumIsPartial(off) {
		return true
	}
	pk.Data[off], pk.Data[off+1] = 0, 0
	c := ^Fold(Sum(pk.Data[k.L4:pk.ipEnd()], pk.l4PseudoSum()))
	if c == 0 && udp {
		c = 0xffff
	}
	be.PutUint16(pk.Data[off:], c)
	if pk.csumIsPartial(off) {
		k.Flags &^= FlagCsumPartial
	}
	return true
}

// CompletePartialChecksum completes a partial (offloaded) checksum in
// software, as Linux's skb_checksum_help does: it trusts the offload's
// positions and the pseudo-header sum the field already holds, sums the
// bytes from Off.CsumStart to the end of the IP datagram, stores the
// complement at CsumStart+CsumOffset (0 becomes 0xffff), and clears
// FlagCsumPartial (Off is left as it is). An SCTP CRC32c offload gets its
// CRC computed. It reports false, changing nothing, when the packet has no
// partial checksum or its offsets are out of range. (ports'
// RecomputeOffloadChecksum is the one an output uses: it does not trust a
// pseudo-header sum that NAT or a VLAN push may have left stale.)
func CompletePartialChecksum(pk *Packet) bool {
	if pk.Key.Flags&FlagCsumPartial == 0 || !pk.keyFits() {
		return false
	}
	start := int(pk.Off.CsumStart)
	off := start + int(pk.Off.CsumOffset)
	end := pk.ipEnd()
	if end > len(pk.Data) || off+2 > end || start > off {
		return false
	}
	if pk.Key.Flags&FlagL4 != 0 && pk.Key.NwProto() == ProtoSCTP && off == int(pk.Key.L4)+8 {
		// SCTP CRC32c offload (csum_offset 8): the field holds nothing
		// useful; compute the CRC.
		putLE32(pk.Data[off:], pk.sctpCRC())
	} else {
		c := ^Fold(Sum(pk.Data[start:end], 0))
		if c == 0 {
			c = 0xffff
		}
		be.PutUint16(pk.Data[off:], c)
	}
	pk.Key.Flags &^= FlagCsumPartial
	return true
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SCTPChecksum returns the CRC32c of the SCTP packet s (common header and
// chunks, at least 12 bytes) with its checksum field taken as zero (RFC
// 9260 appendix A); s is not changed. It is stored little-endian at s[8:].
func SCTPChecksum(s []byte) uint32 {
	var zero [4]byte
	c := crc32.Update(0, castagnoli, s[:8])
	c = crc32.Update(c, castagnoli, zero[:])
	return crc32.Update(c, castagnoli, s[12:])
}

// sctpCRC is SCTPChecksum of the packet's SCTP header and payload.
func (pk *Packet) sctpCRC() uint32 { return SCTPChecksum(pk.Data[pk.Key.L4:pk.ipEnd()]) }

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func putLE32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// recomputeNDChecksum computes the ICMPv6 checksum of the ND message at L4
// afresh, as OVS's packet_set_nd_ext does after writing nd_reserved or
// nd_options_type: over the bytes from L4 to the end of the IPv6 payload,
// with the pseudo-header taken from the IPv6 header's own next-header and
// payload-length fields (so a wrong incoming checksum comes out right). A
// partial (offload) checksum is left alone: the covered bytes are summed
// when it is finished.
func (pk *Packet) recomputeNDChecksum() {
	l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
	off := l4 + 2
	if pk.csumIsPartial(off) {
		return
	}
	ip := pk.Data[l3:]
	s := Sum(ip[8:40], uint32(fold64(uint64(ip[6])+uint64(be.Uint16(ip[4:])))))
	pk.Data[off], pk.Data[off+1] = 0, 0
	be.PutUint16(pk.Data[off:], ^Fold(Sum(pk.Data[l4:pk.ipEnd()], s)))
}
