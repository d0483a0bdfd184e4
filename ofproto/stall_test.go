package ofproto

import (
	"net"
	"testing"
	"time"

	"gswitch/ofproto/oftest"
	"gswitch/packet"
	"gswitch/pipeline"
)

// TestStalledControllerDrops: a controller that asks for asynchronous
// messages and never reads gets packet-ins up to 3/4 and flow-removed
// messages up to 7/8 of its queue's bound; the rest are dropped and
// counted without blocking the caller (the datapath) and without closing
// the connection, and a reading controller still gets them all.
func TestStalledControllerDrops(t *testing.T) {
	env := newTestServer(t, func(c *Config) {
		c.SendQueue = 64
		c.SendQueueBytes = 1 << 20
	})
	stalled, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	// HELLO, then SET_CONFIG miss_send_len=0xffff: a service connection
	// takes asynchronous messages only then.
	stalled.Write(oftest.Hello(4, 0))
	stalled.Write(oftest.Message(4, TypeSetConfig, 2, []byte{0, 0, 0xff, 0xff}))
	good := dial(t, env, 4, 0)
	if err := good.Send(oftest.Message(4, TypeSetConfig, 3, []byte{0, 0, 0xff, 0xff})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both connections' miss_send_len", func() bool {
		l := env.srv.snapshot()
		for _, c := range l {
			if c.state().missSendLen != 0xffff {
				return false
			}
		}
		return len(l) == 2
	})

	var m pipeline.Match
	m.SetExact(packet.FieldEthType, packet.U128{Lo: 0x0800})
	fr := &pipeline.FlowRemoved{Reason: pipeline.RemovedIdleTimeout, Now: 2e9,
		Stats: pipeline.FlowStats{Spec: pipeline.FlowSpec{Priority: 9, Match: m}, Created: 1e9}}
	pi := &pipeline.PacketIn{Data: make([]byte, 1000), Cookie: ^uint64(0)}
	pi.Key.SetInPort(1)
	const n = 2000
	type counts struct{ pi, fr int }
	got := make(chan counts, 1)
	go func() {
		var k counts
		good.Timeout = time.Second
		for {
			b, err := good.Recv()
			if err != nil {
				break
			}
			switch b[1] {
			case TypePacketIn:
				k.pi++
			case TypeFlowRemoved:
				k.fr++
			}
		}
		got <- k
	}()
	for i := 0; i < n; i++ {
		env.srv.PacketIn(pi)
		env.srv.FlowRemoved(fr)
	}
	st := &env.srv.Stats
	if st.PacketInDropped.Load() == 0 || st.FlowRemovedDropped.Load() == 0 {
		t.Errorf("dropped: %d packet-ins, %d flow-removed; want both > 0", st.PacketInDropped.Load(), st.FlowRemovedDropped.Load())
	}
	if st.QueueOverflows.Load() != 0 || env.srv.NumConns() != 2 {
		t.Errorf("a connection was closed: %d overflows, %d connections", st.QueueOverflows.Load(), env.srv.NumConns())
	}
	// The reading connection has its own queue: it gets its messages.
	if k := <-got; k.pi == 0 || k.fr == 0 {
		t.Errorf("reading controller got %d packet-ins and %d flow-removed", k.pi, k.fr)
	}
}
