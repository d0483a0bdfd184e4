package ofproto

import (
	"crypto/rand"
	"net/netip"
	"time"

	"go.uber.org/zap"

	"gswitch/packet"
	"gswitch/pipeline"
)

// Datapath is what the OpenFlow channel drives; *pipeline.Datapath
// implements it. now is monotonic nanoseconds from Config.Clock. Every error
// returned is a *pipeline.Error (anything else is reported as
// NXBRC_UNENCODABLE_ERROR). FlowMod takes modifies with Spec.Table ==
// pipeline.TableAll (OpenFlow 1.0 without a table id: the matching flows of
// every table, atomically).
type Datapath interface {
	FlowMod(fm *pipeline.FlowMod, now int64) error
	Flows(f *pipeline.FlowFilter, now int64) []pipeline.FlowStats
	TableStats() []pipeline.TableStats
	// SetTableEviction and TableEviction: eviction as a 1.4+ table-mod
	// sets it (pipeline.TableAll: every table).
	SetTableEviction(table uint8, on bool)
	TableEviction(table uint8) bool
	GroupMod(cmd uint16, g *pipeline.GroupSpec) error
	Groups() []pipeline.GroupStats
	MeterMod(cmd uint16, m *pipeline.MeterSpec, now int64) error
	Meters(id uint32) ([]pipeline.MeterStats, error)
	PacketOut(inPort uint32, acts []pipeline.Action, frame []byte, now int64) error
	// Resume continues a packet paused by controller(pause) (NXT_RESUME).
	Resume(meta *packet.Words, frame []byte, c *pipeline.Continuation, now int64) error
}

// Port is one port as the OpenFlow channel reports it (features, port-desc,
// port-status). Bits use these numberings:
//   - Config: OFPPC_* as in OpenFlow 1.0 (a superset of 1.3's): PortDown,
//     NoRecv, NoFlood, NoFwd, NoPacketIn...
//   - State: OFPPS_* as in OpenFlow 1.3: LinkDown, Blocked, Live.
//   - Curr, Advertised, Supported, Peer: OFPPF_* as in OpenFlow 1.3.
type Port struct {
	No         uint32 // OpenFlow 1.3 numbering; pipeline.PortLocal for LOCAL
	Name       string
	HWAddr     [6]byte
	Config     uint32
	State      uint32
	Curr       uint32
	Advertised uint32
	Supported  uint32
	Peer       uint32
	CurrSpeed  uint32 // kbps
	MaxSpeed   uint32 // kbps
}

// Port config bits (OFPPC_*, OpenFlow 1.0 values).
const (
	PortConfigDown       = 1 << 0
	PortConfigNoSTP      = 1 << 1
	PortConfigNoRecv     = 1 << 2
	PortConfigNoRecvSTP  = 1 << 3
	PortConfigNoFlood    = 1 << 4
	PortConfigNoFwd      = 1 << 5
	PortConfigNoPacketIn = 1 << 6
)

// Port state bits (OFPPS_*, OpenFlow 1.3 values).
const (
	PortStateLinkDown = 1 << 0
	PortStateBlocked  = 1 << 1
	PortStateLive     = 1 << 2
)

// Port feature bits (OFPPF_*, OpenFlow 1.3 values).
const (
	PortFeature10MBHD    = 1 << 0
	PortFeature10MBFD    = 1 << 1
	PortFeature100MBHD   = 1 << 2
	PortFeature100MBFD   = 1 << 3
	PortFeature1GBHD     = 1 << 4
	PortFeature1GBFD     = 1 << 5
	PortFeature10GBFD    = 1 << 6
	PortFeature40GBFD    = 1 << 7
	PortFeature100GBFD   = 1 << 8
	PortFeature1TBFD     = 1 << 9
	PortFeatureOther     = 1 << 10
	PortFeatureCopper    = 1 << 11
	PortFeatureFiber     = 1 << 12
	PortFeatureAutoneg   = 1 << 13
	PortFeaturePause     = 1 << 14
	PortFeaturePauseAsym = 1 << 15
)

// PortStats is one port's counters. A counter a port does not keep is
// Unknown (all ones), which ovs-ofctl prints as "?".
type PortStats struct {
	No                   uint32
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxDropped, TxDropped uint64
	RxErrors, TxErrors   uint64
	RxFrameErr           uint64
	RxOverErr            uint64
	RxCRCErr             uint64
	Collisions           uint64
	Created              int64 // monotonic ns when the port was added (duration)
}

// Unknown is the value of a counter that is not kept.
const Unknown = ^uint64(0)

// Port-status reasons (OFPPR_*).
const (
	PortAdded    = 0
	PortDeleted  = 1
	PortModified = 2
)

// Ports is the switch's port list. PortMod applies OFPT_PORT_MOD: config
// bits under mask (OpenFlow 1.0 numbering), and advertise if nonzero; it
// returns a *pipeline.Error (OFPPMFC_BAD_PORT, OFPPMFC_BAD_HW_ADDR...) on
// refusal. A Ports implementation reports changes with Server.PortStatus.
type Ports interface {
	Ports() []Port
	PortStats(no uint32) []PortStats // no == pipeline.PortAny: every port
	PortMod(no uint32, hw [6]byte, config, mask, advertise uint32) error
}

