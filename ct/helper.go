package ct

import (
	"net/netip"
	"sync"

	"gswitch/ct/alg"
	"gswitch/ct/internal/lockcheck"
	"gswitch/ct/nat"
	"gswitch/packet"
)

// Application-level gateways (ct(alg=ftp), ct(alg=tftp)): the glue between
// the tracker and package ct/alg.
//
// A connection committed with alg= gets a helper id (conn.helper); a
// connection created from an expectation is related (conn.related). Their
// per-connection state (the helper's Conn, the NAT sequence adjustment,
// the parent's tuple) lives beside the pointer-free slab, in a map keyed
// by slab index and generation (algs), so ordinary connections pay nothing. Expectations
// live in an alg.Table: while it is empty, a new connection costs one
// atomic load.

// helperIDs maps a helper id (conn.helper, 1-based) to its helper.
var helperList = func() []alg.Helper {
	var hs []alg.Helper
	for _, n := range alg.Names() {
		if h, ok := alg.Lookup(n); ok {
			hs = append(hs, h)
		}
	}
	return hs
}()

// helperID returns the id of the helper for a ct alg= value on protocol
// proto, or 0.
func helperID(algPort uint16, proto uint8) uint8 {
	if algPort == AlgNone {
		return 0
	}
	h, ok := alg.ByPort(proto, algPort)
	if !ok {
		return 0
	}
	for i, x := range helperList {
		if x.Name() == h.Name() {
			return uint8(i + 1)
		}
	}
	return 0
}

func helperOf(id uint8) alg.Helper {
	if id == 0 || int(id) > len(helperList) {
		return nil
	}
	return helperList[id-1]
}

// algCtl reports whether a packet is a helper's control packet for a ct
// action with alg= algPort, as OVS 3.1's get_alg_ctl_type decides: TCP to
// or from port 21 or UDP to port 69, whatever the action's alg=; and when
// the action names the FTP (TFTP) helper, any TCP (UDP) packet (OVS
// compares with the flow's own ports then). A connection committed with a
// helper keeps it (conn.helper): its control packets are given to the
// helper by every ct action, with or without alg=, and so never take the
// cached fast path.
func algCtl(k *packet.Key, algPort uint16) bool {
	switch k.NwProto() {
	case packet.ProtoTCP:
		return algPort == AlgFTP || k.TpSrc() == AlgFTP || k.TpDst() == AlgFTP
	case packet.ProtoUDP:
		return algPort == AlgTFTP || k.TpDst() == AlgTFTP
	}
	return false
}

// algState is the ALG state of one connection (guarded by the conn's mu).
type algState struct {
	helper  alg.Conn // nil for a related connection without a helper
	master  alg.Master
	adj     alg.SeqAdjust
	in      alg.Input
	res     alg.Result
	rws     []alg.Rewrite
	parent  connKey // related: the master's original-direction key
	related bool
}

// algTable is the side table of ALG connection state, keyed by slot and
// generation (conn.gen): a goroutine that still holds a removed
// connection finds no state there, never the state of its slot's next
// tenant.
type algTable struct {
	mu sync.RWMutex
	// +checklocks:mu
	m map[uint64]*algState
}

func algKey(idx, gen uint32) uint64 { return uint64(gen)<<32 | uint64(idx) }

func (a *algTable) get(idx, gen uint32) *algState {
	a.mu.RLock()
	st := a.m[algKey(idx, gen)]
	a.mu.RUnlock()
	return st
}

func (a *algTable) put(idx, gen uint32, st *algState) {
	a.mu.Lock()
	a.m[algKey(idx, gen)] = st
	a.mu.Unlock()
}

func (a *algTable) del(idx, gen uint32) {
	a.mu.Lock()
	delete(a.m, algKey(idx, gen))
	a.mu.Unlock()
}

func netAddr(b *[16]byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16(*b)
	}
	return netip.AddrFrom4([4]byte(b[:4]))
}

func algTuple(k *connKey) alg.Tuple {
	return alg.Tuple{Src: netAddr(&k.src, k.v6), Dst: netAddr(&k.dst, k.v6), SrcPort: k.sport, DstPort: k.dport}
}

func putAddr(dst *[16]byte, a netip.Addr) {
	*dst = [16]byte{}
	if a.Is4() {
		b := a.As4()
		copy(dst[:4], b[:])
	} else {
		*dst = a.As16()
	}
}

// keyOfTuple builds a connection key from an alg tuple.
func keyOfTuple(t alg.Tuple, proto uint8, zone uint16) connKey {
	k := connKey{sport: t.SrcPort, dport: t.DstPort, zone: zone, proto: proto, v6: t.Src.Is6() && !t.Src.Is4In6()}
	putAddr(&k.src, t.Src)
	putAddr(&k.dst, t.Dst)
	return k
}

