package packet_test

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"gswitch/packet"
)

// genFrame builds a random well-formed frame with gopacket: random MACs,
// 0-2 VLAN tags, IPv4 (random TOS, TTL, maybe fragment bits) or IPv6
// (random traffic class, flow label, hop limit) or ARP, and TCP, UDP,
// SCTP, ICMP, ICMPv6 echo or ND on top.
func genFrame(rng *rand.Rand) []byte {
	rb := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var ls []gopacket.SerializableLayer
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(rb(6)), DstMAC: net.HardwareAddr(rb(6))}
	ls = append(ls, eth)
	var l3type layers.EthernetType
	switch rng.IntN(5) {
	case 0, 1:
		l3type = layers.EthernetTypeIPv4
	case 2, 3:
		l3type = layers.EthernetTypeIPv6
	default:
		l3type = layers.EthernetTypeARP
	}
	prev := func(t layers.EthernetType) {
		switch l := ls[len(ls)-1].(type) {
		case *layers.Ethernet:
			l.EthernetType = t
		case *layers.Dot1Q:
			l.Type = t
		}
	}
	for i, n := 0, rng.IntN(3); i < n; i++ {
		prev([]layers.EthernetType{layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ}[rng.IntN(2)])
		ls = append(ls, &layers.Dot1Q{Priority: uint8(rng.IntN(8)), DropEligible: rng.IntN(2) == 0, VLANIdentifier: uint16(rng.IntN(4096))})
	}
	prev(l3type)
	payload := gopacket.Payload(rb(rng.IntN(64)))
	var nl gopacket.NetworkLayer
	v6 := false
	switch l3type {
	case layers.EthernetTypeARP:
		op := uint16(1 + rng.IntN(2))
		if rng.IntN(8) == 0 {
			op = uint16(rng.Uint32())
		}
		ls = append(ls, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6,
			ProtAddressSize: 4, Operation: op, SourceHwAddress: rb(6), SourceProtAddress: rb(4), DstHwAddress: rb(6), DstProtAddress: rb(4)})
		return serializeLayers(ls)
	case layers.EthernetTypeIPv4:
		ip := &layers.IPv4{Version: 4, IHL: 5, TOS: uint8(rng.Uint32()), TTL: uint8(rng.Uint32()), Id: uint16(rng.Uint32()),
			SrcIP: net.IP(rb(4)), DstIP: net.IP(rb(4))}
		if rng.IntN(6) == 0 {
			ip.Flags = layers.IPv4MoreFragments
		}
		if rng.IntN(6) == 0 {
			ip.FragOffset = uint16(rng.IntN(8192))
		}
		if rng.IntN(3) == 0 {
			ip.Flags |= layers.IPv4DontFragment
		}
		nl = ip
		ls = append(ls, ip)
	default:
		v6 = true
		ip := &layers.IPv6{Version: 6, TrafficClass: uint8(rng.Uint32()), FlowLabel: rng.Uint32() & 0xfffff, HopLimit: uint8(rng.Uint32()),
			SrcIP: net.IP(rb(16)), DstIP: net.IP(rb(16))}
		nl = ip
		ls = append(ls, ip)
	}
	setProto := func(p layers.IPProtocol) {
		switch ip := nl.(type) {
		case *layers.IPv4:
			ip.Protocol = p
		case *layers.IPv6:
			ip.NextHeader = p
		}
	}
	switch rng.IntN(5) {
	case 0:
		setProto(layers.IPProtocolTCP)
		t := &layers.TCP{SrcPort: layers.TCPPort(rng.Uint32()), DstPort: layers.TCPPort(rng.Uint32()), Seq: rng.Uint32(), Ack: rng.Uint32(),
			FIN: rng.IntN(2) == 0, SYN: rng.IntN(2) == 0, RST: rng.IntN(2) == 0, PSH: rng.IntN(2) == 0, ACK: rng.IntN(2) == 0,
			URG: rng.IntN(2) == 0, ECE: rng.IntN(2) == 0, CWR: rng.IntN(2) == 0, NS: rng.IntN(2) == 0, Window: uint16(rng.Uint32())}
		if rng.IntN(2) == 0 {
			t.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}
		}
		t.SetNetworkLayerForChecksum(nl)
		ls = append(ls, t, payload)
	case 1:
		setProto(layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: layers.UDPPort(rng.Uint32()), DstPort: layers.UDPPort(rng.Uint32())}
		u.SetNetworkLayerForChecksum(nl)
		ls = append(ls, u, payload)
	case 2:
		setProto(layers.IPProtocolSCTP)
		ls = append(ls, &layers.SCTP{SrcPort: layers.SCTPPort(rng.Uint32()), DstPort: layers.SCTPPort(rng.Uint32())}, payload)
	default:
		if !v6 {
			setProto(layers.IPProtocolICMPv4)
			ls = append(ls, &layers.ICMPv4{TypeCode: layers.ICMPv4TypeCode(rng.Uint32()), Id: uint16(rng.Uint32())}, payload)
			break
		}
		setProto(layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{}
		ic.SetNetworkLayerForChecksum(nl)
		switch rng.IntN(3) {
		case 0:
			ic.TypeCode = layers.CreateICMPv6TypeCode(135, 0)
			ns := &layers.ICMPv6NeighborSolicitation{TargetAddress: net.IP(rb(16))}
			if rng.IntN(2) == 0 {
				ns.Options = layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: rb(6)}}
			}
			ls = append(ls, ic, ns)
		case 1:
			ic.TypeCode = layers.CreateICMPv6TypeCode(136, 0)
			na := &layers.ICMPv6NeighborAdvertisement{Flags: uint8(rng.Uint32()) & 0xe0, TargetAddress: net.IP(rb(16))}
			if rng.IntN(2) == 0 {
				na.Options = layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: rb(6)}}
			}
			ls = append(ls, ic, na)
		default:
			ic.TypeCode = layers.CreateICMPv6TypeCode(uint8(rng.IntN(2)+128), 0)
			ls = append(ls, ic, &layers.ICMPv6Echo{Identifier: uint16(rng.Uint32()), SeqNumber: uint16(rng.Uint32())}, payload)
		}
	}
	return serializeLayers(ls)
}

