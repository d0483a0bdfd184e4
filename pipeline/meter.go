package pipeline

import (
	"slices"
	"sync"

	"gswitch/packet"
)

// Meter limits and identifiers, as OVS 3.1's userspace datapath has them
// (dpif-netdev.c MAX_METERS, MAX_BANDS; OFPM13_*).
const (
	MaxMeters     = 1 << 18 // meters per switch (OVS's provider meter id pool)
	MaxMeterBands = 8
	MeterMax      = 0xffff0000 // OFPM_MAX: the last ordinary meter id
	MeterSlowpath = 0xfffffffd // OFPM_SLOWPATH (accepted and kept, as OVS)
	MeterCtrl     = 0xfffffffe // OFPM_CONTROLLER (accepted and kept, as OVS)
	MeterAll      = 0xffffffff // OFPM_ALL
)

// Meter-mod commands (OpenFlow 1.3 OFPMC_*).
const (
	MeterAdd    = 0
	MeterModify = 1
	MeterDelete = 2
)

// Meter flags (OpenFlow 1.3 OFPMF_*).
const (
	MeterKbps      = 1 << 0
	MeterPktps     = 1 << 1
	MeterBurst     = 1 << 2
	MeterFlagStats = 1 << 3
	// MeterFlagsSupported are the flags a meter may have (OVS's
	// DP_SUPPORTED_METER_FLAGS_MASK).
	MeterFlagsSupported = MeterKbps | MeterPktps | MeterBurst | MeterFlagStats
)

// Meter band types (OpenFlow 1.3 OFPMBT_*).
const (
	BandDrop       = 1
	BandDSCPRemark = 2
)

// MeterBands are the band types gswitch executes: drop and dscp_remark
// (OVS 3.1's userspace datapath refuses dscp_remark; see README).
const MeterBandTypes = 1<<BandDrop | 1<<BandDSCPRemark

// MeterBand is one band of a meter, as the controller sent it.
type MeterBand struct {
	Type      uint16
	Rate      uint32 // kbps or packets per second, by the meter's flags
	BurstSize uint32 // kilobits or packets; 0: the rate (OVS's default)
	PrecLevel uint8  // dscp_remark: drop precedence levels to add
}

// MeterSpec is a meter's configuration (a meter-mod's meter).
type MeterSpec struct {
	ID    uint32
	Flags uint16
	Bands []MeterBand
}

// MeterStats is a meter with its counters. Created is monotonic ns.
type MeterStats struct {
	Spec      MeterSpec
	FlowCount uint32
	Packets   uint64
	Bytes     uint64
	Bands     []BandStats
	Created   int64
}

// BandStats are the packets and bytes a band fired on.
type BandStats struct{ Packets, Bytes uint64 }

// meterTable holds a switch's meters. It is shared by every version of the
// tables (meters are not versioned): changes happen under Datapath.mu, and
// its own mutex lets PacketOut's validation read it without Datapath.mu.
// Packets never use it: a compiled flow holds its *meter.
type meterTable struct {
	mu sync.Mutex
	m  map[uint32]*meter
}

func (t *meterTable) get(id uint32) *meter {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	m := t.m[id]
	t.mu.Unlock()
	return m
}

// meter is an installed meter. Flows that use it hold this pointer; a
// modify changes it in place (so they keep using it), a delete marks it
// dead (a controller action that still names it then passes everything,
// as OVS's datapath finds no meter).
type meter struct {
	id      uint32
	created int64
	mu      sync.Mutex // taken once per group of packets, never per packet
	st      meterState // guarded by mu
}

// meterState is a meter's configuration and token buckets, OVS 3.1's
// struct dp_meter.
type meterState struct {
	dead     bool
	spec     MeterSpec // as the controller sent it (reported by config)
	pktps    bool
	maxDelta uint64 // ms after which every bucket is full
	used     int64  // monotonic ns of the last batch
	packets  uint64
	bytes    uint64
	bands    []bandState
}

type bandState struct {
	rate    uint64
	burst   uint64 // burst size in use (the rate when the controller sent 0)
	bucket  uint64 // 1/1000 packets (pktps) or bits (kbps)
	packets uint64
	bytes   uint64
	typ     uint16
	prec    uint8
}

