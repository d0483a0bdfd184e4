package ovsdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// UUID is a row's identity, in the 36-character text form RFC 7047 uses
// ("550e8400-e29b-41d4-a716-446655440000"). On the wire it is ["uuid", "..."].
type UUID string

// NamedUUID names a row inserted earlier in the same transaction
// (["named-uuid", "name"] on the wire; RFC 7047 section 5.1).
type NamedUUID string

// Atom is one OVSDB atom. Its dynamic type is one of string, int64, float64,
// bool, UUID or NamedUUID; nothing else is an atom.
type Atom = any

// Set is an OVSDB set (["set", [atoms]] on the wire; a set of exactly one
// element may also be sent as the bare atom).
type Set []Atom

// Map is an OVSDB map (["map", [[key, value], ...]] on the wire). Keys and
// values are atoms.
type Map map[Atom]Atom

// Datum is a column's value: an Atom, a Set or a Map.
type Datum = any

// Row is a row's columns by name, as decoded from the wire (a column a server
// left out is absent: it has its default value).
type Row map[string]Datum

var errDatum = errors.New("ovsdb: not a datum")

// validUUID reports whether s is the 8-4-4-4-12 hex form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validID reports whether s is an OVSDB <id> (letters, digits and _, not
// starting with a digit), the form a named-uuid must have.
func validID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// decodeNumber turns a JSON number into an int64 atom when it has no fraction
// or exponent, otherwise into a finite float64.
func decodeNumber(n json.Number) (Atom, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ovsdb: integer %.40s out of range", s)
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("ovsdb: real %.40s out of range", s)
	}
	return f, nil
}

// decodeAtom decodes one atom from a value json.Decoder.UseNumber produced.
func decodeAtom(v any) (Atom, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return x, nil
	case json.Number:
		return decodeNumber(x)
	case []any:
		if len(x) != 2 {
			return nil, errDatum
		}
		tag, _ := x[0].(string)
		s, ok := x[1].(string)
		if !ok {
			return nil, errDatum
		}
		switch tag {
		case "uuid":
			if !validUUID(s) {
				return nil, fmt.Errorf("ovsdb: %q is not a uuid", s)
			}
			return UUID(strings.ToLower(s)), nil
		case "named-uuid":
			if !validID(s) {
				return nil, fmt.Errorf("ovsdb: %q is not a valid named-uuid", s)
			}
			return NamedUUID(s), nil
		}
	}
	return nil, errDatum
}

// decodeDatum decodes a datum (atom, ["set", ...] or ["map", ...]) from a
// value json.Decoder.UseNumber produced. It never panics.
func decodeDatum(v any) (Datum, error) {
	if x, ok := v.([]any); ok && len(x) == 2 {
		tag, _ := x[0].(string)
		switch tag {
		case "set":
			elems, ok := x[1].([]any)
			if !ok {
				return nil, errors.New("ovsdb: set without an array")
			}
			s := make(Set, 0, len(elems))
			for _, e := range elems {
				a, err := decodeAtom(e)
				if err != nil {
					return nil, err
				}
				s = append(s, a)
			}
			return canonicalSet(s), nil
		case "map":
			pairs, ok := x[1].([]any)
			if !ok {
				return nil, errors.New("ovsdb: map without an array")
			}
			m := make(Map, len(pairs))
			for _, p := range pairs {
				kv, ok := p.([]any)
				if !ok || len(kv) != 2 {
					return nil, errors.New("ovsdb: map pair is not [key, value]")
				}
				k, err := decodeAtom(kv[0])
				if err != nil {
					return nil, err
				}
				val, err := decodeAtom(kv[1])
				if err != nil {
					return nil, err
				}
				m[k] = val
			}
			return m, nil
		}
	}
	return decodeAtom(v)
}

// canonicalSet sorts a set and drops repeated elements, so that a decoded
// set compares and encodes the same whatever order the peer sent.
func canonicalSet(s Set) Set {
	sort.Slice(s, func(i, j int) bool { return atomLess(s[i], s[j]) })
	out := s[:0]
	for i, a := range s {
		if i == 0 || a != s[i-1] {
			out = append(out, a)
		}
	}
	return out
}

// DecodeDatum decodes one datum from its JSON text.
func DecodeDatum(b []byte) (Datum, error) {
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	return decodeDatum(v)
}

// decodeJSON decodes JSON text with numbers kept as json.Number.
func decodeJSON(b []byte) (any, error) {
	if err := checkNesting(b, maxDepth); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("ovsdb: %w", err)
	}
	return v, nil
}

