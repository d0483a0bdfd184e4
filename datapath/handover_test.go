package datapath

import (
	"bytes"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports/porttest"
)

// The last output of each packet hands the receive loop's buffer over to
// the output queue (no copy) and the loop takes a fresh one: every frame
// arrives intact and in order at every output, the first output of a
// two-output flow (a copy) included, however the buffers circulate.
func TestHandOverIntact(t *testing.T) {
	e := newEnv(t)
	const n = 2000
	p1 := porttest.New("p1")
	p2, p3, p4 := porttest.New("p2", porttest.QueueLen(n)), porttest.New("p3", porttest.QueueLen(n)), porttest.New("p4", porttest.QueueLen(n))
	b := e.bridge(t, "br0", p1, p2, p3, p4)
	addFlow(t, b, 10, 1, out(2), out(3))
	addFlow(t, b, 10, 4, out(2))
	go func() {
		for i := range n {
			for !p1.Inject(frame(i), packet.Offload{}) {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for _, p := range []*porttest.Port{p2, p3} {
		for i := range n {
			select {
			case f := <-p.Sent():
				if !bytes.Equal(f.Data, frame(i)) {
					t.Fatalf("%s: frame %d is %x, want %x", p.Name(), i, f.Data, frame(i))
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: got %d frames of %d", p.Name(), i, n)
			}
		}
	}
	c := b.Pipeline().Counters()
	if c["datapath_output_handed_over"] != n || c["datapath_output"] != 2*n {
		t.Errorf("handed over %d of %d outputs, want %d of %d", c["datapath_output_handed_over"], c["datapath_output"], n, 2*n)
	}
	// A flood copies to every port, hands nothing over.
	addFlow(t, b, 20, 4, out(pipeline.PortFlood))
	p4.Inject(frame(7), packet.Offload{})
	for _, p := range []*porttest.Port{p1, p2, p3} {
		select {
		case f := <-p.Sent():
			if !bytes.Equal(f.Data, frame(7)) {
				t.Fatalf("%s: flooded frame %x", p.Name(), f.Data)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no flooded frame", p.Name())
		}
	}
	if got := b.Pipeline().Counters()["datapath_output_handed_over"]; got != n {
		t.Errorf("a flood handed over %d packets", got-n)
	}
}
