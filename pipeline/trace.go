package pipeline

import (
	"gswitch/ct"
	"gswitch/packet"
)

// Tracing (ofproto/trace): the executor reports the way of one packet to a
// Tracer. Normal processing pays one nil test (w.tr) at each step a trace
// reports; nothing else changes. The report follows OVS 3.1's translation
// trace (ofproto-dpif-trace.c): a tree of tables, buckets and the action
// set, each holding the actions run there and their explanations, in
// sections, one for the packet and one for each ct(table=N) recirculation.
//
// Where a trace is printed as text lives outside the pipeline (ofptext).

// Tracer receives a traced packet's steps. sec is the section (0: the
// packet; each recirculation gets the next number, Recirc); level is the
// nesting: a container (table, bucket, action set) reported at level L
// holds the actions reported at L+1 until the next container at L or
// above.
type Tracer interface {
	// Table: a lookup in table tid found spec; nil: no match (toController:
	// the miss sends a packet-in).
	Table(sec, level int, tid uint8, spec *FlowSpec, toController bool)
	// Bucket: a group bucket, by bucket id.
	Bucket(sec, level int, id uint32)
	// ActionSet: the action set is executed.
	ActionSet(sec, level int)
	// Action: an action (or, in a, a TraceInstruction) about to run.
	Action(sec, level int, a Action)
	// Note: an explanation (TraceDetail, TraceWarn or TraceError).
	Note(sec, level int, kind TraceKind, text string)
	// SubfieldNow reports the value of sf in pk after an action wrote it.
	SubfieldNow(sec, level int, sf Subfield, pk *packet.Packet)
	// ActionSetNow reports the action set after write_actions ("is") or
	// before clear_actions ("was"), in the order it would run.
	ActionSetNow(sec, level int, verb string, acts []Action)
	// Recirc: ct(table=N) in section parent forks section sec, which
	// resumes as r says.
	Recirc(parent, sec int, r TraceRecirc)
	// Datapath is one datapath action of section sec: an output (Port),
	// a ct (CT), a recirculation or a packet-in.
	Datapath(sec int, a TraceDP)
	// Final: the flow at the end of section sec.
	Final(sec int, key *packet.Key)
}

// TraceKind is the kind of a trace note, as OVS's oftrace_node_type.
type TraceKind uint8

const (
	TraceDetail TraceKind = iota + 1 // " -> text"
	TraceWarn                        // " >> text"
	TraceError                       // " >>>> text <<<<"
)

// TraceInstruction is an OpenFlow 1.3 instruction as a trace lists it
// among a flow's actions: Kind "write_actions", "clear_actions",
// "write_metadata", "goto_table" or "meter", with Inst the flow's
// instructions.
type TraceInstruction struct {
	Kind string
	Inst *Instructions
}

func (TraceInstruction) isAction() {}

// TraceDP is a datapath action of a traced packet.
type TraceDP struct {
	Kind   TraceDPKind
	Port   uint32     // TraceDPOutput
	CT     *ct.Params // TraceDPCT (the zone in CT.Zone)
	Recirc int        // TraceDPCT with recirculation: the section
	// TraceDPPacketIn
	Reason, Table uint8
	MaxLen        uint16
	ControllerID  uint16
	Cookie        uint64
	Pause         bool
}

// TraceDPKind says what a TraceDP is.
type TraceDPKind uint8

const (
	TraceDPOutput TraceDPKind = iota + 1
	TraceDPCT
	TraceDPPacketIn
	TraceDPCTClear
)

// TraceOptions says how a packet is traced.
type TraceOptions struct {
	// CtNext: the ct_state each recirculation resumes with, in turn
	// (--ct-next); then trk|new. Ignored with RealCT.
	CtNext []uint32
	// RealCT runs ct actions on the Tracker (commits included), so each
	// recirculation resumes with the state the connection table gives.
	RealCT bool
	// SideEffects: learn actions learn (OVS does this only when a packet
	// was given, not a flow alone).
	SideEffects bool
	Now         int64
}

// traceRun is the state of the trace in progress (worker.tr).
type traceRun struct {
	t    Tracer
	opts TraceOptions
	next int // the next --ct-next state to use
	nsec int // sections so far
	sec  int // the section of the step last reported
	lv   int // and its level
	// pk is the packet the last op ran on (a group's bucket and a
	// recirculation work on copies).
	pk *packet.Packet
}

