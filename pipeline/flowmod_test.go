package pipeline

import (
	"testing"

	"gswitch/ct"
	"gswitch/packet"
)

func fmod(cmd FlowModCommand, s FlowSpec) *FlowMod {
	return &FlowMod{Command: cmd, Spec: s, OutPort: PortAny, OutGroup: GroupAny}
}

func flowsOf(d *Datapath) []FlowStats {
	return d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, 5)
}

func TestFlowModSemantics(t *testing.T) {
	m1 := ipMatch(packet.FieldInPort, 1)
	m1tcp := ipMatch(packet.FieldInPort, 1, packet.FieldNwProto, 6)
	m2 := ipMatch(packet.FieldInPort, 2)

	type step struct {
		fm       *FlowMod
		wantErr  [2]uint16 // type, code; {0,0}: no error
		wantN    int       // flows after
		wantOuts []uint32  // output port of each flow, in dump order
	}
	withCookie := func(s FlowSpec, c uint64) FlowSpec { s.Cookie = c; return s }
	withFlags := func(s FlowSpec, f uint16) FlowSpec { s.Flags = f; return s }
	tests := []struct {
		name  string
		steps []step
	}{
		{"add replaces identical", []step{
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 1})), wantN: 1},
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 2})), wantN: 1, wantOuts: []uint32{2}},
			{fm: fmod(FlowAdd, spec(0, 6, m1, Output{Port: 3})), wantN: 2, wantOuts: []uint32{3, 2}},
		}},
		{"modify loose changes more specific flows only", []step{
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 1})), wantN: 1},
			{fm: fmod(FlowAdd, spec(0, 7, m1tcp, Output{Port: 1})), wantN: 2},
			{fm: fmod(FlowAdd, spec(0, 5, m2, Output{Port: 1})), wantN: 3},
			{fm: fmod(FlowModify, spec(0, 0, m1, Output{Port: 4})), wantN: 3, wantOuts: []uint32{4, 4, 1}},
		}},
		{"modify strict needs priority", []step{
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 1})), wantN: 1},
			{fm: fmod(FlowModifyStrict, spec(0, 6, m1, Output{Port: 4})), wantN: 1, wantOuts: []uint32{1}},
			{fm: fmod(FlowModifyStrict, spec(0, 5, m1, Output{Port: 4})), wantN: 1, wantOuts: []uint32{4}},
		}},
		{"modify of nothing does nothing in OpenFlow 1.3", []step{
			{fm: fmod(FlowModify, spec(0, 5, m1, Output{Port: 1})), wantN: 0},
		}},
		{"modify of nothing adds with OpenFlow 1.0 semantics", []step{
			{fm: &FlowMod{Command: FlowModify, Spec: spec(0, 5, m1, Output{Port: 1}), SetCookie: true, NewCookie: 7,
				OutPort: PortAny, OutGroup: GroupAny}, wantN: 1, wantOuts: []uint32{1}},
		}},
		{"delete loose and strict", []step{
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 1})), wantN: 1},
			{fm: fmod(FlowAdd, spec(0, 7, m1tcp, Output{Port: 2})), wantN: 2},
			{fm: fmod(FlowAdd, spec(1, 5, m2, Output{Port: 3})), wantN: 3},
			{fm: fmod(FlowDeleteStrict, spec(0, 5, m1tcp)), wantN: 3},
			{fm: fmod(FlowDelete, spec(TableAll, 0, m1)), wantN: 1, wantOuts: []uint32{3}},
			{fm: fmod(FlowDelete, spec(TableAll, 0, Match{})), wantN: 0},
		}},
		{"delete with cookie mask and out_port", []step{
			{fm: fmod(FlowAdd, withCookie(spec(0, 5, m1, Output{Port: 1}), 0x12)), wantN: 1},
			{fm: fmod(FlowAdd, withCookie(spec(0, 5, m2, Output{Port: 2}), 0x22)), wantN: 2},
			{fm: &FlowMod{Command: FlowDelete, Spec: withCookie(spec(TableAll, 0, Match{}), 0x02), CookieMask: 0x0f,
				OutPort: 3, OutGroup: GroupAny}, wantN: 2},
			{fm: &FlowMod{Command: FlowDelete, Spec: withCookie(spec(TableAll, 0, Match{}), 0x10), CookieMask: 0xf0,
				OutPort: PortAny, OutGroup: GroupAny}, wantN: 1, wantOuts: []uint32{2}},
			{fm: &FlowMod{Command: FlowDelete, Spec: spec(TableAll, 0, Match{}), OutPort: 2, OutGroup: GroupAny}, wantN: 0},
		}},
		{"check overlap", []step{
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 1})), wantN: 1},
			{fm: fmod(FlowAdd, withFlags(spec(0, 5, m1tcp, Output{Port: 1}), FlagCheckOverlap)),
				wantErr: [2]uint16{ErrFlowModFailed, FMFCOverlap}, wantN: 1},
			{fm: fmod(FlowAdd, withFlags(spec(0, 6, m1tcp, Output{Port: 1}), FlagCheckOverlap)), wantN: 2},
			{fm: fmod(FlowAdd, withFlags(spec(0, 5, m2, Output{Port: 1}), FlagCheckOverlap)), wantN: 3},
		}},
		{"add to table 255", []step{
			{fm: fmod(FlowAdd, spec(TableAll, 5, m1, Output{Port: 1})), wantErr: [2]uint16{ErrFlowModFailed, FMFCBadTableID}},
			{fm: fmod(FlowModify, spec(TableAll, 5, m1, Output{Port: 1})), wantN: 0}, // every table: nothing to modify
		}},
		{"modify in every table", []step{
			{fm: fmod(FlowAdd, spec(0, 5, m1, Output{Port: 1})), wantN: 1},
			{fm: fmod(FlowAdd, spec(3, 5, m1, Output{Port: 1})), wantN: 2},
			{fm: fmod(FlowAdd, spec(4, 6, m1tcp, Output{Port: 1})), wantN: 3},
			{fm: fmod(FlowAdd, spec(7, 5, m2, Output{Port: 1})), wantN: 4},
			{fm: fmod(FlowModify, spec(TableAll, 0, m1, Output{Port: 2})), wantN: 4, wantOuts: []uint32{2, 2, 2, 1}},
			{fm: fmod(FlowModifyStrict, spec(TableAll, 5, m1, Output{Port: 3})), wantN: 4, wantOuts: []uint32{3, 3, 2, 1}},
			{fm: fmod(FlowModifyStrict, spec(TableAll, 9, m1, Output{Port: 4})), wantN: 4, wantOuts: []uint32{3, 3, 2, 1}},
		}},
		{"modify in every table adds to table 0 with OpenFlow 1.0 semantics", []step{
			{fm: fmod(FlowAdd, spec(3, 5, m2, Output{Port: 1})), wantN: 1},
			{fm: &FlowMod{Command: FlowModify, Spec: spec(TableAll, 5, m1, Output{Port: 2}), SetCookie: true, NewCookie: 7,
				OutPort: PortAny, OutGroup: GroupAny}, wantN: 2, wantOuts: []uint32{2, 1}},
		}},
		{"unknown command", []step{
			{fm: fmod(9, spec(0, 5, m1)), wantErr: [2]uint16{ErrFlowModFailed, FMFCBadCommand}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for i, s := range tc.steps {
				err := e.d.FlowMod(s.fm, 1)
				typ, code := errCode(err)
				if err == nil {
					typ, code = 0, 0
				}
				if [2]uint16{typ, code} != s.wantErr {
					t.Fatalf("step %d: error %v, want type/code %v", i, err, s.wantErr)
				}
				fs := flowsOf(e.d)
				if len(fs) != s.wantN {
					t.Fatalf("step %d: %d flows, want %d", i, len(fs), s.wantN)
				}
				if s.wantOuts != nil {
					for j, f := range fs {
						if p := f.Spec.Inst.Apply[0].(Output).Port; p != s.wantOuts[j] {
							t.Fatalf("step %d: flow %d outputs to %d, want %v", i, j, p, s.wantOuts)
						}
					}
				}
			}
		})
	}
}

