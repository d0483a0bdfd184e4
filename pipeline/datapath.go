package pipeline

import (
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"gswitch/packet"
)

// version is one immutable snapshot of the flow tables and groups. Packets
// load the current version once per batch and finish on it.
type version struct {
	tables [NumTables]*classifier // nil: empty
	groups map[uint32]*group
	meters *meterTable // the same table in every version
}

func (v *version) clone() *version {
	n := &version{tables: v.tables, groups: v.groups, meters: v.meters}
	return n
}

// portSet is the switch's ports, as SetPorts gave them.
type portSet struct {
	list     []PortInfo // by number
	byNo     map[uint32]int
	hasLocal bool
	hasVLAN  bool // some port has a VLAN configuration (NORMAL looks it up)
}

// vlanOf is port no's VLAN configuration (nil: a trunk of every VLAN), by
// binary search of the sorted list (no map lookup per packet).
func (p *portSet) vlanOf(no uint32) *PortVLAN {
	if p == nil || !p.hasVLAN {
		return nil
	}
	lo, hi := 0, len(p.list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.list[m].No < no {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(p.list) && p.list[lo].No == no {
		return p.list[lo].VLAN
	}
	return nil
}

func (p *portSet) lookup(no uint32) (PortInfo, bool) {
	if p == nil {
		return PortInfo{}, false
	}
	i, ok := p.byNo[no]
	if !ok {
		return PortInfo{}, false
	}
	return p.list[i], true
}

// Config configures a Datapath. Tracker, Sender, PacketIn and FlowRemoved
// may be nil (ct actions, outputs and packet-ins are then dropped and
// counted; flow removals not reported).
type Config struct {
	Tracker     Tracker
	Sender      Sender
	PacketIn    PacketInSink
	FlowRemoved func(*FlowRemoved)
	// FlowEvents, if set, gets every flow added, modified and removed
	// (the flow monitors).
	FlowEvents FlowEventSink
	// Sampler, if set, gets the packets sample actions pick; without one
	// they are counted (drop_sample_no_collector) and go nowhere.
	Sampler Sampler
	// MaxFlows is the largest number of flows per table (0: 1,000,000);
	// adding one more fails with OFPFMFC_TABLE_FULL.
	MaxFlows int
	// MACAging is how long NORMAL remembers a MAC address, in ns (0: 300 s,
	// OVS's default mac-aging-time). MACTableSize bounds the MAC table
	// (0: 8192, OVS's default mac-table-size).
	MACAging     int64
	MACTableSize int
	// Clock, if set, gives GroupMod the time a group is created (monotonic
	// ns); otherwise the last now passed to a control method is used.
	Clock func() int64
}

// Datapath is the OpenFlow datapath: flow tables, groups and the executor.
//
// Process may be called from any number of goroutines at once (one per
// receiving port, typically); the control methods (FlowMod, GroupMod,
// SetPorts, Expire, ...) may be called concurrently with Process and with
// each other (they serialize on an internal mutex that packets never take).
type Datapath struct {
	cfg Config

	mu     sync.Mutex // serializes changes
	cur    atomic.Pointer[version]
	ports  atomic.Pointer[portSet]
	nextID uint64
	timed  map[*flow]struct{} // installed flows with a timeout (guarded by mu)

	// workers is a free list of per-goroutine scratch state (with its
	// exact-match cache); a channel rather than a sync.Pool so that warm
	// caches survive garbage collections. One channel operation per batch.
	workers chan *worker
	pool    *packet.Pool // copies for ct(table=N) and group buckets

	missToController atomic.Bool
	lastNow          atomic.Int64 // the latest now a control method saw

	// learn: the queue of learned flows, and the delete_learned
	// references by table and cookie (guarded by mu).
	learn        learnQueue
	learnWaiting atomic.Bool
	delRefs      map[tableCookie]int

	tcfg    atomic.Pointer[tableConfigs] // SetTableConfig; nil: none configured
	evictOF [NumTables]atomic.Bool       // SetTableEviction
	tstats  [NumTables]tableCounters
	ctrs    [numCounters]atomic.Uint64
	mac     macTable
}

type tableCounters struct {
	lookups atomic.Uint64
	matched atomic.Uint64
	_       [48]byte
}

// New returns a Datapath with empty tables.
func New(cfg Config) *Datapath {
	if cfg.MaxFlows <= 0 {
		cfg.MaxFlows = 1_000_000
	}
	if cfg.MACAging <= 0 {
		cfg.MACAging = 300e9
	}
	if cfg.MACTableSize <= 0 {
		cfg.MACTableSize = 8192
	}
	d := &Datapath{cfg: cfg, timed: map[*flow]struct{}{}, pool: packet.NewPool()}
	d.cur.Store(&version{groups: map[uint32]*group{}, meters: &meterTable{m: map[uint32]*meter{}}})
	d.workers = make(chan *worker, 64)
	d.mac.init(cfg.MACTableSize, cfg.MACAging)
	return d
}

func (d *Datapath) sawNow(now int64) {
	if d.lastNow.Load() < now {
		d.lastNow.Store(now)
	}
}

func (d *Datapath) now() int64 {
	if d.cfg.Clock != nil {
		return d.cfg.Clock()
	}
	return d.lastNow.Load()
}

func (d *Datapath) getWorker() *worker {
	select {
	case w := <-d.workers:
		return w
	default:
		return newWorker(d)
	}
}

func (d *Datapath) putWorker(w *worker) {
	select {
	case d.workers <- w:
	default:
	}
}

// SetPorts replaces the set of ports that FLOOD, ALL and NORMAL use and
// that fast-failover groups watch. Outputs to a port not in the set are
// dropped (and counted) once SetPorts has been called. NORMAL forgets the
// addresses learned on ports that are gone or whose VLAN configuration
// changed.
func (d *Datapath) SetPorts(ports []PortInfo) {
	ps := &portSet{list: slices.Clone(ports), byNo: make(map[uint32]int, len(ports))}
	slices.SortFunc(ps.list, func(a, b PortInfo) int {
		switch {
		case a.No < b.No:
			return -1
		case a.No > b.No:
			return 1
		}
		return 0
	})
	ps.list = slices.CompactFunc(ps.list, func(a, b PortInfo) bool { return a.No == b.No })
	for i, p := range ps.list {
		ps.byNo[p.No] = i
		if p.No == PortLocal {
			ps.hasLocal = true
		}
		if p.VLAN != nil {
			ps.hasVLAN = true
		}
	}
	old := d.ports.Swap(ps)
	if old != nil {
		for _, p := range old.list {
			if i, ok := ps.byNo[p.No]; !ok || ps.list[i].VLAN != p.VLAN {
				// NORMAL forgets what it learned there (as OVS's
				// bundle_flush_macs when a port's VLAN configuration changes)
				d.mac.flushPort(p.No)
			}
		}
	}
}

// SetMissToController makes a table miss send the packet to the
// controllers (reason no_match), as OVS does while an OpenFlow 1.0
// controller is connected; by default a miss drops the packet.
func (d *Datapath) SetMissToController(on bool) { d.missToController.Store(on) }

// TableStats returns the counters of every table that has flows or has
// seen lookups, by table number.
func (d *Datapath) TableStats() []TableStats {
	v := d.cur.Load()
	var out []TableStats
	for i := range NumTables {
		tc := d.TableConfig(uint8(i))
		ts := TableStats{Table: uint8(i), Lookups: d.tstats[i].lookups.Load(), Matched: d.tstats[i].matched.Load(),
			Name: tc.Name, MaxEntries: d.maxEntries(&tc)}
		if c := v.tables[i]; c != nil {
			ts.Active = uint32(c.n)
		}
		out = append(out, ts)
	}
	return out
}

// NumFlows returns the number of installed flows.
func (d *Datapath) NumFlows() int {
	v := d.cur.Load()
	n := 0
	for _, c := range v.tables {
		if c != nil {
			n += c.n
		}
	}
	return n
}

// change is one in-progress modification of the tables.
type change struct {
	d       *Datapath
	t       *txn
	v       *version
	removed []FlowRemoved
	now     int64
	// flow monitor events (recorded only while cfg.FlowEvents wants
	// them), and the origin of the flow-mod being applied
	events []FlowEvent
	watch  bool
	origin any
	// timer bookkeeping, applied to d.timed at commit
	timedAdd, timedDel []*flow
	dirty              bool // something changed
	// learn bookkeeping, applied at commit (finishLearnedLocked)
	cookieDelta, delDelta map[tableCookie]int
	unpend                []tableCookie
}

func (d *Datapath) begin(now int64) *change {
	c := &change{d: d, t: &txn{}, v: d.cur.Load().clone(), now: now}
	c.watch = d.cfg.FlowEvents != nil && d.cfg.FlowEvents.FlowEventsWanted()
	return c
}

// event records a flow monitor event.
func (c *change) event(kind uint8, reason uint8, f *flow, old *Instructions) {
	if c.watch {
		c.events = append(c.events, FlowEvent{Kind: kind, Reason: reason, Spec: &f.spec, OldInst: old, Origin: c.origin, Created: f.created})
	}
}

func (c *change) table(id uint8) *classifier {
	c.dirty = true
	t := c.v.tables[id].own(c.t)
	c.v.tables[id] = t
	return t
}

func (c *change) add(f *flow) {
	c.event(FlowEventAdded, 0, f, nil)
	c.table(f.spec.Table).insert(c.t, f)
	c.track(f, 1)
	if f.timed {
		c.timedAdd = append(c.timedAdd, f)
	}
}

// remove takes f out; reason < 0: no flow-removed message (replaced).
func (c *change) remove(f *flow, reason int) {
	c.table(f.spec.Table).remove(c.t, f)
	c.track(f, -1)
	c.timedDel = append(c.timedDel, f)
	if reason >= 0 {
		c.event(FlowEventRemoved, uint8(reason), f, nil)
	}
	if reason >= 0 && f.spec.Flags&FlagSendFlowRem != 0 {
		c.removed = append(c.removed, FlowRemoved{Stats: f.stats(), Reason: uint8(reason), Now: c.now})
	}
}

// replace puts nf in old's place. As OVS's replace_rule_finish: an add
// reports nf added; a modify reports it modified only when its actions or
// cookie changed; either carries the old actions when they changed.
func (c *change) replace(old, nf *flow, add bool) {
	if c.watch {
		var oldInst *Instructions
		if !reflect.DeepEqual(old.spec.Inst, nf.spec.Inst) {
			oldInst = &old.spec.Inst
		}
		if add {
			c.event(FlowEventAdded, 0, nf, oldInst)
		} else if oldInst != nil || old.spec.Cookie != nf.spec.Cookie {
			c.event(FlowEventModified, 0, nf, oldInst)
		}
	}
	c.table(old.spec.Table).replace(c.t, old, nf)
	c.track(old, -1)
	c.track(nf, 1)
	c.timedDel = append(c.timedDel, old)
	if nf.timed {
		c.timedAdd = append(c.timedAdd, nf)
	}
}

// commit publishes the new version. Call with d.mu held; then call
// report after unlocking.
func (c *change) commit() {
	c.finishLearnedLocked()
	for _, f := range c.timedDel {
		delete(c.d.timed, f)
	}
	for _, f := range c.timedAdd {
		c.d.timed[f] = struct{}{}
	}
	c.d.cur.Store(c.v)
}

// finish ends a change begun under d.mu: it publishes the new version when
// the change made one (otherwise it applies only learn's bookkeeping, as
// for a learn that refreshed an existing flow), unlocks d.mu and reports
// the flow events and flow-removed messages.
func (c *change) finish() {
	if c.dirty {
		c.commit()
	} else {
		c.finishLearnedLocked()
	}
	c.d.mu.Unlock()
	c.report()
}

func (c *change) report() {
	if len(c.events) > 0 {
		c.d.cfg.FlowEvents.FlowEvents(c.events)
	}
	if c.d.cfg.FlowRemoved == nil {
		return
	}
	for i := range c.removed {
		c.d.cfg.FlowRemoved(&c.removed[i])
	}
}

// Expire removes the flows whose idle or hard timeout has passed at now
// (monotonic ns), reporting those with FlagSendFlowRem to cfg.FlowRemoved,
// and ages out NORMAL's MAC entries. Call it periodically (OVS: about
// once a second).
func (d *Datapath) Expire(now int64) {
	d.sawNow(now)
	d.mac.expire(now)
	d.mu.Lock()
	var c *change
	if d.learnWaiting.Load() {
		c = d.begin(now)
		d.drainLearnsLocked(c)
	}
	for f := range d.timed {
		reason := -1
		idle, hard := f.timeouts()
		if hard != 0 && now-f.hardStart() >= int64(hard)*1e9 {
			reason = RemovedHardTimeout
		} else if idle != 0 {
			if now-f.lastUsed() >= int64(idle)*1e9 {
				reason = RemovedIdleTimeout
			}
		}
		if reason < 0 {
			continue
		}
		if c == nil {
			c = d.begin(now)
		}
		c.remove(f, reason)
	}
	if c != nil && c.dirty {
		c.commit()
	} else if c != nil {
		c.finishLearnedLocked()
	}
	d.mu.Unlock()
	if c != nil {
		c.report()
	}
}

// flowMatchesLoose reports whether f's match is at least as specific as m
// and agrees with it where m matches.
func flowMatchesLoose(f *flow, m *Match) bool {
	fm := &f.spec.Match
	for i := range m.Mask {
		if m.Mask[i]&^fm.Mask[i] != 0 || fm.Value[i]&m.Mask[i] != m.Value[i] {
			return false
		}
	}
	return m.Tun.Covers(fm.Tun)
}

func cookieOK(f *flow, cookie, mask uint64) bool {
	return f.spec.Cookie&mask == cookie&mask
}

// collect returns the flows of table tid (TableAll: every table) that
// satisfy the criteria, in table order.
func collect(v *version, tid uint8, m *Match, strict bool, pri uint16, cookie, cmask uint64,
	outPort, outGroup uint32) []*flow {
	var out []*flow
	for i := range NumTables {
		if tid != TableAll && int(tid) != i {
			continue
		}
		c := v.tables[i]
		if c == nil {
			continue
		}
		ok := func(f *flow) bool {
			return cookieOK(f, cookie, cmask) && f.outputsTo(outPort) && f.outputsToGroup(outGroup)
		}
		if strict {
			if f := c.find(m, pri); f != nil && ok(f) {
				out = append(out, f)
			}
			continue
		}
		start := len(out)
		c.each(func(f *flow) bool {
			if flowMatchesLoose(f, m) && ok(f) {
				out = append(out, f)
			}
			return true
		})
		sortFlows(out[start:])
	}
	return out
}

func sortFlows(fs []*flow) {
	slices.SortFunc(fs, func(a, b *flow) int {
		if a.spec.Priority != b.spec.Priority {
			return int(b.spec.Priority) - int(a.spec.Priority)
		}
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
}

// Flows returns the flows that f selects, with their counters, by table,
// then priority (highest first), then age.
func (d *Datapath) Flows(f *FlowFilter, now int64) []FlowStats {
	m := f.Match
	for i := range m.Value {
		m.Value[i] &= m.Mask[i]
	}
	fs := collect(d.cur.Load(), f.Table, &m, f.Strict, f.Priority, f.Cookie, f.CookieMask, f.OutPort, f.OutGroup)
	out := make([]FlowStats, len(fs))
	for i, fl := range fs {
		out[i] = fl.stats()
	}
	return out
}

func matchesOverlap(a, b *Match) bool {
	for i := range a.Mask {
		if (a.Value[i]^b.Value[i])&a.Mask[i]&b.Mask[i] != 0 {
			return false
		}
	}
	return a.Tun.Overlaps(b.Tun)
}

// FlowMod applies a flow-mod atomically: on error nothing changed. now is
// monotonic ns (the flow's creation time for timeouts and durations).
func (d *Datapath) FlowMod(fm *FlowMod, now int64) error {
	_, err := d.FlowMods([]*FlowMod{fm}, now)
	return err
}

// FlowMods applies flow-mods in order as one change: packets see either
// none of them or all of them (an OpenFlow bundle commit). On error nothing
// is applied and the index of the failing flow-mod is returned.
func (d *Datapath) FlowMods(fms []*FlowMod, now int64) (int, error) {
	d.sawNow(now)
	d.mu.Lock()
	c := d.begin(now)
	for i, fm := range fms {
		if err := d.flowModLocked(c, fm, now); err != nil {
			d.mu.Unlock()
			return i, err
		}
	}
	c.finish()
	return len(fms), nil
}

// ModBatch applies flow-mods and group-mods in order as one change,
// published as a single new version (an OpenFlow bundle commit that has
// group-mods too): packets see none of them or all of them. On error
// nothing changed, counters included, and failed is the index of the mod
// that was refused. Flow removals (group deletes, deletes) are reported
// after the commit.
func (d *Datapath) ModBatch(mods []Mod, now int64) (failed int, err error) {
	d.sawNow(now)
	d.mu.Lock()
	c := d.begin(now)
	for i := range mods {
		m := &mods[i]
		if m.Flow != nil {
			err = d.flowModLocked(c, m.Flow, now)
		} else if m.Group != nil {
			err = d.groupModLocked(c, m.GroupCmd, m.Group)
		} else {
			err = Errorf(OFPBRC_BAD_TYPE, "mod %d has neither a flow-mod nor a group-mod", i)
		}
		if err != nil {
			d.mu.Unlock()
			return i, err
		}
	}
	c.finish()
	return -1, nil
}

// FlowModBatch applies fms as one all-or-nothing change, published as a
// single new version of the tables (ofproto's FlowTransactor, which bundle
// commits use): on error nothing changed, flow counters included, and
// failed is the index of the flow-mod that was refused.
func (d *Datapath) FlowModBatch(fms []*FlowMod, now int64) (failed int, err error) {
	n, err := d.FlowMods(fms, now)
	if err != nil {
		return n, err
	}
	return -1, nil
}

func (d *Datapath) flowModLocked(c *change, fm *FlowMod, now int64) error {
	c.origin = fm.Origin
	defer func() { c.origin = nil }()
	spec := fm.Spec
	switch fm.Command {
	case FlowAdd:
		if spec.Table >= NumTables {
			return Errorf(OFPFMFC_BAD_TABLE_ID, "table %d is not valid for this command", spec.Table)
		}
	case FlowModify, FlowModifyStrict:
		// TableAll: every table (an OpenFlow 1.0 flow-mod without a table
		// id, which OVS applies to the matching flows of all tables).
		if spec.Table >= NumTables && spec.Table != TableAll {
			return Errorf(OFPFMFC_BAD_TABLE_ID, "table %d is not valid for this command", spec.Table)
		}
	case FlowDelete, FlowDeleteStrict:
	default:
		return Errorf(OFPFMFC_BAD_COMMAND, "unknown flow-mod command %d", fm.Command)
	}
	if err := checkMatch(&spec.Match); err != nil {
		return err
	}
	v := c.v

	if fm.Command == FlowDelete || fm.Command == FlowDeleteStrict {
		fs := collect(v, spec.Table, &spec.Match, fm.Command == FlowDeleteStrict, spec.Priority,
			spec.Cookie, fm.CookieMask, fm.OutPort, fm.OutGroup)
		for _, f := range fs {
			c.remove(f, RemovedDelete)
		}
		return nil
	}

	ck := newChecker(v, &spec.Match, spec.Table, fm.Lax)
	if err := ck.instructions(&spec.Inst); err != nil {
		return err
	}
	ops := compileInstructions(&spec.Inst, v.meters)
	mk := func(s FlowSpec) *flow {
		d.nextID++
		f := &flow{spec: s, id: d.nextID, ops: ops, created: now, modified: now, groups: ck.groups}
		f.setDerived()
		return f
	}

	if fm.Command == FlowAdd {
		return d.addLocked(c, mk(spec))
	}

	strict := fm.Command == FlowModifyStrict
	fs := collect(v, spec.Table, &spec.Match, strict, spec.Priority, spec.Cookie, fm.CookieMask, PortAny, GroupAny)
	if len(fs) == 0 {
		if fm.SetCookie && fm.CookieMask == 0 {
			if spec.Table == TableAll {
				spec.Table = 0 // OVS's modify-as-add without a table: table 0
				if err := checkGoto(&spec.Inst, 0); err != nil {
					return err
				}
			}
			spec.Cookie = fm.NewCookie
			return d.addLocked(c, mk(spec))
		}
		return nil
	}
	for _, old := range fs {
		if spec.Table == TableAll {
			if err := checkGoto(&spec.Inst, old.spec.Table); err != nil {
				return err
			}
		}
		s := old.spec
		s.Inst = spec.Inst
		if fm.SetCookie {
			s.Cookie = fm.NewCookie
		}
		nf := mk(s)
		nf.id = old.id // keeps its place in dumps
		nf.created = old.created
		nf.ctr = old.ctr
		if spec.Flags&FlagResetCounts != 0 {
			nf.ctr = &flowCounters{}
			nf.ctr.used.Store(old.lastUsed()) // OVS forwards the used time
		}
		c.replace(old, nf, false)
	}
	return nil
}

// checkGoto checks a goto_table against the table the flow is in, for a
// modify addressed to every table (validated without a table).
func checkGoto(in *Instructions, table uint8) error {
	if in.GotoTable >= 0 && uint8(in.GotoTable) <= table {
		return Errorf(OFPBIC_BAD_TABLE_ID, "goto_table:%d from table %d", in.GotoTable, table)
	}
	return nil
}

func (d *Datapath) addLocked(c *change, f *flow) error {
	cls := c.v.tables[f.spec.Table]
	old := cls.find(&f.spec.Match, f.spec.Priority)
	f.ctr = &flowCounters{}
	if old != nil {
		// OVS (rule_insert) forwards the replaced flow's last-used time
		// even when the counters are reset: idle age and idle timeout go
		// on from it.
		f.ctr.used.Store(old.lastUsed())
		if f.spec.Flags&FlagResetCounts == 0 {
			f.ctr.packets.Store(old.ctr.packets.Load())
			f.ctr.bytes.Store(old.ctr.bytes.Load())
		}
		c.replace(old, f, true)
		return nil
	}
	if f.spec.Flags&FlagCheckOverlap != 0 {
		overlap := false
		cls.each(func(o *flow) bool {
			if o.spec.Priority == f.spec.Priority && matchesOverlap(&o.spec.Match, &f.spec.Match) {
				overlap = true
				return false
			}
			return true
		})
		if overlap {
			return Errorf(OFPFMFC_OVERLAP, "flow overlaps an existing flow of priority %d", f.spec.Priority)
		}
	}
	if err := d.makeRoomLocked(c, f.spec.Table); err != nil {
		return err
	}
	c.add(f)
	return nil
}

// AddFlows adds many flows in one change (one new version): a bulk load,
// e.g. a flow file. It stops at the first error, with nothing applied.
func (d *Datapath) AddFlows(specs []FlowSpec, now int64) error {
	d.mu.Lock()
	c := d.begin(now)
	for i := range specs {
		if _, err := d.addSpecLocked(c, specs[i], now, now); err != nil {
			d.mu.Unlock()
			return err
		}
	}
	c.commit()
	d.mu.Unlock()
	c.report()
	return nil
}

// addSpecLocked checks spec (table, match, instructions) and adds it to c
// as a new flow created at created and last modified at modified (d.mu
// held): a bulk load's or a restored state's flow.
func (d *Datapath) addSpecLocked(c *change, spec FlowSpec, created, modified int64) (*flow, error) {
	if spec.Table >= NumTables {
		return nil, Errorf(OFPFMFC_BAD_TABLE_ID, "table %d is not valid for add", spec.Table)
	}
	if err := checkMatch(&spec.Match); err != nil {
		return nil, err
	}
	ck := newChecker(c.v, &spec.Match, spec.Table, false)
	if err := ck.instructions(&spec.Inst); err != nil {
		return nil, err
	}
	d.nextID++
	f := &flow{spec: spec, id: d.nextID, ops: compileInstructions(&spec.Inst, c.v.meters), created: created, modified: modified,
		groups: ck.groups}
	f.setDerived()
	if err := d.addLocked(c, f); err != nil {
		return nil, err
	}
	return f, nil
}
