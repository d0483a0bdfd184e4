package ct

import (
	"gswitch/ct/nat"
	"gswitch/packet"
)

// NAT is OVS 3.1's userspace NAT (lib/conntrack.c), with the tuple choice
// and the packet rewriting of package ct/nat: a committed connection with
// nat(src=...) or nat(dst=...) gets a translated reply key that no other
// live connection uses; every ct action with nat (bare nat included)
// rewrites the connection's packets both ways (addresses, ports,
// checksums, the header quoted in ICMP errors) and sets +snat or +dnat; a
// packet already translated in the zone is not translated again. A bare
// nat never sets up a translation.

func toTuple(k *connKey) nat.Tuple {
	return nat.Tuple{Src: k.src, Dst: k.dst, SrcPort: k.sport, DstPort: k.dport,
		Zone: k.zone, Proto: k.proto, IType: k.itype, V6: k.v6}
}

func fromTuple(t *nat.Tuple) connKey {
	return connKey{src: t.Src, dst: t.Dst, sport: t.SrcPort, dport: t.DstPort,
		zone: t.Zone, proto: t.Proto, itype: t.IType, v6: t.V6}
}

// natSetup chooses the translated reply key of a connection being
// committed with p's nat(src|dst=...) (tmp.key set). It returns false when
// no translation can be set up: an invalid range (the pipeline refuses
// those at install time) or tuple space exhaustion; as OVS, the packet
// then goes on +trk+new, untranslated, and no connection is created. A
// bare nat sets up nothing and returns true.
func (t *Tracker) natSetup(tmp *conn, n *NAT, now int64) bool {
	r, err := nat.FromRaw(n.Flags, n.RangePresent, n.AddrMin, n.AddrMax, n.PortMin, n.PortMax)
	if err != nil {
		t.cnt.natExhausted.Add(1)
		return false
	}
	if r.Kind == nat.None {
		return true
	}
	orig := toTuple(&tmp.key)
	reply, ok := nat.Select(&r, &orig, func(rt nat.Tuple) bool {
		// Only whether a live connection holds the tuple now: nothing is
		// done to it (insert checks again under the shard locks).
		k := fromTuple(&rt)
		c, _, _ := t.lookup(&k, now)
		return c != nil
	}, t.seed)
	if !ok {
		t.cnt.natExhausted.Add(1)
		return false
	}
	tmp.rkey = fromTuple(&reply)
	tmp.natAct = uint8(r.Kind)
	return true
}

// natPacket translates pk, a packet of c in direction reply (related: an
// ICMP error quoting c), and ors +snat/+dnat into state. If the frame
// cannot be translated it is left as it was and the packet is +inv.
func natPacket(pk *packet.Packet, c *conn, reply, related bool, state *uint32) {
	kind := nat.Kind(c.natAct)
	dir, other := nat.Orig, toTuple(&c.rkey)
	if reply {
		dir, other = nat.Reply, toTuple(&c.key)
	}
	var err error
	if related {
		err = nat.ApplyRelated(pk, kind, dir, &other)
	} else {
		err = nat.Apply(pk, kind, dir, &other)
	}
	if err != nil {
		*state = packet.CsInv
		return
	}
	*state |= nat.State(kind, dir)
}

// handleNAT applies c's translation to a packet of it (OVS's handle_nat):
// not again if the packet was already translated in this zone.
func (t *Tracker) handleNAT(pk *packet.Packet, c *conn, zone uint16, reply, related bool, state *uint32) {
	if c.natAct == 0 {
		return
	}
	nb := packet.CsSNAT | packet.CsDNAT
	if *state&nb != 0 && pk.Key.CtZone() == zone {
		return
	}
	*state &^= nb
	natPacket(pk, c, reply, related, state)
}