// CtTuple is one direction's tuple in an NXT_CT_FLUSH request. A zero value
// field is "any": Src/Dst invalid, ports, ICMP id/type/code zero (as OVS's
// ofp_ct_tuple, where zero means not given).
type CtTuple struct {
	Src, Dst         netip.Addr // IPv4 addresses are unmapped
	SrcPort, DstPort uint16
	ICMPID           uint16
	ICMPType         uint8
	ICMPCode         uint8
}

// IsZero reports whether t selects nothing in particular.
func (t *CtTuple) IsZero() bool { return *t == CtTuple{} }

// CtFlushFilter is an NXT_CT_FLUSH request: connections in Zone (every zone
// if !HasZone) whose protocol is Proto (0: any) and whose original and reply
// tuples match Orig and Reply.
type CtFlushFilter struct {
	HasZone bool
	Zone    uint16
	Proto   uint8
	Orig    CtTuple
	Reply   CtTuple
}

// CtFlusher flushes connection-tracking entries (NXT_CT_FLUSH_ZONE,
// NXT_CT_FLUSH). The connection tracker implements it.
type CtFlusher interface {
	FlushZone(zone uint16)
	Flush(f *CtFlushFilter)
}

// Desc is the OFPMP_DESC reply.
type Desc struct {
	Manufacturer string
	Hardware     string
	Software     string
	SerialNum    string
	Datapath     string
}

// Config configures a Server. Datapath is required; the rest is optional.
type Config struct {
	Datapath   Datapath
	Ports      Ports     // nil: no ports
	Ct         CtFlusher // nil: ct flushes are refused (EOPNOTSUPP → unencodable)
	DatapathID uint64
	Desc       Desc
	// Clock returns monotonic nanoseconds (the datapath's clock). Default: a
	// monotonic clock started by New.
	Clock  func() int64
	Logger *zap.Logger

	// NumTables is n_tables in FEATURES_REPLY (default 254, as OVS).
	NumTables uint8
	// MaxMessageLen bounds incoming messages (default and max 65535).
	MaxMessageLen int
	// SendQueue is the per-connection send queue, in messages (default 4096).
	SendQueue int
	// SendQueueBytes bounds the queued bytes (default 16 MiB). Asynchronous
	// messages that would pass it are dropped (packet-ins) or close the
	// connection; a reply that cannot be queued within WriteTimeout closes it.
	SendQueueBytes int
	// WriteTimeout bounds one write to the socket and a reply's wait for
	// queue space (default 15s).
	WriteTimeout time.Duration
	// ProbeInterval is the inactivity probe: after this long without a
	// message an echo request is sent, and after as long again the
	// connection is closed (default 5s, as OVS; negative: off).
	ProbeInterval time.Duration
	// MaxBackoff is the active-connection reconnect back-off ceiling (default 8s).
	MaxBackoff time.Duration
	// Protocols are the OpenFlow versions offered (bit N: ofp_header
	// version N, as in a HELLO's version bitmap), as the bridge's
	// protocols column in OVS; 0 (or no version gswitch speaks) offers
	// every version gswitch speaks (1.0, 1.3, 1.5), as OVS's default.
	Protocols uint32
	// MaxBundles, MaxBundleMsgs bound bundles per connection (default 16 and 100000).
	MaxBundles    int
	MaxBundleMsgs int
	// BridgeUUID identifies the bridge in the continuations of paused
	// packets (OVS's NXCPT_BRIDGE): an NXT_RESUME with another is
	// NXR_STALE. Default: random, chosen by New.
	BridgeUUID [16]byte
}

func (c *Config) setDefaults() {
	if c.BridgeUUID == ([16]byte{}) {
		rand.Read(c.BridgeUUID[:])
		c.BridgeUUID[6] = c.BridgeUUID[6]&0x0f | 0x40 // version 4
		c.BridgeUUID[8] = c.BridgeUUID[8]&0x3f | 0x80
	}
	if c.NumTables == 0 {
		c.NumTables = 254
	}
	if c.MaxMessageLen <= 0 || c.MaxMessageLen > MaxMessageLen {
		c.MaxMessageLen = MaxMessageLen
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 4096
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = 16 << 20
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 15 * time.Second
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = 5 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 8 * time.Second
	}
	if c.MaxBundles <= 0 {
		c.MaxBundles = 16
	}
	if c.MaxBundleMsgs <= 0 {
		c.MaxBundleMsgs = 100000
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Clock == nil {
		start := time.Now()
		c.Clock = func() int64 { return int64(time.Since(start)) }
	}
	if c.Desc.Manufacturer == "" {
		c.Desc.Manufacturer = "gswitch"
	}
	if c.Desc.Hardware == "" {
		c.Desc.Hardware = "gswitch userspace switch"
	}
	if c.Desc.Software == "" {
		c.Desc.Software = "gswitch"
	}
	if c.Desc.SerialNum == "" {
		c.Desc.SerialNum = "None"
	}
	if c.Desc.Datapath == "" {
		c.Desc.Datapath = "None"
	}
}
