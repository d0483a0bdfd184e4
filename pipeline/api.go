package pipeline

import (
	"gswitch/ct"
	"gswitch/packet"
)

// Tracker is the connection tracker as the pipeline sees it; *ct.Tracker
// implements it. Execute runs one ct action over pkts (all in the same zone,
// p.Zone), writing ct_state, ct_zone, ct_mark, ct_label and the original
// direction tuple into each packet's Key, applying NAT to the frames, and
// caching the connection in Packet.Conn. now is monotonic nanoseconds.
//
// Execute appends to out the packets that continue through the pipeline and
// returns it. Normally those are pkts themselves, in order. A fragment that ct
// holds for reassembly is left out (ct keeps its own copy; the caller still
// owns and frees the original). When a datagram's last fragment arrives, all
// its fragments are appended, each carrying the reassembled datagram's ct
// verdict; those not in pkts are fresh heap packets (packet.Pool.Put drops
// them). Packets dropped by ct as invalid are still appended, with +inv.
type Tracker interface {
	Execute(pkts []*packet.Packet, out []*packet.Packet, p *ct.Params, now int64) []*packet.Packet
}

// Sender transmits frames. The pipeline calls Output during a batch; pk stays
// the caller's: an implementation copies what it needs before returning (it
// may queue the copy and send it at Flush). Flush ends the batch.
type Sender interface {
	Output(port uint32, pk *packet.Packet)
	Flush()
}

// OwningSender is a Sender that can also take a packet over instead of
// copying it. ProcessOwned calls OutputOwned for the output that is a
// packet's last use (the final action on the packet's way: nothing after it
// in the action list or the lists it returns to, no action set to run, not
// inside a clone or a group bucket) when the packet is one of the batch's:
// from the call on, pk is the sender's (it sends it, or returns it to a
// pool), and the pipeline does not read or write it again. Earlier outputs,
// floods, NORMAL and outputs followed by more actions still go to Output.
type OwningSender interface {
	Sender
	OutputOwned(port uint32, pk *packet.Packet)
}

// PacketIn is a packet sent to the controllers. Data is valid only during the
// call to PacketInSink.PacketIn.
type PacketIn struct {
	Reason  uint8 // OpenFlow 1.4 OFPR_*: 0 no match (table-miss), 1 action, 2 invalid TTL, 3 action set, 4 group, 5 packet-out
	TableID uint8
	Cookie  uint64
	Key     packet.Key // metadata (in_port, regs, ct_*, ...) for the packet-in match
	Data    []byte
	// Off is the frame's offload state (a GSO super-frame or a partial
	// checksum from a port with virtio-net headers): the sink must segment
	// or finish it before handing Data to a controller.
	Off          packet.Offload
	MaxLen       uint16 // bytes of Data to send (0xffff: all)
	ControllerID uint16 // 0: every controller
	UserData     []byte
	// TableMiss is set when Reason is 0 because a table-miss flow's action
	// sent the packet (OVS's explicit miss): OpenFlow 1.3 reports no_match,
	// OpenFlow 1.0 reports action.
	TableMiss bool
	// Cont is set when controller(pause) sent the packet: its continuation
	// (only NXT_PACKET_IN2 carries it; the sink must copy what it keeps).
	Cont *Continuation
}

// PacketIn reasons (OpenFlow 1.4 numbering). The last three are what an
// output to the controller reports inside an action set, a group bucket or
// a packet-out (OVS's xlate_output_action); OpenFlow 1.0 and 1.3 call them
// action.
const (
	ReasonNoMatch    = 0
	ReasonAction     = 1
	ReasonInvalidTTL = 2
	ReasonActionSet  = 3
	ReasonGroup      = 4
	ReasonPacketOut  = 5
)

// Sampler receives the packets sample actions pick and hands them to the
// collector set each names (packet logs, IPFIX exporters: OVS's
// ofproto-dpif-ipfix). Sample runs on the datapath's goroutine, once per
// sampled packet: it must copy what it keeps and never block.
type Sampler interface {
	Sample(s *Sampled)
}

// Sampled is one packet a sample action picked. It is valid only during
// the Sample call.
type Sampled struct {
	Packet *packet.Packet // as it stands where the action runs (key, ct state, frame)
	Action *Sample
	Table  uint8  // the table of the flow the action belongs to
	Cookie uint64 // that flow's cookie (0 in a packet-out)
}

// PacketInSink receives packet-ins (ofproto implements it).
type PacketInSink interface {
	PacketIn(pi *PacketIn)
}

