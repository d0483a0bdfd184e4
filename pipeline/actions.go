package pipeline

import (
	"slices"

	"gswitch/ct"
	"gswitch/packet"
)

// simple runs an action that acts on each packet alone and returns the
// packets that go on (dec_ttl drops those whose TTL ran out).
func (w *worker) simple(grp []*packet.Packet, o *op, st *xstate) []*packet.Packet {
	switch o.kind {
	case opSet:
		if o.hdr {
			for _, pk := range grp {
				pk.SetField(o.f, o.v, o.m)
			}
		} else {
			for _, pk := range grp {
				pk.Key.W.SetMasked(o.f, o.v, o.m)
			}
		}
	case opSetTun:
		t := o.tun
		n := int(t.F.Len)
		for _, pk := range grp {
			pk.Tun.SetBytes(int(t.F.Idx), t.F.Slots, t.Value[:n], t.Mask[:n])
		}
	case opMove:
		if o.src.Tun.Len != 0 || o.dst.Tun.Len != 0 {
			for _, pk := range grp {
				moveTun(pk, o.src, o.dst)
			}
			break
		}
		m := subOnes(o.dst.NBits).Shl(uint(o.dst.Ofs))
		for _, pk := range grp {
			v := pk.Key.W.Get(o.src.Field).Shr(uint(o.src.Ofs)).And(subOnes(o.src.NBits)).Shl(uint(o.dst.Ofs))
			if o.hdr {
				pk.SetField(o.dst.Field, v, m)
			} else {
				pk.Key.W.SetMasked(o.dst.Field, v, m)
			}
		}
	case opStackPush:
		n := 0
		for _, pk := range grp {
			s := &pk.Stack
			if s.N >= packet.StackDepth {
				// OVS's "Stack too deep": processing of the packet ends.
				w.ctr[cStackTooDeep]++
				continue
			}
			s.V[s.N] = getSub(pk, o.src, o.src.Ofs, o.src.NBits)
			s.B[s.N] = uint8((o.src.NBits + 7) / 8)
			s.N++
			grp[n] = pk
			n++
		}
		clear(grp[n:])
		grp = grp[:n]
	case opStackPop:
		m := subOnes(o.dst.NBits).Shl(uint(o.dst.Ofs))
		for _, pk := range grp {
			s := &pk.Stack
			if s.N == 0 {
				w.ctr[cStackUnderflow]++ // OVS logs and goes on
				continue
			}
			s.N--
			if o.dst.Tun.Len != 0 {
				t := o.dst.Tun
				pk.Tun.SetBits(int(t.Idx), t.Slots, uint(o.dst.Ofs), uint(o.dst.NBits), s.V[s.N])
				continue
			}
			v := s.V[s.N].Shl(uint(o.dst.Ofs)).And(m)
			if o.hdr {
				pk.SetField(o.dst.Field, v, m)
			} else {
				pk.Key.W.SetMasked(o.dst.Field, v, m)
			}
		}
	case opLearn:
		w.execLearn(grp, o.learn)
	case opSample:
		w.smpAct = (*o.act).(Sample)
		w.sample(grp, &w.smpAct, st)
	case opFinTimeout:
		w.execFinTimeout(grp, o, st.fl)
	case opCheckPktLarger:
		// The frame's length as the userspace datapath sees it (VLAN
		// tags are in the frame there).
		m := subOnes(1).Shl(uint(o.dst.Ofs))
		for _, pk := range grp {
			var v packet.U128
			if uint32(len(pk.Data)) > o.port {
				v = m
			}
			if o.hdr {
				pk.SetField(o.dst.Field, v, m)
			} else {
				pk.Key.W.SetMasked(o.dst.Field, v, m)
			}
		}
	case opSetTTL:
		for _, pk := range grp {
			pk.SetTTL(uint8(o.v.Lo))
		}
	case opPushMPLS, opPopMPLS:
		// A push onto three labels, or a pop of a stack whose bottom is
		// not among its first three, drops the packet, as OVS. A pop to
		// a non-MPLS type parses the packet again (OVS recirculates).
		n := 0
		for _, pk := range grp {
			var ok bool
			if o.kind == opPushMPLS {
				ok = pk.PushMPLS(uint16(o.port))
			} else {
				ok = pk.PopMPLS(uint16(o.port))
			}
			if !ok {
				w.ctr[cMPLSTooManyLabels]++
				continue
			}
			grp[n] = pk
			n++
		}
		clear(grp[n:])
		grp = grp[:n]
	case opDecTTL, opDecMPLSTTL, opDecNSHTTL:
		// in the action set: an expired packet ends there
		var expired []*packet.Packet
		grp, expired = w.decTTL(grp, o, st)
		if expired != nil {
			w.putPkts(expired)
		}
	case opPushVLAN:
		for _, pk := range grp {
			if !pk.PushVLAN(uint16(o.v.Lo), 0) {
				w.ctr[cPushVLANFailed]++
			}
		}
	case opPopVLAN:
		for _, pk := range grp {
			pk.PopVLAN()
		}
	case opWriteMetadata:
		for _, pk := range grp {
			pk.Key.W.SetMetadata(pk.Key.W.Metadata()&^o.m.Lo | o.v.Lo)
		}
	case opCTClear:
		for _, pk := range grp {
			pk.Key.ClearCt()
			pk.Conn = nil
		}
	case opMultipath:
		w.multipath(grp, o)
	case opBundle:
		w.bundle(grp, o, st)
	case opSetQueue:
		// gswitch has no queues: set_queue is accepted and has no effect.
	case opInPort16:
		for _, pk := range grp {
			p := pk.Key.InPort() & 0xffff
			if p >= 0xff00 {
				p |= 0xffff0000 // OVS's reserved 16-bit ports are OpenFlow 1.1's 0xffffff00...
			}
			pk.Key.SetInPort(p)
		}
	}
	return grp
}