// traceNote reports an explanation at the level of the last action, when
// tracing.
func (w *worker) traceNote(kind TraceKind, text string) {
	if w.tr != nil {
		w.tr.t.Note(w.tr.sec, w.tr.lv, kind, text)
	}
}

// Trace runs pk (its frame parsed and its metadata set, as ofproto/trace
// builds it) through the pipeline from table 0 and reports each step to t.
// Nothing leaves the switch: outputs and packet-ins are reported, not
// sent; flow, table and group counters do not count the packet. ct
// actions do not run unless o.RealCT (each recirculation resumes with the
// next o.CtNext state, or trk|new); learn actions learn only with
// o.SideEffects.
func (d *Datapath) Trace(pk *packet.Packet, o TraceOptions, t Tracer) {
	w := d.getWorker()
	w.begin(o.Now)
	w.tr = &traceRun{t: t, opts: o}
	grp := append(w.getPkts(), pk)
	w.budget = MaxResubmits
	w.lookup(grp, 0, xstate{k: -1}, true, nil)
	t.Final(0, &pk.Key)
	w.tr = nil
	w.putPkts(grp)
	// The traced packet counts nowhere.
	clear(w.stats)
	w.stats = w.stats[:0]
	for i := range w.tl {
		w.tl[i].lookups, w.tl[i].matched = 0, 0
	}
	w.tdirty = [4]uint64{}
	w.ctr = [numCounters]uint64{}
	w.end()
	if o.SideEffects {
		w.flushLearns()
	} else {
		clear(w.lq)
		w.lq = w.lq[:0]
	}
	d.putWorker(w)
}

// traceOp reports op o before it runs.
func (w *worker) traceOp(o *op, st *xstate, pk *packet.Packet) {
	t := w.tr.t
	lv := int(st.tl) + 1
	w.tr.sec, w.tr.lv, w.tr.pk = int(st.sec), lv, pk
	switch o.kind {
	case opWriteActions, opClearActions, opGoto, opWriteMetadata:
		var in *Instructions
		if st.fl != nil {
			in = &st.fl.spec.Inst
		}
		kind := map[opKind]string{opWriteActions: "write_actions", opClearActions: "clear_actions",
			opGoto: "goto_table", opWriteMetadata: "write_metadata"}[o.kind]
		if in == nil { // (a resumed continuation: as the actions it froze)
			if o.act != nil {
				t.Action(int(st.sec), lv, *o.act)
			}
			return
		}
		t.Action(int(st.sec), lv, TraceInstruction{Kind: kind, Inst: in})
		if o.kind == opClearActions {
			t.ActionSetNow(int(st.sec), lv, "was", w.actionSetActs(*st))
		}
		return
	case opMeter:
		if o.act == nil && st.fl != nil {
			t.Action(int(st.sec), lv, TraceInstruction{Kind: "meter", Inst: &st.fl.spec.Inst})
			return
		}
	case opUnroll:
		return
	}
	if o.act != nil {
		t.Action(int(st.sec), lv, *o.act)
	}
	if o.kind == opCTClear && pk.Key.W.CtState()&packet.CsTrk != 0 {
		// OVS's datapath clears only a tracked packet (ctx->conntracked)
		t.Datapath(int(st.sec), TraceDP{Kind: TraceDPCTClear})
	}
}

// traceAfter reports what follows op o once it ran (the action set that
// write_actions left).
func (w *worker) traceAfter(o *op, st *xstate) {
	lv := int(st.tl) + 1
	switch o.kind {
	case opWriteActions:
		if st.fl != nil {
			w.tr.t.ActionSetNow(int(st.sec), lv, "is", w.actionSetActs(*st))
		}
	case opMove, opStackPop:
		// (xlate_report_subfield: the destination's new value)
		if w.tr.pk != nil {
			w.tr.t.SubfieldNow(int(st.sec), lv, o.dst, w.tr.pk)
		}
	}
}

// traceLimit reports a resubmit refused by a limit, as OVS's
// xlate_resubmit_resource_check.
func (w *worker) traceLimit(st *xstate) {
	text := "over max translation depth 64"
	if st.nres >= MaxResubmits || w.budget < 0 {
		text = "over 4096 resubmit actions"
	}
	w.tr.t.Note(int(st.sec), int(st.tl)+1, TraceError, text)
}

