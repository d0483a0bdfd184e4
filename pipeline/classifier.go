package pipeline

import (
	"math/bits"
	"slices"

	"gswitch/packet"
)

// The classifier is a tuple-space search (OVS lib/classifier.c without the
// staged lookup): one subtable per distinct mask, each a hash of the masked
// key words the mask selects, scanned in order of decreasing maximum
// priority with an early exit once no remaining subtable can beat the best
// match so far.
//
// Everything here is immutable once published. A change is made inside a
// txn: nodes that the txn created are owned by it and edited in place;
// anything else is copied first (path copying). So a flow-mod costs
// O(subtables + log n) copies, and a bulk load in one txn edits in place.
//
// Among overlapping flows of equal priority the one returned is not
// specified (OpenFlow leaves it undefined); it is stable for a given
// version.

// txn is an ownership token for copy-on-write edits.
type txn struct{ _ byte }

// classifier is one flow table.
type classifier struct {
	subs  []*subtable // by maxPri, highest first
	n     int         // flows
	nconj int         // conjunctive flows (lookups then take the slow path)
	// words lists the key words some subtable's mask uses (their union,
	// each once). Two keys equal in these words get the same lookup
	// result (with no tun_metadata), so the exact-match cache compares
	// only them. Never appended to in place: a change makes a new slice.
	words []uint8
	owner *txn
}

// subtable holds the flows of one mask.
type subtable struct {
	mask   packet.Words
	idx    []uint8 // the words where mask is not zero
	maxPri uint16  // the highest priority (an upper bound while stale)
	nMax   int     // flows at maxPri (unknown while stale)
	stale  bool
	dirty  int // removals at the bound since it went stale
	n      int
	root   *hnode
	owner  *txn
}

// hnode is a node of a persistent hash array mapped trie keyed by the
// 64-bit hash of a flow's masked match, 6 bits per level.
type hnode struct {
	bitmap uint64
	kids   []hent
	owner  *txn
}

// hent is a child: a subtree, or a leaf holding the flows whose masked
// match hashes to hash (priority descending).
type hent struct {
	sub   *hnode
	hash  uint64
	rules []*flow
}

func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashKey hashes the words of k selected by s (masked).
func (s *subtable) hashKey(k *packet.Words) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, i := range s.idx {
		h = (h ^ (k[i] & s.mask[i])) * 0x100000001b3
		h ^= h >> 29
	}
	return mix64(h)
}

// hashValue hashes an already masked match value.
func (s *subtable) hashValue(v *packet.Words) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, i := range s.idx {
		h = (h ^ v[i]) * 0x100000001b3
		h ^= h >> 29
	}
	return mix64(h)
}

func (n *hnode) find(h uint64) []*flow {
	for shift := uint(0); n != nil; shift += 6 {
		bit := uint64(1) << ((h >> shift) & 63)
		if n.bitmap&bit == 0 {
			return nil
		}
		e := &n.kids[bits.OnesCount64(n.bitmap&(bit-1))]
		if e.sub == nil {
			if e.hash == h {
				return e.rules
			}
			return nil
		}
		n = e.sub
	}
	return nil
}

// noTun is the option space of a packet that carries no tun_metadata.
var noTun packet.TunMeta

// lookup returns the highest-priority flow matching k (with no
// tun_metadata present), or nil.
func (c *classifier) lookup(k *packet.Words) *flow { return c.lookupT(k, &noTun) }

// lookupT returns the highest-priority flow matching k and the options t,
// or nil. A flow that matches tun_metadata is checked against t after its
// words match (Match.Tun is nil for every other flow).
func (c *classifier) lookupT(k *packet.Words, t *packet.TunMeta) *flow {
	if c == nil {
		return nil
	}
	if c.nconj != 0 {
		return c.lookupConj(k, t, true)
	}
	var best *flow
	for _, s := range c.subs {
		if best != nil && s.maxPri <= best.spec.Priority {
			break
		}
		rules := s.root.find(s.hashKey(k))
	rules:
		for _, f := range rules {
			if best != nil && f.spec.Priority <= best.spec.Priority {
				break
			}
			for _, i := range s.idx {
				if k[i]&s.mask[i] != f.spec.Match.Value[i] {
					continue rules
				}
			}
			if f.spec.Match.Tun != nil && !f.spec.Match.Tun.Matches(t) {
				continue
			}
			best = f
			break
		}
	}
	return best
}

func (n *hnode) own(t *txn) *hnode {
	if n.owner == t {
		return n
	}
	return &hnode{bitmap: n.bitmap, kids: slices.Clone(n.kids), owner: t}
}

