package ofptext

import (
	"fmt"
	"math/bits"
	"strings"

	"gswitch/packet"
	"gswitch/pipeline"
)

// Match formats a match as OVS's match_format: priority first (unless it
// is the default), then the fields in OVS's order, comma-separated.
func Match(m *pipeline.Match, priority uint16) string {
	return matchFormat(m, priority, fmtOpts{})
}

// fmtOpts are match_format's cases beyond a flow table's matches.
type fmtOpts struct {
	// eth: a datapath flow (OVS's is_megaflow: a recirc_id in the match),
	// whose packet type OVS prints ("eth") after the conntrack fields.
	eth bool
	// exact: a packet's flow (flow_format): tcp_flags exact under OVS's
	// 16-bit mask (names joined by '|'), and the second VLAN header's
	// vlan_tci1 after a tagged one.
	exact bool
	// tunnel, when not empty, stands for the tunnel fields.
	tunnel string
}

// matchFormat is match_format.
func matchFormat(m *pipeline.Match, priority uint16, o fmtOpts) string {
	eth := o.eth
	var b strings.Builder
	if priority != DefaultPriority {
		fmt.Fprintf(&b, "priority=%d,", priority)
	}
	get := func(f packet.FieldID) (uint64, uint64) {
		v, mk := m.Get(f)
		return v.Lo, mk.Lo
	}
	u32 := func(name string, f packet.FieldID) {
		v, mk := get(f)
		if mk != 0 {
			fmt.Fprintf(&b, "%s=%s", name, cx(v))
			if mk != 0xffffffff {
				fmt.Fprintf(&b, "/%s", cx(mk))
			}
			b.WriteByte(',')
		}
	}
	u32(("pkt_mark"), packet.FieldPktMark)
	if v, mk := get(packet.FieldRecircID); mk != 0 {
		fmt.Fprintf(&b, "recirc_id=%s,", cx(v)) // format_uint32_masked: %#x
	}
	u32("dp_hash", packet.FieldDPHash)
	if v, mk := get(packet.FieldConjID); mk != 0 {
		fmt.Fprintf(&b, "conj_id=%d,", v)
	}
	if v, mk := get(packet.FieldActsetOutput); mk != 0 {
		fmt.Fprintf(&b, "actset_output=%s,", Port(uint32(v)))
	}
	if v, mk := get(packet.FieldCtState); mk != 0 {
		b.WriteString(ctState(uint32(v), uint32(mk)))
		b.WriteByte(',')
	}
	if v, mk := get(packet.FieldCtZone); mk != 0 {
		fmtU16(&b, "ct_zone", v, mk, 0xffff)
	}
	u32("ct_mark", packet.FieldCtMark)
	if v, mk := m.Get(packet.FieldCtLabel); !mk.IsZero() {
		b.WriteString("ct_label=" + hex128(v))
		if mk != packet.Ones(128) {
			b.WriteString("/" + hex128(mk))
		}
		b.WriteByte(',')
	}
	ipMasked(&b, m, "ct_nw_src", packet.FieldCtNwSrc)
	ip6Masked(&b, m, "ct_ipv6_src", packet.FieldCtIPv6Src)
	ipMasked(&b, m, "ct_nw_dst", packet.FieldCtNwDst)
	ip6Masked(&b, m, "ct_ipv6_dst", packet.FieldCtIPv6Dst)
	if v, mk := get(packet.FieldCtNwProto); mk != 0 {
		fmt.Fprintf(&b, "ct_nw_proto=%d,", v)
		if v, mk := get(packet.FieldCtTpSrc); mk != 0 {
			fmtU16(&b, "ct_tp_src", v, mk, 0xffff)
		}
		if v, mk := get(packet.FieldCtTpDst); mk != 0 {
			fmtU16(&b, "ct_tp_dst", v, mk, 0xffff)
		}
	}
	if _, mk := get(packet.FieldRecircID); eth && mk != 0 {
		b.WriteString("eth,")
	}
	dlType, dlMask := get(packet.FieldEthType)
	if pt, ptm := get(packet.FieldPacketType); ptm != 0 && pt != 0 {
		fmt.Fprintf(&b, "packet_type=(%d,%#x),", pt>>16, pt&0xffff)
		if pt>>16 == 1 {
			dlType = pt & 0xffff
		}
	}
	proto, protoMask := get(packet.FieldNwProto)
	skipType, skipProto := false, false
	if dlMask != 0 {
		skipType = true
		switch dlType {
		case 0x0800, 0x86dd:
			v6 := dlType == 0x86dd
			name := map[bool]string{false: "ip", true: "ipv6"}[v6]
			if protoMask != 0 {
				skipProto = true
				switch {
				case proto == 1 && !v6:
					name = "icmp"
				case proto == 58 && v6:
					name = "icmp6"
				case proto == 6:
					name = map[bool]string{false: "tcp", true: "tcp6"}[v6]
				case proto == 17:
					name = map[bool]string{false: "udp", true: "udp6"}[v6]
				case proto == 132:
					name = map[bool]string{false: "sctp", true: "sctp6"}[v6]
				default:
					skipProto = false
				}
			}
			b.WriteString(name + ",")
		case 0x0806:
			b.WriteString("arp,")
		case 0x8035:
			b.WriteString("rarp,")
		case 0x8847:
			b.WriteString("mpls,")
		case 0x8848:
			b.WriteString("mplsm,")
		default:
			skipType = false
		}
	}
	for i := 0; i < 16; i++ {
		u32(fmt.Sprintf("reg%d", i), packet.FieldReg0+packet.FieldID(i))
	}
	// The tunnel (format_flow_tunnel).
	if o.tunnel != "" {
		b.WriteString(o.tunnel + ",")
	}
	if v, mk := get(packet.FieldTunID); mk != 0 && o.tunnel == "" {
		fmt.Fprintf(&b, "tun_id=%s", cx(v))
		if mk != ^uint64(0) {
			fmt.Fprintf(&b, "/%s", cx(mk))
		}
		b.WriteByte(',')
	}
	if o.tunnel == "" {
		ipMasked(&b, m, "tun_src", packet.FieldTunSrc)
		ipMasked(&b, m, "tun_dst", packet.FieldTunDst)
		ip6Masked(&b, m, "tun_ipv6_src", packet.FieldTunIPv6Src)
		ip6Masked(&b, m, "tun_ipv6_dst", packet.FieldTunIPv6Dst)
	}
	if v, mk := get(packet.FieldTunGbpID); mk != 0 && o.tunnel == "" {
		fmtU16(&b, "tun_gbp_id", v, mk, 0xffff)
	}
	if v, mk := get(packet.FieldTunGbpFlags); mk != 0 && o.tunnel == "" {
		fmt.Fprintf(&b, "tun_gbp_flags=%s,", cx(v))
	}
	if v, mk := get(packet.FieldTunFlags); mk&1 != 0 && o.tunnel == "" {
		if v&1 != 0 {
			b.WriteString("tun_flags=+oam,")
		} else {
			b.WriteString("tun_flags=-oam,")
		}
	}
	writeTunMatch(&b, m.Tun)
	if v, mk := get(packet.FieldMetadata); mk != 0 {
		fmt.Fprintf(&b, "metadata=%s", cx(v))
		if mk != ^uint64(0) {
			fmt.Fprintf(&b, "/%s", cx(mk))
		}
		b.WriteByte(',')
	}
	if v, mk := get(packet.FieldInPort); mk != 0 {
		b.WriteString("in_port=" + Port(uint32(v)) + ",")
	}
	if v, mk := get(packet.FieldVlanTCI); mk != 0 {
		vid, pcp, cfi := mk&0x0fff, mk&0xe000, mk&0x1000
		if cfi != 0 && v&0x1000 != 0 && (vid == 0 || vid == 0xfff) && (pcp == 0 || pcp == 0xe000) && (vid != 0 || pcp != 0) {
			if vid != 0 {
				fmt.Fprintf(&b, "dl_vlan=%d,", v&0xfff)
			}
			if pcp != 0 {
				fmt.Fprintf(&b, "dl_vlan_pcp=%d,", v>>13&7)
			}
		} else if mk == 0xffff {
			fmt.Fprintf(&b, "vlan_tci=0x%04x,", v)
		} else {
			fmt.Fprintf(&b, "vlan_tci=0x%04x/0x%04x,", v, mk)
		}
		if o.exact && v&0x1000 != 0 {
			b.WriteString("vlan_tci1=0x0000,") // OVS shows the next (absent) tag
		}
	}
	ethMasked(&b, m, "dl_src", packet.FieldEthSrc)
	ethMasked(&b, m, "dl_dst", packet.FieldEthDst)
	if !skipType && dlMask != 0 {
		fmt.Fprintf(&b, "dl_type=0x%04x,", dlType)
	}
	switch dlType {
	case 0x86dd:
		ip6Masked(&b, m, "ipv6_src", packet.FieldIPv6Src)
		ip6Masked(&b, m, "ipv6_dst", packet.FieldIPv6Dst)
		if v, mk := get(packet.FieldIPv6Label); mk != 0 {
			if mk == 0xfffff {
				fmt.Fprintf(&b, "ipv6_label=0x%05x,", v)
			} else {
				fmt.Fprintf(&b, "ipv6_label=0x%05x/0x%05x,", v, mk)
			}
		}
	case 0x0806, 0x8035:
		ipMasked(&b, m, "arp_spa", packet.FieldARPSpa)
		ipMasked(&b, m, "arp_tpa", packet.FieldARPTpa)
	case 0x894f:
		writeNSH(&b, m)
	default:
		ipMasked(&b, m, "nw_src", packet.FieldIPv4Src)
		ipMasked(&b, m, "nw_dst", packet.FieldIPv4Dst)
	}
	if !skipProto && protoMask != 0 {
		if dlType == 0x0806 || dlType == 0x8035 {
			v, _ := get(packet.FieldARPOp)
			fmt.Fprintf(&b, "arp_op=%d,", v)
		} else {
			fmt.Fprintf(&b, "nw_proto=%d,", proto)
		}
	}
	if dlType == 0x0806 || dlType == 0x8035 {
		ethMasked(&b, m, "arp_sha", packet.FieldARPSha)
		ethMasked(&b, m, "arp_tha", packet.FieldARPTha)
	}
	tos, tosMask := get(packet.FieldNwTOS)
	if tosMask&0xfc != 0 {
		fmt.Fprintf(&b, "nw_tos=%d,", tos&0xfc)
	}
	if tosMask&0x03 != 0 {
		fmt.Fprintf(&b, "nw_ecn=%d,", tos&0x03)
	}
	if v, mk := get(packet.FieldNwTTL); mk != 0 {
		fmt.Fprintf(&b, "nw_ttl=%d,", v)
	}
	for _, f := range []struct {
		name string
		id   packet.FieldID
	}{{"mpls_label", packet.FieldMPLSLabel}, {"mpls_tc", packet.FieldMPLSTC}, {"mpls_ttl", packet.FieldMPLSTTL}, {"mpls_bos", packet.FieldMPLSBOS}} {
		if v, mk := get(f.id); mk != 0 {
			fmt.Fprintf(&b, "%s=%d,", f.name, v)
		}
	}
	if v, mk := get(packet.FieldIPFrag); mk&3 != 0 {
		var s string
		switch mk & 3 {
		case 3:
			switch v & 3 {
			case 0:
				s = "no"
			case 1:
				s = "first"
			case 3:
				s = "later"
			default:
				s = "<error>"
			}
		case 1:
			s = map[bool]string{true: "yes", false: "no"}[v&1 != 0]
		case 2:
			s = map[bool]string{true: "later", false: "not_later"}[v&2 != 0]
		}
		fmt.Fprintf(&b, "nw_frag=%s,", s)
	}
	switch {
	case dlType == 0x0800 && proto == 1:
		if v, mk := get(packet.FieldICMPType); mk != 0 {
			fmtU16(&b, "icmp_type", v, mk, 0xff)
		}
		if v, mk := get(packet.FieldICMPCode); mk != 0 {
			fmtU16(&b, "icmp_code", v, mk, 0xff)
		}
	case dlType == 0x86dd && proto == 58:
		if v, mk := get(packet.FieldICMPv6Type); mk != 0 {
			fmtU16(&b, "icmp_type", v, mk, 0xff)
		}
		if v, mk := get(packet.FieldICMPv6Code); mk != 0 {
			fmtU16(&b, "icmp_code", v, mk, 0xff)
		}
		ip6Masked(&b, m, "nd_target", packet.FieldNdTarget)
		ethMasked(&b, m, "nd_sll", packet.FieldNdSll)
		ethMasked(&b, m, "nd_tll", packet.FieldNdTll)
		if v, mk := get(packet.FieldNdReserved); mk != 0 {
			if mk == 0xffffffff {
				fmt.Fprintf(&b, "nd_reserved=%d,", v)
			} else {
				fmt.Fprintf(&b, "nd_reserved=0x%08x/0x%08x,", v, mk)
			}
		}
		if v, mk := get(packet.FieldNdOptionsType); mk != 0 {
			fmtU16(&b, "nd_options_type", v, mk, 0xff)
		}
	default:
		if v, mk := get(packet.FieldTCPSrc); mk != 0 {
			fmtU16(&b, "tp_src", v, mk, 0xffff)
		}
		if v, mk := get(packet.FieldTCPDst); mk != 0 {
			fmtU16(&b, "tp_dst", v, mk, 0xffff)
		}
	}
	if (dlType == 0x0800 || dlType == 0x86dd) && proto == 6 {
		if v, mk := get(packet.FieldTCPFlags); o.exact && mk&0xfff == 0xfff {
			b.WriteString("tcp_flags=" + exactFlags(uint32(v)) + ",")
		} else if mk&0xfff != 0 {
			b.WriteString("tcp_flags=" + flagsMasked(uint32(v), uint32(mk&0xfff), 0xfff, tcpFlagName) + ",")
		}
	}
	s := b.String()
	return strings.TrimSuffix(s, ",")
}

