package ofptext

// ofproto/trace's text (OVS 3.1's ofproto-dpif-trace.c): Trace collects
// what pipeline.Datapath.Trace reports, as OVS's tree of trace nodes, and
// String prints it as ovs-vswitchd does: per section (the packet, then
// each ct recirculation in the order they were forked) the Flow: line,
// the bridge's tables with their actions and the explanations ("->",
// ">>"), Final flow:, Megaflow: and Datapath actions:.

import (
	"fmt"
	"strings"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/pipeline"
)

// traceNodeKind is OVS's oftrace_node_type.
type traceNodeKind uint8

const (
	tnBridge traceNodeKind = iota
	tnTable
	tnThaw
	tnAction
	tnDetail
	tnWarn
	tnError
	tnBucket
)

// terminal is oftrace_node_type_is_terminal.
func (k traceNodeKind) terminal() bool {
	switch k {
	case tnBridge, tnTable, tnThaw:
		return false
	}
	return true
}

type traceNode struct {
	kind traceNodeKind
	text string
	subs []*traceNode
}

type traceSection struct {
	flow   packet.Key
	tun    packet.TunMeta
	final  packet.Key
	header string // the ==== block before a recirculation's trace
	recirc int    // its recirc_id (0: the packet's own pass)
	bridge *traceNode
	lists  []*[]*traceNode
	dp     []string
}

// Trace is a pipeline.Tracer that prints OVS's ofproto/trace text.
type Trace struct {
	bridge string
	secs   []*traceSection
}

var _ pipeline.Tracer = (*Trace)(nil)

// NewTrace starts the trace of pk (its key and tunnel options as the
// trace begins) through bridge.
func NewTrace(bridge string, pk *packet.Packet) *Trace {
	t := &Trace{bridge: bridge}
	s := t.newSection(0)
	s.flow = pk.Key
	s.tun = pk.Tun
	return t
}

func (t *Trace) newSection(recirc int) *traceSection {
	s := &traceSection{recirc: recirc}
	s.bridge = &traceNode{kind: tnBridge, text: fmt.Sprintf("bridge(\"%s\")", t.bridge)}
	s.lists = []*[]*traceNode{&s.bridge.subs}
	for len(t.secs) <= recirc {
		t.secs = append(t.secs, nil)
	}
	t.secs[recirc] = s
	return s
}

func (t *Trace) sec(i int) *traceSection {
	if i < len(t.secs) && t.secs[i] != nil {
		return t.secs[i]
	}
	return t.newSection(i)
}

// add puts n at level lv of section sec (a container then holds level
// lv+1).
func (s *traceSection) add(lv int, n *traceNode) {
	if lv < 0 {
		lv = 0
	}
	if lv >= len(s.lists) {
		lv = len(s.lists) - 1
	}
	s.lists = s.lists[:lv+1]
	*s.lists[lv] = append(*s.lists[lv], n)
	if !n.kind.terminal() || n.kind == tnBucket {
		s.lists = append(s.lists, &n.subs)
	}
}

// Table is pipeline.Tracer's: xlate_report_table's line.
func (t *Trace) Table(sec, level int, tid uint8, spec *pipeline.FlowSpec, toController bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "%2d. ", tid)
	switch {
	case spec == nil && toController:
		b.WriteString("No match, and a \"packet-in\" is called for.")
	case spec == nil:
		b.WriteString("No match.")
	default:
		b.WriteString(Match(&spec.Match, DefaultPriority))
		if s := b.String(); s[len(s)-1] != ' ' {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "priority %d", spec.Priority)
		if spec.Cookie != 0 {
			fmt.Fprintf(&b, ", cookie %#x", spec.Cookie)
		}
	}
	t.sec(sec).add(level, &traceNode{kind: tnTable, text: b.String()})
}

// Bucket is pipeline.Tracer's.
func (t *Trace) Bucket(sec, level int, id uint32) {
	t.sec(sec).add(level, &traceNode{kind: tnBucket, text: fmt.Sprintf("bucket %d", id)})
}

// ActionSet is pipeline.Tracer's.
func (t *Trace) ActionSet(sec, level int) {
	t.sec(sec).add(level, &traceNode{kind: tnTable, text: "--. Executing action set:"})
}

