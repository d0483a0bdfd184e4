package underlay

import "gswitch/packet"

const (
	ethTypeARP  = 0x0806
	ethTypeIPv4 = 0x0800
	ethTypeIPv6 = 0x86dd
	protoICMPv6 = 58
	arpOpReply  = 2
	ndNS        = 135
	ndNA        = 136
)

func keyAddr(w *packet.Words, f packet.FieldID) Addr {
	v := w.Get(f)
	return AddrFromHiLo(v.Hi, v.Lo)
}

func keyMAC(w *packet.Words, f packet.FieldID) MAC {
	v := w.Get(f).Lo
	return MAC{byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// isGARP is OVS's is_garp: an ARP whose sender and target addresses match.
func isGARP(w *packet.Words) bool {
	return w.EthType() == ethTypeARP && w.IPv4Src() == w.IPv4Dst()
}

// ndDstCorrect is is_nd_dst_correct: the advertisement went to addr or to
// its solicited-node multicast address ff02::1:ffXX:XXXX.
func ndDstCorrect(w *packet.Words, addr Addr) bool {
	d := keyAddr(w, packet.FieldIPv6Dst)
	if d[0] == 0xff && d[1]&0x0f == 0x02 && d[11] == 0x01 && d[12] == 0xff &&
		d[13] == addr[13] && d[14] == addr[14] && d[15] == addr[15] {
		return true
	}
	return d == addr
}

// replyMatched is is_neighbor_reply_matched: an ARP to addr (IPv4) or an
// ICMPv6 message to addr (IPv6).
func replyMatched(w *packet.Words, addr Addr) bool {
	if addr.Is4() {
		return w.EthType() == ethTypeARP && addr.V4() == w.IPv4Dst()
	}
	return ndDstCorrect(w, addr)
}

// IsNeighborReplyFor is xlate's check_neighbor_reply: the packet is an ARP
// or ICMPv6 message addressed to one of addrs, the addresses of the bridge
// (OVS: every address of the device named as the bridge, then the first
// address of each of the bridge's ports' devices).
func IsNeighborReplyFor(w *packet.Words, addrs []Addr) bool {
	if w.EthType() != ethTypeARP && w.NwProto() != protoICMPv6 {
		return false
	}
	for _, a := range addrs {
		if replyMatched(w, a) {
			return true
		}
	}
	return false
}

// Snoop is tnl_neigh_snoop: an ARP reply or gratuitous ARP (request or
// reply) with a sender MAC teaches spa -> sha; a neighbour advertisement
// (ICMPv6 type 136, code 0) with a target link-layer address option
// teaches nd_target -> tll. It reports whether the packet was one of those.
func (c *NeighCache) Snoop(bridge string, w *packet.Words) bool {
	if w.EthType() == ethTypeARP {
		if !isGARP(w) && w.NwProto() != arpOpReply {
			return false
		}
		sha := keyMAC(w, packet.FieldARPSha)
		if sha == (MAC{}) {
			return false
		}
		c.Set(bridge, AddrFromUint32(w.IPv4Src()), sha)
		return true
	}
	if w.EthType() != ethTypeIPv6 || w.NwProto() != protoICMPv6 || w.TpDst() != 0 || w.TpSrc() != ndNA {
		return false
	}
	tll := keyMAC(w, packet.FieldNdTll)
	if tll == (MAC{}) {
		return false
	}
	c.Set(bridge, keyAddr(w, packet.FieldNdTarget), tll)
	return true
}

// SnoopOutput is the neighbour part of xlate's terminate_native_tunnel, for
// the datapath to call when a packet (parsed key w) is output on bridge to a
// port that is not a tunnel port and has an IP address:
//   - decapsulated is true when a tunnel port of the datapath claims the
//     packet (it is tunnel traffic to this host): an IP packet then teaches
//     its outer source address -> its Ethernet source;
//   - otherwise an ARP/ICMPv6 message to one of bridgeAddrs
//     (IsNeighborReplyFor), or a gratuitous ARP, is snooped (Snoop).
//
// OVS does this only while its datapath has at least one tunnel port
// (ovs_native_tunneling_is_on: no tunnel port, no snooping), and only when it
// translates a flow (a packet that hits an installed datapath flow teaches
// nothing); the caller should check the first and may call this per packet.
func (c *NeighCache) SnoopOutput(bridge string, w *packet.Words, bridgeAddrs []Addr, decapsulated bool) {
	if decapsulated {
		switch w.EthType() {
		case ethTypeIPv4:
			c.Set(bridge, AddrFromUint32(w.IPv4Src()), keyMAC(w, packet.FieldEthSrc))
		case ethTypeIPv6:
			c.Set(bridge, keyAddr(w, packet.FieldIPv6Src), keyMAC(w, packet.FieldEthSrc))
		}
		return
	}
	if IsNeighborReplyFor(w, bridgeAddrs) || isGARP(w) {
		c.Snoop(bridge, w)
	}
}
