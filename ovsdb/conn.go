package ovsdb

import (
	"encoding/json"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrDisconnected is returned by a call whose connection went down before
// its reply arrived.
var ErrDisconnected = errors.New("ovsdb: connection lost")

// conn is one JSON-RPC session on one socket. Its reader goroutine
// (readLoop) is the only reader; reply callbacks and notifications run on it,
// in the order the server sent them, so a monitor's initial reply is always
// applied before the updates that follow it.
type conn struct {
	nc     net.Conn
	notify func(*conn, *message) // notifications (update, update2, ...)
	logf   func(string, ...any)

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex
	nextID  int64
	pending map[int64]func(*message) // nil message: connection lost
	dead    bool

	closed   chan struct{}
	lastRecv atomic.Int64 // unix nanoseconds
	probing  atomic.Bool
}

func newConn(nc net.Conn, maxMsg int, notify func(*conn, *message), logf func(string, ...any), tap func([]byte)) *conn {
	cn := &conn{nc: nc, notify: notify, logf: logf, pending: map[int64]func(*message){}, closed: make(chan struct{})}
	cn.lastRecv.Store(time.Now().UnixNano())
	go cn.readLoop(newFrameReader(nc, maxMsg), tap)
	return cn
}

// close drops the connection; readLoop then fails every pending call.
func (cn *conn) close() { cn.nc.Close() }

func (cn *conn) readLoop(fr *frameReader, tap func([]byte)) {
	defer func() {
		cn.nc.Close()
		cn.mu.Lock()
		cn.dead = true
		pending := cn.pending
		cn.pending = nil
		cn.mu.Unlock()
		for _, cb := range pending {
			cb(nil)
		}
		close(cn.closed)
	}()
	for {
		b, err := fr.next()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				cn.logf("ovsdb: %s: receive: %v", cn.nc.RemoteAddr(), err)
			}
			return
		}
		cn.lastRecv.Store(time.Now().UnixNano())
		if tap != nil {
			tap(b)
		}
		m, err := decodeMessage(b)
		if err != nil {
			cn.logf("ovsdb: %s: %v", cn.nc.RemoteAddr(), err)
			return
		}
		if m.Method != "" {
			cn.handleRequest(m)
			continue
		}
		var id int64
		if json.Unmarshal(m.ID, &id) != nil {
			continue // a reply to nothing we sent
		}
		cn.mu.Lock()
		cb := cn.pending[id]
		delete(cn.pending, id)
		cn.mu.Unlock()
		if cb != nil {
			cb(m)
		}
	}
}

// handleRequest answers the server's requests (echo) and passes
// notifications on.
func (cn *conn) handleRequest(m *message) {
	if isNull(m.ID) {
		cn.notify(cn, m)
		return
	}
	reply := map[string]any{"id": m.ID, "error": nil, "result": nil}
	if m.Method == "echo" {
		params := m.Params
		if isNull(params) {
			params = json.RawMessage("[]")
		}
		reply["result"] = params
	} else {
		reply["error"] = "unknown method"
	}
	cn.write(reply)
}

// write sends one JSON value; a failed write drops the connection.
func (cn *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	cn.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := cn.nc.Write(b); err != nil {
		cn.nc.Close()
		return ErrDisconnected
	}
	return nil
}

// send writes a request and registers cb for its reply (cb(nil) if the
// connection is lost first). It returns the request's id.
func (cn *conn) send(method string, params []any, cb func(*message)) (int64, error) {
	cn.mu.Lock()
	if cn.dead {
		cn.mu.Unlock()
		return 0, ErrDisconnected
	}
	cn.nextID++
	id := cn.nextID
	cn.pending[id] = cb
	cn.mu.Unlock()
	if params == nil {
		params = []any{}
	}
	if err := cn.write(map[string]any{"method": method, "params": params, "id": id}); err != nil {
		cn.forget(id)
		return 0, err
	}
	return id, nil
}

// forget drops a pending call's callback.
func (cn *conn) forget(id int64) {
	cn.mu.Lock()
	delete(cn.pending, id)
	cn.mu.Unlock()
}

// probeLoop sends an echo after interval without receiving anything and
// drops the connection after twice that (OVS's inactivity probe).
func (cn *conn) probeLoop(interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-cn.closed:
			return
		case <-t.C:
		}
		idle := time.Since(time.Unix(0, cn.lastRecv.Load()))
		switch {
		case idle >= 2*interval:
			cn.logf("ovsdb: %s: no response to inactivity probe after %v, disconnecting", cn.nc.RemoteAddr(), idle.Round(time.Millisecond))
			cn.close()
			return
		case idle >= interval && !cn.probing.Load():
			cn.probing.Store(true)
			cn.send("echo", []any{}, func(*message) { cn.probing.Store(false) })
		}
	}
}
