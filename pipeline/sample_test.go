package pipeline

import (
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// recSampler records what the sample actions hand over.
type recSampler struct {
	n      int
	last   Sampled
	inPort uint32
}

func (r *recSampler) Sample(s *Sampled) {
	r.n++
	r.last = *s
	r.inPort = s.Packet.Key.InPort()
}

// countSampler counts only (the benchmarks' collector).
type countSampler struct{ n int }

func (c *countSampler) Sample(*Sampled) { c.n++ }

func sampleAct(p uint16, set uint32) Sample {
	return Sample{Probability: p, CollectorSetID: set, ObsDomainID: 7, ObsPointID: 9,
		SamplingPort: PortAny, Wire: SampleWire1}
}

func TestSample(t *testing.T) {
	e := newEnv(t)
	rs := &recSampler{}
	e.d.cfg.Sampler = rs
	s := spec(0, 5, Match{}, sampleAct(65535, 3), Resubmit{InPort: PortInPort, Table: 1})
	s.Cookie = 0xc0ffee
	add(t, e.d, s)
	add(t, e.d, spec(1, 5, Match{}, Clone{Actions: []Action{sampleAct(65535, 4)}}, Output{Port: 2}))
	e.send(1, tcpFrame(1, 2), tcpFrame(1, 2))
	if rs.n != 4 || len(e.s.out) != 2 {
		t.Fatalf("sampled %d, outputs %v", rs.n, e.s.ports())
	}
	// The last one is table 1's, in the clone: the cookie is table 1's
	// flow's (0), the set 4.
	if rs.last.Table != 1 || rs.last.Cookie != 0 || rs.last.Action.CollectorSetID != 4 || rs.inPort != 1 || rs.last.Action.ObsPointID != 9 {
		t.Fatalf("last sample %+v in_port %d", rs.last, rs.inPort)
	}
	if got := e.d.Counters()["sampled"]; got != 4 {
		t.Fatalf("sampled counter %d", got)
	}
}

func TestSampleTableZeroCookie(t *testing.T) {
	e := newEnv(t)
	rs := &recSampler{}
	e.d.cfg.Sampler = rs
	s := spec(0, 5, Match{}, sampleAct(65535, 3), Output{Port: 2})
	s.Cookie = 0xc0ffee
	add(t, e.d, s)
	e.send(3, tcpFrame(1, 2))
	if rs.n != 1 || rs.last.Cookie != 0xc0ffee || rs.last.Table != 0 || rs.inPort != 3 || rs.last.Action.CollectorSetID != 3 {
		t.Fatalf("sampled %d: %+v in_port %d", rs.n, rs.last, rs.inPort)
	}
}

// TestSampleProbability: probability P picks about P/65535 of the packets.
func TestSampleProbability(t *testing.T) {
	e := newEnv(t)
	e.s.record = false
	rs := &recSampler{}
	e.d.cfg.Sampler = rs
	add(t, e.d, spec(0, 5, Match{}, sampleAct(16384, 1), Output{Port: 2}))
	const n = 64 * 200
	for range 200 {
		frames := make([][]byte, 64)
		for i := range frames {
			frames[i] = tcpFrame(1, 2)
		}
		e.send(1, frames...)
	}
	// Expect n/4 = 3200, sd ~49: 8 sd either side never happens by chance.
	if rs.n < 2800 || rs.n > 3600 {
		t.Fatalf("probability 16384/65535 picked %d of %d", rs.n, n)
	}
}

func TestSampleNoSampler(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 5, Match{}, sampleAct(65535, 1), Output{Port: 2}))
	e.send(1, tcpFrame(1, 2))
	if len(e.s.out) != 1 || e.d.Counters()["drop_sample_no_collector"] != 1 {
		t.Fatalf("outputs %v counters %v", e.s.ports(), e.d.Counters()["drop_sample_no_collector"])
	}
}

func TestZeroAllocSample(t *testing.T) {
	cs := &countSampler{}
	d := New(Config{Sender: nullSender{}, Sampler: cs})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	add(t, d, spec(0, 1, ipMatch(), sampleAct(65535, 1), sampleAct(100, 2), Output{Port: 2}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/sample", func() { resetBatch(b, frames, 1); d.Process(b) })
	if cs.n == 0 {
		t.Fatal("nothing sampled")
	}
}

// BenchmarkSample is BenchmarkPipeline's "output" with a sample action
// before the output: every packet sampled (65535, a Sampler that only
// counts) and almost none (1: the random draw only).
func BenchmarkSample(b *testing.B) {
	for _, c := range []struct {
		name string
		p    uint16
	}{{"all", 65535}, {"p1", 1}} {
		b.Run(c.name, func(b *testing.B) {
			d := New(Config{Sender: nullSender{}, Sampler: &countSampler{}})
			add(b, d, spec(0, 10, ipMatch(packet.FieldInPort, 1), sampleAct(c.p, 1), Output{Port: 2}))
			frames := batchFrames(32)
			batch := mkBatch(1, frames...)
			b.ReportAllocs()
			for b.Loop() {
				resetBatch(batch, frames, 1)
				d.Process(batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/pkt")
		})
	}
}
