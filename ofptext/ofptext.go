// Package ofptext prints flows as OVS 3.1's ovs-ofctl does: a flow's match
// (lib/match.c match_format), its actions and instructions
// (lib/ofp-actions.c ofpacts_format) and the dump-flows line around them
// (lib/ofp-flow.c ofputil_flow_stats_format), for the commands gswitch
// answers itself (bridge/dump-flows, later ofproto/trace) where OVS prints
// from its own model, not from a wire reply.
//
// It reads pipeline's model and names subfields as nxm's wire tables do; it
// never imports ofproto or cmd. Text only: not on the packet path.
package ofptext

import (
	"fmt"
	"net/netip"
	"strings"

	"gswitch/ct"
	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// DefaultPriority is OFP_DEFAULT_PRIORITY: match_format leaves it out.
const DefaultPriority = 0x8000

// FlowLine is the flow as `ovs-ofctl dump-flows --no-stats` prints it
// (without the leading blank): cookie and table when not zero, timeouts,
// flags, importance, the match with its priority, then the actions.
func FlowLine(f *pipeline.FlowSpec) string {
	var b strings.Builder
	if f.Cookie != 0 {
		fmt.Fprintf(&b, "cookie=%#x, ", f.Cookie)
	}
	if f.Table != 0 {
		fmt.Fprintf(&b, "table=%d, ", f.Table)
	}
	writeTimeouts(&b, f)
	m := Match(&f.Match, f.Priority)
	b.WriteString(m)
	if m != "" {
		b.WriteByte(' ')
	}
	b.WriteString("actions=")
	b.WriteString(Instructions(&f.Inst))
	return b.String()
}

// Stats are the counters bridge/dump-flows prints.
type Stats struct {
	DurationSec    int64
	Packets, Bytes uint64
	// Offload asks for bridge/dump-flows --offload-stats' counters after
	// n_bytes (always 0: gswitch offloads no flow to hardware).
	Offload bool
}

// BridgeLine is the flow as ovs-vswitchd's bridge/dump-flows prints it
// (ofproto.c flow_stats_ds): "table_id=N, " when not 0, duration,
// n_packets, n_bytes, the match with its priority, ",actions=...".
func BridgeLine(f *pipeline.FlowSpec, s Stats) string {
	var b strings.Builder
	if f.Table != 0 {
		fmt.Fprintf(&b, "table_id=%d, ", f.Table)
	}
	fmt.Fprintf(&b, "duration=%ds, n_packets=%d, n_bytes=%d, ", s.DurationSec, s.Packets, s.Bytes)
	if s.Offload {
		b.WriteString("n_offload_packets=0, n_offload_bytes=0, ")
	}
	b.WriteString(Match(&f.Match, f.Priority))
	b.WriteString(",actions=")
	b.WriteString(Instructions(&f.Inst))
	return b.String()
}

func writeTimeouts(b *strings.Builder, f *pipeline.FlowSpec) {
	if f.IdleTimeout != 0 {
		fmt.Fprintf(b, "idle_timeout=%d, ", f.IdleTimeout)
	}
	if f.HardTimeout != 0 {
		fmt.Fprintf(b, "hard_timeout=%d, ", f.HardTimeout)
	}
	for _, fl := range []struct {
		bit  uint16
		name string
	}{{pipeline.FlagSendFlowRem, "send_flow_rem "}, {pipeline.FlagCheckOverlap, "check_overlap "},
		{pipeline.FlagResetCounts, "reset_counts "}, {pipeline.FlagNoPktCounts, "no_packet_counts "},
		{pipeline.FlagNoBytCounts, "no_byte_counts "}} {
		if f.Flags&fl.bit != 0 {
			b.WriteString(fl.name)
		}
	}
	if f.Importance != 0 {
		fmt.Fprintf(b, "importance=%d, ", f.Importance)
	}
}

// Instructions formats a flow's instructions as OVS's ofpacts list: the
// meter, the apply-actions, clear_actions, write_actions(...),
// write_metadata and goto_table; "drop" when there is none.
func Instructions(in *pipeline.Instructions) string {
	var parts []string
	if in.Meter != 0 {
		parts = append(parts, fmt.Sprintf("meter:%d", in.Meter))
	}
	if a := actionList(in.Apply); a != "" {
		parts = append(parts, a)
	}
	if in.ClearActions {
		parts = append(parts, "clear_actions")
	}
	if in.HasWrite {
		parts = append(parts, "write_actions("+Actions(in.Write)+")")
	}
	if in.WriteMetadata {
		s := "write_metadata:" + cx(in.Metadata)
		if in.MetadataMask != ^uint64(0) {
			s += "/" + cx(in.MetadataMask)
		}
		parts = append(parts, s)
	}
	if in.GotoTable >= 0 {
		parts = append(parts, fmt.Sprintf("goto_table:%d", in.GotoTable))
	}
	if len(parts) == 0 {
		return "drop"
	}
	return strings.Join(parts, ",")
}

// Actions formats an action list ("drop" when empty).
func Actions(acts []pipeline.Action) string {
	if len(acts) == 0 {
		return "drop"
	}
	return actionList(acts)
}

func actionList(acts []pipeline.Action) string {
	var b strings.Builder
	for i, a := range acts {
		if i > 0 {
			b.WriteByte(',')
		}
		writeAction(&b, a)
	}
	return b.String()
}

// Port formats an OpenFlow port number as ofputil_format_port does.
func Port(p uint32) string {
	switch p {
	case pipeline.PortInPort:
		return "IN_PORT"
	case pipeline.PortTable:
		return "TABLE"
	case pipeline.PortNormal:
		return "NORMAL"
	case pipeline.PortFlood:
		return "FLOOD"
	case pipeline.PortAll:
		return "ALL"
	case pipeline.PortController:
		return "CONTROLLER"
	case pipeline.PortLocal:
		return "LOCAL"
	case pipeline.PortAny:
		return "ANY"
	}
	if p >= 0xff00 && p < pipeline.PortMax {
		// OVS keeps ports in 16 bits: 0xff00 and up are its reserved range.
		return fmt.Sprintf("%d", p)
	}
	return fmt.Sprintf("%d", p)
}

// Subfield formats a subfield as mf_format_subfield: the field's NXM or
// OXM name and [], [N] or [A..B].
func Subfield(sf pipeline.Subfield) string {
	var name string
	var width uint16
	if sf.Tun.Len != 0 {
		name = fmt.Sprintf("NXM_NX_TUN_METADATA%d", sf.Tun.Idx)
		width = packet.TunMetaMaxLen * 8
	} else {
		if int(sf.Field) >= len(packet.Fields) {
			return "<unknown>"
		}
		name = nxm.FieldName(sf.Field)
		if name == "" {
			name = packet.Fields[sf.Field].Name
		}
		width = uint16(packet.Fields[sf.Field].Bits)
		if sf.Field == packet.FieldInPort {
			width = 16 // OVS's in_port is an OpenFlow 1.0 port
		}
	}
	switch {
	case sf.Ofs == 0 && sf.NBits == width:
		return name + "[]"
	case sf.NBits == 1:
		return fmt.Sprintf("%s[%d]", name, sf.Ofs)
	default:
		return fmt.Sprintf("%s[%d..%d]", name, sf.Ofs, int(sf.Ofs)+int(sf.NBits)-1)
	}
}

func writeAction(b *strings.Builder, a pipeline.Action) {
	switch a := a.(type) {
	case pipeline.Output:
		if a.Enqueue {
			fmt.Fprintf(b, "enqueue:%s:%d", Port(a.Port), a.QueueID)
			return
		}
		if a.Port < 0xff00 {
			b.WriteString("output:")
		}
		b.WriteString(Port(a.Port))
		if a.Port == pipeline.PortController {
			fmt.Fprintf(b, ":%d", a.MaxLen)
		}
	case pipeline.OutputReg:
		b.WriteString("output:")
		b.WriteString(Subfield(a.Src))
		if a.MaxLen != 0 && a.MaxLen != 0xffff {
			fmt.Fprintf(b, ",max_len=%d", a.MaxLen) // approximation
		}
	case pipeline.Controller:
		writeController(b, &a)
	case pipeline.GroupAction:
		fmt.Fprintf(b, "group:%d", a.GroupID)
	case pipeline.SetField:
		writeSetField(b, &a)
	case pipeline.SetTun:
		fmt.Fprintf(b, "set_field:%s", hexBytes(a.Value[:a.F.Len]))
		if !allOnes(a.Mask[:a.F.Len]) {
			fmt.Fprintf(b, "/%s", hexBytes(a.Mask[:a.F.Len]))
		}
		fmt.Fprintf(b, "->tun_metadata%d", a.F.Idx)
	case pipeline.RegLoad:
		fmt.Fprintf(b, "load:%s->%s", hex128(a.Value), Subfield(a.Dst))
	case pipeline.Move:
		fmt.Fprintf(b, "move:%s->%s", Subfield(a.Src), Subfield(a.Dst))
	case pipeline.Resubmit:
		if a.InPort != pipeline.PortInPort && a.Table == pipeline.NoTable && !a.CT {
			b.WriteString("resubmit:" + Port(a.InPort))
			return
		}
		b.WriteString("resubmit(")
		if a.InPort != pipeline.PortInPort {
			b.WriteString(Port(a.InPort))
		}
		b.WriteByte(',')
		if a.Table != pipeline.NoTable {
			fmt.Fprintf(b, "%d", a.Table)
		}
		if a.CT {
			b.WriteString(",ct")
		}
		b.WriteByte(')')
	case pipeline.DecTTL:
		b.WriteString("dec_ttl")
		if a.CntIDs {
			b.WriteByte('(')
			for i, id := range a.ControllerIDs {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(b, "%d", id)
			}
			b.WriteByte(')')
		}
	case pipeline.SetTTL:
		fmt.Fprintf(b, "mod_nw_ttl:%d", a.TTL)
	case pipeline.PushVLAN:
		fmt.Fprintf(b, "push_vlan:0x%x", a.EthType)
	case pipeline.PopVLAN:
		if a.Strip {
			b.WriteString("strip_vlan")
		} else {
			b.WriteString("pop_vlan")
		}
	case pipeline.PushMPLS:
		fmt.Fprintf(b, "push_mpls:0x%04x", a.EthType)
	case pipeline.PopMPLS:
		fmt.Fprintf(b, "pop_mpls:0x%04x", a.EthType)
	case pipeline.DecMPLSTTL:
		b.WriteString("dec_mpls_ttl")
	case pipeline.DecNSHTTL:
		b.WriteString("dec_nsh_ttl")
	case pipeline.SetQueue:
		fmt.Fprintf(b, "set_queue:%d", a.QueueID)
	case pipeline.PopQueue:
		b.WriteString("pop_queue")
	case pipeline.Note:
		b.WriteString("note:")
		writeHexArg(b, a.Data)
	case pipeline.CTClear:
		b.WriteString("ct_clear")
	case pipeline.Exit:
		b.WriteString("exit")
	case pipeline.Conjunction:
		fmt.Fprintf(b, "conjunction(%d,%d/%d)", a.ID, int(a.Clause)+1, a.NClauses)
	case pipeline.CT:
		writeCT(b, &a)
	case pipeline.NAT:
		writeNAT(b, &a.NAT)
	case pipeline.Clone:
		b.WriteString("clone(")
		b.WriteString(actionList(a.Actions))
		b.WriteByte(')')
	case pipeline.Meter:
		fmt.Fprintf(b, "meter:%d", a.ID)
	case pipeline.StackPush:
		b.WriteString("push:" + Subfield(a.Src))
	case pipeline.StackPop:
		b.WriteString("pop:" + Subfield(a.Dst))
	case pipeline.CheckPktLarger:
		fmt.Fprintf(b, "check_pkt_larger(%d)->%s", a.PktLen, Subfield(a.Dst))
	case pipeline.Sample:
		// OVS's format_SAMPLE.
		fmt.Fprintf(b, "sample(probability=%d,collector_set_id=%d,obs_domain_id=%d,obs_point_id=%d",
			a.Probability, a.CollectorSetID, a.ObsDomainID, a.ObsPointID)
		if a.SamplingPort != pipeline.PortAny {
			b.WriteString(",sampling_port=" + Port(a.SamplingPort))
		}
		switch a.Direction {
		case pipeline.SampleIngress:
			b.WriteString(",ingress")
		case pipeline.SampleEgress:
			b.WriteString(",egress")
		}
		b.WriteByte(')')
	case pipeline.FinTimeout:
		b.WriteString("fin_timeout(")
		var p []string
		if a.IdleTimeout != 0 {
			p = append(p, fmt.Sprintf("idle_timeout=%d", a.IdleTimeout))
		}
		if a.HardTimeout != 0 {
			p = append(p, fmt.Sprintf("hard_timeout=%d", a.HardTimeout))
		}
		b.WriteString(strings.Join(p, ","))
		b.WriteByte(')')
	case pipeline.Learn:
		writeLearn(b, &a)
	case pipeline.Multipath:
		fmt.Fprintf(b, "multipath(%s,%d,%s,%d,%d,%s)", hashFields(a.Fields), a.Basis, mpAlg(a.Algorithm),
			int(a.MaxLink)+1, a.Arg, Subfield(a.Dst))
	case pipeline.Bundle:
		writeBundle(b, &a)
	default:
		fmt.Fprintf(b, "<%T>", a)
	}
}

func writeController(b *strings.Builder, a *pipeline.Controller) {
	if a.Reason == 1 /* OFPR_ACTION */ && a.ControllerID == 0 && len(a.UserData) == 0 && !a.Pause && !a.HasMeter {
		fmt.Fprintf(b, "CONTROLLER:%d", a.MaxLen)
		return
	}
	var p []string
	if a.Reason != 1 {
		p = append(p, "reason="+packetInReason(a.Reason))
	}
	if a.MaxLen != 0xffff {
		p = append(p, fmt.Sprintf("max_len=%d", a.MaxLen))
	}
	if a.ControllerID != 0 {
		p = append(p, fmt.Sprintf("id=%d", a.ControllerID))
	}
	if len(a.UserData) != 0 {
		var u strings.Builder
		writeHexArg(&u, a.UserData)
		p = append(p, "userdata="+u.String())
	}
	if a.Pause {
		p = append(p, "pause")
	}
	if a.HasMeter {
		p = append(p, fmt.Sprintf("meter_id=%d", a.MeterID))
	}
	b.WriteString("controller(" + strings.Join(p, ",") + ")")
}

// packetInReason is ofputil_packet_in_reason_to_string.
func packetInReason(r uint8) string {
	switch r {
	case 0:
		return "no_match"
	case 1:
		return "action"
	case 2:
		return "invalid_ttl"
	case 3:
		return "action_set"
	case 4:
		return "group"
	case 5:
		return "packet_out"
	}
	return fmt.Sprintf("%d", r)
}

// writeHexArg is format_hex_arg: bytes as two hex digits, dot-separated.
func writeHexArg(b *strings.Builder, d []byte) {
	for i, c := range d {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(b, "%02x", c)
	}
}

func writeCT(b *strings.Builder, a *pipeline.CT) {
	b.WriteString("ct(")
	if a.Flags&pipeline.CTCommit != 0 {
		b.WriteString("commit,")
	}
	if a.Flags&pipeline.CTForce != 0 {
		b.WriteString("force,")
	}
	if a.Table != pipeline.NoTable {
		fmt.Fprintf(b, "table=%d,", a.Table)
	}
	if a.ZoneSrc.Field != packet.FieldInvalid {
		b.WriteString("zone=" + Subfield(a.ZoneSrc) + ",")
	} else if a.Zone != 0 {
		fmt.Fprintf(b, "zone=%d,", a.Zone)
	}
	exec := a.Exec
	if len(exec) > 0 {
		if n, ok := exec[0].(pipeline.NAT); ok {
			writeNAT(b, &n.NAT)
			b.WriteByte(',')
			exec = exec[1:]
		}
	}
	if len(exec) > 0 {
		b.WriteString("exec(" + actionList(exec) + "),")
	}
	switch a.Alg {
	case 0:
	case ct.AlgFTP:
		b.WriteString("alg=ftp,")
	case ct.AlgTFTP:
		b.WriteString("alg=tftp,")
	default:
		fmt.Fprintf(b, "alg=%d,", a.Alg)
	}
	chomp(b, ',')
	b.WriteByte(')')
}

// chomp drops a trailing c (ds_chomp).
func chomp(b *strings.Builder, c byte) {
	s := b.String()
	if strings.HasSuffix(s, string(c)) {
		b.Reset()
		b.WriteString(s[:len(s)-1])
	}
}

func writeNAT(b *strings.Builder, n *ct.NAT) {
	b.WriteString("nat")
	if n.Flags&(ct.NATSrc|ct.NATDst) == 0 {
		return
	}
	b.WriteByte('(')
	if n.Flags&ct.NATSrc != 0 {
		b.WriteString("src")
	} else {
		b.WriteString("dst")
	}
	if n.RangePresent&(ct.NATRangeIPv4Min|ct.NATRangeIPv6Min) != 0 {
		b.WriteByte('=')
		if n.IsV6() {
			min := netip.AddrFrom16(n.AddrMin)
			bracket := n.PortMin != 0
			writeV6(b, min, bracket)
			if n.RangePresent&ct.NATRangeIPv6Max != 0 && n.AddrMax != ([16]byte{}) && n.AddrMax != n.AddrMin {
				b.WriteByte('-')
				writeV6(b, netip.AddrFrom16(n.AddrMax), bracket)
			}
		} else {
			var a4 [4]byte
			copy(a4[:], n.AddrMin[:4])
			b.WriteString(netip.AddrFrom4(a4).String())
			var m4 [4]byte
			copy(m4[:], n.AddrMax[:4])
			if m4 != ([4]byte{}) && m4 != a4 {
				b.WriteString("-" + netip.AddrFrom4(m4).String())
			}
		}
		if n.PortMin != 0 {
			fmt.Fprintf(b, ":%d", n.PortMin)
			if n.PortMax != 0 && n.PortMax != n.PortMin {
				fmt.Fprintf(b, "-%d", n.PortMax)
			}
		}
	}
	b.WriteByte(',')
	if n.Flags&ct.NATPersistent != 0 {
		b.WriteString("persistent,")
	}
	if n.Flags&ct.NATHash != 0 {
		b.WriteString("hash,")
	}
	if n.Flags&ct.NATRandom != 0 {
		b.WriteString("random,")
	}
	chomp(b, ',')
	b.WriteByte(')')
}

func writeV6(b *strings.Builder, a netip.Addr, bracket bool) {
	if bracket {
		b.WriteString("[" + a.String() + "]")
	} else {
		b.WriteString(a.String())
	}
}

// writeSetField is format_SET_FIELD (and the OpenFlow 1.0 forms OVS keeps
// as their own actions).
func writeSetField(b *strings.Builder, a *pipeline.SetField) {
	f := &packet.Fields[a.Field]
	full := packet.Ones(f.Bits)
	switch a.Wire {
	case nxm.WireOF10DlSrc:
		b.WriteString("mod_dl_src:" + eth(a.Value))
		return
	case nxm.WireOF10DlDst:
		b.WriteString("mod_dl_dst:" + eth(a.Value))
		return
	case nxm.WireOF10NwSrc:
		b.WriteString("mod_nw_src:" + ip4(a.Value))
		return
	case nxm.WireOF10NwDst:
		b.WriteString("mod_nw_dst:" + ip4(a.Value))
		return
	case nxm.WireOF10NwTOS:
		fmt.Fprintf(b, "mod_nw_tos:%d", a.Value.Lo<<2)
		return
	case nxm.WireOF10TpSrc:
		fmt.Fprintf(b, "mod_tp_src:%d", a.Value.Lo)
		return
	case nxm.WireOF10TpDst:
		fmt.Fprintf(b, "mod_tp_dst:%d", a.Value.Lo)
		return
	case nxm.WireOF10VlanVID:
		fmt.Fprintf(b, "mod_vlan_vid:%d", a.Value.Lo&0xfff)
		return
	case nxm.WireOF10VlanPCP:
		fmt.Fprintf(b, "mod_vlan_pcp:%d", a.Value.Lo>>13&7)
		return
	case nxm.WireSetTunnel:
		b.WriteString("set_tunnel:" + cx(a.Value.Lo))
		return
	case nxm.WireSetTunnel64:
		b.WriteString("set_tunnel64:" + cx(a.Value.Lo))
		return
	case nxm.WireMPLSLabel:
		fmt.Fprintf(b, "set_mpls_label(%d)", a.Value.Lo)
		return
	case nxm.WireMPLSTC:
		fmt.Fprintf(b, "set_mpls_tc(%d)", a.Value.Lo)
		return
	case nxm.WireMPLSTTL:
		fmt.Fprintf(b, "set_mpls_ttl(%d)", a.Value.Lo)
		return
	}
	b.WriteString("set_field:")
	mask := a.Mask
	keepMask := a.Wire == nxm.WireRegLoad2Masked || a.Wire == nxm.WireSetFieldMasked
	if !keepMask && mask == full {
		mask = packet.U128{}
	}
	if a.Field == packet.FieldTunFlags && mask.IsZero() {
		// mf_format of tun_flags: the flag names (oam is the one public flag)
		if a.Value.Lo&1 != 0 {
			b.WriteString("oam")
		} else {
			b.WriteString("0")
		}
	} else {
		b.WriteString(fieldValue(a.Field, a.Value, mask, keepMask))
	}
	b.WriteString("->" + setFieldName(a.Field))
}

// setFieldName is the OVS field name set_field prints (mf->name).
func setFieldName(f packet.FieldID) string {
	switch f {
	case packet.FieldVlanVID:
		return "vlan_vid"
	case packet.FieldIPECN:
		return "nw_ecn" // MFF_IP_ECN's name ("ip_ecn" is its second)
	}
	return packet.Fields[f].Name
}

// fieldValue is mf_format: the value (and mask, when not zero) in the
// field's OVS formatting. bytesMask: the mask is printed even when it
// covers every bit (a byte-wide mask of a narrower field).
func fieldValue(id packet.FieldID, v, mask packet.U128, bytesMask bool) string {
	f := &packet.Fields[id]
	hasMask := !mask.IsZero()
	switch kindOf(id) {
	case fmtEth:
		s := eth(v)
		if hasMask && mask != packet.Ones(48) {
			s += "/" + eth(mask)
		}
		return s
	case fmtIPv4:
		s := ip4(v)
		if hasMask && mask != packet.Ones(32) {
			s += "/" + ip4(mask)
		}
		return s
	case fmtIPv6:
		s := ip6(v).String()
		if hasMask && mask != packet.Ones(128) {
			s += "/" + ip6(mask).String()
		}
		return s
	case fmtPort:
		if !hasMask {
			return Port(uint32(v.Lo))
		}
		return fmt.Sprintf("%d/%s", v.Lo, hex128(mask))
	case fmtDecimal:
		s := fmt.Sprintf("%d", v.Lo)
		if hasMask {
			s += "/" + hex128(mask)
		}
		return s
	}
	s := hex128(v)
	if hasMask && (bytesMask || mask != packet.Ones(f.Bits)) {
		s += "/" + hex128(mask)
	}
	return s
}

type fmtKind uint8

const (
	fmtHex fmtKind = iota
	fmtDecimal
	fmtEth
	fmtIPv4
	fmtIPv6
	fmtPort
)

// kindOf is the field's "Formatting:" in OVS's meta-flow.h.
func kindOf(id packet.FieldID) fmtKind {
	switch id {
	case packet.FieldEthSrc, packet.FieldEthDst, packet.FieldARPSha, packet.FieldARPTha, packet.FieldNdSll, packet.FieldNdTll:
		return fmtEth
	case packet.FieldTunSrc, packet.FieldTunDst, packet.FieldCtNwSrc, packet.FieldCtNwDst, packet.FieldIPv4Src,
		packet.FieldIPv4Dst, packet.FieldARPSpa, packet.FieldARPTpa:
		return fmtIPv4
	case packet.FieldTunIPv6Src, packet.FieldTunIPv6Dst, packet.FieldCtIPv6Src, packet.FieldCtIPv6Dst,
		packet.FieldIPv6Src, packet.FieldIPv6Dst, packet.FieldNdTarget:
		return fmtIPv6
	case packet.FieldInPort, packet.FieldActsetOutput:
		return fmtPort
	case packet.FieldRecircID, packet.FieldConjID, packet.FieldTunGbpID, packet.FieldTunErspanVer,
		packet.FieldTunErspanDir, packet.FieldTunGtpuMsgtype, packet.FieldCtNwProto, packet.FieldCtTpSrc,
		packet.FieldCtTpDst, packet.FieldVlanVID, packet.FieldVlanPCP, packet.FieldMPLSLabel, packet.FieldMPLSTC,
		packet.FieldMPLSBOS, packet.FieldMPLSTTL, packet.FieldNwProto, packet.FieldNwTOS, packet.FieldIPDSCP,
		packet.FieldIPECN, packet.FieldNwTTL, packet.FieldARPOp, packet.FieldTCPSrc, packet.FieldTCPDst,
		packet.FieldUDPSrc, packet.FieldUDPDst, packet.FieldSCTPSrc, packet.FieldSCTPDst, packet.FieldICMPType,
		packet.FieldICMPCode, packet.FieldICMPv6Type, packet.FieldICMPv6Code, packet.FieldNdReserved,
		packet.FieldNdOptionsType, packet.FieldNSHFlags, packet.FieldNSHMdType, packet.FieldNSHNp, packet.FieldNSHSI,
		packet.FieldNSHTTL:
		return fmtDecimal
	}
	return fmtHex
}

// hex128 is ds_put_hex: "0x" and the value without leading zeros.
func hex128(v packet.U128) string {
	if v.Hi != 0 {
		return fmt.Sprintf("0x%x%016x", v.Hi, v.Lo) // ds_put_hex
	}
	return cx(v.Lo)
}

// hexBytes is ds_put_hex of a byte string.
func hexBytes(d []byte) string {
	for len(d) > 1 && d[0] == 0 {
		d = d[1:]
	}
	if len(d) == 0 {
		return "0x0"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "0x%x", d[0])
	for _, c := range d[1:] {
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}

func allOnes(d []byte) bool {
	for _, c := range d {
		if c != 0xff {
			return false
		}
	}
	return true
}

func eth(v packet.U128) string {
	x := v.Lo
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", byte(x>>40), byte(x>>32), byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
}

func ip4(v packet.U128) string {
	x := v.Lo
	return fmt.Sprintf("%d.%d.%d.%d", byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
}

func ip6(v packet.U128) netip.Addr {
	var a [16]byte
	for i := 0; i < 8; i++ {
		a[i] = byte(v.Hi >> (56 - 8*i))
		a[8+i] = byte(v.Lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(a)
}

func hashFields(f uint16) string {
	switch f {
	case pipeline.HashEthSrc:
		return "eth_src"
	case pipeline.HashSymmetricL4:
		return "symmetric_l4"
	case pipeline.HashSymmetricL3L4:
		return "symmetric_l3l4"
	case pipeline.HashSymmetricL3L4UDP:
		return "symmetric_l3l4+udp"
	case pipeline.HashNwSrc:
		return "nw_src"
	case pipeline.HashNwDst:
		return "nw_dst"
	case pipeline.HashSymmetricL3:
		return "symmetric_l3"
	}
	return fmt.Sprintf("<unknown %d>", f)
}

func mpAlg(a uint16) string {
	switch a {
	case pipeline.MPModuloN:
		return "modulo_n"
	case pipeline.MPHashThreshold:
		return "hash_threshold"
	case pipeline.MPHRW:
		return "hrw"
	case pipeline.MPIterHash:
		return "iter_hash"
	}
	return fmt.Sprintf("<unknown %d>", a)
}

func writeBundle(b *strings.Builder, a *pipeline.Bundle) {
	alg := "active_backup"
	if a.Algorithm == pipeline.BundleHRW {
		alg = "hrw"
	}
	if a.Load {
		fmt.Fprintf(b, "bundle_load(%s,%d,%s,ofport,%s,members:", hashFields(a.Fields), a.Basis, alg, Subfield(a.Dst))
	} else {
		fmt.Fprintf(b, "bundle(%s,%d,%s,ofport,members:", hashFields(a.Fields), a.Basis, alg)
	}
	for i, m := range a.Members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(Port(m))
	}
	b.WriteByte(')')
}

// writeLearn is learn_format.
func writeLearn(b *strings.Builder, a *pipeline.Learn) {
	b.WriteString("learn(table=")
	fmt.Fprintf(b, "%d", a.Table)
	if a.IdleTimeout != 0 {
		fmt.Fprintf(b, ",idle_timeout=%d", a.IdleTimeout)
	}
	if a.HardTimeout != 0 {
		fmt.Fprintf(b, ",hard_timeout=%d", a.HardTimeout)
	}
	if a.FinIdleTimeout != 0 {
		fmt.Fprintf(b, ",fin_idle_timeout=%d", a.FinIdleTimeout)
	}
	if a.FinHardTimeout != 0 {
		fmt.Fprintf(b, ",fin_hard_timeout=%d", a.FinHardTimeout)
	}
	if a.Priority != DefaultPriority {
		fmt.Fprintf(b, ",priority=%d", a.Priority)
	}
	if a.Flags&pipeline.LearnSendFlowRem != 0 {
		b.WriteString(",send_flow_rem")
	}
	if a.Flags&pipeline.LearnDeleteLearned != 0 {
		b.WriteString(",delete_learned")
	}
	if a.Cookie != 0 {
		b.WriteString(",cookie=" + cx(a.Cookie))
	}
	if a.Limit != 0 {
		fmt.Fprintf(b, ",limit=%d", a.Limit)
	}
	if a.Flags&pipeline.LearnWriteResult != 0 {
		b.WriteString(",result_dst=" + Subfield(a.ResultDst))
	}
	for _, s := range a.Specs {
		b.WriteByte(',')
		writeLearnSpec(b, &s)
	}
	b.WriteByte(')')
}

func learnSrc(s *pipeline.LearnSpec) string {
	if s.Wide != nil {
		return hexBytes(s.Wide)
	}
	return hex128(s.Value)
}

func subfieldWhole(sf pipeline.Subfield) (string, bool) {
	if sf.Tun.Len != 0 {
		return fmt.Sprintf("tun_metadata%d", sf.Tun.Idx), sf.Ofs == 0 && sf.NBits == sf.Tun.Bits()
	}
	if int(sf.Field) >= len(packet.Fields) {
		return "", false
	}
	return packet.Fields[sf.Field].Name, sf.Ofs == 0 && uint(sf.NBits) == packet.Fields[sf.Field].Bits
}

func writeLearnSpec(b *strings.Builder, s *pipeline.LearnSpec) {
	switch s.Kind {
	case pipeline.LearnMatch:
		if s.Imm {
			if name, whole := subfieldWhole(s.Dst); whole && s.Dst.Tun.Len == 0 {
				b.WriteString(name + "=" + fieldValue(s.Dst.Field, s.Value, packet.U128{}, false))
			} else {
				b.WriteString(Subfield(s.Dst) + "=" + learnSrc(s))
			}
			return
		}
		dst := Subfield(s.Dst)
		src := Subfield(s.Src)
		if dst == src {
			b.WriteString(dst)
		} else {
			b.WriteString(dst + "=" + src)
		}
	case pipeline.LearnLoad:
		if s.Imm {
			b.WriteString("load:" + learnSrc(s) + "->" + Subfield(s.Dst))
		} else {
			b.WriteString("load:" + Subfield(s.Src) + "->" + Subfield(s.Dst))
		}
	case pipeline.LearnOutput:
		b.WriteString("output:" + Subfield(s.Src))
	}
}

// cx is C's "%#x": "0" for zero, else 0x and the hex digits.
func cx(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}
