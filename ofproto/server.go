package ofproto

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"gswitch/pipeline"
)

// Server is the OpenFlow channel: listeners, active controller connections
// and every connection's state. It implements pipeline.PacketInSink and
// receives flow-removed and port-status events for all its connections.
type Server struct {
	cfg Config
	log *zap.Logger

	mu        sync.Mutex
	conns     map[*conn]struct{}
	list      atomic.Pointer[[]*conn] // conns as an immutable slice, for events
	listeners []net.Listener
	lspecs    []string // the Listen spec of each listener
	closed    bool
	stop      chan struct{}
	wg        sync.WaitGroup
	// Role generation id (OpenFlow 1.2+ role requests).
	genID    uint64
	genIDSet bool
	// fragMode is the switch's fragment handling (OFPC_FRAG_*).
	fragMode atomic.Uint32
	// tlv is the Geneve TLV table (tun_metadata0..63 mappings).
	tlv tlvState
	// protocols is the version bitmap offered (Config.Protocols, then
	// SetProtocols).
	protocols atomic.Uint32
	// dpid is the datapath id (Config.DatapathID, then SetDatapathID).
	dpid atomic.Uint64
	// active are the controllers Connect keeps connected, by target.
	active map[string]*activeConn // guarded by mu

	// mon holds the flow monitors' count and lock (each connection's
	// monitors are in its conn.mon).
	mon monitors

	// Counters.
	Stats ServerStats
}

// ServerStats are the server's counters.
type ServerStats struct {
	Accepted        atomic.Uint64
	Panics          atomic.Uint64 // per-connection recovers (each closed its connection)
	Errors          atomic.Uint64 // OFPT_ERROR replies sent
	QueueOverflows  atomic.Uint64 // connections closed because their queue was full
	PacketInDropped atomic.Uint64 // packet-ins dropped because a queue was full
	// flow-removed messages dropped because a queue was (7/8) full
	FlowRemovedDropped atomic.Uint64
	ProbeTimeouts      atomic.Uint64
	MsgsIn             atomic.Uint64 // messages received
	MsgsOut            atomic.Uint64 // messages sent (written to the connection)
}

var _ pipeline.PacketInSink = (*Server)(nil)

// New returns a Server; it listens nowhere until Listen or Connect.
func New(cfg Config) (*Server, error) {
	if cfg.Datapath == nil {
		return nil, errors.New("ofproto: Config.Datapath is required")
	}
	cfg.setDefaults()
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		conns:  make(map[*conn]struct{}),
		stop:   make(chan struct{}),
		active: make(map[string]*activeConn),
	}
	s.protocols.Store(cfg.Protocols)
	s.dpid.Store(cfg.DatapathID)
	return s, nil
}

// now is the datapath clock.
func (s *Server) now() int64 { return s.cfg.Clock() }

// Listen starts a passive listener: "ptcp:PORT[:IP]" (IP defaults to every
// address, as OVS) or "punix:PATH". Connections accepted there are service
// connections (as OVS's): they get asynchronous messages only after they set
// a nonzero miss_send_len.
func (s *Server) Listen(spec string) error { return s.listen(spec, 0, true) }

// ListenPrimary is Listen whose connections are primary connections
// (miss_send_len 128, asynchronous messages on), as OVS's passive
// Controller row of type primary.
func (s *Server) ListenPrimary(spec string) error { return s.listen(spec, 0, false) }

// ListenProbe is Listen whose connections have their own inactivity probe
// interval (0: Config.ProbeInterval; negative: none), as OVS gives its
// BRIDGE.mgmt socket 60 s (bridge_configure_remotes).
func (s *Server) ListenProbe(spec string, probe time.Duration) error {
	return s.listen(spec, probe, true)
}

func (s *Server) listen(spec string, probe time.Duration, service bool) error {
	ln, err := listen(spec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return errors.New("ofproto: server closed")
	}
	s.listeners = append(s.listeners, ln)
	s.lspecs = append(s.lspecs, spec)
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln, spec, probe, service)
	return nil
}

// Unlisten stops the listener Listen(spec) started and closes the
// connections accepted on it, as OVS destroys a passive controller's
// service with its connections when the Controller row goes. False when
// there is no such listener.
func (s *Server) Unlisten(spec string) bool {
	s.mu.Lock()
	i := slices.Index(s.lspecs, spec)
	if i < 0 {
		s.mu.Unlock()
		return false
	}
	ln := s.listeners[i]
	s.listeners = slices.Delete(s.listeners, i, i+1)
	s.lspecs = slices.Delete(s.lspecs, i, i+1)
	var conns []*conn
	for c := range s.conns {
		if c.via == spec {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	ln.Close()
	for _, c := range conns {
		c.close("listener removed")
	}
	return true
}

// Addr returns the address of the i-th listener (for tests using port 0).
func (s *Server) Addr(i int) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.listeners) {
		return nil
	}
	return s.listeners[i].Addr()
}

