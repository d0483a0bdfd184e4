package packet

// Header rewriting: each function changes the frame and the Key together
// and keeps every checksum right (or, for a partial checksum, consistent
// with the offload; see checksum.go), with incremental updates.

// cs says which checksums cover a rewritten field.
type cs uint8

const (
	csNone   cs = 0
	csIPHdr  cs = 1 << iota // the IPv4 header checksum
	csL4                    // the L4 checksum covers the bytes (TCP/UDP/ICMP/ICMPv6)
	csPseudo                // the field is in the L4 pseudo-header
)

func getBE(b []byte) U128 {
	if len(b) <= 8 {
		var x uint64
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
		return U128{Lo: x}
	}
	var u U128
	for _, c := range b {
		u = U128{u.Hi<<8 | u.Lo>>56, u.Lo<<8 | uint64(c)}
	}
	return u
}

func putBE(b []byte, u U128) {
	if len(b) <= 8 {
		x := u.Lo
		for i := len(b) - 1; i >= 0; i-- {
			b[i] = byte(x)
			x >>= 8
		}
		return
	}
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(u.Lo)
		u = U128{u.Hi >> 8, u.Lo>>8 | u.Hi<<56}
	}
}

// rewrite sets the bits selected by mask (right-aligned, then shifted left
// by shift) of the big-endian container pk.Data[off:off+n] to v, and
// updates the checksums named by c incrementally.
func (pk *Packet) rewrite(off, n int, shift uint, v, mask U128, c cs) {
	// The 16-bit words touched, aligned on even offsets (L3 and L4 are
	// always even: Ethernet, tags and SNAP have even lengths and IP headers
	// are multiples of 4 bytes).
	lo, hi := off&^1, (off+n+1)&^1
	if hi > len(pk.Data) {
		hi = len(pk.Data) // an odd-length frame; Sum pads the last byte
	}
	var sOld uint32
	if c != csNone {
		sOld = Sum(pk.Data[lo:hi], 0)
	}
	b := pk.Data[off : off+n]
	m := mask.Shl(shift)
	putBE(b, getBE(b).AndNot(m).Or(v.Shl(shift).And(m)))
	if c == csNone {
		return
	}
	sNew := Sum(pk.Data[lo:hi], 0)
	if c&csIPHdr != 0 {
		p := int(pk.Key.L3) + 10
		be.PutUint16(pk.Data[p:], UpdateCsum16(be.Uint16(pk.Data[p:]), uint16(sOld), uint16(sNew)))
	}
	if c&(csL4|csPseudo) != 0 {
		pk.l4Fix(uint16(sOld), uint16(sNew), c&csPseudo != 0)
	}
}

// l4Fix updates the L4 checksum for covered data (or pseudo-header data,
// with pseudo) whose sum went from sOld to sNew.
func (pk *Packet) l4Fix(sOld, sNew uint16, pseudo bool) {
	k := &pk.Key
	if k.Flags&FlagL4 == 0 {
		return // later fragment or no L4 header: no checksum here
	}
	proto := k.NwProto()
	if pseudo && proto == ProtoICMP && k.Flags&FlagIPv4 != 0 {
		return // ICMPv4 has no pseudo-header
	}
	off := pk.l4CsumOffset()
	if off < 0 {
		return
	}
	c := be.Uint16(pk.Data[off:])
	if pk.csumIsPartial(off) {
		// The field holds the pseudo-header sum; covered bytes are summed
		// when the checksum is finished.
		if pseudo {
			be.PutUint16(pk.Data[off:], AdjustSum16(c, sOld, sNew))
		}
		return
	}
	if proto == ProtoUDP {
		if c == 0 {
			return // no checksum (as Linux, for IPv6 too)
		}
		if c = UpdateCsum16(c, sOld, sNew); c == 0 {
			c = 0xffff
		}
	} else {
		c = UpdateCsum16(c, sOld, sNew)
	}
	be.PutUint16(pk.Data[off:], c)
}

// arpOK reports whether the packet carries an Ethernet/IPv4 ARP header
// that Parse extracted.
func (pk *Packet) arpOK() bool {
	k := &pk.Key
	if t := k.EthType(); t != EthTypeARP && t != EthTypeRARP {
		return false
	}
	l3 := int(k.L3)
	if l3 == 0 || len(pk.Data)-l3 < 28 {
		return false
	}
	a := pk.Data[l3:]
	return be.Uint16(a[0:]) == 1 && be.Uint16(a[2:]) == EthTypeIPv4 && a[4] == 6 && a[5] == 4
}

