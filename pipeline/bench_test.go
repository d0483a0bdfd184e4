package pipeline

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/tests/testutil"
)

// estTracker is an allocation-free tracker for benchmarks: every packet
// is +trk+est (+new while its source port is in newPorts).
type estTracker struct{ calls atomic.Uint64 }

func (t *estTracker) Execute(pkts []*packet.Packet, out []*packet.Packet, p *ct.Params, now int64) []*packet.Packet {
	t.calls.Add(1)
	for _, pk := range pkts {
		pk.Key.SetCtState(packet.CsTrk | packet.CsEst)
		out = append(out, pk)
	}
	return out
}

type nullSender struct{}

func (nullSender) Output(uint32, *packet.Packet) {}
func (nullSender) Flush()                        {}

func mkBatch(in uint32, frames ...[]byte) *packet.Batch {
	b := &packet.Batch{Now: 1e9}
	for _, f := range frames {
		pk := packet.New(f)
		pk.Key.SetInPort(in)
		b.Pkts = append(b.Pkts, pk)
	}
	return b
}

// resetBatch restores the frames (Process rewrites them) and metadata.
func resetBatch(b *packet.Batch, frames [][]byte, in uint32) {
	for i, pk := range b.Pkts {
		pk.Data = pk.Data[:len(frames[i])]
		copy(pk.Data, frames[i])
		pk.Key = packet.Key{}
		pk.Key.SetInPort(in)
		pk.Conn = nil
	}
}

func batchFrames(n int) [][]byte {
	var fs [][]byte
	for i := range n {
		fs = append(fs, tcpFrame(uint16(1000+i%8), 80))
	}
	return fs
}

