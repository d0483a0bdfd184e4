package pipeline

import (
	"math"
	"slices"
	"sync/atomic"

	"gswitch/packet"
)

// GroupMax is the largest group number (OFPG_MAX).
const GroupMax = 0xffffff00

// group is an installed group; immutable but for its counters.
type group struct {
	spec    GroupSpec
	buckets []gbucket
	// slots maps a select group's flow hash to a bucket (selectSlots);
	// nil: the group picks by weighted score instead.
	slots []uint16
	// hashFields: the group's selection method is "hash" with these
	// fields (pickHashFields); basis is hash_uint64 of its param.
	hashFields []HashField
	basis      uint32
	// sticky: a bucket may reach flow tables (resubmit, output:TABLE, or
	// a nested group's bucket), whose write_actions, clear_actions, push
	// and pop stay for the group's caller, as OVS 3.1's
	// xlate_group_bucket keeps ctx->action_set and ctx->stack. Such a
	// group runs one packet at a time (run), its buckets end in termBucket.
	sticky  bool
	ctr     *groupCounters
	created int64
}

type groupCounters struct {
	packets, bytes atomic.Uint64
	buckets        []struct{ packets, bytes atomic.Uint64 }
}

type gbucket struct {
	ops      []op
	modifies bool // bucket must work on copies
}

// checkGroup validates a group-mod's group (OVS ofputil_check_group_mod and
// the bucket actions).
func checkGroup(v *version, cmd uint16, g *GroupSpec) ([]gbucket, error) {
	switch g.Type {
	case GroupTypeAll, GroupTypeSelect, GroupTypeIndirect, GroupTypeFF:
	default:
		return nil, Errorf(OFPGMFC_BAD_TYPE, "unknown group type %d", g.Type)
	}
	if g.Type == GroupTypeIndirect && len(g.Buckets) != 1 {
		return nil, Errorf(OFPGMFC_INVALID_GROUP, "an indirect group needs exactly one bucket")
	}
	out := make([]gbucket, len(g.Buckets))
	for i := range g.Buckets {
		b := &g.Buckets[i]
		live := b.WatchPort != PortAny || b.WatchGroup != GroupAny
		switch {
		case b.Weight != 0 && g.Type != GroupTypeSelect && cmd != GroupInsertBucket:
			return nil, Errorf(OFPGMFC_INVALID_GROUP, "bucket weight in a group that is not select")
		case live && (g.Type == GroupTypeAll || g.Type == GroupTypeIndirect):
			return nil, Errorf(OFPGMFC_WATCH_UNSUPPORTED, "watch in an all or indirect group")
		case !live && g.Type == GroupTypeFF:
			return nil, Errorf(OFPGMFC_INVALID_GROUP, "fast-failover bucket without a watch port or group")
		}
		// No loop check: OVS accepts a bucket that names or watches its
		// own group (or one that does not exist); the executor's group
		// depth limit ends a loop.
		ck := &checker{v: v, lax: true, bucket: true}
		acts := slices.Clone(b.Actions)
		if err := ck.actions(acts, false); err != nil {
			return nil, err
		}
		b.Actions = acts
		ops := asActionSet(compileActions(withoutMeters(acts), v.meters))
		out[i] = gbucket{ops: ops, modifies: opsModify(ops)}
	}
	return out, nil
}

// GroupMod adds, modifies or deletes a group (cmd: GroupAdd, GroupModify,
// GroupDelete, GroupAddOrModify). Deleting a group deletes the flows that use it (reported
// with reason RemovedGroupDelete). A group's creation time is
// Config.Clock's, or the latest now a control method was given.
func (d *Datapath) GroupMod(cmd uint16, g *GroupSpec) error {
	d.mu.Lock()
	c := d.begin(d.now())
	err := d.groupModLocked(c, cmd, g)
	if err == nil && c.dirty {
		c.commit()
	}
	d.mu.Unlock()
	if err == nil {
		c.report()
	}
	return err
}

