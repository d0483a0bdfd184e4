package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// NXT_PACKET_IN2 / NXT_RESUME property types (OVS's enum nx_packet_in2_prop_type).
const (
	nxpintPacket       = 0
	nxpintFullLen      = 1
	nxpintBufferID     = 2
	nxpintTableID      = 3
	nxpintCookie       = 4
	nxpintReason       = 5
	nxpintMetadata     = 6
	nxpintUserdata     = 7
	nxpintContinuation = 8
)

// Continuation property types (OVS's enum nx_continuation_prop_type, in
// ofp-packet.c: private to the switch, opaque to controllers).
const (
	nxcptBridge = 0x8000 + iota
	nxcptStack
	nxcptMirrors
	nxcptConntracked
	nxcptTableID
	nxcptCookie
	nxcptActions
	nxcptActionSet
	nxcptOdpPort
)

// Limits of what an NXT_RESUME may make gswitch hold: the message itself is
// bounded by MaxMessageLen; these bound the decoded parts.
const (
	maxResumeActionRuns = 1024
)

// putNested appends a nested property: header, 4 bytes of padding, inner.
func putNested(m *msg, typ uint16, inner []byte) {
	v := make([]byte, 4, 4+len(inner))
	putProp(m, typ, append(v, inner...))
}

func putPropU64(m *msg, typ uint16, v uint64) {
	var c [12]byte
	binary.BigEndian.PutUint64(c[4:], v)
	putProp(m, typ, c[:])
}

// putContinuation appends NXPINT_CONTINUATION as OVS's
// ofputil_put_packet_in_private encodes it (nothing when it would be empty).
func putContinuation(m *msg, version uint8, bridge [16]byte, pi *pipeline.PacketIn) bool {
	c := pi.Cont
	in := &msg{}
	if bridge != ([16]byte{}) {
		putProp(in, nxcptBridge, bridge[:])
	}
	for i := len(c.Stack) - 1; i >= 0; i-- { // top first
		e := c.Stack[i]
		var b [16]byte
		binary.BigEndian.PutUint64(b[:], e.V.Hi)
		binary.BigEndian.PutUint64(b[8:], e.V.Lo)
		putProp(in, nxcptStack, b[16-int(e.B):])
	}
	if c.Conntracked {
		putProp(in, nxcptConntracked, nil)
	}
	var table uint8
	var cookie uint64
	for i := range c.Actions {
		r := &c.Actions[i]
		if r.Unroll {
			if r.TableID != table {
				putProp(in, nxcptTableID, []byte{r.TableID})
				table = r.TableID
			}
			if r.Cookie != cookie {
				putPropU64(in, nxcptCookie, r.Cookie)
				cookie = r.Cookie
			}
		}
		if len(r.Actions) > 0 {
			b, err := nxm.EncodeActions(version, r.Actions)
			if err != nil {
				return false
			}
			putNested(in, nxcptActions, b)
		}
	}
	if len(c.ActionSet) > 0 {
		b, err := nxm.EncodeActions(version, c.ActionSet)
		if err != nil {
			return false
		}
		putNested(in, nxcptActionSet, b)
	}
	// odp_port: gswitch's datapath numbers its ports as OpenFlow does.
	if p := pi.Key.InPort(); p != 0 && p < pipeline.PortMax {
		putPropU32(in, nxcptOdpPort, p)
	}
	if in.len() > 0 {
		putNested(m, nxpintContinuation, in.b)
	}
	return true
}

// prop is one property pulled from a property list.
type prop struct {
	typ  uint16
	hdr  []byte // the whole property, header included, without padding
	body []byte // after the 4-byte header
}

// pullProp2 is pullProp returning the property with its header.
func pullProp2(b []byte) (p prop, rest []byte, err error) {
	typ, val, rest, err := pullProp(b)
	if err != nil {
		return p, nil, err
	}
	return prop{typ: typ, hdr: b[:4+len(val)], body: val}, rest, nil
}

// nested returns a nested property's contents (after its 8-byte header).
func (p prop) nested() ([]byte, error) {
	if len(p.hdr) < 8 {
		return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "nested property length %d", len(p.hdr))
	}
	return p.hdr[8:], nil
}

func (p prop) u8() (uint8, error) {
	if len(p.body) < 1 {
		return 0, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "u8 property length %d", len(p.hdr))
	}
	return p.body[0], nil
}

func (p prop) u32() (uint32, error) {
	if len(p.body) != 4 {
		return 0, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "u32 property length %d", len(p.hdr))
	}
	return binary.BigEndian.Uint32(p.body), nil
}

func (p prop) u64() (uint64, error) {
	if len(p.hdr) != 16 {
		return 0, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "u64 property length %d", len(p.hdr))
	}
	return binary.BigEndian.Uint64(p.hdr[8:]), nil
}

