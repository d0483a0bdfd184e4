package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// codec15 is OpenFlow 1.5 as OVS 3.1 speaks it. It shares 1.3's forms
// where 1.5 kept them (features, config, role, multipart framing, table
// stats, packet-in) and has its own where 1.4 or 1.5 changed them: the
// flow-mod's importance, flow descriptions and aggregate statistics as
// OXS stats, ports and port statistics with properties, the async
// configuration as properties, table-mod with properties, the standard
// bundles (OFPT_BUNDLE_CONTROL / OFPT_BUNDLE_ADD_MESSAGE), the 1.5
// packet-out (a match instead of in_port), the 1.5 group-mod and group
// description (bucket ids and properties), and actions with
// OFPAT_COPY_FIELD and masked set_field (nxm, Version15).
var codec15 = codec{
	version: Version15,
	requests: [256]msgKind{
		TypeEchoRequest:        kindEchoRequest,
		TypeEchoReply:          kindEchoReply,
		TypeVendor:             kindExperimenter,
		TypeFeaturesReq:        kindFeaturesRequest,
		TypeGetConfigReq:       kindGetConfigRequest,
		TypeSetConfig:          kindSetConfig,
		TypePacketOut:          kindPacketOut,
		TypeFlowMod:            kindFlowMod,
		Type13GroupMod:         kindGroupMod,
		Type13PortMod:          kindPortMod,
		Type13TableMod:         kindTableMod,
		Type13MultipartRequest: kindStatsRequest,
		Type13BarrierRequest:   kindBarrierRequest,
		Type13RoleRequest:      kindRoleRequest,
		Type13GetAsyncRequest:  kindGetAsyncRequest,
		Type13SetAsync:         kindSetAsync,
		Type13MeterMod:         kindMeterMod,
		Type14BundleControl:    kindBundleControl,
		Type14BundleAddMessage: kindBundleAdd,
	},
	barrierReply:         Type13BarrierReply,
	configFlags:          3,    // OFPC_FRAG_MASK
	flowRemovedReasons:   0x3f, // idle, hard, delete, group delete, meter delete, eviction
	maxFlowRemovedReason: 0xff,
	encodeFeaturesReply:  encodeFeatures15,
	decodeFlowMod: func(b []byte, _ bool, tab *packet.TLVTable) (*flowModRequest, error) {
		return decodeFlowMod15(b, tab)
	},
	decodeGroupMod:      decodeGroupModOF15,
	decodePortMod:       decodePortMod14,
	decodePacketOut:     decodePacketOut15,
	decodeRoleRequest:   decodeRoleRequest13,
	encodeGetAsyncReply: encodeGetAsyncReply14,
	decodeSetAsync:      decodeSetAsync14,
	decodeTableMod:      decodeTableMod14,
	decodeStatsRequest:  decodeMultipartRequest13,
	stats: map[uint16]statsHandler{
		MPDesc:          descStats,
		MPFlow:          flowStats,
		MPAggregate:     aggregateStats15,
		MPTable:         tableStats,
		MPPortStats:     portStats,
		MPQueue:         queueStats,
		MPGroup:         groupStats,
		MPGroupDesc:     groupDescStats15,
		MPGroupFeatures: groupFeaturesStats,
		MPMeter:         meterStats,
		MPMeterConfig:   meterStats,
		MPMeterFeatures: meterFeaturesStats,
		MPTableFeatures: tableFeaturesStats,
		MPTableDesc:     tableDescStats,
		MPPortDesc:      portDescStats14,
		MPFlowMonitor:   flowMonitorStats,
		MPExperimenter:  experimenterStats13,
	},
	decodeFlowStatsRequest:  decodeFlowStatsRequest13,
	decodePortStatsRequest:  decodePortStatsRequest13,
	decodeQueueStatsRequest: decodePortStatsRequest13,
	encodeFlowStats:         encodeFlowStats15,
	encodeTableStats:        encodeTableStats13,
	encodePortStats:         encodePortStats14,
	encodePort:              func(m *msg, p *Port) bool { encodePort14(m, p); return true },
	packetInReason:          packetInReason14,
	encodePacketIn: func(pi *pipeline.PacketIn, reason uint8) []byte {
		return encodePacketInOXM(Version15, pi, reason) // ofp13_packet_in, 1.5's match
	},
	encodeFlowRemoved: encodeFlowRemoved15,
}

