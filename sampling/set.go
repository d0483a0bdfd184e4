package sampling

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"gswitch/packet"
	"gswitch/pipeline"
)

// QueueLen is how many records a collector's queue holds: more samples
// while it is full are dropped and counted.
const QueueLen = 1024

// Record is one sampled packet as a collector gets it: a copy.
type Record struct {
	Time    time.Time
	Bridge  string
	Table   uint8
	Cookie  uint64
	Key     packet.Key // the packet's key where the action ran (in_port, ct_*, headers)
	Action  pipeline.Sample
	Data    []byte // the frame, at most MaxSnap bytes of it
	OrigLen int    // the frame's length
}

// MaxSnap is the most bytes of a frame a record keeps (pcapng's usual
// snap length; a software-GSO frame may be longer).
const MaxSnap = 65535

// Writer is what a collector does with its records, on its own goroutine.
// Write must not keep r; Close ends it.
type Writer interface {
	Write(r *Record) error
	Close() error
	// Describe names the collector in `show` ("packet-log PATH",
	// "ipfix HOST:PORT").
	Describe() string
}

// Collector is one member of a collector set: a bounded queue drained by
// its Writer.
type Collector struct {
	w       Writer
	free    chan *Record
	queue   chan *Record
	done    chan struct{}
	written atomic.Uint64
	dropped atomic.Uint64 // the queue was full
	errors  atomic.Uint64 // the writer failed
	lastErr atomic.Pointer[string]
}

func newCollector(w Writer) *Collector {
	c := &Collector{w: w, free: make(chan *Record, QueueLen), queue: make(chan *Record, QueueLen),
		done: make(chan struct{})}
	for range QueueLen {
		c.free <- &Record{}
	}
	go c.run()
	return c
}

func (c *Collector) run() {
	defer close(c.done)
	for r := range c.queue {
		if err := c.w.Write(r); err != nil {
			c.errors.Add(1)
			s := err.Error()
			c.lastErr.Store(&s)
		} else {
			c.written.Add(1)
		}
		c.free <- r
	}
}

// stop drains the queue and closes the writer.
func (c *Collector) stop() error {
	close(c.queue)
	<-c.done
	return c.w.Close()
}

// offer queues a copy of s without waiting.
func (c *Collector) offer(bridge string, s *pipeline.Sampled, now time.Time) {
	var r *Record
	select {
	case r = <-c.free:
	default:
		c.dropped.Add(1)
		return
	}
	pk := s.Packet
	r.Time, r.Bridge, r.Table, r.Cookie = now, bridge, s.Table, s.Cookie
	r.Key = pk.Key
	r.Action = *s.Action
	d := pk.Data
	r.OrigLen = len(d)
	if len(d) > MaxSnap {
		d = d[:MaxSnap]
	}
	r.Data = append(r.Data[:0], d...)
	c.queue <- r // never blocks: the records in flight are at most QueueLen
}

// Registry holds the collector sets by id; a sample action's
// collector_set_id picks one. It is safe for concurrent use: the datapath
// reads an immutable snapshot.
type Registry struct {
	mu   sync.Mutex // serializes changes
	sets atomic.Pointer[map[uint32][]*Collector]
	// bsets are the database's IPFIX collector sets, per bridge name
	// (SetBridgeIPFIX); byKey finds them by bridge, id and target.
	bsets   atomic.Pointer[map[string]map[uint32][]*Collector]
	byKey   map[dbKey]*Collector // guarded by mu
	unknown atomic.Uint64        // samples for a set with no collector
	now     func() time.Time
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	r := &Registry{now: time.Now}
	m := map[uint32][]*Collector{}
	r.sets.Store(&m)
	return r
}

