package ovsdb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Options tune a Client. The zero value is OVS's behaviour.
type Options struct {
	// Database is the database to use; "" means "Open_vSwitch".
	Database string
	// TLS is required for ssl: targets (see TLSConfig).
	TLS *tls.Config
	// InactivityProbe: after this long without a message from the server
	// the client sends an echo, and after twice this long it reconnects.
	// 0 means OVS's default: 5 s on tcp: and ssl:, none on unix: (OVS
	// does not probe unix sockets); negative disables the probe.
	InactivityProbe time.Duration
	// MinBackoff and MaxBackoff bound the wait between connection
	// attempts, which doubles after each failure; 0 means OVS's 1 s and 8 s.
	MinBackoff, MaxBackoff time.Duration
	// MaxMessage bounds one message from the server; 0 means DefaultMaxMessage.
	MaxMessage int
	// NoMonitorCond makes monitors use "monitor" even when the server
	// has "monitor_cond" (without it, "monitor" is the fallback).
	NoMonitorCond bool
	// Logf, if set, receives one line per connection event.
	Logf func(format string, args ...any)

	tap func([]byte) // tests: every message received, before decoding
}

// Client is a connection to one OVSDB server that reconnects by itself.
// Its methods are safe for concurrent use.
type Client struct {
	network, addr string
	opts          Options

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	mu       sync.Mutex
	cur      *conn         // nil while disconnected
	up       chan struct{} // closed once cur is set; replaced when it goes
	schema   *Schema
	monitors map[string]*Monitor
	nextMon  int
}

// ParseTarget splits an OVS remote ("unix:PATH", "tcp:HOST:PORT",
// "ssl:HOST:PORT") into a network and address for net.Dial ("ssl" for ssl).
func ParseTarget(target string) (network, addr string, err error) {
	kind, rest, ok := strings.Cut(target, ":")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("ovsdb: %q: want unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT", target)
	}
	switch kind {
	case "unix":
		return "unix", rest, nil
	case "tcp", "ssl":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return "", "", fmt.Errorf("ovsdb: %q: %v", target, err)
		}
		return kind, rest, nil
	}
	return "", "", fmt.Errorf("ovsdb: %q: unknown connection method %q", target, kind)
}

// TLSConfig builds the TLS configuration ovs-vswitchd's --private-key,
// --certificate and --ca-cert give: our certificate, and the server's
// certificate must be signed by the CA (as in OVS, its name is not checked).
func TLSConfig(privateKey, certificate, caCert string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certificate, privateKey)
	if err != nil {
		return nil, fmt.Errorf("ovsdb: %w", err)
	}
	pem, err := os.ReadFile(caCert)
	if err != nil {
		return nil, fmt.Errorf("ovsdb: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ovsdb: %s: no certificate", caCert)
	}
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // the chain is checked below, the name is not
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("ovsdb: server sent no certificate")
			}
			certs := make([]*x509.Certificate, 0, len(raw))
			for _, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs = append(certs, c)
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			return err
		},
	}, nil
}

// Dial connects to target (see ParseTarget), retrying with back-off until
// the first connection is up or ctx is done. The client then keeps itself
// connected until Close: after a loss it reconnects with back-off, fetches
// the schema again and re-establishes every monitor (each delivers a full
// fresh snapshot).
func Dial(ctx context.Context, target string, opts Options) (*Client, error) {
	network, addr, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	if network == "ssl" && opts.TLS == nil {
		return nil, fmt.Errorf("ovsdb: %s: ssl needs Options.TLS", target)
	}
	if opts.Database == "" {
		opts.Database = "Open_vSwitch"
	}
	if opts.InactivityProbe == 0 && network != "unix" {
		opts.InactivityProbe = 5 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 8 * time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	c := &Client{network: network, addr: addr, opts: opts, done: make(chan struct{}),
		up: make(chan struct{}), monitors: map[string]*Monitor{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	backoff := opts.MinBackoff
	for {
		cn, err := c.connect(ctx)
		if err == nil {
			go c.run(cn)
			return c, nil
		}
		c.opts.Logf("ovsdb: %s: %v; retrying in %v", target, err, backoff)
		select {
		case <-ctx.Done():
			c.cancel()
			return nil, fmt.Errorf("ovsdb: %s: %w (last error: %v)", target, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, opts.MaxBackoff)
	}
}

// Close disconnects and stops reconnecting; pending calls fail.
func (c *Client) Close() error {
	c.cancel()
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn != nil {
		cn.close()
	}
	return nil
}

// Schema is the schema fetched on the latest connection.
func (c *Client) Schema() *Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.schema
}

// Done is closed once the client is closed and its connection gone.
func (c *Client) Done() <-chan struct{} { return c.done }

// Connected reports whether the client has a connection now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// run waits for the connection to die and reconnects, until Close.
func (c *Client) run(cn *conn) {
	defer close(c.done)
	for {
		select {
		case <-cn.closed:
		case <-c.ctx.Done():
			cn.close()
			return
		}
		c.mu.Lock()
		c.cur = nil
		c.up = make(chan struct{})
		c.mu.Unlock()
		backoff := c.opts.MinBackoff
		for {
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(backoff):
			}
			var err error
			if cn, err = c.connect(c.ctx); err == nil {
				break
			}
			c.opts.Logf("ovsdb: %s:%s: %v; retrying in %v", c.network, c.addr, err, min(2*backoff, c.opts.MaxBackoff))
			backoff = min(2*backoff, c.opts.MaxBackoff)
		}
	}
}

// connect dials, fetches the schema, starts every monitor and only then
// makes the connection the current one.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var d net.Dialer
	var nc net.Conn
	var err error
	if c.network == "ssl" {
		td := tls.Dialer{NetDialer: &d, Config: c.opts.TLS}
		nc, err = td.DialContext(ctx, "tcp", c.addr)
	} else {
		nc, err = d.DialContext(ctx, c.network, c.addr)
	}
	if err != nil {
		return nil, err
	}
	cn := newConn(nc, c.opts.MaxMessage, c.notify, c.opts.Logf, c.opts.tap)
	go cn.probeLoop(c.opts.InactivityProbe)
	raw, err := cn.call(ctx, "get_schema", []any{c.opts.Database})
	if err != nil {
		cn.close()
		return nil, err
	}
	schema, err := ParseSchema(raw)
	if err != nil {
		cn.close()
		return nil, err
	}
	c.mu.Lock()
	c.schema = schema
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var todo []*Monitor
		for _, m := range c.monitors {
			if m.conn() != cn {
				todo = append(todo, m)
			}
		}
		if len(todo) == 0 {
			c.cur = cn
			close(c.up)
			c.mu.Unlock()
			c.opts.Logf("ovsdb: %s:%s: connected", c.network, c.addr)
			return cn, nil
		}
		c.mu.Unlock()
		for _, m := range todo {
			if err := m.start(ctx, cn, schema); err != nil {
				cn.close()
				return nil, err
			}
		}
	}
}