// withVersion sets the ofp_header version of an encoded message whose
// form a later version kept (nil stays nil).
func withVersion(b []byte, v uint8) []byte {
	if len(b) > 0 {
		b[0] = v
	}
	return b
}

// caps14Bundles is OFPC_BUNDLES, which OVS reports from OpenFlow 1.4 on.
const caps14Bundles = 1 << 9

// encodeFeatures15 is 1.3's features reply with OFPC_BUNDLES.
func encodeFeatures15(s *Server, xid uint32) []byte {
	b := withVersion(encodeFeatures13(s, xid), Version15)
	binary.BigEndian.PutUint32(b[24:], caps13|caps14Bundles)
	return b
}

// decodeFlowMod15 decodes an OpenFlow 1.4/1.5 flow-mod: 1.3's, whose
// padding became importance, with 1.5's actions.
func decodeFlowMod15(b []byte, tab *packet.TLVTable) (*flowModRequest, error) {
	req, err := decodeFlowMod13Version(b, Version15, tab)
	if err != nil {
		return nil, err
	}
	req.fm.Spec.Importance = binary.BigEndian.Uint16(b[46:])
	return req, nil
}

// OXS statistics fields (class OFPXSC_OPENFLOW_BASIC), header values.
const (
	oxsDuration    = 0x80020008
	oxsIdleTime    = 0x80020208
	oxsFlowCount   = 0x80020604
	oxsPacketCount = 0x80020808
	oxsByteCount   = 0x80020a08
)

// appendOXS appends an ofp_oxs_stat (reserved, length, the entries) padded
// to 8 bytes.
func appendOXS(m *msg, entries func(m *msg)) {
	start := m.len()
	m.u16(0).u16(0)
	entries(m)
	binary.BigEndian.PutUint16(m.b[start+2:], uint16(m.len()-start))
	m.zeros(pad8(m.len()-start) - (m.len() - start))
}

func oxsTime(m *msg, hdr uint32, now, t int64) {
	sec, nsec := durations(now, t)
	m.u32(hdr).u32(sec).u32(nsec)
}

// encodeFlowStats15 is one ofp15_flow_desc: the fixed part, the match,
// the OXS stats (duration, idle time, packet and byte counts) and the
// instructions.
func encodeFlowStats15(fs *pipeline.FlowStats, now int64) ([]byte, error) {
	match := nxm.EncodeOXMMatchVersion(Version15, &fs.Spec.Match)
	inst, err := nxm.EncodeFlowInstructionsVersion(Version15, &fs.Spec.Match, &fs.Spec.Inst)
	if err != nil {
		return nil, err
	}
	pkts, bytes := flowCounters(fs)
	m := &msg{b: make([]byte, 0, 24+len(match)+56+len(inst))}
	m.u16(0).zeros(2).u8(fs.Spec.Table).u8(0)
	m.u16(fs.Spec.Priority).u16(fs.Spec.IdleTimeout).u16(fs.Spec.HardTimeout)
	m.u16(fs.Spec.Flags & (pipeline.FlagSendFlowRem | pipeline.FlagCheckOverlap | pipeline.FlagResetCounts |
		pipeline.FlagNoPktCounts | pipeline.FlagNoBytCounts))
	m.u16(fs.Spec.Importance).u64(fs.Spec.Cookie)
	m.bytes(match)
	appendOXS(m, func(m *msg) {
		oxsTime(m, oxsDuration, now, fs.Created)
		oxsTime(m, oxsIdleTime, now, fs.LastUsed)
		if pkts != ^uint64(0) {
			m.u32(oxsPacketCount).u64(pkts)
		}
		if bytes != ^uint64(0) {
			m.u32(oxsByteCount).u64(bytes)
		}
	})
	m.bytes(inst)
	binary.BigEndian.PutUint16(m.b, uint16(m.len()))
	return m.b, nil
}

