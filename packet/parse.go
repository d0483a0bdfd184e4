package packet

import "encoding/binary"

// Limits of the parser.
const (
	// MaxVLANs is the number of stacked 802.1Q/802.1ad tags Parse walks
	// through (OVS's FLOW_MAX_VLAN_HEADERS). A frame with more tags is
	// marked FlagMalformed, with eth_type left at the extra tag's TPID.
	MaxVLANs = 2
	// MaxIPv6ExtHeaders bounds the IPv6 extension header chain walked by
	// Parse (WalkIPv6); a longer chain is marked FlagMalformed.
	MaxIPv6ExtHeaders = 8
)

// More Ethernet types the parser knows.
const (
	EthTypeRARP = 0x8035
	// EthTypeNone is OVS's FLOW_DL_TYPE_NONE: an 802.3 frame without a
	// SNAP header carrying an Ethernet type.
	EthTypeNone = 0x05ff
)

// ICMPv6 Neighbor Discovery message types and option types.
const (
	ICMPv6NeighborSolicit = 135
	ICMPv6NeighborAdvert  = 136
	NDOptSourceLL         = 1
	NDOptTargetLL         = 2
)

// headerWords is the first word Parse owns (up to WTunID); the words before
// it and the tunnel words from WTunID on are metadata that Parse never
// touches.
const headerWords = WEthDst

var be = binary.BigEndian

func mac48(b []byte) uint64 {
	_ = b[5]
	return uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 |
		uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
}