// isND reports whether the packet is a parsed ND message of type typ (0:
// either).
func (pk *Packet) isND(typ uint8) bool {
	k := &pk.Key
	if k.Flags&(FlagIPv6|FlagL4) != FlagIPv6|FlagL4 || k.NwProto() != ProtoICMPv6 || k.NwFrag() != 0 {
		return false
	}
	t := uint8(k.TpSrc())
	if k.TpDst() != 0 || (t != ICMPv6NeighborSolicit && t != ICMPv6NeighborAdvert) || (typ != 0 && t != typ) {
		return false
	}
	return len(pk.Data) >= pk.ipEnd() && pk.ipEnd()-int(k.L4) >= 24
}

// ndOption returns the offset of the MAC address in the first link-layer
// address option of type typ (that Parse would take), or -1.
func (pk *Packet) ndOption(typ uint8) int {
	d := pk.Data[:pk.ipEnd()]
	for p := int(pk.Key.L4) + 24; len(d)-p >= 8; {
		ol := int(d[p+1]) * 8
		if ol == 0 || ol > len(d)-p {
			return -1
		}
		if ol == 8 && d[p] == typ {
			return p + 2
		}
		p += ol
	}
	return -1
}

// SetField rewrites header field f of the frame (the bits of v selected by
// mask; both right-aligned like Words.Get values, truncated to the field's
// width) and updates the Key and every checksum. It reports false, changing
// nothing, when f is not a Header field of the registry or the packet does
// not carry the header (the field's prerequisite is not met at run time),
// in which case OVS skips the action.
//
// Semantics by field:
//   - vlan_tci (OVS's, with VlanCFI meaning "tag present"): a result with
//     VlanCFI on an untagged packet pushes an 802.1Q tag, a result without
//     VlanCFI on a tagged packet pops the outer tag, otherwise the outer
//     TCI is rewritten (the wire DEI bit is written as 0, as OVS does).
//   - vlan_vid (OpenFlow 1.3's 13-bit OFPVID_PRESENT|VID) and vlan_pcp
//     rewrite the outer tag and need one; the OFPVID_PRESENT bit of
//     vlan_vid is ignored (set_field never pushes, as in OVS).
//   - nw_tos is the whole TOS byte / traffic class (pass mask 0xfc to keep
//     ECN, as OVS's mod_nw_tos does); ip_dscp is its upper 6 bits, ip_ecn
//     the lower 2.
//   - arp_op writes the 16-bit opcode from the 8-bit field.
//   - nd_sll/nd_tll rewrite the first source/target link-layer address
//     option and report false when the message has none.
//   - Changing icmpv6_type/code re-parses the packet (ND-ness may change).
//   - The NSH fields need an NSH header Parse accepted. nsh_flags and
//     nsh_ttl keep all 8 bits in the key but only 2 and 6 reach the wire,
//     as in OVS; nsh_c1..nsh_c4 rewrite the frame only for MD type 1
//     (OVS's odp_set_nsh), otherwise just the key.
//   - nd_reserved and nd_options_type need an ND message of at least 24
//     bytes; as OVS's packet_set_nd_ext, a change writes the reserved word
//     or the type byte of the first option (whatever that option is) and
//     recomputes the ICMPv6 checksum from scratch; no change leaves the
//     frame alone.
//
// SetField does not allocate.
func (pk *Packet) SetField(f FieldID, v, mask U128) bool {
	if !f.Valid() || !Fields[f].Header {
		return false
	}
	if !pk.keyFits() {
		return false
	}
	d := &Fields[f]
	mask = mask.And(Ones(d.Bits))
	v = v.And(mask)
	k := &pk.Key
	l3, l4 := int(k.L3), int(k.L4)
	ip4 := k.Flags&FlagIPv4 != 0
	ip6 := k.Flags&FlagIPv6 != 0
	l4ok := func(proto uint8) bool {
		return k.Flags&FlagL4 != 0 && k.NwProto() == proto
	}
	switch f {
	case FieldEthDst, FieldEthSrc:
		if len(pk.Data) < 14 {
			return false
		}
		off := 0
		if f == FieldEthSrc {
			off = 6
		}
		pk.rewrite(off, 6, 0, v, mask, csNone)

	case FieldVlanTCI:
		tci := uint16(k.VlanTCI()&^uint16(mask.Lo) | uint16(v.Lo))
		return pk.setTCI(tci)
	case FieldVlanVID, FieldVlanPCP:
		if k.VlanTCI()&VlanCFI == 0 || len(pk.Data) < 18 {
			return false
		}
		if f == FieldVlanVID {
			mask.Lo &= 0xfff
			v.Lo &= 0xfff
			return pk.setTCI(k.VlanTCI()&^uint16(mask.Lo) | uint16(v.Lo))
		}
		return pk.setTCI(k.VlanTCI()&^uint16(mask.Lo<<13) | uint16(v.Lo<<13))

	case FieldIPv4Src, FieldIPv4Dst:
		if !ip4 {
			return false
		}
		off := l3 + 12
		if f == FieldIPv4Dst {
			off = l3 + 16
		}
		pk.rewrite(off, 4, 0, v, mask, csIPHdr|csPseudo)
	case FieldIPv6Src, FieldIPv6Dst:
		if !ip6 {
			return false
		}
		off := l3 + 8
		if f == FieldIPv6Dst {
			off = l3 + 24
		}
		pk.rewrite(off, 16, 0, v, mask, csPseudo)
	case FieldIPv6Label:
		if !ip6 {
			return false
		}
		pk.rewrite(l3, 4, 0, v, mask, csNone)

	case FieldNwTOS, FieldIPDSCP, FieldIPECN:
		var shift uint
		if f == FieldIPDSCP {
			shift = 2
		}
		switch {
		case ip4:
			pk.rewrite(l3+1, 1, shift, v, mask, csIPHdr)
		case ip6:
			pk.rewrite(l3, 4, 20+shift, v, mask, csNone)
		default:
			return false
		}
	case FieldNwTTL:
		switch {
		case ip4:
			pk.rewrite(l3+8, 1, 0, v, mask, csIPHdr)
		case ip6:
			pk.rewrite(l3+7, 1, 0, v, mask, csNone)
		default:
			return false
		}

	case FieldTCPSrc, FieldTCPDst, FieldUDPSrc, FieldUDPDst:
		proto := uint8(ProtoTCP)
		if f == FieldUDPSrc || f == FieldUDPDst {
			proto = ProtoUDP
		}
		if !l4ok(proto) {
			return false
		}
		off := l4
		if f == FieldTCPDst || f == FieldUDPDst {
			off += 2
		}
		pk.rewrite(off, 2, 0, v, mask, csL4)
	case FieldSCTPSrc, FieldSCTPDst:
		if !l4ok(ProtoSCTP) {
			return false
		}
		off := l4
		if f == FieldSCTPDst {
			off += 2
		}
		// As OVS's packet_set_sctp_port: keep the CRC exactly as right (or
		// as wrong) as it was, using CRC linearity.
		old := le32(pk.Data[l4+8:])
		before := pk.sctpCRC()
		pk.rewrite(off, 2, 0, v, mask, csNone)
		putLE32(pk.Data[l4+8:], old^before^pk.sctpCRC())
	case FieldICMPType, FieldICMPCode:
		if !ip4 || !l4ok(ProtoICMP) {
			return false
		}
		off := l4
		if f == FieldICMPCode {
			off++
		}
		pk.rewrite(off, 1, 0, v, mask, csL4)
	case FieldICMPv6Type, FieldICMPv6Code:
		if !ip6 || !l4ok(ProtoICMPv6) {
			return false
		}
		off := l4
		if f == FieldICMPv6Code {
			off++
		}
		pk.rewrite(off, 1, 0, v, mask, csL4)
		Parse(pk)
		return true

	case FieldARPOp:
		if !pk.arpOK() {
			return false
		}
		// The field is the low 8 bits of the opcode; the high byte is
		// written as 0.
		op := uint16(k.NwProto())&^uint16(mask.Lo) | uint16(v.Lo)
		be.PutUint16(pk.Data[l3+6:], op)
		k.W[WL3Misc] = k.W[WL3Misc]&^(0xff<<24) | uint64(op)<<24
		return true
	case FieldARPSpa, FieldARPTpa, FieldARPSha, FieldARPTha:
		if !pk.arpOK() {
			return false
		}
		switch f {
		case FieldARPSha:
			pk.rewrite(l3+8, 6, 0, v, mask, csNone)
		case FieldARPSpa:
			pk.rewrite(l3+14, 4, 0, v, mask, csNone)
		case FieldARPTha:
			pk.rewrite(l3+18, 6, 0, v, mask, csNone)
		case FieldARPTpa:
			pk.rewrite(l3+24, 4, 0, v, mask, csNone)
		}

	case FieldNdTarget:
		if !pk.isND(0) {
			return false
		}
		pk.rewrite(l4+8, 16, 0, v, mask, csL4)
	case FieldNdSll, FieldNdTll:
		typ, ndType := uint8(NDOptSourceLL), uint8(ICMPv6NeighborSolicit)
		if f == FieldNdTll {
			typ, ndType = NDOptTargetLL, ICMPv6NeighborAdvert
		}
		if !pk.isND(ndType) {
			return false
		}
		p := pk.ndOption(typ)
		if p < 0 {
			return false
		}
		pk.rewrite(p, 6, 0, v, mask, csL4)

	case FieldNdReserved, FieldNdOptionsType:
		if !pk.isND(0) {
			return false
		}
		var w Words
		w[d.Word] = k.W[d.Word]
		w.SetMasked(f, v, mask)
		if w[d.Word] == k.W[d.Word] {
			return true // unchanged: OVS commits no set action
		}
		if f == FieldNdReserved {
			be.PutUint32(pk.Data[l4+4:], uint32(w[d.Word]))
		} else if l4+24 < pk.ipEnd() {
			pk.Data[l4+24] = uint8(w[d.Word] >> 8)
		}
		pk.recomputeNDChecksum()

	case FieldMPLSLabel, FieldMPLSTC, FieldMPLSTTL:
		if !pk.setMPLS(f, v, mask) {
			return false
		}

	case FieldNSHFlags, FieldNSHTTL, FieldNSHSPI, FieldNSHSI, FieldNSHC1, FieldNSHC2, FieldNSHC3, FieldNSHC4:
		if k.EthType() != EthTypeNSH || nshLen(pk.Data, l3) == 0 {
			return false
		}
		switch f {
		case FieldNSHFlags: // 2 bits on the wire
			pk.rewrite(l3, 2, 12, v.And(U128{Lo: 3}), mask.And(U128{Lo: 3}), csNone)
		case FieldNSHTTL: // 6 bits on the wire
			pk.rewrite(l3, 2, 6, v.And(U128{Lo: 0x3f}), mask.And(U128{Lo: 0x3f}), csNone)
		case FieldNSHSPI:
			pk.rewrite(l3+4, 4, 8, v, mask, csNone)
		case FieldNSHSI:
			pk.rewrite(l3+7, 1, 0, v, mask, csNone)
		default:
			// As OVS's odp_set_nsh: the context headers of MD type 1
			// (the type's low four bits) only; other types keep theirs
			// and only the key changes.
			if pk.Data[l3+2]&0xf == nshMDType1 && len(pk.Data)-l3 >= nshMD1Len {
				pk.rewrite(l3+8+4*int(f-FieldNSHC1), 4, 0, v, mask, csNone)
			}
		}

	default:
		return false
	}
	k.W.SetMasked(f, v, mask)
	return true
}

