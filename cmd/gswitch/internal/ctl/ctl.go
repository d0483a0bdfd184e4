// Package ctl is gswitch's control socket: a unix socket that speaks the
// JSON-RPC dialect of Open vSwitch's unixctl sockets, so both
// `gswitch ctl --ctl SOCKET CMD ARGS` and `ovs-appctl -t SOCKET CMD ARGS` work.
//
// Wire format (as ovs-appctl sends it): a stream of JSON objects, requests
// {"id":N,"method":"dpctl/dump-conntrack","params":["-m"]} answered by
// {"id":N,"result":"text","error":null} or {"id":N,"result":null,"error":"text"}.
//
// The socket is created with mode 0600 (root only). Requests are bounded in
// size; a malformed request closes that one connection.
//
// Streaming commands (RegisterStream: ct-events) answer a request that
// carries gswitch's member "stream": true (gswitch ctl sends it; ovs-appctl
// never does) with notifications {"id":null,"method":"stream","params":[TEXT]}
// as the output comes (the first, with no params, says the stream runs), then
// the usual reply when the command ends, and then close the connection. A
// request without it gets one reply, as ovs-appctl expects: the command
// decides when its output is complete (ct-events: count=N or duration=SECS).
package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRequest bounds one request's size in bytes.
const MaxRequest = 1 << 20

// WriteTimeout bounds the write of one reply or stream message: a client
// that stops reading (a slow ovs-appctl, a stalled script) loses its
// connection after it, so that its goroutine and its reply are freed
// instead of being held for as long as it lives.
var WriteTimeout = 30 * time.Second

// writeDeadliner is a connection whose writes can time out (net.Conn).
type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// writeBounded writes b to w under WriteTimeout when w can time out.
func writeBounded(w io.Writer, b []byte) error {
	if d, ok := w.(writeDeadliner); ok {
		d.SetWriteDeadline(time.Now().Add(WriteTimeout))
	}
	_, err := w.Write(b)
	return err
}

// Handler runs one command. Its text goes back to the client as the result;
// an error's text as the error.
type Handler func(args []string) (string, error)

// Stream is what a streaming command writes to.
type Stream interface {
	// Streaming reports whether the client takes a stream (gswitch ctl);
	// false: it takes one reply (ovs-appctl), the handler's result.
	Streaming() bool
	// Start tells a streaming client that the stream runs (its reply
	// timeout no longer applies); call it once the command is ready.
	Start() error
	// Write sends text to a streaming client at once.
	Write(text string) error
	// Done is closed when the client goes away.
	Done() <-chan struct{}
}

// StreamHandler runs one streaming command. Its result and error end the
// command as a Handler's do.
type StreamHandler func(args []string, st Stream) (string, error)

type command struct {
	name     string
	usage    string
	min, max int
	fn       Handler
	stream   StreamHandler
}

// Server holds the command registry and serves connections.
type Server struct {
	mu       sync.RWMutex
	cmds     map[string]*command
	ln       net.Listener
	wg       sync.WaitGroup
	closed   chan struct{}
	conns    map[net.Conn]struct{}
	connsMu  sync.Mutex
	onListen func()
	// busy counts requests being answered (handler run and reply written),
	// so Close lets a reply such as exit's go out before it closes.
	busy atomic.Int32
}

// NewServer returns a server with the built-in list-commands and help.
func NewServer() *Server {
	s := &Server{cmds: map[string]*command{}, closed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	s.Register("list-commands", "", 0, 0, func([]string) (string, error) { return s.list(), nil })
	s.Register("help", "", 0, 0, func([]string) (string, error) { return s.list(), nil })
	return s
}

// Register adds a command taking between min and max arguments.
func (s *Server) Register(name, usage string, min, max int, fn Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds[name] = &command{name: name, usage: usage, min: min, max: max, fn: fn}
}

// RegisterStream adds a streaming command taking between min and max
// arguments.
func (s *Server) RegisterStream(name, usage string, min, max int, fn StreamHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds[name] = &command{name: name, usage: usage, min: min, max: max, stream: fn}
}

func (s *Server) list() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.cmds))
	for n := range s.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("The available commands are:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-23s %s\n", n, s.cmds[n].usage)
	}
	return b.String()
}

