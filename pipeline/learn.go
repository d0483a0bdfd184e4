package pipeline

import (
	"sync"

	"gswitch/packet"
)

// The learn action (NXAST_LEARN/LEARN2) and fin_timeout.
//
// A packet that runs learn builds the learned flow's match and actions in
// its worker's scratch space and looks the flow up in the version the
// batch runs on. If the flow is there with the same timeouts, flags,
// cookie and actions, it is refreshed (its hard timeout counts from now,
// as OVS's ofproto_flow_mod_learn_refresh does): one atomic store, no
// allocation, no lock. Otherwise the flow is queued (learnQueue: bounded,
// MaxPendingLearns) and the queue is applied as one change, published as
// one new version, by the worker at the end of its batch if the change
// mutex is free (TryLock: a worker never waits for a flow-mod), else by
// the next batch or Expire. Learned flows are therefore visible to later
// batches, not to the packet that learned them, as in OVS since 2.4
// ("learned flows are visible only to later flow translations").
//
// Specs may name tun_metadata0..63 (up to 992 bits, taken 128 at a time):
// the learned match's tun_metadata is built in the worker's ltun and placed
// where the TLV map puts each field, so packets carrying the learned values
// match (OVS 3.1 lays a learned flow's tun_metadata out at offsets of its
// own, from 0, and such packets do not match there: a known difference);
// a load into tun_metadata is one set_field (SetTun), as OVS's learned
// NXAST_REG_LOAD2. Only a new or changed learned flow copies ltun.
//
// Lock order: Datapath.mu, then learnQueue.mu. Workers take only
// learnQueue.mu (to queue, and to check limit=), then try Datapath.mu
// with it released.
//
// Bounds under a flood of distinct learns: at most MaxPendingLearns
// learns wait (the rest are dropped and counted: drop_learn_queue_full);
// each drain publishes one version; a table holds at most
// Config.MaxFlows flows (learn_failed beyond); limit=N bounds the flows a
// learn action has in its table with its cookie (learn_limit_reached),
// counted with the learns still queued.

// MaxPendingLearns bounds the learns waiting to be applied.
const MaxPendingLearns = 4096

type tableCookie struct {
	table  uint8
	cookie uint64
}

// pendingLearn is a learned flow waiting to be applied.
type pendingLearn struct {
	spec    FlowSpec
	limited bool // counted in learnQueue.pending
	now     int64
}

type learnQueue struct {
	mu      sync.Mutex
	q       []pendingLearn
	pending map[tableCookie]int // queued learns with limit=, by table and cookie
	// cookies counts the installed flows by table and cookie (for limit=);
	// updated at each commit.
	cookies map[tableCookie]int
}

// learnedAct is one action of a learned flow, in the worker's scratch.
type learnedAct struct {
	kind uint8 // 0: load (RegLoad of dst), 1: output, 2: fin_timeout, 3: w.lsets[set]
	set  int
	dst  Subfield
	v    packet.U128
	port uint32
	idle uint16
	hard uint16
}

// LearnMatchSet writes v (its low dst.NBits bits) into dst's bits of m and
// makes them exact (OVS's mf_write_subfield on a match).
func LearnMatchSet(m *Match, dst Subfield, v packet.U128) {
	mask := subOnes(dst.NBits).Shl(uint(dst.Ofs))
	m.Mask.SetMasked(dst.Field, mask, mask)
	m.Value.SetMasked(dst.Field, v.And(subOnes(dst.NBits)).Shl(uint(dst.Ofs)), mask)
}

// learnPort is the output port a learned output: spec gives (OVS's
// learn_execute: only ports below OFPP_MAX and IN_PORT, FLOOD, LOCAL and
// ALL), ok false for none.
func learnPort(v packet.U128, nbits uint16) (uint32, bool) {
	if nbits > 16 && (v.Hi != 0 || v.Lo>>16 != 0) {
		return 0, false
	}
	p := uint16(v.Lo)
	switch {
	case p < 0xff00:
		return uint32(p), true
	case p == 0xfff8, p == 0xfffb, p == 0xfffc, p == 0xfffe:
		return 0xffff0000 | uint32(p), true
	}
	return 0, false
}