// aggregateStats15 answers OFPMP_AGGREGATE_STATS with 1.5's OXS stats
// (packet count, byte count, flow count).
func aggregateStats15(c *conn, cd *codec, r *statsRequest) error {
	f, err := cd.decodeFlowStatsRequest(r.body, c.srv.tlv.table())
	if err != nil {
		return err
	}
	s := c.srv
	if f.Table != pipeline.TableAll && f.Table >= s.cfg.NumTables {
		return errBadTableID
	}
	flows := s.cfg.Datapath.Flows(f, r.now)
	var pkts, bytes uint64
	for i := range flows {
		p, b := flowCounters(&flows[i])
		if p != ^uint64(0) {
			pkts += p
		}
		if b != ^uint64(0) {
			bytes += b
		}
	}
	m := &msg{}
	appendOXS(m, func(m *msg) {
		m.u32(oxsPacketCount).u64(pkts).u32(oxsByteCount).u64(bytes).u32(oxsFlowCount).u32(uint32(len(flows)))
	})
	w := c.newMPWriter(r.reply)
	w.add(m.b)
	w.finish()
	return nil
}

// encodeFlowRemoved15 is an ofp15_flow_removed: table, reason, priority,
// timeouts, cookie, the match and OXS stats (duration and the counters:
// OVS's flow-removed has no idle time).
func encodeFlowRemoved15(fr *pipeline.FlowRemoved, reason uint8) []byte {
	fs := &fr.Stats
	pkts, bytes := flowCounters(fs)
	match := nxm.EncodeOXMMatchVersion(Version15, &fs.Spec.Match)
	m := newMsg(Version15, TypeFlowRemoved, 0, 16+len(match)+56)
	m.u8(fs.Spec.Table).u8(reason).u16(fs.Spec.Priority).u16(fs.Spec.IdleTimeout).u16(fs.Spec.HardTimeout)
	m.u64(fs.Spec.Cookie).bytes(match)
	appendOXS(m, func(m *msg) {
		oxsTime(m, oxsDuration, fr.Now, fs.Created)
		if pkts != ^uint64(0) {
			m.u32(oxsPacketCount).u64(pkts)
		}
		if bytes != ^uint64(0) {
			m.u32(oxsByteCount).u64(bytes)
		}
	})
	return m.done()
}

// encodePort14 is one ofp14_port with its ethernet property.
func encodePort14(m *msg, p *Port) {
	m.u32(p.No).u16(72).zeros(2).bytes(p.HWAddr[:]).zeros(2).str(p.Name, 16)
	m.u32(p.Config & portConfig13).u32(p.State & 7)
	m.u16(0).u16(32).zeros(4) // OFPPDPT14_ETHERNET
	m.u32(p.Curr).u32(p.Advertised).u32(p.Supported).u32(p.Peer)
	m.u32(p.CurrSpeed).u32(p.MaxSpeed)
}

// portDescStats14 answers OFPMP_PORT_DESC of OpenFlow 1.4+, whose request
// has a body (port_no, pad): OFPP_ANY or one port.
func portDescStats14(c *conn, cd *codec, r *statsRequest) error {
	if len(r.body) != 8 {
		return errBadLen
	}
	no := binary.BigEndian.Uint32(r.body)
	w := c.newMPWriter(r.reply)
	ps := c.srv.ports()
	for i := range ps {
		if no != pipeline.PortAny && ps[i].No != no {
			continue
		}
		m := &msg{}
		if cd.encodePort(m, &ps[i]) {
			w.add(m.b)
		}
	}
	w.finish()
	return nil
}