func TestFlowModCounters(t *testing.T) {
	e := newEnv(t)
	m := ipMatch(packet.FieldInPort, 1)
	add(t, e.d, spec(0, 5, m, Output{Port: 2}))
	e.send(1, tcpFrame(1, 2), tcpFrame(1, 2))
	pk := func() uint64 { return flowsOf(e.d)[0].Packets }
	if pk() != 2 {
		t.Fatalf("packets %d", pk())
	}
	// modify keeps counters and the creation time
	if err := e.d.FlowMod(fmod(FlowModify, spec(0, 0, m, Output{Port: 3})), 50); err != nil {
		t.Fatal(err)
	}
	if f := flowsOf(e.d)[0]; f.Packets != 2 || f.Created != 1 {
		t.Fatalf("after modify: %+v", f)
	}
	e.send(1, tcpFrame(1, 2))
	if pk() != 3 {
		t.Fatalf("after modify and a packet: %d", pk())
	}
	// modify with RESET_COUNTS clears them
	s := spec(0, 0, m, Output{Port: 3})
	s.Flags = FlagResetCounts
	if err := e.d.FlowMod(fmod(FlowModify, s), 60); err != nil {
		t.Fatal(err)
	}
	if pk() != 0 {
		t.Fatalf("after reset: %d", pk())
	}
	e.send(1, tcpFrame(1, 2))
	// add over an identical flow keeps counters (but restarts its duration)
	add(t, e.d, spec(0, 5, m, Output{Port: 2}))
	if f := flowsOf(e.d)[0]; f.Packets != 1 {
		t.Fatalf("after add-replace: %+v", f)
	}
}

