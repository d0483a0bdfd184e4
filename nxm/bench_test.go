package nxm

import (
	"strings"
	"testing"
)

// BenchmarkDecodeFlowMod decodes the match and instructions of typical
// captured flow-mods (a ct firewall flow, a ct+nat flow, an OpenFlow 1.0
// NXM ct flow), as ofproto does per flow-mod.
func BenchmarkDecodeFlowMod(b *testing.B) {
	caps := loadCaptures(b)
	find := func(proto, flow string) capture {
		for _, c := range caps {
			if c.proto == proto && strings.HasPrefix(c.flow, flow) {
				return c
			}
		}
		b.Fatalf("no capture %s %s", proto, flow)
		return capture{}
	}
	for _, bc := range []struct{ name, proto, flow string }{
		{"of13_ct_commit", "OpenFlow13", "table=1,priority=100,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),output:2"},
		{"of13_ct_nat_exec", "OpenFlow13", "udp,actions=ct(commit,table=3,zone=7,alg=tftp"},
		{"of10_nxm_ct", "of10", "table=1,priority=100,ip,in_port=1,ct_state=+trk+new"},
	} {
		c := find(bc.proto, bc.flow)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.msg)))
			for b.Loop() {
				switch c.kind {
				case "oxm":
					if _, _, err := DecodeOXMMatch(c.match); err != nil {
						b.Fatal(err)
					}
					if _, err := DecodeInstructions(c.rest); err != nil {
						b.Fatal(err)
					}
				default:
					if _, err := DecodeNXMatch(c.match); err != nil {
						b.Fatal(err)
					}
					if _, err := DecodeActions(Version10, c.rest); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkEncodeFlowMod encodes them back (dump-flows).
func BenchmarkEncodeFlowMod(b *testing.B) {
	caps := loadCaptures(b)
	var c capture
	for _, x := range caps {
		if x.kind == "oxm" && strings.Contains(x.flow, "ct(commit,table=3,zone=7") {
			c = x
		}
	}
	m, _, err := DecodeOXMMatch(c.match)
	if err != nil {
		b.Fatal(err)
	}
	in, err := DecodeInstructions(c.rest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		EncodeOXMMatch(&m)
		if _, err := EncodeInstructions(&in); err != nil {
			b.Fatal(err)
		}
	}
}
