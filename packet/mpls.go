package packet

// MPLS label stack rewrites, as OVS 3.1's userspace datapath and its
// translation (lib/flow.c flow_push_mpls/flow_pop_mpls, lib/packets.c
// push_mpls/pop_mpls) do them. The label stack starts at Key.L3 (the offset
// after the Ethernet header and any VLAN tags); the outermost entry is in
// W33 (see Words.MPLSLSE).

// MaxMPLSLabels is the number of label stack entries OVS keeps in its flow
// (FLOW_MAX_MPLS_LABELS): a push onto a stack this deep, or a pop of a stack
// whose bottom is not among the first MaxMPLSLabels entries, drops the
// packet.
const MaxMPLSLabels = 3

// Bits of a label stack entry (as a 32-bit big-endian value).
const (
	MPLSLabelShift = 12
	MPLSTCShift    = 9
	MPLSBOSBit     = 1 << 8
	MPLSTTLMask    = 0xff
)

// MPLSLabels returns the number of MPLS label stack entries as OVS's
// flow_count_mpls_labels counts them: 0 for a frame whose eth_type is not
// MPLS; else, of the first MaxMPLSLabels complete entries, the position of
// the one with the bottom-of-stack bit, or, with none, the number of
// non-zero entries.
func (pk *Packet) MPLSLabels() int {
	if !IsMPLS(pk.Key.W.EthType()) {
		return 0
	}
	d, off, n := pk.Data, int(pk.Key.L3), 0
	for i := 0; i < MaxMPLSLabels && off+4*i+4 <= len(d); i++ {
		lse := be.Uint32(d[off+4*i:])
		if lse&MPLSBOSBit != 0 {
			return i + 1
		}
		if lse != 0 {
			n++
		}
	}
	return n
}

// mplsEthTypeOff returns where the Ethernet type in front of the label stack
// (or of the L3 header) is written, as OVS's set_ethertype: behind the last
// VLAN tag, else in the Ethernet header.
func (pk *Packet) mplsEthTypeOff() int {
	if t := be.Uint16(pk.Data[12:]); (t == EthTypeVLAN || t == EthTypeQinQ) && pk.Key.L3 >= 18 {
		return int(pk.Key.L3) - 2
	}
	return 12
}

// PushMPLS pushes an MPLS label stack entry and sets the Ethernet type to
// ethType (0x8847 or 0x8848), as OVS's push_mpls. The new entry is, on a
// packet without labels, label 2 for IPv6 and 0 otherwise, TC the low 3
// bits of the IP DSCP, TTL the IP TTL (64 for a non-IP packet or a zero
// TTL) and bottom of stack; on an MPLS packet, a copy of the outer entry
// without the bottom-of-stack bit. The packet is parsed again: what was
// behind the Ethernet header is now opaque MPLS payload (no nw_* fields),
// and the conntrack entry cached in Conn is dropped (OVS clears its conn).
//
// It reports false, changing nothing, when the packet must be dropped: the
// stack already has MaxMPLSLabels entries (OVS's "more MPLS LSEs than the 3
// supported"), ethType is not MPLS, the frame is shorter than an Ethernet
// header or there is no room.
func (pk *Packet) PushMPLS(ethType uint16) bool {
	k := &pk.Key
	if !IsMPLS(ethType) || len(pk.Data) < 14 || k.L3 < 14 || int(k.L3) > len(pk.Data) {
		return false
	}
	var lse uint32
	switch n := pk.MPLSLabels(); {
	case n >= MaxMPLSLabels:
		return false
	case n > 0:
		lse = be.Uint32(pk.Data[k.L3:]) &^ MPLSBOSBit
	default:
		et := k.W.EthType()
		var label, tc, ttl uint32 = 0, 0, 64
		if et == EthTypeIPv6 {
			label = 2
		}
		if et == EthTypeIPv4 || et == EthTypeIPv6 {
			tc = uint32(k.W.NwTOS()>>2) & 7
			if t := k.W.NwTTL(); t != 0 {
				ttl = uint32(t)
			}
		}
		lse = label<<MPLSLabelShift | tc<<MPLSTCShift | MPLSBOSBit | ttl
	}
	l3 := int(k.L3)
	if !pk.Grow(l3, 4) {
		return false
	}
	be.PutUint32(pk.Data[l3:], lse)
	be.PutUint16(pk.Data[pk.mplsEthTypeOff():], ethType)
	pk.shiftOffsets(4)
	pk.Conn = nil
	Parse(pk)
	return true
}

// PopMPLS removes the outermost MPLS label stack entry and sets the
// Ethernet type to ethType, as OVS's pop_mpls, then parses the packet
// again, so that what was under the stack (for example the IPv4 header after
// pop_mpls:0x0800) is matched from then on, as OVS's recirculation after a
// pop does. A packet without labels is left alone (true). It reports false,
// changing nothing, when OVS drops the packet: the stack has more than
// MaxMPLSLabels entries before its bottom.
func (pk *Packet) PopMPLS(ethType uint16) bool {
	k := &pk.Key
	n := pk.MPLSLabels()
	if n == 0 || len(pk.Data) < 14 || k.L3 < 14 {
		return true
	}
	l3 := int(k.L3)
	if n == MaxMPLSLabels && be.Uint32(pk.Data[l3+4*(n-1):])&MPLSBOSBit == 0 {
		return false
	}
	be.PutUint16(pk.Data[pk.mplsEthTypeOff():], ethType)
	if !pk.Shrink(l3, 4) {
		return false
	}
	pk.shiftOffsets(-4)
	Parse(pk)
	return true
}

// DecMPLSTTL decrements the outermost MPLS TTL, as OVS's dec_mpls_ttl. It
// reports false, changing nothing, when the packet is not MPLS or the TTL is
// 0 or 1 (OVS then stops the action list; with TTL 0 or 1 it also sends the
// packet to the controllers with reason OFPR_INVALID_TTL).
func (pk *Packet) DecMPLSTTL() bool {
	k := &pk.Key
	if !IsMPLS(k.W.EthType()) || int(k.L3)+4 > len(pk.Data) {
		return false
	}
	ttl := k.W.MPLSLSE() & MPLSTTLMask
	if ttl <= 1 {
		return false
	}
	return pk.SetField(FieldMPLSTTL, U128{Lo: uint64(ttl - 1)}, U128{Lo: 0xff})
}

// setMPLS rewrites the bits of field f (mpls_label, mpls_tc or mpls_ttl) in
// the outermost label stack entry.
func (pk *Packet) setMPLS(f FieldID, v, mask U128) bool {
	k := &pk.Key
	l3 := int(k.L3)
	if !IsMPLS(k.W.EthType()) || l3+4 > len(pk.Data) {
		return false
	}
	pk.rewrite(l3, 4, Fields[f].Shift-32, v, mask, csNone)
	return true
}
