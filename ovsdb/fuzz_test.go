package ovsdb

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The fuzz targets hold the decoders to "never panic" and to round trips.
// Seeds: the messages captured from ovsdb-server (testdata/capture, see
// TestCaptureSeeds), the datums in them, and hostile shapes.

// datumSeeds walks captured messages for every value that decodes as a
// datum.
func datumSeeds(t testing.TB) [][]byte {
	var out [][]byte
	var walk func(v any)
	walk = func(v any) {
		if _, err := decodeDatum(v); err == nil {
			if b, err := json.Marshal(v); err == nil {
				out = append(out, b)
			}
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, b := range capturedMessages(t) {
		v, err := decodeJSON(b)
		if err == nil {
			walk(v)
		}
	}
	return out
}

func FuzzDatum(f *testing.F) {
	seen := map[string]bool{}
	for _, b := range datumSeeds(f) {
		if !seen[string(b)] && len(b) < 2000 {
			seen[string(b)] = true
			f.Add(b)
		}
	}
	for _, s := range []string{`["set",[1,1.5,true,"x"]]`, `["map",[[1,2],[1,3]]]`, `["uuid","x"]`, `-0`, `1E2`, `0.1e-400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDatum(b)
		if err != nil {
			return
		}
		enc, err := EncodeDatum(d)
		if err != nil {
			t.Fatalf("%s decoded to %#v, which does not encode: %v", b, d, err)
		}
		d2, err := DecodeDatum(enc)
		if err != nil {
			t.Fatalf("%s -> %s does not decode: %v", b, enc, err)
		}
		// A bare atom comes back as itself, a set or map as a set or map.
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("%s -> %#v -> %s -> %#v", b, d, enc, d2)
		}
		enc2, _ := EncodeDatum(d2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %s, %s", enc, enc2)
		}
	})
}

// FuzzMessage frames and decodes a byte stream as the reader goroutine
// does, then hands each message to what would consume it: the schema and
// transact-result parsers and the monitor replica with the vswitch schema.
func FuzzMessage(f *testing.F) {
	for _, b := range capturedMessages(f) {
		f.Add(b)
	}
	for _, s := range []string{`{"method":"echo","params":[],"id":"x"}`, `{"id":1,"result":null,"error":{"error":"unknown method"}}`,
		`{"method":"update2","params":["gswitch-1",{"Port":{"00000000-0000-0000-0000-000000000001":{"modify":{"trunks":5}}}}],"id":null}`,
		`{"method":"update","params":["gswitch-1",{"Interface":{"00000000-0000-0000-0000-000000000001":{"new":{"ofport":["set",[1,2]]}}}}],"id":null}`,
		`{"a":"\"}"}{"id":1,"result":[{"error":"x","details":5},null]}`} {
		f.Add([]byte(s))
	}
	schema := capturedSchema(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := newFrameReader(bytes.NewReader(b), 1<<20)
		m2, m1 := replayMonitor(schema), replayMonitor(schema)
		for range 8 {
			frame, err := fr.next()
			if err != nil {
				return
			}
			msg, err := decodeMessage(frame)
			if err != nil {
				return
			}
			ParseSchema(msg.Result)
			parseTransactResult([]Op{Comment("a"), Wait("T", nil, nil, "==", nil, 0)}, msg.Result)
			m2.applyLocked(msg.Result, true, false)
			m1.applyLocked(msg.Result, false, false)
			var params []json.RawMessage
			if json.Unmarshal(msg.Params, &params) == nil && len(params) == 2 {
				m2.applyLocked(params[1], true, false)
				m1.applyLocked(params[1], false, false)
			}
			for _, s := range []*Snapshot{m1.Snapshot(), m2.Snapshot()} {
				s.Root()
				s.BridgeByName("br0")
			}
		}
	})
}
