package nxm

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

// hx decodes hex with spaces.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// act builds an action: type, then body, with the length set and padded to
// 8 (when pad is true).
func act(typ uint16, body string) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = append(b, 0, 0)
	b = append(b, hx(body)...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// nxa builds a Nicira action with subtype sub.
func nxa(sub uint16, body string) []byte {
	h := hex.EncodeToString(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint32(nil, NXVendorID), sub))
	b := act(0xffff, h+body)
	if len(b) < 16 {
		b = append(b, make([]byte, 16-len(b))...)
		binary.BigEndian.PutUint16(b[2:], 16)
	}
	return b
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func wantErr(t *testing.T, err error, typ, code uint16) {
	t.Helper()
	var pe *pipeline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *pipeline.Error type %d code %d", err, typ, code)
	}
	if pe.Type != typ || pe.Code != code {
		t.Fatalf("got type %d code %d (%s), want type %d code %d", pe.Type, pe.Code, pe.Msg, typ, code)
	}
}

const (
	tBM  = pipeline.ErrBadMatch
	tBA  = pipeline.ErrBadAction
	tBI  = pipeline.ErrBadInstruction
	tExp = pipeline.ErrExperimenter
)

func TestMatchErrors(t *testing.T) {
	for _, tc := range matchErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeNXMatch(hx(tc.tlvs))
			wantErr(t, err, tc.typ, tc.code)
			// The same TLVs in an ofp_match give the same error.
			b := hx(tc.tlvs)
			om := binary.BigEndian.AppendUint16(nil, 1)
			om = binary.BigEndian.AppendUint16(om, uint16(4+len(b)))
			om = append(om, b...)
			for len(om)%8 != 0 {
				om = append(om, 0)
			}
			_, _, err = DecodeOXMMatch(om)
			wantErr(t, err, tc.typ, tc.code)
		})
	}
	for _, tc := range []struct {
		name string
		b    string
		code uint16
	}{
		{"short ofp_match", "0001", BMCBadLen},
		{"OFPMT_STANDARD of the wrong length", "00000004 00000000", BMCBadLen},
		{"OFPMT_STANDARD (unsupported)", "00000058" + strings.Repeat("00", 84), BMCBadType},
		{"unknown match type", "00050004 00000000", BMCBadType},
		{"length under 4", "00010003 00000000", BMCBadLen},
		{"length beyond the buffer", "00010010 00000000", BMCBadLen},
		{"padding beyond the buffer", "0001000c 80000004 00000001", BMCBadLen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeOXMMatch(hx(tc.b))
			wantErr(t, err, tBM, tc.code)
		})
	}
	if _, err := DecodeOF10Match(make([]byte, 39)); err == nil {
		t.Fatal("short OF1.0 match accepted")
	} else {
		wantErr(t, err, tBM, BMCBadLen)
	}
}

func TestActionErrors(t *testing.T) {
	for _, tc := range actionErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeActions(tc.version, tc.b)
			wantErr(t, err, tc.typ, tc.code)
		})
	}
}

func TestInstructionErrors(t *testing.T) {
	for _, tc := range instructionErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeInstructions(tc.b)
			wantErr(t, err, tc.typ, tc.code)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	// OpenFlow 1.0 has no set_nw_ttl: it goes out as OVS sends it,
	// NXAST_REG_LOAD of 3 into NXM_NX_IP_TTL[0..7].
	b, err := EncodeActions(Version10, []pipeline.Action{pipeline.SetTTL{TTL: 3}})
	if err != nil {
		t.Errorf("set_nw_ttl for OpenFlow 1.0: %v", err)
	} else if acts, err := DecodeActions(Version10, b); err != nil || len(acts) != 1 ||
		acts[0].(pipeline.RegLoad).Dst.Field != packet.FieldNwTTL || acts[0].(pipeline.RegLoad).Value.Lo != 3 {
		t.Errorf("set_nw_ttl for OpenFlow 1.0 decodes back as %+v, %v", acts, err)
	}
	// OpenFlow 1.0 cannot express these.
	if _, err := EncodeActions(Version10, []pipeline.Action{pipeline.Output{Port: 0x10000}}); err == nil {
		t.Error("32-bit port encoded for OpenFlow 1.0")
	}
	if _, err := EncodeActions(3, nil); err == nil {
		t.Error("version 3 accepted")
	}
	var m pipeline.Match
	m.SetExact(fieldCtState, u(0x20))
	if _, err := EncodeOF10Match(&m); err == nil {
		t.Error("ct_state encoded in an OpenFlow 1.0 match")
	}
	m = pipeline.Match{}
	m.SetExact(fieldEthType, u(0x0800))
	m.Set(fieldIPv4Src, u(0xc6336400), u(0xffff00ff))
	if _, err := EncodeOF10Match(&m); err == nil {
		t.Error("non-CIDR mask encoded in an OpenFlow 1.0 match")
	}
}