// Call runs a command as if it came from the socket (tests, and the in-process
// path). It applies the same argument-count checks and error texts as OVS.
func (s *Server) Call(method string, params []string) (string, error) {
	return s.call(method, params, nil)
}

// call is Call with the stream a streaming command writes to (nil: one
// reply).
func (s *Server) call(method string, params []string, st Stream) (string, error) {
	s.mu.RLock()
	c := s.cmds[method]
	s.mu.RUnlock()
	switch {
	case c == nil:
		return "", fmt.Errorf("%q is not a valid command (use \"list-commands\" to see a list of valid commands)", method)
	case len(params) < c.min:
		return "", fmt.Errorf("%q command requires at least %d arguments", method, c.min)
	case len(params) > c.max:
		return "", fmt.Errorf("%q command takes at most %d arguments", method, c.max)
	}
	if c.stream != nil {
		if st == nil {
			st = oneReply{}
		}
		return c.stream(params, st)
	}
	return c.fn(params)
}

// isStream reports whether method is a streaming command.
func (s *Server) isStream(method string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.cmds[method]
	return c != nil && c.stream != nil
}

// oneReply is the Stream of a client that takes one reply.
type oneReply struct{ done <-chan struct{} }

func (oneReply) Streaming() bool         { return false }
func (oneReply) Start() error            { return nil }
func (oneReply) Write(string) error      { return errors.New("not a streaming client") }
func (o oneReply) Done() <-chan struct{} { return o.done }

// connStream is the Stream of a connection whose client asked for one.
type connStream struct {
	w    io.Writer
	done chan struct{}
}

// notification is a stream's message: text, or none to say the stream
// runs.
type notification struct {
	ID     *int     `json:"id"`
	Method string   `json:"method"`
	Params []string `json:"params"`
}

func (c *connStream) send(params []string) error {
	b, err := json.Marshal(notification{Method: "stream", Params: params})
	if err != nil {
		return err
	}
	return writeBounded(c.w, b)
}

func (c *connStream) Streaming() bool         { return true }
func (c *connStream) Start() error            { return c.send([]string{}) }
func (c *connStream) Write(text string) error { return c.send([]string{text}) }
func (c *connStream) Done() <-chan struct{}   { return c.done }

// Listen creates the unix socket at path (removing a stale one: a socket
// nobody answers on) with mode 0600 and serves it until Close.
func (s *Server) Listen(path string) error {
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("control socket %s is in use by another process", path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("control socket path %s exists and is not a socket", path)
		}
		os.Remove(path)
	}
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.acceptLoop()
	return nil
}

// Close stops the server and removes its socket.
func (s *Server) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
	}
	close(s.closed)
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	// Let the replies being written go out (exit's own among them), for a
	// bounded time.
	for deadline := time.Now().Add(time.Second); s.busy.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	s.connsMu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.connsMu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.closed:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.connsMu.Lock()
		s.conns[c] = struct{}{}
		s.connsMu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.Serve(c)
			s.connsMu.Lock()
			delete(s.conns, c)
			s.connsMu.Unlock()
		}()
	}
}

// Request is one JSON-RPC request.
type Request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params []any           `json:"params"`
	// Stream is gswitch's extension: the client takes a streaming
	// command's output as it comes (see the package comment).
	Stream bool `json:"stream,omitempty"`
}

// Reply is one JSON-RPC reply.
type Reply struct {
	ID     json.RawMessage `json:"id"`
	Result *string         `json:"result"`
	Error  *string         `json:"error"`
}

// Serve answers requests on one connection until it closes or sends
// something malformed.
func (s *Server) Serve(c io.ReadWriteCloser) {
	defer c.Close()
	lr := &budgetReader{r: c}
	dec := json.NewDecoder(lr)
	for {
		lr.left = MaxRequest
		var req Request
		if err := dec.Decode(&req); err != nil {
			return
		}
		if s.isStream(req.Method) {
			s.serveStream(c, lr, &req)
			return
		}
		s.busy.Add(1)
		rep := s.Handle(&req)
		b, err := json.Marshal(rep)
		if err == nil {
			err = writeBounded(c, b)
		}
		s.busy.Add(-1)
		if err != nil {
			return
		}
	}
}

