package pkttest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"gswitch/packet"
)

func TestBuildersParseAndVerify(t *testing.T) {
	frames := map[string][]byte{
		"tcp4":   TCP4("198.51.100.1", "203.0.113.2", 1, 2, "SA", 5, 6, []byte("x")),
		"tcp6":   TCP6("2001:db8::1", "2001:db8::2", 1, 2, "FA", 5, 6, nil),
		"udp4":   UDP4("198.51.100.1", "203.0.113.2", 1, 2, []byte("x")),
		"udp6":   UDP6("2001:db8::1", "2001:db8::2", 1, 2, []byte("x")),
		"sctp4":  SCTP4("198.51.100.1", "203.0.113.2", 1, 2, []byte("xyz")),
		"sctp6":  SCTP6("2001:db8::1", "2001:db8::2", 1, 2, nil),
		"icmp4":  ICMP4Echo("198.51.100.1", "203.0.113.2", 1, 2, []byte("x")),
		"icmp4r": ICMP4EchoReply("198.51.100.1", "203.0.113.2", 1, 2, nil),
		"icmp6":  ICMP6Echo("2001:db8::1", "2001:db8::2", 1, 2, []byte("x")),
		"icmp6r": ICMP6EchoReply("2001:db8::1", "2001:db8::2", 1, 2, nil),
		"err4":   ICMP4Error("203.0.113.9", "198.51.100.1", 11, 0, UDP4("198.51.100.1", "203.0.113.2", 1, 2, make([]byte, 1000))),
		"err6":   ICMP6Error("2001:db8::9", "2001:db8::1", 2, 0, UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 2000))),
		"ns":     NS("2001:db8::1", "2001:db8::2", "2001:db8::3", MAC1),
		"na":     NA("2001:db8::1", "2001:db8::2", "2001:db8::3", MAC2, 0x40),
	}
	for name, f := range frames {
		t.Run(name, func(t *testing.T) {
			pk := Parsed(f)
			if pk.Key.Flags&(packet.FlagMalformed|packet.FlagBadIPCsum) != 0 || pk.Key.Flags&packet.FlagL4 == 0 {
				t.Errorf("%s: flags %x", name, pk.Key.Flags)
			}
			if !pk.L4ChecksumOK() {
				t.Errorf("%s: checksum", name)
			}
		})
	}
	if n := len(frames["err4"]) - 14; n != 576 {
		t.Errorf("ICMPv4 error is %d bytes of IP", n)
	}
	if n := len(frames["err6"]) - 14; n != 1280 {
		t.Errorf("ICMPv6 error is %d bytes of IP", n)
	}
	arp := Parsed(ARPReply(MAC1, "198.51.100.1", MAC2, "198.51.100.2"))
	if arp.Key.NwProto() != 2 || arp.Key.EthType() != packet.EthTypeARP {
		t.Error("arp")
	}
}

func TestFrag4Reassembles(t *testing.T) {
	orig := SetIPv4ID(UDP4("198.51.100.1", "203.0.113.2", 1, 2, make([]byte, 1000)), 0x4242)
	for i := range orig[42:] {
		orig[42+i] = byte(i)
	}
	frs := Frag4(orig, 300)
	if len(frs) != 4 {
		t.Fatalf("%d fragments", len(frs))
	}
	var payload []byte
	for i, f := range frs {
		pk := Parsed(f)
		if pk.Key.Flags&packet.FlagBadIPCsum != 0 || pk.Key.NwFrag()&packet.FragAny == 0 {
			t.Fatalf("fragment %d: %+v", i, pk.Key)
		}
		fo := binary.BigEndian.Uint16(f[20:])
		if int(fo&0x1fff)*8 != len(payload) || (fo&0x2000 != 0) != (i < len(frs)-1) || binary.BigEndian.Uint16(f[18:]) != 0x4242 {
			t.Fatalf("fragment %d: offset/flags %#x", i, fo)
		}
		payload = append(payload, f[34:]...)
	}
	if !bytes.Equal(payload, orig[34:]) {
		t.Fatal("payload differs")
	}
	if one := Frag4(orig, 2000); len(one) != 1 || !bytes.Equal(one[0], orig) {
		t.Fatal("single fragment")
	}
}

func TestFrag6Reassembles(t *testing.T) {
	orig := UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 1000))
	frs := Frag6(orig, 400, 99)
	var payload []byte
	for i, f := range frs {
		pk := Parsed(f)
		if pk.Key.NwFrag()&packet.FragAny == 0 || f[20] != packet.ProtoFragment || f[54] != 17 {
			t.Fatalf("fragment %d", i)
		}
		offlg := binary.BigEndian.Uint16(f[56:])
		if int(offlg>>3)*8 != len(payload) || (offlg&1 != 0) != (i < len(frs)-1) || binary.BigEndian.Uint32(f[58:]) != 99 {
			t.Fatalf("fragment %d: offlg %#x", i, offlg)
		}
		payload = append(payload, f[62:]...)
	}
	if !bytes.Equal(payload, orig[54:]) {
		t.Fatal("payload differs")
	}
}