// decTTL decrements the TTL (o is opDecTTL) or the MPLS TTL (opDecMPLSTTL)
// of grp's packets and splits off those whose TTL was 0 or 1 (expired is nil
// when there are none), sending each to the controllers the action lists;
// dec_mpls_ttl (dec_nsh_ttl) also splits off packets that are not MPLS
// (NSH), without a packet-in, as OVS's compose_dec_mpls_ttl_action
// (compose_dec_nsh_ttl_action) stops the list for them.
func (w *worker) decTTL(grp []*packet.Packet, o *op, st *xstate) (ok, expired []*packet.Packet) {
	n := 0
	for _, pk := range grp {
		invalid := true
		if o.kind == opDecMPLSTTL {
			if pk.DecMPLSTTL() {
				grp[n] = pk
				n++
				continue
			}
			// Not MPLS: the list ends too, without a packet-in.
			invalid = packet.IsMPLS(pk.Key.W.EthType())
		} else if o.kind == opDecNSHTTL {
			if pk.DecNSHTTL() {
				grp[n] = pk
				n++
				continue
			}
			// Not NSH: likewise.
			invalid = pk.Key.W.EthType() == packet.EthTypeNSH
		} else if pk.DecTTL() {
			grp[n] = pk
			n++
			continue
		}
		if invalid {
			w.ctr[cInvalidTTL]++
			for _, id := range o.ttl.ControllerIDs {
				w.packetIn(pk, ReasonInvalidTTL, 0xffff, id, nil, st)
			}
		}
		if expired == nil {
			expired = w.getPkts()
		}
		expired = append(expired, pk)
	}
	clear(grp[n:])
	return grp[:n], expired
}

// output sends every packet of grp to port.
func (w *worker) output(grp []*packet.Packet, port uint32, maxLen uint16, st *xstate) {
	switch port {
	case PortNormal:
		for _, pk := range grp {
			w.normal(pk)
		}
	case PortFlood, PortAll:
		for _, pk := range grp {
			w.flood(pk, port == PortAll)
		}
	default:
		for _, pk := range grp {
			w.outputOne(pk, port, maxLen, st)
		}
	}
}

