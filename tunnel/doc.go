// Package tunnel is the packet side of native tunnelling (Geneve and VXLAN
// ports), as OVS 3.1's userspace datapath does it (lib/netdev-vport.c,
// lib/netdev-native-tnl.c, lib/tnl-ports.c, ofproto/tunnel.c). It knows
// headers, configurations and OVS's rules; it owns no routing, neighbour
// table, port or bridge: the datapath supplies those. It imports only the
// standard library and package packet.
//
// Configuration: ParseConfig turns an Interface's type and options into a
// Config, or the error OVS writes to Interface.error (ConfigError), plus the
// warnings OVS only logs.
//
// Sending (a flow outputs to a tunnel port):
//
//	var f tunnel.Flow
//	cfg.SendFlow(&pk.Key, &f)            // OVS's tnl_port_send: addresses, key, TOS, TTL, flags
//	// route f.Dst (f.Src: local_ip, a preferred source), resolve the next hop:
//	o := tunnel.Outer{SrcMAC: brPhyMAC, DstMAC: nextHopMAC, Src: routeSrc}
//	err := tunnel.Encap(pk, cfg, &f, tlv, &o, rssHash)
//	// pk now holds the outer frame: output it through the bridge that owns
//	// the route's device (br-phy) as from its LOCAL port.
//
// Encap writes into the packet's headroom (or moves the frame within its
// buffer) and allocates nothing. rssHash is the packet's 5-tuple hash as
// the datapath first computed it (pipeline.RSSHash, OVS's
// miniflow_hash_5tuple); SrcPort maps it into 32768-61000, so the UDP
// source port is OVS's own for the same inner packet.
//
// Receiving: the set of tunnel ports of all bridges is a Ports (NewPorts,
// immutable; rebuild on a port change). When a parsed frame is about to be
// output to an internal port that holds an underlay address (the Endpoint:
// that port's MAC and one of its addresses), OVS checks it first:
//
//	if vp, ok := ports.Recognize(&pk.Key, &ep); ok {
//		port, drop := ports.Decap(pk, vp, &scratch, tlvOfBridge)
//		// drop != tunnel.Pass: count drop.Counter(), log scratch.Warning()
//		// else: the inner frame enters port.OFPort's bridge with the
//		// tunnel words and pk.Tun set (parse it, set in_port)
//	}
//
// Decap is Pop (validate and strip the outer headers: DropPop), Find (the
// port, OVS's tnl_find: DropNoPort) and SetMetadata (Geneve options mapped
// by the bridge's TLV table: unmapped options are left out, an unmapped
// critical option or a length that differs from the mapping is
// DropMetadata), allocation-free.
//
// What OVS 3.1's userspace datapath does not do, this package does not
// either: VXLAN GBP is neither encoded nor accepted (a frame with the G flag
// fails Pop, as in OVS); the outer IPv4 header has id 0; IPv6 outer UDP
// always carries a checksum; tun_gbp_* come out zero.
package tunnel
