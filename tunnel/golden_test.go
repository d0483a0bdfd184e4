package tunnel_test

// The goldens in testdata/ come from OVS 3.1 (testdata/capture.sh: a
// private ovs-vswitchd with br-int's tunnel ports and br-phy's underlay,
// inner frames sent into br-int, outer frames captured on br-phy's veth and
// sent back in). These tests run gswitch's code on the same input.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/tunnel"
)

// readPcap returns the frames of a classic pcap file.
func readPcap(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		t.Fatalf("%s: not a pcap file", path)
	}
	var out [][]byte
	for off := 24; off+16 <= len(b); {
		n := int(bo.Uint32(b[off+8:]))
		off += 16
		if off+n > len(b) {
			t.Fatalf("%s: truncated record", path)
		}
		out = append(out, b[off:off+n])
		off += n
	}
	return out
}

var (
	phyMAC  = [6]byte{2, 0, 0, 0, 0, 0xaa}
	peerMAC = [6]byte{2, 0, 0, 0, 0, 0xb2}
	local4  = netip.MustParseAddr("198.51.100.1")
	local6  = netip.MustParseAddr("2001:db8:100::1")
)

// capturePorts are capture.sh's tunnel ports (name, ofport, type, options).
var capturePorts = []struct {
	name   string
	ofport uint32
	typ    string
	opts   map[string]string
}{
	{"s6g-g0", 10, "geneve", map[string]string{"remote_ip": "198.51.100.2", "key": "flow", "csum": "true"}},
	{"s6g-g1", 11, "geneve", map[string]string{"remote_ip": "198.51.100.3", "key": "flow", "tos": "inherit", "ttl": "17", "df_default": "false"}},
	{"s6g-v0", 12, "vxlan", map[string]string{"remote_ip": "198.51.100.4", "key": "flow"}},
	{"s6g-v1", 13, "vxlan", map[string]string{"remote_ip": "198.51.100.5", "key": "99", "dst_port": "4790", "csum": "true", "tos": "0x10"}},
	{"s6g-g6", 14, "geneve", map[string]string{"remote_ip": "2001:db8:100::2", "key": "flow"}},
	{"s6g-gf", 15, "geneve", map[string]string{"remote_ip": "flow", "key": "flow"}},
}

func configs(t testing.TB) map[uint32]*tunnel.Config {
	m := map[uint32]*tunnel.Config{}
	for _, p := range capturePorts {
		c, warns, err := tunnel.ParseConfig(p.name, p.typ, p.opts)
		if err != nil || len(warns) != 0 {
			t.Fatalf("%s: %v %v", p.name, err, warns)
		}
		m[p.ofport] = &c
	}
	return m
}

// captureTLV is capture.sh's add-tlv-map, at slots of our choosing (the
// places are gswitch's; the wire format does not show them).
func captureTLV() *packet.TLVTable {
	var t packet.TLVTable
	t.E[0] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 0x80, Len: 4, Slots: 1 << 5}
	t.E[1] = packet.TLVEntry{Valid: true, Class: 0x0102, Type: 0x01, Len: 8, Slots: 1<<2 | 1<<9}
	t.E[2] = packet.TLVEntry{Valid: true, Class: 0x0103, Type: 0x81, Len: 4, Slots: 1 << 0}
	t.Used = 1<<5 | 1<<2 | 1<<9 | 1
	return &t
}

func setMeta(pk *packet.Packet, tlv *packet.TLVTable, idx int, hexval string) {
	v, _ := strconv.ParseUint(hexval, 16, 64)
	n := int(tlv.E[idx].Len)
	val := make([]byte, n)
	mask := bytes.Repeat([]byte{0xff}, n)
	for i := 0; i < n && i < 8; i++ {
		val[n-1-i] = byte(v >> (8 * i))
	}
	pk.Tun.SetBytes(idx, tlv.E[idx].Slots, val, mask)
}

// encapCase is what br-int's flow (capture.sh's flows) does to an inner
// frame before its output to a tunnel port.
type encapCase struct {
	name   string
	port   uint32
	tunID  uint64
	meta   map[int]string // tun_metadataN -> hex value
	tunDst string
}