// groupModLocked applies a group-mod to the change c (d.mu held).
func (d *Datapath) groupModLocked(c *change, cmd uint16, gs *GroupSpec) error {
	v := c.v
	switch cmd {
	case GroupAddOrModify:
		cmd = GroupAdd
		if v.groups[gs.ID] != nil {
			cmd = GroupModify
		}
	case GroupAdd, GroupModify:
	case GroupDelete:
		if gs.ID > GroupMax && gs.ID != GroupAll {
			return Errorf(OFPGMFC_INVALID_GROUP, "invalid group %#x", gs.ID)
		}
		groups := make(map[uint32]*group, len(v.groups))
		changed := false
		for id, g := range v.groups {
			if gs.ID == GroupAll || id == gs.ID {
				changed = true
				continue
			}
			groups[id] = g
		}
		if !changed {
			return nil
		}
		// The flows that use the groups go too. Collect them first: the
		// change may own (and so edit in place) the tables being walked.
		var dead []*flow
		for i := range NumTables {
			v.tables[i].each(func(f *flow) bool {
				for _, gid := range f.groups {
					if gs.ID == GroupAll || gid == gs.ID {
						dead = append(dead, f)
						break
					}
				}
				return true
			})
		}
		v.groups = groups
		c.dirty = true
		for _, f := range dead {
			c.remove(f, RemovedGroupDelete)
		}
		return nil
	case GroupInsertBucket, GroupRemoveBucket:
		return d.bucketModLocked(c, cmd, gs)
	default:
		return Errorf(OFPGMFC_BAD_COMMAND, "unknown group-mod command %d", cmd)
	}
	if gs.ID > GroupMax {
		return Errorf(OFPGMFC_INVALID_GROUP, "invalid group %#x", gs.ID)
	}
	old := v.groups[gs.ID]
	if cmd == GroupAdd && old != nil {
		return Errorf(OFPGMFC_GROUP_EXISTS, "group %d already exists", gs.ID)
	}
	if cmd == GroupModify && old == nil {
		return Errorf(OFPGMFC_UNKNOWN_GROUP, "group %d does not exist", gs.ID)
	}
	spec := *gs
	spec.Buckets = slices.Clone(gs.Buckets)
	buckets, err := checkGroup(v, cmd, &spec)
	if err != nil {
		return err
	}
	d.installGroup(c, old, spec, buckets)
	return nil
}

// installGroup puts the group spec with compiled buckets into the change
// c, in place of old (nil: a new group), whose creation time and group
// counters it keeps.
func (d *Datapath) installGroup(c *change, old *group, spec GroupSpec, buckets []gbucket) {
	v := c.v
	spec.CommandBucketID = 0
	ng := &group{spec: spec, buckets: buckets, ctr: &groupCounters{}}
	for i := range buckets {
		for j := range buckets[i].ops {
			if k := buckets[i].ops[j].kind; k == opResubmit || k == opGroup {
				ng.sticky = true
			}
		}
	}
	if spec.Type == GroupTypeSelect {
		switch {
		case spec.Selection.Method == "hash" && len(spec.Selection.Fields) > 0:
			ng.hashFields = spec.Selection.Fields
			ng.basis = hashUint64(spec.Selection.Param)
		case spec.Selection.Method != "hash":
			ng.slots = selectSlots(spec.Buckets)
		}
	}
	ng.ctr.buckets = make([]struct{ packets, bytes atomic.Uint64 }, len(buckets))
	ng.created = d.now()
	if old != nil {
		ng.created = old.created
		ng.ctr.packets.Store(old.ctr.packets.Load())
		ng.ctr.bytes.Store(old.ctr.bytes.Load())
	}
	groups := make(map[uint32]*group, len(v.groups)+1)
	for id, g := range v.groups {
		groups[id] = g
	}
	groups[spec.ID] = ng
	v.groups = groups
	c.dirty = true
}

