package ofproto

import (
	"sync"
	"time"
)

// activeConn is one controller Connect keeps connected, with what
// ControllerStatus reports about it (OVS's Controller status columns).
type activeConn struct {
	target  string
	stop    chan struct{} // closed by Disconnect
	service bool          // ControllerOptions.Service when connected

	mu      sync.Mutex
	c       *conn // the connection while there is one
	state   string
	lastErr error
	since   time.Time // connected or disconnected at
	wasUp   bool
	// lastDown is when a connection that was up last went down (zero:
	// never, or not since a protocols change: OVS's rconn's
	// last_disconnected, kept across reconnects of the same rconn and gone
	// with an rconn built anew); forget: the next disconnection is that of
	// a protocols change.
	lastDown  time.Time
	forget    bool
	isStopped bool
	opts      ControllerOptions
	// redial: the connection was closed to be made again at once (a
	// protocols change: OVS builds the controller's rconn anew, which
	// connects without waiting).
	redial bool
}

// takeRedial reports and clears redial.
func (a *activeConn) takeRedial() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.redial
	a.redial = false
	return r
}

// ControllerOptions are one active controller's own connection settings
// (OVS's Controller inactivity_probe and max_backoff, in effect).
type ControllerOptions struct {
	// ProbeInterval is the inactivity probe (as Config.ProbeInterval):
	// 0 the server's, negative off.
	ProbeInterval time.Duration
	// MaxBackoff caps the reconnect back-off; 0: the server's.
	MaxBackoff time.Duration
	// Service makes the connection a service connection (OVS's Controller
	// type=service: no asynchronous messages until it sets a
	// miss_send_len), not a primary one. Fixed when the controller is
	// connected: SetControllerOptions does not change it (OVS keeps an
	// ofconn's type).
	Service bool
}

func (a *activeConn) maxBackoff(def time.Duration) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.opts.MaxBackoff > 0 {
		return a.opts.MaxBackoff
	}
	return def
}

// probeIntervalLocked is the probe interval in effect (<= 0: off).
func (a *activeConn) probeIntervalLocked(def time.Duration) time.Duration {
	if a.opts.ProbeInterval != 0 {
		return a.opts.ProbeInterval
	}
	return def
}

func (a *activeConn) stopped() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.isStopped
}

func (a *activeConn) connected(c *conn, defProbe time.Duration) {
	a.mu.Lock()
	c.probe.Store(int64(a.probeIntervalLocked(defProbe)))
	a.c, a.state, a.since, a.wasUp = c, "ACTIVE", time.Now(), true
	a.mu.Unlock()
}

func (a *activeConn) disconnected(c *conn) {
	a.mu.Lock()
	if a.c == c {
		a.c, a.state, a.since = nil, "BACKOFF", time.Now()
		if a.forget {
			a.forget, a.lastDown = false, time.Time{}
		} else {
			a.lastDown = a.since
		}
	}
	a.mu.Unlock()
}

func (a *activeConn) failed(err error) {
	a.mu.Lock()
	a.lastErr, a.state = err, "BACKOFF"
	a.mu.Unlock()
}

// ControllerStatus is an active controller connection's state, as OVS
// reports it in the Controller table.
type ControllerStatus struct {
	Target    string
	Connected bool
	// Role is OVS's name for the connection's role: "other" (equal),
	// "master" or "slave"; "" while not connected.
	Role string
	// State is "CONNECTING", "ACTIVE" or "BACKOFF" (OVS's rconn states).
	State string
	// Since is how long the connection has been up (Connected) or down
	// after being up (WasConnected).
	Since        time.Duration
	WasConnected bool
	// SinceDown is how long ago a connection last went down, when
	// WasDown (OVS reports it as sec_since_disconnect also while
	// connected again, as after a datapath id change).
	SinceDown time.Duration
	WasDown   bool
	// LastError is the last connection failure (nil: none).
	LastError error
}

// Controllers reports the controllers Connect keeps connected.
func (s *Server) Controllers() []ControllerStatus {
	s.mu.Lock()
	as := make([]*activeConn, 0, len(s.active))
	for _, a := range s.active {
		as = append(as, a)
	}
	s.mu.Unlock()
	out := make([]ControllerStatus, 0, len(as))
	for _, a := range as {
		a.mu.Lock()
		st := ControllerStatus{Target: a.target, Connected: a.c != nil, State: a.state, LastError: a.lastErr,
			WasConnected: a.wasUp}
		if a.wasUp {
			st.Since = time.Since(a.since)
		}
		if !a.lastDown.IsZero() {
			st.SinceDown, st.WasDown = time.Since(a.lastDown), true
		}
		c := a.c
		a.mu.Unlock()
		if c != nil {
			switch c.state().role {
			case roleMaster:
				st.Role = "master"
			case roleSlave:
				st.Role = "slave"
			default:
				st.Role = "other"
			}
		}
		out = append(out, st)
	}
	return out
}

// Disconnect stops keeping target connected (a Connect's) and closes its
// connection; false when there is no such controller.
func (s *Server) Disconnect(target string) bool {
	// Under s.mu, as serve registers a connection: either serve sees the
	// stop or this sees its connection.
	s.mu.Lock()
	a := s.active[target]
	delete(s.active, target)
	if a == nil {
		s.mu.Unlock()
		return false
	}
	a.mu.Lock()
	a.isStopped = true
	c := a.c
	a.mu.Unlock()
	s.mu.Unlock()
	close(a.stop)
	if c != nil {
		c.close("controller removed")
	}
	return true
}

// SetControllerOptions changes a Connect'ed controller's settings in
// place, as OVS's ofconn_reconfigure: the running connection takes the new
// probe interval and the next back-off the new ceiling; nothing
// reconnects. False when there is no such controller.
func (s *Server) SetControllerOptions(target string, o ControllerOptions) bool {
	s.mu.Lock()
	a := s.active[target]
	s.mu.Unlock()
	if a == nil {
		return false
	}
	a.mu.Lock()
	a.opts = o
	if a.c != nil {
		a.c.probe.Store(int64(a.probeIntervalLocked(s.cfg.ProbeInterval)))
	}
	a.mu.Unlock()
	return true
}

// SetProtocols changes the OpenFlow versions offered (bit N: wire version
// N; 0: every version). As OVS's connmgr_set_controllers, which builds a
// service again when its allowed versions change, a change closes every
// connection, active and passive: controllers reconnect and negotiate
// with the new versions.
func (s *Server) SetProtocols(bm uint32) {
	if s.protocols.Swap(bm) == bm {
		return
	}
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	for _, a := range s.active {
		a.mu.Lock()
		a.redial = a.c != nil
		a.forget = a.c != nil
		a.lastDown = time.Time{}
		a.mu.Unlock()
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.close("protocols changed")
	}
}

// SetDatapathID changes the datapath id. As OVS's ofproto_set_datapath_id,
// a change makes every connection reconnect (OpenFlow has no message that
// tells them; OVS's connmgr_reconnect drops all its ofconns, a service
// connection such as ovs-ofctl's too): they take no more messages, are
// closed once what was queued is written, and the controllers come back
// with the new id in the features reply.
func (s *Server) SetDatapathID(id uint64) {
	if s.dpid.Swap(id) == id {
		return
	}
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		// What was sent before (a port-status) goes out first; nothing
		// after, as with OVS's rconn_reconnect.
		c.drainAndClose("datapath id changed")
	}
}
