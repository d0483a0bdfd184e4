package ports

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"gswitch/packet"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	v4A  = net.IP{198, 51, 100, 1}
	v4B  = net.IP{198, 51, 100, 2}
	v6A  = net.ParseIP("2001:db8::1")
	v6B  = net.ParseIP("2001:db8::2")
)

type frameSpec struct {
	ipv6    bool
	udp     bool
	vlan    bool
	flags   string // TCP flags among "FPC" (FIN, PSH, CWR) besides ACK
	options bool   // TCP timestamps
	payload int
	pad     int // Ethernet padding after the IP packet
}

// name is a short readable name for the spec, for subtests
// ("udp6 vlan payload=33").
func (s frameSpec) name() string {
	n := "tcp"
	if s.udp {
		n = "udp"
	}
	if s.ipv6 {
		n += "6"
	} else {
		n += "4"
	}
	if s.vlan {
		n += " vlan"
	}
	if s.flags != "" {
		n += " flags=" + s.flags
	}
	if s.options {
		n += " options"
	}
	n += fmt.Sprintf(" payload=%d", s.payload)
	if s.pad != 0 {
		n += fmt.Sprintf(" pad=%d", s.pad)
	}
	return n
}

// buildFrame makes a complete frame with valid checksums using gopacket, and
// returns it with its payload.
func buildFrame(t testing.TB, s frameSpec) ([]byte, []byte) {
	t.Helper()
	payload := make([]byte, s.payload)
	rand.New(rand.NewSource(int64(s.payload))).Read(payload)
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	var ls []gopacket.SerializableLayer
	ls = append(ls, eth)
	et := layers.EthernetTypeIPv4
	if s.ipv6 {
		et = layers.EthernetTypeIPv6
	}
	if s.vlan {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: 42, Type: et})
	} else {
		eth.EthernetType = et
	}
	var nl gopacket.NetworkLayer
	proto := layers.IPProtocolTCP
	if s.udp {
		proto = layers.IPProtocolUDP
	}
	if s.ipv6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: v6A, DstIP: v6B}
		nl = ip
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0xfffe, Flags: layers.IPv4DontFragment, Protocol: proto, SrcIP: v4A, DstIP: v4B}
		nl = ip
		ls = append(ls, ip)
	}
	if s.udp {
		u := &layers.UDP{SrcPort: 4000, DstPort: 5000}
		u.SetNetworkLayerForChecksum(nl)
		ls = append(ls, u)
	} else {
		tc := &layers.TCP{SrcPort: 4000, DstPort: 5000, Seq: 0xfffff000, Ack: 77, ACK: true, Window: 512}
		for _, c := range s.flags {
			switch c {
			case 'F':
				tc.FIN = true
			case 'P':
				tc.PSH = true
			case 'C':
				tc.CWR = true
			}
		}
		if s.options {
			tc.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
				{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
		}
		tc.SetNetworkLayerForChecksum(nl)
		ls = append(ls, tc)
	}
	ls = append(ls, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	f := append([]byte(nil), buf.Bytes()...)
	f = append(f, make([]byte, s.pad)...)
	return f, payload
}

// makePartial turns a complete frame into what the kernel hands over for a
// CHECKSUM_PARTIAL frame: the checksum field holds the pseudo-header sum.
func makePartial(t testing.TB, f []byte) packet.Offload {
	t.Helper()
	in, ok := locate(f)
	if !ok {
		t.Fatal("locate failed")
	}
	l4 := f[in.l4:in.end]
	binary.BigEndian.PutUint16(l4[in.csumOff:], packet.Fold(packet.PseudoSumIPHeader(f[in.l3:], !in.ipv4, in.proto, len(l4))))
	return packet.Offload{CsumStart: uint16(in.l4), CsumOffset: uint16(in.csumOff), HdrLen: uint16(in.hdrLen)}
}

// verifyWire checks that frame decodes with gopacket and that its IP and L4
// checksums are what gopacket computes, by re-serializing the decoded layers.
func verifyWire(t *testing.T, frame []byte) gopacket.Packet {
	t.Helper()
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("decode: %v", el.Error())
	}
	var ls []gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	for _, l := range p.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			nl = l
		case *layers.IPv6:
			nl = l
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(nl)
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(nl)
		}
		if sl, ok := l.(gopacket.SerializableLayer); ok {
			ls = append(ls, sl)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	want := buf.Bytes()
	if len(want) > len(frame) && len(want) == 60 { // gopacket pads to the Ethernet minimum
		want = want[:len(frame)]
	}
	if !bytes.Equal(want, frame) {
		t.Fatalf("checksums or lengths differ from gopacket's:\n got %x\nwant %x", frame, want)
	}
	return p
}

