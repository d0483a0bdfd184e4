package nat

import (
	"encoding/binary"
	"errors"
)

// Kind says which endpoint of a connection's original direction is
// translated.
type Kind uint8

const (
	// None is a bare "nat": no new translation is set up; packets of a
	// connection committed earlier with a translation get that one.
	None Kind = iota
	// Src is source NAT (nat(src=...)): the original direction's source
	// address (and port) are translated.
	Src
	// Dst is destination NAT (nat(dst=...)): the original direction's
	// destination address (and port) are translated.
	Dst
)

func (k Kind) String() string {
	switch k {
	case Src:
		return "src"
	case Dst:
		return "dst"
	}
	return "none"
}

// Raw NXAST_NAT flag and range-present bits: the one definition, which ct
// gives its own names (ct.NATSrc..., ct.NATRange*); nat does not import
// ct, so that ct can import nat.
const (
	FlagSrc        = 1 << 0
	FlagDst        = 1 << 1
	FlagPersistent = 1 << 2
	FlagHash       = 1 << 3
	FlagRandom     = 1 << 4
	FlagsMask      = 1<<5 - 1 // every flag NXAST_NAT defines

	RangeIPv4Min  = 1 << 0
	RangeIPv4Max  = 1 << 1
	RangeIPv6Min  = 1 << 2
	RangeIPv6Max  = 1 << 3
	RangeProtoMin = 1 << 4
	RangeProtoMax = 1 << 5
)

// Range is a validated nat(src=...) or nat(dst=...) specification, as OVS's
// datapath receives it (struct nat_action_info_t).
//
// Without an address range (HasAddr false: nat(src), which nat(src=0.0.0.0)
// also encodes to) the address is kept and only the port moves, and only
// on a clash. Without a port range (HasPorts false) a source port is kept
// when the reply tuple is free and otherwise moved within OVS's ephemeral
// ranges (1-511, 600-1023 or 1024-65535, after the original port's class);
// a destination port is never changed.
type Range struct {
	Kind     Kind
	V6       bool // the address range is IPv6 (meaningful with HasAddr)
	HasAddr  bool
	HasPorts bool
	// AddrMin..AddrMax, inclusive; an IPv4 address is in the first 4
	// bytes, the rest zero.
	AddrMin, AddrMax [16]byte
	// PortMin..PortMax, inclusive (with HasPorts).
	PortMin, PortMax uint16
	// Persistent picks the address from a hash of the original source
	// address and the range only (not the ports, not a per-process
	// secret), so a client keeps its translated address across
	// connections and restarts.
	Persistent bool
	// Hash is proto_hash: the default, hash-based port choice (OVS's
	// userspace datapath supports only this behaviour).
	Hash bool
	// Random starts the port search at a random port of the range
	// instead of a hash-based one.
	Random bool
}

// Validation errors of FromRaw. All are OpenFlow OFPBAC_BAD_ARGUMENT errors
// (OVS's decode_NXAST_RAW_NAT returns that code for each); pipeline maps
// any of them with errors.Is(err, nat.ErrInvalid).
var (
	ErrInvalid        = errors.New("nat: invalid nat action")
	ErrUnknownFlags   = &rangeError{"unknown flags"}
	ErrSrcAndDst      = &rangeError{"both src and dst"}
	ErrHashAndRandom  = &rangeError{"both hash and random"}
	ErrMixedFamilies  = &rangeError{"both IPv4 and IPv6 addresses"}
	ErrMaxWithoutMin  = &rangeError{"maximum without minimum"}
	ErrZeroAddr       = &rangeError{"zero minimum address"}
	ErrInvertedAddr   = &rangeError{"address range maximum below minimum"}
	ErrPortsNoAddr    = &rangeError{"port range without address range"}
	ErrZeroPort       = &rangeError{"zero minimum port"}
	ErrInvertedPorts  = &rangeError{"port range maximum below minimum"}
	ErrRangeOnBareNAT = &rangeError{"range or flags given without src or dst"}
)

type rangeError struct{ s string }

func (e *rangeError) Error() string        { return "nat: " + e.s }
func (e *rangeError) Is(target error) bool { return target == ErrInvalid }

