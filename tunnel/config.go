package tunnel

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Type is a tunnel port's encapsulation.
type Type uint8

// The tunnel types gswitch carries (OVS's netdev-vport classes of the same
// names).
const (
	Geneve Type = iota + 1
	VXLAN
)

func (t Type) String() string {
	switch t {
	case Geneve:
		return "geneve"
	case VXLAN:
		return "vxlan"
	}
	return "unknown"
}

// Default UDP destination ports and TTL (lib/netdev-vport.c).
const (
	GenevePort = 6081
	VXLANPort  = 4789
	DefaultTTL = 64
)

// PTMode is a tunnel port's packet_type option (OVS's netdev_pt_mode).
type PTMode uint8

// Packet type modes. Geneve and VXLAN without GPE carry only Ethernet, so
// their default is LegacyL2.
const (
	LegacyL2 PTMode = iota + 1
	LegacyL3
	PTAware // "ptap"
)

// VXLAN extensions (options:exts).
const (
	ExtGBP = 1 << 0
	ExtGPE = 1 << 1
)

// Config is a tunnel port's configuration, parsed from its Interface
// options as OVS 3.1's set_tunnel_config does. Addresses are IPv4 or IPv6
// (never IPv4-mapped IPv6); an unset one is the zero Addr.
type Config struct {
	Name string
	Type Type

	Remote     netip.Addr // remote_ip
	RemoteFlow bool       // remote_ip=flow: tun_dst/tun_ipv6_dst of the packet
	Local      netip.Addr // local_ip
	LocalFlow  bool       // local_ip=flow

	InKey, OutKey               uint64 // key, in_key, out_key (tun_id)
	InKeyPresent, OutKeyPresent bool
	InKeyFlow, OutKeyFlow       bool

	DstPort      uint16
	Csum         bool
	TOS          uint8 // DSCP bits only
	TOSInherit   bool
	TTL          uint8 // DefaultTTL when not given (or 0)
	TTLInherit   bool
	DontFragment bool // df_default (true unless "false")
	PTMode       PTMode
	Exts         uint8 // ExtGBP, ExtGPE (vxlan only)

	EgressPktMark    uint32
	SetEgressPktMark bool
}

// ConfigError is a configuration OVS refuses: Error is the text OVS writes
// to Interface.error (its lines joined by "\n").
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// ParseType returns the Type of an Interface type name, false when it is
// not a tunnel type gswitch has.
func ParseType(s string) (Type, bool) {
	switch s {
	case "geneve":
		return Geneve, true
	case "vxlan":
		return VXLAN, true
	}
	return 0, false
}

