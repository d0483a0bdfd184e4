package ofproto

import (
	"sync"
	"time"
)

// activeConn is one controller Connect keeps connected, with what
// ControllerStatus reports about it (OVS's Controller status columns).
type activeConn struct {
	target string
	stop   chan struct{} // closed by Disconnect

	mu        sync.Mutex
	c         *conn // the connection while there is one
	state     string
	lastErr   error
	since     time.Time // connected or disconnected at
	wasUp     bool
	isStopped bool
}

func (a *activeConn) stopped() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.isStopped
}

func (a *activeConn) connected(c *conn) {
	a.mu.Lock()
	a.c, a.state, a.since, a.wasUp = c, "ACTIVE", time.Now(), true
	a.mu.Unlock()
}

func (a *activeConn) disconnected(c *conn) {
	a.mu.Lock()
	if a.c == c {
		a.c, a.state, a.since = nil, "BACKOFF", time.Now()
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

// SetProtocols changes the OpenFlow versions offered (bit N: wire version
// N; 0: every version) to connections made from now on.
func (s *Server) SetProtocols(bm uint32) { s.protocols.Store(bm) }

// SetDatapathID changes the datapath id. As OVS's ofproto_set_datapath_id,
// a change makes the controllers reconnect (OpenFlow has no message that
// tells them): their connections are closed and come back with the new id
// in the features reply.
func (s *Server) SetDatapathID(id uint64) {
	if s.dpid.Swap(id) == id {
		return
	}
	s.mu.Lock()
	var cs []*conn
	for _, a := range s.active {
		a.mu.Lock()
		if a.c != nil {
			cs = append(cs, a.c)
		}
		a.mu.Unlock()
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.close("datapath id changed")
	}
}
