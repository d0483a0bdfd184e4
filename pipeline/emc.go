package pipeline

import "gswitch/packet"

// The exact-match cache: per worker, a direct-mapped cache from (version,
// table, key) to the flow the classifier found (or nil for a miss),
// in front of tables whose classifier has enough subtables for a lookup to
// cost more than a hash and a compare. An entry is valid only for the
// version it was filled from, so any flow-mod invalidates it: no
// invalidation traffic, no lock. A hit compares only the key words some
// mask of the table uses (classifier.words): the others cannot change the
// lookup's result, so comparing them (a 352-byte compare) bought nothing.

const (
	emcBits    = 10
	emcSize    = 1 << emcBits
	emcMinSubs = 4 // tables with fewer subtables are looked up directly
)

type emcEntry struct {
	v    *version
	hash uint64
	tid  uint8
	f    *flow
	key  packet.Words
}

// emcHash hashes the words of k that usually differ between packets; the
// words the table's masks use are compared on a hit.
func emcHash(k *packet.Words, tid uint8) uint64 {
	h := uint64(tid) ^ 0x9e3779b97f4a7c15
	for _, i := range [...]int{packet.WInPort, packet.WRegs, packet.WPktMark, packet.WCtMark,
		packet.WEthDst, packet.WEthSrc, packet.WNw, packet.WIPv6Src + 1, packet.WIPv6Dst + 1, packet.WL3Misc, packet.WTp} {
		h = (h ^ k[i]) * 0x100000001b3
		h ^= h >> 29
	}
	return mix64(h)
}

// emcLookup returns the flow of table tid (classifier cls) for k and the
// options t. A packet with tun_metadata present bypasses the cache (whose
// entries are for packets without: they are keyed by the words alone).
func (w *worker) emcLookup(cls *classifier, tid uint8, k *packet.Words, t *packet.TunMeta) *flow {
	if cls == nil || len(cls.subs) < emcMinSubs || t.Present != 0 {
		return cls.lookupT(k, t)
	}
	if w.emc == nil {
		w.emc = new([emcSize]emcEntry)
	}
	h := emcHash(k, tid)
	e := &w.emc[h&(emcSize-1)]
	if e.v == w.v && e.hash == h && e.tid == tid && sameWords(&e.key, k, cls.words) {
		w.ctr[cEMCHit]++
		return e.f
	}
	f := cls.lookup(k)
	e.v, e.hash, e.tid, e.f, e.key = w.v, h, tid, f, *k
	return f
}

// sameWords reports whether a and b are equal in the words listed.
func sameWords(a, b *packet.Words, words []uint8) bool {
	for _, i := range words {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