// Action is pipeline.Tracer's: the action as ofpacts_format prints it
// ("drop" for none).
func (t *Trace) Action(sec, level int, a pipeline.Action) {
	text := "drop"
	switch a := a.(type) {
	case nil:
	case pipeline.TraceInstruction:
		text = instructionText(a)
	default:
		var b strings.Builder
		writeAction(&b, a)
		text = b.String()
	}
	t.sec(sec).add(level, &traceNode{kind: tnAction, text: text})
}

func instructionText(a pipeline.TraceInstruction) string {
	in := a.Inst
	switch a.Kind {
	case "write_actions":
		return "write_actions(" + Actions(in.Write) + ")"
	case "clear_actions":
		return "clear_actions"
	case "write_metadata":
		s := "write_metadata:" + cx(in.Metadata)
		if in.MetadataMask != ^uint64(0) {
			s += "/" + cx(in.MetadataMask)
		}
		return s
	case "goto_table":
		return fmt.Sprintf("goto_table:%d", in.GotoTable)
	case "meter":
		return fmt.Sprintf("meter:%d", in.Meter)
	}
	return a.Kind
}

// Note is pipeline.Tracer's.
func (t *Trace) Note(sec, level int, kind pipeline.TraceKind, text string) {
	k := tnDetail
	switch kind {
	case pipeline.TraceWarn:
		k = tnWarn
	case pipeline.TraceError:
		k = tnError
	}
	t.sec(sec).add(level, &traceNode{kind: k, text: text})
}

// ActionSetNow is pipeline.Tracer's: xlate_report_action_set.
func (t *Trace) ActionSetNow(sec, level int, verb string, acts []pipeline.Action) {
	text := "action set " + verb + " empty"
	if len(acts) > 0 {
		text = "action set " + verb + ": " + actionList(acts)
	}
	t.sec(sec).add(level, &traceNode{kind: tnDetail, text: text})
}

// SubfieldNow is pipeline.Tracer's: xlate_report_subfield ("SF is now
// V": the field's own format for a whole field, else hex).
func (t *Trace) SubfieldNow(sec, level int, sf pipeline.Subfield, pk *packet.Packet) {
	var v string
	switch {
	case sf.Tun.Len != 0:
		n := min(uint(sf.NBits), 128)
		v = hex128(pk.Tun.GetBits(int(sf.Tun.Idx), sf.Tun.Slots, uint(sf.Ofs), n))
	default:
		f := &packet.Fields[sf.Field]
		whole := pk.Key.W.Get(sf.Field)
		if sf.Field == packet.FieldInPort && sf.Ofs == 0 && sf.NBits == 16 {
			// NXM_OF_IN_PORT: OVS's 16-bit port (the executor maps it so)
			p := whole.Lo & 0xffff
			if p >= 0xff00 {
				p |= 0xffff0000
			}
			whole = packet.U128{Lo: p}
		}
		if sf.Ofs == 0 && (uint(sf.NBits) >= f.Bits || sf.Field == packet.FieldInPort && sf.NBits == 16) {
			v = fieldValue(sf.Field, whole, packet.U128{}, false)
		} else {
			v = hex128(whole.Shr(uint(sf.Ofs)).And(packet.Ones(uint(sf.NBits))))
		}
	}
	t.sec(sec).add(level, &traceNode{kind: tnDetail, text: Subfield(sf) + " is now " + v})
}

// Recirc is pipeline.Tracer's: the section of a recirculation, with OVS's
// header (ofproto_trace_recirc_node).
func (t *Trace) Recirc(parent, sec int, r pipeline.TraceRecirc) {
	s := t.newSection(sec)
	var b strings.Builder
	b.WriteString(strings.Repeat("=", 79))
	fmt.Fprintf(&b, "\nrecirc(%#x)", sec)
	switch {
	case r.Real:
		fmt.Fprintf(&b, " - resume conntrack with ct_state=%s (from the connection table)", ctStateFlags(r.State))
	case r.Given:
		fmt.Fprintf(&b, " - resume conntrack with ct_state=%s", ctStateFlags(r.State))
	default:
		b.WriteString(" - resume conntrack with default ct_state=trk|new (use --ct-next to customize)")
	}
	b.WriteByte('\n')
	if r.NAT != nil && !r.Real {
		v4 := r.NAT.RangePresent&ct.NATRangeIPv4Min != 0
		v6 := r.NAT.RangePresent&ct.NATRangeIPv6Min != 0
		b.WriteString("Replacing src/dst IP/ports to simulate NAT:\n Initial flow: ")
		b.WriteString(traceIPFlow(&r.Before, v4, v6))
		b.WriteString("\n Modified flow: ")
		b.WriteString(traceIPFlow(&r.After, v4, v6))
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat("=", 79))
	s.header = b.String()
	s.flow = r.After
	s.tun = t.sec(parent).tun
	thaw := &traceNode{kind: tnThaw, text: "thaw"}
	thaw.subs = []*traceNode{{kind: tnThaw, text: fmt.Sprintf("Resuming from table %d", r.Table)}}
	s.bridge.subs = append(s.bridge.subs, thaw)
}

