package nxm

import (
	"encoding/binary"

	"gswitch/packet"
	"gswitch/pipeline"
)

// OpenFlow 1.1+ port mapping: OVS keeps 16-bit ports internally and accepts
// 32-bit ports below 0xff00 or at and above 0xffffff00 (reserved).
const (
	of10PortMax = 0xff00
	of11Offset  = 0xffff0000
)

// PortFrom16 maps an OpenFlow 1.0 16-bit port (0xfff8... reserved) to the
// pipeline's 32-bit space.
func PortFrom16(p uint16) uint32 {
	if p >= of10PortMax {
		return uint32(p) + of11Offset
	}
	return uint32(p)
}

// PortTo16 maps a 32-bit port to OpenFlow 1.0's 16 bits; ok is false when
// the port has no 16-bit form.
func PortTo16(p uint32) (uint16, bool) {
	switch {
	case p < of10PortMax:
		return uint16(p), true
	case p >= pipeline.PortMax:
		return uint16(p - of11Offset), true
	}
	return 0, false
}

// validPort32 reports whether an OpenFlow 1.1+ port number is one OVS
// accepts (ofputil_port_from_ofp11).
func validPort32(p uint32) bool { return p < of10PortMax || p >= pipeline.PortMax }

// getValue reads an n-byte big-endian value (n <= 16), right-aligned.
func getValue(b []byte) packet.U128 {
	var v packet.U128
	for i, c := range b {
		if len(b)-i > 8 {
			v.Hi = v.Hi<<8 | uint64(c)
		} else {
			v.Lo = v.Lo<<8 | uint64(c)
		}
	}
	return v
}

// putValue appends v as an n-byte big-endian value.
func putValue(b []byte, v packet.U128, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		var c byte
		if i >= 8 {
			c = byte(v.Hi >> (8 * uint(i-8)))
		} else {
			c = byte(v.Lo >> (8 * uint(i)))
		}
		b = append(b, c)
	}
	return b
}

// entry is one decoded TLV: header, its field (nil if unknown), value and
// mask (mask all ones when the header has no mask).
type entry struct {
	h     Header
	exp   uint32
	f     *wireField
	value packet.U128
	mask  packet.U128
	ones  bool // no mask on the wire
	// tun_metadata entries (f nil): the mapping, value and mask in the
	// mapped length.
	tun     pipeline.TunField
	tunVal  [packet.TunMetaMaxLen]byte
	tunMask [packet.TunMetaMaxLen]byte
}

// tlvCursor walks a list of OXM/NXM TLVs; it always advances, and stops at
// the first error, which it keeps.
type tlvCursor struct {
	b   []byte
	err *pipeline.Error
	tab *packet.TLVTable // the Geneve TLV table, for tun_metadata (nil: none mapped)
}

// nextHeader pulls one header (4 bytes, or 8 for experimenter OXMs). On a
// truncated header it sets BAD_LEN.
func (c *tlvCursor) nextHeader() (Header, uint32, bool) {
	if c.err != nil || len(c.b) == 0 {
		return 0, 0, false
	}
	if len(c.b) < 4 {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "partial (%d-byte) OXM header", len(c.b))
		return 0, 0, false
	}
	h := Header(binary.BigEndian.Uint32(c.b))
	var exp uint32
	hl := 4
	if h.Class() == ClassExperimenter {
		if len(c.b) < 8 {
			c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "partial (%d-byte) experimenter OXM header", len(c.b))
			return 0, 0, false
		}
		if h.Length() < 4 {
			c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "experimenter OXM length %d under 4", h.Length())
			return 0, 0, false
		}
		exp = binary.BigEndian.Uint32(c.b[4:])
		hl = 8
	}
	c.b = c.b[hl:]
	return h, exp, true
}

