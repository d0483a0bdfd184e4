package ct

import (
	"gswitch/ct/alg"
	"gswitch/ct/internal/lockcheck"
	"gswitch/packet"
)

// Other-protocol (UDP and the rest) and ICMP states.
const (
	otherFirst uint8 = iota
	otherMultiple
	otherBidir
)

const (
	icmpFirst uint8 = iota
	icmpReply
)

// The type of Packet.Conn says the cached packet's direction and whether
// it was an ICMP error related to the connection (pointer conversions: no
// allocation).
type (
	replyConn        conn
	relatedConn      conn
	relatedReplyConn conn
)

// cachedConn returns the connection cached in pk by an earlier ct action.
func cachedConn(pk *packet.Packet) (c *conn, reply, related bool) {
	switch x := pk.Conn.(type) {
	case *conn:
		return x, false, false
	case *replyConn:
		return (*conn)(x), true, false
	case *relatedConn:
		return (*conn)(x), false, true
	case *relatedReplyConn:
		return (*conn)(x), true, true
	}
	return nil, false, false
}

// setCached caches c, the connection of generation gen (conn.gen), in pk
// (nil: none).
func setCached(pk *packet.Packet, c *conn, gen uint32, reply, related bool) {
	pk.ConnGen = gen
	switch {
	case c == nil:
		pk.Conn = nil
		return
	case reply && related:
		pk.Conn = (*relatedReplyConn)(c)
	case related:
		pk.Conn = (*relatedConn)(c)
	case reply:
		pk.Conn = (*replyConn)(c)
	default:
		pk.Conn = c
	}
}

// Execute runs one ct action over pkts (all for zone p.Zone), as
// pipeline.Tracker documents: it writes ct_state, ct_zone, ct_mark,
// ct_label and the original-direction tuple into each packet's Key, caches
// the connection in Packet.Conn, and appends the packets that continue to
// out. now is the batch's monotonic time in nanoseconds.
//
// A ct action with an alg= for which no helper is registered (only
// AlgFTP and AlgTFTP are) marks every packet +trk+inv (counted as
// Unsupported); the pipeline refuses such flows at install time.
func (t *Tracker) Execute(pkts []*packet.Packet, out []*packet.Packet, p *Params, now int64) []*packet.Packet {
	t.observeNow(now)
	if p.Alg != AlgNone && helperID(p.Alg, packet.ProtoTCP) == 0 && helperID(p.Alg, packet.ProtoUDP) == 0 {
		for _, pk := range pkts {
			t.cnt.unsupported.Add(1)
			t.writeInvalid(pk, p.Zone)
			out = append(out, pk)
		}
		return out
	}
	for _, pk := range pkts {
		if pk.Key.NwFrag()&packet.FragAny != 0 && pk.Key.Flags&packet.FlagL3 != 0 {
			out = t.executeFrag(pk, out, p, now)
			continue
		}
		t.processPacket(pk, p, now)
		out = append(out, pk)
	}
	return t.expireFrags(out, p.Zone, now)
}

// processPacket is OVS's per-packet conntrack_execute body.
func (t *Tracker) processPacket(pk *packet.Packet, p *Params, now int64) {
	k := &pk.Key
	if k.CtState() == packet.CsInv {
		// Marked invalid before ct (fragment handling): stays invalid.
		t.writeInvalid(pk, p.Zone)
		return
	}
	// ct_zone is the cached connection's zone (the ct action that cached
	// it wrote it): compared first, so that a packet going from zone to
	// zone does not take the connection's lock for nothing.
	if c, reply, related := cachedConn(pk); c != nil && !p.Force && k.CtZone() == p.Zone &&
		t.processCached(pk, c, reply, related, p, now) {
		return
	}
	var ctx lookupCtx
	if !extract(pk, p.Zone, &ctx) {
		t.writeInvalid(pk, p.Zone)
		return
	}
	t.processOne(pk, &ctx, p, now)
}