// encodePortStats14 is one ofp14_port_stats with the properties OVS 3.1
// sends: ethernet (frame, overrun and CRC errors, collisions) and OVS's
// custom-statistics experimenter property (Intel's vendor id, RFC 2819
// counters), all unavailable (all-ones) on a port without them.
func encodePortStats14(ps *PortStats, now int64) []byte {
	m := &msg{b: make([]byte, 0, 304)}
	m.u16(304).zeros(2).u32(ps.No)
	sec, nsec := durations(now, ps.Created)
	m.u32(sec).u32(nsec)
	m.u64(ps.RxPackets).u64(ps.TxPackets).u64(ps.RxBytes).u64(ps.TxBytes)
	m.u64(ps.RxDropped).u64(ps.TxDropped).u64(ps.RxErrors).u64(ps.TxErrors)
	m.u16(0).u16(40).zeros(4) // OFPPSPT14_ETHERNET
	m.u64(ps.RxFrameErr).u64(ps.RxOverErr).u64(ps.RxCRCErr).u64(ps.Collisions)
	m.u16(0xffff).u16(184).u32(intelVendorID).u32(1).zeros(4) // INTEL_PORT_STATS_RFC2819
	for i := 0; i < 21; i++ {
		m.u64(^uint64(0))
	}
	return m.b
}

const intelVendorID = 0x0000aa01

// decodePortMod14 decodes an ofp14_port_mod: port, hw_addr, config and
// mask, then properties (ethernet: advertise).
func decodePortMod14(b []byte) (*portModRequest, error) {
	pm := &portModRequest{}
	r := reader{b: b, off: HeaderLen}
	pm.no = r.u32()
	r.skip(4)
	copy(pm.hw[:], r.take(6))
	r.skip(2)
	pm.config, pm.mask = r.u32(), r.u32()
	if r.err {
		return nil, errBadLen
	}
	props := r.rest()
	for len(props) > 0 {
		typ, val, rest, err := pullProp(props)
		if err != nil {
			return nil, err
		}
		props = rest
		switch typ {
		case 0: // OFPPMPT14_ETHERNET
			if len(val) != 4 {
				return nil, errPropBadLen
			}
			pm.advertise = binary.BigEndian.Uint32(val)
		case 0xffff:
			return nil, pipeline.NewError(pipeline.OFPBPC_BAD_EXP_TYPE) // OVS's ofpprop_unknown
		default:
			return nil, errPropBadType
		}
	}
	pm.config &= portConfig13
	pm.mask &= portConfig13
	return pm, nil
}

// decodePacketOut15 decodes an ofp15_packet_out: buffer_id, actions_len,
// pad, a match, actions, the packet. As OVS's ofputil_decode_packet_out,
// the match may hold only pipeline fields (else
// OFPBRC_PIPELINE_FIELDS_ONLY); in_port is taken from it (OFPP_CONTROLLER
// when absent), and the other fields (metadata, registers, ...) are set
// on the packet before the actions run, as set_field actions would.
func decodePacketOut15(b []byte, tab *packet.TLVTable) (*packetOutRequest, error) {
	r := reader{b: b, off: HeaderLen}
	bufferID := r.u32()
	actsLen := int(r.u16())
	r.skip(2)
	if r.err {
		return nil, errBadLen
	}
	match, n, err := nxm.DecodeOXMMatchTLV(r.b[r.off:], tab)
	if err != nil {
		return nil, err
	}
	r.skip(n)
	if r.err {
		return nil, errMatchBadLen
	}
	inPort := uint32(pipeline.PortController)
	// tun_metadata (a pipeline field, in Match.Tun) is set as set_field
	// would; one the TLV table does not map is held nowhere (tab is
	// nxm.LooseTLV's), as OVS takes it and writes nothing.
	sets := nxm.TunMatchSets(match.Tun)
	for f := packet.FieldID(1); f < packet.NumFields; f++ {
		m := match.Mask.Get(f)
		if m.IsZero() {
			continue
		}
		if !packet.Fields[f].Pipeline {
			return nil, pipeline.NewError(pipeline.OFPBRC_PIPELINE_FIELDS_ONLY)
		}
		v := match.Value.Get(f)
		if f == packet.FieldInPort {
			inPort = uint32(v.Lo)
			continue
		}
		sets = append(sets, pipeline.SetField{Field: f, Value: v, Mask: m})
	}
	acts := r.take(actsLen)
	if r.err {
		return nil, errBadLen
	}
	po, err := finishPacketOut(Version15, bufferID, inPort, acts, r.rest(), tab)
	if err != nil {
		return nil, err
	}
	if len(sets) > 0 {
		po.actions = append(sets, po.actions...)
	}
	return po, nil
}

