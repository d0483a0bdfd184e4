package pipeline

import "gswitch/packet"

// This file runs multipath, bundle and bundle_load (ovs-actions(7)), with
// OVS's hashes and choices (flowhash.go).

// setSub writes v under m into field f of pk (its frame too when hdr).
func setSub(pk *packet.Packet, hdr bool, f packet.FieldID, v, m packet.U128) {
	if hdr {
		pk.SetField(f, v, m)
	} else {
		pk.Key.W.SetMasked(f, v, m)
	}
}

// writeSub writes v (its low sf.NBits bits) into subfield sf of pk: a key
// field (in the frame too when hdr) or tun_metadata.
func writeSub(pk *packet.Packet, hdr bool, sf Subfield, v packet.U128) {
	if t := sf.Tun; t.Len != 0 {
		pk.Tun.SetBits(int(t.Idx), t.Slots, uint(sf.Ofs), uint(sf.NBits), v)
		return
	}
	m := subOnes(sf.NBits).Shl(uint(sf.Ofs))
	setSub(pk, hdr, sf.Field, v.Shl(uint(sf.Ofs)).And(m), m)
}

// multipath runs a multipath action on each packet of grp: the link its
// hash picks goes into the destination subfield.
func (w *worker) multipath(grp []*packet.Packet, o *op) {
	mp := o.mp
	n := uint32(mp.MaxLink) + 1
	for _, pk := range grp {
		link := MultipathLink(HashFields(&pk.Key, mp.Fields, mp.Basis), mp.Algorithm, n, mp.Arg)
		writeSub(pk, o.hdr, mp.Dst, packet.U128{Lo: uint64(link)})
	}
}

// memberLive is OVS's member_enabled_cb: a port member is live while its
// port is up; the reserved ports but controller always are.
func (w *worker) memberLive(p uint32) bool {
	switch p {
	case PortInPort, PortTable, PortNormal, PortFlood, PortAll, PortAny:
		return true
	case PortController:
		return false
	}
	pi, ok := w.ports.lookup(p)
	return ok && pi.Up
}

// bundleLive fills w.live with the liveness of b's members (once per group
// of packets, not per packet) and reports whether any is live.
func (w *worker) bundleLive(b *Bundle) bool {
	n := len(b.Members)
	if cap(w.live) < n {
		w.live = make([]bool, n, max(n, 8))
	}
	w.live = w.live[:n]
	any := false
	for i, p := range b.Members {
		w.live[i] = w.memberLive(p)
		any = any || w.live[i]
	}
	return any
}

// bundleHRW is OVS's execute_hrw over the members w.live marks live.
func (w *worker) bundleHRW(b *Bundle, pk *packet.Packet) uint32 {
	h := HashFields(&pk.Key, b.Fields, b.Basis)
	best, bestH := -1, uint32(0)
	for i := range b.Members {
		if !w.live[i] {
			continue
		}
		if x := hash2Words(uint32(i), h); best < 0 || x > bestH {
			best, bestH = i, x
		}
	}
	if best < 0 {
		return PortAny
	}
	return b.Members[best]
}

// bundle runs bundle (output to the chosen member) or bundle_load (its
// OpenFlow 1.0 port number into the destination) on grp.
func (w *worker) bundle(grp []*packet.Packet, o *op, st *xstate) {
	b := o.bd
	anyLive := w.bundleLive(b)
	choice := PortAny
	if b.Algorithm == BundleActiveBackup {
		for i, p := range b.Members {
			if w.live[i] {
				choice = p
				break
			}
		}
	}
	for _, pk := range grp {
		p := choice
		if b.Algorithm == BundleHRW && anyLive {
			p = w.bundleHRW(b, pk)
		}
		if !b.Load {
			w.outputOne(pk, p, 0, st)
			continue
		}
		if p >= PortMax {
			p -= 0xffff0000 // the OpenFlow 1.0 number of a reserved port
		}
		writeSub(pk, o.hdr, b.Dst, packet.U128{Lo: uint64(p)})
	}
}
