package nxm

import (
	"encoding/binary"

	"gswitch/packet"
	"gswitch/pipeline"
)

// OpenFlow 1.3 instruction types.
const (
	ofpitGotoTable     = 1
	ofpitWriteMetadata = 2
	ofpitWriteActions  = 3
	ofpitApplyActions  = 4
	ofpitClearActions  = 5
	ofpitMeter         = 6
	ofpitExperimenter  = 0xffff
)

// DecodeInstructions decodes an OpenFlow 1.3 instruction list, with OVS's
// checks and error codes (ofpacts_pull_openflow_instructions).
func DecodeInstructions(b []byte) (pipeline.Instructions, error) {
	return DecodeInstructionsVersion(Version13, b)
}

// DecodeInstructionsVersion is DecodeInstructions for OpenFlow version 4
// (1.3), 5 (1.4) or 6 (1.5), whose actions differ.
func DecodeInstructionsVersion(version uint8, b []byte) (pipeline.Instructions, error) {
	return DecodeInstructionsVersionTLV(version, b, nil)
}

// DecodeInstructionsVersionTLV is DecodeInstructionsVersion with the
// bridge's Geneve TLV table (see DecodeActionsTLV).
func DecodeInstructionsVersionTLV(version uint8, b []byte, tab *packet.TLVTable) (pipeline.Instructions, error) {
	in := pipeline.Instructions{GotoTable: -1}
	if version == Version10 || !supported(version) {
		return in, pipeline.Errorf(pipeline.OFPBRC_BAD_VERSION, "no instructions in OpenFlow version %d", version)
	}
	if len(b)%8 != 0 {
		return in, pipeline.Errorf(pipeline.OFPBIC_BAD_LEN, "instructions length %d is not a multiple of 8", len(b))
	}
	var slots [7][]byte // indexed by instruction type, the instruction's bytes
	for p := b; len(p) > 0; {
		typ := binary.BigEndian.Uint16(p)
		n := int(binary.BigEndian.Uint16(p[2:]))
		if n%8 != 0 || n < 8 || n > len(p) {
			return in, pipeline.Errorf(pipeline.OFPBIC_BAD_LEN, "bad instruction length %d at offset %d", n, len(b)-len(p))
		}
		want, extensible := 0, false
		switch typ {
		case ofpitExperimenter:
			return in, pipeline.Errorf(pipeline.OFPBIC_BAD_EXPERIMENTER, "experimenter instructions are not supported")
		case ofpitMeter:
			if version >= Version15 {
				// OVS: "meter" is an action, not an instruction, in
				// OpenFlow 1.5.
				return in, pipeline.Errorf(pipeline.OFPBIC_UNKNOWN_INST, "meter is an action in OpenFlow 1.5")
			}
			want = 8
		case ofpitGotoTable, ofpitClearActions:
			want = 8
		case ofpitWriteMetadata:
			want = 24
		case ofpitWriteActions, ofpitApplyActions:
			want, extensible = 8, true
		default:
			return in, pipeline.Errorf(pipeline.OFPBIC_UNKNOWN_INST, "unknown instruction type %d", typ)
		}
		if (extensible && n < want) || (!extensible && n != want) {
			return in, pipeline.Errorf(pipeline.OFPBIC_BAD_LEN, "instruction %d length %d", typ, n)
		}
		if slots[typ] != nil {
			return in, pipeline.Errorf(pipeline.OFPBIC_DUP_INST, "duplicate instruction %d", typ)
		}
		slots[typ] = p[:n]
		p = p[n:]
	}
	if s := slots[ofpitMeter]; s != nil {
		in.Meter = binary.BigEndian.Uint32(s[4:])
	}
	if s := slots[ofpitApplyActions]; s != nil {
		acts, err := decodeActionsNoVerify(version, s[8:], tab)
		if err != nil {
			return in, err
		}
		in.Apply, in.HasApply = acts, true
		if m, ok := leadingMeter(acts); ok {
			// OpenFlow 1.5's meter action first in apply-actions is what
			// 1.3's meter instruction is (one OFPACT_METER in OVS): the
			// flow's meter, counted, deleted with it and dumped as either.
			in.Meter = m
			in.Apply, in.HasApply = acts[1:], len(acts) > 1
		}
	}
	in.ClearActions = slots[ofpitClearActions] != nil
	if s := slots[ofpitWriteActions]; s != nil {
		acts, err := decodeActionsNoVerify(version, s[8:], tab)
		if err != nil {
			return in, err
		}
		for _, a := range acts {
			if !allowedInSet(a) {
				return in, pipeline.Errorf(pipeline.OFPBAC_BAD_TYPE, "%T is not allowed in an action set", a)
			}
		}
		if err := verify(acts, outerWrite); err != nil {
			return in, err
		}
		in.Write, in.HasWrite = acts, true
	}
	if s := slots[ofpitWriteMetadata]; s != nil {
		in.WriteMetadata = true
		in.Metadata = binary.BigEndian.Uint64(s[8:])
		in.MetadataMask = binary.BigEndian.Uint64(s[16:])
	}
	if s := slots[ofpitGotoTable]; s != nil {
		in.GotoTable = int16(s[4])
	}
	if err := verify(in.Apply, outerNone); err != nil {
		return in, err
	}
	return in, nil
}