// decodeGroupModOF15 decodes an ofp15_group_mod (the form NXT_GROUP_MOD
// carries in OpenFlow 1.0).
func decodeGroupModOF15(b []byte, tab *packet.TLVTable) (*groupModRequest, error) {
	// (OVS's ofpraw: the struct, then a multiple of 8 bytes.)
	if len(b) < HeaderLen+16 || (len(b)-HeaderLen-16)%8 != 0 {
		return nil, errBadLen
	}
	return decodeGroupMod15(b[HeaderLen:], Version15, tab)
}

// groupDescStats15 answers OFPMP_GROUP_DESC of OpenFlow 1.5 (whose request
// names a group or OFPG_ALL).
func groupDescStats15(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 8 {
		return errBadLen
	}
	c.groupDescReply(r, binary.BigEndian.Uint32(r.body), func(g *pipeline.GroupSpec) ([]byte, error) {
		return encodeGroupDesc15(g, Version15)
	})
	return nil
}

// Asynchronous configuration properties of OpenFlow 1.4+ (OFPACPT_*):
// type 2k is kind k's slave mask, 2k+1 its master mask. All are kept
// per connection; role status, table status and request forward (types
// 6-11) are only reported back (gswitch sends none of those messages).
const asyncProps14 = 12

// asyncAllowed are the reasons OVS 3.1 takes in each kind's masks
// (ofp-connection.c's async_props): [0] before OpenFlow 1.4 (packet-in:
// no_match, action, invalid_ttl), [1] from 1.4 on (packet-in adds
// action_set, group and packet_out); port status (OFPPR_*: 3 reasons),
// flow removed (OFPRR_* up to eviction), role status (OFPCRR_*: 3), table
// status (OFPTR_VACANCY_DOWN and _UP, 3 and 4) and request forward
// (OFPRFR_*: 2) the same in both. A bit beyond them is OFPACFC_INVALID.
var asyncAllowed = [2][6]uint32{
	{asyncPacketIn: 0x7, asyncPortStatus: 0x7, asyncFlowRemoved: 0x3f, asyncRoleStatus: 0x7, asyncTableStatus: 0x18, asyncRequestForward: 0x3},
	{asyncPacketIn: 0x3f, asyncPortStatus: 0x7, asyncFlowRemoved: 0x3f, asyncRoleStatus: 0x7, asyncTableStatus: 0x18, asyncRequestForward: 0x3},
}

// encodeGetAsyncReply14 is an OpenFlow 1.4+ OFPT_GET_ASYNC_REPLY: one
// property per type 0-11.
func encodeGetAsyncReply14(xid uint32, a *asyncConfig) []byte {
	m := newMsg(Version15, Type13GetAsyncReply, xid, 8*asyncProps14)
	for t := 0; t < asyncProps14; t++ {
		m.u16(uint16(t)).u16(8).u32(a[t/2][1-t%2])
	}
	return m.done()
}

// decodeSetAsync14 applies the properties of an OpenFlow 1.4+ OFPT_SET_ASYNC.
func decodeSetAsync14(b []byte, a *asyncConfig) error {
	return decodeAsyncProps(b[HeaderLen:], a, Version15)
}

