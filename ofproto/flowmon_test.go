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

// FuzzFlowMonitorRequestNX feeds NXST_FLOW_MONITOR (OpenFlow 1.0) and
// ONFST_FLOW_MONITOR (1.3) request bodies, seeded with of15-replies.tsv's
// nx- and onf-flow-monitor rows, to their decoders as flowMonitorRequest
// walks them (the first byte picks the decoder): never a panic, only
// OpenFlow errors, each entry whole and 8-aligned, flags as OVS accepts
// them (in OpenFlow 1.4's numbering), a 1.3 out_port checked.
func FuzzFlowMonitorRequestNX(f *testing.F) {
	for _, row := range golden.Replies15() {
		for _, m := range row.Requests {
			if len(m) < 24 || binary.BigEndian.Uint16(m[8:]) != MPExperimenter {
				continue
			}
			switch {
			case m[0] == Version10 && m[1] == Type10StatsRequest && binary.BigEndian.Uint32(m[16:]) == NXSTFlowMonitor:
				f.Add(append([]byte{0}, m[24:]...))
			case m[0] == Version13 && m[1] == Type13MultipartRequest && binary.BigEndian.Uint32(m[20:]) == onfFlowMonitor:
				f.Add(append([]byte{1}, m[24:]...))
			}
		}
	}
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0x1f, 0xff, 0xff, 0, 0, 0xff, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0x1f, 0, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		decode, min := decodeFlowMonitorRequestNX, 16
		if in[0]&1 != 0 {
			decode, min = decodeFlowMonitorRequestONF, 24
		}
		body := in[1:]
		for len(body) > 0 {
			m, n, err := decode(body, nil)
			if err != nil {
				if _, ok := err.(*pipeline.Error); !ok {
					t.Fatalf("error %T %v", err, err)
				}
				return
			}
			if n < min || n > len(body) || n%8 != 0 {
				t.Fatalf("entry of %d bytes in %d", n, len(body))
			}
			if m.command != fmcAdd || m.outGroup != pipeline.GroupAny ||
				m.flags&(fmfAdd|fmfRemoved|fmfModify) == 0 || m.flags&(fmfNoAbbrev|0xff80) != 0 {
				t.Fatalf("monitor %+v accepted", m)
			}
			if min == 24 && m.outPort >= 0xff00 && m.outPort < pipeline.PortMax {
				t.Fatalf("out_port %#x accepted", m.outPort)
			}
			body = body[n:]
		}
	})
}

// TestFlowMonitorPauseResume: a monitor whose connection does not read
// pauses once more than 128 KiB of updates are queued (OFPFME_PAUSED), then
// reports only the removal of flows added before the pause, and once the
// queue has emptied sends the flows added since as ADDED and then
// OFPFME_RESUMED (OVS's ofmonitor_flush and ofmonitor_resume); in
// OpenFlow 1.0 and 1.3 the same through Nicira's and ONF's framing
// (NXST/ONFST_FLOW_MONITOR updates, NXT/ONFT_FLOW_MONITOR_PAUSED and
// RESUMED messages).
func TestFlowMonitorPauseResume(t *testing.T) {
	for _, v := range []uint8{Version15, Version13, Version10} {
		t.Run(fmt.Sprint(v), func(t *testing.T) { testFlowMonitorPauseResume(t, v) })
	}
}

// monitorEvents returns the update events (OpenFlow 1.4's numbers) of a
// flow monitor reply or pause/resume message in any version's framing.
func monitorEvents(msg []byte) []uint16 {
	switch {
	case len(msg) == 16 && msg[1] == TypeVendor:
		switch binary.BigEndian.Uint32(msg[12:]) {
		case nxtFlowMonitorPaused, onftFlowMonitorPaused:
			return []uint16{fmePaused}
		case nxtFlowMonitorResumed, onftFlowMonitorResumed:
			return []uint16{fmeResumed}
		}
		return nil
	case len(msg) < 16 || msg[1] != Type13MultipartReply && msg[1] != Type10StatsReply:
		return nil
	}
	var evs []uint16
	if binary.BigEndian.Uint16(msg[8:]) == MPFlowMonitor {
		for i := 16; i+4 <= len(msg); i += int(binary.BigEndian.Uint16(msg[i:])) {
			evs = append(evs, binary.BigEndian.Uint16(msg[i+2:]))
		}
		return evs
	}
	nx := []uint16{nxfmeAdded: pipeline.FlowEventAdded, nxfmeDeleted: pipeline.FlowEventRemoved,
		nxfmeModified: pipeline.FlowEventModified, nxfmeAbbrev: fmeAbbrev}
	for i := 24; i+4 <= len(msg); i += int(binary.BigEndian.Uint16(msg[i:])) {
		evs = append(evs, nx[binary.BigEndian.Uint16(msg[i+2:])&3])
	}
	return evs
}

func testFlowMonitorPauseResume(t *testing.T, version uint8) {
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
	if _, err := p.Handshake(version, 0); err != nil {
		t.Fatal(err)
	}
	const flags = fmfAdd | fmfRemoved | fmfModify | fmfInstructions // NXFMF_* alike
	var req []byte
	switch version {
	case Version15:
		req = oftest.Message(Version15, Type13MultipartRequest, 7, []byte{0, MPFlowMonitor, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, flags, 0xff, fmcAdd, 0, 1, 0, 4, 0, 0, 0, 0})
	case Version13: // ONFST_FLOW_MONITOR
		req = oftest.Message(Version13, Type13MultipartRequest, 7, []byte{0xff, 0xff, 0, 0, 0, 0, 0, 0,
			0x4f, 0x4e, 0x46, 0, 0, 0, 0x07, 0x4e, 0, 0, 0, 1, 0, flags, 0, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0})
	case Version10: // NXST_FLOW_MONITOR
		req = oftest.Message(Version10, Type10StatsRequest, 7, []byte{0xff, 0xff, 0, 0, 0, 0, 0x23, 0x20, 0, 0, 0, 2, 0, 0, 0, 0,
			0, 0, 0, 1, 0, flags, 0xff, 0xff, 0, 0, 0xff, 0, 0, 0, 0, 0})
	}
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
		events = append(events, monitorEvents(msg)...)
		if len(events) > 0 && events[len(events)-1] == fmeResumed {
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
	if err != nil || fmt.Sprint(monitorEvents(msg)) != fmt.Sprint([]uint16{pipeline.FlowEventAdded}) {
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