// FromRaw builds a Range from the raw fields of an NXAST_NAT action (the
// fields of ct.NAT: flags, range_present, the 16-byte addresses with IPv4
// in the first 4 bytes, the ports), checking them as OVS's
// decode_NXAST_RAW_NAT does: unknown flags, src with dst, hash with random,
// IPv4 with IPv6, a maximum without its minimum, a zero minimum address or
// port, an inverted address or port range, and ports without addresses are
// errors (errors.Is(err, ErrInvalid)). As OVS's datapath, a missing maximum
// means the minimum.
//
// Flags without src or dst make a bare nat (Kind None): OVS's text parser
// refuses flags and ranges there but its decoder accepts flags and its
// datapath ignores them; FromRaw accepts flags and refuses a range there
// (ErrRangeOnBareNAT).
func FromRaw(flags, rangePresent uint16, addrMin, addrMax [16]byte, portMin, portMax uint16) (Range, error) {
	var r Range
	rp := rangePresent
	if flags&^FlagsMask != 0 {
		return r, ErrUnknownFlags
	}
	if flags&FlagSrc != 0 && flags&FlagDst != 0 {
		return r, ErrSrcAndDst
	}
	if flags&FlagHash != 0 && flags&FlagRandom != 0 {
		return r, ErrHashAndRandom
	}
	switch {
	case flags&FlagSrc != 0:
		r.Kind = Src
	case flags&FlagDst != 0:
		r.Kind = Dst
	}
	if r.Kind == None {
		if rp != 0 {
			return Range{}, ErrRangeOnBareNAT
		}
		return r, nil
	}
	r.Persistent = flags&FlagPersistent != 0
	r.Hash = flags&FlagHash != 0
	r.Random = flags&FlagRandom != 0
	v4 := rp&(RangeIPv4Min|RangeIPv4Max) != 0
	v6 := rp&(RangeIPv6Min|RangeIPv6Max) != 0
	switch {
	case v4 && v6:
		return Range{}, ErrMixedFamilies
	case v4:
		if rp&RangeIPv4Min == 0 {
			return Range{}, ErrMaxWithoutMin
		}
		copy(r.AddrMin[:4], addrMin[:4])
		if isZero(r.AddrMin[:4]) {
			return Range{}, ErrZeroAddr
		}
		r.AddrMax = r.AddrMin
		if rp&RangeIPv4Max != 0 && !isZero(addrMax[:4]) {
			if binary.BigEndian.Uint32(addrMax[:4]) < binary.BigEndian.Uint32(addrMin[:4]) {
				return Range{}, ErrInvertedAddr
			}
			copy(r.AddrMax[:4], addrMax[:4])
		}
		r.HasAddr = true
	case v6:
		if rp&RangeIPv6Min == 0 {
			return Range{}, ErrMaxWithoutMin
		}
		r.AddrMin = addrMin
		if isZero(r.AddrMin[:]) {
			return Range{}, ErrZeroAddr
		}
		r.AddrMax = r.AddrMin
		if rp&RangeIPv6Max != 0 && !isZero(addrMax[:]) {
			if string(addrMax[:]) < string(addrMin[:]) {
				return Range{}, ErrInvertedAddr
			}
			r.AddrMax = addrMax
		}
		r.HasAddr, r.V6 = true, true
	}
	switch {
	case rp&RangeProtoMin != 0:
		if !r.HasAddr {
			return Range{}, ErrPortsNoAddr
		}
		if portMin == 0 {
			return Range{}, ErrZeroPort
		}
		r.PortMin, r.PortMax = portMin, portMin
		if rp&RangeProtoMax != 0 && portMax != 0 {
			if portMax < portMin {
				return Range{}, ErrInvertedPorts
			}
			r.PortMax = portMax
		}
		r.HasPorts = true
	case rp&RangeProtoMax != 0:
		return Range{}, ErrMaxWithoutMin
	}
	return r, nil
}

// Check reports whether r is internally consistent (a Range built by hand
// rather than by FromRaw): a kind, ordered non-zero ranges, ports only with
// addresses. The errors are FromRaw's.
func (r *Range) Check() error {
	if r.Kind != Src && r.Kind != Dst {
		return ErrRangeOnBareNAT
	}
	if r.Hash && r.Random {
		return ErrHashAndRandom
	}
	if r.HasAddr {
		n := 4
		if r.V6 {
			n = 16
		} else if !isZero(r.AddrMin[4:]) || !isZero(r.AddrMax[4:]) {
			return ErrMixedFamilies
		}
		if isZero(r.AddrMin[:n]) {
			return ErrZeroAddr
		}
		if string(r.AddrMax[:n]) < string(r.AddrMin[:n]) {
			return ErrInvertedAddr
		}
	}
	if r.HasPorts {
		if !r.HasAddr {
			return ErrPortsNoAddr
		}
		if r.PortMin == 0 {
			return ErrZeroPort
		}
		if r.PortMax < r.PortMin {
			return ErrInvertedPorts
		}
	}
	return nil
}

// Fits reports whether r can translate a connection of t's address
// family: a range without addresses fits both; an IPv4 range used for an
// IPv6 connection (or the reverse) does not (OVS leaves the result
// undefined; Select refuses it).
func (r *Range) Fits(t *Tuple) bool { return !r.HasAddr || r.V6 == t.V6 }

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
