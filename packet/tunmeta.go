package packet

import "math/bits"

// Geneve tunnel metadata (tun_metadata0..63): the TLV table that maps each
// field to an option and a place in the option space (its one owner:
// ofproto updates it from NXT_TLV_TABLE_MOD, nxm reads the lengths when it
// decodes, the pipeline the places when it runs), and the option space a
// packet carries. Neither is in Words: a flow key and the classifier's
// hashes do not pay for 256 bytes; only flows that use tun_metadata look at
// a packet's TunMeta.

// Limits of OVS 3.1 (lib/tun-metadata.h).
const (
	TunMetaFields = 64  // TUN_METADATA_NUM_OPTS
	TunMetaSpace  = 256 // TUN_METADATA_TOT_OPT_SIZE, bytes
	TunMetaMaxLen = 124 // TLV_MAX_OPT_SIZE, bytes
	TunMetaSlots  = TunMetaSpace / 4
)

// TLVEntry is one mapping: tun_metadataN is option (Class, Type) of Len
// bytes (a multiple of 4), held in the 4-byte slots Slots of the option
// space, its bytes in ascending slot order.
type TLVEntry struct {
	Valid bool
	Class uint16
	Type  uint8
	Len   uint8
	Slots uint64
}

// TLVTable is a bridge's Geneve TLV table. A published table is never
// changed: a table mod builds a new one.
type TLVTable struct {
	E    [TunMetaFields]TLVEntry
	Used uint64 // allocated slots
}

// Len is tun_metadata idx's mapped length in bytes, 0 when unmapped (or t
// is nil).
func (t *TLVTable) Len(idx int) int {
	if t == nil || idx < 0 || idx >= TunMetaFields || !t.E[idx].Valid {
		return 0
	}
	return int(t.E[idx].Len)
}

// TunMeta is a packet's Geneve option space: Present has bit i when
// tun_metadata i is present, and Opts holds the options by the TLV table's
// slots (each slot a big-endian 32-bit word). A field that is not present
// reads as zero whatever Opts holds, so a packet is reset by clearing
// Present alone.
type TunMeta struct {
	Present uint64
	Opts    [TunMetaSlots]uint32
}

// slotOrder lists the slots of a field, least significant first (the last
// slot holds the field's last 4 bytes).
func slotOrder(slots uint64, buf *[TunMetaSlots]uint8) []uint8 {
	n := 0
	for i := TunMetaSlots - 1; i >= 0; i-- {
		if slots&(1<<uint(i)) != 0 {
			buf[n] = uint8(i)
			n++
		}
	}
	return buf[:n]
}

// GetBits returns bits [ofs, ofs+n) (n <= 128) of field idx held in slots.
func (m *TunMeta) GetBits(idx int, slots uint64, ofs, n uint) U128 {
	if m.Present&(1<<uint(idx)) == 0 || n == 0 {
		return U128{}
	}
	var buf [TunMetaSlots]uint8
	var v U128
	for k, s := range slotOrder(slots, &buf) {
		lo := uint(k) * 32
		if lo >= ofs+n || lo+32 <= ofs {
			continue
		}
		w := U128{Lo: uint64(m.Opts[s])}
		if lo >= ofs {
			v = v.Or(w.Shl(lo - ofs))
		} else {
			v = v.Or(w.Shr(ofs - lo))
		}
	}
	return v.And(Ones(n))
}

// SetBits writes bits [ofs, ofs+n) (n <= 128) of field idx held in slots
// and marks it present (a field that was not present is zero first). A
// field held nowhere (slots 0: an unmapped field a group bucket or
// packet-out names) is not written.
func (m *TunMeta) SetBits(idx int, slots uint64, ofs, n uint, v U128) {
	if slots == 0 {
		return
	}
	var buf [TunMetaSlots]uint8
	order := slotOrder(slots, &buf)
	if m.Present&(1<<uint(idx)) == 0 {
		for _, s := range order {
			m.Opts[s] = 0
		}
		m.Present |= 1 << uint(idx)
	}
	for k, s := range order {
		lo := uint(k) * 32
		if lo >= ofs+n || lo+32 <= ofs {
			continue
		}
		vk, mk := window(v, ofs, n, lo)
		m.Opts[s] = m.Opts[s]&^mk | vk
	}
}

// window returns the bits of the 32-bit word at bit lo of a field whose
// bits [ofs, ofs+n) (n <= 128) are v, and the mask of those bits (shifts
// relative to ofs, so any ofs of a 992-bit field works).
func window(v U128, ofs, n, lo uint) (val, mask uint32) {
	v = v.And(Ones(n))
	mk := Ones(n)
	if lo >= ofs {
		v, mk = v.Shr(lo-ofs), mk.Shr(lo-ofs)
	} else {
		v, mk = v.Shl(ofs-lo), mk.Shl(ofs-lo)
	}
	return uint32(v.Lo) & uint32(mk.Lo), uint32(mk.Lo)
}

