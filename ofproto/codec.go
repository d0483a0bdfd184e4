package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// One OpenFlow version's wire format is one codec. As OVS's
// ofputil_decode_*/ofputil_encode_* functions do, a codec decodes its
// version's requests into version-independent request types (flowModRequest,
// portModRequest, packetOutRequest, groupModRequest, roleRequest,
// statsRequest and pipeline.FlowFilter, ...) and encodes replies from the
// model; the handlers (handle.go, stats.go) see only those types and run
// once for every version. A message that exists in one version only (the
// Nicira extensions of OpenFlow 1.0, OpenFlow 1.3's table-mod, meter-mod,
// async config and group/meter statistics) has one handler and is simply
// absent from the other versions' tables.
//
// Adding a version is adding a codec: fill in its fields (its message type
// numbers in requests, its decoders and encoders; the formats it shares with
// an existing version reuse that version's functions) and enter it in
// codecs. Version negotiation offers every version in codecs.

// msgKind is what a request is, whatever its version's wire form (OVS's
// enum ofptype).
type msgKind uint8

// Request kinds.
const (
	kindNone msgKind = iota // not a request gswitch takes: OFPBRC_BAD_TYPE
	kindEchoRequest
	kindEchoReply
	kindExperimenter
	kindFeaturesRequest
	kindGetConfigRequest
	kindSetConfig
	kindPacketOut
	kindFlowMod
	kindGroupMod
	kindPortMod
	kindTableMod
	kindStatsRequest
	kindBarrierRequest
	kindQueueGetConfigRequest
	kindRoleRequest
	kindGetAsyncRequest
	kindSetAsync
	kindMeterMod
	kindBundleControl // OFPT_BUNDLE_CONTROL (OpenFlow 1.4+)
	kindBundleAdd     // OFPT_BUNDLE_ADD_MESSAGE (OpenFlow 1.4+)
)

// codec is one OpenFlow version's wire format (see the top of this file).
// Every function field is set in every codec in codecs (TestCodecsComplete),
// except the decoders of kinds the version does not have.
type codec struct {
	version uint8

	// requests maps an ofp_header type to the request it is; a reply's
	// type, or one the version lacks, is kindNone.
	requests [256]msgKind
	// barrierReply is the type of OFPT_BARRIER_REPLY.
	barrierReply uint8
	// configFlags are the OFPC_* flags an OFPT_SET_CONFIG may carry.
	configFlags uint16
	// flowRemovedReasons is the OFPRR_* mask of the default async config
	// of a master or equal connection (OVS's ofputil_async_cfg_default).
	flowRemovedReasons uint32
	// maxFlowRemovedReason is the last OFPRR_* reason the version has; a
	// later one travels as this one.
	maxFlowRemovedReason uint8

	encodeFeaturesReply func(s *Server, xid uint32) []byte
	// decodeFlowMod decodes a whole OFPT_FLOW_MOD; tableID is whether
	// NXT_FLOW_MOD_TABLE_ID is on (OpenFlow 1.0's command carries the table).
	// tab is the bridge's Geneve TLV table (tun_metadata lengths).
	decodeFlowMod func(b []byte, tableID bool, tab *packet.TLVTable) (*flowModRequest, error)
	// decodeGroupMod and decodePacketOut decode actions with tab too.
	decodeGroupMod  func(b []byte, tab *packet.TLVTable) (*groupModRequest, error)
	decodePortMod   func(b []byte) (*portModRequest, error)
	decodePacketOut func(b []byte, tab *packet.TLVTable) (*packetOutRequest, error)
	// decodeQueueGetConfig returns the port of an OFPT_QUEUE_GET_CONFIG_REQUEST.
	decodeQueueGetConfig      func(b []byte) (uint32, error)
	encodeQueueGetConfigReply func(xid, port uint32) []byte
	decodeRoleRequest         func(b []byte) (*roleRequest, error)
	// The asynchronous configuration (OFPT_GET_ASYNC_REPLY, OFPT_SET_ASYNC)
	// and OFPT_TABLE_MOD (its table) of the versions that have them.
	encodeGetAsyncReply func(xid uint32, a *asyncConfig) []byte
	decodeSetAsync      func(b []byte, a *asyncConfig) error
	decodeTableMod      func(b []byte) (tableMod, error)

	// decodeStatsRequest decodes the stats (multipart) request header; a
	// nil request without error is a part of a request still arriving.
	decodeStatsRequest func(c *conn, h Header, b []byte) (*statsRequest, error)
	// stats answers each statistics type the version has.
	stats map[uint16]statsHandler
	// The bodies of the statistics requests whose form differs.
	decodeFlowStatsRequest  func(body []byte, tab *packet.TLVTable) (*pipeline.FlowFilter, error)
	decodePortStatsRequest  func(body []byte) (uint32, error)
	decodeQueueStatsRequest func(body []byte) (uint32, error)
	// The entries of the statistics replies whose form differs. A nil
	// entry from encodePortStats, or false from encodePort, is a port the
	// version cannot number: it is left out.
	encodeFlowStats  func(fs *pipeline.FlowStats, now int64) ([]byte, error)
	encodeTableStats func(ts *pipeline.TableStats) []byte
	encodePortStats  func(ps *PortStats, now int64) []byte
	encodePort       func(m *msg, p *Port) bool

	// Asynchronous messages in the version's own formats (the Nicira
	// formats, async.go, are shared).
	packetInReason    func(pi *pipeline.PacketIn) uint8
	encodePacketIn    func(pi *pipeline.PacketIn, reason uint8) []byte
	encodeFlowRemoved func(fr *pipeline.FlowRemoved, reason uint8) []byte
}