// learnSrc is bits [done, done+n) (n <= 128) of spec s's source value for
// pk.
func learnSrc(s *LearnSpec, pk *packet.Packet, done, n uint16) packet.U128 {
	if !s.Imm {
		return getSub(pk, s.Src, s.Src.Ofs+done, n)
	}
	if s.Wide != nil {
		return bitsBE(s.Wide, uint(done), uint(n))
	}
	return s.Value.Shr(uint(done)).And(subOnes(n))
}

// bitsBE is bits [ofs, ofs+n) (n <= 128) of the big-endian number b.
func bitsBE(b []byte, ofs, n uint) packet.U128 {
	var v packet.U128
	for j := ofs / 8; j <= (ofs+n-1)/8 && int(j) < len(b); j++ {
		x := packet.U128{Lo: uint64(b[len(b)-1-int(j)])}
		if p := 8 * j; p >= ofs {
			v = v.Or(x.Shl(p - ofs))
		} else {
			v = v.Or(x.Shr(ofs - p))
		}
	}
	return v.And(packet.Ones(n))
}

// setBitsBE writes v into bits [ofs, ofs+n) (n <= 128) of the big-endian
// number b.
func setBitsBE(b []byte, ofs, n uint, v packet.U128) {
	v = v.And(packet.Ones(n))
	ones := packet.Ones(n)
	for j := ofs / 8; j <= (ofs+n-1)/8 && int(j) < len(b); j++ {
		var x, m packet.U128
		if p := 8 * j; p >= ofs {
			x, m = v.Shr(p-ofs), ones.Shr(p-ofs)
		} else {
			x, m = v.Shl(ofs-p), ones.Shl(ofs-p)
		}
		i := len(b) - 1 - int(j)
		b[i] = b[i]&^byte(m.Lo) | byte(x.Lo)&byte(m.Lo)
	}
}

// learnLoads adds the learned flow's loads of v into s's destination. OVS's
// learned set_field keeps NXAST_REG_LOAD as its wire form
// (ofpact_put_reg_load), which is written as loads of at most 64 bits each,
// lowest bits first (next_load_segment): so many RegLoads here.
func (w *worker) learnLoads(s *LearnSpec, v packet.U128) {
	for done := uint16(0); done < s.NBits; {
		n := min(s.NBits-done, 64)
		w.lacts = append(w.lacts, learnedAct{kind: 0,
			dst: Subfield{Field: s.Dst.Field, Ofs: s.Dst.Ofs + done, NBits: n},
			v:   v.Shr(uint(done)).And(subOnes(n))})
		done += n
	}
}

// learnTun is the part of learnBuild for a spec with tun_metadata on either
// side (up to 992 bits, 128 at a time): the learned match's Tun (in the
// worker's ltun), a learned set_field (in its lsets), or an output. False
// when the destination is a field held nowhere (a group bucket's learn
// naming a field the TLV map did not map when the group was added): OVS
// learns no flow from such a learn, even once the field is mapped.
func (w *worker) learnTun(s *LearnSpec, pk *packet.Packet) bool {
	if s.Kind != LearnOutput && s.Dst.Tun.Len != 0 && s.Dst.Tun.Slots == 0 {
		return false
	}
	switch s.Kind {
	case LearnMatch:
		if t := s.Dst.Tun; t.Len != 0 {
			if w.lm.Tun == nil {
				w.ltun = packet.TunMatch{}
				w.lm.Tun = &w.ltun
			}
			for done := uint16(0); done < s.NBits; {
				n := min(s.NBits-done, 128)
				w.ltun.SetBits(int(t.Idx), t.Len, t.Slots, uint(s.Dst.Ofs+done), uint(n), learnSrc(s, pk, done, n))
				done += n
			}
			return true
		}
		LearnMatchSet(&w.lm, s.Dst, learnSrc(s, pk, 0, s.NBits))
	case LearnLoad:
		t := s.Dst.Tun
		if t.Len == 0 {
			w.learnLoads(s, learnSrc(s, pk, 0, s.NBits)) // a key field: at most 128 bits
			return true
		}
		// OVS's learned set_field of a variable-length field is one
		// NXAST_REG_LOAD2 (set_field_to_nxast).
		w.lsets = append(w.lsets, SetTun{F: t, Wire: SetTunWireLoad})
		a := &w.lsets[len(w.lsets)-1]
		for done := uint16(0); done < s.NBits; {
			n := min(s.NBits-done, 128)
			ofs := uint(s.Dst.Ofs + done)
			setBitsBE(a.Value[:t.Len], ofs, uint(n), learnSrc(s, pk, done, n))
			setBitsBE(a.Mask[:t.Len], ofs, uint(n), subOnes(n))
			done += n
		}
		w.lacts = append(w.lacts, learnedAct{kind: 3, set: len(w.lsets) - 1})
	case LearnOutput:
		v := learnSrc(s, pk, 0, min(s.NBits, 128))
		for done := uint16(128); done < s.NBits; {
			n := min(s.NBits-done, 128)
			if learnSrc(s, pk, done, n) != (packet.U128{}) {
				return true // wider than a port number: no output, as OVS
			}
			done += n
		}
		if p, ok := learnPort(v, s.NBits); ok {
			w.lacts = append(w.lacts, learnedAct{kind: 1, port: p})
		}
	}
	return true
}

