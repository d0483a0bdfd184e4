package underlay

import (
	"net/netip"
	"strconv"
	"strings"
)

// Addr is an IPv6 address; an IPv4 address is IPv4-mapped (::ffff:a.b.c.d).
type Addr [16]byte

// AddrFrom4 returns the IPv4-mapped form of a.
func AddrFrom4(a [4]byte) Addr {
	var x Addr
	x[10], x[11] = 0xff, 0xff
	copy(x[12:], a[:])
	return x
}

// AddrFromUint32 returns the IPv4-mapped form of the IPv4 address v (host order).
func AddrFromUint32(v uint32) Addr {
	return AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// AddrFromHiLo returns the IPv6 address held as two 64-bit halves (high first).
func AddrFromHiLo(hi, lo uint64) Addr {
	var x Addr
	for i := 0; i < 8; i++ {
		x[i] = byte(hi >> (56 - 8*i))
		x[8+i] = byte(lo >> (56 - 8*i))
	}
	return x
}

// Is4 reports whether a is IPv4-mapped (OVS's IN6_IS_ADDR_V4MAPPED).
func (a Addr) Is4() bool {
	for _, b := range a[:10] {
		if b != 0 {
			return false
		}
	}
	return a[10] == 0xff && a[11] == 0xff
}

// V4 returns the IPv4 address of a mapped address in host order (0 if a is
// not mapped).
func (a Addr) V4() uint32 {
	if !a.Is4() {
		return 0
	}
	return uint32(a[12])<<24 | uint32(a[13])<<16 | uint32(a[14])<<8 | uint32(a[15])
}

// IsZero reports whether a is :: (OVS's !ipv6_addr_is_set).
func (a Addr) IsZero() bool { return a == Addr{} }

// String formats a as OVS's ipv6_format_mapped: dotted IPv4 for a mapped
// address, otherwise inet_ntop's IPv6 text.
func (a Addr) String() string {
	if a.Is4() {
		return netip.AddrFrom4([4]byte(a[12:])).String()
	}
	// glibc's inet_ntop writes "::a.b.c.d" when the first six words are
	// zero and the seventh is not (IPv4-compatible); netip does not.
	compat := a[12] != 0 || a[13] != 0
	for _, b := range a[:12] {
		if b != 0 {
			compat = false
		}
	}
	if compat {
		return "::" + netip.AddrFrom4([4]byte(a[12:])).String()
	}
	return netip.AddrFrom16(a).String()
}

// mask returns the 128-bit mask of plen leading ones.
func mask(plen int) Addr {
	var m Addr
	for i := 0; i < 16; i++ {
		switch {
		case plen >= 8*(i+1):
			m[i] = 0xff
		case plen > 8*i:
			m[i] = byte(0xff << (8 - (plen - 8*i)))
		}
	}
	return m
}

func (a Addr) and(m Addr) Addr {
	for i := range a {
		a[i] &= m[i]
	}
	return a
}

func ones(m Addr) int {
	n := 0
	for _, b := range m {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n
}

// parse4 is inet_pton(AF_INET): four decimal numbers 0-255, no leading zeros
// beyond a single digit, nothing else.
func parse4(s string) (Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return Addr{}, false
	}
	return AddrFrom4(a.As4()), true
}

// parse6 is inet_pton(AF_INET6).
func parse6(s string) (Addr, bool) {
	if strings.Contains(s, "%") {
		return Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return Addr{}, false
	}
	return a.As16(), true
}

// scanUint reads a C scanf-style unsigned decimal ("%u"/"%hhu"): leading
// white space, an optional sign, at least one digit. It returns the value
// (wrapped to 64 bits, negated for '-') and the rest of s.
func scanUint(s string, base int) (uint64, string, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 0 { // %i: 0x hex, 0 octal, else decimal
		switch {
		case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isDigit(s[2], 16):
			base, s = 16, s[2:]
		case len(s) > 0 && s[0] == '0':
			base = 8
		default:
			base = 10
		}
	} else if base == 16 && len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isDigit(s[2], 16) {
		s = s[2:]
	}
	n := 0
	var v uint64
	for n < len(s) && isDigit(s[n], base) {
		d, _ := strconv.ParseUint(s[n:n+1], base, 8)
		v = v*uint64(base) + d
		n++
	}
	if n == 0 {
		return 0, s, false
	}
	if neg {
		v = -v
	}
	return v, s[n:], true
}

func isDigit(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') < base
	case c >= 'a' && c <= 'f':
		return base == 16
	case c >= 'A' && c <= 'F':
		return base == 16
	}
	return false
}

