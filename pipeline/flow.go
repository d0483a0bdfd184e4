package pipeline

import (
	"sync/atomic"

	"gswitch/ct"
	"gswitch/packet"
)

// flow is an installed flow. Everything but the counters is immutable; a
// modify builds a new flow (sharing the counters unless RESET_COUNTS).
type flow struct {
	spec    FlowSpec
	id      uint64
	ops     []op // compiled instructions
	ctr     *flowCounters
	created int64
	// modified is when the flow was added or its actions last changed by
	// a modify (OVS's rule->modified): hard_age and the hard timeout count
	// from it.
	modified int64
	miss     bool     // a table-miss flow: priority 0 and no match field
	groups   []uint32 // groups its actions name (group delete removes the flow)
	timed    bool     // has an idle or hard timeout
	// conj is set for a conjunctive flow (actions: only conjunction and
	// note): a clause of a conjunctive match, never executed itself.
	conj []Conjunction
	// delLearned: the (table, cookie) of its learn actions with
	// delete_learned.
	delLearned []tableCookie
	// fin is 0, or 1<<32 | idle<<16 | hard: the timeouts fin_timeout
	// reduced them to.
	fin atomic.Uint64
}

// conjunctionsOf returns the conjunction actions of a flow whose apply
// actions are only conjunction and note, or nil.
func conjunctionsOf(in *Instructions) []Conjunction {
	var cs []Conjunction
	for _, a := range in.Apply {
		switch a := a.(type) {
		case Conjunction:
			cs = append(cs, a)
		case Note:
		default:
			return nil
		}
	}
	return cs
}

// flowCounters are a flow's statistics, updated by the datapath once per
// flow per batch.
type flowCounters struct {
	packets atomic.Uint64
	bytes   atomic.Uint64
	used    atomic.Int64 // last packet, monotonic ns
	// refreshed is when learn last found the flow unchanged (OVS's
	// learn refresh of rule->modified): the hard timeout counts from it.
	refreshed atomic.Int64
	_         [32]byte // keep hot counters of different flows apart
}

func (c *flowCounters) refresh(now int64) {
	if c.refreshed.Load() < now {
		c.refreshed.Store(now)
	}
}

func (c *flowCounters) touch(now int64) {
	if c.used.Load() < now {
		c.used.Store(now)
	}
}

// opKind is a compiled action or instruction.
type opKind uint8

const (
	opOutput opKind = iota
	opOutputReg
	opController
	opGroup
	opSet // set_field and load: field f, value v under mask m
	opMove
	opResubmit
	opDecTTL
	opSetTTL
	opPushVLAN
	opPopVLAN
	opSetQueue
	opCTClear
	opExit
	opCT
	opClearActions
	opWriteActions
	opWriteMetadata
	opGoto
	opClone // list: the nested actions; hdr: they may change the packet
	opStackPush
	opStackPop
	opCheckPktLarger // port: the length; dst: the bit
	opLearn          // learn: the action
	opFinTimeout     // v.Lo: idle, v.Hi: hard
	opPushMPLS       // port: the Ethernet type
	opPopMPLS        // port: the Ethernet type
	opDecMPLSTTL     // ttl: controller 0, as OVS's dec_mpls_ttl
	opDecNSHTTL      // ttl: controller 0, as OVS's dec_nsh_ttl
	opMeter          // mtr: the meter
	opMultipath      // mp: the action; hdr: its destination is in the frame
	opBundle         // bd: the action; hdr: its destination is in the frame
	opUnroll         // a resumed continuation's table (table) and cookie (fl)
	opSetTun         // tun: set_field to tun_metadataN
	opSample         // act: the Sample action (no field of its own: op stays small)
	opNote           // note: no effect (kept for ofproto/trace, which lists it)
	opInPort16       // after a write to NXM_OF_IN_PORT's 16 bits: in_port as OVS's 16-bit port
)

// op is one compiled step. A flow's instructions compile to one op list:
// apply-actions, then clear-actions, write-actions, write-metadata and
// goto-table as ops of their own (the order OpenFlow 1.3 runs them in).
type op struct {
	kind   opKind
	hdr    bool // opSet/opMove: the destination is in the frame's headers
	ct     bool // opResubmit: look up with the ct original tuple
	honor  bool // opResubmit from output:TABLE: a miss may go to the controller
	table  uint8
	maxLen uint16
	f      packet.FieldID
	port   uint32 // opOutput; opResubmit's in_port; opGroup's group
	v, m   packet.U128
	src    Subfield
	dst    Subfield
	tun    *SetTun // opSetTun
	list   []op    // opWriteActions, opClone
	ctl    *Controller
	ttl    *DecTTL
	cta    *ctOp
	learn  *Learn
	mtr    *meter // opMeter; opController: the controller action's meter (nil: none)
	mp     *Multipath
	bd     *Bundle
	// act is the action the op was compiled from (nil for clear-actions
	// and write-actions): a pause freezes the ops still to run as actions.
	act *Action
	fl  *flow // opUnroll: a flow that carries the cookie
}