func (w *worker) outputOne(pk *packet.Packet, port uint32, maxLen uint16, st *xstate) {
	switch port {
	case PortInPort:
		in := pk.Key.InPort()
		switch {
		case in < PortMax:
			w.send(in, pk)
		case in == PortLocal && w.ports != nil && w.ports.hasLocal:
			w.send(in, pk)
		default: // a packet-out from the controller, or no in_port
			w.ctr[cOutputBadPort]++
			w.traceNote(TraceWarn, "Nonexistent output port")
		}
	case PortController:
		reason := uint8(ReasonAction)
		switch {
		case w.fromPacketOut(st):
			reason = ReasonPacketOut
		case st.gdepth > 0:
			reason = ReasonGroup
		case st.inAS:
			reason = ReasonActionSet
		}
		w.packetIn(pk, reason, maxLen, 0, nil, st)
	case PortNormal:
		w.normal(pk)
	case PortFlood, PortAll:
		w.flood(pk, port == PortAll)
	case PortLocal:
		if w.ports == nil || !w.ports.hasLocal {
			w.ctr[cNoLocalPort]++
			return
		}
		w.send(PortLocal, pk)
	case PortTable, PortAny:
		w.ctr[cOutputBadPort]++
	default:
		if port == pk.Key.InPort() {
			w.ctr[cOutputInPort]++ // output to in_port must be explicit
			w.traceNote(TraceWarn, "skipping output to input port")
			return
		}
		if w.ports != nil {
			if _, ok := w.ports.lookup(port); !ok {
				w.ctr[cOutputNoPort]++
				w.traceNote(TraceWarn, "Nonexistent output port")
				return
			}
		}
		w.send(port, pk)
	}
}

func (w *worker) send(port uint32, pk *packet.Packet) {
	if w.tr != nil {
		w.tr.t.Datapath(w.tr.sec, TraceDP{Kind: TraceDPOutput, Port: port})
		return
	}
	if s := w.d.cfg.Sender; s != nil {
		if w.last && w.release(pk) {
			w.owner.OutputOwned(port, pk)
			w.ctr[cOutputsOwned]++
		} else {
			s.Output(port, pk)
		}
		w.ctr[cOutputs]++
		return
	}
	w.ctr[cNoSender]++
}

// flood sends pk to every port but its in_port (FLOOD: and those marked
// NoFlood).
func (w *worker) flood(pk *packet.Packet, all bool) {
	if w.ports == nil {
		w.ctr[cOutputNoPort]++
		return
	}
	in := pk.Key.InPort()
	for i := range w.ports.list {
		p := &w.ports.list[i]
		if p.No == in || (!all && p.NoFlood) {
			continue
		}
		w.send(p.No, pk)
	}
}

// fromPacketOut reports whether a packet-in now is one of a packet-out's
// (OVS's OFPR_PACKET_OUT): a packet-out is running and its packet has not
// been recirculated by ct(table=N), after which OVS translates it as any
// other packet (OFPR_ACTION, and NO_MATCH for a table-miss flow).
func (w *worker) fromPacketOut(st *xstate) bool {
	return w.inPacketOut && st.recirc == 0
}

// packetIn hands pk to the controllers.
func (w *worker) packetIn(pk *packet.Packet, reason uint8, maxLen uint16, id uint16, userData []byte, st *xstate) {
	cookie := ^uint64(0)
	miss := false
	if st.fl != nil {
		cookie = st.fl.spec.Cookie
		if reason == ReasonAction && st.fl.miss && !w.fromPacketOut(st) {
			reason, miss = ReasonNoMatch, true
		}
	}
	table := st.table
	if table == NoTable {
		table = 0 // a packet-out's own actions: OVS's translation starts at table 0
	}
	w.emitPacketIn(pk, reason, table, cookie, maxLen, id, userData, miss)
}

