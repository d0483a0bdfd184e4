package ovsdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDatumDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Datum
	}{
		{`"a"`, "a"},
		{`7`, int64(7)},
		{`-9223372036854775808`, int64(-9223372036854775808)},
		{`1.5`, 1.5},
		{`1e3`, 1000.0},
		{`true`, true},
		{`["uuid","550E8400-e29b-41d4-a716-446655440000"]`, UUID("550e8400-e29b-41d4-a716-446655440000")},
		{`["named-uuid","row1"]`, NamedUUID("row1")},
		{`["set",[]]`, Set{}},
		{`["set",[1,"x"]]`, Set{int64(1), "x"}},
		{`["map",[["k","v"],[1,["uuid","550e8400-e29b-41d4-a716-446655440000"]]]]`,
			Map{"k": "v", int64(1): UUID("550e8400-e29b-41d4-a716-446655440000")}},
	} {
		got, err := DecodeDatum([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`null`, `{}`, `[]`, `["set"]`, `["set",1]`, `["set",[["set",[]]]]`, `["map",[[1]]]`,
		`["map",[["k",["map",[]]]]]`, `["uuid","nope"]`, `["named-uuid","1x"]`, `["uuid",1]`, `9223372036854775808`,
		`1e999`, `["frob",1]`, `[1,2]`, `"a" "b"`, `["set",[` + strings.Repeat("[", 100) + `]]`} {
		if d, err := DecodeDatum([]byte(bad)); err == nil && bad != `"a" "b"` {
			t.Errorf("%s: decoded as %#v", bad, d)
		}
	}
}

func TestDatumEncode(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"a", `"a"`},
		{int64(-3), `-3`},
		{2.0, `2.0`},
		{0.25, `0.25`},
		{1e300, `1e+300`},
		{false, `false`},
		{UUID("550e8400-e29b-41d4-a716-446655440000"), `["uuid","550e8400-e29b-41d4-a716-446655440000"]`},
		{NamedUUID("r"), `["named-uuid","r"]`},
		{[]string{"b", "a"}, `["set",["a","b"]]`},
		{(*int64)(nil), `["set",[]]`},
		{map[string]string{"z": "1", "a": "2"}, `["map",[["a","2"],["z","1"]]]`},
		{map[int64]UUID{5: "550e8400-e29b-41d4-a716-446655440000"}, `["map",[[5,["uuid","550e8400-e29b-41d4-a716-446655440000"]]]]`},
	} {
		d, err := Value(tc.in)
		if err != nil {
			t.Fatalf("%#v: %v", tc.in, err)
		}
		b, err := EncodeDatum(d)
		if err != nil || string(b) != tc.want {
			t.Errorf("%#v: got %s, %v; want %s", tc.in, b, err, tc.want)
		}
	}
	if _, err := Value(struct{}{}); err == nil {
		t.Error("a struct became a datum")
	}
	var nan float64
	nan = nan / nan
	if _, err := EncodeDatum(nan); err == nil {
		t.Error("NaN encoded")
	}
}

func TestFrameReader(t *testing.T) {
	in := ` {"a":"}{\"","b":[1,{"c":[]}]}` + "\n" + `{"id":1}{"id":2}`
	fr := newFrameReader(strings.NewReader(in), 0)
	var got []string
	for {
		b, err := fr.next()
		if err != nil {
			break
		}
		got = append(got, string(b))
	}
	want := []string{`{"a":"}{\"","b":[1,{"c":[]}]}`, `{"id":1}`, `{"id":2}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frames %q, want %q", got, want)
	}
	for _, tc := range []struct {
		in  string
		max int
		err error
	}{
		{`{"a":"` + strings.Repeat("x", 100) + `"}`, 64, ErrTooLarge},
		{strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65), 0, ErrTooDeep},
		{`{"a":[` + strings.Repeat("[", 70), 0, ErrTooDeep},
	} {
		if _, err := newFrameReader(strings.NewReader(tc.in), tc.max).next(); !errors.Is(err, tc.err) {
			t.Errorf("%.30s...: %v, want %v", tc.in, err, tc.err)
		}
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":1`, `{]]`} {
		if b, err := newFrameReader(strings.NewReader(bad), 0).next(); err == nil {
			if _, err := decodeMessage(b); err == nil {
				t.Errorf("%s: accepted", bad)
			}
		}
	}
}

// capturedMessages reads testdata/capture (see TestCaptureSeeds).
func capturedMessages(t testing.TB) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "capture", "*.json"))
	if len(files) == 0 {
		t.Fatal("no testdata/capture")
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.TrimSpace(b))
	}
	return out
}