// fmtU16 is format_be16_masked (full: the field's all-ones mask, as OVS
// compares against 0xffff for its 16-bit flow members).
func fmtU16(b *strings.Builder, name string, v, mk, full uint64) {
	if mk == full || mk == 0xffff {
		fmt.Fprintf(b, "%s=%d,", name, v)
	} else {
		fmt.Fprintf(b, "%s=0x%x/0x%x,", name, v, mk)
	}
}

func ipMasked(b *strings.Builder, m *pipeline.Match, name string, f packet.FieldID) {
	v, mk := m.Get(f)
	if mk.Lo == 0 {
		return
	}
	b.WriteString(name + "=" + ip4(v))
	if mk.Lo != 0xffffffff {
		if n := bits.LeadingZeros32(^uint32(mk.Lo)); uint32(mk.Lo)<<n == 0 && (^uint32(mk.Lo))>>(32-n) == 0 {
			fmt.Fprintf(b, "/%d", n)
		} else {
			b.WriteString("/" + ip4(mk))
		}
	}
	b.WriteByte(',')
}

func ip6Masked(b *strings.Builder, m *pipeline.Match, name string, f packet.FieldID) {
	v, mk := m.Get(f)
	if mk.IsZero() {
		return
	}
	b.WriteString(name + "=" + ip6(v).String())
	if mk != packet.Ones(128) {
		n := bits.LeadingZeros64(^mk.Hi)
		if n == 64 {
			n += bits.LeadingZeros64(^mk.Lo)
		}
		if cidr := packet.Ones(128).AndNot(packet.Ones(uint(128 - n))); cidr == mk {
			fmt.Fprintf(b, "/%d", n)
		} else {
			b.WriteString("/" + ip6(mk).String())
		}
	}
	b.WriteByte(',')
}

