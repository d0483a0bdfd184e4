package ofproto

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// The Geneve TLV table (NXT_TLV_TABLE_MOD / REQUEST / REPLY, ovs-ofctl
// add-tlv-map, del-tlv-map, dump-tlv-map): which TLV option (class, type,
// length) tun_metadata0..63 name, with OVS 3.1's limits, space allocation
// and errors (lib/tun-metadata.c, lib/ofp-match.c). The option space is 256
// bytes in 4-byte slots; an option takes the first free run that fits it,
// else the longest free runs one after another (OVS's chains), and a table
// mod that does not fit leaves the table as it was (NXTTMFC_TABLE_FULL).
//
// A delete or clear of a mapping that installed flows use fails with
// NXTTMFC_INVALID_TLV_DEL. The table itself is packet.TLVTable (its one owner): tlvState publishes
// an immutable copy after each mod, which the decoders (nxm) read for the
// fields' lengths and the flows keep for their places.

const (
	tlvMaxFields   = packet.TunMetaFields
	tlvOptionSpace = packet.TunMetaSpace
	tlvMaxOptLen   = packet.TunMetaMaxLen
	tlvSlots       = packet.TunMetaSlots
)

// NXTTMC_* commands.
const (
	tlvAdd    = 0
	tlvDelete = 1
	tlvClear  = 2
)

// tlvMap is one nx_tlv_map.
type tlvMap struct {
	class uint16
	typ   uint8
	len   uint8
	index uint16
}

// tlvState is a bridge's table, shared by its connections.
type tlvState struct {
	mu    sync.Mutex
	tab   packet.TLVTable
	cur   atomic.Pointer[packet.TLVTable] // the published copy of tab
	loose atomic.Pointer[packet.TLVTable] // nxm.LooseTLV of cur
}

// table is the current table (never nil), not to be changed.
func (s *tlvState) table() *packet.TLVTable {
	if t := s.cur.Load(); t != nil {
		return t
	}
	return &packet.TLVTable{}
}

// TLVTable is the bridge's Geneve TLV map as flows see it (nil: none
// set yet), not to be changed: what a tunnel port of the bridge encodes and
// decodes options with. One atomic load.
func (s *Server) TLVTable() *packet.TLVTable { return s.tlv.cur.Load() }

// looseTable is table as group-mods and packet-outs decode it
// (nxm.LooseTLV: unmapped fields accepted, as OVS decodes them without its
// vl_mff_map), not to be changed.
func (s *tlvState) looseTable() *packet.TLVTable {
	if t := s.loose.Load(); t != nil {
		return t
	}
	return nxm.LooseTLV(nil)
}

// decodeTLVMod is OVS's ofputil_decode_tlv_table_mod on the body after the
// Nicira header (command, 6 bytes of padding, then 8-byte mappings; the
// caller checked the length).
func decodeTLVMod(body []byte) (uint16, []tlvMap, error) {
	cmd := binary.BigEndian.Uint16(body)
	if cmd > tlvClear {
		return 0, nil, pipeline.Errorf(pipeline.NXTTMFC_BAD_COMMAND, "TLV table mod command %d", cmd)
	}
	var maps []tlvMap
	for b := body[8:]; len(b) >= 8; b = b[8:] {
		m := tlvMap{class: binary.BigEndian.Uint16(b), typ: b[2], len: b[3], index: binary.BigEndian.Uint16(b[4:])}
		if m.len%4 != 0 || m.len > tlvMaxOptLen {
			return 0, nil, pipeline.Errorf(pipeline.NXTTMFC_BAD_OPT_LEN, "TLV option length %d", m.len)
		}
		if m.index >= tlvMaxFields {
			return 0, nil, pipeline.Errorf(pipeline.NXTTMFC_BAD_FIELD_IDX, "TLV field index %d", m.index)
		}
		maps = append(maps, m)
	}
	return cmd, maps, nil
}

