package ct

import (
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"gswitch/ct/alg"
	"gswitch/ct/frag"
	"gswitch/ct/internal/lockcheck"
	"gswitch/packet"
)

// DefaultMaxConns is the default global connection limit, as OVS's
// DEFAULT_N_CONN_LIMIT.
const DefaultMaxConns = 3000000

// zoneSpan is how many shards one zone's connections spread over.
const zoneSpan = 64

// shardAt takes a key's offset in its zone's window from the hash's top 6
// bits: zoneSpan may not exceed 64 (a compile error otherwise).
var _ [64 - zoneSpan]struct{}

// DefaultSweepInterval is the default period of the expiry sweep (OVS's
// ct-get-sweep-interval default).
const DefaultSweepInterval = 20 * time.Second

// Config is a Tracker's initial configuration. The zero value is OVS's
// defaults.
type Config struct {
	// MaxConns is the global connection limit; 0 means DefaultMaxConns.
	MaxConns uint32
	// Shards is the number of table shards, rounded up to a power of two;
	// 0 means 1024.
	Shards int
	// SweepInterval is the base period of the background sweep; 0 means
	// DefaultSweepInterval.
	SweepInterval time.Duration
	// Clock returns the current time on the clock whose readings Execute
	// gets as now. It is used only off the packet path: by dumps (-s
	// timeouts), flushes and the background sweep. Nil: ct estimates it
	// from the now values Execute has seen plus the elapsed monotonic time.
	Clock func() int64
	// NoTCPSeqCheck starts with TCP sequence checking disabled.
	NoTCPSeqCheck bool
}

// conn is one tracked connection, the tenant of a slab slot. key, rkey,
// natAct, helper and related are written once, under mu and the shard
// locks, before insert makes the connection visible; they are read with
// mu or a shard lock that finds the connection held (a slot's next tenant
// writes them again: see gen); exp is atomic; dead, zprev, znext and freed
// belong to the shard locks; gen to both (below); the rest is guarded by
// mu (+checklocks below; the shard-guarded fields name no lock of the
// conn, so they carry none).
type conn struct {
	// The first line has what every packet of the connection's original
	// direction touches (the key compare, the lock, the deadline), the
	// second the reply key and what every packet reads (mark and label),
	// the third the rest (TCP state, list links).
	key  connKey // original direction
	dead bool    // removed from the table (shard locks)
	// +checklocks:mu
	state   uint8 // other/ICMP state
	natAct  uint8 // natSrc or natDst: the translation of the original direction
	helper  uint8 // ALG helper id (helper.go), 0: none
	related bool  // created from an ALG expectation (+rel on every packet)
	mu      sync.Mutex
	exp     atomic.Int64 // deadline, in the now clock's nanoseconds

	// +checklocks:mu
	label packet.U128
	// +checklocks:mu
	mark uint32
	rkey connKey // reply direction as it is on the wire (key reversed, then NATed)
	// tpGen is the generation of its zone's timeout policy when the
	// connection was created (0: the zone had none); written once, as key.
	tpGen uint16

	idx uint32 // slot in the slab
	// zprev and znext link the zone list (shard.zones) of the shard that
	// holds key (guarded by its lock); a freed slot's znext links its
	// shard's free list.
	zprev, znext uint32
	// +checklocks:mu
	tcp [2]tcpPeer
	// freed is when a removed connection was freed (its slot waits for
	// reuseGrace in its shard's free list, linked through znext).
	freed int64
	// gen is the slot's generation: a removal increments it, with the
	// connection's shard locks and mu held, so (slot, gen) names one
	// connection for ever, and reading gen with either held tells whether
	// the connection is still that one. Whoever keeps a *conn past the
	// lock under which it found it (a packet between lookup and update,
	// Packet.Conn, a flush, a dump) keeps gen with it, and acts on the
	// connection only after checking, under mu or a shard lock again,
	// that gen is unchanged; otherwise the connection is gone (removed,
	// its slot perhaps another's). A uint32 wraps only after 2^32
	// removals of one slot, each at least reuseGrace after the last
	// (over 270 years).
	gen uint32
	// Pad to whole cache lines: connections are allocated side by side in
	// the slab and updated by different goroutines, which would otherwise
	// write to a shared line (the size is checked below).
	_ [12]byte
}

