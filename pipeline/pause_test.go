package pipeline

import (
	"reflect"
	"slices"
	"testing"

	"gswitch/packet"
)

func sub(f packet.FieldID, ofs, n uint16) Subfield { return Subfield{Field: f, Ofs: ofs, NBits: n} }

// TestPauseResume: controller(pause) stops the packet and hands it to the
// controllers with its continuation (the rest of the actions, the stack);
// Resume continues from there with the registers the controller sends
// back. The continuation is the one OVS 3.1 sends for the same flows
// (tests/golden/pause/basic-unchanged.txt).
func TestPauseResume(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, Match{},
		RegLoad{Dst: sub(packet.FieldReg0, 0, 32), Value: packet.U128{Lo: 5}},
		StackPush{Src: sub(packet.FieldReg0, 0, 16)},
		Controller{MaxLen: 0xffff, Reason: ReasonAction, Pause: true, UserData: []byte{1, 2}},
		RegLoad{Dst: sub(packet.FieldReg1, 0, 32), Value: packet.U128{Lo: 7}},
		StackPop{Dst: sub(packet.FieldReg2, 0, 16)},
		Resubmit{InPort: PortInPort, Table: 1}))
	add(t, e.d, spec(1, 1, mkMatch(packet.FieldReg0, 5, packet.FieldReg1, 7, packet.FieldReg2, 5), Output{Port: 2}))
	add(t, e.d, spec(1, 1, mkMatch(packet.FieldReg0, 6, packet.FieldReg1, 7, packet.FieldReg2, 5), Output{Port: 3}))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); len(got) != 0 {
		t.Fatalf("outputs %v before the resume", got)
	}
	if len(e.pi.pis) != 1 || e.pi.pis[0].Cont == nil {
		t.Fatalf("packet-ins %+v, want one with a continuation", e.pi.pis)
	}
	pi := e.pi.pis[0]
	if pi.TableID != 0 || pi.Cookie != 0 || pi.Key.W.Reg(0) != 5 {
		t.Fatalf("packet-in table %d cookie %#x reg0 %d", pi.TableID, pi.Cookie, pi.Key.W.Reg(0))
	}
	want := &Continuation{
		Actions: []ContinuationActions{{Actions: []Action{
			RegLoad{Dst: sub(packet.FieldReg1, 0, 32), Value: packet.U128{Lo: 7}},
			StackPop{Dst: sub(packet.FieldReg2, 0, 16)},
			Resubmit{InPort: PortInPort, Table: 1}}}},
		Stack: []StackEntry{{V: packet.U128{Lo: 5}, B: 2}},
	}
	if !reflect.DeepEqual(pi.Cont, want) {
		t.Fatalf("continuation\n%+v\nwant\n%+v", pi.Cont, want)
	}
	meta := pi.Key.W
	if err := e.d.Resume(&meta, pi.Data, pi.Cont, 2e9); err != nil {
		t.Fatal(err)
	}
	meta.SetMasked(packet.FieldReg0, packet.U128{Lo: 6}, packet.U128{Lo: 0xffffffff})
	if err := e.d.Resume(&meta, pi.Data, pi.Cont, 2e9); err != nil {
		t.Fatal(err)
	}
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 3}) {
		t.Fatalf("outputs after the resumes %v, want [2 3]", got)
	}
	if c := e.d.Counters(); c["paused"] != 1 || c["resumed"] != 2 {
		t.Fatalf("counters paused %d resumed %d", c["paused"], c["resumed"])
	}
}

// TestPauseNested: a pause inside resubmits freezes the rest of every
// enclosing action list, each run after an async action with its table and
// cookie (OVS's unroll_xlate), and the action set; on resume the frozen
// controller action reports that table and cookie, and the action set runs
// last (tests/golden/pause/nested-unchanged.txt).
func TestPauseNested(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, withInst(spec(0, 1, Match{}), func(in *Instructions) {
		in.HasWrite, in.Write, in.GotoTable = true, []Action{Output{Port: 2}}, 1
	}))
	s1 := spec(1, 1, Match{}, Resubmit{InPort: PortInPort, Table: 3},
		RegLoad{Dst: sub(packet.FieldReg3, 0, 32), Value: packet.U128{Lo: 3}},
		Controller{MaxLen: 0xffff, Reason: ReasonAction, UserData: []byte{0xaa}})
	s1.Cookie = 0x11
	add(t, e.d, s1)
	s3 := spec(3, 1, ipMatch(), Controller{MaxLen: 0xffff, Reason: ReasonAction, Pause: true},
		DecTTL{}, Resubmit{InPort: PortInPort, Table: 4})
	s3.Cookie = 0x22
	add(t, e.d, s3)
	add(t, e.d, spec(4, 1, Match{}, RegLoad{Dst: sub(packet.FieldReg2, 0, 32), Value: packet.U128{Lo: 1}}))
	e.send(1, tcpFrame(1, 2))
	if len(e.pi.pis) != 1 {
		t.Fatalf("%d packet-ins", len(e.pi.pis))
	}
	pi := e.pi.pis[0]
	// OVS reports table 0 and the cookie of the flow the pass began with.
	if pi.TableID != 0 || pi.Cookie != 0 {
		t.Fatalf("pause packet-in table %d cookie %#x", pi.TableID, pi.Cookie)
	}
	want := &Continuation{
		Actions: []ContinuationActions{
			{Unroll: true, TableID: 3, Cookie: 0x22, Actions: []Action{DecTTL{}, Resubmit{InPort: PortInPort, Table: 4},
				RegLoad{Dst: sub(packet.FieldReg3, 0, 32), Value: packet.U128{Lo: 3}}}},
			{Unroll: true, TableID: 1, Cookie: 0x11, Actions: []Action{Controller{MaxLen: 0xffff, Reason: ReasonAction, UserData: []byte{0xaa}}}},
		},
		ActionSet: []Action{Output{Port: 2}},
	}
	if !reflect.DeepEqual(pi.Cont, want) {
		t.Fatalf("continuation\n%+v\nwant\n%+v", pi.Cont, want)
	}
	meta := pi.Key.W
	if err := e.d.Resume(&meta, pi.Data, pi.Cont, 2e9); err != nil {
		t.Fatal(err)
	}
	if len(e.pi.pis) != 2 {
		t.Fatalf("%d packet-ins after the resume", len(e.pi.pis))
	}
	if p := e.pi.pis[1]; p.TableID != 1 || p.Cookie != 0x11 || p.Cont != nil || p.Key.W.Reg(2) != 1 || p.Key.W.Reg(3) != 3 {
		t.Fatalf("resumed packet-in table %d cookie %#x reg2 %d reg3 %d", p.TableID, p.Cookie, p.Key.W.Reg(2), p.Key.W.Reg(3))
	}
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v, want the action set's 2", got)
	}
	if ttl := pkParse(e.s.out[0].data).Key.NwTTL(); ttl != 63 {
		t.Fatalf("ttl %d after the resumed dec_ttl", ttl)
	}
}