// PortInfo is what the pipeline needs to know of a port for FLOOD, ALL
// and NORMAL.
type PortInfo struct {
	No      uint32
	NoFlood bool
	Up      bool
	// VLAN is the port's VLAN configuration for NORMAL (OVS's Port tag,
	// trunks and vlan_mode; NewPortVLAN); nil: a trunk of every VLAN.
	VLAN *PortVLAN
}

// VLANMode is a port's vlan_mode (ovs-vswitchd.conf.db(5)).
type VLANMode uint8

const (
	VLANTrunk          VLANMode = iota // every VLAN in Trunks, tagged
	VLANAccess                         // only VLAN Tag, untagged
	VLANNativeTagged                   // Tag for untagged input, output tagged
	VLANNativeUntagged                 // Tag for untagged input, output untagged
)

// PortVLAN is a port's VLAN configuration in effect, as OVS's bundle_set
// makes it from the Port row.
type PortVLAN struct {
	Mode VLANMode
	Tag  uint16 // access and native modes
	// trunks is the set of VLANs a non-access port carries (nil: all).
	trunks *[64]uint64
}

// NewPortVLAN is a port's VLAN configuration as OVS 3.1's bundle_set
// takes it: trunks only for the non-access modes (empty: every VLAN); a
// native mode with a nonzero tag trunks its tag and never VLAN 0.
func NewPortVLAN(mode VLANMode, tag uint16, trunks []uint16) *PortVLAN {
	pv := &PortVLAN{Mode: mode, Tag: tag & 0xfff}
	if mode == VLANAccess {
		return pv
	}
	if mode == VLANTrunk {
		pv.Tag = 0
	}
	if len(trunks) > 0 || (mode != VLANTrunk && pv.Tag != 0) {
		var bm [64]uint64
		if len(trunks) == 0 {
			for i := range bm {
				bm[i] = ^uint64(0)
			}
		}
		for _, v := range trunks {
			if v < 4096 {
				bm[v/64] |= 1 << (v % 64)
			}
		}
		if mode != VLANTrunk && pv.Tag != 0 {
			bm[pv.Tag/64] |= 1 << (pv.Tag % 64)
			bm[0] &^= 1
		}
		pv.trunks = &bm
	}
	return pv
}

// trunksVLAN is OVS's xbundle_trunks_vlan.
func (pv *PortVLAN) trunksVLAN(vid uint16) bool {
	return pv.Mode != VLANAccess && (pv.trunks == nil || pv.trunks[vid/64]&(1<<(vid%64)) != 0)
}

// includes is OVS's xbundle_includes_vlan (one tag).
func (pv *PortVLAN) includes(vid uint16) bool {
	if pv == nil {
		return true
	}
	if pv.Mode == VLANAccess {
		return vid == pv.Tag
	}
	return pv.trunksVLAN(vid)
}

// FlowModCommand is a flow-mod's command (OpenFlow 1.3 numbering).
type FlowModCommand uint8

const (
	FlowAdd          FlowModCommand = 0
	FlowModify       FlowModCommand = 1
	FlowModifyStrict FlowModCommand = 2
	FlowDelete       FlowModCommand = 3
	FlowDeleteStrict FlowModCommand = 4
)

// FlowMod is a decoded flow-mod. For modify and delete, Spec.Table may be
// TableAll and CookieMask/OutPort/OutGroup filter which flows are affected.
type FlowMod struct {
	Command    FlowModCommand
	Spec       FlowSpec
	CookieMask uint64
	OutPort    uint32 // PortAny: no filter
	OutGroup   uint32 // GroupAny: no filter

	// SetCookie gives modify OpenFlow 1.0 / NXT_FLOW_MOD semantics (OVS's
	// new_cookie): the flows it changes get NewCookie, and when no flow
	// matches and CookieMask is 0 the flow is added (with NewCookie). Leave
	// it false for OpenFlow 1.1+, where modify keeps cookies and never adds.
	SetCookie bool
	NewCookie uint64
	// Lax accepts actions that are inconsistent with the match (pop_vlan
	// without a VLAN match, dec_ttl or a header set_field on a non-IP flow),
	// as OVS accepts them from OpenFlow 1.0 controllers; they do nothing on
	// packets that lack the header.
	Lax bool
	// Origin is handed back in the FlowEvents this flow-mod causes
	// (ofproto: the connection and xid, for a flow monitor's abbreviated
	// updates).
	Origin any
}

