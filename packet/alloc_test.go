package packet_test

import (
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tests/testutil"
)

func TestParseNoAllocs(t *testing.T) {
	for name, fr := range baseFrames() {
		pk := packet.New(fr)
		testutil.RequireNoAllocs(t, "Parse "+name, func() { packet.Parse(pk) })
	}
}

func TestRewriteNoAllocs(t *testing.T) {
	all := packet.Ones(128)
	tcp4 := pkttest.Parsed(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, []byte("hello")))
	i := uint64(0)
	testutil.RequireNoAllocs(t, "SetField ip_src+tcp_src (NAT)", func() {
		i++
		tcp4.SetField(packet.FieldIPv4Src, packet.U128{Lo: 0xc6336400 + i&0xff}, all)
		tcp4.SetField(packet.FieldTCPSrc, packet.U128{Lo: 1024 + i&0xfff}, all)
	})
	udp6 := pkttest.Parsed(pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, []byte("x")))
	testutil.RequireNoAllocs(t, "SetField ipv6_dst", func() {
		i++
		udp6.SetField(packet.FieldIPv6Dst, packet.U128{Hi: 0x20010db8 << 32, Lo: i}, all)
		udp6.SetField(packet.FieldNwTOS, packet.U128{Lo: i}, packet.U128{Lo: 0xfc})
	})
	testutil.RequireNoAllocs(t, "SetField eth_dst", func() {
		i++
		tcp4.SetField(packet.FieldEthDst, packet.U128{Lo: i}, all)
	})
	testutil.RequireNoAllocs(t, "PushVLAN/PopVLAN", func() {
		tcp4.PushVLAN(packet.EthTypeVLAN, 10)
		tcp4.PopVLAN()
	})
	testutil.RequireNoAllocs(t, "SetTTL/DecTTL", func() {
		tcp4.SetTTL(64)
		tcp4.DecTTL()
	})
	ns := pkttest.Parsed(pkttest.NS("2001:db8::1", "2001:db8::2", "2001:db8::9", pkttest.MAC1))
	testutil.RequireNoAllocs(t, "SetField nd_sll", func() {
		i++
		ns.SetField(packet.FieldNdSll, packet.U128{Lo: i}, all)
	})
	nsh := pkttest.Parsed(baseFrames()["nsh-md1"])
	testutil.RequireNoAllocs(t, "SetField nsh_c1/nsh_spi, DecNSHTTL", func() {
		i++
		nsh.SetField(packet.FieldNSHC1, packet.U128{Lo: i}, all)
		nsh.SetField(packet.FieldNSHSPI, packet.U128{Lo: i}, all)
		nsh.SetField(packet.FieldNSHTTL, packet.U128{Lo: 63}, all)
		nsh.DecNSHTTL()
	})
	testutil.RequireNoAllocs(t, "L4ChecksumOK/CompletePartialChecksum", func() {
		tcp4.L4ChecksumOK()
		tcp4.Key.Flags |= packet.FlagCsumPartial
		tcp4.Off.CsumStart, tcp4.Off.CsumOffset = tcp4.Key.L4, 16
		packet.CompletePartialChecksum(tcp4)
	})
}
