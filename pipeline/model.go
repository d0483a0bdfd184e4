// Package pipeline is gswitch's OpenFlow datapath model and executor: flow
// tables (a versioned priority classifier), OpenFlow 1.3 instructions and
// action sets, groups, the Nicira actions, ct recirculation, counters.
//
// It knows nothing of the wire: nxm translates OpenFlow bytes to and from the
// types in this file, and ofproto drives a Datapath through its methods.
package pipeline

import (
	"gswitch/ct"
	"gswitch/packet"
)

// Reserved port numbers, in OpenFlow 1.3's 32-bit space. OpenFlow 1.0's
// 16-bit values (0xfff8...) are mapped to these by the codec.
const (
	PortMax        uint32 = 0xffffff00
	PortInPort     uint32 = 0xfffffff8
	PortTable      uint32 = 0xfffffff9
	PortNormal     uint32 = 0xfffffffa
	PortFlood      uint32 = 0xfffffffb
	PortAll        uint32 = 0xfffffffc
	PortController uint32 = 0xfffffffd
	PortLocal      uint32 = 0xfffffffe
	PortAny        uint32 = 0xffffffff // also OFPP_NONE
)

// Table numbers.
const (
	NumTables = 255
	TableAll  = 0xff // in flow-mod delete and stats: every table
	NoTable   = 0xff // in resubmit/ct: "the current table" or "none"
)

// Group numbers.
const (
	GroupAll = 0xfffffffc
	GroupAny = 0xffffffff
)

// Match is a flow's match: the value bits selected by Mask. Value is always
// stored already masked (Value &^ Mask == 0).
type Match struct {
	// Tun is the match on tun_metadata0..63, nil when the flow has none
	// (the usual case: only such flows pay for it). Not to be changed
	// once the match is in a flow. It comes first so that a lookup's nil
	// check shares a cache line with the flow's priority instead of
	// missing on a line of its own past the two 352-byte word arrays.
	Tun   *packet.TunMatch
	Value packet.Words
	Mask  packet.Words
}

// Same reports whether m and o are the same match.
func (m *Match) Same(o *Match) bool {
	return m.Value == o.Value && m.Mask == o.Mask && m.Tun.Equal(o.Tun)
}

// Set requires field f to equal v under mask m.
func (m *Match) Set(f packet.FieldID, v, mask packet.U128) {
	m.Mask.SetMasked(f, mask, mask)
	m.Value.SetMasked(f, v.And(mask), mask)
}

// SetExact requires field f to equal v.
func (m *Match) SetExact(f packet.FieldID, v packet.U128) {
	m.Set(f, v, packet.Ones(packet.Fields[f].Bits))
}

// Get returns field f's value and mask.
func (m *Match) Get(f packet.FieldID) (v, mask packet.U128) {
	return m.Value.Get(f), m.Mask.Get(f)
}

// Matches reports whether key k satisfies m.
func (m *Match) Matches(k *packet.Words) bool {
	for i := range k {
		if k[i]&m.Mask[i] != m.Value[i] {
			return false
		}
	}
	return true
}

// Subfield is bits [Ofs, Ofs+NBits) of a field, as move, load, output:reg,
// ct(zone=reg[...]) and resubmit name them.
type Subfield struct {
	Field packet.FieldID
	Ofs   uint16
	NBits uint16
	// Tun, when its Len is not 0, names tun_metadataN instead of Field.
	Tun TunField
}

// TunField is tun_metadata Idx with the mapping it had when the action was
// decoded: Len bytes in Slots of the option space (a mapping in use by a
// flow cannot change).
type TunField struct {
	Idx   uint8
	Len   uint8
	Slots uint64
}

// Bits is the field's width.
func (t TunField) Bits() uint16 { return uint16(t.Len) * 8 }

// SetTun is set_field to tun_metadataN (OFPAT_SET_FIELD, or NXAST_REG_LOAD
// and REG_LOAD2, which OVS encodes back as REG_LOAD2): Value and Mask are
// the field's F.Len bytes, right-aligned in the arrays' first F.Len bytes
// (Value already masked).
type SetTun struct {
	F     TunField
	Value [packet.TunMetaMaxLen]byte
	Mask  [packet.TunMetaMaxLen]byte
	Wire  uint16
}

// SetTunWireLoad is the Wire of a SetTun that learn makes from a load spec:
// OVS's learned set_field comes from ofpact_put_reg_load, which dumps as
// NXAST_REG_LOAD2 before OpenFlow 1.5 (nxm.WireRegLoad2 equals it).
const SetTunWireLoad uint16 = 1

