package underlay

import (
	"encoding/binary"

	"gswitch/packet"
)

// ARPRequestLen and NSLen are the sizes of the frames BuildARPRequest and
// BuildNS write.
const (
	ARPRequestLen = 14 + 28
	NSLen         = 14 + 40 + 24 + 8
)

// BuildARPRequest appends to b OVS's ARP request for tip from smac/sip
// (compose_arp(ARP_OP_REQUEST, smac, 00:00:00:00:00:00, broadcast, sip,
// tip), as tnl_send_arp_request sends on a neighbour cache miss): 42 bytes,
// no padding. Addresses are in host order.
func BuildARPRequest(b []byte, smac MAC, sip, tip uint32) []byte {
	b = append(b, make([]byte, ARPRequestLen)...)
	f := b[len(b)-ARPRequestLen:]
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], smac[:])
	binary.BigEndian.PutUint16(f[12:], ethTypeARP)
	a := f[14:]
	binary.BigEndian.PutUint16(a[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800) // IPv4
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	copy(a[8:14], smac[:])
	binary.BigEndian.PutUint32(a[14:], sip)
	binary.BigEndian.PutUint32(a[24:], tip)
	return b
}

// SolicitedNode returns ff02::1:ffXX:XXXX for target's last 24 bits.
func SolicitedNode(target Addr) Addr {
	return Addr{0: 0xff, 1: 0x02, 11: 0x01, 12: 0xff, 13: target[13], 14: target[14], 15: target[15]}
}

// BuildNS appends to b OVS's neighbour solicitation for target from
// smac/src (compose_nd_ns, as tnl_send_nd_request sends on a cache miss): to
// the solicited-node multicast address and its 33:33:ff:XX:XX:XX MAC, hop
// limit 255, a source link-layer address option; 86 bytes.
func BuildNS(b []byte, smac MAC, src, target Addr) []byte {
	sn := SolicitedNode(target)
	b = append(b, make([]byte, NSLen)...)
	f := b[len(b)-NSLen:]
	copy(f[0:6], []byte{0x33, 0x33, sn[12], sn[13], sn[14], sn[15]})
	copy(f[6:12], smac[:])
	binary.BigEndian.PutUint16(f[12:], ethTypeIPv6)
	ip := f[14:]
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], 32)
	ip[6], ip[7] = protoICMPv6, 255
	copy(ip[8:24], src[:])
	copy(ip[24:40], sn[:])
	icmp := ip[40:]
	icmp[0] = ndNS
	copy(icmp[8:24], target[:])
	icmp[24], icmp[25] = 1, 1 // source link-layer address, 8 bytes
	copy(icmp[26:32], smac[:])
	sum := packet.Sum(icmp, packet.PseudoSum6(src[:], sn[:], protoICMPv6, 32))
	binary.BigEndian.PutUint16(icmp[2:], ^packet.Fold(sum))
	return b
}