func TestSegment(t *testing.T) {
	cases := []struct {
		name string
		spec frameSpec
		mss  int
	}{
		{"v4-tcp", frameSpec{payload: 10000, flags: "FPC"}, 1448},
		{"v4-tcp-opts", frameSpec{payload: 65000, options: true, flags: "P"}, 1448},
		{"v4-tcp-exact", frameSpec{payload: 1448 * 3}, 1448},
		{"v4-tcp-one", frameSpec{payload: 100, flags: "FPC"}, 1448},
		{"v4-tcp-empty", frameSpec{payload: 0, flags: "F"}, 1448},
		{"v4-tcp-pad", frameSpec{payload: 3000, pad: 6}, 1000},
		{"v6-tcp", frameSpec{ipv6: true, payload: 20000, options: true, flags: "FPC"}, 1428},
		{"vlan-v4-tcp", frameSpec{vlan: true, payload: 5000, flags: "C"}, 1448},
		{"vlan-v6-tcp", frameSpec{vlan: true, ipv6: true, payload: 5000}, 1400},
		{"v4-udp", frameSpec{udp: true, payload: 8000}, 1472},
		{"v6-udp", frameSpec{udp: true, ipv6: true, payload: 8001}, 1452},
		{"v4-tcp-tiny-mss", frameSpec{payload: 300}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, payload := buildFrame(t, c.spec)
			off := makePartial(t, f)
			switch {
			case c.spec.udp:
				off.GSOType = GSOUDPL4
			case c.spec.ipv6:
				off.GSOType = GSOTCPv6
			default:
				off.GSOType = GSOTCPv4
			}
			off.GSOSize = uint16(c.mss)
			orig := append([]byte(nil), f...)
			var got []byte
			var segs [][]byte
			var s Segmenter
			if err := s.Segment(f, &off, func(seg []byte) { segs = append(segs, append([]byte(nil), seg...)) }); err != nil {
				t.Fatal(err)
			}
			want := max(1, (len(payload)+c.mss-1)/c.mss)
			if len(segs) != want {
				t.Fatalf("%d segments, want %d", len(segs), want)
			}
			origTCP, _ := gopacket.NewPacket(orig, layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeTCP).(*layers.TCP)
			origIP4, _ := gopacket.NewPacket(orig, layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			for i, seg := range segs {
				p := verifyWire(t, seg)
				if len(seg) > len(orig) {
					t.Fatalf("segment %d longer than the frame", i)
				}
				if ip4, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
					if ip4.Id != origIP4.Id+uint16(i) {
						t.Errorf("segment %d: IP id %#x, want %#x", i, ip4.Id, origIP4.Id+uint16(i))
					}
				}
				if tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
					if tc.Seq != origTCP.Seq+uint32(i*c.mss) {
						t.Errorf("segment %d: seq %d, want %d", i, tc.Seq, origTCP.Seq+uint32(i*c.mss))
					}
					last := i == len(segs)-1
					if tc.FIN != (origTCP.FIN && last) || tc.PSH != (origTCP.PSH && last) || tc.CWR != (origTCP.CWR && i == 0) || !tc.ACK {
						t.Errorf("segment %d: flags FIN=%v PSH=%v CWR=%v", i, tc.FIN, tc.PSH, tc.CWR)
					}
					if len(tc.Options) != len(origTCP.Options) {
						t.Errorf("segment %d: options lost", i)
					}
					if i < len(segs)-1 && len(tc.Payload) != c.mss {
						t.Errorf("segment %d: %d payload bytes, want %d", i, len(tc.Payload), c.mss)
					}
					got = append(got, tc.Payload...)
				}
				if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
					if int(u.Length) != 8+len(u.Payload) {
						t.Errorf("segment %d: UDP length %d", i, u.Length)
					}
					got = append(got, u.Payload...)
				}
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("payload: got %d bytes, want %d (equal prefix: %v)", len(got), len(payload), bytes.HasPrefix(payload, got))
			}
		})
	}
}

func TestSegmentErrors(t *testing.T) {
	f, _ := buildFrame(t, frameSpec{payload: 3000})
	off := makePartial(t, f)
	var s Segmenter
	for _, c := range []struct {
		name string
		off  packet.Offload
	}{
		{"wrong IP version", packet.Offload{CsumStart: off.CsumStart, CsumOffset: 16, GSOType: GSOTCPv6, GSOSize: 1000}},
		{"wrong L4", packet.Offload{CsumStart: off.CsumStart, CsumOffset: 16, GSOType: GSOUDPL4, GSOSize: 1000}},
		{"UFO", packet.Offload{CsumStart: off.CsumStart, CsumOffset: 16, GSOType: GSOUDP, GSOSize: 1000}},
		{"GSO size 0", packet.Offload{CsumStart: off.CsumStart, CsumOffset: 16, GSOType: GSOTCPv4, GSOSize: 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			emit := func([]byte) { t.Fatal("emitted") }
			if err := s.Segment(append([]byte(nil), f...), &c.off, emit); err == nil {
				t.Errorf("%+v: no error", c.off)
			}
		})
	}
	emit := func([]byte) { t.Fatal("emitted") }
	arp := make([]byte, 60)
	arp[12], arp[13] = 0x08, 0x06
	o := packet.Offload{CsumStart: 20, CsumOffset: 4, GSOType: GSOTCPv4, GSOSize: 10}
	if err := s.Segment(arp, &o, emit); err == nil {
		t.Error("ARP: no error")
	}
}