// scanIPv4 is scanf's IP_SCAN_FMT ("%hhu.%hhu.%hhu.%hhu"): it returns the
// address and the rest of s.
func scanIPv4(s string) (Addr, string, bool) {
	var b [4]byte
	for i := 0; i < 4; i++ {
		if i > 0 {
			if s == "" || s[0] != '.' {
				return Addr{}, s, false
			}
			s = s[1:]
		}
		v, rest, ok := scanUint(s, 10)
		if !ok {
			return Addr{}, s, false
		}
		b[i], s = byte(v), rest
	}
	return AddrFrom4(b), s, true
}

// parseCIDR4 is OVS's ip_parse_cidr: "IP", "IP/PLEN" or "IP/MASK" (a CIDR
// mask), nothing after. The prefix length returned is the IPv4 one (0-32).
func parseCIDR4(s string) (Addr, int, bool) {
	ip, rest, ok := scanIPv4(s)
	if !ok {
		return Addr{}, 0, false
	}
	plen := 32
	if strings.HasPrefix(rest, "/") {
		if m, r2, ok := scanIPv4(rest[1:]); ok {
			v := m.V4()
			n := 0
			for v&0x80000000 != 0 {
				n++
				v <<= 1
			}
			if v != 0 {
				return Addr{}, 0, false // CIDR network required
			}
			plen, rest = n, r2
		} else if p, r2, ok := scanUint(rest[1:], 10); ok && int64(p) >= 0 && p <= 32 {
			plen, rest = int(p), r2
		} else {
			return Addr{}, 0, false
		}
	}
	if rest != "" {
		return Addr{}, 0, false
	}
	return ip, plen, true
}

// parseCIDR6 is OVS's ipv6_parse_cidr: "IP6", "IP6/PLEN" or "IP6/MASK".
func parseCIDR6(s string) (Addr, int, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	n := 0
	for n < len(s) && n < 46 && strings.IndexByte("0123456789abcdefABCDEF:.", s[n]) >= 0 {
		n++
	}
	ip, ok := parse6(s[:n])
	if !ok {
		return Addr{}, 0, false
	}
	rest := s[n:]
	plen := 128
	if strings.HasPrefix(rest, "/") {
		if p, r2, ok := scanUint(rest[1:], 10); ok {
			if int64(p) < 0 || p > 128 {
				return Addr{}, 0, false
			}
			plen, rest = int(p), r2
		} else {
			m := 0
			r := rest[1:]
			for m < len(r) && m < 46 && strings.IndexByte("0123456789abcdefABCDEF:.", r[m]) >= 0 {
				m++
			}
			mk, ok := parse6(r[:m])
			if !ok {
				return Addr{}, 0, false
			}
			plen = ones(mk)
			if mask(plen) != mk {
				return Addr{}, 0, false
			}
			rest = r[m:]
		}
	}
	if rest != "" {
		return Addr{}, 0, false
	}
	return ip, plen, true
}

// scanMark is ovs_scan(s, "pkt_mark=%"SCNi32): trailing text is ignored.
func scanMark(s string) (uint32, bool) {
	rest, ok := strings.CutPrefix(s, "pkt_mark=")
	if !ok {
		return 0, false
	}
	v, _, ok := scanUint(rest, 0)
	return uint32(v), ok
}
