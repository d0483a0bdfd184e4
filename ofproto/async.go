package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// receives reports whether the connection wants an asynchronous message of
// kind with reason (OVS's ofconn_receives_async_msg).
func (st *connState) receives(service bool, kind int, reason uint8) bool {
	if st.version == 0 {
		return false
	}
	if service && st.missSendLen == 0 {
		// Service connections get asynchronous messages only once they
		// ask for them with a nonzero miss_send_len.
		return false
	}
	if reason >= 32 {
		return false
	}
	i := 0
	if st.role == roleSlave {
		i = 1
	}
	return st.async[kind][i]&(1<<reason) != 0
}

// metadataFields are the packet-in metadata fields, sent when nonzero
// (in_port always), as OVS's flow_get_metadata (ct_state, which brings
// eth_type and the ct tuple with it, apart).
var metadataFields = func() []packet.FieldID {
	f := []packet.FieldID{packet.FieldTunID, packet.FieldTunSrc, packet.FieldTunDst,
		packet.FieldTunIPv6Src, packet.FieldTunIPv6Dst, packet.FieldTunGbpID, packet.FieldTunGbpFlags,
		packet.FieldMetadata}
	for i := 0; i < 16; i++ {
		f = append(f, packet.FieldReg0+packet.FieldID(i))
	}
	f = append(f, packet.FieldPktMark, packet.FieldCtZone, packet.FieldCtMark, packet.FieldCtLabel)
	return f
}()

var ctTupleFields4 = []packet.FieldID{packet.FieldCtNwSrc, packet.FieldCtNwDst, packet.FieldCtNwProto, packet.FieldCtTpSrc, packet.FieldCtTpDst}
var ctTupleFields6 = []packet.FieldID{packet.FieldCtIPv6Src, packet.FieldCtIPv6Dst, packet.FieldCtNwProto, packet.FieldCtTpSrc, packet.FieldCtTpDst}

// packetInMatch builds the metadata match of a packet-in.
func packetInMatch(k *packet.Key) pipeline.Match {
	var m pipeline.Match
	m.SetExact(packet.FieldInPort, packet.U128{Lo: uint64(k.InPort())})
	for _, f := range metadataFields {
		if v := k.W.Get(f); !v.IsZero() {
			m.SetExact(f, v)
		}
	}
	// tun_flags: only its defined bits, under their mask (OVS's
	// match_set_tun_flags), so it is sent masked.
	if v := k.W.TunFlags() & packet.TunFlagsMask; v != 0 {
		m.Set(packet.FieldTunFlags, packet.U128{Lo: uint64(v)}, packet.U128{Lo: packet.TunFlagsMask})
	}
	// A tracked packet: ct_state under mask 0xff (OVS's
	// match_set_ct_state keeps its 8 bits), eth_type, and, for a valid
	// connection (new, established or reply), the whole original tuple.
	if st := k.W.CtState(); st != 0 {
		m.Set(packet.FieldCtState, packet.U128{Lo: uint64(st & 0xff)}, packet.U128{Lo: 0xff})
		m.SetExact(packet.FieldEthType, packet.U128{Lo: uint64(k.EthType())})
		if st&(packet.CsNew|packet.CsEst|packet.CsRpl) != 0 && !k.W.Get(packet.FieldCtNwProto).IsZero() {
			var fields []packet.FieldID
			switch k.EthType() {
			case packet.EthTypeIPv4:
				fields = ctTupleFields4
			case packet.EthTypeIPv6:
				fields = ctTupleFields6
			}
			for _, f := range fields {
				m.SetExact(f, k.W.Get(f))
			}
		}
	}
	return m
}

func (c *conn) sendPacketIn(pi *pipeline.PacketIn, cache *encCache) {
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	// The async masks are checked with the pipeline's reason, as OVS's
	// connmgr checks its internal reason: a table-miss flow's packet-in
	// (OVS's OFPR_EXPLICIT_MISS) passes where NO_MATCH is enabled.
	maskReason := pi.Reason
	if maskReason > reasonInvalidTTL {
		maskReason = reasonAction
	}
	if st.controllerID != pi.ControllerID || !st.receives(c.service, asyncPacketIn, maskReason) {
		return
	}
	reason := codecFor(st.version).packetInReason(pi)
	format := st.packetInFormat
	key := uint32(st.version)<<8 | uint32(format) | uint32(reason)<<16
	b := cache.get(key)
	if b == nil {
		b = encodePacketIn(st.version, format, pi, reason, c.srv.cfg.BridgeUUID)
		if b == nil {
			return
		}
		cache.put(key, b)
	}
	c.enqueueDroppable(b)
}

// packetInReason13 is a packet-in's OFPR_* reason on the wire in OpenFlow
// 1.3, as OVS's encode_packet_in_reason: the explicit miss (a table-miss
// flow's packet-in) is OFPR_NO_MATCH from 1.3 on, on every kind of
// connection (checked against OVS 3.1: an OF1.3 ovs-ofctl monitor on ptcp:
// sees a table-miss flow's packet-in as no_match). A table-miss reached
// from a packet-out is OFPR_PACKET_OUT in OVS, i.e. OFPR_ACTION before 1.4:
// the pipeline reports that as Reason ACTION.
func packetInReason13(pi *pipeline.PacketIn) uint8 {
	if pi.Reason > reasonInvalidTTL {
		return reasonAction
	}
	return pi.Reason
}