func listen(spec string) (net.Listener, error) {
	switch {
	case strings.HasPrefix(spec, "ptcp:"):
		rest := spec[len("ptcp:"):]
		port, ip := rest, ""
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			port, ip = rest[:i], rest[i+1:]
		}
		if port == "" {
			port = "6653"
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("ofproto: %q: bad port", spec)
		}
		ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, port))
		if err != nil {
			return nil, fmt.Errorf("ofproto: %s: %w", spec, err)
		}
		return ln, nil
	case strings.HasPrefix(spec, "punix:"):
		path := spec[len("punix:"):]
		if path == "" {
			return nil, fmt.Errorf("ofproto: %q: empty path", spec)
		}
		if fi, err := os.Lstat(path); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, fmt.Errorf("ofproto: %s: %s exists and is not a socket", spec, path)
			}
			if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
				c.Close()
				return nil, fmt.Errorf("ofproto: %s: %s is in use by another process", spec, path)
			}
			os.Remove(path) // stale socket
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("ofproto: %s: %w", spec, err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(true)
		return ln, nil
	}
	return nil, fmt.Errorf("ofproto: %q: unknown listener (want ptcp:PORT[:IP] or punix:PATH)", spec)
}

func (s *Server) acceptLoop(ln net.Listener, spec string, probe time.Duration, service bool) {
	defer s.wg.Done()
	s.log.Info("ofproto: listening", zap.String("target", spec))
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				time.Sleep(delay)
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("ofproto: accept", zap.String("target", spec), zap.Error(err))
			time.Sleep(100 * time.Millisecond)
			continue
		}
		delay = 0
		s.Stats.Accepted.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveVia(nc, spec, probe, service)
		}()
	}
}

// Connect starts an active connection to a controller, "tcp:HOST:PORT"
// (port 6653 if omitted) or "unix:PATH", kept up with exponential back-off
// (1s up to MaxBackoff) until Close. Active connections are primary
// connections (miss_send_len 128, asynchronous messages on) unless
// ControllerOptions.Service says otherwise.
func (s *Server) Connect(spec string) error { return s.ConnectWith(spec, ControllerOptions{}) }

// ConnectWith is Connect with the controller's own connection settings.
func (s *Server) ConnectWith(spec string, o ControllerOptions) error {
	network, addr, err := parseActive(spec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("ofproto: server closed")
	}
	if s.active[spec] != nil {
		return fmt.Errorf("ofproto: already connecting to %s", spec)
	}
	a := &activeConn{target: spec, stop: make(chan struct{}), state: "CONNECTING", opts: o, service: o.Service}
	s.active[spec] = a
	s.wg.Add(1)
	go s.connectLoop(a, network, addr)
	return nil
}

func parseActive(spec string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(spec, "tcp:"):
		hp := spec[len("tcp:"):]
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			host, port = strings.TrimSuffix(strings.TrimPrefix(hp, "["), "]"), "6653"
		}
		if host == "" {
			return "", "", fmt.Errorf("ofproto: %q: missing host", spec)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", "", fmt.Errorf("ofproto: %q: bad port", spec)
		}
		return "tcp", net.JoinHostPort(host, port), nil
	case strings.HasPrefix(spec, "unix:"):
		if len(spec) == len("unix:") {
			return "", "", fmt.Errorf("ofproto: %q: empty path", spec)
		}
		return "unix", spec[len("unix:"):], nil
	}
	return "", "", fmt.Errorf("ofproto: %q: unknown controller target (want tcp:HOST:PORT or unix:PATH)", spec)
}