func TestRecomputeOffloadChecksum(t *testing.T) {
	for _, spec := range []frameSpec{
		{payload: 100}, {payload: 101, ipv6: true}, {udp: true, payload: 33}, {udp: true, ipv6: true, payload: 0},
		{vlan: true, payload: 10, options: true}, {payload: 6, pad: 10},
	} {
		t.Run(spec.name(), func(t *testing.T) {
			f, _ := buildFrame(t, spec)
			want := append([]byte(nil), f...)
			pk := packet.New(f)
			pk.Off = makePartial(t, pk.Data)
			pk.Key.Flags |= packet.FlagCsumPartial
			if err := RecomputeOffloadChecksum(pk); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pk.Data, want) {
				t.Errorf("%+v: got %x\nwant %x", spec, pk.Data, want)
			}
			if CsumPartial(&pk.Off) || pk.Key.Flags&packet.FlagCsumPartial != 0 {
				t.Errorf("%+v: still partial", spec)
			}
		})
	}
}

// TestRecomputeOffloadChecksumGeneric covers the NIC-style completion used when the
// headers do not parse (here an IPv4 fragment, which locate refuses).
func TestRecomputeOffloadChecksumGeneric(t *testing.T) {
	f, _ := buildFrame(t, frameSpec{payload: 50})
	want := append([]byte(nil), f...)
	off := makePartial(t, f)
	f[14+6] |= 0x20 // MF: locate now refuses the frame
	want[14+6] |= 0x20
	if err := recomputeOffloadChecksum(f, &off); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f, want) {
		t.Fatalf("got %x\nwant %x", f, want)
	}
}

// TestPrepareVnetAfterVLANPush checks that the header sent to the kernel
// follows the frame's current headers, and that completing the checksum as
// the kernel would (from csum_start) gives the right one.
func TestPrepareVnetAfterVLANPush(t *testing.T) {
	plain, _ := buildFrame(t, frameSpec{payload: 4000, options: true})
	tagged, _ := buildFrame(t, frameSpec{payload: 4000, options: true, vlan: true})
	off := makePartial(t, plain)
	off.GSOType, off.GSOSize = GSOTCPv4, 1448
	// "push_vlan": the frame is now the tagged one, the offload still says
	// where things were before.
	pk := packet.New(tagged)
	pk.Off = off
	binary.BigEndian.PutUint16(pk.Data[18+20+16:], 0xdead) // a stale checksum field
	var h VnetHdr
	if err := prepareVnet(pk.Data, &pk.Off, &h); err != nil {
		t.Fatal(err)
	}
	if h.CsumStart != off.CsumStart+4 || h.CsumOffset != 16 || h.HdrLen != off.HdrLen+4 ||
		h.GSOType != GSOTCPv4 || h.GSOSize != 1448 || h.Flags != VnetFlagNeedsCsum {
		t.Fatalf("header %+v (offload %+v)", h, off)
	}
	// The kernel segments: our Segment from the header's view must give
	// valid frames.
	o2, err := h.Offload(len(pk.Data))
	if err != nil {
		t.Fatal(err)
	}
	var s Segmenter
	n := 0
	if err := s.Segment(pk.Data, &o2, func(seg []byte) { verifyWire(t, seg); n++ }); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("%d segments", n)
	}
	// Without GSO: generic completion from the header's csum_start.
	small, _ := buildFrame(t, frameSpec{payload: 300, vlan: true})
	want := append([]byte(nil), small...)
	so := packet.Offload{CsumStart: 34, CsumOffset: 16} // pre-push positions
	if err := prepareVnet(small, &so, &h); err != nil {
		t.Fatal(err)
	}
	o3, _ := h.Offload(len(small))
	start, at := int(o3.CsumStart), int(o3.CsumStart+o3.CsumOffset)
	binary.BigEndian.PutUint16(small[at:], packet.Checksum(small[start:]))
	if !bytes.Equal(small, want) {
		t.Fatalf("kernel-style completion gave %x\nwant %x", small, want)
	}
}

