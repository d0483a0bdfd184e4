// Package pkttest builds Ethernet frames for tests: TCP, UDP, SCTP, ICMP
// over IPv4 and IPv6, ICMP errors quoting a packet, Neighbor Discovery,
// ARP, VLAN tags and IP fragments. Frames are built with gopacket (allowed
// here, never in package packet itself) with correct checksums, from
// MAC1 to MAC2 unless said otherwise, TTL/hop limit 64, IPv4 ID 1.
//
// VerifyChecksums checks a frame's checksums with arithmetic independent of
// package packet; Summary describes a frame in one line for test messages.
//
// Every builder panics on bad arguments (an unparsable address): they are
// for tests only. Each call returns a fresh slice the caller owns.
package pkttest

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"gswitch/packet"
)

// Fixed test MAC addresses (locally administered).
var (
	MAC1      = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01} // source of built frames
	MAC2      = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02} // destination of built frames
	MAC3      = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x03}
	Broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// TTL is the TTL (hop limit) of built IP packets.
const TTL = 64

// Parsed returns a standalone packet holding a copy of frame, parsed.
func Parsed(frame []byte) *packet.Packet {
	pk := packet.New(frame)
	packet.Parse(pk)
	return pk
}

func ip4(s string) net.IP {
	ip := net.ParseIP(s).To4()
	if ip == nil {
		panic(fmt.Sprintf("pkttest: bad IPv4 address %q", s))
	}
	return ip
}

func ip6(s string) net.IP {
	ip := net.ParseIP(s)
	if ip == nil || ip.To4() != nil && !strings.Contains(s, ":") {
		panic(fmt.Sprintf("pkttest: bad IPv6 address %q", s))
	}
	return ip.To16()
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic("pkttest: " + err.Error())
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: MAC1, DstMAC: MAC2, EthernetType: t}
}

func ipv4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: TTL, Id: 1, Protocol: proto, SrcIP: ip4(src), DstIP: ip4(dst)}
}

func ipv6(src, dst string, nh layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: TTL, NextHeader: nh, SrcIP: ip6(src), DstIP: ip6(dst)}
}

// tcpLayer makes a TCP header; flags is a string of letters F S R P A U E C
// (e.g. "S", "SA", "A", "FA", "R", "PA").
func tcpLayer(sport, dport uint16, flags string, seq, ack uint32) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 65535}
	for _, c := range strings.ToUpper(flags) {
		switch c {
		case 'F':
			t.FIN = true
		case 'S':
			t.SYN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		case 'A':
			t.ACK = true
		case 'U':
			t.URG = true
		case 'E':
			t.ECE = true
		case 'C':
			t.CWR = true
		default:
			panic(fmt.Sprintf("pkttest: bad TCP flag %q in %q", c, flags))
		}
	}
	return t
}

// TCP4 builds an Ethernet/IPv4/TCP frame. flags is a string of letters
// F S R P A U E C, e.g. "S", "SA", "A", "FA", "R".
func TCP4(src, dst string, sport, dport uint16, flags string, seq, ack uint32, payload []byte) []byte {
	ip := ipv4(src, dst, layers.IPProtocolTCP)
	t := tcpLayer(sport, dport, flags, seq, ack)
	t.SetNetworkLayerForChecksum(ip)
	return serialize(eth(layers.EthernetTypeIPv4), ip, t, gopacket.Payload(payload))
}

// TCP6 is TCP4 over IPv6.
func TCP6(src, dst string, sport, dport uint16, flags string, seq, ack uint32, payload []byte) []byte {
	ip := ipv6(src, dst, layers.IPProtocolTCP)
	t := tcpLayer(sport, dport, flags, seq, ack)
	t.SetNetworkLayerForChecksum(ip)
	return serialize(eth(layers.EthernetTypeIPv6), ip, t, gopacket.Payload(payload))
}

// TCPSpec describes a TCP segment in full, for tests that need more than
// TCP4/TCP6 offer (window, options, TTL).
type TCPSpec struct {
	Src, Dst     string // IPv4 or IPv6 (both the same family)
	Sport, Dport uint16
	Flags        string // letters F S R P A U E C
	Seq, Ack     uint32
	Window       uint16 // 0 means 65535
	MSS          uint16 // MSS option when non-zero
	WScale       int    // window scale option when >= 0 (use -1 for none)
	SACKPerm     bool   // SACK-permitted option
	TTL          uint8  // 0 means TTL
	Payload      []byte
}

