package nat

import (
	"bytes"
	"encoding/binary"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// params reads fuzz parameters from b, zero when b runs out.
type params struct{ b []byte }

func (p *params) u8() uint8 {
	if len(p.b) == 0 {
		return 0
	}
	v := p.b[0]
	p.b = p.b[1:]
	return v
}

func (p *params) u16() uint16 { return uint16(p.u8())<<8 | uint16(p.u8()) }

// rangeFrom builds a valid (or, rarely, mismatched-family) range from p.
func rangeFrom(p *params, v6 bool) *Range {
	c := p.u8()
	r := &Range{Kind: Src}
	if c&1 != 0 {
		r.Kind = Dst
	}
	r.Persistent = c&2 != 0
	r.Random = c&4 != 0
	r.Hash = !r.Random && c&8 != 0
	if c&16 == 0 {
		r.HasAddr = true
		r.V6 = v6 != (c&128 != 0 && c&64 != 0)
		base := u128{0x20010db800020000, uint64(p.u16())}
		if !r.V6 {
			base = u128{0, 0xcb007100 | uint64(p.u8())}
		}
		base.store(&r.AddrMin, r.V6)
		base.add(uint64(p.u8()%12)).store(&r.AddrMax, r.V6)
		if !r.V6 && binaryLess(r.AddrMax[:4], r.AddrMin[:4]) {
			r.AddrMax = r.AddrMin
		}
		if c&32 != 0 {
			lo := p.u16() | 1
			hi := lo + uint16(p.u8())
			if hi < lo {
				hi = 0xffff
			}
			r.HasPorts, r.PortMin, r.PortMax = true, lo, hi
		}
	}
	return r
}

func binaryLess(a, b []byte) bool { return string(a) < string(b) }

// FuzzSelect: random ranges, tuples and tables; invariants: the chosen
// reply tuple is free, valid for the range, found within MaxProbes, and
// found whenever the reference search space (exhaustive for small SNAT
// ranges) has a free tuple.
func FuzzSelect(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, uint64(1))
	f.Add([]byte{32, 9, 3, 0x4e, 0x20, 99, 17, 0, 80, 0xff}, uint64(2))
	f.Add([]byte{33, 9, 3, 0x1f, 0x90, 0, 6, 0x9c, 0x40, 0, 80, 0x80}, uint64(3))
	f.Add([]byte{16, 0, 0, 0, 0, 1, 6, 0x01, 0xbb, 0, 80, 0xff}, uint64(4))
	f.Add([]byte{2 | 32, 1, 5, 0, 100, 20, 1, 0, 7, 0, 7, 0xf0}, uint64(5))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		p := &params{in}
		v6 := p.u8()&1 != 0
		r := rangeFrom(p, v6)
		protos := []uint8{protoTCP, protoUDP, protoICMP, 47, protoSCTP}
		var orig Tuple
		if v6 {
			orig = tup(protoTCP, "2001:db8:1::10", 0, "2001:db8:2::5", 0)
		} else {
			orig = tup(protoTCP, "198.51.100.10", 0, "203.0.113.5", 0)
		}
		orig.Proto = protos[int(p.u8())%len(protos)]
		orig.SrcPort, orig.DstPort = p.u16(), p.u16()
		if orig.Proto == protoICMP {
			orig.IType = 8
			if v6 {
				orig.Proto, orig.IType = protoICMPv6, 128
			}
			orig.DstPort = orig.SrcPort
		}
		if orig.Proto == 47 {
			orig.SrcPort, orig.DstPort = 0, 0
		}
		if (orig.Proto == protoTCP || orig.Proto == protoUDP) && (orig.SrcPort == 0 || orig.DstPort == 0) {
			return // the tracker never has such tuples
		}
		fill := p.u8()
		tb := table{}
		exact := r.Kind == Src && r.HasAddr && r.HasPorts && !r.Persistent && r.V6 == v6 &&
			r.PortMax-r.PortMin < maxPortAttempts && orig.Proto != protoSCTP && addrCount(r) <= MaxAddrTries
		var cands []Tuple
		if exact {
			cands = candidates(r, &orig)
		} else if r.HasAddr && r.V6 == v6 && addrCount(r) <= MaxAddrTries {
			cands = candidates(&Range{Kind: Src, V6: r.V6, AddrMin: r.AddrMin, AddrMax: r.AddrMax, PortMin: 1, PortMax: 64}, &orig)
		}
		free := 0
		for i, c := range cands {
			if uint8(i*37+int(seed)) < fill {
				tb[c] = true
			} else {
				free++
			}
		}
		calls := 0
		reply, ok := Select(r, &orig, func(x Tuple) bool { calls++; return tb[x] }, seed)
		if calls > MaxProbes {
			t.Fatalf("%d probes", calls)
		}
		if r.HasAddr && r.V6 != v6 {
			if ok {
				t.Fatal("selected with a range of the other family")
			}
			return
		}
		if exact && ok != (free > 0) {
			t.Fatalf("ok=%v with %d free candidates", ok, free)
		}
		if !ok {
			return
		}
		if tb[reply] {
			t.Fatalf("reply %v in use", reply)
		}
		valid(t, r, &orig, &reply)
	})
}

