package datapath

import (
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports/porttest"
	"gswitch/tests/testutil"
)

// A receive loop's batch (read, its own pipeline worker, the hand-over of
// each packet's last output, the flush, the write) allocates nothing in
// the steady state, and the flow's counters see every packet.
func TestReceiveNoAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	e := newEnv(t)
	src := porttest.NewReplay("src", []porttest.Frame{{Data: frame(0)}, {Data: frame(1)}, {Data: frame(2)}})
	dst := porttest.NewReplay("dst", nil)
	b, err := New(Config{Name: "br0", FailMode: "secure", Tracker: e.tracker, Pool: e.pool, Clock: e.now},
		[]Port{{No: 1, Dev: src}, {No: 2, Dev: dst}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addFlow(t, b, 10, 1, out(2))
	r := b.newReceiver(b.tab.Load().byNo[1])
	defer r.release()
	batches := 0
	step := func() {
		src.Allow(packet.MaxBatch)
		if !r.once() {
			t.Fatal("the receive loop ended")
		}
		batches++
	}
	for range 10 {
		step()
	}
	testutil.RequireNoAllocs(t, "a receive batch", step)
	want := int64(batches * packet.MaxBatch)
	if got := dst.TxCount(); got != want {
		t.Errorf("dst got %d frames, want %d", got, want)
	}
	if c := b.Pipeline().Counters()["datapath_output_handed_over"]; c != uint64(want) {
		t.Errorf("handed over %d, want %d", c, want)
	}
	fs := b.Pipeline().Flows(&pipeline.FlowFilter{OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, 0)
	if len(fs) != 1 || fs[0].Packets != uint64(want) {
		t.Errorf("flow stats %+v, want %d packets", fs, want)
	}
}
