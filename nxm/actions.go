package nxm

import (
	"encoding/binary"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/pipeline"
)

// OpenFlow versions.
const (
	Version10 = 1
	Version13 = 4
	Version14 = 5 // OpenFlow 1.4: 1.3's actions
	Version15 = 6 // OpenFlow 1.5: adds OFPAT_COPY_FIELD and masked OFPAT_SET_FIELD
)

// supported reports whether version is one whose actions nxm speaks.
func supported(version uint8) bool {
	return version == Version10 || version == Version13 || version == Version14 || version == Version15
}

// SetField.Wire values: the encoding a SetField came in, so it is encoded
// back the same way. 0 is OFPAT_SET_FIELD (or, in OpenFlow 1.0, whatever OVS
// would pick for a set_field).
const (
	WireSetField    uint16 = iota // OFPAT_SET_FIELD
	WireRegLoad2                  // NXAST_REG_LOAD2
	WireOF10DlSrc                 // OFPAT10_SET_DL_SRC ("mod_dl_src")
	WireOF10DlDst                 // OFPAT10_SET_DL_DST
	WireOF10NwSrc                 // OFPAT10_SET_NW_SRC
	WireOF10NwDst                 // OFPAT10_SET_NW_DST
	WireOF10NwTOS                 // OFPAT10_SET_NW_TOS (DSCP bits)
	WireOF10TpSrc                 // OFPAT10_SET_TP_SRC (TCP, UDP or SCTP source port: Field is FieldTCPSrc)
	WireOF10TpDst                 // OFPAT10_SET_TP_DST
	WireOF10VlanVID               // OFPAT10_SET_VLAN_VID (Field VlanVID, Value VID|CFI: pushes a tag if none)
	WireOF10VlanPCP               // OFPAT10_SET_VLAN_PCP (Field VlanTCI, PCP<<13|CFI under 0xf000)
	WireSetTunnel                 // NXAST_SET_TUNNEL ("set_tunnel": Field TunID; SET_TUNNEL64 if the value needs it)
	WireSetTunnel64               // NXAST_SET_TUNNEL64 ("set_tunnel64")
	WireMPLSLabel                 // set_mpls_label: NXAST_SET_MPLS_LABEL in 1.0, OFPAT_SET_FIELD in 1.3 (as OVS)
	WireMPLSTC                    // set_mpls_tc: NXAST_SET_MPLS_TC in 1.0, OFPAT_SET_FIELD in 1.3
	WireMPLSTTL                   // set_mpls_ttl: NXAST_SET_MPLS_TTL in 1.0, OFPAT_SET_MPLS_TTL in 1.3
	// WireRegLoad2Masked is NXAST_REG_LOAD2 whose mask covers every bit of
	// the field but not every bit of its bytes (set_field:10/0x3f->ip_dscp,
	// as ovn-controller sends): OVS keeps such a mask (its all-ones test is
	// over the bytes) and encodes it back masked.
	WireRegLoad2Masked
	// WireSetFieldMasked is OpenFlow 1.5's OFPAT_SET_FIELD with such a mask
	// (ovn-controller's set_field:10/0x3f->ip_dscp for QoS marking): OVS
	// keeps the mask too, sends it back masked in 1.5 and as NXAST_REG_LOAD
	// (load:0xa->OXM_OF_IP_DSCP[]) before 1.5.
	WireSetFieldMasked
)

// OpenFlow action types.
const (
	ofpatOutput     = 0
	ofpat10SetVID   = 1
	ofpat10SetPCP   = 2
	ofpat10Strip    = 3
	ofpat10SetDlSrc = 4
	ofpat10SetDlDst = 5
	ofpat10SetNwSrc = 6
	ofpat10SetNwDst = 7
	ofpat10SetNwTOS = 8
	ofpat10SetTpSrc = 9
	ofpat10SetTpDst = 10
	ofpat10Enqueue  = 11

	ofpatCopyTTLOut   = 11
	ofpatCopyTTLIn    = 12
	ofpatSetMPLSLabel = 13 // OpenFlow 1.1's, deprecated in 1.2+ (set_field)
	ofpatSetMPLSTC    = 14 // likewise
	ofpatSetMPLSTTL   = 15
	ofpatDecMPLSTTL   = 16
	ofpatPushVLAN     = 17
	ofpatPopVLAN      = 18
	ofpatPushMPLS     = 19
	ofpatPopMPLS      = 20
	ofpatSetQueue     = 21
	ofpatGroup        = 22
	ofpatSetNwTTL     = 23
	ofpatDecNwTTL     = 24
	ofpatSetField     = 25
	ofpat15CopyField  = 28 // OpenFlow 1.5
	ofpat15Meter      = 29 // OpenFlow 1.5
	ofpatPushPBB      = 26
	ofpatPopPBB       = 27
	ofpatExperimenter = 0xffff
)

// Nicira action subtypes (NXAST_*), from OVS's lib/ofp-actions.c.
const (
	nxastResubmit        = 1
	nxastSetTunnel       = 2
	nxastSetQueue        = 4 // OpenFlow 1.0 only
	nxastRegMove         = 6
	nxastRegLoad         = 7
	nxastNote            = 8
	nxastSetTunnel64     = 9
	nxastResubmitTable   = 14
	nxastOutputReg       = 15
	nxastExit            = 17
	nxastDecTTL          = 18 // OpenFlow 1.0 only
	nxastController      = 20
	nxastPushMPLS        = 23 // OpenFlow 1.0 only, as the other MPLS actions
	nxastPopMPLS         = 24
	nxastSetMPLSTTL      = 25
	nxastDecMPLSTTL      = 26
	nxastSetMPLSLabel    = 30
	nxastSetMPLSTC       = 31
	nxastStackPush       = 27
	nxastStackPop        = 28
	nxastDecTTLCntIDs    = 21
	nxastOutputReg2      = 32
	nxastRegLoad2        = 33
	nxastConjunction     = 34
	nxastCT              = 35
	nxastNAT             = 36
	nxastController2     = 37
	nxastGroup           = 40 // OpenFlow 1.0 only
	nxastClone           = 42
	nxastCTClear         = 43
	nxastCheckPktLarger  = 49
	nxastSample          = 29
	nxastSample2         = 38
	nxastSample3         = 41
	nxastResubmitTableCT = 44
	nxastDecNSHTTL       = 48 // OpenFlow 1.3+ only
)