func TestFlowModErrors(t *testing.T) {
	e := newEnv(t)
	if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeIndirect,
		Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{Output{Port: 1}}}}}); err != nil {
		t.Fatal(err)
	}
	ip := ipMatch()
	tcp := ipMatch(packet.FieldNwProto, 6)
	var tcpSrcNoProto Match
	tcpSrcNoProto.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
	tcpSrcNoProto.SetExact(packet.FieldTCPSrc, packet.U128{Lo: 80})
	gotoLow := spec(3, 1, Match{})
	gotoLow.Inst.GotoTable = 2
	gotoSame := spec(3, 1, Match{})
	gotoSame.Inst.GotoTable = 3
	gotoOK := spec(3, 1, Match{})
	gotoOK.Inst.GotoTable = 4
	writeNote := spec(0, 1, Match{})
	writeNote.Inst.HasWrite, writeNote.Inst.Write = true, []Action{Note{}}
	meter := spec(0, 1, Match{})
	meter.Inst.Meter = 1
	type E = [2]uint16
	none := E{}
	tests := []struct {
		name string
		s    FlowSpec
		want E
	}{
		{"ok", spec(0, 1, tcp, Output{Port: 1}), none},
		{"match prereq", spec(0, 1, tcpSrcNoProto), E{ErrBadMatch, BMCBadPrereq}},
		{"match prereq ip", spec(0, 1, mkMatch(packet.FieldIPv4Src, 1)), E{ErrBadMatch, BMCBadPrereq}},
		{"icmp type on icmp", spec(0, 1, ipMatch(packet.FieldNwProto, 1, packet.FieldICMPType, 8)), none},
		// ct_nw_*, ct_ipv6_* and ct_tp_* need a valid ct_state (CT), and the
		// ct addresses the match's IP version (OVS's ofputil_decode_flow_mod).
		{"ct_nw_src without ct_state", spec(0, 1, mkMatch(packet.FieldEthType, 0x0800, packet.FieldCtNwSrc, 1)), E{ErrBadMatch, BMCBadPrereq}},
		{"ct_nw_src ok", spec(0, 1, mkMatch(packet.FieldEthType, 0x0800, packet.FieldCtState, 0x21, packet.FieldCtNwSrc, 1)), none},
		{"ct_nw_src on ipv6", spec(0, 1, mkMatch(packet.FieldEthType, 0x86dd, packet.FieldCtState, 0x21, packet.FieldCtNwSrc, 1)), E{ErrBadAction, BACMatchInconsistent}},
		{"ct_ipv6_src without ip", spec(0, 1, mkMatch(packet.FieldCtState, 0x21, packet.FieldCtIPv6Src, 1)), E{ErrBadAction, BACMatchInconsistent}},
		{"ct_tp_src without ip", spec(0, 1, mkMatch(packet.FieldCtState, 0x21, packet.FieldCtTpSrc, 80)), none},
		{"goto lower", gotoLow, E{ErrBadInstruction, BICBadTableID}},
		{"goto same", gotoSame, E{ErrBadInstruction, BICBadTableID}},
		{"goto higher", gotoOK, none},
		{"bad out port", spec(0, 1, Match{}, Output{Port: PortAny}), E{ErrBadAction, BACBadOutPort}},
		{"bad out port max", spec(0, 1, Match{}, Output{Port: PortMax}), E{ErrBadAction, BACBadOutPort}},
		{"reserved port ok", spec(0, 1, Match{}, Output{Port: PortController}), none},
		{"unknown group", spec(0, 1, Match{}, GroupAction{GroupID: 9}), E{ErrBadAction, BACBadOutGroup}},
		{"known group", spec(0, 1, Match{}, GroupAction{GroupID: 1}), none},
		{"set_field prereq", spec(0, 1, Match{}, SetField{Field: packet.FieldIPv4Src, Value: packet.U128{Lo: 1}, Mask: packet.Ones(32)}),
			E{ErrBadAction, BACMatchInconsistent}},
		{"set_field ok", spec(0, 1, ip, SetField{Field: packet.FieldIPv4Src, Value: packet.U128{Lo: 1}, Mask: packet.Ones(32)}), none},
		{"set_field vlan_vid without tag", spec(0, 1, Match{}, SetField{Field: packet.FieldVlanVID, Value: packet.U128{Lo: 0x1005}, Mask: packet.Ones(13)}),
			E{ErrBadAction, BACMatchInconsistent}},
		{"set_field vlan_vid after push", spec(0, 1, Match{}, PushVLAN{EthType: 0x8100},
			SetField{Field: packet.FieldVlanVID, Value: packet.U128{Lo: 0x1005}, Mask: packet.Ones(13)}), none},
		{"set_field ct_mark outside ct", spec(0, 1, ip, SetField{Field: packet.FieldCtMark, Value: packet.U128{Lo: 1}, Mask: packet.Ones(32)}),
			E{ErrBadAction, BACBadSetArgument}},
		{"set_field not writable", spec(0, 1, ip, SetField{Field: packet.FieldNwProto, Value: packet.U128{Lo: 1}, Mask: packet.Ones(8)}),
			E{ErrBadAction, BACBadSetType}},
		{"load too wide", spec(0, 1, Match{}, RegLoad{Dst: Subfield{Field: packet.FieldReg0, Ofs: 30, NBits: 4}, Value: packet.U128{Lo: 1}}),
			E{ErrBadAction, BACBadSetLen}},
		{"load zero bits", spec(0, 1, Match{}, RegLoad{Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 0}}), E{ErrBadAction, BACBadSetLen}},
		{"load value too big", spec(0, 1, Match{}, RegLoad{Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 4}, Value: packet.U128{Lo: 16}}),
			E{ErrBadAction, BACBadSetArgument}},
		{"load ok", spec(0, 1, Match{}, RegLoad{Dst: Subfield{Field: packet.FieldReg0, Ofs: 4, NBits: 4}, Value: packet.U128{Lo: 15}}), none},
		{"move prereq", spec(0, 1, Match{}, Move{Src: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 32}}),
			E{ErrBadAction, BACMatchInconsistent}},
		{"move not writable", spec(0, 1, Match{}, Move{Src: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 16}}),
			E{ErrBadAction, BACBadSetArgument}},
		{"move ok", spec(0, 1, ip, Move{Src: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 32}}), none},
		{"dec_ttl non-ip", spec(0, 1, Match{}, DecTTL{}), E{ErrBadAction, BACMatchInconsistent}},
		{"pop_vlan no vlan", spec(0, 1, Match{}, PopVLAN{}), E{ErrBadAction, BACMatchInconsistent}},
		{"push_vlan bad type", spec(0, 1, Match{}, PushVLAN{EthType: 0x800}), E{ErrBadAction, BACBadArgument}},
		{"push_vlan thrice", spec(0, 1, Match{}, PushVLAN{EthType: 0x8100}, PushVLAN{EthType: 0x8100}, PushVLAN{EthType: 0x8100}),
			E{ErrBadAction, BACBadTag}},
		{"note in write-actions", writeNote, E{ErrBadAction, BACBadType}},
		{"meter", meter, E{ErrMeterModFailed, 2}},
		{"conjunction", spec(0, 1, Match{}, Conjunction{ID: 1, Clause: 0, NClauses: 2}), none},
		{"conjunction with output", spec(0, 2, Match{}, Conjunction{ID: 1, Clause: 0, NClauses: 2}, Output{Port: 1}),
			E{ErrExperimenter, NXBACBadConjunction}},
		{"conjunction bad clause", spec(0, 2, Match{}, Conjunction{ID: 1, Clause: 2, NClauses: 2}), E{ErrExperimenter, NXBACBadConjunction}},
		{"conjunction 1 clause", spec(0, 2, Match{}, Conjunction{ID: 1, Clause: 0, NClauses: 1}), E{ErrExperimenter, NXBACBadConjunction}},
		{"nat outside ct", spec(0, 1, ip, NAT{}), E{ErrBadAction, BACBadSetArgument}},
		{"ct non-ip", spec(0, 1, Match{}, CT{Table: 1}), E{ErrBadAction, BACMatchInconsistent}},
		{"ct ok", spec(0, 1, ip, CT{Table: 1, Zone: 5}), none},
		{"ct commit on +inv", spec(0, 1, ipMatch(packet.FieldCtState, packet.CsTrk|packet.CsInv), CT{Flags: CTCommit, Table: NoTable}),
			E{ErrBadAction, BACMatchInconsistent}},
		{"ct force without commit", spec(0, 1, ip, CT{Flags: CTForce, Table: NoTable}), E{ErrBadAction, BACBadArgument}},
		{"ct zone subfield width", spec(0, 1, ip, CT{ZoneSrc: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 8}, Table: NoTable}), E{ErrBadAction, BACBadSetLen}},
		{"ct zone subfield ok", spec(0, 1, ip, CT{ZoneSrc: Subfield{Field: packet.FieldReg0, Ofs: 16, NBits: 16}, Table: NoTable}), none},
		{"ct exec other field", spec(0, 1, ip, CT{Flags: CTCommit, Table: NoTable,
			Exec: []Action{SetField{Field: packet.FieldReg0, Value: packet.U128{Lo: 1}, Mask: packet.Ones(32)}}}), E{ErrBadAction, BACBadArgument}},
		{"ct exec output", spec(0, 1, ip, CT{Flags: CTCommit, Table: NoTable, Exec: []Action{Output{Port: 1}}}), E{ErrBadAction, BACBadArgument}},
		{"ct exec without commit", spec(0, 1, ip, CT{Table: NoTable,
			Exec: []Action{SetField{Field: packet.FieldCtMark, Value: packet.U128{Lo: 1}, Mask: packet.Ones(32)}}}), E{ErrBadAction, BACBadArgument}},
		{"ct exec mark ok", spec(0, 1, ip, CT{Flags: CTCommit, Table: NoTable,
			Exec: []Action{SetField{Field: packet.FieldCtMark, Value: packet.U128{Lo: 1}, Mask: packet.Ones(32)}}}), none},
		// OVS 3.1 accepts two nats (the last counts): ovs-ofctl add-flow
		// 'ip,actions=ct(commit,nat(src=..),nat(dst=..))' on a private OVS,
		// and tests/golden/group-actions ct-two-nat.
		{"ct two nats", spec(0, 1, ip, CT{Flags: CTCommit, Table: NoTable, Exec: []Action{NAT{ct.NAT{Flags: ct.NATSrc}}, NAT{ct.NAT{Flags: ct.NATDst}}}}),
			none},
		{"ct nat inverted address range", spec(0, 1, ip, CT{Flags: CTCommit, Table: NoTable, Exec: []Action{NAT{ct.NAT{Flags: ct.NATSrc,
			RangePresent: ct.NATRangeIPv4Min | ct.NATRangeIPv4Max, AddrMin: [16]byte{203, 0, 113, 9}, AddrMax: [16]byte{203, 0, 113, 1}}}}}),
			E{ErrBadAction, BACBadArgument}},
		{"ct nat inverted port range", spec(0, 1, ip, CT{Flags: CTCommit, Table: NoTable, Exec: []Action{NAT{ct.NAT{Flags: ct.NATSrc,
			RangePresent: ct.NATRangeIPv4Min | ct.NATRangeProtoMin | ct.NATRangeProtoMax, AddrMin: [16]byte{203, 0, 113, 9}, PortMin: 2000, PortMax: 1000}}}}),
			E{ErrBadAction, BACBadArgument}},
		{"ct nat with arguments without commit", spec(0, 1, ip, CT{Table: NoTable, Exec: []Action{NAT{ct.NAT{Flags: ct.NATSrc}}}}),
			E{ErrBadAction, BACBadArgument}},
		{"ct alg ftp on udp", spec(0, 1, ipMatch(packet.FieldNwProto, 17), CT{Flags: CTCommit, Table: NoTable, Alg: ct.AlgFTP}),
			E{ErrBadAction, BACMatchInconsistent}},
		{"resubmit ct untracked", spec(0, 1, ip, Resubmit{InPort: PortInPort, Table: 1, CT: true}), E{ErrBadAction, BACMatchInconsistent}},
		{"resubmit ct tracked", spec(0, 1, ipMatch(packet.FieldCtState, packet.CsTrk|packet.CsEst), Resubmit{InPort: PortInPort, Table: 1, CT: true}), none},
		{"controller pause", spec(0, 1, Match{}, Controller{Pause: true}), none},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.d.FlowMod(fmod(FlowAdd, tc.s), 1)
			typ, code := errCode(err)
			if err == nil {
				typ, code = 0, 0
			}
			if (E{typ, code}) != tc.want {
				t.Fatalf("error %v, want type/code %v", err, tc.want)
			}
		})
	}
	// CT.Params are derived at install and visible in dump.
	for _, f := range flowsOf(e.d) {
		for _, a := range f.Spec.Inst.Apply {
			if c, ok := a.(CT); ok && c.Flags&CTCommit != 0 && len(c.Exec) == 1 {
				if !c.Params.SetMark || c.Params.Mark != 1 || c.Params.MarkMask != 0xffffffff || !c.Params.Commit {
					t.Fatalf("ct params %+v", c.Params)
				}
			}
		}
	}
}

