package pipeline

import (
	"encoding/binary"

	"gswitch/packet"
)

// TableConfig is one flow table's configuration from the database (a
// Bridge's flow_tables, OVS's ofproto_table_settings). The zero value is
// an unconfigured table: no name, no limit beyond Config.MaxFlows.
type TableConfig struct {
	// Name is what table statistics and features call the table ("":
	// none; at most 32 bytes are kept, OFP_MAX_TABLE_NAME_LEN).
	Name string
	// Limited: the table holds at most FlowLimit flows (flow_limit).
	Limited   bool
	FlowLimit uint32
	// Evict: an add past the limit evicts a flow with a timeout
	// (overflow_policy=evict) rather than failing with
	// OFPFMFC_TABLE_FULL.
	Evict bool
	// Groups are the subfields whose values in a flow's match form its
	// eviction group (OVS's eviction groups: the largest gives a flow
	// first). None: one group.
	Groups []Subfield
}

// tableConfigs is every table's configuration, published as a whole.
type tableConfigs [NumTables]TableConfig

// maxTableName is OFP_MAX_TABLE_NAME_LEN.
const maxTableName = 32

// SetTableConfig configures table (as OVS's ofproto_configure_table), in
// place: the flows stay, except that a limit lower than the table's flows
// evicts at once when eviction is on (with it off, the flows stay and
// adds fail until the table is below its limit again).
func (d *Datapath) SetTableConfig(table uint8, tc TableConfig, now int64) {
	if int(table) >= NumTables {
		return
	}
	if len(tc.Name) > maxTableName {
		tc.Name = tc.Name[:maxTableName]
	}
	tc.Groups = append([]Subfield(nil), tc.Groups...)
	d.sawNow(now)
	d.mu.Lock()
	all := tableConfigs{}
	if p := d.tcfg.Load(); p != nil {
		all = *p
	}
	all[table] = tc
	d.tcfg.Store(&all)
	c := d.begin(now)
	if cls := c.v.tables[table]; cls != nil && tc.Limited && (tc.Evict || d.evictOF[table].Load()) {
		for n := cls.n; n > int(tc.FlowLimit); n-- {
			victim := d.evictionVictim(c, table, &tc, now)
			if victim == nil {
				break
			}
			c.remove(victim, RemovedEviction)
		}
	}
	c.finish()
}

// SetTableEviction turns eviction on or off for table (TableAll: every
// table) by OpenFlow (a 1.4+ table-mod's OFPTC14_EVICTION), as OVS's
// EVICTION_OPENFLOW bit: a table evicts when its database configuration
// or OpenFlow asks for it, with the database's groups and limit. Turning
// it on evicts nothing at once (OVS's table_mod__).
func (d *Datapath) SetTableEviction(table uint8, on bool) {
	for t := range NumTables {
		if table == TableAll || int(table) == t {
			d.evictOF[t].Store(on)
		}
	}
}

// TableEviction reports whether OpenFlow turned eviction on for table (what
// OVS's table description reports; the database's overflow_policy is not
// part of it).
func (d *Datapath) TableEviction(table uint8) bool {
	return int(table) < NumTables && d.evictOF[table].Load()
}

// TableConfig returns table's configuration.
func (d *Datapath) TableConfig(table uint8) TableConfig {
	if p := d.tcfg.Load(); p != nil && int(table) < NumTables {
		return p[table]
	}
	return TableConfig{}
}

// maxEntries is the table's max_entries in statistics and features: the
// smaller of Config.MaxFlows and the configured limit.
func (d *Datapath) maxEntries(tc *TableConfig) uint32 {
	m := uint32(d.cfg.MaxFlows)
	if tc.Limited && tc.FlowLimit < m {
		m = tc.FlowLimit
	}
	return m
}