// findExp returns the expectation a new connection's first packet
// satisfies (not removed).
func (t *Tracker) findExp(ctx *lookupCtx, now int64) (alg.Expectation, bool) {
	if t.exps.Len() == 0 || ctx.key.isICMP() {
		return alg.Expectation{}, false
	}
	return t.exps.Find(ctx.key.proto, ctx.key.zone, algTuple(&ctx.key), now)
}

// setupRelated makes tmp (key set, rkey its reverse) the related
// connection that expectation e announced: mark and label of the master,
// and, when the ct action has nat, the master's translation (OVS applies
// an expectation's NAT only under a ct action with nat, as here).
func setupRelated(tmp *conn, e *alg.Expectation, withNAT bool) {
	tmp.related = true
	tmp.mark = e.Mark
	tmp.label = packet.U128{Hi: e.LabelHi, Lo: e.LabelLo}
	if !withNAT {
		return
	}
	switch {
	case e.DNATTo.IsValid():
		putAddr(&tmp.rkey.src, e.DNATTo)
		if e.DNATPort != 0 {
			tmp.rkey.sport = e.DNATPort
		}
		tmp.natAct = uint8(nat.Dst)
	case e.SNATTo.IsValid():
		putAddr(&tmp.rkey.dst, e.SNATTo)
		tmp.natAct = uint8(nat.Src)
	}
}

// newALGState returns the ALG state of a connection about to be inserted
// (tmp: keys, helper and related set): its helper's Conn (if the ct action
// named one for this protocol) and, for a related connection (e not nil),
// its parent.
func newALGState(tmp *conn, e *alg.Expectation) *algState {
	st := &algState{}
	if h := helperOf(tmp.helper); h != nil {
		st.helper = h.NewConn()
	}
	st.master = alg.Master{Proto: tmp.key.proto, Zone: tmp.key.zone, Orig: algTuple(&tmp.key), Reply: algTuple(&tmp.rkey)}
	if e != nil {
		st.related = true
		// FTP and TFTP data connections use their master's protocol.
		st.parent = keyOfTuple(e.MasterOrig, e.Proto, e.Zone)
	}
	return st
}

// detachALG drops the ALG state and the expectations of c, the
// connection of generation gen (being removed).
func (t *Tracker) detachALG(c *conn, gen uint32) {
	t.algs.del(c.idx, gen)
	if c.helper != 0 {
		t.exps.RemoveMaster(c.key.zone, algTuple(&c.key))
	}
}

// runHelper gives a packet of c (tracked, valid, with its addresses
// already translated if the action translates) to c's helper: new
// expectations go to the table, a refused command makes the packet +inv
// (added to its state, as OVS), and when translate is set the payload's
// announcements are rewritten and the sequence numbers adjusted. c.mu is
// held.
//
// +checklocks:c.mu
func (t *Tracker) runHelper(pk *packet.Packet, c *conn, st *algState, reply, translate bool, state *uint32, now int64) {
	lockcheck.Held(&c.mu)
	dir := alg.Orig
	if reply {
		dir = alg.Reply
	}
	isTCP := c.key.proto == packet.ProtoTCP
	payload := alg.Payload(pk)
	if st.helper != nil && len(payload) > 0 {
		var seq uint32
		if isTCP {
			seq = be.Uint32(pk.Data[pk.Key.L4+4:])
		}
		st.in = alg.Input{Master: &st.master, Dir: dir, Seq: seq, Payload: payload, Now: now}
		st.res.Reset()
		st.helper.Process(&st.in, &st.res)
		st.in.Payload = nil
		if st.res.Invalid {
			*state |= packet.CsInv
			t.cnt.algInvalid.Add(1)
		}
		for i := range st.res.Exps {
			e := &st.res.Exps[i]
			e.Mark, e.LabelHi, e.LabelLo = c.mark, c.label.Hi, c.label.Lo
			if !t.exps.Add(*e) {
				t.cnt.expFull.Add(1)
			}
		}
		if translate && !st.res.Invalid && len(st.res.Matches) > 0 && st.master.NATed() {
			st.rws = st.rws[:0]
			for _, mt := range st.res.Matches {
				r, ok := mt.NATRewrite(seq, len(payload), st.master.NATAddr(dir), mt.Port)
				if !ok {
					continue
				}
				st.rws = append(st.rws, r)
				if isTCP && r.Delta() != 0 {
					st.adj.Record(dir, mt.Seq+uint32(mt.Len), int32(r.Delta()))
				}
			}
			if _, err := alg.ApplyRewrites(pk, st.rws); err != nil {
				*state |= packet.CsInv
			}
		}
	}
	if translate && isTCP && st.adj.Active() {
		st.adj.ApplyTCP(pk, dir)
	}
}

// Expectations returns the number of pending expectations.
func (t *Tracker) Expectations() int { return t.exps.Len() }