// decodeAsyncProps applies async config properties (OFPACPT_*, types 0-11)
// to a, as OVS's ofputil_decode_set_async_config for OpenFlow 1.4+'s
// OFPT_SET_ASYNC and for NXT_SET_ASYNC_CONFIG2 on the connection's version
// v (which takes the 1.4 types on 1.0 and 1.3 too, with v's reasons). On
// error a may be partly changed: pass a copy.
func decodeAsyncProps(props []byte, a *asyncConfig, v uint8) error {
	allowed := &asyncAllowed[0]
	if v >= Version15 {
		allowed = &asyncAllowed[1]
	}
	for len(props) > 0 {
		typ, val, rest, err := pullProp(props)
		if err != nil {
			return err
		}
		props = rest
		switch {
		case typ >= 0xfffe:
			return pipeline.NewError(pipeline.OFPBPC_BAD_EXP_TYPE) // OVS's ofpprop_unknown
		case typ >= asyncProps14:
			return pipeline.NewError(pipeline.OFPACFC_UNSUPPORTED)
		case len(val) != 4:
			return errPropBadLen
		}
		k, m := int(typ/2), binary.BigEndian.Uint32(val)
		if m&^allowed[k] != 0 {
			return pipeline.NewError(pipeline.OFPACFC_INVALID)
		}
		a[k][1-typ%2] = m
	}
	return nil
}

// decodeTableMod14 decodes an ofp14_table_mod (table_id, pad, config,
// properties) as OVS 3.1's ofputil_decode_table_mod: OFPTC14_EVICTION in
// config turns eviction on, its absence off; an OFPTMPT14_EVICTION
// property's value then replaces that decision (OVS parses it into the
// same field: 1 on, 2 off, anything else no change).
func decodeTableMod14(b []byte) (tableMod, error) {
	if len(b) < 16 {
		return tableMod{}, errBadLen
	}
	tm := tableMod{table: b[8], eviction: evictionOff}
	if binary.BigEndian.Uint32(b[12:])&4 != 0 { // OFPTC14_EVICTION
		tm.eviction = evictionOn
	}
	props := b[16:]
	for len(props) > 0 {
		typ, val, rest, err := pullProp(props)
		if err != nil {
			return tableMod{}, err
		}
		props = rest
		// OVS's ofputil_decode_table_mod: eviction (flags) and vacancy
		// (down, up, vacancy, pad) are 4 bytes; anything else, also an
		// experimenter property, is OFPBRC_BAD_TYPE.
		switch typ {
		case 2: // OFPTMPT14_EVICTION
			if len(val) != 4 {
				return tableMod{}, errPropBadLen
			}
			tm.eviction = binary.BigEndian.Uint32(val)
		case 3: // OFPTMPT14_VACANCY
			if len(val) != 4 {
				return tableMod{}, errPropBadLen
			}
			if down, up := val[0], val[1]; down > up || up > 100 || val[2] != 0 {
				return tableMod{}, pipeline.NewError(pipeline.OFPBPC_BAD_VALUE)
			}
		default:
			return tableMod{}, pipeline.NewError(pipeline.OFPBRC_BAD_TYPE)
		}
	}
	return tm, nil
}

// tableDescStats answers OFPMP_TABLE_DESC (OpenFlow 1.4+) as OVS: every
// table with eviction as OpenFlow set it (OFPTC14_EVICTION in config), the
// eviction flags OVS always reports (OTHER|IMPORTANCE|LIFETIME) and
// vacancy events off.
func tableDescStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	w := c.newMPWriter(r.reply)
	for t := range int(c.srv.cfg.NumTables) {
		var config uint32
		if c.srv.cfg.Datapath.TableEviction(uint8(t)) {
			config = 4
		}
		m := &msg{}
		m.u16(16).u8(uint8(t)).u8(0).u32(config)
		m.u16(2).u16(8).u32(7) // OFPTMPT14_EVICTION: OFPTMPEF14_OTHER|IMPORTANCE|LIFETIME
		w.add(m.b)
	}
	w.finish()
	return nil
}

// handleBundleControl answers OFPT_BUNDLE_CONTROL (OpenFlow 1.4+): the ONF
// extension's body without the experimenter header.
func handleBundleControl(c *conn, cd *codec, h Header, b []byte) error {
	return c.bundleCtl(cd, h, b, HeaderLen, func(xid uint32) *msg {
		return newMsg(cd.version, Type14BundleControl, xid, 8)
	})
}

// handleBundleAdd takes OFPT_BUNDLE_ADD_MESSAGE (OpenFlow 1.4+).
func handleBundleAdd(c *conn, cd *codec, h Header, b []byte) error {
	return c.bundleAddAt(cd, h, b, HeaderLen)
}
