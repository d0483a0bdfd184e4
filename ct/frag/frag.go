package frag

import (
	"math"
	"sync"
	"sync/atomic"

	"gswitch/ct/internal/lockcheck"
	"gswitch/packet"
)

// OVS 3.1's limits and defaults (lib/ipf.c).
const (
	// DefaultMinFragV4 and DefaultMinFragV6 are the default minimum size of
	// a non-last fragment's IP packet (header included).
	DefaultMinFragV4 = 1200
	DefaultMinFragV6 = 1280
	// MinFragLowerBound is the smallest minimum fragment size SetMinFrag
	// accepts, for both families.
	MinFragLowerBound = 400
	// DefaultMaxFrags is the default number of fragments held at once.
	DefaultMaxFrags = 1000
	// MaxFragsUpperBound is the largest value SetMaxFrags accepts.
	MaxFragsUpperBound = 5000
	// Timeout is how long a datagram may stay incomplete (15 s), in
	// nanoseconds.
	Timeout int64 = 15e9
	// PurgeDelay is how long after Timeout an expired datagram's fragments
	// count as purged rather than expired (10 s), in nanoseconds.
	PurgeDelay int64 = 10e9

	maxIPv4Packet    = 65535
	maxIPv4Header    = 60
	maxIPv6Payload   = 65535
	maxV6FragsPerDgm = 65535
)

// Verdict is what Handle did with a fragment. The zero value is invalid.
type Verdict uint8

const (
	_ Verdict = iota
	// Held: the fragment is kept (copied) until its datagram completes or
	// expires; the caller drops its original.
	Held
	// Complete: the fragment completed its datagram; Handle returned it.
	Complete
	// Invalid: the fragment was refused and counted (too small, overlap,
	// malformed, over a limit, ...). OVS passes such a fragment on to
	// conntrack, which marks it +inv.
	Invalid
	// Disabled: reassembly is disabled for the fragment's family; nothing
	// was looked at or counted. OVS's conntrack marks such fragments +inv.
	Disabled
	// NotFragment: the frame is no fragment after all (an IPv6 atomic
	// fragment, or a key that did not match the bytes): track it whole.
	NotFragment
)

// String returns the verdict's name.
func (v Verdict) String() string {
	switch v {
	case Held:
		return "held"
	case Complete:
		return "complete"
	case Invalid:
		return "invalid"
	case Disabled:
		return "disabled"
	case NotFragment:
		return "not-fragment"
	}
	return "verdict?"
}

// Datagram is a completed datagram.
type Datagram struct {
	// Whole is a new packet holding the reassembled datagram, parsed by
	// packet.Parse, with the metadata words (in_port, recirc_id, regs,
	// pkt_mark, ct_* ...) of the fragment that completed it.
	Whole *packet.Packet
	// Frags are copies of the datagram's fragments, in arrival order,
	// unmodified, each with its own key as it was when it arrived: the
	// frames to forward once Whole has been tracked.
	Frags []*packet.Packet
}

// fragKey identifies a datagram. It is comparable and pointer-free.
type fragKey struct {
	src, dst [16]byte // IPv4 addresses in the first 4 bytes
	id       uint32   // IPv4 ID or IPv6 Fragment identification
	recirc   uint32
	zone     uint16
	proto    uint8 // IPv4 protocol; 0 for IPv6, as OVS
	v6       bool
}

// List states, numbered and named as OVS's ipf_list_state.
const (
	stateUnused uint8 = iota
	stateReassFail
	stateOtherSeen
	stateFirstSeen
	stateLastSeen
	stateFirstLastSeen
	stateCompleted
)

var stateNames = [...]string{"unused", "reassemble fail", "other frag", "first frag",
	"last frag", "first/last frag", "complete"}

// heldFrag is one held fragment.
type heldFrag struct {
	pk         *packet.Packet
	start, end int32 // data range in the datagram, [start, end)
	seq        uint32
	// offsets into pk.Data, from fragInfo
	l3, data, ipEnd, fh, prevNH int
	nextHdr                     uint8
}

