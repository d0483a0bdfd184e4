package dpctl

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gswitch/ct"
	"gswitch/packet"
)

// IP protocol numbers the dump names that package packet does not.
const (
	protoIGMP    = 2
	protoDCCP    = 33
	protoUDPLite = 136
)

// protoName is the dump's name of IP protocol p (OVS's
// ct_dpif_format_ipproto), its number when it has none.
func protoName(p uint8) string {
	switch p {
	case packet.ProtoICMP:
		return "icmp"
	case packet.ProtoICMPv6:
		return "icmpv6"
	case packet.ProtoTCP:
		return "tcp"
	case packet.ProtoUDP:
		return "udp"
	case packet.ProtoSCTP:
		return "sctp"
	case protoUDPLite:
		return "udplite"
	case protoDCCP:
		return "dccp"
	case protoIGMP:
		return "igmp"
	}
	return fmt.Sprint(p)
}

// isICMP reports whether c's tuples carry an ICMP id and type: ICMP over
// IPv4, ICMPv6 over IPv6.
func isICMP(c *ct.Conn) bool {
	v6 := c.Orig.Src.Is6()
	return (c.Proto == packet.ProtoICMP && !v6) || (c.Proto == packet.ProtoICMPv6 && v6)
}

// coalesceTCPState is OVS's ct_dpif_coalesce_tcp_state: the non-verbose
// dump and ct-stats-show show FIN_WAIT_2 as TIME_WAIT and SYN_RECV as
// ESTABLISHED (as the kernel would).
func coalesceTCPState(s ct.TCPState) ct.TCPState {
	switch s {
	case ct.TCPFinWait2:
		return ct.TCPTimeWait
	case ct.TCPSynRecv:
		return ct.TCPEstablished
	}
	return s
}

// connTCPState is the state the non-verbose dump shows for TCP
// connection c.
func connTCPState(c *ct.Conn) ct.TCPState {
	return coalesceTCPState(max(c.TCP[0].State, c.TCP[1].State))
}

func formatTuple(b *strings.Builder, t *ct.Tuple, icmp bool) {
	fmt.Fprintf(b, "src=%s,dst=%s", t.Src, t.Dst)
	if icmp {
		fmt.Fprintf(b, ",id=%d,type=%d,code=0", t.SrcPort, t.ICMPType)
	} else {
		fmt.Fprintf(b, ",sport=%d,dport=%d", t.SrcPort, t.DstPort)
	}
}

// tcpPeerFlags formats a peer's CT_DPIF_TCPF_* flags.
func tcpPeerFlags(p *ct.TCPPeer) string {
	var fl []string
	if p.WindowScale {
		fl = append(fl, "WINDOW_SCALE")
	}
	if p.BeLiberal {
		fl = append(fl, "BE_LIBERAL")
	}
	if len(fl) == 0 {
		return "0"
	}
	return strings.Join(fl, "|")
}

// formatConn formats one connection as OVS's ct_dpif_format_entry does
// for the userspace datapath (no counters or timestamps: the userspace
// tracker keeps none; id and status are 0).
func formatConn(c *ct.Conn, verbose, stats bool) string {
	icmp := isICMP(c)
	var b strings.Builder
	b.WriteString(protoName(c.Proto))
	b.WriteString(",orig=(")
	formatTuple(&b, &c.Orig, icmp)
	b.WriteString("),reply=(")
	formatTuple(&b, &c.Reply, icmp)
	b.WriteString(")")
	if verbose {
		b.WriteString(",id=0")
	}
	if c.Zone != 0 {
		fmt.Fprintf(&b, ",zone=%d", c.Zone)
	}
	if verbose {
		b.WriteString(",status=0")
	}
	if stats {
		fmt.Fprintf(&b, ",timeout=%d", int64(c.Timeout/time.Second))
	}
	if c.Mark != 0 {
		fmt.Fprintf(&b, ",mark=%d", c.Mark)
	}
	if !c.Label.IsZero() {
		fmt.Fprintf(&b, ",labels=0x%s", labelHex(c.Label))
	}
	if c.Proto == packet.ProtoTCP {
		if verbose {
			o, r := &c.TCP[0], &c.TCP[1]
			fmt.Fprintf(&b, ",protoinfo=(state_orig=%s,state_reply=%s", o.State, r.State)
			if o.WScale != 0 || r.WScale != 0 {
				fmt.Fprintf(&b, ",wscale_orig=%d,wscale_reply=%d", o.WScale, r.WScale)
			}
			fmt.Fprintf(&b, ",flags_orig=%s,flags_reply=%s)", tcpPeerFlags(o), tcpPeerFlags(r))
		} else {
			fmt.Fprintf(&b, ",protoinfo=(state=%s)", connTCPState(c))
		}
	}
	if c.Helper != "" {
		b.WriteString(",helper=")
		b.WriteString(c.Helper)
	}
	if verbose && c.Parent != nil {
		b.WriteString(",parent=(")
		formatTuple(&b, c.Parent, false) // ALG masters are TCP or UDP
		b.WriteString(")")
	}
	return b.String()
}