// emitPacketIn hands pk to the controllers with the given packet-in fields
// (and w.pi.Cont, set by the caller for a paused packet).
func (w *worker) emitPacketIn(pk *packet.Packet, reason, table uint8, cookie uint64, maxLen uint16, id uint16, userData []byte, miss bool) {
	if w.tr != nil {
		w.tr.t.Datapath(w.tr.sec, TraceDP{Kind: TraceDPPacketIn, Reason: reason, Table: table, Cookie: cookie,
			MaxLen: maxLen, ControllerID: id, Pause: w.pi.Cont != nil})
		return
	}
	sink := w.d.cfg.PacketIn
	if sink == nil {
		w.ctr[cNoPacketInSink]++
		return
	}
	pi := &w.pi
	pi.Reason, pi.TableID, pi.MaxLen, pi.ControllerID, pi.UserData = reason, table, maxLen, id, userData
	pi.Cookie = cookie
	pi.TableMiss = miss
	pi.Key = pk.Key
	pi.Data = pk.Data
	pi.Off = pk.Off
	sink.PacketIn(pi)
	pi.Data, pi.UserData = nil, nil
	w.ctr[cPacketIn]++
}

// conntrack runs a ct action on grp, then (with table=N) the tracked
// copies from table N, then the originals on with the rest of ops with
// their ct fields cleared, as ovs-actions(7) describes the fork.
func (w *worker) conntrack(grp []*packet.Packet, o *op, ops []op, pc int, st xstate) {
	if w.tr != nil {
		w.traceCT(grp, o, ops, pc, st)
		return
	}
	if w.d.cfg.Tracker == nil {
		w.ctr[cNoTracker] += uint64(len(grp))
		return
	}
	c := o.cta
	if len(c.moves) > 0 {
		w.ctPerPacket(grp, c, ops, pc, st)
		return
	}
	if c.zoneSrc.Field == packet.FieldInvalid && c.zoneSrc.Tun.Len == 0 {
		w.ctOne(grp, c, &c.params, ops, pc, st)
		return
	}
	zoneOf := func(pk *packet.Packet) uint16 {
		return uint16(getSub(pk, c.zoneSrc, c.zoneSrc.Ofs, c.zoneSrc.NBits).Lo)
	}
	z0 := zoneOf(grp[0])
	same := true
	for _, pk := range grp[1:] {
		if zoneOf(pk) != z0 {
			same = false
			break
		}
	}
	if same {
		w.ctp = c.params
		w.ctp.Zone = z0
		w.ctOne(grp, c, &w.ctp, ops, pc, st)
		return
	}
	rest := append(w.getPkts(), grp...)
	for len(rest) > 0 {
		z := zoneOf(rest[0])
		sub := w.getPkts()
		n := 0
		for _, pk := range rest {
			if zoneOf(pk) == z {
				sub = append(sub, pk)
			} else {
				rest[n] = pk
				n++
			}
		}
		clear(rest[n:])
		rest = rest[:n]
		w.ctp = c.params
		w.ctp.Zone = z
		w.ctOne(sub, c, &w.ctp, ops, pc, st)
		w.putPkts(sub)
	}
	w.putPkts(rest)
}

// ctPerPacket runs a ct action whose parameters depend on each packet
// (exec(move:...) into ct_mark or ct_label): one packet at a time, each with
// its own zone, mark and label.
func (w *worker) ctPerPacket(grp []*packet.Packet, c *ctOp, ops []op, pc int, st xstate) {
	for _, pk := range grp {
		w.ctp = c.params
		if c.zoneSrc.Field != packet.FieldInvalid || c.zoneSrc.Tun.Len != 0 {
			w.ctp.Zone = uint16(getSub(pk, c.zoneSrc, c.zoneSrc.Ofs, c.zoneSrc.NBits).Lo)
		}
		for _, mv := range c.moves {
			v := getSub(pk, mv.Src, mv.Src.Ofs, mv.Src.NBits).Shl(uint(mv.Dst.Ofs))
			m := subOnes(mv.Dst.NBits).Shl(uint(mv.Dst.Ofs))
			if mv.Dst.Field == packet.FieldCtMark {
				w.ctp.Mark = w.ctp.Mark&^uint32(m.Lo) | uint32(v.Lo)
			} else {
				w.ctp.Label = w.ctp.Label.AndNot(m).Or(v)
			}
		}
		one := append(w.getPkts(), pk)
		w.ctOne(one, c, &w.ctp, ops, pc, st)
		w.putPkts(one)
	}
}