// outer is the context an action list is decoded in (OVS's outer_action).
type outer uint8

const (
	outerNone outer = iota
	outerWrite
	outerCT
	outerClone
)

// DecodeActions decodes an OpenFlow action list. version is 1 (OpenFlow 1.0:
// OF1.0 and Nicira actions) or 4 (OpenFlow 1.3).
func DecodeActions(version uint8, b []byte) ([]pipeline.Action, error) {
	return DecodeActionsTLV(version, b, nil)
}

// DecodeActionsTLV is DecodeActions with the bridge's Geneve TLV table
// (nil: no mappings), which gives tun_metadata0..63 their lengths: a field
// it does not map is refused with NXFMFC_INVALID_TLV_FIELD, as OVS does.
func DecodeActionsTLV(version uint8, b []byte, tab *packet.TLVTable) ([]pipeline.Action, error) {
	acts, err := decodeActions(version, b, outerNone, tab)
	if err != nil {
		return nil, err
	}
	return acts, nil
}

func decodeActions(version uint8, b []byte, o outer, tab *packet.TLVTable) ([]pipeline.Action, *pipeline.Error) {
	if !supported(version) {
		return nil, pipeline.Errorf(pipeline.OFPBRC_BAD_VERSION, "unsupported OpenFlow version %d", version)
	}
	if len(b)%8 != 0 {
		return nil, pipeline.Errorf(pipeline.OFPBRC_BAD_LEN, "actions length %d is not a multiple of 8", len(b))
	}
	var acts []pipeline.Action
	for len(b) > 0 {
		a, n, err := decodeAction(version, b, tab)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		if a != nil {
			acts = append(acts, a)
		}
	}
	if err := verify(acts, o); err != nil {
		return nil, err
	}
	return acts, nil
}

// dstField returns the model field an action writes (OVS's ofpact_get_mf_dst).
func dstField(a pipeline.Action) (packet.FieldID, bool) {
	switch a := a.(type) {
	case pipeline.SetField:
		return a.Field, true
	case pipeline.RegLoad:
		return a.Dst.Field, true
	case pipeline.Move:
		return a.Dst.Field, true
	}
	return 0, false
}

func isCTField(f packet.FieldID) bool { return f == packet.FieldCtMark || f == packet.FieldCtLabel }

// verify applies OVS's ofpacts_verify nesting rules.
func verify(acts []pipeline.Action, o outer) *pipeline.Error {
	for _, a := range acts {
		if _, ok := a.(pipeline.Conjunction); ok {
			for _, b := range acts {
				switch b.(type) {
				case pipeline.Conjunction, pipeline.Note:
				default:
					return pipeline.Errorf(pipeline.NXBAC_BAD_CONJUNCTION, "conjunction may be used only with note")
				}
			}
			return nil
		}
		f, hasDst := dstField(a)
		if hasDst && isCTField(f) && o != outerCT {
			return pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "cannot set %s outside of ct action", f)
		}
		if _, ok := a.(pipeline.NAT); ok {
			if o != outerCT {
				return pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "nat is allowed only inside ct")
			}
			continue
		}
		if o == outerCT {
			if !hasDst {
				return pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "ct doesn't support nested action %T", a)
			}
			if !isCTField(f) {
				return pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "ct doesn't support nested modification of %s", f)
			}
		}
	}
	return nil
}

// action lengths
func fixedLen(n, want int, what string) *pipeline.Error {
	if n != want {
		return pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "%s length %d, want %d", what, n, want)
	}
	return nil
}

func minLen(n, want int, what string) *pipeline.Error {
	if n < want {
		return pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "%s length %d under %d", what, n, want)
	}
	return nil
}

// decodeAction decodes the action at the start of b (len(b) >= 1, multiple
// of 8 overall). It returns the action and its length.
func decodeAction(version uint8, b []byte, tab *packet.TLVTable) (pipeline.Action, int, *pipeline.Error) {
	if len(b) < 8 {
		return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "truncated action (%d bytes)", len(b))
	}
	typ := binary.BigEndian.Uint16(b)
	n := int(binary.BigEndian.Uint16(b[2:]))
	if typ == ofpatExperimenter {
		vendor := binary.BigEndian.Uint32(b[4:])
		if vendor != NXVendorID {
			if vendor == ONFVendorID {
				if len(b) < 16 {
					return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "truncated ONF action")
				}
				return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_VENDOR_TYPE, "unsupported ONF action %d", binary.BigEndian.Uint16(b[8:]))
			}
			return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_VENDOR, "unknown action experimenter %#x", vendor)
		}
		if len(b) < 16 {
			return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "truncated Nicira action (%d bytes)", len(b))
		}
		sub := binary.BigEndian.Uint16(b[8:])
		if !knownNX(version, sub) {
			return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_VENDOR_TYPE, "unsupported Nicira action subtype %d", sub)
		}
		if err := checkLen(n, len(b)); err != nil {
			return nil, 0, err
		}
		a, err := decodeNX(version, sub, b[:n], tab)
		return a, n, err
	}
	if !knownOF(version, typ) {
		return nil, 0, pipeline.Errorf(pipeline.OFPBAC_BAD_TYPE, "unsupported action type %d for OpenFlow version %d", typ, version)
	}
	if err := checkLen(n, len(b)); err != nil {
		return nil, 0, err
	}
	var a pipeline.Action
	var err *pipeline.Error
	switch {
	case version == Version10:
		a, err = decodeOF10(typ, b[:n])
	case version >= Version15 && typ == ofpatSetField:
		// OpenFlow 1.5's set_field may carry a mask.
		a, err = decodeSetField(b[4:n], true, WireSetField, tab)
	case version >= Version15 && typ == ofpat15CopyField:
		a, err = decodeCopyField(b[:n], tab)
	case version >= Version15 && typ == ofpat15Meter:
		// OVS's decode_OFPAT_RAW15_METER: a meter id, 8 bytes in all.
		if err = fixedLen(n, 8, "meter"); err == nil {
			a = pipeline.Meter{ID: binary.BigEndian.Uint32(b[4:])}
		}
	default:
		a, err = decodeOF13(typ, b[:n], tab)
	}
	return a, n, err
}

