package ovsdb

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeConn is the server side of one client connection, scripted by a test.
type fakeConn struct {
	t   *testing.T
	nc  net.Conn
	dec *json.Decoder
}

type fakeReq struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	ID     json.RawMessage `json:"id"`
}

func (f *fakeConn) read() (*fakeReq, error) {
	f.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var r fakeReq
	err := f.dec.Decode(&r)
	return &r, err
}

func (f *fakeConn) expect(method string) *fakeReq {
	f.t.Helper()
	r, err := f.read()
	if err != nil || r.Method != method {
		f.t.Fatalf("fake server: want %s, got %+v, %v", method, r, err)
	}
	return r
}

func (f *fakeConn) send(s string) { f.nc.Write([]byte(s)) }

func (f *fakeConn) reply(r *fakeReq, result string) {
	f.send(`{"id":` + string(r.ID) + `,"result":` + result + `,"error":null}`)
}

// fakeServer listens on a unix socket and hands each connection to the
// test, in order.
func fakeServer(t *testing.T) (string, <-chan *fakeConn) {
	path := filepath.Join(t.TempDir(), "fake.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan *fakeConn, 4)
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { nc.Close() })
			ch <- &fakeConn{t: t, nc: nc, dec: json.NewDecoder(nc)}
		}
	}()
	return "unix:" + path, ch
}

func nextConn(t *testing.T, ch <-chan *fakeConn) *fakeConn {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("client did not (re)connect")
		return nil
	}
}

// handshake answers get_schema with the captured vswitch schema.
func (f *fakeConn) handshake(schema json.RawMessage) {
	f.t.Helper()
	f.reply(f.expect("get_schema"), string(schema))
}

// refuseMonitorCond refuses monitor_cond, as a server without it does,
// and returns the "monitor" request the client sends instead (a client
// tries monitor_cond again on every connection).
func (f *fakeConn) refuseMonitorCond() *fakeReq {
	f.t.Helper()
	r := f.expect("monitor_cond")
	f.send(`{"id":` + string(r.ID) + `,"result":null,"error":{"error":"unknown method","details":"x"}}`)
	return f.expect("monitor")
}

func capturedSchemaJSON(t *testing.T) json.RawMessage {
	for _, b := range capturedMessages(t) {
		if m, err := decodeMessage(b); err == nil && bytes.Contains(m.Result, []byte(`"tables"`)) {
			return m.Result
		}
	}
	t.Fatal("no schema")
	return nil
}

// TestFakeServer drives the client through what a real server does rarely:
// monitor_cond refused (fallback to monitor), the server's echo, a server
// that goes silent (inactivity probe, reconnect), a hostile message
// (dropped connection, reconnect, fresh snapshot).
func TestFakeServer(t *testing.T) {
	target, conns := fakeServer(t)
	schema := capturedSchemaJSON(t)
	const root = `"00000000-0000-0000-0000-0000000000aa"`
	dialed := make(chan *Client, 1)
	go func() {
		c, err := Dial(context.Background(), target, Options{InactivityProbe: 300 * time.Millisecond,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logf: t.Logf})
		if err != nil {
			t.Error(err)
		}
		dialed <- c
	}()
	f := nextConn(t, conns)
	f.handshake(schema)
	c := <-dialed
	if c == nil {
		t.FailNow()
	}
	defer c.Close()

	mon := make(chan *Monitor, 1)
	go func() {
		m, err := c.MonitorVSwitch(context.Background())
		if err != nil {
			t.Error(err)
		}
		mon <- m
	}()
	r := f.refuseMonitorCond()
	var params []json.RawMessage
	json.Unmarshal(r.Params, &params)
	if len(params) != 3 || !strings.Contains(string(params[2]), `"Interface":{"columns":[`) {
		t.Errorf("monitor params %s", r.Params)
	}
	f.reply(r, `{"Open_vSwitch":{`+root+`:{"new":{"next_cfg":3,"cur_cfg":2,"bridges":["set",[]]}}}}`)
	m := <-mon
	if m == nil {
		t.FailNow()
	}
	if s := m.Snapshot(); s.Root() == nil || s.Root().NextCfg != 3 || s.Epoch != 1 {
		t.Fatalf("snapshot %+v", s.Root())
	}

	// The server's echo is answered with its params.
	f.send(`{"method":"echo","params":["ping",1],"id":"e1"}`)
	r, err := f.read()
	if err != nil || string(r.ID) != `"e1"` || string(r.Result) != `["ping",1]` {
		t.Fatalf("echo reply %+v, %v", r, err)
	}
	// Silence: the client probes with an echo, then reconnects.
	start := time.Now()
	f.expect("echo")
	f = nextConn(t, conns)
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("reconnected after %v of silence", d)
	}
	f.handshake(schema)
	r = f.refuseMonitorCond()
	if !strings.Contains(string(r.Params), `"gswitch-1"`) {
		t.Errorf("re-monitor params %s", r.Params)
	}
	f.reply(r, `{"Open_vSwitch":{`+root+`:{"new":{"next_cfg":4,"cur_cfg":2}}}}`)
	s := waitFor(t, m, "second epoch", func(s *Snapshot) bool { return s.Epoch == 2 })
	if s.Root().NextCfg != 4 {
		t.Errorf("after reconnect: %+v", s.Root())
	}

	// Hostile input: nested too deep. The connection drops, the client
	// reconnects and gets a fresh snapshot.
	f.send(`{"method":"update","params":["gswitch-1",` + strings.Repeat("[", 100) + `1` + strings.Repeat("]", 100) + `],"id":null}`)
	f = nextConn(t, conns)
	f.handshake(schema)
	f.reply(f.refuseMonitorCond(), `{}`)
	s = waitFor(t, m, "third epoch", func(s *Snapshot) bool { return s.Epoch == 3 })
	if s.Root() != nil {
		t.Errorf("fresh snapshot kept the old root")
	}
	// A malformed update (a map for a scalar column) also reconnects.
	f.send(`{"method":"update","params":["gswitch-1",{"Open_vSwitch":{` + root + `:{"new":{"next_cfg":["map",[]]}}}}],"id":null}`)
	f = nextConn(t, conns)
	f.handshake(schema)
	f.reply(f.refuseMonitorCond(), `{}`)
	waitFor(t, m, "fourth epoch", func(s *Snapshot) bool { return s.Epoch == 4 })

	// A transact whose ctx ends sends cancel for it.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	go c.Transact(ctx, Comment("slow"))
	r = f.expect("transact")
	r2 := f.expect("cancel")
	if string(r2.Params) != "["+string(r.ID)+"]" || string(r2.ID) != "null" {
		t.Errorf("cancel %+v for transact id %s", r2, r.ID)
	}
}