// actionSetActs is the action set of st as the actions it would run, in
// their order (slots, the set-field family, the final action).
func (w *worker) actionSetActs(st xstate) []Action {
	var slots [numSlots]*op
	var final *op
	fc := -1
	var out []Action
	for i := st.asLo; i < st.asHi; i++ {
		for j := range w.aset[i] {
			o := &w.aset[i][j]
			if s := actionSetSlot(o.kind); s >= 0 {
				slots[s] = o
			} else if c := opFinalClass(o); c >= 0 && c >= fc {
				final, fc = o, c
			}
		}
	}
	for _, o := range slots {
		if o != nil && o.act != nil {
			out = append(out, *o.act)
		}
	}
	for i := st.asLo; i < st.asHi; i++ {
		for j := range w.aset[i] {
			if o := &w.aset[i][j]; actionSetSets(o.kind) && o.act != nil {
				out = append(out, *o.act)
			}
		}
	}
	if final != nil && final.act != nil {
		out = append(out, *final.act)
	}
	return out
}

// traceCTState is the ct_state the next simulated recirculation resumes
// with (and whether --ct-next gave it).
func (tr *traceRun) ctState() (uint32, bool) {
	if tr.next < len(tr.opts.CtNext) {
		s := tr.opts.CtNext[tr.next]
		tr.next++
		return s, true
	}
	return packet.CsTrk | packet.CsNew, false
}

// traceNAT returns the NAT of a ct action's parameters, nil if none.
func traceNAT(p *ct.Params) *ct.NAT { return p.NAT }

// traceTable reports the lookup in table tid that found f (nil: a miss),
// and "drop" for a flow that has no actions.
func (w *worker) traceTable(f *flow, tid uint8, st *xstate, honor bool) {
	t := w.tr.t
	w.tr.sec, w.tr.lv = int(st.sec), int(st.tl)+1
	if f == nil {
		t.Table(int(st.sec), int(st.tl), tid, nil, honor && w.d.missToController.Load())
		t.Action(int(st.sec), int(st.tl)+1, nil)
		return
	}
	t.Table(int(st.sec), int(st.tl), tid, &f.spec, false)
	if len(f.ops) == 0 {
		t.Action(int(st.sec), int(st.tl)+1, nil)
	}
}

// TraceRecirc is what a ct(table=N) recirculation resumes with.
type TraceRecirc struct {
	Table uint8
	// State: the ct_state; Given: it came from TraceOptions.CtNext; Real:
	// from the Tracker (TraceOptions.RealCT).
	State       uint32
	Given, Real bool
	// NAT: the ct action's nat, nil if none; Before and After: the flow
	// before and after its range was applied (OVS's trace simulates NAT by
	// taking the first address and port of the range).
	NAT           *ct.NAT
	Before, After packet.Key
}

