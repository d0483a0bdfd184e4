package packet_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

func a4(s string) uint64 {
	a := netip.MustParseAddr(s).As4()
	return uint64(binary.BigEndian.Uint32(a[:]))
}

func a6(s string) (uint64, uint64) {
	a := netip.MustParseAddr(s).As16()
	return binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
}

func mac(m []byte) uint64 {
	return uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 | uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

// want describes the expected parse of a frame: every header field that
// matters, plus flags and offsets.
type want struct {
	ethType  uint16
	vlan     uint16
	nwSrc    uint64 // ip_src/arp_spa (32 bits)
	nwDst    uint64
	v6src    [2]uint64
	v6dst    [2]uint64
	proto    uint8
	tos      uint8
	ttl      uint8
	frag     uint8
	label    uint32
	tpSrc    uint16
	tpDst    uint16
	tcpFlags uint16
	sha, tha uint64
	ndTarget [2]uint64
	flags    uint16
	l3, l4   uint16
	l7       uint16
}

func check(t *testing.T, name string, frame []byte, w want) {
	t.Helper()
	pk := pkttest.Parsed(frame)
	k := &pk.Key
	g := want{
		ethType: k.EthType(), vlan: k.VlanTCI(),
		nwSrc: uint64(k.IPv4Src()), nwDst: uint64(k.IPv4Dst()),
		v6src: [2]uint64{k.W[packet.WIPv6Src], k.W[packet.WIPv6Src+1]},
		v6dst: [2]uint64{k.W[packet.WIPv6Dst], k.W[packet.WIPv6Dst+1]},
		proto: k.NwProto(), tos: uint8(k.W[packet.WL3Misc] >> 16), ttl: k.NwTTL(), frag: k.NwFrag(),
		label: uint32(k.W[packet.WL3Misc] >> 32),
		tpSrc: k.TpSrc(), tpDst: k.TpDst(), tcpFlags: k.TCPFlags(),
		sha: k.W[packet.WArpSha] >> 16, tha: k.W[packet.WArpTha] >> 16,
		ndTarget: [2]uint64{k.W[packet.WNdTarget], k.W[packet.WNdTarget+1]},
		flags:    k.Flags, l3: k.L3, l4: k.L4, l7: k.L7,
	}
	if g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
	}
	if got := k.W[packet.WEthDst] >> 16; len(frame) >= 14 && got != mac(frame[0:6]) {
		t.Errorf("%s: eth_dst %x", name, got)
	}
	if got := k.W[packet.WEthSrc] >> 16; len(frame) >= 14 && got != mac(frame[6:12]) {
		t.Errorf("%s: eth_src %x", name, got)
	}
}

const (
	fIP4 = packet.FlagL3 | packet.FlagIPv4
	fIP6 = packet.FlagL3 | packet.FlagIPv6
	fL4  = packet.FlagL4
	fBad = packet.FlagMalformed
)

