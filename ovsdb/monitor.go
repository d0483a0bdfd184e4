package ovsdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// Monitor is a replica of some tables of the database, kept up to date
// from the server's update or update2 notifications and rebuilt from a
// fresh snapshot after every reconnect. Snapshot returns the current state;
// Changed is signalled after each change.
type Monitor struct {
	c     *Client
	id    string
	specs []tableSpec
	omit  map[string]bool // "Table.column" not monitored

	mu      sync.Mutex
	on      *conn // the connection the monitor runs on
	schema  *Schema
	rows    map[string]map[UUID]Row // the generic replica, per table
	epoch   uint64
	seq     uint64
	readyCh chan struct{}
	ready   bool

	snap    atomic.Pointer[Snapshot]
	changed chan struct{}
}

func (m *Monitor) conn() *conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on
}

// Snapshot returns the latest consistent state. It is never modified; the
// next change publishes a new one.
func (m *Monitor) Snapshot() *Snapshot { return m.snap.Load() }

// Changed receives a value after one or more changes (coalesced: read
// Snapshot after each receive). A reconnect is a change whose Snapshot has
// a new Epoch. It is never closed: select on Client.Done or a context too.
func (m *Monitor) Changed() <-chan struct{} { return m.changed }

// Cancel stops the monitor (monitor_cancel on the current connection).
func (m *Monitor) Cancel(ctx context.Context) error {
	c := m.c
	c.mu.Lock()
	delete(c.monitors, m.id)
	cn := c.cur
	c.mu.Unlock()
	if cn == nil || m.conn() != cn {
		return nil
	}
	_, err := cn.call(ctx, "monitor_cancel", []any{m.id})
	return err
}

// MonitorVSwitch monitors the Open_vSwitch tables gswitch uses (those of
// Snapshot, with the columns their Go types carry that the server's schema
// has) and returns once the first snapshot is in. Columns named in omit
// ("Interface.statistics") are not monitored, as ovs-vswitchd omits the
// columns only it writes: their Go fields stay zero and writing them wakes
// nobody.
func (c *Client) MonitorVSwitch(ctx context.Context, omit ...string) (*Monitor, error) {
	c.mu.Lock()
	c.nextMon++
	m := &Monitor{c: c, id: fmt.Sprintf("gswitch-%d", c.nextMon), specs: vswitchSpecs, omit: map[string]bool{},
		readyCh: make(chan struct{}), changed: make(chan struct{}, 1)}
	for _, o := range omit {
		m.omit[o] = true
	}
	c.monitors[m.id] = m
	cn, schema := c.cur, c.schema
	c.mu.Unlock()
	if cn != nil {
		if err := m.start(ctx, cn, schema); err != nil && !errors.Is(err, ErrDisconnected) {
			c.mu.Lock()
			delete(c.monitors, m.id)
			c.mu.Unlock()
			return nil, err
		}
	}
	select {
	case <-m.readyCh:
		return m, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.monitors, m.id)
		c.mu.Unlock()
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, errors.New("ovsdb: client closed")
	}
}

// requests builds the monitor requests for what schema has.
func (m *Monitor) requests(schema *Schema) map[string]any {
	reqs := map[string]any{}
	for _, s := range m.specs {
		ts := schema.Tables[s.name]
		if ts == nil {
			continue
		}
		cols := []string{}
		for _, col := range s.columns {
			if ts.Columns[col] != nil && !m.omit[s.name+"."+col] {
				cols = append(cols, col)
			}
		}
		reqs[s.name] = map[string]any{"columns": cols}
	}
	return reqs
}