func TestLaxOF10(t *testing.T) {
	e := newEnv(t)
	fm := fmod(FlowAdd, spec(0, 1, Match{}, PopVLAN{}, DecTTL{}, Output{Port: 2}))
	fm.Lax = true
	if err := e.d.FlowMod(fm, 1); err != nil {
		t.Fatal(err)
	}
	e.send(1, arpFrame())
	if len(e.s.out) != 1 {
		t.Fatalf("outputs %v", e.s.ports())
	}
}

func TestExpire(t *testing.T) {
	e := newEnv(t)
	var removed []FlowRemoved
	e.d.cfg.FlowRemoved = func(r *FlowRemoved) { removed = append(removed, *r) }
	idle := spec(0, 1, mkMatch(packet.FieldInPort, 1), Output{Port: 2})
	idle.IdleTimeout, idle.Flags = 10, FlagSendFlowRem
	hard := spec(0, 1, mkMatch(packet.FieldInPort, 2), Output{Port: 1})
	hard.HardTimeout, hard.Flags = 20, FlagSendFlowRem
	quiet := spec(0, 1, mkMatch(packet.FieldInPort, 3), Output{Port: 1})
	quiet.HardTimeout = 5
	for _, s := range []FlowSpec{idle, hard, quiet} {
		if err := e.d.FlowMod(fmod(FlowAdd, s), 0); err != nil {
			t.Fatal(err)
		}
	}
	b := &packet.Batch{Now: 8e9}
	pk := packet.New(tcpFrame(1, 2))
	pk.Key.SetInPort(1)
	b.Pkts = append(b.Pkts, pk)
	e.d.Process(b) // idle flow used at 8 s
	e.d.Expire(12e9)
	if e.d.NumFlows() != 2 || len(removed) != 0 {
		t.Fatalf("at 12s: %d flows, removed %+v", e.d.NumFlows(), removed)
	}
	e.d.Expire(18e9)
	if e.d.NumFlows() != 1 || len(removed) != 1 || removed[0].Reason != RemovedIdleTimeout || removed[0].Stats.Packets != 1 {
		t.Fatalf("at 18s: %d flows, removed %+v", e.d.NumFlows(), removed)
	}
	e.d.Expire(20e9)
	if e.d.NumFlows() != 0 || len(removed) != 2 || removed[1].Reason != RemovedHardTimeout {
		t.Fatalf("at 20s: %d flows, removed %+v", e.d.NumFlows(), removed)
	}
	// delete reports too
	s := spec(0, 1, Match{}, Output{Port: 1})
	s.Flags = FlagSendFlowRem
	add(t, e.d, s)
	if err := e.d.FlowMod(fmod(FlowDelete, spec(TableAll, 0, Match{})), 30e9); err != nil {
		t.Fatal(err)
	}
	if len(removed) != 3 || removed[2].Reason != RemovedDelete {
		t.Fatalf("delete: removed %+v", removed)
	}
}

