package nxm

import (
	"encoding/binary"
	"fmt"

	"gswitch/packet"
	"gswitch/pipeline"
)

// OpenFlow 1.0 ofp_match wildcard bits.
const (
	ofpfw10InPort    = 1 << 0
	ofpfw10DlVlan    = 1 << 1
	ofpfw10DlSrc     = 1 << 2
	ofpfw10DlDst     = 1 << 3
	ofpfw10DlType    = 1 << 4
	ofpfw10NwProto   = 1 << 5
	ofpfw10TpSrc     = 1 << 6
	ofpfw10TpDst     = 1 << 7
	ofpfw10NwSrcSh   = 8
	ofpfw10NwDstSh   = 14
	ofpfw10DlVlanPCP = 1 << 20
	ofpfw10NwTOS     = 1 << 21
	ofpfw10All       = 1<<22 - 1

	of10VlanNone = 0xffff
)

// OF10MatchLen is the size of an OpenFlow 1.0 struct ofp_match.
const OF10MatchLen = 40

func wcbitsToMask(n uint32) uint32 {
	n &= 0x3f
	if n >= 32 {
		return 0
	}
	return ^uint32(0) << n
}

// DecodeOF10Match decodes a 40-byte OpenFlow 1.0 struct ofp_match, as OVS
// does (ofputil_match_from_ofp10_match followed by ofputil_normalize_match:
// fields whose prerequisites are absent are dropped, not refused).
func DecodeOF10Match(b []byte) (pipeline.Match, error) {
	var m pipeline.Match
	if len(b) < OF10MatchLen {
		return m, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "OpenFlow 1.0 match needs %d bytes, have %d", OF10MatchLen, len(b))
	}
	be16, be32 := binary.BigEndian.Uint16, binary.BigEndian.Uint32
	wc := be32(b) & ofpfw10All
	if wc&ofpfw10InPort == 0 {
		m.SetExact(packet.FieldInPort, u(uint64(PortFrom16(be16(b[4:])))))
	}
	if wc&ofpfw10DlSrc == 0 {
		m.SetExact(packet.FieldEthSrc, getValue(b[6:12]))
	}
	if wc&ofpfw10DlDst == 0 {
		m.SetExact(packet.FieldEthDst, getValue(b[12:18]))
	}
	dlVlan, pcp := be16(b[18:]), b[20]
	if wc&ofpfw10DlVlan == 0 && dlVlan == of10VlanNone {
		m.Set(packet.FieldVlanTCI, u(0), u(0xffff))
	} else {
		var tciMask uint16
		if wc&ofpfw10DlVlanPCP == 0 {
			tciMask |= 0xe000 | packet.VlanCFI
		}
		if wc&ofpfw10DlVlan == 0 {
			tciMask |= 0x0fff | packet.VlanCFI
		}
		tci := dlVlan&0xfff | uint16(pcp)<<13&0xe000 | packet.VlanCFI
		if tciMask != 0 {
			m.Set(packet.FieldVlanTCI, u(uint64(tci)), u(uint64(tciMask)))
		}
	}
	if wc&ofpfw10DlType == 0 {
		m.SetExact(packet.FieldEthType, u(uint64(be16(b[22:]))))
	}
	tos, proto := b[24]&0xfc, b[25]
	nwSrc, nwDst := be32(b[28:]), be32(b[32:])
	tpSrc, tpDst := be16(b[36:]), be16(b[38:])
	// Normalize: only what the dl_type (and nw_proto) allow.
	t := m.Value.EthType()
	isIP, isIPv6, isARP := t == packet.EthTypeIPv4, t == packet.EthTypeIPv6, t == packet.EthTypeARP || t == packet.EthTypeRARP
	if (isIP || isIPv6 || isARP) && wc&ofpfw10NwProto == 0 {
		m.Set(packet.FieldNwProto, u(uint64(proto)), u(0xff))
	}
	if (isIP || isIPv6) && wc&ofpfw10NwTOS == 0 {
		m.Set(packet.FieldNwTOS, u(uint64(tos)), u(0xfc))
	}
	if isIP || isARP {
		if mk := wcbitsToMask(wc >> ofpfw10NwSrcSh); mk != 0 {
			m.Set(packet.FieldIPv4Src, u(uint64(nwSrc)), u(uint64(mk)))
		}
		if mk := wcbitsToMask(wc >> ofpfw10NwDstSh); mk != 0 {
			m.Set(packet.FieldIPv4Dst, u(uint64(nwDst)), u(uint64(mk)))
		}
	}
	p := m.Value.NwProto()
	protoSet := m.Mask.NwProto() != 0
	tpOK := protoSet && ((isIP && (p == packet.ProtoTCP || p == packet.ProtoUDP || p == packet.ProtoSCTP || p == packet.ProtoICMP)) ||
		(isIPv6 && (p == packet.ProtoTCP || p == packet.ProtoUDP || p == packet.ProtoSCTP || p == packet.ProtoICMPv6)))
	if tpOK {
		src, dst, w := packet.FieldTCPSrc, packet.FieldTCPDst, uint64(0xffff)
		if p == packet.ProtoICMP || p == packet.ProtoICMPv6 {
			// ICMP type and code are 8 bits (as NXM and OXM carry them).
			src, dst, w = packet.FieldICMPType, packet.FieldICMPCode, 0xff
		}
		if wc&ofpfw10TpSrc == 0 {
			m.Set(src, u(uint64(tpSrc)), u(w))
		}
		if wc&ofpfw10TpDst == 0 {
			m.Set(dst, u(uint64(tpDst)), u(w))
		}
	}
	return m, nil
}

