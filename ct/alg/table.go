package alg

import (
	"encoding/binary"
	"strconv"
	"sync"
	"sync/atomic"

	"gswitch/ct/internal/lockcheck"
)

// Table is an expectation table a tracker can use as is: expectations are
// deduplicated by Key, bounded in total and per master connection (a new
// one from a master at its limit replaces that master's oldest, as
// Linux's max_expected does), consumed by the first matching connection,
// and dropped when expired or with their master. It is safe for
// concurrent use; Take costs one atomic load while the table is empty.
type Table struct {
	n         atomic.Int64
	mu        sync.Mutex
	max       int
	perMaster int
	// +checklocks:mu
	m map[ExpKey]*Expectation
	// +checklocks:mu
	byMaster map[masterKey][]ExpKey // in creation order
}

type masterKey struct {
	zone uint16
	orig Tuple
}

// Default limits of NewTable(0, 0).
const (
	DefaultTableMax       = 4096
	DefaultTablePerMaster = 4
)

// NewTable returns an empty table holding at most max expectations, at
// most perMaster of them per master connection (0: the defaults).
func NewTable(max, perMaster int) *Table {
	if max <= 0 {
		max = DefaultTableMax
	}
	if perMaster <= 0 {
		perMaster = DefaultTablePerMaster
	}
	return &Table{max: max, perMaster: perMaster,
		m: make(map[ExpKey]*Expectation), byMaster: make(map[masterKey][]ExpKey)}
}

// Len returns the number of expectations held.
func (t *Table) Len() int { return int(t.n.Load()) }

// Add stores e (a copy). An expectation with the same Key replaces the
// old one (a retransmitted announcement refreshes it). It reports false
// when the table is full.
func (t *Table) Add(e Expectation) bool {
	k := e.Key()
	mk := masterKey{e.Zone, e.MasterOrig}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.m[k]; ok {
		t.removeLocked(k, masterKey{old.Zone, old.MasterOrig})
	}
	if ks := t.byMaster[mk]; len(ks) >= t.perMaster {
		t.removeLocked(ks[0], mk)
	}
	if len(t.m) >= t.max {
		return false
	}
	c := e
	t.m[k] = &c
	t.byMaster[mk] = append(t.byMaster[mk], k)
	t.n.Store(int64(len(t.m)))
	return true
}

// removeLocked removes the expectation k of master mk (t.mu held).
//
// +checklocks:t.mu
func (t *Table) removeLocked(k ExpKey, mk masterKey) {
	lockcheck.Held(&t.mu)
	delete(t.m, k)
	ks := t.byMaster[mk]
	for i, x := range ks {
		if x == k {
			ks = append(ks[:i:i], ks[i+1:]...)
			break
		}
	}
	if len(ks) == 0 {
		delete(t.byMaster, mk)
	} else {
		t.byMaster[mk] = ks
	}
	t.n.Store(int64(len(t.m)))
}

// Take finds the expectation that a new connection's first packet
// satisfies (an exact source port first, then any source port), removes
// it and returns it. An expired expectation is removed and not returned.
func (t *Table) Take(proto uint8, zone uint16, key Tuple, now int64) (Expectation, bool) {
	return t.lookup(proto, zone, key, now, true)
}

// Find is Take without the removal: it returns the expectation that a
// new connection's first packet satisfies (an uncommitted packet is
// related, but only a committed one consumes the expectation).
func (t *Table) Find(proto uint8, zone uint16, key Tuple, now int64) (Expectation, bool) {
	return t.lookup(proto, zone, key, now, false)
}

// lookup is Take (take set) and Find: one locked lookup, exact source
// port first, then any source port.
func (t *Table) lookup(proto uint8, zone uint16, key Tuple, now int64, take bool) (Expectation, bool) {
	if t.n.Load() == 0 {
		return Expectation{}, false
	}
	k := ExpKey{proto, zone, key.Src, key.Dst, key.SrcPort, key.DstPort}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[k]
	if !ok {
		k.SrcPort = 0
		if e, ok = t.m[k]; !ok {
			return Expectation{}, false
		}
	}
	if take {
		t.removeLocked(k, masterKey{e.Zone, e.MasterOrig})
	}
	if e.Expired(now) {
		return Expectation{}, false
	}
	return *e, true
}