// Parse fills pk.Key from pk.Data. It never fails, never panics and never
// allocates. Malformed or truncated input sets FlagMalformed and parsing
// stops at the offending header, leaving the fields parsed so far.
//
// Parse keeps the metadata words (W0..W19: in_port, recirc_id, metadata,
// registers, pkt_mark, ct_*, conj_id) and the FlagCsumPartial flag (set by
// the port from its virtio-net header); it recomputes everything else: the
// header words W20..W33, L3, L4, L7 and the other flags. So it can be run
// again after a header rewrite.
//
// Offsets: L3 is the offset of the header after Ethernet/VLAN/SNAP (IPv4,
// IPv6, ARP, or whatever eth_type names), 0 for a frame shorter than an
// Ethernet header. L4 is set when an IPv4 or IPv6 header was parsed: the
// offset after the IP header and its options or extension headers, also
// for later fragments (where it is the fragment's payload); it stays 0 when
// an IPv6 extension header chain is malformed (FlagL3 and FlagMalformed are
// then both set). L7 is the
// offset of the L4 payload and is set only with FlagL4. Offsets are
// relative to pk.Data[0].
//
// Conventions are OVS's (ovs-fields(7), lib/flow.c miniflow_extract):
//   - vlan_tci is the outer tag's TCI with VlanCFI set; eth_type is the type
//     after the last tag (up to MaxVLANs tags are walked); 802.3 frames
//     with LLC/SNAP give the SNAP type, other 802.3 frames EthTypeNone.
//   - ARP and RARP: the opcode is in nw_proto when it fits in 8 bits,
//     spa/tpa in nw_src/nw_dst, sha/tha in arp_sha/arp_tha; only
//     Ethernet/IPv4 ARP is parsed.
//   - nw_tos is the whole IPv4 TOS byte or IPv6 traffic class (DSCP and
//     ECN); nw_frag has FragAny for any fragment and FragLater for one with
//     a non-zero offset. Later fragments get no L4 fields, and an IPv6 later
//     fragment has nw_proto 44 (the fragment header), as OVS has it.
//   - ICMP and ICMPv6 type go to tp_src, code to tp_dst; ND (code 0, types
//     135/136) also fills nd_target and the first source/target link-layer
//     address options (nd_sll in W29, nd_tll in W30); a repeated option
//     voids all three, as in OVS.
//   - tcp_flags is the low 12 bits of the TCP offset/flags word.
//
// Trailing bytes after the IP datagram (Ethernet padding) are ignored. As
// in OVS, the IP version nibble is not checked (eth_type decides), IPv4
// options are skipped, and IGMP is not parsed beyond nw_proto. An MPLS frame
// (eth_type 0x8847 or 0x8848) gets its outermost label stack entry in W33
// (mpls_label, mpls_tc, mpls_bos, mpls_ttl) and L3 at the stack; what the
// stack carries is not parsed (OVS parses it only after a pop_mpls). An
// NSH frame (eth_type 0x894f) gets the NSH fields in W23-W25 (see parseNSH)
// and L3 at the NSH header; what NSH carries is not parsed, as in OVS. TestParseVsOVS compares Parse with OVS's own flow_extract
// (ovs-ofctl parse-pcap) on thousands of random and damaged frames.
func Parse(pk *Packet) {
	k := &pk.Key
	*(*[WTunID - headerWords]uint64)(k.W[headerWords:]) = [WTunID - headerWords]uint64{}
	k.L3, k.L4, k.L7 = 0, 0, 0
	k.Flags &= FlagCsumPartial

	d := pk.Data
	n := len(d)
	if n < 14 {
		k.Flags |= FlagMalformed
		return
	}
	k.W[WEthDst] = mac48(d[0:6]) << 16
	k.W[WEthSrc] = mac48(d[6:12]) << 16

	off := 12
	t := be.Uint16(d[off:])
	for tags := 0; t == EthTypeVLAN || t == EthTypeQinQ; tags++ {
		if tags == MaxVLANs || n < off+6 {
			k.W[WEthDst] |= uint64(t)
			k.Flags |= FlagMalformed
			return
		}
		if tags == 0 {
			k.W[WEthSrc] |= uint64(be.Uint16(d[off+2:]) | VlanCFI)
		}
		off += 4
		t = be.Uint16(d[off:])
	}
	off += 2
	if t < 0x600 {
		// 802.3 length field: only LLC/SNAP with the Ethernet OUI names a type.
		t = EthTypeNone
		if n >= off+8 && d[off] == 0xaa && d[off+1] == 0xaa && d[off+2] == 0x03 &&
			d[off+3] == 0 && d[off+4] == 0 && d[off+5] == 0 {
			if st := be.Uint16(d[off+6:]); st >= 0x600 {
				t = st
			}
			off += 8
		}
	}
	k.W[WEthDst] |= uint64(t)
	k.L3 = uint16(off)

	switch t {
	case EthTypeIPv4:
		parseIPv4(k, d, off)
	case EthTypeIPv6:
		parseIPv6(k, d, off)
	case EthTypeARP, EthTypeRARP:
		parseARP(k, d, off)
	case EthTypeMPLS, EthTypeMPLSMC:
		// As OVS's miniflow_extract: the outermost label stack entry
		// (zero if the frame ends before it, which is not an error),
		// nothing behind the stack (no nw_* fields).
		if n >= off+4 {
			k.W[WMPLS] = uint64(be.Uint32(d[off:])) << 32
		}
	case EthTypeNSH:
		parseNSH(k, d, off)
	}
}

// NSH header constants (RFC 8300; OVS's nsh.h).
const (
	nshBaseLen = 8  // base header and service path header
	nshMD1Len  = 24 // with MD type 1's four context headers
	nshMDType1 = 1
	nshMDType2 = 2
)

// nshLen returns the length of the NSH header at d[off:] when it is one
// OVS's parse_nsh accepts (version 0, the length field within the frame,
// exactly 24 bytes for MD type 1), else 0.
func nshLen(d []byte, off int) int {
	if len(d)-off < nshBaseLen {
		return 0
	}
	vftl := be.Uint16(d[off:])
	l := int(vftl&0x3f) * 4
	if vftl>>14 != 0 || l > len(d)-off {
		return 0
	}
	switch d[off+2] {
	case nshMDType1:
		if l != nshMD1Len {
			return 0
		}
	case nshMDType2:
		if l < nshBaseLen {
			return 0
		}
	}
	return l
}

