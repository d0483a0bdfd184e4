package nxm

import (
	"fmt"
	"reflect"
	"testing"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/pipeline"
)

// decodeCapture decodes the capture of flow (exact text) into match and
// instructions (OpenFlow 1.0 actions land in Apply).
func decodeCapture(t *testing.T, proto, flow string) (pipeline.Match, pipeline.Instructions) {
	t.Helper()
	for _, c := range loadCaptures(t) {
		if c.proto != proto || c.flow != flow {
			continue
		}
		var m pipeline.Match
		var in pipeline.Instructions
		var err error
		switch c.kind {
		case "oxm":
			if m, _, err = DecodeOXMMatch(c.match); err == nil {
				in, err = DecodeInstructions(c.rest)
			}
		case "nxm", "of10":
			if c.kind == "nxm" {
				m, err = DecodeNXMatch(c.match)
			} else {
				m, err = DecodeOF10Match(c.match)
			}
			if err == nil {
				in.Apply, err = DecodeActions(Version10, c.rest)
			}
		}
		if err != nil {
			t.Fatalf("%s %s: %v", proto, flow, err)
		}
		return m, in
	}
	t.Fatalf("no capture for %s %s", proto, flow)
	return pipeline.Match{}, pipeline.Instructions{}
}

func ip4(a, b, c, d byte) [16]byte { return [16]byte{a, b, c, d} }

