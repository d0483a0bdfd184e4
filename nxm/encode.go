package nxm

import (
	"encoding/binary"
	"fmt"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/pipeline"
)

// EncodeActions encodes an action list for OpenFlow version 1 (1.0) or 4
// (1.3), the way OVS does, so that decoded actions encode back to the same
// bytes. It fails for an action the version cannot express.
func EncodeActions(version uint8, acts []pipeline.Action) ([]byte, error) {
	if !supported(version) {
		return nil, fmt.Errorf("nxm: unsupported OpenFlow version %d", version)
	}
	var b []byte
	var err error
	for _, a := range acts {
		if b, err = appendAction(b, version, a); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// EncodeFlowActions is EncodeActions for the actions of a flow whose match
// is m, as OVS encodes a flow's actions in flow stats: an OpenFlow 1.0
// mod_tp_src/mod_tp_dst (decoded with Wire WireOF10TpSrc/WireOF10TpDst)
// goes to OpenFlow 1.3 as a set_field of the transport protocol that m's
// nw_proto names (tcp, udp or sctp), and as the deprecated OpenFlow 1.1
// OFPAT_SET_TP_SRC/DST (types 9 and 10, which ovs-ofctl prints as
// mod_tp_src/mod_tp_dst) when it names none of them (OVS's encode_SET_L4_*
// with the flow_ip_proto that ofpacts_check noted from the match).
// EncodeActions behaves as if m matched no protocol.
func EncodeFlowActions(version uint8, m *pipeline.Match, acts []pipeline.Action) ([]byte, error) {
	if version != Version10 {
		acts = withL4Proto(acts, matchProto(m))
	}
	return EncodeActions(version, acts)
}

// EncodeFlowInstructions is EncodeInstructions for the instructions of a
// flow whose match is m (see EncodeFlowActions).
func EncodeFlowInstructions(m *pipeline.Match, in *pipeline.Instructions) ([]byte, error) {
	return EncodeFlowInstructionsVersion(Version13, m, in)
}

// EncodeFlowInstructionsVersion is EncodeFlowInstructions for OpenFlow
// version 4 (1.3), 5 (1.4) or 6 (1.5).
func EncodeFlowInstructionsVersion(version uint8, m *pipeline.Match, in *pipeline.Instructions) ([]byte, error) {
	proto := matchProto(m)
	c := *in
	c.Apply = withL4Proto(in.Apply, proto)
	c.Write = withL4Proto(in.Write, proto)
	return EncodeInstructionsVersion(version, &c)
}

// FitL4Ports gives the OpenFlow 1.0/1.1 transport port sets in acts
// (decoded with Wire WireOF10TpSrc/WireOF10TpDst, Field TCP's) the field of
// the transport protocol m matches, UDP's or SCTP's (in place), as OVS's
// check_set_l4_port notes the flow's protocol: so that such an action on a
// udp or sctp flow passes the pipeline's prerequisite check as in OVS. A
// flow matching no transport protocol keeps TCP's field (inconsistent
// outside OpenFlow 1.0, as in OVS).
func FitL4Ports(m *pipeline.Match, acts []pipeline.Action) {
	var src, dst packet.FieldID
	switch matchProto(m) {
	case packet.ProtoUDP:
		src, dst = packet.FieldUDPSrc, packet.FieldUDPDst
	case packet.ProtoSCTP:
		src, dst = packet.FieldSCTPSrc, packet.FieldSCTPDst
	default:
		return
	}
	for i, a := range acts {
		sf, ok := a.(pipeline.SetField)
		if !ok {
			continue
		}
		switch sf.Wire {
		case WireOF10TpSrc:
			sf.Field = src
		case WireOF10TpDst:
			sf.Field = dst
		default:
			continue
		}
		acts[i] = sf
	}
}

// matchProto is OVS's match->flow.nw_proto: the nw_proto value a match
// requires (the ARP opcode shares its place, as in OVS), 0 if none.
func matchProto(m *pipeline.Match) uint8 {
	if m == nil {
		return 0
	}
	v, mask := m.Get(packet.FieldNwProto)
	return uint8(v.Lo & mask.Lo)
}

// withL4Proto returns acts with the OpenFlow 1.0 transport port sets
// turned into set_fields of proto's ports, when proto is TCP, UDP or
// SCTP (a copy; acts itself is not changed).
func withL4Proto(acts []pipeline.Action, proto uint8) []pipeline.Action {
	var src, dst packet.FieldID
	switch proto {
	case packet.ProtoTCP:
		src, dst = packet.FieldTCPSrc, packet.FieldTCPDst
	case packet.ProtoUDP:
		src, dst = packet.FieldUDPSrc, packet.FieldUDPDst
	case packet.ProtoSCTP:
		src, dst = packet.FieldSCTPSrc, packet.FieldSCTPDst
	default:
		return acts
	}
	var out []pipeline.Action
	for i, a := range acts {
		sf, ok := a.(pipeline.SetField)
		if !ok || (sf.Wire != WireOF10TpSrc && sf.Wire != WireOF10TpDst) {
			continue
		}
		if out == nil {
			out = append([]pipeline.Action(nil), acts...)
		}
		f := src
		if sf.Wire == WireOF10TpDst {
			f = dst
		}
		out[i] = pipeline.SetField{Field: f, Value: sf.Value, Mask: sf.Mask, Wire: WireSetField}
	}
	if out == nil {
		return acts
	}
	return out
}

// AppendActions is EncodeActions appending to b.
func AppendActions(b []byte, version uint8, acts []pipeline.Action) ([]byte, error) {
	var err error
	for _, a := range acts {
		if b, err = appendAction(b, version, a); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func be16(b []byte, v ...uint16) []byte {
	for _, x := range v {
		b = binary.BigEndian.AppendUint16(b, x)
	}
	return b
}
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func zeros(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, 0)
	}
	return b
}

// ofHdr starts an OpenFlow action of fixed length n.
func ofHdr(b []byte, typ uint16, n int) []byte { return be16(be16(b, typ), uint16(n)) }

// nxHdr starts a Nicira action of length n (patched later if 0).
func nxHdr(b []byte, sub uint16, n int) []byte {
	b = ofHdr(b, ofpatExperimenter, n)
	b = be32(b, NXVendorID)
	return be16(b, sub)
}

// finish pads the action that starts at start to a multiple of 8 and sets
// its length.
func finish(b []byte, start int) []byte {
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

func port16(p uint32) (uint16, error) {
	v, ok := PortTo16(p)
	if !ok {
		return 0, fmt.Errorf("nxm: port %#x has no OpenFlow 1.0 number", p)
	}
	return v, nil
}

func appendAction(b []byte, version uint8, a pipeline.Action) ([]byte, error) {
	v10 := version == Version10
	switch a := a.(type) {
	case pipeline.Output:
		if a.Enqueue {
			if v10 {
				p, err := port16(a.Port)
				if err != nil {
					return nil, err
				}
				b = ofHdr(b, ofpat10Enqueue, 16)
				b = be16(b, p)
				b = zeros(b, 6)
				return be32(b, a.QueueID), nil
			}
			// OVS's encode_ENQUEUE: set_queue, output, pop_queue.
			b = ofHdr(b, ofpatSetQueue, 8)
			b = be32(b, a.QueueID)
			b = ofHdr(b, ofpatOutput, 16)
			b = be32(b, a.Port)
			b = be16(b, 0xffff)
			b = zeros(b, 6)
			b = nxHdr(b, nxastPopQueue, 16)
			return zeros(b, 6), nil
		}
		if v10 {
			p, err := port16(a.Port)
			if err != nil {
				return nil, err
			}
			b = ofHdr(b, ofpatOutput, 8)
			b = be16(b, p)
			return be16(b, a.MaxLen), nil
		}
		b = ofHdr(b, ofpatOutput, 16)
		b = be32(b, a.Port)
		b = be16(b, a.MaxLen)
		return zeros(b, 6), nil
	case pipeline.GroupAction:
		if v10 {
			b = nxHdr(b, nxastGroup, 16)
			b = zeros(b, 2)
			return be32(b, a.GroupID), nil
		}
		b = ofHdr(b, ofpatGroup, 8)
		return be32(b, a.GroupID), nil
	case pipeline.SetQueue:
		if v10 {
			b = nxHdr(b, nxastSetQueue, 16)
			b = zeros(b, 2)
			return be32(b, a.QueueID), nil
		}
		b = ofHdr(b, ofpatSetQueue, 8)
		return be32(b, a.QueueID), nil
	case pipeline.PushVLAN:
		if v10 {
			// OVS: in OpenFlow 1.0 a push is a side effect of set_vlan_vid.
			return b, nil
		}
		b = ofHdr(b, ofpatPushVLAN, 8)
		b = be16(b, a.EthType)
		return zeros(b, 2), nil
	case pipeline.PushMPLS, pipeline.PopMPLS:
		sub, typ, et := uint16(nxastPushMPLS), uint16(ofpatPushMPLS), uint16(0)
		if p, ok := a.(pipeline.PopMPLS); ok {
			sub, typ, et = nxastPopMPLS, ofpatPopMPLS, p.EthType
		} else {
			et = a.(pipeline.PushMPLS).EthType
		}
		if v10 {
			b = nxHdr(b, sub, 16)
			b = be16(b, et)
			return zeros(b, 4), nil
		}
		b = ofHdr(b, typ, 8)
		b = be16(b, et)
		return zeros(b, 2), nil
	case pipeline.DecNSHTTL:
		b = nxHdr(b, nxastDecNSHTTL, 16)
		return zeros(b, 6), nil
	case pipeline.DecMPLSTTL:
		if v10 {
			b = nxHdr(b, nxastDecMPLSTTL, 16)
			return zeros(b, 6), nil
		}
		b = ofHdr(b, ofpatDecMPLSTTL, 8)
		return zeros(b, 4), nil
	case pipeline.PopVLAN:
		if v10 {
			b = ofHdr(b, ofpat10Strip, 8)
		} else {
			b = ofHdr(b, ofpatPopVLAN, 8)
		}
		return zeros(b, 4), nil
	case pipeline.SetTTL:
		if v10 {
			// OpenFlow 1.0 has no set_nw_ttl: OVS sends load:TTL->NXM_NX_IP_TTL[].
			return appendRegLoad(b, pipeline.Subfield{Field: packet.FieldNwTTL, NBits: 8}, packet.U128{Lo: uint64(a.TTL)})
		}
		b = ofHdr(b, ofpatSetNwTTL, 8)
		b = append(b, a.TTL)
		return zeros(b, 3), nil
	case pipeline.DecTTL:
		if a.CntIDs || len(a.ControllerIDs) != 1 || a.ControllerIDs[0] != 0 {
			start := len(b)
			b = nxHdr(b, nxastDecTTLCntIDs, 0)
			b = be16(b, uint16(len(a.ControllerIDs)))
			b = zeros(b, 4)
			for _, id := range a.ControllerIDs {
				b = be16(b, id)
			}
			return finish(b, start), nil
		}
		if v10 {
			b = nxHdr(b, nxastDecTTL, 16)
			return zeros(b, 6), nil
		}
		b = ofHdr(b, ofpatDecNwTTL, 8)
		return zeros(b, 4), nil
	case pipeline.Resubmit:
		p, err := port16(a.InPort)
		if err != nil {
			return nil, err
		}
		if a.Short && a.Table == pipeline.NoTable && !a.CT {
			b = nxHdr(b, nxastResubmit, 16)
			b = be16(b, p)
			return zeros(b, 4), nil
		}
		sub := uint16(nxastResubmitTable)
		if a.CT {
			sub = nxastResubmitTableCT
		}
		b = nxHdr(b, sub, 16)
		b = be16(b, p)
		b = append(b, a.Table)
		return zeros(b, 3), nil
	case pipeline.Exit:
		b = nxHdr(b, nxastExit, 16)
		return zeros(b, 6), nil
	case pipeline.CTClear:
		b = nxHdr(b, nxastCTClear, 16)
		return zeros(b, 6), nil
	case pipeline.Note:
		start := len(b)
		b = nxHdr(b, nxastNote, 0)
		b = append(b, a.Data...)
		if len(b)-start < 16 {
			b = zeros(b, 16-(len(b)-start))
		}
		return finish(b, start), nil
	case pipeline.Conjunction:
		b = nxHdr(b, nxastConjunction, 16)
		b = append(b, a.Clause, a.NClauses)
		return be32(b, a.ID), nil
	case pipeline.Controller:
		return appendController(b, a), nil
	case pipeline.Meter:
		// OVS's encode_METER: an action from OpenFlow 1.5 on; nothing in
		// an action list of an earlier version (1.3 and 1.4 have the
		// instruction, which EncodeInstructionsVersion writes).
		if version >= Version15 {
			return appendMeter(b, a.ID), nil
		}
		return b, nil
	case pipeline.RegLoad:
		if version >= Version15 {
			// OpenFlow 1.5 has only set_field (OVS's encode_SET_FIELD).
			return appendSetField(b, version, regLoadSetField(a))
		}
		return appendRegLoad(b, a.Dst, a.Value)
	case pipeline.Move:
		sh, dh := subfieldHeader(a.Src), subfieldHeader(a.Dst)
		if sh == nil || dh == nil {
			return nil, fmt.Errorf("nxm: move with an unknown field")
		}
		start := len(b)
		if version >= Version15 {
			// OFPAT_COPY_FIELD, as OVS's encode_REG_MOVE for OpenFlow 1.5,
			// names its fields by their OXM headers.
			if sh, dh = subfieldOXMHeader(a.Src), subfieldOXMHeader(a.Dst); sh == nil || dh == nil {
				return nil, fmt.Errorf("nxm: move with an unknown field")
			}
			b = ofHdr(b, ofpat15CopyField, 0)
			b = be16(b, a.Src.NBits, a.Src.Ofs, a.Dst.Ofs, 0)
			b = appendHeader(b, sh)
			b = appendHeader(b, dh)
			return finish(b, start), nil
		}
		b = nxHdr(b, nxastRegMove, 0)
		b = be16(b, a.Src.NBits)
		b = be16(b, a.Src.Ofs)
		b = be16(b, a.Dst.Ofs)
		b = appendHeader(b, sh)
		b = appendHeader(b, dh)
		return finish(b, start), nil
	case pipeline.OutputReg:
		h := subfieldHeader(a.Src)
		if h == nil {
			return nil, fmt.Errorf("nxm: output_reg with an unknown field")
		}
		if a.V2 || h.Class == ClassExperimenter {
			start := len(b)
			b = nxHdr(b, nxastOutputReg2, 0)
			b = be16(b, encodeOfsNBits(a.Src.Ofs, a.Src.NBits))
			b = be16(b, a.MaxLen)
			b = appendHeader(b, h)
			if len(b)-start < 24 {
				b = zeros(b, 24-(len(b)-start))
			}
			return finish(b, start), nil
		}
		b = nxHdr(b, nxastOutputReg, 24)
		b = be16(b, encodeOfsNBits(a.Src.Ofs, a.Src.NBits))
		b = appendHeader(b, h)
		b = be16(b, a.MaxLen)
		return zeros(b, 6), nil
	case pipeline.SetField:
		return appendSetField(b, version, a)
	case pipeline.SetTun:
		return appendSetTun(b, version, &a), nil
	case pipeline.CT:
		return appendCT(b, version, &a)
	case pipeline.NAT:
		return appendNAT(b, &a.NAT), nil
	case pipeline.StackPush:
		return appendStack(b, nxastStackPush, a.Src)
	case pipeline.StackPop:
		return appendStack(b, nxastStackPop, a.Dst)
	case pipeline.Learn:
		return appendLearn(b, &a)
	case pipeline.PopQueue:
		b = nxHdr(b, nxastPopQueue, 16)
		return zeros(b, 6), nil
	case pipeline.Multipath:
		return appendMultipath(b, &a)
	case pipeline.Bundle:
		return appendBundle(b, &a)
	case pipeline.FinTimeout:
		b = nxHdr(b, nxastFinTimeout, 16)
		return zeros(be16(b, a.IdleTimeout, a.HardTimeout), 2), nil
	case pipeline.Sample:
		return appendSample(b, &a)
	case pipeline.CheckPktLarger:
		h := subfieldHeader(a.Dst)
		if h == nil {
			return nil, fmt.Errorf("nxm: check_pkt_larger into an unknown field")
		}
		start := len(b)
		b = nxHdr(b, nxastCheckPktLarger, 24)
		b = be16(b, a.PktLen, a.Dst.Ofs)
		b = appendHeader(b, h)
		return zeros(b, 24-(len(b)-start)), nil
	case pipeline.Clone:
		start := len(b)
		b = nxHdr(b, nxastClone, 0)
		b = zeros(b, 6)
		var err error
		for _, x := range a.Actions {
			if b, err = appendAction(b, version, x); err != nil {
				return nil, err
			}
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
		return b, nil
	}
	return nil, fmt.Errorf("nxm: cannot encode action %T", a)
}

func appendController(b []byte, c pipeline.Controller) []byte {
	if !(c.V2 || c.Pause || len(c.UserData) > 0 || c.HasMeter) {
		b = nxHdr(b, nxastController, 16)
		b = be16(b, c.MaxLen)
		b = be16(b, c.ControllerID)
		return append(b, c.Reason, 0)
	}
	start := len(b)
	b = nxHdr(b, nxastController2, 0)
	b = zeros(b, 6)
	prop := func(typ uint16, body []byte) {
		ps := len(b)
		b = be16(b, typ)
		b = be16(b, uint16(4+len(body)))
		b = append(b, body...)
		for (len(b)-ps)%8 != 0 {
			b = append(b, 0)
		}
	}
	if c.MaxLen != 0xffff {
		prop(nxac2MaxLen, be16(nil, c.MaxLen, 0))
	}
	if c.ControllerID != 0 {
		prop(nxac2ControllerID, be16(nil, c.ControllerID, 0))
	}
	if c.Reason != 1 { // OFPR_ACTION
		prop(nxac2Reason, []byte{c.Reason})
	}
	if len(c.UserData) > 0 {
		prop(nxac2UserData, c.UserData)
	}
	if c.Pause {
		prop(nxac2Pause, nil)
	}
	if c.HasMeter {
		prop(nxac2MeterID, be32(nil, c.MeterID))
	}
	return finish(b, start)
}

// appendRegLoad writes NXAST_REG_LOAD (value of at most 64 bits).
func appendRegLoad(b []byte, dst pipeline.Subfield, v packet.U128) ([]byte, error) {
	h := subfieldHeader(dst)
	if h == nil || h.Class == ClassExperimenter || dst.NBits == 0 || dst.NBits > 64 {
		return nil, fmt.Errorf("nxm: load to %v[%d+%d] has no NXAST_REG_LOAD form", dst.Field, dst.Ofs, dst.NBits)
	}
	b = nxHdr(b, nxastRegLoad, 24)
	b = be16(b, encodeOfsNBits(dst.Ofs, dst.NBits))
	b = appendHeader(b, h)
	return binary.BigEndian.AppendUint64(b, v.Lo), nil
}

// setFieldWire returns the wire field for a set_field of model field id, and
// converts the model value and mask to it.
func setFieldWire(sf pipeline.SetField, oxm bool) (*wireField, packet.U128, packet.U128) {
	v, m := sf.Value, sf.Mask
	switch sf.Field {
	case packet.FieldNwTOS:
		return byKey[fieldKey(ClassNXM0, 5, 0)], v, m
	case packet.FieldVlanVID:
		return oxmOf[packet.FieldVlanVID], v, m
	case packet.FieldVlanPCP:
		return oxmOf[packet.FieldVlanPCP], v, m
	case packet.FieldVlanTCI:
		return nxmOf[packet.FieldVlanTCI], v, m
	case packet.FieldIPDSCP:
		return oxmOf[packet.FieldIPDSCP], v, m
	case packet.FieldInPort:
		if p, ok := PortTo16(uint32(v.Lo)); ok && (m.Lo == 0xffffffff) {
			return nxmOf[packet.FieldInPort], u(uint64(p)), u(0xffff)
		}
		return oxmOf[packet.FieldInPort], v, m
	}
	if !sf.Field.Valid() {
		return nil, v, m
	}
	return headerFor(sf.Field, oxm), v, m
}

// isFull reports whether mask covers all the value bits of f.
func isFull(f *wireField, m packet.U128) bool { return f.Valid.AndNot(m).IsZero() }

// appendOXMEntry writes an OXM entry for a set_field or reg_load2.
func appendOXMEntry(b []byte, f *wireField, v, m packet.U128, masked bool) []byte {
	return putEntry(b, f, v, m, !masked)
}

func appendSetField(b []byte, version uint8, sf pipeline.SetField) ([]byte, error) {
	v10 := version == Version10
	switch sf.Wire {
	case WireOF10DlSrc, WireOF10DlDst, WireOF10NwSrc, WireOF10NwDst, WireOF10NwTOS,
		WireOF10TpSrc, WireOF10TpDst, WireOF10VlanVID, WireOF10VlanPCP:
		if v10 {
			return appendOF10Set(b, sf), nil
		}
		if sf.Wire == WireOF10TpSrc || sf.Wire == WireOF10TpDst {
			// No transport protocol known (see EncodeFlowActions): OVS
			// sends the deprecated OpenFlow 1.1 OFPAT_SET_TP_SRC/DST,
			// whose type numbers and layout are OpenFlow 1.0's.
			return appendOF10Set(b, sf), nil
		}
		// OpenFlow 1.3 has only set_field for these (OVS does the same).
		sf = of10ToSetField(sf)
	case WireRegLoad2, WireRegLoad2Masked:
		if version < Version15 {
			return appendRegLoad2(b, sf)
		}
	case WireSetTunnel, WireSetTunnel64:
		// OVS's encode_SET_TUNNEL: a set_field in OpenFlow 1.2+; in 1.0
		// the 32-bit form when the ID fits and the action did not come
		// as set_tunnel64.
		if !v10 {
			break
		}
		if sf.Wire == WireSetTunnel && sf.Value.Lo <= 0xffffffff {
			b = nxHdr(b, nxastSetTunnel, 16)
			b = zeros(b, 2)
			return be32(b, uint32(sf.Value.Lo)), nil
		}
		b = nxHdr(b, nxastSetTunnel64, 24)
		b = zeros(b, 6)
		return binary.BigEndian.AppendUint64(b, sf.Value.Lo), nil
	case WireMPLSLabel, WireMPLSTC, WireMPLSTTL:
		// OVS's encode_SET_MPLS_LABEL/TC/TTL: the Nicira action in 1.0;
		// set_field in 1.3, except for the TTL (OFPAT_SET_MPLS_TTL).
		switch {
		case v10 && sf.Wire == WireMPLSLabel:
			b = nxHdr(b, nxastSetMPLSLabel, 16)
			b = zeros(b, 2)
			return be32(b, uint32(sf.Value.Lo)), nil
		case v10:
			sub := uint16(nxastSetMPLSTC)
			if sf.Wire == WireMPLSTTL {
				sub = nxastSetMPLSTTL
			}
			b = nxHdr(b, sub, 16)
			b = append(b, byte(sf.Value.Lo))
			return zeros(b, 5), nil
		case sf.Wire == WireMPLSTTL:
			b = ofHdr(b, ofpatSetMPLSTTL, 8)
			b = append(b, byte(sf.Value.Lo))
			return zeros(b, 3), nil
		}
		sf.Wire = WireSetField
	}
	f, v, m := setFieldWire(sf, !v10)
	if f == nil {
		return nil, fmt.Errorf("nxm: set_field of unknown field %d", sf.Field)
	}
	full := isFull(f, m) && sf.Wire != WireRegLoad2Masked && sf.Wire != WireSetFieldMasked
	if v10 {
		if full {
			if w, ok := legacyWire(sf); ok {
				sf.Wire = w
				return appendOF10Set(b, of10Form(sf)), nil
			}
		}
		return appendLoads(b, sf, f)
	}
	if full || version >= Version15 {
		// OpenFlow 1.5's set_field takes a mask (OVS's
		// set_field_to_set_field sends every set_field so).
		start := len(b)
		b = ofHdr(b, ofpatSetField, 0)
		b = putEntry(b, f, v, m, full)
		return finish(b, start), nil
	}
	return appendLoads(b, sf, f)
}

// appendLoads writes a partial set_field as OVS does: NXAST_REG_LOAD for
// each run of mask bits (at most 64 bits each), or NXAST_REG_LOAD2 when the
// field has no NXM header.
func appendLoads(b []byte, sf pipeline.SetField, f *wireField) ([]byte, error) {
	if f.Class == ClassExperimenter {
		return appendRegLoad2(b, sf)
	}
	w := wireBits(f)
	m := sf.Mask
	v := sf.Value
	if f.Kind == kInPort16 {
		return appendRegLoad2(b, sf)
	}
	for ofs := uint16(0); ofs < w; {
		if m.Shr(uint(ofs)).Lo&1 == 0 {
			ofs++
			continue
		}
		n := uint16(0)
		for ofs+n < w && n < 64 && m.Shr(uint(ofs+n)).Lo&1 == 1 {
			n++
		}
		val := v.Shr(uint(ofs)).And(packet.Ones(uint(n)))
		var err error
		b, err = appendRegLoad(b, pipeline.Subfield{Field: sf.Field, Ofs: ofs, NBits: n}, val)
		if err != nil {
			return nil, err
		}
		ofs += n
	}
	return b, nil
}

func appendRegLoad2(b []byte, sf pipeline.SetField) ([]byte, error) {
	f, v, m := setFieldWire(sf, false)
	if f == nil {
		return nil, fmt.Errorf("nxm: load of unknown field %d", sf.Field)
	}
	start := len(b)
	b = nxHdr(b, nxastRegLoad2, 0)
	b = putEntry(b, f, v, m, fullWire(f, m) && sf.Wire != WireRegLoad2Masked)
	return finish(b, start), nil
}

// fullWire reports whether mask m, as written on the wire, is all ones.
func fullWire(f *wireField, m packet.U128) bool {
	switch f.Kind {
	case kDSCPNXM:
		return m.Lo&0xfc == 0xfc
	case kInPort16:
		return m.Lo&0xffff == 0xffff
	}
	return m == packet.Ones(packet.Fields[f.ID].Bits)
}

// legacyWire picks the OpenFlow 1.0 action OVS uses for a full set_field
// (set_field_to_legacy_openflow), if any.
func legacyWire(sf pipeline.SetField) (uint16, bool) {
	switch sf.Field {
	case packet.FieldEthSrc:
		return WireOF10DlSrc, true
	case packet.FieldEthDst:
		return WireOF10DlDst, true
	case packet.FieldIPv4Src:
		return WireOF10NwSrc, true
	case packet.FieldIPv4Dst:
		return WireOF10NwDst, true
	case packet.FieldIPDSCP:
		return WireOF10NwTOS, true
	case packet.FieldTCPSrc, packet.FieldUDPSrc:
		return WireOF10TpSrc, true
	case packet.FieldTCPDst, packet.FieldUDPDst:
		return WireOF10TpDst, true
	case packet.FieldVlanVID:
		return WireOF10VlanVID, true
	case packet.FieldVlanPCP:
		return WireOF10VlanPCP, true
	}
	return 0, false
}

// of10Form converts a set_field to the model form of the OpenFlow 1.0
// action named by its Wire.
func of10Form(sf pipeline.SetField) pipeline.SetField {
	switch sf.Wire {
	case WireOF10VlanPCP:
		if sf.Field == packet.FieldVlanPCP {
			sf.Field, sf.Value, sf.Mask = packet.FieldVlanTCI, u(sf.Value.Lo<<13|packet.VlanCFI), u(0xf000)
		}
	case WireOF10VlanVID:
		sf.Value = u(sf.Value.Lo | packet.VlanCFI)
	}
	return sf
}

// of10ToSetField converts an OpenFlow 1.0 set action to the set_field OVS
// sends for it in OpenFlow 1.3.
func of10ToSetField(sf pipeline.SetField) pipeline.SetField {
	switch sf.Wire {
	case WireOF10VlanPCP:
		return pipeline.SetField{Field: packet.FieldVlanPCP, Value: u(sf.Value.Lo >> 13 & 7), Mask: u(7)}
	case WireOF10VlanVID:
		return pipeline.SetField{Field: packet.FieldVlanVID, Value: u(sf.Value.Lo | packet.VlanCFI), Mask: u(0x1fff)}
	}
	sf.Wire = WireSetField
	return sf
}

func appendOF10Set(b []byte, sf pipeline.SetField) []byte {
	switch sf.Wire {
	case WireOF10DlSrc, WireOF10DlDst:
		t := uint16(ofpat10SetDlSrc)
		if sf.Wire == WireOF10DlDst {
			t = ofpat10SetDlDst
		}
		b = ofHdr(b, t, 16)
		b = putValue(b, sf.Value, 6)
		return zeros(b, 6)
	case WireOF10NwSrc, WireOF10NwDst:
		t := uint16(ofpat10SetNwSrc)
		if sf.Wire == WireOF10NwDst {
			t = ofpat10SetNwDst
		}
		b = ofHdr(b, t, 8)
		return be32(b, uint32(sf.Value.Lo))
	case WireOF10NwTOS:
		b = ofHdr(b, ofpat10SetNwTOS, 8)
		b = append(b, byte(sf.Value.Lo<<2))
		return zeros(b, 3)
	case WireOF10TpSrc, WireOF10TpDst:
		t := uint16(ofpat10SetTpSrc)
		if sf.Wire == WireOF10TpDst {
			t = ofpat10SetTpDst
		}
		b = ofHdr(b, t, 8)
		b = be16(b, uint16(sf.Value.Lo))
		return zeros(b, 2)
	case WireOF10VlanVID:
		b = ofHdr(b, ofpat10SetVID, 8)
		b = be16(b, uint16(sf.Value.Lo)&0xfff)
		return zeros(b, 2)
	case WireOF10VlanPCP:
		b = ofHdr(b, ofpat10SetPCP, 8)
		b = append(b, byte(sf.Value.Lo>>13)&7)
		return zeros(b, 3)
	}
	return b
}

func appendCT(b []byte, version uint8, c *pipeline.CT) ([]byte, error) {
	start := len(b)
	b = nxHdr(b, nxastCT, 0)
	b = be16(b, c.Flags)
	if c.ZoneSrc.Field.Valid() || c.ZoneSrc.Tun.Len != 0 {
		h := subfieldHeader(c.ZoneSrc)
		if h == nil || h.Class == ClassExperimenter {
			return nil, fmt.Errorf("nxm: ct zone field %v has no NXM header", c.ZoneSrc.Field)
		}
		b = appendHeader(b, h)
		b = be16(b, encodeOfsNBits(c.ZoneSrc.Ofs, c.ZoneSrc.NBits))
	} else {
		b = be32(b, 0)
		b = be16(b, c.Zone)
	}
	b = append(b, c.Table, 0, 0, 0)
	b = be16(b, c.Alg)
	var err error
	for _, a := range c.Exec {
		if b, err = appendAction(b, version, a); err != nil {
			return nil, err
		}
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b, nil
}

func appendNAT(b []byte, n *ct.NAT) []byte {
	start := len(b)
	b = nxHdr(b, nxastNAT, 0)
	b = zeros(b, 2)
	b = be16(b, n.Flags)
	rpAt := len(b)
	b = be16(b, 0)
	var rp uint16
	if n.IsV6() {
		if !allZero(n.AddrMin[:]) {
			b = append(b, n.AddrMin[:]...)
			rp |= ct.NATRangeIPv6Min
		}
		if !allZero(n.AddrMax[:]) {
			b = append(b, n.AddrMax[:]...)
			rp |= ct.NATRangeIPv6Max
		}
	} else if n.RangePresent&(ct.NATRangeIPv4Min|ct.NATRangeIPv4Max) != 0 {
		if !allZero(n.AddrMin[:4]) {
			b = append(b, n.AddrMin[:4]...)
			rp |= ct.NATRangeIPv4Min
		}
		if !allZero(n.AddrMax[:4]) {
			b = append(b, n.AddrMax[:4]...)
			rp |= ct.NATRangeIPv4Max
		}
	}
	if rp != 0 {
		if n.PortMin != 0 {
			b = be16(b, n.PortMin)
			rp |= ct.NATRangeProtoMin
		}
		if n.PortMax != 0 {
			b = be16(b, n.PortMax)
			rp |= ct.NATRangeProtoMax
		}
	}
	binary.BigEndian.PutUint16(b[rpAt:], rp)
	return finish(b, start)
}

// appendStack writes NXAST_STACK_PUSH or NXAST_STACK_POP.
func appendStack(b []byte, sub uint16, sf pipeline.Subfield) ([]byte, error) {
	h := subfieldHeader(sf)
	if h == nil {
		return nil, fmt.Errorf("nxm: push/pop of an unknown field")
	}
	start := len(b)
	b = nxHdr(b, sub, 24)
	b = be16(b, sf.Ofs)
	b = appendHeader(b, h)
	b = be16(b, sf.NBits)
	return zeros(b, 24-(len(b)-start)), nil
}

// regLoadSetField is the set_field a load is in OpenFlow 1.5.
func regLoadSetField(a pipeline.RegLoad) pipeline.SetField {
	m := packet.Ones(uint(a.Dst.NBits)).Shl(uint(a.Dst.Ofs))
	return pipeline.SetField{Field: a.Dst.Field, Value: a.Value.Shl(uint(a.Dst.Ofs)).And(m), Mask: m}
}

// appendMeter appends OpenFlow 1.5's OFPAT_METER.
func appendMeter(b []byte, id uint32) []byte {
	b = ofHdr(b, ofpat15Meter, 8)
	return be32(b, id)
}

// appendSample is OVS's encode_SAMPLE: NXAST_SAMPLE3 for an action that
// came as one or has a direction, NXAST_SAMPLE2 for one that came as one
// or names a sampling port, NXAST_SAMPLE otherwise.
func appendSample(b []byte, a *pipeline.Sample) ([]byte, error) {
	sub := uint16(nxastSample)
	switch {
	case a.Wire == pipeline.SampleWire3 || a.Direction != pipeline.SampleDefault:
		sub = nxastSample3
	case a.Wire == pipeline.SampleWire2 || a.SamplingPort != pipeline.PortAny:
		sub = nxastSample2
	}
	if sub == nxastSample {
		b = nxHdr(b, sub, 24)
		b = be16(b, a.Probability)
		b = be32(b, a.CollectorSetID)
		b = be32(b, a.ObsDomainID)
		return be32(b, a.ObsPointID), nil
	}
	port, err := port16(a.SamplingPort)
	if err != nil {
		return nil, err
	}
	b = nxHdr(b, sub, 32)
	b = be16(b, a.Probability)
	b = be32(b, a.CollectorSetID)
	b = be32(b, a.ObsDomainID)
	b = be32(b, a.ObsPointID)
	b = be16(b, port)
	dir := a.Direction
	if sub == nxastSample2 {
		dir = 0
	}
	b = append(b, dir)
	return zeros(b, 5), nil
}