// The layout above, checked at compile time: a multiple of a 64-byte cache
// line in all, the hot fields in the first two lines.
var (
	_ [0]struct{} = [unsafe.Sizeof(conn{}) % 64]struct{}{}
	_ [0]struct{} = [(unsafe.Offsetof(conn{}.exp) + 8) / 65]struct{}{}
	_ [0]struct{} = [(unsafe.Offsetof(conn{}.rkey) + unsafe.Sizeof(connKey{})) / 129]struct{}{}
	_ [0]struct{} = [(unsafe.Offsetof(conn{}.tpGen) + 2) / 129]struct{}{}
)

func (c *conn) expired(now int64) bool { return now >= c.exp.Load() }

// shard is a piece of the table: both keys of a connection live in the
// shard that the symmetric hash of its key names (unless NAT moves the
// reply key to another). ix finds a key's ref from its hash (index.go);
// the keys themselves are compared in the connections. zones lists, per
// zone, the connections whose original key is in this shard: flushing or
// dumping a zone visits only its own connections.
type shard struct {
	mu sync.RWMutex
	// +checklocks:mu
	ix index
	// +checklocks:mu
	zones map[uint16]uint32 // zone -> first slot of its list
	sl    *slab
	// fhead and ftail are the oldest and newest freed slots of this
	// shard, a FIFO linked through the slots' znext.
	// +checklocks:mu
	fhead, ftail uint32
	_            [64]byte // keep shards' locks on separate cache lines
}

// ref names one key of a connection: its slab slot << 1 | 1 for the reply
// key (rkey). 0 is no ref (slot 0 is never used).
type ref uint32

func mkref(idx uint32, reply bool) ref {
	if reply {
		return ref(idx<<1 | 1)
	}
	return ref(idx << 1)
}

// zoneConf is a zone's configuration: an immutable value swapped whole.
type zoneConf struct {
	tp     *policy // nil: the default policy
	tpGen  uint16  // tp's generation (Tracker.tpGen when it was set); 0 without tp
	limit  int64   // -1: none (the default limit applies); 0: unlimited
	seqChk int8    // 0: global setting, 1: on, 2: off
}

// Counters are the tracker's event counters (drop reasons and the like).
type Counters struct {
	Full         uint64 // new connection refused: global limit
	ZoneFull     uint64 // new connection refused: zone limit
	Invalid      uint64 // packets marked +inv
	Unsupported  uint64 // packets with a ct action the tracker cannot execute: +inv
	ALGInvalid   uint64 // packets whose ALG command was malformed or refused: +inv
	ExpFull      uint64 // expectations refused: the expectation table is full
	Created      uint64
	Expired      uint64 // removed by the sweep
	Flushed      uint64
	TCPSeqFail   uint64 // TCP packets outside the window
	TCPBadFlags  uint64 // TCP packets with an invalid flag combination
	NATExhausted uint64 // new connection refused: no free translated tuple
}

// Tracker is the connection tracker. All methods are safe for concurrent
// use. Execute runs on the datapath goroutines; everything else is for the
// control plane.
type Tracker struct {
	seed   uint64
	slab   *slab
	shards []shard
	mask   uint64
	span   uint64 // shards per zone (power of two, <= len(shards))

	n        atomic.Int64
	maxConns atomic.Uint32
	zones    []atomic.Pointer[zoneConf] // 65536
	zcount   []atomic.Int32             // 65536, live conns per zone
	defLimit atomic.Int64               // 0: unlimited
	defTP    atomic.Pointer[policy]
	tpGen    uint16 // last zone timeout policy generation handed out (cfgMu)
	seqChk   atomic.Bool

	cnt struct {
		full, zoneFull, invalid, unsupported, created, expired, flushed,
		tcpSeqFail, tcpBadFlags, natExhausted, algInvalid, expFull atomic.Uint64
	}

	events eventHub  // event subscriptions (events.go)
	zstats zoneStats // per-zone counters (zonestats.go)
	// forced is the reason a ct(force) passes to remove: a marker, never
	// counted (the removal counts as flushed).
	forced atomic.Uint64

	exps *alg.Table // ALG expectations
	algs algTable   // ALG state of helper and related connections

	sweepMS atomic.Int64
	// sweepWake tells the background sweep that the period changed.
	sweepWake chan struct{}
	nextTick  atomic.Int64 // shard where the sweep resumes

	clock    func() int64
	lastNow  atomic.Int64 // latest now seen by Execute (see observeNow)
	nowMu    sync.Mutex
	seenNow  int64 // lastNow when Now last changed its base
	seenMono int64 // monotonic time then
	mono0    time.Time

	frag *frag.Reassembler

	cfgMu  sync.Mutex // serializes configuration changes
	stopMu sync.Mutex
	stop   chan struct{}
	done   chan struct{}
}

