package nxm

import (
	"encoding/binary"

	"gswitch/packet"
	"gswitch/pipeline"
)

// DecodeFieldArray decodes an OXM field array, the fields of OVS's "hash"
// group selection method (nx-match.c oxm_pull_field_array): each entry an
// unmasked OXM/NXM header whose payload is the mask the field is hashed
// under. Errors as OVS's: BAD_LEN, BAD_WILDCARDS never (no masked
// headers: BAD_MASK), BAD_FIELD for an unknown field, DUP_FIELD for a
// field given twice, BAD_MASK for a partial mask on a field that cannot be
// masked.
func DecodeFieldArray(b []byte) ([]pipeline.HashField, error) {
	var out []pipeline.HashField
	c := tlvCursor{b: b}
	for {
		h, exp, ok := c.nextHeader()
		if !ok {
			break
		}
		if isTunMetadata(h) {
			return nil, tlvFieldErr(h)
		}
		f := lookup(h, exp)
		n := payloadLen(h)
		if n > len(c.b) {
			return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "OXM header %#x calls for %d-byte payload, %d follow", uint32(h), n, len(c.b))
		}
		p := c.b[:n]
		c.b = c.b[n:]
		if h.HasMask() {
			w := n / 2
			for i := 0; i < w; i++ {
				if p[i]&^p[w+i] != 0 {
					return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_WILDCARDS, "OXM %#x: 1-bits in value for bits wildcarded by the mask", uint32(h))
				}
			}
		}
		// As OVS's nx_pull_entry__: a masked header is refused before an
		// unknown field.
		if h.HasMask() {
			return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_MASK, "masked header %#x in a field array", uint32(h))
		}
		if f == nil {
			return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_FIELD, "unknown field %#x in a field array", uint32(h))
		}
		for i := range out {
			if g := hashWireField(&out[i]); g != nil && g.ID == f.ID && g.Kind == f.Kind {
				return nil, pipeline.Errorf(pipeline.OFPBMC_DUP_FIELD, "%s: duplicate field in a field array", f.Name)
			}
		}
		mask := getValue(p)
		if !f.Maskable && !mask.IsZero() && mask != packet.Ones(uint(8*n)) {
			return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_MASK, "%s may not be masked", f.Name)
		}
		out = append(out, pipeline.HashField{Field: f.ID, Mask: mask, Wire: uint32(MakeHeader(f.Class, f.Field, false, uint8(f.Size)))})
	}
	if c.err != nil {
		return nil, c.err
	}
	return out, nil
}

// AppendFieldArray appends the field array fs as OVS's oxm_put_field_array
// writes it for an OpenFlow 1.2+ message (oxm) or an OpenFlow 1.0 one: each
// field under its header for that version, its mask as the payload.
func AppendFieldArray(b []byte, fs []pipeline.HashField, oxm bool) []byte {
	for i := range fs {
		f := hashWireField(&fs[i])
		if f == nil {
			continue
		}
		if g := headerFor(f.ID, oxm); g != nil && g.Kind == f.Kind && g.Size == f.Size {
			f = g
		}
		length := f.Size
		if f.Class == ClassExperimenter {
			length += 4
		}
		b = binary.BigEndian.AppendUint32(b, uint32(MakeHeader(f.Class, f.Field, false, uint8(length))))
		if f.Class == ClassExperimenter {
			b = binary.BigEndian.AppendUint32(b, f.Exp)
		}
		b = putValue(b, fs[i].Mask, f.Size)
	}
	return b
}

// hashWireField is the wire field a decoded entry came under. Wire keeps
// the header but not an experimenter field's experimenter ID (ONF's
// tcp_flags, Nicira's ERSPAN and GTP-U fields, the NSH fields): among the
// experimenters that define one under that field number, the one whose
// field is the entry's. Without it such an entry was dropped when the
// array was written back (FuzzDecodeFieldArray's crasher b0adc2ecabe73db0).
func hashWireField(hf *pipeline.HashField) *wireField {
	h := Header(hf.Wire)
	if h.Class() != ClassExperimenter {
		return lookupField(h, 0)
	}
	for _, exp := range [...]uint32{ONFVendorID, NXVendorID, NSHExperimenterID} {
		if f := lookupField(h, exp); f != nil && f.ID == hf.Field {
			return f
		}
	}
	return nil
}
