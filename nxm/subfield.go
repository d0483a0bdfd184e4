package nxm

import (
	"encoding/binary"

	"gswitch/packet"
	"gswitch/pipeline"
)

// wireBits is the width OVS gives a field (mf_field.n_bits): what subfield
// offsets in move, load, output:reg and ct(zone=...) are checked against.
func wireBits(f *wireField) uint16 {
	switch f.ID {
	case packet.FieldVlanVID:
		return 12
	case packet.FieldVlanPCP:
		return 3
	case packet.FieldIPECN, packet.FieldIPFrag:
		return 2
	case packet.FieldIPv6Label:
		return 20
	case packet.FieldTunFlags:
		return 1 // 2 bytes on the wire, only the oam bit
	case packet.FieldTCPFlags:
		return 12
	case packet.FieldTunErspanIdx:
		return 20
	case packet.FieldNSHSPI:
		return 24
	case packet.FieldTunErspanVer:
		return 4
	case packet.FieldTunErspanDir:
		return 1
	case packet.FieldTunErspanHwid:
		return 6
	case packet.FieldIPDSCP:
		if f.Kind == kDSCPNXM {
			return 8
		}
		return 6
	}
	return uint16(8 * f.Size)
}

// subfieldID is the model field a subfield of wire field f names.
func subfieldID(f *wireField) packet.FieldID {
	if f.Kind == kDSCPNXM {
		return packet.FieldNwTOS
	}
	return f.ID
}

// subfieldHeader is the wire field OVS names model field id with in
// move/load/output_reg/ct (nxm_header_from_mff: NXM if it has one, else OXM).
func subfieldHeader(sf pipeline.Subfield) *wireField {
	if sf.Tun.Len != 0 {
		return &tunHeaders[sf.Tun.Idx]
	}
	switch sf.Field {
	case packet.FieldNwTOS:
		return byKey[fieldKey(ClassNXM0, 5, 0)]
	case packet.FieldVlanVID:
		return oxmOf[packet.FieldVlanVID]
	case packet.FieldIPDSCP:
		return oxmOf[packet.FieldIPDSCP]
	case packet.FieldInPort:
		if sf.Ofs+sf.NBits <= 16 {
			return nxmOf[packet.FieldInPort]
		}
		return oxmOf[packet.FieldInPort]
	}
	if !sf.Field.Valid() {
		return nil
	}
	return headerFor(sf.Field, false)
}

// headerOnly decodes a bare NXM header naming a field (as in
// NXAST_REG_LOAD's dst): unknown → OFPBAC_BAD_SET_TYPE.
func fieldFromNXMHeader(h uint32) (*wireField, *pipeline.Error) {
	hd := Header(h)
	if hd.Class() == ClassExperimenter {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_TYPE, "unknown field header %#x", h)
	}
	if isTunMetadata(hd) {
		return nil, tlvFieldErr(hd)
	}
	f := lookup(hd, 0) // a masked header names its field too, as in OVS
	if f == nil {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_TYPE, "unknown field header %#x", h)
	}
	return f, nil
}

// pullHeader is OVS's nx_pull_header for actions (move, output_reg2):
// unknown field → OFPBMC_BAD_FIELD, truncated → OFPBMC_BAD_LEN, masked →
// OFPBMC_BAD_MASK.
func pullHeader(b []byte) (*wireField, []byte, *pipeline.Error) {
	c := tlvCursor{b: b}
	h, exp, ok := c.nextHeader()
	if !ok {
		if c.err == nil {
			c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "missing field header")
		}
		return nil, nil, c.err
	}
	if isTunMetadata(h) {
		return nil, nil, tlvFieldErr(h)
	}
	f := lookup(h, exp)
	if f == nil {
		return nil, nil, pipeline.Errorf(pipeline.OFPBMC_BAD_FIELD, "unknown field header %#x", uint32(h))
	}
	if h.HasMask() {
		return nil, nil, pipeline.Errorf(pipeline.OFPBMC_BAD_MASK, "%s: masked header not allowed here", f.Name)
	}
	return f, c.b, nil
}

// appendHeader appends the header of f (exact form, with experimenter ID).
func appendHeader(b []byte, f *wireField) []byte {
	n := f.Size
	if f.Class == ClassExperimenter {
		n += 4
	}
	b = binary.BigEndian.AppendUint32(b, uint32(MakeHeader(f.Class, f.Field, false, uint8(n))))
	if f.Class == ClassExperimenter {
		b = binary.BigEndian.AppendUint32(b, f.Exp)
	}
	return b
}

// checkSubfield is OVS's mf_check_src/mf_check_dst.
func checkSubfield(f *wireField, ofs, nbits uint16, dst bool) (pipeline.Subfield, *pipeline.Error) {
	sf := pipeline.Subfield{Field: subfieldID(f), Ofs: ofs, NBits: nbits}
	w := wireBits(f)
	switch {
	case nbits == 0:
		return sf, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_LEN, "zero-bit subfield of %s", f.Name)
	case ofs >= w || uint32(ofs)+uint32(nbits) > uint32(w):
		return sf, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_LEN, "bits %d+%d exceed %d-bit %s", ofs, nbits, w, f.Name)
	}
	if dst && !packet.Fields[sf.Field].Writable {
		return sf, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "%s is not writable", f.Name)
	}
	return sf, nil
}

func encodeOfsNBits(ofs, nbits uint16) uint16 { return ofs<<6 | (nbits-1)&0x3f }

// subfieldOXMHeader is the wire field OVS names model field id with in
// OpenFlow 1.5's copy_field (mf_oxm_header: OXM if it has one, else NXM).
func subfieldOXMHeader(sf pipeline.Subfield) *wireField {
	if sf.Tun.Len != 0 {
		return &tunHeaders[sf.Tun.Idx] // tun_metadata has only its NXM header
	}
	switch sf.Field {
	case packet.FieldNwTOS, packet.FieldVlanVID, packet.FieldIPDSCP, packet.FieldInPort:
		return subfieldHeader(sf)
	}
	if !sf.Field.Valid() {
		return nil
	}
	return dOXM15.header(sf.Field)
}