func checkLen(n, avail int) *pipeline.Error {
	switch {
	case n > avail:
		return pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "action length %d exceeds the %d bytes left", n, avail)
	case n < 8 || n%8 != 0:
		return pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "action length %d is not a positive multiple of 8", n)
	}
	return nil
}

func knownOF(version uint8, typ uint16) bool {
	if version == Version10 {
		return typ <= ofpat10Enqueue
	}
	if typ == ofpat15CopyField || typ == ofpat15Meter {
		return version >= Version15
	}
	switch typ {
	case ofpatOutput, ofpatPushVLAN, ofpatPopVLAN, ofpatSetQueue, ofpatGroup,
		ofpatSetNwTTL, ofpatDecNwTTL, ofpatSetField,
		ofpatPushMPLS, ofpatPopMPLS, ofpatSetMPLSTTL, ofpatDecMPLSTTL,
		ofpatSetMPLSLabel, ofpatSetMPLSTC, // OpenFlow 1.1's, deprecated but decoded by OVS
		ofpat10SetTpSrc, ofpat10SetTpDst: // OpenFlow 1.1's deprecated set_tp_src/dst
		return true
	}
	return false
}

func knownNX(version uint8, sub uint16) bool {
	switch sub {
	case nxastResubmit, nxastResubmitTable, nxastResubmitTableCT, nxastRegMove, nxastRegLoad,
		nxastRegLoad2, nxastOutputReg, nxastOutputReg2, nxastDecTTLCntIDs, nxastNote, nxastExit,
		nxastCT, nxastNAT, nxastCTClear, nxastConjunction, nxastController, nxastController2,
		nxastClone, nxastStackPush, nxastStackPop, nxastCheckPktLarger, nxastSetTunnel, nxastSetTunnel64,
		nxastLearn, nxastLearn2, nxastFinTimeout, nxastPopQueue, nxastMultipath, nxastBundle, nxastBundleLoad,
		nxastSample, nxastSample2, nxastSample3:
		return true
	case nxastSetQueue, nxastDecTTL, nxastGroup,
		nxastPushMPLS, nxastPopMPLS, nxastSetMPLSTTL, nxastDecMPLSTTL, nxastSetMPLSLabel, nxastSetMPLSTC:
		return version == Version10
	case nxastDecNSHTTL:
		return version >= Version13
	}
	return false
}

func decodeOutputPort(p uint32, maxLen uint16) (pipeline.Action, *pipeline.Error) {
	if !validPort32(p) {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_OUT_PORT, "invalid output port %#x", p)
	}
	if err := checkOutputPort(p); err != nil {
		return nil, err
	}
	return pipeline.Output{Port: p, MaxLen: maxLen}, nil
}

// checkOutputPort is OVS's ofpact_check_output_port.
func checkOutputPort(p uint32) *pipeline.Error {
	if p < of10PortMax {
		return nil
	}
	switch p {
	case pipeline.PortInPort, pipeline.PortTable, pipeline.PortNormal, pipeline.PortFlood,
		pipeline.PortAll, pipeline.PortController, pipeline.PortLocal:
		return nil
	}
	return pipeline.Errorf(pipeline.OFPBAC_BAD_OUT_PORT, "invalid output port %#x", p)
}

func decodeOF13(typ uint16, b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	n := len(b)
	switch typ {
	case ofpat10SetTpSrc, ofpat10SetTpDst:
		// OpenFlow 1.1's OFPAT_SET_TP_SRC/DST (same numbers and layout as
		// 1.0's), deprecated in 1.2+ but decoded by OVS, which sends them
		// itself in flow stats for a flow that matches no transport
		// protocol (see EncodeFlowActions). Field is TCP's until
		// FitL4Ports sees the flow's match.
		return decodeOF10(typ, b)
	case ofpatOutput:
		if err := fixedLen(n, 16, "output"); err != nil {
			return nil, err
		}
		return decodeOutputPort(binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint16(b[8:]))
	case ofpatPushVLAN:
		if err := fixedLen(n, 8, "push_vlan"); err != nil {
			return nil, err
		}
		et := binary.BigEndian.Uint16(b[4:])
		if et != packet.EthTypeVLAN && et != packet.EthTypeQinQ {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "push_vlan ethertype %#x", et)
		}
		return pipeline.PushVLAN{EthType: et}, nil
	case ofpatPopVLAN:
		if err := fixedLen(n, 8, "pop_vlan"); err != nil {
			return nil, err
		}
		return pipeline.PopVLAN{}, nil
	case ofpatSetQueue:
		if err := fixedLen(n, 8, "set_queue"); err != nil {
			return nil, err
		}
		return pipeline.SetQueue{QueueID: binary.BigEndian.Uint32(b[4:])}, nil
	case ofpatGroup:
		if err := fixedLen(n, 8, "group"); err != nil {
			return nil, err
		}
		return pipeline.GroupAction{GroupID: binary.BigEndian.Uint32(b[4:])}, nil
	case ofpatSetNwTTL:
		if err := fixedLen(n, 8, "set_nw_ttl"); err != nil {
			return nil, err
		}
		return pipeline.SetTTL{TTL: b[4]}, nil
	case ofpatDecNwTTL:
		if err := fixedLen(n, 8, "dec_nw_ttl"); err != nil {
			return nil, err
		}
		return pipeline.DecTTL{ControllerIDs: []uint16{0}}, nil
	case ofpatSetField:
		return decodeSetField(b[4:], false, WireSetField, tab)
	case ofpatPushMPLS, ofpatPopMPLS, ofpatSetMPLSTTL, ofpatDecMPLSTTL, ofpatSetMPLSLabel, ofpatSetMPLSTC:
		if err := fixedLen(n, 8, "MPLS action"); err != nil {
			return nil, err
		}
		switch typ {
		case ofpatPushMPLS:
			return pushMPLS(binary.BigEndian.Uint16(b[4:]))
		case ofpatPopMPLS:
			return pipeline.PopMPLS{EthType: binary.BigEndian.Uint16(b[4:])}, nil
		case ofpatSetMPLSTTL:
			return mplsSet(packet.FieldMPLSTTL, uint64(b[4]), WireMPLSTTL), nil
		case ofpatSetMPLSLabel:
			return mplsSet(packet.FieldMPLSLabel, uint64(binary.BigEndian.Uint32(b[4:])), WireMPLSLabel), nil
		case ofpatSetMPLSTC:
			return mplsSet(packet.FieldMPLSTC, uint64(b[4]), WireMPLSTC), nil
		}
		return pipeline.DecMPLSTTL{}, nil
	}
	return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_TYPE, "unsupported action type %d", typ)
}