// start sends monitor_cond (or monitor) on cn and applies the initial
// contents, which replace the whole replica, on cn's reader goroutine.
func (m *Monitor) start(ctx context.Context, cn *conn, schema *Schema) error {
	methods := []string{"monitor_cond", "monitor"}
	if m.c.opts.NoMonitorCond {
		methods = methods[1:]
	}
	var err error
	for _, method := range methods {
		ch := make(chan error, 1)
		params := []any{m.c.opts.Database, m.id, m.requests(schema)}
		update2 := method == "monitor_cond"
		_, err = cn.send(method, params, func(msg *message) {
			switch {
			case msg == nil:
				ch <- ErrDisconnected
			case !isNull(msg.Error):
				ch <- parseRPCError(method, msg.Error)
			default:
				ch <- m.reset(cn, schema, msg.Result, update2)
			}
		})
		if err != nil {
			return err
		}
		select {
		case err = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		var re *rpcError
		if !errors.As(err, &re) {
			return err
		}
		m.c.opts.Logf("%v; trying the next monitor method", err)
	}
	return err
}

// reset replaces the replica with a monitor's initial contents.
func (m *Monitor) reset(cn *conn, schema *Schema, raw json.RawMessage, update2 bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.on = cn
	m.schema = schema
	m.rows = map[string]map[UUID]Row{}
	for _, s := range m.specs {
		m.rows[s.name] = map[UUID]Row{}
	}
	m.epoch++
	snap := &Snapshot{Epoch: m.epoch}
	for _, s := range m.specs {
		s.clone(snap)
	}
	m.snap.Store(snap)
	if err := m.applyLocked(raw, update2, true); err != nil {
		return err
	}
	if !m.ready {
		m.ready = true
		close(m.readyCh)
	}
	return nil
}

// update applies an update or update2 notification.
func (m *Monitor) update(cn *conn, raw json.RawMessage, update2 bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows == nil || m.on != cn {
		return // not started, or a connection being torn down
	}
	if err := m.applyLocked(raw, update2, false); err != nil {
		m.c.opts.Logf("ovsdb: monitor %s: %v; reconnecting for a fresh snapshot", m.id, err)
		if m.on != nil {
			m.on.close()
		}
	}
}

// applyLocked applies <table-updates> (update) or <table-updates2>
// (update2) to the replica and publishes a new Snapshot. Only the tables
// that changed are copied.
func (m *Monitor) applyLocked(raw json.RawMessage, update2, force bool) error {
	v, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	tables, ok := v.(map[string]any)
	if !ok {
		return errors.New("ovsdb: table-updates is not an object")
	}
	old := m.snap.Load()
	next := *old
	next.Seq = m.seq + 1
	// Apply in a fixed table order, so that errors are deterministic.
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, tname := range names {
		spec := findSpec(m.specs, tname)
		ts := m.schema.Tables[tname]
		if spec == nil || ts == nil {
			continue
		}
		rows, ok := tables[tname].(map[string]any)
		if !ok {
			return fmt.Errorf("ovsdb: %s: table-update is not an object", tname)
		}
		spec.clone(&next)
		cache := m.rows[tname]
		for us, ru := range rows {
			if !validUUID(us) {
				return fmt.Errorf("ovsdb: %s: %q is not a uuid", tname, us)
			}
			u := UUID(us)
			obj, ok := ru.(map[string]any)
			if !ok {
				return fmt.Errorf("ovsdb: %s %s: row-update is not an object", tname, u)
			}
			row, err := applyRowUpdate(ts, cache[u], obj, update2)
			if err != nil {
				return fmt.Errorf("ovsdb: %s %s: %w", tname, u, err)
			}
			if row == nil {
				delete(cache, u)
				spec.set(&next, u, nil)
			} else {
				cache[u] = row
				spec.set(&next, u, row)
			}
		}
	}
	m.seq = next.Seq
	m.snap.Store(&next)
	select {
	case m.changed <- struct{}{}:
	default:
	}
	return nil
}

// applyRowUpdate returns a row's new contents (nil: deleted) from its
// previous contents and a <row-update> (update) or <row-update2> (update2).
func applyRowUpdate(ts *TableSchema, prev Row, obj map[string]any, update2 bool) (Row, error) {
	if !update2 {
		nv, ok := obj["new"]
		if !ok || nv == nil {
			return nil, nil
		}
		r, err := decodeRow(nv)
		if err != nil {
			return nil, err
		}
		out := cloneRow(prev)
		for col, d := range r {
			if out[col], err = normalize(ts, col, d); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if len(obj) != 1 {
		return nil, errors.New("row-update2 must have exactly one member")
	}
	for kind, rv := range obj {
		switch kind {
		case "delete":
			return nil, nil
		case "initial", "insert", "modify":
			r, err := decodeRow(rv)
			if err != nil {
				return nil, err
			}
			var out Row
			if kind == "modify" {
				out = cloneRow(prev)
			} else {
				out = Row{}
			}
			for col, d := range r {
				nd, err := normalize(ts, col, d)
				if err != nil {
					return nil, err
				}
				if kind == "modify" {
					nd = applyDiff(ts.Columns[col], out[col], nd)
				}
				out[col] = nd
			}
			return out, nil
		default:
			return nil, fmt.Errorf("unknown row-update2 %q", kind)
		}
	}
	return nil, nil
}

func cloneRow(r Row) Row {
	out := make(Row, len(r))
	for k, v := range r {
		out[k] = v
	}
	return out
}

// normalize makes a decoded datum what the column's type says: a Set for a
// set column (a bare atom is a one-element set), a Map for a map column, an
// atom otherwise. Columns the schema lacks are kept as they are.
func normalize(ts *TableSchema, col string, d Datum) (Datum, error) {
	ct := ts.Columns[col]
	if ct == nil {
		return d, nil
	}
	switch {
	case ct.IsMap():
		if _, ok := d.(Map); !ok {
			return nil, fmt.Errorf("column %s: want a map", col)
		}
	case ct.IsSet():
		switch d.(type) {
		case Set:
		case Map:
			return nil, fmt.Errorf("column %s: want a set", col)
		default:
			return Set{d}, nil
		}
	default:
		switch x := d.(type) {
		case Map:
			return nil, fmt.Errorf("column %s: want an atom", col)
		case Set:
			if len(x) != 1 {
				return nil, fmt.Errorf("column %s: want an atom", col)
			}
			return x[0], nil
		}
	}
	return d, nil
}

// applyDiff applies an update2 "modify" diff: a set's elements toggle, a
// map's pairs are removed (same value), changed or added; an atom or an
// optional (at most one element) column gets the new value.
func applyDiff(ct *ColumnType, old, diff Datum) Datum {
	if ct == nil {
		return diff
	}
	switch {
	case ct.IsMap():
		om, _ := old.(Map)
		out := make(Map, len(om))
		for k, v := range om {
			out[k] = v
		}
		for k, v := range diff.(Map) {
			if cur, ok := out[k]; ok && cur == v {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	case ct.IsSet() && ct.Max == 1:
		// An optional column: ovsdb-server sends the new value (seen from
		// 3.1: "mtu":["set",[]] clears, "ofport":-1 replaces 1).
		return diff
	case ct.IsSet():
		os, _ := old.(Set)
		out := append(Set(nil), os...)
		for _, e := range diff.(Set) {
			found := -1
			for i, x := range out {
				if x == e {
					found = i
					break
				}
			}
			if found >= 0 {
				out = append(out[:found], out[found+1:]...)
			} else {
				out = append(out, e)
			}
		}
		return canonicalSet(out)
	}
	return diff
}
