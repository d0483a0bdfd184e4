package pipeline

import (
	"bytes"
	"testing"

	"gswitch/packet"
)

// owningSender records outputs as fakeSender does and takes packets over
// (OwningSender). A packet handed over is poisoned at once (its frame and
// key overwritten), so any later use of it by the pipeline shows in what is
// recorded after, or in the packet-ins.
type owningSender struct {
	fakeSender
	owned []*packet.Packet
}

func (s *owningSender) OutputOwned(port uint32, pk *packet.Packet) {
	s.out = append(s.out, sent{port, append([]byte(nil), pk.Data...), pk.Key, pk.Tun})
	s.owned = append(s.owned, pk)
	for i := range pk.Data {
		pk.Data[i] = 0xee
	}
	for i := range pk.Key.W {
		pk.Key.W[i] = 0xeeeeeeeeeeeeeeee
	}
}

// The last output of a packet hands it over; every other output, and the
// outputs of a flow whose packet goes on (more actions, the action set, a
// resubmit's caller, a clone, a group), copies. Each case checks what each
// port got (a poisoned packet would show) and how many were handed over.
func TestHandOverLastOutput(t *testing.T) {
	tos := func(f []byte) []byte { // f with ip_dscp 46
		pk := packet.New(f)
		packet.Parse(pk)
		pk.SetField(packet.FieldIPDSCP, packet.U128{Lo: 46}, packet.Ones(6))
		return pk.Data
	}
	dscp := SetField{Field: packet.FieldIPDSCP, Value: packet.U128{Lo: 46}, Mask: packet.Ones(6)}
	type flowSet []FlowSpec
	any0 := ipMatch()
	cases := []struct {
		name   string
		flows  flowSet
		write  []Action // table 0's write_actions
		outs   []uint32 // ports, in order, per packet
		mod    []bool   // which of outs carries the dscp rewrite
		handed int      // per packet
		pins   int      // packet-ins per packet
	}{
		{name: "output", flows: flowSet{spec(0, 1, any0, Output{Port: 2})}, outs: []uint32{2}, mod: []bool{false}, handed: 1},
		{name: "two outputs", flows: flowSet{spec(0, 1, any0, Output{Port: 2}, Output{Port: 3})},
			outs: []uint32{2, 3}, mod: []bool{false, false}, handed: 1},
		{name: "rewrite between", flows: flowSet{spec(0, 1, any0, Output{Port: 2}, dscp, Output{Port: 3})},
			outs: []uint32{2, 3}, mod: []bool{false, true}, handed: 1},
		{name: "packet-in after", flows: flowSet{spec(0, 1, any0, Output{Port: 2}, Controller{MaxLen: 0xffff})},
			outs: []uint32{2}, mod: []bool{false}, pins: 1},
		{name: "resubmit's caller goes on", flows: flowSet{
			spec(0, 1, any0, Resubmit{InPort: PortInPort, Table: 1}, dscp, Output{Port: 3}),
			spec(1, 1, any0, Output{Port: 2})},
			outs: []uint32{2, 3}, mod: []bool{false, true}, handed: 1},
		{name: "resubmit at the end", flows: flowSet{
			spec(0, 1, any0, Resubmit{InPort: PortInPort, Table: 1}),
			spec(1, 1, any0, Output{Port: 2})},
			outs: []uint32{2}, mod: []bool{false}, handed: 1},
		{name: "action set after", flows: flowSet{spec(0, 1, any0, Output{Port: 2})}, write: []Action{dscp, Output{Port: 3}},
			outs: []uint32{2, 3}, mod: []bool{false, true}, handed: 1},
		{name: "action set from an earlier table", flows: flowSet{
			{Table: 0, Priority: 1, Match: any0, Inst: Instructions{Write: []Action{dscp, Output{Port: 3}}, HasWrite: true, GotoTable: 1}},
			spec(1, 1, Match{}, Output{Port: 2})},
			outs: []uint32{2, 3}, mod: []bool{false, true}, handed: 1},
		{name: "clone", flows: flowSet{spec(0, 1, any0, Clone{Actions: []Action{Output{Port: 2}}}, dscp, Output{Port: 3})},
			outs: []uint32{2, 3}, mod: []bool{false, true}, handed: 1},
		{name: "clone with ct recirculation", flows: flowSet{
			spec(0, 1, any0, Clone{Actions: []Action{CT{Table: 1, ZoneSrc: Subfield{Field: packet.FieldInvalid}}}}, dscp, Output{Port: 3}),
			spec(1, 1, any0, Output{Port: 2})},
			outs: []uint32{2, 3}, mod: []bool{false, true}, handed: 1},
		{name: "ct recirculation", flows: flowSet{
			spec(0, 1, any0, CT{Flags: CTCommit, Table: 1, ZoneSrc: Subfield{Field: packet.FieldInvalid}}),
			spec(1, 1, any0, Output{Port: 2})},
			outs: []uint32{2}, mod: []bool{false}, handed: 1},
		{name: "flood", flows: flowSet{spec(0, 1, any0, Output{Port: PortFlood})}, outs: []uint32{2, 3}, mod: []bool{false, false}},
		{name: "in_port", flows: flowSet{spec(0, 1, any0, dscp, Output{Port: PortInPort})}, outs: []uint32{1}, mod: []bool{true}, handed: 1},
	}
	frames := batchFrames(3)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &owningSender{fakeSender: fakeSender{record: true}}
			pi := &fakePI{}
			d := New(Config{Sender: s, PacketIn: pi, Tracker: &fakeTracker{}})
			d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}, {No: 3, Up: true}})
			for _, f := range c.flows {
				if f.Table == 0 && c.write != nil {
					f.Inst.Write, f.Inst.HasWrite = c.write, true
				}
				add(t, d, f)
			}
			b := mkBatch(1, frames...)
			pkts := append([]*packet.Packet(nil), b.Pkts...)
			d.ProcessOwned(b)
			if len(s.out) != len(c.outs)*len(frames) {
				t.Fatalf("%d outputs %v, want %d", len(s.out), s.ports(), len(c.outs)*len(frames))
			}
			// Outputs come per packet or per port; match each packet's
			// outputs by content.
			for i, f := range frames {
				for j, port := range c.outs {
					want := f
					if c.mod[j] {
						want = tos(f)
					}
					found := false
					for _, o := range s.out {
						if o.port == port && bytes.Equal(o.data, want) {
							found = true
						}
					}
					if !found {
						t.Errorf("packet %d: no intact output to %d", i, port)
					}
				}
			}
			if len(pi.pis) != c.pins*len(frames) {
				t.Errorf("%d packet-ins, want %d", len(pi.pis), c.pins*len(frames))
			}
			for _, p := range pi.pis {
				if p.Data[0] == 0xee {
					t.Errorf("packet-in of a handed-over packet: %x", p.Data[:16])
				}
			}
			if len(s.owned) != c.handed*len(frames) {
				t.Errorf("%d handed over, want %d", len(s.owned), c.handed*len(frames))
			}
			for i, pk := range b.Pkts {
				if handed := pk == nil; handed != (c.handed > 0) {
					t.Errorf("slot %d nil %v, want %v", i, handed, c.handed > 0)
				}
				if pk == nil && !containsPkt(s.owned, pkts[i]) {
					t.Errorf("slot %d emptied but its packet was not handed over", i)
				}
			}
			if got := d.Counters()["datapath_output_handed_over"]; got != uint64(len(s.owned)) {
				t.Errorf("datapath_output_handed_over %d, want %d", got, len(s.owned))
			}
		})
	}
}