// decodeSetField decodes the OXM entry of OFPAT_SET_FIELD (mayMask false)
// or NXAST_REG_LOAD2 (mayMask true), as OVS's decode_ofpat_set_field and
// decode_NXAST_RAW_REG_LOAD2 do.
func decodeSetField(b []byte, mayMask bool, wire uint16, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	c := tlvCursor{b: b}
	h, exp, ok := c.nextHeader()
	if !ok {
		if c.err == nil {
			c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "set_field without a field")
		}
		return nil, c.err
	}
	if idx, ok := tunIndex(h); ok {
		return decodeTunSetField(&c, h, idx, mayMask, wire, tab)
	}
	// OVS (nxm_field_by_header) answers BAD_SET_LEN for a known field with
	// another length below 128, and for other headers BAD_SET_TYPE or
	// BAD_SET_LEN depending on which fields share the header's hash
	// bucket; we say BAD_SET_TYPE for those (an unknown field).
	f := lookupField(h, exp)
	if el := exactLen(h); f == nil || el == 0 || el >= 128 {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_TYPE, "set_field of unknown field %#x", uint32(h))
	}
	if lookup(h, exp) == nil {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_LEN, "set_field of %s with length %d", f.Name, h.Length())
	}
	pl := payloadLen(h)
	if pl > len(c.b) {
		return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "set_field payload truncated")
	}
	p, rest := c.b[:pl], c.b[pl:]
	w := f.Size
	v := getValue(p[:w])
	mask := packet.Ones(uint(8 * w))
	if h.HasMask() {
		for i := 0; i < w; i++ {
			if p[i]&^p[w+i] != 0 {
				return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_WILDCARDS, "%s: 1-bits in value for bits wildcarded by the mask", f.Name)
			}
		}
		if !mayMask {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_MASK, "set_field of %s has a mask", f.Name)
		}
		mask = getValue(p[w : 2*w])
	}
	for _, c := range rest {
		if c != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "set_field: nonzero padding")
		}
	}
	if f.Kind == kInPort32 && !mayMask {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "set_field may not set OXM_OF_IN_PORT")
	}
	id := subfieldID(f)
	if !packet.Fields[id].Writable {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "%s is not writable", f.Name)
	}
	if !mayMask && (!v.AndNot(f.Valid).IsZero() || (f.ID == packet.FieldVlanVID && v.Lo&packet.VlanCFI == 0)) {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "invalid value for set_field %s", f.Name)
	}
	m := mask.And(packet.Ones(packet.Fields[id].Bits))
	switch f.Kind {
	case kInPort16:
		if mask.Lo&0xffff == 0xffff {
			v, m = u(uint64(PortFrom16(uint16(v.Lo)))), packet.Ones(32)
		}
	case kDSCPNXM:
		m = m.And(u(0xfc))
	}
	if h.HasMask() && mask != packet.Ones(uint(8*w)) && fullWire(f, m) {
		switch wire {
		case WireRegLoad2:
			wire = WireRegLoad2Masked
		case WireSetField:
			wire = WireSetFieldMasked
		}
	}
	sf := pipeline.SetField{Field: id, Value: v.And(m), Mask: m, Wire: wire}
	return sf, nil
}

// pushMPLS is OVS's decode_OFPAT_RAW_PUSH_MPLS: only an MPLS Ethernet type.
func pushMPLS(et uint16) (pipeline.Action, *pipeline.Error) {
	if !packet.IsMPLS(et) {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "push_mpls ethertype %#x is not MPLS", et)
	}
	return pipeline.PushMPLS{EthType: et}, nil
}

// mplsSet is set_mpls_label, set_mpls_tc or set_mpls_ttl as a SetField. OVS
// takes the argument as it comes; only the field's bits reach the packet.
func mplsSet(f packet.FieldID, v uint64, wire uint16) pipeline.SetField {
	m := packet.Ones(packet.Fields[f].Bits)
	return pipeline.SetField{Field: f, Value: u(v).And(m), Mask: m, Wire: wire}
}

func decodeOF10(typ uint16, b []byte) (pipeline.Action, *pipeline.Error) {
	n := len(b)
	want := 8
	if typ == ofpat10SetDlSrc || typ == ofpat10SetDlDst || typ == ofpat10Enqueue {
		want = 16
	}
	if err := fixedLen(n, want, "OpenFlow 1.0 action"); err != nil {
		return nil, err
	}
	be16 := binary.BigEndian.Uint16
	switch typ {
	case ofpatOutput:
		p := PortFrom16(be16(b[4:]))
		if err := checkOutputPort(p); err != nil {
			return nil, err
		}
		return pipeline.Output{Port: p, MaxLen: be16(b[6:])}, nil
	case ofpat10SetVID:
		vid := be16(b[4:])
		if vid&^0xfff != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "set_vlan_vid %d out of range", vid)
		}
		return pipeline.SetField{Field: packet.FieldVlanVID, Value: u(uint64(vid) | packet.VlanCFI), Mask: u(0x1fff), Wire: WireOF10VlanVID}, nil
	case ofpat10SetPCP:
		pcp := b[4]
		if pcp&^7 != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "set_vlan_pcp %d out of range", pcp)
		}
		return pipeline.SetField{Field: packet.FieldVlanTCI, Value: u(uint64(pcp)<<13 | packet.VlanCFI), Mask: u(0xf000), Wire: WireOF10VlanPCP}, nil
	case ofpat10Strip:
		return pipeline.PopVLAN{Strip: true}, nil
	case ofpat10SetDlSrc, ofpat10SetDlDst:
		f, w := packet.FieldEthSrc, WireOF10DlSrc
		if typ == ofpat10SetDlDst {
			f, w = packet.FieldEthDst, WireOF10DlDst
		}
		return pipeline.SetField{Field: f, Value: getValue(b[4:10]), Mask: packet.Ones(48), Wire: w}, nil
	case ofpat10SetNwSrc, ofpat10SetNwDst:
		f, w := packet.FieldIPv4Src, WireOF10NwSrc
		if typ == ofpat10SetNwDst {
			f, w = packet.FieldIPv4Dst, WireOF10NwDst
		}
		return pipeline.SetField{Field: f, Value: getValue(b[4:8]), Mask: packet.Ones(32), Wire: w}, nil
	case ofpat10SetNwTOS:
		tos := b[4]
		if tos&^0xfc != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "set_nw_tos %#x has ECN bits", tos)
		}
		return pipeline.SetField{Field: packet.FieldIPDSCP, Value: u(uint64(tos >> 2)), Mask: u(0x3f), Wire: WireOF10NwTOS}, nil
	case ofpat10SetTpSrc, ofpat10SetTpDst:
		f, w := packet.FieldTCPSrc, WireOF10TpSrc
		if typ == ofpat10SetTpDst {
			f, w = packet.FieldTCPDst, WireOF10TpDst
		}
		return pipeline.SetField{Field: f, Value: u(uint64(be16(b[4:]))), Mask: u(0xffff), Wire: w}, nil
	case ofpat10Enqueue:
		p := PortFrom16(be16(b[4:]))
		if p >= PortFrom16(of10PortMax) && p != pipeline.PortInPort && p != pipeline.PortLocal {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_OUT_PORT, "enqueue to invalid port %#x", p)
		}
		return pipeline.Output{Port: p, Enqueue: true, QueueID: binary.BigEndian.Uint32(b[12:])}, nil
	}
	return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_TYPE, "unsupported action type %d", typ)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// setTunnel is set_tunnel/set_tunnel64: a set_field of tun_id. OVS encodes