// Action is one OpenFlow or Nicira action. The set of implementations is
// closed: the types in this file.
type Action interface{ isAction() }

// Output sends the packet to a port (a number or a reserved Port* value).
// MaxLen applies to PortController.
type Output struct {
	Port   uint32
	MaxLen uint16
	// Enqueue: OpenFlow 1.0 OFPAT_ENQUEUE (output to Port on queue QueueID).
	Enqueue bool
	QueueID uint32
}

// OutputReg sends the packet to the port named by a subfield (NXAST_OUTPUT_REG).
type OutputReg struct {
	Src    Subfield
	MaxLen uint16
	V2     bool // came as NXAST_OUTPUT_REG2
}

// Controller sends the packet to controllers (NXAST_CONTROLLER/CONTROLLER2
// forms; output:CONTROLLER is an Output).
type Controller struct {
	MaxLen       uint16
	ControllerID uint16
	Reason       uint8
	Pause        bool
	UserData     []byte
	V2           bool   // came as NXAST_CONTROLLER2 (properties)
	HasMeter     bool   // NXAC2PT_METER_ID present
	MeterID      uint32 // with HasMeter
}

// GroupAction processes the packet through a group.
type GroupAction struct{ GroupID uint32 }

// SetField writes a field (OpenFlow 1.2+ set_field; OpenFlow 1.0's set_dl_src
// and friends decode to it too). Mask is all ones for a plain set_field.
// Wire records the encoding it came in, so dump-flows prints it back the same
// way (0 is the default set_field encoding; the codec defines others).
type SetField struct {
	Field packet.FieldID
	Value packet.U128
	Mask  packet.U128
	Wire  uint16
}

// RegLoad is NXAST_REG_LOAD/REG_LOAD2 ("load:V->dst[ofs..end]").
type RegLoad struct {
	Dst   Subfield
	Value packet.U128
}

// Move is NXAST_REG_MOVE ("move:src[]->dst[]").
type Move struct {
	Src, Dst Subfield
}

// Resubmit is NXAST_RESUBMIT/RESUBMIT_TABLE(_CT).
// InPort is PortInPort for "the current in_port"; Table is NoTable for
// "the current table".
type Resubmit struct {
	InPort uint32
	Table  uint8
	CT     bool // look up with the conntrack original-direction tuple
	Short  bool // came as NXAST_RESUBMIT (in_port only, no table field)
}

// DecTTL decrements the IP TTL; a packet whose TTL would reach 0 is sent to
// the controllers listed (none: dropped), as OVS does.
type DecTTL struct {
	ControllerIDs []uint16
	CntIDs        bool // came as NXAST_DEC_TTL_CNT_IDS ("dec_ttl(1,2)")
}

// SetTTL is set_nw_ttl (OFPAT_SET_NW_TTL).
type SetTTL struct{ TTL uint8 }

// PushVLAN pushes an 802.1Q (or 802.1ad) header.
type PushVLAN struct{ EthType uint16 }

// PopVLAN pops the outer VLAN header.
type PopVLAN struct {
	Strip bool // OpenFlow 1.0 OFPAT_STRIP_VLAN ("strip_vlan")
}

// PushMPLS pushes an MPLS label stack entry (push_mpls:ETHERTYPE; EthType
// is 0x8847 or 0x8848). As OVS, the packet's L3 and L4 fields are then
// opaque.
type PushMPLS struct{ EthType uint16 }

// PopMPLS pops the outermost MPLS label stack entry and sets the Ethernet
// type to EthType (pop_mpls:ETHERTYPE). After a pop to a non-MPLS type the
// packet is parsed again (OVS recirculates), so later tables match the
// inner header.
type PopMPLS struct{ EthType uint16 }

// DecMPLSTTL decrements the outermost MPLS TTL (dec_mpls_ttl). A packet
// whose TTL is 0 or 1 goes to the controllers with reason invalid TTL; it,
// and a packet that is not MPLS, ends the current action list, as OVS.
// set_mpls_label, set_mpls_tc and set_mpls_ttl are SetFields of mpls_label,
// mpls_tc and mpls_ttl (their Wire says which form they came in).
type DecMPLSTTL struct{}

// DecNSHTTL decrements nsh_ttl (dec_nsh_ttl, OVS's NXAST_DEC_NSH_TTL). A
// packet whose nsh_ttl is 0 or 1 goes to controller 0 with reason invalid
// TTL; it, and a packet that is not NSH, ends the current action list, as
// OVS's compose_dec_nsh_ttl_action. It is not allowed in an action set.
type DecNSHTTL struct{}

