package packet_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// refSum is a deliberately naive one's complement sum, independent of
// packet.Sum.
func refSum(b []byte, s uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return s
}

// verifyChecksums checks, with refSum, the IPv4 header checksum and the L4
// checksum of a parsed, non-fragmented packet. It returns "" when they are
// right.
func verifyChecksums(pk *packet.Packet) string {
	k := &pk.Key
	d := pk.Data
	if k.Flags&packet.FlagIPv4 != 0 {
		if refSum(d[k.L3:k.L4], 0) != 0xffff {
			return "ipv4 header checksum"
		}
	}
	if k.Flags&packet.FlagL4 == 0 || k.NwFrag() != 0 {
		return ""
	}
	var end int
	var pseudo uint32
	proto := k.NwProto()
	if k.Flags&packet.FlagIPv4 != 0 {
		end = int(k.L3) + int(binary.BigEndian.Uint16(d[k.L3+2:]))
		if proto != packet.ProtoICMP {
			pseudo = refSum(d[k.L3+12:k.L3+20], uint32(proto)+uint32(end-int(k.L4)))
		}
	} else {
		end = int(k.L3) + 40 + int(binary.BigEndian.Uint16(d[k.L3+4:]))
		pseudo = refSum(d[k.L3+8:k.L3+40], uint32(proto)+uint32(end-int(k.L4)))
	}
	l4 := d[k.L4:end]
	switch proto {
	case packet.ProtoSCTP:
		c := append([]byte(nil), l4...)
		copy(c[8:12], []byte{0, 0, 0, 0})
		if crc32.Checksum(c, crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(l4[8:]) {
			return "sctp crc"
		}
		return ""
	case packet.ProtoUDP:
		if binary.BigEndian.Uint16(l4[6:]) == 0 {
			return ""
		}
	case packet.ProtoTCP, packet.ProtoICMP, packet.ProtoICMPv6:
	default:
		return ""
	}
	if refSum(l4, pseudo) != 0xffff {
		return "l4 checksum"
	}
	return ""
}

func baseFrames() map[string][]byte {
	udp0 := pkttest.UDP4("198.51.100.1", "203.0.113.2", 53, 5353, []byte("no checksum"))
	udp0[14+20+6], udp0[14+20+7] = 0, 0
	return map[string][]byte{
		"tcp4":      pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, []byte("hello")),
		"udp4":      pkttest.UDP4("198.51.100.1", "203.0.113.2", 53, 5353, []byte("odd")),
		"udp4zero":  udp0,
		"sctp4":     pkttest.SCTP4("198.51.100.1", "203.0.113.2", 7, 9, []byte("abcd")),
		"icmp4":     pkttest.ICMP4Echo("198.51.100.1", "203.0.113.2", 7, 1, []byte("ping")),
		"icmp4err":  pkttest.ICMP4Error("203.0.113.9", "198.51.100.1", 3, 3, pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil)),
		"tcp6":      pkttest.TCP6("2001:db8::1", "2001:db8::2", 1, 2, "S", 0, 0, nil),
		"udp6":      pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, []byte("x")),
		"sctp6":     pkttest.SCTP6("2001:db8::1", "2001:db8::2", 7, 9, []byte("abcd")),
		"icmp6":     pkttest.ICMP6Echo("2001:db8::1", "2001:db8::2", 1, 1, nil),
		"ns":        pkttest.NS("2001:db8::1", "ff02::1:ff00:9", "2001:db8::9", pkttest.MAC1),
		"na":        pkttest.NA("2001:db8::9", "2001:db8::1", "2001:db8::9", pkttest.MAC3, 0x60),
		"arp":       pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"),
		"vlan-tcp4": pkttest.VLAN(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil), 0x2064),
		"qinq-udp6": pkttest.QinQ(pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, nil), 10, 20),
		"frag4":     pkttest.Frag4(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, make([]byte, 64)), 32)[0],
		"frag4b":    pkttest.Frag4(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, make([]byte, 64)), 32)[1],
		"mpls-udp4": pkttest.MPLS(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil), packet.EthTypeMPLS, pkttest.LSE(100, 5, true, 63)),
		"mpls2-vlan": pkttest.VLAN(pkttest.MPLS(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil),
			packet.EthTypeMPLSMC, pkttest.LSE(7, 1, false, 9), pkttest.LSE(0xfffff, 7, true, 255)), 0x0123),
		"nsh-md1": pkttest.NSH(pkttest.NSHHeader{Flags: 2, TTL: 63, MDType: 1, NP: 3, SPI: 0x123456, SI: 255,
			C: [4]uint32{0x11111111, 0x22222222, 0x33333333, 0x44444444}}, pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil)),
		"nsh-md2": pkttest.NSH(pkttest.NSHHeader{Flags: 1, TTL: 5, MDType: 2, NP: 1, SPI: 0xabcdef, SI: 7,
			MD: []byte{0, 1, 2, 4, 0xde, 0xad, 0xbe, 0xef}}, pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil)[14:]),
	}
}