// it back as it came in OpenFlow 1.0 and as a set_field in 1.2+, so in a 1.3
// message it is decoded as the set_field it will be dumped as. (OVS would
// dump such a flow over 1.0 as set_tunnel, gswitch as load; ovs-ofctl
// itself sends set_tunnel over 1.3 as a set_field.)
func setTunnel(version uint8, id uint64, wire uint16) pipeline.SetField {
	if version != Version10 {
		wire = WireSetField
	}
	return pipeline.SetField{Field: packet.FieldTunID, Value: u(id), Mask: packet.Ones(64), Wire: wire}
}

func decodeNX(version uint8, sub uint16, b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	n := len(b)
	be16, be32 := binary.BigEndian.Uint16, binary.BigEndian.Uint32
	switch sub {
	case nxastResubmit, nxastResubmitTable, nxastResubmitTableCT:
		if err := fixedLen(n, 16, "resubmit"); err != nil {
			return nil, err
		}
		r := pipeline.Resubmit{InPort: PortFrom16(be16(b[10:])), Table: pipeline.NoTable}
		if sub == nxastResubmit {
			r.Short = true
			return r, nil
		}
		if !allZero(b[13:16]) {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "resubmit: nonzero padding")
		}
		r.Table = b[12]
		r.CT = sub == nxastResubmitTableCT
		return r, nil
	case nxastSetTunnel:
		// OVS's decode_NXAST_RAW_SET_TUNNEL: 2 bytes of padding (not
		// checked), a 32-bit tunnel ID.
		if err := fixedLen(n, 16, "set_tunnel"); err != nil {
			return nil, err
		}
		return setTunnel(version, uint64(be32(b[12:])), WireSetTunnel), nil
	case nxastSetTunnel64:
		if err := fixedLen(n, 24, "set_tunnel64"); err != nil {
			return nil, err
		}
		return setTunnel(version, binary.BigEndian.Uint64(b[16:]), WireSetTunnel64), nil
	case nxastExit:
		if err := fixedLen(n, 16, "exit"); err != nil {
			return nil, err
		}
		return pipeline.Exit{}, nil
	case nxastCTClear:
		if err := fixedLen(n, 16, "ct_clear"); err != nil {
			return nil, err
		}
		return pipeline.CTClear{}, nil
	case nxastDecNSHTTL:
		if err := fixedLen(n, 16, "dec_nsh_ttl"); err != nil {
			return nil, err
		}
		return pipeline.DecNSHTTL{}, nil
	case nxastDecTTL:
		if err := fixedLen(n, 16, "dec_ttl"); err != nil {
			return nil, err
		}
		return pipeline.DecTTL{ControllerIDs: []uint16{0}}, nil
	case nxastPushMPLS, nxastPopMPLS, nxastSetMPLSTTL, nxastDecMPLSTTL, nxastSetMPLSLabel, nxastSetMPLSTC:
		// The argument follows the subtype (a label after two bytes of
		// padding); OVS does not look at the other bytes.
		if err := fixedLen(n, 16, "MPLS action"); err != nil {
			return nil, err
		}
		switch sub {
		case nxastPushMPLS:
			return pushMPLS(be16(b[10:]))
		case nxastPopMPLS:
			return pipeline.PopMPLS{EthType: be16(b[10:])}, nil
		case nxastSetMPLSTTL:
			return mplsSet(packet.FieldMPLSTTL, uint64(b[10]), WireMPLSTTL), nil
		case nxastSetMPLSLabel:
			return mplsSet(packet.FieldMPLSLabel, uint64(be32(b[12:])), WireMPLSLabel), nil
		case nxastSetMPLSTC:
			return mplsSet(packet.FieldMPLSTC, uint64(b[10]), WireMPLSTC), nil
		}
		return pipeline.DecMPLSTTL{}, nil
	case nxastSetQueue:
		if err := fixedLen(n, 16, "set_queue"); err != nil {
			return nil, err
		}
		return pipeline.SetQueue{QueueID: be32(b[12:])}, nil
	case nxastGroup:
		if err := fixedLen(n, 16, "group"); err != nil {
			return nil, err
		}
		return pipeline.GroupAction{GroupID: be32(b[12:])}, nil
	case nxastNote:
		if err := minLen(n, 16, "note"); err != nil {
			return nil, err
		}
		return pipeline.Note{Data: append([]byte(nil), b[10:]...)}, nil
	case nxastConjunction:
		if err := fixedLen(n, 16, "conjunction"); err != nil {
			return nil, err
		}
		clause, nclauses := b[10], b[11]
		if nclauses < 2 || nclauses > 64 || clause >= nclauses {
			return nil, pipeline.Errorf(pipeline.NXBAC_BAD_CONJUNCTION, "conjunction(%d/%d) out of range", clause+1, nclauses)
		}
		return pipeline.Conjunction{ID: be32(b[12:]), Clause: clause, NClauses: nclauses}, nil
	case nxastController:
		if err := fixedLen(n, 16, "controller"); err != nil {
			return nil, err
		}
		return pipeline.Controller{MaxLen: be16(b[10:]), ControllerID: be16(b[12:]), Reason: b[14]}, nil
	case nxastController2:
		return decodeController2(b)
	case nxastRegLoad:
		if err := fixedLen(n, 24, "reg_load"); err != nil {
			return nil, err
		}
		ofsNBits := be16(b[10:])
		if idx, ok := tunIndex(Header(be32(b[12:]))); ok {
			return decodeTunLoad(Header(be32(b[12:])), idx, ofsNBits>>6, ofsNBits&0x3f+1, binary.BigEndian.Uint64(b[16:]), tab)
		}
		f, err := fieldFromNXMHeader(be32(b[12:]))
		if err != nil {
			return nil, err
		}
		sf, err := checkSubfield(f, ofsNBits>>6, ofsNBits&0x3f+1, true)
		if err != nil {
			return nil, err
		}
		v := binary.BigEndian.Uint64(b[16:])
		if sf.NBits < 64 && v>>sf.NBits != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "load value %#x wider than %d bits", v, sf.NBits)
		}
		return pipeline.RegLoad{Dst: sf, Value: u(v)}, nil
	case nxastRegLoad2:
		if err := minLen(n, 16, "reg_load2"); err != nil {
			return nil, err
		}
		a, err := decodeSetField(b[10:], true, WireRegLoad2, tab)
		if err != nil && err.HasCode(pipeline.OFPBAC_BAD_SET_ARGUMENT) {
			// padding / writability: same code either way
			return nil, err
		}
		return a, err
	case nxastRegMove:
		if err := minLen(n, 16, "move"); err != nil {
			return nil, err
		}
		return decodeMove(be16(b[10:]), be16(b[12:]), be16(b[14:]), b[16:], tab)
	case nxastOutputReg:
		if err := fixedLen(n, 24, "output_reg"); err != nil {
			return nil, err
		}
		if !allZero(b[18:24]) {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "output_reg: nonzero padding")
		}
		ofsNBits := be16(b[10:])
		f, err := fieldFromNXMHeaderTun(be32(b[12:]), tab)
		if err != nil {
			return nil, err
		}
		sf, err := f.check(ofsNBits>>6, ofsNBits&0x3f+1, false)
		if err != nil {
			return nil, err
		}
		return pipeline.OutputReg{Src: sf, MaxLen: be16(b[16:])}, nil
	case nxastOutputReg2:
		if err := fixedLen(n, 24, "output_reg2"); err != nil {
			return nil, err
		}
		ofsNBits, maxLen := be16(b[10:]), be16(b[12:])
		f, rest, err := pullHeaderTun(b[14:], tab)
		if err != nil {
			return nil, err
		}
		if !allZero(rest) {
			return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "output_reg2: nonzero padding")
		}
		sf, err := f.check(ofsNBits>>6, ofsNBits&0x3f+1, false)
		if err != nil {
			return nil, err
		}
		return pipeline.OutputReg{Src: sf, MaxLen: maxLen, V2: true}, nil
	case nxastDecTTLCntIDs:
		if err := minLen(n, 16, "dec_ttl_cnt_ids"); err != nil {
			return nil, err
		}
		cnt := int(be16(b[10:]))
		if !allZero(b[12:16]) {
			return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "dec_ttl_cnt_ids: nonzero reserved bytes")
		}
		if n-16 < 2*cnt {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "dec_ttl_cnt_ids: %d ids in %d bytes", cnt, n-16)
		}
		ids := make([]uint16, cnt)
		for i := range ids {
			ids[i] = be16(b[16+2*i:])
		}
		return pipeline.DecTTL{ControllerIDs: ids, CntIDs: true}, nil
	case nxastCT:
		return decodeCT(version, b, tab)
	case nxastStackPush, nxastStackPop:
		// OVS's decode_stack_action: offset, a field header (NXM or
		// OXM, 4 or 8 bytes), n_bits, zeros to 24 bytes.
		if err := fixedLen(n, 24, "stack"); err != nil {
			return nil, err
		}
		f, rest, err := pullHeaderTun(b[12:], tab)
		if err != nil {
			return nil, err
		}
		if len(rest) < 2 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "stack: no room for n_bits")
		}
		if !allZero(rest[2:]) {
			return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "stack: nonzero padding")
		}
		push := sub == nxastStackPush
		sf, err := f.check(be16(b[10:]), be16(rest), !push)
		if err != nil {
			return nil, err
		}
		if push {
			return pipeline.StackPush{Src: sf}, nil
		}
		return pipeline.StackPop{Dst: sf}, nil
	case nxastLearn, nxastLearn2:
		return decodeLearn(sub, b, tab)
	case nxastFinTimeout:
		return decodeFinTimeout(b)
	case nxastPopQueue:
		// OVS's decode_NXAST_RAW_POP_QUEUE: the padding is not looked at.
		if err := fixedLen(n, 16, "pop_queue"); err != nil {
			return nil, err
		}
		return pipeline.PopQueue{}, nil
	case nxastMultipath:
		return decodeMultipath(b, tab)
	case nxastBundle, nxastBundleLoad:
		return decodeBundle(sub == nxastBundleLoad, b, tab)
	case nxastSample, nxastSample2, nxastSample3:
		return decodeSample(sub, b)
	case nxastCheckPktLarger:
		// OVS's decode_NXAST_RAW_CHECK_PKT_LARGER: pkt_len, the bit's
		// offset, a field header, zeros to 24 bytes.
		if err := fixedLen(n, 24, "check_pkt_larger"); err != nil {
			return nil, err
		}
		f, rest, err := pullHeader(b[14:])
		if err != nil {
			return nil, err
		}
		if !allZero(rest) {
			return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "check_pkt_larger: nonzero padding")
		}
		sf, err := checkSubfield(f, be16(b[12:]), 1, true)
		if err != nil {
			return nil, err
		}
		return pipeline.CheckPktLarger{PktLen: be16(b[10:]), Dst: sf}, nil
	case nxastClone:
		// OVS's decode_NXAST_RAW_CLONE: the 6 bytes after the subtype
		// are not looked at; the nested list is apply-actions.
		if err := minLen(n, 16, "clone"); err != nil {
			return nil, err
		}
		acts, err := decodeActions(version, b[16:], outerClone, tab)
		if err != nil {
			return nil, err
		}
		return pipeline.Clone{Actions: acts}, nil
	case nxastNAT:
		return decodeNAT(b)
	}
	return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_VENDOR_TYPE, "unsupported Nicira action subtype %d", sub)
}

