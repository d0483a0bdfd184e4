package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gswitch/ct"
	"gswitch/packet"
)

// recTracer records a trace's events as lines "sec/level what".
type recTracer struct {
	ev     []string
	finals map[int]packet.Key
	recs   map[int]TraceRecirc
}

func (r *recTracer) add(sec, lv int, f string, a ...any) {
	r.ev = append(r.ev, fmt.Sprintf("%d/%d ", sec, lv)+fmt.Sprintf(f, a...))
}

func (r *recTracer) Table(sec, lv int, tid uint8, s *FlowSpec, toCtl bool) {
	if s == nil {
		r.add(sec, lv, "table %d miss ctl=%v", tid, toCtl)
		return
	}
	r.add(sec, lv, "table %d pri %d", tid, s.Priority)
}
func (r *recTracer) Bucket(sec, lv int, id uint32) { r.add(sec, lv, "bucket %d", id) }
func (r *recTracer) ActionSet(sec, lv int)         { r.add(sec, lv, "action set") }
func (r *recTracer) Action(sec, lv int, a Action) {
	switch a := a.(type) {
	case nil:
		r.add(sec, lv, "drop")
	case TraceInstruction:
		r.add(sec, lv, "%s", a.Kind)
	default:
		r.add(sec, lv, "%T", a)
	}
}
func (r *recTracer) Note(sec, lv int, k TraceKind, text string) { r.add(sec, lv, "note%d %s", k, text) }
func (r *recTracer) SubfieldNow(sec, lv int, sf Subfield, pk *packet.Packet) {
	r.add(sec, lv, "now %s=%#x", packet.Fields[sf.Field].Name, pk.Key.W.Get(sf.Field).Lo)
}
func (r *recTracer) ActionSetNow(sec, lv int, verb string, acts []Action) {
	var s []string
	for _, a := range acts {
		s = append(s, fmt.Sprintf("%T", a))
	}
	r.add(sec, lv, "set %s [%s]", verb, strings.Join(s, " "))
}
func (r *recTracer) Recirc(parent, sec int, rc TraceRecirc) {
	if r.recs == nil {
		r.recs = map[int]TraceRecirc{}
	}
	r.recs[sec] = rc
	r.add(parent, 0, "recirc %d table %d state %#x given=%v real=%v", sec, rc.Table, rc.State, rc.Given, rc.Real)
}
func (r *recTracer) Datapath(sec int, a TraceDP) {
	switch a.Kind {
	case TraceDPOutput:
		r.add(sec, 0, "dp output %d", a.Port)
	case TraceDPCT:
		r.add(sec, 0, "dp ct zone %d commit %v recirc %d", a.CT.Zone, a.CT.Commit, a.Recirc)
	case TraceDPPacketIn:
		r.add(sec, 0, "dp packet-in reason %d", a.Reason)
	case TraceDPCTClear:
		r.add(sec, 0, "dp ct_clear")
	}
}
func (r *recTracer) Final(sec int, k *packet.Key) {
	if r.finals == nil {
		r.finals = map[int]packet.Key{}
	}
	r.finals[sec] = *k
}

// trace traces frame from port in through e's datapath.
func (e *env) trace(in uint32, frame []byte, o TraceOptions) *recTracer {
	pk := packet.New(frame)
	packet.Parse(pk)
	pk.Key.SetInPort(in)
	r := &recTracer{}
	e.d.Trace(pk, o, r)
	return r
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestTraceTables: tables, actions and their nesting levels (resubmit and
// goto_table nest one level, a miss is "drop"), instructions, the action
// set's notes and execution; nothing is sent and nothing counts.
func TestTraceTables(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1), Resubmit{InPort: PortInPort, Table: 1},
		Resubmit{InPort: PortInPort, Table: 9}, Output{Port: 3}))
	add(t, e.d, spec(1, 5, Match{}, RegLoad{Dst: Subfield{Field: packet.FieldReg0, NBits: 32}, Value: packet.U128{Lo: 5}},
		Move{Src: Subfield{Field: packet.FieldReg0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg1, NBits: 32}}))
	s := spec(0, 10, mkMatch(packet.FieldInPort, 2))
	s.Inst.HasWrite, s.Inst.Write, s.Inst.GotoTable = true, []Action{Output{Port: 4}}, 2
	add(t, e.d, s)
	s = spec(2, 1, Match{}, Output{Port: 1})
	s.Inst.ClearActions, s.Inst.HasWrite, s.Inst.Write = true, true, []Action{Output{Port: 3}}
	add(t, e.d, s)

	r := e.trace(1, tcpFrame(1000, 80), TraceOptions{Now: 1e9})
	wantEvents(t, r.ev,
		"0/0 table 0 pri 10",
		"0/1 pipeline.Resubmit",
		"0/1 table 1 pri 5",
		"0/2 pipeline.RegLoad",
		"0/2 pipeline.Move",
		"0/2 now reg1=0x5",
		"0/1 pipeline.Resubmit",
		"0/1 table 9 miss ctl=false",
		"0/2 drop",
		"0/1 pipeline.Output",
		"0/0 dp output 3")
	if k := r.finals[0]; k.W.Get(packet.FieldReg1).Lo != 5 {
		t.Fatalf("final reg1 %#x", k.W.Get(packet.FieldReg1).Lo)
	}
	r = e.trace(2, tcpFrame(1000, 80), TraceOptions{Now: 1e9})
	wantEvents(t, r.ev,
		"0/0 table 0 pri 10",
		"0/1 write_actions",
		"0/1 set is [pipeline.Output]",
		"0/1 goto_table",
		"0/1 table 2 pri 1",
		"0/2 pipeline.Output",
		"0/0 dp output 1",
		"0/2 clear_actions",
		"0/2 set was [pipeline.Output]",
		"0/2 write_actions",
		"0/2 set is [pipeline.Output]",
		"0/1 action set",
		"0/2 pipeline.Output",
		"0/0 dp output 3")
	if len(e.s.out) != 0 || len(e.pi.pis) != 0 {
		t.Fatalf("a trace sent %d packets, %d packet-ins", len(e.s.out), len(e.pi.pis))
	}
	fs := e.d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, 2e9)
	for _, f := range fs {
		if f.Packets != 0 || f.Bytes != 0 {
			t.Fatalf("a traced packet counted: %+v", f)
		}
	}
	if ts := e.d.TableStats(); ts[0].Lookups != 0 {
		t.Fatalf("table stats count a trace: %+v", ts[0])
	}
	if c := e.d.Counters(); c["datapath_packets"] != 0 || c["table_miss"] != 0 {
		t.Fatalf("counters count a trace: %v", c)
	}
}

