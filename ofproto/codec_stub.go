//go:build !withnxm

package ofproto

import "gswitch/pipeline"

func init() {
	unsup := pipeline.Errorf(pipeline.ErrBadRequest, 1, "codec not linked")
	decodeOXMMatch = func([]byte) (pipeline.Match, int, error) { return pipeline.Match{}, 0, unsup }
	encodeOXMMatch = func(*pipeline.Match) []byte { return []byte{0, 1, 0, 4, 0, 0, 0, 0} }
	decodeNXMatch = func(b []byte) (pipeline.Match, error) {
		if len(b) == 0 {
			return pipeline.Match{}, nil
		}
		return pipeline.Match{}, unsup
	}
	encodeNXMatch = func(*pipeline.Match) []byte { return nil }
	decodeOF10Match = func([]byte) (pipeline.Match, error) { return pipeline.Match{}, unsup }
	encodeOF10Match = func(*pipeline.Match) ([]byte, error) { return make([]byte, 40), nil }
	decodeActions = func(_ uint8, b []byte) ([]pipeline.Action, error) {
		if len(b) == 0 {
			return nil, nil
		}
		return nil, unsup
	}
	encodeActions = func(uint8, []pipeline.Action) ([]byte, error) { return nil, nil }
	decodeInstructions = func(b []byte) (pipeline.Instructions, error) {
		if len(b) == 0 {
			return pipeline.Instructions{GotoTable: -1}, nil
		}
		return pipeline.Instructions{}, unsup
	}
	encodeInstructions = func(*pipeline.Instructions) ([]byte, error) { return nil, nil }
}

var codecLinked = false
