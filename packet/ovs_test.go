package packet_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// writePcap writes frames as a classic little-endian pcap file of
// Ethernet frames.
func writePcap(path string, frames [][]byte) error {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 262144)
	binary.LittleEndian.PutUint32(b[20:], 1) // LINKTYPE_ETHERNET
	for _, f := range frames {
		var h [16]byte
		binary.LittleEndian.PutUint32(h[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(f)))
		b = append(append(b, h[:]...), f...)
	}
	return os.WriteFile(path, b, 0o644)
}

// mutate damages a frame the way a fuzzer would: truncation, a flipped
// byte in the headers, or a random length field.
func mutate(rng *rand.Rand, f []byte) []byte {
	f = append([]byte(nil), f...)
	switch rng.IntN(4) {
	case 0:
		return f[:rng.IntN(len(f)+1)]
	case 1:
		n := min(len(f), 90)
		f[rng.IntN(n)] = byte(rng.Uint32())
	case 2:
		n := min(len(f), 90)
		for i := 0; i < 3; i++ {
			f[rng.IntN(n)] ^= 1 << rng.IntN(8)
		}
	}
	return f
}

// addExtHeaders inserts 1-4 random IPv6 extension headers (hop-by-hop,
// destination options, routing, fragment, AH) after the fixed header of an
// untagged IPv6 frame.
func addExtHeaders(rng *rand.Rand, f []byte) []byte {
	if len(f) < 54 || binary.BigEndian.Uint16(f[12:]) != packet.EthTypeIPv6 {
		return f
	}
	nh := f[20]
	var ext []byte
	for i, n := 0, 1+rng.IntN(4); i < n; i++ {
		var h []byte
		var t byte
		switch rng.IntN(5) {
		case 0, 1:
			t = []byte{packet.ProtoHopOpts, packet.ProtoDstOpts}[rng.IntN(2)]
			h = make([]byte, 8*(1+rng.IntN(2)))
			h[1] = byte(len(h)/8 - 1)
		case 2:
			t = packet.ProtoRouting
			h = make([]byte, 8)
		case 3:
			t = packet.ProtoFragment
			h = make([]byte, 8)
			binary.BigEndian.PutUint16(h[2:], []uint16{0, 1, 8, 9, 0xfff8}[rng.IntN(5)])
		case 4:
			t = packet.ProtoAH
			h = make([]byte, 12+4*rng.IntN(2))
			h[1] = byte(len(h)/4 - 2)
		}
		h[0] = nh
		nh = t
		ext = append(h, ext...)
	}
	g := append(append(append([]byte(nil), f[:54]...), ext...), f[54:]...)
	g[20] = nh
	binary.BigEndian.PutUint16(g[18:], binary.BigEndian.Uint16(f[18:])+uint16(len(ext)))
	return g
}

// genNSH makes a random NSH frame, often a damaged one.
func genNSH(rng *rand.Rand) []byte {
	h := pkttest.NSHHeader{Flags: uint8(rng.Uint32()), TTL: uint8(rng.Uint32()), MDType: []uint8{1, 1, 2, 2, 0, 3, 0x11, 0xff}[rng.IntN(8)],
		NP: uint8(rng.IntN(6)), SPI: rng.Uint32() & 0xffffff, SI: uint8(rng.Uint32())}
	for i := range h.C {
		h.C[i] = rng.Uint32()
	}
	if h.MDType != 1 {
		h.MD = make([]byte, 4*rng.IntN(6))
		for i := range h.MD {
			h.MD[i] = byte(rng.Uint32())
		}
	}
	f := pkttest.NSH(h, pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil))
	switch rng.IntN(6) {
	case 0:
		f[14] |= byte(1+rng.IntN(3)) << 6 // version
	case 1:
		f[15] = f[15]&0xc0 | byte(rng.IntN(64)) // length
	case 2:
		f = f[:14+rng.IntN(30)]
	}
	for i, n := 0, rng.IntN(3); i < n; i++ {
		f = pkttest.Tag(f, []uint16{packet.EthTypeVLAN, packet.EthTypeQinQ}[rng.IntN(2)], uint16(rng.IntN(4096)))
	}
	if rng.IntN(4) == 0 {
		f = mutate(rng, f)
	}
	return f
}

