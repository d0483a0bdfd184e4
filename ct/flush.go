package ct

import (
	"errors"
	"net/netip"

	"gswitch/packet"
)

// FlushTuple is a partial connection tuple: zero fields match anything,
// except that when the filter's protocol is ICMP or ICMPv6 the id, type
// and code are always compared exactly, zero or not (OVS 3.1's
// ct_dpif_entry_cmp: a filter of "ct_nw_proto=1" alone selects only the
// ICMP connections of id 0 and type 0).
type FlushTuple struct {
	Src, Dst         netip.Addr // invalid: any
	SrcPort, DstPort uint16
	ICMPID           uint16
	ICMPType         uint8
	ICMPCode         uint8
}

func (ft *FlushTuple) isZero() bool {
	return !ft.Src.IsValid() && !ft.Dst.IsValid() && ft.SrcPort == 0 && ft.DstPort == 0 &&
		ft.ICMPID == 0 && ft.ICMPType == 0 && ft.ICMPCode == 0
}

// FlushFilter selects connections to flush: dpctl/flush-conntrack and
// OpenFlow's NXT_CT_FLUSH. The zero value flushes everything.
type FlushFilter struct {
	HasZone bool
	Zone    uint16
	Proto   uint8 // 0: any
	// Orig and Reply are matched against the connection's original and
	// reply tuples.
	Orig, Reply FlushTuple
	// Mark/MarkMask and Labels/LabelsMask select by ct_mark and ct_label
	// (a gswitch extension in OVS 3.1; later OVS has the same syntax).
	MarkMask   uint32
	Mark       uint32
	LabelsMask packet.U128
	Labels     packet.U128
}

func addrOf(b *[16]byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16(*b)
	}
	return netip.AddrFrom4([4]byte(b[:4]))
}

func tupleMatch(ft *FlushTuple, k *connKey, icmp bool) bool {
	if ft.Src.IsValid() && ft.Src != addrOf(&k.src, k.v6) {
		return false
	}
	if ft.Dst.IsValid() && ft.Dst != addrOf(&k.dst, k.v6) {
		return false
	}
	if icmp {
		return k.isICMP() && ft.ICMPID == k.sport && ft.ICMPType == k.itype && ft.ICMPCode == 0
	}
	if ft.SrcPort != 0 && ft.SrcPort != k.sport {
		return false
	}
	if ft.DstPort != 0 && ft.DstPort != k.dport {
		return false
	}
	return true
}

// matches reports whether c is selected by f; c.mu is not held.
func (f *FlushFilter) matches(c *conn) bool {
	k := &c.key
	if f.HasZone && k.zone != f.Zone {
		return false
	}
	if f.Proto != 0 && k.proto != f.Proto {
		return false
	}
	if (f.Orig.Src.IsValid() && f.Orig.Src.Is4() == k.v6) || (f.Orig.Dst.IsValid() && f.Orig.Dst.Is4() == k.v6) ||
		(f.Reply.Src.IsValid() && f.Reply.Src.Is4() == k.v6) || (f.Reply.Dst.IsValid() && f.Reply.Dst.Is4() == k.v6) {
		return false
	}
	icmp := f.Proto == packet.ProtoICMP || f.Proto == packet.ProtoICMPv6
	if !tupleMatch(&f.Orig, k, icmp) {
		return false
	}
	if !tupleMatch(&f.Reply, &c.rkey, icmp) {
		return false
	}
	if f.MarkMask != 0 || !f.LabelsMask.IsZero() {
		c.mu.Lock()
		mark, label := c.mark, c.label
		c.mu.Unlock()
		if mark&f.MarkMask != f.Mark&f.MarkMask {
			return false
		}
		if label.And(f.LabelsMask) != f.Labels.And(f.LabelsMask) {
			return false
		}
	}
	return true
}

// Flush removes the connections that f selects and returns how many. It
// works shard by shard, releasing each shard's lock before the next, so a
// large flush never stalls other zones' traffic for long.
func (t *Tracker) Flush(f FlushFilter) int {
	if f.Proto == 0 && f.Orig.isZero() && f.Reply.isZero() && f.MarkMask == 0 && f.LabelsMask.IsZero() {
		// A flush of everything (of a zone) takes the expectations too;
		// otherwise they go with their masters.
		if f.HasZone {
			z := f.Zone
			t.exps.Flush(&z)
		} else {
			t.exps.Flush(nil)
		}
	}
	if f.HasZone && t.zcount[f.Zone].Load() == 0 {
		return 0
	}
	n := 0
	now := t.Now()
	zone := -1
	if f.HasZone {
		zone = int(f.Zone)
	}
	flushShard := func(s *shard) {
		n += t.removeWhere(s, zone, f.matches, &t.cnt.flushed, now)
	}
	if f.HasZone {
		t.zoneShards(f.Zone, flushShard)
		return n
	}
	for i := range t.shards {
		flushShard(&t.shards[i])
	}
	return n
}

