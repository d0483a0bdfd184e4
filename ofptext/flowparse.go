package ofptext

// The br_flow argument of ofproto/trace (OVS's parse_ofp_exact_flow):
// FIELD=VALUE pairs and protocol names, each field set once and only after
// its prerequisites, into an exact flow; and a packet made from such a
// flow (OVS's flow_compose), which gswitch's executor runs.

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// ExactFlow is a flow parsed by ParseExactFlow: each field given has its
// value in M.Value and all ones in M.Mask.
type ExactFlow struct {
	M pipeline.Match
}

// Has reports whether the flow gave field f.
func (e *ExactFlow) Has(f packet.FieldID) bool { return !e.M.Mask.Get(f).IsZero() }

// Get is field f's value (0 when not given).
func (e *ExactFlow) Get(f packet.FieldID) packet.U128 { return e.M.Value.Get(f) }

var protocols = map[string]struct {
	dlType uint16
	proto  uint8
}{
	"ip": {0x0800, 0}, "ipv4": {0x0800, 0}, "ip4": {0x0800, 0}, "arp": {0x0806, 0},
	"icmp": {0x0800, 1}, "tcp": {0x0800, 6}, "udp": {0x0800, 17}, "sctp": {0x0800, 132},
	"ipv6": {0x86dd, 0}, "ip6": {0x86dd, 0}, "icmp6": {0x86dd, 58}, "tcp6": {0x86dd, 6},
	"udp6": {0x86dd, 17}, "sctp6": {0x86dd, 132}, "rarp": {0x8035, 0}, "mpls": {0x8847, 0},
	"mplsm": {0x8848, 0},
}

// ParseExactFlow parses s as OVS's parse_ofp_exact_flow; port resolves a
// port name for in_port. The errors are OVS's texts.
func ParseExactFlow(s string, port func(string) (uint32, bool)) (*ExactFlow, error) {
	e := &ExactFlow{}
	set := func(f packet.FieldID, v packet.U128) {
		e.M.Set(f, v, packet.Ones(packet.Fields[f].Bits))
	}
	for _, kv := range splitKeyValues(s) {
		key, val := kv[0], kv[1]
		if p, ok := protocols[key]; ok {
			if e.Has(packet.FieldEthType) {
				return nil, fmt.Errorf("%s: Ethernet type set multiple times", s)
			}
			set(packet.FieldEthType, packet.U128{Lo: uint64(p.dlType)})
			if p.proto != 0 {
				if e.Has(packet.FieldNwProto) {
					return nil, fmt.Errorf("%s: network protocol set multiple times", s)
				}
				set(packet.FieldNwProto, packet.U128{Lo: uint64(p.proto)})
			}
			continue
		}
		f, err := e.parseField(key, val, port)
		if err != nil {
			var fe fieldErr
			if errors.As(err, &fe) {
				return nil, fmt.Errorf("%s: %s", s, fe.text)
			}
			return nil, fmt.Errorf("%s: bad value for %s (%s)", s, key, err)
		}
		_ = f
	}
	if !e.Has(packet.FieldInPort) {
		// OVS: OFPP_NONE when no in_port is given.
		e.M.Value.Set(packet.FieldInPort, packet.U128{Lo: uint64(pipeline.PortAny)})
	}
	return e, nil
}

// fieldErr is an error OVS reports without "bad value for".
type fieldErr struct{ text string }

func (f fieldErr) Error() string { return f.text }

// splitKeyValues splits s at commas and white space outside parentheses
// into key and value (ofputil_parse_key_value: KEY=VALUE, KEY:VALUE or
// KEY(VALUE)).
func splitKeyValues(s string) [][2]string {
	var out [][2]string
	depth, start := 0, 0
	flush := func(end int) {
		item := strings.TrimSpace(s[start:end])
		if item == "" {
			return
		}
		if i := strings.IndexAny(item, "=:("); i >= 0 {
			v := item[i+1:]
			if item[i] == '(' {
				v = strings.TrimSuffix(v, ")")
			}
			out = append(out, [2]string{item[:i], v})
		} else {
			out = append(out, [2]string{item, ""})
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && (c == ',' || c == ' ' || c == '\t'):
			flush(i)
			start = i + 1
		}
	}
	flush(len(s))
	return out
}

