package pipeline

import (
	"sync"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tests/testutil"
)

// macLearn is ovs-actions(7)'s MAC-learning example: table 0 learns into
// table 1 "packets to my source go to my in_port", then resubmits there.
func macLearn(extra ...func(*Learn)) Learn {
	l := Learn{Table: 1, HardTimeout: 60, Priority: 0x8000, Specs: []LearnSpec{
		{Kind: LearnMatch, NBits: 12, Src: Subfield{Field: packet.FieldVlanTCI, Ofs: 0, NBits: 12}, Dst: Subfield{Field: packet.FieldVlanTCI, Ofs: 0, NBits: 12}},
		{Kind: LearnMatch, NBits: 48, Src: Subfield{Field: packet.FieldEthSrc, Ofs: 0, NBits: 48}, Dst: Subfield{Field: packet.FieldEthDst, Ofs: 0, NBits: 48}},
		{Kind: LearnOutput, NBits: 16, Src: Subfield{Field: packet.FieldInPort, Ofs: 0, NBits: 16}},
	}}
	for _, f := range extra {
		f(&l)
	}
	return l
}

func tableFlows(d *Datapath, table uint8) []FlowStats {
	return d.Flows(&FlowFilter{Table: table, OutPort: PortAny, OutGroup: GroupAny}, 0)
}

func macFrame(src, dst [6]byte) []byte {
	return pkttest.WithMACs(tcpFrame(1, 2), src[:], dst[:])
}

var (
	macA = [6]byte{0x02, 0, 0, 0, 0, 0x0a}
	macB = [6]byte{0x02, 0, 0, 0, 0, 0x0b}
)

func TestLearnMACSwitch(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 0, Match{}, macLearn(), Resubmit{InPort: PortInPort, Table: 1}))
	add(t, e.d, spec(1, 0, Match{}, Output{Port: PortFlood}))
	e.send(1, macFrame(macA, macB))
	if p := e.s.ports(); len(p) != 3 {
		t.Fatalf("first packet: outputs %v, want a flood (the learned flow is for later packets)", p)
	}
	fs := tableFlows(e.d, 1)
	if len(fs) != 2 {
		t.Fatalf("table 1 has %d flows, want 2", len(fs))
	}
	lf := fs[0].Spec
	var want Match
	want.Set(packet.FieldVlanTCI, packet.U128{}, packet.U128{Lo: 0xfff})
	want.SetExact(packet.FieldEthDst, packet.U128{Lo: 0x02000000000a})
	if lf.Match != want || lf.HardTimeout != 60 || lf.Priority != 0x8000 || len(lf.Inst.Apply) != 1 ||
		lf.Inst.Apply[0] != (Output{Port: 1}) {
		t.Fatalf("learned %+v", lf)
	}
	created := fs[0].Modified
	// B answers: it goes to port 1 only, and B is learned on port 2.
	e.s.reset()
	e.send(2, macFrame(macB, macA))
	if p := e.s.ports(); len(p) != 1 || p[0] != 1 {
		t.Fatalf("reply: outputs %v, want [1]", p)
	}
	if n := len(tableFlows(e.d, 1)); n != 3 {
		t.Fatalf("table 1 has %d flows, want 3", n)
	}
	// A again, later: refreshed (hard timeout from now), not duplicated.
	b := &packet.Batch{Now: 5e9}
	pk := packet.New(macFrame(macA, macB))
	pk.Key.SetInPort(1)
	b.Pkts = append(b.Pkts, pk)
	e.d.Process(b)
	fs = tableFlows(e.d, 1)
	if len(fs) != 3 || fs[0].Modified <= created || fs[0].Modified != 5e9 {
		t.Fatalf("after refresh: %d flows, modified %d (was %d)", len(fs), fs[0].Modified, created)
	}
	// A moves to port 3: the learned flow is modified in place.
	b.Now = 6e9
	pk.Data = macFrame(macA, macB)
	pk.Key = packet.Key{}
	pk.Key.SetInPort(3)
	e.d.Process(b)
	fs = tableFlows(e.d, 1)
	if len(fs) != 3 || fs[0].Spec.Inst.Apply[0] != (Output{Port: 3}) || fs[0].Modified != 6e9 {
		t.Fatalf("after move: %+v", fs[0])
	}
	// The hard timeout removes B 60 s after it was learned, A 60 s after
	// its last change.
	e.d.Expire(6e9 + 59e9)
	if fs := tableFlows(e.d, 1); len(fs) != 2 || fs[0].Spec.Inst.Apply[0] != (Output{Port: 3}) {
		t.Fatalf("at 65 s: %+v", fs)
	}
	e.d.Expire(6e9 + 61e9)
	if n := len(tableFlows(e.d, 1)); n != 1 {
		t.Fatalf("after the hard timeout: %d flows, want the flood flow only", n)
	}
}

