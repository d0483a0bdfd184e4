package pipeline

import (
	"gswitch/packet"
)

// Continuation is the frozen state of a packet that a controller(pause)
// action stopped, as OVS 3.1 freezes it (ofproto-dpif-xlate.c): the
// actions still to run, the action set, the push/pop stack and whether the
// packet had been through conntrack. The packet and its metadata (in_port,
// registers, metadata, ct_* ...) travel beside it in the packet-in; the
// controller sends all of it back in NXT_RESUME (Datapath.Resume).
type Continuation struct {
	Actions     []ContinuationActions
	ActionSet   []Action
	Stack       []StackEntry // bottom first
	Conntracked bool
}

// ContinuationActions is a run of frozen actions. Unroll marks one that OVS
// begins with its internal unroll_xlate action: the run executes with
// TableID and Cookie as the current table and flow cookie (they show in
// packet-ins it sends). OVS inserts one before the first action that may
// send something to a controller (and a relative resubmit) whenever the
// table or cookie changed.
type ContinuationActions struct {
	Unroll  bool
	TableID uint8
	Cookie  uint64
	Actions []Action
}

// StackEntry is one push/pop stack entry: its value and its length in
// bytes (OVS keeps each entry with its length).
type StackEntry struct {
	V packet.U128
	B uint8
}

// Limits of a continuation sent back by a controller.
const (
	MaxContinuationActions = 4096 // actions in all runs and the action set
)

// freezer accumulates a continuation's actions as OVS's
// freeze_unroll_actions does.
type freezer struct {
	c      *Continuation
	table  uint8
	cookie uint64
	cur    int // the run being filled, -1: none
	last   int // the last run that began with an unroll, -1: none
}

// unroll is OVS's freeze_put_unroll_xlate: a new run with the current
// table and cookie unless the last unroll had them.
func (z *freezer) unroll() {
	if z.last >= 0 {
		if a := &z.c.Actions[z.last]; a.TableID == z.table && a.Cookie == z.cookie {
			return
		}
	}
	z.c.Actions = append(z.c.Actions, ContinuationActions{Unroll: true, TableID: z.table, Cookie: z.cookie})
	z.cur = len(z.c.Actions) - 1
	z.last = z.cur
}

func (z *freezer) put(a Action) {
	if z.cur < 0 {
		z.c.Actions = append(z.c.Actions, ContinuationActions{})
		z.cur = len(z.c.Actions) - 1
	}
	r := &z.c.Actions[z.cur]
	r.Actions = append(r.Actions, a)
}

// ops freezes ops[pc:] run in table with flow fl.
func (z *freezer) ops(ops []op, pc int, table uint8, fl *flow) {
	z.table, z.cookie = table, 0
	if fl != nil {
		z.cookie = fl.spec.Cookie
	}
	if table == NoTable {
		z.table = 0
	}
	for ; pc < len(ops); pc++ {
		o := &ops[pc]
		if o.act == nil {
			continue // clear-actions, write-actions: not carried
		}
		switch a := (*o.act).(type) {
		case Output, OutputReg, GroupAction, Controller, DecTTL, DecNSHTTL:
			z.unroll()
		case Resubmit:
			if a.Table == NoTable {
				z.unroll()
			}
		}
		z.put(*o.act)
	}
}

// freeze builds pk's continuation: the rest of ops after pc, then the rest
// of every enclosing action list (st's frames), the action set and stack.
func (w *worker) freeze(pk *packet.Packet, ops []op, pc int, st *xstate) *Continuation {
	c := &Continuation{Conntracked: pk.Key.W.CtState()&packet.CsTrk != 0}
	z := freezer{c: c, cur: -1, last: -1}
	z.ops(ops, pc, st.table, st.fl)
	for k := st.k; k >= 0; {
		// the list that resubmitted, after the resubmit (OVS does not
		// freeze the resubmit itself)
		fr := &w.frames[k]
		z.ops(fr.ops, fr.pc, fr.table, fr.fl)
		k = fr.next
	}
	if !st.inAS {
		for i := st.asLo; i < st.asHi; i++ {
			for j := range w.aset[i] {
				if a := w.aset[i][j].act; a != nil {
					c.ActionSet = append(c.ActionSet, *a)
				}
			}
		}
	}
	s := &pk.Stack
	for i := 0; i < int(s.N); i++ {
		c.Stack = append(c.Stack, StackEntry{V: s.V[i], B: s.B[i]})
	}
	return c
}

