package nat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// tupleOf reads a packet's tuple from its frame (test-side extraction, as
// the tracker's: addresses, ports or ICMP query id, type).
func tupleOf(t testing.TB, pk *packet.Packet) Tuple {
	t.Helper()
	k := &pk.Key
	d := pk.Data
	l3, l4 := int(k.L3), int(k.L4)
	var x Tuple
	switch {
	case k.Flags&packet.FlagIPv4 != 0:
		copy(x.Src[:4], d[l3+12:])
		copy(x.Dst[:4], d[l3+16:])
	case k.Flags&packet.FlagIPv6 != 0:
		x.V6 = true
		copy(x.Src[:], d[l3+8:])
		copy(x.Dst[:], d[l3+24:])
	default:
		t.Fatalf("not IP: %s", pkttest.Summary(d))
	}
	x.Proto = k.NwProto()
	if k.Flags&packet.FlagL4 == 0 {
		return x
	}
	switch x.Proto {
	case protoTCP, protoUDP, protoSCTP:
		x.SrcPort, x.DstPort = binary.BigEndian.Uint16(d[l4:]), binary.BigEndian.Uint16(d[l4+2:])
	case protoICMP, protoICMPv6:
		x.IType = d[l4]
		if icmpIsQuery(x.V6, x.IType) {
			id := binary.BigEndian.Uint16(d[l4+4:])
			x.SrcPort, x.DstPort = id, id
		}
	}
	return x
}

func parsed(frame []byte) *packet.Packet { return pkttest.Parsed(frame) }

// checkPacket verifies the frame's checksums independently and that
// pk.Key is what a fresh parse of the frame gives.
func checkPacket(t *testing.T, pk *packet.Packet) {
	t.Helper()
	if err := pkttest.VerifyChecksums(pk.Data); err != nil {
		t.Fatalf("checksums: %v: %s", err, pkttest.Summary(pk.Data))
	}
	fresh := packet.New(pk.Data)
	fresh.Key.Flags = pk.Key.Flags & packet.FlagCsumPartial
	packet.Parse(fresh)
	if fresh.Key != pk.Key {
		t.Fatalf("key out of date:\n got %+v\nwant %+v", pk.Key, fresh.Key)
	}
}

// build makes the frame of a tuple (as a packet going from t.Src to t.Dst).
func build(t *testing.T, x Tuple, payload []byte) []byte {
	t.Helper()
	s, d := x.SrcAddr().String(), x.DstAddr().String()
	switch x.Proto {
	case protoTCP:
		if x.V6 {
			return pkttest.TCP6(s, d, x.SrcPort, x.DstPort, "PA", 1000, 2000, payload)
		}
		return pkttest.TCP4(s, d, x.SrcPort, x.DstPort, "PA", 1000, 2000, payload)
	case protoUDP:
		if x.V6 {
			return pkttest.UDP6(s, d, x.SrcPort, x.DstPort, payload)
		}
		return pkttest.UDP4(s, d, x.SrcPort, x.DstPort, payload)
	case protoSCTP:
		if x.V6 {
			return pkttest.SCTP6(s, d, x.SrcPort, x.DstPort, payload)
		}
		return pkttest.SCTP4(s, d, x.SrcPort, x.DstPort, payload)
	case protoICMP:
		if x.IType == 0 {
			return pkttest.ICMP4EchoReply(s, d, x.SrcPort, 9, payload)
		}
		return pkttest.ICMP4Echo(s, d, x.SrcPort, 9, payload)
	case protoICMPv6:
		if x.IType == 129 {
			return pkttest.ICMP6EchoReply(s, d, x.SrcPort, 9, payload)
		}
		return pkttest.ICMP6Echo(s, d, x.SrcPort, 9, payload)
	}
	t.Fatalf("no builder for %v", x)
	return nil
}

type natCase struct {
	name string
	r    *Range
	orig Tuple
}