func (s *Server) connectLoop(a *activeConn, network, addr string) {
	defer s.wg.Done()
	spec := a.target
	backoff := time.Second
	for {
		d := net.Dialer{Timeout: 5 * time.Second}
		nc, err := d.Dial(network, addr)
		if err == nil {
			s.log.Info("ofproto: connected", zap.String("target", spec))
			start := time.Now()
			s.serve(nc, a.service, a)
			if time.Since(start) > a.maxBackoff(s.cfg.MaxBackoff) {
				backoff = time.Second
			}
			if a.takeRedial() {
				backoff = time.Second
				select {
				case <-s.stop:
					return
				case <-a.stop:
					return
				default:
				}
				continue
			}
		} else {
			a.failed(err)
			s.log.Debug("ofproto: connect failed", zap.String("target", spec), zap.Error(err))
		}
		// Jitter a little so many switches don't reconnect in lockstep.
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/8+1))
		select {
		case <-s.stop:
			return
		case <-a.stop:
			return
		case <-time.After(wait):
		}
		if backoff *= 2; backoff > a.maxBackoff(s.cfg.MaxBackoff) {
			backoff = a.maxBackoff(s.cfg.MaxBackoff)
		}
	}
}

// Serve runs the OpenFlow channel on an established connection until it
// closes. service selects OVS's service-connection defaults (as for
// connections accepted by Listen) rather than a primary controller's.
// It is exported for tests (net.Pipe) and for callers with their own sockets.
func (s *Server) Serve(nc net.Conn, service bool) { s.serve(nc, service, nil) }

// serve is Serve for the connection of active controller a (nil: none).
func (s *Server) serve(nc net.Conn, service bool, a *activeConn) {
	s.serveConn(newConn(s, nc, service), a)
}

// serveVia serves a connection accepted by the listener of spec (probe as
// ListenProbe's; service: a service connection, else a primary one).
func (s *Server) serveVia(nc net.Conn, spec string, probe time.Duration, service bool) {
	c := newConn(s, nc, service)
	c.via = spec
	if probe != 0 {
		c.probe.Store(int64(probe))
	}
	s.serveConn(c, nil)
}

func (s *Server) serveConn(c *conn, a *activeConn) {
	nc := c.nc
	c.probeAdjustable = a != nil
	s.mu.Lock()
	if s.closed || (a != nil && a.stopped()) || (c.via != "" && !slices.Contains(s.lspecs, c.via)) {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.publishLocked()
	if a != nil {
		a.connected(c, s.cfg.ProbeInterval)
	}
	s.mu.Unlock()
	c.run()
	c.dropMonitors()
	s.mu.Lock()
	delete(s.conns, c)
	s.publishLocked()
	if a != nil {
		a.disconnected(c)
	}
	s.mu.Unlock()
}

// Close stops the listeners and active connections and closes every
// connection, waiting for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	lns := s.listeners
	s.listeners, s.lspecs = nil, nil
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, c := range conns {
		c.close("server closed")
	}
	s.wg.Wait()
	return nil
}

// publishLocked publishes the connection list read by the event paths
// (PacketIn, FlowRemoved, PortStatus) without a lock or an allocation.
func (s *Server) publishLocked() {
	l := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		l = append(l, c)
	}
	s.list.Store(&l)
}

// snapshot returns the current connections (the caller must not modify it).
func (s *Server) snapshot() []*conn {
	if l := s.list.Load(); l != nil {
		return *l
	}
	return nil
}

// NumConns returns the number of open connections (for tests and ctl).
func (s *Server) NumConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// PacketIn sends a packet-in to the controllers that want it (role, async
// configuration, controller id), each in its version and packet-in format.
// pi.Data is copied before PacketIn returns.
func (s *Server) PacketIn(pi *pipeline.PacketIn) {
	var cache encCache
	for _, c := range s.snapshot() {
		c.sendPacketIn(pi, &cache)
	}
}

// FlowRemoved sends a flow-removed message to the controllers that want it.
func (s *Server) FlowRemoved(fr *pipeline.FlowRemoved) {
	var cache encCache
	for _, c := range s.snapshot() {
		c.sendFlowRemoved(fr, &cache)
	}
}

// PortStatus sends a port-status message (reason PortAdded, PortDeleted or
// PortModified) to the controllers that want it.
func (s *Server) PortStatus(reason uint8, p Port) {
	for _, c := range s.snapshot() {
		c.sendPortStatus(reason, &p)
	}
}

// encCache shares encodings of one event between connections of the same
// version and format.
type encCache struct {
	keys [4]uint32
	vals [4][]byte
	n    int
}

func (e *encCache) get(k uint32) []byte {
	for i := 0; i < e.n; i++ {
		if e.keys[i] == k {
			return e.vals[i]
		}
	}
	return nil
}

func (e *encCache) put(k uint32, v []byte) {
	if e.n < len(e.keys) {
		e.keys[e.n], e.vals[e.n] = k, v
		e.n++
	}
}