// SetQueue sets the queue id (kept, reported; gswitch has no queues).
type SetQueue struct{ QueueID uint32 }

// Note is NXAST_NOTE: no effect.
type Note struct{ Data []byte }

// CTClear is NXAST_CT_CLEAR.
type CTClear struct{}

// Exit is NXAST_EXIT: stop processing actions.
type Exit struct{}

// Conjunction is NXAST_CONJUNCTION.
type Conjunction struct {
	ID       uint32
	Clause   uint8 // 0-based
	NClauses uint8
}

// CT is NXAST_CT.
type CT struct {
	Flags uint16 // NX_CT_F_COMMIT=1, NX_CT_F_FORCE=2 (wire values)
	// Zone: ZoneSrc.Field == FieldInvalid means the immediate Zone.
	Zone    uint16
	ZoneSrc Subfield
	Table   uint8  // NoTable: no recirculation
	Alg     uint16 // ct.AlgFTP, ct.AlgTFTP or 0
	// Exec is the nested action list as it came (only SetField/RegLoad to
	// ct_mark and ct_label, and NAT, are allowed there); Params is derived
	// from it when the flow is validated.
	Exec   []Action
	Params ct.Params
}

// CT flag bits (wire values of NXAST_CT flags).
const (
	CTCommit = 1 << 0
	CTForce  = 1 << 1
)

// NAT is NXAST_NAT; it appears only inside CT.Exec.
type NAT struct{ ct.NAT }

// StackPush is NXAST_STACK_PUSH ("push:src"): the subfield's value goes on
// the packet's stack.
type StackPush struct{ Src Subfield }

// StackPop is NXAST_STACK_POP ("pop:dst"): the top of the stack goes into
// the subfield (its low NBits bits; a narrower entry is zero-extended).
type StackPop struct{ Dst Subfield }

// CheckPktLarger is NXAST_CHECK_PKT_LARGER ("check_pkt_larger(N)->dst"):
// the 1-bit subfield Dst becomes 1 if the frame is longer than PktLen
// bytes, else 0.
type CheckPktLarger struct {
	PktLen uint16
	Dst    Subfield // NBits is 1
}

// Sample is NXAST_SAMPLE, NXAST_SAMPLE2 or NXAST_SAMPLE3
// ("sample(probability=P,collector_set_id=ID,obs_domain_id=D,obs_point_id=O
// [,sampling_port=PORT][,ingress|egress])"): each packet is sampled with
// probability Probability/65535 and a copy goes to collector set
// CollectorSetID (a Config.Sampler); the packet itself goes on unchanged.
type Sample struct {
	Probability    uint16 // never 0
	CollectorSetID uint32
	ObsDomainID    uint32
	ObsPointID     uint32
	// SamplingPort is PortAny (OFPP_NONE) when the action names none.
	SamplingPort uint32
	Direction    uint8 // SampleDefault, SampleIngress, SampleEgress
	// Wire is the form it came in (SampleWire1, 2 or 3): OVS encodes a
	// decoded action in the same form, or the smallest that holds it.
	Wire uint8
}

// Sample directions (NX_ACTION_SAMPLE_*, wire values) and wire forms.
const (
	SampleDefault = 0
	SampleIngress = 1
	SampleEgress  = 2

	SampleWire1 = 1 // NXAST_SAMPLE (24 bytes)
	SampleWire2 = 2 // NXAST_SAMPLE2 (32 bytes, sampling_port)
	SampleWire3 = 3 // NXAST_SAMPLE3 (32 bytes, sampling_port and direction)
)

// Learn is NXAST_LEARN / NXAST_LEARN2 ("learn(...)"): each packet that
// runs it adds (or refreshes) a flow in Table built from its Specs, as
// ovs-actions(7) describes.
type Learn struct {
	IdleTimeout    uint16
	HardTimeout    uint16
	Priority       uint16
	Cookie         uint64
	Flags          uint16 // LearnSendFlowRem, LearnDeleteLearned, LearnWriteResult
	Table          uint8
	FinIdleTimeout uint16
	FinHardTimeout uint16
	// Limit (NXAST_LEARN2): the most flows with Cookie in Table the
	// action may have learned; 0: no limit.
	Limit uint32
	// ResultDst (with LearnWriteResult): the bit set to 1 when the flow
	// was learned (or already there), 0 when Limit refused it.
	ResultDst Subfield
	V2        bool // came as NXAST_LEARN2
	Specs     []LearnSpec
}

// Learn flag bits (NX_LEARN_F_*, wire values).
const (
	LearnSendFlowRem   = 1 << 0
	LearnDeleteLearned = 1 << 1
	LearnWriteResult   = 1 << 2
)