// configure (re)starts the meter with spec at now: full buckets and zero
// counters, as OVS's dpif_netdev_meter_set replaces the datapath meter.
func (s *meterState) configure(spec *MeterSpec, now int64) {
	*s = meterState{spec: MeterSpec{ID: spec.ID, Flags: spec.Flags, Bands: slices.Clone(spec.Bands)},
		pktps: spec.Flags&MeterPktps != 0, used: now}
	s.bands = make([]bandState, len(spec.Bands))
	for i, b := range spec.Bands {
		bs := &s.bands[i]
		bs.typ, bs.prec, bs.rate, bs.burst = b.Type, b.PrecLevel, uint64(b.Rate), uint64(b.BurstSize)
		if bs.burst == 0 {
			bs.burst = bs.rate
		}
		bs.bucket = bs.burst * 1000
		if d := bs.bucket / bs.rate; d > s.maxDelta {
			s.maxDelta = d
		}
	}
}

// restore sets m's counters and age from a saved state (ImportState); m
// was just added, so its buckets are full.
func (m *meter) restore(mc *MeterCounters, now int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.created = now - int64(mc.Age)
	m.st.packets, m.st.bytes = mc.Packets, mc.Bytes
	for i := range min(len(m.st.bands), len(mc.Bands)) {
		m.st.bands[i].packets, m.st.bands[i].bytes = mc.Bands[i].Packets, mc.Bands[i].Bytes
	}
	m.mu.Unlock()
}

// meterHit is, per packet of a batch, the band it exceeded with the
// highest rate (-1: none) and that rate.
type meterHit struct {
	band int8
	prec uint8
	typ  uint16
	rate uint64
}

// run is OVS 3.1's dp_netdev_run_meter for one batch of packets of the
// given sizes (bytes), all arriving at now (monotonic ns): it refills the
// bands' buckets by the whole milliseconds elapsed, drains them, and
// writes into hits the band each packet fired (the exceeded band with the
// highest rate), counting it. len(hits) >= len(sizes).
func (s *meterState) run(sizes []uint32, now int64, hits []meterHit) {
	n := len(sizes)
	if s.dead {
		for i := range n {
			hits[i] = meterHit{band: -1}
		}
		return
	}
	delta := now/1e6 - s.used/1e6
	if delta < 0 {
		delta = 0
	}
	dt := uint64(delta)
	if dt > s.maxDelta {
		dt = s.maxDelta
	}
	if now > s.used {
		s.used = now
	}
	s.packets += uint64(n)
	var bytes uint64
	for i, l := range sizes {
		bytes += uint64(l)
		hits[i] = meterHit{band: -1}
	}
	s.bytes += bytes
	volume := bytes * 8
	if s.pktps {
		volume = uint64(n) * 1000
	}
	for bi := range s.bands {
		b := &s.bands[bi]
		b.bucket += dt * b.rate
		if max := b.burst * 1000; b.bucket > max {
			b.bucket = max
		}
		if b.bucket >= volume {
			b.bucket -= volume
			continue
		}
		if s.pktps {
			first := b.bucket / 1000
			b.bucket %= 1000
			for i := int(first); i < n; i++ {
				if b.rate > hits[i].rate {
					hits[i] = meterHit{band: int8(bi), prec: b.prec, typ: b.typ, rate: b.rate}
				}
			}
			continue
		}
		for i, l := range sizes {
			bits := uint64(l) * 8
			if b.bucket >= bits {
				b.bucket -= bits
			} else if b.rate > hits[i].rate {
				hits[i] = meterHit{band: int8(bi), prec: b.prec, typ: b.typ, rate: b.rate}
			}
		}
	}
	for i, l := range sizes {
		if h := hits[i].band; h >= 0 {
			s.bands[h].packets++
			s.bands[h].bytes += uint64(l)
		}
	}
}

// runMeter runs m over chunk (at most packet.MaxBatch packets), leaving
// each packet's verdict in w.mhits. The meter's lock is taken once.
func (w *worker) runMeter(chunk []*packet.Packet, m *meter) {
	sizes := w.msizes[:len(chunk)]
	for i, pk := range chunk {
		sizes[i] = uint32(len(pk.Data))
	}
	m.mu.Lock()
	m.st.run(sizes, w.now, w.mhits[:])
	m.mu.Unlock()
}