// codecs are the versions gswitch speaks, by version number.
var codecs = [...]*codec{
	Version10: &codec10,
	Version13: &codec13,
	Version15: &codec15,
}

// codecFor returns version's codec (nil for a version gswitch does not speak).
func codecFor(version uint8) *codec {
	if int(version) < len(codecs) {
		return codecs[version]
	}
	return nil
}

// versionBitmap is the OFPHET_VERSIONBITMAP of the versions in codecs.
func versionBitmap() uint32 {
	var bm uint32
	for v, cd := range codecs {
		if cd != nil {
			bm |= 1 << uint(v)
		}
	}
	return bm
}

// versions returns the versions s offers (Config.Protocols).
func (s *Server) versions() uint32 {
	if bm := s.protocols.Load() & versionBitmap(); bm != 0 {
		return bm
	}
	return versionBitmap()
}

// requestKind returns what a message of type typ is in cd's version.
func (cd *codec) requestKind(typ uint8) msgKind { return cd.requests[typ] }

// codec10 is OpenFlow 1.0 (with OVS's Nicira extensions, which handle.go
// and stats.go decode themselves).
var codec10 = codec{
	version: Version10,
	requests: [256]msgKind{
		TypeEchoRequest:      kindEchoRequest,
		TypeEchoReply:        kindEchoReply,
		TypeVendor:           kindExperimenter,
		TypeFeaturesReq:      kindFeaturesRequest,
		TypeGetConfigReq:     kindGetConfigRequest,
		TypeSetConfig:        kindSetConfig,
		TypePacketOut:        kindPacketOut,
		TypeFlowMod:          kindFlowMod,
		Type10PortMod:        kindPortMod,
		Type10StatsRequest:   kindStatsRequest,
		Type10BarrierRequest: kindBarrierRequest,
		Type10QueueGetConfig: kindQueueGetConfigRequest,
	},
	barrierReply:              Type10BarrierReply,
	configFlags:               3 | 4, // OFPC_FRAG_MASK, OFPC_INVALID_TTL_TO_CONTROLLER (before 1.3)
	flowRemovedReasons:        0x7,   // idle, hard, delete
	maxFlowRemovedReason:      pipeline.RemovedDelete,
	encodeFeaturesReply:       encodeFeatures10,
	decodeFlowMod:             decodeFlowMod10,
	decodePortMod:             decodePortMod10,
	decodePacketOut:           decodePacketOut10,
	decodeQueueGetConfig:      decodeQueueGetConfig10,
	encodeQueueGetConfigReply: encodeQueueGetConfigReply10,
	decodeStatsRequest:        decodeStatsRequest10,
	stats: map[uint16]statsHandler{
		MPDesc:         descStats,
		MPFlow:         flowStats,
		MPAggregate:    flowStats,
		MPTable:        tableStats,
		MPPortStats:    portStats,
		MPQueue:        queueStats,
		MPPortDesc:     portDescStats,
		MPExperimenter: nxStats,
	},
	decodeFlowStatsRequest:  decodeFlowStatsRequest10,
	decodePortStatsRequest:  decodePortStatsRequest10,
	decodeQueueStatsRequest: decodeQueueStatsRequest10,
	encodeFlowStats:         encodeFlowStats10,
	encodeTableStats:        encodeTableStats10,
	encodePortStats:         encodePortStats10,
	encodePort:              encodePort10,
	packetInReason:          packetInReason10,
	encodePacketIn:          encodePacketIn10,
	encodeFlowRemoved:       encodeFlowRemoved10,
}

