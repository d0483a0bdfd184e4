package nat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// quoteOf returns the datagram quoted by ICMP error pk (outer frame), as a
// standalone Ethernet frame so it can be parsed and verified.
func quoteOf(t *testing.T, pk *packet.Packet) []byte {
	t.Helper()
	d := pk.Data
	l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
	var end int
	if pk.Key.Flags&packet.FlagIPv6 != 0 {
		end = l3 + 40 + int(binary.BigEndian.Uint16(d[l3+4:]))
	} else {
		end = l3 + int(binary.BigEndian.Uint16(d[l3+2:]))
	}
	f := append([]byte(nil), d[:14]...)
	if pk.Key.Flags&packet.FlagIPv6 != 0 {
		binary.BigEndian.PutUint16(f[12:], packet.EthTypeIPv6)
	} else {
		binary.BigEndian.PutUint16(f[12:], packet.EthTypeIPv4)
	}
	return append(f, d[l4+8:end]...)
}

// quotedTuple reads the tuple of the datagram quoted by ICMP error pk
// straight from the bytes (the quote may be too short to parse).
func quotedTuple(t *testing.T, pk *packet.Packet) Tuple {
	t.Helper()
	d := pk.Data
	q := int(pk.Key.L4) + 8
	var x Tuple
	var l4 int
	if pk.Key.Flags&packet.FlagIPv6 != 0 {
		x.V6 = true
		copy(x.Src[:], d[q+8:])
		copy(x.Dst[:], d[q+24:])
		x.Proto = d[q+6]
		l4 = q + 40
	} else {
		copy(x.Src[:4], d[q+12:])
		copy(x.Dst[:4], d[q+16:])
		x.Proto = d[q+9]
		l4 = q + int(d[q]&0xf)*4
	}
	switch x.Proto {
	case protoTCP, protoUDP, protoSCTP:
		x.SrcPort, x.DstPort = binary.BigEndian.Uint16(d[l4:]), binary.BigEndian.Uint16(d[l4+2:])
	case protoICMP, protoICMPv6:
		x.IType = d[l4]
		id := binary.BigEndian.Uint16(d[l4+4:])
		x.SrcPort, x.DstPort = id, id
	}
	return x
}

func icmpError(t *testing.T, v6 bool, from, to string, quoted []byte, n int) []byte {
	t.Helper()
	if v6 {
		if n < 0 {
			return pkttest.ICMP6Error(from, to, 1, 4, quoted)
		}
		return pkttest.ICMP6ErrorN(from, to, 1, 4, quoted, n)
	}
	if n < 0 {
		return pkttest.ICMP4Error(from, to, 3, 3, quoted)
	}
	return pkttest.ICMP4ErrorN(from, to, 3, 3, quoted, n)
}