// tunInUse is implemented by a datapath (*pipeline.Datapath) that can say
// which tun_metadata fields its flows use.
type tunInUse interface{ TunMetadataInUse() uint64 }

// mod applies a decoded table mod: all of it or, on an error, nothing.
// inUse (nil: none) gives the fields installed flows use, whose mappings a
// delete or clear may not remove (OVS's mf_vl_mff_map_del/clear).
func (s *tlvState) mod(cmd uint16, maps []tlvMap, inUse tunInUse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tab // a copy: the table changes only when every mapping fits
	if (cmd == tlvDelete || cmd == tlvClear) && inUse != nil {
		used := inUse.TunMetadataInUse()
		for i := range t.E {
			if !t.E[i].Valid || used&(1<<uint(i)) == 0 {
				continue
			}
			if cmd == tlvClear {
				return pipeline.Errorf(pipeline.NXTTMFC_INVALID_TLV_DEL, "tun_metadata%d is in use by a flow", i)
			}
			for _, m := range maps {
				if int(m.index) == i {
					return pipeline.Errorf(pipeline.NXTTMFC_INVALID_TLV_DEL, "tun_metadata%d is in use by a flow", i)
				}
			}
		}
	}
	switch cmd {
	case tlvAdd:
		for _, m := range maps {
			if err := tlvAddEntry(&t, m); err != nil {
				return err
			}
		}
	case tlvDelete:
		for _, m := range maps {
			e := &t.E[m.index]
			if e.Valid {
				t.Used &^= e.Slots
				*e = packet.TLVEntry{}
			}
		}
	case tlvClear:
		t = packet.TLVTable{}
	}
	s.tab = t
	pub := t
	s.cur.Store(&pub)
	s.loose.Store(nxm.LooseTLV(&pub))
	return nil
}

// tlvAddEntry is OVS's tun_metadata_add_entry.
func tlvAddEntry(t *packet.TLVTable, m tlvMap) error {
	e := &t.E[m.index]
	if e.Valid {
		return pipeline.Errorf(pipeline.NXTTMFC_ALREADY_MAPPED, "tun_metadata%d is mapped", m.index)
	}
	for i := range t.E {
		if t.E[i].Valid && t.E[i].Class == m.class && t.E[i].Type == m.typ {
			return pipeline.Errorf(pipeline.NXTTMFC_DUP_ENTRY, "option class %#x type %#x is mapped", m.class, m.typ)
		}
	}
	var slots uint64
	for need := int(m.len) / 4; need > 0; {
		start, n := tlvFreeRun(t.Used|slots, need)
		if n == 0 {
			return pipeline.Errorf(pipeline.NXTTMFC_TABLE_FULL, "no option space for %d bytes", m.len)
		}
		slots |= (uint64(1)<<n - 1) << start
		need -= n
	}
	*e = packet.TLVEntry{Valid: true, Class: m.class, Type: m.typ, Len: m.len, Slots: slots}
	t.Used |= slots
	return nil
}

// freeRun is OVS's tun_metadata_alloc_chain's search: the first free run
// of want slots, else the first longest free run (n 0: none).
func tlvFreeRun(used uint64, want int) (start, n int) {
	bestStart, bestLen := 0, 0
	for i := 0; i < tlvSlots; {
		if used&(1<<i) != 0 {
			i++
			continue
		}
		j := i
		for j < tlvSlots && j-i < want && used&(1<<j) == 0 {
			j++
		}
		if j-i == want {
			return i, want
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j + 1
	}
	return bestStart, bestLen
}

// appendReply appends NXT_TLV_TABLE_REPLY's body: max_option_space,
// max_fields, 10 reserved bytes, then the mappings by index.
func (s *tlvState) appendReply(m *msg) *msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.u32(tlvOptionSpace).u16(tlvMaxFields).zeros(10)
	for i, e := range s.tab.E {
		if e.Valid {
			m.u16(e.Class).u8(e.Type).u8(e.Len).u16(uint16(i)).zeros(2)
		}
	}
	return m
}