func fuzzSeedFrames(f *testing.F) {
	for _, c := range natCases() {
		fr := buildF(c.orig, []byte("seed"))
		f.Add(fr, []byte{0, 1})
		f.Add(fr, []byte{4, 1})
		f.Add(fr, []byte{1, 33, 0x10, 3, 0x20, 0x00, 5})
		f.Add(pkttest.VLAN(fr, 100), []byte{0x20, 0x40})
		rp := c.orig.Reverse()
		f.Add(pkttest.ICMP4Error("203.0.113.254", "203.0.113.100", 3, 3, buildF(rp, []byte("q"))), []byte{2, 0})
		f.Add(pkttest.ICMP6Error("2001:db8:2::fe", "2001:db8:2::100", 1, 4, buildF(rp, []byte("q"))), []byte{3, 9})
		f.Add(pkttest.ICMP4ErrorN("203.0.113.254", "203.0.113.100", 3, 3, buildF(rp, nil), 30), []byte{2, 1})
	}
	for _, fr := range pkttest.Frag4(pkttest.UDP4("198.51.100.10", "203.0.113.5", 1, 2, make([]byte, 100)), 48) {
		f.Add(fr, []byte{0})
	}
}

// buildF is build without a testing.T (for seeds).
func buildF(x Tuple, payload []byte) []byte {
	s, d := x.SrcAddr().String(), x.DstAddr().String()
	switch {
	case x.Proto == protoTCP && x.V6:
		return pkttest.TCP6(s, d, x.SrcPort, x.DstPort, "PA", 1, 2, payload)
	case x.Proto == protoTCP:
		return pkttest.TCP4(s, d, x.SrcPort, x.DstPort, "PA", 1, 2, payload)
	case x.Proto == protoUDP && x.V6:
		return pkttest.UDP6(s, d, x.SrcPort, x.DstPort, payload)
	case x.Proto == protoUDP:
		return pkttest.UDP4(s, d, x.SrcPort, x.DstPort, payload)
	case x.Proto == protoSCTP && x.V6:
		return pkttest.SCTP6(s, d, x.SrcPort, x.DstPort, payload)
	case x.Proto == protoSCTP:
		return pkttest.SCTP4(s, d, x.SrcPort, x.DstPort, payload)
	case x.Proto == protoICMPv6:
		return pkttest.ICMP6Echo(s, d, x.SrcPort, 1, payload)
	}
	return pkttest.ICMP4Echo(s, d, x.SrcPort, 1, payload)
}

