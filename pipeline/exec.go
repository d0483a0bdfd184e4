package pipeline

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"gswitch/ct"
	"gswitch/packet"
)

// Limits of the executor, as OVS has them.
const (
	MaxResubmitDepth = 64      // nested resubmits to the same or an earlier table (xlate MAX_DEPTH)
	MaxResubmits     = 64 * 64 // resubmits along one packet's way (MAX_RESUBMITS)
	MaxRecircDepth   = 8       // ct(table=N) re-entries
	MaxGroupDepth    = 16      // groups nested in group buckets
	MissSendLen      = 128     // MaxLen of a table-miss packet-in (OFP_DEFAULT_MISS_SEND_LEN)
)

// How a pipeline ends when its continuations run out.
const (
	termEnd    = iota // execute the action set
	termStop          // a group bucket: just stop
	termBucket        // a sticky group's bucket: stop, hand the action set and stack back (bucketEnd)
)

// bucketEnd is where the way of a sticky group's bucket (one packet)
// ended: its action set (aset[asLo:asHi]) and the packet's stack, which
// the group's caller goes on with. w.bends[d] belongs to the bucket at
// group depth d; set: an end was reached (not after a pause or a limit).
type bucketEnd struct {
	set        bool
	asLo, asHi int32
	stack      packet.Stack
}

// xstate is the state of one group of packets on its way through the
// pipeline. It is passed by value: every split (a lookup that sends
// packets to different flows, a select group...) gives each part its copy.
//
// The executor is written in continuation-passing style: when an action
// list ends, the group continues with the enclosing one (frame k), so a
// group that split inside a resubmit finishes everything after it on its
// own. Frames and action-set entries live in per-worker stacks indexed
// from the state; along one path the tops only grow, so what a state
// refers to is never overwritten while it is in use.
type xstate struct {
	fl     *flow
	table  uint8
	term   uint8
	inAS   bool
	depth  uint8  // resubmit nesting
	recirc uint8  // ct(table=N) re-entries
	gdepth uint8  // group nesting
	clone  uint8  // clone nesting (outside any group bucket inside it)
	shared bool   // the packets go on after this way ends (a clone, also across its ct recirculations): no output is their last use
	tl     uint8  // trace nesting: resubmits, goto_table, buckets (trace.go)
	nres   uint16 // resubmits so far
	sec    uint8  // trace section: 0, or the recirculation's (trace.go)
	k      int32  // continuation frame, -1: none
	// root is the first flow of this pass through the pipeline (from
	// table 0, or from a ct recirculation's table): a pause reports its
	// cookie, as OVS reports the rule its translation began with. nil: not
	// looked up yet; &noRoot: none (a packet-out, a resume).
	root *flow
	fTop int32 // first free frame
	asLo int32 // the action set is aset[asLo:asHi]
	asHi int32
}

// frame is a continuation: the rest of an action list.
type frame struct {
	ops   []op
	pc    int
	fl    *flow
	table uint8
	depth uint8
	tl    uint8
	next  int32
}

type statEntry struct {
	f            *flow
	pkts, nbytes uint64
}

// worker is one goroutine's scratch state for Process. Workers are pooled;
// nothing in them survives a batch but their buffers.
type worker struct {
	d      *Datapath
	v      *version
	ports  *portSet
	now    int64
	frames []frame
	aset   [][]op
	free   [][]*packet.Packet
	freeF  [][]*flow
	stats  []statEntry
	tl     [NumTables]struct{ lookups, matched uint64 }
	tdirty [4]uint64
	ctr    [numCounters]uint64
	pi     PacketIn
	ctp    ct.Params
	// inPacketOut is set while a packet-out runs: a table-miss flow's
	// controller action then reports ACTION, not NO_MATCH (OVS's
	// OFPR_PACKET_OUT, which is ACTION on the wire before OpenFlow 1.4).
	inPacketOut bool
	// exited collects the packets that ran exit inside a clone, so that
	// the clone ends their processing too (as OVS's exit does).
	exited []*packet.Packet
	// budget bounds the work of one batch (resubmits, group buckets,
	// recirculations) however the flows branch: MaxResubmits per packet.
	budget int
	emc    *[emcSize]emcEntry // allocated on first use
	// learn scratch: the learned flow being built, and the learns of
	// this batch waiting to be queued.
	lm    Match
	lacts []learnedAct
	// ltun is lm's tun_metadata match when a spec learns one (lm.Tun
	// points here; a new learned flow gets a copy), lsets the learned
	// set_fields to tun_metadata (learnedAct kind 3).
	ltun  packet.TunMatch
	lsets []SetTun
	lq    []pendingLearn
	// msizes and mhits are a meter's scratch for one batch.
	msizes [packet.MaxBatch]uint32
	mhits  [packet.MaxBatch]meterHit
	// live: the liveness of a bundle action's members (nxselect.go)
	live []bool
	// bends: the ends of sticky groups' buckets, by group depth
	bends [MaxGroupDepth + 1]bucketEnd
	// smp is the sample action's event (handed to the Sampler by pointer,
	// kept here so that it does not escape per packet); rng its generator.
	smp    Sampled
	smpAct Sample
	rng    uint64
	// tr is the trace in progress (Datapath.Trace), nil when not tracing.
	tr *traceRun
	// own is the batch ProcessOwned runs (nil otherwise): a packet handed
	// over to the OwningSender (owner) leaves it as nil. ownHint is where
	// the next packet handed over is looked for first; last is set while
	// an output that is its packets' last use runs.
	own     []*packet.Packet
	ownHint int
	owner   OwningSender
	last    bool
}

