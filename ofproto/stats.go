package ofproto

import (
	"encoding/binary"

	"go.uber.org/zap"

	"gswitch/nxm"
	"gswitch/pipeline"
)

// mpWriter splits a multipart (stats) reply into messages of at most
// 65535 bytes, each entry whole, setting the MORE flag on all but the last
// (as OVS's ofpmp_postappend).
type mpWriter struct {
	c      *conn
	hdr    []byte // the reply header up to the body (length and flags patched)
	cur    *msg
	nsent  int
	failed bool
}

// newMPWriter starts a reply whose per-message header is hdr (a complete
// header: ofp_header + multipart/stats header + vendor header if any).
func (c *conn) newMPWriter(hdr []byte) *mpWriter {
	w := &mpWriter{c: c, hdr: hdr}
	w.start()
	return w
}

func (w *mpWriter) start() {
	w.cur = &msg{b: make([]byte, len(w.hdr), 4096)}
	copy(w.cur.b, w.hdr)
}

// add appends one entry. An entry that cannot fit even an empty message is
// dropped and logged.
func (w *mpWriter) add(e []byte) {
	if len(w.hdr)+len(e) > MaxMessageLen {
		w.c.srv.log.Warn("ofproto: multipart entry too large; skipped", zap.Int("len", len(e)))
		return
	}
	if w.cur.len()+len(e) > MaxMessageLen {
		// Flags live at offset 10 in both OF1.0 stats and OF1.3 multipart.
		w.cur.put16(10, binary.BigEndian.Uint16(w.cur.b[10:])|mpMore)
		w.c.reply(w.cur.done())
		w.nsent++
		w.start()
	}
	w.cur.bytes(e)
}

func (w *mpWriter) finish() {
	w.c.reply(w.cur.done())
}

// mpHeader13 is an OF1.3 multipart reply header for type t.
func mpHeader13(xid uint32, t uint16) []byte {
	return newMsg(Version13, Type13MultipartReply, xid, 8).u16(t).u16(0).zeros(4).b
}

// statsHeader10 is an OF1.0 stats reply header for type t.
func statsHeader10(xid uint32, t uint16) []byte {
	return newMsg(Version10, Type10StatsReply, xid, 4).u16(t).u16(0).b
}

// nxstHeader10 is an OF1.0 Nicira vendor stats reply header.
func nxstHeader10(xid uint32, subtype uint32) []byte {
	return newMsg(Version10, Type10StatsReply, xid, 16).u16(MPExperimenter).u16(0).u32(VendorNicira).u32(subtype).zeros(4).b
}

func descBody(d *Desc) []byte {
	m := &msg{}
	m.str(d.Manufacturer, 256).str(d.Hardware, 256).str(d.Software, 256).str(d.SerialNum, 32).str(d.Datapath, 256)
	return m.b
}

