package packet_test

import (
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

func BenchmarkParse(b *testing.B) {
	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 100))
	cases := []struct {
		name  string
		frame []byte
	}{
		{"eth_ipv4_tcp", pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, make([]byte, 100))},
		{"ipv6_udp", udp6},
		{"vlan", pkttest.VLAN(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, make([]byte, 100)), 100)},
		{"arp", pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2")},
		{"icmpv6", pkttest.NS("2001:db8::1", "2001:db8::2", "2001:db8::9", pkttest.MAC1)},
		{"frag", pkttest.Frag6(udp6, 48, 1)[1]},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			pk := packet.New(c.frame)
			b.ReportAllocs()
			b.SetBytes(int64(len(c.frame)))
			for b.Loop() {
				packet.Parse(pk)
			}
		})
	}
}

func BenchmarkChecksumUpdate(b *testing.B) {
	all := packet.Ones(128)
	b.Run("nat4_ip_port", func(b *testing.B) {
		pk := pkttest.Parsed(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, make([]byte, 100)))
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			pk.SetField(packet.FieldIPv4Src, packet.U128{Lo: 0xcb007100 | i&0xff}, all)
			pk.SetField(packet.FieldTCPSrc, packet.U128{Lo: i & 0xffff}, all)
		}
	})
	b.Run("ipv6_dst", func(b *testing.B) {
		pk := pkttest.Parsed(pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 100)))
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			pk.SetField(packet.FieldIPv6Dst, packet.U128{Hi: 0x20010db8 << 32, Lo: i}, all)
		}
	})
	b.Run("dec_ttl", func(b *testing.B) {
		pk := pkttest.Parsed(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, nil))
		b.ReportAllocs()
		for b.Loop() {
			if !pk.DecTTL() {
				pk.SetTTL(255)
			}
		}
	})
	b.Run("UpdateCsum32", func(b *testing.B) {
		b.ReportAllocs()
		c := uint16(0x1234)
		var i uint32
		for b.Loop() {
			i++
			c = packet.UpdateCsum32(c, i, i*7)
		}
		_ = c
	})
	b.Run("full_1500", func(b *testing.B) {
		buf := make([]byte, 1500)
		b.ReportAllocs()
		b.SetBytes(1500)
		for b.Loop() {
			packet.Checksum(buf)
		}
	})
}

// BenchmarkSum: the one's complement sum of a full-size segment's bytes
// (every TCP/UDP checksum that is computed or verified in full).
func BenchmarkSum(b *testing.B) {
	buf := make([]byte, 1460)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	var s uint32
	for i := 0; i < b.N; i++ {
		s = packet.Sum(buf, s&0xffff)
	}
	sink32 = s
}

var sink32 uint32