func newWorker(d *Datapath) *worker {
	w := &worker{d: d, frames: make([]frame, 0, 64), aset: make([][]op, 0, 16), stats: make([]statEntry, 0, 64),
		rng: rand.Uint64() | 1}
	w.owner, _ = d.cfg.Sender.(OwningSender)
	return w
}

var takenFlow flow // marks packets already grouped

var noRoot flow // xstate.root of a pass that began with no flow

func (w *worker) getPkts() []*packet.Packet {
	if n := len(w.free); n > 0 {
		s := w.free[n-1]
		w.free = w.free[:n-1]
		return s[:0]
	}
	return make([]*packet.Packet, 0, packet.MaxBatch)
}

func (w *worker) putPkts(s []*packet.Packet) {
	clear(s[:cap(s)])
	w.free = append(w.free, s[:0])
}

func (w *worker) getFlows() []*flow {
	if n := len(w.freeF); n > 0 {
		s := w.freeF[n-1]
		w.freeF = w.freeF[:n-1]
		return s[:0]
	}
	return make([]*flow, 0, packet.MaxBatch)
}

func (w *worker) putFlows(s []*flow) {
	clear(s[:cap(s)])
	w.freeF = append(w.freeF, s[:0])
}

func (w *worker) begin(now int64) {
	w.v = w.d.cur.Load()
	w.ports = w.d.ports.Load()
	w.now = now
}

// end publishes the batch's counters.
func (w *worker) end() {
	w.flushStats()
	for i, m := range w.tdirty {
		for m != 0 {
			b := m & -m
			m &^= b
			t := i*64 + bits.TrailingZeros64(b)
			if l := w.tl[t].lookups; l != 0 {
				w.d.tstats[t].lookups.Add(l)
			}
			if x := w.tl[t].matched; x != 0 {
				w.d.tstats[t].matched.Add(x)
			}
			w.tl[t].lookups, w.tl[t].matched = 0, 0
		}
		w.tdirty[i] = 0
	}
	for i, n := range w.ctr {
		if n != 0 {
			w.d.ctrs[i].Add(n)
			w.ctr[i] = 0
		}
	}
	w.v, w.ports = nil, nil
	w.pi = PacketIn{}
	// drop references to flows (and their ops) the batch used
	clear(w.frames[:cap(w.frames)])
	w.frames = w.frames[:0]
	clear(w.aset[:cap(w.aset)])
	w.aset = w.aset[:0]
}

func (w *worker) flushStats() {
	for i := range w.stats {
		s := &w.stats[i]
		s.f.ctr.packets.Add(s.pkts)
		s.f.ctr.bytes.Add(s.nbytes)
		s.f.ctr.touch(w.now)
		s.f = nil
	}
	w.stats = w.stats[:0]
}

func (w *worker) count(f *flow, grp []*packet.Packet) {
	var nb uint64
	for _, pk := range grp {
		nb += uint64(len(pk.Data))
	}
	for i := len(w.stats) - 1; i >= 0; i-- {
		if s := &w.stats[i]; s.f == f {
			s.pkts += uint64(len(grp))
			s.nbytes += nb
			return
		}
	}
	if len(w.stats) == cap(w.stats) {
		w.flushStats()
	}
	w.stats = append(w.stats, statEntry{f: f, pkts: uint64(len(grp)), nbytes: nb})
}

