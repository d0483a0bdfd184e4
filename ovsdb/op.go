package ovsdb

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Op is one operation of a transaction (RFC 7047 section 5.2). Build it
// with Insert, Update, UpdateUUID, Mutate, Wait, Delete, Select or Comment;
// the fields are the wire members, and Row values may be any Go value Value
// accepts.
type Op struct {
	Op        string
	Table     string
	Where     []Condition
	Row       map[string]any
	Rows      []map[string]any
	Columns   []string
	Mutations []Mutation
	UUIDName  string
	Until     string
	Timeout   *int
	Comment   string
}

// Condition is one clause of a where: column, function ("==", "!=",
// "includes", "excludes", "<", ...) and a value (any Go value Value accepts).
type Condition struct {
	Column   string
	Function string
	Value    any
}

// Mutation is [column, mutator, value]; mutators are "+=", "-=", "*=",
// "/=", "%=", "insert", "delete".
type Mutation struct {
	Column  string
	Mutator string
	Value   any
}

// WhereUUID is the condition selecting one row by its uuid.
func WhereUUID(u UUID) []Condition { return []Condition{{"_uuid", "==", u}} }

// Insert adds a row; uuidName, if not empty, lets later ops of the same
// transaction refer to it as NamedUUID(uuidName).
func Insert(table string, row map[string]any, uuidName string) Op {
	return Op{Op: "insert", Table: table, Row: row, UUIDName: uuidName}
}

// Update sets the given columns of the rows where matches.
func Update(table string, where []Condition, row map[string]any) Op {
	return Op{Op: "update", Table: table, Where: where, Row: row}
}

// UpdateUUID sets the given columns of one row.
func UpdateUUID(table string, u UUID, row map[string]any) Op {
	return Update(table, WhereUUID(u), row)
}

// Mutate changes columns of the rows where matches in place.
func Mutate(table string, where []Condition, m ...Mutation) Op {
	return Op{Op: "mutate", Table: table, Where: where, Mutations: m}
}

// Wait makes the transaction wait (or, with timeoutMS 0, fail at once)
// until the columns of the rows where matches are ("==") or are not ("!=")
// exactly rows.
func Wait(table string, where []Condition, columns []string, until string, rows []map[string]any, timeoutMS int) Op {
	return Op{Op: "wait", Table: table, Where: where, Columns: columns, Until: until, Rows: rows, Timeout: &timeoutMS}
}

// Delete removes the rows where matches.
func Delete(table string, where []Condition) Op { return Op{Op: "delete", Table: table, Where: where} }

// Select reads the columns (all if none) of the rows where matches.
func Select(table string, where []Condition, columns ...string) Op {
	return Op{Op: "select", Table: table, Where: where, Columns: columns}
}

// Comment adds a comment to the database log.
func Comment(text string) Op { return Op{Op: "comment", Comment: text} }

func wireRow(r map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(r))
	for col, v := range r {
		d, err := Value(v)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", col, err)
		}
		if out[col], err = wireDatum(d); err != nil {
			return nil, fmt.Errorf("column %s: %w", col, err)
		}
	}
	return out, nil
}