// Learn spec kinds (NX_LEARN_DST_*, the wire value >> 11).
const (
	LearnMatch  = 0 // the learned flow matches Dst against the source
	LearnLoad   = 1 // the learned flow loads the source into Dst
	LearnOutput = 2 // the learned flow outputs to the port the source holds
)

// LearnSpec is one flow_mod_spec of a learn action: NBits bits from a
// field of the packet (Src) or an immediate Value, into the learned
// flow's match, a load, or an output.
type LearnSpec struct {
	Kind  uint8
	Imm   bool // the source is Value, not Src
	NBits uint16
	Src   Subfield
	Value packet.U128 // with Imm: the low NBits bits (the low 128 when wider)
	// Wide (with Imm, NBits > 128: only into tun_metadata, up to 992
	// bits): the whole immediate, big-endian, (NBits+7)/8 bytes.
	Wide []byte
	Dst  Subfield // LearnMatch, LearnLoad
}

// FinTimeout is NXAST_FIN_TIMEOUT ("fin_timeout(idle_timeout=I,
// hard_timeout=H)"): a TCP packet with FIN or RST shortens the flow's
// timeouts to at most these (0: unchanged).
type FinTimeout struct {
	IdleTimeout uint16
	HardTimeout uint16
}

// Clone is NXAST_CLONE ("clone(actions)"): the nested actions run on a copy
// of the packet, its metadata and its action set; the packet then goes on
// with the actions after the clone as if the clone had not run.
type Clone struct{ Actions []Action }

// Meter is OpenFlow 1.5's meter action (OFPAT_METER, "meter:N"): the
// packets go through meter ID where the action stands. A flow's leading
// meter is its Instructions.Meter (as OpenFlow 1.3's meter instruction,
// which it is in OVS's model too); Meter is one that follows other
// actions, or one in a group bucket or packet-out.
type Meter struct{ ID uint32 }

func (Output) isAction()         {}
func (SetTun) isAction()         {}
func (OutputReg) isAction()      {}
func (Controller) isAction()     {}
func (GroupAction) isAction()    {}
func (SetField) isAction()       {}
func (RegLoad) isAction()        {}
func (Move) isAction()           {}
func (Resubmit) isAction()       {}
func (DecTTL) isAction()         {}
func (SetTTL) isAction()         {}
func (PushVLAN) isAction()       {}
func (PushMPLS) isAction()       {}
func (PopMPLS) isAction()        {}
func (DecMPLSTTL) isAction()     {}
func (DecNSHTTL) isAction()      {}
func (PopVLAN) isAction()        {}
func (SetQueue) isAction()       {}
func (Note) isAction()           {}
func (CTClear) isAction()        {}
func (Exit) isAction()           {}
func (Conjunction) isAction()    {}
func (CT) isAction()             {}
func (NAT) isAction()            {}
func (Clone) isAction()          {}
func (Meter) isAction()          {}
func (StackPush) isAction()      {}
func (StackPop) isAction()       {}
func (CheckPktLarger) isAction() {}
func (Sample) isAction()         {}
func (Learn) isAction()          {}
func (FinTimeout) isAction()     {}
func (PopQueue) isAction()       {}
func (Multipath) isAction()      {}
func (Bundle) isAction()         {}

// PopQueue is NXAST_POP_QUEUE ("pop_queue"): the queue goes back to the
// one the packet came in with, as OVS restores its skb_priority.
type PopQueue struct{}

// Hash field sets of multipath and bundle (NX_HASH_FIELDS_*, wire values),
// hashed as OVS's flow_hash_fields (HashFields).
const (
	HashEthSrc           = 0 // "eth_src"
	HashSymmetricL4      = 1 // "symmetric_l4"
	HashSymmetricL3L4    = 2 // "symmetric_l3l4"
	HashSymmetricL3L4UDP = 3 // "symmetric_l3l4+udp"
	HashNwSrc            = 4 // "nw_src"
	HashNwDst            = 5 // "nw_dst"
	HashSymmetricL3      = 6 // "symmetric_l3"
)

// Multipath link-choice algorithms (NX_MP_ALG_*, wire values).
const (
	MPModuloN       = 0
	MPHashThreshold = 1
	MPHRW           = 2
	MPIterHash      = 3
)

// Multipath is NXAST_MULTIPATH ("multipath(fields,basis,algorithm,n_links,
// arg,dst)"): a hash of the packet's Fields (with Basis) picks a link
// number below MaxLink+1 by Algorithm (Arg is iter_hash's modulus), which
// is written to Dst.
type Multipath struct {
	Fields    uint16
	Basis     uint16
	Algorithm uint16
	MaxLink   uint16 // n_links - 1
	Arg       uint32
	Dst       Subfield
}