// dgram is an incomplete datagram: its fragments sorted by start.
type dgram struct {
	key        fragKey
	frags      []heldFrag
	expiration int64
	total      int32 // end of the last fragment, -1 until it arrives
	seq        uint32
	state      uint8
	prev, next *dgram // expiry FIFO, oldest first
}

// Family counters. The first six are OVS's (dpctl/ipf-get-status); the
// others are gswitch's reasons for refusing a fragment that OVS would
// either pass on uncounted or mishandle.
type FamilyStats struct {
	Enabled     bool
	MinFragSize uint32

	Accepted   uint64 // fragments held
	Completed  uint64 // fragments of completed datagrams
	Expired    uint64 // fragments of datagrams that timed out
	TooSmall   uint64 // non-last fragments under the minimum size
	Overlapped uint64 // fragments overlapping or duplicating a held one
	Purged     uint64 // fragments of datagrams expired late (Timeout+PurgeDelay)

	Malformed    uint64 // truncated or bad header, bad checksum, empty, unaligned
	TooBig       uint64 // data ending beyond 65535 bytes
	Inconsistent uint64 // contradicts the datagram's known total length
	TableFull    uint64 // MaxFrags fragments already held
	ListFull     uint64 // the datagram already has its maximum of fragments
	Failed       uint64 // fragments refused because their datagram failed to reassemble
	ReassFailed  uint64 // datagrams whose reassembly failed (too big once whole)
}

// Stats is a snapshot of the reassembler's settings and counters.
type Stats struct {
	MaxFrags uint32 // OVS's "max num frags (v4/v6)"
	NumFrags uint32 // fragments held now
	V4, V6   FamilyStats
}

type counters struct {
	accepted, completed, expired, tooSmall, overlapped, purged       atomic.Uint64
	malformed, tooBig, inconsistent, tableFull, listFull, failed, rf atomic.Uint64
}

// Reassembler holds fragments until their datagram is complete. The zero
// value is not usable: call New.
type Reassembler struct {
	enabled  [2]atomic.Bool
	minFrag  [2]atomic.Uint32
	maxFrags atomic.Uint32
	cnt      [2]counters
	nfrag    atomic.Int32
	// nextExp is the earliest expiration of any datagram (math.MaxInt64
	// when there is none), read without the lock by Expire.
	nextExp atomic.Int64

	mu sync.Mutex
	// +checklocks:mu
	lists map[fragKey]*dgram
	// +checklocks:mu
	head, tail *dgram // expiry FIFO
	// +checklocks:mu
	scratch []byte // reassembly buffer
}