func TestFlowModsAtomic(t *testing.T) {
	e := newEnv(t)
	good := fmod(FlowAdd, spec(0, 1, mkMatch(packet.FieldInPort, 1), Output{Port: 2}))
	bad := fmod(FlowAdd, spec(0, 1, Match{}, Output{Port: PortAny}))
	v0 := e.d.cur.Load()
	if i, err := e.d.FlowMods([]*FlowMod{good, bad}, 1); err == nil || i != 1 {
		t.Fatalf("bundle with a bad flow-mod: %d %v", i, err)
	}
	if e.d.NumFlows() != 0 || e.d.cur.Load() != v0 {
		t.Fatal("failed bundle changed the tables")
	}
	del := fmod(FlowDelete, spec(TableAll, 0, Match{}))
	good2 := fmod(FlowAdd, spec(1, 1, Match{}, Output{Port: 3}))
	if i, err := e.d.FlowMods([]*FlowMod{good, del, good2}, 1); err != nil || i != 3 {
		t.Fatalf("bundle: %d %v", i, err)
	}
	fs := flowsOf(e.d)
	if len(fs) != 1 || fs[0].Spec.Table != 1 {
		t.Fatalf("after bundle: %+v", fs)
	}
	// a change that changes nothing publishes no version
	v1 := e.d.cur.Load()
	if err := e.d.FlowMod(fmod(FlowDelete, spec(5, 0, Match{})), 1); err != nil || e.d.cur.Load() != v1 {
		t.Fatal("empty delete published a version")
	}
}