// packetInReason14 is a packet-in's reason on the wire from OpenFlow 1.4
// on: OVS's encode_packet_in_reason keeps OFPR_ACTION_SET, OFPR_GROUP and
// OFPR_PACKET_OUT (an output to the controller in an action set, a group
// bucket, a packet-out), which earlier versions report as OFPR_ACTION.
func packetInReason14(pi *pipeline.PacketIn) uint8 { return pi.Reason }

// packetInReason10 is packetInReason13, except that the explicit miss is
// OFPR_ACTION before OpenFlow 1.3.
func packetInReason10(pi *pipeline.PacketIn) uint8 {
	if pi.TableMiss {
		return reasonAction
	}
	return packetInReason13(pi)
}

// packetInTotalLen is a packet-in's total_len field.
func packetInTotalLen(pi *pipeline.PacketIn) uint16 {
	if len(pi.Data) > 0xffff {
		return 0xffff
	}
	return uint16(len(pi.Data))
}

// encodePacketIn encodes a packet-in in version and format.
func encodePacketIn(version, format uint8, pi *pipeline.PacketIn, reason uint8, bridge [16]byte) []byte {
	// OVS 3.1 sends the whole packet whatever the controller action's
	// max_len (it buffers nothing, so max_len only mattered with buffers):
	// so does gswitch. pi.MaxLen is not applied.
	data := pi.Data
	total := packetInTotalLen(pi)
	switch format {
	case nxPacketInNXT:
		match := packetInMatch(&pi.Key)
		nx := nxm.EncodeNXMatch(&match)
		m := newMsg(version, TypeVendor, 0, 32+len(nx)+len(data))
		m.u32(nxm.NXVendorID).u32(NXTPacketIn)
		m.u32(noBuffer).u16(total).u8(reason).u8(pi.TableID).u64(pi.Cookie)
		m.u16(uint16(len(nx))).zeros(6).bytes(nx).zeros(pad8(len(nx)) - len(nx)).zeros(2)
		m.bytes(data)
		if m.len() > MaxMessageLen {
			return nil
		}
		return m.done()
	case nxPacketInNXT2:
		match := packetInMatch(&pi.Key)
		m := newMsg(version, TypeVendor, 0, 64+len(data))
		m.u32(nxm.NXVendorID).u32(NXTPacketIn2)
		putProp(m, 0, data) // NXPINT_PACKET
		if len(data) != len(pi.Data) {
			putPropU32(m, 1, uint32(len(pi.Data))) // NXPINT_FULL_LEN
		}
		putProp(m, 3, []byte{pi.TableID}) // NXPINT_TABLE_ID
		if pi.Cookie != ^uint64(0) {
			// A 64-bit property is aligned: 4 bytes of padding after
			// the header (OVS's ofpprop_put_be64).
			var c [12]byte
			binary.BigEndian.PutUint64(c[4:], pi.Cookie)
			putProp(m, 4, c[:]) // NXPINT_COOKIE
		}
		putProp(m, 5, []byte{reason}) // NXPINT_REASON
		// NXPINT_METADATA, with the connection version's OXM headers
		// (1.5: registers as packet-register pairs, as OVS's oxm_put_raw)
		putProp(m, 6, nxm.AppendOXMTLVsVersion(nil, version, &match))
		if pi.Cont != nil && !putContinuation(m, version, bridge, pi) {
			return nil
		}
		if len(pi.UserData) > 0 {
			putProp(m, 7, pi.UserData) // NXPINT_USERDATA
		}
		if m.len() > MaxMessageLen {
			return nil
		}
		return m.done()
	}
	return codecFor(version).encodePacketIn(pi, reason)
}

// encodePacketIn10 is an ofp10_packet_in.
func encodePacketIn10(pi *pipeline.PacketIn, reason uint8) []byte {
	inPort, ok := nxm.PortTo16(pi.Key.InPort())
	if !ok {
		inPort = 0xffff
	}
	m := newMsg(Version10, TypePacketIn, 0, 10+len(pi.Data))
	m.u32(noBuffer).u16(packetInTotalLen(pi)).u16(inPort).u8(reason).u8(0)
	m.bytes(pi.Data)
	if m.len() > MaxMessageLen {
		return nil
	}
	return m.done()
}

// encodePacketIn13 is an ofp13_packet_in.
func encodePacketIn13(pi *pipeline.PacketIn, reason uint8) []byte {
	return encodePacketInOXM(Version13, pi, reason)
}