// NXAST_CONTROLLER2 properties.
const (
	nxac2MaxLen       = 0
	nxac2ControllerID = 1
	nxac2Reason       = 2
	nxac2UserData     = 3
	nxac2Pause        = 4
	nxac2MeterID      = 5
)

func decodeController2(b []byte) (pipeline.Action, *pipeline.Error) {
	if err := minLen(len(b), 16, "controller2"); err != nil {
		return nil, err
	}
	if !allZero(b[10:16]) {
		return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "controller2: nonzero padding")
	}
	c := pipeline.Controller{MaxLen: 0xffff, Reason: 1, V2: true}
	p := b[16:]
	for len(p) > 0 {
		if len(p) < 4 {
			return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "controller2: truncated property")
		}
		typ, plen := binary.BigEndian.Uint16(p), int(binary.BigEndian.Uint16(p[2:]))
		padded := (plen + 7) &^ 7
		if plen < 4 || padded > len(p) {
			return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "controller2: property length %d", plen)
		}
		body := p[4:plen]
		p = p[padded:]
		switch typ {
		case nxac2MaxLen, nxac2ControllerID:
			if len(body) < 2 {
				return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "controller2: property %d length", typ)
			}
			if typ == nxac2MaxLen {
				c.MaxLen = binary.BigEndian.Uint16(body)
			} else {
				c.ControllerID = binary.BigEndian.Uint16(body)
			}
		case nxac2Reason:
			if len(body) < 1 {
				return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "controller2: reason length")
			}
			c.Reason = body[0]
		case nxac2UserData:
			c.UserData = nil
			if len(body) > 0 {
				c.UserData = append([]byte(nil), body...)
			}
		case nxac2Pause:
			c.Pause = true
		case nxac2MeterID:
			if len(body) != 4 {
				return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "controller2: meter_id length")
			}
			c.HasMeter, c.MeterID = true, binary.BigEndian.Uint32(body)
		default:
			return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_TYPE, "controller2: unknown property %d", typ)
		}
	}
	return c, nil
}