// FlowFilter selects flows for stats and aggregate requests.
type FlowFilter struct {
	Table      uint8 // TableAll: every table
	Match      Match // non-strict: flows whose match is at least as specific
	Strict     bool  // exact match and Priority
	Priority   uint16
	Cookie     uint64
	CookieMask uint64
	OutPort    uint32 // PortAny: no filter
	OutGroup   uint32 // GroupAny: no filter
}

// FlowStats is one flow with its counters. Times are monotonic nanoseconds.
type FlowStats struct {
	Spec    FlowSpec
	Packets uint64
	Bytes   uint64
	Created int64 // when the flow was added (duration = now - Created)
	// LastUsed is the last packet (idle age); Created if none. A flow that
	// replaced another of the same match and priority carries its LastUsed
	// over (as OVS), so it may be before Created.
	LastUsed int64
	// Modified is when the flow was added or last changed by a modify
	// (hard age; the hard timeout counts from it, as in OVS). A modify keeps
	// Created and sets Modified.
	Modified int64
}

// TableStats is one table's counters.
type TableStats struct {
	Table   uint8
	Active  uint32
	Lookups uint64
	Matched uint64
	// Name and MaxEntries: the table's configured name ("": none) and
	// largest number of flows (TableConfig, Config.MaxFlows).
	Name       string
	MaxEntries uint32
}

// Flow-removed reasons (OpenFlow 1.3).
const (
	RemovedIdleTimeout = 0
	RemovedHardTimeout = 1
	RemovedDelete      = 2
	RemovedGroupDelete = 3
	RemovedEviction    = 4 // OpenFlow 1.4's OFPRR_EVICTION (delete before 1.4)
	RemovedMeterDelete = 5 // OpenFlow 1.4's OFPRR_METER_DELETE (delete before 1.4)
)

// Flow table events (OpenFlow 1.4's OFPFME_* numbering), as OVS's flow
// monitors see them (ofmonitor_report).
const (
	FlowEventAdded    = 1
	FlowEventRemoved  = 2
	FlowEventModified = 3
)

// FlowEvent is one change to the flow tables: a flow added (or replaced by
// an add of the same match and priority), modified (its actions or cookie
// changed) or removed (Reason an OFPRR_* as in FlowRemoved, for every flow,
// not only those with send_flow_rem). Spec is the flow (the new one for an
// add or a modify) and must not be changed; OldInst is a modify's former
// instructions when they changed (a monitor's out_port may match either).
// Origin is the FlowMod's Origin of the flow-mod that made the change (nil
// for expiry and learned flows).
type FlowEvent struct {
	Kind    uint8
	Reason  uint8
	Spec    *FlowSpec
	OldInst *Instructions
	Origin  any
	Created int64 // when the flow was added (monotonic ns)
}

// FlowEventSink receives the flow table events of each committed change,
// in order, after the change is visible (Config.FlowEvents). Wanted is
// asked once per change: events are recorded only while it is true.
type FlowEventSink interface {
	FlowEventsWanted() bool
	FlowEvents(ev []FlowEvent)
}

// FlowRemoved reports a flow that went away, for flows with FlagSendFlowRem.
type FlowRemoved struct {
	Stats  FlowStats
	Reason uint8
	Now    int64
}

// Group-mod commands (OpenFlow 1.3).
const (
	GroupAdd    = 0
	GroupModify = 1
	GroupDelete = 2
	// GroupInsertBucket and GroupRemoveBucket are OpenFlow 1.5's
	// OFPGC15_INSERT_BUCKET and OFPGC15_REMOVE_BUCKET, at
	// GroupSpec.CommandBucketID.
	GroupInsertBucket = 3
	GroupRemoveBucket = 5 // (4 is reserved)
	// GroupAddOrModify (OVS's OFPGC11_ADD_OR_MOD) modifies the group if it
	// exists and adds it otherwise.
	GroupAddOrModify = 0x8000
)

// Mod is one step of Datapath.ModBatch: a flow-mod when Flow is set,
// otherwise the group-mod GroupCmd (GroupAdd, GroupModify, GroupDelete or
// GroupAddOrModify) of Group.
type Mod struct {
	Flow     *FlowMod
	GroupCmd uint16
	Group    *GroupSpec
}

// GroupStats is one group with its counters.
type GroupStats struct {
	Spec     GroupSpec
	RefCount uint32 // flows that use it
	Packets  uint64
	Bytes    uint64
	Created  int64
	Buckets  []BucketStats
}

// BucketStats counts one bucket.
type BucketStats struct{ Packets, Bytes uint64 }
