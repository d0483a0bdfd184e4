package ofproto

import (
	"encoding/binary"
	"testing"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// flowModBytes13 is an OpenFlow 1.3 flow-mod add: ip,nw_src=10.0.0.N,
// in_port=1 actions=output:2.
func flowModBytes13(n uint32) []byte {
	var m pipeline.Match
	m.SetExact(packet.FieldInPort, packet.U128{Lo: 1})
	m.SetExact(packet.FieldEthType, packet.U128{Lo: 0x0800})
	m.SetExact(packet.FieldIPv4Src, packet.U128{Lo: uint64(0x0a000000 | n)})
	inst, _ := nxm.EncodeInstructions(&pipeline.Instructions{Apply: []pipeline.Action{pipeline.Output{Port: 2}}, HasApply: true, GotoTable: -1})
	body := make([]byte, 40)
	binary.BigEndian.PutUint16(body[22:], 100)        // priority
	binary.BigEndian.PutUint32(body[24:], 0xffffffff) // buffer_id
	binary.BigEndian.PutUint32(body[28:], 0xffffffff) // out_port
	binary.BigEndian.PutUint32(body[32:], 0xffffffff) // out_group
	mm := newMsg(Version13, TypeFlowMod, n, 0)
	mm.bytes(body[:40]).bytes(nxm.EncodeOXMMatch(&m)).bytes(inst)
	return mm.done()
}

// BenchmarkFlowModApply measures one OpenFlow 1.3 flow-mod from bytes to
// applied: framing checks, decode (nxm), validation of the request and the
// (fake) datapath's apply, on the connection's goroutine.
func BenchmarkFlowModApply(b *testing.B) {
	dp := &nullDP{}
	s, err := New(Config{Datapath: dp})
	if err != nil {
		b.Fatal(err)
	}
	c := newConn(s, nullConn{}, true)
	c.st.version = Version13
	msgs := make([][]byte, 1024)
	for i := range msgs {
		msgs[i] = flowModBytes13(uint32(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.handle(msgs[i&1023])
		i++
	}
	if dp.n == 0 || len(c.out) != 0 {
		b.Fatalf("applied %d, %d replies (errors?)", dp.n, len(c.out))
	}
}

// BenchmarkDumpFlows measures encoding a 1000-flow OpenFlow 1.3 dump.
func BenchmarkDumpFlows(b *testing.B) {
	dp := &fakeDP{}
	for i := 0; i < 1000; i++ {
		var m pipeline.Match
		m.SetExact(packet.FieldInPort, packet.U128{Lo: uint64(i)})
		dp.flows = append(dp.flows, pipeline.FlowStats{Spec: pipeline.FlowSpec{Priority: 1, Match: m,
			Inst: pipeline.Instructions{Apply: []pipeline.Action{pipeline.Output{Port: 2}}, HasApply: true, GotoTable: -1}}})
	}
	s, _ := New(Config{Datapath: dp, SendQueue: 1 << 16, SendQueueBytes: 1 << 30})
	c := newConn(s, nullConn{}, true)
	c.st.version = Version13
	req := newMsg(Version13, Type13MultipartRequest, 1, 0).u16(MPFlow).u16(0).zeros(4).
		u8(pipeline.TableAll).zeros(3).u32(pipeline.PortAny).u32(pipeline.GroupAny).zeros(4).u64(0).u64(0).
		bytes([]byte{0, 1, 0, 4, 0, 0, 0, 0}).done()
	b.ReportAllocs()
	for b.Loop() {
		c.handle(req)
		for len(c.out) > 0 {
			m := <-c.out
			c.queued.Add(-int64(len(m)))
		}
	}
}

// nullDP accepts every flow-mod and keeps nothing.
type nullDP struct{ n int }

func (d *nullDP) FlowMod(*pipeline.FlowMod, int64) error                   { d.n++; return nil }
func (d *nullDP) Flows(*pipeline.FlowFilter, int64) []pipeline.FlowStats   { return nil }
func (d *nullDP) TableStats() []pipeline.TableStats                        { return nil }
func (d *nullDP) SetTableEviction(uint8, bool)                             {}
func (d *nullDP) TableEviction(uint8) bool                                 { return false }
func (d *nullDP) GroupMod(uint16, *pipeline.GroupSpec) error               { return nil }
func (d *nullDP) Groups() []pipeline.GroupStats                            { return nil }
func (d *nullDP) MeterMod(uint16, *pipeline.MeterSpec, int64) error        { return nil }
func (d *nullDP) Meters(uint32) ([]pipeline.MeterStats, error)             { return nil, nil }
func (d *nullDP) PacketOut(uint32, []pipeline.Action, []byte, int64) error { return nil }
func (d *nullDP) Resume(*packet.Words, []byte, *pipeline.Continuation, int64) error {
	return nil
}

// BenchmarkPacketIn measures one packet-in to one OpenFlow 1.3 controller
// (routing, NXM/OXM metadata encoding, queueing).
func BenchmarkPacketIn(b *testing.B) {
	s, _ := New(Config{Datapath: &nullDP{}})
	c := newConn(s, nullConn{}, false)
	c.st.version = Version13
	c.st.async = defaultAsync(Version13)
	l := []*conn{c}
	s.list.Store(&l)
	pi := &pipeline.PacketIn{Reason: 1, Data: make([]byte, 128), MaxLen: 0xffff}
	pi.Key.SetInPort(3)
	pi.Key.W.Set(packet.FieldReg0, packet.U128{Lo: 9})
	b.ReportAllocs()
	for b.Loop() {
		s.PacketIn(pi)
		m := <-c.out
		c.queued.Add(-int64(len(m)))
	}
}
