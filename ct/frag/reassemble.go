package frag

import (
	"gswitch/ct/internal/lockcheck"
	"gswitch/packet"
)

// reassembleLocked builds the whole datagram of the complete, sorted d; last
// is the fragment that completed it (its metadata words go to the result).
// It returns nil when the datagram would be too big (OVS's "reassemble
// fail"). r.mu is held (r.scratch is the buffer).
//
// +checklocks:r.mu
func (r *Reassembler) reassembleLocked(d *dgram, last *packet.Packet) *packet.Packet {
	lockcheck.Held(&r.mu)
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
		packet.PutIPv4HeaderChecksum(b[l3 : l3+ihl])
	}
	w := packet.New(b)
	w.Key = last.Key
	w.Key.Flags = 0
	w.Conn = nil
	packet.Parse(w)
	return w
}

// SyncFromWhole copies into the fragments what conntrack may have changed
// in Whole (NAT), as OVS's ipf_post_execute_reass_pkts does: every
// fragment gets Whole's IP source and destination addresses (IPv4 header
// checksum recomputed), and the first fragment gets Whole's bytes over its
// own data range, so it carries the translated ports and the L4 checksum
// updated for the whole datagram. Call it after Whole went through
// conntrack and before forwarding Frags. It changes nothing in a fragment
// or a Whole that no longer parses as the same family.
func (dg *Datagram) SyncFromWhole() {
	w := dg.Whole
	wk := &w.Key
	wl3 := int(wk.L3)
	v6 := wk.Flags&packet.FlagIPv6 != 0
	if wk.Flags&(packet.FlagIPv4|packet.FlagIPv6) == 0 {
		return
	}
	var addrs []byte
	if v6 {
		if len(w.Data) < wl3+40 {
			return
		}
		addrs = w.Data[wl3+8 : wl3+40]
	} else {
		if len(w.Data) < wl3+20 {
			return
		}
		addrs = w.Data[wl3+12 : wl3+20]
	}
	for _, f := range dg.Frags {
		var fi fragInfo
		if parseFrag(f, &fi) != psOK || fi.v6 != v6 {
			continue
		}
		d := f.Data
		if v6 {
			copy(d[fi.l3+8:fi.l3+40], addrs)
		} else {
			copy(d[fi.l3+12:fi.l3+20], addrs)
			ihl := fi.data - fi.l3
			packet.PutIPv4HeaderChecksum(d[fi.l3 : fi.l3+ihl])
		}
		if fi.start != 0 {
			continue
		}
		// Where the data starts in Whole: after the same headers.
		var ws int
		if v6 {
			ws = wl3 + (fi.fh - fi.l3)
		} else {
			ws = wl3 + int(w.Data[wl3]&0xf)*4
		}
		n := int(fi.end - fi.start)
		if ws >= 0 && ws+n <= len(w.Data) {
			copy(d[fi.data:fi.data+n], w.Data[ws:ws+n])
		}
	}
}
