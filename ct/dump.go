package ct

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"gswitch/packet"
)

// entries returns the live connections (of zone, if not nil), each a copy
// of the connection taken under its lock.
func (t *Tracker) entries(zone *uint16, now int64) []*conn {
	var out []*conn
	z := -1
	if zone != nil {
		z = int(*zone)
	}
	visit := func(s *shard) {
		s.mu.RLock()
		s.each(z, func(c *conn) bool {
			if !c.expired(now) {
				out = append(out, snapshot(c))
			}
			return true
		})
		s.mu.RUnlock()
	}
	if zone != nil {
		t.zoneShards(*zone, visit)
		return out
	}
	for i := range t.shards {
		visit(&t.shards[i])
	}
	return out
}

func snapshot(c *conn) *conn {
	s := &conn{key: c.key, rkey: c.rkey, state: c.state, natAct: c.natAct,
		helper: c.helper, related: c.related, idx: c.idx}
	c.mu.Lock()
	s.mark, s.label, s.tcp = c.mark, c.label, c.tcp
	c.mu.Unlock()
	s.exp.Store(c.exp.Load())
	return s
}

// coalesceTCPState is OVS's: the non-verbose dump shows FIN_WAIT_2 as
// TIME_WAIT and SYN_RECV as ESTABLISHED (as the kernel would).
func coalesceTCPState(s uint8) uint8 {
	switch s {
	case tcpsFinWait2:
		return tcpsTimeWait
	case tcpsSynRecv:
		return tcpsEstablished
	}
	return s
}

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
	case 136:
		return "udplite"
	case 33:
		return "dccp"
	case 2:
		return "igmp"
	}
	return fmt.Sprint(p)
}

func formatTuple(b *strings.Builder, k *connKey) {
	fmt.Fprintf(b, "src=%s,dst=%s", addrOf(&k.src, k.v6), addrOf(&k.dst, k.v6))
	if k.isICMP() {
		fmt.Fprintf(b, ",id=%d,type=%d,code=0", k.sport, k.itype)
	} else {
		fmt.Fprintf(b, ",sport=%d,dport=%d", k.sport, k.dport)
	}
}

func tcpPeerFlags(p *tcpPeer) string {
	var fl []string
	if p.wscale&wscaleFlag != 0 {
		fl = append(fl, "WINDOW_SCALE")
	}
	if p.wscale&wscaleUnknown != 0 {
		fl = append(fl, "BE_LIBERAL")
	}
	if len(fl) == 0 {
		return "0"
	}
	return strings.Join(fl, "|")
}

func tcpStateName(s uint8) string {
	if s < tcpsMaxNum {
		return tcpStateNames[s]
	}
	return fmt.Sprintf("[%d]", s)
}

// formatEntry formats one connection as OVS's ct_dpif_format_entry does
// for the userspace datapath (no counters or timestamps: the userspace
// tracker keeps none; id is 0).
func formatEntry(c *conn, verbose, stats bool, now int64) string {
	var b strings.Builder
	b.WriteString(protoName(c.key.proto))
	b.WriteString(",orig=(")
	formatTuple(&b, &c.key)
	b.WriteString("),reply=(")
	formatTuple(&b, &c.rkey)
	b.WriteString(")")
	if verbose {
		b.WriteString(",id=0")
	}
	if c.key.zone != 0 {
		fmt.Fprintf(&b, ",zone=%d", c.key.zone)
	}
	if verbose {
		b.WriteString(",status=0")
	}
	if stats {
		left := c.exp.Load() - now
		var secs int64
		if left > 0 {
			secs = left / 1e9
		}
		fmt.Fprintf(&b, ",timeout=%d", secs)
	}
	if c.mark != 0 {
		fmt.Fprintf(&b, ",mark=%d", c.mark)
	}
	if !c.label.IsZero() {
		fmt.Fprintf(&b, ",labels=0x%s", labelHex(c.label))
	}
	if c.key.proto == packet.ProtoTCP {
		if verbose {
			o, r := &c.tcp[0], &c.tcp[1]
			fmt.Fprintf(&b, ",protoinfo=(state_orig=%s,state_reply=%s", tcpStateName(o.state), tcpStateName(r.state))
			wo, wr := o.wscale&wscaleMask, r.wscale&wscaleMask
			if wo != 0 || wr != 0 {
				fmt.Fprintf(&b, ",wscale_orig=%d,wscale_reply=%d", wo, wr)
			}
			fmt.Fprintf(&b, ",flags_orig=%s,flags_reply=%s)", tcpPeerFlags(o), tcpPeerFlags(r))
		} else {
			st := coalesceTCPState(max(c.tcp[0].state, c.tcp[1].state))
			fmt.Fprintf(&b, ",protoinfo=(state=%s)", tcpStateName(st))
		}
	}
	return b.String()
}

// labelHex is OVS's ds_put_hex of the 128-bit label: without leading zero
// bytes (but at least one digit pair... as ds_put_hex: leading zero bytes
// skipped, then hex of the rest).
func labelHex(l packet.U128) string {
	var buf [16]byte
	be.PutUint64(buf[0:], l.Hi)
	be.PutUint64(buf[8:], l.Lo)
	i := 0
	for i < 15 && buf[i] == 0 {
		i++
	}
	s := hex.EncodeToString(buf[i:])
	return strings.TrimPrefix(s, "0")
}

// Entry is one connection as the dump shows it (for the JSON format and
// for callers).
type Entry struct {
	Proto      uint8
	Zone       uint16
	Orig       Tuple
	Reply      Tuple
	Mark       uint32
	Labels     packet.U128
	TCPState   string // the dump's coalesced state; empty for non-TCP
	TimeoutSec int64
}

// Tuple is one direction of a connection.
type Tuple struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16 // ICMP: the id in SrcPort
	ICMPType         uint8
}

func tupleOf(k *connKey) Tuple {
	t := Tuple{Src: addrOf(&k.src, k.v6), Dst: addrOf(&k.dst, k.v6)}
	if k.isICMP() {
		t.SrcPort, t.ICMPType = k.sport, k.itype
	} else {
		t.SrcPort, t.DstPort = k.sport, k.dport
	}
	return t
}

// Dump returns the live connections (of zone, if not nil), sorted.
func (t *Tracker) Dump(zone *uint16) []Entry {
	now := t.Now()
	cs := t.entries(zone, now)
	out := make([]Entry, 0, len(cs))
	for _, c := range cs {
		e := Entry{Proto: c.key.proto, Zone: c.key.zone, Orig: tupleOf(&c.key), Reply: tupleOf(&c.rkey),
			Mark: c.mark, Labels: c.label}
		if c.key.proto == packet.ProtoTCP {
			e.TCPState = tcpStateName(coalesceTCPState(max(c.tcp[0].state, c.tcp[1].state)))
		}
		if left := c.exp.Load() - now; left > 0 {
			e.TimeoutSec = left / 1e9
		}
		out = append(out, e)
	}
	return out
}

// dumpLines formats the dump, sorted for a stable order (OVS prints in
// hash order).
func (t *Tracker) dumpLines(zone *uint16, verbose, stats bool) []string {
	now := t.Now()
	cs := t.entries(zone, now)
	lines := make([]string, len(cs))
	for i, c := range cs {
		lines[i] = formatEntry(c, verbose, stats, now) + t.algSuffix(c, verbose)
	}
	sort.Strings(lines)
	return lines
}
