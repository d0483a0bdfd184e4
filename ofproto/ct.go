package ofproto

import (
	"encoding/binary"
	"net/netip"
)

// ctFlushZone handles NXT_CT_FLUSH_ZONE (body: 6 zero bytes, zone).
func (s *Server) ctFlushZone(body []byte) error {
	if !allZero(body[:6]) {
		return errMustBeZero
	}
	if s.cfg.Ct == nil {
		return errUnencodable // OVS: EOPNOTSUPP without a conntrack
	}
	s.cfg.Ct.FlushZone(binary.BigEndian.Uint16(body[6:]))
	return nil
}

// NXT_CT_FLUSH property types.
const (
	ctOrigTuple  = 0
	ctReplyTuple = 1
	ctZoneID     = 2

	ctTupleSrc      = 0
	ctTupleDst      = 1
	ctTupleSrcPort  = 2
	ctTupleDstPort  = 3
	ctTupleICMPID   = 4
	ctTupleICMPType = 5
	ctTupleICMPCode = 6
)

// decodeCtFlush decodes an NXT_CT_FLUSH body (struct nx_ct_flush and
// properties) as OVS's ofp_ct_match_decode.
func decodeCtFlush(body []byte) (*CtFlushFilter, error) {
	if !allZero(body[1:8]) {
		return nil, errMustBeZero
	}
	f := &CtFlushFilter{Proto: body[0]}
	props := body[8:]
	for len(props) > 0 {
		typ, val, rest, err := pullProp(props)
		if err != nil {
			return nil, err
		}
		props = rest
		switch typ {
		case ctOrigTuple, ctReplyTuple:
			t := &f.Orig
			if typ == ctReplyTuple {
				t = &f.Reply
			}
			// Nested properties start at offset 8 of the property: the
			// 4-byte header, then 4 bytes of padding.
			if len(val) < 4 {
				return nil, errPropBadLen
			}
			if err := decodeCtTuple(val[4:], t); err != nil {
				return nil, err
			}
		case ctZoneID:
			if len(val) < 2 {
				return nil, errPropBadLen
			}
			f.HasZone = true
			f.Zone = binary.BigEndian.Uint16(val)
		}
	}
	return f, nil
}

func decodeCtTuple(b []byte, t *CtTuple) error {
	for len(b) > 0 {
		typ, val, rest, err := pullProp(b)
		if err != nil {
			return err
		}
		b = rest
		switch typ {
		case ctTupleSrc, ctTupleDst:
			if len(val) < 16 {
				return errPropBadLen
			}
			a := netip.AddrFrom16([16]byte(val[:16])).Unmap()
			if typ == ctTupleSrc {
				t.Src = a
			} else {
				t.Dst = a
			}
		case ctTupleSrcPort, ctTupleDstPort, ctTupleICMPID:
			if len(val) < 2 {
				return errPropBadLen
			}
			v := binary.BigEndian.Uint16(val)
			switch typ {
			case ctTupleSrcPort:
				t.SrcPort = v
			case ctTupleDstPort:
				t.DstPort = v
			default:
				t.ICMPID = v
			}
		case ctTupleICMPType, ctTupleICMPCode:
			if len(val) < 1 {
				return errPropBadLen
			}
			if typ == ctTupleICMPType {
				t.ICMPType = val[0]
			} else {
				t.ICMPCode = val[0]
			}
		}
	}
	return nil
}

// pullProp takes one property (type, len, value, padding to 8) off b, as
// OVS's ofpprop_pull (experimenter properties are returned with their
// experimenter header in val).
func pullProp(b []byte) (typ uint16, val, rest []byte, err error) {
	if len(b) < 4 {
		return 0, nil, nil, errPropBadLen
	}
	typ = binary.BigEndian.Uint16(b)
	l := int(binary.BigEndian.Uint16(b[2:]))
	if l < 4 || pad8(l) > len(b) {
		return 0, nil, nil, errPropBadLen
	}
	return typ, b[4:l], b[pad8(l):], nil
}

// ctFlush handles NXT_CT_FLUSH.
func (s *Server) ctFlush(body []byte) error {
	f, err := decodeCtFlush(body)
	if err != nil {
		return err
	}
	if s.cfg.Ct == nil {
		return errUnencodable
	}
	s.cfg.Ct.Flush(f)
	return nil
}