// leadingMeter returns the id of the meter action acts start with.
func leadingMeter(acts []pipeline.Action) (uint32, bool) {
	if len(acts) == 0 {
		return 0, false
	}
	m, ok := acts[0].(pipeline.Meter)
	// meter:0 stays an action, for the pipeline to refuse (0 is "no
	// meter" in Instructions.Meter).
	return m.ID, ok && m.ID != 0
}

// decodeActionsNoVerify is OVS's ofpacts_decode: the actions of an
// instruction, checked for nesting by the caller.
func decodeActionsNoVerify(version uint8, b []byte, tab *packet.TLVTable) ([]pipeline.Action, *pipeline.Error) {
	var acts []pipeline.Action
	for len(b) > 0 {
		a, n, err := decodeAction(version, b, tab)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		acts = append(acts, a)
	}
	return acts, nil
}

// allowedInSet is OVS's ofpact_is_allowed_in_actions_set: the pipeline's
// list (pipeline.ActionSetAllowed), but an output with a queue (OpenFlow
// 1.0's enqueue) is not.
func allowedInSet(a pipeline.Action) bool {
	if o, ok := a.(pipeline.Output); ok && o.Enqueue {
		return false
	}
	return pipeline.ActionSetAllowed(a)
}

// EncodeInstructions encodes OpenFlow 1.3 instructions in OVS's order:
// meter, apply-actions, clear-actions, write-actions, write-metadata,
// goto-table. An empty Apply is written only when HasApply is set.
func EncodeInstructions(in *pipeline.Instructions) ([]byte, error) {
	return EncodeInstructionsVersion(Version13, in)
}

// EncodeInstructionsVersion is EncodeInstructions for OpenFlow version 4
// (1.3), 5 (1.4) or 6 (1.5).
func EncodeInstructionsVersion(version uint8, in *pipeline.Instructions) ([]byte, error) {
	var b []byte
	var err error
	if version >= Version15 {
		// The meter is an action: the first of apply-actions.
		if len(in.Apply) > 0 || in.HasApply || in.Meter != 0 {
			start := len(b)
			b = ofHdr(b, ofpitApplyActions, 0)
			b = zeros(b, 4)
			if in.Meter != 0 {
				b = appendMeter(b, in.Meter)
			}
			if b, err = AppendActions(b, version, in.Apply); err != nil {
				return nil, err
			}
			binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
		}
	} else if b, err = appendMeterAndApply(b, version, in); err != nil {
		return nil, err
	}
	if in.ClearActions {
		b = ofHdr(b, ofpitClearActions, 8)
		b = zeros(b, 4)
	}
	if len(in.Write) > 0 || in.HasWrite {
		start := len(b)
		b = ofHdr(b, ofpitWriteActions, 0)
		b = zeros(b, 4)
		if b, err = AppendActions(b, version, in.Write); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	}
	if in.WriteMetadata {
		b = ofHdr(b, ofpitWriteMetadata, 24)
		b = zeros(b, 4)
		b = binary.BigEndian.AppendUint64(b, in.Metadata)
		b = binary.BigEndian.AppendUint64(b, in.MetadataMask)
	}
	if in.GotoTable >= 0 {
		b = ofHdr(b, ofpitGotoTable, 8)
		b = append(b, uint8(in.GotoTable), 0, 0, 0)
	}
	return b, nil
}

// appendMeterAndApply appends the meter instruction and the apply-actions
// of OpenFlow 1.3/1.4. A meter action among the actions (one a flow got
// over OpenFlow 1.5) becomes a meter instruction where it stands, between
// apply-actions instructions, as OVS's ofpacts_put_openflow_instructions
// writes it.
func appendMeterAndApply(b []byte, version uint8, in *pipeline.Instructions) ([]byte, error) {
	if in.Meter != 0 {
		b = ofHdr(b, ofpitMeter, 8)
		b = be32(b, in.Meter)
	}
	acts := in.Apply
	if len(acts) == 0 && !in.HasApply {
		return b, nil
	}
	for first := true; first || len(acts) > 0; first = false {
		if m, ok := leadingMeter(acts); ok {
			b = ofHdr(b, ofpitMeter, 8)
			b = be32(b, m)
			acts = acts[1:]
			continue
		}
		n := 0
		for n < len(acts) {
			if _, ok := acts[n].(pipeline.Meter); ok {
				break
			}
			n++
		}
		start := len(b)
		b = ofHdr(b, ofpitApplyActions, 0)
		b = zeros(b, 4)
		var err error
		if b, err = AppendActions(b, version, acts[:n]); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
		acts = acts[n:]
	}
	return b, nil
}