// isTunMetadata reports whether h is NXM_NX_TUN_METADATA0..63 (class 1,
// fields 40-103, any length): OVS refuses them with
// NXFMFC_INVALID_TLV_FIELD unless the TLV table maps them (tunmeta.go).
// As for every field, OVS finds it only if bit 7 of the (exact) length is
// clear: nxm_no_len keeps that bit.
func isTunMetadata(h Header) bool {
	return h.Class() == ClassNXM1 && h.Field() >= 40 && h.Field() <= 103 && exactLen(h) < 128
}

// exactLen is the length of h's unmasked form (OVS's nxm_make_exact_header),
// experimenter ID included.
func exactLen(h Header) int {
	if !h.HasMask() {
		return int(h.Length())
	}
	n := payloadLen(h) / 2
	if h.Class() == ClassExperimenter {
		n += 4
	}
	return n
}

func tlvFieldErr(h Header) *pipeline.Error {
	return pipeline.Errorf(pipeline.NXFMFC_INVALID_TLV_FIELD, "tun_metadata%d has no TLV mapping", h.Field()-40)
}

// payloadLen is the header's payload length (without an experimenter ID).
func payloadLen(h Header) int {
	n := int(h.Length())
	if h.Class() == ClassExperimenter {
		n -= 4
	}
	return n
}

// lookup finds the field of h as OVS does: a masked header names the field
// whose exact length is half the payload.
func lookup(h Header, exp uint32) *wireField {
	f := lookupField(h, exp)
	if f == nil {
		return nil
	}
	n := payloadLen(h)
	if h.HasMask() {
		n /= 2
	}
	if n != f.Size {
		return nil
	}
	return f
}

// nextEntry pulls one field entry for a match. errors follow OVS's
// nx_pull_match_entry: BAD_LEN, BAD_FIELD, BAD_WILDCARDS, BAD_MASK, BAD_VALUE.
func (c *tlvCursor) nextEntry(e *entry) bool {
	h, exp, ok := c.nextHeader()
	if !ok {
		return false
	}
	if idx, ok := tunIndex(h); ok {
		return c.nextTunEntry(h, idx, e)
	}
	f := lookup(h, exp)
	n := payloadLen(h)
	if n > len(c.b) {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "OXM header %#x calls for %d-byte payload, %d follow", uint32(h), n, len(c.b))
		return false
	}
	p := c.b[:n]
	c.b = c.b[n:]
	// As OVS does, the mask is checked against the value before an unknown
	// field is refused.
	if h.HasMask() {
		w := n / 2
		for i := 0; i < w; i++ {
			if p[i]&^p[w+i] != 0 {
				c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_WILDCARDS, "OXM %#x: 1-bits in value for bits wildcarded by the mask", uint32(h))
				return false
			}
		}
	}
	if f == nil {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_FIELD, "unknown or unsupported OXM/NXM field %#x (class %#x field %d len %d)",
			uint32(h), h.Class(), h.Field(), h.Length())
		return false
	}
	w := f.Size
	*e = entry{h: h, exp: exp, f: f, value: getValue(p[:w])}
	if h.HasMask() {
		e.mask = getValue(p[w : 2*w])
		if !f.Maskable && !e.mask.IsZero() && e.mask != packet.Ones(uint(8*w)) {
			c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_MASK, "%s may not be masked", f.Name)
			return false
		}
	} else {
		e.mask = packet.Ones(uint(8 * w))
		e.ones = true
	}
	if !e.value.AndNot(f.Valid).IsZero() {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_VALUE, "%s: value has bits beyond the field", f.Name)
		return false
	}
	if f.Kind == kNSHMdType && e.value.Lo != 1 && e.value.Lo != 2 {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_VALUE, "%s: %d is neither MD type 1 nor 2", f.Name, e.value.Lo)
		return false
	}
	if f.Kind == kInPort32 && !validPort32(uint32(e.value.Lo)) {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_VALUE, "%s: invalid port %#x", f.Name, e.value.Lo)
		return false
	}
	return true
}

