package ct

import (
	"encoding/binary"
	"net/netip"

	"gswitch/packet"
)

// Test frame builders: Ethernet + IPv4/IPv6 + TCP/UDP/ICMP with correct
// checksums, parsed with packet.Parse.

type seg struct {
	src, dst     string
	sport, dport uint16
	flags        uint16
	seq, ack     uint32
	win          uint16
	payload      int
	wscale       int // -1: no option
}

func ipHeader(src, dst netip.Addr, proto uint8, l4 []byte) []byte {
	if src.Is4() {
		h := make([]byte, 20)
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(l4)))
		h[8] = 64
		h[9] = proto
		s4, d4 := src.As4(), dst.As4()
		copy(h[12:], s4[:])
		copy(h[16:], d4[:])
		binary.BigEndian.PutUint16(h[10:], checksum(h, 0))
		return h
	}
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(l4)))
	h[6] = proto
	h[7] = 64
	s16, d16 := src.As16(), dst.As16()
	copy(h[8:], s16[:])
	copy(h[24:], d16[:])
	return h
}

func frame(src, dst string, proto uint8, l4 []byte, csumOff int) *packet.Packet {
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	ip := ipHeader(s, d, proto, l4)
	if csumOff >= 0 {
		binary.BigEndian.PutUint16(l4[csumOff:], 0)
		var c uint16
		if proto == packet.ProtoICMP {
			c = checksum(l4, 0)
		} else {
			c = l4Checksum(s.Is6(), ip, l4, proto)
		}
		if proto == packet.ProtoUDP && c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(l4[csumOff:], c)
	}
	eth := make([]byte, 14)
	copy(eth, []byte{0x50, 0x54, 0, 0, 0, 0x0a, 0x50, 0x54, 0, 0, 0, 0x09})
	if s.Is4() {
		binary.BigEndian.PutUint16(eth[12:], packet.EthTypeIPv4)
	} else {
		binary.BigEndian.PutUint16(eth[12:], packet.EthTypeIPv6)
	}
	f := append(append(eth, ip...), l4...)
	pk := packet.New(f)
	packet.Parse(pk)
	return pk
}

func tcpFrame(s seg) *packet.Packet {
	opt := 0
	if s.wscale >= 0 {
		opt = 4
	}
	l4 := make([]byte, 20+opt+s.payload)
	binary.BigEndian.PutUint16(l4[0:], s.sport)
	binary.BigEndian.PutUint16(l4[2:], s.dport)
	binary.BigEndian.PutUint32(l4[4:], s.seq)
	binary.BigEndian.PutUint32(l4[8:], s.ack)
	binary.BigEndian.PutUint16(l4[12:], uint16((20+opt)/4)<<12|s.flags)
	win := s.win
	if win == 0 {
		win = 65535
	}
	binary.BigEndian.PutUint16(l4[14:], win)
	if opt > 0 {
		copy(l4[20:], []byte{tcpOptNOP, tcpOptWindow, 3, byte(s.wscale)})
	}
	return frame(s.src, s.dst, packet.ProtoTCP, l4, 16)
}

func udpFrame(src, dst string, sport, dport uint16, payload int) *packet.Packet {
	l4 := make([]byte, 8+payload)
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	binary.BigEndian.PutUint16(l4[4:], uint16(8+payload))
	return frame(src, dst, packet.ProtoUDP, l4, 6)
}

func icmpFrame(src, dst string, typ, code uint8, id uint16, body []byte) *packet.Packet {
	l4 := make([]byte, 8+len(body))
	l4[0], l4[1] = typ, code
	binary.BigEndian.PutUint16(l4[4:], id)
	copy(l4[8:], body)
	proto := uint8(packet.ProtoICMP)
	if netip.MustParseAddr(src).Is6() {
		proto = packet.ProtoICMPv6
	}
	return frame(src, dst, proto, l4, 2)
}

// ipDatagram returns the IP datagram of pk (for quoting in ICMP errors).
func ipDatagram(pk *packet.Packet) []byte {
	return append([]byte(nil), pk.Data[pk.Key.L3:]...)
}
