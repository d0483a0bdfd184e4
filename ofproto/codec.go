package ofproto

import "gswitch/pipeline"

// The wire codec for matches, actions and instructions (package nxm). It is
// reached through these variables so the channel can be built and tested
// before the codec is linked; codec_nxm.go sets them.
var (
	decodeOXMMatch     func(b []byte) (pipeline.Match, int, error)
	encodeOXMMatch     func(m *pipeline.Match) []byte
	decodeNXMatch      func(b []byte) (pipeline.Match, error)
	encodeNXMatch      func(m *pipeline.Match) []byte
	decodeOF10Match    func(b []byte) (pipeline.Match, error)
	encodeOF10Match    func(m *pipeline.Match) ([]byte, error)
	decodeActions      func(version uint8, b []byte) ([]pipeline.Action, error)
	encodeActions      func(version uint8, acts []pipeline.Action) ([]byte, error)
	decodeInstructions func(b []byte) (pipeline.Instructions, error)
	encodeInstructions func(in *pipeline.Instructions) ([]byte, error)
)