// setTCI gives the packet the OVS vlan_tci tci: pushing, popping or
// rewriting the outer tag.
func (pk *Packet) setTCI(tci uint16) bool {
	k := &pk.Key
	has := k.VlanTCI()&VlanCFI != 0
	switch {
	case tci&VlanCFI != 0 && has:
		if len(pk.Data) < 18 {
			return false
		}
		be.PutUint16(pk.Data[14:], tci&^VlanCFI)
		k.W[WEthSrc] = k.W[WEthSrc]&^0xffff | uint64(tci)
		return true
	case tci&VlanCFI != 0:
		return pk.PushVLAN(EthTypeVLAN, tci)
	case has:
		return pk.PopVLAN()
	}
	return true // untagged and stays so
}

// countTags returns the number of VLAN tags at the start of the frame.
func (pk *Packet) countTags() int {
	n := 0
	for off := 12; off+4 <= len(pk.Data); off += 4 {
		if t := be.Uint16(pk.Data[off:]); t != EthTypeVLAN && t != EthTypeQinQ {
			break
		}
		n++
	}
	return n
}

// shiftOffsets moves the parsed offsets and offload offsets by delta bytes
// after a change of the L2 header length.
func (pk *Packet) shiftOffsets(delta int) {
	k := &pk.Key
	for _, p := range [...]*uint16{&k.L3, &k.L4, &k.L7} {
		if *p != 0 {
			*p = uint16(int(*p) + delta)
		}
	}
	if k.Flags&FlagCsumPartial != 0 {
		pk.Off.CsumStart = uint16(int(pk.Off.CsumStart) + delta)
	}
	if pk.Off.HdrLen != 0 {
		pk.Off.HdrLen = uint16(int(pk.Off.HdrLen) + delta)
	}
}