// decodeRow decodes a <row> object (column name to datum).
func decodeRow(v any) (Row, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("ovsdb: row is not an object")
	}
	r := make(Row, len(obj))
	for col, cv := range obj {
		d, err := decodeDatum(cv)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", col, err)
		}
		r[col] = d
	}
	return r, nil
}

// wireAtom is the JSON form of an atom.
func wireAtom(a Atom) (any, error) {
	switch x := a.(type) {
	case string, bool, int64:
		return x, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("ovsdb: real %v cannot be sent", x)
		}
		// Always with a '.' or an exponent, so that it reads back as a real.
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return json.Number(s), nil
	case UUID:
		return []any{"uuid", string(x)}, nil
	case NamedUUID:
		return []any{"named-uuid", string(x)}, nil
	}
	return nil, fmt.Errorf("ovsdb: %T is not an atom", a)
}

// atomLess orders atoms for a deterministic encoding: by type, then value.
func atomLess(a, b Atom) bool {
	ra, rb := atomRank(a), atomRank(b)
	if ra != rb {
		return ra < rb
	}
	switch x := a.(type) {
	case string:
		return x < b.(string)
	case int64:
		return x < b.(int64)
	case float64:
		return x < b.(float64)
	case bool:
		return !x && b.(bool)
	case UUID:
		return x < b.(UUID)
	case NamedUUID:
		return x < b.(NamedUUID)
	}
	return false
}

func atomRank(a Atom) int {
	switch a.(type) {
	case int64:
		return 0
	case float64:
		return 1
	case bool:
		return 2
	case string:
		return 3
	case UUID:
		return 4
	case NamedUUID:
		return 5
	}
	return 6
}

// wireDatum is the JSON form of a datum. Sets are always sent as
// ["set", [...]] and maps as ["map", [...]], sorted.
func wireDatum(d Datum) (any, error) {
	switch x := d.(type) {
	case Set:
		s := append(Set(nil), x...)
		sort.Slice(s, func(i, j int) bool { return atomLess(s[i], s[j]) })
		elems := make([]any, 0, len(s))
		for _, a := range s {
			w, err := wireAtom(a)
			if err != nil {
				return nil, err
			}
			elems = append(elems, w)
		}
		return []any{"set", elems}, nil
	case Map:
		keys := make([]Atom, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return atomLess(keys[i], keys[j]) })
		pairs := make([]any, 0, len(x))
		for _, k := range keys {
			wk, err := wireAtom(k)
			if err != nil {
				return nil, err
			}
			wv, err := wireAtom(x[k])
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, []any{wk, wv})
		}
		return []any{"map", pairs}, nil
	}
	return wireAtom(d)
}

// EncodeDatum returns a datum's JSON text.
func EncodeDatum(d Datum) ([]byte, error) {
	w, err := wireDatum(d)
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// Value converts a Go value into a datum: string, bool, int, int64, uint32,
// float64, UUID and NamedUUID become atoms; a nil pointer becomes the empty
// set and a non-nil pointer its atom (an optional column); a slice becomes a
// set; a map becomes a map. An Atom, Set or Map is returned as it is.
func Value(v any) (Datum, error) {
	switch x := v.(type) {
	case Set, Map, string, bool, int64, float64, UUID, NamedUUID:
		return x, nil
	case int:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case *string:
		return optional(x)
	case *int64:
		return optional(x)
	case *bool:
		return optional(x)
	case *float64:
		return optional(x)
	case *UUID:
		return optional(x)
	case []string:
		return setOf(x), nil
	case []int64:
		return setOf(x), nil
	case []UUID:
		return setOf(x), nil
	case map[string]string:
		return mapOf(x), nil
	case map[string]int64:
		return mapOf(x), nil
	case map[string]UUID:
		return mapOf(x), nil
	case map[int64]UUID:
		return mapOf(x), nil
	}
	return nil, fmt.Errorf("ovsdb: no datum for Go type %T", v)
}

func optional[T string | int64 | bool | float64 | UUID](p *T) (Datum, error) {
	if p == nil {
		return Set{}, nil
	}
	return *p, nil
}

func setOf[T string | int64 | UUID](s []T) Set {
	out := make(Set, 0, len(s))
	for _, e := range s {
		out = append(out, e)
	}
	return out
}

func mapOf[K string | int64, V string | int64 | UUID](m map[K]V) Map {
	out := make(Map, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