// ovsOnly are field names OVS's mf_from_name knows that gswitch keeps as
// part of another field.
const (
	pseudoDlVlan = iota + 1
	pseudoDlVlanPCP
	pseudoVlanVID
	pseudoVlanPCP
	pseudoNwTOS
	pseudoNwECN
	pseudoIPDSCP
)

var pseudoFields = map[string]int{
	"dl_vlan": pseudoDlVlan, "dl_vlan_pcp": pseudoDlVlanPCP, "vlan_vid": pseudoVlanVID,
	"vlan_pcp": pseudoVlanPCP, "nw_tos": pseudoNwTOS, "nw_ecn": pseudoNwECN, "ip_ecn": pseudoNwECN,
	"ip_dscp": pseudoIPDSCP,
}

func (e *ExactFlow) parseField(key, val string, port func(string) (uint32, bool)) (packet.FieldID, error) {
	if ps, ok := pseudoFields[key]; ok {
		return 0, e.parsePseudo(key, ps, val)
	}
	f, _, ok := nxm.FieldByOVSName(key)
	if !ok {
		return 0, fieldErr{"unknown field " + key}
	}
	if !packet.Fields[f].Prereq.MetBy(&e.M.Value, &e.M.Mask) {
		return 0, fieldErr{"prerequisites not met for setting " + key}
	}
	if e.Has(f) {
		return 0, fieldErr{"field " + key + " set multiple times"}
	}
	v, err := parseFieldValue(f, val, port)
	if err != nil {
		return 0, err
	}
	e.M.Set(f, v, packet.Ones(packet.Fields[f].Bits))
	return f, nil
}

func (e *ExactFlow) parsePseudo(key string, ps int, val string) error {
	n, err := strconv.ParseUint(val, 0, 16)
	if err != nil {
		return fmt.Errorf("%s: could not convert to 16-bit integer", val)
	}
	f := packet.FieldVlanTCI
	prereqIP := ps == pseudoNwTOS || ps == pseudoNwECN || ps == pseudoIPDSCP
	if prereqIP {
		f = packet.FieldNwTOS
		if !packet.Fields[packet.FieldNwTOS].Prereq.MetBy(&e.M.Value, &e.M.Mask) {
			return fieldErr{"prerequisites not met for setting " + key}
		}
	}
	cur := e.M.Value.Get(f).Lo
	switch ps {
	case pseudoDlVlan:
		cur = cur&^0x0fff | 0x1000 | n&0xfff
	case pseudoDlVlanPCP:
		cur = cur&^0xe000 | 0x1000 | (n&7)<<13
	case pseudoVlanVID:
		cur = cur&^0x1fff | n&0x1fff
	case pseudoVlanPCP:
		cur = cur&^0xe000 | (n&7)<<13
	case pseudoNwTOS:
		cur = cur&3 | n&0xfc
	case pseudoNwECN:
		cur = cur&^3 | n&3
	case pseudoIPDSCP:
		cur = cur&3 | (n&0x3f)<<2
	}
	e.M.Set(f, packet.U128{Lo: cur}, packet.Ones(packet.Fields[f].Bits))
	return nil
}

var ctStateBits = map[string]uint32{"new": 0x01, "est": 0x02, "rel": 0x04, "rpl": 0x08, "inv": 0x10,
	"trk": 0x20, "snat": 0x40, "dnat": 0x80}