// PushVLAN inserts a VLAN tag with TPID ethType (0x8100 or 0x88a8) and TCI
// tci (the VlanCFI bit is ignored: the wire DEI bit is written as 0) in
// front of any tag already there, and sets vlan_tci to tci|VlanCFI.
// OVS's push_vlan pushes TCI 0 (it does not copy an existing outer tag's
// VID/PCP, which OpenFlow 1.3 suggests): the value is the caller's choice.
// It reports false (changing nothing)
// for a frame shorter than an Ethernet header or without buffer room.
func (pk *Packet) PushVLAN(ethType, tci uint16) bool {
	if len(pk.Data) < 14 || !pk.Grow(12, 4) {
		return false
	}
	be.PutUint16(pk.Data[12:], ethType)
	be.PutUint16(pk.Data[14:], tci&^VlanCFI)
	pk.shiftOffsets(4)
	if pk.countTags() > MaxVLANs {
		Parse(pk) // marks the frame malformed, as a received one would be
		return true
	}
	pk.Key.W[WEthSrc] = pk.Key.W[WEthSrc]&^0xffff | uint64(tci|VlanCFI)
	return true
}

// PopVLAN removes the outer VLAN tag; vlan_tci becomes the next tag's TCI
// (with VlanCFI) or 0. It reports false when the packet has no VLAN tag.
func (pk *Packet) PopVLAN() bool {
	if pk.Key.VlanTCI()&VlanCFI == 0 || len(pk.Data) < 18 || !pk.Shrink(12, 4) {
		return false
	}
	pk.shiftOffsets(-4)
	if pk.Key.Flags&FlagMalformed != 0 {
		Parse(pk) // the tag count or the headers behind were bad: start over
		return true
	}
	var tci uint16
	if len(pk.Data) >= 18 {
		if t := be.Uint16(pk.Data[12:]); t == EthTypeVLAN || t == EthTypeQinQ {
			tci = be.Uint16(pk.Data[14:]) | VlanCFI
		}
	}
	pk.Key.W[WEthSrc] = pk.Key.W[WEthSrc]&^0xffff | uint64(tci)
	return true
}

