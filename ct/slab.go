package ct

import (
	"sync"
	"sync/atomic"
	"time"

	"gswitch/ct/internal/lockcheck"
)

// Connections live in a slab of fixed-size chunks rather than as separate
// heap objects, and the shard maps hold 32-bit slab indexes rather than
// pointers: both the chunks (conn has no pointers) and the maps are then
// memory the garbage collector never scans, however many millions of
// connections the table holds. Chunks are never freed, so a *conn stays
// valid memory forever. A freed slot is reused after reuseGrace, oldest
// first; correctness does not rest on that time (it no longer needs the
// period at all): a slot's generation (conn.gen) names its tenant, and whoever
// holds a *conn past a lock (a packet's lookup, Packet.Conn, a flush, a
// dump) checks it before acting, so it never acts on a later tenant
// (ct/doc.go, "Concurrency and ownership"). A slot only ever holds keys of
// the shard that allocated it: it is freed to and taken from that shard's
// FIFO.

const (
	chunkBits  = 12
	chunkSize  = 1 << chunkBits
	reuseGrace = int64(2 * time.Second)
)

type slab struct {
	mu   sync.Mutex // serializes growth
	dir  atomic.Pointer[[]*[chunkSize]conn]
	next atomic.Uint32 // next never-used index; index 0 is never used
}

func newSlab() *slab {
	s := &slab{}
	d := []*[chunkSize]conn{new([chunkSize]conn)}
	s.dir.Store(&d)
	s.next.Store(1)
	return s
}

// at returns the connection in slot i.
func (s *slab) at(i uint32) *conn {
	d := *s.dir.Load()
	return &d[i>>chunkBits][i&(chunkSize-1)]
}

// fresh returns a never-used slot, growing the slab when needed.
func (s *slab) fresh() uint32 {
	i := s.next.Add(1) - 1
	if int(i>>chunkBits) >= len(*s.dir.Load()) {
		s.mu.Lock()
		for d := *s.dir.Load(); int(i>>chunkBits) >= len(d); d = *s.dir.Load() {
			nd := make([]*[chunkSize]conn, len(d), 2*len(d)+1)
			copy(nd, d)
			nd = append(nd, new([chunkSize]conn))
			s.dir.Store(&nd)
		}
		s.mu.Unlock()
	}
	return i
}

// allocLocked returns a slot for a new connection: the oldest freed slot
// of shard s whose grace period is over, else a fresh one. s is locked.
//
// +checklocks:s.mu
func (t *Tracker) allocLocked(s *shard, now int64) uint32 {
	lockcheck.WHeld(&s.mu)
	if s.fhead != 0 {
		if c := s.sl.at(s.fhead); now-c.freed >= reuseGrace {
			i := s.fhead
			s.fhead = c.znext
			if s.fhead == 0 {
				s.ftail = 0
			}
			c.znext = 0
			return i
		}
	}
	return t.slab.fresh()
}