// capturedSchema is the vswitch schema from the captured get_schema reply.
func capturedSchema(t testing.TB) *Schema {
	for _, b := range capturedMessages(t) {
		m, err := decodeMessage(b)
		if err != nil || !bytes.Contains(m.Result, []byte(`"tables"`)) {
			continue
		}
		s, err := ParseSchema(m.Result)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatal("no get_schema reply in testdata/capture")
	return nil
}

// replayMonitor is a Monitor fed by hand, as the reader goroutine feeds it.
func replayMonitor(schema *Schema) *Monitor {
	m := &Monitor{c: &Client{opts: Options{Logf: func(string, ...any) {}}}, id: "gswitch-1", specs: vswitchSpecs,
		readyCh: make(chan struct{}), changed: make(chan struct{}, 1)}
	m.reset(nil, schema, json.RawMessage(`{}`), true)
	return m
}

// TestCapturedMessages: every message ovsdb-server sent decodes, and the
// update2 and update streams both build the same final replica.
func TestCapturedMessages(t *testing.T) {
	schema := capturedSchema(t)
	m2, m1 := replayMonitor(schema), replayMonitor(schema)
	var n2, n1 int
	for _, b := range capturedMessages(t) {
		fr := newFrameReader(bytes.NewReader(b), 0)
		frame, err := fr.next()
		if err != nil {
			t.Fatalf("%.60s: %v", b, err)
		}
		msg, err := decodeMessage(frame)
		if err != nil {
			t.Fatalf("%.60s: %v", b, err)
		}
		var params []json.RawMessage
		json.Unmarshal(msg.Params, &params)
		switch {
		case msg.Method == "" && bytes.Contains(msg.Result, []byte(`{"new":`)):
			// The initial reply to the "monitor" client, which started
			// after the first commands.
			if err := m1.applyLocked(msg.Result, false, false); err != nil {
				t.Errorf("monitor reply %.80s: %v", b, err)
			}
		case msg.Method == "update2" && string(params[0]) == `"gswitch-1"`:
			if err := m2.applyLocked(params[1], true, false); err != nil {
				t.Errorf("update2 %.80s: %v", b, err)
			}
			n2++
		case msg.Method == "update":
			if err := m1.applyLocked(params[1], false, false); err != nil {
				t.Errorf("update %.80s: %v", b, err)
			}
			n1++
		}
	}
	if n1 == 0 || n2 == 0 {
		t.Fatalf("%d update and %d update2 messages captured", n1, n2)
	}
	s1, s2 := m1.Snapshot(), m2.Snapshot()
	s1.Seq, s2.Seq, s1.Epoch, s2.Epoch = 0, 0, 0, 0
	if !reflect.DeepEqual(s1, s2) {
		t.Errorf("monitor and monitor_cond replicas differ:\n%s\n%s", dumpSnapshot(s1), dumpSnapshot(s2))
	}
	if len(s2.Bridges) != 0 || s2.Root() == nil || len(s2.CTZones) != 1 {
		t.Errorf("final replica: %+v", s2)
	}
}

func dumpSnapshot(s *Snapshot) string {
	b, _ := json.MarshalIndent(s, "", " ")
	return string(b)
}
