package ofproto

import (
	"encoding/binary"
	"testing"
	"time"

	"gswitch/nxm"
	"gswitch/ofproto/oftest"
	"gswitch/packet"
	"gswitch/pipeline"
)

// setMissSendLen makes a service connection receive asynchronous messages.
func setMissSendLen(t *testing.T, p *oftest.Peer) {
	t.Helper()
	p.Send(oftest.Message(p.Version, TypeSetConfig, p.NextXid(), []byte{0, 0, 0xff, 0xff}))
	if err := p.Barrier(); err != nil {
		t.Fatal(err)
	}
}

// recvType reads messages until one of type typ (or times out).
func recvType(p *oftest.Peer, typ uint8, d time.Duration) []byte {
	p.Timeout = d
	defer func() { p.Timeout = 5 * time.Second }()
	for {
		b, err := p.Recv()
		if err != nil {
			return nil
		}
		if b[1] == typ {
			return b
		}
	}
}

func TestPacketInRouting(t *testing.T) {
	env := newTestServer(t, nil)
	quiet := dial(t, env, 4, 0) // service connection, miss_send_len 0
	of13 := dial(t, env, 4, 0)
	of10 := dial(t, env, 1, 0)
	slave := dial(t, env, 4, 0)
	ctl5 := dial(t, env, 4, 0)
	for _, p := range []*oftest.Peer{of13, of10, slave, ctl5} {
		setMissSendLen(t, p)
	}
	body := make([]byte, 16)
	binary.BigEndian.PutUint32(body, roleSlave)
	if _, err := slave.Request(oftest.Message(4, Type13RoleRequest, 0, body)); err != nil {
		t.Fatal(err)
	}
	ctl5.Send(oftest.Message(4, TypeVendor, ctl5.NextXid(), []byte{0, 0, 0x23, 0x20, 0, 0, 0, NXTSetControllerID, 0, 0, 0, 0, 0, 0, 0, 5}))
	ctl5.Barrier()

	frame := make([]byte, 60)
	pi := &pipeline.PacketIn{Reason: 1, TableID: 3, Cookie: 0x77, Data: frame, MaxLen: 0xffff}
	pi.Key.SetInPort(2)
	env.srv.PacketIn(pi)

	if b := recvType(of13, TypePacketIn, time.Second); b == nil || len(b) < 32 {
		t.Fatal("OF1.3 connection got no packet-in")
	} else if b[14] != 1 || b[15] != 3 || binary.BigEndian.Uint64(b[16:]) != 0x77 || len(b) != 34+len(frame)+8 {
		// header 8 + buffer 4 + total_len 2 + reason + table + cookie 8 +
		// match (in_port: 4+8 → 16) + pad 2 + data.
		t.Logf("OF1.3 packet-in % x", b)
	}
	if b := recvType(of10, TypePacketIn, time.Second); b == nil || binary.BigEndian.Uint16(b[14:]) != 2 || b[16] != 1 || len(b) != 18+len(frame) {
		t.Fatalf("OF1.0 packet-in % x", b)
	}
	for name, p := range map[string]*oftest.Peer{"service": quiet, "slave": slave, "controller-id 5": ctl5} {
		t.Run(name, func(t *testing.T) {
			if b := recvType(p, TypePacketIn, 100*time.Millisecond); b != nil {
				t.Fatalf("%s connection got a packet-in", name)
			}
		})
	}
	// A packet-in for controller 5 goes only there.
	pi.ControllerID = 5
	env.srv.PacketIn(pi)
	if recvType(ctl5, TypePacketIn, time.Second) == nil {
		t.Fatal("controller 5 got nothing")
	}
	if recvType(of13, TypePacketIn, 100*time.Millisecond) != nil {
		t.Fatal("controller 0 got controller 5's packet-in")
	}
	// The async config can turn reason ACTION off.
	off := make([]byte, 24)
	off[3] = 1 // packet-in master: only NO_MATCH
	for i := 8; i < 24; i += 4 {
		off[i+3] = 7
	}
	of13.Send(oftest.Message(4, Type13SetAsync, of13.NextXid(), off))
	of13.Barrier()
	pi.ControllerID = 0
	env.srv.PacketIn(pi)
	if recvType(of13, TypePacketIn, 100*time.Millisecond) != nil {
		t.Fatal("packet-in despite async config")
	}
	// The OF1.0 connection sees a table-miss flow's packet-in as ACTION.
	pi.Reason, pi.TableMiss = 0, true
	env.srv.PacketIn(pi)
	if b := recvType(of10, TypePacketIn, time.Second); b == nil || b[16] != 1 {
		t.Fatalf("OF1.0 explicit miss % x", b)
	}
	// An OF1.3 connection sees it as NO_MATCH, also when it is a service
	// connection (ptcp:), as OVS 3.1 does; its async config (above) lets
	// NO_MATCH through.
	if b := recvType(of13, TypePacketIn, time.Second); b == nil || b[14] != 0 {
		t.Fatalf("OF1.3 explicit miss % x", b)
	}
}