// New returns a tracker with cfg's settings. Call Start to run the
// background sweep, or call Sweep yourself.
func New(cfg Config) *Tracker {
	ns := cfg.Shards
	if ns <= 0 {
		ns = 1024
	}
	p := 1 << bits.Len(uint(ns-1)) // ns rounded up to a power of two
	t := &Tracker{
		seed:   rand.Uint64(),
		shards: make([]shard, p),
		mask:   uint64(p - 1),
		span:   uint64(min(p, zoneSpan)),
		zones:  make([]atomic.Pointer[zoneConf], 65536),
		zcount: make([]atomic.Int32, 65536),
		clock:  cfg.Clock,
		mono0:  time.Now(),
	}
	t.slab = newSlab()
	for i := range t.shards {
		t.shards[i].zones = make(map[uint16]uint32)
		t.shards[i].sl = t.slab
	}
	mc := cfg.MaxConns
	if mc == 0 {
		mc = DefaultMaxConns
	}
	t.maxConns.Store(mc)
	t.seqChk.Store(!cfg.NoTCPSeqCheck)
	t.defTP.Store(defaultPolicy())
	si := cfg.SweepInterval
	if si <= 0 {
		si = DefaultSweepInterval
	}
	t.sweepMS.Store(si.Milliseconds())
	t.sweepWake = make(chan struct{}, 1)
	t.frag = frag.New()
	t.exps = alg.NewTable(0, 0)
	t.algs.m = make(map[uint64]*algState)
	return t
}

// observeNow records the latest now seen by Execute (at most once a
// millisecond, so that batches on many goroutines do not all write the
// same cache line): control-plane operations derive their "now" from it.
func (t *Tracker) observeNow(now int64) {
	if t.clock == nil && now > t.lastNow.Load()+int64(time.Millisecond) {
		t.lastNow.Store(now)
	}
}

// Now returns the current time on the datapath's clock: Config.Clock, or
// the latest now Execute saw plus the monotonic time elapsed since this
// method first saw that value.
func (t *Tracker) Now() int64 {
	if t.clock != nil {
		return t.clock()
	}
	t.nowMu.Lock()
	defer t.nowMu.Unlock()
	ln := t.lastNow.Load()
	mono := int64(time.Since(t.mono0))
	if ln != t.seenNow {
		t.seenNow, t.seenMono = ln, mono
	}
	return ln + mono - t.seenMono
}

// shardOf returns k's shard. A zone's connections live in a window of
// zoneSpan consecutive shards starting at a per-zone offset, so flushing a
// zone visits only that window.
func (t *Tracker) shardOf(k *connKey) *shard {
	return t.shardAt(k.zone, k.hash(t.seed))
}

// shardAt returns the shard of a key of zone with hash h. The shard comes
// from the hash's top bits: the index inside the shard places keys by its
// low bits, which would otherwise be the same for all of a zone's keys in
// a shard and pile them into one run of slots.
func (t *Tracker) shardAt(zone uint16, h uint64) *shard {
	return &t.shards[(t.zoneBase(zone)+(h>>58)&(t.span-1))&t.mask]
}

func (t *Tracker) zoneBase(zone uint16) uint64 {
	h := (uint64(zone) + t.seed) * 0x9e3779b97f4a7c15
	return (h >> 32) & t.mask
}

// zoneShards returns the shards that may hold zone's connections.
func (t *Tracker) zoneShards(zone uint16, f func(s *shard)) {
	base := t.zoneBase(zone)
	for i := uint64(0); i < t.span; i++ {
		f(&t.shards[(base+i)&t.mask])
	}
}

// get returns the connection that holds key k (whose hash is h) and
// whether k is its reply key; s is locked (for reading at least).
//
// +checklocksread:s.mu
func (s *shard) get(h uint64, k *connKey) (*conn, bool) {
	lockcheck.RHeld(&s.mu)
	tag := uint32(h)
	if sl := s.ix.slots; len(sl) > 0 {
		mask := uint64(len(sl) - 1)
		for i := h & mask; sl[i] != 0; i = (i + 1) & mask {
			if v := sl[i]; uint32(v>>32) == tag {
				if c, reply := s.match(ref(v), k); c != nil {
					return c, reply
				}
			}
		}
	}
	if old := s.ix.old; old != nil {
		mask := uint64(len(old) - 1)
		for i := h & mask; old[i] != 0; i = (i + 1) & mask {
			if v := old[i]; uint32(v>>32) == tag {
				if c, reply := s.match(ref(v), k); c != nil {
					return c, reply
				}
			}
		}
	}
	return nil, false
}