// Frame builds the Ethernet frame of s.
func (s TCPSpec) Frame() []byte {
	t := tcpLayer(s.Sport, s.Dport, s.Flags, s.Seq, s.Ack)
	if s.Window != 0 {
		t.Window = s.Window
	}
	if s.MSS != 0 {
		t.Options = append(t.Options, layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4,
			OptionData: binary.BigEndian.AppendUint16(nil, s.MSS)})
	}
	if s.WScale >= 0 {
		t.Options = append(t.Options, layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{byte(s.WScale)}})
	}
	if s.SACKPerm {
		t.Options = append(t.Options, layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2})
	}
	ttl := s.TTL
	if ttl == 0 {
		ttl = TTL
	}
	if strings.Contains(s.Src, ":") {
		ip := ipv6(s.Src, s.Dst, layers.IPProtocolTCP)
		ip.HopLimit = ttl
		t.SetNetworkLayerForChecksum(ip)
		return serialize(eth(layers.EthernetTypeIPv6), ip, t, gopacket.Payload(s.Payload))
	}
	ip := ipv4(s.Src, s.Dst, layers.IPProtocolTCP)
	ip.TTL = ttl
	t.SetNetworkLayerForChecksum(ip)
	return serialize(eth(layers.EthernetTypeIPv4), ip, t, gopacket.Payload(s.Payload))
}

// UDP4 builds an Ethernet/IPv4/UDP frame.
func UDP4(src, dst string, sport, dport uint16, payload []byte) []byte {
	ip := ipv4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(eth(layers.EthernetTypeIPv4), ip, u, gopacket.Payload(payload))
}

// UDP6 is UDP4 over IPv6.
func UDP6(src, dst string, sport, dport uint16, payload []byte) []byte {
	ip := ipv6(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(eth(layers.EthernetTypeIPv6), ip, u, gopacket.Payload(payload))
}

func sctpFrame(l3 gopacket.SerializableLayer, et layers.EthernetType, sport, dport uint16, payload []byte) []byte {
	s := &layers.SCTP{SrcPort: layers.SCTPPort(sport), DstPort: layers.SCTPPort(dport), VerificationTag: 0x01020304}
	// One DATA chunk carrying payload (padded to 4 bytes).
	chunk := make([]byte, 16+len(payload)+(4-len(payload)%4)%4)
	chunk[0] = 0 // DATA
	chunk[1] = 3 // B|E
	binary.BigEndian.PutUint16(chunk[2:], uint16(16+len(payload)))
	binary.BigEndian.PutUint32(chunk[4:], 1) // TSN
	copy(chunk[16:], payload)
	return serialize(eth(et), l3, s, gopacket.Payload(chunk))
}

// SCTP4 builds an Ethernet/IPv4/SCTP frame with one DATA chunk.
func SCTP4(src, dst string, sport, dport uint16, payload []byte) []byte {
	return sctpFrame(ipv4(src, dst, layers.IPProtocolSCTP), layers.EthernetTypeIPv4, sport, dport, payload)
}

// SCTP6 is SCTP4 over IPv6.
func SCTP6(src, dst string, sport, dport uint16, payload []byte) []byte {
	return sctpFrame(ipv6(src, dst, layers.IPProtocolSCTP), layers.EthernetTypeIPv6, sport, dport, payload)
}

// IP4 builds an Ethernet/IPv4 frame with protocol proto and raw payload.
func IP4(src, dst string, proto uint8, payload []byte) []byte {
	return serialize(eth(layers.EthernetTypeIPv4), ipv4(src, dst, layers.IPProtocol(proto)), gopacket.Payload(payload))
}

// IP6 builds an Ethernet/IPv6 frame with next header nh and raw payload.
func IP6(src, dst string, nh uint8, payload []byte) []byte {
	return serialize(eth(layers.EthernetTypeIPv6), ipv6(src, dst, layers.IPProtocol(nh)), gopacket.Payload(payload))
}

func icmp4(src, dst string, typ, code uint8, id, seq uint16, payload []byte) []byte {
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: id, Seq: seq}
	return serialize(eth(layers.EthernetTypeIPv4), ipv4(src, dst, layers.IPProtocolICMPv4), ic, gopacket.Payload(payload))
}

// ICMP4Echo builds an ICMP echo request.
func ICMP4Echo(src, dst string, id, seq uint16, payload []byte) []byte {
	return icmp4(src, dst, 8, 0, id, seq, payload)
}

// ICMP4EchoReply builds an ICMP echo reply.
func ICMP4EchoReply(src, dst string, id, seq uint16, payload []byte) []byte {
	return icmp4(src, dst, 0, 0, id, seq, payload)
}

