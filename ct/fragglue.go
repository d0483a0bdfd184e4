package ct

import (
	"gswitch/ct/frag"
	"gswitch/packet"
)

// executeFrag sends an IP fragment to the reassembler (OVS's ipf): while
// its datagram is incomplete the fragment is held (left out of out); when
// the datagram completes, the whole datagram is tracked and every fragment
// is appended to out carrying the datagram's ct fields and connection.
// Refused fragments, and fragments of a family whose reassembly is
// disabled, are +trk+inv as in OVS.
func (t *Tracker) executeFrag(pk *packet.Packet, out []*packet.Packet, p *Params, now int64) []*packet.Packet {
	dg, v := t.frag.Handle(pk, p.Zone, now)
	switch v {
	case frag.Held:
		return out
	case frag.Complete:
		w := dg.Whole
		t.processPacket(w, p, now)
		if p.NAT != nil && w.Key.CtState()&(packet.CsSNAT|packet.CsDNAT) != 0 {
			// NAT rewrote the datagram: carry it into the fragments.
			dg.SyncFromWhole()
			for _, f := range dg.Frags {
				packet.Parse(f)
			}
		}
		for _, f := range dg.Frags {
			copyCt(&f.Key, &w.Key)
			f.Conn, f.ConnGen = w.Conn, w.ConnGen
			out = append(out, f)
		}
		return out
	case frag.NotFragment:
		t.processPacket(pk, p, now)
		return append(out, pk)
	}
	t.writeInvalid(pk, p.Zone)
	return append(out, pk)
}

// copyCt copies the ct_* fields of src into dst.
func copyCt(dst, src *packet.Key) {
	dst.W.CopyCt(&src.W)
}

// expireFrags passes on the fragments of datagrams that timed out, +inv
// (as OVS's ipf does with expired fragments).
func (t *Tracker) expireFrags(out []*packet.Packet, zone uint16, now int64) []*packet.Packet {
	n := len(out)
	out = t.frag.ExpireInto(now, out)
	for _, f := range out[n:] {
		t.writeInvalid(f, zone)
	}
	return out
}

// Frag returns the tracker's fragment reassembler (for its dpctl/ipf-*
// commands and statistics).
func (t *Tracker) Frag() *frag.Reassembler { return t.frag }