// cacheValid reports whether the connection cached in a packet by an
// earlier ct action still is this packet's: whether the tuple the packet
// carries now (its Key) is the one under which the connection was found.
// OVS drops its cached connection whenever an action rewrites an address,
// a port or the ICMP type or code (pkt_metadata_init_conn in its packet
// setters), so that the next ct looks the rewritten tuple up afresh (its
// "negative test for recirculation optimization"); ct checks the tuple
// instead, which costs one key compare on the fast path and nothing on
// the rewrites, and catches a rewrite by any action.
//
// The expected tuple is the key of the packet's direction (c.key, or
// c.rkey for a reply); for a packet that an earlier ct(nat) in this zone
// translated, it is the other direction's key reversed (what
// lookupTranslated found it by). An ICMP error related to c carries the
// connection's tuple in the datagram it quotes, which no action rewrites;
// its outer destination is the quoted source (extract checks that), so
// that and its being an ICMP error are what is compared. Fields that no
// OpenFlow action rewrites (the ICMP echo id) are not compared.
func cacheValid(k *packet.Key, c *conn, reply, related bool) bool {
	w := &k.W
	translated := w.CtState()&(packet.CsSNAT|packet.CsDNAT) != 0
	key := &c.key
	if reply != translated {
		key = &c.rkey
	}
	v6 := k.Flags&packet.FlagIPv6 != 0
	if key.v6 != v6 || (!v6 && k.Flags&packet.FlagIPv4 == 0) {
		return false
	}
	if related {
		if !isICMPError(v6, w.NwProto(), uint8(w.TpSrc())) {
			return false
		}
		if translated {
			// Its outer header was translated too: not compared.
			return true
		}
		if v6 {
			return w.IPv6Dst() == be128(key.dst[:])
		}
		return w.IPv4Dst() == be.Uint32(key.dst[:4])
	}
	if w.NwProto() != key.proto {
		return false
	}
	// The packet's source is the key's source, or its destination when
	// the key is reversed.
	src, dst := &key.src, &key.dst
	sport, dport := key.sport, key.dport
	if translated {
		src, dst = dst, src
		sport, dport = dport, sport
	}
	if v6 {
		if w.IPv6Src() != be128(src[:]) || w.IPv6Dst() != be128(dst[:]) {
			return false
		}
	} else if w.IPv4Src() != be.Uint32(src[:4]) || w.IPv4Dst() != be.Uint32(dst[:4]) {
		return false
	}
	switch {
	case key.proto == packet.ProtoTCP || key.proto == packet.ProtoUDP:
		return w.TpSrc() == sport && w.TpDst() == dport
	case key.isICMP():
		typ := key.itype
		if translated {
			typ = reverseICMPType(v6, typ)
		}
		return w.TpSrc() == uint16(typ) && w.TpDst() == 0 // type, code
	}
	return true
}

// isICMPError reports whether an IP packet of protocol proto is an ICMP
// (ICMPv6 with v6) error of a type that extract relates to a connection.
func isICMPError(v6 bool, proto, typ uint8) bool {
	if v6 {
		return proto == packet.ProtoICMPv6 && typ >= icmp6DstUnreach && typ <= icmp6ParamProb
	}
	if proto != packet.ProtoICMP {
		return false
	}
	switch typ {
	case icmp4DstUnreach, icmp4TimeExceeded, icmp4ParamProb, icmp4SourceQuench, icmp4Redirect:
		return true
	}
	return false
}

func be128(b []byte) packet.U128 {
	return packet.U128{Hi: be.Uint64(b[0:]), Lo: be.Uint64(b[8:])}
}

