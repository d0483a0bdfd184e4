package tests

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/contiv/libOpenflow/common"
	"github.com/contiv/libOpenflow/openflow13"

	"gswitch/ofproto"
	"gswitch/packet"
	"gswitch/pipeline"
)

// TestLibOpenflowController drives gswitch's OpenFlow server with messages
// built by github.com/contiv/libOpenflow, the controller-side library of the
// design card, where that library is sound: encoding well-formed messages and
// decoding well-formed replies. (The switch never lets it decode untrusted
// bytes; its own framing and codecs do that.)
func TestLibOpenflowController(t *testing.T) {
	dp := pipeline.New(pipeline.Config{})
	srv, err := ofproto.New(ofproto.Config{Datapath: dp, DatapathID: 0x42})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Listen("ptcp:0:127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", srv.Addr(0).String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	send := func(m interface{ MarshalBinary() ([]byte, error) }, xid uint32) {
		t.Helper()
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint32(b[4:8], xid)
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() []byte {
		t.Helper()
		b, err := ofproto.ReadMessage(c, 65535)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	hello, _ := common.NewHello(4)
	send(hello, 1)
	if h := recv(); h[1] != 0 /* OFPT_HELLO */ {
		t.Fatalf("expected HELLO, got type %d", h[1])
	}
	send(openflow13.NewFeaturesRequest(), 2)
	// libOpenflow's SwitchFeatures.UnmarshalBinary panics on a valid 32-byte
	// OpenFlow 1.3 FEATURES_REPLY (it expects 1.0's port list after the
	// fixed part), so only its header decoder is used here.
	b := recv()
	var hdr common.Header
	if err := hdr.UnmarshalBinary(b); err != nil || hdr.Type != openflow13.Type_FeaturesReply || hdr.Xid != 2 || len(b) != 32 {
		t.Fatalf("features reply: %+v err %v len %d", hdr, err, len(b))
	}
	if got := binary.BigEndian.Uint64(b[8:16]); got != 0x42 {
		t.Fatalf("features reply: dpid %#x", got)
	}

	fm := openflow13.NewFlowMod()
	fm.TableId = 0
	fm.Priority = 100
	fm.Match.AddField(*openflow13.NewInPortField(1))
	fm.Match.AddField(*openflow13.NewEthTypeField(0x0800))
	apply := openflow13.NewInstrApplyActions()
	apply.AddAction(openflow13.NewActionOutput(2), false)
	fm.AddInstruction(apply)
	send(fm, 3)
	send(&common.Header{Version: 4, Type: openflow13.Type_BarrierRequest, Length: 8}, 4)
	if r := recv(); r[1] != openflow13.Type_BarrierReply {
		t.Fatalf("expected BARRIER_REPLY after the flow-mod, got type %d: % x", r[1], r)
	}
	flows := dp.Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, 0)
	if len(flows) != 1 {
		t.Fatalf("want 1 flow, got %d", len(flows))
	}
	f := flows[0].Spec
	var want pipeline.Match
	want.SetExact(packet.FieldInPort, packet.U128{Lo: 1})
	want.SetExact(packet.FieldEthType, packet.U128{Lo: 0x0800})
	// libOpenflow's NewActionOutput asks for max_len 256.
	out, ok := f.Inst.Apply[0].(pipeline.Output)
	if f.Priority != 100 || f.Match != want || len(f.Inst.Apply) != 1 || !ok || out.Port != 2 || out.MaxLen != 256 {
		t.Fatalf("flow as installed: %+v", f)
	}
}