// ParseConfig parses the options of tunnel port name of type typ.
// warnings are the lines OVS only logs (unknown arguments, a bad TOS, ...);
// a non-nil error is a configuration OVS refuses, and its text (with the
// warnings before it, as OVS accumulates them) is the Interface's error.
//
// OVS walks the options in its hash table's order; gswitch walks them
// sorted by key, so only the order of several warnings can differ.
func ParseConfig(name, typ string, options map[string]string) (cfg Config, warnings []string, err error) {
	t, ok := ParseType(typ)
	if !ok {
		return cfg, nil, &ConfigError{Msg: fmt.Sprintf("%s: unknown tunnel type %s", name, typ)}
	}
	cfg = Config{Name: name, Type: t, DontFragment: true}
	switch t {
	case Geneve:
		cfg.DstPort = GenevePort
	case VXLAN:
		cfg.DstPort = VXLANPort
	}
	var errs []string
	fail := func() (Config, []string, error) {
		return Config{}, nil, &ConfigError{Msg: strings.Join(errs, "\n")}
	}
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var dstV6, srcV6, dstSet, srcSet bool
	for _, k := range keys {
		v := options[k]
		switch k {
		case "remote_ip":
			a, flow, e := parseTunnelIP(v, false)
			switch e {
			case errNoEnt:
				errs = append(errs, fmt.Sprintf("%s: bad %s 'remote_ip'", name, typ))
			case errInval:
				errs = append(errs, fmt.Sprintf("%s: multicast remote_ip=%s not allowed", name, v))
				return fail()
			default:
				cfg.Remote, cfg.RemoteFlow = a, flow
				if !flow {
					dstSet, dstV6 = true, a.Is6()
				}
			}
		case "local_ip":
			a, flow, e := parseTunnelIP(v, true)
			if e == errNoEnt {
				errs = append(errs, fmt.Sprintf("%s: bad %s 'local_ip'", name, typ))
			} else {
				cfg.Local, cfg.LocalFlow = a, flow
				if !flow {
					srcSet, srcV6 = true, a.Is6()
				}
			}
		case "tos":
			if v == "inherit" {
				cfg.TOSInherit = true
			} else if n, rest := strtol(v); rest == "" && n == n&0xfc {
				cfg.TOS = uint8(n)
			} else {
				errs = append(errs, fmt.Sprintf("%s: invalid TOS %s", name, v))
			}
		case "ttl":
			if v == "inherit" {
				cfg.TTLInherit = true
			} else {
				n, _ := strtol(v) // atoi: leading digits, else 0
				cfg.TTL = uint8(n)
			}
		case "dst_port":
			n, _ := strtol(v)
			cfg.DstPort = uint16(n)
		case "csum":
			if v == "true" {
				cfg.Csum = true
			}
		case "df_default":
			if v == "false" {
				cfg.DontFragment = false
			}
		case "key", "in_key", "out_key", "packet_type":
		case "exts":
			if t != VXLAN {
				errs = append(errs, fmt.Sprintf("%s: unknown %s argument '%s'", name, typ, k))
				continue
			}
			cfg.Exts = 0
			for _, ext := range strings.Split(v, ",") {
				switch ext {
				case "":
				case "gbp":
					cfg.Exts |= ExtGBP
				case "gpe":
					cfg.Exts |= ExtGPE
				default:
					errs = append(errs, fmt.Sprintf("%s: unknown extension '%s'", name, ext))
				}
			}
		case "egress_pkt_mark":
			n, _ := strtoul10(v)
			cfg.EgressPktMark, cfg.SetEgressPktMark = uint32(n), true
		case "remote_cert", "remote_name", "psk":
			// read by ovs-monitor-ipsec, not by the switch
		default:
			errs = append(errs, fmt.Sprintf("%s: unknown %s argument '%s'", name, typ, k))
		}
	}

	l3 := t == VXLAN && cfg.Exts&ExtGPE != 0 // layers: L2 always, L3 with GPE
	fullType := typ
	if t == VXLAN {
		fullType = "VXLAN (without GPE)"
		if cfg.Exts&ExtGPE != 0 {
			fullType = "VXLAN-GPE"
		}
	}
	switch pt, ok := options["packet_type"]; {
	case !ok:
		cfg.PTMode = LegacyL2
	case pt == "legacy_l2":
		cfg.PTMode = LegacyL2
	case pt == "legacy_l3":
		if !l3 {
			errs = append(errs, fmt.Sprintf("%s: legacy_l3 configured on %s tunnel that cannot carry L3 traffic", name, fullType))
			return fail()
		}
		cfg.PTMode = LegacyL3
	case pt == "ptap":
		cfg.PTMode = PTAware
	default:
		errs = append(errs, fmt.Sprintf("%s: unknown packet_type '%s'", name, pt))
		return fail()
	}
	if !cfg.Remote.IsValid() && !cfg.RemoteFlow {
		errs = append(errs, fmt.Sprintf("%s: %s type requires valid 'remote_ip' argument", name, typ))
		return fail()
	}
	if cfg.LocalFlow && !cfg.RemoteFlow {
		errs = append(errs, fmt.Sprintf("%s: %s type requires 'remote_ip=flow' with 'local_ip=flow'", name, typ))
		return fail()
	}
	if srcSet && dstSet && srcV6 != dstV6 {
		errs = append(errs, fmt.Sprintf("%s: 'remote_ip' and 'local_ip' has to be of the same address family", name))
		return fail()
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	cfg.InKey, cfg.InKeyPresent, cfg.InKeyFlow = parseKey(options, "in_key")
	cfg.OutKey, cfg.OutKeyPresent, cfg.OutKeyFlow = parseKey(options, "out_key")
	return cfg, errs, nil
}

// parseKey is OVS's parse_key: name, else "key"; "flow" or a number
// (strtoull base 0: what does not parse is 0).
func parseKey(options map[string]string, name string) (key uint64, present, flow bool) {
	s, ok := options[name]
	if !ok {
		if s, ok = options["key"]; !ok {
			return 0, false, false
		}
	}
	if s == "flow" {
		return 0, true, true
	}
	n, _ := strtoull(s)
	return n, true, false
}

type ipErr uint8

const (
	errNone ipErr = iota
	errNoEnt
	errInval
)

// parseTunnelIP is OVS's parse_tunnel_ip: "flow", an IPv6 address (any
// text with a ':'), or a dotted-quad IPv4 address (inet_pton).
func parseTunnelIP(v string, mcastOK bool) (netip.Addr, bool, ipErr) {
	if v == "flow" {
		return netip.Addr{}, true, errNone
	}
	a, err := netip.ParseAddr(v)
	if strings.Contains(v, ":") {
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}, false, errNoEnt
		}
		if a.Is4In6() {
			a = a.Unmap() // OVS keeps every address as IPv6, v4 mapped
		}
	} else if err != nil || !a.Is4() {
		return netip.Addr{}, false, errNoEnt
	}
	if !mcastOK && a.IsMulticast() {
		return netip.Addr{}, false, errInval
	}
	return a, false, errNone
}

// strtol parses a C strtol(s, &end, 0) prefix (leading spaces, a sign,
// 0x/0 prefixes), returning the value and what follows it.
func strtol(s string) (int64, string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && hexDigit(s[i+2]) >= 0 {
		base, i = 16, i+2
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	start := i
	var n uint64
	for i < len(s) {
		d := hexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		if n < 1<<62 {
			n = n*base + uint64(d)
		}
		i++
	}
	if i == start {
		return 0, s
	}
	v := int64(n)
	if neg {
		v = -v
	}
	return v, s[i:]
}

func strtoull(s string) (uint64, string) {
	t := strings.TrimLeft(s, " \t\n")
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimLeft(t, "+-")
	base := uint64(10)
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && hexDigit(t[2]) >= 0 {
		base, t = 16, t[2:]
	} else if len(t) > 0 && t[0] == '0' {
		base = 8
	}
	var n uint64
	i := 0
	for ; i < len(t); i++ {
		d := hexDigit(t[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		if n > (^uint64(0)-uint64(d))/base {
			n = ^uint64(0) // ERANGE: ULLONG_MAX
		} else {
			n = n*base + uint64(d)
		}
	}
	if i == 0 && base != 8 {
		return 0, s
	}
	if neg {
		n = -n
	}
	return n, t[i:]
}

func strtoul10(s string) (uint64, string) {
	t := strings.TrimLeft(s, " \t\n")
	var n uint64
	i := 0
	for ; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		n = n*10 + uint64(t[i]-'0')
	}
	return n, t[i:]
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
