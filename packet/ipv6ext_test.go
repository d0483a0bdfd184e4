package packet_test

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// The walkers WalkIPv6 replaced, kept as slow references: refParseChain is
// Parse's loop, refQuotedChain the loop conntrack's key extraction and NAT
// each had for the datagram quoted in an ICMPv6 error.

// refParseChain walks the chain of the IPv6 packet at d[off:] (d ending at
// the packet's end) as Parse did: it returns the upper-layer protocol, its
// offset and the FragAny/FragLater bits, and false for a malformed chain.
func refParseChain(d []byte, off int) (nh uint8, p int, frag uint64, ok bool) {
	end := len(d)
	nh = d[off+6]
	p = off + 40
	for i := 0; ; i++ {
		if nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44 {
			break
		}
		if i == packet.MaxIPv6ExtHeaders || end-p < 8 {
			return 0, 0, 0, false
		}
		next := d[p]
		var l int
		switch nh {
		case 51:
			l = (int(d[p+1]) + 2) * 4
		case 44:
			l = 8
		default:
			l = (int(d[p+1]) + 1) * 8
		}
		if end-p < l {
			return 0, 0, 0, false
		}
		if nh == 44 {
			if offlg := binary.BigEndian.Uint16(d[p+2:]); offlg != 0 {
				frag = packet.FragAny
				if offlg&0xfff8 != 0 {
					frag |= packet.FragLater
					next = 44
				}
			}
		}
		p += l
		nh = next
		if frag&packet.FragLater != 0 {
			break
		}
	}
	return nh, p, frag, true
}

// refQuotedChain is the quoted-datagram walk of ct's extractIPv6 and nat's
// findQuote.
func refQuotedChain(b []byte) (uint8, int, bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return 0, 0, false
	}
	nh := b[6]
	p := 40
	for i := 0; ; i++ {
		switch nh {
		case 0, 43, 60, 51, 44:
		default:
			return nh, p, true
		}
		if i == 10 || len(b)-p < 8 {
			return 0, 0, false
		}
		next := b[p]
		var l int
		switch nh {
		case 51:
			l = (int(b[p+1]) + 2) * 4
		case 44:
			if binary.BigEndian.Uint16(b[p+2:])&0xfff9 != 0 {
				return 0, 0, false
			}
			l = 8
		default:
			l = (int(b[p+1]) + 1) * 8
		}
		if len(b)-p < l {
			return 0, 0, false
		}
		p += l
		nh = next
	}
}

// parseChain is what Parse now takes from WalkIPv6.
func parseChain(d []byte, off int) (uint8, int, uint64, bool) {
	nh, p := d[off+6], off+40
	if !packet.IsIPv6ExtHeader(nh) {
		return nh, p, 0, true
	}
	c, ok := packet.WalkIPv6(d, off, packet.MaxIPv6ExtHeaders)
	if !ok {
		return 0, 0, 0, false
	}
	var frag uint64
	if c.FragBits != 0 {
		frag = packet.FragAny
		if c.FragBits&packet.IPv6FragOffsetMask != 0 {
			frag |= packet.FragLater
		}
	}
	return c.Proto, c.Off, frag, true
}

// checkChain compares WalkIPv6 with the references on the IPv6 packet at
// b[off:] (b ending at the packet's end), and checks the facts it reports.
func checkChain(t *testing.T, b []byte, off int) {
	t.Helper()
	if off < 0 || len(b)-off < 40 {
		if _, ok := packet.WalkIPv6(b, off, packet.MaxIPv6ExtHeaders); ok {
			t.Fatalf("walk of %d bytes at %d succeeded", len(b), off)
		}
		return
	}
	rp, ro, rf, rok := refParseChain(b, off)
	np, no, nf, nok := parseChain(b, off)
	if rp != np || ro != no || rf != nf || rok != nok {
		t.Fatalf("Parse's walk: got %d@%d frag %x ok %v, reference %d@%d frag %x ok %v (% x)",
			np, no, nf, nok, rp, ro, rf, rok, b[off:])
	}
	qp, qo, qok := refQuotedChain(b[off:])
	np, no, nok = packet.QuotedIPv6L4(b[off:])
	if qp != np || qo != no || qok != nok {
		t.Fatalf("quoted walk: got %d@%d ok %v, reference %d@%d ok %v (% x)", np, no, nok, qp, qo, qok, b[off:])
	}
	for _, max := range []int{0, 1, packet.MaxIPv6ExtHeaders, 1 << 20} {
		c, ok := packet.WalkIPv6(b, off, max)
		if ok && (c.Off > len(b) || c.Off < off+40 || packet.IsIPv6ExtHeader(c.Proto) && c.Proto != packet.ProtoFragment) {
			t.Fatalf("max %d: walk ended at %d@%d of %d", max, c.Proto, c.Off, len(b))
		}
		if c.Frag != 0 {
			if c.Frag < off+40 || c.Frag+8 > len(b) || b[c.FragPrev] != packet.ProtoFragment || c.FragBits == 0 && binary.BigEndian.Uint16(b[c.Frag+2:]) != 0 {
				t.Fatalf("max %d: fragment header at %d named at %d", max, c.Frag, c.FragPrev)
			}
		}
		if c.AH != 0 && (c.AH < off+40 || c.AH+8 > len(b)) {
			t.Fatalf("max %d: AH at %d", max, c.AH)
		}
	}
}

