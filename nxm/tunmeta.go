package nxm

import (
	"encoding/binary"
	"fmt"

	"gswitch/packet"
	"gswitch/pipeline"
)

// tun_metadata0..63 (NXM_NX_TUN_METADATA0..63, class 1, fields 40-103) as
// OVS 3.1 decodes and encodes them: a field has the length the bridge's
// Geneve TLV table maps it to (packet.TLVTable, given to the *TLV
// decoders), and one it does not map is refused with
// NXFMFC_INVALID_TLV_FIELD. A wire value of another length is placed as
// OVS's copy_entry_value places it: its first min(length, mapped) bytes,
// right-aligned in the mapped length. Matches are encoded with the mapped
// length (tun_metadata_to_nx_match), set_field with the value's
// significant bytes only (nx_put_entry's mf_field_len), move with OVS's
// fixed 124-byte header.

const tunFieldBase = 40

// tunIndex returns h's tun_metadata index when h names one.
func tunIndex(h Header) (int, bool) {
	if !isTunMetadata(h) {
		return 0, false
	}
	return int(h.Field()) - tunFieldBase, true
}

// tunField is the mapping of tun_metadata idx in tab.
func tunField(h Header, idx int, tab *packet.TLVTable) (pipeline.TunField, *pipeline.Error) {
	if tab.Len(idx) == 0 {
		return pipeline.TunField{}, tlvFieldErr(h)
	}
	e := &tab.E[idx]
	return pipeline.TunField{Idx: uint8(idx), Len: e.Len, Slots: e.Slots}, nil
}

// copyEntryValue is OVS's copy_entry_value for a variable-length field:
// dst (the mapped length) gets the first min(len(p), len(dst)) bytes of p,
// right-aligned.
func copyEntryValue(dst, p []byte) {
	clear(dst)
	n := min(len(p), len(dst))
	copy(dst[len(dst)-n:], p[:n])
}

// nextTunEntry reads the payload of match entry h (tun_metadata idx) into
// e, as nx_pull_entry__ does.
func (c *tlvCursor) nextTunEntry(h Header, idx int, e *entry) bool {
	tf, err := tunField(h, idx, c.tab)
	if err != nil {
		c.err = err
		return false
	}
	n := payloadLen(h)
	if n > len(c.b) {
		c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "OXM header %#x calls for %d-byte payload, %d follow", uint32(h), n, len(c.b))
		return false
	}
	p := c.b[:n]
	c.b = c.b[n:]
	w := n
	if h.HasMask() {
		w = n / 2
		for i := 0; i < w; i++ {
			if p[i]&^p[w+i] != 0 {
				c.err = pipeline.Errorf(pipeline.OFPBMC_BAD_WILDCARDS, "OXM %#x: 1-bits in value for bits wildcarded by the mask", uint32(h))
				return false
			}
		}
	}
	*e = entry{h: h, tun: tf}
	l := int(tf.Len)
	copyEntryValue(e.tunVal[:l], p[:w])
	if h.HasMask() {
		copyEntryValue(e.tunMask[:l], p[w:2*w])
	} else {
		for i := range e.tunMask[:l] {
			e.tunMask[i] = 0xff
		}
	}
	return true
}

// applyTun adds a decoded tun_metadata entry to m (OVS's
// tun_metadata_set_match: the field must be present, even under a zero
// mask).
func applyTun(e *entry, m *pipeline.Match, tab *packet.TLVTable) *pipeline.Error {
	idx := int(e.tun.Idx)
	if m.Tun != nil && m.Tun.Fields&(1<<uint(idx)) != 0 {
		return pipeline.Errorf(pipeline.OFPBMC_DUP_FIELD, "tun_metadata%d: duplicate field", idx)
	}
	if m.Tun == nil {
		m.Tun = new(packet.TunMatch)
	}
	l := int(e.tun.Len)
	for i := range e.tunVal[:l] {
		e.tunVal[i] &= e.tunMask[i]
	}
	m.Tun.SetField(idx, &tab.E[idx], e.tunVal[:l], e.tunMask[:l])
	return nil
}

func allOnes(b []byte) bool {
	for _, c := range b {
		if c != 0xff {
			return false
		}
	}
	return true
}

// sigLen is OVS's field_len: the bytes of b after its leading zeros.
func sigLen(b []byte) int {
	for i, c := range b {
		if c != 0 {
			return len(b) - i
		}
	}
	return 0
}