// decodeTLVs decodes a raw OXM/NXM TLV list into a match, checking each
// field's prerequisites against the fields before it (so, as in OVS's
// nx_pull_raw in strict mode, a field must follow its prerequisites) and
// duplicates.
func decodeTLVs(b []byte, m *pipeline.Match, tab *packet.TLVTable) *pipeline.Error {
	*m = pipeline.Match{}
	c := tlvCursor{b: b, tab: tab}
	var e entry
	for c.nextEntry(&e) {
		if e.tun.Len != 0 {
			if err := applyTun(&e, m, tab); err != nil {
				return err
			}
			continue
		}
		f := e.f
		if !packet.Fields[f.ID].Prereq.MetBy(&m.Value, &m.Mask) {
			return pipeline.Errorf(pipeline.OFPBMC_BAD_PREREQ, "%s: prerequisites not met", f.Name)
		}
		if !m.Mask.Get(f.ID).IsZero() {
			return pipeline.Errorf(pipeline.OFPBMC_DUP_FIELD, "%s: duplicate field", f.Name)
		}
		if e.mask.IsZero() {
			continue
		}
		apply(f, e.value, e.mask, m)
	}
	if c.err != nil {
		return c.err
	}
	return nil
}

// apply sets a decoded field into the match.
func apply(f *wireField, v, mask packet.U128, m *pipeline.Match) {
	width := packet.Ones(packet.Fields[f.ID].Bits)
	switch f.Kind {
	case kInPort16:
		m.SetExact(packet.FieldInPort, u(uint64(PortFrom16(uint16(v.Lo)))))
	case kInPort32:
		m.SetExact(packet.FieldInPort, v)
	case kVlanPCP:
		m.Set(packet.FieldVlanTCI, u(v.Lo<<13|packet.VlanCFI), u(0xf000))
	case kDSCPNXM:
		m.Set(packet.FieldNwTOS, v, u(0xfc))
	case kFrag:
		m.Set(f.ID, v, mask.And(u(3)))
	case kTunFlags:
		m.Set(f.ID, v, mask.And(u(packet.TunFlagsMask)))
	case kActset:
		m.SetExact(f.ID, u(uint64(PortFrom16(uint16(v.Lo)))))
	case kMaskIsValue:
		// OVS 3.1's match_set_tun_erspan_{ver,dir,hwid}_masked and
		// match_set_tun_gtpu_{flags,msgtype}_masked store the value as
		// the mask, for exact and masked forms alike: the flow matches
		// the packets with the value's bits set, and a zero value matches
		// everything.
		m.Set(f.ID, v, v)
	case kPacketType:
		// As OVS's match_set_packet_type: Ethernet (0,0) is every match's
		// default, so it is not kept; (1,X) names an L3 packet of
		// Ethertype X, and OVS keeps X in the flow's dl_type.
		if v.Lo == packet.PacketTypeEthernet {
			return
		}
		m.SetExact(f.ID, v)
		if v.Lo>>16 == 1 {
			m.SetExact(packet.FieldEthType, u(v.Lo&0xffff))
		}
	default:
		if !f.Maskable {
			mask = width
		}
		m.Set(f.ID, v, mask.And(width))
	}
}

// DecodeNXMatch decodes a raw NXM/OXM TLV list (the match of NXT_FLOW_MOD,
// NXST_FLOW requests, NXT_PACKET_IN), with no padding.
func DecodeNXMatch(b []byte) (pipeline.Match, error) { return DecodeNXMatchTLV(b, nil) }

// DecodeNXMatchTLV is DecodeNXMatch with the bridge's Geneve TLV table
// (see DecodeActionsTLV).
func DecodeNXMatchTLV(b []byte, tab *packet.TLVTable) (pipeline.Match, error) {
	var m pipeline.Match
	if err := decodeTLVs(b, &m, tab); err != nil {
		return pipeline.Match{}, err
	}
	return m, nil
}

// OpenFlow 1.1+ match types.
const (
	ofpmtStandard = 0
	ofpmtOXM      = 1
)