// Process runs a batch through the pipeline, from table 0, on the calling
// goroutine. Each packet must have its frame in Data and its in_port set
// (Key.SetInPort); Process parses it. The packets stay the caller's:
// outputs are copied by the Sender, packet-ins by the PacketInSink.
//
// Process does not allocate in the steady state.
func (d *Datapath) Process(b *packet.Batch) {
	if len(b.Pkts) == 0 {
		return
	}
	w := d.getWorker()
	w.process(b, false)
	d.putWorker(w)
}

// ProcessOwned is Process, except that when the Sender is an OwningSender
// the last output of each packet hands the packet over to it (no copy) and
// sets its slot in b.Pkts to nil: the caller gives that slot a fresh
// buffer. The other packets stay the caller's, as with Process.
func (d *Datapath) ProcessOwned(b *packet.Batch) {
	if len(b.Pkts) == 0 {
		return
	}
	w := d.getWorker()
	w.process(b, true)
	d.putWorker(w)
}

// Loop is a receive loop's own worker: its exact-match cache and scratch
// stay with the loop, warm for its port's traffic, instead of going round
// the pool that Process, PacketOut and the other entry points share. A
// Loop's batches publish their flow and table counters, queue their learns
// and see flow-table changes exactly as Process's do (at the end of each
// batch; each batch runs on the table version current at its start). A
// Loop is used by one goroutine at a time.
type Loop struct{ w *worker }

// NewLoop returns a Loop of d.
func (d *Datapath) NewLoop() *Loop { return &Loop{w: newWorker(d)} }

// Process is Datapath.Process on the loop's own worker.
func (l *Loop) Process(b *packet.Batch) {
	if len(b.Pkts) != 0 {
		l.w.process(b, false)
	}
}

// ProcessOwned is Datapath.ProcessOwned on the loop's own worker.
func (l *Loop) ProcessOwned(b *packet.Batch) {
	if len(b.Pkts) != 0 {
		l.w.process(b, true)
	}
}

// process runs b on w; own: hand packets over at their last output.
func (w *worker) process(b *packet.Batch, own bool) {
	d := w.d
	w.begin(b.Now)
	grp := w.getPkts()
	for _, pk := range b.Pkts {
		if b.Tunnel {
			resetMetadataKeepTunnel(pk)
		} else {
			resetMetadata(pk)
		}
		packet.Parse(pk)
		grp = append(grp, pk)
	}
	w.ctr[cPackets] += uint64(len(grp))
	w.budget = MaxResubmits * len(grp)
	if own && w.owner != nil {
		w.own, w.ownHint = b.Pkts, 0
	}
	w.lookup(grp, 0, xstate{k: -1}, true, nil)
	w.own = nil
	w.putPkts(grp)
	w.end()
	if d.cfg.Sender != nil {
		d.cfg.Sender.Flush()
	}
	w.flushLearns()
}

// lastUse reports whether the output ops[pc] is the last use of the
// packets it outputs: the final op of its list, every list the way
// returns to (resubmit frames) at its end, no action set left to run
// (or this is the action set's output), not in a clone or a group bucket,
// not traced. Only then may the output hand the packets over.
func (w *worker) lastUse(ops []op, pc int, st *xstate) bool {
	if w.own == nil || pc != len(ops)-1 || st.shared || st.clone != 0 || st.gdepth != 0 ||
		st.term != termEnd || w.tr != nil || (!st.inAS && st.asHi != st.asLo) {
		return false
	}
	for k := st.k; k >= 0; k = w.frames[k].next {
		if fr := &w.frames[k]; fr.pc < len(fr.ops) {
			return false
		}
	}
	return true
}

// release takes pk out of the batch being processed (w.own) for handing
// over; false when pk is not one of the batch's packets (a copy made in
// the pipeline, a reassembled fragment).
func (w *worker) release(pk *packet.Packet) bool {
	own := w.own
	i := w.ownHint
	for range own {
		if i >= len(own) {
			i = 0
		}
		if own[i] == pk {
			own[i] = nil
			w.ownHint = i + 1
			return true
		}
		i++
	}
	return false
}

