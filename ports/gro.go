package ports

import (
	"encoding/binary"

	"gswitch/packet"
)

// Coalesce appends src's TCP payload to dst (generic receive offload, as
// the kernel's GRO merges segments) when src is the next segment of dst's
// TCP stream, and reports whether it did; src is then no longer needed.
// dst becomes a GSO super-frame (pk.Off: TCPv4 or TCPv6, GSOSize the first
// segment's payload, the checksum partial) that any port sends as the
// segments it stands for: a port with virtio-net headers hands it to the
// kernel whole, others cut it again (Segment).
//
// Both frames are wire frames (no offload) except dst when an earlier
// Coalesce made it a super-frame. They are merged only when each one's
// IPv4 header checksum and TCP checksum verify (so a damaged segment is
// never given a fresh checksum), every header byte is the same but the
// IP length, IPv4 id and checksum, TCP sequence number, flags and
// checksum; IPv4 without options, not a fragment, with DF or consecutive
// ids; IPv6 without extension headers; dst's flags only ACK, src's ACK
// or ACK|PSH; src's sequence number dst's end; every segment in dst of
// the first one's size and src no larger; at most 64 KiB of IP packet.
func Coalesce(dst, src *packet.Packet) bool {
	if HasOffload(&src.Off) || (HasOffload(&dst.Off) && dst.Off.GSOType != GSOTCPv4 && dst.Off.GSOType != GSOTCPv6) {
		return false
	}
	d, s := dst.Data, src.Data
	di, ok := locate(d)
	if !ok || di.proto != packet.ProtoTCP || di.end != len(d) {
		return false
	}
	si, ok := locate(s)
	if !ok || si.proto != packet.ProtoTCP || si.end != len(s) || si.hdrLen != di.hdrLen || si.l4 != di.l4 {
		return false
	}
	l3, l4, hl := di.l3, di.l4, di.hdrLen
	if di.ipv4 && l4-l3 != 20 || !di.ipv4 && l4-l3 != 40 {
		return false // IPv4 options, IPv6 extension headers
	}
	if d[l4+13] != 0x10 || (s[l4+13] != 0x10 && s[l4+13] != 0x18) {
		return false
	}
	if !sameHeaders(d[:hl], s[:hl], l3, l4, di.ipv4) {
		return false
	}
	dpay, spay := len(d)-hl, len(s)-hl
	gso := HasOffload(&dst.Off)
	mss := dpay
	if gso {
		mss = int(dst.Off.GSOSize)
	}
	if spay == 0 || mss == 0 || dpay%mss != 0 || spay > mss || len(d)-l3+spay > 65535 || cap(d)-len(d) < spay {
		return false
	}
	if binary.BigEndian.Uint32(s[l4+4:]) != binary.BigEndian.Uint32(d[l4+4:])+uint32(dpay) {
		return false
	}
	if di.ipv4 && d[l3+6]&0x40 == 0 && binary.BigEndian.Uint16(s[l3+4:]) != binary.BigEndian.Uint16(d[l3+4:])+uint16(dpay/mss) {
		return false
	}
	if !wireChecksumsOK(s, &si) || (!gso && !wireChecksumsOK(d, &di)) {
		return false
	}
	n := len(d)
	d = d[:n+spay]
	copy(d[n:], s[hl:])
	dst.Data = d
	if di.ipv4 {
		binary.BigEndian.PutUint16(d[l3+2:], uint16(len(d)-l3))
		packet.PutIPv4HeaderChecksum(d[l3:l4])
	} else {
		binary.BigEndian.PutUint16(d[l3+4:], uint16(len(d)-l4))
	}
	d[l4+13] = s[l4+13]
	binary.BigEndian.PutUint16(d[l4+16:], packet.Fold(packet.PseudoSumIPHeader(d[l3:], !di.ipv4, packet.ProtoTCP, len(d)-l4)))
	t := uint8(GSOTCPv4)
	if !di.ipv4 {
		t = GSOTCPv6
	}
	dst.Off = packet.Offload{CsumStart: uint16(l4), CsumOffset: 16, GSOType: t, GSOSize: uint16(mss), HdrLen: uint16(hl)}
	dst.Key.Flags |= packet.FlagCsumPartial
	return true
}

// sameHeaders compares two frames' headers (Ethernet to the end of the
// TCP options) but for the fields that differ between segments.
func sameHeaders(a, b []byte, l3, l4 int, ipv4 bool) bool {
	eq := func(from, to int) bool { return string(a[from:to]) == string(b[from:to]) }
	if !eq(0, l3) {
		return false
	}
	if ipv4 {
		// Total length [2:4], id [4:6] and checksum [10:12] differ.
		if !eq(l3, l3+2) || !eq(l3+6, l3+10) || !eq(l3+12, l4) {
			return false
		}
	} else if !eq(l3, l3+4) || !eq(l3+6, l4) { // payload length [4:6]
		return false
	}
	// Sequence number [4:8], flags [13] and checksum [16:18] differ.
	return eq(l4, l4+4) && eq(l4+8, l4+13) && eq(l4+14, l4+16) && eq(l4+18, len(a))
}

// wireChecksumsOK reports whether a wire frame's IPv4 header checksum
// and TCP checksum verify.
func wireChecksumsOK(f []byte, in *l4Info) bool {
	if in.ipv4 && packet.Checksum(f[in.l3:in.l4]) != 0 {
		return false
	}
	l4 := f[in.l4:in.end]
	return packet.Fold(packet.Sum(l4, packet.PseudoSumIPHeader(f[in.l3:], !in.ipv4, packet.ProtoTCP, len(l4)))) == 0xffff
}