func ethMasked(b *strings.Builder, m *pipeline.Match, name string, f packet.FieldID) {
	v, mk := m.Get(f)
	if mk.Lo == 0 {
		return
	}
	b.WriteString(name + "=" + eth(v))
	if mk.Lo != 0xffffffffffff {
		b.WriteString("/" + eth(mk))
	}
	b.WriteByte(',')
}

// ctStateNames are the ct_state bits in OVS's order (CS_* in
// lib/packets.h).
var ctStateNames = []string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}

func ctStateName(bit uint32) string {
	n := bits.TrailingZeros32(bit)
	if n < len(ctStateNames) {
		return ctStateNames[n]
	}
	return ""
}

func ctState(v, mk uint32) string {
	if mk == 0xff || mk == 0xffffffff {
		if v == 0 {
			return "ct_state=0"
		}
		var p []string
		for bit := uint32(1); bit != 0 && bit <= v; bit <<= 1 {
			if v&bit != 0 {
				name := ctStateName(bit)
				if name == "" {
					name = fmt.Sprintf("0x%x", bit)
				}
				p = append(p, name)
			}
		}
		return "ct_state=" + strings.Join(p, "|")
	}
	return "ct_state=" + flagsMasked(v, mk, 0xff, ctStateName)
}

func tcpFlagName(bit uint32) string {
	names := []string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"}
	n := bits.TrailingZeros32(bit)
	if n < len(names) {
		return names[n]
	}
	return ""
}

