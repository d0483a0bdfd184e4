package frag

import (
	"encoding/binary"

	"gswitch/packet"
)

var be = binary.BigEndian

// parseStatus is what parseFrag found.
type parseStatus uint8

const (
	psOK parseStatus = iota + 1
	psNotFragment
	psMalformed
)

// fragInfo describes one fragment, read from its frame. Offsets are
// relative to the frame start; start and end delimit the fragment's data
// inside the datagram's fragmentable part, [start, end).
type fragInfo struct {
	key    fragKey
	v6     bool
	more   bool  // More Fragments
	start  int32 // data offset in the datagram
	end    int32 // exclusive
	l3Size int   // IP header plus payload (OVS's l3 size)
	l3     int   // IP header offset
	ipEnd  int   // end of the IP packet (without link padding)
	data   int   // offset of the fragment's data
	// IPv6 only: offset of the Fragment header, of the next-header byte
	// that names it, and its own next-header value.
	fh, prevNH int
	nextHdr    uint8
}

// first reports whether the fragment is the first (offset 0, more set).
func (fi *fragInfo) first() bool { return fi.start == 0 && fi.more }

// last reports whether the fragment is the last (offset set, more clear).
func (fi *fragInfo) last() bool { return fi.start != 0 && !fi.more }

// parseFrag reads pk's fragment fields from the frame at pk.Key.L3. It
// checks every bound itself and so depends on the packet parser only for
// L3 and the family flags.
func parseFrag(pk *packet.Packet, fi *fragInfo) parseStatus {
	k := &pk.Key
	d := pk.Data
	l3 := int(k.L3)
	if l3 > len(d) {
		return psMalformed
	}
	switch {
	case k.Flags&packet.FlagIPv4 != 0:
		return parse4(d, l3, fi)
	case k.Flags&packet.FlagIPv6 != 0:
		return parse6(d, l3, fi)
	}
	return psNotFragment
}

func parse4(d []byte, l3 int, fi *fragInfo) parseStatus {
	if len(d)-l3 < 20 || d[l3]>>4 != 4 {
		return psMalformed
	}
	ihl := int(d[l3]&0xf) * 4
	tot := int(be.Uint16(d[l3+2:]))
	if ihl < 20 || tot < ihl || tot > len(d)-l3 {
		return psMalformed
	}
	h := d[l3 : l3+ihl]
	fo := be.Uint16(h[6:])
	if fo&0x3fff == 0 {
		return psNotFragment
	}
	if packet.Checksum(h) != 0 {
		return psMalformed
	}
	start := int32(fo&0x1fff) * 8
	fi.v6 = false
	fi.more = fo&0x2000 != 0
	fi.start = start
	fi.end = start + int32(tot-ihl)
	fi.l3Size = tot
	fi.l3 = l3
	fi.ipEnd = l3 + tot
	fi.data = l3 + ihl
	fi.key = fragKey{
		id:    uint32(be.Uint16(h[4:])),
		proto: h[9],
		v6:    false,
	}
	copy(fi.key.src[:4], h[12:16])
	copy(fi.key.dst[:4], h[16:20])
	return psOK
}

// parse6 finds the first Fragment header of the IPv6 packet at l3 (with
// packet.WalkIPv6, over at most packet.MaxIPv6ExtHeaders extension
// headers, as packet.Parse that flagged the fragment).
func parse6(d []byte, l3 int, fi *fragInfo) parseStatus {
	if len(d)-l3 < 40 || d[l3]>>4 != 6 {
		return psMalformed
	}
	end := l3 + 40 + int(be.Uint16(d[l3+4:]))
	if end > len(d) {
		return psMalformed
	}
	c, ok := packet.WalkIPv6(d[:end], l3, packet.MaxIPv6ExtHeaders)
	p := c.Frag
	if p == 0 {
		if !ok {
			return psMalformed
		}
		return psNotFragment
	}
	offlg := be.Uint16(d[p+2:])
	if offlg&packet.IPv6FragNotAtomic == 0 {
		// Offset 0 and M clear: an atomic fragment (RFC 6946), a whole
		// datagram.
		return psNotFragment
	}
	start := int32(offlg & packet.IPv6FragOffsetMask)
	fi.v6 = true
	fi.more = offlg&packet.IPv6FragMore != 0
	fi.start = start
	fi.end = start + int32(end-(p+8))
	fi.l3Size = end - l3
	fi.l3 = l3
	fi.ipEnd = end
	fi.data = p + 8
	fi.fh = p
	fi.prevNH = c.FragPrev
	fi.nextHdr = d[p]
	fi.key = fragKey{id: be.Uint32(d[p+4:]), v6: true}
	copy(fi.key.src[:], d[l3+8:l3+24])
	copy(fi.key.dst[:], d[l3+24:l3+40])
	return psOK
}