// ICMP4Error builds an ICMP error (e.g. type 3 code 3, port unreachable;
// type 11 time exceeded) from src to dst quoting the IP datagram of frame
// orig (an Ethernet frame, possibly VLAN-tagged), cut so the error is at
// most 576 bytes as Linux does. For type 3 code 4 (fragmentation needed)
// the next-hop MTU is 1500.
func ICMP4Error(src, dst string, typ, code uint8, orig []byte) []byte {
	return ICMP4ErrorN(src, dst, typ, code, orig, 576-20-8)
}

// ICMP4ErrorN is ICMP4Error quoting at most n bytes of the datagram (28
// gives RFC 792's minimum: the IP header and 8 bytes).
func ICMP4ErrorN(src, dst string, typ, code uint8, orig []byte, n int) []byte {
	q := l3Of(orig)
	if len(q) > n {
		q = q[:n]
	}
	var seq uint16
	if typ == 3 && code == 4 {
		seq = 1500
	}
	return icmp4(src, dst, typ, code, 0, seq, q)
}

func icmp6(ip *layers.IPv6, typ, code uint8, body ...gopacket.SerializableLayer) []byte {
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	ic.SetNetworkLayerForChecksum(ip)
	ls := append([]gopacket.SerializableLayer{eth(layers.EthernetTypeIPv6), ip, ic}, body...)
	return serialize(ls...)
}

// ICMP6Echo builds an ICMPv6 echo request.
func ICMP6Echo(src, dst string, id, seq uint16, payload []byte) []byte {
	return icmp6(ipv6(src, dst, layers.IPProtocolICMPv6), 128, 0,
		&layers.ICMPv6Echo{Identifier: id, SeqNumber: seq}, gopacket.Payload(payload))
}

// ICMP6EchoReply builds an ICMPv6 echo reply.
func ICMP6EchoReply(src, dst string, id, seq uint16, payload []byte) []byte {
	return icmp6(ipv6(src, dst, layers.IPProtocolICMPv6), 129, 0,
		&layers.ICMPv6Echo{Identifier: id, SeqNumber: seq}, gopacket.Payload(payload))
}

// ICMP6Error builds an ICMPv6 error (type 1 unreachable, 2 packet too big
// with MTU 1280, 3 time exceeded, 4 parameter problem) quoting the IPv6
// datagram of frame orig, cut to keep the error within 1280 bytes.
func ICMP6Error(src, dst string, typ, code uint8, orig []byte) []byte {
	return ICMP6ErrorN(src, dst, typ, code, orig, 1280-40-8)
}

// ICMP6ErrorN is ICMP6Error quoting at most n bytes of the datagram.
func ICMP6ErrorN(src, dst string, typ, code uint8, orig []byte, n int) []byte {
	q := l3Of(orig)
	if len(q) > n {
		q = q[:n]
	}
	body := make([]byte, 4+len(q))
	if typ == 2 {
		binary.BigEndian.PutUint32(body, 1280)
	}
	copy(body[4:], q)
	return icmp6(ipv6(src, dst, layers.IPProtocolICMPv6), typ, code, gopacket.Payload(body))
}

// NS builds a Neighbor Solicitation for target with a source link-layer
// address option when sll is not nil. The hop limit is 255.
func NS(src, dst, target string, sll net.HardwareAddr) []byte {
	ip := ipv6(src, dst, layers.IPProtocolICMPv6)
	ip.HopLimit = 255
	ns := &layers.ICMPv6NeighborSolicitation{TargetAddress: ip6(target)}
	if sll != nil {
		ns.Options = layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: sll}}
	}
	return icmp6(ip, 135, 0, ns)
}

// NA builds a Neighbor Advertisement for target with flags (0x80 router,
// 0x40 solicited, 0x20 override) and a target link-layer address option
// when tll is not nil. The hop limit is 255.
func NA(src, dst, target string, tll net.HardwareAddr, flags uint8) []byte {
	ip := ipv6(src, dst, layers.IPProtocolICMPv6)
	ip.HopLimit = 255
	na := &layers.ICMPv6NeighborAdvertisement{Flags: flags, TargetAddress: ip6(target)}
	if tll != nil {
		na.Options = layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: tll}}
	}
	return icmp6(ip, 136, 0, na)
}

// ARPRequest builds a broadcast ARP request from sha/spa for tpa.
func ARPRequest(sha net.HardwareAddr, spa, tpa string) []byte {
	e := &layers.Ethernet{SrcMAC: sha, DstMAC: Broadcast, EthernetType: layers.EthernetTypeARP}
	a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: sha, SourceProtAddress: ip4(spa),
		DstHwAddress: make([]byte, 6), DstProtAddress: ip4(tpa)}
	return serialize(e, a)
}