// processCached is OVS's ct cache: a packet that went through this zone
// already, with its connection cached in it, does not run the state
// machine again and keeps its ct_state. It reports false, having done
// nothing, when the cached connection is no longer the packet's: removed
// since (its generation moved on: the slot may hold another connection
// by now; as OVS with a connection that is gone, the packet is looked up
// afresh), of another zone, or not under the tuple the packet carries now
// (cacheValid); and for a control packet of a helper's connection, which
// takes the full path (the helper follows the connection, whatever this
// action's alg=), as OVS's conntrack_execute does. All of it is decided
// and done under c.mu, which a reuse of the slot cannot pass.
func (t *Tracker) processCached(pk *packet.Packet, c *conn, reply, related bool, p *Params, now int64) bool {
	k := &pk.Key
	c.mu.Lock()
	if c.gen != pk.ConnGen || c.key.zone != p.Zone || !cacheValid(k, c, reply, related) ||
		(c.helper != 0 && algCtl(k, p.Alg)) {
		c.mu.Unlock()
		return false
	}
	if p.NAT != nil {
		state := k.CtState()
		t.handleNAT(pk, c, p.Zone, reply, related, &state)
		k.SetCtState(state)
	}
	var ev Event
	subs := t.watching()
	var old watchState
	if subs != nil {
		old = watchLocked(c)
	}
	mark, label := t.markLabelLocked(c, p)
	if subs != nil && watchLocked(c) != old {
		ev = Event{Type: EventUpdate, Conn: t.connLocked(c, now)}
	}
	c.mu.Unlock()
	if ev.Type != 0 {
		t.emit(subs, &ev)
	}
	if p.NAT != nil {
		setCached(pk, nil, 0, false, false)
	}
	k.W.SetCtMark(mark)
	k.W.SetCtZone(p.Zone)
	k.W.SetCtLabel(label.Hi, label.Lo)
	return true
}

