package ct

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strings"
	"time"

	"gswitch/ct/frag"
	"gswitch/packet"
)

// DPCtlError is an error of a dpctl command. Its text is what OVS's daemon
// sends after its "PROGRAM: " prefix: the message, then the errno text in
// parentheses when OVS adds one, e.g. "maxconns missing or malformed
// (Invalid argument)".
type DPCtlError struct {
	Msg   string
	Errno string
}

func (e *DPCtlError) Error() string {
	if e.Errno == "" {
		return e.Msg
	}
	return e.Msg + " (" + e.Errno + ")"
}

const (
	eINVAL  = "Invalid argument"
	eNOENT  = "No such file or directory"
	eNOTSUP = "Operation not supported"
)

func einval(format string, a ...any) error {
	return &DPCtlError{Msg: fmt.Sprintf(format, a...), Errno: eINVAL}
}

// DPCtlCommand describes one command for a control-socket registry: its
// name (without "dpctl/"), usage, and argument counts as OVS registers them
// (the datapath name, options such as -m excluded from neither: OVS counts
// every word after the command).
type DPCtlCommand struct {
	Name     string
	Usage    string
	Min, Max int
}

// DPCtlCommands lists the commands DPCtl handles, with OVS's usage strings
// and argument bounds (commands OVS 3.1 lacks carry later OVS's, or
// gswitch's where OVS has none).
func DPCtlCommands() []DPCtlCommand {
	return []DPCtlCommand{
		{"dump-conntrack", "[-m] [-s] [dp] [zone=N]", 0, 5},
		{"dump-conntrack-exp", "[dp] [zone=N]", 0, 2},
		{"flush-conntrack", "[dp] [zone=N] [mark=X[/M]] [labels=Y[/N]] [ct-orig-tuple [ct-reply-tuple]]", 0, 6},
		{"ct-stats-show", "[dp] [zone=N]", 0, 3},
		{"ct-set-maxconns", "[dp] maxconns", 1, 2},
		{"ct-get-maxconns", "[dp]", 0, 1},
		{"ct-get-nconns", "[dp]", 0, 1},
		{"ct-enable-tcp-seq-chk", "[dp] [zone=N]", 0, 2},
		{"ct-disable-tcp-seq-chk", "[dp] [zone=N]", 0, 2},
		{"ct-get-tcp-seq-chk", "[dp] [zone=N]", 0, 2},
		{"ct-set-limits", "[dp] [default=L] [zone=N,limit=L]...", 1, 1 << 20},
		{"ct-del-limits", "[dp] zone=N1[,N2]...", 1, 2},
		{"ct-get-limits", "[dp] [zone=N1[,N2]...]", 0, 2},
		{"ct-get-sweep-interval", "[dp]", 0, 1},
		{"ct-set-sweep-interval", "[dp] ms", 1, 2},
		{"add-zone-tp", "[dp] zone=N|default key=val...", 2, 64},
		{"del-zone-tp", "[dp] zone=N", 1, 3},
		{"list-zone-tp", "[dp]", 0, 1},
		{"ipf-set-enabled", "[dp] v4|v6", 1, 2},
		{"ipf-set-disabled", "[dp] v4|v6", 1, 2},
		{"ipf-set-min-frag", "[dp] v4|v6 minfragment", 2, 3},
		{"ipf-set-max-nfrags", "[dp] maxfrags", 1, 2},
		{"ipf-get-status", "[dp]", 0, 1},
	}
}

// dpctlOpts are the options OVS's dpctl unixctl handler reads before the
// command's arguments.
type dpctlOpts struct {
	verbose, stats, json bool
	mayExist, ifExists   bool
}

// isDPName reports whether s names a datapath (netdev@ovs-netdev,
// system@ovs-system, ovs-netdev): gswitch has one and ignores the name.
func isDPName(s string) bool {
	if s == "ovs-netdev" || s == "ovs-system" {
		return true
	}
	typ, name, ok := strings.Cut(s, "@")
	return ok && typ != "" && name != "" && !strings.Contains(s, "=")
}