// Bundle member-choice algorithms (NX_BD_ALG_*, wire values).
const (
	BundleActiveBackup = 0
	BundleHRW          = 1
)

// BundleMaxMembers is the most members a bundle action may list (OVS's
// BUNDLE_MAX_MEMBERS).
const BundleMaxMembers = 2048

// Bundle is NXAST_BUNDLE ("bundle(fields,basis,algorithm,ofport,
// members:...)": output to the chosen member) or, with Load,
// NXAST_BUNDLE_LOAD ("bundle_load(...,dst,members:...)": the chosen
// member's port number is written to Dst). A member is live while its port
// is up; PortAny (OFPP_NONE) and the reserved ports in_port, table, normal,
// flood and all are always live; when none is live the choice is PortAny.
type Bundle struct {
	Algorithm uint16
	Fields    uint16
	Basis     uint16
	Members   []uint32 // OpenFlow port numbers (reserved ports in 32-bit form)
	Load      bool
	Dst       Subfield // with Load
}

// Instructions are a flow's OpenFlow 1.3 instructions. An OpenFlow 1.0 flow
// has only Apply.
type Instructions struct {
	Meter         uint32 // 0: none
	Apply         []Action
	HasApply      bool // an APPLY_ACTIONS instruction was present (even empty)
	ClearActions  bool
	Write         []Action // WRITE_ACTIONS: merged into the action set
	HasWrite      bool
	WriteMetadata bool
	Metadata      uint64
	MetadataMask  uint64
	GotoTable     int16 // -1: none
}

// Flow-mod flag bits (OpenFlow 1.3 values).
const (
	FlagSendFlowRem  = 1 << 0
	FlagCheckOverlap = 1 << 1
	FlagResetCounts  = 1 << 2
	FlagNoPktCounts  = 1 << 3
	FlagNoBytCounts  = 1 << 4
)

// FlowSpec is what a flow-mod adds: everything but the counters.
type FlowSpec struct {
	Table       uint8
	Priority    uint16
	Match       Match
	Cookie      uint64
	IdleTimeout uint16
	HardTimeout uint16
	Importance  uint16
	Flags       uint16
	Inst        Instructions
}

// Group types (OpenFlow 1.3).
const (
	GroupTypeAll      = 0
	GroupTypeSelect   = 1
	GroupTypeIndirect = 2
	GroupTypeFF       = 3
)

// Bucket is one group bucket.
type Bucket struct {
	Weight     uint16
	WatchPort  uint32
	WatchGroup uint32
	Actions    []Action
	// ID is the bucket's OpenFlow 1.5 bucket_id (0..BucketMax); an
	// OpenFlow 1.1-1.4 group-mod numbers its buckets 0, 1, ... as OVS does.
	ID uint32
}

// GroupSpec is what a group-mod adds.
type GroupSpec struct {
	ID      uint32
	Type    uint8
	Buckets []Bucket
	// Selection is a select group's selection method (OVS's Netronome
	// extension group property); the zero value: none given.
	Selection GroupSelection
	// CommandBucketID is an OpenFlow 1.5 group-mod's command_bucket_id:
	// where GroupInsertBucket inserts (after that bucket, or BucketFirst,
	// BucketLast) and which bucket GroupRemoveBucket removes (or BucketFirst,
	// BucketLast, BucketAll). Other commands ignore it.
	CommandBucketID uint32
}

// GroupSelection is OVS's selection method group property
// (ntr_group_prop_selection_method): Method "" (OVS's default), "dp_hash" or
// "hash"; Param its selection_method_param; Fields, for "hash", the fields
// hashed, each under a mask, in OVS's field order.
type GroupSelection struct {
	Method string
	Param  uint64
	Fields []HashField
}

// HashField is one field of a "hash" selection method: the model field,
// the mask its value is hashed under, and Wire, the OXM/NXM header it came
// in (class, field and length, no mask bit), which the codec writes back.
type HashField struct {
	Field packet.FieldID
	Mask  packet.U128
	Wire  uint32
}

// OpenFlow 1.5 bucket ids: the largest usable one, and the special values
// of command_bucket_id.
const (
	BucketMax   = 0xffffff00 // OFPG15_BUCKET_MAX
	BucketFirst = 0xfffffffd // OFPG15_BUCKET_FIRST
	BucketLast  = 0xfffffffe // OFPG15_BUCKET_LAST
	BucketAll   = 0xffffffff // OFPG15_BUCKET_ALL
)