// processOne is OVS's process_one for a packet not cached in this zone:
// it finds the packet's connection and runs its state machine, and hands a
// packet without a usable connection to connNotFound (OVS's
// conn_not_found), which creates one on commit. The update of an existing
// connection stays here rather than in a helper of its own, so that an
// established packet (the common case) costs no call beyond the lookup
// and the state machine, and one hold of the connection's lock.
//
// Everything done to or read from a connection (its state, mark, label,
// NAT, helper, tuple) is done in one hold of c.mu that starts by checking
// that c is still the connection the lookup (or insert) found: its
// generation unchanged. A connection removed in between (and its slot
// perhaps reused: a goroutine can be delayed for any time there) is
// treated as not found, as an expired one.
func (t *Tracker) processOne(pk *packet.Packet, ctx *lookupCtx, p *Params, now int64) {
	k := &pk.Key
	state := k.CtState()
	if state != 0 && k.CtZone() != p.Zone {
		state = 0
	}
	var c *conn
	var gen uint32
	// translated: the packet was already translated by an earlier ct(nat)
	// in this zone (its ALG processing and sequence adjustment are done).
	translated := state&(packet.CsSNAT|packet.CsDNAT) != 0
	var tkey connKey // translated: the connection's key of the packet's direction
	if translated {
		c, gen, ctx.reply = t.lookupTranslated(&ctx.key, &tkey, now)
	} else {
		c, gen, ctx.reply = t.lookup(&ctx.key, now)
	}
	if c != nil && testHook != nil {
		testHook(hookLookup)
	}
	if p.Force && ctx.reply && c != nil {
		// The connection runs the other way: end it; with commit a new
		// one starts in this packet's direction.
		t.remove(c, gen, &t.forced, now)
		c = nil
		ctx.reply = false
	}
	// With event subscribers, the connection's state before this packet,
	// for an UPDATE.
	subs := t.watching()
	var old watchState
	existing := false
	var st *algState // the ALG state of a helper or related connection
	if c != nil {
		c.mu.Lock()
		if c.gen != gen {
			c.mu.Unlock()
			c = nil
			ctx.reply = false
		} else {
			if translated {
				ctx.key = tkey
			}
			if subs != nil {
				old, existing = watchLocked(c), true
			}
			if c.helper != 0 || c.related {
				st = t.algs.get(c.idx, gen)
			}
		}
	}
	createNew := false
	if c != nil { // c.mu held
		if ctx.related {
			state |= packet.CsRel
			if ctx.reply {
				state |= packet.CsRpl
			}
		} else if translated && st != nil && st.adj.Active() {
			// Already tracked (and its sequence numbers adjusted) by the
			// earlier ct(nat): keep that pass's state.
		} else {
			if c.related {
				state |= packet.CsRel
			}
			switch t.updateLocked(c, ctx, st, now) {
			case updValid:
				state |= packet.CsEst
				state &^= packet.CsNew
				if ctx.reply {
					state |= packet.CsRpl
				}
			case updInvalid:
				state = packet.CsInv
			case updNew:
				c.mu.Unlock()
				t.remove(c, gen, &t.cnt.expired, now)
				c, st = nil, nil
				createNew = true
			case updValidNew:
				state |= packet.CsNew
			}
		}
		if c != nil && p.NAT != nil {
			t.handleNAT(pk, c, p.Zone, ctx.reply, ctx.related, &state)
		}
	} else if ctx.related {
		// An ICMP error must quote a known connection.
		state = packet.CsInv
	} else {
		createNew = true
	}
	var expP *alg.Expectation // the expectation that announced this connection
	if createNew {
		var exp alg.Expectation
		var haveExp bool
		if c, gen, st, state, haveExp = t.connNotFound(pk, ctx, p, &exp, now); haveExp {
			expP = &exp
		}
		if c != nil {
			if testHook != nil {
				testHook(hookInserted)
			}
			c.mu.Lock()
			if c.gen != gen {
				// Removed as soon as created: the packet keeps its
				// state without a connection, as when it loses an
				// insert race.
				c.mu.Unlock()
				c, st = nil, nil
			}
		}
	}
	if state&packet.CsInv != 0 {
		t.cnt.invalid.Add(1)
		t.zstats.at(p.Zone).invalid.Add(1)
	}
	if c != nil { // c.mu held
		mark, label := t.markLabelLocked(c, p)
		if st != nil && !translated && !ctx.related && state&packet.CsInv == 0 &&
			(c.helper == 0 || algCtl(k, p.Alg)) {
			t.runHelper(pk, c, st, ctx.reply, p.NAT != nil && c.natAct != 0, &state, now)
		}
		// The ct tuple: the connection's original direction, or, as
		// OVS, a related connection's parent's.
		md := &c.key
		if st != nil && st.related {
			md = &st.parent
		}
		writeMD(k, state, p.Zone, mark, label, md)
		var ev Event
		if subs != nil {
			if createNew {
				ev = Event{Type: EventNew, Conn: t.connLocked(c, now)}
			} else if existing && watchLocked(c) != old {
				ev = Event{Type: EventUpdate, Conn: t.connLocked(c, now)}
			}
		}
		c.mu.Unlock()
		if ev.Type != 0 {
			t.emit(subs, &ev)
		}
	} else if expP != nil {
		pk := keyOfTuple(expP.MasterOrig, expP.Proto, expP.Zone)
		writeMD(k, state, p.Zone, expP.Mark, packet.U128{Hi: expP.LabelHi, Lo: expP.LabelLo}, &pk)
	} else {
		writeMD(k, state, p.Zone, 0, packet.U128{}, &ctx.key)
	}
	if p.NAT != nil {
		// As OVS: no cached connection after nat, so that a later ct
		// looks the translated packet up again.
		c = nil
	}
	setCached(pk, c, gen, ctx.reply, ctx.related)
}

// lookupTranslated finds the connection of a packet that an earlier
// ct(nat) in this zone translated, from the reverse of k, the packet's
// tuple now, as lookup does; it copies the connection's key for the
// packet's direction to *key (under the lock that found it).
func (t *Tracker) lookupTranslated(k, key *connKey, now int64) (c *conn, gen uint32, reply bool) {
	rev := k.reverse()
	h := rev.hash(t.seed)
	s := t.shardAt(rev.zone, h)
	s.mu.RLock()
	c, r := s.get(h, &rev)
	if c == nil || c.expired(now) {
		s.mu.RUnlock()
		return nil, 0, false
	}
	gen = c.gen
	if r {
		*key = c.key
	} else {
		*key = c.rkey
	}
	s.mu.RUnlock()
	return c, gen, !r
}