func containsPkt(l []*packet.Packet, pk *packet.Packet) bool {
	for _, x := range l {
		if x == pk {
			return true
		}
	}
	return false
}

// Process (not ProcessOwned) never hands a packet over, and a Sender that
// cannot own packets gets copies from ProcessOwned too.
func TestHandOverOnlyWhenAsked(t *testing.T) {
	s := &owningSender{fakeSender: fakeSender{record: true}}
	d := New(Config{Sender: s})
	add(t, d, spec(0, 1, Match{}, Output{Port: 2}))
	b := mkBatch(1, batchFrames(4)...)
	d.Process(b)
	if len(s.owned) != 0 || len(s.out) != 4 {
		t.Fatalf("Process: %d handed over, %d outputs", len(s.owned), len(s.out))
	}
	for i, pk := range b.Pkts {
		if pk == nil {
			t.Fatalf("Process emptied slot %d", i)
		}
	}
	f := &fakeSender{record: true}
	d2 := New(Config{Sender: f})
	add(t, d2, spec(0, 1, Match{}, Output{Port: 2}))
	b = mkBatch(1, batchFrames(4)...)
	d2.ProcessOwned(b)
	if len(f.out) != 4 {
		t.Fatalf("ProcessOwned with a plain Sender: %d outputs", len(f.out))
	}
	for i, pk := range b.Pkts {
		if pk == nil {
			t.Fatalf("ProcessOwned with a plain Sender emptied slot %d", i)
		}
	}
}