// update replaces the bucket for hash h by fn(old bucket) (nil or empty:
// remove it) and returns the new root. Buckets are never edited in place.
func (n *hnode) update(t *txn, h uint64, shift uint, fn func([]*flow) []*flow) *hnode {
	bit := uint64(1) << ((h >> shift) & 63)
	if n == nil {
		b := fn(nil)
		if len(b) == 0 {
			return nil
		}
		return &hnode{bitmap: bit, kids: []hent{{hash: h, rules: b}}, owner: t}
	}
	pos := bits.OnesCount64(n.bitmap & (bit - 1))
	if n.bitmap&bit == 0 {
		b := fn(nil)
		if len(b) == 0 {
			return n
		}
		n = n.own(t)
		n.kids = slices.Insert(n.kids, pos, hent{hash: h, rules: b})
		n.bitmap |= bit
		return n
	}
	e := n.kids[pos]
	switch {
	case e.sub != nil:
		ns := e.sub.update(t, h, shift+6, fn)
		if ns == e.sub {
			return n
		}
		n = n.own(t)
		if ns == nil {
			n.kids = slices.Delete(n.kids, pos, pos+1)
			n.bitmap &^= bit
		} else {
			n.kids[pos].sub = ns
		}
	case e.hash == h:
		b := fn(e.rules)
		n = n.own(t)
		if len(b) == 0 {
			n.kids = slices.Delete(n.kids, pos, pos+1)
			n.bitmap &^= bit
		} else {
			n.kids[pos].rules = b
		}
	default:
		b := fn(nil)
		if len(b) == 0 {
			return n
		}
		n = n.own(t)
		n.kids[pos] = hent{sub: newPair(t, e, hent{hash: h, rules: b}, shift+6)}
	}
	if len(n.kids) == 0 {
		return nil
	}
	return n
}

func newPair(t *txn, a, b hent, shift uint) *hnode {
	ia, ib := (a.hash>>shift)&63, (b.hash>>shift)&63
	if ia == ib {
		return &hnode{bitmap: 1 << ia, kids: []hent{{sub: newPair(t, a, b, shift+6)}}, owner: t}
	}
	if ia > ib {
		a, b = b, a
		ia, ib = ib, ia
	}
	return &hnode{bitmap: 1<<ia | 1<<ib, kids: []hent{a, b}, owner: t}
}

// each calls fn for every flow under n until fn returns false.
func (n *hnode) each(fn func(*flow) bool) bool {
	if n == nil {
		return true
	}
	for i := range n.kids {
		e := &n.kids[i]
		if e.sub != nil {
			if !e.sub.each(fn) {
				return false
			}
			continue
		}
		for _, f := range e.rules {
			if !fn(f) {
				return false
			}
		}
	}
	return true
}

// each calls fn for every flow of c until fn returns false.
func (c *classifier) each(fn func(*flow) bool) {
	if c == nil {
		return
	}
	for _, s := range c.subs {
		if !s.root.each(fn) {
			return
		}
	}
}

func (c *classifier) own(t *txn) *classifier {
	if c == nil {
		return &classifier{owner: t}
	}
	if c.owner == t {
		return c
	}
	return &classifier{subs: slices.Clone(c.subs), n: c.n, nconj: c.nconj, words: c.words, owner: t}
}

func (s *subtable) own(t *txn) *subtable {
	if s.owner == t {
		return s
	}
	c := *s
	c.owner = t
	return &c
}

// sub returns the index of the subtable for mask m, or -1.
func (c *classifier) sub(m *packet.Words) int {
	for i, s := range c.subs {
		if s.mask == *m {
			return i
		}
	}
	return -1
}

// setWords recomputes c.words after a subtable was added or removed.
func (c *classifier) setWords() {
	var used uint64
	for _, s := range c.subs {
		for _, i := range s.idx {
			used |= 1 << i
		}
	}
	c.words = nil // a new slice: an older version may share the old one
	for ; used != 0; used &= used - 1 {
		c.words = append(c.words, uint8(bits.TrailingZeros64(used)))
	}
}

// The package fails to compile unless a uint64 has a bit for every word
// (setWords).
var _ [64 - packet.NumWords]struct{}

func (c *classifier) resort() {
	slices.SortStableFunc(c.subs, func(a, b *subtable) int { return int(b.maxPri) - int(a.maxPri) })
}

// find returns the flow with exactly match m and priority pri, or nil.
func (c *classifier) find(m *Match, pri uint16) *flow {
	if c == nil {
		return nil
	}
	i := c.sub(&m.Mask)
	if i < 0 {
		return nil
	}
	s := c.subs[i]
	for _, f := range s.root.find(s.hashValue(&m.Value)) {
		if f.spec.Priority == pri && f.spec.Match.Value == m.Value && f.spec.Match.Tun.Equal(m.Tun) {
			return f
		}
	}
	return nil
}

