package pipeline

import (
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// runN runs n packets of size bytes through s at now and returns how many
// passed (fired no band).
func runN(s *meterState, n int, size uint32, now int64) int {
	sizes := make([]uint32, n)
	for i := range sizes {
		sizes[i] = size
	}
	hits := make([]meterHit, n)
	s.run(sizes, now, hits)
	pass := 0
	for _, h := range hits {
		if h.band < 0 {
			pass++
		}
	}
	return pass
}

func newMeterState(flags uint16, bands ...MeterBand) *meterState {
	s := &meterState{}
	s.configure(&MeterSpec{ID: 1, Flags: flags, Bands: bands}, 0)
	return s
}

const ms = int64(1e6)

// The token bucket in packets: a full bucket of burst packets at start,
// rate/1000 packets per whole millisecond after, capped at the burst.
func TestMeterBucketPktps(t *testing.T) {
	s := newMeterState(MeterPktps, MeterBand{Type: BandDrop, Rate: 10}) // burst 0: the rate
	if got := runN(s, 12, 60, 0); got != 10 {
		t.Fatalf("first batch: %d passed, want 10 (a full bucket)", got)
	}
	if got := runN(s, 2, 60, 99*ms); got != 0 {
		t.Fatalf("after 99 ms: %d passed, want 0 (0.99 packets in the bucket)", got)
	}
	if got := runN(s, 2, 60, 100*ms); got != 1 {
		// the fraction of a packet stays in the bucket (OVS's bucket %=
		// 1000): 0.99 + 0.01 is one packet
		t.Fatalf("after 100 ms: %d passed, want 1", got)
	}
	if got := runN(s, 20, 60, 10_000*ms); got != 10 {
		t.Fatalf("after 10 s: %d passed, want 10 (capped at the burst)", got)
	}
	st := s.bands[0]
	if s.packets != 36 || st.packets != 15 || st.bytes != 15*60 {
		t.Fatalf("counters: in %d, band %d packets %d bytes", s.packets, st.packets, st.bytes)
	}
}

// Bits: kbps rate r adds r bits per millisecond; burst_size is in kilobits.
func TestMeterBucketKbps(t *testing.T) {
	s := newMeterState(MeterKbps|MeterBurst, MeterBand{Type: BandDrop, Rate: 1000, BurstSize: 100})
	// 100 kbit = 100000 bits: ten 1250-byte packets (10000 bits each)
	if got := runN(s, 11, 1250, 0); got != 10 {
		t.Fatalf("%d passed, want 10", got)
	}
	if got := runN(s, 2, 1250, 10*ms); got != 1 {
		t.Fatalf("after 10 ms (10000 bits): %d passed, want 1", got)
	}
	// packets of different sizes: each is judged on its own bits
	s = newMeterState(MeterKbps|MeterBurst, MeterBand{Type: BandDrop, Rate: 1, BurstSize: 1})
	hits := make([]meterHit, 3)
	s.run([]uint32{100, 60, 50}, 0, hits) // 800 bits pass, 480 do not, 400 do not (200 left)
	if hits[0].band != -1 || hits[1].band != 0 || hits[2].band != 0 {
		t.Fatalf("hits %+v", hits)
	}
}

// Sub-millisecond batches: whole milliseconds are counted from the
// previous batch's time, so nothing is lost however the batches fall.
func TestMeterBucketExactOverTime(t *testing.T) {
	s := newMeterState(MeterPktps|MeterBurst, MeterBand{Type: BandDrop, Rate: 1000, BurstSize: 1})
	pass := 0
	// 10 s of 4 packets every 0.6 ms (6667 pps offered) against 1000 pps
	for now := int64(0); now < 10_000*ms; now += 600_000 {
		pass += runN(s, 4, 60, now)
	}
	// the burst (1) plus 1000 per second; OVS's delta_t is in whole ms,
	// and the floors telescope, so the total is exact to one packet
	if pass < 10_000 || pass > 10_001 {
		t.Fatalf("%d passed in 10 s at 1000 pps", pass)
	}
}

// The band that fires is the exceeded band with the highest rate.
func TestMeterHighestRateBandFires(t *testing.T) {
	s := newMeterState(MeterPktps|MeterBurst,
		MeterBand{Type: BandDrop, Rate: 5, BurstSize: 5},
		MeterBand{Type: BandDSCPRemark, Rate: 2, BurstSize: 2, PrecLevel: 1})
	hits := make([]meterHit, 7)
	s.run([]uint32{1, 1, 1, 1, 1, 1, 1}, 0, hits)
	want := []int8{-1, -1, 1, 1, 1, 0, 0}
	for i, h := range hits {
		if h.band != want[i] {
			t.Fatalf("packet %d fired band %d, want %d (%+v)", i, h.band, want[i], hits)
		}
	}
	if hits[2].typ != BandDSCPRemark || hits[2].prec != 1 {
		t.Fatalf("hit %+v", hits[2])
	}
}

func meterSpec(id uint32, flags uint16, bands ...MeterBand) *MeterSpec {
	return &MeterSpec{ID: id, Flags: flags, Bands: bands}
}

// MeterMod's errors, in OVS 3.1's order.
func TestMeterModErrors(t *testing.T) {
	d := New(Config{})
	drop := MeterBand{Type: BandDrop, Rate: 10}
	if err := d.MeterMod(MeterAdd, meterSpec(1, MeterKbps, drop), 1); err != nil {
		t.Fatal(err)
	}
	nine := make([]MeterBand, 9)
	for i := range nine {
		nine[i] = drop
	}
	for _, c := range []struct {
		cmd  uint16
		spec *MeterSpec
		want ErrorCode
	}{
		{MeterAdd, meterSpec(1, MeterKbps, drop), OFPMMFC_METER_EXISTS},
		{MeterModify, meterSpec(2, MeterKbps, drop), OFPMMFC_UNKNOWN_METER},
		{MeterAdd, meterSpec(0, MeterKbps, drop), OFPMMFC_INVALID_METER},
		{MeterAdd, meterSpec(MeterAll, MeterKbps, drop), OFPMMFC_INVALID_METER},
		{MeterAdd, meterSpec(MeterMax+1, MeterKbps, drop), OFPMMFC_INVALID_METER},
		{MeterAdd, meterSpec(2, MeterKbps, nine...), OFPMMFC_OUT_OF_BANDS},
		{MeterAdd, meterSpec(2, 0, drop), OFPMMFC_BAD_FLAGS},
		{MeterAdd, meterSpec(2, MeterKbps), OFPMMFC_OUT_OF_BANDS},
		{MeterAdd, meterSpec(2, MeterKbps, MeterBand{Type: BandDrop}), OFPMMFC_BAD_RATE},
		{MeterAdd, meterSpec(2, MeterKbps|0x10, drop), OFPMMFC_BAD_FLAGS},
		{7, meterSpec(2, MeterKbps, drop), OFPMMFC_BAD_COMMAND},
	} {
		err := d.MeterMod(c.cmd, c.spec, 1)
		if e, ok := err.(*Error); !ok || !e.HasCode(c.want) {
			t.Errorf("%d %+v: %v, want %s", c.cmd, c.spec, err, c.want)
		}
	}
	// the virtual controller and slowpath meters are kept, as OVS
	for _, id := range []uint32{MeterCtrl, MeterSlowpath, MeterMax} {
		if err := d.MeterMod(MeterAdd, meterSpec(id, MeterPktps, drop), 1); err != nil {
			t.Errorf("meter %#x: %v", id, err)
		}
	}
	// a dscp_remark band is accepted (OVS refuses it: a deliberate
	// difference) and reported as sent, burst size 0 included
	remark := MeterBand{Type: BandDSCPRemark, Rate: 100, PrecLevel: 2}
	if err := d.MeterMod(MeterAdd, meterSpec(4, MeterKbps, remark), 1); err != nil {
		t.Fatal(err)
	}
	ms, err := d.Meters(4)
	if err != nil || len(ms) != 1 || ms[0].Spec.Bands[0] != remark {
		t.Fatalf("%+v %v", ms, err)
	}
	if _, err := d.Meters(99); err == nil {
		t.Fatal("stats of an unknown meter")
	}
}

// The meter count is bounded (OVS's 262144 datapath meters): a flood of
// adds ends in OFPMMFC_OUT_OF_METERS, and a delete makes room again.
func TestMeterLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("262144 meters")
	}
	d := New(Config{})
	drop := []MeterBand{{Type: BandDrop, Rate: 10}}
	for id := uint32(1); id <= MaxMeters; id++ {
		if err := d.MeterMod(MeterAdd, &MeterSpec{ID: id, Flags: MeterKbps, Bands: drop}, 1); err != nil {
			t.Fatalf("meter %d: %v", id, err)
		}
	}
	err := d.MeterMod(MeterAdd, &MeterSpec{ID: MaxMeters + 1, Flags: MeterKbps, Bands: drop}, 1)
	if e, ok := err.(*Error); !ok || !e.HasCode(OFPMMFC_OUT_OF_METERS) {
		t.Fatalf("meter %d: %v", MaxMeters+1, err)
	}
	if err := d.MeterMod(MeterDelete, &MeterSpec{ID: 7}, 1); err != nil {
		t.Fatal(err)
	}
	if err := d.MeterMod(MeterAdd, &MeterSpec{ID: MaxMeters + 1, Flags: MeterKbps, Bands: drop}, 1); err != nil {
		t.Fatal(err)
	}
}

