package pkttest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// refSum is a plain one's complement sum, written independently of
// package packet so checks do not share its bugs.
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

// VerifyChecksums decodes frame with gopacket and verifies, with its own
// arithmetic, the IPv4 header checksum and the TCP, UDP (0 allowed over
// IPv4), SCTP (CRC32c), ICMP or ICMPv6 checksum over the whole datagram.
// For an ICMPv4 error it also verifies the quoted IPv4 header's checksum
// when the whole quoted header is there. Fragments get only the IPv4
// header check. It returns nil when everything verifies.
func VerifyChecksums(frame []byte) error {
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.DecodeOptions{NoCopy: true})
	var pseudo uint32
	var l4 []byte
	var proto layers.IPProtocol
	v4 := false
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		v4 = true
		h := ip.Contents
		if refSum(h, 0) != 0xffff {
			return errors.New("IPv4 header checksum")
		}
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			return nil
		}
		l4 = ip.Payload
		proto = ip.Protocol
		pseudo = refSum(h[12:20], uint32(proto)+uint32(len(l4)))
	case *layers.IPv6:
		// The upper-layer header follows any extension headers.
		payload := ip.Payload
		nh := ip.NextHeader
		for _, l := range p.Layers() {
			switch e := l.(type) {
			case *layers.IPv6HopByHop:
				payload, nh = e.Payload, e.NextHeader
			case *layers.IPv6Destination:
				payload, nh = e.Payload, e.NextHeader
			case *layers.IPv6Routing:
				payload, nh = e.Payload, e.NextHeader
			case *layers.IPv6Fragment:
				return nil
			}
		}
		l4, proto = payload, nh
		var lb [8]byte
		binary.BigEndian.PutUint32(lb[:], uint32(len(l4)))
		lb[7] = byte(proto)
		pseudo = refSum(lb[:], refSum(ip.Contents[8:40], 0))
	default:
		return nil
	}
	min := map[layers.IPProtocol]int{layers.IPProtocolTCP: 20, layers.IPProtocolUDP: 8, layers.IPProtocolSCTP: 12,
		layers.IPProtocolICMPv4: 8, layers.IPProtocolICMPv6: 8}[proto]
	if min == 0 {
		return nil
	}
	if len(l4) < min {
		return fmt.Errorf("%v header truncated", proto)
	}
	switch proto {
	case layers.IPProtocolSCTP:
		c := append([]byte(nil), l4...)
		copy(c[8:12], make([]byte, 4))
		if crc32.Checksum(c, crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(l4[8:]) {
			return errors.New("SCTP CRC32c")
		}
		return nil
	case layers.IPProtocolUDP:
		if v4 && binary.BigEndian.Uint16(l4[6:]) == 0 {
			return nil
		}
	case layers.IPProtocolICMPv4:
		pseudo = 0
		if t := l4[0]; (t == 3 || t == 4 || t == 5 || t == 11 || t == 12) && len(l4) >= 28 {
			in := l4[8:]
			if ihl := int(in[0]&0xf) * 4; ihl >= 20 && len(in) >= ihl && refSum(in[:ihl], 0) != 0xffff {
				return errors.New("quoted IPv4 header checksum")
			}
		}
	}
	if refSum(l4, pseudo) != 0xffff {
		return fmt.Errorf("%v checksum", proto)
	}
	return nil
}

// Summary describes frame in one line for test messages, e.g.
// "vlan=100 IPv4 198.51.100.1>203.0.113.2 ttl=64 TCP 1234>80 [S] len=0".
func Summary(frame []byte) string {
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.DecodeOptions{NoCopy: true})
	var s []string
	for _, l := range p.Layers() {
		switch x := l.(type) {
		case *layers.Dot1Q:
			s = append(s, fmt.Sprintf("vlan=%d/pcp=%d", x.VLANIdentifier, x.Priority))
		case *layers.ARP:
			s = append(s, fmt.Sprintf("ARP op=%d %v(%v)>%v(%v)", x.Operation,
				bytesIP(x.SourceProtAddress), bytesMAC(x.SourceHwAddress), bytesIP(x.DstProtAddress), bytesMAC(x.DstHwAddress)))
		case *layers.IPv4:
			f := ""
			if x.Flags&layers.IPv4MoreFragments != 0 || x.FragOffset != 0 {
				f = fmt.Sprintf(" frag=%d/mf=%v id=%d", x.FragOffset*8, x.Flags&layers.IPv4MoreFragments != 0, x.Id)
			}
			s = append(s, fmt.Sprintf("IPv4 %v>%v ttl=%d tos=%#x%s", x.SrcIP, x.DstIP, x.TTL, x.TOS, f))
		case *layers.IPv6:
			s = append(s, fmt.Sprintf("IPv6 %v>%v hlim=%d", x.SrcIP, x.DstIP, x.HopLimit))
		case *layers.IPv6Fragment:
			s = append(s, fmt.Sprintf("frag=%d/mf=%v id=%d", x.FragmentOffset*8, x.MoreFragments, x.Identification))
		case *layers.TCP:
			fl := ""
			for i, b := range []bool{x.FIN, x.SYN, x.RST, x.PSH, x.ACK, x.URG} {
				if b {
					fl += string("FSRPAU"[i])
				}
			}
			s = append(s, fmt.Sprintf("TCP %d>%d [%s] seq=%d ack=%d len=%d", x.SrcPort, x.DstPort, fl, x.Seq, x.Ack, len(x.Payload)))
		case *layers.UDP:
			s = append(s, fmt.Sprintf("UDP %d>%d len=%d", x.SrcPort, x.DstPort, len(x.Payload)))
		case *layers.SCTP:
			s = append(s, fmt.Sprintf("SCTP %d>%d", x.SrcPort, x.DstPort))
		case *layers.ICMPv4:
			s = append(s, fmt.Sprintf("ICMP %d/%d id=%d seq=%d", x.TypeCode.Type(), x.TypeCode.Code(), x.Id, x.Seq))
		case *layers.ICMPv6:
			s = append(s, fmt.Sprintf("ICMPv6 %d/%d", x.TypeCode.Type(), x.TypeCode.Code()))
		case *layers.ICMPv6NeighborSolicitation:
			s = append(s, fmt.Sprintf("NS %v", x.TargetAddress))
		case *layers.ICMPv6NeighborAdvertisement:
			s = append(s, fmt.Sprintf("NA %v", x.TargetAddress))
		}
	}
	if e := p.ErrorLayer(); e != nil && p.TransportLayer() == nil { // not the payload's decoding
		s = append(s, "(decode error: "+e.Error().Error()+")")
	}
	if len(s) == 0 {
		return fmt.Sprintf("%d bytes", len(frame))
	}
	return strings.Join(s, " ")
}

func bytesIP(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	return fmt.Sprintf("%x", b)
}

func bytesMAC(b []byte) string {
	if len(b) == 6 {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
	}
	return fmt.Sprintf("%x", b)
}
