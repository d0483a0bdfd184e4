package ofproto

import "gswitch/pipeline"

// tableFeatures13 is one ofp13_table_features entry with its properties:
// the table's configured name and max_entries from ts.
func tableFeatures13(ts *pipeline.TableStats, ntables uint8) []byte {
	table := ts.Table
	m := &msg{}
	m.u16(0).u8(table).zeros(5)
	m.str(ts.Name, 32)                // OVS's tables have no name unless one is configured
	m.u64(^uint64(0)).u64(^uint64(0)) // metadata match, write
	m.u32(0).u32(ts.MaxEntries)       // config, max_entries
	for _, miss := range []uint16{0, 1} {
		// OFPTFPT_INSTRUCTIONS(_MISS): goto_table (unless last), write_metadata,
		// write_actions, apply_actions, clear_actions, meter.
		start := m.len()
		m.u16(0 + miss).u16(0)
		for _, it := range []uint16{1, 2, 3, 4, 5, 6} {
			if it == 1 && table == ntables-1 {
				continue
			}
			m.u16(it).u16(4)
		}
		m.put16(start+2, uint16(m.len()-start))
		m.pad8(start)
		// OFPTFPT_NEXT_TABLES(_MISS).
		start = m.len()
		m.u16(2 + miss).u16(0)
		for t := int(table) + 1; t < int(ntables); t++ {
			m.u8(uint8(t))
		}
		m.put16(start+2, uint16(m.len()-start))
		m.pad8(start)
		// OFPTFPT_WRITE_ACTIONS(_MISS), OFPTFPT_APPLY_ACTIONS(_MISS).
		for _, pt := range []uint16{4, 6} {
			start = m.len()
			m.u16(pt + miss).u16(0)
			for _, at := range supportedActions13 {
				m.u16(at).u16(4)
			}
			m.put16(start+2, uint16(m.len()-start))
			m.pad8(start)
		}
	}
	// OFPTFPT_MATCH, OFPTFPT_WILDCARDS, OFPTFPT_WRITE_SETFIELD(_MISS),
	// OFPTFPT_APPLY_SETFIELD(_MISS).
	for _, pt := range []uint16{8, 10, 12, 13, 14, 15} {
		start := m.len()
		m.u16(pt).u16(0)
		for _, f := range tableFeatureFields {
			switch pt {
			case 8:
				// An arbitrarily maskable field is listed with the
				// has-mask bit and the doubled length, as OVS does.
				h := f.header
				if f.maskable {
					h = h&^0xff | 1<<8 | (h&0xff)*2
				}
				m.u32(h)
			case 10:
				m.u32(f.header)
			default:
				if f.writable {
					m.u32(f.header)
				}
			}
		}
		m.put16(start+2, uint16(m.len()-start))
		m.pad8(start)
	}
	m.put16(0, uint16(m.len()))
	return m.b
}

// OpenFlow 1.3 action types gswitch executes: output, push_vlan, pop_vlan,
// set_queue, group, set_nw_ttl, dec_nw_ttl, set_field (no MPLS, unlike OVS).
var supportedActions13 = []uint16{0, 17, 18, 21, 22, 23, 24, 25}

type tfField struct {
	header   uint32
	maskable bool
	writable bool
}

func oxm(class uint16, field uint8, length uint8) uint32 {
	return uint32(class)<<16 | uint32(field)<<9 | uint32(length)
}

