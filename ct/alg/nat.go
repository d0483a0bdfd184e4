package alg

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"

	"gswitch/packet"
)

// NAT of FTP control payloads.

// Rewrite replaces OldLen bytes at offset Off of a packet's L4 payload with
// New.
type Rewrite struct {
	Off    int
	OldLen int
	New    []byte
}

// Delta is the change in payload length (and so in the sequence space of
// the stream after the rewrite).
func (r *Rewrite) Delta() int { return len(r.New) - r.OldLen }

// Errors of FTPArg and ApplyRewrites.
var (
	ErrFamily    = errors.New("alg: address family does not fit the announcement")
	ErrRewrite   = errors.New("alg: rewrite outside the packet's payload, or rewrites overlap")
	ErrNoRoom    = errors.New("alg: no room in the packet buffer to grow the payload")
	ErrNotTCPSeg = errors.New("alg: packet is not a parsed, unfragmented TCP or UDP segment")
)

// NATAddr returns the address a NAT writes into an announcement sent in
// direction dir: the sender's address as the receiver sees it (Orig: the
// client's translated address Reply.Dst; Reply: the server's address as
// the client knows it, Orig.Dst). OVS keeps the announced port.
func (m *Master) NATAddr(dir Dir) netip.Addr {
	if dir == Orig {
		return m.Reply.Dst
	}
	return m.Orig.Dst
}

// FTPArg appends to dst the argument text announcing addr and port for
// kind k, in the form Match.Len counts (see Match.Seq): "a,b,c,d,p1,p2"
// for PORT and 227, "<d>1<d>a.b.c.d<d>port<d>" or "<d>2<d>v6<d>port<d>"
// for EPRT, "<d><d><d>port<d>" for 229 (addr is ignored). delim 0 means
// '|'.
func FTPArg(dst []byte, k Kind, addr netip.Addr, port uint16, delim byte) ([]byte, error) {
	if delim == 0 {
		delim = '|'
	}
	switch k {
	case KindPORT, KindPASV:
		if !addr.Is4() {
			return dst, ErrFamily
		}
		a := addr.As4()
		for _, b := range a {
			dst = strconv.AppendUint(dst, uint64(b), 10)
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, uint64(port>>8), 10)
		dst = append(dst, ',')
		return strconv.AppendUint(dst, uint64(port&0xff), 10), nil
	case KindEPRT:
		af := byte('1')
		switch {
		case addr.Is4():
		case addr.Is6() && !addr.Is4In6():
			af = '2'
		default:
			return dst, ErrFamily
		}
		dst = append(dst, delim, af, delim)
		dst = addr.WithZone("").AppendTo(dst)
		dst = append(dst, delim)
		dst = strconv.AppendUint(dst, uint64(port), 10)
		return append(dst, delim), nil
	case KindEPSV:
		dst = append(dst, delim, delim, delim)
		dst = strconv.AppendUint(dst, uint64(port), 10)
		return append(dst, delim), nil
	}
	return dst, ErrFamily
}

// NATRewrite returns the rewrite that makes announcement m, found in the
// packet whose payload starts at sequence number seq and is n bytes long,
// announce addr and port instead. ok is false when the argument is not
// wholly inside this packet, or addr does not fit the kind. A rewrite
// whose text does not change has Delta 0 and may be skipped.
func (m *Match) NATRewrite(seq uint32, n int, addr netip.Addr, port uint16) (r Rewrite, ok bool) {
	off := int64(int32(m.Seq - seq))
	if off < 0 || off+int64(m.Len) > int64(n) {
		return r, false
	}
	b, err := FTPArg(make([]byte, 0, 64), m.Kind, addr, port, m.Delim)
	if err != nil {
		return r, false
	}
	return Rewrite{Off: int(off), OldLen: m.Len, New: b}, true
}

// Payload returns the L4 payload of a parsed TCP or UDP packet (without
// Ethernet padding), or nil.
func Payload(pk *packet.Packet) []byte {
	k := &pk.Key
	if k.Flags&packet.FlagL4 == 0 || k.NwFrag() != 0 {
		return nil
	}
	end := ipEnd(pk)
	if end < 0 || int(k.L7) > end {
		return nil
	}
	return pk.Data[k.L7:end]
}

// ipEnd returns the end of pk's IP datagram, or -1.
func ipEnd(pk *packet.Packet) int {
	k := &pk.Key
	l3 := int(k.L3)
	var end int
	switch {
	case k.Flags&packet.FlagIPv4 != 0 && l3+20 <= len(pk.Data):
		end = l3 + int(binary.BigEndian.Uint16(pk.Data[l3+2:]))
	case k.Flags&packet.FlagIPv6 != 0 && l3+40 <= len(pk.Data):
		end = l3 + 40 + int(binary.BigEndian.Uint16(pk.Data[l3+4:]))
	default:
		return -1
	}
	if end > len(pk.Data) {
		return -1
	}
	return end
}