// TestLearnLimitResult: limit=N and result_dst, as OVS's "learning action
// - limit result_dst" and "different limits" tests.
func TestLearnLimitResult(t *testing.T) {
	e := newEnv(t)
	l := Learn{Table: 11, Priority: 0x8000, Cookie: 1, Limit: 2, Flags: LearnWriteResult,
		ResultDst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 1}, Specs: []LearnSpec{
			{Kind: LearnMatch, Imm: true, NBits: 16, Value: packet.U128{Lo: 0x800}, Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 16}},
			{Kind: LearnMatch, Imm: true, NBits: 8, Value: packet.U128{Lo: 6}, Dst: Subfield{Field: packet.FieldNwProto, Ofs: 0, NBits: 8}},
			{Kind: LearnMatch, NBits: 16, Src: Subfield{Field: packet.FieldTCPSrc, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldTCPDst, Ofs: 0, NBits: 16}},
		}}
	add(t, e.d, spec(0, 0, mkMatch(packet.FieldEthType, 0x800, packet.FieldNwProto, 6), l, Resubmit{InPort: PortInPort, Table: 1}))
	add(t, e.d, spec(1, 1, mkMatch(packet.FieldReg0, 1), Output{Port: 2}))
	add(t, e.d, spec(1, 1, mkMatch(packet.FieldReg0, 0), Output{Port: 3}))
	for i := range 5 {
		e.send(1, tcpFrame(uint16(1000+i), 80))
	}
	e.send(1, tcpFrame(1000, 80)) // learned already: success
	var two, three int
	for _, s := range e.s.out {
		switch s.port {
		case 2:
			two++
		case 3:
			three++
		}
	}
	if two != 3 || three != 3 {
		t.Fatalf("result_dst: %d successes, %d failures; want 3 and 3", two, three)
	}
	if n := len(tableFlows(e.d, 11)); n != 2 {
		t.Fatalf("table 11 has %d flows, want the limit 2", n)
	}
	if c := e.d.Counters()["learn_limit_reached"]; c != 3 {
		t.Fatalf("learn_limit_reached %d", c)
	}
	// Deleting the learned flows makes room again.
	if err := e.d.FlowMod(&FlowMod{Command: FlowDelete, Spec: FlowSpec{Table: 11}, OutPort: PortAny, OutGroup: GroupAny}, 2e9); err != nil {
		t.Fatal(err)
	}
	e.send(1, tcpFrame(2000, 80))
	if n := len(tableFlows(e.d, 11)); n != 1 {
		t.Fatalf("table 11 has %d flows after delete and a new learn", n)
	}
}

// TestLearnDeleteLearned: removing (or modifying away) the last flow with
// a delete_learned learn for a table and cookie removes the flows of that
// table with that cookie.
func TestLearnDeleteLearned(t *testing.T) {
	var removed []FlowRemoved
	e := newEnv(t)
	e.d.cfg.FlowRemoved = func(r *FlowRemoved) { removed = append(removed, *r) }
	l := macLearn(func(l *Learn) { l.Table = 10; l.Cookie = 0x123; l.Flags = LearnDeleteLearned | LearnSendFlowRem })
	add(t, e.d, spec(0, 1, mkMatch(packet.FieldInPort, 1), l))
	add(t, e.d, spec(0, 1, mkMatch(packet.FieldInPort, 2), l))
	add(t, e.d, spec(10, 5, mkMatch(packet.FieldReg1, 1))) // cookie 0: stays
	e.send(1, macFrame(macA, macB))
	e.send(2, macFrame(macB, macA))
	if n := len(tableFlows(e.d, 10)); n != 3 {
		t.Fatalf("table 10 has %d flows", n)
	}
	del := func(in int) {
		t.Helper()
		if err := e.d.FlowMod(&FlowMod{Command: FlowDeleteStrict, Spec: FlowSpec{Table: 0, Priority: 1,
			Match: mkMatch(packet.FieldInPort, in)}, OutPort: PortAny, OutGroup: GroupAny}, 3e9); err != nil {
			t.Fatal(err)
		}
	}
	del(1)
	if n := len(tableFlows(e.d, 10)); n != 3 {
		t.Fatalf("one learning flow left, table 10 has %d flows, want 3", n)
	}
	del(2)
	fs := tableFlows(e.d, 10)
	if len(fs) != 1 || fs[0].Spec.Cookie != 0 {
		t.Fatalf("after the last learning flow: %+v", fs)
	}
	if len(removed) != 2 || removed[0].Reason != RemovedDelete {
		t.Fatalf("flow-removed: %+v", removed)
	}
}