// putTunMatch appends m's tun_metadata entries, by index, with the mapped
// length (masked unless the mask is all ones).
func putTunMatch(b []byte, m *pipeline.Match) []byte {
	t := m.Tun
	if t == nil {
		return b
	}
	var vb, mb [packet.TunMetaMaxLen]byte
	for i := 0; i < packet.TunMetaFields; i++ {
		if t.Fields&(1<<uint(i)) == 0 {
			continue
		}
		v, mk := t.FieldBytes(i, vb[:0], mb[:0])
		masked := !allOnes(mk)
		n := len(v)
		if masked {
			n *= 2
		}
		b = binary.BigEndian.AppendUint32(b, uint32(MakeHeader(ClassNXM1, uint8(tunFieldBase+i), masked, uint8(n))))
		b = append(b, v...)
		if masked {
			b = append(b, mk...)
		}
	}
	return b
}

// decodeTunSetField is decode_ofpat_set_field (and NXAST_REG_LOAD2) for
// tun_metadata idx: c is after the header.
func decodeTunSetField(c *tlvCursor, h Header, idx int, mayMask bool, wire uint16, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	tf, err := tunField(h, idx, tab)
	if err != nil {
		return nil, err
	}
	pl := payloadLen(h)
	if pl > len(c.b) {
		return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_LEN, "set_field payload truncated")
	}
	p, rest := c.b[:pl], c.b[pl:]
	w := pl
	if h.HasMask() {
		w = pl / 2
		for i := 0; i < w; i++ {
			if p[i]&^p[w+i] != 0 {
				return nil, pipeline.Errorf(pipeline.OFPBMC_BAD_WILDCARDS, "tun_metadata%d: 1-bits in value for bits wildcarded by the mask", idx)
			}
		}
		if !mayMask {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_MASK, "set_field of tun_metadata%d has a mask", idx)
		}
	}
	for _, x := range rest {
		if x != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "set_field: nonzero padding")
		}
	}
	a := pipeline.SetTun{F: tf, Wire: wire}
	l := int(tf.Len)
	copyEntryValue(a.Value[:l], p[:w])
	if h.HasMask() {
		copyEntryValue(a.Mask[:l], p[w:2*w])
	} else {
		for i := range a.Mask[:l] {
			a.Mask[i] = 0xff
		}
	}
	for i := range a.Value[:l] {
		a.Value[i] &= a.Mask[i]
	}
	return a, nil
}

// decodeTunLoad is decode_NXAST_RAW_REG_LOAD into tun_metadata idx: a
// set_field of bits [ofs, ofs+nbits), which OVS encodes back as
// NXAST_REG_LOAD2.
func decodeTunLoad(h Header, idx int, ofs, nbits uint16, v uint64, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	tf, err := tunField(h, idx, tab)
	if err != nil {
		return nil, err
	}
	if _, err := checkTunSubfield(tf, ofs, nbits); err != nil {
		return nil, err
	}
	if nbits < 64 && v>>nbits != 0 {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "load value %#x wider than %d bits", v, nbits)
	}
	a := pipeline.SetTun{F: tf, Wire: WireRegLoad2}
	l := int(tf.Len)
	for i := uint16(0); i < nbits; i++ {
		bit := int(ofs + i)
		byteIdx := l - 1 - bit/8
		a.Mask[byteIdx] |= 1 << uint(bit%8)
		if i < 64 && v>>i&1 != 0 {
			a.Value[byteIdx] |= 1 << uint(bit%8)
		}
	}
	return a, nil
}

// checkTunSubfield is mf_check_src/dst for tun_metadata.
func checkTunSubfield(tf pipeline.TunField, ofs, nbits uint16) (pipeline.Subfield, *pipeline.Error) {
	sf := pipeline.Subfield{Tun: tf, Ofs: ofs, NBits: nbits}
	w := tf.Bits()
	switch {
	case nbits == 0:
		return sf, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_LEN, "zero-bit subfield of tun_metadata%d", tf.Idx)
	case ofs >= w || uint32(ofs)+uint32(nbits) > uint32(w):
		return sf, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_LEN, "bits %d+%d exceed %d-bit tun_metadata%d", ofs, nbits, w, tf.Idx)
	}
	return sf, nil
}

// pulledField is a field header pulled for move: a model field or
// tun_metadata.
type pulledField struct {
	f   *wireField
	tun pipeline.TunField
}

func (p pulledField) check(ofs, nbits uint16, dst bool) (pipeline.Subfield, *pipeline.Error) {
	if p.tun.Len != 0 {
		return checkTunSubfield(p.tun, ofs, nbits)
	}
	return checkSubfield(p.f, ofs, nbits, dst)
}

// subfield is bits [ofs, ofs+nbits) of p's field (not checked).
func (p pulledField) subfield(ofs, nbits uint16) pipeline.Subfield {
	if p.tun.Len != 0 {
		return pipeline.Subfield{Tun: p.tun, Ofs: ofs, NBits: nbits}
	}
	return pipeline.Subfield{Field: subfieldID(p.f), Ofs: ofs, NBits: nbits}
}