// TestDecodedModel checks what some captured flows mean, field by field.
func TestDecodedModel(t *testing.T) {
	both := []string{"OpenFlow13", "of10"}
	for _, proto := range both {
		m, in := decodeCapture(t, proto, "table=1,priority=100,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),output:2")
		var want pipeline.Match
		want.SetExact(packet.FieldInPort, u(1))
		want.SetExact(packet.FieldEthType, u(packet.EthTypeIPv4))
		want.Set(packet.FieldCtState, u(uint64(packet.CsTrk|packet.CsNew)), u(uint64(packet.CsTrk|packet.CsNew)))
		if m != want {
			t.Errorf("%s firewall match differs", proto)
		}
		wantActs := []pipeline.Action{
			pipeline.CT{Flags: pipeline.CTCommit, Table: pipeline.NoTable, Params: ct.Params{Commit: true}},
			pipeline.Output{Port: 2},
		}
		if !reflect.DeepEqual(in.Apply, wantActs) {
			t.Errorf("%s firewall actions: %+v", proto, in.Apply)
		}
	}

	_, in := decodeCapture(t, "OpenFlow13", "ip,actions=ct(zone=NXM_NX_REG0[0..15],table=2)")
	if c := in.Apply[0].(pipeline.CT); c.ZoneSrc != (pipeline.Subfield{Field: packet.FieldReg0, NBits: 16}) || c.Table != 2 {
		t.Errorf("ct zone=reg0: %+v", c)
	}
	_, in = decodeCapture(t, "OpenFlow13", "ip,actions=ct(commit,exec(set_field:0x5/0xf->ct_mark))")
	if p := in.Apply[0].(pipeline.CT).Params; !p.SetMark || p.Mark != 5 || p.MarkMask != 0xf {
		t.Errorf("ct exec mark: %+v", p)
	}
	_, in = decodeCapture(t, "of10", "ip,actions=ct(commit,exec(set_field:0x112233445566778899aabbccddeeff00->ct_label))")
	if p := in.Apply[0].(pipeline.CT).Params; !p.SetLabel || p.Label != (packet.U128{Hi: 0x1122334455667788, Lo: 0x99aabbccddeeff00}) || p.LabelMask != packet.Ones(128) {
		t.Errorf("ct exec label (two reg_loads in OpenFlow 1.0): %+v", p)
	}
	_, in = decodeCapture(t, "OpenFlow13", "ip,actions=ct(commit,nat(src=203.0.113.1-203.0.113.2:1000-2000))")
	wantNAT := ct.NAT{Flags: ct.NATSrc, RangePresent: ct.NATRangeIPv4Min | ct.NATRangeIPv4Max | ct.NATRangeProtoMin | ct.NATRangeProtoMax,
		AddrMin: ip4(203, 0, 113, 1), AddrMax: ip4(203, 0, 113, 2), PortMin: 1000, PortMax: 2000}
	if p := in.Apply[0].(pipeline.CT).Params; p.NAT == nil || *p.NAT != wantNAT {
		t.Errorf("nat v4: %+v", p.NAT)
	}
	_, in = decodeCapture(t, "OpenFlow13", "ipv6,actions=ct(commit,nat(dst=[2001:db8::1]:80))")
	want6 := ct.NAT{Flags: ct.NATDst, RangePresent: ct.NATRangeIPv6Min | ct.NATRangeProtoMin,
		AddrMin: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}, PortMin: 80}
	if p := in.Apply[0].(pipeline.CT).Params; p.NAT == nil || *p.NAT != want6 {
		t.Errorf("nat v6: %+v", p.NAT)
	}
	_, in = decodeCapture(t, "OpenFlow13", "ip,actions=ct(commit,nat(src=203.0.113.1-203.0.113.9,persistent,random))")
	if n := in.Apply[0].(pipeline.CT).Params.NAT; n.Flags != ct.NATSrc|ct.NATPersistent|ct.NATRandom {
		t.Errorf("nat flags %#x", n.Flags)
	}
	_, in = decodeCapture(t, "OpenFlow13", "udp,actions=ct(commit,table=3,zone=7,alg=tftp,exec(set_field:3->ct_mark),nat(src=203.0.113.1))")
	if p := in.Apply[0].(pipeline.CT).Params; p.Zone != 7 || p.Alg != ct.AlgTFTP || p.Mark != 3 || p.NAT == nil || !p.Commit {
		t.Errorf("ct full: %+v", p)
	}
	_, in = decodeCapture(t, "OpenFlow13", "ip,ct_state=+trk+est,actions=resubmit(,4,ct)")
	if r := in.Apply[0].(pipeline.Resubmit); r.InPort != pipeline.PortInPort || r.Table != 4 || !r.CT {
		t.Errorf("resubmit ct: %+v", r)
	}
	_, in = decodeCapture(t, "OpenFlow13", "actions=output:NXM_NX_REG1[0..15]")
	if o := in.Apply[0].(pipeline.OutputReg); o.Src != (pipeline.Subfield{Field: packet.FieldReg1, NBits: 16}) {
		t.Errorf("output reg: %+v", o)
	}
	_, in = decodeCapture(t, "OpenFlow13", "ip,actions=dec_ttl(1,2)")
	if d := in.Apply[0].(pipeline.DecTTL); !reflect.DeepEqual(d.ControllerIDs, []uint16{1, 2}) {
		t.Errorf("dec_ttl: %+v", d)
	}
	_, in = decodeCapture(t, "OpenFlow13", "actions=controller(reason=invalid_ttl,id=2,userdata=aa.bb,pause)")
	if c := in.Apply[0].(pipeline.Controller); c.Reason != 2 || c.ControllerID != 2 || !c.Pause || string(c.UserData) != "\xaa\xbb" || c.MaxLen != 0xffff {
		t.Errorf("controller2: %+v", c)
	}
	_, in = decodeCapture(t, "OpenFlow13", "actions=conjunction(10,2/2),conjunction(11,1/3),note:ff")
	if c := in.Apply[0].(pipeline.Conjunction); c != (pipeline.Conjunction{ID: 10, Clause: 1, NClauses: 2}) {
		t.Errorf("conjunction: %+v", c)
	}
	_, in = decodeCapture(t, "OpenFlow13", "actions=output:1,clear_actions,write_actions(set_field:2->reg0,output:3),write_metadata:0x5/0x7,goto_table:4")
	if !in.ClearActions || len(in.Write) != 2 || !in.WriteMetadata || in.Metadata != 5 || in.MetadataMask != 7 || in.GotoTable != 4 {
		t.Errorf("instructions: %+v", in)
	}

	// VLAN matches mean the same in both versions.
	for _, flow := range []string{"dl_vlan=10,actions=drop", "dl_vlan=10,dl_vlan_pcp=3,actions=drop", "vlan_tci=0x1000/0x1000,actions=drop"} {
		t.Run(flow, func(t *testing.T) {
			m13, _ := decodeCapture(t, "OpenFlow13", flow)
			m10, _ := decodeCapture(t, "of10", flow)
			if m13 != m10 {
				t.Errorf("%s: OpenFlow 1.3 tci %#x/%#x, 1.0 tci %#x/%#x", flow,
					m13.Value.VlanTCI(), m13.Mask.VlanTCI(), m10.Value.VlanTCI(), m10.Mask.VlanTCI())
			}
		})
	}
	m, _ := decodeCapture(t, "of10", "dl_vlan=0xffff,actions=drop")
	if m.Value.VlanTCI() != 0 || m.Mask.VlanTCI() != 0xffff {
		t.Errorf("no-VLAN match: %#x/%#x", m.Value.VlanTCI(), m.Mask.VlanTCI())
	}
	for _, proto := range both {
		m, _ := decodeCapture(t, proto, "in_port=LOCAL,actions=drop")
		if v, _ := m.Get(packet.FieldInPort); v.Lo != uint64(pipeline.PortLocal) {
			t.Errorf("%s in_port=LOCAL: %#x", proto, v.Lo)
		}
	}
	// OpenFlow 1.0 set actions and their OpenFlow 1.3 set_field equivalents.
	m10, in10 := decodeCapture(t, "of10", "tcp,actions=mod_tp_src:1,mod_tp_dst:2")
	if sf := in10.Apply[0].(pipeline.SetField); sf.Field != packet.FieldTCPSrc || sf.Value.Lo != 1 || sf.Wire != WireOF10TpSrc {
		t.Errorf("mod_tp_src: %+v", sf)
	}
	b, err := EncodeFlowActions(Version13, &m10, in10.Apply)
	if err != nil {
		t.Fatal(err)
	}
	_, in13 := decodeCapture(t, "OpenFlow13", "tcp,actions=mod_tp_src:1,mod_tp_dst:2")
	b13, _ := EncodeActions(Version13, in13.Apply)
	if string(b) != string(b13) {
		t.Errorf("OpenFlow 1.0 mod_tp_* encoded for 1.3: %x, ovs-ofctl sends %x", b, b13)
	}
}