func TestParseProtocols(t *testing.T) {
	v6a, v6b := [2]uint64{}, [2]uint64{}
	v6a[0], v6a[1] = a6("2001:db8::1")
	v6b[0], v6b[1] = a6("2001:db8::2")
	tgt := [2]uint64{}
	tgt[0], tgt[1] = a6("2001:db8::9")

	tcp4 := pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "SA", 1, 2, []byte("hello"))
	udp4 := pkttest.UDP4("198.51.100.1", "203.0.113.2", 53, 5353, []byte("x"))
	ip4base := want{ethType: 0x800, nwSrc: a4("198.51.100.1"), nwDst: a4("203.0.113.2"), ttl: 64, l3: 14, l4: 34}

	w := ip4base
	w.proto, w.tpSrc, w.tpDst, w.tcpFlags, w.flags, w.l7 = 6, 1234, 80, 0x012, fIP4|fL4, 54
	check(t, "tcp4", tcp4, w)

	w = ip4base
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l7 = 17, 53, 5353, fIP4|fL4, 42
	check(t, "udp4", udp4, w)
	// Ethernet padding after the datagram is ignored.
	check(t, "udp4 padded", append(append([]byte(nil), udp4...), make([]byte, 20)...), w)

	w = ip4base
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l7 = 132, 7, 9, fIP4|fL4, 46
	check(t, "sctp4", pkttest.SCTP4("198.51.100.1", "203.0.113.2", 7, 9, []byte("abc")), w)

	w = ip4base
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l7 = 1, 8, 0, fIP4|fL4, 42
	check(t, "icmp4 echo", pkttest.ICMP4Echo("198.51.100.1", "203.0.113.2", 7, 1, nil), w)
	w.tpSrc, w.tpDst = 3, 3
	check(t, "icmp4 error", pkttest.ICMP4Error("198.51.100.1", "203.0.113.2", 3, 3, udp4), w)

	// VLAN: outer TCI with CFI, eth_type the inner one, offsets shifted.
	w = ip4base
	w.proto, w.tpSrc, w.tpDst, w.tcpFlags, w.flags = 6, 1234, 80, 0x012, fIP4|fL4
	w.vlan, w.l3, w.l4, w.l7 = 0x2005|packet.VlanCFI, 18, 38, 58
	check(t, "vlan tcp4", pkttest.VLAN(tcp4, 0x2005), w)
	w.vlan, w.l3, w.l4, w.l7 = 0x0064|packet.VlanCFI, 22, 42, 62
	check(t, "qinq tcp4", pkttest.QinQ(tcp4, 100, 200), w)
	// Three tags: too many.
	check(t, "3 tags", pkttest.Tag(pkttest.QinQ(tcp4, 100, 200), 0x8100, 300),
		want{ethType: 0x8100, vlan: 300 | packet.VlanCFI, flags: fBad})

	// ARP.
	check(t, "arp req", pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"),
		want{ethType: 0x806, nwSrc: a4("198.51.100.1"), nwDst: a4("198.51.100.2"), proto: 1, sha: mac(pkttest.MAC1), l3: 14})
	check(t, "arp reply", pkttest.ARPReply(pkttest.MAC2, "198.51.100.2", pkttest.MAC1, "198.51.100.1"),
		want{ethType: 0x806, nwSrc: a4("198.51.100.2"), nwDst: a4("198.51.100.1"), proto: 2,
			sha: mac(pkttest.MAC2), tha: mac(pkttest.MAC1), l3: 14})
	check(t, "arp short", pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2")[:30],
		want{ethType: 0x806, l3: 14, flags: fBad})

	// IPv6.
	ip6base := want{ethType: 0x86dd, v6src: v6a, v6dst: v6b, ttl: 64, l3: 14, l4: 54}
	w = ip6base
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l7 = 17, 1, 2, fIP6|fL4, 62
	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, []byte("zz"))
	check(t, "udp6", udp6, w)
	w = ip6base
	w.proto, w.tpSrc, w.tpDst, w.tcpFlags, w.flags, w.l7 = 6, 1, 2, 0x001, fIP6|fL4, 74
	check(t, "tcp6", pkttest.TCP6("2001:db8::1", "2001:db8::2", 1, 2, "F", 0, 0, nil), w)
	w = ip6base
	w.proto, w.tpSrc, w.flags, w.l7 = 58, 128, fIP6|fL4, 62
	check(t, "icmp6 echo", pkttest.ICMP6Echo("2001:db8::1", "2001:db8::2", 1, 1, nil), w)
	w.tpSrc, w.tpDst = 1, 4
	check(t, "icmp6 error", pkttest.ICMP6Error("2001:db8::1", "2001:db8::2", 1, 4, udp6), w)

	w = ip6base
	w.ttl, w.proto, w.tpSrc, w.flags, w.l7 = 255, 58, 135, fIP6|fL4, 62
	w.ndTarget, w.sha = tgt, mac(pkttest.MAC1)
	check(t, "ns", pkttest.NS("2001:db8::1", "2001:db8::2", "2001:db8::9", pkttest.MAC1), w)
	w.sha = 0
	check(t, "ns no sll", pkttest.NS("2001:db8::1", "2001:db8::2", "2001:db8::9", nil), w)
	w.tpSrc, w.tha = 136, mac(pkttest.MAC3)
	check(t, "na", pkttest.NA("2001:db8::1", "2001:db8::2", "2001:db8::9", pkttest.MAC3, 0x60), w)

	// Traffic class and flow label.
	tc := append([]byte(nil), udp6...)
	binary.BigEndian.PutUint32(tc[14:], 6<<28|0xb8<<20|0x12345)
	w = ip6base
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l7, w.tos, w.label = 17, 1, 2, fIP6|fL4, 62, 0xb8, 0x12345
	check(t, "ipv6 tc label", tc, w)

	// IPv4 TOS and options.
	opt := ipv4WithOptions(udp4, []byte{1, 1, 1, 0}) // NOP NOP NOP EOL
	w = ip4base
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l4, w.l7 = 17, 53, 5353, fIP4|fL4, 38, 46
	check(t, "ipv4 options", opt, w)
}

