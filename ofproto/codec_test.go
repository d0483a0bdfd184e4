package ofproto

import (
	"reflect"
	"testing"

	"gswitch/nxm"
)

// TestCodecsComplete: every codec in codecs has every decoder and encoder,
// except the decoders of requests its version lacks, and a handler for
// every request kind it maps; so a new version's codec cannot leave a
// handler without its wire format.
func TestCodecsComplete(t *testing.T) {
	// The decoders needed only for one request kind.
	onlyFor := map[string]msgKind{
		"decodeGroupMod":            kindGroupMod,
		"decodeRoleRequest":         kindRoleRequest,
		"encodeGetAsyncReply":       kindGetAsyncRequest,
		"decodeSetAsync":            kindSetAsync,
		"decodeTableMod":            kindTableMod,
		"decodeQueueGetConfig":      kindQueueGetConfigRequest,
		"encodeQueueGetConfigReply": kindQueueGetConfigRequest,
	}
	for v, cd := range codecs {
		if cd == nil {
			continue
		}
		if int(cd.version) != v {
			t.Errorf("codecs[%d] is version %d", v, cd.version)
		}
		has := map[msgKind]bool{}
		for typ, k := range cd.requests {
			if k == kindNone {
				continue
			}
			has[k] = true
			if int(k) >= len(requestHandlers) || requestHandlers[k].fn == nil {
				t.Errorf("version %d: type %d is kind %d, which has no handler", v, typ, k)
			}
		}
		rv := reflect.ValueOf(cd).Elem()
		for i := 0; i < rv.NumField(); i++ {
			f, name := rv.Field(i), rv.Type().Field(i).Name
			if f.Kind() != reflect.Func && f.Kind() != reflect.Map {
				continue
			}
			if k, ok := onlyFor[name]; ok && !has[k] {
				continue
			}
			if f.IsNil() {
				t.Errorf("version %d: codec.%s is nil", v, name)
			}
		}
		for typ, h := range cd.stats {
			if h == nil {
				t.Errorf("version %d: stats type %d has a nil handler", v, typ)
			}
		}
	}
	if bm := versionBitmap(); bm != 1<<Version10|1<<Version13|1<<Version15 {
		t.Errorf("version bitmap %#x", bm)
	}
}

// TestDecodersAgree: the same request in OpenFlow 1.0 and 1.3 decodes to
// the same version-independent value.
func TestDecodersAgree(t *testing.T) {
	hdr := func(v, typ uint8, body ...[]byte) []byte {
		m := newMsg(v, typ, 7, 0)
		for _, b := range body {
			m.bytes(b)
		}
		return m.done()
	}
	be := func(f func(m *msg)) []byte { m := &msg{}; f(m); return m.b }
	hw := []byte{2, 0, 0, 0, 0, 1}

	pm10, err10 := codec10.decodePortMod(hdr(Version10, Type10PortMod, be(func(m *msg) {
		m.u16(1).bytes(hw).u32(PortConfigDown).u32(PortConfigDown).u32(0x1).zeros(4)
	})))
	pm13, err13 := codec13.decodePortMod(hdr(Version13, Type13PortMod, be(func(m *msg) {
		m.u32(1).zeros(4).bytes(hw).zeros(2).u32(PortConfigDown).u32(PortConfigDown).u32(0x1).zeros(4)
	})))
	if err10 != nil || err13 != nil || !reflect.DeepEqual(pm10, pm13) {
		t.Errorf("port-mod: 1.0 %+v %v, 1.3 %+v %v", pm10, err10, pm13, err13)
	}

	frame := []byte{1, 2, 3}
	po10, err10 := codec10.decodePacketOut(hdr(Version10, TypePacketOut, be(func(m *msg) {
		m.u32(noBuffer).u16(0xfffd).u16(8).u16(0).u16(8).u16(2).u16(0).bytes(frame) // in_port CONTROLLER, output:2
	})), nil)
	po13, err13 := codec13.decodePacketOut(hdr(Version13, TypePacketOut, be(func(m *msg) {
		m.u32(noBuffer).u32(0xfffffffd).u16(16).zeros(6).u16(0).u16(16).u32(2).u16(0).zeros(6).bytes(frame)
	})), nil)
	if err10 != nil || err13 != nil || !reflect.DeepEqual(po10, po13) {
		t.Errorf("packet-out: 1.0 %+v %v, 1.3 %+v %v", po10, err10, po13, err13)
	}

	ff10, err10 := codec10.decodeFlowStatsRequest(be(func(m *msg) {
		m.u32(0x3fffff).zeros(36).u8(0xff).u8(0).u16(0xffff) // all wildcards, all tables, OFPP_NONE
	}), nil)
	ff13, err13 := codec13.decodeFlowStatsRequest(be(func(m *msg) {
		m.u8(0xff).zeros(3).u32(0xffffffff).u32(0xffffffff).zeros(4).u64(0).u64(0)
		m.u16(1).u16(4).zeros(4) // an empty OXM match
	}), nil)
	if err10 != nil || err13 != nil || !reflect.DeepEqual(ff10, ff13) {
		t.Errorf("flow stats request: 1.0 %+v %v, 1.3 %+v %v", ff10, err10, ff13, err13)
	}

	for _, port := range []uint32{1, 0xfffffffe} {
		p16, _ := nxm.PortTo16(port)
		q10, err10 := codec10.decodeQueueGetConfig(hdr(Version10, Type10QueueGetConfig, be(func(m *msg) { m.u16(p16).zeros(2) })))
		q13, err13 := codec13.decodeQueueGetConfig(hdr(Version13, Type13QueueGetConfig, be(func(m *msg) { m.u32(port).zeros(4) })))
		if err10 != nil || err13 != nil || q10 != port || q13 != port {
			t.Errorf("queue get config %#x: 1.0 %#x %v, 1.3 %#x %v", port, q10, err10, q13, err13)
		}
		s10, err10 := codec10.decodePortStatsRequest(be(func(m *msg) { m.u16(p16).zeros(6) }))
		s13, err13 := codec13.decodePortStatsRequest(be(func(m *msg) { m.u32(port).zeros(4) }))
		if err10 != nil || err13 != nil || s10 != port || s13 != port {
			t.Errorf("port stats request %#x: 1.0 %#x %v, 1.3 %#x %v", port, s10, err10, s13, err13)
		}
	}
}
