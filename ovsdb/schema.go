package ovsdb

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Schema is what get_schema returns, reduced to what the client needs: the
// database's name and version and each table's column types.
type Schema struct {
	Name    string
	Version string
	Tables  map[string]*TableSchema
}

// TableSchema is one table's columns.
type TableSchema struct {
	Columns map[string]*ColumnType
	IsRoot  bool
	MaxRows int // 0: unlimited
}

// ColumnType is a column's <type> (RFC 7047 section 3.2): a key type, an
// optional value type (a map) and the bounds on the number of elements.
type ColumnType struct {
	Key   BaseType
	Value *BaseType // non-nil for a map
	Min   int
	Max   int // -1: unlimited
}

// BaseType is an atomic type ("integer", "real", "boolean", "string",
// "uuid") and, for a uuid, the table it refers to.
type BaseType struct {
	Type     string
	RefTable string
}

// IsMap reports whether the column holds a map.
func (c *ColumnType) IsMap() bool { return c.Value != nil }

// IsSet reports whether the column holds a set (anything but exactly one
// atom); an optional column (min 0, max 1) is a set.
func (c *ColumnType) IsSet() bool { return c.Value == nil && !(c.Min == 1 && c.Max == 1) }

// ParseSchema decodes a <database-schema> object.
func ParseSchema(b []byte) (*Schema, error) {
	if err := checkNesting(b, maxDepth); err != nil {
		return nil, err
	}
	var raw struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Tables  map[string]struct {
			Columns map[string]struct {
				Type json.RawMessage `json:"type"`
			} `json:"columns"`
			IsRoot  bool `json:"isRoot"`
			MaxRows int  `json:"maxRows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("ovsdb: schema: %w", err)
	}
	if raw.Name == "" || raw.Tables == nil {
		return nil, errors.New("ovsdb: schema without name or tables")
	}
	s := &Schema{Name: raw.Name, Version: raw.Version, Tables: make(map[string]*TableSchema, len(raw.Tables))}
	for tname, t := range raw.Tables {
		ts := &TableSchema{Columns: make(map[string]*ColumnType, len(t.Columns)), IsRoot: t.IsRoot, MaxRows: t.MaxRows}
		for cname, c := range t.Columns {
			ct, err := parseColumnType(c.Type)
			if err != nil {
				return nil, fmt.Errorf("ovsdb: schema: %s.%s: %w", tname, cname, err)
			}
			ts.Columns[cname] = ct
		}
		// Every table has these two, though the schema does not list them.
		ts.Columns["_uuid"] = &ColumnType{Key: BaseType{Type: "uuid"}, Min: 1, Max: 1}
		ts.Columns["_version"] = &ColumnType{Key: BaseType{Type: "uuid"}, Min: 1, Max: 1}
		s.Tables[tname] = ts
	}
	return s, nil
}

func parseColumnType(raw json.RawMessage) (*ColumnType, error) {
	var atomic string
	if json.Unmarshal(raw, &atomic) == nil {
		bt, err := parseBaseType(raw)
		if err != nil {
			return nil, err
		}
		return &ColumnType{Key: bt, Min: 1, Max: 1}, nil
	}
	var obj struct {
		Key   json.RawMessage `json:"key"`
		Value json.RawMessage `json:"value"`
		Min   *int            `json:"min"`
		Max   json.RawMessage `json:"max"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	ct := &ColumnType{Min: 1, Max: 1}
	var err error
	if ct.Key, err = parseBaseType(obj.Key); err != nil {
		return nil, err
	}
	if obj.Value != nil {
		v, err := parseBaseType(obj.Value)
		if err != nil {
			return nil, err
		}
		ct.Value = &v
	}
	if obj.Min != nil {
		ct.Min = *obj.Min
	}
	if obj.Max != nil {
		var n int
		var s string
		switch {
		case json.Unmarshal(obj.Max, &n) == nil:
			ct.Max = n
		case json.Unmarshal(obj.Max, &s) == nil && s == "unlimited":
			ct.Max = -1
		default:
			return nil, fmt.Errorf("bad max %s", obj.Max)
		}
	}
	return ct, nil
}

func parseBaseType(raw json.RawMessage) (BaseType, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return checkBaseType(BaseType{Type: s})
	}
	var obj struct {
		Type     string `json:"type"`
		RefTable string `json:"refTable"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return BaseType{}, fmt.Errorf("bad base type: %w", err)
	}
	return checkBaseType(BaseType{Type: obj.Type, RefTable: obj.RefTable})
}

func checkBaseType(b BaseType) (BaseType, error) {
	switch b.Type {
	case "integer", "real", "boolean", "string", "uuid":
		return b, nil
	}
	return b, fmt.Errorf("unknown atomic type %q", b.Type)
}
