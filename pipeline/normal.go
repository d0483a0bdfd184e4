package pipeline

import (
	"sync"
	"sync/atomic"

	"gswitch/packet"
)

// NORMAL is a MAC-learning L2 switch (OVS's xlate_normal without bonds,
// mirrors, dot1q-tunnel or priority tags). A frame's VLAN is its outer
// tag's VID (0 when untagged), or the in_port's tag for an access port and
// for an untagged frame on a native port (PortInfo.VLAN, as OVS's Port
// tag, trunks and vlan_mode; a port without one is a trunk of every
// VLAN). A frame a port may not carry is dropped. It learns (source MAC,
// VLAN) → in_port, forwards known unicast to the learned port, and floods
// the rest within the VLAN to every port but the in_port and NoFlood ones
// that carry the VLAN; each output is tagged as its port's mode says
// (access and native-untagged's own VLAN untagged, the rest tagged with
// the frame's PCP).

const macShards = 16

type macKey struct {
	mac  uint64
	vlan uint16
}

type macEntry struct {
	port atomic.Uint32
	used atomic.Int64
}

type macShard struct {
	mu sync.RWMutex
	m  map[macKey]*macEntry
	_  [32]byte
}

type macTable struct {
	shards [macShards]macShard
	n      atomic.Int64
	max    int64
	aging  int64
}

func (t *macTable) init(max int, aging int64) {
	t.max, t.aging = int64(max), aging
	for i := range t.shards {
		t.shards[i].m = map[macKey]*macEntry{}
	}
}

func (t *macTable) shard(k macKey) *macShard {
	return &t.shards[mix64(k.mac^uint64(k.vlan)<<48)%macShards]
}

// learn records that k was seen on port; it reports whether it was new
// and whether the table was full.
func (t *macTable) learn(k macKey, port uint32, now int64) (learned, full bool) {
	s := t.shard(k)
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	if e != nil {
		if e.port.Load() != port {
			e.port.Store(port) // the station moved
		}
		if e.used.Load() < now {
			e.used.Store(now)
		}
		return false, false
	}
	if t.n.Load() >= t.max {
		return false, true
	}
	s.mu.Lock()
	if e = s.m[k]; e == nil {
		e = &macEntry{}
		s.m[k] = e
		t.n.Add(1)
		learned = true
	}
	e.port.Store(port)
	e.used.Store(now)
	s.mu.Unlock()
	return learned, false
}

func (t *macTable) lookup(k macKey, now int64) (uint32, bool) {
	s := t.shard(k)
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	if e == nil || now-e.used.Load() >= t.aging {
		return 0, false
	}
	return e.port.Load(), true
}

// expire forgets entries not seen for the aging time.
func (t *macTable) expire(now int64) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if now-e.used.Load() >= t.aging {
				delete(s.m, k)
				t.n.Add(-1)
			}
		}
		s.mu.Unlock()
	}
}

// flushPort forgets what was learned on port (OVS does this when a port
// goes away).
func (t *macTable) flushPort(port uint32) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if e.port.Load() == port {
				delete(s.m, k)
				t.n.Add(-1)
			}
		}
		s.mu.Unlock()
	}
}

// MACEntry is one learned address, for a fdb/show-like command.
type MACEntry struct {
	Port uint32
	VLAN uint16
	MAC  [6]byte
	Age  int64 // ns since last seen
}

// MACTable returns NORMAL's learned addresses at now.
func (d *Datapath) MACTable(now int64) []MACEntry {
	var out []MACEntry
	for i := range d.mac.shards {
		s := &d.mac.shards[i]
		s.mu.RLock()
		for k, e := range s.m {
			me := MACEntry{Port: e.port.Load(), VLAN: k.vlan, Age: now - e.used.Load()}
			for j := range 6 {
				me.MAC[j] = byte(k.mac >> (40 - 8*j))
			}
			out = append(out, me)
		}
		s.mu.RUnlock()
	}
	return out
}

const macMulticast = 1 << 40

