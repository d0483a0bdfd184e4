package ct

// index is a shard's key index: open addressing with linear probing over
// 64-bit slots, each holding the low 32 bits of a key's hash (the tag,
// which also gives the slot's home position) above the key's ref. A slot
// of 0 is empty. Keys are compared in the connections the refs name, so
// the index never hashes a key itself. Removal shifts the following
// entries back (no tombstones), so lookups stay short however much the
// table churns, and the load is kept at or under one half.
//
// Growth is incremental: a full index moves its entries to an array twice
// the size, whole clusters (runs of full slots) at a time, a few per
// insertion or removal, while lookups search both arrays; no operation
// rehashes the whole table. Moving whole clusters and emptying their
// slots keeps the old array an ordinary linear-probing table: every probe
// sequence lies within one cluster. The new array is allocated by the
// caller outside the shard lock (needGrow, then grow).
type index struct {
	slots []uint64
	n     int // entries in slots
	// old is the array being moved into slots (nil when none); the
	// clusters still there lie between mig and the empty slot the move
	// started from.
	old  []uint64
	oldN int // entries left in old
	mig  int
}

const (
	indexMinSize = 16
	migStep      = 8 // entries moved (at least) per insertion or removal
)

func entry(h uint64, r ref) uint64 { return uint64(uint32(h))<<32 | uint64(r) }

func (e *index) count() int { return e.n + e.oldN }

// needGrow returns the size of the array that the next add insertions
// need, or 0 if they fit.
func (e *index) needGrow(add int) int {
	if len(e.slots) == 0 {
		return indexMinSize
	}
	if 2*(e.count()+add) > len(e.slots) {
		return 2 * len(e.slots)
	}
	return 0
}

// grow starts moving the entries into buf (zeroed, of the size needGrow
// returned); it first finishes a move still under way.
func (e *index) grow(buf []uint64) {
	if e.old != nil {
		e.migrate(-1)
	}
	if e.n > 0 {
		e.old, e.oldN, e.mig = e.slots, e.n, 0
		// Start at an empty slot (there is one: the load is at most one
		// half) so that no cluster is split.
		for e.old[e.mig] != 0 {
			e.mig++
		}
	}
	e.slots, e.n = buf, 0
}

// migrate moves whole clusters of old until at least k entries have
// moved (k < 0: all), looking at no more than 4k empty slots.
func (e *index) migrate(k int) {
	mask := len(e.old) - 1
	for moved, empty := 0, 0; e.oldN > 0 && (k < 0 || moved < k && empty < 4*k); {
		if e.old[e.mig] == 0 {
			e.mig = (e.mig + 1) & mask
			empty++
			continue
		}
		for e.old[e.mig] != 0 {
			e.place(e.old[e.mig])
			e.old[e.mig] = 0
			e.oldN--
			moved++
			e.mig = (e.mig + 1) & mask
		}
	}
	if e.oldN == 0 {
		e.old, e.mig = nil, 0
	}
}

func (e *index) place(v uint64) {
	mask := uint64(len(e.slots) - 1)
	i := (v >> 32) & mask
	for e.slots[i] != 0 {
		i = (i + 1) & mask
	}
	e.slots[i] = v
	e.n++
}

// insert adds ref r under hash h; there must be room (needGrow(1) == 0).
func (e *index) insert(h uint64, r ref) {
	if e.old != nil {
		e.migrate(migStep)
	}
	e.place(entry(h, r))
}

// remove deletes ref r (hash h) and reports whether it was there.
func (e *index) remove(h uint64, r ref) bool {
	v := entry(h, r)
	found := removeFrom(e.slots, h, v)
	if found {
		e.n--
	} else if e.old != nil && removeFrom(e.old, h, v) {
		e.oldN--
		found = true
	}
	if e.old != nil {
		e.migrate(migStep)
	}
	return found
}

// removeFrom deletes entry v (hash h) from the linear-probing array a.
func removeFrom(a []uint64, h uint64, v uint64) bool {
	if len(a) == 0 {
		return false
	}
	mask := uint64(len(a) - 1)
	for i := h & mask; a[i] != 0; i = (i + 1) & mask {
		if a[i] == v {
			shiftBack(a, i, mask)
			return true
		}
	}
	return false
}

// shiftBack empties slot i of a, moving back the entries after it that
// would otherwise no longer be found from their home slots.
func shiftBack(a []uint64, i, mask uint64) {
	for j := i; ; {
		j = (j + 1) & mask
		v := a[j]
		if v == 0 {
			a[i] = 0
			return
		}
		home := (v >> 32) & mask
		// v may move to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			a[i] = v
			i = j
		}
	}
}

// each calls f for every ref in the index.
func (e *index) each(f func(h32 uint32, r ref)) {
	for _, a := range [2][]uint64{e.slots, e.old} {
		for _, v := range a {
			if v != 0 {
				f(uint32(v>>32), ref(v))
			}
		}
	}
}