func serializeLayers(ls []gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ip32(ip net.IP) uint32 { return binary.BigEndian.Uint32(ip.To4()) }

func ip128(ip net.IP) [2]uint64 {
	b := ip.To16()
	return [2]uint64{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// TestParseDifferential decodes random frames with gopacket and with Parse
// and compares every field both know.
func TestParseDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 3000; i++ {
		frame := genFrame(rng)
		pk := packet.New(frame)
		packet.Parse(pk)
		k := &pk.Key
		gp := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("frame %d %x: "+format, append([]any{i, frame}, args...)...)
		}
		if k.Flags&packet.FlagMalformed != 0 {
			fail("malformed flag on a good frame")
		}
		eth := gp.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		if k.W[packet.WEthDst]>>16 != mac(eth.DstMAC) || k.W[packet.WEthSrc]>>16 != mac(eth.SrcMAC) {
			fail("macs")
		}
		etype := eth.EthernetType
		var tags []*layers.Dot1Q
		for _, l := range gp.Layers() {
			if q, ok := l.(*layers.Dot1Q); ok {
				tags = append(tags, q)
				etype = q.Type
			}
		}
		if uint16(etype) != k.EthType() {
			fail("eth_type %x vs %x", k.EthType(), etype)
		}
		if len(tags) > 0 {
			q := tags[0]
			tci := uint16(q.Priority)<<13 | uint16(q.VLANIdentifier) | packet.VlanCFI
			if k.VlanTCI() != tci {
				fail("vlan_tci %x vs %x", k.VlanTCI(), tci)
			}
		} else if k.VlanTCI() != 0 {
			fail("vlan_tci on untagged")
		}
		if int(k.L3) != 14+4*len(tags) {
			fail("L3 %d", k.L3)
		}
		if nl := gp.NetworkLayer(); nl != nil && int(k.L4-k.L3) != len(nl.LayerContents()) {
			fail("L4 %d", k.L4)
		}
		later := false
		if ip, ok := gp.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			var frag uint8
			if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
				frag = packet.FragAny
			}
			if ip.FragOffset != 0 {
				frag |= packet.FragLater
				later = true
			}
			if k.IPv4Src() != ip32(ip.SrcIP) || k.IPv4Dst() != ip32(ip.DstIP) || k.NwProto() != uint8(ip.Protocol) ||
				uint8(k.W[packet.WL3Misc]>>16) != ip.TOS || k.NwTTL() != ip.TTL || k.NwFrag() != frag ||
				k.Flags&(packet.FlagL3|packet.FlagIPv4) != packet.FlagL3|packet.FlagIPv4 || k.Flags&packet.FlagBadIPCsum != 0 {
				fail("ipv4 fields")
			}
		}
		if ip, ok := gp.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			if [2]uint64{k.W[packet.WIPv6Src], k.W[packet.WIPv6Src+1]} != ip128(ip.SrcIP) ||
				[2]uint64{k.W[packet.WIPv6Dst], k.W[packet.WIPv6Dst+1]} != ip128(ip.DstIP) ||
				k.NwProto() != uint8(ip.NextHeader) || uint8(k.W[packet.WL3Misc]>>16) != ip.TrafficClass ||
				uint32(k.W[packet.WL3Misc]>>32) != ip.FlowLabel || k.NwTTL() != ip.HopLimit ||
				k.Flags&(packet.FlagL3|packet.FlagIPv6) != packet.FlagL3|packet.FlagIPv6 {
				fail("ipv6 fields")
			}
		}
		if a, ok := gp.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
			op := uint8(0)
			if a.Operation <= 0xff {
				op = uint8(a.Operation)
			}
			if k.NwProto() != op || uint32(k.W[packet.WNw]>>32) != ip32(a.SourceProtAddress) ||
				uint32(k.W[packet.WNw]) != ip32(a.DstProtAddress) || k.W[packet.WArpSha]>>16 != mac(a.SourceHwAddress) ||
				k.W[packet.WArpTha]>>16 != mac(a.DstHwAddress) {
				fail("arp fields")
			}
		}
		if later {
			if k.Flags&packet.FlagL4 != 0 || k.W[packet.WTp] != 0 {
				fail("L4 parsed on a later fragment")
			}
			continue
		}
		if tl := gp.TransportLayer(); tl != nil {
			var sp, dp, flags uint16
			switch l := tl.(type) {
			case *layers.TCP:
				sp, dp = uint16(l.SrcPort), uint16(l.DstPort)
				for j, b := range []bool{l.FIN, l.SYN, l.RST, l.PSH, l.ACK, l.URG, l.ECE, l.CWR, l.NS} {
					if b {
						flags |= 1 << j
					}
				}
			case *layers.UDP:
				sp, dp = uint16(l.SrcPort), uint16(l.DstPort)
			case *layers.SCTP:
				sp, dp = uint16(l.SrcPort), uint16(l.DstPort)
			}
			if k.TpSrc() != sp || k.TpDst() != dp || k.TCPFlags() != flags || k.Flags&packet.FlagL4 == 0 {
				fail("transport %d %d %x", sp, dp, flags)
			}
			if int(k.L7-k.L4) != len(tl.LayerContents()) {
				fail("L7 %d", k.L7)
			}
		}
		if ic, ok := gp.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
			if k.TpSrc() != uint16(ic.TypeCode.Type()) || k.TpDst() != uint16(ic.TypeCode.Code()) || k.Flags&packet.FlagL4 == 0 {
				fail("icmp")
			}
		}
		if ic, ok := gp.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); ok {
			if k.TpSrc() != uint16(ic.TypeCode.Type()) || k.TpDst() != uint16(ic.TypeCode.Code()) || k.Flags&packet.FlagL4 == 0 {
				fail("icmpv6")
			}
			var target net.IP
			var opts layers.ICMPv6Options
			if ns, ok := gp.Layer(layers.LayerTypeICMPv6NeighborSolicitation).(*layers.ICMPv6NeighborSolicitation); ok {
				target, opts = ns.TargetAddress, ns.Options
			}
			if na, ok := gp.Layer(layers.LayerTypeICMPv6NeighborAdvertisement).(*layers.ICMPv6NeighborAdvertisement); ok {
				target, opts = na.TargetAddress, na.Options
			}
			var sll, tll uint64
			var tg [2]uint64
			if target != nil {
				tg = ip128(target)
				for _, o := range opts {
					switch o.Type {
					case layers.ICMPv6OptSourceAddress:
						sll = mac(o.Data)
					case layers.ICMPv6OptTargetAddress:
						tll = mac(o.Data)
					}
				}
			}
			if [2]uint64{k.W[packet.WNdTarget], k.W[packet.WNdTarget+1]} != tg || k.W[packet.WArpSha]>>16 != sll || k.W[packet.WArpTha]>>16 != tll {
				fail("nd fields")
			}
		}
		if k.Flags&packet.FlagL4 != 0 && k.NwFrag() == 0 && !pk.L4ChecksumOK() {
			fail("gopacket's checksum does not verify")
		}
	}
}