// labelHex is OVS's ds_put_hex of the 128-bit label: leading zero bytes
// skipped, then the hex of the rest without its leading zero digit.
func labelHex(l packet.U128) string {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[0:], l.Hi)
	binary.BigEndian.PutUint64(buf[8:], l.Lo)
	i := 0
	for i < 15 && buf[i] == 0 {
		i++
	}
	s := hex.EncodeToString(buf[i:])
	return strings.TrimPrefix(s, "0")
}

// dumpConntrack is dpctl/dump-conntrack [-m] [-s] [--format=json] [zone=N],
// its lines sorted for a stable order (OVS prints in hash order).
func dumpConntrack(t *ct.Tracker, args []string, o options) (string, error) {
	var zone *uint16
	if len(args) > 0 {
		if z, ok := scanZone(args[len(args)-1]); ok {
			zone = &z
			args = args[:len(args)-1]
		}
	}
	if len(args) > 0 {
		return "", einval("datapath not found")
	}
	cs := t.Conns(zone)
	if o.json {
		sort.Slice(cs, func(i, j int) bool { return connLess(&cs[i], &cs[j]) })
		b, err := json.Marshal(jsonConns(cs))
		if err != nil {
			return "", err
		}
		return string(b) + "\n", nil
	}
	if len(cs) == 0 {
		return "", nil
	}
	lines := make([]string, len(cs))
	for i := range cs {
		lines[i] = formatConn(&cs[i], o.verbose, o.stats)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n", nil
}

// connLess orders the JSON dump: by zone, protocol, then original tuple.
func connLess(a, b *ct.Conn) bool {
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

// jsonConn is the --format=json form of a connection (a gswitch
// extension; OVS 3.1 has no JSON output for conntrack).
type jsonConn struct {
	Proto    string    `json:"proto"`
	Zone     uint16    `json:"zone"`
	Orig     jsonTuple `json:"orig"`
	Reply    jsonTuple `json:"reply"`
	Mark     uint32    `json:"mark"`
	Labels   string    `json:"labels"`
	TCPState string    `json:"tcp_state,omitempty"`
	Timeout  int64     `json:"timeout"`
}

// jsonTuple is a tuple of jsonConn: ports, or the ICMP id, type and code.
type jsonTuple struct {
	Src   string  `json:"src"`
	Dst   string  `json:"dst"`
	Sport *uint16 `json:"sport,omitempty"`
	Dport *uint16 `json:"dport,omitempty"`
	ID    *uint16 `json:"id,omitempty"`
	Type  *uint8  `json:"type,omitempty"`
	Code  *uint8  `json:"code,omitempty"`
}

func jsonConns(cs []ct.Conn) []jsonConn {
	out := make([]jsonConn, 0, len(cs))
	for i := range cs {
		c := &cs[i]
		// Unlike the text dump, any ICMP or ICMPv6 connection has the ICMP
		// form, whatever its address family.
		icmp := c.Proto == packet.ProtoICMP || c.Proto == packet.ProtoICMPv6
		tup := func(t ct.Tuple) jsonTuple {
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
		j := jsonConn{Proto: protoName(c.Proto), Zone: c.Zone, Orig: tup(c.Orig), Reply: tup(c.Reply),
			Mark: c.Mark, Labels: fmt.Sprintf("0x%016x%016x", c.Label.Hi, c.Label.Lo), Timeout: int64(c.Timeout / time.Second)}
		if c.Proto == packet.ProtoTCP {
			j.TCPState = connTCPState(c).String()
		}
		out = append(out, j)
	}
	return out
}

// statsShow is dpctl/ct-stats-show [-m] [zone=N] [verbose]: connection
// counts by protocol (and, verbose, by TCP state), as OVS's.
func statsShow(t *ct.Tracker, args []string, o options) (string, error) {
	verbose := o.verbose
	var zone *uint16
	for last := -1; len(args) > 0 && last != len(args); {
		last = len(args)
		a := args[len(args)-1]
		if strings.HasPrefix(a, "verbose") {
			verbose = true
			args = args[:len(args)-1]
		} else if strings.HasPrefix(a, "zone=") {
			if z, ok := scanZone(a); ok {
				zone = &z
				args = args[:len(args)-1]
			}
		}
	}
	if len(args) > 0 {
		return "", einval("datapath not found")
	}
	cs := t.Conns(zone)
	var tcp, udp, udplite, sctp, icmp, dccp, igmp, other int
	var states [ct.NumTCPStates]int
	for i := range cs {
		c := &cs[i]
		switch c.Proto {
		case packet.ProtoICMP:
			if c.Orig.Src.Is4() {
				icmp++
			} else {
				other++
			}
		case packet.ProtoICMPv6:
			// OVS counts ICMPv6 but prints no line for it.
		case packet.ProtoTCP:
			tcp++
			states[connTCPState(c)]++
		case packet.ProtoUDP:
			udp++
		case packet.ProtoSCTP:
			sctp++
		case protoUDPLite:
			udplite++
		case protoDCCP:
			dccp++
		case protoIGMP:
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
					fmt.Fprintf(&b, "\t  [%s]=%d\n", ct.TCPState(i), n)
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

// dumpExpectations is later OVS's dpctl/dump-conntrack-exp [zone=N]: the
// pending ALG expectations, sorted.
func dumpExpectations(t *ct.Tracker, args []string, _ options) (string, error) {
	var zone *uint16
	if len(args) > 0 {
		z, ok := scanZone(args[len(args)-1])
		if !ok {
			return "", einval("datapath not found")
		}
		zone = &z
	}
	var lines []string
	for _, e := range t.PendingExpectations(zone) {
		lines = append(lines, string(e.AppendOVS(nil, e.Mark, e.LabelHi, e.LabelLo)))
	}
	if len(lines) == 0 {
		return "", nil
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n", nil
}

// ctBuckets is dpctl/ct-bkts [gt=N] as OVS 3.1's userspace conntrack
// answers it: one bucket (its connections are in one map, as gswitch's),
// the number of connections, and when there are any the bucket table,
// whose one cell shows the count when it is greater than N (else ".").
// A gt= that does not scan stays an argument and so names a datapath that
// does not exist; more arguments than OVS registers are ignored, as OVS.
func ctBuckets(t *ct.Tracker, args []string, o options) (string, error) {
	var gt uint64
	if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "gt=") {
		if v, ok := scanU(args[n-1][len("gt="):], 16); ok {
			gt, args = v, args[:n-1]
		}
	}
	if len(args) == 1 && !o.dp {
		return "", einval("datapath not found")
	}
	n := t.Count()
	var b strings.Builder
	fmt.Fprintf(&b, "Total Buckets: 1\nCurrent Connections: %d\n\n", n)
	if n > 0 {
		const rule = "+-----------+-----------------------------------------+"
		b.WriteString(rule + "\n|  Buckets  |         Connections per Buckets         |\n" + rule)
		fmt.Fprintf(&b, "\n %3d..%3d   | ", 0, 7)
		if uint64(n) > gt {
			fmt.Fprintf(&b, "%5d", n)
		} else {
			fmt.Fprintf(&b, "%5s", ".")
		}
		b.WriteString("\n\n")
	}
	return b.String(), nil
}