// Field shorthands for tests.
var (
	fieldCtState = packetFieldCtState
	fieldEthType = packetFieldEthType
	fieldIPv4Src = packetFieldIPv4Src
)

var matchErrorCases = []struct {
	name string
	tlvs string
	typ  uint16
	code uint16
}{
	{"truncated header", "0000", tBM, BMCBadLen},
	{"truncated payload", "00000604 0800", tBM, BMCBadLen},
	{"truncated experimenter header", "ffff5406 4f4e", tBM, BMCBadLen},
	{"experimenter length under 4", "ffff5402 4f4e4600", tBM, BMCBadLen},
	{"unknown field", "0001fe04 00000000", tBM, BMCBadField},
	{"unknown class", "00030004 00000000", tBM, BMCBadField},
	{"known field, wrong length", "00000604 08000000", tBM, BMCBadField},
	{"value outside mask", "00010108 00000003 00000001", tBM, BMCBadWildcards},
	{"mask on non-maskable field", "00000704 0800 ff00", tBM, BMCBadMask},
	{"vlan_vid beyond 13 bits", "80000c02 2000", tBM, BMCBadValue},
	{"ip_frag beyond 2 bits", "00000602 0800 00013401 04", tBM, BMCBadValue},
	{"ct_state unknown bit", "0001d204 00000100", tBM, BMCBadValue},
	{"tun_flags beyond oam", "0001d002 0002", tBM, BMCBadValue},
	{"tun_flags masked beyond oam", "0001d104 0003 ffff", tBM, BMCBadValue},
	{"tun_gbp_flags masked value outside mask", "00014f02 81 80", tBM, BMCBadWildcards},
	{"OXM tunnel_id with a short payload", "80004c04 00000001", tBM, BMCBadField},
	{"OXM in_port in the unmappable range", "80000004 0000ff00", tBM, BMCBadValue},
	{"arp_op beyond 8 bits", "00000602 0806 00001e02 0100", tBM, BMCBadValue},
	{"ip_dscp (NXM) with ECN bits", "00000602 0800 00000a01 01", tBM, BMCBadValue},
	{"tcp_dst without prerequisites", "00001402 0050", tBM, BMCBadPrereq},
	{"tcp_dst with ip but no nw_proto", "00000602 0800 00001402 0050", tBM, BMCBadPrereq},
	{"tcp_dst with nw_proto udp", "00000602 0800 00000c01 11 00001402 0050", tBM, BMCBadPrereq},
	{"nd_target without icmpv6 type", "00000602 86dd 00000c01 3a 00012e10 20010db8000000000000000000000001", tBM, BMCBadPrereq},
	{"vlan_pcp without vlan_vid", "80000e01 03", tBM, BMCBadPrereq},
	{"ct_nw_src without a valid ct_state", "0001f004 c6336401", tBM, BMCBadPrereq},
	{"duplicate reg0", "00010004 00000001 00010004 00000002", tBM, BMCDupField},
	{"duplicate: xreg0 over reg1", "00010204 00000001 80010008 0000000000000001", tBM, BMCDupField},
	{"duplicate: in_port NXM then OXM", "00000002 0001 80000004 00000001", tBM, BMCDupField},
}

type actionErrorCase struct {
	name    string
	version uint8
	b       []byte
	typ     uint16
	code    uint16
}