// DPCtl runs one of OVS's dpctl conntrack commands (name with or without
// "dpctl/") and returns its output exactly as ovs-vswitchd 3.1 replies
// (newline included), or a *DPCtlError (or the fragment module's error).
// Options (-m/--more, -s/--statistics, and gswitch's --format=json for
// dump-conntrack) come first, then an optional datapath name (ignored),
// then the command's arguments.
func (t *Tracker) DPCtl(cmd string, args []string) (string, error) {
	name := strings.TrimPrefix(cmd, "dpctl/")
	var o dpctlOpts
	for len(args) > 0 {
		a := args[0]
		if strings.HasPrefix(a, "--") {
			switch a {
			case "--more":
				o.verbose = true
			case "--statistics":
				o.stats = true
			case "--format=json":
				o.json = true
			case "--may-exist":
				o.mayExist = true
			case "--if-exists":
				o.ifExists = true
			default:
				return "", &DPCtlError{Msg: "Unrecognized option " + a}
			}
		} else if len(a) > 1 && a[0] == '-' {
			for _, ch := range a[1:] {
				switch ch {
				case 'm':
					o.verbose = true
				case 's':
					o.stats = true
				default:
					return "", &DPCtlError{Msg: fmt.Sprintf("Unrecognized option -%c", ch)}
				}
			}
		} else {
			break
		}
		args = args[1:]
	}
	if len(args) > 0 && isDPName(args[0]) {
		args = args[1:]
	}
	var known *DPCtlCommand
	for _, c := range DPCtlCommands() {
		if c.Name == name {
			known = &c
			break
		}
	}
	if known == nil {
		return "", &DPCtlError{Msg: fmt.Sprintf("%q is not a valid command (use \"list-commands\" to see a list of valid commands)", "dpctl/"+name)}
	}
	if strings.HasPrefix(name, "ipf-") {
		out, err := t.frag.Command(name, args, o.verbose)
		var ce *frag.CommandError
		if errors.As(err, &ce) {
			return "", &DPCtlError{Msg: ce.Msg, Errno: ce.Errno}
		}
		return out, err
	}
	switch name {
	case "dump-conntrack":
		return t.dpDump(args, o)
	case "dump-conntrack-exp":
		var zone *uint16
		if len(args) > 0 {
			z, ok := scanPrefixU(args[len(args)-1], "zone=", 16)
			if !ok {
				return "", einval("datapath not found")
			}
			zz := uint16(z)
			zone = &zz
		}
		lines := t.DumpExpectations(zone)
		if len(lines) == 0 {
			return "", nil
		}
		return strings.Join(lines, "\n") + "\n", nil
	case "flush-conntrack":
		return t.dpFlush(args)
	case "ct-stats-show":
		return t.dpStats(args, o)
	case "ct-set-maxconns":
		if len(args) != 1 {
			return "", einval("maxconns missing or malformed")
		}
		n, ok := scanU(args[0], 32)
		if !ok {
			return "", einval("maxconns missing or malformed")
		}
		t.SetMaxConns(uint32(n))
		return "setting maxconns successful\n", nil
	case "ct-get-maxconns":
		return fmt.Sprintf("%d\n", t.MaxConns()), nil
	case "ct-get-nconns":
		return fmt.Sprintf("%d\n", t.Count()), nil
	case "ct-enable-tcp-seq-chk", "ct-disable-tcp-seq-chk":
		on := name == "ct-enable-tcp-seq-chk"
		word := map[bool]string{true: "enabling", false: "disabling"}[on]
		if len(args) == 1 {
			z, ok := scanPrefixU(args[0], "zone=", 16)
			if !ok {
				return "", einval("%s TCP sequence checking failed: bad argument %s", word, args[0])
			}
			t.SetZoneTCPSeqCheck(uint16(z), map[bool]int{true: 1, false: 0}[on])
		} else {
			t.SetTCPSeqCheck(on)
		}
		return word + " TCP sequence checking successful\n", nil
	case "ct-get-tcp-seq-chk":
		on := t.TCPSeqCheck()
		if len(args) == 1 {
			z, ok := scanPrefixU(args[0], "zone=", 16)
			if !ok {
				return "", einval("TCP sequence checking query failed: bad argument %s", args[0])
			}
			on = t.seqCheck(uint16(z))
		}
		return "TCP sequence checking: " + map[bool]string{true: "enabled", false: "disabled"}[on] + "\n", nil
	case "ct-set-limits":
		return t.dpSetLimits(args)
	case "ct-del-limits":
		if len(args) != 1 {
			return "", einval("invalid argument")
		}
		zones, err := parseZoneList(args[0])
		if err != nil {
			return "", err
		}
		for _, z := range zones {
			t.DelZoneLimit(z)
		}
		return "", nil
	case "ct-get-limits":
		return t.dpGetLimits(args)
	case "ct-get-sweep-interval":
		return fmt.Sprintf("%d\n", t.SweepInterval().Milliseconds()), nil
	case "ct-set-sweep-interval":
		n, ok := uint64(0), false
		if len(args) == 1 {
			n, ok = scanU(args[0], 32)
		}
		if !ok || n == 0 {
			return "", einval("invalid sweep value")
		}
		t.SetSweepInterval(time.Duration(n) * time.Millisecond)
		return "setting sweep interval successful\n", nil
	case "add-zone-tp":
		return t.dpAddZoneTP(args, o)
	case "del-zone-tp":
		if len(args) != 1 {
			return "", &DPCtlError{Msg: "del-zone-tp: expected zone=N"}
		}
		z, ok := scanPrefixU(args[0], "zone=", 16)
		if !ok {
			return "", &DPCtlError{Msg: "del-zone-tp: invalid zone " + args[0]}
		}
		if !t.DelZoneTimeouts(uint16(z)) && !o.ifExists {
			return "", &DPCtlError{Msg: fmt.Sprintf("zone id %d does not exist", z)}
		}
		return "", nil
	case "list-zone-tp":
		zt := t.ZoneTimeouts()
		zones := make([]int, 0, len(zt))
		for z := range zt {
			zones = append(zones, int(z))
		}
		sort.Ints(zones)
		var b strings.Builder
		for _, z := range zones {
			fmt.Fprintf(&b, "Zone:%d, Timeout Policies: %s\n", z, formatPolicy(zt[uint16(z)]))
		}
		return b.String(), nil
	}
	return "", &DPCtlError{Msg: "unhandled command " + name}
}