func TestTableFull(t *testing.T) {
	d := New(Config{MaxFlows: 3})
	for i := range 3 {
		add(t, d, spec(0, 1, mkMatch(packet.FieldReg0, i)))
	}
	err := d.FlowMod(fmod(FlowAdd, spec(0, 1, mkMatch(packet.FieldReg0, 9))), 1)
	if typ, code := errCode(err); typ != ErrFlowModFailed || code != FMFCTableFull {
		t.Fatalf("4th flow: %v", err)
	}
	add(t, d, spec(0, 1, mkMatch(packet.FieldReg0, 2))) // replacing is fine
	add(t, d, spec(1, 1, mkMatch(packet.FieldReg0, 9))) // other tables too
}

func TestStaleMetadataCleared(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, mkMatch(packet.FieldReg0, 0), Output{Port: 2}))
	b := mkBatch(1, tcpFrame(1, 2))
	b.Pkts[0].Key.W.Set(packet.FieldXReg0, packet.U128{Lo: 5 << 32}) // a reused buffer's leftovers
	b.Pkts[0].Key.SetCtState(packet.CsTrk)
	e.d.Process(b)
	if len(e.s.out) != 1 || e.s.out[0].key.CtState() != 0 {
		t.Fatalf("outputs %v", e.s.ports())
	}
}