// TestSetFieldAll writes every Header field of the registry, with random
// values and masks, into every base frame, and checks that: SetField
// changes nothing when it reports false; otherwise the maintained Key
// equals a fresh Parse of the rewritten frame, the field reads back as
// written, and every checksum still verifies with a full recompute.
func TestSetFieldAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	done := map[packet.FieldID]bool{}
	frames := baseFrames()
	ran := 0 // frames whose subtest ran (-run may select some)
	for name, frame := range frames {
		t.Run(name, func(t *testing.T) {
			ran++
			for f := packet.FieldID(1); f < packet.NumFields; f++ {
				if !packet.Fields[f].Header {
					continue
				}
				for i := 0; i < 20; i++ {
					pk := pkttest.Parsed(frame)
					if s := verifyChecksums(pk); s != "" {
						t.Fatalf("%s: base frame: %s", name, s)
					}
					v := packet.U128{Hi: rng.Uint64(), Lo: rng.Uint64()}
					mask := packet.Ones(128)
					if i%2 == 1 {
						mask = packet.U128{Hi: rng.Uint64(), Lo: rng.Uint64()}
					}
					before := pk.Key
					data := append([]byte(nil), pk.Data...)
					old := pk.Key.W.Get(f)
					if !pk.SetField(f, v, mask) {
						if pk.Key != before || !bytes.Equal(pk.Data, data) {
							t.Fatalf("%s %s: false but changed", name, f)
						}
						continue
					}
					done[f] = true
					ctx := name + " " + f.String()
					q := packet.New(pk.Data)
					q.Key.W = pk.Key.W // metadata
					packet.Parse(q)
					// nd_options_type rewrites the first option's type byte, so
					// a re-parse may see other link-layer options; OVS's flow
					// keeps the written value and the rest, as the Key does.
					// nsh_flags and nsh_ttl keep 8 bits in the key, as OVS's
					// flow does; the wire has 2 and 6. nsh_c1..c4 of another MD
					// type than 1 change the key alone.
					kk := pk.Key
					kk.W.Set(packet.FieldNSHFlags, kk.W.Get(packet.FieldNSHFlags).And(packet.U128{Lo: 3}))
					kk.W.Set(packet.FieldNSHTTL, kk.W.Get(packet.FieldNSHTTL).And(packet.U128{Lo: 0x3f}))
					if kk.W.Get(packet.FieldNSHMdType).Lo != 1 { // OVS writes MD type 1's context only
						for c := packet.FieldNSHC1; c <= packet.FieldNSHC4; c++ {
							kk.W.Set(c, packet.U128{})
						}
					}
					if kk.EthType() != packet.EthTypeNSH {
						kk = pk.Key
					}
					if f != packet.FieldNdOptionsType && q.Key != kk {
						t.Fatalf("%s: key differs from re-parse\n got %x\nwant %x", ctx, pk.Key.W[20:], q.Key.W[20:])
					}
					if s := verifyChecksums(pk); s != "" {
						t.Fatalf("%s (v=%x mask=%x): %s", ctx, v, mask, s)
					}
					if err := pkttest.VerifyChecksums(pk.Data); err != nil {
						t.Fatalf("%s (v=%x mask=%x): gopacket-based check: %v", ctx, v, mask, err)
					}
					if f == packet.FieldVlanTCI || f == packet.FieldICMPv6Type || f == packet.FieldICMPv6Code {
						continue // push/pop or re-parse: covered by the key check
					}
					w := packet.Ones(packet.Fields[f].Bits)
					m, vv := mask.And(w), v.And(mask).And(w)
					if f == packet.FieldVlanVID {
						m.Lo &= 0xfff
						vv.Lo &= 0xfff
					}
					if got, exp := pk.Key.W.Get(f), old.AndNot(m).Or(vv); got != exp {
						t.Fatalf("%s: reads %x, want %x", ctx, got, exp)
					}
				}
			}
		})
	}
	if ran < len(frames) {
		return // not every frame ran: the coverage check below needs all
	}
	for f := packet.FieldID(1); f < packet.NumFields; f++ {
		if packet.Fields[f].Header && !done[f] {
			t.Errorf("%s never succeeded", f)
		}
	}
}

