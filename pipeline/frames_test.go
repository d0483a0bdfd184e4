package pipeline

import "gswitch/packet/pkttest"

func tcp4(src, dst string, sport, dport uint16) []byte {
	return pkttest.TCP4(src, dst, sport, dport, "S", 1, 0, nil)
}

func swapMACs(f []byte) []byte {
	return pkttest.WithMACs(f, pkttest.MAC2, pkttest.MAC1)
}

func vlanFrame(f []byte, tci uint16) []byte { return pkttest.VLAN(f, tci) }

func arpFrame() []byte { return pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2") }