// TestTraceCT: ct does not run (the Tracker is not called); each
// ct(table=N) is a section resumed with the next --ct-next state, then
// trk|new, with the zone; the original goes on with its ct fields clear.
func TestTraceCT(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 10, ipMatch(), CT{Table: 1, Zone: 5, ZoneSrc: Subfield{Field: packet.FieldInvalid}}, Output{Port: 4}))
	add(t, e.d, spec(1, 10, ipMatch(), CT{Table: 2, Zone: 7, ZoneSrc: Subfield{Field: packet.FieldInvalid}}))
	add(t, e.d, spec(2, 10, ipMatch(), CTClear{}, Output{Port: 2}))
	r := e.trace(1, tcpFrame(1000, 80), TraceOptions{Now: 1e9, CtNext: []uint32{packet.CsTrk | packet.CsEst}})
	wantEvents(t, r.ev,
		"0/0 table 0 pri 10",
		"0/1 pipeline.CT",
		"0/1 drop",
		"0/0 dp ct zone 5 commit false recirc 1",
		"0/1 note1 A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 1.",
		"0/0 recirc 1 table 1 state 0x22 given=true real=false",
		"1/0 table 1 pri 10",
		"1/1 pipeline.CT",
		"1/1 drop",
		"1/0 dp ct zone 7 commit false recirc 2",
		"1/1 note1 A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 2.",
		"1/0 recirc 2 table 2 state 0x21 given=false real=false",
		"2/0 table 2 pri 10",
		"2/1 pipeline.CTClear",
		"2/0 dp ct_clear",
		"2/1 pipeline.Output",
		"2/0 dp output 2",
		"1/1 note1 Sets the packet to an untracked state, and clears all the conntrack fields.",
		"0/1 note1 Sets the packet to an untracked state, and clears all the conntrack fields.",
		"0/1 pipeline.Output",
		"0/0 dp output 4")
	if len(e.tr.calls) != 0 {
		t.Fatalf("the Tracker ran %d times in a trace", len(e.tr.calls))
	}
	if k := r.finals[1]; k.W.CtState() != 0 || k.W.Get(packet.FieldCtZone).Lo != 0 {
		t.Fatalf("section 1 ends with ct_state %#x zone %d", k.W.CtState(), k.W.Get(packet.FieldCtZone).Lo)
	}
	if rc := r.recs[1]; rc.After.W.Get(packet.FieldCtZone).Lo != 5 {
		t.Fatalf("recirculation 1 resumes in zone %d", rc.After.W.Get(packet.FieldCtZone).Lo)
	}
}

// TestTraceRealCT: with RealCT the Tracker runs and the recirculation
// resumes with the state the connection table gave (est for a committed
// connection).
func TestTraceRealCT(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 10, ipMatch(), CT{Table: 1, ZoneSrc: Subfield{Field: packet.FieldInvalid}}))
	add(t, e.d, spec(1, 10, ipMatch(), CT{Flags: CTCommit, Table: NoTable, ZoneSrc: Subfield{Field: packet.FieldInvalid},
		Params: ct.Params{Commit: true}}, Output{Port: 2}))
	e.send(1, tcpFrame(1000, 80)) // commits the connection
	r := e.trace(1, tcpFrame(1000, 80), TraceOptions{Now: 1e9, RealCT: true})
	rc, ok := r.recs[1]
	if !ok || !rc.Real || rc.State != packet.CsTrk|packet.CsEst {
		t.Fatalf("recirculation %+v (ok %v), want real est|trk", rc, ok)
	}
	if len(e.tr.calls) != 4 { // two by the packet, two by the trace
		t.Fatalf("Tracker calls %d, want 4", len(e.tr.calls))
	}
}

