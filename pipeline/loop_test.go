package pipeline

import (
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// A Loop's own worker (and its exact-match cache) sees the table as Process
// does: flow counters published after each batch, a modified or deleted
// flow in effect at the next batch, learned flows installed; and it keeps
// its cache warm across batches.
func TestLoopSeesTableChanges(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 1, Match{}, Output{Port: 2}))
	// Enough subtables for the exact-match cache (flows that match
	// nothing sent here: sources in 203.0.113.0/24 under other masks).
	for i := range 6 {
		var m Match
		m.Set(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4}, packet.Ones(16))
		m.Set(packet.FieldIPv4Src, packet.U128{Lo: 0xcb007100}, packet.U128{Lo: uint64(0xffffffff << i & 0xffffffff)})
		add(t, e.d, spec(0, 2, m, Output{Port: 4}))
	}
	l := e.d.NewLoop()
	frames := batchFrames(4)
	run := func() []uint32 {
		e.s.reset()
		l.Process(mkBatch(1, frames...))
		return e.s.ports()
	}
	if p := run(); len(p) != 4 || p[0] != 2 {
		t.Fatalf("outputs %v", p)
	}
	mainFlow := func() FlowStats {
		for _, f := range tableFlows(e.d, 0) {
			if f.Spec.Priority == 1 {
				return f
			}
		}
		t.Fatal("no priority 1 flow")
		return FlowStats{}
	}
	if f := mainFlow(); f.Packets != 4 {
		t.Fatalf("after one batch: %d packets", f.Packets)
	}
	hits := e.d.Counters()["emc_hit"]
	run()
	if f := mainFlow(); f.Packets != 8 {
		t.Fatalf("after two batches: %d packets", f.Packets)
	}
	if h := e.d.Counters()["emc_hit"]; h < hits+4 {
		t.Errorf("emc_hit %d -> %d: the loop's cache did not stay warm", hits, h)
	}
	mod := &FlowMod{Command: FlowModify, OutPort: PortAny, OutGroup: GroupAny,
		Spec: spec(0, 1, Match{}, Output{Port: 3})}
	if err := e.d.FlowMod(mod, 2); err != nil {
		t.Fatal(err)
	}
	if p := run(); len(p) != 4 || p[0] != 3 {
		t.Fatalf("after modify: outputs %v, want port 3", p)
	}
	del := &FlowMod{Command: FlowDelete, OutPort: PortAny, OutGroup: GroupAny, Spec: FlowSpec{Table: 0}}
	if err := e.d.FlowMod(del, 3); err != nil {
		t.Fatal(err)
	}
	miss := e.d.Counters()["table_miss"]
	if p := run(); len(p) != 0 {
		t.Fatalf("after delete: outputs %v", p)
	}
	if m := e.d.Counters()["table_miss"]; m != miss+4 {
		t.Errorf("table_miss %d -> %d, want +4", miss, m)
	}
	// learn from the loop's worker: the learned flow is in table 1 after
	// the batch, and the next batch uses it.
	add(t, e.d, spec(0, 0, Match{}, macLearn(), Resubmit{InPort: PortInPort, Table: 1}))
	add(t, e.d, spec(1, 0, Match{}, Output{Port: PortFlood}))
	l.Process(mkBatch(1, macFrame(macA, macB)))
	if n := len(tableFlows(e.d, 1)); n != 2 {
		t.Fatalf("table 1 has %d flows after a learn, want 2", n)
	}
	e.s.reset()
	l.Process(mkBatch(2, macFrame(macB, macA)))
	if p := e.s.ports(); len(p) != 1 || p[0] != 1 {
		t.Fatalf("learned flow not used: outputs %v", p)
	}
}

// A Loop allocates nothing per batch in the steady state, handing over
// included.
func TestLoopNoAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t) // the race detector's sync.Pool drops buffers at random
	s := &poolSender{pool: packet.NewPool()}
	d := New(Config{Sender: s})
	add(t, d, spec(0, 1, Match{}, Output{Port: 2}))
	l := d.NewLoop()
	frames := batchFrames(packet.MaxBatch)
	bufs := make([]*packet.Packet, len(frames))
	b := &packet.Batch{Now: 1e9}
	run := func() {
		for i := range bufs {
			if bufs[i] == nil {
				bufs[i] = s.pool.Get()
			}
			pk := bufs[i]
			pk.Reset()
			pk.SetLen(copy(pk.RxSpace(), frames[i]))
			pk.Key.SetInPort(1)
		}
		b.Pkts = bufs
		l.ProcessOwned(b)
	}
	for range 10 {
		run()
	}
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("%.1f allocations per batch", a)
	}
	if s.owned == 0 {
		t.Error("nothing handed over")
	}
}

// poolSender takes packets over and returns them to its pool at once.
type poolSender struct {
	pool  *packet.Pool
	owned int
}

func (s *poolSender) Output(uint32, *packet.Packet) {}
func (s *poolSender) Flush()                        {}
func (s *poolSender) OutputOwned(_ uint32, pk *packet.Packet) {
	s.owned++
	s.pool.Put(pk)
}
