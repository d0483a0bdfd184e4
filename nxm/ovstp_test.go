package nxm

import (
	"encoding/binary"
	"errors"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

// OpenFlow 1.1's OFPAT_SET_TP_DST (type 10) in an OpenFlow 1.3 flow-mod:
// OVS decodes it (deprecated), accepts it on tcp, udp and sctp flows and
// finds it inconsistent elsewhere. gswitch decodes it, fits it to the
// flow's protocol (FitL4Ports) and its pipeline agrees with OVS.
func TestPrivilegedOVSSetTpDst13(t *testing.T) {
	addr := ovsAddr(t)
	c13 := dialOF(t, addr, 4)
	match := func(proto uint8) []byte {
		b := []byte{0, 1, 0, 0}
		b = append(b, 0x80, 0x00, 0x0a, 0x02, 0x08, 0x00) // eth_type=0x0800
		if proto != 0 {
			b = append(b, 0x80, 0x00, 0x14, 0x01, proto) // ip_proto
		}
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		return b
	}
	setTpDst := act(10, "0050")
	inst := hx("0004 0000 00000000")
	inst = append(inst, setTpDst...)
	binary.BigEndian.PutUint16(inst[2:], uint16(len(inst)))
	for _, proto := range []uint8{packet.ProtoTCP, packet.ProtoUDP, packet.ProtoSCTP, 0, packet.ProtoICMP} {
		m := match(proto)
		typ, code, _, refused := ovsVerdict(t, c13, 14, flowMod13(m, inst))
		ok := !refused
		// gswitch: the codec, then the pipeline's validation.
		gm, _, err := DecodeOXMMatch(m)
		if err != nil {
			t.Fatal(err)
		}
		in, err := DecodeInstructions(inst)
		if err != nil {
			t.Fatalf("proto %d: OFPAT_SET_TP_DST in OpenFlow 1.3: %v", proto, err)
		}
		FitL4Ports(&gm, in.Apply)
		d := pipeline.New(pipeline.Config{})
		gerr := d.FlowMod(&pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
			Spec: pipeline.FlowSpec{Priority: 1, Match: gm, Inst: in}}, 1)
		var pe *pipeline.Error
		switch {
		case ok && gerr != nil:
			t.Errorf("proto %d: OVS accepts it, gswitch says %v", proto, gerr)
		case !ok && !errors.As(gerr, &pe):
			t.Errorf("proto %d: OVS says type %d code %d, gswitch accepts it", proto, typ, code)
		case !ok && (pe.Type != typ || pe.Code != code):
			t.Errorf("proto %d: OVS says type %d code %d, gswitch %v", proto, typ, code, gerr)
		}
		if ok {
			// Dumped back as OVS does: set_field of the flow's protocol.
			fs := d.Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, 1)
			b, err := EncodeFlowActions(Version13, &fs[0].Spec.Match, fs[0].Spec.Inst.Apply)
			if err != nil || len(b) != 16 || binary.BigEndian.Uint16(b) != ofpatSetField {
				t.Errorf("proto %d: dumped as %x (%v), want a set_field", proto, b, err)
			}
		}
	}
}
