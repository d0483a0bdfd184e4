package ct

import "sync/atomic"

// zoneCounters are one zone's event counters.
type zoneCounters struct {
	commits, limitDrops, invalid atomic.Uint64
}

// zoneStats holds the per-zone counters in blocks of 256 zones, each
// allocated when one of its zones first counts something, so that a
// tracker using a few zones keeps a few small blocks rather than 65536
// counters. A count costs the datapath one atomic add where the global
// counter already takes one.
type zoneStats struct {
	blocks [256]atomic.Pointer[[256]zoneCounters]
}

// at returns zone's counters, allocating its block the first time.
func (z *zoneStats) at(zone uint16) *zoneCounters {
	bp := &z.blocks[zone>>8]
	b := bp.Load()
	if b == nil {
		nb := new([256]zoneCounters)
		if bp.CompareAndSwap(nil, nb) {
			b = nb
		} else {
			b = bp.Load()
		}
	}
	return &b[zone&0xff]
}

// ZoneCounters are one zone's event counters.
type ZoneCounters struct {
	Commits    uint64 // connections committed
	LimitDrops uint64 // new connections refused by the zone's or the global limit
	Invalid    uint64 // packets marked +inv
}

// ZoneCounters returns zone's counters and whether the zone ever counted
// anything (false: all zero).
func (t *Tracker) ZoneCounters(zone uint16) (ZoneCounters, bool) {
	b := t.zstats.blocks[zone>>8].Load()
	if b == nil {
		return ZoneCounters{}, false
	}
	c := &b[zone&0xff]
	zc := ZoneCounters{Commits: c.commits.Load(), LimitDrops: c.limitDrops.Load(), Invalid: c.invalid.Load()}
	return zc, zc != ZoneCounters{}
}