var encapCases = []encapCase{
	{"inner-g0", 10, 0x123456, map[int]string{0: "aabbccdd", 1: "0102030405060708"}, ""},
	{"inner-g1", 11, 0x42, nil, ""},
	{"inner-v0", 12, 0x5000, nil, ""},
	{"inner-v1", 13, 0, nil, ""},
	{"inner-g6", 14, 7, map[int]string{0: "11223344"}, ""},
	{"inner-gf", 15, 0x99, map[int]string{2: "55667788"}, "198.51.100.7"},
	{"inner-g0b", 10, 0x123456, map[int]string{0: "aabbccdd", 1: "0102030405060708"}, ""},
	{"inner-g0c", 10, 0x123456, map[int]string{0: "aabbccdd", 1: "0102030405060708"}, ""},
	{"inner-g0v6", 10, 0x123456, map[int]string{0: "aabbccdd", 1: "0102030405060708"}, ""},
}

// splitCapture returns the frames OVS sent (source MAC br-phy's) and those
// sent to it.
func splitCapture(t testing.TB) (sent, received [][]byte) {
	for _, f := range readPcap(t, "testdata/capture.pcap") {
		switch {
		case bytes.Equal(f[6:12], phyMAC[:]):
			sent = append(sent, f)
		case bytes.Equal(f[0:6], phyMAC[:]):
			received = append(received, f)
		}
	}
	return sent, received
}

// innerOf returns the inner frame of an outer frame OVS built (IPv4 or
// IPv6, Geneve or VXLAN).
func innerOf(t testing.TB, f []byte) []byte {
	l3 := 14
	l4 := l3 + 20
	if binary.BigEndian.Uint16(f[12:]) == 0x86dd {
		l4 = l3 + 40
	}
	th := l4 + 8
	if dp := binary.BigEndian.Uint16(f[l4+2:]); dp == 6081 {
		return f[th+8+int(f[th]&0x3f)*4:]
	}
	return f[th+8:]
}

// TestEncapVsOVS: Encap builds, byte for byte, the outer frames OVS 3.1
// sent for the same inner frames, tunnel metadata and port options. The
// UDP source port (OVS: from the packet's RSS hash) is compared exactly
// too, the hash being pipeline.RSSHash; the IP id (OVS: always 0) needs no
// rule.
func TestEncapVsOVS(t *testing.T) {
	sent, _ := splitCapture(t)
	if len(sent) != 2*len(encapCases) {
		t.Fatalf("capture has %d sent frames, want %d", len(sent), 2*len(encapCases))
	}
	cfgs := configs(t)
	tlv := captureTLV()
	for i, tc := range encapCases {
		want := sent[2*i]
		if !bytes.Equal(want, sent[2*i+1]) {
			t.Errorf("%s: OVS sent two different frames", tc.name)
		}
		pk := packet.New(innerOf(t, want))
		packet.Parse(pk)
		pk.Key.W.SetTunID(tc.tunID)
		for idx, v := range tc.meta {
			setMeta(pk, tlv, idx, v)
		}
		if tc.tunDst != "" {
			a := netip.MustParseAddr(tc.tunDst).As4()
			pk.Key.W.SetTunNw(0, binary.BigEndian.Uint32(a[:]))
		}
		cfg := cfgs[tc.port]
		var f tunnel.Flow
		cfg.SendFlow(&pk.Key, &f)
		o := tunnel.Outer{SrcMAC: phyMAC, DstMAC: peerMAC, Src: local4}
		if f.Dst.Is6() {
			o.Src = local6
		}
		hash := pipeline.RSSHash(&pk.Key)
		if err := tunnel.Encap(pk, cfg, &f, tlv, &o, hash); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(pk.Data, want) {
			t.Errorf("%s:\n got %x\nwant %x", tc.name, pk.Data, want)
		}
		sp := binary.BigEndian.Uint16(want[14+20:])
		if f.Dst.Is6() {
			sp = binary.BigEndian.Uint16(want[14+40:])
		}
		if sp < tunnel.SrcPortMin || sp >= tunnel.SrcPortMax {
			t.Errorf("%s: OVS's source port %d out of range", tc.name, sp)
		}
	}
}

// ovsPacketIn is one packet-in of testdata/packetins.txt: its match text
// and total_len.
type ovsPacketIn struct {
	match    string
	totalLen int
}

