package packet_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

var ovsrefCapture = flag.Bool("ovsref.capture", false,
	"regenerate testdata/ovsref/rewrite.golden by running the rewrite cases through real OVS (needs root and openvswitch-switch)")

const rewriteGolden = "testdata/ovsref/rewrite.golden"

// rwCase is one rewrite: an input frame, the OVS actions, and the same
// rewrite through our API (it reports false when the packet is to be
// dropped, as dec_ttl on TTL 1).
type rwCase struct {
	name    string
	frame   []byte
	actions string
	apply   func(pk *packet.Packet) bool
}

func u(x uint64) packet.U128 { return packet.U128{Lo: x} }

func set(f packet.FieldID, v, m packet.U128) func(pk *packet.Packet) bool {
	return func(pk *packet.Packet) bool {
		if !pk.SetField(f, v, m) {
			panic("SetField " + f.String() + " refused")
		}
		return true
	}
}

func seq(fs ...func(pk *packet.Packet) bool) func(pk *packet.Packet) bool {
	return func(pk *packet.Packet) bool {
		for _, f := range fs {
			if !f(pk) {
				return false
			}
		}
		return true
	}
}

func rwCases() []rwCase {
	all := packet.Ones(128)
	fr := baseFrames()
	ttl1 := pkttest.Parsed(fr["tcp4"])
	ttl1.SetTTL(1)
	ttl1v6 := pkttest.Parsed(fr["udp6"])
	ttl1v6.SetTTL(1)
	dei := pkttest.VLAN(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil), 0x3064)
	badND := append([]byte(nil), fr["na"]...)
	badND[14+40+2] ^= 0x5a // a wrong ICMPv6 checksum: OVS's packet_set_nd_ext recomputes it
	nshTTL1 := pkttest.NSH(pkttest.NSHHeader{TTL: 1, MDType: 1, NP: 1, SPI: 5, SI: 1}, fr["udp4"][14:])
	v6 := func(s string) packet.U128 { h, l := a6(s); return packet.U128{Hi: h, Lo: l} }
	return []rwCase{
		{"eth_src", fr["tcp4"], "set_field:02:00:00:00:00:aa->eth_src", set(packet.FieldEthSrc, u(0x0200000000aa), all)},
		{"eth_dst_masked", fr["tcp4"], "set_field:02:00:00:00:00:bb/ff:ff:ff:00:00:ff->eth_dst", set(packet.FieldEthDst, u(0x0200000000bb), u(0xffffff0000ff))},
		{"ip_src_tcp", fr["tcp4"], "set_field:203.0.113.77->ip_src", set(packet.FieldIPv4Src, u(a4("203.0.113.77")), all)},
		{"ip_dst_masked", fr["tcp4"], "set_field:198.51.100.0/255.255.255.0->ip_dst", set(packet.FieldIPv4Dst, u(a4("198.51.100.0")), u(0xffffff00))},
		{"tcp_src", fr["tcp4"], "set_field:4321->tcp_src", set(packet.FieldTCPSrc, u(4321), all)},
		{"tcp_dst_masked", fr["tcp4"], "set_field:0x1200/0xff00->tcp_dst", set(packet.FieldTCPDst, u(0x1200), u(0xff00))},
		{"nat_tcp", fr["tcp4"], "set_field:203.0.113.9->ip_src,set_field:40000->tcp_src",
			seq(set(packet.FieldIPv4Src, u(a4("203.0.113.9")), all), set(packet.FieldTCPSrc, u(40000), all))},
		{"udp_dst", fr["udp4"], "set_field:53->udp_dst", set(packet.FieldUDPDst, u(53), all)},
		{"ip_src_udp", fr["udp4"], "set_field:203.0.113.77->ip_src", set(packet.FieldIPv4Src, u(a4("203.0.113.77")), all)},
		{"udp_zero_csum", fr["udp4zero"], "set_field:203.0.113.5->ip_src,set_field:9->udp_src",
			seq(set(packet.FieldIPv4Src, u(a4("203.0.113.5")), all), set(packet.FieldUDPSrc, u(9), all))},
		{"sctp_dst", fr["sctp4"], "set_field:4000->sctp_dst", set(packet.FieldSCTPDst, u(4000), all)},
		{"icmp_type", fr["icmp4"], "set_field:0->icmp_type", set(packet.FieldICMPType, u(0), all)},
		{"icmp_code", fr["icmp4"], "set_field:7->icmp_code", set(packet.FieldICMPCode, u(7), all)},
		{"ip_src_icmp", fr["icmp4"], "set_field:203.0.113.77->ip_src", set(packet.FieldIPv4Src, u(a4("203.0.113.77")), all)},
		{"mod_nw_tos", fr["tcp4"], "mod_nw_tos:184", set(packet.FieldNwTOS, u(184), u(0xfc))},
		{"ip_dscp", fr["tcp4"], "set_field:46->ip_dscp", set(packet.FieldIPDSCP, u(46), all)},
		{"mod_nw_ecn", fr["tcp4"], "mod_nw_ecn:2", set(packet.FieldIPECN, u(2), all)},
		{"mod_nw_ttl", fr["tcp4"], "mod_nw_ttl:9", func(pk *packet.Packet) bool { return pk.SetTTL(9) }},
		{"dec_ttl", fr["tcp4"], "dec_ttl", func(pk *packet.Packet) bool { return pk.DecTTL() }},
		{"dec_ttl_1", ttl1.Data, "dec_ttl", func(pk *packet.Packet) bool { return pk.DecTTL() }},
		{"ipv6_src", fr["tcp6"], "set_field:2001:db8::99->ipv6_src", set(packet.FieldIPv6Src, v6("2001:db8::99"), all)},
		{"ipv6_dst_masked", fr["tcp6"], "set_field:2001:db8:1::/ffff:ffff:ffff::->ipv6_dst",
			set(packet.FieldIPv6Dst, v6("2001:db8:1::"), packet.U128{Hi: 0xffffffffffff0000})},
		{"ipv6_label", fr["tcp6"], "set_field:0x12345->ipv6_label", set(packet.FieldIPv6Label, u(0x12345), all)},
		{"ipv6_dscp", fr["tcp6"], "set_field:46->ip_dscp", set(packet.FieldIPDSCP, u(46), all)},
		{"ipv6_ecn", fr["tcp6"], "mod_nw_ecn:1", set(packet.FieldIPECN, u(1), all)},
		{"ipv6_ttl", fr["tcp6"], "mod_nw_ttl:3", func(pk *packet.Packet) bool { return pk.SetTTL(3) }},
		{"ipv6_dec_ttl", fr["udp6"], "dec_ttl", func(pk *packet.Packet) bool { return pk.DecTTL() }},
		{"ipv6_dec_ttl_1", ttl1v6.Data, "dec_ttl", func(pk *packet.Packet) bool { return pk.DecTTL() }},
		{"udp6_src", fr["udp6"], "set_field:777->udp_src", set(packet.FieldUDPSrc, u(777), all)},
		{"udp6_nat", fr["udp6"], "set_field:2001:db8::99->ipv6_src,set_field:777->udp_src",
			seq(set(packet.FieldIPv6Src, v6("2001:db8::99"), all), set(packet.FieldUDPSrc, u(777), all))},
		{"icmpv6_type", fr["icmp6"], "set_field:129->icmpv6_type", set(packet.FieldICMPv6Type, u(129), all)},
		{"icmpv6_src", fr["icmp6"], "set_field:2001:db8::99->ipv6_src", set(packet.FieldIPv6Src, v6("2001:db8::99"), all)},
		{"nd_target", fr["ns"], "set_field:2001:db8::77->nd_target", set(packet.FieldNdTarget, v6("2001:db8::77"), all)},
		{"nd_sll", fr["ns"], "set_field:02:00:00:00:00:cc->nd_sll", set(packet.FieldNdSll, u(0x0200000000cc), all)},
		{"nd_tll", fr["na"], "set_field:02:00:00:00:00:dd->nd_tll", set(packet.FieldNdTll, u(0x0200000000dd), all)},
		{"nd_reserved_ns", fr["ns"], "set_field:0x12345678->nd_reserved", set(packet.FieldNdReserved, u(0x12345678), all)},
		{"nd_reserved_na", fr["na"], "set_field:0x20000000->nd_reserved", set(packet.FieldNdReserved, u(0x20000000), all)},
		{"nd_reserved_badcsum", badND, "set_field:0xa0000000->nd_reserved", set(packet.FieldNdReserved, u(0xa0000000), all)},
		{"nd_options_type_na", fr["na"], "set_field:1->nd_options_type", set(packet.FieldNdOptionsType, u(1), all)},
		{"nd_options_type_ns", fr["ns"], "set_field:2->nd_options_type,set_field:0x40000000->nd_reserved",
			seq(set(packet.FieldNdOptionsType, u(2), all), set(packet.FieldNdReserved, u(0x40000000), all))},
		// The parsed nd_reserved, copied where the frame shows it. (OVS 3.1
		// reads nd_options_type as a move source as 0 whatever the packet:
		// meta-flow.c's mf_get_value stores the 16-bit tcp_flags into the
		// 8-bit value; gswitch reads the parsed type.)
		{"nd_parse_na", fr["na"], "move:ERICOXM_OF_ICMPV6_ND_RESERVED[]->NXM_NX_IPV6_DST[0..31]",
			func(pk *packet.Packet) bool {
				return set(packet.FieldIPv6Dst, pk.Key.W.Get(packet.FieldNdReserved), u(0xffffffff))(pk)
			}},
		{"nd_parse_ns", fr["ns"], "move:ERICOXM_OF_ICMPV6_ND_RESERVED[]->NXM_NX_IPV6_DST[0..31]",
			func(pk *packet.Packet) bool {
				return set(packet.FieldIPv6Dst, pk.Key.W.Get(packet.FieldNdReserved), u(0xffffffff))(pk)
			}},
		{"arp_op", fr["arp"], "set_field:2->arp_op", set(packet.FieldARPOp, u(2), all)},
		{"arp_spa", fr["arp"], "set_field:198.51.100.9->arp_spa", set(packet.FieldARPSpa, u(a4("198.51.100.9")), all)},
		{"arp_tpa", fr["arp"], "set_field:198.51.100.8->arp_tpa", set(packet.FieldARPTpa, u(a4("198.51.100.8")), all)},
		{"arp_sha", fr["arp"], "set_field:02:00:00:00:00:ee->arp_sha", set(packet.FieldARPSha, u(0x0200000000ee), all)},
		{"arp_tha", fr["arp"], "set_field:02:00:00:00:00:ef->arp_tha", set(packet.FieldARPTha, u(0x0200000000ef), all)},
		{"vlan_tci_push", fr["tcp4"], "set_field:0x1064->vlan_tci", set(packet.FieldVlanTCI, u(0x1064), all)},
		{"vlan_tci_pop", fr["vlan-tcp4"], "set_field:0->vlan_tci", set(packet.FieldVlanTCI, u(0), all)},
		{"vlan_tci_rewrite", fr["vlan-tcp4"], "set_field:0x3005->vlan_tci", set(packet.FieldVlanTCI, u(0x3005), all)},
		{"vlan_vid", fr["vlan-tcp4"], "set_field:4196->vlan_vid", set(packet.FieldVlanVID, u(4196), all)},
		{"vlan_pcp", fr["vlan-tcp4"], "set_field:5->vlan_pcp", set(packet.FieldVlanPCP, u(5), all)},
		{"vlan_pcp_dei", dei, "set_field:5->vlan_pcp", set(packet.FieldVlanPCP, u(5), all)},
		{"push_vlan", fr["tcp4"], "push_vlan:0x8100", func(pk *packet.Packet) bool { return pk.PushVLAN(packet.EthTypeVLAN, 0) }},
		{"push_vlan_set_vid", fr["tcp4"], "push_vlan:0x8100,set_field:4196->vlan_vid",
			seq(func(pk *packet.Packet) bool { return pk.PushVLAN(packet.EthTypeVLAN, 0) }, set(packet.FieldVlanVID, u(4196), all))},
		{"push_vlan_tagged", fr["vlan-tcp4"], "push_vlan:0x88a8", func(pk *packet.Packet) bool { return pk.PushVLAN(packet.EthTypeQinQ, 0) }},
		{"pop_vlan", fr["vlan-tcp4"], "pop_vlan", func(pk *packet.Packet) bool { return pk.PopVLAN() }},
		{"pop_vlan_qinq", fr["qinq-udp6"], "pop_vlan", func(pk *packet.Packet) bool { return pk.PopVLAN() }},
		{"nsh_spi_si", fr["nsh-md1"], "set_field:0x654321->nsh_spi,set_field:9->nsh_si",
			seq(set(packet.FieldNSHSPI, u(0x654321), all), set(packet.FieldNSHSI, u(9), all))},
		{"nsh_flags_ttl", fr["nsh-md1"], "set_field:1->nsh_flags,set_field:20->nsh_ttl",
			seq(set(packet.FieldNSHFlags, u(1), all), set(packet.FieldNSHTTL, u(20), all))},
		{"nsh_flags_masked", fr["nsh-md2"], "set_field:0x2/0x2->nsh_flags", set(packet.FieldNSHFlags, u(2), u(2))},
		{"nsh_c1", fr["nsh-md1"], "set_field:0xdeadbeef->nsh_c1", set(packet.FieldNSHC1, u(0xdeadbeef), all)},
		{"nsh_c2_masked", fr["nsh-md1"], "set_field:0xab00/0xff00->nsh_c2", set(packet.FieldNSHC2, u(0xab00), u(0xff00))},
		{"nsh_c4_md2", fr["nsh-md2"], "set_field:0x5->nsh_c4,set_field:3->nsh_si",
			seq(set(packet.FieldNSHC4, u(5), all), set(packet.FieldNSHSI, u(3), all))},
		{"nsh_move_c1_c3", fr["nsh-md1"], "move:NXOXM_NSH_C1[]->NXOXM_NSH_C3[]",
			func(pk *packet.Packet) bool { return set(packet.FieldNSHC3, pk.Key.W.Get(packet.FieldNSHC1), all)(pk) }},
		{"nsh_move_spi_c4", fr["nsh-md1"], "move:NXOXM_NSH_SPI[0..15]->NXOXM_NSH_C4[8..23]",
			func(pk *packet.Packet) bool {
				return set(packet.FieldNSHC4, pk.Key.W.Get(packet.FieldNSHSPI).And(u(0xffff)).Shl(8), u(0xffff00))(pk)
			}},
		{"dec_nsh_ttl", fr["nsh-md1"], "dec_nsh_ttl", func(pk *packet.Packet) bool { return pk.DecNSHTTL() }},
		{"dec_nsh_ttl_md2", fr["nsh-md2"], "dec_nsh_ttl,dec_nsh_ttl", seq(func(pk *packet.Packet) bool { return pk.DecNSHTTL() },
			func(pk *packet.Packet) bool { return pk.DecNSHTTL() })},
		{"dec_nsh_ttl_1", nshTTL1, "dec_nsh_ttl", func(pk *packet.Packet) bool { return pk.DecNSHTTL() }},
		{"vlan_ip_src", fr["vlan-tcp4"], "set_field:203.0.113.77->ip_src", set(packet.FieldIPv4Src, u(a4("203.0.113.77")), all)},
	}
}

