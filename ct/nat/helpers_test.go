package nat

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// a4 and a6 make 16-byte tuple addresses.
func a4(s string) [16]byte {
	var a [16]byte
	ip := netip.MustParseAddr(s).As4()
	copy(a[:4], ip[:])
	return a
}

func a6(s string) [16]byte { return netip.MustParseAddr(s).As16() }

func addr(s string) ([16]byte, bool) {
	ip := netip.MustParseAddr(s)
	if ip.Is4() {
		return a4(s), false
	}
	return ip.As16(), true
}

// tup builds a tuple.
func tup(proto uint8, src string, sport uint16, dst string, dport uint16) Tuple {
	s, v6 := addr(src)
	d, _ := addr(dst)
	return Tuple{Src: s, Dst: d, SrcPort: sport, DstPort: dport, Proto: proto, V6: v6}
}

// echo builds an ICMP/ICMPv6 echo request tuple.
func echo(src, dst string, id uint16) Tuple {
	t := tup(protoICMP, src, id, dst, id)
	t.IType = 8
	if t.V6 {
		t.Proto, t.IType = protoICMPv6, 128
	}
	return t
}

// rng returns a range; ports 0,0 means none.
func rng(k Kind, lo, hi string, plo, phi uint16) *Range {
	r := &Range{Kind: k}
	if lo != "" {
		r.AddrMin, r.V6 = addr(lo)
		r.AddrMax, _ = addr(hi)
		r.HasAddr = true
	}
	if plo != 0 {
		r.HasPorts, r.PortMin, r.PortMax = true, plo, phi
	}
	return r
}

// table is a stand-in for the tracker's table: both keys of every
// connection.
type table map[Tuple]bool

func (t table) inUse(x Tuple) bool { return t[x] }

func (t table) add(orig, reply Tuple) {
	t[orig] = true
	t[reply] = true
}

func newRand(t testing.TB) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(1, uint64(len(t.Name()))))
}

// familyName names the address family, for subtests.
func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}