// maskToWcbits returns the OpenFlow 1.0 wildcard bit count for a CIDR
// mask, or false.
func maskToWcbits(mask uint32) (uint32, bool) {
	n := uint32(0)
	for n < 32 && mask&(1<<n) == 0 {
		n++
	}
	if n < 32 && mask != ^uint32(0)<<n {
		return 0, false
	}
	return n, true
}

// EncodeOF10Match encodes m as an OpenFlow 1.0 struct ofp_match. It fails
// when m matches anything OpenFlow 1.0 cannot express (a field it lacks, a
// non-CIDR address mask, a partial mask elsewhere).
func EncodeOF10Match(m *pipeline.Match) ([]byte, error) {
	// Everything but the OF1.0 fields must be wildcarded.
	var rest pipeline.Match
	rest.Mask = m.Mask
	clear := func(id packet.FieldID) { rest.Mask.SetMasked(id, packet.U128{}, packet.Ones(packet.Fields[id].Bits)) }
	for _, id := range []packet.FieldID{packet.FieldInPort, packet.FieldEthSrc, packet.FieldEthDst,
		packet.FieldVlanTCI, packet.FieldEthType, packet.FieldNwProto, packet.FieldIPv4Src,
		packet.FieldIPv4Dst, packet.FieldTCPSrc, packet.FieldTCPDst} {
		clear(id)
	}
	rest.Mask.SetMasked(packet.FieldNwTOS, packet.U128{}, u(0xfc))
	for i, w := range rest.Mask {
		if w != 0 {
			return nil, fmt.Errorf("nxm: match has fields OpenFlow 1.0 cannot express (word %d mask %#x)", i, w)
		}
	}
	exactOrNone := func(id packet.FieldID, want packet.U128) (bool, error) {
		_, mask := m.Get(id)
		if mask.IsZero() {
			return false, nil
		}
		if mask != want {
			return false, fmt.Errorf("nxm: OpenFlow 1.0 cannot express a partial mask on %s", id)
		}
		return true, nil
	}
	var wc uint32
	b := make([]byte, OF10MatchLen)
	type fw struct {
		id   packet.FieldID
		bit  uint32
		want packet.U128
	}
	for _, f := range []fw{
		{packet.FieldInPort, ofpfw10InPort, packet.Ones(32)},
		{packet.FieldEthSrc, ofpfw10DlSrc, packet.Ones(48)},
		{packet.FieldEthDst, ofpfw10DlDst, packet.Ones(48)},
		{packet.FieldEthType, ofpfw10DlType, packet.Ones(16)},
		{packet.FieldNwProto, ofpfw10NwProto, packet.Ones(8)},
		{packet.FieldTCPSrc, ofpfw10TpSrc, packet.Ones(16)},
		{packet.FieldTCPDst, ofpfw10TpDst, packet.Ones(16)},
	} {
		if f.bit == ofpfw10TpSrc || f.bit == ofpfw10TpDst {
			if p := m.Value.NwProto(); p == packet.ProtoICMP || p == packet.ProtoICMPv6 {
				if _, mk := m.Get(f.id); mk.Lo == 0xff { // ICMP type/code: 8 bits
					f.want = mk
				}
			}
		}
		ok, err := exactOrNone(f.id, f.want)
		if err != nil {
			return nil, err
		}
		if !ok {
			wc |= f.bit
		}
	}
	if _, tm := m.Get(packet.FieldNwTOS); tm.Lo&0xfc == 0 {
		wc |= ofpfw10NwTOS
	} else if tm.Lo&0xfc != 0xfc {
		return nil, fmt.Errorf("nxm: OpenFlow 1.0 cannot express a partial DSCP mask")
	}
	for i, id := range []packet.FieldID{packet.FieldIPv4Src, packet.FieldIPv4Dst} {
		_, mk := m.Get(id)
		n, ok := maskToWcbits(uint32(mk.Lo))
		if !ok {
			return nil, fmt.Errorf("nxm: OpenFlow 1.0 cannot express non-CIDR mask %#x on %s", mk.Lo, id)
		}
		wc |= n << (ofpfw10NwSrcSh + 6*uint32(i))
	}
	// VLAN.
	tci, tm := m.Value.VlanTCI(), m.Mask.VlanTCI()
	var dlVlan uint16
	var pcp uint8
	switch {
	case tm == 0:
		wc |= ofpfw10DlVlan | ofpfw10DlVlanPCP
	case tm&packet.VlanCFI != 0 && tci&packet.VlanCFI == 0:
		if tm != 0xffff && tm != packet.VlanCFI {
			return nil, fmt.Errorf("nxm: OpenFlow 1.0 cannot express vlan_tci mask %#x", tm)
		}
		dlVlan = of10VlanNone
	default:
		switch tm &^ (0xe000 | packet.VlanCFI) {
		case 0:
			wc |= ofpfw10DlVlan
		case 0x0fff:
			dlVlan = tci & 0xfff
		default:
			return nil, fmt.Errorf("nxm: OpenFlow 1.0 cannot express vlan_tci mask %#x", tm)
		}
		switch tm & 0xe000 {
		case 0:
			wc |= ofpfw10DlVlanPCP
		case 0xe000:
			pcp = uint8(tci >> 13)
		default:
			return nil, fmt.Errorf("nxm: OpenFlow 1.0 cannot express vlan_tci mask %#x", tm)
		}
		if tm&packet.VlanCFI == 0 {
			return nil, fmt.Errorf("nxm: OpenFlow 1.0 cannot express vlan_tci mask %#x", tm)
		}
	}
	v := &m.Value
	port := v.InPort()
	p16, ok := PortTo16(port)
	if !ok {
		return nil, fmt.Errorf("nxm: in_port %#x has no OpenFlow 1.0 number", port)
	}
	putOF10Match(b, wc, p16, dlVlan, pcp, m)
	return b, nil
}