// ctOp is a compiled ct action.
type ctOp struct {
	params  ct.Params
	zoneSrc Subfield // Field == FieldInvalid: immediate zone
	table   uint8
	// moves are exec(move:SRC->ct_mark/ct_label) actions: their values are
	// read from each packet, so such a ct runs packet by packet.
	moves []Move
}

// decMPLSTTL is the controller list of dec_mpls_ttl and dec_nsh_ttl: an
// expired packet goes to controller 0 (OVS's compose_dec_mpls_ttl_action,
// compose_dec_nsh_ttl_action).
var decMPLSTTL = DecTTL{ControllerIDs: []uint16{0}}

func subOnes(n uint16) packet.U128 { return packet.Ones(uint(n)) }

// compileActions compiles a validated action list.
// mt resolves the meters that controller actions name (one that does not
// exist meters nothing, as OVS).
func compileActions(acts []Action, mt *meterTable) []op {
	ops := make([]op, 0, len(acts))
	for i, a := range acts {
		n := len(ops)
		switch a := a.(type) {
		case Output:
			if a.Port == PortTable {
				ops = append(ops, op{kind: opResubmit, port: PortInPort, table: 0, honor: true, act: &acts[i]})
				continue
			}
			ops = append(ops, op{kind: opOutput, port: a.Port, maxLen: a.MaxLen})
		case OutputReg:
			ops = append(ops, op{kind: opOutputReg, src: a.Src, maxLen: a.MaxLen})
		case Controller:
			c := a
			o := op{kind: opController, ctl: &c}
			if a.HasMeter && a.MeterID != 0 {
				o.mtr = mt.get(a.MeterID)
			}
			ops = append(ops, o)
		case GroupAction:
			ops = append(ops, op{kind: opGroup, port: a.GroupID})
		case SetField:
			ops = append(ops, op{kind: opSet, f: a.Field, v: a.Value.And(a.Mask), m: a.Mask,
				hdr: packet.Fields[a.Field].Header})
		case RegLoad:
			m := subOnes(a.Dst.NBits).Shl(uint(a.Dst.Ofs))
			ops = append(ops, op{kind: opSet, f: a.Dst.Field, v: a.Value.Shl(uint(a.Dst.Ofs)).And(m), m: m,
				hdr: packet.Fields[a.Dst.Field].Header})
		case Move:
			ops = append(ops, op{kind: opMove, src: a.Src, dst: a.Dst, hdr: a.Dst.Tun.Len == 0 && packet.Fields[a.Dst.Field].Header})
		case SetTun:
			st := a
			ops = append(ops, op{kind: opSetTun, tun: &st})
		case Resubmit:
			ops = append(ops, op{kind: opResubmit, port: a.InPort, table: a.Table, ct: a.CT})
		case DecTTL:
			d := a
			ops = append(ops, op{kind: opDecTTL, ttl: &d})
		case SetTTL:
			ops = append(ops, op{kind: opSetTTL, v: packet.U128{Lo: uint64(a.TTL)}})
		case PushVLAN:
			ops = append(ops, op{kind: opPushVLAN, v: packet.U128{Lo: uint64(a.EthType)}})
		case PopVLAN:
			ops = append(ops, op{kind: opPopVLAN})
		case PushMPLS:
			ops = append(ops, op{kind: opPushMPLS, port: uint32(a.EthType)})
		case PopMPLS:
			ops = append(ops, op{kind: opPopMPLS, port: uint32(a.EthType)})
		case DecMPLSTTL:
			ops = append(ops, op{kind: opDecMPLSTTL, ttl: &decMPLSTTL})
		case DecNSHTTL:
			ops = append(ops, op{kind: opDecNSHTTL, ttl: &decMPLSTTL})
		case SetQueue:
			ops = append(ops, op{kind: opSetQueue, port: a.QueueID})
		case CTClear:
			ops = append(ops, op{kind: opCTClear})
		case Exit:
			ops = append(ops, op{kind: opExit})
		case CT:
			c := &ctOp{params: a.Params, zoneSrc: a.ZoneSrc, table: a.Table}
			for _, x := range a.Exec {
				if mv, ok := x.(Move); ok {
					c.moves = append(c.moves, mv)
				}
			}
			ops = append(ops, op{kind: opCT, cta: c})
		case StackPush:
			ops = append(ops, op{kind: opStackPush, src: a.Src})
		case StackPop:
			ops = append(ops, op{kind: opStackPop, dst: a.Dst, hdr: a.Dst.Tun.Len == 0 && packet.Fields[a.Dst.Field].Header})
		case CheckPktLarger:
			ops = append(ops, op{kind: opCheckPktLarger, port: uint32(a.PktLen), dst: a.Dst,
				hdr: packet.Fields[a.Dst.Field].Header})
		case Learn:
			l := a
			ops = append(ops, op{kind: opLearn, learn: &l})
		case Sample:
			ops = append(ops, op{kind: opSample}) // act is set below
		case FinTimeout:
			ops = append(ops, op{kind: opFinTimeout, v: packet.U128{Lo: uint64(a.IdleTimeout), Hi: uint64(a.HardTimeout)}})
		case Meter:
			// A meter that does not exist (only in a group bucket, whose
			// meters OVS never resolves) meters nothing.
			if m := mt.get(a.ID); m != nil {
				ops = append(ops, op{kind: opMeter, mtr: m})
			}
		case Clone:
			l := compileActions(a.Actions, mt)
			ops = append(ops, op{kind: opClone, list: l, hdr: opsModify(l)})
		case Multipath:
			mp := a
			ops = append(ops, op{kind: opMultipath, mp: &mp, hdr: packet.Fields[a.Dst.Field].Header})
		case Bundle:
			bd := a
			o := op{kind: opBundle, bd: &bd}
			if a.Load {
				o.hdr = packet.Fields[a.Dst.Field].Header
			}
			ops = append(ops, o)
		case Note:
			ops = append(ops, op{kind: opNote})
		case Conjunction, NAT, PopQueue:
			// (pop_queue: gswitch's queues have no effect; see SetQueue)
			// no effect (conjunction is handled by the classifier; NAT
			// only appears inside CT)
		}
		if len(ops) > n {
			ops[n].act = &acts[i]
			if writesInPort16(a) {
				ops = append(ops, op{kind: opInPort16})
			}
		}
	}
	return ops
}