// match returns r's connection if r's key is k (s locked, for reading
// at least).
//
// +checklocksread:s.mu
func (s *shard) match(r ref, k *connKey) (*conn, bool) {
	c := s.sl.at(uint32(r >> 1))
	if r&1 == 0 {
		if c.key == *k {
			return c, false
		}
	} else if c.rkey == *k {
		return c, true
	}
	return nil, false
}

// put adds c's key (reply: its rkey), whose hash is h, to s (locked; the
// index has room: growNeeds). The original key also enters s's list of
// c's zone.
//
// +checklocks:s.mu
func (s *shard) put(h uint64, c *conn, reply bool) {
	lockcheck.WHeld(&s.mu)
	s.ix.insert(h, mkref(c.idx, reply))
	if reply {
		return
	}
	head := s.zones[c.key.zone]
	c.zprev, c.znext = 0, head
	if head != 0 {
		s.sl.at(head).zprev = c.idx
	}
	s.zones[c.key.zone] = c.idx
}

// del removes what put added (s locked).
//
// +checklocks:s.mu
func (s *shard) del(h uint64, c *conn, reply bool) {
	lockcheck.WHeld(&s.mu)
	s.ix.remove(h, mkref(c.idx, reply))
	if !reply {
		s.unzone(c)
	}
}

// unzone takes c out of its zone list (s locked).
//
// +checklocks:s.mu
func (s *shard) unzone(c *conn) {
	lockcheck.WHeld(&s.mu)
	if c.zprev != 0 {
		s.sl.at(c.zprev).znext = c.znext
	} else if c.znext != 0 {
		s.zones[c.key.zone] = c.znext
	} else {
		delete(s.zones, c.key.zone)
	}
	if c.znext != 0 {
		s.sl.at(c.znext).zprev = c.zprev
	}
	c.zprev, c.znext = 0, 0
}

// each calls f for every connection of s once (s locked); f returns
// false to stop the walk early. f may remove the connection it is given
// (and no other). zone >= 0 restricts the walk to that zone's entries.
//
// +checklocksread:s.mu
func (s *shard) each(zone int, f func(c *conn) bool) {
	lockcheck.RHeld(&s.mu)
	if zone >= 0 {
		s.eachIn(s.zones[uint16(zone)], f)
		return
	}
	for _, head := range s.zones {
		if !s.eachIn(head, f) {
			return
		}
	}
}

// eachIn is each over the zone list that starts at slot i.
//
// +checklocksread:s.mu
func (s *shard) eachIn(i uint32, f func(c *conn) bool) bool {
	for i != 0 {
		c := s.sl.at(i)
		i = c.znext
		if !c.dead && !f(c) {
			return false
		}
	}
	return true
}

// removeBatch is how many connections a sweep or flush removes per hold
// of a shard's lock before it lets packets in again.
const removeBatch = 512

// removeWhere removes the connections of s that match, holding the shard
// lock for at most removeBatch removals at a time, and returns how many.
// zone >= 0 restricts it to that zone's connections.
func (t *Tracker) removeWhere(s *shard, zone int, match func(c *conn) bool, reason *atomic.Uint64, now int64) int {
	if zone >= 0 {
		return t.removeZoneWhere(s, uint16(zone), match, reason, now)
	}
	s.mu.RLock()
	zs := make([]uint16, 0, len(s.zones))
	for z := range s.zones {
		zs = append(zs, z)
	}
	s.mu.RUnlock()
	total := 0
	for _, z := range zs {
		total += t.removeZoneWhere(s, z, match, reason, now)
	}
	return total
}

// genConn is a connection and its generation (conn.gen), kept past the
// lock under which they were read.
type genConn struct {
	c   *conn
	gen uint32
}

