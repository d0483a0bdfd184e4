package ct

import (
	"net/netip"
	"strconv"
	"time"

	"gswitch/ct/alg"
	"gswitch/packet"
)

// This file is the tracker's query API for the control commands (package
// ct/dpctl, OVS's dpctl/* and ct-* commands): typed snapshots of the
// connections and settings. ct knows no command syntax or output format;
// ct/dpctl parses the arguments and prints the replies, as OVS keeps
// dpctl.c apart from conntrack.c.

// Conn is a copy of one connection's state, taken under its lock.
type Conn struct {
	Proto uint8
	Zone  uint16
	// Orig and Reply are the original- and reply-direction tuples; a
	// NATed connection's reply tuple carries the translated addresses.
	Orig, Reply Tuple
	Mark        uint32
	Label       packet.U128
	// Timeout is the time left until the connection expires (0 if due).
	Timeout time.Duration
	// TCP holds the original and reply peers of a TCP connection.
	TCP [2]TCPPeer
	// Helper names the connection's ALG helper ("ftp", "tftp"); empty
	// for none.
	Helper string
	// Parent is, for a connection created from an expectation, its
	// master's original tuple; nil otherwise (or once the master is gone).
	Parent *Tuple
}

// Tuple is one direction of a connection. For ICMP (ICMP over IPv4,
// ICMPv6 over IPv6) SrcPort holds the echo id and ICMPType the type;
// DstPort is 0.
type Tuple struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	ICMPType         uint8
}

// TCPPeer is one TCP peer's tracking state.
type TCPPeer struct {
	State TCPState
	// WScale is the peer's window scale shift.
	WScale uint8
	// WindowScale reports that the peer sent the window scale option
	// (OVS's CT_DPIF_TCPF_WINDOW_SCALE); BeLiberal that its window is not
	// checked (CT_DPIF_TCPF_BE_LIBERAL, a connection picked up midstream).
	WindowScale, BeLiberal bool
}

// TCPState is a TCP peer's state, numbered as OVS's CT_DPIF_TCPS_*.
type TCPState uint8

// The TCP peer states.
const (
	TCPClosed      = TCPState(tcpsClosed)
	TCPListen      = TCPState(tcpsListen)
	TCPSynSent     = TCPState(tcpsSynSent)
	TCPSynRecv     = TCPState(tcpsSynRecv)
	TCPEstablished = TCPState(tcpsEstablished)
	TCPCloseWait   = TCPState(tcpsCloseWait)
	TCPFinWait1    = TCPState(tcpsFinWait1)
	TCPClosing     = TCPState(tcpsClosing)
	TCPLastAck     = TCPState(tcpsLastAck)
	TCPFinWait2    = TCPState(tcpsFinWait2)
	TCPTimeWait    = TCPState(tcpsTimeWait)
	// NumTCPStates is the number of states.
	NumTCPStates = TCPState(tcpsMaxNum)
)

// String returns OVS's name of the state ("ESTABLISHED"), or "[N]" for a
// number that names none.
func (s TCPState) String() string {
	if s < NumTCPStates {
		return tcpStateNames[s]
	}
	return "[" + strconv.Itoa(int(s)) + "]"
}

// entries returns the live connections (of zone, if not nil), each a copy
// of the connection taken under its lock.
func (t *Tracker) entries(zone *uint16, now int64) []*conn {
	var out []*conn
	z := -1
	if zone != nil {
		z = int(*zone)
	}
	visit := func(s *shard) {
		s.mu.RLock()
		s.each(z, func(c *conn) bool {
			if !c.expired(now) {
				out = append(out, snapshot(c))
			}
			return true
		})
		s.mu.RUnlock()
	}
	if zone != nil {
		t.zoneShards(*zone, visit)
		return out
	}
	for i := range t.shards {
		visit(&t.shards[i])
	}
	return out
}

// snapshot copies c (its shard locked), its mutable part under c.mu.
func snapshot(c *conn) *conn {
	s := &conn{key: c.key, rkey: c.rkey, natAct: c.natAct,
		helper: c.helper, related: c.related, idx: c.idx, gen: c.gen}
	c.mu.Lock()
	s.state, s.mark, s.label, s.tcp = c.state, c.mark, c.label, c.tcp
	c.mu.Unlock()
	s.exp.Store(c.exp.Load())
	return s
}

func tupleOf(k *connKey) Tuple {
	t := Tuple{Src: addrOf(&k.src, k.v6), Dst: addrOf(&k.dst, k.v6)}
	if k.isICMP() {
		t.SrcPort, t.ICMPType = k.sport, k.itype
	} else {
		t.SrcPort, t.DstPort = k.sport, k.dport
	}
	return t
}

func tcpPeerOf(p *tcpPeer) TCPPeer {
	return TCPPeer{State: TCPState(p.state), WScale: p.wscale & wscaleMask,
		WindowScale: p.wscale&wscaleFlag != 0, BeLiberal: p.wscale&wscaleUnknown != 0}
}

// Conns returns the live connections (of zone, if not nil) in table order.
func (t *Tracker) Conns(zone *uint16) []Conn {
	now := t.Now()
	cs := t.entries(zone, now)
	out := make([]Conn, len(cs))
	for i, c := range cs {
		e := &out[i]
		*e = Conn{Proto: c.key.proto, Zone: c.key.zone, Orig: tupleOf(&c.key), Reply: tupleOf(&c.rkey),
			Mark: c.mark, Label: c.label}
		if left := c.exp.Load() - now; left > 0 {
			e.Timeout = time.Duration(left)
		}
		if c.key.proto == packet.ProtoTCP {
			e.TCP = [2]TCPPeer{tcpPeerOf(&c.tcp[0]), tcpPeerOf(&c.tcp[1])}
		}
		if h := helperOf(c.helper); h != nil {
			e.Helper = h.Name()
		}
		if c.related {
			if testHook != nil {
				testHook(hookDump)
			}
			// By generation: nothing once the connection is gone, never
			// the state of its slot's next connection.
			if st := t.algs.get(c.idx, c.gen); st != nil && st.related {
				p := tupleOf(&st.parent)
				e.Parent = &p
			}
		}
	}
	return out
}

// PendingExpectations returns the ALG expectations (of zone, if not nil)
// that have not expired, in table order.
func (t *Tracker) PendingExpectations(zone *uint16) []alg.Expectation {
	now := t.Now()
	var out []alg.Expectation
	for _, e := range t.exps.List(nil) {
		if (zone != nil && e.Zone != *zone) || e.Expired(now) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// ZoneTCPSeqCheck reports whether TCP sequence checking applies in zone
// (its own setting, or the global one).
func (t *Tracker) ZoneTCPSeqCheck(zone uint16) bool { return t.seqCheck(zone) }

// DefaultZoneLimit returns the limit of zones without their own (0:
// unlimited).
func (t *Tracker) DefaultZoneLimit() uint32 { return uint32(t.defLimit.Load()) }

// TimeoutAttr returns the timeout policy attribute named name (any case),
// as SetZoneTimeouts and ZoneTimeouts name it, and whether there is one.
func TimeoutAttr(name string) (string, bool) {
	if i := attrIndex(name); i >= 0 {
		return attrNames[i], true
	}
	return "", false
}