// sendThroughMeter1 checks that flow s, which uses meter 1, is refused
// while the meter does not exist (OFPMMFC_INVALID_METER), then adds meter 1
// (drop above 1 pktps, burst 3) and s, and sends 5 TCP frames in on port 1.
func sendThroughMeter1(t *testing.T, e *env, s FlowSpec) {
	t.Helper()
	err := e.d.FlowMod(&FlowMod{Command: FlowAdd, Spec: s, OutPort: PortAny, OutGroup: GroupAny}, 1)
	if c, ok := err.(*Error); !ok || !c.HasCode(OFPMMFC_INVALID_METER) {
		t.Fatalf("flow with an unknown meter: %v", err)
	}
	if err := e.d.MeterMod(MeterAdd, meterSpec(1, MeterPktps|MeterBurst, MeterBand{Type: BandDrop, Rate: 1, BurstSize: 3}), 1); err != nil {
		t.Fatal(err)
	}
	add(t, e.d, s)
	var frames [][]byte
	for i := range 5 {
		frames = append(frames, tcpFrame(uint16(1000+i), 80))
	}
	e.send(1, frames...)
}

// A flow's meter instruction runs before its actions; deleting the meter
// deletes the flow; a flow naming no meter is refused.
func TestMeterInPipeline(t *testing.T) {
	e := newEnv(t)
	var removed []uint8
	e.d.cfg.FlowRemoved = func(fr *FlowRemoved) { removed = append(removed, fr.Reason) }
	s := spec(0, 10, ipMatch(), Output{Port: 2})
	s.Inst.Meter = 1
	s.Flags = FlagSendFlowRem
	sendThroughMeter1(t, e, s)
	if len(e.s.out) != 3 {
		t.Fatalf("%d packets out, want 3 (burst 3)", len(e.s.out))
	}
	ms, _ := e.d.Meters(MeterAll)
	if len(ms) != 1 || ms[0].FlowCount != 1 || ms[0].Packets != 5 || ms[0].Bands[0].Packets != 2 {
		t.Fatalf("stats %+v", ms)
	}
	if e.d.Counters()["datapath_drop_meter"] != 2 {
		t.Fatalf("counters %v", e.d.Counters())
	}
	if err := e.d.MeterMod(MeterDelete, &MeterSpec{ID: MeterAll}, 2); err != nil {
		t.Fatal(err)
	}
	if e.d.NumFlows() != 0 || len(removed) != 1 || removed[0] != RemovedMeterDelete {
		t.Fatalf("after the delete: %d flows, removed %v", e.d.NumFlows(), removed)
	}
}

