package nxm

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

// The prerequisite goldens: testdata/prereqs-ovs.txt holds OpenFlow 1.3
// flow-mods that put every OXM/NXM field the codec knows in front of, after
// and without its prerequisite (as ovs-fields(7) names it, from
// ../packet/testdata/ovs-fields-prereqs.txt), and that read it with a move
// action with and without the prerequisite in the match, each with OVS 3.1's
// verdict: what `ovs-ofctl ofp-print` (OVS's own ofputil_decode_flow_mod,
// which checks match prerequisites in TLV order, the ct tuple's IP version
// and the actions' prerequisites against the whole match) answers.
// TestCapturePrereqsOVS writes the file; TestPrereqsVsOVS replays it.

const prereqGolden = "testdata/prereqs-ovs.txt"

// prereqContext is a minimal match satisfying each ovs-fields(7)
// prerequisite, as OXM TLVs in an order OVS accepts.
func prereqContext(name string) []byte {
	tlv := func(class uint16, field uint8, v ...byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(MakeHeader(class, field, false, uint8(len(v))))), v...)
	}
	masked := func(class uint16, field uint8, v, m []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(MakeHeader(class, field, true, uint8(2*len(v)))))
		return append(append(b, v...), m...)
	}
	ethType := func(t uint16) []byte { return tlv(ClassOpenFlow, 5, byte(t>>8), byte(t)) }
	ipProto := func(p byte) []byte { return tlv(ClassOpenFlow, 10, p) }
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	icmp6 := cat(ethType(packet.EthTypeIPv6), ipProto(packet.ProtoICMPv6))
	nd := func(typ byte) []byte { return cat(icmp6, tlv(ClassOpenFlow, 29, typ), tlv(ClassOpenFlow, 30, 0)) }
	switch name {
	case "none", "Ethernet":
		return nil
	case "VLAN VID":
		return masked(ClassOpenFlow, 6, []byte{0x10, 0}, []byte{0x10, 0})
	case "ARP":
		return ethType(packet.EthTypeARP)
	case "IPv4", "IPv4/IPv6":
		return ethType(packet.EthTypeIPv4)
	case "IPv6":
		return ethType(packet.EthTypeIPv6)
	case "CT": // ct_state=+trk+new
		return masked(ClassNXM1, 105, []byte{0, 0, 0, 0x21}, []byte{0, 0, 0, 0x21})
	case "TCP":
		return cat(ethType(packet.EthTypeIPv4), ipProto(packet.ProtoTCP))
	case "UDP":
		return cat(ethType(packet.EthTypeIPv6), ipProto(packet.ProtoUDP))
	case "SCTP":
		return cat(ethType(packet.EthTypeIPv4), ipProto(packet.ProtoSCTP))
	case "ICMPv4":
		return cat(ethType(packet.EthTypeIPv4), ipProto(packet.ProtoICMP))
	case "ICMPv6":
		return icmp6
	case "ND", "ND solicit":
		return nd(135)
	case "ND advert":
		return nd(136)
	case "NSH":
		return ethType(packet.EthTypeNSH)
	}
	return nil
}

// ofMatch13 wraps OXM TLVs in an OpenFlow 1.3 struct ofp_match (padded).
func ofMatch13(tlvs []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, ofpmtOXM)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(tlvs)))
	b = append(b, tlvs...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// moveToReg0 is apply_actions(move:F[0]->NXM_NX_REG0[0]) for field header h.
func moveToReg0(h Header) []byte {
	a := hx("ffff 0018 00002320 0006 0001 0000 0000")
	a = binary.BigEndian.AppendUint32(a, uint32(h))
	a = binary.BigEndian.AppendUint32(a, uint32(MakeHeader(ClassNXM1, 0, false, 4)))
	inst := hx("0004 0000 00000000")
	inst = append(inst, a...)
	binary.BigEndian.PutUint16(inst[2:], uint16(len(inst)))
	return inst
}

// prereqCase is one line of the golden: a name and a whole OpenFlow 1.3
// flow-mod.
type prereqCase struct {
	name string
	msg  []byte
}

// prereqCases builds the flow-mods from the man page's prerequisites.
func prereqCases(t *testing.T) []prereqCase {
	f, err := os.Open("../packet/testdata/ovs-fields-prereqs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	man := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		names, prereq, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(names, "#") {
			continue
		}
		name, alias, _ := strings.Cut(names, " (aka ")
		man[name] = prereq
		if alias != "" {
			man[strings.TrimSuffix(alias, ")")] = prereq
		}
	}
	man["recirc_id"] = "none" // not in ovs-fields(7); none in meta-flow.h
	man["dp_hash"] = "none"   // likewise
	var cases []prereqCase
	add := func(name string, tlvs, inst []byte) {
		b := make([]byte, 8)
		b[0], b[1] = 4, 14
		binary.BigEndian.PutUint32(b[4:], 1)
		b = append(b, flowMod13(ofMatch13(tlvs), inst)...)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		cases = append(cases, prereqCase{name, b})
	}
	for i := range wireFields {
		wf := &wireFields[i]
		model := packet.Fields[wf.ID].Name
		switch {
		case wf.ID >= packet.FieldReg0 && wf.ID <= packet.FieldReg15:
			model = "reg0"
		case wf.ID >= packet.FieldXReg0 && wf.ID <= packet.FieldXReg7:
			model = "xreg0"
		case wf.ID >= packet.FieldXXReg0 && wf.ID <= packet.FieldXXReg3:
			model = "xxreg0"
		}
		pre, ok := man[model]
		if !ok {
			t.Fatalf("%s (%s) is not in ovs-fields(7)", wf.Name, model)
		}
		h := MakeHeader(wf.Class, wf.Field, false, uint8(wf.Size))
		self := binary.BigEndian.AppendUint32(nil, uint32(h))
		if wf.Class == ClassExperimenter {
			self = binary.BigEndian.AppendUint32(nil, uint32(MakeHeader(wf.Class, wf.Field, false, uint8(4+wf.Size))))
			self = binary.BigEndian.AppendUint32(self, wf.Exp)
		}
		self = append(self, make([]byte, wf.Size)...)
		ctx := prereqContext(pre)
		ctxs := [][]byte{ctx}
		names := []string{"after"}
		if pre == "CT" { // the ct tuple's addresses are checked against eth_type
			ctxs = append(ctxs, append(append([]byte{}, ctx...), prereqContext("IPv4")...),
				append(append([]byte{}, ctx...), prereqContext("IPv6")...))
			names = append(names, "after-ct+ip", "after-ct+ipv6")
		}
		n := wf.Name + " (" + pre + ")"
		add(n+" alone", self, nil)
		if len(ctx) != 0 {
			add(n+" before", append(append([]byte{}, self...), ctx...), nil)
			for j, c := range ctxs {
				add(n+" "+names[j], append(append([]byte{}, c...), self...), nil)
			}
		}
		if wf.Class == ClassExperimenter {
			continue // move takes 32-bit headers only
		}
		add(n+" move-src no-match", nil, moveToReg0(h))
		if len(ctx) != 0 {
			for j, c := range ctxs {
				add(n+" move-src "+names[j], c, moveToReg0(h))
			}
		}
	}
	return cases
}