func fam(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

// New returns a Reassembler with OVS's defaults: both families enabled,
// minimum fragment sizes 1200 (IPv4) and 1280 (IPv6), 1000 fragments.
func New() *Reassembler {
	r := &Reassembler{lists: make(map[fragKey]*dgram)}
	r.enabled[0].Store(true)
	r.enabled[1].Store(true)
	r.minFrag[0].Store(DefaultMinFragV4)
	r.minFrag[1].Store(DefaultMinFragV6)
	r.maxFrags.Store(DefaultMaxFrags)
	r.nextExp.Store(math.MaxInt64)
	return r
}

// SetEnabled enables or disables reassembly for IPv6 (v6) or IPv4. Held
// fragments of a disabled family still expire.
func (r *Reassembler) SetEnabled(v6, on bool) { r.enabled[fam(v6)].Store(on) }

// Enabled reports whether reassembly is enabled for IPv6 (v6) or IPv4.
func (r *Reassembler) Enabled(v6 bool) bool { return r.enabled[fam(v6)].Load() }

// SetMinFrag sets the minimum size of a non-last fragment's IP packet for
// IPv6 (v6) or IPv4. Values under MinFragLowerBound are refused with
// ErrMinFragTooSmall, as OVS refuses them; there is no upper bound.
func (r *Reassembler) SetMinFrag(v6 bool, n uint32) error {
	if n < MinFragLowerBound {
		return ErrMinFragTooSmall
	}
	r.minFrag[fam(v6)].Store(n)
	return nil
}

// MinFrag returns the minimum fragment size for IPv6 (v6) or IPv4.
func (r *Reassembler) MinFrag(v6 bool) uint32 { return r.minFrag[fam(v6)].Load() }

// SetMaxFrags sets how many fragments may be held at once. Values over
// MaxFragsUpperBound are refused with ErrMaxFragsTooBig, as OVS refuses
// them. Lowering it under the number held now drops nothing: new fragments
// are refused until enough datagrams complete or expire.
func (r *Reassembler) SetMaxFrags(n uint32) error {
	if n > MaxFragsUpperBound {
		return ErrMaxFragsTooBig
	}
	r.maxFrags.Store(n)
	return nil
}

// MaxFrags returns the maximum number of fragments held at once.
func (r *Reassembler) MaxFrags() uint32 { return r.maxFrags.Load() }

// NumFrags returns the number of fragments held now.
func (r *Reassembler) NumFrags() int { return int(r.nfrag.Load()) }

// maxV4FragsPerDgm is OVS's max_v4_frag_list_size: enough fragments of
// the minimum size to carry the largest IPv4 datagram.
func maxV4FragsPerDgm(minFrag uint32) int {
	per := int64(minFrag) - maxIPv4Header
	return int((maxIPv4Packet - maxIPv4Header + per - 1) / per)
}

// Add handles one fragment (see Handle) and returns the completed datagram,
// or nil for every other verdict: while the datagram is incomplete, when
// the fragment is refused (counted), and when reassembly is disabled for
// its family (not counted; check Enabled first to tell). pk stays the
// caller's.
func (r *Reassembler) Add(pk *packet.Packet, zone uint16, now int64) *Datagram {
	dg, _ := r.Handle(pk, zone, now)
	return dg
}

// Handle handles one fragment: pk parsed by packet.Parse with
// pk.Key.NwFrag()&packet.FragAny != 0, in conntrack zone zone, at now
// (monotonic nanoseconds). It copies what it keeps; pk stays the caller's.
// It returns the completed datagram with Complete, and nil otherwise.
func (r *Reassembler) Handle(pk *packet.Packet, zone uint16, now int64) (*Datagram, Verdict) {
	var fi fragInfo
	v6 := pk.Key.Flags&packet.FlagIPv6 != 0
	if pk.Key.Flags&(packet.FlagIPv4|packet.FlagIPv6) == 0 {
		return nil, NotFragment
	}
	if !r.enabled[fam(v6)].Load() {
		return nil, Disabled
	}
	c := &r.cnt[fam(v6)]
	switch parseFrag(pk, &fi) {
	case psNotFragment:
		return nil, NotFragment
	case psMalformed:
		c.malformed.Add(1)
		return nil, Invalid
	}
	if fi.more && uint32(fi.l3Size) < r.minFrag[fam(v6)].Load() {
		c.tooSmall.Add(1)
		return nil, Invalid
	}
	// Data must be there, and a non-last fragment's data a multiple of 8
	// bytes, or no next fragment can start where it ends.
	if fi.end == fi.start || (fi.more && (fi.end-fi.start)%8 != 0) {
		c.malformed.Add(1)
		return nil, Invalid
	}
	// Ping of death: no datagram's data can end beyond 65535 bytes (less
	// the minimal IPv4 header).
	if (!v6 && fi.end > maxIPv4Packet-20) || (v6 && fi.end > maxIPv6Payload) {
		c.tooBig.Add(1)
		return nil, Invalid
	}
	fi.key.zone = zone
	fi.key.recirc = pk.Key.RecircID()

	r.mu.Lock()
	defer r.mu.Unlock()
	if uint32(r.nfrag.Load()) >= r.maxFrags.Load() {
		c.tableFull.Add(1)
		return nil, Invalid
	}
	d := r.lists[fi.key]
	if d != nil {
		if d.state == stateReassFail {
			c.failed.Add(1)
			return nil, Invalid
		}
		limit := maxV6FragsPerDgm
		if !v6 {
			limit = maxV4FragsPerDgm(r.minFrag[0].Load())
		}
		if len(d.frags) >= limit {
			c.listFull.Add(1)
			return nil, Invalid
		}
		if d.overlaps(fi.start, fi.end) {
			c.overlapped.Add(1)
			return nil, Invalid
		}
		if !d.consistent(&fi) {
			c.inconsistent.Add(1)
			return nil, Invalid
		}
	} else {
		d = &dgram{key: fi.key, total: -1, expiration: now + Timeout, frags: make([]heldFrag, 0, 4)}
		r.lists[fi.key] = d
		r.pushLocked(d)
	}
	d.insert(heldFrag{
		pk:      copyPacket(pk),
		start:   fi.start,
		end:     fi.end,
		seq:     d.seq,
		l3:      fi.l3,
		data:    fi.data,
		ipEnd:   fi.ipEnd,
		fh:      fi.fh,
		prevNH:  fi.prevNH,
		nextHdr: fi.nextHdr,
	})
	d.seq++
	if !fi.more {
		d.total = fi.end
	}
	r.nfrag.Add(1)
	c.accepted.Add(1)
	d.transition(fi.first(), fi.last())
	if d.state != stateFirstLastSeen || !d.complete() {
		return nil, Held
	}
	whole := r.reassembleLocked(d, pk)
	if whole == nil {
		d.state = stateReassFail
		c.rf.Add(1)
		return nil, Held
	}
	d.state = stateCompleted
	out := &Datagram{Whole: whole, Frags: d.arrivalOrder()}
	n := len(d.frags)
	r.removeLocked(d)
	c.completed.Add(uint64(n))
	return out, Complete
}

// copyPacket copies pk's frame and key into a new packet sized for it.
func copyPacket(pk *packet.Packet) *packet.Packet {
	c := packet.New(pk.Data)
	c.Key = pk.Key
	c.Off = pk.Off
	return c
}

// overlaps reports whether [start, end) meets a held fragment.
func (d *dgram) overlaps(start, end int32) bool {
	for i := range d.frags {
		if start < d.frags[i].end && d.frags[i].start < end {
			return true
		}
	}
	return false
}

// consistent reports whether a fragment agrees with the datagram's total
// length: a last fragment must not contradict an earlier last fragment
// or end before held data; any fragment must end by the known total.
func (d *dgram) consistent(fi *fragInfo) bool {
	if !fi.more {
		if d.total >= 0 && d.total != fi.end {
			return false
		}
		n := len(d.frags)
		return n == 0 || d.frags[n-1].end <= fi.end
	}
	return d.total < 0 || fi.end < d.total
}

// insert adds f keeping frags sorted by start (fragments mostly arrive in
// order, so this is usually an append).
func (d *dgram) insert(f heldFrag) {
	d.frags = append(d.frags, f)
	i := len(d.frags) - 1
	for i > 0 && d.frags[i-1].start > f.start {
		d.frags[i] = d.frags[i-1]
		i--
	}
	d.frags[i] = f
}

// transition moves the datagram's state as OVS's
// ipf_list_state_transition does, for a new fragment that is the first
// (ff), the last (lf) or neither.
func (d *dgram) transition(ff, lf bool) {
	switch d.state {
	case stateUnused, stateOtherSeen:
		switch {
		case ff:
			d.state = stateFirstSeen
		case lf:
			d.state = stateLastSeen
		default:
			d.state = stateOtherSeen
		}
	case stateFirstSeen:
		if lf {
			d.state = stateFirstLastSeen
		}
	case stateLastSeen:
		if ff {
			d.state = stateFirstLastSeen
		}
	}
}

// complete reports whether the sorted fragments cover [0, total) exactly.
func (d *dgram) complete() bool {
	if d.total < 0 || len(d.frags) == 0 || d.frags[0].start != 0 {
		return false
	}
	for i := 1; i < len(d.frags); i++ {
		if d.frags[i].start != d.frags[i-1].end {
			return false
		}
	}
	return d.frags[len(d.frags)-1].end == d.total
}

// arrivalOrder returns the held packets in the order they arrived.
func (d *dgram) arrivalOrder() []*packet.Packet {
	out := make([]*packet.Packet, len(d.frags))
	for i := range d.frags {
		out[d.frags[i].seq] = d.frags[i].pk
	}
	return out
}

// pushLocked appends d to the expiry FIFO (r.mu held).
//
// +checklocks:r.mu
func (r *Reassembler) pushLocked(d *dgram) {
	lockcheck.Held(&r.mu)
	d.prev, d.next = r.tail, nil
	if r.tail != nil {
		r.tail.next = d
	} else {
		r.head = d
		r.nextExp.Store(d.expiration)
	}
	r.tail = d
}

// removeLocked forgets d and its fragments (r.mu held).
//
// +checklocks:r.mu
func (r *Reassembler) removeLocked(d *dgram) {
	lockcheck.Held(&r.mu)
	if d.prev != nil {
		d.prev.next = d.next
	} else {
		r.head = d.next
		if r.head != nil {
			r.nextExp.Store(r.head.expiration)
		} else {
			r.nextExp.Store(math.MaxInt64)
		}
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else {
		r.tail = d.prev
	}
	d.prev, d.next = nil, nil
	delete(r.lists, d.key)
	r.nfrag.Add(-int32(len(d.frags)))
}

// Expire drops the datagrams still incomplete Timeout after their first
// fragment, counting their fragments as expired (or purged, PurgeDelay
// later than that).
func (r *Reassembler) Expire(now int64) { r.expire(now, nil, false) }

// ExpireInto is Expire that also appends the expired datagrams' fragments
// (in arrival order, not the purged ones) to out and returns it: OVS
// passes them on with ct_state +inv.
func (r *Reassembler) ExpireInto(now int64, out []*packet.Packet) []*packet.Packet {
	return r.expire(now, out, true)
}

func (r *Reassembler) expire(now int64, out []*packet.Packet, keep bool) []*packet.Packet {
	if now <= r.nextExp.Load() {
		return out
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for d := r.head; d != nil && now > d.expiration; d = r.head {
		c := &r.cnt[fam(d.key.v6)]
		n := uint64(len(d.frags))
		if now >= d.expiration+PurgeDelay {
			c.purged.Add(n)
		} else {
			c.expired.Add(n)
			if keep {
				out = append(out, d.arrivalOrder()...)
			}
		}
		r.removeLocked(d)
	}
	return out
}

// Stats returns the settings and counters.
func (r *Reassembler) Stats() Stats {
	s := Stats{MaxFrags: r.maxFrags.Load(), NumFrags: uint32(r.nfrag.Load())}
	for i, fs := range []*FamilyStats{&s.V4, &s.V6} {
		c := &r.cnt[i]
		*fs = FamilyStats{
			Enabled:      r.enabled[i].Load(),
			MinFragSize:  r.minFrag[i].Load(),
			Accepted:     c.accepted.Load(),
			Completed:    c.completed.Load(),
			Expired:      c.expired.Load(),
			TooSmall:     c.tooSmall.Load(),
			Overlapped:   c.overlapped.Load(),
			Purged:       c.purged.Load(),
			Malformed:    c.malformed.Load(),
			TooBig:       c.tooBig.Load(),
			Inconsistent: c.inconsistent.Load(),
			TableFull:    c.tableFull.Load(),
			ListFull:     c.listFull.Load(),
			Failed:       c.failed.Load(),
			ReassFailed:  c.rf.Load(),
		}
	}
	return s
}
