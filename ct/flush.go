package ct

import (
	"net/netip"

	"gswitch/packet"
)

// FlushTuple is a partial connection tuple: zero fields match anything,
// except that for ICMP the id, type and code are compared exactly whenever
// the tuple names an address (OVS's rule).
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

func tupleMatch(ft *FlushTuple, k *connKey) bool {
	if ft.isZero() {
		return true
	}
	if ft.Src.IsValid() && ft.Src != addrOf(&k.src, k.v6) {
		return false
	}
	if ft.Dst.IsValid() && ft.Dst != addrOf(&k.dst, k.v6) {
		return false
	}
	if k.isICMP() {
		return ft.ICMPID == k.sport && ft.ICMPType == k.itype && ft.ICMPCode == 0
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
	if !tupleMatch(&f.Orig, k) {
		return false
	}
	if !tupleMatch(&f.Reply, &c.rkey) {
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

// FlushZone removes every connection of zone (NXT_CT_FLUSH_ZONE).
func (t *Tracker) FlushZone(zone uint16) int {
	return t.Flush(FlushFilter{HasZone: true, Zone: zone})
}

// FlushAll removes every connection.
func (t *Tracker) FlushAll() int { return t.Flush(FlushFilter{}) }