// cloneOf wraps actions in NXAST_CLONE.
func cloneOf(nested ...[]byte) []byte {
	b := nxa(nxastClone, "000000000000")
	b = append(b, cat(nested...)...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func actionErrorCases() []actionErrorCase {
	ctHdr := func(flags, zoneSrc, zone string, table string, nested ...[]byte) []byte {
		b := nxa(nxastCT, flags+zoneSrc+zone+table+"000000"+"0000")
		b = b[:24]
		b = append(b, cat(nested...)...)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		return b
	}
	setCtMark := act(ofpatSetField, "0001d604 00000001")
	output1 := act(ofpatOutput, "00000001 ffff 000000000000")
	return []actionErrorCase{
		{"list not a multiple of 8", 4, hx("0000"), pipeline.ErrBadRequest, BRCBadLen},
		{"zero-length action", 4, hx("0000 0000 0000 0000"), tBA, BACBadLen},
		{"length beyond the list", 4, hx("0000 0010 0000 0001"), tBA, BACBadLen},
		{"length not a multiple of 8", 4, hx("0000 000c 0000 0001 0000 0000 0000 0000"), tBA, BACBadLen},
		{"OF1.3 copy_ttl_out", 4, act(ofpatCopyTTLOut, "00000000"), tBA, BACBadType},
		{"OF1.3 push_mpls of a non-MPLS ethertype", 4, act(ofpatPushMPLS, "0800 0000"), tBA, BACBadArgument},
		{"OF1.0 NX push_mpls of a non-MPLS ethertype", 1, nxa(nxastPushMPLS, "0800 00000000"), tBA, BACBadArgument},
		{"OF1.3 NX push_mpls", 4, nxa(nxastPushMPLS, "8847 00000000"), tBA, BACBadExpType},
		{"OF1.3 NX set_mpls_label", 4, nxa(nxastSetMPLSLabel, "0000 00000005"), tBA, BACBadExpType},
		{"OF1.0 type 19 (push_mpls)", 1, act(ofpatPushMPLS, "8847 0000"), tBA, BACBadType},
		{"OF1.3 pop_mpls of length 16", 4, act(ofpatPopMPLS, "0800 0000 00000000 00000000"), tBA, BACBadLen},
		{"OF1.3 dec_mpls_ttl of length 16", 4, act(ofpatDecMPLSTTL, "00000000 00000000 00000000"), tBA, BACBadLen},
		{"OF1.0 NX set_mpls_ttl of length 24", 1, nxa(nxastSetMPLSTTL, "05 0000000000 0000000000000000"), tBA, BACBadLen},
		{"OF1.3 set_field of mpls_bos", 4, act(ofpatSetField, "80004801 01"), tBA, BACBadSetArgument},
		{"OF1.3 set_field of mpls_label with a mask", 4, act(ofpatSetField, "80004508 00000001 000fffff"), tExp, ONFBACBadSetMask},
		{"OF1.3 deprecated set_vlan_vid", 4, act(1, "0005 0000"), tBA, BACBadType},
		{"OF1.0 type 12", 1, act(12, "00000000"), tBA, BACBadType},
		{"unknown experimenter", 4, act(0xffff, "00001234 0001 000000000000"), tBA, BACBadExperimenter},
		{"clone of length 8", 4, func() []byte { b := nxa(nxastClone, ""); b[3] = 8; return b[:8] }(), tBA, BACBadLen},
		{"clone of length 8 before another action", 4, func() []byte {
			b := nxa(nxastClone, "")
			b[3] = 8
			return b
		}(), tBA, BACBadLen},
		{"clone holding a bad output", 4, cloneOf(act(ofpatOutput, "ffffffff 0000 000000000000")), tBA, BACBadOutPort},
		{"clone holding a truncated action", 4, cloneOf(hx("0000 0010 0000 0001")), tBA, BACBadLen},
		{"clone setting ct_mark", 4, cloneOf(setCtMark), tBA, BACBadSetArgument},
		{"clone holding nat", 4, cloneOf(nxa(nxastNAT, "0000 0000 0000")), tBA, BACBadSetArgument},
		{"OF1.0 clone holding an OF1.3 action", 1, cloneOf(act(ofpatPopVLAN, "00000000")), tBA, BACBadType},
		{"push of length 16", 4, nxa(nxastStackPush, "0000 00010004"), tBA, BACBadLen},
		{"push with nonzero padding", 4, nxa(nxastStackPush, "0000 00010004 0020 000000000001"), tExp, NXBRCMustBeZero},
		{"push beyond the field", 4, nxa(nxastStackPush, "0010 00010004 0020 000000000000"), tBA, BACBadSetLen},
		{"push of zero bits", 4, nxa(nxastStackPush, "0000 00010004 0000 000000000000"), tBA, BACBadSetLen},
		{"push of an unknown field", 4, nxa(nxastStackPush, "0000 0001fe04 0020 000000000000"), tBM, BMCBadField},
		{"push of a masked header", 4, nxa(nxastStackPush, "0000 00010108 0020 000000000000"), tBM, BMCBadMask},
		{"pop into eth_type", 4, nxa(nxastStackPop, "0000 00000602 0010 000000000000"), tBA, BACBadSetArgument},
		{"OF1.0 pop beyond the field", 1, nxa(nxastStackPop, "0001 00010204 0020 000000000000"), tBA, BACBadSetLen},
		{"sample of length 32", 4, nxa(nxastSample, "ffff 00000001 00000002 00000003 0000000000000000"), tBA, BACBadLen},
		{"sample with probability 0", 4, nxa(nxastSample, "0000 00000001 00000002 00000003"), tBA, BACBadArgument},
		{"sample2 of length 24", 4, nxa(nxastSample2, "ffff 00000001 00000002 00000003"), tBA, BACBadLen},
		{"sample2 with probability 0", 1, nxa(nxastSample2, "0000 00000001 00000002 00000003 ffff 00 0000000000"), tBA, BACBadArgument},
		{"sample3 with an unknown direction", 4, nxa(nxastSample3, "0001 00000001 00000002 00000003 ffff 03 0000000000"), tBA, BACBadArgument},
		{"sample3 with nonzero padding", 4, nxa(nxastSample3, "0001 00000001 00000002 00000003 ffff 01 0000000001"), tExp, NXBRCMustBeZero},
		{"check_pkt_larger of length 16", 4, nxa(nxastCheckPktLarger, "05dc 0000 0001"), tBA, BACBadLen},
		{"check_pkt_larger with nonzero padding", 4, nxa(nxastCheckPktLarger, "05dc 0000 00010004 000000000001"), tExp, NXBRCMustBeZero},
		{"check_pkt_larger beyond the field", 4, nxa(nxastCheckPktLarger, "05dc 0020 00010004 000000000000"), tBA, BACBadSetLen},
		{"check_pkt_larger into eth_type", 4, nxa(nxastCheckPktLarger, "05dc 0000 00000602 000000000000"), tBA, BACBadSetArgument},
		{"check_pkt_larger into an unknown field", 4, nxa(nxastCheckPktLarger, "05dc 0000 0001fe04 000000000000"), tBM, BMCBadField},
		{"OF1.0 check_pkt_larger masked header", 1, nxa(nxastCheckPktLarger, "05dc 0000 00010108 000000000000"), tBM, BMCBadMask},
		// multipath: fields basis pad0 algorithm max_link arg pad1 ofs_nbits dst
		{"multipath unknown fields", 4, nxa(nxastMultipath, "0007 0000 0000 0000 0000 00000000 0000 001f 00010004"), tBA, BACBadArgument},
		{"multipath unknown algorithm", 4, nxa(nxastMultipath, "0000 0000 0000 0004 0000 00000000 0000 001f 00010004"), tBA, BACBadArgument},
		{"multipath 3 links into 1 bit", 4, nxa(nxastMultipath, "0000 0000 0000 0000 0002 00000000 0000 0000 00010004"), tBA, BACBadArgument},
		{"multipath 65536 links into 15 bits", 1, nxa(nxastMultipath, "0001 0000 0000 0001 ffff 00000000 0000 000e 00010004"), tBA, BACBadArgument},
		{"multipath 65536 links into 16 bits beyond reg0", 4, nxa(nxastMultipath, "0001 0000 0000 0001 ffff 00000000 0000 044f 00010004"), tBA, BACBadSetLen},
		{"multipath beyond the field", 4, nxa(nxastMultipath, "0000 0000 0000 0000 0000 00000000 0000 07c1 00010004"), tBA, BACBadSetLen},
		{"multipath into an unknown field", 4, nxa(nxastMultipath, "0000 0000 0000 0000 0000 00000000 0000 001f 0001fe04"), tBA, BACBadSetType},
		{"multipath unknown fields into an unknown field", 4, nxa(nxastMultipath, "0009 0000 0000 0000 0000 00000000 0000 001f 0001fe04"), tBA, BACBadSetType},
		{"multipath into eth_type", 4, nxa(nxastMultipath, "0000 0000 0000 0000 0000 00000000 0000 000f 00000602"), tBA, BACBadSetArgument},
		{"multipath of length 40", 4, nxa(nxastMultipath, "0000 0000 0000 0000 0000 00000000 0000 001f 00010004 0000000000000000"), tBA, BACBadLen},
		{"multipath of length 24", 1, nxa(nxastMultipath, "0000 0000 0000 0000 0000 00000000"), tBA, BACBadLen},
		// bundle: algorithm fields basis member_type n_members ofs_nbits dst zero members
		{"bundle unknown algorithm", 4, nxa(nxastBundle, "0002 0000 0000 00000002 0001 0000 00000000 00000000 0001"), tBA, BACBadArgument},
		{"bundle unknown fields", 4, nxa(nxastBundle, "0001 0009 0000 00000002 0001 0000 00000000 00000000 0001"), tBA, BACBadArgument},
		{"bundle member type not in_port", 4, nxa(nxastBundle, "0001 0000 0000 80000004 0001 0000 00000000 00000000 0001"), tBA, BACBadArgument},
		{"bundle nonzero reserved bytes", 1, nxa(nxastBundle, "0001 0000 0000 00000002 0001 0000 00000000 00000001 0001"), tBA, BACBadArgument},
		{"bundle with a destination", 4, nxa(nxastBundle, "0001 0000 0000 00000002 0001 001f 00010004 00000000 0001"), tBA, BACBadArgument},
		{"bundle members beyond the action", 4, nxa(nxastBundle, "0001 0000 0000 00000002 0005 0000 00000000 00000000 0001 0002"), tBA, BACBadLen},
		{"bundle 2049 members without room", 4, nxa(nxastBundle, "0001 0000 0000 00000002 0801 0000 00000000 00000000 0001"), tBA, BACBadLen},
		{"bundle 2049 members", 4, nxa(nxastBundle, "0001 0000 0000 00000002 0801 0000 00000000 00000000"+strings.Repeat("0001", 2049)), tBA, BACBadArgument},
		{"bundle member 0xff00", 4, nxa(nxastBundle, "0001 0000 0000 00000002 0002 0000 00000000 00000000 0001 ff00"), tBA, BACBadOutPort},
		{"bundle member controller", 1, nxa(nxastBundle, "0000 0000 0000 00000002 0002 0000 00000000 00000000 fffd 0001"), tBA, BACBadOutPort},
		{"bundle of length 24", 4, nxa(nxastBundle, "0001 0000 0000 00000002 0000 0000"), tBA, BACBadLen},
		{"bundle_load into 8 bits", 4, nxa(nxastBundleLoad, "0001 0000 0000 00000002 0001 0007 00010004 00000000 0001"), tBA, BACBadArgument},
		{"bundle_load into an unknown field", 4, nxa(nxastBundleLoad, "0001 0000 0000 00000002 0001 000f 0001fe04 00000000 0001"), tBA, BACBadSetType},
		{"bundle_load unknown algorithm into an unknown field", 4, nxa(nxastBundleLoad, "0009 0000 0000 00000002 0001 000f 0001fe04 00000000 0001"), tBA, BACBadSetType},
		{"bundle_load into eth_type", 4, nxa(nxastBundleLoad, "0001 0000 0000 00000002 0001 000f 00000602 00000000 0001"), tBA, BACBadSetArgument},
		{"bundle_load beyond the field", 1, nxa(nxastBundleLoad, "0001 0000 0000 00000002 0001 044f 00010004 00000000 0001"), tBA, BACBadSetLen},
		{"bundle_load into 8 bits, members beyond the action", 4, nxa(nxastBundleLoad, "0001 0000 0000 00000002 0009 0007 00010004 00000000 0001"), tBA, BACBadLen},
		{"bundle_load beyond the field, member 0xff00", 4, nxa(nxastBundleLoad, "0001 0000 0000 00000002 0001 044f 00010004 00000000 ff00"), tBA, BACBadSetLen},
		{"pop_queue of length 24", 4, nxa(nxastPopQueue, "0000 0000 0000 0000000000000000"), tBA, BACBadLen},
		{"OF1.0 enqueue to 0xff00", 1, act(ofpat10Enqueue, "ff00 000000000000 00000001"), tBA, BACBadOutPort},
		{"learn of length 16", 4, nxa(nxastLearn, ""), tBA, BACBadLen},
		{"learn with nonzero padding", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 01 0000 0000"), tBA, BACBadArgument},
		{"learn into table 255", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 ff 00 0000 0000"), tBA, BACBadArgument},
		{"learn with flag write_result", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0004 01 00 0000 0000"), tBA, BACBadArgument},
		{"learn with unknown flag", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0008 01 00 0000 0000"), tBA, BACBadArgument},
		{"learn spec immediate to output", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 3010 0001"), tBA, BACBadArgument},
		{"learn spec reserved destination", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 1810 00010004 0000"), tBA, BACBadArgument},
		{"learn spec overruns the action", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 00010004 0000"), tBA, BACBadLen},
		{"learn spec unknown source field", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 0001fe04 0000 00010204 0000"), tBA, BACBadSetType},
		{"learn spec unknown destination field", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 00010004 0000 0001fe04 0000"), tBA, BACBadSetType},
		{"learn spec experimenter destination", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 00010004 0000 ffff0108 0000"), tBA, BACBadSetType},
		{"learn spec tun_metadata source", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 00015004 0000 00010204 0000"), tExp, NXFMFCInvalidTLVField},
		{"learn nonzero bytes after the specs", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0000 0001"), tBA, BACBadArgument},
		{"learn spec of 0 bits", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0800 00010004 0000 00010204 0000"), tBA, BACBadSetLen},
		{"learn spec source beyond the field", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0020 00000602 0000 00010204 0000"), tBA, BACBadSetLen},
		{"learn spec destination beyond the field", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 00010004 0000 00010204 0011"), tBA, BACBadSetLen},
		{"learn spec immediate wider than the field", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 2011 00000000 00000602 0000"), tBA, BACBadSetLen},
		{"learn load into eth_type", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0810 00010004 0000 00000602 0000"), tBA, BACBadSetArgument},
		{"learn match on ip_dst without eth_type", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0020 00010004 0000 00001004 0000"), tBA, BACMatchInconsist},
		{"learn load into ip_dst without eth_type", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 2820 00000005 00001004 0000"), tBA, BACMatchInconsist},
		{"learn match on tcp_dst with eth_type only", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 2010 0800 00000602 0000 0010 00010004 0000 00001402 0000"), tBA, BACMatchInconsist},
		{"learn match on eth_type from a field, then ip_dst", 4, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 0010 00000602 0000 00000602 0000 0020 00010004 0000 00001004 0000"), tBA, BACMatchInconsist},
		{"learn2 of length 32", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000"), tBA, BACBadLen},
		{"learn2 with nonzero padding", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 00000000 0000 0001"), tExp, NXBACMustBeZero},
		{"learn2 result_dst_ofs without result_dst", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 00000000 0001 0000"), tBA, BACBadArgument},
		{"learn2 result_dst eth_type", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0004 01 00 0000 0000 00000000 0000 0000 00000602"), tBA, BACBadSetArgument},
		{"learn2 result_dst unknown field", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0004 01 00 0000 0000 00000000 0000 0000 0001fe04"), tBM, BMCBadField},
		{"learn2 result_dst masked", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0004 01 00 0000 0000 00000000 0000 0000 00010108"), tBM, BMCBadMask},
		{"learn2 with unknown flag", 4, nxa(nxastLearn2, "0000 0000 8000 0000000000000000 0008 01 00 0000 0000 00000000 0000 0000"), tBA, BACBadArgument},
		{"OF1.0 learn into table 255", 1, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 ff 00 0000 0000"), tBA, BACBadArgument},
		{"OF1.0 learn load into ip_dst without eth_type", 1, nxa(nxastLearn, "0000 0000 8000 0000000000000000 0000 01 00 0000 0000 2820 00000005 00001004 0000"), tBA, BACMatchInconsist},
		{"fin_timeout of length 24", 4, nxa(nxastFinTimeout, "0001 0002 0000 0000000000000000"), tBA, BACBadLen},
		{"set_tunnel of length 24", 4, nxa(nxastSetTunnel, "0000 00000005 0000000000000000"), tBA, BACBadLen},
		{"set_tunnel64 of length 16", 4, nxa(nxastSetTunnel64, "000000000000"), tBA, BACBadLen},
		{"OF1.0 set_tunnel64 of length 32", 1, nxa(nxastSetTunnel64, "000000000000 0000000000000005 0000000000000000"), tBA, BACBadLen},
		{"load into tun_flags[0..15]", 1, nxa(nxastRegLoad, "000f 0001d002 0000000000000001"), tBA, BACBadSetLen},
		{"move from tun_flags[1]", 4, nxa(nxastRegMove, "0001 0001 0000 0001d002 00010004"), tBA, BACBadSetLen},
		{"set_field tun_flags beyond oam", 4, act(ofpatSetField, "0001d002 0002"), tBA, BACBadSetArgument},
		{"set_field tun_id masked", 4, act(ofpatSetField, "80004d10 0000000000000001 00000000000000ff"), tExp, ONFBACBadSetMask},
		{"set_field tun_src wrong length", 4, act(ofpatSetField, "00013e08 c6336401 00000000"), tBA, BACBadSetLen},
		{"Nicira dec_ttl in OF1.3", 4, nxa(nxastDecTTL, ""), tBA, BACBadExpType},
		{"ONF copy_field", 4, act(0xffff, "4f4e4600 0c80 000000000000"), tBA, BACBadExpType},
		{"truncated Nicira header", 4, act(0xffff, "00002320"), tBA, BACBadLen},
		{"output of length 8", 4, act(ofpatOutput, "00000001"), tBA, BACBadLen},
		{"output to ANY", 4, act(ofpatOutput, "ffffffff 0000 000000000000"), tBA, BACBadOutPort},
		{"output to OFPP_MAX", 4, act(ofpatOutput, "ffffff00 0000 000000000000"), tBA, BACBadOutPort},
		{"output to an unmappable port", 4, act(ofpatOutput, "0000ff00 0000 000000000000"), tBA, BACBadOutPort},
		{"OF1.0 output to NONE", 1, act(ofpatOutput, "ffff 0000"), tBA, BACBadOutPort},
		{"push_vlan 0x0800", 4, act(ofpatPushVLAN, "0800 0000"), tBA, BACBadArgument},
		{"set_field unknown field", 4, act(ofpatSetField, "80017008 0000000000000000"), tBA, BACBadSetType},
		{"set_field unknown field (hash-dependent in OVS)", 4, act(ofpatSetField, "0001fe04 00000000"), tBA, BACBadSetType},
		{"set_field known field, length 222", 4, act(ofpatSetField, "800016de 00000000"), tBA, BACBadSetType},
		{"set_field known field, length 5", 4, act(ofpatSetField, "80001605 0000000000"), tBA, BACBadSetLen},
		{"set_field known field, masked, length 1", 4, act(ofpatSetField, "80001701 00"), tBA, BACBadSetType},
		{"set_field tun_metadata", 4, act(ofpatSetField, "00015004 00000001"), tExp, NXFMFCInvalidTLVField},
		{"reg_load tun_metadata", 4, nxa(nxastRegLoad, "001f 00015004 0000000000000001"), tExp, NXFMFCInvalidTLVField},
		{"reg_load masked header names the field", 4, nxa(nxastRegLoad, "0000 00010108 0000000000000002"), tBA, BACBadArgument},
		{"set_field wrong length", 4, act(ofpatSetField, "80000803 000000"), tBA, BACBadSetLen},
		{"set_field with mask", 4, act(ofpatSetField, "80000510 0000000000000001 00000000000000ff"), tExp, ONFBACBadSetMask},
		{"set_field masked vlan_pcp (no such length)", 4, act(ofpatSetField, "80000f04 0001 ffff"), tBA, BACBadSetLen},
		{"set_field value outside mask", 4, act(ofpatSetField, "80000510 0000000000000003 0000000000000001"), tBM, BMCBadWildcards},
		{"set_field eth_type", 4, act(ofpatSetField, "80000a02 0800"), tBA, BACBadSetArgument},
		{"set_field OXM in_port", 4, act(ofpatSetField, "80000004 00000001"), tBA, BACBadSetArgument},
		{"set_field vlan_vid without PRESENT", 4, act(ofpatSetField, "80000c02 0005"), tBA, BACBadSetArgument},
		{"set_field nonzero padding", 4, act(ofpatSetField, "80000c02 1005 01"), tBA, BACBadSetArgument},
		{"set_field ct_mark outside ct", 4, setCtMark, tBA, BACBadSetArgument},
		{"nat outside ct", 4, nxa(nxastNAT, "0000 0000 0000"), tBA, BACBadSetArgument},
		{"reg_load unknown field", 4, nxa(nxastRegLoad, "001f 0001fe04 0000000000000001"), tBA, BACBadSetType},
		{"reg_load past the field", 4, nxa(nxastRegLoad, "07c1 00010004 0000000000000001"), tBA, BACBadSetLen},
		{"reg_load value too wide", 4, nxa(nxastRegLoad, "0000 00010004 0000000000000002"), tBA, BACBadArgument},
		{"reg_load read-only field", 4, nxa(nxastRegLoad, "000f 00000602 0000000000000800"), tBA, BACBadSetArgument},
		{"reg_load2 read-only field", 4, nxa(nxastRegLoad2, "0001d204 00000001"), tBA, BACBadSetArgument},
		{"move unknown source", 4, nxa(nxastRegMove, "0020 0000 0000 0001fe04 00010004"), tBM, BMCBadField},
		{"move masked header", 4, nxa(nxastRegMove, "0020 0000 0000 00010108 00010004"), tBM, BMCBadMask},
		{"move nonzero padding", 4, nxa(nxastRegMove, "0020 0000 0000 00010004 00010204 00000001"), tExp, NXBRCMustBeZero},
		{"move zero bits", 4, nxa(nxastRegMove, "0000 0000 0000 00010004 00010204"), tBA, BACBadSetLen},
		{"move past the destination", 4, nxa(nxastRegMove, "0010 0000 0018 00010004 00010204"), tBA, BACBadSetLen},
		{"move into a read-only field", 4, nxa(nxastRegMove, "0010 0000 0000 00010004 00000602"), tBA, BACBadSetArgument},
		{"output_reg nonzero padding", 4, nxa(nxastOutputReg, "001f 00010004 0000 000000000001"), tBA, BACBadArgument},
		{"output_reg2 nonzero padding", 4, nxa(nxastOutputReg2, "001f 0000 00010004 000000000001"), tExp, NXBRCMustBeZero},
		{"resubmit_table nonzero padding", 4, nxa(nxastResubmitTable, "fff8 01 000001"), tBA, BACBadArgument},
		{"resubmit wrong length", 4, append(nxa(nxastResubmit, "0001"), make([]byte, 8)...), tBA, BACBadLen},
		{"conjunction 3/2", 4, nxa(nxastConjunction, "02 02 0000000a"), tExp, NXBACBadConjunction},
		{"conjunction n=1", 4, nxa(nxastConjunction, "00 01 0000000a"), tExp, NXBACBadConjunction},
		{"conjunction with output", 4, cat(output1, nxa(nxastConjunction, "00 02 0000000a")), tExp, NXBACBadConjunction},
		{"ct force without commit", 4, ctHdr("0002", "00000000", "0000", "ff"), tBA, BACBadArgument},
		{"ct zone of 8 bits", 4, ctHdr("0000", "00010004", "0007", "ff"), tBA, BACBadSetLen},
		{"ct zone unknown field", 4, ctHdr("0000", "0001fe04", "000f", "ff"), tBA, BACBadSetType},
		{"ct with nested output", 4, ctHdr("0001", "00000000", "0000", "ff", output1), tBA, BACBadArgument},
		{"ct with nested set_field reg0", 4, ctHdr("0001", "00000000", "0000", "ff", act(ofpatSetField, "00010004 00000001")), tBA, BACBadArgument},
		{"ct exec without commit", 4, ctHdr("0000", "00000000", "0000", "ff", setCtMark), tBA, BACBadArgument},
		{"ct nat(src) without commit", 4, ctHdr("0000", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0001 0000")), tBA, BACBadArgument},
		{"nat src and dst", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0003 0000")), tBA, BACBadArgument},
		{"nat hash and random", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0019 0000")), tBA, BACBadArgument},
		{"nat unknown flag", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0021 0000")), tBA, BACBadArgument},
		{"nat max below min", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0001 0003 cb007102 cb007101")), tBA, BACBadArgument},
		{"nat zero min address", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0001 0001 00000000")), tBA, BACBadArgument},
		{"nat ports without addresses", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0001 0010 0050")), tBA, BACBadArgument},
		{"nat IPv4 and IPv6", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0001 0005 cb007101")), tBA, BACBadArgument},
		{"nat truncated range", 4, ctHdr("0001", "00000000", "0000", "ff", nxa(nxastNAT, "0000 0001 0004 20010db8")), tBA, BACBadArgument},
		{"controller2 nonzero padding", 4, nxa(nxastController2, "000000000001"), tExp, NXBRCMustBeZero},
		{"controller2 unknown property", 4, nxa(nxastController2, "000000000000 0063 0004 00000000"), pipeline.ErrTableFeaturesFailed, 2},
		{"controller2 truncated property", 4, nxa(nxastController2, "000000000000 0000 0010 00000000"), pipeline.ErrTableFeaturesFailed, 3},
		{"controller2 short meter_id", 4, nxa(nxastController2, "000000000000 0005 0006 0001 0000"), pipeline.ErrTableFeaturesFailed, 3},
		{"dec_ttl_cnt_ids too many ids", 4, nxa(nxastDecTTLCntIDs, "0005 00000000 0001 0002"), tBA, BACBadLen},
		{"dec_ttl_cnt_ids reserved bytes", 4, nxa(nxastDecTTLCntIDs, "0001 00000001 0001"), tExp, NXBRCMustBeZero},
		{"OF1.0 set_vlan_vid 0x1000", 1, act(ofpat10SetVID, "1000 0000"), tBA, BACBadArgument},
		{"OF1.0 set_vlan_pcp 8", 1, act(ofpat10SetPCP, "08 000000"), tBA, BACBadArgument},
		{"OF1.0 set_nw_tos with ECN", 1, act(ofpat10SetNwTOS, "03 000000"), tBA, BACBadArgument},
		{"OF1.0 set_dl_src of length 8", 1, act(ofpat10SetDlSrc, "00000000"), tBA, BACBadLen},
		{"OF1.0 enqueue to FLOOD", 1, act(ofpat10Enqueue, "fffb 000000000000 00000001"), tBA, BACBadOutPort},
		{"unsupported version", 2, nil, pipeline.ErrBadRequest, 0},
	}
}

type instructionErrorCase struct {
	name string
	b    []byte
	typ  uint16
	code uint16
}

func instructionErrorCases() []instructionErrorCase {
	apply := func(acts ...[]byte) []byte {
		b := hx("0004 0000 00000000")
		b = append(b, cat(acts...)...)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		return b
	}
	write := func(acts ...[]byte) []byte {
		b := apply(acts...)
		b[1] = ofpitWriteActions
		return b
	}
	output1 := act(ofpatOutput, "00000001 ffff 000000000000")
	return []instructionErrorCase{
		{"list not a multiple of 8", hx("0001 0008 01000000 0000"), tBI, BICBadLen},
		{"instruction length 4", hx("0001 0004 01000000"), tBI, BICBadLen},
		{"instruction length beyond the list", hx("0001 0010 01000000"), tBI, BICBadLen},
		{"unknown type", hx("0007 0008 00000000"), tBI, BICUnknownInst},
		{"experimenter", hx("ffff 0008 00002320"), tBI, BICBadExperimenter},
		{"goto_table of 16 bytes", hx("0001 0010 01000000 0000000000000000"), tBI, BICBadLen},
		{"write_metadata of 16 bytes", hx("0002 0010 00000000 0000000000000001"), tBI, BICBadLen},
		{"clear_actions of 16 bytes", hx("0005 0010 00000000 0000000000000000"), tBI, BICBadLen},
		{"duplicate apply_actions", cat(apply(output1), apply()), tExp, ONFBICDupInst},
		{"duplicate goto_table", hx("0001 0008 01000000 0001 0008 02000000"), tExp, ONFBICDupInst},
		{"bad action inside apply", apply(act(ofpatOutput, "ffffffff 0000 000000000000")), tBA, BACBadOutPort},
		{"controller in write_actions", write(nxa(nxastController, "ffff 0000 01 00")), tBA, BACBadType},
		{"note in write_actions", write(nxa(nxastNote, "000000000000")), tBA, BACBadType},
		{"multipath in write_actions", write(nxa(nxastMultipath, "0000 0000 0000 0000 0000 00000000 0000 001f 00010004")), tBA, BACBadType},
		{"bundle in write_actions", write(nxa(nxastBundle, "0001 0000 0000 00000002 0001 0000 00000000 00000000 0001")), tBA, BACBadType},
		{"bundle_load in write_actions", write(nxa(nxastBundleLoad, "0001 0000 0000 00000002 0001 000f 00010004 00000000 0001")), tBA, BACBadType},
		{"pop_queue in write_actions", write(nxa(nxastPopQueue, "000000000000")), tBA, BACBadType},
		{"set ct_mark in apply", apply(act(ofpatSetField, "0001d604 00000001")), tBA, BACBadSetArgument},
		{"conjunction with output in apply", apply(nxa(nxastConjunction, "00 02 0000000a"), output1), tExp, NXBACBadConjunction},
	}
}