// ovsKey renders the fields of our key the way ovs-ofctl parse-pcap prints
// the flow OVS extracts, for the fields both have.
func ovsFields(k *packet.Key) map[string]string {
	m := map[string]string{}
	macs := func(w uint64) string {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", byte(w>>40), byte(w>>32), byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
	}
	ip4 := func(x uint32) string {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], x)
		return netip.AddrFrom4(b).String()
	}
	ip6 := func(w int) string {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:], k.W[w])
		binary.BigEndian.PutUint64(b[8:], k.W[w+1])
		return netip.AddrFrom16(b).String()
	}
	m["dl_src"] = macs(k.W[packet.WEthSrc] >> 16)
	m["dl_dst"] = macs(k.W[packet.WEthDst] >> 16)
	m["dl_type"] = fmt.Sprintf("0x%04x", k.EthType())
	if tci := k.VlanTCI(); tci&packet.VlanCFI != 0 {
		m["dl_vlan"] = strconv.Itoa(int(tci & 0xfff))
		m["dl_vlan_pcp"] = strconv.Itoa(int(tci >> 13))
	} else {
		m["vlan_tci"] = fmt.Sprintf("0x%04x", tci)
	}
	misc := k.W[packet.WL3Misc]
	switch k.EthType() {
	case packet.EthTypeARP, packet.EthTypeRARP:
		m["arp_spa"] = ip4(uint32(k.W[packet.WNw] >> 32))
		m["arp_tpa"] = ip4(uint32(k.W[packet.WNw]))
		m["arp_op"] = strconv.Itoa(int(k.NwProto()))
		m["arp_sha"] = macs(k.W[packet.WArpSha] >> 16)
		m["arp_tha"] = macs(k.W[packet.WArpTha] >> 16)
		return m
	case packet.EthTypeIPv4:
		m["nw_src"] = ip4(k.IPv4Src())
		m["nw_dst"] = ip4(k.IPv4Dst())
	case packet.EthTypeNSH:
		w := &k.W
		for f := packet.FieldNSHFlags; f <= packet.FieldNSHC4; f++ {
			v := w.Get(f).Lo
			if f == packet.FieldNSHSPI || f >= packet.FieldNSHC1 {
				m[f.String()] = fmt.Sprintf("0x%x", v)
			} else {
				m[f.String()] = strconv.Itoa(int(v))
			}
		}
		return m
	case packet.EthTypeIPv6:
		m["ipv6_src"] = ip6(packet.WIPv6Src)
		m["ipv6_dst"] = ip6(packet.WIPv6Dst)
		m["ipv6_label"] = fmt.Sprintf("0x%05x", uint32(misc>>32))
	default:
		return m
	}
	m["nw_proto"] = strconv.Itoa(int(k.NwProto()))
	m["nw_tos"] = strconv.Itoa(int(uint8(misc>>16) & 0xfc))
	m["nw_ecn"] = strconv.Itoa(int(uint8(misc>>16) & 3))
	m["nw_ttl"] = strconv.Itoa(int(k.NwTTL()))
	m["nw_frag"] = [...]string{"no", "first", "later", "later"}[k.NwFrag()&3]
	switch k.NwProto() {
	case packet.ProtoTCP, packet.ProtoUDP, packet.ProtoSCTP:
		m["tp_src"] = strconv.Itoa(int(k.TpSrc()))
		m["tp_dst"] = strconv.Itoa(int(k.TpDst()))
		m["tcp_flags"] = strconv.Itoa(int(k.TCPFlags()))
	case packet.ProtoICMP, packet.ProtoICMPv6:
		m["icmp_type"] = strconv.Itoa(int(k.TpSrc()))
		m["icmp_code"] = strconv.Itoa(int(k.TpDst()))
		m["nd_target"] = ip6(packet.WNdTarget)
		m["nd_sll"] = macs(k.W[packet.WArpSha] >> 16)
		m["nd_tll"] = macs(k.W[packet.WArpTha] >> 16)
	}
	return m
}

var tcpFlagNames = map[string]int{"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 0x10, "urg": 0x20, "ece": 0x40, "cwr": 0x80, "ns": 0x100}

// parseOVS turns one line of ovs-ofctl parse-pcap output into field=value
// pairs, expanding the protocol shorthand into dl_type and nw_proto.
func parseOVS(line string) (map[string]string, error) {
	m := map[string]string{}
	for i, kv := range strings.Split(line, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			if i != 0 {
				return nil, fmt.Errorf("bad item %q", kv)
			}
			types := map[string][2]string{
				"ip": {"0x0800", ""}, "icmp": {"0x0800", "1"}, "tcp": {"0x0800", "6"}, "udp": {"0x0800", "17"}, "sctp": {"0x0800", "132"},
				"igmp": {"0x0800", "2"}, "ipv6": {"0x86dd", ""}, "icmp6": {"0x86dd", "58"}, "tcp6": {"0x86dd", "6"}, "udp6": {"0x86dd", "17"},
				"sctp6": {"0x86dd", "132"}, "arp": {"0x0806", ""}, "rarp": {"0x8035", ""},
				"mpls": {"0x8847", ""}, "mplsm": {"0x8848", ""},
			}
			t, ok := types[k]
			if !ok {
				return nil, fmt.Errorf("unknown shorthand %q", k)
			}
			m["dl_type"] = t[0]
			if t[1] != "" {
				m["nw_proto"] = t[1]
			}
			continue
		}
		switch k {
		case "tcp_flags":
			n := 0
			for _, f := range strings.Split(v, "|") {
				if x, ok := tcpFlagNames[f]; ok {
					n |= x
				} else if x, err := strconv.ParseInt(strings.Trim(f, "[]"), 16, 32); err == nil {
					n |= int(x)
				} else {
					return nil, fmt.Errorf("tcp flag %q", f)
				}
			}
			v = strconv.Itoa(n)
		case "tp_src", "tp_dst", "icmp_type", "icmp_code", "nw_proto", "nw_tos", "nw_ecn", "nw_ttl", "arp_op", "dl_vlan", "dl_vlan_pcp":
			if n, err := strconv.ParseUint(v, 0, 32); err == nil {
				v = strconv.Itoa(int(n))
			}
		case "dl_type":
			if n, err := strconv.ParseUint(v, 0, 32); err == nil {
				v = fmt.Sprintf("0x%04x", n)
			}
		}
		m[k] = v
	}
	return m, nil
}