// isReservedMulticast reports 01:80:c2:00:00:0x (STP, LACP, LLDP...),
// which a bridge must not forward.
func isReservedMulticast(mac uint64) bool { return mac&^0xf == 0x0180c2000000 }

func (w *worker) normal(pk *packet.Packet) {
	k := &pk.Key
	dst, src := k.W.EthDst(), k.W.EthSrc()
	var vlan uint16
	inTCI := k.VlanTCI()
	if inTCI&packet.VlanCFI != 0 {
		vlan = inTCI & 0xfff
	}
	in := k.InPort()
	inV := w.ports.vlanOf(in)
	if inV != nil {
		switch {
		case inV.Mode == VLANAccess:
			if vlan != 0 {
				w.ctr[cNormalBadVLAN]++
				return
			}
			vlan = inV.Tag
		case vlan == 0 && inV.Mode != VLANTrunk:
			vlan = inV.Tag
		case !inV.trunksVLAN(vlan):
			w.ctr[cNormalBadVLAN]++
			return
		}
	}
	switch {
	case isReservedMulticast(dst):
		w.ctr[cNormalReserved]++
		return
	case src&macMulticast != 0:
		w.ctr[cNormalBadSource]++
		return
	}
	if w.tr == nil || w.tr.opts.SideEffects {
		learned, full := w.d.mac.learn(macKey{src, vlan}, in, w.now)
		if learned {
			w.ctr[cMACLearned]++
		} else if full {
			w.ctr[cMACTableFull]++
		}
	}
	if dst&macMulticast == 0 {
		if p, ok := w.d.mac.lookup(macKey{dst, vlan}, w.now); ok {
			w.traceNote(TraceDetail, "forwarding to learned port")
			if p == in {
				w.ctr[cNormalSamePort]++
				return
			}
			if inV == nil && !w.ports.hasVLAN {
				w.send(p, pk)
				return
			}
			if out := w.ports.vlanOf(p); out.includes(vlan) {
				w.sendVLAN(p, out, pk, vlan, inTCI)
			}
			return
		}
	}
	w.ctr[cNormalFlood]++
	w.traceNote(TraceDetail, "no learned MAC for destination, flooding")
	if inV == nil && !w.ports.hasVLAN {
		w.flood(pk, false)
		return
	}
	if w.ports == nil {
		w.ctr[cOutputNoPort]++
		return
	}
	for i := range w.ports.list {
		p := &w.ports.list[i]
		if p.No == in || p.NoFlood || !p.VLAN.includes(vlan) {
			continue
		}
		w.sendVLAN(p.No, p.VLAN, pk, vlan, inTCI)
	}
}

// sendVLAN sends pk, whose frame carries inTCI (0: untagged), on port no
// tagged as out's mode says for VLAN vlan (OVS's xvlan_output_translate
// and xvlan_put without priority tags), then puts its tag back.
func (w *worker) sendVLAN(no uint32, out *PortVLAN, pk *packet.Packet, vlan, inTCI uint16) {
	var tci uint16 // the tag the output carries (0: none)
	if out == nil || out.Mode == VLANTrunk || out.Mode == VLANNativeTagged ||
		(out.Mode == VLANNativeUntagged && vlan != out.Tag) {
		tci = vlan | inTCI&0xe000
	}
	if tci == inTCI&^packet.VlanCFI && (tci != 0) == (inTCI&packet.VlanCFI != 0) {
		w.send(no, pk)
		return
	}
	tpid := uint16(packet.EthTypeVLAN)
	if inTCI&packet.VlanCFI != 0 {
		tpid = uint16(pk.Data[12])<<8 | uint16(pk.Data[13])
		pk.PopVLAN()
	}
	if tci != 0 && !pk.PushVLAN(tpid, tci) {
		w.ctr[cPushVLANFailed]++
	} else {
		w.send(no, pk)
		if tci != 0 {
			pk.PopVLAN()
		}
	}
	if inTCI&packet.VlanCFI != 0 {
		pk.PushVLAN(tpid, inTCI)
	}
}