// TestFinTimeout: a TCP FIN or RST through fin_timeout shortens the
// flow's timeouts (never lengthens them); other packets do not.
func TestFinTimeout(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, FlowSpec{Table: 0, Priority: 1, Match: ipMatch(packet.FieldNwProto, 6), IdleTimeout: 30,
		Inst: Instructions{Apply: []Action{FinTimeout{IdleTimeout: 5, HardTimeout: 10}, Output{Port: 2}}, HasApply: true, GotoTable: -1}})
	e.send(1, tcpFrame(1, 2))
	if s := tableFlows(e.d, 0)[0].Spec; s.IdleTimeout != 30 || s.HardTimeout != 0 {
		t.Fatalf("SYN changed the timeouts: %d/%d", s.IdleTimeout, s.HardTimeout)
	}
	e.send(1, pkttest.TCP4("198.51.100.1", "198.51.100.2", 1, 2, "FA", 1, 1, nil))
	if s := tableFlows(e.d, 0)[0].Spec; s.IdleTimeout != 5 || s.HardTimeout != 10 {
		t.Fatalf("after FIN: %d/%d, want 5/10", s.IdleTimeout, s.HardTimeout)
	}
	e.d.Expire(1e9 + 9e9)
	if n := len(tableFlows(e.d, 0)); n != 0 {
		t.Fatalf("idle 5 s after FIN: %d flows", n)
	}
}

// TestLearnPrereqs: the sources must be valid for the learning flow's
// match (OVS's learn_check: OFPBAC_MATCH_INCONSISTENT).
func TestLearnPrereqs(t *testing.T) {
	e := newEnv(t)
	l := Learn{Table: 1, Specs: []LearnSpec{{Kind: LearnLoad, NBits: 32,
		Src: Subfield{Field: packet.FieldIPv4Dst, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg1, Ofs: 0, NBits: 32}}}}
	err := e.d.FlowMod(&FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny, Spec: spec(0, 1, Match{}, l)}, 1)
	if typ, code := errCode(err); typ != ErrBadAction || code != 10 {
		t.Fatalf("learn from ip_dst on any packet: %v", err)
	}
	add(t, e.d, spec(0, 1, ipMatch(), l))
}

// TestZeroAllocLearnRefresh: a packet whose learned flow is already there,
// unchanged, costs no allocation (nor a lock).
func TestZeroAllocLearnRefresh(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	l := macLearn(func(l *Learn) {
		l.FinIdleTimeout = 3
		l.Specs = append(l.Specs,
			LearnSpec{Kind: LearnMatch, Imm: true, NBits: 16, Value: packet.U128{Lo: 0x800}, Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 16}},
			LearnSpec{Kind: LearnMatch, Imm: true, NBits: 8, Value: packet.U128{Lo: 6}, Dst: Subfield{Field: packet.FieldNwProto, Ofs: 0, NBits: 8}},
			LearnSpec{Kind: LearnMatch, NBits: 16, Src: Subfield{Field: packet.FieldTCPSrc, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldTCPDst, Ofs: 0, NBits: 16}},
			LearnSpec{Kind: LearnLoad, NBits: 16, Src: Subfield{Field: packet.FieldTCPSrc, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldReg2, Ofs: 8, NBits: 16}})
	})
	add(t, d, spec(0, 1, ipMatch(packet.FieldNwProto, 6), l, Output{Port: 2}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	resetBatch(b, frames, 1)
	d.Process(b)
	if n := len(tableFlows(d, 1)); n != 8 {
		t.Fatalf("learned %d flows, want 8", n)
	}
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/learn refresh", func() { resetBatch(b, frames, 1); d.Process(b) })
}

// TestLearnFlood: a flood of distinct learns is bounded by the queue and
// the table's flow limit.
func TestLearnFlood(t *testing.T) {
	d := New(Config{Sender: nullSender{}, MaxFlows: 100})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	l := Learn{Table: 1, Priority: 1, Specs: []LearnSpec{{Kind: LearnMatch, NBits: 32,
		Src: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}},
		{Kind: LearnMatch, Imm: true, NBits: 16, Value: packet.U128{Lo: 0x800}, Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 16}}}}
	l.Specs[0], l.Specs[1] = l.Specs[1], l.Specs[0]
	add(t, d, spec(0, 1, ipMatch(), l))
	var frames [][]byte
	for i := range 64 {
		frames = append(frames, pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 2, nil))
		frames[i][26+3] = byte(i) // source address's last byte
		frames[i][26+2] = 0
	}
	for round := range 4 {
		for i := range frames {
			frames[i][26+2] = byte(round)
		}
		b := mkBatch(1, frames...)
		d.Process(b)
	}
	if n := len(tableFlows(d, 1)); n != 100 {
		t.Fatalf("table 1 has %d flows, want the limit 100", n)
	}
	if c := d.Counters()["learn_failed"]; c != 156 {
		t.Fatalf("learn_failed %d, want 156", c)
	}
}

