package packet_test

import (
	"fmt"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

func ExampleParse() {
	pool := packet.NewPool()
	pk := pool.Get()
	defer pool.Put(pk)

	frame := pkttest.VLAN(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "S", 1, 0, nil), 100)
	pk.SetLen(copy(pk.RxSpace(), frame)) // as a port's receive would
	pk.Key.SetInPort(1)
	packet.Parse(pk)

	k := &pk.Key
	fmt.Printf("in_port=%d vlan_tci=%#x eth_type=%#x nw_proto=%d tp_dst=%d tcp_flags=%#x\n",
		k.InPort(), k.VlanTCI(), k.EthType(), k.NwProto(), k.TpDst(), k.TCPFlags())
	fmt.Printf("L3=%d L4=%d L7=%d malformed=%v\n", k.L3, k.L4, k.L7, k.Flags&packet.FlagMalformed != 0)
	// Output:
	// in_port=1 vlan_tci=0x1064 eth_type=0x800 nw_proto=6 tp_dst=80 tcp_flags=0x2
	// L3=18 L4=38 L7=58 malformed=false
}

func ExamplePacket_SetField() {
	pk := pkttest.Parsed(pkttest.UDP4("198.51.100.1", "203.0.113.2", 5000, 53, []byte("query")))

	// Source NAT: address and port, checksums updated incrementally.
	pk.SetField(packet.FieldIPv4Src, packet.U128{Lo: 0xcb00714d}, packet.Ones(32)) // 203.0.113.77
	pk.SetField(packet.FieldUDPSrc, packet.U128{Lo: 40000}, packet.Ones(16))
	// A field the packet does not have is refused.
	ok := pk.SetField(packet.FieldTCPDst, packet.U128{Lo: 1}, packet.Ones(16))

	fmt.Println(pkttest.Summary(pk.Data))
	fmt.Println("checksums:", pkttest.VerifyChecksums(pk.Data), "tcp_dst set:", ok)
	// Output:
	// IPv4 203.0.113.77>203.0.113.2 ttl=64 tos=0x0 UDP 40000>53 len=5
	// checksums: <nil> tcp_dst set: false
}