// OpenFlow 1.5's meter action meters where it stands: the actions before
// it see every packet, those after it only the packets it passes; the
// flow does not count as the meter's (OVS counts a leading meter only)
// and stays when the meter is deleted; in a group bucket it meters
// nothing (OVS resolves meters in flows and packet-outs only).
func TestMeterAction(t *testing.T) {
	e := newEnv(t)
	s := spec(0, 10, ipMatch(), Output{Port: 2}, Meter{ID: 1}, Output{Port: 3})
	sendThroughMeter1(t, e, s)
	var to2, to3 int
	for _, o := range e.s.out {
		switch o.port {
		case 2:
			to2++
		case 3:
			to3++
		}
	}
	if to2 != 5 || to3 != 3 {
		t.Fatalf("%d packets to port 2 (want 5), %d to port 3 (want 3: burst 3)", to2, to3)
	}
	ms, _ := e.d.Meters(MeterAll)
	if len(ms) != 1 || ms[0].FlowCount != 0 || ms[0].Packets != 5 || ms[0].Bands[0].Packets != 2 {
		t.Fatalf("stats %+v", ms)
	}
	if err := e.d.FlowMod(&FlowMod{Command: FlowAdd, Spec: spec(0, 20, ipMatch(), Meter{ID: 0}), OutPort: PortAny, OutGroup: GroupAny}, 1); err == nil {
		t.Fatal("meter:0 accepted")
	}
	if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeAll, Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{Meter{ID: 9}, Output{Port: 2}}}}}); err != nil {
		t.Fatalf("bucket with an unknown meter: %v", err)
	}
	if err := e.d.MeterMod(MeterDelete, &MeterSpec{ID: MeterAll}, 2); err != nil {
		t.Fatal(err)
	}
	if e.d.NumFlows() != 1 {
		t.Fatalf("after the delete: %d flows, want 1", e.d.NumFlows())
	}
}