// putOF10Match writes an ofp10_match into o (OF10MatchLen bytes, zeroed):
// the wildcards, port, VLAN and PCP as computed by the caller, the other
// fields from m's value.
func putOF10Match(o []byte, wc uint32, p16, dlVlan uint16, pcp uint8, m *pipeline.Match) {
	v := &m.Value
	be := binary.BigEndian
	be.PutUint32(o, wc)
	be.PutUint16(o[4:], p16)
	putValue(o[6:6], m.Value.Get(packet.FieldEthSrc), 6)
	putValue(o[12:12], m.Value.Get(packet.FieldEthDst), 6)
	be.PutUint16(o[18:], dlVlan)
	o[20] = pcp
	be.PutUint16(o[22:], v.EthType())
	o[24] = v.NwTOS() & 0xfc
	o[25] = v.NwProto()
	be.PutUint32(o[28:], v.IPv4Src())
	be.PutUint32(o[32:], v.IPv4Dst())
	be.PutUint16(o[36:], v.TpSrc())
	be.PutUint16(o[38:], v.TpDst())
}

// AppendOF10MatchLossy is OVS's ofputil_match_to_ofp10_match: the OpenFlow
// 1.0 struct ofp_match that OVS puts in OpenFlow 1.0 flow stats and flow
// removed messages. It never fails: what OpenFlow 1.0 cannot express is
// dropped (fields it lacks are left out; a partial mask on in_port, dl_type,
// nw_proto, tp_src, tp_dst, dl_src or dl_dst is sent as an exact match on
// the masked value; an address mask as the CIDR prefix its trailing zero
// bits leave; vlan_tci as its VID and PCP parts), as OVS does. A match that
// EncodeOF10Match accepts is encoded the same by both.
func AppendOF10MatchLossy(b []byte, m *pipeline.Match) []byte {
	v, mk := &m.Value, &m.Mask
	var wc uint32
	if mk.InPort() == 0 {
		wc |= ofpfw10InPort
	}
	if mk.EthType() == 0 {
		wc |= ofpfw10DlType
	}
	if mk.NwProto() == 0 {
		wc |= ofpfw10NwProto
	}
	// Wildcarded low bits of an address mask: its trailing zeros (all 32
	// for no mask), as ofputil_netmask_to_wcbits.
	wcbits := func(mask uint32) uint32 {
		n := uint32(0)
		for n < 32 && mask&(1<<n) == 0 {
			n++
		}
		return n
	}
	wc |= wcbits(mk.IPv4Src()) << ofpfw10NwSrcSh
	wc |= wcbits(mk.IPv4Dst()) << ofpfw10NwDstSh
	if mk.NwTOS()&0xfc == 0 {
		wc |= ofpfw10NwTOS
	}
	if mk.TpSrc() == 0 {
		wc |= ofpfw10TpSrc
	}
	if mk.TpDst() == 0 {
		wc |= ofpfw10TpDst
	}
	if _, dm := m.Get(packet.FieldEthSrc); dm.IsZero() {
		wc |= ofpfw10DlSrc
	}
	if _, dm := m.Get(packet.FieldEthDst); dm.IsZero() {
		wc |= ofpfw10DlDst
	}
	tci, tm := v.VlanTCI(), mk.VlanTCI()
	var dlVlan uint16
	var pcp uint8
	switch {
	case tm == 0:
		wc |= ofpfw10DlVlan | ofpfw10DlVlanPCP
	case tm&packet.VlanCFI != 0 && tci&packet.VlanCFI == 0:
		dlVlan = of10VlanNone
	default:
		if tm&0x0fff == 0 {
			wc |= ofpfw10DlVlan
		} else {
			dlVlan = tci & 0x0fff
		}
		if tm&0xe000 == 0 {
			wc |= ofpfw10DlVlanPCP
		} else {
			pcp = uint8(tci >> 13)
		}
	}
	port := v.InPort()
	p16, ok := PortTo16(port)
	if !ok {
		p16 = uint16(port)
	}
	start := len(b)
	b = append(b, make([]byte, OF10MatchLen)...)
	putOF10Match(b[start:], wc, p16, dlVlan, pcp, m)
	return b
}