func (w *worker) ctOne(grp []*packet.Packet, c *ctOp, p *ct.Params, ops []op, pc int, st xstate) {
	out := w.d.cfg.Tracker.Execute(grp, w.getPkts(), p, w.now)
	w.ctr[cCtExecute] += uint64(len(grp))
	// When nothing follows the ct action (the last action, no enclosing
	// action list, no action set to run), the original's continuation does
	// nothing: the tracked packets themselves re-enter, without copies (as
	// OVS's datapath steals the batch for a final recirculation).
	//
	// The recirculation resumes at table N with the registers, stack and
	// action set of the moment and ends by executing that action set, even
	// from a group bucket (OVS 3.1's compose_recirculate_and_fork freezes
	// ctx->action_set; a bucket's ct(table=N) followed by a write_actions
	// in table N outputs what it wrote, tests/golden/cloneaset). OVS 3.1
	// aborts (an assertion in recirc_alloc_id__) when that action set is
	// not empty; gswitch runs it.
	last := pc+1 == len(ops) && st.k < 0 && (st.asHi == st.asLo || st.inAS || st.term != termEnd)
	w.budget--
	if last && st.term == termBucket {
		w.endBucket(grp, st) // nothing follows the ct in this bucket
	}
	if c.table != NoTable && len(out) > 0 && last {
		if st.recirc >= MaxRecircDepth || w.budget < 0 {
			w.ctr[cRecircLimit] += uint64(len(out))
		} else {
			w.ctr[cRecirculations] += uint64(len(out))
			nst := xstate{term: termEnd, recirc: st.recirc + 1, gdepth: st.gdepth, k: -1, fTop: st.fTop,
				asLo: st.asHi, asHi: st.asHi, shared: st.shared || st.clone != 0}
			w.lookup(out, c.table, nst, true, nil)
		}
		w.putPkts(out)
		return
	}
	if c.table != NoTable && len(out) > 0 {
		if st.recirc >= MaxRecircDepth || w.budget < 0 {
			w.ctr[cRecircLimit] += uint64(len(out))
		} else {
			clones := w.getPkts()
			for _, q := range out {
				cl := w.d.pool.Get()
				cl.CopyFrom(q)
				clones = append(clones, cl)
			}
			w.ctr[cRecirculations] += uint64(len(clones))
			nst := xstate{term: termEnd, recirc: st.recirc + 1, gdepth: st.gdepth, k: -1,
				fTop: st.fTop, asLo: st.asLo, asHi: st.asHi, shared: st.shared || st.clone != 0}
			if st.inAS {
				nst.asLo = nst.asHi
			}
			w.lookup(clones, c.table, nst, true, nil)
			for _, cl := range clones {
				if cl != nil {
					w.d.pool.Put(cl)
				}
			}
			w.putPkts(clones)
		}
	}
	for _, q := range out {
		q.Key.ClearCt()
		q.Conn = nil
	}
	if len(out) > 0 {
		w.run(out, ops, pc+1, st)
	}
	w.putPkts(out)
}