// removeZoneWhere is removeWhere for one zone list of s. Between batches
// it resumes where it stopped, when that connection is still in the list
// (the same connection: its generation unchanged).
func (t *Tracker) removeZoneWhere(s *shard, zone uint16, match func(c *conn) bool, reason *atomic.Uint64, now int64) int {
	total := 0
	var cross []genConn // NATed connections whose reply key is in another shard
	var cursor genConn
	for {
		n := 0
		cross = cross[:0]
		subs := t.watching()
		s.mu.Lock()
		head := s.zones[zone]
		i := head
		if c := cursor.c; c != nil && c.gen == cursor.gen {
			// Not removed since the last batch: still in this list (a
			// slot only ever holds keys of the shard whose free list it
			// joins, so gen is read under its lock).
			i = c.idx
		}
		for i != 0 && n+len(cross) < removeBatch {
			c := s.sl.at(i)
			i = c.znext
			if c.dead || !match(c) {
				continue
			}
			h2 := c.rkey.hash(t.seed)
			if t.shardAt(c.rkey.zone, h2) != s {
				cross = append(cross, genConn{c, c.gen})
				continue
			}
			// Unlink c from the zone list here (the list head is written
			// back once per batch), then the rest of removeLocked.
			if c.zprev != 0 {
				s.sl.at(c.zprev).znext = c.znext
			} else {
				head = c.znext
			}
			if c.znext != 0 {
				s.sl.at(c.znext).zprev = c.zprev
			}
			c.zprev = 0
			if subs != nil {
				t.emitDestroy(subs, c, reason, now)
			}
			t.unlinkLocked(c, s, c.key.hash(t.seed), s, h2, now)
			n++
		}
		if head == 0 {
			delete(s.zones, zone)
		} else {
			s.zones[zone] = head
		}
		if n > 0 {
			t.n.Add(-int64(n))
			t.zcount[zone].Add(-int32(n))
			if reason != nil {
				reason.Add(uint64(n))
			}
		}
		cn := n
		if i != 0 {
			c := s.sl.at(i)
			cursor = genConn{c, c.gen}
		}
		s.mu.Unlock()
		if len(cross) > 0 && testHook != nil {
			testHook(hookCross)
		}
		for _, x := range cross {
			if t.remove(x.c, x.gen, reason, now) {
				cn++
			}
		}
		total += cn
		if i == 0 {
			return total
		}
		runtime.Gosched()
	}
}

// lookup finds the live connection that k belongs to, its generation
// (conn.gen: the caller checks it under c.mu before it acts on c) and
// whether k is its reply direction.
func (t *Tracker) lookup(k *connKey, now int64) (c *conn, gen uint32, reply bool) {
	h := k.hash(t.seed)
	s := t.shardAt(k.zone, h)
	s.mu.RLock()
	c, reply = s.get(h, k)
	if c == nil || c.expired(now) {
		s.mu.RUnlock()
		return nil, 0, false
	}
	gen = c.gen
	s.mu.RUnlock()
	return c, gen, reply
}

// hookSite names a place where a goroutine holds a connection that it
// found under a lock it has since released (testHook).
type hookSite uint8

const (
	hookLookup     hookSite = iota // processOne, between the lookup and c.mu
	hookInserted                   // processOne, between insert and c.mu
	hookCross                      // a flush or sweep, before it removes a NATed connection in another shard
	hookFlushTuple                 // FlushMatching, between the lookup and the removal
	hookDump                       // Conns, between the snapshot and the ALG state's lookup
)

// testHook, when not nil, is called at each hookSite with the connection
// held. Only tests set it (before the goroutines that call it start), to
// stall a goroutine there while the connection is removed and its slot
// reused: that such a goroutine never acts on the slot's new tenant does
// not rest on timing (conn.gen).
var testHook func(site hookSite)

// lockPair locks a and b for writing (the same shard or two, in the order
// of their addresses, which is their order in Tracker.shards: the lock
// order of ct/doc.go).
func lockPair(a, b *shard) {
	switch {
	case a == b:
		a.mu.Lock()
	case uintptr(unsafe.Pointer(a)) < uintptr(unsafe.Pointer(b)):
		a.mu.Lock()
		b.mu.Lock()
	default:
		b.mu.Lock()
		a.mu.Lock()
	}
}

func unlockPair(a, b *shard) {
	a.mu.Unlock()
	if b != a {
		b.mu.Unlock()
	}
}

