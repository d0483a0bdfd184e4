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

// Handler runs one command. Its text goes back to the client as the result;
// an error's text as the error.
type Handler func(args []string) (string, error)

type command struct {
	name     string
	usage    string
	min, max int
	fn       Handler
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
	return c.fn(params)
}

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
		s.busy.Add(1)
		rep := s.Handle(&req)
		b, err := json.Marshal(rep)
		if err == nil {
			_, err = c.Write(b)
		}
		s.busy.Add(-1)
		if err != nil {
			return
		}
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
func (s *Server) Handle(req *Request) *Reply {
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
	out, err := s.Call(req.Method, params)
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