// ParseCtState parses --ct-next's flags (OVS's parse_ct_state and
// validate_ct_state): names separated by commas, spaces or '|'.
func ParseCtState(s string) (uint32, error) {
	var st uint32
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '|' }) {
		b, ok := ctStateBits[name]
		if !ok {
			return 0, fmt.Errorf("%s: unknown connection tracking state flag", name)
		}
		st |= b
	}
	if st != 0 && st&0x20 == 0 {
		return 0, fmt.Errorf("ct_state %s must include trk", ctStateFlags(st))
	}
	return st, nil
}

func parseFieldValue(f packet.FieldID, s string, port func(string) (uint32, bool)) (packet.U128, error) {
	bitsN := packet.Fields[f].Bits
	switch f {
	case packet.FieldCtState:
		var st uint32
		for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == '+' }) {
			b, ok := ctStateBits[name]
			if !ok {
				return packet.U128{}, fmt.Errorf("%s: unknown connection tracking state flag", name)
			}
			st |= b
		}
		return packet.U128{Lo: uint64(st)}, nil
	case packet.FieldIPFrag:
		switch s {
		case "no":
			return packet.U128{}, nil
		case "first", "yes":
			return packet.U128{Lo: 1}, nil
		case "later":
			return packet.U128{Lo: 3}, nil
		}
		return packet.U128{}, fmt.Errorf("%s: unknown fragment type (valid types are \"no\", \"yes\", \"first\", \"later\", \"not_later\"", s)
	}
	switch kindOf(f) {
	case fmtEth:
		b, err := parseMAC(s)
		if err != nil {
			return packet.U128{}, err
		}
		return packet.U128{Lo: b}, nil
	case fmtIPv4:
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return packet.U128{}, fmt.Errorf("%s: invalid IP address", s)
		}
		b := a.As4()
		return packet.U128{Lo: uint64(binary.BigEndian.Uint32(b[:]))}, nil
	case fmtIPv6:
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
			return packet.U128{}, fmt.Errorf("%s: invalid IPv6 address", s)
		}
		b := a.As16()
		return packet.U128{Hi: binary.BigEndian.Uint64(b[:8]), Lo: binary.BigEndian.Uint64(b[8:])}, nil
	case fmtPort:
		if p, ok := portByName(s); ok {
			return packet.U128{Lo: uint64(p)}, nil
		}
		if n, err := strconv.ParseUint(s, 0, 32); err == nil {
			return packet.U128{Lo: n}, nil
		}
		if port != nil {
			if p, ok := port(s); ok {
				return packet.U128{Lo: uint64(p)}, nil
			}
		}
		return packet.U128{}, fmt.Errorf("%s: port does not exist", s)
	}
	if bitsN <= 64 {
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil || (bitsN < 64 && n>>bitsN != 0) {
			return packet.U128{}, fmt.Errorf("%s: could not convert to %d-bit integer", s, bitsN)
		}
		return packet.U128{Lo: n}, nil
	}
	h := strings.TrimPrefix(s, "0x")
	if len(h) > 32 || h == "" {
		return packet.U128{}, fmt.Errorf("%s: could not convert to %d-bit integer", s, bitsN)
	}
	h = strings.Repeat("0", 32-len(h)) + h
	b, err := hex.DecodeString(h)
	if err != nil {
		return packet.U128{}, fmt.Errorf("%s: could not convert to %d-bit integer", s, bitsN)
	}
	return packet.U128{Hi: binary.BigEndian.Uint64(b[:8]), Lo: binary.BigEndian.Uint64(b[8:])}, nil
}

func portByName(s string) (uint32, bool) {
	switch strings.ToUpper(s) {
	case "IN_PORT":
		return pipeline.PortInPort, true
	case "TABLE":
		return pipeline.PortTable, true
	case "NORMAL":
		return pipeline.PortNormal, true
	case "FLOOD":
		return pipeline.PortFlood, true
	case "ALL":
		return pipeline.PortAll, true
	case "CONTROLLER":
		return pipeline.PortController, true
	case "LOCAL":
		return pipeline.PortLocal, true
	case "NONE", "ANY":
		return pipeline.PortAny, true
	}
	return 0, false
}