// MaxBuckets is the most buckets a group may hold (OFPGMFC_OUT_OF_BUCKETS
// beyond). OVS 3.1 sets no number: one group-mod carries what fits in
// 64 KiB, at least 8 bytes a bucket, but insert-buckets grows a group past
// that, until its description no longer fits a reply. gswitch stops at
// what one OpenFlow 1.5 group-mod can carry.
const MaxBuckets = (0xffff - 24) / 8

// bucketModLocked applies OpenFlow 1.5's OFPGC15_INSERT_BUCKET or
// OFPGC15_REMOVE_BUCKET (OVS ofproto.c modify_group_start with
// copy_buckets_for_insert_bucket / copy_buckets_for_remove_bucket): the
// group keeps its type and selection method, the message's buckets are
// checked as the message's type asks (as OVS's ofputil_check_group_mod),
// inserted after bucket CommandBucketID (or first, or last), and removal
// takes bucket CommandBucketID (or the first, the last, all).
func (d *Datapath) bucketModLocked(c *change, cmd uint16, gs *GroupSpec) error {
	v := c.v
	if gs.ID > GroupMax {
		return Errorf(OFPGMFC_INVALID_GROUP, "invalid group %#x", gs.ID)
	}
	cb := gs.CommandBucketID
	if cmd == GroupRemoveBucket && len(gs.Buckets) > 0 {
		return Errorf(OFPGMFC_BAD_BUCKET, "remove-bucket with buckets")
	}
	spec := *gs
	spec.Buckets = slices.Clone(gs.Buckets)
	ins, err := checkGroup(v, cmd, &spec)
	if err != nil {
		return err
	}
	old := v.groups[gs.ID]
	if old == nil {
		return Errorf(OFPGMFC_UNKNOWN_GROUP, "group %d does not exist", gs.ID)
	}
	find := func(id uint32) int {
		if id > BucketMax {
			return -1
		}
		for i := range old.spec.Buckets {
			if old.spec.Buckets[i].ID == id {
				return i
			}
		}
		return -1
	}
	ob, og := old.spec.Buckets, old.buckets
	var nb []Bucket
	var ng []gbucket
	if cmd == GroupInsertBucket {
		at := len(ob) // insert before old bucket 'at'
		switch {
		case cb <= BucketMax:
			k := find(cb)
			if k < 0 {
				return Errorf(OFPGMFC_UNKNOWN_BUCKET, "no bucket %d in group %d", cb, gs.ID)
			}
			at = k + 1
		case cb == BucketFirst:
			at = 0
		}
		for i := range spec.Buckets {
			if find(spec.Buckets[i].ID) >= 0 {
				return Errorf(OFPGMFC_BUCKET_EXISTS, "bucket %d already in group %d", spec.Buckets[i].ID, gs.ID)
			}
		}
		if len(ob)+len(spec.Buckets) > MaxBuckets {
			return Errorf(OFPGMFC_OUT_OF_BUCKETS, "more than %d buckets", MaxBuckets)
		}
		nb = slices.Concat(ob[:at], spec.Buckets, ob[at:])
		ng = slices.Concat(og[:at], ins, og[at:])
	} else {
		skip := -1
		switch cb {
		case BucketAll:
			skip = -2
		case BucketFirst:
			if len(ob) > 0 {
				skip = 0
			}
		case BucketLast:
			skip = len(ob) - 1
		default:
			if skip = find(cb); skip < 0 {
				return Errorf(OFPGMFC_UNKNOWN_BUCKET, "no bucket %d in group %d", cb, gs.ID)
			}
		}
		for i := range ob {
			if skip != -2 && i != skip {
				nb = append(nb, ob[i])
				ng = append(ng, og[i])
			}
		}
	}
	ns := old.spec
	ns.Buckets = nb
	d.installGroup(c, old, ns, ng)
	return nil
}

