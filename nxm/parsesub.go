package nxm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gswitch/packet"
	"gswitch/pipeline"
)

// ovsAliases are the second names ovs-fields(7) gives some fields ("aka"),
// which OVS's mf_from_name accepts as well.
var ovsAliases = map[string]string{
	"tunnel_id": "tun_id", "dl_src": "eth_src", "dl_dst": "eth_dst", "dl_type": "eth_type",
	"nw_src": "ip_src", "nw_dst": "ip_dst", "ip_proto": "nw_proto", "ip_ecn": "nw_ecn",
	"nw_frag": "ip_frag", "tp_src": "tcp_src", "tp_dst": "tcp_dst", "nsp": "nsh_spi",
	"nsi": "nsh_si", "nshc1": "nsh_c1", "nshc2": "nsh_c2", "nshc3": "nsh_c3", "nshc4": "nsh_c4",
}

// FieldByOVSName returns the field OVS names name (its ovs-fields(7) name
// or the second name some fields have, as mf_from_name), with the name
// OVS prints it by.
func FieldByOVSName(name string) (packet.FieldID, string, bool) {
	if a, ok := ovsAliases[name]; ok {
		name = a
	}
	id, ok := packet.FieldByName(name)
	return id, name, ok
}

// ParseSubfield parses a subfield at the start of s as OVS's
// mf_parse_subfield__: a field's NXM or OXM name (NXM_OF_IN_PORT, a
// trailing _W allowed) or its ovs-fields(7) name, then [] or nothing (the
// whole field), [BIT] or [START..END]. It returns the rest of s after the
// subfield; the error text is OVS's.
func ParseSubfield(s string) (pipeline.Subfield, string, error) {
	nameLen := strings.IndexAny(s, "[-")
	if nameLen < 0 {
		nameLen = len(s)
	}
	name := s[:nameLen]
	var id packet.FieldID
	var bits int
	found := false
	nx := strings.TrimSuffix(name, "_W")
	if len(name) <= 2 {
		nx = name
	}
	for i := range wireFields {
		if wireFields[i].Name == nx {
			id, bits, found = subfieldID(&wireFields[i]), int(wireBits(&wireFields[i])), true
			break
		}
	}
	if !found {
		if fid, _, ok := FieldByOVSName(name); ok {
			id, found = fid, true
			if f := headerFor(fid, false); f != nil {
				bits = int(wireBits(f))
			} else {
				bits = int(packet.Fields[fid].Bits)
			}
		}
	}
	if !found {
		return pipeline.Subfield{}, s, fmt.Errorf("%s: unknown field `%s'", s, name)
	}
	rest := s[nameLen:]
	start, end := 0, bits-1
	if strings.HasPrefix(rest, "[") {
		body, after, ok := strings.Cut(rest[1:], "]")
		switch {
		case !ok:
			return pipeline.Subfield{}, s, syntaxErr(s)
		case body == "":
		default:
			a, b, two := strings.Cut(body, "..")
			var err1, err2 error
			start, err1 = leadingInt(a)
			end = start
			if two {
				end, err2 = leadingInt(b)
			}
			if err1 != nil || err2 != nil {
				return pipeline.Subfield{}, s, syntaxErr(s)
			}
		}
		rest = after
	}
	switch {
	case start > end:
		return pipeline.Subfield{}, s, fmt.Errorf("%s: starting bit %d is after ending bit %d", s, start, end)
	case start >= bits:
		return pipeline.Subfield{}, s, fmt.Errorf("%s: starting bit %d is not valid because field is only %d bits wide", s, start, bits)
	case end >= bits:
		return pipeline.Subfield{}, s, fmt.Errorf("%s: ending bit %d is not valid because field is only %d bits wide", s, end, bits)
	}
	return pipeline.Subfield{Field: id, Ofs: uint16(start), NBits: uint16(end - start + 1)}, rest, nil
}

func syntaxErr(s string) error {
	return errors.New(s + ": syntax error expecting [] or [<bit>] or [<start>..<end>]")
}

// leadingInt reads a decimal number (with an optional sign, as scanf's %d)
// filling all of s.
func leadingInt(s string) (int, error) {
	return strconv.Atoi(strings.TrimSpace(s))
}