// A modify addressed to every table is one change: if it cannot apply to
// one of the flows it selects, none of them changes.
func TestFlowModModifyAllTablesAtomic(t *testing.T) {
	e := newEnv(t)
	m := ipMatch(packet.FieldInPort, 1)
	add(t, e.d, spec(0, 5, m, Output{Port: 1}))
	add(t, e.d, spec(5, 5, m, Output{Port: 1}))
	s := spec(TableAll, 5, m, Output{Port: 2})
	s.Inst.GotoTable = 3 // fine from table 0, not from table 5
	before := e.d.cur.Load()
	err := e.d.FlowMod(fmod(FlowModify, s), 2)
	if typ, code := errCode(err); typ != ErrBadInstruction || code != BICBadTableID {
		t.Fatalf("modify with goto_table:3 in every table: %v, want OFPBIC_BAD_TABLE_ID", err)
	}
	if e.d.cur.Load() != before {
		t.Fatal("a failed modify published a new version")
	}
	for _, f := range flowsOf(e.d) {
		if p := f.Spec.Inst.Apply[0].(Output).Port; p != 1 || f.Spec.Inst.GotoTable != -1 {
			t.Fatalf("flow in table %d changed by a failed modify: %+v", f.Spec.Table, f.Spec.Inst)
		}
	}
	// Both tables change in a single new version.
	s.Inst.GotoTable = 6
	if err := e.d.FlowMod(fmod(FlowModifyStrict, s), 3); err != nil {
		t.Fatal(err)
	}
	if fs := flowsOf(e.d); len(fs) != 2 || fs[0].Spec.Inst.GotoTable != 6 || fs[1].Spec.Inst.GotoTable != 6 {
		t.Fatalf("after modify: %+v", fs)
	}
}

// FlowModBatch (ofproto's FlowTransactor) is all or nothing, and a failed
// batch leaves the flows and their counters as they were.
func TestFlowModBatch(t *testing.T) {
	e := newEnv(t)
	m1 := ipMatch(packet.FieldInPort, 1)
	m2 := ipMatch(packet.FieldInPort, 2)
	add(t, e.d, spec(0, 5, m1, Output{Port: 2}))
	e.send(1, tcpFrame(1, 2), tcpFrame(1, 2))
	before := e.d.cur.Load()
	bad := spec(0, 5, m2, Output{Port: 1})
	bad.Inst.GotoTable = 0
	n, err := e.d.FlowModBatch([]*FlowMod{
		fmod(FlowDelete, spec(TableAll, 0, Match{})),
		fmod(FlowAdd, spec(0, 5, m2, Output{Port: 1})),
		fmod(FlowAdd, bad),
	}, 10)
	if err == nil || n != 2 {
		t.Fatalf("batch: failed=%d err=%v, want failed=2 and an error", n, err)
	}
	if e.d.cur.Load() != before {
		t.Fatal("a failed batch published a new version")
	}
	fs := flowsOf(e.d)
	if len(fs) != 1 || fs[0].Packets != 2 || fs[0].Created != 1 || fs[0].Spec.Match != m1 {
		t.Fatalf("after a failed batch: %+v", fs)
	}
	n, err = e.d.FlowModBatch([]*FlowMod{
		fmod(FlowModify, spec(0, 0, m1, Output{Port: 3})),
		fmod(FlowAdd, spec(0, 5, m2, Output{Port: 1})),
	}, 11)
	if err != nil {
		t.Fatalf("batch: failed=%d err=%v", n, err)
	}
	if fs := flowsOf(e.d); len(fs) != 2 || fs[0].Packets != 2 {
		t.Fatalf("after a batch: %+v", fs)
	}
}

// A modify keeps Created and sets Modified (OVS's hard_age counts from
// it), and the hard timeout counts from the last modification, as in OVS.
func TestFlowModModifiedTime(t *testing.T) {
	e := newEnv(t)
	m := ipMatch(packet.FieldInPort, 1)
	s := spec(0, 5, m, Output{Port: 2})
	s.HardTimeout = 10
	add(t, e.d, s) // at now=1
	if f := flowsOf(e.d)[0]; f.Created != 1 || f.Modified != 1 {
		t.Fatalf("after add: created %d modified %d", f.Created, f.Modified)
	}
	if err := e.d.FlowMod(fmod(FlowModify, spec(0, 0, m, Output{Port: 3})), 8e9); err != nil {
		t.Fatal(err)
	}
	if f := flowsOf(e.d)[0]; f.Created != 1 || f.Modified != 8e9 {
		t.Fatalf("after modify: created %d modified %d", f.Created, f.Modified)
	}
	e.d.Expire(12e9) // 12 s after the add, 4 s after the modify
	if n := len(flowsOf(e.d)); n != 1 {
		t.Fatalf("hard timeout counted from creation: %d flows left", n)
	}
	e.d.Expire(18e9 + 1)
	if n := len(flowsOf(e.d)); n != 0 {
		t.Fatalf("hard timeout 10 s after the modify: %d flows left", n)
	}
	// An add over an existing flow is a new flow: both times are reset.
	add(t, e.d, s)
	s.Inst.Apply = []Action{Output{Port: 3}}
	if err := e.d.FlowMod(fmod(FlowAdd, s), 20e9); err != nil {
		t.Fatal(err)
	}
	if f := flowsOf(e.d)[0]; f.Created != 20e9 || f.Modified != 20e9 {
		t.Fatalf("after add over a flow: created %d modified %d", f.Created, f.Modified)
	}
}