// TestApplyRelated: ICMP errors about translated packets, in both
// directions, for every protocol and family: the outer translated address,
// the quoted datagram's addresses, ports or id and all checksums (outer
// ICMP, quoted IPv4 header, quoted L4 when the quote is complete).
func TestApplyRelated(t *testing.T) {
	payload := []byte("payload quoted in full")
	router4, router6 := "203.0.113.254", "2001:db8:2::fe"
	for _, c := range natCases() {
		t.Run(c.name, func(t *testing.T) {
			orig := c.orig
			reply, ok := Select(c.r, &orig, never, 5)
			if !ok {
				t.Fatal("select")
			}
			router := router4
			if orig.V6 {
				router = router6
			}
			// The translated original-direction packet, as it left the
			// switch, meets a router that answers with an error. The error
			// goes to the packet's source: it travels in the reply
			// direction and quotes reply reversed.
			sent := build(t, reply.Reverse(), payload)
			back := reply.Reverse()
			for _, n := range []int{-1, 28 + 20, 48 + 20} {
				if n == 28+20 && orig.V6 || n == 48+20 && !orig.V6 {
					continue
				}
				errFrame := icmpError(t, orig.V6, router, back.SrcAddr().String(), sent, n)
				pk := parsed(errFrame)
				if err := ApplyRelated(pk, c.r.Kind, Reply, &orig); err != nil {
					t.Fatalf("quote %d: %v", n, err)
				}
				checkPacket(t, pk)
				out := tupleOf(t, pk)
				// SNAT: the destination goes back to the private source.
				// DNAT: the source becomes the public address the client
				// used (the router's address is replaced, as OVS and
				// Linux do).
				wantSrc := router
				if c.r.Kind == Dst {
					wantSrc = orig.DstAddr().String()
				}
				if out.Dst != orig.Src || out.SrcAddr().String() != wantSrc {
					t.Fatalf("outer %v: want %v -> %v", out, wantSrc, orig.SrcAddr())
				}
				if got := quotedTuple(t, pk); got != orig {
					t.Fatalf("quote %d: %v, want %v", n, got, orig)
				}
				if n < 0 && orig.Proto != protoSCTP {
					// A complete quote verifies on its own.
					if err := pkttest.VerifyChecksums(quoteOf(t, pk)); err != nil {
						t.Fatalf("quoted datagram: %v", err)
					}
				}
			}
			// A reply as delivered to the original sender, which answers
			// with an error: the error travels in the original direction
			// and quotes orig reversed.
			delivered := build(t, orig.Reverse(), payload)
			errFrame := icmpError(t, orig.V6, orig.SrcAddr().String(), orig.DstAddr().String(), delivered, -1)
			pk := parsed(errFrame)
			if err := ApplyRelated(pk, c.r.Kind, Orig, &reply); err != nil {
				t.Fatal(err)
			}
			checkPacket(t, pk)
			out := tupleOf(t, pk)
			if c.r.Kind == Src && (out.Src != reply.Dst || out.Dst != orig.Dst) ||
				c.r.Kind == Dst && (out.Src != orig.Src || out.Dst != reply.Src) {
				t.Fatalf("outer %v", out)
			}
			if got := quotedTuple(t, pk); got != reply {
				t.Fatalf("quote %v, want %v", got, reply)
			}
			if orig.Proto != protoSCTP {
				if err := pkttest.VerifyChecksums(quoteOf(t, pk)); err != nil {
					t.Fatalf("quoted datagram: %v", err)
				}
			}
		})
	}
}

// TestApplyRelatedTruncated: quotes cut anywhere before the end of the
// quoted L4 header's first 8 bytes are refused and leave the frame alone;
// longer cuts translate and verify.
func TestApplyRelatedTruncated(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(familyName(v6), func(t *testing.T) {
			orig := tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 80)
			r := rng(Src, "203.0.113.100", "203.0.113.100", 20000, 20099)
			router := "203.0.113.254"
			if v6 {
				orig = tup(protoTCP, "2001:db8:1::10", 40000, "2001:db8:2::5", 80)
				r = rng(Src, "2001:db8:2::100", "2001:db8:2::100", 20000, 20099)
				router = "2001:db8:2::fe"
			}
			reply, _ := Select(r, &orig, never, 1)
			sent := build(t, reply.Reverse(), []byte("0123456789"))
			hdr := 20
			if v6 {
				hdr = 40
			}
			for n := 0; n <= hdr+30; n++ {
				pk := parsed(icmpError(t, v6, router, reply.DstAddr().String(), sent, n))
				before := bytes.Clone(pk.Data)
				err := ApplyRelated(pk, Src, Reply, &orig)
				if n < hdr+8 {
					if !errors.Is(err, ErrQuote) {
						t.Fatalf("v6=%v quote of %d bytes: %v", v6, n, err)
					}
					if !bytes.Equal(before, pk.Data) {
						t.Fatalf("v6=%v quote of %d bytes: frame changed", v6, n)
					}
					continue
				}
				if err != nil {
					t.Fatalf("v6=%v quote of %d bytes: %v", v6, n, err)
				}
				checkPacket(t, pk)
				if got := quotedTuple(t, pk); got != orig {
					t.Fatalf("v6=%v n=%d quote %v", v6, n, got)
				}
			}
		})
	}
}