// scanU reads an unsigned number the way OVS's ovs_scan("%u") does:
// leading spaces, an optional sign, digits (trailing text ignored); a
// value that does not fit wraps as scanf's does.
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

func scanPrefixU(s, prefix string, bits uint) (uint64, bool) {
	if !strings.HasPrefix(s, prefix) {
		return 0, false
	}
	return scanU(s[len(prefix):], bits)
}

func (t *Tracker) dpDump(args []string, o dpctlOpts) (string, error) {
	var zone *uint16
	if len(args) > 0 {
		if z, ok := scanPrefixU(args[len(args)-1], "zone=", 16); ok {
			zz := uint16(z)
			zone = &zz
			args = args[:len(args)-1]
		}
	}
	if len(args) > 0 {
		return "", einval("datapath not found")
	}
	if o.json {
		es := t.Dump(zone)
		sort.Slice(es, func(i, j int) bool { return entryLess(&es[i], &es[j]) })
		b, err := json.Marshal(jsonEntries(es))
		if err != nil {
			return "", err
		}
		return string(b) + "\n", nil
	}
	lines := t.dumpLines(zone, o.verbose, o.stats)
	if len(lines) == 0 {
		return "", nil
	}
	return strings.Join(lines, "\n") + "\n", nil
}

func entryLess(a, b *Entry) bool {
	if a.Zone != b.Zone {
		return a.Zone < b.Zone
	}
	if a.Proto != b.Proto {
		return a.Proto < b.Proto
	}
	if c := a.Orig.Src.Compare(b.Orig.Src); c != 0 {
		return c < 0
	}
	if c := a.Orig.Dst.Compare(b.Orig.Dst); c != 0 {
		return c < 0
	}
	if a.Orig.SrcPort != b.Orig.SrcPort {
		return a.Orig.SrcPort < b.Orig.SrcPort
	}
	if a.Orig.DstPort != b.Orig.DstPort {
		return a.Orig.DstPort < b.Orig.DstPort
	}
	return a.Orig.ICMPType < b.Orig.ICMPType
}

// jsonEntry is the --format=json form of a connection (a gswitch
// extension; OVS 3.1 has no JSON output for conntrack).
type jsonEntry struct {
	Proto    string    `json:"proto"`
	Zone     uint16    `json:"zone"`
	Orig     jsonTuple `json:"orig"`
	Reply    jsonTuple `json:"reply"`
	Mark     uint32    `json:"mark"`
	Labels   string    `json:"labels"`
	TCPState string    `json:"tcp_state,omitempty"`
	Timeout  int64     `json:"timeout"`
}

type jsonTuple struct {
	Src   string  `json:"src"`
	Dst   string  `json:"dst"`
	Sport *uint16 `json:"sport,omitempty"`
	Dport *uint16 `json:"dport,omitempty"`
	ID    *uint16 `json:"id,omitempty"`
	Type  *uint8  `json:"type,omitempty"`
	Code  *uint8  `json:"code,omitempty"`
}

