package ctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// bufConn is a connection whose client wrote in and reads out.
type bufConn struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *bufConn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *bufConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *bufConn) Close() error                { return nil }

// FuzzServe feeds a byte stream to one control-socket connection, as a
// client (ovs-appctl, gswitch ctl, anyone who can open the socket) sends
// it. Invariants: Serve returns once its input ends; it answers, in
// order and with each one's id, exactly the requests a JSON decoder reads
// from the stream before the first malformed one (and none after a
// streaming command's); every reply has exactly one of result and error;
// a streaming client gets its notifications before the reply, and nothing
// else is written.
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"method":"version","params":[]}{"id":2,"method":"dpctl/echo","params":["q"]}`,
		`{"id":"x","method":"dpctl/echo","params":[1]} {"id":[1],"method":"nope","params":[]}`,
		`{"id":0,"method":"tick","params":[],"stream":true}{"id":1,"method":"version","params":[]}`,
		`{"id":0,"method":"tick","params":[]}`,
		`{"method":"help"}{"id":3,"method":"help","params":[null]}{"id":4`,
		`{"id":1e400,"method":"version","params":[]}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	s := NewServer()
	s.Register("version", "", 0, 0, func([]string) (string, error) { return "gswitch test", nil })
	s.Register("dpctl/echo", "", 1, 3, func(a []string) (string, error) { return strings.Join(a, ","), nil })
	s.Register("fail", "", 0, 0, func([]string) (string, error) { return "", errors.New("it failed") })
	s.RegisterStream("tick", "", 0, 1, func(a []string, st Stream) (string, error) {
		if !st.Streaming() {
			return "all ticks", nil
		}
		if err := st.Start(); err != nil {
			return "", err
		}
		return "end", st.Write("tick")
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > MaxRequest {
			return
		}
		c := &bufConn{in: bytes.NewReader(b)}
		done := make(chan struct{})
		go func() { s.Serve(c); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return at the end of its input")
		}
		// What should have been answered.
		type want struct {
			id     string
			notifs int
		}
		var wants []want
		dec := json.NewDecoder(bytes.NewReader(b))
		for {
			var req Request
			if dec.Decode(&req) != nil {
				break
			}
			w := want{id: "null"}
			if len(req.ID) > 0 {
				// As json.Marshal writes a RawMessage: compact, with
				// <, >, & and U+2028/9 escaped.
				var c, h bytes.Buffer
				if err := json.Compact(&c, req.ID); err != nil {
					t.Fatalf("decoded id %q does not compact: %v", req.ID, err)
				}
				json.HTMLEscape(&h, c.Bytes())
				w.id = h.String()
			}
			stream := s.isStream(req.Method)
			if stream && req.Stream && len(req.Params) <= 1 {
				w.notifs = 2 // Start, then one tick
				for _, p := range req.Params {
					if _, ok := p.(string); !ok {
						w.notifs = 0 // refused before it runs
					}
				}
			}
			wants = append(wants, w)
			if stream {
				break
			}
		}
		out := json.NewDecoder(&c.out)
		for i, w := range wants {
			for n := 0; ; n++ {
				var m struct {
					Method string   `json:"method"`
					Params []string `json:"params"`
					Reply
				}
				if err := out.Decode(&m); err != nil {
					t.Fatalf("reply %d of %d: %v (output %q)", i+1, len(wants), err, c.out.String())
				}
				if m.Method == "stream" {
					if n >= w.notifs || string(m.ID) != "null" {
						t.Fatalf("reply %d: unexpected notification %+v", i+1, m)
					}
					continue
				}
				if n != w.notifs {
					t.Fatalf("reply %d: %d notifications, want %d", i+1, n, w.notifs)
				}
				if string(m.ID) != w.id {
					t.Fatalf("reply %d: id %s, request's %s", i+1, m.ID, w.id)
				}
				if (m.Result == nil) == (m.Error == nil) {
					t.Fatalf("reply %d must have exactly one of result and error: %+v", i+1, m.Reply)
				}
				break
			}
		}
		var extra json.RawMessage
		if err := out.Decode(&extra); err != io.EOF {
			t.Fatalf("after %d replies: %q (%v)", len(wants), extra, err)
		}
	})
}
