package ofproto

import "gswitch/pipeline"

// The wire codec for matches, actions and instructions (package nxm),
// reached through these variables (set by codec_nxm.go) so that tests can
// substitute a failing or instrumented codec.
var (
	decodeOXMMatch  func(b []byte) (pipeline.Match, int, error)
	encodeOXMMatch  func(m *pipeline.Match) []byte
	decodeNXMatch   func(b []byte) (pipeline.Match, error)
	encodeNXMatch   func(m *pipeline.Match) []byte
	decodeOF10Match func(b []byte) (pipeline.Match, error)
	// appendOF10MatchLossy is OVS's lossy ofp10_match for flow stats and
	// flow removed messages (never fails).
	appendOF10MatchLossy func(b []byte, m *pipeline.Match) []byte
	decodeActions        func(version uint8, b []byte) ([]pipeline.Action, error)
	encodeActions        func(version uint8, acts []pipeline.Action) ([]byte, error)
	decodeInstructions   func(b []byte) (pipeline.Instructions, error)
	encodeInstructions   func(in *pipeline.Instructions) ([]byte, error)
	// The flow forms encode a flow's actions knowing its match, as OVS
	// does in flow stats (mod_tp_* by the flow's transport protocol).
	encodeFlowActions      func(version uint8, m *pipeline.Match, acts []pipeline.Action) ([]byte, error)
	encodeFlowInstructions func(m *pipeline.Match, in *pipeline.Instructions) ([]byte, error)
	// fitL4Ports gives decoded OFPAT_SET_TP_* actions the field of the
	// flow's transport protocol (OVS's check_set_l4_port).
	fitL4Ports func(m *pipeline.Match, acts []pipeline.Action)
)