// parseNSH fills the NSH fields from the header at off, as OVS's
// parse_nsh: flags, TTL, the MD type byte as it is, next protocol, SPI and
// SI, and for MD type 1 the four context headers (other MD types leave
// them zero). A header OVS refuses leaves every NSH field zero and marks
// the frame malformed. Nothing behind the header is parsed.
func parseNSH(k *Key, d []byte, off int) {
	if nshLen(d, off) == 0 {
		k.Flags |= FlagMalformed
		return
	}
	h := d[off:]
	vftl := be.Uint16(h)
	k.W[WNSH] = uint64(vftl>>12&3)<<56 | uint64(vftl>>6&0x3f)<<48 | uint64(h[2])<<40 | uint64(h[3])<<32 |
		uint64(be.Uint32(h[4:]))
	if h[2] == nshMDType1 {
		k.W[WNSHCtx] = be.Uint64(h[8:])
		k.W[WNSHCtx+1] = be.Uint64(h[16:])
	}
}

func parseARP(k *Key, d []byte, off int) {
	if len(d)-off < 28 {
		k.Flags |= FlagMalformed
		return
	}
	a := d[off : off+28]
	if be.Uint16(a[0:]) != 1 || be.Uint16(a[2:]) != EthTypeIPv4 || a[4] != 6 || a[5] != 4 {
		return // not Ethernet/IPv4 ARP: nothing to extract, not an error
	}
	if op := be.Uint16(a[6:]); op <= 0xff {
		k.W[WL3Misc] = uint64(op) << 24
	}
	k.W[WNw] = uint64(be.Uint32(a[14:]))<<32 | uint64(be.Uint32(a[24:]))
	k.W[WArpSha] = mac48(a[8:14]) << 16
	k.W[WArpTha] = mac48(a[18:24]) << 16
}

func parseIPv4(k *Key, d []byte, off int) {
	n := len(d)
	// As OVS (both datapaths), the version nibble is not checked: eth_type
	// decides.
	if n-off < 20 {
		k.Flags |= FlagMalformed
		return
	}
	ihl := int(d[off]&0xf) * 4
	if ihl < 20 || n-off < ihl {
		k.Flags |= FlagMalformed
		return
	}
	tot := int(be.Uint16(d[off+2:]))
	if tot > n-off || tot < ihl {
		k.Flags |= FlagMalformed
		return
	}
	h := d[off : off+ihl]
	k.Flags |= FlagL3 | FlagIPv4
	if Checksum(h) != 0 {
		k.Flags |= FlagBadIPCsum
	}
	k.W[WNw] = uint64(be.Uint64(h[12:20]))
	var frag uint64
	if fo := be.Uint16(h[6:]); fo&0x3fff != 0 {
		frag = FragAny
		if fo&0x1fff != 0 {
			frag |= FragLater
		}
	}
	proto := h[9]
	k.W[WL3Misc] = uint64(proto)<<24 | uint64(h[1])<<16 | uint64(h[8])<<8 | frag
	l4 := off + ihl
	k.L4 = uint16(l4)
	if frag&FragLater != 0 {
		return
	}
	parseL4(k, d[:off+tot], l4, proto, false)
}

func parseIPv6(k *Key, d []byte, off int) {
	n := len(d)
	if n-off < 40 { // the version nibble is not checked, as in OVS
		k.Flags |= FlagMalformed
		return
	}
	h := d[off : off+40]
	end := off + 40 + int(be.Uint16(h[4:]))
	if end > n {
		k.Flags |= FlagMalformed
		return
	}
	k.Flags |= FlagL3 | FlagIPv6
	k.W[WIPv6Src] = be.Uint64(h[8:])
	k.W[WIPv6Src+1] = be.Uint64(h[16:])
	k.W[WIPv6Dst] = be.Uint64(h[24:])
	k.W[WIPv6Dst+1] = be.Uint64(h[32:])
	vtf := be.Uint32(h[0:])
	misc := uint64(vtf&0xfffff)<<32 | uint64(uint8(vtf>>20))<<16 | uint64(h[7])<<8

	nh := h[6]
	p := off + 40
	var frag uint64
	if IsIPv6ExtHeader(nh) {
		var c IPv6Chain
		if !c.Walk(d[:end], off, MaxIPv6ExtHeaders) {
			// Truncated chain (or too long): as OVS, the nw_* word
			// stays unset.
			k.Flags |= FlagMalformed
			return
		}
		nh, p = c.Proto, c.Off
		if c.FragBits != 0 {
			frag = FragAny
			if c.FragBits&IPv6FragOffsetMask != 0 {
				frag |= FragLater
			}
		}
	}
	k.W[WL3Misc] = misc | uint64(nh)<<24 | frag
	k.L4 = uint16(p)
	if frag&FragLater != 0 {
		return
	}
	parseL4(k, d[:end], p, nh, true)
}