func TestZeroAllocForward(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	add(t, d, spec(0, 10, ipMatch(packet.FieldInPort, 1), Output{Port: 2}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/output", func() { resetBatch(b, frames, 1); d.Process(b) })

	// reg_load, move, resubmit, goto, set_field, write-actions
	d2 := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	add(t, d2, withInst(spec(0, 10, ipMatch(),
		RegLoad{Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 16}, Value: packet.U128{Lo: 7}},
		Move{Src: Subfield{Field: packet.FieldIPv4Src, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg1, Ofs: 0, NBits: 32}},
		Resubmit{InPort: PortInPort, Table: 2},
		sf(packet.FieldIPv4Dst, 0xcb007101)), func(in *Instructions) {
		in.HasWrite, in.Write, in.GotoTable = true, []Action{Output{Port: 2}}, 1
	}))
	add(t, d2, spec(1, 1, ipMatch(), DecTTL{}))
	add(t, d2, spec(2, 1, mkMatch(packet.FieldReg0, 7), Output{Port: 3}))
	b2 := mkBatch(1, frames...)
	testutil.RequireNoAllocs(t, "Process/actions", func() { resetBatch(b2, frames, 1); d2.Process(b2) })

	// the firewall, established traffic, with ct(table=1) recirculation
	d3 := firewall(t, &estTracker{})
	b3 := mkBatch(1, frames...)
	testutil.RequireNoAllocs(t, "Process/firewall", func() { resetBatch(b3, frames, 1); d3.Process(b3) })

	// classifier lookup
	cls := d3.cur.Load().tables[1]
	k := b3.Pkts[0].Key.W
	testutil.RequireNoAllocs(t, "lookup", func() { cls.lookup(&k) })
}

// firewall installs the talk's stateful firewall
// (../shared/bench/flows/ct-firewall.flows), built programmatically.
func firewall(t testing.TB, tr Tracker) *Datapath {
	d := New(Config{Sender: nullSender{}, Tracker: tr})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	ctState := func(m Match, v, mask uint32) Match {
		m.Set(packet.FieldCtState, packet.U128{Lo: uint64(v)}, packet.U128{Lo: uint64(mask)})
		return m
	}
	ip6 := func(kv ...any) Match {
		return mkMatch(append([]any{packet.FieldEthType, packet.EthTypeIPv6}, kv...)...)
	}
	arp := func(kv ...any) Match {
		return mkMatch(append([]any{packet.FieldEthType, packet.EthTypeARP}, kv...)...)
	}
	trkNew, trkEst := packet.CsTrk|packet.CsNew, packet.CsTrk|packet.CsEst
	var specs []FlowSpec
	for _, x := range []struct{ in, typ, out int }{{1, 135, 2}, {1, 136, 2}, {2, 135, 1}, {2, 136, 1}} {
		specs = append(specs, spec(0, 110, ip6(packet.FieldNwProto, 58, packet.FieldInPort, x.in, packet.FieldICMPv6Type, x.typ),
			Output{Port: uint32(x.out)}))
	}
	specs = append(specs,
		spec(0, 100, ctState(ipMatch(), 0, packet.CsTrk), CT{Table: 1}),
		spec(0, 100, ctState(ip6(), 0, packet.CsTrk), CT{Table: 1}),
		spec(0, 10, arp(packet.FieldInPort, 1), Output{Port: 2}),
		spec(0, 10, arp(packet.FieldInPort, 2), Output{Port: 1}),
		spec(0, 0, Match{}),
		spec(1, 100, ctState(ipMatch(packet.FieldInPort, 1), trkNew, trkNew), CT{Flags: CTCommit, Table: NoTable}, Output{Port: 2}),
		spec(1, 100, ctState(ipMatch(packet.FieldInPort, 1), trkEst, trkEst), Output{Port: 2}),
		spec(1, 100, ctState(ipMatch(packet.FieldInPort, 2), trkEst, trkEst), Output{Port: 1}),
		spec(1, 100, ctState(ip6(packet.FieldInPort, 1), trkNew, trkNew), CT{Flags: CTCommit, Table: NoTable}, Output{Port: 2}),
		spec(1, 100, ctState(ip6(packet.FieldInPort, 1), trkEst, trkEst), Output{Port: 2}),
		spec(1, 100, ctState(ip6(packet.FieldInPort, 2), trkEst, trkEst), Output{Port: 1}),
		spec(1, 1, Match{}),
	)
	if err := d.AddFlows(specs, 1); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFirewall(t *testing.T) {
	e := newEnv(t, 1, 2)
	d := firewall(t, e.tr)
	d.cfg.Sender = e.s
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	// from the outside first: new, dropped
	d.Process(mkBatch(2, tcp4("198.51.100.2", "198.51.100.1", 80, 1000)))
	if len(e.s.out) != 0 {
		t.Fatalf("outside new connection passed: %v", e.s.ports())
	}
	d.Process(mkBatch(1, tcp4("198.51.100.1", "198.51.100.2", 1000, 80), arpFrame()))
	d.Process(mkBatch(2, tcp4("198.51.100.2", "198.51.100.1", 80, 1000)))
	if got := e.s.ports(); len(got) != 3 || got[0] != 2 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("firewall outputs %v", got)
	}
}

func BenchmarkPipeline(b *testing.B) {
	b.Run("firewall", func(b *testing.B) {
		d := firewall(b, &estTracker{})
		frames := batchFrames(32)
		batch := mkBatch(1, frames...)
		b.ReportAllocs()
		b.SetBytes(int64(32 * len(frames[0])))
		for b.Loop() {
			resetBatch(batch, frames, 1)
			d.Process(batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/pkt")
	})
	b.Run("output", func(b *testing.B) {
		d := New(Config{Sender: nullSender{}})
		add(b, d, spec(0, 10, ipMatch(packet.FieldInPort, 1), Output{Port: 2}))
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

// lookupTables fills 4 tables with n rules in total over 6 mask shapes.
func lookupTables(n int) (*version, []packet.Words) {
	r := rand.New(rand.NewPCG(1, 2))
	d := New(Config{})
	var specs []FlowSpec
	var keys []packet.Words
	for i := range n {
		var m Match
		m.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
		src := uint64(0xc6330000 | r.IntN(1<<16))
		switch i % 6 {
		case 0:
			m.SetExact(packet.FieldIPv4Src, packet.U128{Lo: src})
		case 1:
			m.Set(packet.FieldIPv4Src, packet.U128{Lo: src}, packet.U128{Lo: 0xffffff00})
		case 2:
			m.SetExact(packet.FieldNwProto, packet.U128{Lo: 6})
			m.SetExact(packet.FieldTCPDst, packet.U128{Lo: uint64(r.IntN(65536))})
		case 3:
			m.SetExact(packet.FieldInPort, packet.U128{Lo: uint64(r.IntN(64))})
			m.SetExact(packet.FieldIPv4Dst, packet.U128{Lo: src})
		case 4:
			m.SetExact(packet.FieldReg0, packet.U128{Lo: uint64(i)})
		case 5:
			m.Set(packet.FieldIPv4Dst, packet.U128{Lo: src}, packet.U128{Lo: 0xffff0000})
			m.SetExact(packet.FieldNwProto, packet.U128{Lo: 17})
		}
		specs = append(specs, spec(uint8(i%4), uint16(r.IntN(1000)), m, Output{Port: 1}))
		var k packet.Words
		k.Set(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
		k.Set(packet.FieldIPv4Src, packet.U128{Lo: src})
		k.Set(packet.FieldIPv4Dst, packet.U128{Lo: src ^ 0x10101})
		k.Set(packet.FieldNwProto, packet.U128{Lo: 6})
		k.Set(packet.FieldTCPDst, packet.U128{Lo: uint64(r.IntN(65536))})
		keys = append(keys, k)
	}
	for i := range specs {
		specs[i].Priority %= 1000
	}
	// duplicates of match+priority replace each other; fine for a benchmark
	if err := d.AddFlows(specs, 1); err != nil {
		panic(err)
	}
	if len(keys) > 4096 {
		keys = keys[:4096]
	}
	return d.cur.Load(), keys
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("rules=%s", map[int]string{10: "10", 1000: "1k", 100000: "100k"}[n]), func(b *testing.B) {
			v, keys := lookupTables(n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := &keys[i%len(keys)]
				v.tables[i%4].lookup(k)
				i++
			}
		})
	}
}

// BenchmarkCommitUnderLoad measures flow-mods (add then delete of a flow
// in a 10k-flow table) while another goroutine forwards batches.
func BenchmarkCommitUnderLoad(b *testing.B) {
	d := firewall(b, &estTracker{})
	var specs []FlowSpec
	for i := range 10000 {
		specs = append(specs, spec(2, 10, mkMatch(packet.FieldReg2, i), Output{Port: 1}))
	}
	if err := d.AddFlows(specs, 1); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var batches atomic.Uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		frames := batchFrames(32)
		batch := mkBatch(1, frames...)
		for {
			select {
			case <-stop:
				return
			default:
			}
			resetBatch(batch, frames, 1)
			d.Process(batch)
			batches.Add(1)
		}
	}()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s := spec(2, 20, mkMatch(packet.FieldReg2, i%10000), Output{Port: 2})
		if err := d.FlowMod(fmod(FlowAdd, s), 1); err != nil {
			b.Fatal(err)
		}
		if err := d.FlowMod(fmod(FlowDeleteStrict, s), 1); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(batches.Load())/b.Elapsed().Seconds(), "batches/s")
}

func TestConcurrentCommitAndProcess(t *testing.T) {
	d := firewall(t, &estTracker{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frames := batchFrames(16)
			batch := mkBatch(uint32(1+w), frames...)
			for n := 0; n < 2000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				resetBatch(batch, frames, uint32(1+w))
				d.Process(batch)
			}
		}()
	}
	for i := range 300 {
		s := spec(1, 200, ipMatch(packet.FieldInPort, 1+i%2, packet.FieldNwProto, 6), Output{Port: 2})
		if err := d.FlowMod(fmod(FlowAdd, s), 1); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := d.FlowMod(fmod(FlowDelete, spec(1, 0, s.Match)), 1); err != nil {
				t.Fatal(err)
			}
		}
		d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, 1)
		d.Expire(int64(i))
	}
	close(stop)
	wg.Wait()
}