// resetMetadata gives pk the metadata a packet enters the pipeline with
// (OVS: all zero but in_port): recirc_id, metadata, registers, pkt_mark,
// the ct fields and conj_id, whatever a reused buffer carried.
func resetMetadata(pk *packet.Packet) {
	pk.Key.W.ResetMetadata()
	pk.Conn = nil
	pk.Stack.N = 0
	pk.Tun.Present = 0
}

// resetMetadataKeepTunnel is resetMetadata for a packet a tunnel port
// decapsulated: its tunnel words and Geneve options stay.
func resetMetadataKeepTunnel(pk *packet.Packet) {
	w := &pk.Key.W
	tun := *(*[packet.NumWords - packet.WTunID]uint64)(w[packet.WTunID:])
	present := pk.Tun.Present
	resetMetadata(pk)
	act := w[packet.WActset]
	*(*[packet.NumWords - packet.WTunID]uint64)(w[packet.WTunID:]) = tun
	w[packet.WActset] = act
	pk.Tun.Present = present
}

// PacketOut runs acts on frame as OFPT_PACKET_OUT does, with in_port
// inPort (PortController or PortAny for "none"); output:TABLE in acts runs
// the packet through the pipeline from table 0. The actions are validated
// as a flow's apply-actions matching this packet would be.
func (d *Datapath) PacketOut(inPort uint32, acts []Action, frame []byte, now int64) error {
	if inPort >= PortMax && inPort != PortController && inPort != PortLocal && inPort != PortAny {
		return Errorf(OFPBRC_BAD_PORT, "packet-out: invalid in_port %#x", inPort)
	}
	pk := packet.New(frame)
	pk.Key.SetInPort(inPort)
	packet.Parse(pk)
	m := Match{Value: pk.Key.W}
	for i := range m.Mask {
		m.Mask[i] = ^uint64(0)
	}
	v := d.cur.Load()
	ck := newChecker(v, &m, NoTable, false)
	acts = append([]Action(nil), acts...)
	if err := ck.actions(acts, false); err != nil {
		return err
	}
	ops := compileActions(acts, v.meters)

	w := d.getWorker()
	w.begin(now)
	grp := append(w.getPkts(), pk)
	w.ctr[cPacketOut]++
	w.budget = MaxResubmits
	w.inPacketOut = true
	w.run(grp, ops, 0, xstate{k: -1, table: NoTable, root: &noRoot})
	w.inPacketOut = false
	w.putPkts(grp)
	w.end()
	if d.cfg.Sender != nil {
		d.cfg.Sender.Flush()
	}
	err := w.applyOwnLearns()
	w.flushLearns()
	d.putWorker(w)
	return err
}

// lookup classifies grp in table tid and runs each part on its flow.
// honor: a miss may go to the controller (goto_table, table 0, ct
// recirculation); resubmit lookups never do. o is the resubmit op when the
// lookup key is not the packet's own (resubmit with in_port or ct).
func (w *worker) lookup(grp []*packet.Packet, tid uint8, st xstate, honor bool, o *op) {
	cls := w.v.tables[tid]
	fs := w.getFlows()
	for _, pk := range grp {
		if o != nil && (o.port != PortInPort || o.ct) {
			fs = append(fs, w.lookupSpecial(cls, pk, o))
		} else {
			fs = append(fs, w.emcLookup(cls, tid, &pk.Key.W, &pk.Tun))
		}
	}
	w.tl[tid].lookups += uint64(len(grp))
	w.tdirty[tid/64] |= 1 << (tid % 64)
	same := true
	for _, f := range fs[1:] {
		if f != fs[0] {
			same = false
			break
		}
	}
	if same {
		w.runFlow(grp, fs[0], tid, st, honor)
		w.putFlows(fs)
		return
	}
	for i := range grp {
		f := fs[i]
		if f == &takenFlow {
			continue
		}
		sub := w.getPkts()
		for j := i; j < len(grp); j++ {
			if fs[j] == f {
				sub = append(sub, grp[j])
				fs[j] = &takenFlow
			}
		}
		w.runFlow(sub, f, tid, st, honor)
		w.putPkts(sub)
	}
	w.putFlows(fs)
}

// lookupSpecial looks pk up with resubmit's in_port or with the ct
// original-direction tuple in place of the packet's.
func (w *worker) lookupSpecial(cls *classifier, pk *packet.Packet, o *op) *flow {
	k := pk.Key.W
	if o.port != PortInPort {
		k.SetInPort(o.port)
	}
	if o.ct {
		st := k.CtState()
		if st&packet.CsTrk == 0 || st&packet.CsInv != 0 {
			w.ctr[cResubmitCtInvalid]++
			return nil
		}
		k.UseCtTuple()
	}
	return cls.lookupT(&k, &pk.Tun)
}