// insert adds a connection initialized from tmp (key, rkey and state)
// under both its keys and returns it with its generation (conn.gen). If a
// live connection already holds either key (another goroutine won the
// race), insert returns nil and adds nothing; expired holders are removed
// first.
//
// st, if not nil, is the new connection's ALG state: it is recorded before
// the connection becomes visible, so no packet finds it without.
func (t *Tracker) insert(tmp *conn, st *algState, now int64) (*conn, uint32) {
	h1, h2 := tmp.key.hash(t.seed), tmp.rkey.hash(t.seed)
	s1, s2 := t.shardAt(tmp.key.zone, h1), t.shardAt(tmp.rkey.zone, h2)
	for {
		lockPair(s1, s2)
		if g1, g2 := growNeeds(s1, s2); g1 != 0 || g2 != 0 {
			// Allocate (and zero) the bigger index arrays without the
			// locks, then start the moves and look again.
			unlockPair(s1, s2)
			var b1, b2 []uint64
			if g1 != 0 {
				b1 = make([]uint64, g1)
			}
			if g2 != 0 {
				b2 = make([]uint64, g2)
			}
			lockPair(s1, s2)
			n1, n2 := growNeeds(s1, s2)
			if n1 != 0 && n1 == len(b1) {
				s1.ix.grow(b1)
			}
			if n2 != 0 && n2 == len(b2) {
				s2.ix.grow(b2)
			}
			unlockPair(s1, s2)
			continue
		}
		stale, busy := s1.holder(h1, &tmp.key, now)
		if !busy {
			var st2 *conn
			st2, busy = s2.holder(h2, &tmp.rkey, now)
			if stale == nil {
				stale = st2
			}
		}
		if busy {
			unlockPair(s1, s2)
			return nil, 0
		}
		if stale != nil {
			// An expired connection still holds a key: remove it (with
			// its own shards' locks if they are not the ones we hold),
			// then look again.
			o1, o2 := t.shardOf(&stale.key), t.shardOf(&stale.rkey)
			if (o1 == s1 || o1 == s2) && (o2 == s1 || o2 == s2) {
				t.removeLocked(stale, &t.cnt.expired, now)
				unlockPair(s1, s2)
			} else {
				sgen := stale.gen
				unlockPair(s1, s2)
				t.remove(stale, sgen, &t.cnt.expired, now)
			}
			continue
		}
		idx := t.allocLocked(s1, now)
		c := t.slab.at(idx)
		c.mu.Lock()
		c.key, c.rkey, c.state, c.tcp, c.natAct = tmp.key, tmp.rkey, tmp.state, tmp.tcp, tmp.natAct
		c.helper, c.related = tmp.helper, tmp.related
		c.mark, c.label, c.tpGen = tmp.mark, tmp.label, tmp.tpGen
		c.exp.Store(tmp.exp.Load())
		c.idx, c.dead = idx, false
		gen := c.gen
		c.mu.Unlock()
		if st != nil {
			t.algs.put(idx, gen, st)
		}
		s1.put(h1, c, false)
		s2.put(h2, c, true)
		unlockPair(s1, s2)
		return c, gen
	}
}

// growNeeds returns the index sizes that s1 and s2 (locked) need before
// one connection can be put in them (its key in s1, its reply key in s2),
// 0 when they have room.
//
// +checklocks:s1.mu
// +checklocks:s2.mu
func growNeeds(s1, s2 *shard) (int, int) {
	lockcheck.WHeld(&s1.mu)
	lockcheck.WHeld(&s2.mu)
	if s1 == s2 {
		return s1.ix.needGrow(2), 0
	}
	return s1.ix.needGrow(1), s2.ix.needGrow(1)
}

// holder returns the connection of s (locked) that holds key k (hash h):
// busy when it is live, else the expired one (or nil).
//
// +checklocksread:s.mu
func (s *shard) holder(h uint64, k *connKey, now int64) (stale *conn, busy bool) {
	c, _ := s.get(h, k)
	if c == nil {
		return nil, false
	}
	if !c.expired(now) {
		return nil, true
	}
	return c, false
}

// removeLocked takes c out of the table; the shards of both its keys are
// locked (for writing). now stamps the freed slot for its reuse grace
// period. (The shards are c's, which an annotation cannot name: the
// lockcheck calls check them.)
func (t *Tracker) removeLocked(c *conn, reason *atomic.Uint64, now int64) {
	h1, h2 := c.key.hash(t.seed), c.rkey.hash(t.seed)
	s1, s2 := t.shardAt(c.key.zone, h1), t.shardAt(c.rkey.zone, h2)
	lockcheck.WHeld(&s1.mu)
	lockcheck.WHeld(&s2.mu)
	if c.dead {
		return
	}
	if subs := t.watching(); subs != nil {
		t.emitDestroy(subs, c, reason, now)
	}
	if reason == &t.forced {
		reason = &t.cnt.flushed
	}
	s1.unzone(c)
	t.unlinkLocked(c, s1, h1, s2, h2, now)
	t.n.Add(-1)
	t.zcount[c.key.zone].Add(-1)
	if reason != nil {
		reason.Add(1)
	}
}