func TestVLANHelpers(t *testing.T) {
	f := UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil)
	q := QinQ(f, 10, 20)
	if binary.BigEndian.Uint16(q[12:]) != 0x88a8 || binary.BigEndian.Uint16(q[14:]) != 10 ||
		binary.BigEndian.Uint16(q[16:]) != 0x8100 || binary.BigEndian.Uint16(q[18:]) != 20 || !bytes.Equal(q[20:], f[12:]) {
		t.Fatalf("%x", q)
	}
	m := WithMACs(f, MAC3, Broadcast)
	if !bytes.Equal(m[:6], Broadcast) || !bytes.Equal(m[6:12], MAC3) {
		t.Fatal("WithMACs")
	}
}

func TestVerifyChecksums(t *testing.T) {
	// The first five are also corrupted, and the corruption must be found.
	good := []struct {
		name string
		f    []byte
	}{
		{"tcp4", TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, []byte("abc"))},
		{"vlan udp6", VLAN(UDP6("2001:db8::1", "2001:db8::2", 1, 2, []byte("abc")), 5)},
		{"sctp4", SCTP4("198.51.100.1", "203.0.113.2", 1, 2, []byte("abc"))},
		{"icmp4 error", ICMP4Error("203.0.113.9", "198.51.100.1", 3, 1, TCP4("198.51.100.1", "203.0.113.2", 1, 2, "S", 0, 0, nil))},
		{"icmp6 echo", ICMP6Echo("2001:db8::1", "2001:db8::2", 1, 1, nil)},
		{"ipv6 first fragment", Frag6(UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 100)), 48, 1)[0]},
		{"arp", ARPRequest(MAC1, "198.51.100.1", "198.51.100.2")},
	}
	for i, c := range good {
		f := c.f
		t.Run(c.name, func(t *testing.T) {
			if err := VerifyChecksums(f); err != nil {
				t.Errorf("%d (%s): %v", i, Summary(f), err)
			}
			if i >= 5 {
				return
			}
			bad := append([]byte(nil), f...)
			bad[38] ^= 0x40
			if i == 3 {
				bad = append([]byte(nil), f...)
				bad[14+20+8+10] ^= 1 // the quoted IPv4 header's checksum
			}
			if err := VerifyChecksums(bad); err == nil {
				t.Errorf("%d: corruption not detected", i)
			}
		})
	}
	s := Summary(VLAN(TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "SA", 1, 2, nil), 100))
	if want := "vlan=100/pcp=0 IPv4 198.51.100.1>203.0.113.2 ttl=64 tos=0x0 TCP 1234>80 [SA] seq=1 ack=2 len=0"; s != want {
		t.Errorf("Summary: %q", s)
	}
}

func TestTCPSpecAndErrorN(t *testing.T) {
	f := TCPSpec{Src: "198.51.100.1", Dst: "203.0.113.2", Sport: 1, Dport: 2, Flags: "S", Seq: 9, Window: 1000,
		MSS: 1460, WScale: 7, SACKPerm: true, TTL: 3, Payload: []byte("x")}.Frame()
	pk := Parsed(f)
	if pk.Key.NwTTL() != 3 || pk.Key.L7-pk.Key.L4 != 32 || VerifyChecksums(f) != nil || binary.BigEndian.Uint16(f[48:]) != 1000 {
		t.Fatalf("TCPSpec v4: %s", Summary(f))
	}
	opts := f[54:66]
	if !bytes.Equal(opts, []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2}) {
		t.Fatalf("options %x", opts)
	}
	f6 := TCPSpec{Src: "2001:db8::1", Dst: "2001:db8::2", Flags: "SA", WScale: -1}.Frame()
	if p := Parsed(f6); p.Key.Flags&packet.FlagIPv6 == 0 || p.Key.L7-p.Key.L4 != 20 || VerifyChecksums(f6) != nil {
		t.Fatal("TCPSpec v6")
	}
	e := ICMP4ErrorN("203.0.113.9", "198.51.100.1", 3, 3, f, 28)
	if len(e) != 14+20+8+28 || VerifyChecksums(e) != nil {
		t.Fatalf("ICMP4ErrorN: %d", len(e))
	}
	e6 := ICMP6ErrorN("2001:db8::9", "2001:db8::1", 1, 4, f6, 48)
	if len(e6) != 14+40+8+48 || VerifyChecksums(e6) != nil {
		t.Fatalf("ICMP6ErrorN: %d", len(e6))
	}
}