// TestPauseConntracked: a continuation keeps the ct fields only when it
// says the packet was conntracked, as OVS's thaw.
func TestPauseConntracked(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, ipMatch(), CT{Zone: 5, Table: 1}))
	add(t, e.d, spec(1, 1, mkMatch(packet.FieldCtState, int(packet.CsTrk|packet.CsNew)),
		Controller{MaxLen: 0xffff, Pause: true, Reason: ReasonAction}, Resubmit{InPort: PortInPort, Table: 2}))
	add(t, e.d, spec(2, 1, mkMatch(packet.FieldCtState, int(packet.CsTrk|packet.CsNew), packet.FieldCtZone, 5), Output{Port: 2}))
	e.send(1, tcpFrame(1, 2))
	if len(e.pi.pis) != 1 || !e.pi.pis[0].Cont.Conntracked {
		t.Fatalf("packet-ins %+v, want one conntracked", e.pi.pis)
	}
	pi := e.pi.pis[0]
	meta := pi.Key.W
	if err := e.d.Resume(&meta, pi.Data, pi.Cont, 2e9); err != nil {
		t.Fatal(err)
	}
	c := *pi.Cont
	c.Conntracked = false
	if err := e.d.Resume(&meta, pi.Data, &c, 2e9); err != nil {
		t.Fatal(err)
	}
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs %v, want one (the conntracked resume)", got)
	}
}

// TestResumeLimits: a continuation may not make the datapath hold more
// than its limits.
func TestResumeLimits(t *testing.T) {
	e := newEnv(t)
	frame := tcpFrame(1, 2)
	var meta packet.Words
	big := &Continuation{Actions: []ContinuationActions{{Actions: make([]Action, MaxContinuationActions+1)}}}
	for i := range big.Actions[0].Actions {
		big.Actions[0].Actions[i] = Note{}
	}
	if err := e.d.Resume(&meta, frame, big, 1); err == nil {
		t.Fatal("oversized continuation accepted")
	}
	deep := &Continuation{Stack: make([]StackEntry, packet.StackDepth+1)}
	if err := e.d.Resume(&meta, frame, deep, 1); err == nil {
		t.Fatal("too deep a stack accepted")
	}
	bad := &Continuation{Actions: []ContinuationActions{{Actions: []Action{GroupAction{GroupID: 9}}}}}
	want := NewError(OFPBAC_BAD_OUT_GROUP)
	if typ, code := errCode(e.d.Resume(&meta, frame, bad, 1)); typ != want.Type || code != want.Code {
		t.Fatalf("resume into a missing group: type %d code %d", typ, code)
	}
}

// TestResumeTunnelWords: Resume restores the ERSPAN and GTP-U tunnel
// fields (words W42-W43) from the resume's metadata, as OVS restores the
// whole flow_tnl, but not dp_hash (W41), which OVS's frozen metadata lacks.
func TestResumeTunnelWords(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, Match{},
		Controller{MaxLen: 0xffff, Reason: ReasonAction, Pause: true},
		Resubmit{InPort: PortInPort, Table: 1}))
	add(t, e.d, spec(1, 2, mkMatch(packet.FieldTunErspanVer, 2, packet.FieldTunErspanIdx, 0x1234,
		packet.FieldTunGtpuFlags, 0x30, packet.FieldTunGtpuMsgtype, 0xff, packet.FieldDPHash, 0), Output{Port: 2}))
	add(t, e.d, spec(1, 1, Match{}, Output{Port: 3}))
	e.send(1, tcpFrame(1, 2))
	if len(e.pi.pis) != 1 || e.pi.pis[0].Cont == nil {
		t.Fatalf("packet-ins %+v, want one with a continuation", e.pi.pis)
	}
	pi := e.pi.pis[0]
	meta := pi.Key.W
	for _, fv := range []struct {
		f packet.FieldID
		v uint64
	}{{packet.FieldTunErspanVer, 2}, {packet.FieldTunErspanIdx, 0x1234}, {packet.FieldTunGtpuFlags, 0x30},
		{packet.FieldTunGtpuMsgtype, 0xff}, {packet.FieldDPHash, 7}} {
		meta.Set(fv.f, packet.U128{Lo: fv.v})
	}
	if err := e.d.Resume(&meta, pi.Data, pi.Cont, 2e9); err != nil {
		t.Fatal(err)
	}
	if got := e.s.ports(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("outputs after the resume %v, want [2]", got)
	}
}
