package ofproto

import "gswitch/nxm"

func init() {
	decodeOXMMatch = nxm.DecodeOXMMatch
	encodeOXMMatch = nxm.EncodeOXMMatch
	decodeNXMatch = nxm.DecodeNXMatch
	encodeNXMatch = nxm.EncodeNXMatch
	decodeOF10Match = nxm.DecodeOF10Match
	appendOF10MatchLossy = nxm.AppendOF10MatchLossy
	decodeActions = nxm.DecodeActions
	encodeActions = nxm.EncodeActions
	decodeInstructions = nxm.DecodeInstructions
	encodeInstructions = nxm.EncodeInstructions
	encodeFlowActions = nxm.EncodeFlowActions
	encodeFlowInstructions = nxm.EncodeFlowInstructions
	fitL4Ports = nxm.FitL4Ports
}

var codecLinked = true