func (w *worker) runFlow(grp []*packet.Packet, f *flow, tid uint8, st xstate, honor bool) {
	if st.root == nil {
		st.root = f
		if f == nil {
			st.root = &noRoot
		}
	}
	if w.tr != nil {
		w.traceTable(f, tid, &st, honor)
	}
	if f == nil {
		w.ctr[cTableMiss] += uint64(len(grp))
		if honor && w.d.missToController.Load() {
			st.table = tid
			st.fl = nil
			for _, pk := range grp {
				w.packetIn(pk, ReasonNoMatch, MissSendLen, 0, nil, &st)
			}
		}
		w.cont(grp, st) // a miss is a flow with no actions
		return
	}
	w.tl[tid].matched += uint64(len(grp))
	w.count(f, grp)
	st.fl, st.table = f, tid
	w.run(grp, f.ops, 0, st)
}

// run executes ops[pc:] on grp, then what st says comes after.
func (w *worker) run(grp []*packet.Packet, ops []op, pc int, st xstate) {
	for ; pc < len(ops); pc++ {
		if len(grp) == 0 {
			return
		}
		o := &ops[pc]
		if w.tr != nil {
			w.traceOp(o, &st, grp[0])
		}
		switch o.kind {
		case opOutput:
			if w.own != nil && o.port != PortNormal && o.port != PortFlood && o.port != PortAll && w.lastUse(ops, pc, &st) {
				w.last = true
				w.output(grp, o.port, o.maxLen, &st)
				w.last = false
				continue
			}
			w.output(grp, o.port, o.maxLen, &st)
		case opOutputReg:
			for _, pk := range grp {
				p := getSub(pk, o.src, o.src.Ofs, o.src.NBits).Lo
				w.outputOne(pk, uint32(p), o.maxLen, &st)
			}
		case opMeter:
			grp = w.meter(grp, o.mtr)
		case opController:
			if o.ctl.Pause {
				w.pause(grp, o, ops, pc, &st)
				return
			}
			if o.mtr != nil {
				w.meteredPacketIn(grp, o, &st)
				continue
			}
			for _, pk := range grp {
				w.packetIn(pk, o.ctl.Reason, o.ctl.MaxLen, o.ctl.ControllerID, o.ctl.UserData, &st)
			}
		case opGroup:
			g := w.v.groups[o.port]
			if g == nil {
				w.ctr[cGroupMissing] += uint64(len(grp))
				if w.tr != nil {
					w.traceNote(TraceWarn, "output to nonexistent group "+itoa(int(o.port)))
				}
				continue
			}
			if g.sticky && len(grp) > 1 {
				// Each packet's action set and stack may come out of the
				// buckets differently: one at a time, each on with its own.
				for _, pk := range grp {
					one := append(w.getPkts(), pk)
					pst := st
					w.group(one, g, &pst)
					w.run(one, ops, pc+1, pst)
					w.putPkts(one)
				}
				return
			}
			w.group(grp, g, &st)
		case opResubmit:
			w.budget--
			if st.depth >= MaxResubmitDepth || st.nres >= MaxResubmits || w.budget < 0 {
				w.ctr[cResubmitLimit] += uint64(len(grp))
				if w.tr != nil {
					w.traceLimit(&st)
				}
				return
			}
			tid := o.table
			if tid == NoTable {
				tid = st.table
				if tid == NoTable {
					tid = 0
				}
			}
			k := w.push(&st, frame{ops: ops, pc: pc + 1, fl: st.fl, table: st.table, depth: st.depth, tl: st.tl, next: st.k})
			nst := st
			nst.k = k
			// Only a resubmit to the same or an earlier table nests, as
			// OVS 3.1's xlate_table_action (table_id <= old_table_id):
			// OVN's pipelines resubmit forward through over 64 tables.
			if cur := st.table; cur == NoTable || tid <= cur {
				nst.depth++
			}
			nst.nres++
			nst.tl++
			w.lookup(grp, tid, nst, o.honor, o)
			return
		case opGoto:
			st.tl++
			w.lookup(grp, o.table, st, true, nil)
			return
		case opCT:
			w.conntrack(grp, o, ops, pc, st)
			return
		case opExit:
			w.exit(grp, st)
			return
		case opClone:
			if grp = w.clone(grp, o, st); len(grp) == 0 {
				return
			}
		case opClearActions:
			st.asLo = st.asHi
			setActsetOutput(grp, packet.ActsetOutputUnset)
		case opUnroll:
			st.table, st.fl, st.root = o.table, o.fl, o.fl
		case opDecTTL, opDecMPLSTTL, opDecNSHTTL:
			// As OVS's compose_dec_ttl: a packet whose TTL ran out goes to
			// the controllers listed and stops the current action list
			// (enclosing lists and the action set still run).
			var expired []*packet.Packet
			grp, expired = w.decTTL(grp, o, &st)
			if expired != nil {
				w.cont(expired, st)
				w.putPkts(expired)
			}
		case opWriteActions:
			if int(st.asHi) == len(w.aset) {
				w.aset = append(w.aset, nil)
			}
			w.aset[st.asHi] = o.list
			st.asHi++
			setActsetOutput(grp, w.actsetOutput(st))
			if w.tr != nil {
				w.traceAfter(o, &st)
			}
		default:
			grp = w.simple(grp, o, &st)
			if w.tr != nil {
				w.traceAfter(o, &st)
			}
		}
	}
	if len(grp) != 0 {
		w.cont(grp, st)
	}
}