// parseL4 parses the transport header at l4; d ends where the IP datagram
// ends.
func parseL4(k *Key, d []byte, l4 int, proto uint8, v6 bool) {
	rem := len(d) - l4
	var hl int
	switch {
	case proto == ProtoTCP:
		if rem < 20 {
			k.Flags |= FlagMalformed
			return
		}
		hl = int(d[l4+12]>>4) * 4
		if hl < 20 || hl > rem {
			k.Flags |= FlagMalformed
			return
		}
		k.W[WTp] = be.Uint64(d[l4:])&0xffffffff00000000 | uint64(be.Uint16(d[l4+12:])&0x0fff)<<16
	case proto == ProtoUDP:
		hl = 8
		if rem < hl {
			k.Flags |= FlagMalformed
			return
		}
		k.W[WTp] = uint64(be.Uint32(d[l4:])) << 32
	case proto == ProtoSCTP:
		hl = 12
		if rem < hl {
			k.Flags |= FlagMalformed
			return
		}
		k.W[WTp] = uint64(be.Uint32(d[l4:])) << 32
	case proto == ProtoICMP && !v6, proto == ProtoICMPv6 && v6:
		hl = 8
		if rem < hl {
			k.Flags |= FlagMalformed
			return
		}
		typ, code := d[l4], d[l4+1]
		k.W[WTp] = uint64(typ)<<48 | uint64(code)<<32
		if v6 && code == 0 && (typ == ICMPv6NeighborSolicit || typ == ICMPv6NeighborAdvert) {
			parseND(k, d, l4)
		}
	default:
		return
	}
	k.Flags |= FlagL4
	k.L7 = uint16(l4 + hl)
}

// parseND fills nd_target, nd_sll and nd_tll from the ND message at l4.
// It also fills nd_reserved (the word after the checksum, read even when
// the target is missing) and nd_options_type (the type of the first source
// or target link-layer address option of length 8; kept, as OVS keeps it,
// when a repeated option voids the rest), as OVS's parse_icmpv6.
func parseND(k *Key, d []byte, l4 int) {
	k.W[WMPLS] = uint64(be.Uint32(d[l4+4:]))
	if len(d)-l4 < 24 {
		k.Flags |= FlagMalformed
		return
	}
	k.W[WNdTarget] = be.Uint64(d[l4+8:])
	k.W[WNdTarget+1] = be.Uint64(d[l4+16:])
	var sll, tll uint64
	for p := l4 + 24; len(d)-p >= 8; {
		ol := int(d[p+1]) * 8
		if ol == 0 || ol > len(d)-p {
			k.Flags |= FlagMalformed
			break
		}
		if ol == 8 {
			if (d[p] == NDOptSourceLL || d[p] == NDOptTargetLL) && k.W[WTp]&0xff00 == 0 {
				k.W[WTp] |= uint64(d[p]) << 8
			}
			switch d[p] {
			case NDOptSourceLL:
				if sll != 0 {
					k.Flags |= FlagMalformed
					k.W[WNdTarget], k.W[WNdTarget+1] = 0, 0
					return
				}
				sll = mac48(d[p+2:p+8]) << 16
			case NDOptTargetLL:
				if tll != 0 {
					k.Flags |= FlagMalformed
					k.W[WNdTarget], k.W[WNdTarget+1] = 0, 0
					return
				}
				tll = mac48(d[p+2:p+8]) << 16
			}
		}
		p += ol
	}
	k.W[WArpSha] = sll
	k.W[WArpTha] = tll
}