func decodeCT(version uint8, b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	if err := minLen(len(b), 24, "ct"); err != nil {
		return nil, err
	}
	be16, be32 := binary.BigEndian.Uint16, binary.BigEndian.Uint32
	c := pipeline.CT{Flags: be16(b[10:]), Table: b[18], Alg: be16(b[22:])}
	if c.Flags&pipeline.CTForce != 0 && c.Flags&pipeline.CTCommit == 0 {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "ct: force requires commit")
	}
	if src := be32(b[12:]); src != 0 {
		f, err := fieldFromNXMHeaderTun(src, tab)
		if err != nil {
			return nil, err
		}
		ofsNBits := be16(b[16:])
		sf, err := f.check(ofsNBits>>6, ofsNBits&0x3f+1, false)
		if err != nil {
			return nil, err
		}
		if sf.NBits != 16 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_LEN, "ct: zone must be 16 bits, not %d", sf.NBits)
		}
		c.ZoneSrc = sf
	} else {
		c.Zone = be16(b[16:])
	}
	exec, err := decodeActions(version, b[24:], outerCT, tab)
	if err != nil {
		return nil, err
	}
	c.Exec = exec
	if len(exec) > 0 && c.Flags&pipeline.CTCommit == 0 {
		for _, a := range exec {
			nat, ok := a.(pipeline.NAT)
			if !ok || nat.Flags != 0 || nat.RangePresent != 0 {
				return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "ct actions other than a bare nat need commit")
			}
		}
	}
	c.Params = CTParams(&c)
	return c, nil
}

// CTParams derives the static ct.Params of a ct action: zone (when
// immediate; else 0, to be read from ZoneSrc per packet), commit, force,
// alg, ct_mark/ct_label writes made with set_field or load, and nat.
func CTParams(c *pipeline.CT) ct.Params {
	p := ct.Params{
		Commit: c.Flags&pipeline.CTCommit != 0,
		Force:  c.Flags&pipeline.CTForce != 0,
		Alg:    c.Alg,
	}
	if !c.ZoneSrc.Field.Valid() && c.ZoneSrc.Tun.Len == 0 {
		p.Zone = c.Zone
	}
	setMark := func(v, m packet.U128) {
		p.SetMark = true
		p.Mark = p.Mark&^uint32(m.Lo) | uint32(v.Lo&m.Lo)
		p.MarkMask |= uint32(m.Lo)
	}
	setLabel := func(v, m packet.U128) {
		p.SetLabel = true
		p.Label = p.Label.AndNot(m).Or(v.And(m))
		p.LabelMask = p.LabelMask.Or(m)
	}
	for _, a := range c.Exec {
		switch a := a.(type) {
		case pipeline.SetField:
			if a.Field == packet.FieldCtMark {
				setMark(a.Value, a.Mask)
			} else if a.Field == packet.FieldCtLabel {
				setLabel(a.Value, a.Mask)
			}
		case pipeline.RegLoad:
			m := packet.Ones(uint(a.Dst.NBits)).Shl(uint(a.Dst.Ofs))
			v := a.Value.Shl(uint(a.Dst.Ofs))
			if a.Dst.Field == packet.FieldCtMark {
				setMark(v, m)
			} else if a.Dst.Field == packet.FieldCtLabel {
				setLabel(v, m)
			}
		case pipeline.NAT:
			n := a.NAT
			p.NAT = &n
		}
	}
	return p
}

// NAT flag bits OVS accepts.