// TestLearnConcurrent: workers learn while flow-mods (a delete_learned
// learning flow replaced and deleted), expiry and dumps run; no deadlock,
// no race (run with -race), and every learned flow is in table 1.
func TestLearnConcurrent(t *testing.T) {
	d := New(Config{Sender: nullSender{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	l := Learn{Table: 1, Priority: 1, IdleTimeout: 1, Cookie: 7, Flags: LearnDeleteLearned, Limit: 500,
		Specs: []LearnSpec{
			{Kind: LearnMatch, Imm: true, NBits: 16, Value: packet.U128{Lo: 0x800}, Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 16}},
			{Kind: LearnMatch, NBits: 32, Src: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}},
			{Kind: LearnOutput, NBits: 16, Src: Subfield{Field: packet.FieldInPort, Ofs: 0, NBits: 16}}}}
	fm := &FlowMod{Command: FlowAdd, OutPort: PortAny, OutGroup: GroupAny, Spec: spec(0, 1, ipMatch(), l)}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var frames [][]byte
			for i := range 32 {
				f := pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 2, nil)
				f[26+1], f[26+2], f[26+3] = byte(g), byte(i), 0
				frames = append(frames, f)
			}
			for r := 0; ; r++ {
				select {
				case <-done:
					return
				default:
				}
				for i := range frames {
					frames[i][26+3] = byte(r)
				}
				b := mkBatch(1, frames...)
				b.Now = int64(r) * 1e6
				d.Process(b)
			}
		}()
	}
	for i := range 200 {
		if err := d.FlowMod(fm, int64(i)*1e6); err != nil {
			t.Fatal(err)
		}
		d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, 0)
		d.Expire(int64(i) * 1e7)
		if i%50 == 49 {
			if err := d.FlowMod(&FlowMod{Command: FlowDelete, Spec: FlowSpec{Table: 0}, OutPort: PortAny, OutGroup: GroupAny}, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
	d.Expire(0)
	if n := len(tableFlows(d, 1)); n > 500 {
		t.Fatalf("table 1 has %d flows, over the limit 500", n)
	}
	for _, f := range tableFlows(d, TableAll) {
		if f.Spec.Table != 0 && f.Spec.Table != 1 {
			t.Fatalf("flow in table %d", f.Spec.Table)
		}
	}
}

// TestLearnSameMatchLastWins: two learns of one packet (or batch) for the
// same match and priority leave the second's flow, as applying them in
// order does.
func TestLearnSameMatchLastWins(t *testing.T) {
	e := newEnv(t)
	a := macLearn()
	b := macLearn(func(l *Learn) {
		l.Specs = append(l.Specs[:2:2], LearnSpec{Kind: LearnLoad, Imm: true, NBits: 8, Value: packet.U128{Lo: 7},
			Dst: Subfield{Field: packet.FieldReg3, Ofs: 0, NBits: 8}})
	})
	add(t, e.d, spec(0, 0, Match{}, a, b))
	e.send(1, macFrame(macA, macB), macFrame(macA, macB))
	fs := tableFlows(e.d, 1)
	if len(fs) != 1 || len(fs[0].Spec.Inst.Apply) != 1 ||
		fs[0].Spec.Inst.Apply[0] != (RegLoad{Dst: Subfield{Field: packet.FieldReg3, Ofs: 0, NBits: 8}, Value: packet.U128{Lo: 7}}) {
		t.Fatalf("learned %+v", fs)
	}
}

// BenchmarkLearnRefresh: a batch of 32 packets whose learn action finds its
// flows already learned (ovs-actions(7)'s MAC learning plus four specs).
func BenchmarkLearnRefresh(b *testing.B) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	l := macLearn(func(l *Learn) {
		l.Specs = append(l.Specs,
			LearnSpec{Kind: LearnMatch, Imm: true, NBits: 16, Value: packet.U128{Lo: 0x800}, Dst: Subfield{Field: packet.FieldEthType, Ofs: 0, NBits: 16}},
			LearnSpec{Kind: LearnMatch, Imm: true, NBits: 8, Value: packet.U128{Lo: 6}, Dst: Subfield{Field: packet.FieldNwProto, Ofs: 0, NBits: 8}},
			LearnSpec{Kind: LearnMatch, NBits: 16, Src: Subfield{Field: packet.FieldTCPSrc, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldTCPDst, Ofs: 0, NBits: 16}},
			LearnSpec{Kind: LearnLoad, NBits: 16, Src: Subfield{Field: packet.FieldTCPSrc, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldReg2, Ofs: 8, NBits: 16}})
	})
	add(b, d, spec(0, 1, ipMatch(packet.FieldNwProto, 6), l, Output{Port: 2}))
	frames := batchFrames(32)
	bt := mkBatch(1, frames...)
	resetBatch(bt, frames, 1)
	d.Process(bt)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		resetBatch(bt, frames, 1)
		d.Process(bt)
	}
}