// traceIPFlow is oftrace_print_ip_flow.
func traceIPFlow(k *packet.Key, v4, v6 bool) string {
	w := &k.W
	switch {
	case v4:
		return fmt.Sprintf("nw_src=%s,tp_src=%d,nw_dst=%s,tp_dst=%d", ip4(packet.U128{Lo: uint64(w.IPv4Src())}),
			k.TpSrc(), ip4(packet.U128{Lo: uint64(w.IPv4Dst())}), k.TpDst())
	case v6:
		return fmt.Sprintf("ipv6_src=%s,tp_src=%d,ipv6_dst=%s,tp_dst=%d", ip6(w.IPv6Src()), k.TpSrc(), ip6(w.IPv6Dst()), k.TpDst())
	}
	return ""
}

// ctStateFlags is format_flags(ct_state_to_string, '|'): the set bits
// from the lowest.
func ctStateFlags(s uint32) string {
	var parts []string
	for s != 0 {
		bit := s & -s
		s &^= bit
		if n := ctStateName(bit); n != "" {
			parts = append(parts, n)
		} else {
			parts = append(parts, fmt.Sprintf("0x%x", bit))
		}
	}
	return strings.Join(parts, "|")
}

// Datapath is pipeline.Tracer's: one datapath action (gswitch has no
// datapath port numbers: outputs name OpenFlow ports, LOCAL 65534).
func (t *Trace) Datapath(sec int, a pipeline.TraceDP) {
	s := t.sec(sec)
	switch a.Kind {
	case pipeline.TraceDPOutput:
		p := a.Port
		if p == pipeline.PortLocal {
			p = 0xfffe
		}
		s.dp = append(s.dp, fmt.Sprintf("%d", p))
	case pipeline.TraceDPCT:
		s.dp = append(s.dp, ctDatapath(a.CT))
		if a.Recirc != 0 {
			s.dp = append(s.dp, fmt.Sprintf("recirc(%#x)", a.Recirc))
		}
	case pipeline.TraceDPCTClear:
		s.dp = append(s.dp, "ct_clear")
	case pipeline.TraceDPPacketIn:
		cookie := a.Cookie
		if cookie == ^uint64(0) {
			cookie = 0
		}
		s.dp = append(s.dp, fmt.Sprintf("userspace(pid=0,controller(reason=%d,dont_send=1,continuation=%d,recirc_id=0,rule_cookie=%s,controller_id=%d,max_len=%d))",
			a.Reason, b2i(a.Pause), cx(cookie), a.ControllerID, a.MaxLen))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ctDatapath is the ct datapath action as OVS's format_odp_conntrack_action
// prints it.
func ctDatapath(p *ct.Params) string {
	var parts []string
	switch {
	case p.Force:
		parts = append(parts, "commit", "force")
	case p.Commit:
		parts = append(parts, "commit")
	}
	if p.Zone != 0 {
		parts = append(parts, fmt.Sprintf("zone=%d", p.Zone))
	}
	if p.SetMark {
		parts = append(parts, fmt.Sprintf("mark=%#x/%#x", p.Mark, p.MarkMask))
	}
	if p.SetLabel {
		parts = append(parts, "label="+hex128(p.Label)+"/"+hex128(p.LabelMask))
	}
	switch p.Alg {
	case ct.AlgFTP:
		parts = append(parts, "helper=ftp")
	case ct.AlgTFTP:
		parts = append(parts, "helper=tftp")
	}
	if p.NAT != nil {
		var b strings.Builder
		writeNAT(&b, p.NAT)
		parts = append(parts, b.String())
	}
	if len(parts) == 0 {
		return "ct"
	}
	return "ct(" + strings.Join(parts, ",") + ")"
}

// Final is pipeline.Tracer's.
func (t *Trace) Final(sec int, key *packet.Key) { t.sec(sec).final = *key }

// String is the trace as ovs-vswitchd's ofproto/trace answers.
func (t *Trace) String() string {
	var b strings.Builder
	for i, s := range t.secs {
		if s == nil {
			continue
		}
		if i > 0 {
			b.WriteString("\n\n" + s.header + "\n\n")
		}
		flow := FlowText(&s.flow, s.recirc)
		b.WriteString("Flow: " + flow + "\n")
		printTraceNodes(&b, []*traceNode{s.bridge}, 0)
		b.WriteString("\nFinal flow: ")
		final := s.final
		final.W.SetRecircID(0)
		if fin := FlowText(&final, s.recirc); fin == flow {
			b.WriteString("unchanged")
		} else {
			b.WriteString(fin)
		}
		b.WriteString("\nMegaflow: " + megaflowText(&s.flow, s.recirc))
		b.WriteString("\nDatapath actions: ")
		if len(s.dp) == 0 {
			b.WriteString("drop")
		} else {
			b.WriteString(strings.Join(s.dp, ","))
		}
	}
	return b.String()
}

// printTraceNodes is oftrace_node_print_details.
func printTraceNodes(b *strings.Builder, nodes []*traceNode, level int) {
	for i, n := range nodes {
		if n.kind == tnBridge {
			b.WriteByte('\n')
		}
		more := 0
		if i+1 < len(nodes) || n.kind.terminal() {
			more = 1
		}
		indent := strings.Repeat(" ", (level+more)*4)
		b.WriteString(indent)
		switch n.kind {
		case tnDetail:
			b.WriteString(" -> " + n.text + "\n")
		case tnWarn:
			b.WriteString(" >> " + n.text + "\n")
		case tnError:
			b.WriteString(" >>>> " + n.text + " <<<<\n")
		case tnBridge:
			b.WriteString(n.text + "\n" + indent + strings.Repeat("-", len(n.text)) + "\n")
		default:
			b.WriteString(n.text + "\n")
		}
		printTraceNodes(b, n.subs, level+2*more)
	}
}

// FlowText is OVS's flow_format of a packet's key: the fields a packet
// of its kind has (flow_wildcards_init_for_packet, with the registers and
// metadata), less the metadata that is zero; recirc, when not zero, is
// the recirc_id.
func FlowText(k *packet.Key, recirc int) string {
	m := flowMatch(k, recirc)
	return matchFormat(&m, DefaultPriority, fmtOpts{eth: recirc != 0, exact: true, tunnel: tunnelText(k)})
}

// tunnelText is format_flow_tunnel of a traced flow with a tunnel
// destination: every tunnel field, zero or not, and no tun_id (OVS shows
// it only with its key flag, which a flow given as text lacks).
func tunnelText(k *packet.Key) string {
	w := &k.W
	if w.Get(packet.FieldTunDst).IsZero() && w.Get(packet.FieldTunIPv6Dst).IsZero() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tun_src=%s,tun_dst=%s,tun_ipv6_src=%s,tun_ipv6_dst=%s,tun_gbp_id=%d,tun_gbp_flags=%d,tun_tos=0,tun_ttl=0",
		ip4(w.Get(packet.FieldTunSrc)), ip4(w.Get(packet.FieldTunDst)), ip6(w.Get(packet.FieldTunIPv6Src)),
		ip6(w.Get(packet.FieldTunIPv6Dst)), w.Get(packet.FieldTunGbpID).Lo, w.Get(packet.FieldTunGbpFlags).Lo)
	fmt.Fprintf(&b, ",tun_erspan_ver=%d", w.Get(packet.FieldTunErspanVer).Lo)
	fmt.Fprintf(&b, ",gtpu_flags=%d,gtpu_msgtype=%d", w.Get(packet.FieldTunGtpuFlags).Lo, w.Get(packet.FieldTunGtpuMsgtype).Lo)
	if w.Get(packet.FieldTunFlags).Lo&1 != 0 {
		b.WriteString(",tun_flags=oam")
	} else {
		b.WriteString(",tun_flags=0")
	}
	return b.String()
}

// megaflowText: gswitch caches no megaflows (only exact matches), so the
// "megaflow" is the whole flow, recirc_id included.
func megaflowText(k *packet.Key, recirc int) string {
	m := flowMatch(k, recirc)
	m.Set(packet.FieldRecircID, packet.U128{Lo: uint64(recirc)}, packet.Ones(32))
	return matchFormat(&m, DefaultPriority, fmtOpts{eth: true, exact: true, tunnel: tunnelText(k)})
}

func flowMatch(k *packet.Key, recirc int) pipeline.Match {
	var m pipeline.Match
	w := &k.W
	set := func(f packet.FieldID) {
		v := w.Get(f)
		m.Set(f, v, packet.Ones(packet.Fields[f].Bits))
	}
	setNZ := func(f packet.FieldID) {
		if !w.Get(f).IsZero() {
			set(f)
		}
	}
	if recirc != 0 {
		m.Set(packet.FieldRecircID, packet.U128{Lo: uint64(recirc)}, packet.Ones(32))
	}
	if !w.Get(packet.FieldTunDst).IsZero() || !w.Get(packet.FieldTunIPv6Dst).IsZero() {
		set(packet.FieldTunID)
		set(packet.FieldTunSrc)
		set(packet.FieldTunDst)
		setNZ(packet.FieldTunIPv6Src)
		setNZ(packet.FieldTunIPv6Dst)
		setNZ(packet.FieldTunFlags)
	} else {
		setNZ(packet.FieldTunID)
	}
	for _, f := range []packet.FieldID{packet.FieldPktMark, packet.FieldCtState, packet.FieldCtZone,
		packet.FieldCtMark, packet.FieldCtLabel, packet.FieldDPHash, packet.FieldInPort, packet.FieldMetadata} {
		setNZ(f)
	}
	for i := 0; i < 16; i++ {
		setNZ(packet.FieldReg0 + packet.FieldID(i))
	}
	set(packet.FieldEthSrc)
	set(packet.FieldEthDst)
	set(packet.FieldEthType)
	set(packet.FieldVlanTCI)
	st := w.CtState()
	ctValid := st&packet.CsTrk != 0 && st&packet.CsInv == 0 && k.W.Get(packet.FieldCtNwProto).Lo != 0
	switch k.EthType() {
	case 0x0800:
		set(packet.FieldIPv4Src)
		set(packet.FieldIPv4Dst)
		if ctValid {
			set(packet.FieldCtNwSrc)
			set(packet.FieldCtNwDst)
		}
	case 0x86dd:
		set(packet.FieldIPv6Src)
		set(packet.FieldIPv6Dst)
		set(packet.FieldIPv6Label)
		if p := k.NwProto(); p == 58 && (w.Get(packet.FieldICMPv6Type).Lo == 135 || w.Get(packet.FieldICMPv6Type).Lo == 136) {
			set(packet.FieldNdTarget)
			set(packet.FieldNdSll)
			set(packet.FieldNdTll)
		} else if ctValid {
			set(packet.FieldCtIPv6Src)
			set(packet.FieldCtIPv6Dst)
		}
	case 0x0806, 0x8035:
		set(packet.FieldARPSpa)
		set(packet.FieldARPTpa)
		set(packet.FieldARPOp)
		m.Set(packet.FieldNwProto, packet.U128{Lo: w.Get(packet.FieldARPOp).Lo}, packet.Ones(8))
		set(packet.FieldARPSha)
		set(packet.FieldARPTha)
		return m
	case 0x8847, 0x8848:
		set(packet.FieldMPLSLabel)
		set(packet.FieldMPLSTC)
		set(packet.FieldMPLSBOS)
		set(packet.FieldMPLSTTL)
		return m
	default:
		return m
	}
	frag := w.Get(packet.FieldIPFrag)
	m.Set(packet.FieldIPFrag, frag, packet.U128{Lo: 3})
	set(packet.FieldNwTOS)
	set(packet.FieldNwTTL)
	set(packet.FieldNwProto)
	if ctValid {
		set(packet.FieldCtNwProto)
		set(packet.FieldCtTpSrc)
		set(packet.FieldCtTpDst)
	}
	if frag.Lo&2 == 0 {
		switch p := k.NwProto(); {
		case p == 1 && k.EthType() == 0x0800:
			set(packet.FieldICMPType)
			set(packet.FieldICMPCode)
		case p == 58:
			set(packet.FieldICMPv6Type)
			set(packet.FieldICMPv6Code)
		case p == 6 || p == 17 || p == 132:
			set(packet.FieldTCPSrc)
			set(packet.FieldTCPDst)
			if p == 6 {
				set(packet.FieldTCPFlags)
			}
		}
	}
	return m
}