func natCases() []natCase {
	snat4 := rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)
	snat6 := rng(Src, "2001:db8:2::100", "2001:db8:2::101", 20000, 20099)
	dnat4 := rng(Dst, "198.51.100.10", "198.51.100.10", 8080, 8080)
	dnat6 := rng(Dst, "2001:db8:1::10", "2001:db8:1::10", 8080, 8080)
	return []natCase{
		{"snat tcp4", snat4, tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 80)},
		{"snat udp4", snat4, tup(protoUDP, "198.51.100.10", 40000, "203.0.113.5", 53)},
		{"snat icmp4", snat4, echo("198.51.100.10", "203.0.113.5", 4242)},
		{"snat sctp4", snat4, tup(protoSCTP, "198.51.100.10", 40000, "203.0.113.5", 9)},
		{"snat tcp6", snat6, tup(protoTCP, "2001:db8:1::10", 40000, "2001:db8:2::5", 80)},
		{"snat udp6", snat6, tup(protoUDP, "2001:db8:1::10", 40000, "2001:db8:2::5", 53)},
		{"snat icmp6", snat6, echo("2001:db8:1::10", "2001:db8:2::5", 4242)},
		{"snat addr only tcp4", rng(Src, "203.0.113.100", "203.0.113.100", 0, 0), tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 80)},
		{"dnat tcp4", dnat4, tup(protoTCP, "203.0.113.5", 40000, "203.0.113.100", 80)},
		{"dnat udp4", dnat4, tup(protoUDP, "203.0.113.5", 40000, "203.0.113.100", 80)},
		{"dnat icmp4", rng(Dst, "198.51.100.10", "198.51.100.10", 0, 0), echo("203.0.113.5", "203.0.113.100", 7)},
		{"dnat tcp6", dnat6, tup(protoTCP, "2001:db8:2::5", 40000, "2001:db8:2::100", 80)},
		{"dnat udp6", dnat6, tup(protoUDP, "2001:db8:2::5", 40000, "2001:db8:2::100", 80)},
		{"dnat icmp6", rng(Dst, "2001:db8:1::10", "2001:db8:1::10", 0, 0), echo("2001:db8:2::5", "2001:db8:2::100", 7)},
	}
}

// TestApply translates both directions of connections and checks the
// frames with an independent checksum verifier and a fresh parse.
func TestApply(t *testing.T) {
	payload := []byte("hello, translated world!")
	for _, c := range natCases() {
		t.Run(c.name, func(t *testing.T) {
			orig := c.orig
			reply, ok := Select(c.r, &orig, never, 11)
			if !ok {
				t.Fatal("select failed")
			}
			// Original direction: becomes reply reversed.
			pk := parsed(build(t, orig, payload))
			if err := Apply(pk, c.r.Kind, Orig, &reply); err != nil {
				t.Fatal(err)
			}
			checkPacket(t, pk)
			if got, want := tupleOf(t, pk), reply.Reverse(); got != want {
				t.Fatalf("orig: got %v, want %v", got, want)
			}
			// Reply direction: becomes orig reversed.
			pk = parsed(build(t, reply, payload))
			if err := Apply(pk, c.r.Kind, Reply, &orig); err != nil {
				t.Fatal(err)
			}
			checkPacket(t, pk)
			if got, want := tupleOf(t, pk), orig.Reverse(); got != want {
				t.Fatalf("reply: got %v, want %v", got, want)
			}
		})
	}
}

// TestApplyUDPZero: a UDP/IPv4 datagram without checksum stays without.
func TestApplyUDPZero(t *testing.T) {
	orig := tup(protoUDP, "198.51.100.10", 40000, "203.0.113.5", 53)
	reply, _ := Select(rng(Src, "203.0.113.100", "203.0.113.100", 20000, 20099), &orig, never, 1)
	pk := parsed(build(t, orig, []byte("x")))
	l4 := int(pk.Key.L4)
	pk.Data[l4+6], pk.Data[l4+7] = 0, 0
	if err := Apply(pk, Src, Orig, &reply); err != nil {
		t.Fatal(err)
	}
	if binary.BigEndian.Uint16(pk.Data[l4+6:]) != 0 {
		t.Fatal("zero UDP checksum was filled in")
	}
	checkPacket(t, pk)
}

// makePartial turns pk's complete L4 checksum into an offloaded partial
// one, as a virtio-net port would hand it over.
func makePartial(pk *packet.Packet) {
	k := &pk.Key
	l3, l4 := int(k.L3), int(k.L4)
	d := pk.Data
	var off int
	switch k.NwProto() {
	case protoTCP:
		off = l4 + 16
	case protoUDP:
		off = l4 + 6
	default:
		off = l4 + 2
	}
	var end int
	var sum uint32
	if k.Flags&packet.FlagIPv6 != 0 {
		end = l3 + 40 + int(binary.BigEndian.Uint16(d[l3+4:]))
		sum = packet.PseudoSum6(d[l3+8:l3+24], d[l3+24:l3+40], k.NwProto(), uint32(end-l4))
	} else {
		end = l3 + int(binary.BigEndian.Uint16(d[l3+2:]))
		sum = packet.PseudoSum4(binary.BigEndian.Uint32(d[l3+12:]), binary.BigEndian.Uint32(d[l3+16:]), k.NwProto(), uint16(end-l4))
	}
	binary.BigEndian.PutUint16(d[off:], packet.Fold(sum))
	k.Flags |= packet.FlagCsumPartial
	pk.Off.CsumStart, pk.Off.CsumOffset = uint16(l4), uint16(off-l4)
}