// DecTTL decrements the IPv4 TTL or IPv6 hop limit, as OVS's dec_ttl. It
// reports false, changing nothing, when the TTL is 0 or 1: the packet must
// not be forwarded (OVS sends it to controllers that asked for
// OFPR_INVALID_TTL and stops the action list). Non-IP packets are left
// unchanged and DecTTL reports true.
func (pk *Packet) DecTTL() bool {
	k := &pk.Key
	if k.Flags&(FlagIPv4|FlagIPv6) == 0 {
		return true
	}
	ttl := k.NwTTL()
	if ttl <= 1 {
		return false
	}
	return pk.SetTTL(ttl - 1)
}

// DecNSHTTL decrements the NSH TTL, as OVS's dec_nsh_ttl: it reports
// false, changing nothing, when the packet is not NSH (eth_type 0x894f) or
// its nsh_ttl is 0 or 1; the caller tells the two apart by eth_type (OVS
// sends only the latter to the controller; both end the action list).
func (pk *Packet) DecNSHTTL() bool {
	k := &pk.Key
	if k.EthType() != EthTypeNSH {
		return false
	}
	ttl := k.W.Get(FieldNSHTTL)
	if ttl.Lo <= 1 {
		return false
	}
	if !pk.SetField(FieldNSHTTL, U128{Lo: ttl.Lo - 1}, U128{Lo: 0xff}) {
		k.W.Set(FieldNSHTTL, U128{Lo: ttl.Lo - 1}) // a header OVS's parse refused: the key alone
	}
	return true
}

// SetTTL sets the IPv4 TTL or IPv6 hop limit. It reports false for a packet
// without a parsed IP header.
func (pk *Packet) SetTTL(ttl uint8) bool {
	return pk.SetField(FieldNwTTL, U128{Lo: uint64(ttl)}, U128{Lo: 0xff})
}