// meter meters grp in place and returns the packets that pass: those
// that fired no band, and those whose band is dscp_remark (remarked).
func (w *worker) meter(grp []*packet.Packet, m *meter) []*packet.Packet {
	if w.tr != nil {
		return grp // a traced packet takes no tokens
	}
	n := 0
	for off := 0; off < len(grp); off += packet.MaxBatch {
		chunk := grp[off:min(len(grp), off+packet.MaxBatch)]
		w.runMeter(chunk, m)
		for i, pk := range chunk {
			h := &w.mhits[i]
			switch {
			case h.band < 0:
			case h.typ == BandDSCPRemark:
				remarkDSCP(pk, h.prec)
			default:
				w.ctr[cMeterDrop]++
				continue
			}
			grp[n] = pk
			n++
		}
	}
	clear(grp[n:])
	return grp[:n]
}

// meteredPacketIn runs a controller action whose meter is o.mtr: the
// packet-ins are metered (OVS's clone(meter, userspace)); the packets
// themselves go on unchanged.
func (w *worker) meteredPacketIn(grp []*packet.Packet, o *op, st *xstate) {
	c := o.ctl
	for off := 0; off < len(grp); off += packet.MaxBatch {
		chunk := grp[off:min(len(grp), off+packet.MaxBatch)]
		w.runMeter(chunk, o.mtr)
		for i, pk := range chunk {
			h := &w.mhits[i]
			switch {
			case h.band < 0:
				w.packetIn(pk, c.Reason, c.MaxLen, c.ControllerID, c.UserData, st)
			case h.typ == BandDSCPRemark:
				cp := w.d.pool.Get()
				cp.CopyFrom(pk)
				remarkDSCP(cp, h.prec)
				w.packetIn(cp, c.Reason, c.MaxLen, c.ControllerID, c.UserData, st)
				w.d.pool.Put(cp)
			default:
				w.ctr[cMeterDrop]++
			}
		}
	}
}

// remarkDSCP raises an IP packet's drop precedence (the DSCP's bits 1-2,
// as in the assured forwarding classes) by prec levels, at most to 3.
func remarkDSCP(pk *packet.Packet, prec uint8) {
	et := pk.Key.W.EthType()
	if et != packet.EthTypeIPv4 && et != packet.EthTypeIPv6 {
		return
	}
	dscp := uint8(pk.Key.W.Get(packet.FieldIPDSCP).Lo)
	dp := uint(dscp>>1&3) + uint(prec)
	if dp > 3 {
		dp = 3
	}
	nd := dscp&^6 | uint8(dp)<<1
	if nd != dscp {
		pk.SetField(packet.FieldIPDSCP, packet.U128{Lo: uint64(nd)}, packet.U128{Lo: 0x3f})
	}
}

// MeterMod adds, modifies or deletes a meter (cmd: MeterAdd, MeterModify,
// MeterDelete), with OVS 3.1's checks in its order (ofproto.c
// handle_meter_mod, ofproto-dpif meter_set, dpif_meter_set). Deleting a
// meter deletes the flows whose meter instruction names it (reported with
// reason RemovedMeterDelete); MeterAll deletes every meter. A modified
// meter starts again with full buckets and zero counters, as OVS's
// datapath meter does, and keeps its creation time. now is monotonic ns.
func (d *Datapath) MeterMod(cmd uint16, spec *MeterSpec, now int64) error {
	d.sawNow(now)
	d.mu.Lock()
	c := d.begin(now)
	err := d.meterModLocked(c, cmd, spec, now)
	if err == nil && c.dirty {
		c.commit()
	}
	d.mu.Unlock()
	if err == nil {
		c.report()
	}
	return err
}