// extChain builds an IPv6 header (payload length covering the rest) with
// the given extension headers and an 8-byte UDP header after them; each
// header is given as protocol and length in bytes.
func extChain(hdrs ...[2]int) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	nh := &b[6]
	for _, h := range hdrs {
		p := len(b)
		*nh = byte(h[0])
		b = append(b, make([]byte, h[1])...)
		switch h[0] {
		case packet.ProtoAH:
			b[p+1] = byte(h[1]/4 - 2)
		case packet.ProtoFragment:
		default:
			b[p+1] = byte(h[1]/8 - 1)
		}
		nh = &b[p]
	}
	*nh = packet.ProtoUDP
	b = append(b, make([]byte, 8)...)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40))
	return b
}

func ipv6ChainSeeds() [][]byte {
	hop, rt, dst := [2]int{packet.ProtoHopOpts, 8}, [2]int{packet.ProtoRouting, 24}, [2]int{packet.ProtoDstOpts, 16}
	ah, fr := [2]int{packet.ProtoAH, 12}, [2]int{packet.ProtoFragment, 8}
	var out [][]byte
	out = append(out,
		extChain(),
		extChain(hop),
		extChain(hop, rt, dst, ah),
		extChain(fr),
		extChain(hop, fr, dst),
		extChain(fr, fr),
		extChain(hop, hop, hop, hop, hop, hop, hop, hop),
		extChain(hop, hop, hop, hop, hop, hop, hop, hop, hop),
		extChain(dst, dst, dst, dst, dst, dst, dst, dst, dst, dst, dst),
	)
	// Fragment headers: first, later, atomic, reserved bits only.
	for _, offlg := range []uint16{1, 0x10, 0x11, 0, 6, 0xfff9} {
		b := extChain(hop, fr, dst)
		binary.BigEndian.PutUint16(b[48+2:], offlg)
		out = append(out, b)
		b = extChain(fr, fr)
		binary.BigEndian.PutUint16(b[48+2:], offlg)
		out = append(out, b)
	}
	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 80))
	for _, fr := range pkttest.Frag6(udp6, 32, 9) {
		out = append(out, fr[14:])
	}
	out = append(out, pkttest.ICMP6Error("2001:db8::1", "2001:db8::2", 2, 0, udp6)[14+48:])
	return out
}

func TestWalkIPv6(t *testing.T) {
	for _, b := range ipv6ChainSeeds() {
		for n := 0; n <= len(b); n++ {
			checkChain(t, b[:n], 0)
		}
	}
	hop, fr := [2]int{packet.ProtoHopOpts, 8}, [2]int{packet.ProtoFragment, 8}
	b := extChain(hop, fr)
	binary.BigEndian.PutUint16(b[48+2:], 0x0011) // offset 16, more
	c, ok := packet.WalkIPv6(b, 0, packet.MaxIPv6ExtHeaders)
	if !ok || c.Proto != packet.ProtoFragment || c.Off != 56 || c.Frag != 48 || c.FragPrev != 40 || c.FragBits != 0x11 || c.AH != 0 {
		t.Fatalf("later fragment: %+v %v", c, ok)
	}
	binary.BigEndian.PutUint16(b[48+2:], 1) // first fragment: walked on to UDP
	if c, ok = packet.WalkIPv6(b, 0, packet.MaxIPv6ExtHeaders); !ok || c.Proto != packet.ProtoUDP || c.Off != 56 || c.Frag != 48 {
		t.Fatalf("first fragment: %+v %v", c, ok)
	}
	if c, ok = packet.WalkIPv6(b[:52], 0, packet.MaxIPv6ExtHeaders); ok || c.Frag != 0 {
		t.Fatalf("cut fragment header: %+v %v", c, ok)
	}
	if _, ok = packet.WalkIPv6(b, 0, 1); ok {
		t.Fatal("two headers walked with a limit of one")
	}
	if c, ok = packet.WalkIPv6(b, 0, 2); !ok {
		t.Fatal("two headers refused with a limit of two")
	}
}

func TestWalkIPv6Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 44))
	seeds := ipv6ChainSeeds()
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		for j := rng.IntN(4); j > 0; j-- {
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		}
		if rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b)+1)]
		}
		checkChain(t, b, 0)
	}
}

// FuzzWalkIPv6: WalkIPv6 never panics, whatever the bytes and offset, and
// agrees with the walkers it replaced.
func FuzzWalkIPv6(f *testing.F) {
	for _, b := range ipv6ChainSeeds() {
		f.Add(b, uint8(0))
		f.Add(append(make([]byte, 14), b...), uint8(14))
	}
	f.Fuzz(func(t *testing.T, b []byte, off uint8) {
		checkChain(t, b, int(off))
		for _, l3 := range []int{-1, len(b) - 40, len(b)} {
			packet.WalkIPv6(b, l3, packet.MaxIPv6ExtHeaders)
		}
	})
}