func TestZeroAllocCTZoneFromRegister(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	add(t, d, spec(0, 1, ipMatch(packet.FieldNwProto, 6), Move{Src: Subfield{Field: packet.FieldTCPSrc, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldReg3, Ofs: 0, NBits: 16}},
		CT{ZoneSrc: Subfield{Field: packet.FieldReg3, Ofs: 0, NBits: 16}, Table: 1}, Output{Port: 3}))
	add(t, d, spec(1, 1, ipMatch(), Output{Port: 2}))
	frames := batchFrames(32) // 8 source ports: 8 zones
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/ct zone from register", func() { resetBatch(b, frames, 1); d.Process(b) })
}

// TestZeroAllocStickyGroup: a group whose bucket resubmits to a table that
// writes the action set and pushes (run one packet at a time, each going
// on with its own action set and stack) allocates nothing either.
func TestZeroAllocStickyGroup(t *testing.T) {
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}, {No: 3, Up: true}})
	if err := d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeAll, Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny,
		Actions: []Action{Resubmit{InPort: PortInPort, Table: 2}}}}}); err != nil {
		t.Fatal(err)
	}
	reg0 := Subfield{Field: packet.FieldReg0, NBits: 32}
	add(t, d, withInst(spec(0, 1, ipMatch(), GroupAction{GroupID: 1}, StackPop{Dst: reg0}), func(in *Instructions) {
		in.HasWrite, in.Write = true, []Action{Output{Port: 2}}
	}))
	add(t, d, withInst(spec(2, 1, ipMatch(), StackPush{Src: reg0}), func(in *Instructions) {
		in.HasWrite, in.Write = true, []Action{Output{Port: 3}}
	}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/sticky group", func() { resetBatch(b, frames, 1); d.Process(b) })
}