// ARPReply builds an ARP reply from sha/spa to tha/tpa.
func ARPReply(sha net.HardwareAddr, spa string, tha net.HardwareAddr, tpa string) []byte {
	e := &layers.Ethernet{SrcMAC: sha, DstMAC: tha, EthernetType: layers.EthernetTypeARP}
	a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPReply, SourceHwAddress: sha, SourceProtAddress: ip4(spa),
		DstHwAddress: tha, DstProtAddress: ip4(tpa)}
	return serialize(e, a)
}

// WithMACs returns a copy of frame with its Ethernet source and destination
// replaced.
func WithMACs(frame []byte, src, dst net.HardwareAddr) []byte {
	f := append([]byte(nil), frame...)
	copy(f[0:6], dst)
	copy(f[6:12], src)
	return f
}

// VLAN returns a copy of frame with an 802.1Q tag (TPID 0x8100) carrying
// tci (PCP<<13 | DEI<<12 | VID) inserted after the MAC addresses, outside
// any tag already there.
func VLAN(frame []byte, tci uint16) []byte {
	return Tag(frame, packet.EthTypeVLAN, tci)
}

// QinQ returns a copy of frame with an 802.1ad outer tag (TPID 0x88a8,
// outer TCI) and an 802.1Q inner tag (inner TCI).
func QinQ(frame []byte, outer, inner uint16) []byte {
	return Tag(VLAN(frame, inner), packet.EthTypeQinQ, outer)
}

// Tag returns a copy of frame with a VLAN tag of TPID tpid inserted after
// the MAC addresses.
func Tag(frame []byte, tpid, tci uint16) []byte {
	f := make([]byte, 0, len(frame)+4)
	f = append(f, frame[:12]...)
	f = binary.BigEndian.AppendUint16(f, tpid)
	f = binary.BigEndian.AppendUint16(f, tci)
	return append(f, frame[12:]...)
}

// l2Len returns the length of frame's Ethernet header and VLAN tags.
func l2Len(frame []byte) int {
	off := 12
	for off+4 <= len(frame) {
		t := binary.BigEndian.Uint16(frame[off:])
		if t != packet.EthTypeVLAN && t != packet.EthTypeQinQ {
			break
		}
		off += 4
	}
	return off + 2
}

// l3Of returns the IP datagram of frame (without Ethernet padding).
func l3Of(frame []byte) []byte {
	b := frame[l2Len(frame):]
	if len(b) >= 20 && b[0]>>4 == 4 {
		if n := int(binary.BigEndian.Uint16(b[2:])); n <= len(b) && n >= 20 {
			b = b[:n]
		}
	} else if len(b) >= 40 && b[0]>>4 == 6 {
		if n := 40 + int(binary.BigEndian.Uint16(b[4:])); n <= len(b) {
			b = b[:n]
		}
	}
	return append([]byte(nil), b...)
}

// SetIPv4ID returns a copy of the IPv4 frame with its IP ID set to id (and
// the header checksum fixed).
func SetIPv4ID(frame []byte, id uint16) []byte {
	f := append([]byte(nil), frame...)
	l3 := l2Len(f)
	binary.BigEndian.PutUint16(f[l3+4:], id)
	fixIPv4Csum(f[l3 : l3+int(f[l3]&0xf)*4])
	return f
}

func fixIPv4Csum(h []byte) { packet.PutIPv4HeaderChecksum(h) }

// Frag4 splits the IPv4 frame into fragments carrying at most size bytes of
// IP payload each (size is rounded down to a multiple of 8, at least 8).
// Each fragment repeats the Ethernet header, VLAN tags and the whole IP
// header (options included), with the More Fragments flag and offset set
// and its checksum fixed. The original's DF flag is cleared. A datagram that
// fits in one fragment is returned as a single unfragmented copy.
func Frag4(frame []byte, size int) [][]byte {
	size &^= 7
	if size < 8 {
		size = 8
	}
	l3 := l2Len(frame)
	ihl := int(frame[l3]&0xf) * 4
	tot := int(binary.BigEndian.Uint16(frame[l3+2:]))
	payload := frame[l3+ihl : l3+tot]
	var out [][]byte
	for off := 0; off < len(payload) || off == 0; off += size {
		end := off + size
		more := true
		if end >= len(payload) {
			end, more = len(payload), false
		}
		f := make([]byte, 0, l3+ihl+end-off)
		f = append(f, frame[:l3+ihl]...)
		f = append(f, payload[off:end]...)
		h := f[l3 : l3+ihl]
		binary.BigEndian.PutUint16(h[2:], uint16(ihl+end-off))
		fo := uint16(off / 8)
		if more {
			fo |= 0x2000
		}
		if len(out) == 0 && !more {
			fo = binary.BigEndian.Uint16(frame[l3+6:]) &^ 0x4000
		}
		binary.BigEndian.PutUint16(h[6:], fo)
		fixIPv4Csum(h)
		out = append(out, f)
		if !more {
			break
		}
	}
	return out
}