// build fills the worker's scratch with the flow l learns from pk; false
// if l learns none (learnTun).
func (w *worker) learnBuild(l *Learn, pk *packet.Packet) bool {
	w.lm = Match{}
	w.lacts = w.lacts[:0]
	w.lsets = w.lsets[:0]
	if l.FinIdleTimeout != 0 || l.FinHardTimeout != 0 {
		w.lacts = append(w.lacts, learnedAct{kind: 2, idle: l.FinIdleTimeout, hard: l.FinHardTimeout})
	}
	for i := range l.Specs {
		s := &l.Specs[i]
		if s.Wide != nil || s.Src.Tun.Len != 0 || s.Dst.Tun.Len != 0 {
			if !w.learnTun(s, pk) {
				return false
			}
			continue
		}
		var v packet.U128
		if s.Imm {
			v = s.Value.And(subOnes(s.NBits))
		} else {
			v = pk.Key.W.Get(s.Src.Field).Shr(uint(s.Src.Ofs)).And(subOnes(s.NBits))
		}
		switch s.Kind {
		case LearnMatch:
			LearnMatchSet(&w.lm, s.Dst, v)
		case LearnLoad:
			w.learnLoads(s, v)
		case LearnOutput:
			if p, ok := learnPort(v, s.NBits); ok {
				w.lacts = append(w.lacts, learnedAct{kind: 1, port: p})
			}
		}
	}
	return true
}

// learnFlags is the learned flow's flow-mod flags.
func learnFlags(l *Learn) uint16 {
	if l.Flags&LearnSendFlowRem != 0 {
		return FlagSendFlowRem
	}
	return 0
}