// push stores fr as the next frame of st and returns its index.
func (w *worker) push(st *xstate, fr frame) int32 {
	k := st.fTop
	if int(k) == len(w.frames) {
		w.frames = append(w.frames, fr)
	} else {
		w.frames[k] = fr
	}
	st.fTop++
	return k
}

// cont continues grp after the end of an action list.
func (w *worker) cont(grp []*packet.Packet, st xstate) {
	if st.k < 0 {
		w.finish(grp, st)
		return
	}
	fr := &w.frames[st.k]
	ops, pc := fr.ops, fr.pc
	st.k, st.fl, st.table, st.depth, st.tl = fr.next, fr.fl, fr.table, fr.depth, fr.tl
	w.run(grp, ops, pc, st)
}

// exit runs the exit action on grp: processing ends, and the action set
// does not run (OVS 3.1's ctx->exit also stops the action set's
// translation, whatever ovs-actions(7) says: ofproto/trace of
// write_actions(output:2) then output:3,exit gives "Datapath actions: 3",
// tests/golden/cloneaset); inside a clone, the clone's caller ends it for
// the originals too.
func (w *worker) exit(grp []*packet.Packet, st xstate) {
	if st.clone > 0 {
		w.exited = append(w.exited, grp...)
	} else if st.term == termBucket {
		w.endBucket(grp, st) // OVS: the caller goes on after the group
	}
}

// endBucket records where the way of a sticky group's bucket ended (grp is
// its one packet): the group's caller goes on with this action set and
// stack (bucket).
func (w *worker) endBucket(grp []*packet.Packet, st xstate) {
	if len(grp) == 0 {
		return
	}
	e := &w.bends[st.gdepth]
	e.set, e.asLo, e.asHi = true, st.asLo, st.asHi
	e.stack = grp[0].Stack
}

// finish ends the pipeline for grp: the action set, if any, runs.
func (w *worker) finish(grp []*packet.Packet, st xstate) {
	if st.term == termBucket {
		w.endBucket(grp, st)
		return
	}
	if st.term == termStop || st.inAS || st.asHi == st.asLo || len(grp) == 0 {
		return
	}
	w.actionSet(grp, st)
}

// actsetOutput is actset_output for the action set of st, as OVS's
// xlate_write_actions__ keeps it: the port of the last output written, but
// ActsetOutputUnset when there is none or when a group was written too
// (the group would win).
func (w *worker) actsetOutput(st xstate) uint32 {
	p := uint32(packet.ActsetOutputUnset)
	for i := st.asLo; i < st.asHi; i++ {
		for j := range w.aset[i] {
			switch o := &w.aset[i][j]; o.kind {
			case opOutput:
				p = o.port
			case opGroup:
				return packet.ActsetOutputUnset
			}
		}
	}
	return p
}

// setActsetOutput sets actset_output in the keys of grp, for later lookups.
func setActsetOutput(grp []*packet.Packet, p uint32) {
	for _, pk := range grp {
		pk.Key.W.SetActsetOutput(p)
	}
}

