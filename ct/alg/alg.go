package alg

import (
	"errors"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// IP protocol numbers the helpers use.
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// DefaultLifetime is how long an expectation waits for its data connection
// (the kernel's FTP and TFTP expect policies: 5 minutes).
const DefaultLifetime = 5 * time.Minute

// Dir is the direction of a packet within its (control) connection.
type Dir uint8

const (
	Orig  Dir = 0 // from the connection's initiator (FTP client, TFTP client)
	Reply Dir = 1 // from the responder (FTP/TFTP server)
)

// String returns "orig" or "reply".
func (d Dir) String() string {
	if d == Orig {
		return "orig"
	}
	return "reply"
}

// Tuple is one direction of a connection as it appears on the wire.
type Tuple struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// Master describes the control connection to a helper, as the tracker
// knows it: Orig is the original-direction tuple (the initiator's packets
// before any NAT, OVS's key_node[CT_DIR_FWD]), Reply the reply-direction
// tuple (the responder's packets as they arrive, after NAT: OVS's
// key_node[CT_DIR_REV]). Without NAT, Reply is Orig reversed.
type Master struct {
	Proto uint8
	Zone  uint16
	Orig  Tuple
	Reply Tuple
}

// NATed reports whether the connection is translated (Reply is not Orig
// reversed).
func (m *Master) NATed() bool {
	return m.Reply.Src != m.Orig.Dst || m.Reply.Dst != m.Orig.Src ||
		m.Reply.SrcPort != m.Orig.DstPort || m.Reply.DstPort != m.Orig.SrcPort
}

// IsV6 reports whether the control connection is over IPv6.
func (m *Master) IsV6() bool { return m.Orig.Src.Is6() }

// Expectation is a data connection announced on a control connection: the
// tracker keeps it until a packet of a new connection matches it (that
// connection is then +rel, "related", and inherits the master's mark and
// label), or until it expires (Expired). The tracker should treat two
// expectations with the same Key as one (a retransmitted command announces
// the same connection again).
type Expectation struct {
	Proto    uint8
	Src, Dst netip.Addr // the data connection's first packet: Src -> Dst
	SrcPort  uint16     // 0: any source port
	DstPort  uint16
	Zone     uint16
	Created  int64         // monotonic nanoseconds (Input.Now)
	Lifetime time.Duration // from Created
	// NAT for the data connection when the master is translated (OVS's
	// alg_nat_repl_addr): a packet matching Src -> Dst:DstPort is rewritten
	// to come from SNATTo (if valid) and go to DNATTo (if valid), and
	// DNATPort (if not 0); the reply direction is translated back.
	SNATTo, DNATTo netip.Addr
	DNATPort       uint16
	// MasterOrig is the master connection's original-direction tuple (to
	// find the master for the data connection's mark, label and the
	// expectation's removal with the master).
	MasterOrig Tuple
	Helper     string // the helper that created it ("ftp", "tftp")
	// Mark, LabelHi and LabelLo are the master's ct_mark and ct_label
	// when the expectation was created (set by the tracker, not by the
	// helpers): the data connection inherits them.
	Mark             uint32
	LabelHi, LabelLo uint64
}

// Expired reports whether the expectation's lifetime has run out at now
// (monotonic nanoseconds on the same clock as Created).
func (e *Expectation) Expired(now int64) bool {
	return now-e.Created >= int64(e.Lifetime)
}

// Matches reports whether a new connection's first packet (proto, zone,
// addresses, ports) is the expected data connection.
func (e *Expectation) Matches(proto uint8, zone uint16, src, dst netip.Addr, sport, dport uint16) bool {
	return proto == e.Proto && zone == e.Zone && src == e.Src && dst == e.Dst &&
		dport == e.DstPort && (e.SrcPort == 0 || sport == e.SrcPort)
}

// ExpKey identifies an expectation (for a tracker's table).
type ExpKey struct {
	Proto            uint8
	Zone             uint16
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// Key returns the expectation's identity.
func (e *Expectation) Key() ExpKey {
	return ExpKey{e.Proto, e.Zone, e.Src, e.Dst, e.SrcPort, e.DstPort}
}

// Input is one packet of a control connection, given to a helper.
type Input struct {
	Master *Master
	Dir    Dir
	// Seq is the TCP sequence number of Payload[0] (as sent, before any
	// sequence adjustment); unused for UDP.
	Seq     uint32
	Payload []byte // the L4 payload (it is not kept and not modified)
	Now     int64  // monotonic nanoseconds, stamped on expectations
}

// Result is what a helper found in one packet. The caller owns it and may
// reuse it: Reset before each packet keeps its slices' storage, so a steady
// state does not allocate.
type Result struct {
	// Exps are the expectations to create.
	Exps []Expectation
	// Matches are the announcements in the packet that a NAT must rewrite
	// (FTP: also the ones in a retransmitted segment, announced again so a
	// retransmission is rewritten the same way). Only announcements whose
	// argument lies wholly inside this packet are listed.
	Matches []Match
	// Invalid is set when the packet carried a command of interest that
	// was malformed or refused (an address not the sender's own, port 0,
	// a wrong address family). OVS marks such a packet +inv.
	Invalid bool
}

// Reset empties r, keeping its storage.
func (r *Result) Reset() {
	r.Exps = r.Exps[:0]
	r.Matches = r.Matches[:0]
	r.Invalid = false
}

// Conn is a helper's state for one control connection. A Conn is not safe
// for concurrent use: the tracker calls it under the connection's lock.
type Conn interface {
	// Process inspects one packet of the control connection, in the
	// order the tracker sees them, and appends to out what it found.
	// It never panics, whatever the payload.
	Process(in *Input, out *Result)
}

// Helper is an application-level gateway: it watches a control
// connection's payload and announces the connections it negotiates.
type Helper interface {
	Name() string  // "ftp": the alg= name
	Port() uint16  // the well-known server port (the NXAST_CT alg value)
	Proto() uint8  // ProtoTCP (payload is a byte stream) or ProtoUDP (datagrams)
	NewConn() Conn // state for a new control connection
}

// Errors of Register.
var (
	ErrDuplicate = errors.New("alg: a helper with this name or port is already registered")
	ErrBadHelper = errors.New("alg: helper needs a name, a port and TCP or UDP")
)

var registry struct {
	sync.RWMutex
	byName map[string]Helper
	byPort map[[2]uint16]Helper
}

// Register adds h to the registry. Helpers register themselves from an
// init function of their own file (see ftp.go, tftp.go).
func Register(h Helper) error {
	if h == nil || h.Name() == "" || h.Port() == 0 || (h.Proto() != ProtoTCP && h.Proto() != ProtoUDP) {
		return ErrBadHelper
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName = make(map[string]Helper)
		registry.byPort = make(map[[2]uint16]Helper)
	}
	pk := [2]uint16{uint16(h.Proto()), h.Port()}
	if _, ok := registry.byName[h.Name()]; ok {
		return ErrDuplicate
	}
	if _, ok := registry.byPort[pk]; ok {
		return ErrDuplicate
	}
	registry.byName[h.Name()] = h
	registry.byPort[pk] = h
	return nil
}

func mustRegister(h Helper) {
	if err := Register(h); err != nil {
		panic(err) // init-time programming error, not input
	}
}

// Lookup returns the helper registered as name ("ftp", "tftp").
func Lookup(name string) (Helper, bool) {
	registry.RLock()
	defer registry.RUnlock()
	h, ok := registry.byName[name]
	return h, ok
}

// ByPort returns the helper for a ct alg= value: the helper's well-known
// port (ct.AlgFTP = 21, ct.AlgTFTP = 69) on protocol proto.
func ByPort(proto uint8, port uint16) (Helper, bool) {
	registry.RLock()
	defer registry.RUnlock()
	h, ok := registry.byPort[[2]uint16{uint16(proto), port}]
	return h, ok
}

// Names lists the registered helpers' names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	s := make([]string, 0, len(registry.byName))
	for n := range registry.byName {
		s = append(s, n)
	}
	sort.Strings(s)
	return s
}

// Stats counts helper events over all connections (rare events only: no
// counter is touched per ordinary packet).
type Stats struct {
	Commands    uint64 // announcements that created an expectation
	Refused     uint64 // announcements of a third host's address
	Malformed   uint64 // commands of interest that did not parse (or port 0, wrong family)
	Oversized   uint64 // lines longer than MaxLine, skipped
	Gaps        uint64 // sequence gaps (lost or reordered segments): the line was dropped
	Retransmits uint64 // segments of already-seen data
}

var counters struct {
	commands, refused, malformed, oversized, gaps, retransmits atomic.Uint64
}

// Counters returns a snapshot of the package's event counters.
func Counters() Stats {
	return Stats{
		Commands:    counters.commands.Load(),
		Refused:     counters.refused.Load(),
		Malformed:   counters.malformed.Load(),
		Oversized:   counters.oversized.Load(),
		Gaps:        counters.gaps.Load(),
		Retransmits: counters.retransmits.Load(),
	}
}

// expect builds an expectation for a connection the sender of a packet in
// direction dir announced: the peer of the announcing side (or, for an
// announced server port, the announcing side's peer) connects to the
// announced port. For an announcement in the original direction the data
// connection arrives with reply-direction addresses (Reply.Src ->
// Reply.Dst); for one in the reply direction with original-direction
// addresses. When the master is translated, the data connection is
// translated the same way (OVS expectation_create).
func expect(m *Master, dir Dir, name string, proto uint8, dport uint16, now int64) Expectation {
	e := Expectation{
		Proto: proto, Zone: m.Zone, DstPort: dport,
		Created: now, Lifetime: DefaultLifetime,
		MasterOrig: m.Orig, Helper: name,
	}
	if dir == Orig {
		e.Src, e.Dst = m.Reply.Src, m.Reply.Dst
		if m.Reply.Src != m.Orig.Dst {
			e.SNATTo = m.Orig.Dst
		}
		if m.Reply.Dst != m.Orig.Src {
			e.DNATTo = m.Orig.Src
		}
	} else {
		e.Src, e.Dst = m.Orig.Src, m.Orig.Dst
		if m.Orig.Src != m.Reply.Dst {
			e.SNATTo = m.Reply.Dst
		}
		if m.Orig.Dst != m.Reply.Src {
			e.DNATTo = m.Reply.Src
		}
	}
	return e
}

// senderAddrOK reports whether addr is the sender's own address (before or
// after NAT) for a packet in direction dir.
func senderAddrOK(m *Master, dir Dir, addr netip.Addr) bool {
	if dir == Orig {
		return addr == m.Orig.Src || addr == m.Reply.Dst
	}
	return addr == m.Reply.Src || addr == m.Orig.Dst
}