// Frag6 splits the IPv6 frame into fragments carrying at most size bytes of
// the fragmentable part each (size rounded down to a multiple of 8, at
// least 8), inserting a Fragment header with identification id right
// after the fixed IPv6 header (so the original's extension headers, if
// any, are in the fragmentable part). A datagram that fits still gets a
// Fragment header (offset 0, M=0: an atomic fragment).
func Frag6(frame []byte, size int, id uint32) [][]byte {
	size &^= 7
	if size < 8 {
		size = 8
	}
	l3 := l2Len(frame)
	plen := int(binary.BigEndian.Uint16(frame[l3+4:]))
	nh := frame[l3+6]
	payload := frame[l3+40 : l3+40+plen]
	var out [][]byte
	for off := 0; ; off += size {
		end := off + size
		more := true
		if end >= len(payload) {
			end, more = len(payload), false
		}
		f := make([]byte, 0, l3+48+end-off)
		f = append(f, frame[:l3+40]...)
		fh := make([]byte, 8)
		fh[0] = nh
		offlg := uint16(off/8) << 3
		if more {
			offlg |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], offlg)
		binary.BigEndian.PutUint32(fh[4:], id)
		f = append(f, fh...)
		f = append(f, payload[off:end]...)
		binary.BigEndian.PutUint16(f[l3+4:], uint16(8+end-off))
		f[l3+6] = packet.ProtoFragment
		out = append(out, f)
		if !more {
			break
		}
	}
	return out
}

// LSE returns an MPLS label stack entry.
func LSE(label uint32, tc uint8, bos bool, ttl uint8) uint32 {
	l := label<<12 | uint32(tc&7)<<9 | uint32(ttl)
	if bos {
		l |= 1 << 8
	}
	return l
}

// MPLS returns a copy of frame (Ethernet, untagged) with Ethernet type
// ethType (0x8847 or 0x8848) and the label stack entries lses, outermost
// first, between the Ethernet header and what followed it.
func MPLS(frame []byte, ethType uint16, lses ...uint32) []byte {
	f := make([]byte, 0, len(frame)+4*len(lses))
	f = append(f, frame[:12]...)
	f = binary.BigEndian.AppendUint16(f, ethType)
	for _, l := range lses {
		f = binary.BigEndian.AppendUint32(f, l)
	}
	return append(f, frame[14:]...)
}

// NSHHeader describes a Network Service Header (RFC 8300) for NSH. MDType
// 1 carries the four context headers C; any other type carries MD (for
// type 2, its TLVs; a multiple of 4 bytes) instead.
type NSHHeader struct {
	Flags, TTL uint8 // 2 and 6 bits on the wire
	MDType, NP uint8
	SPI        uint32 // 24 bits
	SI         uint8
	C          [4]uint32
	MD         []byte
}

// NSH returns an Ethernet frame (MAC1 to MAC2, Ethernet type 0x894f)
// carrying the NSH header h and then inner (the encapsulated packet, e.g.
// a whole Ethernet frame for next protocol 3).
func NSH(h NSHHeader, inner []byte) []byte {
	f := make([]byte, 0, 14+24+len(h.MD)+len(inner))
	f = append(f, MAC2...)
	f = append(f, MAC1...)
	f = binary.BigEndian.AppendUint16(f, 0x894f)
	md := h.MD
	if h.MDType == 1 {
		md = nil
		for _, c := range h.C {
			md = binary.BigEndian.AppendUint32(md, c)
		}
	}
	words := (8 + len(md)) / 4
	f = binary.BigEndian.AppendUint16(f, uint16(h.Flags&3)<<12|uint16(h.TTL&0x3f)<<6|uint16(words&0x3f))
	f = append(f, h.MDType, h.NP)
	f = binary.BigEndian.AppendUint32(f, h.SPI<<8|uint32(h.SI))
	f = append(f, md...)
	return append(f, inner...)
}