// OpenFlow 1.0 mod_tp_dst/mod_tp_src sent to OpenFlow 1.3 peers in flow
// stats, by the flow's nw_proto as OVS 3.1 dumps them (-O OpenFlow13
// dump-flows of flows added over OpenFlow 1.0):
//
//	priority=9,udp actions=set_field:80->udp_dst
//	priority=10,sctp actions=set_field:80->sctp_dst
//	priority=8 actions=mod_tp_dst:80
//	priority=7,ip actions=mod_tp_dst:80,mod_tp_src:81,set_field:1->ip_dscp
func TestEncodeFlowActionsL4Proto(t *testing.T) {
	dst := pipeline.SetField{Field: packet.FieldTCPDst, Value: u(80), Mask: u(0xffff), Wire: WireOF10TpDst}
	src := pipeline.SetField{Field: packet.FieldTCPSrc, Value: u(81), Mask: u(0xffff), Wire: WireOF10TpSrc}
	proto := func(p uint64) *pipeline.Match {
		m := &pipeline.Match{}
		m.SetExact(packet.FieldEthType, u(packet.EthTypeIPv4))
		if p != 0 {
			m.SetExact(packet.FieldNwProto, u(p))
		}
		return m
	}
	setField := func(f packet.FieldID, v uint64) []byte {
		b, err := EncodeActions(Version13, []pipeline.Action{pipeline.SetField{Field: f, Value: u(v), Mask: u(0xffff)}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	raw := func(typ uint16, v uint16) []byte { return act(typ, fmt.Sprintf("%04x", v)) }
	for _, tc := range []struct {
		name string
		m    *pipeline.Match
		want []byte
	}{
		{"no match", &pipeline.Match{}, cat(raw(10, 80), raw(9, 81))},
		{"ip", proto(0), cat(raw(10, 80), raw(9, 81))},
		{"icmp", proto(1), cat(raw(10, 80), raw(9, 81))},
		{"tcp", proto(6), cat(setField(packet.FieldTCPDst, 80), setField(packet.FieldTCPSrc, 81))},
		{"udp", proto(17), cat(setField(packet.FieldUDPDst, 80), setField(packet.FieldUDPSrc, 81))},
		{"sctp", proto(132), cat(setField(packet.FieldSCTPDst, 80), setField(packet.FieldSCTPSrc, 81))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acts := []pipeline.Action{dst, src}
			got, err := EncodeFlowActions(Version13, tc.m, acts)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if string(got) != string(tc.want) {
				t.Errorf("%s: encoded %x, want %x", tc.name, got, tc.want)
			}
			in := pipeline.Instructions{Apply: acts, HasApply: true, GotoTable: -1}
			gotIn, err := EncodeFlowInstructions(tc.m, &in)
			if err != nil || string(gotIn[8:]) != string(tc.want) {
				t.Errorf("%s: instructions %x (%v), want apply-actions %x", tc.name, gotIn, err, tc.want)
			}
			if acts[0] != dst || acts[1] != src {
				t.Fatalf("%s: the caller's actions were changed", tc.name)
			}
			// OpenFlow 1.0 keeps mod_tp_* whatever the match.
			if got, _ := EncodeFlowActions(Version10, tc.m, acts); string(got) != string(cat(raw(10, 80), raw(9, 81))) {
				t.Errorf("%s: OpenFlow 1.0 encoding %x", tc.name, got)
			}
		})
	}
}
