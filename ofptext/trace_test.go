package ofptext

import (
	"os"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

// goldenTrace reads a trace captured from OVS 3.1 (tests/golden/trace).
func goldenTrace(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../tests/golden/trace/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// between is the part of s from the line starting with from up to (not
// including) the line starting with to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	j := strings.Index(s[i:], "\n"+to)
	return s[i : i+j+1]
}

func tracePacket(t *testing.T, flow string) *packet.Packet {
	t.Helper()
	e, err := ParseExactFlow(flow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return TracePacket(e, nil, 0)
}

// TestTracePrinterVsOVS: the events of tests/golden/trace/multi-aset
// (goto_table, write_actions and clear_actions with their action-set
// notes, a resubmit inside the goto'd table, the action set executed) and
// of fw-new (a ct recirculation with its header and thaw) print as OVS
// 3.1's trace, indentation included.
func TestTracePrinterVsOVS(t *testing.T) {
	pk := tracePacket(t, "in_port=4,udp")
	tr := NewTrace("br0", pk)
	in := &pipeline.Instructions{HasWrite: true, Write: []pipeline.Action{pipeline.Output{Port: 5}},
		WriteMetadata: true, Metadata: 0x10, MetadataMask: 0xff, GotoTable: 4}
	m := pipeline.Match{}
	m.SetExact(packet.FieldInPort, packet.U128{Lo: 4})
	tr.Table(0, 0, 0, &pipeline.FlowSpec{Priority: 10, Match: m}, false)
	tr.Action(0, 1, pipeline.TraceInstruction{Kind: "write_actions", Inst: in})
	tr.ActionSetNow(0, 1, "is", []pipeline.Action{pipeline.Output{Port: 5}})
	tr.Action(0, 1, pipeline.TraceInstruction{Kind: "write_metadata", Inst: in})
	tr.Action(0, 1, pipeline.TraceInstruction{Kind: "goto_table", Inst: in})
	m4 := pipeline.Match{}
	m4.Set(packet.FieldMetadata, packet.U128{Lo: 0x10}, packet.U128{Lo: 0xff})
	tr.Table(0, 1, 4, &pipeline.FlowSpec{Priority: 1, Match: m4}, false)
	tr.Action(0, 2, pipeline.Resubmit{InPort: pipeline.PortInPort, Table: 2})
	tr.Table(0, 2, 2, &pipeline.FlowSpec{Priority: 1}, false)
	tr.Action(0, 3, pipeline.Output{Port: 5})
	tr.Datapath(0, pipeline.TraceDP{Kind: pipeline.TraceDPOutput, Port: 5})
	in4 := &pipeline.Instructions{ClearActions: true, HasWrite: true, Write: []pipeline.Action{pipeline.Output{Port: 2}}}
	tr.Action(0, 2, pipeline.TraceInstruction{Kind: "clear_actions", Inst: in4})
	tr.ActionSetNow(0, 2, "was", []pipeline.Action{pipeline.Output{Port: 5}})
	tr.Action(0, 2, pipeline.TraceInstruction{Kind: "write_actions", Inst: in4})
	tr.ActionSetNow(0, 2, "is", []pipeline.Action{pipeline.Output{Port: 2}})
	tr.ActionSet(0, 1)
	tr.Action(0, 2, pipeline.Output{Port: 2})
	tr.Datapath(0, pipeline.TraceDP{Kind: pipeline.TraceDPOutput, Port: 2})
	fin := pk.Key
	fin.W.SetMetadata(0x10)
	tr.Final(0, &fin)
	got, want := tr.String()+"\n", goldenTrace(t, "multi-aset")
	if g, w := between(got, "Flow:", "Megaflow:"), between(want, "Flow:", "Megaflow:"); g != w {
		t.Fatalf("trace:\n%s\nOVS 3.1:\n%s", g, w)
	}
	if g, w := between(got, "Datapath", "Z"), between(want, "Datapath", "Z"); g != w {
		t.Fatalf("%q, OVS %q", g, w)
	}

	pk = tracePacket(t, "in_port=1,tcp,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=198.51.100.1,nw_dst=198.51.100.2,tp_src=40000,tp_dst=80")
	tr = NewTrace("br0", pk)
	m = pipeline.Match{}
	m.SetExact(packet.FieldEthType, packet.U128{Lo: 0x800})
	m.Set(packet.FieldCtState, packet.U128{}, packet.U128{Lo: uint64(packet.CsTrk)})
	tr.Table(0, 0, 0, &pipeline.FlowSpec{Priority: 100, Match: m}, false)
	tr.Action(0, 1, pipeline.CT{Table: 1, ZoneSrc: pipeline.Subfield{Field: packet.FieldInvalid}})
	tr.Action(0, 1, nil)
	tr.Note(0, 1, pipeline.TraceDetail, "A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 1.")
	rk := pk.Key
	rk.W.SetCtState(packet.CsTrk | packet.CsNew)
	tr.Recirc(0, 1, pipeline.TraceRecirc{Table: 1, State: packet.CsTrk | packet.CsNew, Before: rk, After: rk})
	tr.Note(0, 1, pipeline.TraceDetail, "Sets the packet to an untracked state, and clears all the conntrack fields.")
	tr.Final(0, &pk.Key)
	got, want = tr.String(), goldenTrace(t, "fw-new")
	if g, w := between(got, "bridge", "Final"), between(want, "bridge", "Final"); g != w {
		t.Fatalf("trace:\n%s\nOVS 3.1:\n%s", g, w)
	}
	if g, w := between(got, "=====", "Flow:"), between(want, "=====", "Flow:"); g != w {
		t.Fatalf("recirculation header:\n%s\nOVS 3.1:\n%s", g, w)
	}
	if g, w := between(got, "Flow: recirc_id", "bridge"), between(want, "Flow: recirc_id", "bridge"); g != w {
		t.Fatalf("recirculation flow:\n%s\nOVS 3.1:\n%s", g, w)
	}
}

// TestFlowTextVsOVS: the Flow: lines of OVS 3.1's traces (flow_format of
// the flow parsed from the argument) for every protocol the goldens use.
func TestFlowTextVsOVS(t *testing.T) {
	for name, flow := range map[string]string{
		"fw-new":          "in_port=1,tcp,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=198.51.100.1,nw_dst=198.51.100.2,tp_src=40000,tp_dst=80",
		"fw-ipv6":         "in_port=1,udp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,udp_src=5000,udp_dst=53",
		"fw-arp":          "in_port=1,arp,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=198.51.100.1,arp_tpa=198.51.100.2",
		"fw-other":        "in_port=1,dl_type=0x88cc",
		"misc-nomatch":    "in_port=2",
		"vlan-pop":        "in_port=2,dl_vlan=100,dl_vlan_pcp=2,udp",
		"learn-vlan":      "in_port=2,dl_vlan=7,dl_src=02:00:00:00:00:05,dl_dst=02:00:00:00:00:06",
		"set-stack":       "in_port=4,reg2=0x1234",
		"tun-set":         "in_port=1,tun_id=0x5,tun_src=203.0.113.1,tun_dst=203.0.113.2,ip",
		"ct-rel":          "in_port=1,icmp,nw_src=198.51.100.1,nw_dst=198.51.100.2",
		"err-generate":    "in_port=3,ip",
		"multi-inport":    "in_port=3,tcp",
		"ovn-arp":         "in_port=1,arp,dl_src=02:00:00:00:00:11,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=198.51.100.11,arp_tpa=198.51.100.1,arp_sha=02:00:00:00:00:11",
		"groups-all":      "in_port=1,udp,nw_src=198.51.100.1,nw_dst=198.51.100.2,udp_dst=1",
		"misc-controller": "in_port=1,udp",
	} {
		want := strings.SplitN(goldenTrace(t, name), "\n", 2)[0]
		if got := "Flow: " + FlowText(&tracePacket(t, flow).Key, 0); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	frame, err := ParseHexPacket("0200000000020200000000010800450000280001000040062665c6336401c63364029c4000500000000100000000500220009ee60000")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := ParseExactFlow("in_port=1", nil)
	want := strings.SplitN(goldenTrace(t, "fw-hex"), "\n", 2)[0]
	if got := "Flow: " + FlowText(&TracePacket(e, frame, 0).Key, 0); got != want {
		t.Errorf("fw-hex:\n got %s\nwant %s", got, want)
	}
}

// TestParseTraceArgsErrors: OVS 3.1's texts for bad flows, --ct-next
// flags and packets (tests/golden/trace/err-*).
func TestParseTraceArgsErrors(t *testing.T) {
	for flow, name := range map[string]string{
		"in_port=1,foo=bar":         "err-syntax",
		"in_port=1,nw_src=1.2.3":    "err-value",
		"in_port=1,ip,nw_src=1.2.3": "err-value2",
		"in_port=1,udp,tp_dst=53":   "err-prereq",
	} {
		_, err := ParseExactFlow(flow, nil)
		want := strings.SplitN(goldenTrace(t, name), "\n", 2)[0]
		if err == nil || "Bad openflow flow syntax: "+err.Error() != want {
			t.Errorf("%s: %v, want %q", flow, err, want)
		}
	}
	if _, err := ParseExactFlow("tcp,ip", nil); err == nil || err.Error() != "tcp,ip: Ethernet type set multiple times" {
		t.Errorf("tcp,ip: %v", err)
	}
	if _, err := ParseExactFlow("in_port=1,in_port=2", nil); err == nil || err.Error() != "in_port=1,in_port=2: field in_port set multiple times" {
		t.Errorf("in_port twice: %v", err)
	}
	if _, err := ParseCtState("trk,bogus"); err == nil || err.Error()+"\n" != strings.SplitN(goldenTrace(t, "err-ctnext"), "\n", 2)[0]+"\n" {
		t.Errorf("ct-next: %v", err)
	}
	if s, err := ParseCtState("trk est"); err != nil || s != packet.CsTrk|packet.CsEst {
		t.Errorf("trk est: %#x %v", s, err)
	}
	if _, err := ParseCtState("new"); err == nil {
		t.Errorf("new without trk accepted")
	}
	for hexs, name := range map[string]string{"0200zz": "err-hex", "02000000": "err-short-hex"} {
		_, err := ParseHexPacket(hexs)
		if want := strings.SplitN(goldenTrace(t, name), "\n", 2)[0]; err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", hexs, err, want)
		}
	}
	if p, err := ParseExactFlow("in_port=p7", func(n string) (uint32, bool) { return 7, n == "p7" }); err != nil ||
		p.Get(packet.FieldInPort).Lo != 7 {
		t.Errorf("port name: %v", err)
	}
}