func (d *Datapath) meterModLocked(c *change, cmd uint16, spec *MeterSpec, now int64) error {
	mt := c.v.meters
	id := spec.ID
	switch cmd {
	case MeterAdd, MeterModify:
	case MeterDelete:
		if id == 0 {
			return nil // OpenFlow has no meter 0
		}
		mt.mu.Lock()
		var gone []*meter
		for mid, m := range mt.m {
			if id == MeterAll || mid == id {
				gone = append(gone, m)
				delete(mt.m, mid)
			}
		}
		mt.mu.Unlock()
		if len(gone) == 0 {
			return nil
		}
		for _, m := range gone {
			m.mu.Lock()
			m.st.dead = true
			m.mu.Unlock()
		}
		var dead []*flow
		for i := range NumTables {
			c.v.tables[i].each(func(f *flow) bool {
				if mid := f.spec.Inst.Meter; mid != 0 && (id == MeterAll || mid == id) {
					dead = append(dead, f)
				}
				return true
			})
		}
		for _, f := range dead {
			c.remove(f, RemovedMeterDelete)
		}
		return nil
	default:
		return Errorf(OFPMMFC_BAD_COMMAND, "unknown meter-mod command %d", cmd)
	}
	if id == 0 || id > MeterMax && id != MeterSlowpath && id != MeterCtrl {
		return Errorf(OFPMMFC_INVALID_METER, "invalid meter id %#x", id)
	}
	if len(spec.Bands) > MaxMeterBands {
		return Errorf(OFPMMFC_OUT_OF_BANDS, "%d bands (at most %d)", len(spec.Bands), MaxMeterBands)
	}
	old := mt.get(id)
	switch {
	case cmd == MeterAdd && old != nil:
		return Errorf(OFPMMFC_METER_EXISTS, "meter %d already exists", id)
	case cmd == MeterModify && old == nil:
		return Errorf(OFPMMFC_UNKNOWN_METER, "meter %d does not exist", id)
	case cmd == MeterAdd && len(mt.m) >= MaxMeters:
		return Errorf(OFPMMFC_OUT_OF_METERS, "%d meters already (the most there may be)", MaxMeters)
	}
	if err := checkMeterConfig(spec); err != nil {
		return err
	}
	if old != nil {
		old.mu.Lock()
		old.st.configure(spec, now)
		old.mu.Unlock()
		return nil
	}
	m := &meter{id: id, created: now}
	m.st.configure(spec, now)
	mt.mu.Lock()
	mt.m[id] = m
	mt.mu.Unlock()
	return nil
}

// checkMeterConfig is dpif_meter_set's and dpif-netdev's check of a
// meter's flags and bands (but dscp_remark bands are accepted).
func checkMeterConfig(spec *MeterSpec) error {
	f := spec.Flags
	switch {
	case f&(MeterKbps|MeterPktps) == 0:
		return Errorf(OFPMMFC_BAD_FLAGS, "meter has neither kbps nor pktps")
	case f&MeterKbps != 0 && f&MeterPktps != 0:
		return Errorf(OFPMMFC_BAD_FLAGS, "meter has both kbps and pktps")
	case len(spec.Bands) == 0:
		return Errorf(OFPMMFC_OUT_OF_BANDS, "meter has no bands")
	}
	for _, b := range spec.Bands {
		if b.Rate == 0 {
			return Errorf(OFPMMFC_BAD_RATE, "band rate 0")
		}
	}
	if f&^MeterFlagsSupported != 0 {
		return Errorf(OFPMMFC_BAD_FLAGS, "unsupported meter flags %#x", f)
	}
	for _, b := range spec.Bands {
		if b.Type != BandDrop && b.Type != BandDSCPRemark {
			return Errorf(OFPMMFC_BAD_BAND, "unsupported band type %d", b.Type)
		}
	}
	return nil
}

// Meters returns meter id with its counters, or every meter (MeterAll) by
// id; an id that is not a meter is OFPMMFC_UNKNOWN_METER.
func (d *Datapath) Meters(id uint32) ([]MeterStats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.cur.Load()
	mt := v.meters
	mt.mu.Lock()
	var ms []*meter
	for mid, m := range mt.m {
		if id == MeterAll || mid == id {
			ms = append(ms, m)
		}
	}
	mt.mu.Unlock()
	if len(ms) == 0 && id != MeterAll {
		return nil, Errorf(OFPMMFC_UNKNOWN_METER, "meter %d does not exist", id)
	}
	slices.SortFunc(ms, func(a, b *meter) int { return cmpU32(a.id, b.id) })
	flows := map[uint32]uint32{}
	for i := range NumTables {
		v.tables[i].each(func(f *flow) bool {
			if f.spec.Inst.Meter != 0 {
				flows[f.spec.Inst.Meter]++
			}
			return true
		})
	}
	out := make([]MeterStats, 0, len(ms))
	for _, m := range ms {
		m.mu.Lock()
		st := MeterStats{Spec: m.st.spec, FlowCount: flows[m.id], Packets: m.st.packets, Bytes: m.st.bytes,
			Created: m.created, Bands: make([]BandStats, len(m.st.bands))}
		for i := range m.st.bands {
			st.Bands[i] = BandStats{Packets: m.st.bands[i].packets, Bytes: m.st.bands[i].bytes}
		}
		m.mu.Unlock()
		st.Spec.Bands = slices.Clone(st.Spec.Bands)
		out = append(out, st)
	}
	return out, nil
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