// tableFeatureFields lists the match fields gswitch supports, by OXM/NXM
// header (without the has-mask bit).
var tableFeatureFields = func() []tfField {
	var fs []tfField
	add := func(h uint32, maskable, writable bool) { fs = append(fs, tfField{h, maskable, writable}) }
	const ofb, nx0, nx1 = 0x8000, 0x0000, 0x0001
	add(oxm(nx0, 0, 2), false, true)   // NXM_OF_IN_PORT
	add(oxm(ofb, 0, 4), false, true)   // in_port
	add(oxm(ofb, 2, 8), true, true)    // metadata
	add(oxm(ofb, 3, 6), true, true)    // eth_dst
	add(oxm(ofb, 4, 6), true, true)    // eth_src
	add(oxm(ofb, 5, 2), false, false)  // eth_type
	add(oxm(ofb, 6, 2), true, true)    // vlan_vid
	add(oxm(ofb, 7, 1), false, true)   // vlan_pcp
	add(oxm(ofb, 8, 1), false, true)   // ip_dscp
	add(oxm(ofb, 9, 1), false, true)   // ip_ecn
	add(oxm(ofb, 10, 1), false, false) // ip_proto
	add(oxm(ofb, 11, 4), true, true)   // ipv4_src
	add(oxm(ofb, 12, 4), true, true)   // ipv4_dst
	add(oxm(ofb, 13, 2), true, true)   // tcp_src
	add(oxm(ofb, 14, 2), true, true)   // tcp_dst
	add(oxm(ofb, 15, 2), true, true)   // udp_src
	add(oxm(ofb, 16, 2), true, true)   // udp_dst
	add(oxm(ofb, 17, 2), true, true)   // sctp_src
	add(oxm(ofb, 18, 2), true, true)   // sctp_dst
	add(oxm(ofb, 19, 1), false, true)  // icmpv4_type
	add(oxm(ofb, 20, 1), false, true)  // icmpv4_code
	add(oxm(ofb, 21, 2), false, true)  // arp_op
	add(oxm(ofb, 22, 4), true, true)   // arp_spa
	add(oxm(ofb, 23, 4), true, true)   // arp_tpa
	add(oxm(ofb, 24, 6), true, true)   // arp_sha
	add(oxm(ofb, 25, 6), true, true)   // arp_tha
	add(oxm(ofb, 26, 16), true, true)  // ipv6_src
	add(oxm(ofb, 27, 16), true, true)  // ipv6_dst
	add(oxm(ofb, 28, 4), true, true)   // ipv6_flabel
	add(oxm(ofb, 29, 1), false, true)  // icmpv6_type
	add(oxm(ofb, 30, 1), false, true)  // icmpv6_code
	add(oxm(ofb, 31, 16), true, true)  // ipv6_nd_target
	add(oxm(ofb, 32, 6), true, true)   // ipv6_nd_sll
	add(oxm(ofb, 33, 6), true, true)   // ipv6_nd_tll
	add(oxm(nx0, 4, 2), true, true)    // NXM_OF_VLAN_TCI
	add(oxm(nx0, 5, 1), false, true)   // NXM_OF_IP_TOS
	for i := 0; i < 16; i++ {
		add(oxm(nx1, uint8(i), 4), true, true) // NXM_NX_REGn
	}
	add(oxm(nx1, 26, 1), true, false)   // NXM_NX_IP_FRAG
	add(oxm(nx1, 29, 1), false, true)   // NXM_NX_IP_TTL
	add(oxm(nx1, 33, 4), true, true)    // NXM_NX_PKT_MARK
	add(oxm(nx1, 34, 2), true, false)   // NXM_NX_TCP_FLAGS
	add(oxm(nx1, 36, 4), false, false)  // NXM_NX_RECIRC_ID
	add(oxm(nx1, 37, 4), false, false)  // NXM_NX_CONJ_ID
	add(oxm(nx1, 105, 4), true, false)  // NXM_NX_CT_STATE
	add(oxm(nx1, 106, 2), false, false) // NXM_NX_CT_ZONE
	add(oxm(nx1, 107, 4), true, true)   // NXM_NX_CT_MARK
	add(oxm(nx1, 108, 16), true, true)  // NXM_NX_CT_LABEL
	add(oxm(nx1, 119, 1), false, false) // NXM_NX_CT_NW_PROTO
	add(oxm(nx1, 120, 4), true, false)  // NXM_NX_CT_NW_SRC
	add(oxm(nx1, 121, 4), true, false)  // NXM_NX_CT_NW_DST
	add(oxm(nx1, 122, 16), true, false) // NXM_NX_CT_IPV6_SRC
	add(oxm(nx1, 123, 16), true, false) // NXM_NX_CT_IPV6_DST
	add(oxm(nx1, 124, 2), true, false)  // NXM_NX_CT_TP_SRC
	add(oxm(nx1, 125, 2), true, false)  // NXM_NX_CT_TP_DST
	for i := 0; i < 8; i++ {
		add(oxm(0x8001, uint8(i), 8), true, true) // OXM_OF_PKT_REG(i) = xreg
	}
	for i := 0; i < 4; i++ {
		add(oxm(nx1, uint8(111+i), 16), true, true) // NXM_NX_XXREG(i)
	}
	add(oxm(ofb, 38, 8), true, true)   // tunnel_id
	add(oxm(nx1, 31, 4), true, true)   // NXM_NX_TUN_IPV4_SRC
	add(oxm(nx1, 32, 4), true, true)   // NXM_NX_TUN_IPV4_DST
	add(oxm(nx1, 109, 16), true, true) // NXM_NX_TUN_IPV6_SRC
	add(oxm(nx1, 110, 16), true, true) // NXM_NX_TUN_IPV6_DST
	add(oxm(nx1, 104, 2), true, true)  // NXM_NX_TUN_FLAGS
	add(oxm(nx1, 38, 2), true, true)   // NXM_NX_TUN_GBP_ID
	add(oxm(nx1, 39, 1), true, true)   // NXM_NX_TUN_GBP_FLAGS
	return fs
}()