// ipv4WithOptions returns frame with IPv4 options inserted (len%4 == 0)
// and lengths and header checksum fixed.
func ipv4WithOptions(frame, opts []byte) []byte {
	f := append(append(append([]byte(nil), frame[:34]...), opts...), frame[34:]...)
	f[14] = 0x40 | byte((20+len(opts))/4)
	binary.BigEndian.PutUint16(f[16:], binary.BigEndian.Uint16(frame[16:])+uint16(len(opts)))
	fixIP4(f)
	return f
}

func fixIP4(f []byte) {
	ihl := int(f[14]&0xf) * 4
	f[24], f[25] = 0, 0
	binary.BigEndian.PutUint16(f[24:], packet.Checksum(f[14:14+ihl]))
}

func TestParseFragments(t *testing.T) {
	udp4 := pkttest.UDP4("198.51.100.1", "203.0.113.2", 53, 5353, make([]byte, 100))
	fr := pkttest.Frag4(udp4, 48)
	if len(fr) != 3 {
		t.Fatalf("Frag4: %d fragments", len(fr))
	}
	base := want{ethType: 0x800, nwSrc: a4("198.51.100.1"), nwDst: a4("203.0.113.2"), ttl: 64, l3: 14, l4: 34, proto: 17}
	w := base
	w.frag, w.tpSrc, w.tpDst, w.flags, w.l7 = packet.FragAny, 53, 5353, fIP4|fL4, 42
	check(t, "frag4 first", fr[0], w)
	w = base
	w.frag, w.flags = packet.FragAny|packet.FragLater, fIP4
	check(t, "frag4 middle", fr[1], w)
	check(t, "frag4 last", fr[2], w)

	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 100))
	fr6 := pkttest.Frag6(udp6, 48, 77)
	v6a, v6b := [2]uint64{}, [2]uint64{}
	v6a[0], v6a[1] = a6("2001:db8::1")
	v6b[0], v6b[1] = a6("2001:db8::2")
	base6 := want{ethType: 0x86dd, v6src: v6a, v6dst: v6b, ttl: 64, l3: 14, l4: 62}
	w = base6
	w.proto, w.frag, w.tpSrc, w.tpDst, w.flags, w.l7 = 17, packet.FragAny, 1, 2, fIP6|fL4, 70
	check(t, "frag6 first", fr6[0], w)
	w = base6
	w.proto, w.frag, w.flags = packet.ProtoFragment, packet.FragAny|packet.FragLater, fIP6
	check(t, "frag6 later", fr6[len(fr6)-1], w)
	// Atomic fragment (offset 0, M=0) is not a fragment.
	at := pkttest.Frag6(pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, nil), 1000, 1)
	w = base6
	w.proto, w.tpSrc, w.tpDst, w.flags, w.l7 = 17, 1, 2, fIP6|fL4, 70
	check(t, "atomic frag6", at[0], w)
}