// multipart13 handles OFPT_MULTIPART_REQUEST.
func (c *conn) multipart13(h Header, b []byte) error {
	if len(b) < 16 {
		return errBadLen
	}
	typ := binary.BigEndian.Uint16(b[8:])
	flags := binary.BigEndian.Uint16(b[10:])
	body := b[16:]
	if flags&mpMore != 0 || c.mpParts != nil && c.mpParts.xid == h.Xid {
		var done bool
		var err error
		body, done, err = c.assemble(h.Xid, typ, flags&mpMore != 0, body)
		if err != nil || !done {
			return err
		}
	}
	s := c.srv
	now := s.now()
	switch typ {
	case MPDesc:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		w.add(descBody(&s.cfg.Desc))
		w.finish()
	case MPFlow, MPAggregate:
		r := reader{b: body}
		table := r.u8()
		r.skip(3)
		outPort, outGroup := r.u32(), r.u32()
		r.skip(4)
		cookie, mask := r.u64(), r.u64()
		if r.err {
			return errBadLen
		}
		match, n, err := nxm.DecodeOXMMatch(r.rest())
		if err != nil {
			return err
		}
		if n != len(body)-32 {
			return errBadLen
		}
		if table != pipeline.TableAll && table >= s.cfg.NumTables {
			return errBadTableID
		}
		flows := s.cfg.Datapath.Flows(flowFilter(table, match, outPort, outGroup, cookie, mask), now)
		s.writeFlowStats(c.newMPWriter(mpHeader13(h.Xid, typ)), typ == MPAggregate, flows, now, encodeFlowStats13)
	case MPTable:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		for _, ts := range s.tableStats() {
			w.add((&msg{}).u8(ts.Table).zeros(3).u32(ts.Active).u64(ts.Lookups).u64(ts.Matched).b)
		}
		w.finish()
	case MPPortStats:
		if len(body) != 8 {
			return errBadLen
		}
		st, err := s.portStats(binary.BigEndian.Uint32(body))
		if err != nil {
			return err
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		for i := range st {
			w.add(encodePortStats13(&st[i], now))
		}
		w.finish()
	case MPQueue:
		if len(body) != 8 {
			return errBadLen
		}
		if err := s.checkQueuePort(binary.BigEndian.Uint32(body)); err != nil {
			return err
		}
		c.newMPWriter(mpHeader13(h.Xid, typ)).finish()
	case MPGroup:
		if len(body) != 8 {
			return errBadLen
		}
		id := binary.BigEndian.Uint32(body)
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		for _, g := range s.cfg.Datapath.Groups() {
			if id == pipeline.GroupAll || g.Spec.ID == id {
				w.add(encodeGroupStats13(&g, now))
			}
		}
		w.finish()
	case MPGroupDesc:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		for _, g := range s.cfg.Datapath.Groups() {
			e, err := encodeGroupDesc13(&g.Spec)
			if err != nil {
				s.log.Warn("ofproto: group not encodable", zap.Error(err))
				continue
			}
			w.add(e)
		}
		w.finish()
	case MPGroupFeatures:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		w.add(groupFeaturesBody())
		w.finish()
	case MPMeter, MPMeterConfig:
		if len(body) != 8 {
			return errBadLen
		}
		c.newMPWriter(mpHeader13(h.Xid, typ)).finish()
	case MPMeterFeatures:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		w.add(make([]byte, 16))
		w.finish()
	case MPTableFeatures:
		if len(body) != 0 {
			// Changing the tables' features is not supported (as OVS).
			return pipeline.NewError(pipeline.OFPTFFC_EPERM)
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		for t := 0; t < int(s.cfg.NumTables); t++ {
			w.add(tableFeatures13(uint8(t), s.cfg.NumTables))
		}
		w.finish()
	case MPPortDesc:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(mpHeader13(h.Xid, typ))
		ps := s.ports()
		for i := range ps {
			m := &msg{}
			encodePort13(m, &ps[i])
			w.add(m.b)
		}
		w.finish()
	case MPExperimenter:
		if len(body) < 8 {
			return errBadLen
		}
		switch binary.BigEndian.Uint32(body) {
		case VendorNicira, VendorONF:
			return errBadSubtype
		}
		return errBadVendor
	default:
		return errBadStat
	}
	return nil
}

// mpAssembly is a multipart request arriving in several messages.
type mpAssembly struct {
	xid  uint32
	typ  uint16
	body []byte
}

// assemble collects the parts of a multipart request (OFPMPF_REQ_MORE).
func (c *conn) assemble(xid uint32, typ uint16, more bool, body []byte) ([]byte, bool, error) {
	p := c.mpParts
	if p == nil || p.xid != xid {
		p = &mpAssembly{xid: xid, typ: typ}
		c.mpParts = p
	}
	if p.typ != typ {
		c.mpParts = nil
		return nil, false, errBadStat
	}
	if len(p.body)+len(body) > 4<<20 {
		c.mpParts = nil
		return nil, false, errMPBufferOvf
	}
	p.body = append(p.body, body...)
	if more {
		return nil, false, nil
	}
	c.mpParts = nil
	return p.body, true, nil
}

func aggregateBody(flows []pipeline.FlowStats) []byte {
	var pkts, bytes uint64
	for i := range flows {
		p, b := flowCounters(&flows[i])
		if p != ^uint64(0) {
			pkts += p
		}
		if b != ^uint64(0) {
			bytes += b
		}
	}
	return (&msg{}).u64(pkts).u64(bytes).u32(uint32(len(flows))).zeros(4).b
}

// tableStats returns one entry per table (NumTables), filling in tables the
// datapath did not report.
func (s *Server) tableStats() []pipeline.TableStats {
	n := int(s.cfg.NumTables)
	out := make([]pipeline.TableStats, n)
	for i := range out {
		out[i].Table = uint8(i)
	}
	for _, ts := range s.cfg.Datapath.TableStats() {
		if int(ts.Table) < n {
			out[ts.Table] = ts
		}
	}
	return out
}

// stats10 handles OpenFlow 1.0 OFPT_STATS_REQUEST, including Nicira's.
func (c *conn) stats10(h Header, b []byte) error {
	if len(b) < 12 {
		return errBadLen
	}
	typ := binary.BigEndian.Uint16(b[8:])
	body := b[12:]
	s := c.srv
	now := s.now()
	switch typ {
	case MPDesc:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(statsHeader10(h.Xid, typ))
		w.add(descBody(&s.cfg.Desc))
		w.finish()
	case MPFlow, MPAggregate:
		if len(body) != 44 {
			return errBadLen
		}
		match, err := nxm.DecodeOF10Match(body[:40])
		if err != nil {
			return err
		}
		table := body[40]
		outPort := nxm.PortFrom16(binary.BigEndian.Uint16(body[42:]))
		if table != pipeline.TableAll && table >= s.cfg.NumTables {
			return errBadTableID
		}
		flows := s.cfg.Datapath.Flows(flowFilter(table, match, outPort, pipeline.GroupAny, 0, 0), now)
		s.writeFlowStats(c.newMPWriter(statsHeader10(h.Xid, typ)), typ == MPAggregate, flows, now, encodeFlowStats10)
	case MPTable:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(statsHeader10(h.Xid, typ))
		for _, ts := range s.tableStats() {
			m := &msg{}
			m.u8(ts.Table).zeros(3).str("", 32).u32(0x3fffff).u32(1000000)
			m.u32(ts.Active).u64(ts.Lookups).u64(ts.Matched)
			w.add(m.b)
		}
		w.finish()
	case MPPortStats:
		if len(body) != 8 {
			return errBadLen
		}
		no := nxm.PortFrom16(binary.BigEndian.Uint16(body))
		st, err := s.portStats(no)
		if err != nil {
			return err
		}
		w := c.newMPWriter(statsHeader10(h.Xid, typ))
		for i := range st {
			if e := encodePortStats10(&st[i]); e != nil {
				w.add(e)
			}
		}
		w.finish()
	case MPQueue:
		if len(body) != 8 {
			return errBadLen
		}
		port := binary.BigEndian.Uint16(body)
		if port != 0xfffc { // OFPP_ALL
			if err := s.checkQueuePort(nxm.PortFrom16(port)); err != nil {
				return err
			}
		}
		c.newMPWriter(statsHeader10(h.Xid, typ)).finish()
	case MPPortDesc:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(statsHeader10(h.Xid, typ))
		ps := s.ports()
		for i := range ps {
			m := &msg{}
			if encodePort10(m, &ps[i]) {
				w.add(m.b)
			}
		}
		w.finish()
	case MPExperimenter:
		if len(body) < 4 {
			return errBadLen
		}
		if binary.BigEndian.Uint32(body) != VendorNicira {
			return errBadVendor
		}
		if len(body) < 12 {
			return errBadLen
		}
		return c.nxStats(h, binary.BigEndian.Uint32(body[4:]), body[12:], now)
	default:
		return errBadStat
	}
	return nil
}

// nxStats handles NXST_FLOW and NXST_AGGREGATE (OpenFlow 1.0).
func (c *conn) nxStats(h Header, subtype uint32, body []byte, now int64) error {
	s := c.srv
	switch subtype {
	case NXSTFlow, NXSTAggregate:
		r := reader{b: body}
		outPort := nxm.PortFrom16(r.u16())
		matchLen := int(r.u16())
		table := r.u8()
		r.skip(3)
		if r.err {
			return errBadLen
		}
		nx := r.take(matchLen)
		r.skip(pad8(matchLen) - matchLen)
		if r.err {
			return errMatchBadLen
		}
		if r.left() != 0 {
			return errBadLen
		}
		nx, cookie, mask, _, err := splitNXCookie(nx)
		if err != nil {
			return err
		}
		match, err := nxm.DecodeNXMatch(nx)
		if err != nil {
			return err
		}
		if table != pipeline.TableAll && table >= s.cfg.NumTables {
			return errBadTableID
		}
		flows := s.cfg.Datapath.Flows(flowFilter(table, match, outPort, pipeline.GroupAny, cookie, mask), now)
		s.writeFlowStats(c.newMPWriter(nxstHeader10(h.Xid, subtype)), subtype == NXSTAggregate, flows, now,
			func(fs *pipeline.FlowStats, now int64) ([]byte, error) { return encodeNXFlowStats(fs, now, Version10) })
		return nil
	case nxstGroup, nxstGroupDesc:
		if len(body) != 8 {
			return errBadLen
		}
		id := binary.BigEndian.Uint32(body)
		w := c.newMPWriter(nxstHeader10(h.Xid, subtype))
		for _, g := range s.cfg.Datapath.Groups() {
			if id != pipeline.GroupAll && g.Spec.ID != id {
				continue
			}
			if subtype == nxstGroup {
				w.add(encodeGroupStats13(&g, now))
				continue
			}
			e, err := encodeGroupDesc15(&g.Spec)
			if err != nil {
				s.log.Warn("ofproto: group not encodable", zap.Error(err))
				continue
			}
			w.add(e)
		}
		w.finish()
		return nil
	case nxstGroupFeatures:
		if len(body) != 0 {
			return errBadLen
		}
		w := c.newMPWriter(nxstHeader10(h.Xid, subtype))
		w.add(groupFeaturesBody())
		w.finish()
		return nil
	}
	return errBadSubtype
}

// Nicira stats for groups in OpenFlow 1.0.
const (
	nxstGroup         = 7
	nxstGroupDesc     = 8
	nxstGroupFeatures = 9
)

// writeFlowStats answers a flow or aggregate stats request (OpenFlow 1.3
// multipart, OpenFlow 1.0 stats, Nicira NXST) with flows, each encoded by
// enc. A flow enc cannot encode is logged and left out (nxm encodes every
// model action in both versions, so this is a last resort).
func (s *Server) writeFlowStats(w *mpWriter, aggregate bool, flows []pipeline.FlowStats, now int64,
	enc func(*pipeline.FlowStats, int64) ([]byte, error)) {
	if aggregate {
		w.add(aggregateBody(flows))
	} else {
		for i := range flows {
			e, err := enc(&flows[i], now)
			if err != nil {
				s.log.Warn("ofproto: flow not encodable", zap.Error(err))
				continue
			}
			w.add(e)
		}
	}
	w.finish()
}