// controller(meter_id=N) meters the packet-ins; the packets go on.
func TestMeterControllerAction(t *testing.T) {
	e := newEnv(t)
	if err := e.d.MeterMod(MeterAdd, meterSpec(2, MeterPktps|MeterBurst, MeterBand{Type: BandDrop, Rate: 1, BurstSize: 2}), 1); err != nil {
		t.Fatal(err)
	}
	add(t, e.d, spec(0, 10, ipMatch(), Controller{MaxLen: 0xffff, Reason: ReasonAction, V2: true, HasMeter: true, MeterID: 2}, Output{Port: 2}))
	e.send(1, tcpFrame(1, 80), tcpFrame(2, 80), tcpFrame(3, 80), tcpFrame(4, 80))
	if len(e.pi.pis) != 2 || len(e.s.out) != 4 {
		t.Fatalf("%d packet-ins (want 2), %d out (want 4)", len(e.pi.pis), len(e.s.out))
	}
	// an unknown meter meters nothing (OVS logs it and goes on)
	add(t, e.d, spec(0, 20, ipMatch(), Controller{MaxLen: 0xffff, Reason: ReasonAction, V2: true, HasMeter: true, MeterID: 9}))
	e.send(1, tcpFrame(1, 80), tcpFrame(2, 80), tcpFrame(3, 80))
	if len(e.pi.pis) != 5 {
		t.Fatalf("%d packet-ins, want 5", len(e.pi.pis))
	}
}

// dscp_remark raises the drop precedence (DSCP bits 1-2) by prec_level,
// at most to 3, and the packet goes on.
func TestMeterDSCPRemark(t *testing.T) {
	e := newEnv(t)
	if err := e.d.MeterMod(MeterAdd, meterSpec(1, MeterPktps|MeterBurst, MeterBand{Type: BandDSCPRemark, Rate: 1, BurstSize: 1, PrecLevel: 1}), 1); err != nil {
		t.Fatal(err)
	}
	s := spec(0, 10, ipMatch(), Output{Port: 2})
	s.Inst.Meter = 1
	add(t, e.d, s)
	af11 := tcpFrame(1, 80)
	af11[15] = 10 << 2 // DSCP AF11 (001 01 0)
	e.send(1, af11, append([]byte(nil), af11...), append([]byte(nil), af11...))
	if len(e.s.out) != 3 {
		t.Fatalf("%d out", len(e.s.out))
	}
	for i, want := range []uint8{10, 12, 12} { // AF11, then AF12 (001 10 0)
		pk := packet.New(e.s.out[i].data)
		packet.Parse(pk)
		if got := uint8(pk.Key.W.Get(packet.FieldIPDSCP).Lo); got != want {
			t.Errorf("packet %d: DSCP %d, want %d", i, got, want)
		}
	}
	pk := packet.New(tcpFrame(1, 80))
	packet.Parse(pk)
	remarkDSCP(pk, 5)
	if got := pk.Key.W.Get(packet.FieldIPDSCP).Lo; got != 6 {
		t.Errorf("DSCP 0 + 5 levels: %d, want 6 (drop precedence 3)", got)
	}
}

// A metered flow allocates nothing per batch either.
func TestZeroAllocMeter(t *testing.T) {
	d := New(Config{Sender: nullSender{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	if err := d.MeterMod(MeterAdd, meterSpec(1, MeterKbps, MeterBand{Type: BandDrop, Rate: 1000}), 1); err != nil {
		t.Fatal(err)
	}
	s := spec(0, 10, ipMatch(packet.FieldInPort, 1), Output{Port: 2})
	s.Inst.Meter = 1
	add(t, d, s)
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/meter", func() { resetBatch(b, frames, 1); b.Now += 1e6; d.Process(b) })
}