// TestTraceSideEffects: learn learns only with SideEffects, NORMAL learns
// no MAC without them; a group's buckets are reported with the bucket
// chosen; a resubmit loop stops at OVS's depth with an error note.
func TestTraceSideEffects(t *testing.T) {
	e := newEnv(t)
	l := Learn{Table: 1, Priority: 7, IdleTimeout: 0, HardTimeout: 60, Specs: []LearnSpec{{Kind: LearnMatch,
		Src: Subfield{Field: packet.FieldEthSrc, NBits: 48}, Dst: Subfield{Field: packet.FieldEthDst, NBits: 48}, NBits: 48}}}
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1), l))
	r := e.trace(1, tcpFrame(1000, 80), TraceOptions{Now: 1e9})
	wantEvents(t, r.ev, "0/0 table 0 pri 10", "0/1 pipeline.Learn",
		"0/1 note2 suppressing side effects, so learn action ignored")
	if n := len(e.d.Flows(&FlowFilter{Table: 1, OutPort: PortAny, OutGroup: GroupAny}, 2e9)); n != 0 {
		t.Fatalf("learned %d flows without side effects", n)
	}
	e.trace(1, tcpFrame(1000, 80), TraceOptions{Now: 1e9, SideEffects: true})
	if n := len(e.d.Flows(&FlowFilter{Table: 1, OutPort: PortAny, OutGroup: GroupAny}, 2e9)); n != 1 {
		t.Fatalf("learned %d flows with side effects, want 1", n)
	}

	if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 4, Type: GroupTypeFF, Buckets: []Bucket{
		{WatchPort: 9, WatchGroup: GroupAny, Actions: []Action{Output{Port: 2}}, ID: 0},
		{WatchPort: 3, WatchGroup: GroupAny, Actions: []Action{Output{Port: 3}}, ID: 1}}}); err != nil {
		t.Fatal(err)
	}
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 2), GroupAction{GroupID: 4}))
	r = e.trace(2, tcpFrame(1000, 80), TraceOptions{Now: 1e9})
	wantEvents(t, r.ev, "0/0 table 0 pri 10", "0/1 pipeline.GroupAction", "0/1 note1 using bucket 1",
		"0/1 bucket 1", "0/2 pipeline.Output", "0/0 dp output 3")

	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 3), Resubmit{InPort: PortInPort, Table: 0}))
	r = e.trace(3, tcpFrame(1000, 80), TraceOptions{Now: 1e9})
	if last := r.ev[len(r.ev)-1]; last != "0/65 note3 over max translation depth 64" {
		t.Fatalf("resubmit loop ends with %q", last)
	}
	if len(e.s.out) != 0 {
		t.Fatalf("a trace sent %d packets", len(e.s.out))
	}
}

// TestResubmitForwardChain: a resubmit to a later table does not nest
// deeper (OVS's xlate_recursively), so a chain of more than 64 forward
// resubmits, as OVN's pipelines make, runs to its end.
func TestResubmitForwardChain(t *testing.T) {
	e := newEnv(t)
	for tb := 0; tb < 100; tb++ {
		add(t, e.d, spec(uint8(tb), 1, Match{}, Resubmit{InPort: PortInPort, Table: uint8(tb + 1)}))
	}
	add(t, e.d, spec(100, 1, Match{}, Output{Port: 2}))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v after a 100-table chain", got)
	}
}

// TestInPort16: in_port written through NXM_OF_IN_PORT's 16 bits is OVS's
// 16-bit port: set_field:ANY->in_port, then pop:NXM_OF_IN_PORT[] of port 1
// gives in_port 1 (not ANY's upper half with 1), and a 16-bit 0xfffe is
// LOCAL.
func TestInPort16(t *testing.T) {
	e := newEnv(t)
	in16 := Subfield{Field: packet.FieldInPort, NBits: 16}
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1), StackPush{Src: in16},
		SetField{Field: packet.FieldInPort, Value: packet.U128{Lo: uint64(PortAny)}, Mask: packet.Ones(32)},
		StackPop{Dst: in16}, Resubmit{InPort: PortInPort, Table: 1}))
	add(t, e.d, spec(1, 10, mkMatch(packet.FieldInPort, 1), Output{Port: 3}))
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 2),
		RegLoad{Dst: in16, Value: packet.U128{Lo: 0xfffe}}, Resubmit{InPort: PortInPort, Table: 2}))
	add(t, e.d, spec(2, 10, mkMatch(packet.FieldInPort, PortLocal), Output{Port: 4}))
	e.send(1, tcpFrame(1, 2))
	e.send(2, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{3, 4}) {
		t.Fatalf("outputs %v, want [3 4]", got)
	}
}