// writesInPort16 reports whether a writes in_port through OVS's 16-bit
// view (NXM_OF_IN_PORT[...]): OVS keeps OpenFlow 1.0 ports, so
// set_field:ANY->in_port then pop:NXM_OF_IN_PORT[] gives the popped port,
// where gswitch's 32-bit in_port would keep ANY's upper half
// (opInPort16 maps the result back).
func writesInPort16(a Action) bool {
	var sf Subfield
	switch a := a.(type) {
	case Move:
		sf = a.Dst
	case StackPop:
		sf = a.Dst
	case RegLoad:
		sf = a.Dst
	default:
		return false
	}
	return sf.Tun.Len == 0 && sf.Field == packet.FieldInPort && sf.Ofs+sf.NBits <= 16
}

// compileInstructions compiles a flow's instructions, the meter first
// (OpenFlow 1.3 runs it before the others); its meter exists (checked).
func compileInstructions(in *Instructions, mt *meterTable) []op {
	var ops []op
	if in.Meter != 0 {
		ops = append(ops, op{kind: opMeter, mtr: mt.get(in.Meter)})
	}
	ops = append(ops, compileActions(in.Apply, mt)...)
	if in.ClearActions {
		ops = append(ops, op{kind: opClearActions})
	}
	if in.HasWrite {
		ops = append(ops, op{kind: opWriteActions, list: compileActions(in.Write, mt)})
	}
	if in.WriteMetadata {
		// A continuation carries write_metadata as the set_field OVS
		// freezes it into, and goto_table as resubmit(,N).
		var a Action = SetField{Field: packet.FieldMetadata, Value: packet.U128{Lo: in.Metadata & in.MetadataMask},
			Mask: packet.U128{Lo: in.MetadataMask}}
		ops = append(ops, op{kind: opWriteMetadata, v: packet.U128{Lo: in.Metadata & in.MetadataMask},
			m: packet.U128{Lo: in.MetadataMask}, act: &a})
	}
	if in.GotoTable >= 0 {
		var a Action = Resubmit{InPort: PortInPort, Table: uint8(in.GotoTable)}
		ops = append(ops, op{kind: opGoto, table: uint8(in.GotoTable), act: &a})
	}
	return ops
}

// opModifies reports whether running ops may change a packet (so a group
// bucket must work on a copy).
func opsModify(ops []op) bool {
	for i := range ops {
		switch ops[i].kind {
		case opOutput, opOutputReg, opController, opSetQueue, opExit, opClone, opFinTimeout, opNote:
			// (a clone works on copies of its own when it must)
		default:
			return true
		}
	}
	return false
}