func readPacketIns(t testing.TB) []ovsPacketIn {
	b, err := os.ReadFile("testdata/packetins.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []ovsPacketIn
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "NXT_PACKET_IN2") {
			continue
		}
		f := strings.Fields(l)
		var pi ovsPacketIn
		for _, x := range f {
			if strings.HasPrefix(x, "total_len=") {
				pi.totalLen, _ = strconv.Atoi(strings.TrimPrefix(x, "total_len="))
			}
			if strings.Contains(x, "in_port=") {
				pi.match = x
			}
		}
		out = append(out, pi)
	}
	return out
}

// matchText formats the tunnel fields and in_port as OVS's packet-in
// match does.
func matchText(k *packet.Key, m *packet.TunMeta, tlv *packet.TLVTable, inPort uint32) string {
	w := &k.W
	var s []string
	if w.TunID() != 0 {
		s = append(s, fmt.Sprintf("tun_id=%#x", w.TunID()))
	}
	if w.TunSrc() != 0 {
		s = append(s, "tun_src="+addr4(w.TunSrc()))
	}
	if w.TunDst() != 0 {
		s = append(s, "tun_dst="+addr4(w.TunDst()))
	}
	if v := w.TunIPv6Src(); v.Hi|v.Lo != 0 {
		s = append(s, "tun_ipv6_src="+addr6(v))
	}
	if v := w.TunIPv6Dst(); v.Hi|v.Lo != 0 {
		s = append(s, "tun_ipv6_dst="+addr6(v))
	}
	if w.TunFlags()&packet.TunFlagOAM != 0 {
		s = append(s, "tun_flags=+oam")
	}
	for i := 0; i < packet.TunMetaFields; i++ {
		if m.Present&(1<<uint(i)) == 0 {
			continue
		}
		e := tlv.E[i]
		var buf []byte
		for sl := e.Slots; sl != 0; sl &= sl - 1 {
			var x [4]byte
			binary.BigEndian.PutUint32(x[:], m.Opts[trailing(sl)])
			buf = append(buf, x[:]...)
		}
		h := strings.TrimLeft(fmt.Sprintf("%x", buf), "0")
		if h == "" {
			h = "0"
		}
		s = append(s, fmt.Sprintf("tun_metadata%d=0x%s", i, h))
	}
	s = append(s, fmt.Sprintf("in_port=%d", inPort))
	return strings.Join(s, ",")
}

func trailing(x uint64) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

func addr4(v uint32) string {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

func addr6(v packet.U128) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], v.Hi)
	binary.BigEndian.PutUint64(b[8:], v.Lo)
	return netip.AddrFrom16(b).String()
}

func capturePortSet(t testing.TB) *tunnel.Ports {
	var ports []tunnel.Port
	cfgs := configs(t)
	for _, p := range capturePorts {
		ports = append(ports, tunnel.Port{OFPort: p.ofport, Config: cfgs[p.ofport]})
	}
	ps, warns := tunnel.NewPorts(ports)
	if len(warns) != 0 {
		t.Fatal(warns)
	}
	return ps
}

func endpointFor(k *packet.Key) tunnel.Endpoint {
	if k.W.EthType() == 0x86dd {
		return tunnel.Endpoint{MAC: phyMAC, Addr: local6}
	}
	return tunnel.Endpoint{MAC: phyMAC, Addr: local4}
}