// sameLearned reports whether f is the flow the scratch describes, with the
// same attributes (OVS's ofproto_flow_mod_init_for_learn test).
func sameLearned(s *FlowSpec, l *Learn, acts []learnedAct, sets []SetTun) bool {
	if s.IdleTimeout != l.IdleTimeout || s.HardTimeout != l.HardTimeout || s.Importance != 0 ||
		s.Flags&FlagSendFlowRem != learnFlags(l) || (l.Cookie != ^uint64(0) && s.Cookie != l.Cookie) {
		return false
	}
	in := &s.Inst
	if len(in.Write) != 0 || in.HasWrite || in.ClearActions || in.WriteMetadata || in.GotoTable >= 0 ||
		in.Meter != 0 || len(in.Apply) != len(acts) {
		return false
	}
	for i, a := range in.Apply {
		la := &acts[i]
		switch a := a.(type) {
		case RegLoad:
			if la.kind != 0 || a.Dst != la.dst || a.Value != la.v {
				return false
			}
		case Output:
			if la.kind != 1 || a.Port != la.port || a.MaxLen != 0 || a.Enqueue {
				return false
			}
		case FinTimeout:
			if la.kind != 2 || a.IdleTimeout != la.idle || a.HardTimeout != la.hard {
				return false
			}
		case SetTun:
			if la.kind != 3 || a != sets[la.set] {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// learnActions turns the scratch into the learned flow's actions.
func learnActions(acts []learnedAct, sets []SetTun) []Action {
	out := make([]Action, 0, len(acts))
	for _, la := range acts {
		switch la.kind {
		case 0:
			out = append(out, RegLoad{Dst: la.dst, Value: la.v})
		case 1:
			out = append(out, Output{Port: la.port})
		case 2:
			out = append(out, FinTimeout{IdleTimeout: la.idle, HardTimeout: la.hard})
		case 3:
			out = append(out, sets[la.set])
		}
	}
	return out
}

// execLearn runs a learn action on each packet of grp.
func (w *worker) execLearn(grp []*packet.Packet, l *Learn) {
	if w.tr != nil && !w.tr.opts.SideEffects {
		w.traceNote(TraceWarn, "suppressing side effects, so learn action ignored")
		return
	}
	for _, pk := range grp {
		ok, wrote := w.learnOne(l, pk)
		if l.Flags&LearnWriteResult != 0 && wrote {
			dst := l.ResultDst
			if uint(dst.Ofs) >= packet.Fields[dst.Field].Bits {
				continue // OVS does not check the offset; write nothing
			}
			var v packet.U128
			m := subOnes(1).Shl(uint(dst.Ofs))
			if ok {
				v = m
			}
			if packet.Fields[dst.Field].Header {
				pk.SetField(dst.Field, v, m)
			} else {
				pk.Key.W.SetMasked(dst.Field, v, m)
			}
		}
	}
}

// learnOne learns from pk; false if limit= refused it or it was dropped.
// wrote is false when l makes no flow at all (learnTun), where OVS leaves
// write_result's bit alone.
func (w *worker) learnOne(l *Learn, pk *packet.Packet) (ok, wrote bool) {
	if !w.learnBuild(l, pk) {
		return false, false
	}
	ok = w.learnBuilt(l)
	return ok, true
}

// learnBuilt looks up or queues the flow in the scratch.
func (w *worker) learnBuilt(l *Learn) bool {
	if f := w.v.tables[l.Table].find(&w.lm, l.Priority); f != nil && sameLearned(&f.spec, l, w.lacts, w.lsets) {
		f.ctr.refresh(w.now)
		return true
	}
	// Already queued by this batch? The same flow costs nothing more; a
	// different one for the same match and priority replaces it (as
	// applying both in order would).
	for i := range w.lq {
		s := &w.lq[i].spec
		if s.Table == l.Table && s.Priority == l.Priority && s.Match.Same(&w.lm) {
			if !sameLearned(s, l, w.lacts, w.lsets) {
				w.lq[i].spec = w.learnedSpec(l)
			}
			return true
		}
	}
	d := w.d
	q := &d.learn
	tc := tableCookie{l.Table, l.Cookie}
	q.mu.Lock()
	if len(q.q)+len(w.lq) >= MaxPendingLearns {
		q.mu.Unlock()
		w.ctr[cLearnDropped]++
		return false
	}
	if l.Limit != 0 {
		if q.cookies[tc]+q.pending[tc] >= int(l.Limit) {
			q.mu.Unlock()
			w.ctr[cLearnRefused]++
			return false
		}
		if q.pending == nil {
			q.pending = map[tableCookie]int{}
		}
		q.pending[tc]++
	}
	q.mu.Unlock()
	w.lq = append(w.lq, pendingLearn{spec: w.learnedSpec(l), limited: l.Limit != 0, now: w.now})
	return true
}

// learnedSpec is the flow the scratch describes.
func (w *worker) learnedSpec(l *Learn) FlowSpec {
	m := w.lm
	if m.Tun != nil {
		t := new(packet.TunMatch)
		*t = *m.Tun
		m.Tun = t
	}
	return FlowSpec{Table: l.Table, Priority: l.Priority, Match: m,
		Cookie: l.Cookie, IdleTimeout: l.IdleTimeout, HardTimeout: l.HardTimeout, Flags: learnFlags(l),
		Inst: Instructions{Apply: learnActions(w.lacts, w.lsets), HasApply: len(w.lacts) > 0, GotoTable: -1}}
}

// flushLearns hands the batch's learns to the queue and applies the queue
// if the change mutex is free.
func (w *worker) flushLearns() {
	d := w.d
	if len(w.lq) > 0 {
		d.learn.mu.Lock()
		d.learn.q = append(d.learn.q, w.lq...)
		d.learnWaiting.Store(true)
		d.learn.mu.Unlock()
		clear(w.lq)
		w.lq = w.lq[:0]
	}
	if !d.learnWaiting.Load() || !d.mu.TryLock() {
		return
	}
	c := d.begin(w.now)
	d.drainLearnsLocked(c)
	c.finish()
}

// drainLearnsLocked applies the queued learns to c (d.mu held).
func (d *Datapath) drainLearnsLocked(c *change) {
	d.learn.mu.Lock()
	q := d.learn.q
	d.learn.q = nil
	d.learnWaiting.Store(false)
	d.learn.mu.Unlock()
	for i := range q {
		p := &q[i]
		if p.limited {
			c.unpend = append(c.unpend, tableCookie{p.spec.Table, p.spec.Cookie})
		}
		d.applyLearnLocked(c, p)
	}
}

// applyLearnLocked adds or modifies (same match and priority) the learned
// flow, as OVS's OFPFC_MODIFY_STRICT from learn_execute; the error is why
// it could not be added (a full table).
func (d *Datapath) applyLearnLocked(c *change, p *pendingLearn) error {
	spec := p.spec
	old := c.v.tables[spec.Table].find(&spec.Match, spec.Priority)
	if old != nil && learnedEqual(&old.spec, &spec) {
		old.ctr.refresh(p.now)
		return nil
	}
	d.nextID++
	f := &flow{spec: spec, id: d.nextID, ops: compileInstructions(&spec.Inst, c.v.meters), created: p.now, modified: p.now}
	f.setDerived()
	if old != nil {
		f.id = old.id
		f.created = old.created
		f.ctr = old.ctr
		c.replace(old, f, false)
		c.d.ctrs[cLearned].Add(1)
		return nil
	}
	if err := d.addLocked(c, f); err != nil {
		c.d.ctrs[cLearnFailed].Add(1)
		return err
	}
	c.d.ctrs[cLearned].Add(1)
	return nil
}

// applyOwnLearns applies the worker's own learns at once, waiting for the
// lock: a packet-out's, whose first failure OVS answers to the packet-out
// (a learned flow past a full table: OFPFMFC_TABLE_FULL).
func (w *worker) applyOwnLearns() error {
	d := w.d
	if len(w.lq) == 0 {
		return nil
	}
	d.mu.Lock()
	c := d.begin(w.now)
	var first error
	for i := range w.lq {
		p := &w.lq[i]
		if p.limited {
			c.unpend = append(c.unpend, tableCookie{p.spec.Table, p.spec.Cookie})
		}
		if err := d.applyLearnLocked(c, p); err != nil && first == nil {
			first = err
		}
	}
	clear(w.lq)
	w.lq = w.lq[:0]
	c.finish()
	return first
}

// learnedEqual compares two learned flows' attributes and actions.
func learnedEqual(a, b *FlowSpec) bool {
	if a.IdleTimeout != b.IdleTimeout || a.HardTimeout != b.HardTimeout || a.Importance != b.Importance ||
		a.Flags&FlagSendFlowRem != b.Flags&FlagSendFlowRem || a.Cookie != b.Cookie {
		return false
	}
	if a.Inst.HasWrite || a.Inst.ClearActions || a.Inst.WriteMetadata || a.Inst.GotoTable >= 0 ||
		a.Inst.Meter != 0 || len(a.Inst.Apply) != len(b.Inst.Apply) {
		return false
	}
	for i := range a.Inst.Apply {
		if !actionEqual(a.Inst.Apply[i], b.Inst.Apply[i]) {
			return false
		}
	}
	return true
}

func actionEqual(x, y Action) bool {
	switch x := x.(type) {
	case RegLoad:
		y, ok := y.(RegLoad)
		return ok && x == y
	case Output:
		y, ok := y.(Output)
		return ok && x == y
	case FinTimeout:
		y, ok := y.(FinTimeout)
		return ok && x == y
	case SetTun:
		y, ok := y.(SetTun)
		return ok && x == y
	}
	return false
}

// deleteLearnedOf lists the (table, cookie) of each learn action with
// delete_learned among a flow's actions (OVS's next_learn_with_delete:
// the flow's own action lists, not nested ones).
func deleteLearnedOf(in *Instructions) []tableCookie {
	var out []tableCookie
	for _, l := range [][]Action{in.Apply, in.Write} {
		for _, a := range l {
			if a, ok := a.(Learn); ok && a.Flags&LearnDeleteLearned != 0 {
				out = append(out, tableCookie{a.Table, a.Cookie})
			}
		}
	}
	return out
}

// hasFinTimeout reports whether a flow's actions include fin_timeout (the
// flow is then watched for expiry, as its timeouts may shrink).
func hasFinTimeout(in *Instructions) bool {
	for _, l := range [][]Action{in.Apply, in.Write} {
		for _, a := range l {
			if _, ok := a.(FinTimeout); ok {
				return true
			}
		}
	}
	return false
}

// execFinTimeout is OVS's xlate_fin_timeout: a TCP packet with FIN or RST
// reduces the running flow's timeouts.
func (w *worker) execFinTimeout(grp []*packet.Packet, o *op, f *flow) {
	if f == nil {
		return
	}
	for _, pk := range grp {
		k := &pk.Key.W
		if k.NwProto() == 6 && (k.EthType() == packet.EthTypeIPv4 || k.EthType() == packet.EthTypeIPv6) &&
			k.TCPFlags()&0x05 != 0 { // FIN 0x01, RST 0x04
			f.reduceTimeouts(uint16(o.v.Lo), uint16(o.v.Hi))
			return
		}
	}
}

// reduceTimeouts is OVS's reduce_timeout on both timeouts.
func (f *flow) reduceTimeouts(idle, hard uint16) {
	for {
		old := f.fin.Load()
		ci, ch := f.timeouts()
		ni, nh := reduce(ci, idle), reduce(ch, hard)
		nv := 1<<32 | uint64(ni)<<16 | uint64(nh)
		if nv == old || f.fin.CompareAndSwap(old, nv) {
			return
		}
	}
}

func reduce(cur, max uint16) uint16 {
	if max != 0 && (cur == 0 || cur > max) {
		return max
	}
	return cur
}

// timeouts returns the flow's idle and hard timeouts (as fin_timeout left
// them).
func (f *flow) timeouts() (idle, hard uint16) {
	if v := f.fin.Load(); v != 0 {
		return uint16(v >> 16), uint16(v)
	}
	return f.spec.IdleTimeout, f.spec.HardTimeout
}

// setDerived sets what a flow's spec implies: table-miss, timers,
// conjunction, delete_learned.
func (f *flow) setDerived() {
	s := &f.spec
	f.miss = s.Priority == 0 && s.Match.Mask == packet.Words{}
	f.conj = conjunctionsOf(&s.Inst)
	f.delLearned = deleteLearnedOf(&s.Inst)
	f.timed = s.IdleTimeout != 0 || s.HardTimeout != 0 || hasFinTimeout(&s.Inst)
}

// finishLearnedLocked applies a change's bookkeeping of learn: counts of
// flows by table and cookie (limit=) and of delete_learned references;
// when the last learn action with delete_learned for a table and cookie
// goes, the flows of that table with that cookie go too (OVS's
// learned_cookies_flush), which may drop further references.
func (c *change) finishLearnedLocked() {
	d := c.d
	for len(c.delDelta) > 0 {
		var dead []tableCookie
		for tc, n := range c.delDelta {
			if n == 0 {
				continue
			}
			if d.delRefs == nil {
				d.delRefs = map[tableCookie]int{}
			}
			d.delRefs[tc] += n
			if d.delRefs[tc] <= 0 {
				delete(d.delRefs, tc)
				if n < 0 {
					dead = append(dead, tc)
				}
			}
		}
		clear(c.delDelta)
		for _, tc := range dead {
			var m Match
			for _, f := range collect(c.v, tc.table, &m, false, 0, tc.cookie, ^uint64(0), PortAny, GroupAny) {
				c.remove(f, RemovedDelete)
			}
		}
	}
	d.learn.mu.Lock()
	if len(c.cookieDelta) > 0 && d.learn.cookies == nil {
		d.learn.cookies = map[tableCookie]int{}
	}
	for tc, n := range c.cookieDelta {
		if v := d.learn.cookies[tc] + n; v > 0 {
			d.learn.cookies[tc] = v
		} else {
			delete(d.learn.cookies, tc)
		}
	}
	for _, tc := range c.unpend {
		if v := d.learn.pending[tc] - 1; v > 0 {
			d.learn.pending[tc] = v
		} else {
			delete(d.learn.pending, tc)
		}
	}
	d.learn.mu.Unlock()
}

// track records f's arrival (+1) or departure (-1) for limit= and
// delete_learned.
func (c *change) track(f *flow, n int) {
	if c.cookieDelta == nil {
		c.cookieDelta = map[tableCookie]int{}
	}
	c.cookieDelta[tableCookie{f.spec.Table, f.spec.Cookie}] += n
	for _, tc := range f.delLearned {
		if c.delDelta == nil {
			c.delDelta = map[tableCookie]int{}
		}
		c.delDelta[tc] += n
	}
}