// MarshalJSON encodes the op as RFC 7047 <operation>.
func (o Op) MarshalJSON() ([]byte, error) {
	w := map[string]any{"op": o.Op}
	if o.Table != "" {
		w["table"] = o.Table
	}
	switch o.Op {
	case "select", "update", "mutate", "delete", "wait":
		where := make([]any, 0, len(o.Where))
		for _, c := range o.Where {
			d, err := Value(c.Value)
			if err != nil {
				return nil, fmt.Errorf("where %s: %w", c.Column, err)
			}
			wd, err := wireDatum(d)
			if err != nil {
				return nil, fmt.Errorf("where %s: %w", c.Column, err)
			}
			where = append(where, []any{c.Column, c.Function, wd})
		}
		w["where"] = where
	}
	if o.Op == "insert" || o.Op == "update" {
		row, err := wireRow(o.Row)
		if err != nil {
			return nil, err
		}
		w["row"] = row
	}
	if o.UUIDName != "" {
		w["uuid-name"] = o.UUIDName
	}
	if o.Op == "mutate" {
		ms := make([]any, 0, len(o.Mutations))
		for _, m := range o.Mutations {
			d, err := Value(m.Value)
			if err != nil {
				return nil, fmt.Errorf("mutation %s: %w", m.Column, err)
			}
			wd, err := wireDatum(d)
			if err != nil {
				return nil, fmt.Errorf("mutation %s: %w", m.Column, err)
			}
			ms = append(ms, []any{m.Column, m.Mutator, wd})
		}
		w["mutations"] = ms
	}
	if o.Op == "select" || o.Op == "wait" {
		if o.Columns != nil {
			w["columns"] = o.Columns
		}
	}
	if o.Op == "wait" {
		rows := make([]any, 0, len(o.Rows))
		for _, r := range o.Rows {
			wr, err := wireRow(r)
			if err != nil {
				return nil, err
			}
			rows = append(rows, wr)
		}
		w["rows"] = rows
		w["until"] = o.Until
		if o.Timeout != nil {
			w["timeout"] = *o.Timeout
		}
	}
	if o.Op == "comment" {
		w["comment"] = o.Comment
	}
	return json.Marshal(w)
}

// describe names an op for error messages ("wait on Open_vSwitch").
func (o Op) describe() string {
	if o.Table == "" {
		return o.Op
	}
	return o.Op + " on " + o.Table
}

// OpResult is one op's result: the new row's uuid (insert), the number of
// rows touched (update, mutate, delete) or the rows read (select).
type OpResult struct {
	UUID  UUID
	Count int
	Rows  []Row
}

// TransactError is a failed transaction: the op that failed (its index, -1
// when the commit itself failed after every op succeeded) and the server's
// "error" and "details".
type TransactError struct {
	Index   int
	Op      string // e.g. "wait on Open_vSwitch"
	Err     string // RFC 7047's error string: "timed out", "constraint violation", ...
	Details string
}

func (e *TransactError) Error() string {
	var b strings.Builder
	b.WriteString("ovsdb: transact: ")
	if e.Index >= 0 {
		fmt.Fprintf(&b, "op %d (%s): ", e.Index, e.Op)
	} else {
		b.WriteString("commit: ")
	}
	b.WriteString(e.Err)
	if e.Details != "" {
		b.WriteString(": " + e.Details)
	}
	return b.String()
}

// parseTransactResult decodes a transact reply for ops.
func parseTransactResult(ops []Op, raw json.RawMessage) ([]OpResult, error) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("ovsdb: transact result is not an array")
	}
	res := make([]OpResult, len(ops))
	for i, r := range arr {
		obj, _ := r.(map[string]any)
		if obj == nil {
			continue // null: not executed, after an error
		}
		if e, ok := obj["error"]; ok && e != nil {
			te := &TransactError{Index: i}
			te.Err, _ = e.(string)
			te.Details, _ = obj["details"].(string)
			if i < len(ops) {
				te.Op = ops[i].describe()
			} else {
				te.Index = -1
			}
			return res, te
		}
		if i >= len(ops) {
			continue
		}
		if u, ok := obj["uuid"]; ok {
			a, err := decodeAtom(u)
			if err != nil {
				return nil, fmt.Errorf("ovsdb: transact op %d: %w", i, err)
			}
			res[i].UUID, _ = a.(UUID)
		}
		if c, ok := obj["count"].(json.Number); ok {
			n, _ := c.Int64()
			res[i].Count = int(n)
		}
		if rows, ok := obj["rows"].([]any); ok {
			for _, rv := range rows {
				row, err := decodeRow(rv)
				if err != nil {
					return nil, fmt.Errorf("ovsdb: transact op %d: %w", i, err)
				}
				res[i].Rows = append(res[i].Rows, row)
			}
		}
	}
	if len(arr) < len(ops) {
		return res, fmt.Errorf("ovsdb: transact: %d results for %d ops", len(arr), len(ops))
	}
	return res, nil
}