// flagsMasked is format_flags_masked: "+a-b" for each bit in mask.
func flagsMasked(v, mk, maxMask uint32, name func(uint32) string) string {
	var b strings.Builder
	if mk == maxMask && false {
		return ""
	}
	for mk != 0 {
		bit := mk & -mk
		mk &^= bit
		if v&bit != 0 {
			b.WriteByte('+')
		} else {
			b.WriteByte('-')
		}
		if n := name(bit); n != "" {
			b.WriteString(n)
		} else {
			fmt.Fprintf(&b, "[%x]", bit)
		}
	}
	return b.String()
}

func writeNSH(b *strings.Builder, m *pipeline.Match) {
	get := func(f packet.FieldID) (uint64, uint64) {
		v, mk := m.Get(f)
		return v.Lo, mk.Lo
	}
	u8 := func(name string, f packet.FieldID) {
		if v, mk := get(f); mk != 0 {
			if mk == 0xff || mk == (uint64(1)<<packet.Fields[f].Bits)-1 {
				fmt.Fprintf(b, "%s=%d,", name, v)
			} else {
				fmt.Fprintf(b, "%s=0x%02x/0x%02x,", name, v, mk)
			}
		}
	}
	hex32 := func(name string, f packet.FieldID) {
		if v, mk := get(f); mk != 0 {
			fmt.Fprintf(b, "%s=%s", name, cx(v))
			if mk != (uint64(1)<<packet.Fields[f].Bits)-1 {
				fmt.Fprintf(b, "/%s", cx(mk))
			}
			b.WriteByte(',')
		}
	}
	u8("nsh_flags", packet.FieldNSHFlags)
	u8("nsh_ttl", packet.FieldNSHTTL)
	u8("nsh_mdtype", packet.FieldNSHMdType)
	u8("nsh_np", packet.FieldNSHNp)
	hex32("nsh_spi", packet.FieldNSHSPI)
	u8("nsh_si", packet.FieldNSHSI)
	if v, mk := get(packet.FieldNSHMdType); mk != 0 && v == 1 {
		hex32("nsh_c1", packet.FieldNSHC1)
		hex32("nsh_c2", packet.FieldNSHC2)
		hex32("nsh_c3", packet.FieldNSHC3)
		hex32("nsh_c4", packet.FieldNSHC4)
	}
}

// writeTunMatch is tun_metadata_match_format: each tun_metadataN matched,
// its value (and mask when not all ones) as hex.
func writeTunMatch(b *strings.Builder, t *packet.TunMatch) {
	if t == nil {
		return
	}
	for i := 0; i < packet.TunMetaFields; i++ {
		if t.Fields&(1<<uint(i)) == 0 {
			continue
		}
		v, mk := t.FieldBytes(i, nil, nil)
		if l := int(t.Len[i]); l > 0 && l <= len(v) {
			v, mk = v[len(v)-l:], mk[len(mk)-l:]
		}
		fmt.Fprintf(b, "tun_metadata%d=%s", i, hexBytes(v))
		if !allOnes(mk) {
			b.WriteString("/" + hexBytes(mk))
		}
		b.WriteByte(',')
	}
}

// exactFlags is format_flags of TCP flags with '|' ("0" for none).
func exactFlags(v uint32) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for v != 0 {
		bit := v & -v
		v &^= bit
		if n := tcpFlagName(bit); n != "" {
			parts = append(parts, n)
		} else {
			parts = append(parts, fmt.Sprintf("0x%x", bit))
		}
	}
	return strings.Join(parts, "|")
}