// pause runs controller(pause) on grp: each packet goes to the controllers
// with its continuation, and its processing stops (the action set does not
// run; inside a clone, the continuation holds the clone's copy of the
// action set, and the processing after the clone ends as after exit).
func (w *worker) pause(grp []*packet.Packet, o *op, ops []op, pc int, st *xstate) {
	// As OVS: the packet-in of a pause says table 0 and the cookie of the
	// flow this pass through the pipeline began with (OVS sends it when
	// its translation has unwound), none after a packet-out or a resume.
	cookie := ^uint64(0)
	if st.root != nil && st.root != &noRoot {
		cookie = st.root.spec.Cookie
	}
	for _, pk := range grp {
		w.pi.Cont = w.freeze(pk, ops, pc+1, st)
		w.emitPacketIn(pk, o.ctl.Reason, 0, cookie, o.ctl.MaxLen, o.ctl.ControllerID, o.ctl.UserData, false)
		w.pi.Cont = nil
	}
	w.ctr[cPaused] += uint64(len(grp))
	if st.clone > 0 {
		// As OVS: a pause inside a clone ends the processing after the
		// clone too, as exit does (only the clone's rest is frozen).
		w.exited = append(w.exited, grp...)
	}
}

// Resume continues the processing of a packet that controller(pause)
// stopped, as NXT_RESUME asks: frame is the packet (possibly changed by the
// controller), meta its metadata (in_port, metadata, registers, pkt_mark,
// ct_*, tunnel fields including ERSPAN and GTP-U: the values of the packet-in's metadata match) and c
// the continuation. The frozen actions run from table 0 with the stack,
// action set and conntrack state restored (a continuation that was not
// conntracked drops the ct_* fields), then the action set.
func (d *Datapath) Resume(meta *packet.Words, frame []byte, c *Continuation, now int64) error {
	n := len(c.ActionSet)
	for i := range c.Actions {
		n += len(c.Actions[i].Actions)
	}
	if n > MaxContinuationActions || len(c.Stack) > packet.StackDepth {
		return Errorf(OFPBRC_BAD_LEN, "continuation too large (%d actions, %d stack entries)", n, len(c.Stack))
	}
	pk := packet.New(frame)
	resetMetadata(pk)
	packet.Parse(pk)
	// The headers are the frame's; the metadata words (W1-W19, the
	// tunnel's) and in_port come from meta.
	for i := packet.WMetadata; i <= packet.WCtTp; i++ {
		pk.Key.W[i] = meta[i]
	}
	for i := packet.WTunID; i <= packet.WTunMisc; i++ {
		pk.Key.W[i] = meta[i]
	}
	// ERSPAN and GTP-U are tunnel metadata too (OVS's flow_tnl, which its
	// frozen metadata restores whole); packet_type, actset_output and
	// dp_hash, in the same words, are not (OVS's frozen_metadata holds the
	// tunnel, metadata, the registers and in_port).
	pk.Key.W[packet.WErspan] = meta[packet.WErspan]
	pk.Key.W.Set(packet.FieldTunGtpuFlags, meta.Get(packet.FieldTunGtpuFlags))
	pk.Key.W.Set(packet.FieldTunGtpuMsgtype, meta.Get(packet.FieldTunGtpuMsgtype))
	pk.Key.SetInPort(meta.InPort())
	if !c.Conntracked {
		pk.Key.ClearCt()
	}
	pk.Key.W.SetConjID(0)
	for _, e := range c.Stack {
		s := &pk.Stack
		s.V[s.N], s.B[s.N] = e.V, e.B
		s.N++
	}

	m := Match{Value: pk.Key.W}
	for i := range m.Mask {
		m.Mask[i] = ^uint64(0)
	}
	v := d.cur.Load()
	var ops []op
	for i := range c.Actions {
		r := &c.Actions[i]
		acts := append([]Action(nil), r.Actions...)
		ck := newChecker(v, &m, NoTable, false)
		if err := ck.actions(acts, false); err != nil {
			return err
		}
		// OVS gives every run of a decoded continuation an unroll_xlate.
		ops = append(ops, op{kind: opUnroll, table: r.TableID, fl: &flow{spec: FlowSpec{Table: r.TableID, Cookie: r.Cookie}}})
		ops = append(ops, compileActions(acts, v.meters)...)
	}
	var aset []op
	if len(c.ActionSet) > 0 {
		acts := append([]Action(nil), c.ActionSet...)
		ck := newChecker(v, &m, NoTable, false)
		if err := ck.actions(acts, true); err != nil {
			return err
		}
		aset = compileActions(acts, v.meters)
	}

	w := d.getWorker()
	w.begin(now)
	grp := append(w.getPkts(), pk)
	w.ctr[cResumed]++
	w.budget = MaxResubmits
	st := xstate{k: -1, table: 0, root: &noRoot}
	if aset != nil {
		w.aset = append(w.aset[:0], aset)
		st.asHi = 1
		setActsetOutput(grp, w.actsetOutput(st))
	}
	w.run(grp, ops, 0, st)
	w.putPkts(grp)
	w.end()
	if d.cfg.Sender != nil {
		d.cfg.Sender.Flush()
	}
	d.putWorker(w)
	return nil
}