func TestApplyRelatedErrors(t *testing.T) {
	orig := tup(protoUDP, "198.51.100.10", 40000, "203.0.113.5", 53)
	reply, _ := Select(rng(Src, "203.0.113.100", "203.0.113.100", 0, 0), &orig, never, 1)
	sent := build(t, reply.Reverse(), nil)
	good := pkttest.ICMP4Error("203.0.113.254", "203.0.113.100", 3, 3, sent)
	// A quoted fragment.
	frag := bytes.Clone(good)
	binary.BigEndian.PutUint16(frag[14+28+6:], 0x2000)
	// A quoted IPv6 datagram in an ICMPv4 error.
	v6in4 := pkttest.ICMP4Error("203.0.113.254", "203.0.113.100", 3, 3, build(t, tup(protoUDP, "2001:db8::1", 1, "2001:db8::2", 2), nil))
	for _, c := range []struct {
		name  string
		frame []byte
		k     Kind
		other Tuple
		want  error
	}{
		{"kind", good, None, orig, ErrKind},
		{"not an error", sent, Src, orig, ErrNotError},
		{"echo", pkttest.ICMP4Echo("203.0.113.5", "203.0.113.100", 1, 1, nil), Src, orig, ErrNotError},
		{"family", good, Src, tup(protoUDP, "2001:db8::1", 1, "2001:db8::2", 2), ErrFamily},
		{"proto", good, Src, tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 53), ErrProto},
		{"quoted fragment", frag, Src, orig, ErrQuote},
		{"quoted v6 in v4", v6in4, Src, orig, ErrQuote},
	} {
		t.Run(c.name, func(t *testing.T) {
			pk := parsed(c.frame)
			before := bytes.Clone(pk.Data)
			if err := ApplyRelated(pk, c.k, Reply, &c.other); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
			if !bytes.Equal(before, pk.Data) {
				t.Errorf("%s: frame changed on error", c.name)
			}
		})
	}
}

// TestApplyRelatedOVSVector replays the frame of OVS's test "conntrack -
// ICMP related with NAT" style vector from tests/dpif-netdev.at (commit
// 71f3dd3e9): an ICMP port unreachable quoting a TCP SYN whose quoted
// source 192.168.123.1 becomes 192.168.1.1; our output must be OVS's byte
// for byte (outer destination, quoted source, quoted IPv4 and TCP
// checksums, outer ICMP checksum).
func TestApplyRelatedOVSVector(t *testing.T) {
	in := "0a8f393fe0738abf7e2f05840800450000440001000040010364c0a87b02c0a87b010303746c0000000045000028000100004006037bc0a87b01c0a87b021451d4780000000000000000500220002fc40000"
	want := "0a8f393fe0738abf7e2f05840800450000440001000040017d64c0a87b02c0a801010303fa6b00000000450000280001000040067d7bc0a80101c0a87b021451d478000000000000000050022000a9c40000"
	pk := parsed(unhex(t, in))
	// The quoted SYN went 192.168.123.1:5201 -> 192.168.123.2:54392 and
	// was DNATed to 192.168.1.1 (its original tuple 192.168.123.2:54392 ->
	// 192.168.1.1... reversed); the error from .2 to .1 travels in the
	// reply direction of a connection whose original tuple is what the
	// quote becomes.
	other := tup(protoTCP, "192.168.1.1", 5201, "192.168.123.2", 54392)
	if err := ApplyRelated(pk, Src, Reply, &other); err != nil {
		t.Fatal(err)
	}
	if got := hexs(pk.Data); got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c - 'a' + 10)
			}
		}
		b[i] = v
	}
	return b
}

func hexs(b []byte) string {
	const h = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, h[c>>4], h[c&15])
	}
	return string(s)
}

// TestApplyRelatedEcho: an error quoting a translated echo request gets
// its quoted identifier back.
func TestApplyRelatedEcho(t *testing.T) {
	for _, orig := range []Tuple{echo("198.51.100.10", "203.0.113.5", 99), echo("2001:db8:1::10", "2001:db8:2::5", 99)} {
		t.Run(familyName(orig.V6), func(t *testing.T) {
			r := rng(Src, "203.0.113.100", "203.0.113.100", 30000, 30009)
			router := "203.0.113.254"
			if orig.V6 {
				r = rng(Src, "2001:db8:2::100", "2001:db8:2::100", 30000, 30009)
				router = "2001:db8:2::fe"
			}
			reply, _ := Select(r, &orig, never, 1)
			sent := build(t, reply.Reverse(), []byte("ping"))
			pk := parsed(icmpError(t, orig.V6, router, reply.DstAddr().String(), sent, -1))
			if err := ApplyRelated(pk, Src, Reply, &orig); err != nil {
				t.Fatal(err)
			}
			checkPacket(t, pk)
			qf := quoteOf(t, pk)
			if got := quotedTuple(t, pk); got != orig {
				t.Fatalf("quote %v, want %v", got, orig)
			}
			if err := pkttest.VerifyChecksums(qf); err != nil {
				t.Fatal(err)
			}
		})
	}
}