// insert adds f (c must be owned by t; no flow with f's match and priority
// may be present).
func (c *classifier) insert(t *txn, f *flow) {
	m := &f.spec.Match
	i := c.sub(&m.Mask)
	var s *subtable
	if i < 0 {
		s = &subtable{mask: m.Mask, owner: t}
		for w, v := range m.Mask {
			if v != 0 {
				s.idx = append(s.idx, uint8(w))
			}
		}
		c.subs = append(c.subs, s)
		c.setWords()
		i = len(c.subs) - 1
	} else {
		s = c.subs[i].own(t)
		c.subs[i] = s
	}
	pri := f.spec.Priority
	s.root = s.root.update(t, s.hashValue(&m.Value), 0, func(old []*flow) []*flow {
		nb := make([]*flow, 0, len(old)+1)
		done := false
		for _, o := range old {
			if !done && pri > o.spec.Priority {
				nb = append(nb, f)
				done = true
			}
			nb = append(nb, o)
		}
		if !done {
			nb = append(nb, f)
		}
		return nb
	})
	s.n++
	c.n++
	if f.conj != nil {
		c.nconj++
	}
	switch {
	case s.n == 1 || pri > s.maxPri:
		s.maxPri, s.nMax, s.stale = pri, 1, false
		c.resort()
	case pri == s.maxPri && !s.stale:
		s.nMax++
	}
}

// remove deletes f (c must be owned by t).
func (c *classifier) remove(t *txn, f *flow) bool {
	m := &f.spec.Match
	i := c.sub(&m.Mask)
	if i < 0 {
		return false
	}
	s := c.subs[i].own(t)
	found := false
	s.root = s.root.update(t, s.hashValue(&m.Value), 0, func(old []*flow) []*flow {
		nb := make([]*flow, 0, len(old))
		for _, o := range old {
			if o == f {
				found = true
				continue
			}
			nb = append(nb, o)
		}
		return nb
	})
	if !found {
		return false
	}
	s.n--
	c.n--
	if f.conj != nil {
		c.nconj--
	}
	if s.n == 0 {
		c.subs = slices.Delete(c.subs, i, i+1)
		c.setWords()
		return true
	}
	c.subs[i] = s
	switch {
	case s.stale:
		s.dirty++
		if s.dirty > s.n/8 {
			s.recompute()
			c.resort()
		}
	case f.spec.Priority == s.maxPri:
		s.nMax--
		if s.nMax == 0 {
			// Finding the next maximum takes a walk of the subtable: do it
			// now for a small one; for a big one keep the old maximum as an
			// upper bound (lookups stay correct, just exit a little later)
			// and walk after a number of removals proportional to its size.
			if s.n <= 256 {
				s.recompute()
				c.resort()
			} else {
				s.stale, s.dirty = true, 0
			}
		}
	}
	return true
}

func (s *subtable) recompute() {
	s.maxPri, s.nMax, s.stale, s.dirty = 0, 0, false, 0
	s.root.each(func(o *flow) bool {
		switch {
		case s.nMax == 0 || o.spec.Priority > s.maxPri:
			s.maxPri, s.nMax = o.spec.Priority, 1
		case o.spec.Priority == s.maxPri:
			s.nMax++
		}
		return true
	})
}

// replace puts nf in the place of old (same match and priority; c owned by t).
func (c *classifier) replace(t *txn, old, nf *flow) bool {
	m := &old.spec.Match
	i := c.sub(&m.Mask)
	if i < 0 {
		return false
	}
	s := c.subs[i].own(t)
	c.subs[i] = s
	found := false
	s.root = s.root.update(t, s.hashValue(&m.Value), 0, func(b []*flow) []*flow {
		nb := slices.Clone(b)
		for j, o := range nb {
			if o == old {
				nb[j] = nf
				found = true
			}
		}
		return nb
	})
	if found {
		if old.conj != nil {
			c.nconj--
		}
		if nf.conj != nil {
			c.nconj++
		}
	}
	return found
}

// linearLookup is the reference classifier: a scan of every flow. Tests
// check lookup against it.
func linearLookup(flows []*flow, k *packet.Words) *flow {
	var best *flow
	for _, f := range flows {
		if (best == nil || f.spec.Priority > best.spec.Priority) && f.spec.Match.Matches(k) {
			best = f
		}
	}
	return best
}