// pullHeaderTun is pullHeader that also takes mapped tun_metadata.
func pullHeaderTun(b []byte, tab *packet.TLVTable) (pulledField, []byte, *pipeline.Error) {
	c := tlvCursor{b: b}
	h, _, ok := c.nextHeader()
	if ok {
		if idx, isTun := tunIndex(h); isTun {
			tf, err := tunField(h, idx, tab)
			if err != nil {
				return pulledField{}, nil, err
			}
			if h.HasMask() {
				return pulledField{}, nil, pipeline.Errorf(pipeline.OFPBMC_BAD_MASK, "tun_metadata%d: masked header not allowed here", idx)
			}
			return pulledField{tun: tf}, c.b, nil
		}
	}
	f, rest, err := pullHeader(b)
	return pulledField{f: f}, rest, err
}

// tunHeaders are the headers OVS names tun_metadataN with in move (its
// static 124-byte field, whatever the mapping).
var tunHeaders [packet.TunMetaFields]wireField

func init() {
	for i := range tunHeaders {
		tunHeaders[i] = wireField{Name: fmt.Sprintf("NXM_NX_TUN_METADATA%d", i), Class: ClassNXM1,
			Field: uint8(tunFieldBase + i), Size: packet.TunMetaMaxLen, ID: packet.FieldInvalid}
	}
}

// appendSetTun encodes a set_field to tun_metadata as OVS's
// encode_SET_FIELD: OFPAT_SET_FIELD in OpenFlow 1.5, and in 1.3 when it
// came as one (so the whole field), otherwise NXAST_REG_LOAD2 (the field has variable
// length); the entry carries the value's significant bytes.
func appendSetTun(b []byte, version uint8, a *pipeline.SetTun) []byte {
	l := int(a.F.Len)
	val, mask := a.Value[:l], a.Mask[:l]
	masked := !allOnes(mask)
	n := sigLen(val)
	if masked {
		n = max(n, sigLen(mask))
	}
	start := len(b)
	switch {
	case version >= Version15:
		// OpenFlow 1.5 has only set_field, which may be masked.
		b = ofHdr(b, ofpatSetField, 0)
	case version != Version10 && a.Wire == WireSetField && !masked:
		b = ofHdr(b, ofpatSetField, 0)
	default:
		b = nxHdr(b, nxastRegLoad2, 0)
	}
	hl := n
	if masked {
		hl *= 2
	}
	b = binary.BigEndian.AppendUint32(b, uint32(MakeHeader(ClassNXM1, uint8(tunFieldBase+int(a.F.Idx)), masked, uint8(hl))))
	b = append(b, val[l-n:]...)
	if masked {
		b = append(b, mask[l-n:]...)
	}
	return finish(b, start)
}

// LooseTLV is tab as OVS decodes group buckets and packet-outs (without its
// vl_mff_map): a field tab does not map is taken as OVS's static 124-byte
// field, held nowhere (no slots: writing it does nothing, reading it gives
// 0), and encoded back as it came. tab nil: no field mapped.
func LooseTLV(tab *packet.TLVTable) *packet.TLVTable {
	l := &packet.TLVTable{}
	if tab != nil {
		*l = *tab
	}
	for i := range l.E {
		if !l.E[i].Valid {
			l.E[i] = packet.TLVEntry{Valid: true, Len: packet.TunMetaMaxLen}
		}
	}
	return l
}

// TunMatchSets turns the tun_metadata of an OpenFlow 1.5 packet-out's match
// (t nil: none) into the set_field actions that give the packet those
// values before its actions run.
func TunMatchSets(t *packet.TunMatch) []pipeline.Action {
	if t == nil {
		return nil
	}
	var sets []pipeline.Action
	for i := 0; i < packet.TunMetaFields; i++ {
		if t.Fields&(1<<uint(i)) == 0 {
			continue
		}
		a := pipeline.SetTun{F: pipeline.TunField{Idx: uint8(i), Len: t.Len[i], Slots: t.Place[i]}, Wire: WireSetField}
		l := int(t.Len[i])
		if t.Place[i] != 0 {
			t.FieldBytes(i, a.Value[:0], a.Mask[:0])
		} else {
			// held nowhere: the value is not kept (nothing reads it)
			for j := range a.Mask[:l] {
				a.Mask[j] = 0xff
			}
		}
		sets = append(sets, a)
	}
	return sets
}

// fieldFromNXMHeaderTun is fieldFromNXMHeader that also takes tun_metadata
// mapped in tab (learn specs, output_reg, ct zones, multipath, bundle_load).
func fieldFromNXMHeaderTun(h uint32, tab *packet.TLVTable) (pulledField, *pipeline.Error) {
	if idx, ok := tunIndex(Header(h)); ok {
		tf, err := tunField(Header(h), idx, tab)
		return pulledField{tun: tf}, err
	}
	f, err := fieldFromNXMHeader(h)
	return pulledField{f: f}, err
}