// SetBits makes bits [ofs, ofs+n) (n <= 128) of field idx (mapped to l
// bytes in slots) exact, equal to v, and requires the field present (as
// learn writes its learned match: OVS's mf_write_subfield). t's other
// bits keep their value and mask.
func (t *TunMatch) SetBits(idx int, l uint8, slots uint64, ofs, n uint, v U128) {
	t.Fields |= 1 << uint(idx)
	t.Len[idx] = l
	t.Place[idx] = slots
	var buf [TunMetaSlots]uint8
	for k, s := range slotOrder(slots, &buf) {
		lo := uint(k) * 32
		if lo >= ofs+n || lo+32 <= ofs {
			continue
		}
		vk, mk := window(v, ofs, n, lo)
		t.Value[s] = t.Value[s]&^mk | vk
		t.Mask[s] |= mk
		t.Slots |= 1 << uint(s)
	}
}

// TunMatch is a flow's match on tun_metadata: the fields in Fields must be
// present and, in the slots they hold, the packet's options under Mask must
// equal Value (stored masked). Len and Slots keep each matched field's
// mapping for encoding (a mapping in use cannot change).
type TunMatch struct {
	Fields uint64
	Slots  uint64 // the slots with a nonzero mask
	Value  [TunMetaSlots]uint32
	Mask   [TunMetaSlots]uint32
	Len    [TunMetaFields]uint8
	Place  [TunMetaFields]uint64 // each field's slots
}

// Matches reports whether m's options satisfy t.
func (t *TunMatch) Matches(m *TunMeta) bool {
	if m.Present&t.Fields != t.Fields {
		return false
	}
	for s := t.Slots; s != 0; s &= s - 1 {
		i := bits.TrailingZeros64(s)
		if m.Opts[i]&t.Mask[i] != t.Value[i] {
			return false
		}
	}
	return true
}

// Equal reports whether two matches (nil: none) are the same.
func (t *TunMatch) Equal(o *TunMatch) bool {
	if t == nil || o == nil {
		return t == o
	}
	return t.Fields == o.Fields && t.Value == o.Value && t.Mask == o.Mask
}

// FieldBytes returns field idx's value and mask bytes (Len each).
func (t *TunMatch) FieldBytes(idx int, val, mask []byte) ([]byte, []byte) {
	var buf [TunMetaSlots]uint8
	order := slotOrder(t.Place[idx], &buf)
	for k := len(order) - 1; k >= 0; k-- {
		s := order[k]
		val = append(val, byte(t.Value[s]>>24), byte(t.Value[s]>>16), byte(t.Value[s]>>8), byte(t.Value[s]))
		mask = append(mask, byte(t.Mask[s]>>24), byte(t.Mask[s]>>16), byte(t.Mask[s]>>8), byte(t.Mask[s]))
	}
	return val, mask
}

// SetField adds field idx (mapping e) with value and mask (e.Len bytes,
// value already masked).
func (t *TunMatch) SetField(idx int, e *TLVEntry, val, mask []byte) {
	t.Fields |= 1 << uint(idx)
	t.Len[idx] = e.Len
	t.Place[idx] = e.Slots
	var buf [TunMetaSlots]uint8
	order := slotOrder(e.Slots, &buf)
	for k := range order {
		s := order[len(order)-1-k]
		b, mb := val[4*k:4*k+4], mask[4*k:4*k+4]
		t.Value[s] = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		t.Mask[s] = uint32(mb[0])<<24 | uint32(mb[1])<<16 | uint32(mb[2])<<8 | uint32(mb[3])
		if t.Mask[s] != 0 {
			t.Slots |= 1 << uint(s)
		}
	}
}

// Covers reports whether every packet matching f matches t too as far as
// tun_metadata goes (t nil: no condition), as a non-strict flow-mod or
// flow-stats request selects flows.
func (t *TunMatch) Covers(f *TunMatch) bool {
	if t == nil || t.Fields == 0 {
		return true
	}
	if f == nil || t.Fields&^f.Fields != 0 {
		return false
	}
	for i := range t.Mask {
		if t.Mask[i]&^f.Mask[i] != 0 || f.Value[i]&t.Mask[i] != t.Value[i] {
			return false
		}
	}
	return true
}

// Overlaps reports whether some packet could match both t and o (nil: no
// condition).
func (t *TunMatch) Overlaps(o *TunMatch) bool {
	if t == nil || o == nil {
		return true
	}
	for i := range t.Mask {
		if (t.Value[i]^o.Value[i])&t.Mask[i]&o.Mask[i] != 0 {
			return false
		}
	}
	return true
}

// SetBytes writes field idx held in slots from val under mask (both the
// field's length, big-endian) and marks it present (slots 0: not written,
// as SetBits).
func (m *TunMeta) SetBytes(idx int, slots uint64, val, mask []byte) {
	if slots == 0 {
		return
	}
	var buf [TunMetaSlots]uint8
	order := slotOrder(slots, &buf)
	if m.Present&(1<<uint(idx)) == 0 {
		for _, s := range order {
			m.Opts[s] = 0
		}
		m.Present |= 1 << uint(idx)
	}
	for k := range order {
		s := order[len(order)-1-k]
		if 4*k+4 > len(val) || 4*k+4 > len(mask) {
			break
		}
		v := uint32(val[4*k])<<24 | uint32(val[4*k+1])<<16 | uint32(val[4*k+2])<<8 | uint32(val[4*k+3])
		mk := uint32(mask[4*k])<<24 | uint32(mask[4*k+1])<<16 | uint32(mask[4*k+2])<<8 | uint32(mask[4*k+3])
		m.Opts[s] = m.Opts[s]&^mk | v&mk
	}
}
