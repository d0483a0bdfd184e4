package nat

import (
	"fmt"
	"net/netip"
)

// IP protocol numbers nat knows.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// Tuple is one direction of a connection, field for field the tracker's
// lookup key (ct's connKey): both endpoints, the L4 protocol, the family
// and the zone. For ICMP and ICMPv6 echo (and ICMP timestamp and
// information) messages SrcPort and DstPort both hold the identifier and
// IType is the Src endpoint's message type. Protocols without ports have
// zero ports. An IPv4 address is in the first 4 bytes of Src and Dst.
type Tuple struct {
	Src, Dst         [16]byte
	SrcPort, DstPort uint16
	Zone             uint16
	Proto            uint8
	IType            uint8
	V6               bool
}

// Reverse returns the tuple of the other direction: endpoints swapped and,
// for ICMP queries, the message type of the answer (echo request <-> echo
// reply, timestamp <-> timestamp reply, information request <-> reply),
// exactly as the tracker reverses its keys.
func (t Tuple) Reverse() Tuple {
	r := t
	r.Src, r.Dst = t.Dst, t.Src
	r.SrcPort, r.DstPort = t.DstPort, t.SrcPort
	if t.isICMP() {
		r.IType = reverseICMPType(t.V6, t.IType)
	}
	return r
}

func (t *Tuple) isICMP() bool {
	return t.Proto == protoICMP && !t.V6 || t.Proto == protoICMPv6 && t.V6
}

// isQuery reports whether t is an ICMP/ICMPv6 query (echo, timestamp,
// information) whose identifier is the tuple's port.
func (t *Tuple) isQuery() bool { return t.isICMP() && icmpIsQuery(t.V6, t.IType) }

func icmpIsQuery(v6 bool, typ uint8) bool {
	if v6 {
		return typ == 128 || typ == 129
	}
	switch typ {
	case 0, 8, 13, 14, 15, 16:
		return true
	}
	return false
}

func reverseICMPType(v6 bool, t uint8) uint8 {
	if v6 {
		switch t {
		case 128:
			return 129
		case 129:
			return 128
		}
		return t
	}
	switch t {
	case 8:
		return 0
	case 0:
		return 8
	case 13:
		return 14
	case 14:
		return 13
	case 15:
		return 16
	case 16:
		return 15
	}
	return t
}

// SrcAddr returns the source address.
func (t *Tuple) SrcAddr() netip.Addr { return t.addr(&t.Src) }

// DstAddr returns the destination address.
func (t *Tuple) DstAddr() netip.Addr { return t.addr(&t.Dst) }

func (t *Tuple) addr(a *[16]byte) netip.Addr {
	if t.V6 {
		return netip.AddrFrom16(*a)
	}
	return netip.AddrFrom4([4]byte(a[:4]))
}

// String formats t for tests and logs, e.g. "proto=6 198.51.100.10->203.0.113.5
// sport=5000 dport=80 itype=0 zone=0".
func (t Tuple) String() string {
	return fmt.Sprintf("proto=%d %s->%s sport=%d dport=%d itype=%d zone=%d",
		t.Proto, t.SrcAddr(), t.DstAddr(), t.SrcPort, t.DstPort, t.IType, t.Zone)
}