// ErrNoConn is FlushMatching's error when a full tuple names no
// connection (OVS: ENOENT, "failed to flush conntrack (No such file or
// directory)" in dpctl/flush-conntrack).
var ErrNoConn = errors.New("no connection with that tuple")

// isFullTuple reports whether the filter names one connection as OVS's
// ct_dpif_flush takes it: both addresses and, but for ICMP, both ports of
// the original tuple, no reply tuple, and (gswitch's extension) no mark or
// labels.
func (f *FlushFilter) isFullTuple() bool {
	icmp := f.Proto == packet.ProtoICMP || f.Proto == packet.ProtoICMPv6
	o := &f.Orig
	if !o.Src.IsValid() || !o.Dst.IsValid() || (!icmp && (o.SrcPort == 0 || o.DstPort == 0)) {
		return false
	}
	r := &f.Reply
	if r.Src.IsValid() || r.Dst.IsValid() || (!icmp && (r.SrcPort != 0 || r.DstPort != 0)) {
		return false
	}
	return f.MarkMask == 0 && f.LabelsMask.IsZero()
}

// FlushMatching flushes as OVS 3.1's ct_dpif_flush does for both
// dpctl/flush-conntrack and NXT_CT_FLUSH. A full tuple (isFullTuple) is
// looked up as a key in f.Zone, or zone 0 without one: it finds the
// connection by either direction, as both directions are keys, except a
// NATed connection's reply direction (OVS finds its separate un-NAT entry
// there and refuses: "Must flush tuple using the original pre-NATed
// tuple"); no connection is ErrNoConn. Any other filter is Flush: each
// tuple compared with the same direction's tuple.
func (t *Tracker) FlushMatching(f FlushFilter) (int, error) {
	if !f.isFullTuple() {
		return t.Flush(f), nil
	}
	o := &f.Orig
	if o.Src.Is4() != o.Dst.Is4() {
		return 0, ErrNoConn
	}
	k := connKey{proto: f.Proto, v6: o.Src.Is6()}
	if f.HasZone {
		k.zone = f.Zone
	}
	if k.v6 {
		k.src, k.dst = o.Src.As16(), o.Dst.As16()
	} else {
		s4, d4 := o.Src.As4(), o.Dst.As4()
		copy(k.src[:4], s4[:])
		copy(k.dst[:4], d4[:])
	}
	if f.Proto == packet.ProtoICMP || f.Proto == packet.ProtoICMPv6 {
		// OVS's key has the id on both sides and the code; ours keeps
		// the id as ports and no code (echo's is 0).
		if !k.isICMP() || o.ICMPCode != 0 {
			return 0, ErrNoConn
		}
		k.sport, k.dport, k.itype = o.ICMPID, o.ICMPID, o.ICMPType
	} else {
		k.sport, k.dport = o.SrcPort, o.DstPort
	}
	now := t.Now()
	// The connection's fields are read under the lock that finds it; the
	// removal then takes it only if it is still that connection (conn.gen).
	h := k.hash(t.seed)
	s := t.shardAt(k.zone, h)
	s.mu.RLock()
	c, reply := s.get(h, &k)
	ok := c != nil && !c.expired(now) && !(reply && (c.natAct != 0 || c.rkey != c.key.reverse()))
	var gen uint32
	if ok {
		gen = c.gen
	}
	s.mu.RUnlock()
	if !ok {
		return 0, ErrNoConn
	}
	if testHook != nil {
		testHook(hookFlushTuple)
	}
	if !t.remove(c, gen, &t.cnt.flushed, now) {
		return 0, ErrNoConn
	}
	return 1, nil
}

// FlushZone removes every connection of zone (NXT_CT_FLUSH_ZONE).
func (t *Tracker) FlushZone(zone uint16) int {
	return t.Flush(FlushFilter{HasZone: true, Zone: zone})
}

// FlushAll removes every connection.
func (t *Tracker) FlushAll() int { return t.Flush(FlushFilter{}) }