// encodePacketInOXM is an ofp13_packet_in of OpenFlow version (1.3 or
// later, whose matches differ).
func encodePacketInOXM(version uint8, pi *pipeline.PacketIn, reason uint8) []byte {
	match := packetInMatch(&pi.Key)
	oxm := nxm.EncodeOXMMatchVersion(version, &match)
	m := newMsg(version, TypePacketIn, 0, 18+len(oxm)+len(pi.Data))
	m.u32(noBuffer).u16(packetInTotalLen(pi)).u8(reason).u8(pi.TableID).u64(pi.Cookie)
	m.bytes(oxm).zeros(2).bytes(pi.Data)
	if m.len() > MaxMessageLen {
		return nil
	}
	return m.done()
}

// putProp appends an OpenFlow property (type, length, value, padding to 8).
func putProp(m *msg, typ uint16, v []byte) {
	start := m.len()
	m.u16(typ).u16(uint16(4 + len(v))).bytes(v)
	m.pad8(start)
}

func putPropU32(m *msg, typ uint16, v uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	putProp(m, typ, b[:])
}

func (c *conn) sendFlowRemoved(fr *pipeline.FlowRemoved, cache *encCache) {
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	if !st.receives(c.service, asyncFlowRemoved, fr.Reason) {
		return
	}
	var key uint32
	if st.flowFormatNXM { // (only an OpenFlow 1.0 connection can choose it)
		key = 1
	}
	key |= uint32(st.version) << 8
	b := cache.get(key)
	if b == nil {
		b = encodeFlowRemoved(st.version, st.flowFormatNXM, fr)
		if b == nil {
			return
		}
		cache.put(key, b)
	}
	c.enqueueFlowRemoved(b)
}

// encodeFlowRemoved is a flow-removed message for version: NXT_FLOW_REMOVED
// if nxFormat (NXT_SET_FLOW_FORMAT nxm, which only an OpenFlow 1.0
// connection can choose), else the version's OFPT_FLOW_REMOVED.
func encodeFlowRemoved(version uint8, nxFormat bool, fr *pipeline.FlowRemoved) []byte {
	cd := codecFor(version)
	reason := fr.Reason
	if reason > cd.maxFlowRemovedReason {
		reason = cd.maxFlowRemovedReason
	}
	if nxFormat {
		return encodeNXFlowRemoved(version, fr, reason)
	}
	return cd.encodeFlowRemoved(fr, reason)
}

// encodeNXFlowRemoved is an NXT_FLOW_REMOVED.
func encodeNXFlowRemoved(version uint8, fr *pipeline.FlowRemoved, reason uint8) []byte {
	fs := &fr.Stats
	sec, nsec := durations(fr.Now, fs.Created)
	pkts, bytes := flowCounters(fs)
	match := nxm.EncodeNXMatch(&fs.Spec.Match)
	m := newMsg(version, TypeVendor, 0, 56+len(match))
	m.u32(nxm.NXVendorID).u32(NXTFlowRemoved)
	m.u64(fs.Spec.Cookie).u16(fs.Spec.Priority).u8(reason).u8(fs.Spec.Table + 1)
	m.u32(sec).u32(nsec).u16(fs.Spec.IdleTimeout).u16(uint16(len(match)))
	m.u64(pkts).u64(bytes)
	m.bytes(match).zeros(pad8(len(match)) - len(match))
	return m.done()
}

// encodeFlowRemoved10 is an ofp10_flow_removed.
func encodeFlowRemoved10(fr *pipeline.FlowRemoved, reason uint8) []byte {
	fs := &fr.Stats
	sec, nsec := durations(fr.Now, fs.Created)
	pkts, bytes := flowCounters(fs)
	match := nxm.AppendOF10MatchLossy(nil, &fs.Spec.Match) // lossy, as OVS
	m := newMsg(Version10, TypeFlowRemoved, 0, 80)
	m.bytes(match).u64(fs.Spec.Cookie).u16(fs.Spec.Priority).u8(reason).u8(0)
	m.u32(sec).u32(nsec).u16(fs.Spec.IdleTimeout).zeros(2)
	m.u64(pkts).u64(bytes)
	return m.done()
}

// encodeFlowRemoved13 is an ofp12_flow_removed.
func encodeFlowRemoved13(fr *pipeline.FlowRemoved, reason uint8) []byte {
	fs := &fr.Stats
	sec, nsec := durations(fr.Now, fs.Created)
	pkts, bytes := flowCounters(fs)
	match := nxm.EncodeOXMMatch(&fs.Spec.Match)
	m := newMsg(Version13, TypeFlowRemoved, 0, 40+len(match))
	m.u64(fs.Spec.Cookie).u16(fs.Spec.Priority).u8(reason).u8(fs.Spec.Table)
	m.u32(sec).u32(nsec).u16(fs.Spec.IdleTimeout).u16(fs.Spec.HardTimeout)
	m.u64(pkts).u64(bytes).bytes(match)
	return m.done()
}

func (c *conn) sendPortStatus(reason uint8, p *Port) {
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	if !st.receives(c.service, asyncPortStatus, reason) {
		return
	}
	if b := encodePortStatus(st.version, reason, p); b != nil {
		c.enqueue(b, false)
	}
}
