package datapath

import (
	"path/filepath"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports/porttest"
)

// gatedPort is a porttest port whose writes wait for the test.
type gatedPort struct {
	*porttest.Port
	entered chan struct{} // a write started
	gate    chan struct{} // closed: writes go on
}

func (p *gatedPort) WriteBatch(pkts []*packet.Packet) error {
	select {
	case p.entered <- struct{}{}:
	default:
	}
	<-p.gate
	return p.Port.WriteBatch(pkts)
}

// TestQuiesce: Quiesce waits for a batch still in the pipeline (here held
// in its output), which is forwarded and counted; afterwards what a port
// receives is neither forwarded nor counted, and the OpenFlow server is
// closed.
func TestQuiesce(t *testing.T) {
	e := newEnv(t)
	p1 := porttest.New("p1")
	p2 := &gatedPort{Port: porttest.New("p2"), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	b := e.bridge(t, "br0", p1, p2)
	addFlow(t, b, 10, 1, out(2))
	p1.Inject(frame(0), packet.Offload{})
	select {
	case <-p2.entered:
	case <-time.After(2 * time.Second):
		t.Fatal("the first frame did not reach p2's output")
	}
	done := make(chan struct{})
	go func() { b.Quiesce(); close(done) }()
	select {
	case <-done:
		t.Fatal("Quiesce returned while a batch was still in the pipeline")
	case <-time.After(200 * time.Millisecond):
	}
	close(p2.gate)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Quiesce did not return after the batch ended")
	}
	expect(t, p2.Port, 1)
	for i := range 10 {
		p1.Inject(frame(i+1), packet.Offload{})
	}
	expectNone(t, p2.Port)
	fs := b.Pipeline().Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, b.Now())
	if len(fs) != 1 || fs[0].Packets != 1 {
		t.Fatalf("flows after Quiesce: %+v", fs)
	}
	if err := b.OpenFlow().Listen("punix:" + filepath.Join(t.TempDir(), "of.sock")); err == nil {
		t.Error("the OpenFlow server still listens after Quiesce")
	}
}