// ApplyRewrites applies rws (sorted by Off, not overlapping, offsets in
// the payload as it was before any of them) to pk's L4 payload: it moves
// the bytes after each, fixes the IPv4 total length and header checksum
// or the IPv6 payload length, and recomputes the TCP/UDP checksum (a
// partial, offloaded checksum has its pseudo-header length adjusted
// instead). pk must be parsed (packet.Parse) and not a fragment; its Key
// offsets stay valid. It returns the total length delta.
func ApplyRewrites(pk *packet.Packet, rws []Rewrite) (int, error) {
	k := &pk.Key
	if k.Flags&packet.FlagL4 == 0 || k.NwFrag() != 0 || (k.NwProto() != ProtoTCP && k.NwProto() != ProtoUDP) {
		return 0, ErrNotTCPSeg
	}
	l3, l4, l7 := int(k.L3), int(k.L4), int(k.L7)
	v4 := k.Flags&packet.FlagIPv4 != 0
	ipEnd := ipEnd(pk)
	if ipEnd < 0 || l7 > ipEnd || l4 > l7 {
		return 0, ErrNotTCPSeg
	}
	plen := ipEnd - l7
	last := 0
	total := 0
	for i := range rws {
		r := &rws[i]
		if r.Off < last || r.OldLen < 0 || r.Off+r.OldLen > plen {
			return 0, ErrRewrite
		}
		last = r.Off + r.OldLen
		total += r.Delta()
	}
	oldIPLen := ipEnd - l3
	if v4 && oldIPLen+total > 65535 || !v4 && oldIPLen-40+total > 65535 || oldIPLen+total < 0 {
		return 0, ErrNoRoom
	}
	if len(rws) == 0 {
		return 0, nil
	}
	// Keep the payload from the first rewrite on, resize the datagram (at
	// its end, before any Ethernet padding), then write the payload back
	// with the new texts. Rewrites happen on a few control packets, so
	// the copy is cheap.
	from := rws[0].Off
	old := append([]byte(nil), pk.Data[l7+from:ipEnd]...)
	switch {
	case total > 0:
		if !pk.Grow(ipEnd, total) {
			return 0, ErrNoRoom
		}
	case total < 0:
		copy(pk.Data[ipEnd+total:], pk.Data[ipEnd:])
		pk.Data = pk.Data[:len(pk.Data)+total]
	}
	w := pk.Data[l7+from : ipEnd+total]
	pos := from // in old payload coordinates
	for i := range rws {
		r := &rws[i]
		w = w[copy(w, old[pos-from:r.Off-from]):]
		w = w[copy(w, r.New):]
		pos = r.Off + r.OldLen
	}
	copy(w, old[pos-from:])
	// Lengths and checksums.
	if v4 {
		old := binary.BigEndian.Uint16(pk.Data[l3+2:])
		nl := uint16(int(old) + total)
		binary.BigEndian.PutUint16(pk.Data[l3+2:], nl)
		c := binary.BigEndian.Uint16(pk.Data[l3+10:])
		binary.BigEndian.PutUint16(pk.Data[l3+10:], packet.UpdateCsum16(c, old, nl))
	} else {
		old := binary.BigEndian.Uint16(pk.Data[l3+4:])
		binary.BigEndian.PutUint16(pk.Data[l3+4:], uint16(int(old)+total))
	}
	csOff := l4 + 16
	if k.NwProto() == ProtoUDP {
		csOff = l4 + 6
		// UDP length field.
		ol := binary.BigEndian.Uint16(pk.Data[l4+4:])
		binary.BigEndian.PutUint16(pk.Data[l4+4:], uint16(int(ol)+total))
	}
	if k.Flags&packet.FlagCsumPartial != 0 && int(pk.Off.CsumStart)+int(pk.Off.CsumOffset) == csOff {
		// The field holds the pseudo-header sum, which includes the L4
		// length.
		oldL4 := uint16(ipEnd - l4)
		newL4 := uint16(ipEnd - l4 + total)
		c := binary.BigEndian.Uint16(pk.Data[csOff:])
		binary.BigEndian.PutUint16(pk.Data[csOff:], packet.AdjustSum16(c, oldL4, newL4))
	} else if !pk.RecomputeL4Checksum() {
		return total, ErrNotTCPSeg
	}
	return total, nil
}