// packetTuple reads pk's tuple like tupleOf, reporting false for a packet
// without an IP header.
func packetTuple(pk *packet.Packet) (Tuple, bool) {
	k := &pk.Key
	d := pk.Data
	l3, l4 := int(k.L3), int(k.L4)
	var x Tuple
	switch {
	case k.Flags&packet.FlagIPv4 != 0 && l3+20 <= len(d):
		copy(x.Src[:4], d[l3+12:])
		copy(x.Dst[:4], d[l3+16:])
	case k.Flags&packet.FlagIPv6 != 0 && l3+40 <= len(d):
		x.V6 = true
		copy(x.Src[:], d[l3+8:])
		copy(x.Dst[:], d[l3+24:])
	default:
		return x, false
	}
	x.Proto = k.NwProto()
	if k.Flags&packet.FlagL4 == 0 || l4+8 > len(d) {
		return x, true
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
	return x, true
}

// keyFresh reports whether pk.Key is what parsing its frame again gives.
func keyFresh(pk *packet.Packet) bool {
	fresh := packet.New(pk.Data)
	fresh.Key.Flags = pk.Key.Flags & packet.FlagCsumPartial
	packet.Parse(fresh)
	return fresh.Key == pk.Key
}

// FuzzRewrite: any frame, any range. Apply (or ApplyRelated for ICMP
// errors) never panics; on error the frame is unchanged; on success the
// key matches a fresh parse, the packet carries the translated tuple, and
// checksums that verified before verify after.
func FuzzRewrite(f *testing.F) {
	fuzzSeedFrames(f)
	f.Fuzz(func(t *testing.T, frame, in []byte) {
		pk := packet.New(frame)
		packet.Parse(pk)
		p := &params{in}
		c := p.u8()
		dir := Dir(c & 1)
		x, ok := packetTuple(pk)
		if !ok {
			return
		}
		okBefore := pkttest.VerifyChecksums(pk.Data) == nil
		before := bytes.Clone(pk.Data)
		r := rangeFrom(p, x.V6)
		k := &pk.Key
		isErr := k.Flags&packet.FlagL4 != 0 && (x.Proto == protoICMP && !x.V6 || x.Proto == protoICMPv6 && x.V6) &&
			!icmpIsQuery(x.V6, x.IType)
		if c&2 != 0 || isErr {
			// Related path: the quote becomes other, taken from the fuzz
			// input over whatever the quote holds.
			var other Tuple
			other.V6 = x.V6
			if r.Kind == Src {
				other = tup(protoTCP, "198.51.100.10", p.u16(), "203.0.113.5", p.u16())
			} else {
				other = tup(protoTCP, "203.0.113.5", p.u16(), "198.51.100.10", p.u16())
			}
			if x.V6 {
				other.V6 = true
				other.Src, other.Dst = a6("2001:db8:1::10"), a6("2001:db8:2::5")
			}
			protos := []uint8{protoTCP, protoUDP, protoICMP, protoSCTP, 47}
			other.Proto = protos[int(p.u8())%len(protos)]
			if other.Proto == protoICMP && other.V6 {
				other.Proto = protoICMPv6
			}
			if other.Proto == protoICMP || other.Proto == protoICMPv6 {
				other.IType = p.u8()
				other.DstPort = other.SrcPort
			}
			err := ApplyRelated(pk, r.Kind, dir, &other)
			if err != nil {
				if !bytes.Equal(before, pk.Data) {
					t.Fatalf("error %v but the frame changed", err)
				}
				return
			}
			if !keyFresh(pk) {
				t.Fatal("key out of date after ApplyRelated")
			}
			if okBefore {
				if err := pkttest.VerifyChecksums(pk.Data); err != nil {
					t.Fatalf("checksums after ApplyRelated: %v", err)
				}
			}
			q := quoteTupleRaw(pk)
			if srcSide(r.Kind, dir) {
				if q.Dst != other.Dst {
					t.Fatalf("quote %v, other %v", q, other)
				}
			} else if q.Src != other.Src {
				t.Fatalf("quote %v, other %v", q, other)
			}
			return
		}
		if x.Proto == protoTCP || x.Proto == protoUDP {
			if x.SrcPort == 0 || x.DstPort == 0 {
				return
			}
		}
		reply, ok := Select(r, &x, never, 1)
		if !ok {
			return
		}
		partial := false
		if c&4 != 0 && okBefore && k.Flags&packet.FlagL4 != 0 && k.NwFrag() == 0 &&
			(x.Proto == protoTCP || x.Proto == protoUDP || x.Proto == protoICMPv6 && x.V6) {
			// Hand the checksum over as an offloaded partial one.
			makePartial(pk)
			before = bytes.Clone(pk.Data)
			partial = true
		}
		err := Apply(pk, r.Kind, Orig, &reply)
		if err != nil {
			if !bytes.Equal(before, pk.Data) {
				t.Fatalf("error %v but the frame changed", err)
			}
			return
		}
		if !keyFresh(pk) {
			t.Fatalf("key out of date after Apply: %s", pkttest.Summary(pk.Data))
		}
		if partial && !packet.CompletePartialChecksum(pk) {
			t.Fatal("CompletePartialChecksum")
		}
		if okBefore {
			if err := pkttest.VerifyChecksums(pk.Data); err != nil {
				t.Fatalf("checksums after Apply: %v: %s", err, pkttest.Summary(pk.Data))
			}
		}
		got, _ := packetTuple(pk)
		want := reply.Reverse()
		if k.NwFrag() != 0 || k.Flags&packet.FlagL4 == 0 || x.Proto == protoSCTP && x.SrcPort|x.DstPort == 0 {
			// No (complete) L4 header: only the address.
			want.SrcPort, want.DstPort, want.IType = got.SrcPort, got.DstPort, got.IType
		}
		if got != want {
			t.Fatalf("translated to %v, want %v", got, want)
		}
	})
}

// quoteTupleRaw reads the addresses of an ICMP error's quote after a
// successful ApplyRelated (which checked the bounds).
func quoteTupleRaw(pk *packet.Packet) Tuple {
	d := pk.Data
	q := int(pk.Key.L4) + 8
	var x Tuple
	if pk.Key.Flags&packet.FlagIPv6 != 0 {
		copy(x.Src[:], d[q+8:])
		copy(x.Dst[:], d[q+24:])
	} else {
		copy(x.Src[:4], d[q+12:])
		copy(x.Dst[:4], d[q+16:])
	}
	return x
}