// DecodeOXMMatch decodes an OpenFlow 1.3 struct ofp_match (type OFPMT_OXM,
// length, TLVs, zero padding to 8) at the start of b. n is the number of
// bytes consumed, padding included.
func DecodeOXMMatch(b []byte) (m pipeline.Match, n int, err error) {
	return DecodeOXMMatchTLV(b, nil)
}

// DecodeOXMMatchTLV is DecodeOXMMatch with the bridge's Geneve TLV table
// (see DecodeActionsTLV).
func DecodeOXMMatchTLV(b []byte, tab *packet.TLVTable) (m pipeline.Match, n int, err error) {
	if len(b) < 4 {
		return m, 0, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "match header truncated (%d bytes)", len(b))
	}
	typ := binary.BigEndian.Uint16(b)
	length := int(binary.BigEndian.Uint16(b[2:]))
	if typ == ofpmtStandard && length != 88 {
		// OVS checks an OpenFlow 1.1 standard match's length first.
		return m, 0, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "OFPMT_STANDARD match of length %d", length)
	}
	if typ != ofpmtOXM {
		return m, 0, pipeline.Errorf(pipeline.OFPBMC_BAD_TYPE, "match type %d is not OFPMT_OXM (OpenFlow 1.1 standard matches are not supported)", typ)
	}
	padded := (length + 7) &^ 7
	if length < 4 || padded > len(b) {
		return m, 0, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "match length %d (padded %d) with %d bytes available", length, padded, len(b))
	}
	// OVS ignores the padding's contents; so do we.
	if e := decodeTLVs(b[4:length], &m, tab); e != nil {
		return pipeline.Match{}, 0, e
	}
	return m, padded, nil
}

// EncodeOXMMatch encodes m as an OpenFlow 1.3 struct ofp_match, padded to 8.
func EncodeOXMMatch(m *pipeline.Match) []byte { return EncodeOXMMatchVersion(Version13, m) }

