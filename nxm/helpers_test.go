package nxm

import "gswitch/packet"

const (
	packetFieldCtState = packet.FieldCtState
	packetFieldEthType = packet.FieldEthType
	packetFieldIPv4Src = packet.FieldIPv4Src
)