// actionsOutputTo reports whether acts output to port (the out_port filter
// of flow-mod delete and flow stats, as OVS ofpacts_output_to_port).
func actionsOutputTo(acts []Action, port uint32) bool {
	for _, a := range acts {
		switch a := a.(type) {
		case Output:
			if a.Port == port {
				return true
			}
		case Controller:
			if port == PortController {
				return true
			}
		}
	}
	return false
}

func actionsOutputToGroup(acts []Action, g uint32) bool {
	for _, a := range acts {
		if a, ok := a.(GroupAction); ok && a.GroupID == g {
			return true
		}
	}
	return false
}

func (f *flow) outputsTo(port uint32) bool {
	return port == PortAny || actionsOutputTo(f.spec.Inst.Apply, port) || actionsOutputTo(f.spec.Inst.Write, port)
}

func (f *flow) outputsToGroup(g uint32) bool {
	return g == GroupAny || actionsOutputToGroup(f.spec.Inst.Apply, g) || actionsOutputToGroup(f.spec.Inst.Write, g)
}

func (f *flow) stats() FlowStats {
	s := FlowStats{Spec: f.spec, Packets: f.ctr.packets.Load(), Bytes: f.ctr.bytes.Load(),
		Created: f.created, LastUsed: f.lastUsed(), Modified: f.hardStart()}
	s.Spec.IdleTimeout, s.Spec.HardTimeout = f.timeouts()
	return s
}

// hardStart is when the flow was added, modified or refreshed by learn:
// its hard timeout and hard_age count from it.
func (f *flow) hardStart() int64 {
	return max(f.modified, f.created, f.ctr.refreshed.Load())
}

// lastUsed is when the flow last matched a packet, or its creation time if
// it never did. A flow that replaced another (an add over the same match
// and priority, or a modify) carries the other's time over, as OVS's
// rule_insert forwards stats.used, so it may be before f.created.
func (f *flow) lastUsed() int64 {
	if u := f.ctr.used.Load(); u != 0 {
		return u
	}
	return f.created
}

// TunMetadataInUse returns the tun_metadata fields (bit i: tun_metadata i)
// that installed flows match or write: their TLV mappings may not be
// deleted (OVS's NXTTMFC_INVALID_TLV_DEL).
func (d *Datapath) TunMetadataInUse() uint64 {
	var used uint64
	v := d.cur.Load()
	for _, c := range v.tables {
		if c == nil {
			continue
		}
		c.each(func(f *flow) bool {
			if t := f.spec.Match.Tun; t != nil {
				used |= t.Fields
			}
			used |= actionsTunUse(f.spec.Inst.Apply) | actionsTunUse(f.spec.Inst.Write)
			return true
		})
	}
	return used
}

func actionsTunUse(acts []Action) uint64 {
	var used uint64
	sub := func(sf Subfield) {
		if sf.Tun.Len != 0 {
			used |= 1 << sf.Tun.Idx
		}
	}
	for _, a := range acts {
		switch a := a.(type) {
		case SetTun:
			used |= 1 << a.F.Idx
		case Move:
			sub(a.Src)
			sub(a.Dst)
		case StackPush:
			sub(a.Src)
		case StackPop:
			sub(a.Dst)
		case OutputReg:
			sub(a.Src)
		case Multipath:
			sub(a.Dst)
		case Bundle:
			sub(a.Dst)
		case Learn:
			for _, sp := range a.Specs {
				sub(sp.Src)
				sub(sp.Dst)
			}
		case Clone:
			used |= actionsTunUse(a.Actions)
		case CT:
			sub(a.ZoneSrc)
			used |= actionsTunUse(a.Exec)
		}
	}
	return used
}

// OutputsTo reports whether the instructions output to port (PortAny:
// always), as a flow-mod's or flow monitor's out_port filter (OVS's
// ofproto_rule_has_out_port).
func (in *Instructions) OutputsTo(port uint32) bool {
	return port == PortAny || actionsOutputTo(in.Apply, port) || actionsOutputTo(in.Write, port)
}

// OutputsToGroup is OutputsTo for an out_group filter (GroupAny: always).
func (in *Instructions) OutputsToGroup(g uint32) bool {
	return g == GroupAny || actionsOutputToGroup(in.Apply, g) || actionsOutputToGroup(in.Write, g)
}

// Covers reports whether every packet o matches, m matches too: o is at
// least as specific as m and agrees with it where m matches (OVS's
// cls_rule_is_loose_match, as flow-mods' and flow stats' non-strict
// selection).
func (m *Match) Covers(o *Match) bool {
	for i := range m.Mask {
		if m.Mask[i]&^o.Mask[i] != 0 || o.Value[i]&m.Mask[i] != m.Value[i]&m.Mask[i] {
			return false
		}
	}
	return m.Tun.Covers(o.Tun)
}