func TestSetFieldPrereqs(t *testing.T) {
	fr := baseFrames()
	u := func(x uint64) packet.U128 { return packet.U128{Lo: x} }
	all := packet.Ones(128)
	cases := []struct {
		frame string
		f     packet.FieldID
		ok    bool
	}{
		{"tcp4", packet.FieldIPv4Src, true},
		{"tcp4", packet.FieldTCPDst, true},
		{"tcp4", packet.FieldUDPDst, false},
		{"tcp4", packet.FieldIPv6Src, false},
		{"tcp4", packet.FieldVlanVID, false},
		{"tcp4", packet.FieldVlanPCP, false},
		{"tcp4", packet.FieldARPSpa, false},
		{"tcp4", packet.FieldICMPType, false},
		{"icmp6", packet.FieldICMPType, false},
		{"icmp6", packet.FieldICMPv6Type, true},
		{"icmp4", packet.FieldICMPv6Type, false},
		{"arp", packet.FieldIPv4Src, false},
		{"arp", packet.FieldARPSpa, true},
		{"ns", packet.FieldNdSll, true},
		{"ns", packet.FieldNdTll, false},
		{"na", packet.FieldNdTll, true},
		{"na", packet.FieldNdSll, false},
		{"icmp6", packet.FieldNdTarget, false},
		{"frag4b", packet.FieldUDPSrc, false},
		{"frag4b", packet.FieldIPv4Dst, true},
		{"vlan-tcp4", packet.FieldVlanPCP, true},
		{"tcp4", packet.FieldEthType, false}, // not a Header field
		{"tcp4", packet.FieldInPort, false},
		{"tcp4", packet.FieldInvalid, false},
		{"tcp4", packet.NumFields, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.frame, c.f), func(t *testing.T) {
			pk := pkttest.Parsed(fr[c.frame])
			if got := pk.SetField(c.f, u(1), all); got != c.ok {
				t.Errorf("%s %v: got %v", c.frame, c.f, got)
			}
		})
	}
	// NS without a source link-layer option: nd_sll cannot be written.
	pk := pkttest.Parsed(pkttest.NS("2001:db8::1", "2001:db8::2", "2001:db8::9", nil))
	if pk.SetField(packet.FieldNdSll, u(1), all) {
		t.Error("nd_sll without option")
	}
}

func TestVLANRewrite(t *testing.T) {
	tcp4 := pkttest.TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil)
	pk := pkttest.Parsed(tcp4)
	u := func(x uint64) packet.U128 { return packet.U128{Lo: x} }
	// set vlan_tci with CFI on untagged: pushes.
	if !pk.SetField(packet.FieldVlanTCI, u(0x1000|0x2005), u(0xffff)) {
		t.Fatal("push via vlan_tci")
	}
	if !bytes.Equal(pk.Data, pkttest.VLAN(tcp4, 0x2005)) {
		t.Fatalf("pushed frame\n%x\n%x", pk.Data, pkttest.VLAN(tcp4, 0x2005))
	}
	if pk.Key.VlanTCI() != 0x3005 || pk.Key.L3 != 18 {
		t.Fatalf("key after push: tci %x l3 %d", pk.Key.VlanTCI(), pk.Key.L3)
	}
	// vlan_vid rewrite keeps PCP.
	pk.SetField(packet.FieldVlanVID, u(0x1000|77), u(0x1fff))
	if !bytes.Equal(pk.Data, pkttest.VLAN(tcp4, 0x2000|77)) {
		t.Fatal("vid rewrite")
	}
	pk.SetField(packet.FieldVlanPCP, u(7), u(7))
	if !bytes.Equal(pk.Data, pkttest.VLAN(tcp4, 0xe000|77)) {
		t.Fatal("pcp rewrite")
	}
	// Push an outer 802.1ad tag, then pop twice.
	if !pk.PushVLAN(packet.EthTypeQinQ, 5) || !bytes.Equal(pk.Data, pkttest.Tag(pkttest.VLAN(tcp4, 0xe000|77), 0x88a8, 5)) {
		t.Fatal("push qinq")
	}
	if pk.Key.VlanTCI() != 0x1005 || pk.Key.L3 != 22 || pk.Key.L4 != 42 {
		t.Fatalf("qinq key: %x %d", pk.Key.VlanTCI(), pk.Key.L3)
	}
	if !pk.PopVLAN() || pk.Key.VlanTCI() != 0xf000|77 || pk.Key.L3 != 18 {
		t.Fatalf("pop 1: %x", pk.Key.VlanTCI())
	}
	if !pk.SetField(packet.FieldVlanTCI, u(0), u(0xffff)) || !bytes.Equal(pk.Data, tcp4) || pk.Key.VlanTCI() != 0 {
		t.Fatal("pop via vlan_tci=0")
	}
	if pk.PopVLAN() {
		t.Fatal("pop untagged")
	}
	want := pkttest.Parsed(tcp4).Key
	if pk.Key != want {
		t.Fatalf("key after round trip\n%+v\n%+v", pk.Key, want)
	}
	// A third tag is malformed, as on receive; popping it recovers.
	pk.PushVLAN(0x8100, 1)
	pk.PushVLAN(0x8100, 2)
	pk.PushVLAN(0x8100, 3)
	if pk.Key.Flags&packet.FlagMalformed == 0 {
		t.Fatal("3 tags not malformed")
	}
	pk.PopVLAN()
	if pk.Key.Flags&packet.FlagMalformed != 0 || pk.Key.VlanTCI() != 0x1002 || pk.Key.L4 != 42 {
		t.Fatalf("after pop of third: %+v", pk.Key)
	}
}

