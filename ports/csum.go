package ports

import (
	"encoding/binary"

	"gswitch/packet"
)

// The checksum arithmetic is packet's (packet/checksum.go); these wrappers
// take headers as bytes, since ports works on frames whose key may be stale.

// csumAdd returns the ones'-complement sum of b added to initial, folded to
// 16 bits (every piece but the last of a chained sum must be even-sized).
func csumAdd(b []byte, initial uint32) uint32 { return packet.Sum(b, initial) }

// csumFold folds a sum to 16 bits (not complemented).
func csumFold(s uint32) uint16 { return packet.Fold(s) }

// pseudoSum is the sum of the TCP/UDP pseudo-header of the IPv4 (ipv4
// true) or IPv6 packet whose header starts at ip, carrying l4len bytes of
// protocol proto.
func pseudoSum(ip []byte, ipv4 bool, proto uint8, l4len int) uint32 {
	if ipv4 {
		return packet.PseudoSum4(binary.BigEndian.Uint32(ip[12:]), binary.BigEndian.Uint32(ip[16:]), proto, uint16(l4len))
	}
	return packet.PseudoSum6(ip[8:24], ip[24:40], proto, uint32(l4len))
}

// ipv4HeaderChecksum recomputes the checksum of the IPv4 header h (all
// IHL*4 bytes of it) in place.
func ipv4HeaderChecksum(h []byte) {
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:], packet.Checksum(h))
}