func TestFlowRemoved(t *testing.T) {
	env := newTestServer(t, nil)
	of13 := dial(t, env, 4, 0)
	of10 := dial(t, env, 1, 0)
	nxm := dial(t, env, 1, 0)
	for _, p := range []*oftest.Peer{of13, of10, nxm} {
		setMissSendLen(t, p)
	}
	nxm.Send(oftest.Message(1, TypeVendor, nxm.NextXid(), []byte{0, 0, 0x23, 0x20, 0, 0, 0, NXTSetFlowFormat, 0, 0, 0, 2}))
	nxm.Barrier()
	fr := &pipeline.FlowRemoved{Reason: pipeline.RemovedIdleTimeout, Now: 3_500_000_000,
		Stats: pipeline.FlowStats{Spec: pipeline.FlowSpec{Table: 2, Priority: 9, Cookie: 0xc, IdleTimeout: 3}, Packets: 5, Bytes: 300, Created: 1_000_000_000}}
	env.srv.FlowRemoved(fr)
	b := recvType(of13, TypeFlowRemoved, time.Second)
	if b == nil || binary.BigEndian.Uint64(b[8:]) != 0xc || binary.BigEndian.Uint16(b[16:]) != 9 || b[18] != 0 || b[19] != 2 ||
		binary.BigEndian.Uint32(b[20:]) != 2 || binary.BigEndian.Uint32(b[24:]) != 500_000_000 ||
		binary.BigEndian.Uint64(b[32:]) != 5 || binary.BigEndian.Uint64(b[40:]) != 300 {
		t.Fatalf("OF1.3 flow removed % x", b)
	}
	b = recvType(of10, TypeFlowRemoved, time.Second)
	if b == nil || len(b) != 88 || binary.BigEndian.Uint64(b[48:]) != 0xc {
		t.Fatalf("OF1.0 flow removed % x", b)
	}
	b = recvType(nxm, TypeVendor, time.Second)
	if b == nil || binary.BigEndian.Uint32(b[12:]) != NXTFlowRemoved || b[27] != 3 /* table+1 */ {
		t.Fatalf("NXT_FLOW_REMOVED % x", b)
	}
	// GROUP_DELETE is not an OpenFlow 1.0 reason: OpenFlow 1.0
	// connections' default mask (OVS's OFPRR10_BITS) leaves it out.
	fr.Reason = pipeline.RemovedGroupDelete
	env.srv.FlowRemoved(fr)
	if b = recvType(of13, TypeFlowRemoved, time.Second); b == nil || b[18] != 3 {
		t.Fatalf("group delete % x", b)
	}
	if b = recvType(nxm, TypeVendor, 100*time.Millisecond); b != nil {
		t.Fatalf("NX group delete % x", b)
	}
}

// An OpenFlow 1.0 controller without NXM gets a flow-removed for a flow
// whose match ofp10_match cannot express, with what it cannot express
// dropped (OVS's lossy ofputil_match_to_ofp10_match), not nothing.
func TestFlowRemovedOF10LossyMatch(t *testing.T) {
	var fr pipeline.FlowRemoved
	fr.Stats.Spec.Match.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv6})
	fr.Stats.Spec.Match.SetExact(packet.FieldIPv6Src, packet.U128{Hi: 0x20010db800000000, Lo: 1})
	fr.Stats.Spec.Priority = 7
	fr.Reason = pipeline.RemovedIdleTimeout
	b := encodeFlowRemoved(Version10, false, &fr)
	if len(b) != 88 || b[1] != TypeFlowRemoved {
		t.Fatalf("OpenFlow 1.0 flow-removed of an IPv6 flow: %x", b)
	}
	want := nxm.AppendOF10MatchLossy(nil, &fr.Stats.Spec.Match)
	if string(b[8:48]) != string(want) || binary.BigEndian.Uint16(b[30:]) != packet.EthTypeIPv6 {
		t.Fatalf("match %x, want %x (ipv6, address dropped)", b[8:48], want)
	}
}