// makeRoomLocked lets one more flow into table f.spec.Table: nothing when
// it is below its limits, else the flow eviction chooses is removed; with
// none to evict the add fails with OFPFMFC_TABLE_FULL (OVS's
// add_flow_start).
func (d *Datapath) makeRoomLocked(c *change, table uint8) error {
	n := 0
	cls := c.v.tables[table]
	if cls != nil {
		n = cls.n
	}
	if n >= d.cfg.MaxFlows {
		return Errorf(OFPFMFC_TABLE_FULL, "table %d is full (%d flows)", table, n)
	}
	p := d.tcfg.Load()
	if p == nil || !p[table].Limited || n < int(p[table].FlowLimit) {
		return nil
	}
	tc := &p[table]
	if tc.Evict || d.evictOF[table].Load() {
		if victim := d.evictionVictim(c, table, tc, c.now); victim != nil {
			c.remove(victim, RemovedEviction)
			return nil
		}
	}
	return Errorf(OFPFMFC_TABLE_FULL, "table %d is full (flow_limit %d)", table, tc.FlowLimit)
}

// evictionVictim chooses the flow of table to evict, as OVS's
// choose_rule_to_evict: only flows with an idle or hard timeout are
// evictable; they form groups by the values of tc.Groups in their match;
// from the group with the most of them, the flow of lowest importance, and
// among those the one that would expire first (hard: from its last
// modification, idle: from its last use). Ties go to the older flow (OVS:
// equal-size groups at random, equal flows in heap order). nil: none.
func (d *Datapath) evictionVictim(c *change, table uint8, tc *TableConfig, now int64) *flow {
	cls := c.v.tables[table]
	if cls == nil {
		return nil
	}
	type group struct {
		n    int
		best *flow
		key  uint64 // best's importance and expiry
	}
	groups := map[string]*group{}
	var kb []byte
	cls.each(func(f *flow) bool {
		idle, hard := f.timeouts()
		if idle == 0 && hard == 0 {
			return true
		}
		kb = evictionGroupKey(kb[:0], &f.spec.Match, tc.Groups)
		g := groups[string(kb)]
		if g == nil {
			g = &group{}
			groups[string(kb)] = g
		}
		g.n++
		k := evictionKey(f, idle, hard, now)
		if g.best == nil || k < g.key || k == g.key && f.id < g.best.id {
			g.best, g.key = f, k
		}
		return true
	})
	var pick *group
	for _, g := range groups {
		if pick == nil || g.n > pick.n || g.n == pick.n && g.best.id < pick.best.id {
			pick = g
		}
	}
	if pick == nil {
		return nil
	}
	return pick.best
}

// evictionKey orders evictable flows, the smallest first: importance in
// the high bits, then the expiry time (in OVS's units of 1024 ms) in the
// low ones (OVS's rule_eviction_priority, inverted).
func evictionKey(f *flow, idle, hard uint16, now int64) uint64 {
	exp := int64(1<<63 - 1)
	if hard != 0 {
		exp = f.hardStart() + int64(hard)*1e9
	}
	if idle != 0 {
		exp = min(exp, f.lastUsed()+int64(idle)*1e9)
	}
	ofs := (exp - now) / 1_024_000_000
	ofs = max(ofs, 0) + 1<<31 // flows may already be past their time
	return uint64(f.spec.Importance)<<32 | uint64(uint32(min(ofs, 1<<32-1)))
}

// evictionGroupKey appends to b what identifies the eviction group of a
// flow with match m: for each subfield, its bits in the match's value, or
// a marker when the match does not meet the field's prerequisites (OVS's
// eviction_group_hash_rule).
func evictionGroupKey(b []byte, m *Match, groups []Subfield) []byte {
	for _, sf := range groups {
		if sf.Tun.Len != 0 || !sf.Field.Valid() {
			b = append(b, 2) // tun_metadata: one group (not read here)
			continue
		}
		if !packet.Fields[sf.Field].Prereq.MetBy(&m.Value, &m.Mask) {
			b = append(b, 0)
			continue
		}
		v := m.Value.Get(sf.Field)
		if sf.NBits < 128 {
			v = v.Shr(uint(sf.Ofs)).And(packet.Ones(uint(sf.NBits)))
		}
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, v.Hi)
		b = binary.BigEndian.AppendUint64(b, v.Lo)
	}
	return b
}
