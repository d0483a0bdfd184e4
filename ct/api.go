package ct

import (
	"gswitch/ct/nat"
	"gswitch/packet"
)

// NAT flags (the wire values of NXAST_NAT's flags field). Package ct/nat
// owns the values; these are its constants under the names the ct action
// uses.
const (
	NATSrc        = nat.FlagSrc
	NATDst        = nat.FlagDst
	NATPersistent = nat.FlagPersistent
	NATHash       = nat.FlagHash   // proto_hash
	NATRandom     = nat.FlagRandom // proto_random
	NATFlagsMask  = nat.FlagsMask  // all of the above
)

// NAT range-present bits (the wire values of NXAST_NAT's range_present),
// ct/nat's constants as NATSrc... are.
const (
	NATRangeIPv4Min  = nat.RangeIPv4Min
	NATRangeIPv4Max  = nat.RangeIPv4Max
	NATRangeIPv6Min  = nat.RangeIPv6Min
	NATRangeIPv6Max  = nat.RangeIPv6Max
	NATRangeProtoMin = nat.RangeProtoMin
	NATRangeProtoMax = nat.RangeProtoMax
)

// NAT is the nat(...) part of a ct action. A NAT with Flags&(NATSrc|NATDst)
// == 0 is a bare "nat": apply the connection's existing translation.
type NAT struct {
	Flags        uint16
	RangePresent uint16
	// Address range, 16 bytes; an IPv4 address is in the first 4 bytes.
	AddrMin, AddrMax [16]byte
	PortMin, PortMax uint16
}

// IsV6 reports whether the range is an IPv6 range.
func (n *NAT) IsV6() bool { return n.RangePresent&(NATRangeIPv6Min|NATRangeIPv6Max) != 0 }

// Well-known ALG identifiers (the alg= of ct, the NXAST_CT alg field: the
// helper's well-known port).
const (
	AlgNone = 0
	AlgFTP  = 21
	AlgTFTP = 69
)

// Params is what one ct action asks for; the pipeline builds it once, when a
// flow is installed, and passes it with every batch.
type Params struct {
	Zone   uint16
	Commit bool
	Force  bool
	Alg    uint16
	// exec(set_field:V/M->ct_mark) and exec(set_field:V/M->ct_label)
	SetMark   bool
	Mark      uint32
	MarkMask  uint32
	SetLabel  bool
	Label     packet.U128
	LabelMask packet.U128
	NAT       *NAT // nil: no nat
}