// TestRewriteVsOVS checks our rewrites byte for byte (headers, checksums,
// VLAN push/pop semantics) against what real OVS 3.1 sent for the same
// input and actions, recorded in testdata/ovsref/rewrite.golden. With
// -ovsref.capture it regenerates that file by running OVS.
func TestRewriteVsOVS(t *testing.T) {
	cases := rwCases()
	if *ovsrefCapture {
		captureRewrites(t, cases)
	}
	f, err := os.Open(rewriteGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byName := map[string]rwCase{}
	for _, c := range cases {
		byName[c.name] = c
	}
	seen := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 4 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		name, actions, in, out := parts[0], parts[1], parts[2], parts[3]
		c, ok := byName[name]
		if !ok || c.actions != actions || hex.EncodeToString(c.frame) != in {
			t.Errorf("%s: golden is stale (case changed): rerun with -ovsref.capture", name)
			continue
		}
		seen++
		pk := pkttest.Parsed(c.frame)
		sent := c.apply(pk)
		got := "-"
		if sent {
			got = hex.EncodeToString(pk.Data)
		}
		if got != out {
			t.Errorf("%s (%s):\n ours %s\n ovs  %s", name, actions, got, out)
			continue
		}
		if sent {
			q := pkttest.Parsed(pk.Data)
			q.Key.W = pk.Key.W
			packet.Parse(q)
			// nd_options_type rewrites the first option's type byte: a
			// re-parse may see other link-layer options (see TestSetFieldAll).
			// nsh_c1..c4 of MD type 2 change the key alone (odp_set_nsh).
			if q.Key != pk.Key && !strings.HasPrefix(name, "nd_options_type") && name != "nsh_c4_md2" {
				t.Errorf("%s: key differs from re-parse", name)
			}
		}
	}
	if seen != len(cases) {
		t.Errorf("golden has %d of %d cases: rerun with -ovsref.capture", seen, len(cases))
	}
}

func captureRewrites(t *testing.T, cases []rwCase) {
	if _, err := exec.LookPath("ovs-vswitchd"); err != nil {
		t.Fatal("ovs-vswitchd not installed")
	}
	dir := t.TempDir()
	var in bytes.Buffer
	for _, c := range cases {
		fmt.Fprintf(&in, "%s\t%s\t%s\n", c.name, c.actions, hex.EncodeToString(c.frame))
	}
	casesPath := filepath.Join(dir, "cases")
	outPath := filepath.Join(dir, "out")
	if err := os.WriteFile(casesPath, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "testdata/ovsref/capture.sh", casesPath, outPath)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("capture.sh: %v\n%s", err, b)
	}
	outs, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(outs)), "\n") {
		name, v, _ := strings.Cut(l, "\t")
		res[name] = v
	}
	var g bytes.Buffer
	for _, c := range cases {
		v, ok := res[c.name]
		if !ok || strings.HasPrefix(v, "!") {
			t.Fatalf("%s: OVS: %q", c.name, v)
		}
		fmt.Fprintf(&g, "%s\t%s\t%s\t%s\n", c.name, c.actions, hex.EncodeToString(c.frame), v)
	}
	if err := os.WriteFile(rewriteGolden, g.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