// notify routes a notification from the server.
func (c *Client) notify(cn *conn, m *message) {
	switch m.Method {
	case "update", "update2":
		var params []json.RawMessage
		if json.Unmarshal(m.Params, &params) != nil || len(params) != 2 {
			return
		}
		var id string
		json.Unmarshal(params[0], &id)
		c.mu.Lock()
		mon := c.monitors[id]
		c.mu.Unlock()
		if mon != nil {
			mon.update(cn, params[1], m.Method == "update2")
		}
	}
}

// current waits for a connection.
func (c *Client) current(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		cn, up := c.cur, c.up
		c.mu.Unlock()
		if cn != nil {
			return cn, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.ctx.Done():
			return nil, errors.New("ovsdb: client closed")
		}
	}
}

// call sends a request and waits for its reply. If ctx ends first and the
// method is transact, the server is told to cancel it.
func (cn *conn) call(ctx context.Context, method string, params []any) (json.RawMessage, error) {
	ch := make(chan *message, 1)
	id, err := cn.send(method, params, func(m *message) { ch <- m })
	if err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		if m == nil {
			return nil, ErrDisconnected
		}
		if !isNull(m.Error) {
			return nil, parseRPCError(method, m.Error)
		}
		return m.Result, nil
	case <-ctx.Done():
		cn.forget(id)
		if method == "transact" {
			cn.write(map[string]any{"method": "cancel", "params": []any{id}, "id": nil})
		}
		return nil, ctx.Err()
	}
}

// Call sends any method and returns its raw result, for what the typed
// methods do not cover.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	cn, err := c.current(ctx)
	if err != nil {
		return nil, err
	}
	return cn.call(ctx, method, params)
}

// ListDBs returns the server's databases.
func (c *Client) ListDBs(ctx context.Context) ([]string, error) {
	raw, err := c.Call(ctx, "list_dbs")
	if err != nil {
		return nil, err
	}
	var dbs []string
	if err := json.Unmarshal(raw, &dbs); err != nil {
		return nil, fmt.Errorf("ovsdb: list_dbs: %w", err)
	}
	return dbs, nil
}

// GetSchema fetches a database's schema.
func (c *Client) GetSchema(ctx context.Context, db string) (*Schema, error) {
	raw, err := c.Call(ctx, "get_schema", db)
	if err != nil {
		return nil, err
	}
	return ParseSchema(raw)
}

// Echo sends an echo and waits for the answer.
func (c *Client) Echo(ctx context.Context) error {
	_, err := c.Call(ctx, "echo", "gswitch")
	return err
}

// Transact runs ops as one transaction on the client's database, waiting
// for a connection if there is none. A failed op (or commit) gives a
// *TransactError naming it and carrying the server's error and details; the
// transaction then changed nothing.
func (c *Client) Transact(ctx context.Context, ops ...Op) ([]OpResult, error) {
	params := make([]any, 0, len(ops)+1)
	params = append(params, c.opts.Database)
	for i, op := range ops {
		b, err := json.Marshal(op)
		if err != nil {
			return nil, fmt.Errorf("ovsdb: transact op %d (%s): %w", i, op.describe(), err)
		}
		params = append(params, json.RawMessage(b))
	}
	raw, err := c.Call(ctx, "transact", params[0:]...)
	if err != nil {
		return nil, err
	}
	return parseTransactResult(ops, raw)
}
