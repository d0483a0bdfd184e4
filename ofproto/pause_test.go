package ofproto

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/tests/golden"
)

// testBridge stands for the bridge UUID that the goldens print as <bridge>.
var testBridge = [16]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}

// pauseGolden returns the messages of a tests/golden/pause case: the
// first NXT_PACKET_IN2 received, the NXT_RESUME sent, and what came back
// after it, with <bridge> replaced by testBridge.
func pauseGolden(t testing.TB, name string) (pin, resume []byte, replies [][]byte) {
	t.Helper()
	for _, l := range strings.Split(golden.Load("pause/"+name+".txt"), "\n") {
		dir, h, ok := strings.Cut(l, " ")
		if !ok || (dir != "recv" && dir != "send") {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(h, "<bridge>", hex.EncodeToString(testBridge[:])))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch {
		case dir == "send":
			resume = b
		case pin == nil:
			pin = b
		default:
			replies = append(replies, b)
		}
	}
	return pin, resume, replies
}

func pauseFrame(t testing.TB) []byte {
	b, _ := hex.DecodeString("02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270f000acdd56869")
	return b
}

func sub(f packet.FieldID, ofs, n uint16) pipeline.Subfield {
	return pipeline.Subfield{Field: f, Ofs: ofs, NBits: n}
}

// TestPacketIn2ContinuationGolden: a paused packet's NXT_PACKET_IN2 is the
// one OVS 3.1 sends for the same flows, byte for byte
// (tests/golden/pause, captured by tests/ovsref/capture-pause.sh).
func TestPacketIn2ContinuationGolden(t *testing.T) {
	var k packet.Key
	k.SetInPort(1)
	k.W.SetMasked(packet.FieldReg0, packet.U128{Lo: 5}, packet.U128{Lo: 0xffffffff})
	cases := []struct {
		name string
		key  packet.Key
		ud   []byte
		cont pipeline.Continuation
	}{
		{"basic-unchanged", k, []byte{1, 2}, pipeline.Continuation{
			Actions: []pipeline.ContinuationActions{{Actions: []pipeline.Action{
				pipeline.RegLoad{Dst: sub(packet.FieldReg1, 0, 32), Value: packet.U128{Lo: 7}},
				pipeline.StackPop{Dst: sub(packet.FieldReg2, 0, 16)},
				pipeline.Resubmit{InPort: pipeline.PortInPort, Table: 1}}}},
			Stack: []pipeline.StackEntry{{V: packet.U128{Lo: 5}, B: 2}},
		}},
		{"nested-unchanged", packet.Key{}, nil, pipeline.Continuation{
			Actions: []pipeline.ContinuationActions{
				{Unroll: true, TableID: 3, Cookie: 0x22, Actions: []pipeline.Action{pipeline.DecTTL{ControllerIDs: []uint16{0}},
					pipeline.Resubmit{InPort: pipeline.PortInPort, Table: 4},
					pipeline.RegLoad{Dst: sub(packet.FieldReg3, 0, 32), Value: packet.U128{Lo: 3}}}},
				{Unroll: true, TableID: 1, Cookie: 0x11, Actions: []pipeline.Action{
					pipeline.Controller{MaxLen: 0xffff, Reason: pipeline.ReasonAction, UserData: []byte{0xaa}}}},
			},
			ActionSet: []pipeline.Action{pipeline.Output{Port: 2}},
		}},
	}
	cases[1].key.SetInPort(1)
	for _, c := range cases {
		want, _, _ := pauseGolden(t, c.name)
		pi := &pipeline.PacketIn{Reason: pipeline.ReasonAction, Cookie: ^uint64(0), Key: c.key,
			Data: pauseFrame(t), MaxLen: 0xffff, UserData: c.ud, Cont: &c.cont}
		got := encodePacketIn(Version13, nxPacketInNXT2, pi, pipeline.ReasonAction, testBridge)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, got, want)
		}
	}
}

// TestResumeGolden sends each case's NXT_RESUME (as OVS 3.1 got it) to
// the server and compares the answer with OVS's: an OFPT_ERROR for the
// malformed and stale ones, byte for byte, else none and a resume with
// the continuation decoded.
func TestResumeGolden(t *testing.T) {
	env := newTestServer(t, func(c *Config) { c.BridgeUUID = testBridge })
	for _, name := range []string{"basic-unchanged", "basic-modify", "basic-stale", "basic-badprop",
		"basic-nopacket", "basic-badaction", "nested-unchanged", "lastinner-unchanged", "ovn-unchanged",
		"instr-unchanged", "ct-unchanged"} {
		t.Run(name, func(t *testing.T) {
			_, resume, replies := pauseGolden(t, name)
			var wantErr []byte
			for _, r := range replies {
				if r[1] == TypeError {
					wantErr = r
				}
			}
			// The stale case's NXT_RESUME carries the bridge with its
			// first byte changed (the golden hides both as <bridge>).
			if name == "basic-stale" {
				stale := testBridge
				stale[0] ^= 0xff
				resume = bytes.ReplaceAll(resume, testBridge[:], stale[:])
				wantErr = bytes.ReplaceAll(wantErr, testBridge[:], stale[:])
			}
			n := len(env.dp.resumes)
			got := handleOnce(t, env.srv, Version13, resume)
			switch {
			case wantErr == nil && len(got) != 0:
				t.Fatalf("replies %x, OVS sent none", got)
			case wantErr == nil && len(env.dp.resumes) != n+1:
				t.Fatalf("no resume reached the datapath")
			case wantErr != nil && (len(got) != 1 || !bytes.Equal(got[0], wantErr)):
				t.Fatalf("replies %x\nOVS: %x", got, wantErr)
			}
		})
	}
	r := env.dp.resumes[1] // basic-modify
	if r.meta.Reg(0) != 6 || r.meta.InPort() != 1 || r.frame[11] != 0x99 {
		t.Fatalf("modified resume: reg0 %d in_port %d frame %x", r.meta.Reg(0), r.meta.InPort(), r.frame)
	}
	want := []pipeline.StackEntry{{V: packet.U128{Lo: 5}, B: 2}}
	if !reflect.DeepEqual(r.cont.Stack, want) || len(r.cont.Actions) != 1 || len(r.cont.Actions[0].Actions) != 3 {
		t.Fatalf("continuation %+v", r.cont)
	}
}

// FuzzDecodeResume: any NXT_RESUME body decodes or is refused with an
// OpenFlow error, never a panic, and what it decodes stays within the
// limits.
func FuzzDecodeResume(f *testing.F) {
	for _, name := range []string{"basic-unchanged", "nested-unchanged", "ct-unchanged", "instr-unchanged", "basic-badprop"} {
		_, resume, _ := pauseGolden(f, name)
		f.Add(resume[16:])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > MaxMessageLen {
			return
		}
		r, err := decodeResume(Version13, body)
		if err != nil {
			if _, ok := err.(*pipeline.Error); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if len(r.cont.Stack) > packet.StackDepth || len(r.cont.Actions) > maxResumeActionRuns || len(r.frame) == 0 {
			t.Fatalf("decoded %d stack entries, %d runs, %d-byte frame", len(r.cont.Stack), len(r.cont.Actions), len(r.frame))
		}
	})
}
