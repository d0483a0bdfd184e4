package ct

import "gswitch/packet"

// fragger is the fragment reassembler as ct uses it. Until ct/frag is
// wired in, fragments are +trk+inv (as OVS with ipf disabled).
type fragger interface{}

func newFragger() fragger { return nil }

// executeFrag handles an IP fragment.
func (t *Tracker) executeFrag(pk *packet.Packet, out []*packet.Packet, p *Params, now int64) []*packet.Packet {
	t.writeInvalid(pk, p.Zone)
	return append(out, pk)
}