// serveStream answers a streaming command's request on c, whose client
// gets nothing more on this connection afterwards. Whatever the client
// sends meanwhile is read and dropped, so that its going away (EOF) ends
// the command.
func (s *Server) serveStream(c io.ReadWriteCloser, r io.Reader, req *Request) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [512]byte
		for {
			if _, err := r.Read(buf[:]); err != nil {
				return
			}
		}
	}()
	var st Stream = oneReply{done: done}
	if req.Stream {
		st = &connStream{w: c, done: done}
	}
	rep := s.handle(req, st)
	if b, err := json.Marshal(rep); err == nil {
		writeBounded(c, b)
	}
}

// budgetReader reads at most left bytes before failing; Serve refills the
// budget before each request, so one request can never buffer more than
// MaxRequest bytes.
type budgetReader struct {
	r    io.Reader
	left int64
}

var errTooLong = errors.New("control request too long")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooLong
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// Handle answers one decoded request.
func (s *Server) Handle(req *Request) *Reply { return s.handle(req, nil) }

func (s *Server) handle(req *Request, st Stream) *Reply {
	id := req.ID
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	rep := &Reply{ID: id}
	params := make([]string, 0, len(req.Params))
	for _, p := range req.Params {
		str, ok := p.(string)
		if !ok {
			e := fmt.Sprintf("%q command has non-string argument", req.Method)
			rep.Error = &e
			return rep
		}
		params = append(params, str)
	}
	out, err := s.call(req.Method, params, st)
	if err != nil {
		e := err.Error()
		if !strings.HasSuffix(e, "\n") {
			e += "\n"
		}
		rep.Error = &e
		return rep
	}
	// As OVS's unixctl_command_reply__: a non-empty body ends with a newline.
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	rep.Result = &out
	return rep
}

// DialStream sends one command to the socket at path asking for a stream,
// and copies its output to w as it comes: a streaming command's text as the
// server sends it, any other command's result once. timeout bounds the
// wait for the reply or the start of a stream; a stream runs until the
// command ends (or the process does). An error reply comes back as
// *RemoteError.
func DialStream(path, method string, params []string, timeout time.Duration, w io.Writer) error {
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if params == nil {
		params = []string{}
	}
	b, _ := json.Marshal(map[string]any{"id": 0, "method": method, "params": params, "stream": true})
	if _, err := c.Write(b); err != nil {
		return err
	}
	dec := json.NewDecoder(c)
	for {
		var m struct {
			Method string   `json:"method"`
			Params []string `json:"params"`
			Reply
		}
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("%s: bad reply: %w", path, err)
		}
		if m.Method == "stream" {
			c.SetDeadline(time.Time{})
			for _, p := range m.Params {
				if _, err := io.WriteString(w, p); err != nil {
					return err
				}
			}
			continue
		}
		if m.Error != nil {
			return &RemoteError{Msg: *m.Error}
		}
		if m.Result != nil {
			_, err = io.WriteString(w, *m.Result)
		}
		return err
	}
}

// Dial sends one command to the socket at path and returns its result. An
// error reply comes back as *RemoteError.
func Dial(path, method string, params []string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return "", fmt.Errorf("cannot connect to %s: %w", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if params == nil {
		params = []string{}
	}
	b, _ := json.Marshal(map[string]any{"id": 0, "method": method, "params": params})
	if _, err := c.Write(b); err != nil {
		return "", err
	}
	dec := json.NewDecoder(&io.LimitedReader{R: c, N: 64 << 20})
	var rep Reply
	if err := dec.Decode(&rep); err != nil {
		return "", fmt.Errorf("%s: bad reply: %w", path, err)
	}
	if rep.Error != nil {
		return "", &RemoteError{Msg: *rep.Error}
	}
	if rep.Result == nil {
		return "", nil
	}
	return *rep.Result, nil
}

// RemoteError is an error the server returned.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return e.Msg }