// An add over an existing flow keeps its last-used time (OVS rule_insert
// forwards stats.used, counters reset or not): idle age and the idle
// timeout go on from it.
func TestFlowModReAddKeepsLastUsed(t *testing.T) {
	e := newEnv(t)
	m := ipMatch(packet.FieldInPort, 1)
	s := spec(0, 5, m, Output{Port: 2})
	s.IdleTimeout = 10
	add(t, e.d, s)            // at now=1
	e.send(1, tcpFrame(1, 2)) // at now=1e9
	s.Flags = FlagResetCounts
	if err := e.d.FlowMod(fmod(FlowAdd, s), 5e9); err != nil {
		t.Fatal(err)
	}
	f := flowsOf(e.d)[0]
	if f.Created != 5e9 || f.LastUsed != 1e9 || f.Packets != 0 {
		t.Fatalf("after re-add: created %d last used %d packets %d", f.Created, f.LastUsed, f.Packets)
	}
	e.d.Expire(11e9 + 1) // 10 s after the last packet, 6 s after the re-add
	if n := len(flowsOf(e.d)); n != 0 {
		t.Fatalf("idle timeout not counted from the forwarded last use: %d flows", n)
	}
	// A flow never hit: its creation time is carried over.
	add(t, e.d, spec(0, 6, m, Output{Port: 2})) // at now=1
	if err := e.d.FlowMod(fmod(FlowAdd, spec(0, 6, m, Output{Port: 3})), 7e9); err != nil {
		t.Fatal(err)
	}
	if f := flowsOf(e.d)[0]; f.LastUsed != 1 {
		t.Fatalf("re-add of a flow never hit: last used %d, want 1", f.LastUsed)
	}
}

// ModBatch applies flow-mods and group-mods as one change: a flow may use
// a group added earlier in the batch; a failure anywhere changes nothing.
func TestModBatch(t *testing.T) {
	var removed []FlowRemoved
	e := newEnv(t)
	e.d.cfg.FlowRemoved = func(fr *FlowRemoved) { removed = append(removed, *fr) }
	m1 := ipMatch(packet.FieldInPort, 1)
	g1 := &GroupSpec{ID: 1, Type: GroupTypeAll, Buckets: []Bucket{{Actions: []Action{Output{Port: 2}},
		WatchPort: PortAny, WatchGroup: GroupAny}}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.d.GroupMod(GroupAdd, g1))
	s := spec(0, 5, m1, GroupAction{GroupID: 1})
	s.Flags = FlagSendFlowRem
	add(t, e.d, s)
	e.send(1, tcpFrame(1, 2), tcpFrame(1, 2))
	before := e.d.cur.Load()
	g5 := *g1
	g5.ID = 5
	n, err := e.d.ModBatch([]Mod{
		{GroupCmd: GroupAdd, Group: &g5},
		{Flow: fmod(FlowAdd, spec(0, 6, m1, GroupAction{GroupID: 5}))},
		{GroupCmd: GroupDelete, Group: &GroupSpec{ID: 1}},
		{GroupCmd: GroupAdd, Group: &g5}, // exists now: fails
	}, 10)
	if typ, code := errCode(err); n != 3 || typ != ErrGroupModFailed || code != GMFCGroupExists {
		t.Fatalf("batch: failed=%d err=%v, want failed=3 OFPGMFC_GROUP_EXISTS", n, err)
	}
	if e.d.cur.Load() != before || len(removed) != 0 {
		t.Fatalf("a failed batch changed the datapath (%d flow removals)", len(removed))
	}
	if fs := flowsOf(e.d); len(fs) != 1 || fs[0].Packets != 2 || len(e.d.Groups()) != 1 {
		t.Fatalf("after a failed batch: %+v, %d groups", fs, len(e.d.Groups()))
	}
	n, err = e.d.ModBatch([]Mod{
		{GroupCmd: GroupAdd, Group: &g5},
		{Flow: fmod(FlowAdd, spec(0, 6, m1, GroupAction{GroupID: 5}))},
		{GroupCmd: GroupDelete, Group: &GroupSpec{ID: 1}},
		{GroupCmd: GroupAddOrModify, Group: &g5},
		{GroupCmd: GroupAddOrModify, Group: g1},
	}, 11)
	must(err)
	fs := flowsOf(e.d)
	if len(fs) != 1 || fs[0].Spec.Priority != 6 || len(e.d.Groups()) != 2 {
		t.Fatalf("after a batch: %+v, %d groups", fs, len(e.d.Groups()))
	}
	if len(removed) != 1 || removed[0].Reason != RemovedGroupDelete || removed[0].Stats.Packets != 2 || removed[0].Now != 11 {
		t.Fatalf("flow removals: %+v", removed)
	}
	if _, err := e.d.ModBatch([]Mod{{}}, 12); err == nil {
		t.Fatal("an empty mod was accepted")
	}
}