// TestApplyPartial: partial (offloaded) checksums stay partial and finish
// to the right value.
func TestApplyPartial(t *testing.T) {
	for _, c := range natCases() {
		if c.orig.Proto == protoSCTP || c.orig.Proto == protoICMP {
			continue // no pseudo-header offload for these
		}
		t.Run(c.name, func(t *testing.T) {
			orig := c.orig
			reply, _ := Select(c.r, &orig, never, 11)
			for dir, other := range map[Dir]*Tuple{Orig: &reply, Reply: &orig} {
				from := orig
				if dir == Reply {
					from = reply
				}
				pk := parsed(build(t, from, []byte("partial")))
				makePartial(pk)
				if err := Apply(pk, c.r.Kind, dir, other); err != nil {
					t.Fatal(err)
				}
				if pk.Key.Flags&packet.FlagCsumPartial == 0 {
					t.Fatal("partial flag lost")
				}
				if !packet.CompletePartialChecksum(pk) {
					t.Fatal("CompletePartialChecksum")
				}
				checkPacket(t, pk)
				if got, want := tupleOf(t, pk), other.Reverse(); got != want {
					t.Fatalf("got %v, want %v", got, want)
				}
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	orig := tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 80)
	reply, _ := Select(rng(Src, "203.0.113.100", "203.0.113.100", 0, 0), &orig, never, 1)
	frame := build(t, orig, nil)
	for _, c := range []struct {
		name  string
		frame []byte
		k     Kind
		other Tuple
		want  error
	}{
		{"kind", frame, None, reply, ErrKind},
		{"family", frame, Src, tup(protoTCP, "2001:db8::1", 1, "2001:db8::2", 2), ErrFamily},
		{"proto", frame, Src, tup(protoUDP, "203.0.113.5", 80, "203.0.113.100", 40000), ErrProto},
		{"arp", pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"), Src, reply, ErrFamily},
	} {
		t.Run(c.name, func(t *testing.T) {
			pk := parsed(c.frame)
			before := bytes.Clone(pk.Data)
			if err := Apply(pk, c.k, Orig, &c.other); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
			if !bytes.Equal(before, pk.Data) {
				t.Errorf("%s: frame changed on error", c.name)
			}
		})
	}
}

func TestState(t *testing.T) {
	if State(Src, Orig) != packet.CsSNAT || State(Src, Reply) != packet.CsDNAT ||
		State(Dst, Orig) != packet.CsDNAT || State(Dst, Reply) != packet.CsSNAT {
		t.Fatal("State")
	}
}

// TestApplyNoAllocs: the established-path rewrite allocates nothing.
func TestApplyNoAllocs(t *testing.T) {
	orig := tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 80)
	reply, _ := Select(rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099), &orig, never, 1)
	frame := build(t, orig, make([]byte, 64))
	pk := parsed(frame)
	n := testing.AllocsPerRun(200, func() {
		copy(pk.Data, frame)
		packet.Parse(pk)
		if Apply(pk, Src, Orig, &reply) != nil {
			panic("apply")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocs per Apply", n)
	}
	errFrame := pkttest.ICMP4Error("203.0.113.254", reply.DstAddr().String(), 3, 3, build(t, reply.Reverse(), make([]byte, 64)))
	epk := parsed(errFrame)
	if n := testing.AllocsPerRun(200, func() {
		copy(epk.Data, errFrame)
		packet.Parse(epk)
		if ApplyRelated(epk, Src, Reply, &orig) != nil {
			panic("apply related")
		}
	}); n != 0 {
		t.Fatalf("%v allocs per ApplyRelated", n)
	}
	tb := table{}
	r := rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)
	in := tb.inUse
	if n := testing.AllocsPerRun(200, func() { Select(r, &orig, in, 1) }); n != 0 {
		t.Fatalf("%v allocs per Select", n)
	}
}