// unlinkLocked is the part of a removal common to removeLocked and a
// zone list walk (which keeps the zone list and the counts itself): c is
// marked dead, its generation moves on (under c.mu too, so that a
// goroutine that checked it under c.mu finishes with the connection
// first: an expectation its helper adds then is removed below with the
// others), its keys (hashes h1 and h2, in shards s1 and s2, locked)
// leave the index, and its slot joins s1's free list.
//
// +checklocks:s1.mu
// +checklocks:s2.mu
func (t *Tracker) unlinkLocked(c *conn, s1 *shard, h1 uint64, s2 *shard, h2 uint64, now int64) {
	lockcheck.WHeld(&s1.mu)
	lockcheck.WHeld(&s2.mu)
	c.dead = true
	gen := c.gen
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
	s1.ix.remove(h1, mkref(c.idx, false))
	s2.ix.remove(h2, mkref(c.idx, true))
	if c.helper != 0 || c.related {
		t.detachALG(c, gen)
	}
	c.freed, c.znext = now, 0
	if s1.ftail != 0 {
		s1.sl.at(s1.ftail).znext = c.idx
	} else {
		s1.fhead = c.idx
	}
	s1.ftail = c.idx
}

// remove takes c out of the table if it is still the connection of
// generation gen (conn.gen), and reports whether it did: a connection
// removed since (its slot perhaps another connection's by now) is left
// alone. c.mu and c's shard locks are not held.
func (t *Tracker) remove(c *conn, gen uint32, reason *atomic.Uint64, now int64) bool {
	c.mu.Lock()
	if c.gen != gen {
		c.mu.Unlock()
		return false
	}
	s1, s2 := t.shardOf(&c.key), t.shardOf(&c.rkey)
	c.mu.Unlock()
	lockPair(s1, s2)
	// gen moves only with these locks held (they are its shards while it
	// is unchanged): unchanged now, c is that connection and in the table.
	removed := c.gen == gen
	if removed {
		t.removeLocked(c, reason, now)
	}
	unlockPair(s1, s2)
	return removed
}

// admit reserves room for a new connection in zone (the global and the
// zone count are both taken, exactly: concurrent creators cannot overshoot
// a limit) and reports whether there was room; a refusal is counted by
// reason. A reservation is returned with release.
func (t *Tracker) admit(zone uint16) bool {
	limit := t.defLimit.Load()
	if zc := t.zones[zone].Load(); zc != nil && zc.limit >= 0 {
		limit = zc.limit
	}
	if n := t.zcount[zone].Add(1); limit > 0 && int64(n) > limit {
		t.zcount[zone].Add(-1)
		t.cnt.zoneFull.Add(1)
		t.zstats.at(zone).limitDrops.Add(1)
		return false
	}
	if n := t.n.Add(1); n > int64(t.maxConns.Load()) {
		t.n.Add(-1)
		t.zcount[zone].Add(-1)
		t.cnt.full.Add(1)
		t.zstats.at(zone).limitDrops.Add(1)
		return false
	}
	return true
}

func (t *Tracker) release(zone uint16) {
	t.n.Add(-1)
	t.zcount[zone].Add(-1)
}

// seqCheck reports whether TCP sequence checking applies in zone.
func (t *Tracker) seqCheck(zone uint16) bool {
	if zc := t.zones[zone].Load(); zc != nil && zc.seqChk != 0 {
		return zc.seqChk == 1
	}
	return t.seqChk.Load()
}

// timeout returns the duration of timeout tm of a connection in zone
// created under timeout policy generation gen, in nanoseconds. As in OVS,
// whose connections keep the policy id they were committed with: the
// zone's policy applies only to connections created while it was set; one
// created before it keeps the default, and one whose policy was replaced
// or deleted since falls back to the default (OVS deletes the old policy
// id; a generation comes round again after 65535 changes, as OVS reuses
// policy ids).
func (t *Tracker) timeout(zone uint16, gen uint16, tm tmIndex) int64 {
	p := t.defTP.Load()
	if gen != 0 {
		if zc := t.zones[zone].Load(); zc != nil && zc.tp != nil && zc.tpGen == gen {
			p = zc.tp
		}
	}
	return int64(p.attrs[tmAttr[tm]]) * int64(time.Second)
}