// Add starts a collector writing with w in set id.
func (r *Registry) Add(id uint32, w Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.sets.Load()
	m := make(map[uint32][]*Collector, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[id] = append(append([]*Collector(nil), m[id]...), newCollector(w))
	r.sets.Store(&m)
}

// Replace stops the collectors of set id whose writer keep says no to
// and adds w (nil: none), so a set's packet log can move while its IPFIX
// exporters stay. It returns the first error closing a stopped writer.
func (r *Registry) Replace(id uint32, drop func(Writer) bool, w Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.sets.Load()
	m := make(map[uint32][]*Collector, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	var keep, gone []*Collector
	for _, c := range m[id] {
		if drop(c.w) {
			gone = append(gone, c)
		} else {
			keep = append(keep, c)
		}
	}
	if w != nil {
		keep = append(keep, newCollector(w))
	}
	if len(keep) == 0 {
		delete(m, id)
	} else {
		m[id] = keep
	}
	r.sets.Store(&m)
	var first error
	for _, c := range gone {
		if err := c.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close stops every collector (their queues are written out first).
func (r *Registry) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var first error
	for _, cs := range *r.sets.Load() {
		for _, c := range cs {
			if err := c.stop(); err != nil && first == nil {
				first = err
			}
		}
	}
	m := map[uint32][]*Collector{}
	r.sets.Store(&m)
	for _, c := range r.byKey {
		if err := c.stop(); err != nil && first == nil {
			first = err
		}
	}
	r.byKey = nil
	r.bsets.Store(nil)
	return first
}

// Bridge returns the Sampler for the bridge named name.
func (r *Registry) Bridge(name string) pipeline.Sampler { return &bridgeSampler{r: r, name: name} }

type bridgeSampler struct {
	r    *Registry
	name string
}

func (b *bridgeSampler) Sample(s *pipeline.Sampled) {
	cs := (*b.r.sets.Load())[s.Action.CollectorSetID]
	var ds []*Collector
	if m := b.r.bsets.Load(); m != nil {
		ds = (*m)[b.name][s.Action.CollectorSetID]
	}
	if len(cs) == 0 && len(ds) == 0 {
		b.r.unknown.Add(1)
		return
	}
	now := b.r.now()
	for _, c := range cs {
		c.offer(b.name, s, now)
	}
	for _, c := range ds {
		c.offer(b.name, s, now)
	}
}

// dbKey names one of the database's IPFIX exporters.
type dbKey struct {
	bridge string
	id     uint32
	target string
}

// SetBridgeIPFIX makes the database's IPFIX collector sets (bridge name
// -> set id -> targets) the ones in use beside the command line's:
// exporters already running for the same bridge, id and target stay (with
// their template state), others are opened or closed. It returns the
// targets it could not open (tried again at the next call).
func (r *Registry) SetBridgeIPFIX(want map[string]map[uint32][]string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey == nil {
		r.byKey = map[dbKey]*Collector{}
	}
	var problems []string
	keep := map[dbKey]*Collector{}
	next := map[string]map[uint32][]*Collector{}
	for br, sets := range want {
		for id, targets := range sets {
			for _, t := range targets {
				k := dbKey{br, id, t}
				c := r.byKey[k]
				if c == nil {
					x, err := DialIPFIX(t)
					if err != nil {
						problems = append(problems, fmt.Sprintf("bridge %s: IPFIX collector set %d: %v", br, id, err))
						continue
					}
					c = newCollector(x)
				}
				keep[k] = c
				if next[br] == nil {
					next[br] = map[uint32][]*Collector{}
				}
				next[br][id] = append(next[br][id], c)
			}
		}
	}
	old := r.byKey
	r.byKey = keep
	r.bsets.Store(&next)
	for k, c := range old {
		if keep[k] == nil {
			c.stop()
		}
	}
	sort.Strings(problems)
	return problems
}

// Stat is one collector's counters.
type Stat struct {
	SetID                    uint32
	What                     string
	Written, Dropped, Errors uint64
	LastError                string
}

// Stats returns every collector's counters, by set id, and the samples
// that named a set with no collector. A nil registry has none.
func (r *Registry) Stats() (stats []Stat, unknown uint64) {
	if r == nil {
		return nil, 0
	}
	for id, cs := range *r.sets.Load() {
		for _, c := range cs {
			st := Stat{SetID: id, What: c.w.Describe(), Written: c.written.Load(), Dropped: c.dropped.Load(),
				Errors: c.errors.Load()}
			if e := c.lastErr.Load(); e != nil {
				st.LastError = *e
			}
			stats = append(stats, st)
		}
	}
	if m := r.bsets.Load(); m != nil {
		for br, sets := range *m {
			for id, cs := range sets {
				for _, c := range cs {
					st := Stat{SetID: id, What: c.w.Describe() + " (bridge " + br + ", database)", Written: c.written.Load(),
						Dropped: c.dropped.Load(), Errors: c.errors.Load()}
					if e := c.lastErr.Load(); e != nil {
						st.LastError = *e
					}
					stats = append(stats, st)
				}
			}
		}
	}
	sort.SliceStable(stats, func(i, j int) bool {
		if stats[i].SetID != stats[j].SetID {
			return stats[i].SetID < stats[j].SetID
		}
		return stats[i].What < stats[j].What
	})
	return stats, r.unknown.Load()
}

// Show is the text `gswitch ctl show` adds: one line per collector.
func (r *Registry) Show() string {
	st, unknown := r.Stats()
	if len(st) == 0 && unknown == 0 {
		return ""
	}
	s := "collector sets:\n"
	for _, c := range st {
		s += fmt.Sprintf("  %d: %s written=%d dropped=%d errors=%d", c.SetID, c.What, c.Written, c.Dropped, c.Errors)
		if c.LastError != "" {
			s += " last_error=" + fmt.Sprintf("%q", c.LastError)
		}
		s += "\n"
	}
	if unknown != 0 {
		s += fmt.Sprintf("  samples for a set with no collector: %d\n", unknown)
	}
	return s
}
