package pipeline

import (
	"testing"

	"gswitch/packet"
)

// byteReader hands out fuzzer bytes (zeros when they run out).
type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) next() byte {
	if r.i >= len(r.b) {
		r.i++
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *byteReader) n(k int) int { return int(r.next()) % k }

func (r *byteReader) action(ip bool) Action {
	switch r.n(16) {
	case 0:
		return Output{Port: []uint32{1, 2, 3, 9, PortInPort, PortFlood, PortAll, PortNormal, PortController, PortLocal, PortTable}[r.n(11)]}
	case 1:
		t := uint8(r.n(5))
		if t == 4 {
			t = NoTable
		}
		return Resubmit{InPort: []uint32{PortInPort, 1, 2}[r.n(3)], Table: t}
	case 2:
		if !ip {
			return Note{}
		}
		t := uint8(r.n(5))
		if t == 4 {
			t = NoTable
		}
		fl := uint16(0)
		if r.n(2) == 0 {
			fl = CTCommit
		}
		return CT{Flags: fl, Table: t, Zone: uint16(r.n(3))}
	case 3:
		return GroupAction{GroupID: uint32(1 + r.n(3))}
	case 4:
		return RegLoad{Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 8}, Value: packet.U128{Lo: uint64(r.next())}}
	case 5:
		return Move{Src: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldReg1, Ofs: 8, NBits: 16}}
	case 6:
		return PushVLAN{EthType: 0x8100}
	case 7:
		return PopVLAN{}
	case 8:
		if ip {
			return DecTTL{ControllerIDs: []uint16{0}}
		}
		return Note{}
	case 9:
		return Exit{}
	case 10:
		return CTClear{}
	case 11:
		return Controller{MaxLen: 64, Reason: ReasonAction}
	case 12:
		if ip {
			return sf(packet.FieldIPv4Dst, uint64(r.next()))
		}
		return sf(packet.FieldEthSrc, uint64(r.next()))
	case 13:
		return sf(packet.FieldInPort, uint64(1+r.n(3)))
	case 14:
		return OutputReg{Src: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 2}}
	}
	return SetQueue{QueueID: 1}
}

// FuzzPipeline installs flows and groups made from the fuzzer's bytes and
// runs frames through them: whatever the flows do (loops of resubmits,
// recirculations, groups calling groups), Process must end without panic.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{1, 0, 9, 2, 2, 1, 0, 3, 3, 3, 3, 1, 1, 1, 1, 4, 0, 0, 2, 2, 2, 2, 2, 2})
	f.Add([]byte("resubmit and ct and groups and vlans, all of them at once please"))
	f.Fuzz(runFuzzPipelineOnce)
}

func runFuzzPipelineOnce(t *testing.T, data []byte) {
	{
		r := &byteReader{b: data}
		e := newEnv(t)
		for g := uint32(1); g <= 3; g++ {
			gs := GroupSpec{ID: g, Type: uint8(r.n(4))}
			nb := 1 + r.n(3)
			if gs.Type == GroupTypeIndirect {
				nb = 1
			}
			for range nb {
				b := Bucket{WatchPort: PortAny, WatchGroup: GroupAny}
				switch gs.Type {
				case GroupTypeSelect:
					b.Weight = uint16(r.n(3))
				case GroupTypeFF:
					b.WatchPort = uint32(1 + r.n(4))
				}
				for range r.n(3) {
					b.Actions = append(b.Actions, r.action(false))
				}
				gs.Buckets = append(gs.Buckets, b)
			}
			e.d.GroupMod(GroupAdd, &gs) // may refuse (e.g. a bucket naming a missing group)
		}
		for range 1 + r.n(12) {
			tbl := uint8(r.n(4))
			ip := r.n(2) == 0
			var m Match
			if ip {
				m = ipMatch()
				if r.n(2) == 0 {
					m.SetExact(packet.FieldNwProto, packet.U128{Lo: 6})
					m.SetExact(packet.FieldTCPDst, packet.U128{Lo: uint64(r.n(3))})
				}
				if r.n(2) == 0 {
					m.Set(packet.FieldCtState, packet.U128{Lo: uint64(r.n(64))}, packet.U128{Lo: uint64(r.n(64))})
				}
			}
			if r.n(2) == 0 {
				m.SetExact(packet.FieldInPort, packet.U128{Lo: uint64(1 + r.n(3))})
			}
			if r.n(3) == 0 {
				m.Set(packet.FieldReg0, packet.U128{Lo: uint64(r.next())}, packet.U128{Lo: uint64(r.next())})
			}
			s := spec(tbl, uint16(r.n(4)), m)
			for range r.n(5) {
				s.Inst.Apply = append(s.Inst.Apply, r.action(ip))
			}
			if r.n(3) == 0 {
				s.Inst.HasWrite = true
				for range r.n(3) {
					s.Inst.Write = append(s.Inst.Write, r.action(ip))
				}
			}
			if r.n(3) == 0 {
				s.Inst.GotoTable = int16(tbl) + 1 + int16(r.n(2))
			}
			e.d.FlowMod(fmod(FlowAdd, s), 1) // may refuse
		}
		frames := [][]byte{tcpFrame(1, 0), tcpFrame(2, 1), arpFrame(), vlanFrame(tcpFrame(3, 2), 5), setTTL(tcpFrame(4, 0), 1)}
		var batch [][]byte
		for range 1 + r.n(8) {
			batch = append(batch, frames[r.n(len(frames))])
		}
		e.send(uint32(1+r.n(3)), batch...)
		for _, o := range e.s.out {
			if len(o.data) < 14 {
				t.Fatalf("sent a %d-byte frame", len(o.data))
			}
		}
	}
}
