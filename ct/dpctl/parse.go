package dpctl

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"gswitch/ct"
	"gswitch/packet"
)

// scanU reads an unsigned number the way OVS's ovs_scan("%u") does:
// leading spaces, an optional sign, digits (trailing text ignored); a
// value that does not fit wraps as scanf's does, so with bits 32 "-1" is
// 4294967295.
func scanU(s string, bits uint) (uint64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v uint64
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + uint64(s[n]-'0')
		n++
	}
	if n == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	if bits < 64 {
		v &= 1<<bits - 1
	}
	return v, true
}

// scanPrefixU reads prefix, then a number as scanU does.
func scanPrefixU(s, prefix string, bits uint) (uint64, bool) {
	if !strings.HasPrefix(s, prefix) {
		return 0, false
	}
	return scanU(s[len(prefix):], bits)
}

// scanZone reads "zone=N" (N as scanU reads a 16-bit number).
func scanZone(s string) (uint16, bool) {
	z, ok := scanPrefixU(s, "zone=", 16)
	return uint16(z), ok
}

// parseKV splits OVS key=value lists ("a=1,b=2").
func parseKV(s string) [][2]string {
	var out [][2]string
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		k, v, _ := strings.Cut(f, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

// parseZoneList reads "zone=N1[,N2]..." (ct-del-limits, ct-get-limits).
func parseZoneList(s string) ([]uint16, error) {
	if !strings.HasPrefix(s, "zone=") {
		return nil, einval("invalid argument %s", s)
	}
	var zs []uint16
	for _, f := range strings.Split(s[5:], ",") {
		if f == "" {
			continue
		}
		v, ok := scanU(f, 16)
		if !ok {
			return nil, einval("invalid zone")
		}
		zs = append(zs, uint16(v))
	}
	if len(zs) == 0 {
		return nil, einval("invalid zone")
	}
	return zs, nil
}

// parseTimeoutPolicy parses add-zone-tp's "name=seconds" pairs into a map
// of attribute name (as ct names it) to seconds.
func parseTimeoutPolicy(args []string) (map[string]uint32, error) {
	m := make(map[string]uint32)
	for _, a := range args {
		name, val, ok := strings.Cut(a, "=")
		if !ok || val == "" {
			return nil, fmt.Errorf("%s: expected NAME=SECONDS", a)
		}
		attr, ok := ct.TimeoutAttr(name)
		if !ok {
			return nil, fmt.Errorf("unknown timeout policy attribute %s", name)
		}
		v, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid value %s for %s", val, name)
		}
		m[attr] = uint32(v)
	}
	return m, nil
}

// flushMatch collects what flush-conntrack's tuples select (OVS's
// ofp_ct_match).
type flushMatch struct {
	proto       uint8
	l3          int // 0, 4, 6
	orig, reply ct.FlushTuple
}

// parseCtTuple parses one flush-conntrack tuple (OVS's ofp_ct_tuple_parse).
func parseCtTuple(s string, ft *ct.FlushTuple, m *flushMatch) error {
	for _, kv := range parseKV(s) {
		key, val := kv[0], kv[1]
		if val == "" {
			return einval("field %s missing value", key)
		}
		switch key {
		case "ct_nw_src", "ct_nw_dst", "ct_ipv6_src", "ct_ipv6_dst":
			v6 := strings.HasPrefix(key, "ct_ipv6")
			want := 4
			if v6 {
				want = 6
			}
			if m.l3 != 0 && m.l3 != want {
				return einval("the L3 protocol does not match %s", val)
			}
			a := &ft.Src
			if strings.HasSuffix(key, "dst") {
				a = &ft.Dst
			}
			if a.IsValid() {
				return einval("%s is set multiple times", key)
			}
			ip, err := netip.ParseAddr(val)
			if err != nil || ip.Is4() == v6 || ip.Zone() != "" {
				return einval("failed to parse field %s", key)
			}
			m.l3 = want
			*a = ip
		case "ct_nw_proto":
			v, ok := scanU(val, 64)
			if !ok || v > 255 {
				return einval("failed to parse field %s", key)
			}
			m.proto = uint8(v)
		case "ct_tp_src", "ct_tp_dst":
			v, ok := scanU(val, 64)
			if !ok || v > 65535 {
				return einval("failed to parse field %s", key)
			}
			if key == "ct_tp_src" {
				ft.SrcPort = uint16(v)
			} else {
				ft.DstPort = uint16(v)
			}
		case "icmp_type", "icmp_code", "icmp_id":
			if m.proto != packet.ProtoICMP && m.proto != packet.ProtoICMPv6 {
				return einval("invalid L4 fields")
			}
			lim := uint64(255)
			if key == "icmp_id" {
				lim = 65535
			}
			v, ok := scanU(val, 64)
			if !ok || v > lim {
				return einval("failed to parse field %s", key)
			}
			switch key {
			case "icmp_type":
				ft.ICMPType = uint8(v)
			case "icmp_code":
				ft.ICMPCode = uint8(v)
			default:
				ft.ICMPID = uint16(v)
			}
		default:
			return einval("invalid conntrack tuple field: %s", key)
		}
	}
	if m.proto == 0 && (ft.SrcPort != 0 || ft.DstPort != 0) {
		return einval("port is set without protocol")
	}
	return nil
}

// parseMasked32 reads "X[/M]" (decimal or 0x hex); the mask defaults to
// all ones.
func parseMasked32(s string) (v, m uint32, ok bool) {
	vs, ms, hasMask := strings.Cut(s, "/")
	a, ok1 := parseNum(vs, 32)
	if !ok1 {
		return 0, 0, false
	}
	m = ^uint32(0)
	if hasMask {
		b, ok2 := parseNum(ms, 32)
		if !ok2 {
			return 0, 0, false
		}
		m = uint32(b.Lo)
	}
	return uint32(a.Lo), m, true
}

// parseNum reads a decimal or 0x-hex number of at most bits bits.
func parseNum(s string, bits uint) (packet.U128, bool) {
	var n big.Int
	base := 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base, s = 16, s[2:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return packet.U128{}, false
	}
	if _, ok := n.SetString(s, base); !ok || n.BitLen() > int(bits) {
		return packet.U128{}, false
	}
	var lo, hi big.Int
	lo.And(&n, new(big.Int).SetUint64(^uint64(0)))
	hi.Rsh(&n, 64)
	return packet.U128{Hi: hi.Uint64(), Lo: lo.Uint64()}, true
}