// Groups returns every group with its counters, by group number.
func (d *Datapath) Groups() []GroupStats {
	v := d.cur.Load()
	ids := make([]uint32, 0, len(v.groups))
	for id := range v.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	refs := map[uint32]uint32{}
	for i := range NumTables {
		v.tables[i].each(func(f *flow) bool {
			for _, g := range f.groups {
				refs[g]++
			}
			return true
		})
	}
	out := make([]GroupStats, 0, len(ids))
	for _, id := range ids {
		g := v.groups[id]
		gs := GroupStats{Spec: g.spec, RefCount: refs[id], Packets: g.ctr.packets.Load(),
			Bytes: g.ctr.bytes.Load(), Created: g.created}
		for i := range g.ctr.buckets {
			gs.Buckets = append(gs.Buckets, BucketStats{Packets: g.ctr.buckets[i].packets.Load(),
				Bytes: g.ctr.buckets[i].bytes.Load()})
		}
		out = append(out, gs)
	}
	return out
}

// group runs grp through group g. A sticky group's buckets leave in *st
// the action set they end with (each bucket starts with the one the
// previous left), as OVS 3.1's buckets share ctx->action_set with the
// caller; the caller gives such a group one packet at a time.
func (w *worker) group(grp []*packet.Packet, g *group, st *xstate) {
	w.budget--
	if st.gdepth >= MaxGroupDepth || w.budget < 0 {
		w.ctr[cGroupDepth] += uint64(len(grp))
		return
	}
	if w.tr == nil {
		var nb uint64
		for _, pk := range grp {
			nb += uint64(len(pk.Data))
		}
		g.ctr.packets.Add(uint64(len(grp)))
		g.ctr.bytes.Add(nb)
	}
	switch g.spec.Type {
	case GroupTypeAll:
		for i := range g.buckets {
			w.bucket(grp, g, i, st)
		}
	case GroupTypeIndirect:
		w.bucket(grp, g, 0, st)
	case GroupTypeFF:
		for i := range g.buckets {
			if w.bucketLive(&g.spec.Buckets[i], 0) {
				if w.tr != nil {
					w.traceNote(TraceDetail, "using bucket "+itoa(int(g.spec.Buckets[i].ID)))
				}
				w.bucket(grp, g, i, st)
				return
			}
		}
		w.traceNote(TraceDetail, "no live bucket")
		w.ctr[cGroupNoLiveBucket] += uint64(len(grp))
	case GroupTypeSelect:
		w.selectGroup(grp, g, st)
	}
}

// selectGroup sends each packet to one live bucket chosen by a hash of
// its flow (symmetric in source and destination), in shares that follow
// the bucket weights (selectBucket).
func (w *worker) selectGroup(grp []*packet.Packet, g *group, st *xstate) {
	var choice [packet.MaxBatch]int16
	if len(grp) > len(choice) {
		for len(grp) > len(choice) {
			w.selectGroup(grp[:len(choice)], g, st)
			grp = grp[len(choice):]
		}
	}
	first := int16(-2)
	same := true
	for i, pk := range grp {
		choice[i] = int16(w.selectBucket(g, pk))
		if first == -2 {
			first = choice[i]
		} else if choice[i] != first {
			same = false
		}
	}
	if same {
		if first < 0 {
			w.traceNote(TraceDetail, "no live bucket")
			w.ctr[cGroupNoLiveBucket] += uint64(len(grp))
			return
		}
		if w.tr != nil {
			w.traceNote(TraceDetail, "using bucket "+itoa(int(g.spec.Buckets[first].ID)))
		}
		w.bucket(grp, g, int(first), st)
		return
	}
	for b := -1; b < len(g.buckets); b++ {
		sub := w.getPkts()
		for i, pk := range grp {
			if int(choice[i]) == b {
				sub = append(sub, pk)
			}
		}
		if len(sub) > 0 {
			if b < 0 {
				w.ctr[cGroupNoLiveBucket] += uint64(len(sub))
			} else {
				w.bucket(sub, g, b, st)
			}
		}
		w.putPkts(sub)
	}
}