func TestDecTTL(t *testing.T) {
	for _, c := range []struct {
		name string
		fr   []byte
	}{
		{"tcp4", pkttest.TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil)},
		{"udp6", pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			pk := pkttest.Parsed(c.fr)
			for ttl := 64; ttl > 1; ttl-- {
				if !pk.DecTTL() {
					t.Fatalf("DecTTL at %d", ttl)
				}
			}
			if pk.Key.NwTTL() != 1 || pk.DecTTL() || pk.Key.NwTTL() != 1 {
				t.Fatalf("ttl %d", pk.Key.NwTTL())
			}
			if s := verifyChecksums(pk); s != "" {
				t.Fatal(s)
			}
			q := pkttest.Parsed(pk.Data)
			if q.Key != pk.Key {
				t.Fatal("key")
			}
			pk.SetTTL(0)
			if pk.DecTTL() {
				t.Fatal("ttl 0")
			}
			pk.SetTTL(200)
			if pk.Key.NwTTL() != 200 || verifyChecksums(pk) != "" {
				t.Fatal("SetTTL")
			}
		})
	}
	arp := pkttest.Parsed(pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"))
	if !arp.DecTTL() || arp.SetTTL(3) {
		t.Fatal("non-IP")
	}
}

// makePartial turns a parsed TCP/UDP packet's checksum into a partial one,
// as a virtio-net sender would hand it to us.
func makePartial(pk *packet.Packet, csumOff int) {
	k := &pk.Key
	proto := k.NwProto()
	var end int
	var ps uint32
	if k.Flags&packet.FlagIPv4 != 0 {
		end = int(k.L3) + int(binary.BigEndian.Uint16(pk.Data[k.L3+2:]))
		ps = packet.PseudoSum4(k.IPv4Src(), k.IPv4Dst(), proto, uint16(end-int(k.L4)))
	} else {
		end = int(k.L3) + 40 + int(binary.BigEndian.Uint16(pk.Data[k.L3+4:]))
		ps = packet.PseudoSum6(pk.Data[k.L3+8:k.L3+24], pk.Data[k.L3+24:k.L3+40], proto, uint32(end-int(k.L4)))
	}
	binary.BigEndian.PutUint16(pk.Data[int(k.L4)+csumOff:], packet.Fold(ps))
	k.Flags |= packet.FlagCsumPartial
	pk.Off.CsumStart = k.L4
	pk.Off.CsumOffset = uint16(csumOff)
}