// TestParseVsOVS feeds well-formed and damaged frames to real Open vSwitch
// (ovs-ofctl parse-pcap runs OVS's flow_extract) and compares every field
// both extract. It is skipped where ovs-ofctl is not installed.
func TestParseVsOVS(t *testing.T) {
	ofctl, err := exec.LookPath("ovs-ofctl")
	if err != nil {
		t.Skip("ovs-ofctl not installed")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var frames [][]byte
	for _, f := range seedFrames() {
		frames = append(frames, f)
	}
	frames = append(frames,
		pkttest.Tag(pkttest.QinQ(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil), 1, 2), 0x8100, 3),
		pkttest.VLAN(pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"), 7))
	for len(frames) < 6000 {
		f := genFrame(rng)
		if rng.IntN(2) == 0 {
			f = addExtHeaders(rng, f)
		}
		if rng.IntN(3) > 0 {
			f = mutate(rng, f)
		}
		if len(f) >= 14 {
			frames = append(frames, f)
		}
	}
	// NSH: MD types 1, 2 and others, behind 0-2 VLAN tags, with wrong
	// versions and lengths, truncated or damaged.
	for i := 0; i < 800; i++ {
		if f := genNSH(rng); len(f) >= 14 {
			frames = append(frames, f)
		}
	}
	path := filepath.Join(t.TempDir(), "frames.pcap")
	if err := writePcap(path, frames); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ofctl, "parse-pcap", path).Output()
	if err != nil {
		t.Fatalf("ovs-ofctl parse-pcap: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("ovs-ofctl printed %d flows for %d frames", len(lines), len(frames))
	}
	bad := 0
	for i, line := range lines {
		theirs, err := parseOVS(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if theirs["nw_proto"] == "2" {
			continue // IGMP: OVS extracts type/code we do not
		}
		pk := packet.New(frames[i])
		packet.Parse(pk)
		ours := ovsFields(&pk.Key)
		for k, v := range theirs {
			o, ok := ours[k]
			if !ok {
				switch k {
				case "mpls_label", "mpls_tc", "mpls_ttl", "mpls_bos", "mpls_lse1", "mpls_lse2":
					continue // MPLS is not parsed
				case "nw_proto", "nw_tos", "nw_ecn", "nw_ttl", "nw_frag":
					if theirs["dl_type"] == "0x894f" {
						continue // OVS prints zero L3 fields after NSH
					}
				}
				switch k {
				case "in_port", "vlan_tci1", "dl_vlan1", "dl_vlan_pcp1", "nw_tos", "nw_ecn", "nw_ttl", "nw_frag", "ipv6_label", "nw_src", "nw_dst":
					continue // not in our key, or printed by OVS for a frame we mark malformed earlier
				}
				if v == "0" || v == "0x0000" || v == "0.0.0.0" || v == "::" || v == "00:00:00:00:00:00" {
					continue
				}
			}
			if o != v {
				bad++
				if bad < 10 {
					t.Errorf("frame %d %x\n  ovs:  %s\n  field %s: ours %q, ovs %q", i, frames[i], line, k, o, v)
				}
			}
		}
		// Fields OVS did not print must be zero in ours.
		for k, o := range ours {
			if _, ok := theirs[k]; ok {
				continue
			}
			if o != "0" && o != "0x0" && o != "0x00000" && o != "0x0000" && o != "0.0.0.0" && o != "::" && o != "00:00:00:00:00:00" && o != "no" {
				if k == "tcp_flags" && theirs["nw_proto"] != "6" {
					continue
				}
				bad++
				if bad < 10 {
					t.Errorf("frame %d %x\n  ovs:  %s\n  field %s: ours %q, ovs absent", i, frames[i], line, k, o)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d differences", bad)
	}
}