func parseMAC(s string) (uint64, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return 0, fmt.Errorf("%s: invalid Ethernet address", s)
	}
	var v uint64
	for _, p := range parts {
		n, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return 0, fmt.Errorf("%s: invalid Ethernet address", s)
		}
		v = v<<8 | n
	}
	return v, nil
}

// ParseHexBytes parses hex digits, white space allowed between bytes.
func ParseHexBytes(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' {
			i++
			continue
		}
		if i+1 >= len(s) || !isHex(c) || !isHex(s[i+1]) {
			return nil, errors.New("Trailing garbage in packet data")
		}
		b, _ := hex.DecodeString(s[i : i+2])
		out = append(out, b[0])
		i += 2
	}
	return out, nil
}

// ParseHexPacket is OVS's eth_from_hex: hex digits (white space allowed
// between bytes) into a frame of at least an Ethernet header.
func ParseHexPacket(s string) ([]byte, error) {
	out, err := ParseHexBytes(s)
	if err != nil {
		return nil, err
	}
	if len(out) < 14 {
		return nil, errors.New("Packet data too short for Ethernet")
	}
	return out, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// metadataFields are the fields a traced packet takes from the flow
// rather than its frame (OVS's pkt_metadata_from_flow and the pipeline
// fields).
var metadataFields = []packet.FieldID{packet.FieldInPort, packet.FieldMetadata, packet.FieldPktMark,
	packet.FieldCtState, packet.FieldCtZone, packet.FieldCtMark, packet.FieldCtLabel, packet.FieldCtNwProto,
	packet.FieldCtNwSrc, packet.FieldCtNwDst, packet.FieldCtIPv6Src, packet.FieldCtIPv6Dst, packet.FieldCtTpSrc,
	packet.FieldCtTpDst, packet.FieldTunID, packet.FieldTunSrc, packet.FieldTunDst, packet.FieldTunIPv6Src,
	packet.FieldTunIPv6Dst, packet.FieldTunFlags, packet.FieldTunGbpID, packet.FieldTunGbpFlags,
	packet.FieldXXReg0, packet.FieldXXReg1, packet.FieldXXReg2, packet.FieldXXReg3}

// TracePacket makes the packet ofproto/trace runs: frame, when not nil, is
// the packet given in hex, else one is composed from the flow (payload:
// that many bytes of L7 data for TCP, UDP and SCTP); the flow's metadata
// (in_port, registers, tunnel, conntrack fields...) is set after parsing.
func TracePacket(e *ExactFlow, frame []byte, payload int) *packet.Packet {
	composed := frame == nil
	if composed {
		frame = composeFrame(e, payload)
	}
	pk := packet.New(frame)
	packet.Parse(pk)
	w := &pk.Key.W
	if composed && e.Get(packet.FieldEthType).Lo < 0x600 {
		// A flow without dl_type has 0 (a frame of that length field
		// parses as OVS's 802.2 0x05ff).
		w.Set(packet.FieldEthType, e.Get(packet.FieldEthType))
	}
	w.SetInPort(uint32(e.Get(packet.FieldInPort).Lo))
	for _, f := range metadataFields[1:] {
		if e.Has(f) {
			w.Set(f, e.Get(f))
		}
	}
	for i := 0; i < 16; i++ {
		if f := packet.FieldReg0 + packet.FieldID(i); e.Has(f) {
			w.Set(f, e.Get(f))
		}
	}
	return pk
}

// composeFrame is OVS's flow_compose for the protocols gswitch parses:
// Ethernet (with one VLAN tag when vlan_tci has the CFI bit), IPv4, IPv6,
// ARP, and TCP, UDP, SCTP, ICMP and ICMPv6 (with ND's target and link-layer
// options).
func composeFrame(e *ExactFlow, payload int) []byte {
	g := func(f packet.FieldID) uint64 { return e.Get(f).Lo }
	var b []byte
	put48 := func(v uint64) { b = append(b, byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v)) }
	put16 := func(v uint64) { b = binary.BigEndian.AppendUint16(b, uint16(v)) }
	put32 := func(v uint64) { b = binary.BigEndian.AppendUint32(b, uint32(v)) }
	put128 := func(v packet.U128) { b = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, v.Hi), v.Lo) }
	put48(g(packet.FieldEthDst))
	put48(g(packet.FieldEthSrc))
	if tci := g(packet.FieldVlanTCI); tci&0x1000 != 0 {
		put16(0x8100)
		put16(tci &^ 0x1000)
	}
	dl := g(packet.FieldEthType)
	put16(dl)
	proto := uint8(g(packet.FieldNwProto))
	frag := g(packet.FieldIPFrag)
	l4 := func() {
		if frag&2 != 0 {
			return
		}
		switch proto {
		case 6:
			put16(g(packet.FieldTCPSrc))
			put16(g(packet.FieldTCPDst))
			put32(0)
			put32(0)
			put16(5<<12 | g(packet.FieldTCPFlags)&0xfff)
			put16(0)
			put32(0)
			b = append(b, make([]byte, payload)...)
		case 17:
			put16(g(packet.FieldTCPSrc))
			put16(g(packet.FieldTCPDst))
			put16(uint64(8 + payload))
			put16(0)
			b = append(b, make([]byte, payload)...)
		case 132:
			put16(g(packet.FieldTCPSrc))
			put16(g(packet.FieldTCPDst))
			put32(0)
			put32(0)
			b = append(b, make([]byte, payload)...)
		case 1:
			b = append(b, byte(g(packet.FieldICMPType)), byte(g(packet.FieldICMPCode)), 0, 0, 0, 0, 0, 0)
		case 58:
			t := g(packet.FieldICMPv6Type)
			b = append(b, byte(t), byte(g(packet.FieldICMPv6Code)), 0, 0)
			if t == 135 || t == 136 {
				put32(g(packet.FieldNdReserved))
				put128(e.Get(packet.FieldNdTarget))
				if v := g(packet.FieldNdSll); v != 0 {
					b = append(b, 1, 1)
					put48(v)
				}
				if v := g(packet.FieldNdTll); v != 0 {
					b = append(b, 2, 1)
					put48(v)
				}
			} else {
				put32(0)
			}
		}
	}
	switch dl {
	case 0x0800:
		start := len(b)
		b = append(b, 0x45, byte(g(packet.FieldNwTOS)), 0, 0, 0, 0)
		switch frag & 3 {
		case 1:
			put16(0x2000)
		case 3:
			put16(0x2000 | 100)
		default:
			put16(0)
		}
		b = append(b, byte(g(packet.FieldNwTTL)), proto, 0, 0)
		put32(g(packet.FieldIPv4Src))
		put32(g(packet.FieldIPv4Dst))
		l4()
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
		binary.BigEndian.PutUint16(b[start+10:], packet.Checksum(b[start:start+20]))
	case 0x86dd:
		start := len(b)
		put32(6<<28 | g(packet.FieldNwTOS)<<20 | g(packet.FieldIPv6Label))
		put16(0)
		b = append(b, proto, byte(g(packet.FieldNwTTL)))
		put128(e.Get(packet.FieldIPv6Src))
		put128(e.Get(packet.FieldIPv6Dst))
		l4()
		binary.BigEndian.PutUint16(b[start+4:], uint16(len(b)-start-40))
	case 0x0806, 0x8035:
		put16(1)
		put16(0x0800)
		b = append(b, 6, 4)
		put16(g(packet.FieldARPOp))
		put48(g(packet.FieldARPSha))
		put32(g(packet.FieldARPSpa))
		put48(g(packet.FieldARPTha))
		put32(g(packet.FieldARPTpa))
	}
	return b
}
