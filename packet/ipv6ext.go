package packet

// The IPv6 extension header chain (RFC 8200 section 4), walked in one
// place. Parse, conntrack's key extraction and NAT (for the datagram quoted
// in an ICMPv6 error), fragment reassembly and the ports' offload code all
// call WalkIPv6; each takes the facts it needs from the one result and
// applies its own policy (how long a chain it accepts, what it does with a
// Fragment header or an Authentication Header).

// IPv6 extension header protocol numbers (Next Header values) the walker
// steps over.
const (
	ProtoHopOpts  = 0
	ProtoRouting  = 43
	ProtoFragment = 44
	ProtoAH       = 51
	ProtoDstOpts  = 60
)

// Fields of the second 16-bit word of an IPv6 Fragment header (the
// "offset/flags" word, ip6f_offlg): the fragment offset in 8-byte units in
// the top 13 bits, two reserved bits, and the M (more fragments) flag.
const (
	IPv6FragOffsetMask = 0xfff8
	IPv6FragMore       = 0x0001
	// IPv6FragNotAtomic is set in the word of a Fragment header that
	// describes a real fragment: one with an offset or more to come. A
	// Fragment header with neither is an atomic fragment (RFC 6946), a
	// whole datagram.
	IPv6FragNotAtomic = IPv6FragOffsetMask | IPv6FragMore
)

// MaxQuotedIPv6ExtHeaders bounds the extension header chain of the
// datagram quoted in an ICMPv6 error (QuotedIPv6L4).
const MaxQuotedIPv6ExtHeaders = 10

// ipv6ExtHeaderSet has bit p set for each extension header protocol p
// (all are below 64).
const ipv6ExtHeaderSet = 1<<ProtoHopOpts | 1<<ProtoRouting | 1<<ProtoFragment |
	1<<ProtoAH | 1<<ProtoDstOpts

// IsIPv6ExtHeader reports whether Next Header value p names an extension
// header that WalkIPv6 steps over (hop-by-hop options, routing, fragment,
// authentication, destination options).
func IsIPv6ExtHeader(p uint8) bool { return p < 64 && ipv6ExtHeaderSet&(uint64(1)<<p) != 0 }

// IPv6Chain is what WalkIPv6 learned about an IPv6 packet's extension
// header chain. Offsets are indexes into the slice that was walked.
type IPv6Chain struct {
	// Proto and Off are the Next Header value where the walk ended and
	// the offset of that header: the upper-layer protocol and the L4
	// offset. After the Fragment header of a later fragment (non-zero
	// offset) the walk ends there with Proto ProtoFragment and Off the
	// offset of the fragment's data, as OVS reports such a packet. Valid
	// when WalkIPv6 returned true.
	Proto uint8
	Off   int
	// FragBits is the OR of the offset/flags words of every Fragment
	// header walked (IPv6FragOffsetMask, IPv6FragMore); 0 when none was.
	FragBits uint16
	// Frag is the offset of the first Fragment header walked and
	// FragPrev that of the Next Header byte that names it (in the fixed
	// header or in the extension header before it); both 0 when no
	// Fragment header was walked. The 8 bytes at Frag are inside the
	// walked slice. Everything before Frag is the unfragmentable part.
	Frag, FragPrev int
	// AH is the offset of the first Authentication Header walked, 0 if
	// none was.
	AH int
}

// WalkIPv6 walks the extension header chain of the IPv6 packet whose fixed
// 40-byte header is at b[l3:]; b must end where the packet ends (at the end
// of its payload, or of the quoted bytes inside an ICMPv6 error). It steps
// over at most maxHeaders extension headers and stops at the first header
// that is not one (IsIPv6ExtHeader) or after the Fragment header of a
// later fragment.
//
// It returns false when the fixed header is not all inside b, when an
// extension header does not fit in b, or when there are more than
// maxHeaders of them. The fields of c other than Proto and Off hold what
// was found up to that point even then (a Fragment header before the fault
// is reported). WalkIPv6 checks every bound itself: it never panics and
// never allocates, whatever b holds.
func WalkIPv6(b []byte, l3, maxHeaders int) (c IPv6Chain, ok bool) {
	ok = c.Walk(b, l3, maxHeaders)
	return c, ok
}

// Walk is WalkIPv6 writing into c, which must be zero; it returns
// WalkIPv6's ok. Parse calls it on a chain on its own stack, which costs
// less than WalkIPv6's copy of the result on the per-packet path.
func (c *IPv6Chain) Walk(b []byte, l3, maxHeaders int) bool {
	if l3 < 0 || len(b)-l3 < 40 {
		return false
	}
	nh := b[l3+6]
	prev := l3 + 6
	p := l3 + 40
	for n := 0; IsIPv6ExtHeader(nh); n++ {
		if n == maxHeaders || len(b)-p < 8 {
			return false
		}
		var l int
		switch nh {
		case ProtoAH:
			// RFC 4302: Payload Len in 4-octet units, minus 2.
			l = (int(b[p+1]) + 2) * 4
		case ProtoFragment:
			l = 8
		default:
			// RFC 8200: Hdr Ext Len in 8-octet units, not counting the
			// first 8 octets.
			l = (int(b[p+1]) + 1) * 8
		}
		if len(b)-p < l {
			return false
		}
		switch nh {
		case ProtoAH:
			if c.AH == 0 {
				c.AH = p
			}
		case ProtoFragment:
			offlg := be.Uint16(b[p+2:])
			if c.Frag == 0 {
				c.Frag, c.FragPrev = p, prev
			}
			c.FragBits |= offlg
			if offlg&IPv6FragOffsetMask != 0 {
				// A later fragment: what follows is the fragment's
				// data, not headers.
				c.Proto, c.Off = ProtoFragment, p+8
				return true
			}
		}
		nh = b[p]
		prev = p
		p += l
	}
	c.Proto, c.Off = nh, p
	return true
}

// QuotedIPv6L4 finds the L4 header of the IPv6 datagram quoted in an
// ICMPv6 error; b runs from the quoted IPv6 header to the end of the error
// message. It returns the upper-layer protocol and its offset in b, and
// false when the version is not 6, the extension header chain is longer
// than MaxQuotedIPv6ExtHeaders or cut short, or the datagram is a fragment
// (an atomic fragment is accepted). The L4 header itself is not checked.
func QuotedIPv6L4(b []byte) (proto uint8, l4 int, ok bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return 0, 0, false
	}
	c, ok := WalkIPv6(b, 0, MaxQuotedIPv6ExtHeaders)
	if !ok || c.FragBits&IPv6FragNotAtomic != 0 {
		return 0, 0, false
	}
	return c.Proto, c.Off, true
}