func TestPartialChecksum(t *testing.T) {
	u := func(x uint64) packet.U128 { return packet.U128{Lo: x} }
	all := packet.Ones(128)
	frames := []struct {
		name  string
		frame []byte
		off   int
	}{
		{"tcp4", pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, []byte("hello")), 16},
		{"udp4", pkttest.UDP4("198.51.100.1", "203.0.113.2", 1234, 80, []byte("hello!")), 6},
		{"tcp6", pkttest.TCP6("2001:db8::1", "2001:db8::2", 1234, 80, "PA", 1, 2, []byte("hello")), 16},
		{"udp6", pkttest.UDP6("2001:db8::1", "2001:db8::2", 1234, 80, []byte("hello")), 6},
	}
	for i, fr := range frames {
		t.Run(fr.name, func(t *testing.T) {
			full := pkttest.Parsed(fr.frame)
			part := pkttest.Parsed(fr.frame)
			makePartial(part, fr.off)
			if !part.L4ChecksumOK() {
				t.Fatal("partial should be trusted")
			}
			ops := func(pk *packet.Packet) {
				if pk.Key.Flags&packet.FlagIPv4 != 0 {
					pk.SetField(packet.FieldIPv4Src, u(0xcb007101), all)
					pk.SetField(packet.FieldIPv4Dst, u(0xc6336402), u(0xffff))
					pk.DecTTL()
				} else {
					pk.SetField(packet.FieldIPv6Dst, packet.U128{Hi: 0x20010db8_00000000, Lo: 0xabcd}, all)
				}
				pk.SetField(packet.FieldTCPSrc, u(4321), all)
				pk.SetField(packet.FieldUDPDst, u(9999), all)
				pk.PushVLAN(0x8100, 42)
			}
			ops(full)
			ops(part)
			if part.Key.Flags&packet.FlagCsumPartial == 0 || int(part.Off.CsumStart) != int(part.Key.L4) {
				t.Fatalf("%d: offload offsets not kept", i)
			}
			if !packet.CompletePartialChecksum(part) {
				t.Fatalf("%d: CompletePartialChecksum", i)
			}
			if part.Key.Flags&packet.FlagCsumPartial != 0 || packet.CompletePartialChecksum(part) {
				t.Fatal("flag not cleared")
			}
			if s := verifyChecksums(part); s != "" {
				t.Fatalf("%d: finished partial: %s", i, s)
			}
			if !bytes.Equal(part.Data, full.Data) {
				t.Fatalf("%d: partial path differs from full path\n%x\n%x", i, part.Data, full.Data)
			}
		})
	}
	// RecomputeL4Checksum also completes a partial checksum.
	pk := pkttest.Parsed(frames[0].frame)
	makePartial(pk, 16)
	if !pk.RecomputeL4Checksum() || pk.Key.Flags&packet.FlagCsumPartial != 0 || verifyChecksums(pk) != "" {
		t.Fatal("RecomputeL4Checksum on partial")
	}
}

func TestChecksumHelpers(t *testing.T) {
	for name, fr := range baseFrames() {
		t.Run(name, func(t *testing.T) {
			pk := pkttest.Parsed(fr)
			wantOK := pk.Key.Flags&packet.FlagL4 != 0 && pk.Key.NwFrag() == 0 && pk.Key.EthType() != packet.EthTypeARP
			if got := pk.L4ChecksumOK(); got != wantOK {
				t.Errorf("%s: L4ChecksumOK %v", name, got)
			}
			if !wantOK {
				return
			}
			orig := append([]byte(nil), pk.Data...)
			pk.Data[pk.Key.L7-1] ^= 0x5a // corrupt the last L4 header byte
			if name != "udp4zero" && pk.L4ChecksumOK() {
				t.Errorf("%s: corrupted packet verifies", name)
			}
			pk.RecomputeL4Checksum()
			if !pk.L4ChecksumOK() || verifyChecksums(pk) != "" {
				t.Errorf("%s: recompute", name)
			}
			copy(pk.Data, orig)
			if !pk.RecomputeL4Checksum() || !bytes.Equal(pk.Data, orig) {
				t.Errorf("%s: recompute changed a right checksum", name)
			}
			if pk.Key.Flags&packet.FlagIPv4 != 0 {
				pk.Data[pk.Key.L3+10] ^= 1
				packet.Parse(pk)
				if pk.IPv4HeaderChecksumOK() || pk.Key.Flags&packet.FlagBadIPCsum == 0 {
					t.Errorf("%s: bad ip csum not seen", name)
				}
				pk.RecomputeIPv4Checksum()
				if !bytes.Equal(pk.Data, orig) || !pk.IPv4HeaderChecksumOK() {
					t.Errorf("%s: RecomputeIPv4Checksum", name)
				}
			}
		})
	}
}