// resumeRequest is a decoded NXT_RESUME.
type resumeRequest struct {
	frame  []byte
	meta   packet.Words
	bridge [16]byte
	cont   pipeline.Continuation
}

// decodeResume decodes an NXT_RESUME's properties (body: after the Nicira
// header) as OVS's ofputil_decode_packet_in_private does, strictly (an
// unknown property is OFPBPC_BAD_TYPE).
func decodeResume(version uint8, body []byte) (*resumeRequest, error) {
	r := &resumeRequest{}
	var cont []byte
	var fullLen uint32
	var err error
	for len(body) > 0 {
		var p prop
		if p, body, err = pullProp2(body); err != nil {
			return nil, err
		}
		switch p.typ {
		case nxpintPacket:
			r.frame = p.body
		case nxpintFullLen:
			fullLen, err = p.u32()
		case nxpintBufferID:
			_, err = p.u32()
		case nxpintTableID, nxpintReason:
			_, err = p.u8()
		case nxpintCookie:
			_, err = p.u64()
		case nxpintMetadata:
			var m pipeline.Match
			m, err = nxm.DecodeNXMatch(p.body)
			r.meta = m.Value
		case nxpintUserdata:
		case nxpintContinuation:
			cont, err = p.nested()
		default:
			err = pipeline.Errorf(pipeline.OFPBPC_BAD_TYPE, "unknown NX_PACKET_IN2 property type %d", p.typ)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(r.frame) == 0 {
		return nil, pipeline.Errorf(pipeline.OFPBRC_BAD_LEN, "NXT_RESUME lacks packet")
	}
	if fullLen != 0 && int(fullLen) < len(r.frame) {
		return nil, pipeline.Errorf(pipeline.OFPBRC_BAD_LEN, "NXT_RESUME claimed full_len < len")
	}
	var table uint8
	var cookie uint64
	c := &r.cont
	for len(cont) > 0 {
		var p prop
		if p, cont, err = pullProp2(cont); err != nil {
			return nil, err
		}
		switch p.typ {
		case nxcptBridge:
			if len(p.body) != 16 {
				return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "bridge property length %d", len(p.hdr))
			}
			copy(r.bridge[:], p.body)
		case nxcptStack:
			if len(p.body) > 16 {
				return nil, pipeline.Errorf(pipeline.OFPBPC_BAD_LEN, "NXCPT_STACK property has bad length %d", len(p.body))
			}
			if len(c.Stack) >= packet.StackDepth {
				return nil, pipeline.Errorf(pipeline.OFPBRC_BAD_LEN, "continuation stack deeper than %d", packet.StackDepth)
			}
			var b [16]byte
			copy(b[16-len(p.body):], p.body)
			e := pipeline.StackEntry{V: packet.U128{Hi: binary.BigEndian.Uint64(b[:]), Lo: binary.BigEndian.Uint64(b[8:])}, B: uint8(len(p.body))}
			c.Stack = append([]pipeline.StackEntry{e}, c.Stack...) // top first on the wire
		case nxcptMirrors:
			_, err = p.u32()
		case nxcptConntracked:
			c.Conntracked = true
		case nxcptTableID:
			table, err = p.u8()
		case nxcptCookie:
			cookie, err = p.u64()
		case nxcptActions:
			var b []byte
			if b, err = p.nested(); err != nil {
				return nil, err
			}
			if len(c.Actions) >= maxResumeActionRuns {
				return nil, pipeline.Errorf(pipeline.OFPBRC_BAD_LEN, "continuation has more than %d action runs", maxResumeActionRuns)
			}
			var acts []pipeline.Action
			if acts, err = nxm.DecodeActions(version, b); err != nil {
				return nil, err
			}
			c.Actions = append(c.Actions, pipeline.ContinuationActions{Unroll: true, TableID: table, Cookie: cookie, Actions: acts})
		case nxcptActionSet:
			var b []byte
			if b, err = p.nested(); err != nil {
				return nil, err
			}
			var acts []pipeline.Action
			if acts, err = nxm.DecodeActions(version, b); err != nil {
				return nil, err
			}
			c.ActionSet = append(c.ActionSet, acts...)
		case nxcptOdpPort:
			_, err = p.u32()
		default:
			err = pipeline.Errorf(pipeline.OFPBPC_BAD_TYPE, "unknown continuation property type %#x", p.typ)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// resume handles NXT_RESUME: the continuation must come from this bridge
// (else NXR_STALE, as OVS answers a continuation whose bridge it does not
// have).
func (c *conn) resume(h Header, body []byte) error {
	r, err := decodeResume(h.Version, body)
	if err != nil {
		return err
	}
	if r.bridge != c.srv.cfg.BridgeUUID {
		return pipeline.Errorf(pipeline.NXR_STALE, "continuation from another bridge")
	}
	f := make([]byte, len(r.frame))
	copy(f, r.frame)
	return c.srv.cfg.Datapath.Resume(&r.meta, f, &r.cont, c.srv.now())
}