// Sweep removes the expectations expired at now and returns how many.
func (t *Table) Sweep(now int64) int {
	if t.n.Load() == 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for k, e := range t.m {
		if e.Expired(now) {
			t.removeLocked(k, masterKey{e.Zone, e.MasterOrig})
			n++
		}
	}
	return n
}

// RemoveMaster removes the expectations of the master connection whose
// original-direction tuple is orig in zone (when it is deleted), and
// returns how many.
func (t *Table) RemoveMaster(zone uint16, orig Tuple) int {
	if t.n.Load() == 0 {
		return 0
	}
	mk := masterKey{zone, orig}
	t.mu.Lock()
	defer t.mu.Unlock()
	ks := append([]ExpKey(nil), t.byMaster[mk]...)
	for _, k := range ks {
		t.removeLocked(k, mk)
	}
	return len(ks)
}

// Flush removes every expectation (of zone only, if zone is not nil).
func (t *Table) Flush(zone *uint16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.m {
		if zone == nil || e.Zone == *zone {
			t.removeLocked(k, masterKey{e.Zone, e.MasterOrig})
		}
	}
}

// List appends copies of the expectations held to dst.
func (t *Table) List(dst []Expectation) []Expectation {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.m {
		dst = append(dst, *e)
	}
	return dst
}

// AppendOVS appends e as later OVS's dpctl/dump-conntrack-exp prints an
// expectation (lib/ct-dpif.c ct_dpif_format_exp_entry): protocol, the
// expected tuple (sport=0: any), zone, the master's mark and labels when
// not zero, and the master's original tuple:
//
//	tcp,orig=(src=198.51.100.2,dst=198.51.100.1,sport=0,dport=20040),parent=(src=198.51.100.1,dst=198.51.100.2,sport=40000,dport=21)
func (e *Expectation) AppendOVS(dst []byte, mark uint32, labelHi, labelLo uint64) []byte {
	switch e.Proto {
	case ProtoTCP:
		dst = append(dst, "tcp"...)
	case ProtoUDP:
		dst = append(dst, "udp"...)
	default:
		dst = strconv.AppendUint(dst, uint64(e.Proto), 10)
	}
	dst = append(dst, ",orig=("...)
	dst = appendTuple(dst, Tuple{e.Src, e.Dst, e.SrcPort, e.DstPort})
	dst = append(dst, ')')
	if e.Zone != 0 {
		dst = append(dst, ",zone="...)
		dst = strconv.AppendUint(dst, uint64(e.Zone), 10)
	}
	if mark != 0 {
		dst = append(dst, ",mark="...)
		dst = strconv.AppendUint(dst, uint64(mark), 10)
	}
	if labelHi != 0 || labelLo != 0 {
		dst = append(dst, ",labels=0x"...)
		var b [16]byte
		binary.BigEndian.PutUint64(b[:], labelHi)
		binary.BigEndian.PutUint64(b[8:], labelLo)
		i := 0
		for b[i] == 0 {
			i++
		}
		dst = strconv.AppendUint(dst, uint64(b[i]), 16)
		for _, x := range b[i+1:] {
			dst = append(dst, "0123456789abcdef"[x>>4], "0123456789abcdef"[x&15])
		}
	}
	dst = append(dst, ",parent=("...)
	dst = appendTuple(dst, e.MasterOrig)
	return append(dst, ')')
}

func appendTuple(dst []byte, t Tuple) []byte {
	dst = append(dst, "src="...)
	dst = t.Src.AppendTo(dst)
	dst = append(dst, ",dst="...)
	dst = t.Dst.AppendTo(dst)
	dst = append(dst, ",sport="...)
	dst = strconv.AppendUint(dst, uint64(t.SrcPort), 10)
	dst = append(dst, ",dport="...)
	return strconv.AppendUint(dst, uint64(t.DstPort), 10)
}