// zoneTPGen is the generation of zone's timeout policy, which a
// connection created now takes (0: none).
func (t *Tracker) zoneTPGen(zone uint16) uint16 {
	if zc := t.zones[zone].Load(); zc != nil && zc.tp != nil {
		return zc.tpGen
	}
	return 0
}

// nextTPGen hands out the next policy generation, never 0 (t.cfgMu held).
func (t *Tracker) nextTPGen() uint16 {
	t.tpGen++
	if t.tpGen == 0 {
		t.tpGen = 1
	}
	return t.tpGen
}

// Count returns the number of connections in the table (expired ones not
// yet swept included, as OVS's ct-get-nconns).
func (t *Tracker) Count() int { return int(t.n.Load()) }

// Counters returns a snapshot of the event counters.
func (t *Tracker) Counters() Counters {
	return Counters{
		Full: t.cnt.full.Load(), ZoneFull: t.cnt.zoneFull.Load(),
		Invalid: t.cnt.invalid.Load(), Unsupported: t.cnt.unsupported.Load(),
		Created: t.cnt.created.Load(), Expired: t.cnt.expired.Load(),
		Flushed: t.cnt.flushed.Load(), TCPSeqFail: t.cnt.tcpSeqFail.Load(),
		TCPBadFlags: t.cnt.tcpBadFlags.Load(), NATExhausted: t.cnt.natExhausted.Load(),
		ALGInvalid: t.cnt.algInvalid.Load(), ExpFull: t.cnt.expFull.Load(),
	}
}

// SetMaxConns sets the global connection limit. Existing connections stay.
func (t *Tracker) SetMaxConns(n uint32) { t.maxConns.Store(n) }

// MaxConns returns the global connection limit.
func (t *Tracker) MaxConns() uint32 { return t.maxConns.Load() }

// SetTCPSeqCheck turns TCP sequence checking on or off globally.
func (t *Tracker) SetTCPSeqCheck(on bool) { t.seqChk.Store(on) }

// TCPSeqCheck reports the global TCP sequence checking setting.
func (t *Tracker) TCPSeqCheck() bool { return t.seqChk.Load() }

// updateZone applies f to a copy of zone's configuration.
func (t *Tracker) updateZone(zone uint16, f func(*zoneConf)) {
	t.cfgMu.Lock()
	defer t.cfgMu.Unlock()
	nc := zoneConf{limit: -1}
	if old := t.zones[zone].Load(); old != nil {
		nc = *old
	}
	f(&nc)
	if nc.tp == nil && nc.limit < 0 && nc.seqChk == 0 {
		t.zones[zone].Store(nil)
		return
	}
	t.zones[zone].Store(&nc)
}

// SetZoneTCPSeqCheck sets TCP sequence checking for one zone: on is 1 (on),
// 0 (off) or -1 (follow the global setting). A gswitch extension.
func (t *Tracker) SetZoneTCPSeqCheck(zone uint16, on int) {
	t.updateZone(zone, func(z *zoneConf) {
		switch {
		case on > 0:
			z.seqChk = 1
		case on == 0:
			z.seqChk = 2
		default:
			z.seqChk = 0
		}
	})
}

// SetZoneLimit sets zone's connection limit (0: unlimited).
func (t *Tracker) SetZoneLimit(zone uint16, limit uint32) {
	t.updateZone(zone, func(z *zoneConf) { z.limit = int64(limit) })
}

// DelZoneLimit removes zone's own limit; the default limit applies again.
func (t *Tracker) DelZoneLimit(zone uint16) {
	t.updateZone(zone, func(z *zoneConf) { z.limit = -1 })
}

// SetDefaultZoneLimit sets the limit of zones without their own (0:
// unlimited, the initial value).
func (t *Tracker) SetDefaultZoneLimit(limit uint32) { t.defLimit.Store(int64(limit)) }

// ZoneLimit returns zone's effective limit, whether it is the zone's own,
// and the zone's connection count.
func (t *Tracker) ZoneLimit(zone uint16) (limit uint32, own bool, count int) {
	count = int(t.zcount[zone].Load())
	if zc := t.zones[zone].Load(); zc != nil && zc.limit >= 0 {
		return uint32(zc.limit), true, count
	}
	return uint32(t.defLimit.Load()), false, count
}