// maxSelectSlots is the most hash values selectSlots spreads over a
// group's buckets (OVS's MAX_SELECT_GROUP_HASH_VALUES with no
// selection_method given).
const maxSelectSlots = 256

// selectSlots is OVS 3.1's default selection method for a select group
// (ofproto-dpif.c group_setup_dp_hash_table, used with no selection_method):
// n hash values, n the least power of two >= 16 that gives the lightest
// bucket a value (sum of weights / least non-zero weight, rounded up), are
// dealt to the buckets by Webster's (Sainte-Laguë) method, so bucket i
// gets about n*w_i/sum(w) of them, and a flow takes the bucket of its
// hash's value. Nil (OVS falls back to a per-bucket score) when the
// weights are all zero or need more than maxSelectSlots values.
func selectSlots(bs []Bucket) []uint16 {
	var total uint64
	least := uint64(math.MaxUint16)
	for _, b := range bs {
		if b.Weight > 0 && uint64(b.Weight) < least {
			least = uint64(b.Weight)
		}
		total += uint64(b.Weight)
	}
	if total == 0 {
		return nil
	}
	n := uint64(16)
	for n < (total+least-1)/least {
		n <<= 1
	}
	if n > maxSelectSlots {
		return nil
	}
	divisor := make([]uint32, len(bs))
	value := make([]float64, len(bs))
	for i, b := range bs {
		divisor[i], value[i] = 1, float64(b.Weight)
	}
	slots := make([]uint16, n)
	for h := range slots {
		win := 0
		for i := 1; i < len(bs); i++ {
			if value[i] > value[win] {
				win = i
			}
		}
		divisor[win] += 2
		value[win] = float64(bs[win].Weight) / float64(divisor[win])
		slots[h] = uint16(win)
	}
	return slots
}

// selectBucket picks g's bucket for pk, -1 if none is live. With slots
// (OVS's dp_hash method) the flow's hash value names a bucket; if that one
// is dead the next values are tried in turn, so that only the dead
// bucket's flows move and they spread by weight over the others. Without
// (weights too uneven for maxSelectSlots values), a weighted rendezvous
// hash: each live bucket of weight w scores -ln(u)/w, u uniform in (0,1)
// from the flow's hash and the bucket, and the lowest score wins, so a
// bucket's share is exactly w/sum(w) and a dead bucket moves only its own
// flows (OVS's fallback, the highest hash x weight, gives the lighter
// buckets less than their share). If every live bucket weighs 0, the last
// of them, as OVS's fallback picks.
func (w *worker) selectBucket(g *group, pk *packet.Packet) int {
	if g.hashFields != nil {
		return w.pickHashFields(g, pk)
	}
	h := flowHashSymmetric(&pk.Key)
	if n := uint64(len(g.slots)); n > 0 {
		// OVS's dp_hash method leaves the hash in the packet's dp_hash
		// (the datapath's hash action before recirculation), where later
		// tables may match it; the bucket is its low bits' slot.
		pk.Key.W.SetDPHash(uint32(h))
		for i := uint64(0); i < n; i++ {
			b := int(g.slots[(h+i)&(n-1)])
			if w.bucketLive(&g.spec.Buckets[b], 0) {
				return b
			}
		}
		return -1
	}
	best, last, bestScore := -1, -1, math.Inf(1)
	for i := range g.spec.Buckets {
		b := &g.spec.Buckets[i]
		if !w.bucketLive(b, 0) {
			continue
		}
		last = i
		if b.Weight == 0 {
			continue
		}
		u := (float64(mix64(h^uint64(i+1)*0x9e3779b97f4a7c15)>>11) + 0.5) / (1 << 53)
		if score := -math.Log(u) / float64(b.Weight); score < bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return last
	}
	return best
}