// Conjunctive matches (OVS classifier_lookup__): a flow whose actions are
// only conjunction(id, k/n) is a "soft" match, one clause of conjunction
// id. When, at some priority above the best ordinary ("hard") match, every
// clause of a conjunction id has a matching soft flow, the packet is
// looked up again with conj_id = id, and the flow found that way wins.
// Otherwise soft flows are passed over as if their lower-priority
// duplicates (same match) were in their place.

type softMatch struct {
	f      *flow
	bucket []*flow
	pos    int
}

type conjMatch struct {
	id      uint32
	clauses uint64
}

// bestIn returns the highest-priority flow of bucket at or after pos whose
// match is k's and its position.
func bestIn(s *subtable, bucket []*flow, pos int, k *packet.Words, t *packet.TunMeta) (*flow, int) {
next:
	for ; pos < len(bucket); pos++ {
		f := bucket[pos]
		for _, i := range s.idx {
			if k[i]&s.mask[i] != f.spec.Match.Value[i] {
				continue next
			}
		}
		if f.spec.Match.Tun != nil && !f.spec.Match.Tun.Matches(t) {
			continue
		}
		return f, pos
	}
	return nil, -1
}

func (c *classifier) lookupConj(k *packet.Words, t *packet.TunMeta, allowConj bool) *flow {
	var hard *flow
	hardPri := -1
	var softBuf [16]softMatch
	soft := softBuf[:0]
	softPri := -1
	for _, s := range c.subs {
		if int(s.maxPri) <= hardPri {
			break
		}
		bucket := s.root.find(s.hashKey(k))
		m, pos := bestIn(s, bucket, 0, k, t)
		if m == nil || int(m.spec.Priority) <= hardPri {
			continue
		}
		switch {
		case m.conj == nil:
			hard, hardPri = m, int(m.spec.Priority)
		case allowConj:
			soft = append(soft, softMatch{m, bucket, pos})
			softPri = max(softPri, int(m.spec.Priority))
		}
	}
	if hardPri >= softPri {
		return hard
	}
	var cmBuf [16]conjMatch
	for {
		n := 0
		for _, sm := range soft {
			if sm.f != nil && int(sm.f.spec.Priority) > hardPri {
				soft[n] = sm
				n++
			}
		}
		soft = soft[:n]
		if n == 0 {
			break
		}
		softPri, nSoftPri := -1, 0
		for _, sm := range soft {
			switch p := int(sm.f.spec.Priority); {
			case p > softPri:
				softPri, nSoftPri = p, 1
			case p == softPri:
				nSoftPri++
			}
		}
		cms := cmBuf[:0]
		for _, sm := range soft {
			if int(sm.f.spec.Priority) != softPri {
				continue
			}
			id, ok := findConjunctiveMatch(sm.f, nSoftPri, &cms)
			if !ok {
				continue
			}
			k2 := *k
			k2.SetConjID(id)
			if f := c.lookupConj(&k2, t, false); f != nil {
				return f
			}
		}
		for i := range soft {
			sm := &soft[i]
			if int(sm.f.spec.Priority) != softPri {
				continue
			}
			// the next flow with the same match, lower priority
			var nf *flow
			for j := sm.pos + 1; j < len(sm.bucket); j++ {
				if sm.bucket[j].spec.Match.Value == sm.f.spec.Match.Value && sm.bucket[j].spec.Match.Tun.Equal(sm.f.spec.Match.Tun) {
					nf, sm.pos = sm.bucket[j], j
					break
				}
			}
			switch {
			case nf == nil:
				sm.f = nil
			case nf.conj == nil:
				if int(nf.spec.Priority) > hardPri {
					hard, hardPri = nf, int(nf.spec.Priority)
				}
				sm.f = nil
			default:
				sm.f = nf
			}
		}
	}
	return hard
}

// findConjunctiveMatch adds soft flow f's clauses to cms and reports a
// conjunction whose every clause is now matched.
func findConjunctiveMatch(f *flow, maxClauses int, cms *[]conjMatch) (uint32, bool) {
	for _, cj := range f.conj {
		if int(cj.NClauses) > maxClauses {
			continue
		}
		var cm *conjMatch
		for i := range *cms {
			if (*cms)[i].id == cj.ID {
				cm = &(*cms)[i]
				break
			}
		}
		if cm == nil {
			*cms = append(*cms, conjMatch{id: cj.ID, clauses: ^uint64(0) << (cj.NClauses & 63)})
			cm = &(*cms)[len(*cms)-1]
		}
		cm.clauses |= 1 << cj.Clause
		if cm.clauses == ^uint64(0) {
			return cm.id, true
		}
	}
	return 0, false
}