func TestUDPZeroChecksum(t *testing.T) {
	pk := pkttest.Parsed(baseFrames()["udp4zero"])
	pk.SetField(packet.FieldIPv4Src, packet.U128{Lo: 0x01020304}, packet.Ones(32))
	pk.SetField(packet.FieldUDPSrc, packet.U128{Lo: 7}, packet.Ones(16))
	if c := binary.BigEndian.Uint16(pk.Data[14+20+6:]); c != 0 {
		t.Fatalf("UDP no-checksum became %#x", c)
	}
	pk.RecomputeL4Checksum()
	if c := binary.BigEndian.Uint16(pk.Data[14+20+6:]); c != 0 {
		t.Fatalf("recompute of no-checksum gave %#x", c)
	}

	// Find a UDP packet whose checksum computes to 0: it must be sent as
	// 0xffff, by full and incremental computation alike.
	base := pkttest.Parsed(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, []byte{0, 0}))
	for x := 0; x < 0x10000; x++ {
		pk := pkttest.Parsed(base.Data)
		binary.BigEndian.PutUint16(pk.Data[42:], uint16(x))
		pk.Data[40], pk.Data[41] = 0, 0
		c := ^packet.Fold(packet.Sum(pk.Data[34:44], packet.PseudoSum4(pk.Key.IPv4Src(), pk.Key.IPv4Dst(), 17, 10)))
		if c != 0 {
			continue
		}
		pk.Data[41] = 1 // any non-zero value: a checksum is present
		pk.RecomputeL4Checksum()
		if got := binary.BigEndian.Uint16(pk.Data[40:]); got != 0xffff {
			t.Fatalf("computed 0 stored as %#x", got)
		}
		// Incremental: reach the same packet from a neighbour by a port
		// change.
		q := pkttest.Parsed(pkttest.UDP4("198.51.100.1", "203.0.113.2", 5, 2, []byte{byte(x >> 8), byte(x)}))
		q.SetField(packet.FieldUDPSrc, packet.U128{Lo: 1}, packet.Ones(16))
		if got := binary.BigEndian.Uint16(q.Data[40:]); got != 0xffff {
			t.Fatalf("incremental 0 stored as %#x", got)
		}
		return
	}
	t.Fatal("no zero-checksum packet found")
}

func TestSCTPPortRewrite(t *testing.T) {
	pk := pkttest.Parsed(pkttest.SCTP4("198.51.100.1", "203.0.113.2", 7, 9, []byte("payload")))
	pk.SetField(packet.FieldSCTPDst, packet.U128{Lo: 4000}, packet.Ones(16))
	if !pk.L4ChecksumOK() || pk.Key.TpDst() != 4000 {
		t.Fatal("sctp crc after port rewrite")
	}
	want := pkttest.Parsed(pkttest.SCTP4("198.51.100.1", "203.0.113.2", 7, 4000, []byte("payload")))
	if !bytes.Equal(pk.Data, want.Data) {
		t.Fatal("sctp frame differs from a built one")
	}
}

func TestVLANKeepsOffload(t *testing.T) {
	pk := pkttest.Parsed(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, []byte("data")))
	makePartial(pk, 16)
	pk.Off.HdrLen = pk.Key.L7
	for i := 1; i <= 3; i++ {
		if !pk.PushVLAN(packet.EthTypeVLAN, uint16(i)) {
			t.Fatal("push")
		}
		if int(pk.Off.CsumStart) != 14+4*i+20 || int(pk.Off.HdrLen) != 14+4*i+40 {
			t.Fatalf("after push %d: csum_start %d hdr_len %d", i, pk.Off.CsumStart, pk.Off.HdrLen)
		}
	}
	for i := 2; i >= 0; i-- {
		if !pk.PopVLAN() {
			t.Fatal("pop")
		}
		if int(pk.Off.CsumStart) != 14+4*i+20 || pk.Key.Flags&packet.FlagMalformed != 0 || pk.Key.L4 != pk.Off.CsumStart {
			t.Fatalf("after pop to %d tags: csum_start %d L4 %d flags %x", i, pk.Off.CsumStart, pk.Key.L4, pk.Key.Flags)
		}
	}
	if !packet.CompletePartialChecksum(pk) || pkttest.VerifyChecksums(pk.Data) != nil {
		t.Fatal("checksum after push/pop")
	}
}