// connNotFound is OVS's conn_not_found, for a packet whose connection
// does not exist (or was just ended). It returns the packet's state: +new
// (+rel when an ALG expectation announced the connection; the expectation
// is copied to *exp and haveExp set) or +inv when the packet cannot start
// a connection. On commit, within the limits and with a free translated
// tuple when the action translates, it also creates the connection and
// returns it (unlocked) with its generation and its ALG state (nil: no
// helper, not related), consumes the expectation and translates the
// packet.
func (t *Tracker) connNotFound(pk *packet.Packet, ctx *lookupCtx, p *Params, exp *alg.Expectation, now int64) (c *conn, gen uint32, st *algState, state uint32, haveExp bool) {
	ctx.reply = false
	if !validNew(ctx) {
		return nil, 0, nil, packet.CsInv, false
	}
	state = packet.CsNew
	// An expected (ALG-announced) connection is related from its first
	// packet on, committed or not; commit consumes the expectation.
	if *exp, haveExp = t.findExp(ctx, now); haveExp {
		state |= packet.CsRel
	}
	if !p.Commit || !t.admit(p.Zone) {
		return nil, 0, nil, state, haveExp
	}
	var tmp conn
	t.initConn(&tmp, ctx, now)
	tmp.rkey = tmp.key.reverse()
	tmp.helper = helperID(p.Alg, ctx.key.proto)
	if haveExp {
		setupRelated(&tmp, exp, p.NAT != nil)
	} else if p.NAT != nil && !t.natSetup(&tmp, p.NAT, now) {
		t.release(p.Zone)
		return nil, 0, nil, state, haveExp
	}
	if tmp.helper != 0 || tmp.related {
		var ep *alg.Expectation
		if haveExp {
			ep = exp
		}
		st = newALGState(&tmp, ep)
	}
	if c, gen = t.insert(&tmp, st, now); c == nil {
		// Lost a race with another goroutine: as OVS, the packet stays
		// +new without a connection.
		t.release(p.Zone)
		return nil, 0, nil, state, haveExp
	}
	t.cnt.created.Add(1)
	t.zstats.at(p.Zone).commits.Add(1)
	if haveExp {
		t.exps.Take(ctx.key.proto, ctx.key.zone, algTuple(&ctx.key), now)
	}
	if tmp.natAct != 0 {
		// From tmp, c's copy: c is not locked here.
		natPacket(pk, &tmp, false, false, &state)
	}
	return c, gen, st, state, haveExp
}

// validNew reports whether the packet may create a connection.
func validNew(ctx *lookupCtx) bool {
	switch {
	case ctx.key.proto == packet.ProtoTCP:
		return tcpValidNew(uint16(be.Uint16(ctx.l4[12:]) & 0x0fff))
	case ctx.key.isICMP():
		if ctx.key.v6 {
			return ctx.key.itype == icmp6EchoRequest
		}
		return ctx.key.itype == icmp4EchoRequest || ctx.key.itype == icmp4InfoRequest ||
			ctx.key.itype == icmp4Timestamp
	}
	return true
}

// initConn initializes c for the packet in ctx.
func (t *Tracker) initConn(c *conn, ctx *lookupCtx, now int64) {
	c.key = ctx.key
	c.tpGen = t.zoneTPGen(ctx.key.zone)
	switch {
	case ctx.key.proto == packet.ProtoTCP:
		s := parseTCPSeg(ctx.l4)
		tcpNew(c, &s)
		t.setExp(c, ctx.key.zone, tmTCPFirst, now)
	case ctx.key.isICMP():
		c.state = icmpFirst
		t.setExp(c, ctx.key.zone, tmICMPFirst, now)
	default:
		c.state = otherFirst
		t.setExp(c, ctx.key.zone, tmOtherFirst, now)
	}
}