func TestPrepareVnetPlain(t *testing.T) {
	f, _ := buildFrame(t, frameSpec{payload: 10})
	var h VnetHdr
	if err := prepareVnet(f, &packet.Offload{}, &h); err != nil || h != (VnetHdr{}) {
		t.Fatalf("%+v %v", h, err)
	}
	o := packet.Offload{CsumStart: 34, CsumOffset: 16, GSOType: GSOTCPv6, GSOSize: 100}
	if err := prepareVnet(f, &o, &h); err == nil {
		t.Fatal("GSO type mismatch accepted")
	}
}

func TestSegmentPacketNoOffload(t *testing.T) {
	f, _ := buildFrame(t, frameSpec{payload: 10})
	pk := packet.New(f)
	n := 0
	if err := Segment(pk, func(seg []byte) {
		n++
		if !bytes.Equal(seg, f) {
			t.Error("changed")
		}
	}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}

func TestSegmentNoAllocs(t *testing.T) {
	f, _ := buildFrame(t, frameSpec{payload: 60000, options: true})
	off := makePartial(t, f)
	off.GSOType, off.GSOSize = GSOTCPv4, 1448
	var s Segmenter
	n := 0
	emit := func([]byte) { n++ }
	s.Segment(f, &off, emit)
	if a := testing.AllocsPerRun(20, func() { s.Segment(f, &off, emit) }); a != 0 {
		t.Fatalf("%v allocs per Segment", a)
	}
}

func BenchmarkSegment(b *testing.B) {
	for _, c := range []struct {
		name string
		spec frameSpec
		gso  uint8
		mss  uint16
	}{
		{"tcp4-64k", frameSpec{payload: 64000, options: true}, GSOTCPv4, 1448},
		{"tcp6-64k", frameSpec{payload: 64000, ipv6: true, options: true}, GSOTCPv6, 1428},
		{"udp4-32k", frameSpec{payload: 32000, udp: true}, GSOUDPL4, 1472},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, _ := buildFrame(b, c.spec)
			off := makePartial(b, f)
			off.GSOType, off.GSOSize = c.gso, c.mss
			var s Segmenter
			emit := func([]byte) {}
			b.SetBytes(int64(len(f)))
			b.ReportAllocs()
			for b.Loop() {
				s.Segment(f, &off, emit)
			}
		})
	}
	b.Run("finish-csum-1500", func(b *testing.B) {
		f, _ := buildFrame(b, frameSpec{payload: 1448, options: true})
		off := makePartial(b, f)
		b.SetBytes(int64(len(f)))
		b.ReportAllocs()
		for b.Loop() {
			recomputeOffloadChecksum(f, &off)
		}
	})
}

// TestOffloadAfterStaleNAT: NAT changed the addresses of a partial frame
// without touching the partial sum; both the pass-through header and the
// software path still give right checksums, because ports recomputes the
// pseudo-header sum from the current headers.
func TestOffloadAfterStaleNAT(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			f, _ := buildFrame(t, frameSpec{payload: 3000, ipv6: v6, options: true})
			off := makePartial(t, f)
			off.GSOType, off.GSOSize = GSOTCPv4, 1000
			if v6 {
				off.GSOType = GSOTCPv6
			}
			// "NAT": new source address, partial sum left stale, IPv4 header
			// checksum fixed (as a NAT would).
			if v6 {
				f[14+8+15] ^= 0x55
			} else {
				f[14+12+3] ^= 0x55
				packet.PutIPv4HeaderChecksum(f[14:34])
			}
			soft := append([]byte(nil), f...)
			var s Segmenter
			n := 0
			if err := s.Segment(soft, &off, func(seg []byte) { verifyWire(t, seg); n++ }); err != nil || n != 3 {
				t.Fatalf("v6=%v: %d segments, %v", v6, n, err)
			}
			var h VnetHdr
			if err := prepareVnet(f, &off, &h); err != nil {
				t.Fatal(err)
			}
			// What the kernel does with it: complete from csum_start (no GSO
			// here: take the first 1000 bytes as a plain frame would be).
			small, _ := buildFrame(t, frameSpec{payload: 200, ipv6: v6})
			so := makePartial(t, small)
			if v6 {
				small[14+8+15] ^= 0x55
			} else {
				small[14+12+3] ^= 0x55
				packet.PutIPv4HeaderChecksum(small[14:34])
			}
			if err := prepareVnet(small, &so, &h); err != nil {
				t.Fatal(err)
			}
			start, at := int(h.CsumStart), int(h.CsumStart+h.CsumOffset)
			binary.BigEndian.PutUint16(small[at:], packet.Checksum(small[start:]))
			verifyWire(t, small)
		})
	}
}
