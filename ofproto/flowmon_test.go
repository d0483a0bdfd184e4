package ofproto

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/ofproto/oftest"
	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/tests/golden"
)

// FuzzFlowMonitorRequest feeds OFPMP_FLOW_MONITOR request bodies (seeded
// with of15-replies.tsv's flow-monitor rows) to decodeFlowMonitorRequest14
// as flowMonitorStats walks them: never a panic, only OpenFlow errors, each
// entry whole and a multiple of 8 long (its match padded), and a monitor
// other than a delete has flags OVS accepts and a 16-bit-able out_port.
func FuzzFlowMonitorRequest(f *testing.F) {
	for _, row := range golden.Replies15() {
		for _, m := range row.Requests {
			if len(m) >= 16 && m[1] == Type13MultipartRequest && binary.BigEndian.Uint16(m[8:]) == MPFlowMonitor {
				f.Add(m[16:])
			}
		}
	}
	f.Add([]byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x1f, 0xff, 0, 0, 1, 0, 4, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		for len(body) > 0 {
			m, n, err := decodeFlowMonitorRequest14(body, nil)
			if err != nil {
				if _, ok := err.(*pipeline.Error); !ok {
					t.Fatalf("error %T %v", err, err)
				}
				return
			}
			if n < 24 || n > len(body) || n%8 != 0 {
				t.Fatalf("entry of %d bytes in %d", n, len(body))
			}
			if m.command != fmcDelete {
				if m.flags&(fmfAdd|fmfRemoved|fmfModify) == 0 || m.flags&(fmfNoAbbrev|0xff80) != 0 {
					t.Fatalf("flags %#x accepted", m.flags)
				}
				if m.outPort >= 0xff00 && m.outPort < pipeline.PortMax {
					t.Fatalf("out_port %#x accepted", m.outPort)
				}
			}
			body = body[n:]
		}
	})
}

// TestFlowMonitorPauseResume: a monitor whose connection does not read
// pauses once more than 128 KiB of updates are queued (OFPFME_PAUSED), then
// reports only the removal of flows added before the pause, and once the
// queue has emptied sends the flows added since as ADDED and then
// OFPFME_RESUMED (OVS's ofmonitor_flush and ofmonitor_resume).
func TestFlowMonitorPauseResume(t *testing.T) {
	var clk atomic.Int64
	clk.Store(1)
	dp, wire := wiredDatapath()
	env := newTestServer(t, func(c *Config) {
		c.Datapath = dp
		c.Clock = func() int64 { return clk.Load() }
	})
	wire(env.srv)
	a, b := net.Pipe()
	go env.srv.Serve(a, false)
	p := oftest.New(b)
	p.Timeout = 5 * time.Second
	defer p.Close()
	if _, err := p.Handshake(Version15, 0); err != nil {
		t.Fatal(err)
	}
	const flags = fmfAdd | fmfRemoved | fmfModify | fmfInstructions
	req := oftest.Message(Version15, Type13MultipartRequest, 7, []byte{0, MPFlowMonitor, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, flags, 0xff, fmcAdd, 0, 1, 0, 4, 0, 0, 0, 0})
	if _, err := p.Request(req); err != nil {
		t.Fatal(err)
	}
	add := func(i int) {
		var m pipeline.Match
		m.SetExact(packet.FieldReg0, packet.U128{Lo: uint64(i)})
		fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
			Spec: pipeline.FlowSpec{Priority: 1, Match: m, Inst: pipeline.Instructions{GotoTable: -1,
				Apply: []pipeline.Action{pipeline.Output{Port: 1}}}}}
		if err := dp.FlowMod(fm, clk.Add(1)); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing is read: the writer blocks on the pipe and the queue grows.
	n := 0
	for ; n < 3000 && !env.srv.monitorsPausedAny(); n++ {
		add(n)
	}
	if n == 3000 {
		t.Fatal("monitors never paused")
	}
	for i := n; i < n+5; i++ {
		add(i) // after the pause: left for the resume
	}
	var m pipeline.Match
	m.SetExact(packet.FieldReg0, packet.U128{Lo: 0})
	del := &pipeline.FlowMod{Command: pipeline.FlowDeleteStrict, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
		Spec: pipeline.FlowSpec{Priority: 1, Match: m}}
	if err := dp.FlowMod(del, clk.Add(1)); err != nil {
		t.Fatal(err)
	}
	var events []uint16
	for {
		msg, err := p.Recv()
		if err != nil {
			t.Fatalf("after %d events: %v", len(events), err)
		}
		if msg[1] != Type13MultipartReply {
			continue
		}
		for i := 16; i+4 <= len(msg); i += int(binary.BigEndian.Uint16(msg[i:])) {
			events = append(events, binary.BigEndian.Uint16(msg[i+2:]))
		}
		if events[len(events)-1] == fmeResumed {
			break
		}
	}
	// n ADDED, PAUSED, REMOVED (flow 0, added before), 5 ADDED, RESUMED
	want := []uint16{}
	for range n {
		want = append(want, pipeline.FlowEventAdded)
	}
	want = append(want, fmePaused, pipeline.FlowEventRemoved)
	for range 5 {
		want = append(want, pipeline.FlowEventAdded)
	}
	want = append(want, fmeResumed)
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Fatalf("events %v\nwant %v", events, want)
	}
	// Flowing again.
	add(n + 10)
	msg, err := p.Recv()
	if err != nil || len(msg) < 20 || binary.BigEndian.Uint16(msg[18:]) != pipeline.FlowEventAdded {
		t.Fatalf("after the resume: % x %v", msg, err)
	}
}

// monitorsPausedAny reports whether some connection's monitors are paused.
func (s *Server) monitorsPausedAny() bool {
	for _, c := range s.snapshot() {
		if c.monitorsPaused() {
			return true
		}
	}
	return false
}