// TestDecapVsOVS: the well-formed outer frames sent into OVS (dec-*)
// decapsulate to the tunnel fields, Geneve options and input port of the
// packet-in OVS sent for each (testdata/packetins.txt), and to an inner
// frame of OVS's total_len.
func TestDecapVsOVS(t *testing.T) {
	_, received := splitCapture(t)
	pis := readPacketIns(t)
	const nDec = 6
	if len(received) < nDec || len(pis) != nDec {
		t.Fatalf("capture: %d received frames, %d packet-ins", len(received), len(pis))
	}
	ps := capturePortSet(t)
	tlv := captureTLV()
	var h tunnel.Header
	for i := 0; i < nDec; i++ {
		pk := packet.New(received[i])
		packet.Parse(pk)
		ep := endpointFor(&pk.Key)
		vp, ok := ps.Recognize(&pk.Key, &ep)
		if !ok {
			t.Errorf("frame %d: not recognized", i)
			continue
		}
		port, drop := ps.Decap(pk, vp, &h, func(int) *packet.TLVTable { return tlv })
		if drop != tunnel.Pass {
			t.Errorf("frame %d: %v (%s)", i, drop, h.Warning())
			continue
		}
		if got := matchText(&pk.Key, &pk.Tun, tlv, port.OFPort); got != pis[i].match {
			t.Errorf("frame %d:\n got %s\nwant %s", i, got, pis[i].match)
		}
		if len(pk.Data) != pis[i].totalLen {
			t.Errorf("frame %d: inner frame %d bytes, OVS %d", i, len(pk.Data), pis[i].totalLen)
		}
	}
}

// TestDecapDropsVsOVS: each malformed frame (bad-*) is dropped for the
// reason OVS counted (testdata/drops.txt: which coverage counter grew),
// and the pop errors OVS logged (testdata/vswitchd-log.txt, native_tnl)
// are the warnings, in order.
func TestDecapDropsVsOVS(t *testing.T) {
	_, received := splitCapture(t)
	b, err := os.ReadFile("testdata/drops.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(received) < 6 {
		t.Fatalf("capture: %d received frames", len(received))
	}
	bad := received[6:]
	if len(bad) != len(lines) {
		t.Fatalf("%d bad frames, %d drops.txt lines", len(bad), len(lines))
	}
	lb, err := os.ReadFile("testdata/vswitchd-log.txt")
	if err != nil {
		t.Fatal(err)
	}
	var wantWarn []string
	for _, l := range strings.Split(string(lb), "\n") {
		if strings.HasPrefix(l, "|native_tnl|WARN|") {
			wantWarn = append(wantWarn, strings.TrimSpace(strings.TrimPrefix(l, "|native_tnl|WARN|")))
		}
	}
	var gotWarn []string
	ps := capturePortSet(t)
	tlv := captureTLV()
	var h tunnel.Header
	for i, l := range lines {
		f := strings.Fields(l)
		want := ""
		for _, c := range f[1:] {
			if strings.HasSuffix(c, "+1") {
				want = strings.TrimSuffix(c, "+1")
			}
		}
		if strings.Contains(l, "packet_in+1") {
			want = ""
		}
		pk := packet.New(bad[i])
		packet.Parse(pk)
		ep := endpointFor(&pk.Key)
		vp, ok := ps.Recognize(&pk.Key, &ep)
		if !ok {
			t.Errorf("%s: not recognized", f[0])
			continue
		}
		_, drop := ps.Decap(pk, vp, &h, func(int) *packet.TLVTable { return tlv })
		if drop.Counter() != want {
			t.Errorf("%s: %v (counter %q), OVS counted %q", f[0], drop, drop.Counter(), want)
		}
		if w := h.Warning(); drop == tunnel.DropPop && w != "" {
			gotWarn = append(gotWarn, w)
		}
	}
	if strings.Join(gotWarn, "\n") != strings.Join(wantWarn, "\n") {
		t.Errorf("warnings:\n got %q\nwant %q", gotWarn, wantWarn)
	}
}

// TestConfigErrorsVsOVS: ParseConfig refuses what OVS refused, with the
// Interface.error text OVS wrote (testdata/errors.txt), and accepts what
// OVS accepted.
func TestConfigErrorsVsOVS(t *testing.T) {
	b, err := os.ReadFile("testdata/errors.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("bad line %q", l)
		}
		args := strings.Fields(f[1])
		opts := map[string]string{}
		for _, a := range args[1:] {
			k, v, _ := strings.Cut(a, "=")
			opts[k] = v
		}
		want := ""
		if f[2] != "[]" {
			want, err = strconv.Unquote(f[2])
			if err != nil {
				t.Fatalf("%s: %v", f[2], err)
			}
		}
		_, _, perr := tunnel.ParseConfig(f[0], args[0], opts)
		got := ""
		if perr != nil {
			got = perr.Error()
		}
		if got != want {
			t.Errorf("%s %s:\n got %q\nwant %q", f[0], f[1], got, want)
		}
	}
}