func TestParseMalformed(t *testing.T) {
	tcp4 := pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "S", 1, 0, []byte("hello"))
	ip4 := want{ethType: 0x800, l3: 14, flags: fBad}

	check(t, "empty", nil, want{flags: fBad})
	check(t, "short eth", tcp4[:13], want{flags: fBad})
	check(t, "short ip", tcp4[:30], ip4)

	bad := append([]byte(nil), tcp4...)
	bad[14] = 0x44 // IHL 4
	check(t, "ihl<5", bad, ip4)
	bad = append([]byte(nil), tcp4...)
	bad[14] = 0x4f // IHL 60 > total
	check(t, "ihl>tot", bad, ip4)
	bad = append([]byte(nil), tcp4...)
	binary.BigEndian.PutUint16(bad[16:], 2000)
	check(t, "totlen>frame", bad, ip4)

	// TCP data offset past the end of the datagram.
	bad = append([]byte(nil), tcp4...)
	bad[14+20+12] = 0xf0
	w := want{ethType: 0x800, nwSrc: a4("198.51.100.1"), nwDst: a4("203.0.113.2"), proto: 6, ttl: 64, l3: 14, l4: 34, flags: fIP4 | fBad}
	check(t, "tcp doff", bad, w)
	bad[14+20+12] = 0x40
	check(t, "tcp doff<5", bad, w)
	// Bad IPv4 header checksum is flagged, parsing goes on.
	bad = append([]byte(nil), tcp4...)
	bad[24] ^= 0xff
	w.flags = fIP4 | fL4 | packet.FlagBadIPCsum
	w.tpSrc, w.tpDst, w.tcpFlags, w.l7 = 1234, 80, 2, 54
	check(t, "bad ip csum", bad, w)

	// Truncated IPv6 extension header chain.
	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, nil)
	v6a, v6b := [2]uint64{}, [2]uint64{}
	v6a[0], v6a[1] = a6("2001:db8::1")
	v6b[0], v6b[1] = a6("2001:db8::2")
	ext := append([]byte(nil), udp6[:54]...)
	ext[20] = packet.ProtoHopOpts
	ext = append(ext, 17, 3, 0, 0, 0, 0, 0, 0) // hop-by-hop claiming 32 bytes
	ext = append(ext, udp6[54:]...)
	binary.BigEndian.PutUint16(ext[18:], uint16(len(ext)-54))
	check(t, "trunc ext", ext, want{ethType: 0x86dd, v6src: v6a, v6dst: v6b, l3: 14, flags: fIP6 | fBad})
	ext[55] = 0 // a good 8-byte hop-by-hop header
	check(t, "good ext", ext, want{ethType: 0x86dd, v6src: v6a, v6dst: v6b, l3: 14, l4: 62, l7: 70, ttl: 64,
		proto: 17, tpSrc: 1, tpDst: 2, flags: fIP6 | fL4})

	// Too many extension headers.
	long := append([]byte(nil), udp6[:54]...)
	long[20] = packet.ProtoDstOpts
	for i := 0; i < packet.MaxIPv6ExtHeaders+1; i++ {
		nh := byte(packet.ProtoDstOpts)
		if i == packet.MaxIPv6ExtHeaders {
			nh = 17
		}
		long = append(long, nh, 0, 1, 4, 0, 0, 0, 0)
	}
	long = append(long, udp6[54:]...)
	binary.BigEndian.PutUint16(long[18:], uint16(len(long)-54))
	check(t, "long ext chain", long, want{ethType: 0x86dd, v6src: v6a, v6dst: v6b, l3: 14, flags: fIP6 | fBad})

	// Truncated UDP.
	u := pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil)
	u = u[:38]
	binary.BigEndian.PutUint16(u[16:], 24)
	fixIP4(u)
	check(t, "short udp", u, want{ethType: 0x800, nwSrc: a4("198.51.100.1"), nwDst: a4("203.0.113.2"), proto: 17, ttl: 64,
		l3: 14, l4: 34, flags: fIP4 | fBad})

	// Duplicate ND option voids nd_target and the addresses.
	ns := pkttest.NS("2001:db8::1", "2001:db8::2", "2001:db8::9", pkttest.MAC1)
	ns = append(ns, 1, 1, 2, 0, 0, 0, 0, 3)
	binary.BigEndian.PutUint16(ns[18:], uint16(len(ns)-54))
	check(t, "nd dup", ns, want{ethType: 0x86dd, v6src: v6a, v6dst: v6b, l3: 14, l4: 54, l7: 62, ttl: 255,
		proto: 58, tpSrc: 135, flags: fIP6 | fL4 | fBad})
}

func TestParseKeepsMetadata(t *testing.T) {
	pk := pkttest.Parsed(pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"))
	for i := 0; i < packet.WEthDst; i++ {
		pk.Key.W[i] = uint64(i)*0x0101010101010101 + 1
	}
	pk.Key.Flags |= packet.FlagCsumPartial | packet.FlagL4
	before := pk.Key.W
	pk.Data = append(pk.Data[:0], pkttest.TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil)...)
	packet.Parse(pk)
	for i := 0; i < packet.WEthDst; i++ {
		if pk.Key.W[i] != before[i] {
			t.Errorf("W%d changed", i)
		}
	}
	if pk.Key.Flags&packet.FlagCsumPartial == 0 {
		t.Error("FlagCsumPartial lost")
	}
	if pk.Key.TpDst() != 2 || pk.Key.EthType() != 0x800 || pk.Key.W[packet.WArpSha] != 0 {
		t.Errorf("header words not recomputed: %x", pk.Key.W[packet.WEthDst:])
	}
}

func TestParseLLCSNAP(t *testing.T) {
	// 802.3 + LLC/SNAP carrying IPv4.
	udp4 := pkttest.UDP4("198.51.100.1", "203.0.113.2", 53, 5353, nil)
	f := append([]byte(nil), udp4[:12]...)
	f = binary.BigEndian.AppendUint16(f, uint16(8+len(udp4)-14))
	f = append(f, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00)
	f = append(f, udp4[14:]...)
	check(t, "snap", f, want{ethType: 0x800, nwSrc: a4("198.51.100.1"), nwDst: a4("203.0.113.2"), proto: 17, ttl: 64,
		tpSrc: 53, tpDst: 5353, l3: 22, l4: 42, l7: 50, flags: fIP4 | fL4})
	// 802.3 without SNAP.
	g := append([]byte(nil), f...)
	g[14] = 0x42
	check(t, "llc", g, want{ethType: packet.EthTypeNone, l3: 14})
}