// Action-set classes of the final action (OVS's ACTION_SET_FINAL_PRIORITY:
// only the highest present runs).
func finalClass(k opKind) int {
	switch k {
	case opCT:
		return 0
	case opCTClear:
		return 1
	case opResubmit:
		return 2
	case opOutput:
		return 3
	case opGroup:
		return 4
	}
	return -1
}

// Action-set slots (OVS's ACTION_SET_ORDER): at most one action of each
// runs, the last written, in this order.
const (
	slotPopVLAN = iota
	slotPopMPLS
	slotPushMPLS
	slotPushVLAN
	slotDecTTL
	slotDecMPLSTTL
	slotDecNSHTTL
	numSlots
)

// actionSetSlot is the slot of an op of kind k, or -1.
func actionSetSlot(k opKind) int {
	switch k {
	case opPopVLAN:
		return slotPopVLAN
	case opPopMPLS:
		return slotPopMPLS
	case opPushMPLS:
		return slotPushMPLS
	case opPushVLAN:
		return slotPushVLAN
	case opDecTTL:
		return slotDecTTL
	case opDecMPLSTTL:
		return slotDecMPLSTTL
	case opDecNSHTTL:
		return slotDecNSHTTL
	}
	return -1
}

// actionSetSets reports whether an op of kind k is of the set-field family
// (OVS's ACTION_SLOT_SET_OR_MOVE: all of them run, in the order written).
func actionSetSets(k opKind) bool {
	switch k {
	case opSet, opMove, opSetTTL, opSetQueue, opSetTun, opInPort16:
		return true
	}
	return false
}

// asActionSet is ops executed as an action set, as OVS 3.1 runs a group
// bucket (xlate_group_bucket's ofpacts_execute_action_set): the slots in
// their order, the set-field family in the order written, then the one
// final action; anything else (controller and its pause, learn, clone,
// note, stack push/pop, multipath, exit ...) does not run, and nothing at
// all runs without a final action. Built once, when the group is added.
func asActionSet(ops []op) []op {
	var slots [numSlots]*op
	var final *op
	fc := -1
	for i := range ops {
		o := &ops[i]
		if s := actionSetSlot(o.kind); s >= 0 {
			slots[s] = o
		} else if c := opFinalClass(o); c >= 0 && c >= fc {
			final, fc = o, c
		}
	}
	if final == nil {
		return nil
	}
	out := make([]op, 0, len(ops))
	for _, o := range slots {
		if o != nil {
			out = append(out, *o)
		}
	}
	for i := range ops {
		if actionSetSets(ops[i].kind) {
			out = append(out, ops[i])
		}
	}
	return append(out, *final)
}

// opFinalClass is finalClass of o; output:TABLE (compiled as a resubmit)
// is an output.
func opFinalClass(o *op) int {
	if o.kind == opResubmit && o.act != nil {
		if _, ok := (*o.act).(Output); ok {
			return finalClass(opOutput)
		}
	}
	return finalClass(o.kind)
}

// actionSet executes the action set in OVS's order (ACTION_SET_ORDER): pop
// VLAN, pop MPLS, push MPLS, push VLAN, dec TTL, dec MPLS TTL, the set-field family (in the order written), then the one
// final action (group wins over output). With no final action nothing runs.
func (w *worker) actionSet(grp []*packet.Packet, st xstate) {
	if w.tr != nil {
		st.tl = 1 // in the list of the pass's first table, as OVS's
		w.tr.t.ActionSet(int(st.sec), int(st.tl))
	}
	var slots [numSlots]*op
	var final *op
	fc := -1
	for i := st.asLo; i < st.asHi; i++ {
		l := w.aset[i]
		for j := range l {
			o := &l[j]
			if s := actionSetSlot(o.kind); s >= 0 {
				slots[s] = o
			} else if c := opFinalClass(o); c >= 0 && c >= fc {
				final, fc = o, c
			}
		}
	}
	if final == nil {
		return
	}
	lo, hi := st.asLo, st.asHi
	st.inAS = true
	st.asLo = st.asHi
	st.k = -1
	for _, o := range slots {
		if o != nil {
			grp = w.simple(grp, o, &st)
		}
	}
	for i := lo; i < hi && len(grp) != 0; i++ {
		l := w.aset[i]
		for j := range l {
			if actionSetSets(l[j].kind) {
				grp = w.simple(grp, &l[j], &st)
			}
		}
	}
	if len(grp) == 0 {
		return
	}
	w.run(grp, unsafe.Slice(final, 1), 0, st)
}