// flowHashSymmetric hashes the addresses, protocol and ports of k so that
// both directions of a connection hash alike (OVS flow_hash_symmetric_l4).
func flowHashSymmetric(k *packet.Key) uint64 {
	w := &k.W
	h := w.EthDst() ^ w.EthSrc()
	h = mix64(h ^ uint64(k.EthType())<<48 ^ uint64(k.VlanTCI()&0xfff))
	h = mix64(h ^ uint64(w.IPv4Src()^w.IPv4Dst()))
	s6, d6 := w.IPv6Src(), w.IPv6Dst()
	h = mix64(h ^ s6.Hi ^ d6.Hi ^ (s6.Lo ^ d6.Lo) ^ uint64(k.NwProto()))
	return mix64(h ^ uint64(k.TpSrc()^k.TpDst()))
}

// bucketLive reports a bucket's liveness: its watch port is up and its
// watch group has a live bucket.
func (w *worker) bucketLive(b *Bucket, depth int) bool {
	if b.WatchPort != PortAny {
		p, ok := w.ports.lookup(b.WatchPort)
		if !ok || !p.Up {
			return false
		}
	}
	if b.WatchGroup != GroupAny {
		g := w.v.groups[b.WatchGroup]
		if g == nil || depth >= MaxGroupDepth {
			return false
		}
		for i := range g.spec.Buckets {
			if w.bucketLive(&g.spec.Buckets[i], depth+1) {
				return true
			}
		}
		return false
	}
	return true
}

// bucket runs one bucket's actions on grp: on copies when the actions may
// change the packets, so that every bucket and the actions after the group
// see the packets as they entered it (OVS restores the flow after each
// bucket). In a sticky group (one packet), the action set and the stack the
// bucket's way through the tables ends with (bucketEnd) go back to *st and
// the packet, as OVS keeps ctx->action_set and ctx->stack.
func (w *worker) bucket(grp []*packet.Packet, g *group, i int, st *xstate) {
	b := &g.buckets[i]
	nst := *st
	if w.tr == nil {
		var nb uint64
		for _, pk := range grp {
			nb += uint64(len(pk.Data))
		}
		g.ctr.buckets[i].packets.Add(uint64(len(grp)))
		g.ctr.buckets[i].bytes.Add(nb)
	} else {
		nst.tl++
		w.tr.t.Bucket(int(nst.sec), int(nst.tl), g.spec.Buckets[i].ID)
	}
	// The bucket sees the action set of the group's caller (empty when the
	// group runs from the action set), as OVS 3.1's buckets run with
	// ctx->action_set in place: a clone reached from the bucket starts
	// with a copy of it. The bucket itself never executes it (termStop,
	// termBucket).
	nst.term, nst.k, nst.inAS = termStop, -1, false
	nst.gdepth++
	nst.clone = 0 // exit in a bucket ends the bucket only
	var end *bucketEnd
	if g.sticky {
		nst.term = termBucket
		end = &w.bends[nst.gdepth]
		end.set = false
	}
	if !b.modifies {
		w.run(grp, b.ops, 0, nst)
	} else {
		clones := w.getPkts()
		for _, pk := range grp {
			c := w.d.pool.Get()
			c.CopyFrom(pk)
			clones = append(clones, c)
		}
		w.run(clones, b.ops, 0, nst)
		for _, c := range clones {
			if c != nil {
				w.d.pool.Put(c)
			}
		}
		w.putPkts(clones)
	}
	if end != nil && end.set {
		st.asLo, st.asHi = end.asLo, end.asHi
		grp[0].Stack = end.stack
	}
}

// withoutMeters is acts without their meter actions: OVS resolves a meter
// action only in flows and packet-outs (ofproto_check_ofpacts), so one in
// a group bucket meters nothing.
func withoutMeters(acts []Action) []Action {
	out := acts[:0:0]
	for _, a := range acts {
		if _, ok := a.(Meter); !ok {
			out = append(out, a)
		}
	}
	return out
}
