package ofproto

import (
	"sort"

	"gswitch/nxm"
	"gswitch/pipeline"
)

// features13to10 converts OFPPF_* bits from OpenFlow 1.3 to 1.0 numbering
// (1.0 lacks 40GB, 100GB, 1TB and OTHER; its medium bits sit 4 lower).
func features13to10(f uint32) uint32 {
	return f&0x7f | (f>>4)&0xf80
}

func features10to13(f uint32) uint32 {
	return f&0x7f | (f&0xf80)<<4
}

// Port config bits that exist in OpenFlow 1.3.
const portConfig13 = PortConfigDown | PortConfigNoRecv | PortConfigNoFwd | PortConfigNoPacketIn

func (s *Server) ports() []Port {
	if s.cfg.Ports == nil {
		return nil
	}
	ps := s.cfg.Ports.Ports()
	sort.Slice(ps, func(i, j int) bool { return ps[i].No < ps[j].No })
	return ps
}

// encodePort10 appends an ofp10_phy_port (48 bytes); ok is false for a port
// whose number has no 16-bit form.
func encodePort10(m *msg, p *Port) bool {
	no, ok := nxm.PortTo16(p.No)
	if !ok {
		return false
	}
	m.u16(no).bytes(p.HWAddr[:]).str(p.Name, 16)
	m.u32(p.Config & 0x7f).u32(p.State & PortStateLinkDown)
	m.u32(features13to10(p.Curr)).u32(features13to10(p.Advertised))
	m.u32(features13to10(p.Supported)).u32(features13to10(p.Peer))
	return true
}

// encodePort13 appends an ofp11_port (64 bytes).
func encodePort13(m *msg, p *Port) {
	m.u32(p.No).zeros(4).bytes(p.HWAddr[:]).zeros(2).str(p.Name, 16)
	m.u32(p.Config & portConfig13).u32(p.State & 7)
	m.u32(p.Curr).u32(p.Advertised).u32(p.Supported).u32(p.Peer)
	m.u32(p.CurrSpeed).u32(p.MaxSpeed)
}

// encodePortStatus is an OFPT_PORT_STATUS, nil if the version cannot number p.
func encodePortStatus(version uint8, reason uint8, p *Port) []byte {
	m := newMsg(version, TypePortStatus, 0, 72)
	m.u8(reason).zeros(7)
	if !codecFor(version).encodePort(m, p) {
		return nil
	}
	return m.done()
}

// encodePortStats10 is one ofp10_port_stats (104 bytes).
func encodePortStats10(ps *PortStats, _ int64) []byte {
	no, ok := nxm.PortTo16(ps.No)
	if !ok {
		return nil
	}
	m := &msg{b: make([]byte, 0, 104)}
	m.u16(no).zeros(6)
	portCounters(m, ps)
	return m.b
}

// encodePortStats13 is one ofp13_port_stats (112 bytes).
func encodePortStats13(ps *PortStats, now int64) []byte {
	m := &msg{b: make([]byte, 0, 112)}
	m.u32(ps.No).zeros(4)
	portCounters(m, ps)
	sec, nsec := durations(now, ps.Created)
	m.u32(sec).u32(nsec)
	return m.b
}

func portCounters(m *msg, ps *PortStats) {
	m.u64(ps.RxPackets).u64(ps.TxPackets).u64(ps.RxBytes).u64(ps.TxBytes)
	m.u64(ps.RxDropped).u64(ps.TxDropped).u64(ps.RxErrors).u64(ps.TxErrors)
	m.u64(ps.RxFrameErr).u64(ps.RxOverErr).u64(ps.RxCRCErr).u64(ps.Collisions)
}

// portStats returns the stats of port no (PortAny: all), sorted.
func (s *Server) portStats(no uint32) ([]PortStats, error) {
	if s.cfg.Ports == nil {
		if no == pipeline.PortAny {
			return nil, nil
		}
		return nil, errBadPort
	}
	if no != pipeline.PortAny && no >= pipeline.PortMax && no != pipeline.PortLocal {
		return nil, errBadPort
	}
	st := s.cfg.Ports.PortStats(no)
	// LOCAL first, then by number: the order OVS 3.1 happens to reply in
	// (ovs-ofctl dump-ports prints the reply's order).
	key := func(n uint32) uint64 {
		if n == pipeline.PortLocal {
			return 0
		}
		return uint64(n) + 1
	}
	sort.Slice(st, func(i, j int) bool { return key(st[i].No) < key(st[j].No) })
	return st, nil
}

// portModRequest is a decoded OFPT_PORT_MOD (OVS's ofputil_port_mod), with
// OpenFlow 1.3's numbering of ports and features.
type portModRequest struct {
	no                      uint32
	hw                      [6]byte
	config, mask, advertise uint32
}

// portMod applies a decoded OFPT_PORT_MOD.
func (s *Server) portMod(pm *portModRequest) error {
	if s.cfg.Ports == nil {
		return errPortModPort
	}
	return s.cfg.Ports.PortMod(pm.no, pm.hw, pm.config, pm.mask, pm.advertise)
}

// decodePortMod10 decodes an ofp10_port_mod.
func decodePortMod10(b []byte) (*portModRequest, error) {
	pm := &portModRequest{}
	r := reader{b: b, off: HeaderLen}
	pm.no = nxm.PortFrom16(r.u16())
	copy(pm.hw[:], r.take(6))
	pm.config, pm.mask, pm.advertise = r.u32(), r.u32(), r.u32()
	r.skip(4)
	if r.err || r.left() != 0 {
		return nil, errBadLen
	}
	if pm.advertise != 0 {
		pm.advertise = features10to13(pm.advertise)
	}
	return pm, nil
}

// decodePortMod13 decodes an ofp11_port_mod.
func decodePortMod13(b []byte) (*portModRequest, error) {
	pm := &portModRequest{}
	r := reader{b: b, off: HeaderLen}
	pm.no = r.u32()
	r.skip(4)
	copy(pm.hw[:], r.take(6))
	r.skip(2)
	pm.config, pm.mask, pm.advertise = r.u32(), r.u32(), r.u32()
	r.skip(4)
	if r.err || r.left() != 0 {
		return nil, errBadLen
	}
	pm.config &= portConfig13
	pm.mask &= portConfig13
	return pm, nil
}