// traceCT is conntrack for a traced packet (grp holds just it): the ct
// action's own actions are reported, ct runs on the Tracker only with
// RealCT (else the recirculation resumes with the next --ct-next state, as
// OVS's trace), and the recirculation is a new section, run at once.
func (w *worker) traceCT(grp []*packet.Packet, o *op, ops []op, pc int, st xstate) {
	tr := w.tr
	t := tr.t
	c := o.cta
	sec, lv := int(st.sec), int(st.tl)+1
	p := c.params
	pk := grp[0]
	if c.zoneSrc.Field != packet.FieldInvalid || c.zoneSrc.Tun.Len != 0 {
		p.Zone = uint16(getSub(pk, c.zoneSrc, c.zoneSrc.Ofs, c.zoneSrc.NBits).Lo)
	}
	for _, mv := range c.moves {
		v := getSub(pk, mv.Src, mv.Src.Ofs, mv.Src.NBits).Shl(uint(mv.Dst.Ofs))
		m := subOnes(mv.Dst.NBits).Shl(uint(mv.Dst.Ofs))
		if mv.Dst.Field == packet.FieldCtMark {
			p.SetMark = true
			p.Mark = p.Mark&^uint32(m.Lo) | uint32(v.Lo)
			p.MarkMask |= uint32(m.Lo)
		} else {
			p.SetLabel = true
			p.Label = p.Label.AndNot(m).Or(v)
			p.LabelMask = p.LabelMask.Or(m)
		}
	}
	// OVS translates the ct action's nested actions after it ("drop"
	// when there are none).
	if o.act != nil {
		if a, ok := (*o.act).(CT); ok {
			if len(a.Exec) == 0 {
				t.Action(sec, lv, nil)
			}
			for _, x := range a.Exec {
				t.Action(sec, lv, x)
			}
		}
	}
	var out []*packet.Packet
	real := tr.opts.RealCT && w.d.cfg.Tracker != nil
	if real {
		out = w.d.cfg.Tracker.Execute(grp, w.getPkts(), &p, w.now)
		if len(out) == 0 {
			t.Note(sec, lv, TraceWarn, "conntrack holds the packet (an IP fragment waiting for the others)")
		}
	} else {
		out = append(w.getPkts(), grp...)
	}
	dp := TraceDP{Kind: TraceDPCT, CT: &p}
	if c.table != NoTable && len(out) > 0 {
		w.budget--
		if st.recirc >= MaxRecircDepth || w.budget < 0 || tr.nsec >= 255 {
			t.Datapath(sec, dp)
			t.Note(sec, lv, TraceError, "over the recirculation limit")
		} else {
			tr.nsec++
			nsec := tr.nsec
			dp.Recirc = nsec
			t.Datapath(sec, dp)
			cl := w.d.pool.Get()
			cl.CopyFrom(out[0])
			r := TraceRecirc{Table: c.table, Real: real, NAT: p.NAT}
			if real {
				r.State = cl.Key.W.CtState()
			} else {
				r.State, r.Given = tr.ctState()
				cl.Key.W.SetCtState(r.State)
				cl.Key.W.SetCtZone(p.Zone)
			}
			r.Before = cl.Key
			if !real && p.NAT != nil {
				traceSimulateNAT(&cl.Key.W, p.NAT)
			}
			r.After = cl.Key
			t.Note(sec, lv, TraceDetail, "A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table "+itoa(int(c.table))+".")
			t.Recirc(sec, nsec, r)
			nst := xstate{term: termEnd, recirc: st.recirc + 1, gdepth: st.gdepth, k: -1,
				fTop: st.fTop, asLo: st.asLo, asHi: st.asHi, sec: uint8(nsec)}
			if st.inAS {
				nst.asLo = nst.asHi
			}
			one := append(w.getPkts(), cl)
			w.lookup(one, c.table, nst, true, nil)
			t.Final(nsec, &cl.Key)
			w.putPkts(one)
			w.d.pool.Put(cl)
		}
	} else {
		t.Datapath(sec, dp)
	}
	for _, q := range out {
		q.Key.ClearCt()
		q.Conn = nil
	}
	t.Note(sec, lv, TraceDetail, "Sets the packet to an untracked state, and clears all the conntrack fields.")
	if len(out) > 0 {
		w.run(out, ops, pc+1, st)
	}
	w.putPkts(out)
}

// traceSimulateNAT puts the first address (and port) of n's range in
// place of the source or destination, as OVS's trace does.
func traceSimulateNAT(k *packet.Words, n *ct.NAT) {
	v4 := n.RangePresent&ct.NATRangeIPv4Min != 0
	v6 := n.RangePresent&ct.NATRangeIPv6Min != 0
	if !v4 && !v6 {
		return
	}
	port := n.RangePresent&ct.NATRangeProtoMin != 0 && n.PortMin != 0
	set := func(src bool) {
		switch {
		case v4 && src:
			k.Set(packet.FieldIPv4Src, packet.U128{Lo: uint64(be32(n.AddrMin[:4]))})
		case v4:
			k.Set(packet.FieldIPv4Dst, packet.U128{Lo: uint64(be32(n.AddrMin[:4]))})
		case src:
			k.Set(packet.FieldIPv6Src, u128(n.AddrMin[:]))
		default:
			k.Set(packet.FieldIPv6Dst, u128(n.AddrMin[:]))
		}
		if port {
			if src {
				k.Set(packet.FieldTCPSrc, packet.U128{Lo: uint64(n.PortMin)})
			} else {
				k.Set(packet.FieldTCPDst, packet.U128{Lo: uint64(n.PortMin)})
			}
		}
	}
	if n.Flags&ct.NATSrc != 0 {
		set(true)
	}
	if n.Flags&ct.NATDst != 0 {
		set(false)
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u128(b []byte) packet.U128 {
	var v packet.U128
	for i := 0; i < 8; i++ {
		v.Hi = v.Hi<<8 | uint64(b[i])
		v.Lo = v.Lo<<8 | uint64(b[8+i])
	}
	return v
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