// clone runs a clone's nested actions on grp (on copies when they may
// change the packets) as ovs-actions(7) describes: the frame, metadata, ct
// state, stack and action set seen after the clone are those before it.
// As OVS 3.1's clone_xlate_actions, the nested list starts with a copy of
// the action set and executes that copy when it ends (the copy is the
// range aset[asLo:asHi] of the state, whose writes go above asHi and are
// forgotten with the clone's state: nothing is copied per packet). An exit
// inside it ends the packet's processing, as in OVS: clone returns the
// packets that go on after it (grp, compacted in place).
func (w *worker) clone(grp []*packet.Packet, o *op, st xstate) []*packet.Packet {
	w.budget--
	if w.budget < 0 {
		w.ctr[cResubmitLimit] += uint64(len(grp))
		return grp[:0]
	}
	nst := st
	nst.term, nst.k, nst.inAS = termEnd, -1, false
	nst.clone++
	nst.shared = true
	// A pause in the clone reports the cookie of the flow that runs the
	// clone (OVS finishes the freeze when the clone's actions end, with
	// that rule's cookie current).
	nst.root = st.fl
	if st.fl == nil {
		nst.root = &noRoot
	}
	mark := len(w.exited)
	var copies []*packet.Packet
	if o.hdr {
		copies = w.getPkts()
		for _, pk := range grp {
			c := w.d.pool.Get()
			c.CopyFrom(pk)
			copies = append(copies, c)
		}
		run := append(w.getPkts(), copies...) // run may reorder its slice
		w.run(run, o.list, 0, nst)
		w.putPkts(run)
	} else {
		run := append(w.getPkts(), grp...)
		w.run(run, o.list, 0, nst)
		w.putPkts(run)
	}
	if len(w.exited) > mark {
		// the packets whose copy ran exit end here
		ids := copies
		if ids == nil {
			ids = grp
		}
		gone := w.getPkts()
		n := 0
		for i, pk := range grp {
			if slices.Contains(w.exited[mark:], ids[i]) {
				gone = append(gone, pk)
			} else {
				grp[n] = pk
				n++
			}
		}
		clear(w.exited[mark:])
		w.exited = w.exited[:mark]
		clear(grp[n:])
		grp = grp[:n]
		w.exit(gone, st)
		w.putPkts(gone)
	}
	if copies != nil {
		for _, c := range copies {
			w.d.pool.Put(c)
		}
		w.putPkts(copies)
	}
	return grp
}

// getSub reads bits [ofs, ofs+n) (n <= 128) of sf's field (a key field or
// tun_metadata).
func getSub(pk *packet.Packet, sf Subfield, ofs, n uint16) packet.U128 {
	if t := sf.Tun; t.Len != 0 {
		return pk.Tun.GetBits(int(t.Idx), t.Slots, uint(ofs), uint(n))
	}
	return pk.Key.W.Get(sf.Field).Shr(uint(ofs)).And(subOnes(n))
}

// moveTun is move: with tun_metadata on either side, 128 bits at a time
// (tun_metadata is up to 992 bits wide).
func moveTun(pk *packet.Packet, src, dst Subfield) {
	for done := uint16(0); done < src.NBits; {
		n := min(src.NBits-done, 128)
		v := getSub(pk, src, src.Ofs+done, n)
		if t := dst.Tun; t.Len != 0 {
			pk.Tun.SetBits(int(t.Idx), t.Slots, uint(dst.Ofs+done), uint(n), v)
		} else {
			m := subOnes(n).Shl(uint(dst.Ofs + done))
			v = v.Shl(uint(dst.Ofs + done))
			if packet.Fields[dst.Field].Header {
				pk.SetField(dst.Field, v, m)
			} else {
				pk.Key.W.SetMasked(dst.Field, v, m)
			}
		}
		done += n
	}
}

// sample runs a sample action: each packet is picked with probability
// Probability/65535 as OVS's datapath does (a random 32-bit number at most
// Probability*65537: 65535 picks every packet) and handed to the Sampler.
// The packets go on unchanged.
func (w *worker) sample(grp []*packet.Packet, s *Sample, st *xstate) {
	if w.tr != nil && !w.tr.opts.SideEffects {
		return // a traced flow (no packet) samples nothing
	}
	sm := w.d.cfg.Sampler
	limit := uint32(s.Probability) * 65537
	ev := &w.smp
	ev.Action, ev.Table, ev.Cookie = s, st.table, 0
	if st.fl != nil {
		ev.Cookie = st.fl.spec.Cookie
	}
	for _, pk := range grp {
		if limit != 0xffffffff && w.random32() > limit {
			continue
		}
		if sm == nil {
			w.ctr[cSampleNoCollector]++
			continue
		}
		w.ctr[cSampled]++
		ev.Packet = pk
		sm.Sample(ev)
	}
	ev.Packet = nil
}

// random32 is a xorshift64* generator, one per worker (no lock, no
// allocation); seeded when the worker is made.
func (w *worker) random32() uint32 {
	x := w.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	w.rng = x
	return uint32((x * 0x2545f4914f6cdd1d) >> 32)
}