// TestCapturePrereqsOVS regenerates testdata/prereqs-ovs.txt with the real
// ovs-ofctl 3.1 (GSWITCH_CAPTURE=1 go test -run TestCapturePrereqsOVS ./nxm).
// It needs no switch: `ovs-ofctl ofp-print HEX` decodes and checks a
// flow-mod as ovs-vswitchd does before adding it.
func TestCapturePrereqsOVS(t *testing.T) {
	if os.Getenv("GSWITCH_CAPTURE") != "1" {
		t.Skip("set GSWITCH_CAPTURE=1 to regenerate " + prereqGolden + " with ovs-ofctl")
	}
	ver, err := exec.Command("ovs-ofctl", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "# Generated by TestCapturePrereqsOVS (GSWITCH_CAPTURE=1 go test -run TestCapturePrereqsOVS ./nxm)\n")
	fmt.Fprintf(&out, "# with %s: \"case NAME\", the flow-mod as hex, then the verdict of `ovs-ofctl ofp-print HEX`\n", strings.SplitN(string(ver), "\n", 2)[0])
	fmt.Fprintf(&out, "# (\"ok\" or OVS's error name).\n")
	for _, c := range prereqCases(t) {
		h := hex.EncodeToString(c.msg)
		b, err := exec.Command("ovs-ofctl", "ofp-print", h).Output() // warnings go to stderr
		if err != nil {
			t.Fatalf("%s: ofp-print: %v\n%s", c.name, err, b)
		}
		first := strings.SplitN(string(b), "\n", 2)[0]
		verdict := "ok"
		if _, e, ok := strings.Cut(first, "***decode error: "); ok {
			verdict = strings.TrimSuffix(e, "***")
		} else if !strings.Contains(first, "ADD") {
			t.Fatalf("%s: unexpected ofp-print output %q", c.name, first)
		}
		fmt.Fprintf(&out, "case %s\n%s\n%s\n", c.name, h, verdict)
	}
	if err := os.WriteFile(prereqGolden, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPrereqsVsOVS replays testdata/prereqs-ovs.txt: each flow-mod is
// decoded as ofproto decodes an OpenFlow 1.3 flow-mod (match, instructions)
// and added to a pipeline, and the first error (or none) must be OVS's.
func TestPrereqsVsOVS(t *testing.T) {
	f, err := os.Open(prereqGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "#") && l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines)%3 != 0 || len(lines) < 3*200 {
		t.Fatalf("%d lines in %s", len(lines), prereqGolden)
	}
	// The golden must still be what the man page's prerequisites produce.
	built := prereqCases(t)
	if len(built) != len(lines)/3 {
		t.Errorf("%s has %d cases, the generator makes %d: regenerate it", prereqGolden, len(lines)/3, len(built))
	}
	dp := pipeline.New(pipeline.Config{})
	for i := 0; i+2 < len(lines); i += 3 {
		name := strings.TrimPrefix(lines[i], "case ")
		msg, err := hex.DecodeString(lines[i+1])
		if err != nil {
			t.Fatal(err)
		}
		want := lines[i+2]
		t.Run(name, func(t *testing.T) {
			if got := flowMod13Verdict(dp, msg); got != want {
				t.Errorf("gswitch: %s, OVS 3.1: %s", got, want)
			}
		})
	}
}

// flowMod13Verdict is "ok" or the name of the error gswitch answers to an
// OpenFlow 1.3 flow-mod (add) with this match and these instructions.
func flowMod13Verdict(dp *pipeline.Datapath, msg []byte) string {
	m, n, err := DecodeOXMMatch(msg[48:])
	if err == nil {
		var in pipeline.Instructions
		in, err = DecodeInstructions(msg[48+n:])
		if err == nil {
			FitL4Ports(&m, in.Apply)
			fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
				Spec: pipeline.FlowSpec{Priority: 0x100, Match: m, Inst: in}}
			err = dp.FlowMod(fm, 0)
			if err == nil {
				fm.Command = pipeline.FlowDeleteStrict
				dp.FlowMod(fm, 0)
			}
		}
	}
	if err == nil {
		return "ok"
	}
	var pe *pipeline.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	if c, ok := pipeline.ErrorCodeOf(pe); ok {
		return c.String()
	}
	return pe.Error()
}