// markLabelLocked applies a committing action's mark and label to c
// (c.mu held) and returns c's mark and label. A related (ALG) connection
// keeps its master's: OVS's set_mark/set_label do not change an
// alg_related connection.
//
// +checklocks:c.mu
func (t *Tracker) markLabelLocked(c *conn, p *Params) (uint32, packet.U128) {
	lockcheck.Held(&c.mu)
	if p.Commit && p.SetMark && !c.related {
		c.mark = p.Mark | c.mark&^p.MarkMask
	}
	if p.Commit && p.SetLabel && !c.related {
		c.label = p.Label.Or(c.label.AndNot(p.LabelMask))
	}
	return c.mark, c.label
}

// updateLocked runs the protocol state machine for a packet of c (c.mu
// held).
//
// +checklocks:c.mu
func (t *Tracker) updateLocked(c *conn, ctx *lookupCtx, st *algState, now int64) int {
	lockcheck.Held(&c.mu)
	zone := c.key.zone
	switch {
	case c.key.proto == packet.ProtoTCP:
		s := parseTCPSeg(ctx.l4)
		if st != nil && st.adj.Active() {
			// The acknowledgement in the sender's view of a peer whose
			// payload an ALG rewrote, back in the peer's own sequence
			// space: the window tracking sees unrewritten sequences.
			dir := alg.Orig
			if ctx.reply {
				dir = alg.Reply
			}
			s.ack = st.adj.Ack(dir, s.ack)
		}
		return t.tcpUpdate(c, &s, ctx.reply, zone, now)
	case c.key.isICMP():
		res := updValid
		if ctx.reply && c.state == icmpFirst {
			c.state = icmpReply
		} else if c.state == icmpFirst {
			res = updValidNew
		}
		if c.state == icmpFirst {
			t.setExp(c, zone, tmICMPFirst, now)
		} else {
			t.setExp(c, zone, tmICMPReply, now)
		}
		return res
	}
	if ctx.reply && c.state != otherBidir {
		c.state = otherBidir
	} else if c.state == otherFirst {
		c.state = otherMultiple
	}
	switch c.state {
	case otherBidir:
		t.setExp(c, zone, tmOtherBidir, now)
		return updValid
	case otherMultiple:
		t.setExp(c, zone, tmOtherMultiple, now)
	default:
		t.setExp(c, zone, tmOtherFirst, now)
	}
	return updValidNew
}

// writeInvalid marks pk +trk+inv with no connection, as OVS does for a
// packet it cannot parse.
func (t *Tracker) writeInvalid(pk *packet.Packet, zone uint16) {
	t.cnt.invalid.Add(1)
	t.zstats.at(zone).invalid.Add(1)
	writeMD(&pk.Key, packet.CsInv, zone, 0, packet.U128{}, nil)
	setCached(pk, nil, 0, false, false)
}

// writeMD fills the ct_* fields (OVS's write_ct_md): ct_state gets +trk,
// the tuple is key's (the connection's original direction, or the packet's
// own when there is no connection), zero without a key. For ICMP the tuple
// ports are the type and code.
func writeMD(k *packet.Key, state uint32, zone uint16, mark uint32, label packet.U128, key *connKey) {
	k.SetCtState(state | packet.CsTrk)
	var proto uint8
	var tpSrc, tpDst uint16
	var nwSrc, nwDst uint32
	var s6, d6 packet.U128
	if key != nil {
		proto = key.proto
		if key.isICMP() {
			tpSrc = uint16(key.itype)
		} else {
			tpSrc, tpDst = key.sport, key.dport
		}
		if key.v6 {
			s6 = packet.U128{Hi: be.Uint64(key.src[0:]), Lo: be.Uint64(key.src[8:])}
			d6 = packet.U128{Hi: be.Uint64(key.dst[0:]), Lo: be.Uint64(key.dst[8:])}
		} else {
			nwSrc, nwDst = be.Uint32(key.src[:4]), be.Uint32(key.dst[:4])
		}
	}
	k.W.SetCtMark(mark)
	k.W.SetCtZone(zone)
	k.W.SetCtNwProto(proto)
	k.W.SetCtLabel(label.Hi, label.Lo)
	k.W.SetCtNw(nwSrc, nwDst)
	k.W.SetCtIPv6(s6, d6)
	k.W.SetCtTp(tpSrc, tpDst)
}
