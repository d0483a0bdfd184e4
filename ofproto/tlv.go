package ofproto

import (
	"encoding/binary"
	"sync"

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
// Only the control plane is here: no flow may use tun_metadata yet (the
// decoders refuse the fields), so a delete or clear never finds a mapping
// in use (OVS's NXTTMFC_INVALID_TLV_DEL).

const (
	tlvMaxFields   = 64  // TUN_METADATA_NUM_OPTS
	tlvOptionSpace = 256 // TUN_METADATA_TOT_OPT_SIZE
	tlvMaxOptLen   = 124 // TLV_MAX_OPT_SIZE
	tlvSlots       = tlvOptionSpace / 4
)

// NXTTMC_* commands.
const (
	tlvAdd    = 0
	tlvDelete = 1
	tlvClear  = 2
)

type tlvEntry struct {
	valid bool
	class uint16
	typ   uint8
	len   uint8
	slots uint64 // the 4-byte slots of the option space it holds
}

type tlvTable struct {
	e    [tlvMaxFields]tlvEntry
	used uint64 // allocated slots
}

// tlvMap is one nx_tlv_map.
type tlvMap struct {
	class uint16
	typ   uint8
	len   uint8
	index uint16
}

// tlvState is a bridge's table, shared by its connections.
type tlvState struct {
	mu  sync.Mutex
	tab tlvTable
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

// mod applies a decoded table mod: all of it or, on an error, nothing.
func (s *tlvState) mod(cmd uint16, maps []tlvMap) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tab // a copy: the table changes only when every mapping fits
	switch cmd {
	case tlvAdd:
		for _, m := range maps {
			if err := t.add(m); err != nil {
				return err
			}
		}
	case tlvDelete:
		for _, m := range maps {
			e := &t.e[m.index]
			if e.valid {
				t.used &^= e.slots
				*e = tlvEntry{}
			}
		}
	case tlvClear:
		t = tlvTable{}
	}
	s.tab = t
	return nil
}

// add is OVS's tun_metadata_add_entry.
func (t *tlvTable) add(m tlvMap) error {
	e := &t.e[m.index]
	if e.valid {
		return pipeline.Errorf(pipeline.NXTTMFC_ALREADY_MAPPED, "tun_metadata%d is mapped", m.index)
	}
	for i := range t.e {
		if t.e[i].valid && t.e[i].class == m.class && t.e[i].typ == m.typ {
			return pipeline.Errorf(pipeline.NXTTMFC_DUP_ENTRY, "option class %#x type %#x is mapped", m.class, m.typ)
		}
	}
	var slots uint64
	for need := int(m.len) / 4; need > 0; {
		start, n := t.freeRun(t.used|slots, need)
		if n == 0 {
			return pipeline.Errorf(pipeline.NXTTMFC_TABLE_FULL, "no option space for %d bytes", m.len)
		}
		slots |= (uint64(1)<<n - 1) << start
		need -= n
	}
	*e = tlvEntry{valid: true, class: m.class, typ: m.typ, len: m.len, slots: slots}
	t.used |= slots
	return nil
}

// freeRun is OVS's tun_metadata_alloc_chain's search: the first free run
// of want slots, else the first longest free run (n 0: none).
func (t *tlvTable) freeRun(used uint64, want int) (start, n int) {
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
	for i, e := range s.tab.e {
		if e.valid {
			m.u16(e.class).u8(e.typ).u8(e.len).u16(uint16(i)).zeros(2)
		}
	}
	return m
}