// EncodeOXMMatchVersion encodes m as the struct ofp_match of OpenFlow
// version (4, 5 or 6), padded to 8: from 1.5 on with the headers OVS's
// nx_put_raw picks for 1.5 (registers as OXM_OF_PKT_REG pairs, the
// standard tcp_flags and actset_output).
func EncodeOXMMatchVersion(version uint8, m *pipeline.Match) []byte {
	b := make([]byte, 4, 64)
	b = encodeTLVs(b, m, dialectOf(version))
	binary.BigEndian.PutUint16(b, ofpmtOXM)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// EncodeNXMatch encodes m as a raw NXM TLV list (no padding), as OVS does
// for OpenFlow 1.0 (NXM headers, OXM only for fields NXM lacks).
func EncodeNXMatch(m *pipeline.Match) []byte {
	return encodeTLVs(nil, m, dNXM)
}

// AppendNXMatch is EncodeNXMatch appending to b.
func AppendNXMatch(b []byte, m *pipeline.Match) []byte { return encodeTLVs(b, m, dNXM) }

// AppendOXMTLVs appends the OpenFlow 1.3 TLVs of m (no ofp_match header, no
// padding), as OVS lays out NXT_PACKET_IN2-style matches.
func AppendOXMTLVs(b []byte, m *pipeline.Match) []byte { return encodeTLVs(b, m, dOXM) }

// AppendOXMTLVsVersion is AppendOXMTLVs for OpenFlow version (1.5's
// headers from 6 on, as EncodeOXMMatchVersion).
func AppendOXMTLVsVersion(b []byte, version uint8, m *pipeline.Match) []byte {
	return encodeTLVs(b, m, dialectOf(version))
}

// putEntry appends one TLV; mask nil-equivalent (exact) when exact is true.
func putEntry(b []byte, f *wireField, v, mask packet.U128, exact bool) []byte {
	n := f.Size
	length := n
	if !exact {
		length = 2 * n
	}
	if f.Class == ClassExperimenter {
		length += 4
	}
	b = binary.BigEndian.AppendUint32(b, uint32(MakeHeader(f.Class, f.Field, !exact, uint8(length))))
	if f.Class == ClassExperimenter {
		b = binary.BigEndian.AppendUint32(b, f.Exp)
	}
	b = putValue(b, v, n)
	if !exact {
		b = putValue(b, mask, n)
	}
	return b
}

// putM appends model field id: nothing when wildcarded, exact when fully
// matched (or the field is not maskable), masked otherwise.
func putM(b []byte, m *pipeline.Match, id packet.FieldID, oxm dialect) []byte {
	v, mask := m.Get(id)
	if mask.IsZero() {
		return b
	}
	f := oxm.header(id)
	if f == nil {
		return b
	}
	exact := !f.Maskable || mask == packet.Ones(packet.Fields[id].Bits)
	return putEntry(b, f, v, mask, exact)
}

// putX appends model field id exactly when any of its bits is matched.
func putX(b []byte, m *pipeline.Match, id packet.FieldID, oxm dialect) []byte {
	v, mask := m.Get(id)
	if mask.IsZero() {
		return b
	}
	return putEntry(b, oxm.header(id), v, mask, true)
}

// encodeTLVs appends m's TLVs in the order OVS's nx_put_raw writes them, so
// that a flow OVS encoded comes back byte for byte.
func encodeTLVs(b []byte, m *pipeline.Match, oxm dialect) []byte {
	w := &m.Value
	pt, ptMask := m.Get(packet.FieldPacketType)
	b = putX(b, m, packet.FieldPacketType, oxm)
	b = putM(b, m, packet.FieldDPHash, oxm)
	b = putX(b, m, packet.FieldRecircID, oxm)
	b = putX(b, m, packet.FieldConjID, oxm)
	if v, mask := m.Get(packet.FieldInPort); !mask.IsZero() {
		p := uint32(v.Lo)
		if p16, ok := PortTo16(p); oxm == dNXM && ok {
			b = putEntry(b, byKey[fieldKey(ClassNXM0, 0, 0)], u(uint64(p16)), u(0xffff), true)
		} else {
			b = putEntry(b, byKey[fieldKey(ClassOpenFlow, 0, 0)], v, mask, true)
		}
	}
	b = putX(b, m, packet.FieldActsetOutput, oxm)
	b = putM(b, m, packet.FieldEthSrc, oxm)
	b = putM(b, m, packet.FieldEthDst, oxm)
	// An L3 packet_type (1,X) carries its Ethertype: OVS writes no eth_type.
	if ptMask.IsZero() || pt.Lo>>16 != 1 {
		b = putX(b, m, packet.FieldEthType, oxm)
	}
	b = putVLAN(b, m, oxm)
	if packet.PrereqMPLS.MetBy(w, &m.Mask) {
		b = putX(b, m, packet.FieldMPLSTC, oxm)
		b = putX(b, m, packet.FieldMPLSBOS, oxm)
		b = putX(b, m, packet.FieldMPLSTTL, oxm)
		b = putX(b, m, packet.FieldMPLSLabel, oxm)
	}

	switch {
	case packet.PrereqIPAny.MetBy(w, &m.Mask):
		b = putIP(b, m, oxm)
	case packet.PrereqARP.MetBy(w, &m.Mask):
		b = putX(b, m, packet.FieldARPOp, oxm)
		b = putM(b, m, packet.FieldARPSpa, oxm)
		b = putM(b, m, packet.FieldARPTpa, oxm)
		b = putM(b, m, packet.FieldARPSha, oxm)
		b = putM(b, m, packet.FieldARPTha, oxm)
	}

	b = putM(b, m, packet.FieldTunID, oxm)
	b = putM(b, m, packet.FieldTunFlags, oxm)
	b = putM(b, m, packet.FieldTunSrc, oxm)
	b = putM(b, m, packet.FieldTunDst, oxm)
	b = putM(b, m, packet.FieldTunIPv6Src, oxm)
	b = putM(b, m, packet.FieldTunIPv6Dst, oxm)
	b = putM(b, m, packet.FieldTunGbpID, oxm)
	b = putM(b, m, packet.FieldTunGbpFlags, oxm)
	b = putTunMatch(b, m) // tun_metadata0..63, in OVS's order
	b = putM(b, m, packet.FieldTunErspanIdx, oxm)
	b = putM(b, m, packet.FieldTunErspanVer, oxm)
	b = putM(b, m, packet.FieldTunErspanDir, oxm)
	b = putM(b, m, packet.FieldTunErspanHwid, oxm)
	b = putM(b, m, packet.FieldTunGtpuFlags, oxm)
	b = putM(b, m, packet.FieldTunGtpuMsgtype, oxm)
	// NSH's words are IPv6's: only an NSH match has them.
	if packet.PrereqNSH.MetBy(w, &m.Mask) {
		for f := packet.FieldNSHFlags; f <= packet.FieldNSHC4; f++ {
			b = putM(b, m, f, oxm)
		}
	}

	if oxm == dOXM15 {
		// OpenFlow 1.5: the registers in pairs, as OXM_OF_PKT_REG0..7.
		for i := 0; i < 8; i++ {
			b = putM(b, m, packet.FieldXReg0+packet.FieldID(i), oxm)
		}
	} else {
		for i := 0; i < 16; i++ {
			b = putM(b, m, packet.FieldReg0+packet.FieldID(i), oxm)
		}
	}
	b = putM(b, m, packet.FieldPktMark, oxm)
	b = putM(b, m, packet.FieldCtState, oxm)
	b = putM(b, m, packet.FieldCtZone, oxm)
	b = putM(b, m, packet.FieldCtMark, oxm)
	b = putM(b, m, packet.FieldCtLabel, oxm)
	b = putM(b, m, packet.FieldCtNwSrc, oxm)
	b = putM(b, m, packet.FieldCtIPv6Src, oxm)
	b = putM(b, m, packet.FieldCtNwDst, oxm)
	b = putM(b, m, packet.FieldCtIPv6Dst, oxm)
	// OVS writes these only when ct_nw_proto is nonzero; we write whatever
	// is matched, which is the same for every match OVS itself produces.
	b = putM(b, m, packet.FieldCtNwProto, oxm)
	b = putM(b, m, packet.FieldCtTpSrc, oxm)
	b = putM(b, m, packet.FieldCtTpDst, oxm)
	b = putM(b, m, packet.FieldMetadata, oxm)
	return b
}

// putVLAN writes the VLAN TCI: NXM_OF_VLAN_TCI in NXM; in OXM, VLAN_VID and
// VLAN_PCP where they can express it, else NXM_OF_VLAN_TCI (which OVS also
// accepts in OpenFlow 1.3 matches), so nothing is lost.
func putVLAN(b []byte, m *pipeline.Match, oxm dialect) []byte {
	v, mask := m.Get(packet.FieldVlanTCI)
	if mask.IsZero() {
		return b
	}
	tci, tm := uint16(v.Lo), uint16(mask.Lo)
	if oxm == dNXM {
		return putEntry(b, nxmOf[packet.FieldVlanTCI], v, mask, tm == 0xffff)
	}
	pcpMask := tm & 0xe000
	vid, vidMask := tci&0x1fff, tm&0x1fff
	ok := pcpMask == 0 || (pcpMask == 0xe000 && vid != 0 && vidMask&packet.VlanCFI != 0 && tci&packet.VlanCFI != 0)
	if !ok {
		return putEntry(b, nxmOf[packet.FieldVlanTCI], v, mask, tm == 0xffff)
	}
	f := oxmOf[packet.FieldVlanVID]
	if vidMask != 0 {
		b = putEntry(b, f, u(uint64(vid)), u(uint64(vidMask)), vidMask == 0x1fff)
	}
	if pcpMask != 0 {
		b = putEntry(b, oxmOf[packet.FieldVlanPCP], u(uint64(tci>>13)), u(7), true)
	}
	return b
}

// putIP is OVS's nxm_put_ip.
func putIP(b []byte, m *pipeline.Match, oxm dialect) []byte {
	w := &m.Value
	if w.EthType() == packet.EthTypeIPv4 {
		b = putM(b, m, packet.FieldIPv4Src, oxm)
		b = putM(b, m, packet.FieldIPv4Dst, oxm)
	} else {
		b = putM(b, m, packet.FieldIPv6Src, oxm)
		b = putM(b, m, packet.FieldIPv6Dst, oxm)
	}
	if v, mask := m.Get(packet.FieldIPFrag); !mask.IsZero() {
		fm := mask.Lo & 3
		if fm != 0 {
			b = putEntry(b, nxmOf[packet.FieldIPFrag], v, u(fm), fm == 3)
		}
	}
	if v, mask := m.Get(packet.FieldNwTOS); mask.Lo&0xfc != 0 {
		if oxm != dNXM {
			b = putEntry(b, oxmOf[packet.FieldIPDSCP], u(v.Lo>>2), u(0x3f), true)
		} else {
			b = putEntry(b, nxmOf[packet.FieldIPDSCP], u(v.Lo&0xfc), u(0xfc), true)
		}
	}
	b = putX(b, m, packet.FieldIPECN, oxm)
	b = putX(b, m, packet.FieldNwTTL, oxm)
	b = putM(b, m, packet.FieldIPv6Label, oxm)
	if _, mask := m.Get(packet.FieldNwProto); mask.IsZero() {
		return b
	}
	b = putX(b, m, packet.FieldNwProto, oxm)
	switch w.NwProto() {
	case packet.ProtoTCP:
		b = putM(b, m, packet.FieldTCPSrc, oxm)
		b = putM(b, m, packet.FieldTCPDst, oxm)
		b = putM(b, m, packet.FieldTCPFlags, oxm)
	case packet.ProtoUDP:
		b = putM(b, m, packet.FieldUDPSrc, oxm)
		b = putM(b, m, packet.FieldUDPDst, oxm)
	case packet.ProtoSCTP:
		b = putM(b, m, packet.FieldSCTPSrc, oxm)
		b = putM(b, m, packet.FieldSCTPDst, oxm)
	default:
		if packet.PrereqICMPv4.MetBy(w, &m.Mask) {
			b = putTp(b, m, packet.FieldICMPType, packet.FieldICMPCode, oxm)
		} else if packet.PrereqICMPv6.MetBy(w, &m.Mask) {
			b = putTp(b, m, packet.FieldICMPv6Type, packet.FieldICMPv6Code, oxm)
			if packet.PrereqND.MetBy(w, &m.Mask) {
				// OVS's order: nd_reserved, nd_target, nd_options_type,
				// then the link-layer address.
				b = putM(b, m, packet.FieldNdReserved, oxm)
				b = putM(b, m, packet.FieldNdTarget, oxm)
				b = putM(b, m, packet.FieldNdOptionsType, oxm)
				if packet.PrereqNDSol.MetBy(w, &m.Mask) {
					b = putM(b, m, packet.FieldNdSll, oxm)
				} else {
					b = putM(b, m, packet.FieldNdTll, oxm)
				}
			}
		}
	}
	return b
}

// putTp writes ICMP type and code (exact) when any bit of tp_src/tp_dst is
// matched.
func putTp(b []byte, m *pipeline.Match, typ, code packet.FieldID, oxm dialect) []byte {
	if m.Mask.TpSrc() != 0 {
		b = putEntry(b, oxm.header(typ), u(uint64(m.Value.TpSrc())&0xff), u(0xff), true)
	}
	if m.Mask.TpDst() != 0 {
		b = putEntry(b, oxm.header(code), u(uint64(m.Value.TpDst())&0xff), u(0xff), true)
	}
	return b
}
