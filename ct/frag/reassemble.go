package frag

import "gswitch/packet"

// reassembleLocked builds the whole datagram of the complete, sorted d; last
// is the fragment that completed it (its metadata words go to the result).
// It returns nil when the datagram would be too big (OVS's "reassemble
// fail").
func (r *Reassembler) reassembleLocked(d *dgram, last *packet.Packet) *packet.Packet {
	f0 := &d.frags[0]
	first := f0.pk.Data
	total := int(d.total)
	var head int // bytes of the first fragment kept before the data
	if d.key.v6 {
		head = f0.fh // link + IPv6 header + unfragmentable extension headers
		if f0.fh-(f0.l3+40)+total > maxIPv6Payload {
			return nil
		}
	} else {
		head = f0.data // link + IPv4 header (options included)
		if f0.data-f0.l3+total > maxIPv4Packet {
			return nil
		}
	}
	n := head + total
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n, max(n, 2048))
	}
	b := r.scratch[:n]
	copy(b, first[:head])
	for i := range d.frags {
		f := &d.frags[i]
		copy(b[head+int(f.start):head+int(f.end)], f.pk.Data[f.data:f.ipEnd])
	}
	l3 := f0.l3
	if d.key.v6 {
		// Drop the Fragment header: the header that named it now names
		// what it named.
		b[f0.prevNH] = f0.nextHdr
		be.PutUint16(b[l3+4:], uint16(n-l3-40))
	} else {
		ihl := f0.data - l3
		be.PutUint16(b[l3+2:], uint16(n-l3))
		be.PutUint16(b[l3+6:], be.Uint16(b[l3+6:])&0xc000) // keep DF and the reserved bit; no MF, offset 0
		be.PutUint16(b[l3+10:], 0)
		be.PutUint16(b[l3+10:], packet.Checksum(b[l3:l3+ihl]))
	}
	w := packet.New(b)
	w.Key = last.Key
	w.Key.Flags = 0
	w.Conn = nil
	packet.Parse(w)
	return w
}