func jsonEntries(es []Entry) []jsonEntry {
	out := make([]jsonEntry, 0, len(es))
	for i := range es {
		e := &es[i]
		icmp := e.Proto == packet.ProtoICMP || e.Proto == packet.ProtoICMPv6
		tup := func(t Tuple) jsonTuple {
			j := jsonTuple{Src: t.Src.String(), Dst: t.Dst.String()}
			if icmp {
				id, typ, code := t.SrcPort, t.ICMPType, uint8(0)
				j.ID, j.Type, j.Code = &id, &typ, &code
			} else {
				sp, dp := t.SrcPort, t.DstPort
				j.Sport, j.Dport = &sp, &dp
			}
			return j
		}
		out = append(out, jsonEntry{
			Proto: protoName(e.Proto), Zone: e.Zone, Orig: tup(e.Orig), Reply: tup(e.Reply),
			Mark: e.Mark, Labels: "0x" + labelHexFull(e.Labels), TCPState: e.TCPState, Timeout: e.TimeoutSec,
		})
	}
	return out
}

func labelHexFull(l packet.U128) string { return fmt.Sprintf("%016x%016x", l.Hi, l.Lo) }

func (t *Tracker) dpStats(args []string, o dpctlOpts) (string, error) {
	verbose := o.verbose
	var zone *uint16
	for last := -1; len(args) > 0 && last != len(args); {
		last = len(args)
		a := args[len(args)-1]
		if strings.HasPrefix(a, "verbose") {
			verbose = true
			args = args[:len(args)-1]
		} else if strings.HasPrefix(a, "zone=") {
			if z, ok := scanPrefixU(a, "zone=", 16); ok {
				zz := uint16(z)
				zone = &zz
				args = args[:len(args)-1]
			}
		}
	}
	if len(args) > 0 {
		return "", einval("datapath not found")
	}
	cs := t.entries(zone, t.Now())
	var tcp, udp, udplite, sctp, icmp, dccp, igmp, other int
	var states [tcpsMaxNum]int
	for _, c := range cs {
		switch c.key.proto {
		case packet.ProtoICMP:
			if !c.key.v6 {
				icmp++
			} else {
				other++
			}
		case packet.ProtoICMPv6:
			// OVS counts ICMPv6 but prints no line for it.
		case packet.ProtoTCP:
			tcp++
			states[coalesceTCPState(max(c.tcp[0].state, c.tcp[1].state))]++
		case packet.ProtoUDP:
			udp++
		case packet.ProtoSCTP:
			sctp++
		case 136:
			udplite++
		case 33:
			dccp++
		case 2:
			igmp++
		default:
			other++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Connections Stats:\n    Total: %d\n", len(cs))
	if tcp > 0 {
		fmt.Fprintf(&b, "  TCP: %d\n", tcp)
		if verbose {
			b.WriteString("    Conn per TCP states:\n")
			for i, n := range states {
				if n > 0 {
					fmt.Fprintf(&b, "\t  [%s]=%d\n", tcpStateNames[i], n)
				}
			}
		}
	}
	for _, x := range []struct {
		name string
		n    int
	}{{"UDP", udp}, {"UDPLITE", udplite}, {"SCTP", sctp}, {"ICMP", icmp}, {"DCCP", dccp}, {"IGMP", igmp}, {"Other", other}} {
		if x.n > 0 {
			fmt.Fprintf(&b, "  %s: %d\n", x.name, x.n)
		}
	}
	return b.String(), nil
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

func (t *Tracker) dpSetLimits(args []string) (string, error) {
	var def *uint32
	i := 0
	if len(args) > 0 && strings.HasPrefix(args[0], "default=") {
		v, ok := scanPrefixU(args[0], "default=", 32)
		if !ok {
			return "", einval("invalid default limit")
		}
		d := uint32(v)
		def = &d
		i++
	}
	type zl struct {
		zone  uint16
		limit uint32
	}
	var zls []zl
	for ; i < len(args); i++ {
		var z zl
		gotZ, gotL := false, false
		for _, kv := range parseKV(args[i]) {
			if kv[1] == "" {
				return "", einval("field %s missing value", kv[0])
			}
			switch kv[0] {
			case "zone":
				v, ok := scanU(kv[1], 16)
				if !ok || v != uint64(uint16(v)) {
					return "", einval("failed to parse field zone")
				}
				z.zone, gotZ = uint16(v), true
			case "limit":
				v, ok := scanU(kv[1], 32)
				if !ok {
					return "", einval("failed to parse field limit")
				}
				z.limit, gotL = uint32(v), true
			default:
				return "", einval("invalid zone limit field: %s", kv[0])
			}
		}
		if !gotZ || !gotL {
			return "", einval("failed to parse zone limit")
		}
		zls = append(zls, z)
	}
	if def != nil {
		t.SetDefaultZoneLimit(*def)
	}
	for _, z := range zls {
		t.SetZoneLimit(z.zone, z.limit)
	}
	return "", nil
}

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

func (t *Tracker) dpGetLimits(args []string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "default limit=%d", t.defLimit.Load())
	if len(args) > 0 {
		zs, err := parseZoneList(args[0])
		if err != nil {
			return "", err
		}
		for _, z := range zs {
			l, _, n := t.ZoneLimit(z)
			fmt.Fprintf(&b, "\nzone=%d,limit=%d,count=%d", z, l, n)
		}
	} else {
		for z := range t.zones {
			if l, own, n := t.ZoneLimit(uint16(z)); own {
				fmt.Fprintf(&b, "\nzone=%d,limit=%d,count=%d", z, l, n)
			}
		}
	}
	b.WriteByte('\n')
	return b.String(), nil
}

func (t *Tracker) dpAddZoneTP(args []string, o dpctlOpts) (string, error) {
	if len(args) < 1 || !strings.HasPrefix(args[0], "zone=") {
		return "", &DPCtlError{Msg: "add-zone-tp: expected zone=N"}
	}
	if len(args) < 2 {
		return "", &DPCtlError{Msg: "No timeout policy"}
	}
	attrs, err := ParseTimeoutPolicy(args[1:])
	if err != nil {
		return "", &DPCtlError{Msg: err.Error()}
	}
	if args[0] == "zone=default" {
		return "", t.SetDefaultTimeouts(attrs)
	}
	z, ok := scanPrefixU(args[0], "zone=", 16)
	if !ok {
		return "", &DPCtlError{Msg: "add-zone-tp: invalid zone " + args[0]}
	}
	if _, exists := t.ZoneTimeouts()[uint16(z)]; exists && !o.mayExist {
		return "", &DPCtlError{Msg: fmt.Sprintf("zone id %d already exists", z)}
	}
	return "", t.SetZoneTimeouts(uint16(z), attrs)
}

// flushMatch is OVS's ofp_ct_match plus gswitch's mark/label selection.
type flushMatch struct {
	proto       uint8
	l3          int // 0, 4, 6
	orig, reply FlushTuple
}

// parseCtTuple parses one flush-conntrack tuple (OVS's ofp_ct_tuple_parse).
func parseCtTuple(s string, ft *FlushTuple, m *flushMatch) error {
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

func (t *Tracker) dpFlush(args []string) (string, error) {
	var f FlushFilter
	if len(args) > 0 && strings.HasPrefix(args[0], "zone=") {
		z, ok := scanPrefixU(args[0], "zone=", 16)
		if !ok {
			return "", einval("failed to parse zone")
		}
		f.HasZone, f.Zone = true, uint16(z)
		args = args[1:]
	}
	for len(args) > 0 {
		if v, ok := strings.CutPrefix(args[0], "mark="); ok {
			m, mm, ok := parseMasked32(v)
			if !ok {
				return "", einval("failed to parse field mark")
			}
			f.Mark, f.MarkMask = m, mm
		} else if v, ok := strings.CutPrefix(args[0], "labels="); ok {
			vs, ms, hasMask := strings.Cut(v, "/")
			l, ok := parseNum(vs, 128)
			if !ok {
				return "", einval("failed to parse field labels")
			}
			lm := packet.Ones(128)
			if hasMask {
				if lm, ok = parseNum(ms, 128); !ok {
					return "", einval("failed to parse field labels")
				}
			}
			f.Labels, f.LabelsMask = l, lm
		} else {
			break
		}
		args = args[1:]
	}
	var m flushMatch
	for i := 0; i < 2 && len(args) > 0; i++ {
		ft := &m.orig
		if i == 1 {
			ft = &m.reply
		}
		if args[0] != "" {
			if err := parseCtTuple(args[0], ft, &m); err != nil {
				return "", err
			}
		}
		args = args[1:]
	}
	if len(args) > 0 {
		return "", einval("invalid arguments")
	}
	f.Proto, f.Orig, f.Reply = m.proto, m.orig, m.reply
	// OVS flushes a full original 5-tuple (and no reply tuple) by direct
	// lookup, in zone 0 unless a zone is given, and fails if there is no
	// such connection.
	if m.orig.Src.IsValid() && m.orig.Dst.IsValid() && m.reply.isZero() && f.MarkMask == 0 && f.LabelsMask.IsZero() &&
		(m.proto == packet.ProtoICMP || m.proto == packet.ProtoICMPv6 || (m.orig.SrcPort != 0 && m.orig.DstPort != 0)) {
		f.HasZone = true
		if t.Flush(f) == 0 {
			return "", &DPCtlError{Msg: "failed to flush conntrack", Errno: eNOENT}
		}
		return "", nil
	}
	t.Flush(f)
	return "", nil
}