func decodeNAT(b []byte) (pipeline.Action, *pipeline.Error) {
	if err := minLen(len(b), 16, "nat"); err != nil {
		return nil, err
	}
	be16 := binary.BigEndian.Uint16
	var n ct.NAT
	n.Flags = be16(b[12:])
	rp := be16(b[14:])
	bad := func(what string) (pipeline.Action, *pipeline.Error) {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "nat: %s", what)
	}
	if n.Flags&^ct.NATFlagsMask != 0 || (n.Flags&ct.NATSrc != 0 && n.Flags&ct.NATDst != 0) ||
		(n.Flags&ct.NATHash != 0 && n.Flags&ct.NATRandom != 0) {
		return bad("invalid flags")
	}
	opts := b[16:]
	take := func(k int) ([]byte, bool) {
		if len(opts) < k {
			return nil, false
		}
		v := opts[:k]
		opts = opts[k:]
		return v, true
	}
	hasRange := false
	switch {
	case rp&ct.NATRangeIPv4Min != 0:
		if rp&(ct.NATRangeIPv6Min|ct.NATRangeIPv6Max) != 0 {
			return bad("both IPv4 and IPv6 ranges")
		}
		a, ok := take(4)
		if !ok || allZero(a) {
			return bad("bad IPv4 minimum")
		}
		copy(n.AddrMin[:], a)
		n.RangePresent |= ct.NATRangeIPv4Min
		hasRange = true
		if rp&ct.NATRangeIPv4Max != 0 {
			a, ok := take(4)
			if !ok || binary.BigEndian.Uint32(a) < binary.BigEndian.Uint32(n.AddrMin[:4]) {
				return bad("bad IPv4 maximum")
			}
			copy(n.AddrMax[:], a)
			if !allZero(a) {
				n.RangePresent |= ct.NATRangeIPv4Max
			}
		}
	case rp&ct.NATRangeIPv4Max != 0:
		return bad("IPv4 maximum without minimum")
	case rp&ct.NATRangeIPv6Min != 0:
		a, ok := take(16)
		if !ok || allZero(a) {
			return bad("bad IPv6 minimum")
		}
		copy(n.AddrMin[:], a)
		n.RangePresent |= ct.NATRangeIPv6Min
		hasRange = true
		if rp&ct.NATRangeIPv6Max != 0 {
			a, ok := take(16)
			if !ok || string(a) < string(n.AddrMin[:]) {
				return bad("bad IPv6 maximum")
			}
			copy(n.AddrMax[:], a)
			if !allZero(a) {
				n.RangePresent |= ct.NATRangeIPv6Max
			}
		}
	case rp&ct.NATRangeIPv6Max != 0:
		return bad("IPv6 maximum without minimum")
	}
	if rp&ct.NATRangeProtoMin != 0 {
		if !hasRange {
			return bad("port range without address range")
		}
		a, ok := take(2)
		if !ok || be16(a) == 0 {
			return bad("bad minimum port")
		}
		n.PortMin = be16(a)
		n.RangePresent |= ct.NATRangeProtoMin
		if rp&ct.NATRangeProtoMax != 0 {
			a, ok := take(2)
			if !ok || be16(a) < n.PortMin {
				return bad("bad maximum port")
			}
			n.PortMax = be16(a)
			if n.PortMax != 0 {
				n.RangePresent |= ct.NATRangeProtoMax
			}
		}
	} else if rp&ct.NATRangeProtoMax != 0 {
		return bad("maximum port without minimum")
	}
	return pipeline.NAT{NAT: n}, nil
}

// decodeMove decodes the body of NXAST_REG_MOVE or OFPAT_COPY_FIELD after
// their n_bits, src_ofs and dst_ofs: two field headers and zero padding
// (OVS's decode_copy_field__).
func decodeMove(nbits, srcOfs, dstOfs uint16, b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	src, rest, err := pullHeaderTun(b, tab)
	if err != nil {
		return nil, err
	}
	dst, rest, err := pullHeaderTun(rest, tab)
	if err != nil {
		return nil, err
	}
	if !allZero(rest) {
		return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "move: nonzero padding")
	}
	s, err := src.check(srcOfs, nbits, false)
	if err != nil {
		return nil, err
	}
	d, err := dst.check(dstOfs, nbits, true)
	if err != nil {
		return nil, err
	}
	return pipeline.Move{Src: s, Dst: d}, nil
}

// decodeCopyField decodes an ofp15_action_copy_field: type, len, n_bits,
// src_offset, dst_offset, 2 bytes of padding, then the two OXM headers.
func decodeCopyField(b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	if err := minLen(len(b), 16, "copy_field"); err != nil {
		return nil, err
	}
	bu := binary.BigEndian.Uint16
	return decodeMove(bu(b[4:]), bu(b[6:]), bu(b[8:]), b[12:], tab)
}

// decodeSample is OVS's decode_NXAST_RAW_SAMPLE (24 bytes), SAMPLE2 and
// SAMPLE3 (32 bytes: sampling_port, SAMPLE3's direction and five zeros,
// which only SAMPLE3 checks). A zero probability is OFPBAC_BAD_ARGUMENT.
func decodeSample(sub uint16, b []byte) (pipeline.Action, *pipeline.Error) {
	n := len(b)
	want := 32
	if sub == nxastSample {
		want = 24
	}
	if err := fixedLen(n, want, "sample"); err != nil {
		return nil, err
	}
	s := pipeline.Sample{
		Probability:    binary.BigEndian.Uint16(b[10:]),
		CollectorSetID: binary.BigEndian.Uint32(b[12:]),
		ObsDomainID:    binary.BigEndian.Uint32(b[16:]),
		ObsPointID:     binary.BigEndian.Uint32(b[20:]),
		SamplingPort:   pipeline.PortAny,
		Wire:           pipeline.SampleWire1,
	}
	if sub != nxastSample {
		s.SamplingPort = PortFrom16(binary.BigEndian.Uint16(b[24:]))
		s.Wire = pipeline.SampleWire2
	}
	if sub == nxastSample3 {
		s.Wire = pipeline.SampleWire3
		if !allZero(b[27:32]) {
			return nil, pipeline.Errorf(pipeline.NXBRC_MUST_BE_ZERO, "sample: nonzero padding")
		}
		s.Direction = b[26]
		if s.Direction > pipeline.SampleEgress {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "invalid sample direction %d", s.Direction)
		}
	}
	if s.Probability == 0 {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "sample: probability is 0")
	}
	return s, nil
}