// codec13 is OpenFlow 1.3.
var codec13 = codec{
	version: Version13,
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
		Type13QueueGetConfig:   kindQueueGetConfigRequest,
		Type13RoleRequest:      kindRoleRequest,
		Type13GetAsyncRequest:  kindGetAsyncRequest,
		Type13SetAsync:         kindSetAsync,
		Type13MeterMod:         kindMeterMod,
	},
	barrierReply:         Type13BarrierReply,
	configFlags:          3,    // OFPC_FRAG_MASK
	flowRemovedReasons:   0xf,  // idle, hard, delete, group delete
	maxFlowRemovedReason: 0xff, // (a reason the pipeline does not give passes as it is)
	encodeFeaturesReply:  encodeFeatures13,
	decodeFlowMod: func(b []byte, _ bool, tab *packet.TLVTable) (*flowModRequest, error) {
		return decodeFlowMod13Version(b, Version13, tab)
	},
	decodeGroupMod:            decodeGroupMod13,
	decodePortMod:             decodePortMod13,
	decodePacketOut:           decodePacketOut13,
	decodeQueueGetConfig:      decodeQueueGetConfig13,
	encodeQueueGetConfigReply: encodeQueueGetConfigReply13,
	decodeRoleRequest:         decodeRoleRequest13,
	encodeGetAsyncReply:       encodeGetAsyncReply13,
	decodeSetAsync:            decodeSetAsync13,
	decodeTableMod:            decodeTableMod13,
	decodeStatsRequest:        decodeMultipartRequest13,
	stats: map[uint16]statsHandler{
		MPDesc:          descStats,
		MPFlow:          flowStats,
		MPAggregate:     flowStats,
		MPTable:         tableStats,
		MPPortStats:     portStats,
		MPQueue:         queueStats,
		MPGroup:         groupStats,
		MPGroupDesc:     groupDescStats13,
		MPGroupFeatures: groupFeaturesStats,
		MPMeter:         meterStats,
		MPMeterConfig:   meterStats,
		MPMeterFeatures: meterFeaturesStats,
		MPTableFeatures: tableFeaturesStats,
		MPPortDesc:      portDescStats,
		MPExperimenter:  experimenterStats13,
	},
	decodeFlowStatsRequest:  decodeFlowStatsRequest13,
	decodePortStatsRequest:  decodePortStatsRequest13,
	decodeQueueStatsRequest: decodePortStatsRequest13, // port_no first, as in a port stats request
	encodeFlowStats:         encodeFlowStats13,
	encodeTableStats:        encodeTableStats13,
	encodePortStats:         encodePortStats13,
	encodePort:              func(m *msg, p *Port) bool { encodePort13(m, p); return true },
	packetInReason:          packetInReason13,
	encodePacketIn:          encodePacketIn13,
	encodeFlowRemoved:       encodeFlowRemoved13,
}

// decodeQueueGetConfig10 decodes an ofp10_queue_get_config_request.
func decodeQueueGetConfig10(b []byte) (uint32, error) {
	if err := requireLen(b, 12); err != nil {
		return 0, err
	}
	return nxm.PortFrom16(binary.BigEndian.Uint16(b[8:])), nil
}

// decodeQueueGetConfig13 decodes an ofp11_queue_get_config_request.
func decodeQueueGetConfig13(b []byte) (uint32, error) {
	if err := requireLen(b, 16); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b[8:]), nil
}

// encodeQueueGetConfigReply10 is an ofp10_queue_get_config_reply without
// queues (port came from the request, so it has a 16-bit form).
func encodeQueueGetConfigReply10(xid, port uint32) []byte {
	p, _ := nxm.PortTo16(port)
	return newMsg(Version10, Type10QueueGetReply, xid, 8).u16(p).zeros(6).done()
}

// encodeQueueGetConfigReply13 is an ofp11_queue_get_config_reply without queues.
func encodeQueueGetConfigReply13(xid, port uint32) []byte {
	return newMsg(Version13, Type13QueueGetReply, xid, 8).u32(port).zeros(4).done()
}
