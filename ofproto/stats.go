package ofproto

import (
	"encoding/binary"

	"go.uber.org/zap"

	"gswitch/nxm"
	"gswitch/packet"
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

// mpHeader13 is an OF1.3+ multipart reply header of version for type t.
func mpHeader13(version uint8, xid uint32, t uint16) []byte {
	return newMsg(version, Type13MultipartReply, xid, 8).u16(t).u16(0).zeros(4).b
}

// statsHeader10 is an OF1.0 stats reply header for type t.
func statsHeader10(xid uint32, t uint16) []byte {
	return newMsg(Version10, Type10StatsReply, xid, 4).u16(t).u16(0).b
}

// nxstHeader10 is an OF1.0 Nicira vendor stats reply header.
func nxstHeader10(xid uint32, subtype uint32) []byte {
	return newMsg(Version10, Type10StatsReply, xid, 16).u16(MPExperimenter).u16(0).u32(nxm.NXVendorID).u32(subtype).zeros(4).b
}

func descBody(d *Desc) []byte {
	m := &msg{}
	m.str(d.Manufacturer, 256).str(d.Hardware, 256).str(d.Software, 256).str(d.SerialNum, 32).str(d.Datapath, 256)
	return m.b
}

// statsRequest is a decoded stats (OpenFlow 1.0) or multipart (1.3)
// request: its type, its body (the parts of a multipart request joined) and
// the header each message of the reply starts with.
type statsRequest struct {
	typ   uint16 // OFPST_*/OFPMP_* (the numbers are the same)
	xid   uint32
	body  []byte
	reply []byte // ofp_header and stats/multipart reply header
	now   int64
}

// statsHandler answers one type of statistics request in every version
// that has it (codec.stats).
type statsHandler func(c *conn, cd *codec, r *statsRequest) error

// handleStats answers OFPT_STATS_REQUEST / OFPT_MULTIPART_REQUEST.
func (c *conn) handleStats(cd *codec, h Header, b []byte) error {
	r, err := cd.decodeStatsRequest(c, h, b)
	if err != nil || r == nil {
		return err
	}
	r.now = c.srv.now()
	sh := cd.stats[r.typ]
	if sh == nil {
		return errBadStat
	}
	return sh(c, cd, r)
}

// decodeStatsRequest10 decodes an ofp10_stats_request header.
func decodeStatsRequest10(_ *conn, h Header, b []byte) (*statsRequest, error) {
	if len(b) < 12 {
		return nil, errBadLen
	}
	typ := binary.BigEndian.Uint16(b[8:])
	return &statsRequest{typ: typ, xid: h.Xid, body: b[12:], reply: statsHeader10(h.Xid, typ)}, nil
}

// decodeMultipartRequest13 decodes an ofp11_stats_request header, joining
// the parts of a request sent in several (OFPMPF_REQ_MORE).
func decodeMultipartRequest13(c *conn, h Header, b []byte) (*statsRequest, error) {
	if len(b) < 16 {
		return nil, errBadLen
	}
	typ := binary.BigEndian.Uint16(b[8:])
	flags := binary.BigEndian.Uint16(b[10:])
	body := b[16:]
	if flags&mpMore != 0 || c.mpParts != nil && c.mpParts.xid == h.Xid {
		var done bool
		var err error
		body, done, err = c.assemble(h.Xid, typ, flags&mpMore != 0, body)
		if err != nil || !done {
			return nil, err
		}
	}
	return &statsRequest{typ: typ, xid: h.Xid, body: body, reply: mpHeader13(h.Version, h.Xid, typ)}, nil
}

func descStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	w := c.newMPWriter(r.reply)
	w.add(descBody(&c.srv.cfg.Desc))
	w.finish()
	return nil
}

// flowStats answers flow and aggregate statistics.
func flowStats(c *conn, cd *codec, r *statsRequest) error {
	f, err := cd.decodeFlowStatsRequest(r.body, c.srv.tlv.table())
	if err != nil {
		return err
	}
	return c.flowStatsReply(r, f, r.typ == MPAggregate, cd.encodeFlowStats)
}

// flowStatsReply answers a decoded flow (or, if aggregate, aggregate)
// statistics request with the flows f selects, each encoded by enc.
func (c *conn) flowStatsReply(r *statsRequest, f *pipeline.FlowFilter, aggregate bool,
	enc func(*pipeline.FlowStats, int64) ([]byte, error)) error {
	s := c.srv
	if f.Table != pipeline.TableAll && f.Table >= s.cfg.NumTables {
		return errBadTableID
	}
	flows := s.cfg.Datapath.Flows(f, r.now)
	s.writeFlowStats(c.newMPWriter(r.reply), aggregate, flows, r.now, enc)
	return nil
}

// decodeFlowStatsRequest13 decodes an ofp11_flow_stats_request.
func decodeFlowStatsRequest13(body []byte, tab *packet.TLVTable) (*pipeline.FlowFilter, error) {
	r := reader{b: body}
	table := r.u8()
	r.skip(3)
	outPort, outGroup := r.u32(), r.u32()
	r.skip(4)
	cookie, mask := r.u64(), r.u64()
	if r.err {
		return nil, errBadLen
	}
	match, n, err := nxm.DecodeOXMMatchTLV(r.rest(), tab)
	if err != nil {
		return nil, err
	}
	if n != len(body)-32 {
		return nil, errBadLen
	}
	return flowFilter(table, match, outPort, outGroup, cookie, mask), nil
}

// decodeFlowStatsRequest10 decodes an ofp10_flow_stats_request.
func decodeFlowStatsRequest10(body []byte, _ *packet.TLVTable) (*pipeline.FlowFilter, error) {
	if len(body) != 44 {
		return nil, errBadLen
	}
	match, err := nxm.DecodeOF10Match(body[:40])
	if err != nil {
		return nil, err
	}
	outPort := nxm.PortFrom16(binary.BigEndian.Uint16(body[42:]))
	return flowFilter(body[40], match, outPort, pipeline.GroupAny, 0, 0), nil
}

// decodeNXFlowStatsRequest decodes an nx_flow_stats_request.
func decodeNXFlowStatsRequest(body []byte, tab *packet.TLVTable) (*pipeline.FlowFilter, error) {
	r := reader{b: body}
	outPort := nxm.PortFrom16(r.u16())
	matchLen := int(r.u16())
	table := r.u8()
	r.skip(3)
	if r.err {
		return nil, errBadLen
	}
	nx, err := takeNXMatch(&r, matchLen)
	if err != nil {
		return nil, err
	}
	if r.left() != 0 {
		return nil, errBadLen
	}
	match, cookie, mask, _, err := decodeNXMatchCookie(nx, tab)
	if err != nil {
		return nil, err
	}
	return flowFilter(table, match, outPort, pipeline.GroupAny, cookie, mask), nil
}

func tableStats(c *conn, cd *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	w := c.newMPWriter(r.reply)
	for _, ts := range c.srv.tableStats() {
		w.add(cd.encodeTableStats(&ts))
	}
	w.finish()
	return nil
}

// encodeTableStats13 is one ofp13_table_stats.
func encodeTableStats13(ts *pipeline.TableStats) []byte {
	return (&msg{}).u8(ts.Table).zeros(3).u32(ts.Active).u64(ts.Lookups).u64(ts.Matched).b
}

// encodeTableStats10 is one ofp10_table_stats (as OVS fills it: the
// configured name, every wildcard, max_entries).
func encodeTableStats10(ts *pipeline.TableStats) []byte {
	m := &msg{}
	m.u8(ts.Table).zeros(3).str(ts.Name, 32).u32(0x3fffff).u32(ts.MaxEntries)
	m.u32(ts.Active).u64(ts.Lookups).u64(ts.Matched)
	return m.b
}

func portStats(c *conn, cd *codec, r *statsRequest) error {
	no, err := cd.decodePortStatsRequest(r.body)
	if err != nil {
		return err
	}
	st, err := c.srv.portStats(no)
	if err != nil {
		return err
	}
	w := c.newMPWriter(r.reply)
	for i := range st {
		if e := cd.encodePortStats(&st[i], r.now); e != nil {
			w.add(e)
		}
	}
	w.finish()
	return nil
}

// decodePortStatsRequest13 returns the port_no of an
// ofp11_port_stats_request (or ofp11_queue_stats_request).
func decodePortStatsRequest13(body []byte) (uint32, error) {
	if len(body) != 8 {
		return 0, errBadLen
	}
	return binary.BigEndian.Uint32(body), nil
}

// decodePortStatsRequest10 returns the port_no of an ofp10_port_stats_request.
func decodePortStatsRequest10(body []byte) (uint32, error) {
	if len(body) != 8 {
		return 0, errBadLen
	}
	return nxm.PortFrom16(binary.BigEndian.Uint16(body)), nil
}

// decodeQueueStatsRequest10 returns the port_no of an
// ofp10_queue_stats_request, where OFPP_ALL means any port (as in OVS).
func decodeQueueStatsRequest10(body []byte) (uint32, error) {
	if len(body) != 8 {
		return 0, errBadLen
	}
	port := binary.BigEndian.Uint16(body)
	if port == 0xfffc { // OFPP_ALL
		return pipeline.PortAny, nil
	}
	return nxm.PortFrom16(port), nil
}

// queueStats answers queue statistics: gswitch has no queues.
func queueStats(c *conn, cd *codec, r *statsRequest) error {
	port, err := cd.decodeQueueStatsRequest(r.body)
	if err != nil {
		return err
	}
	if err := c.srv.checkQueuePort(port); err != nil {
		return err
	}
	// OVS's handle_queue_stats_request: with no queue configured, a
	// queue id other than OFPQ_ALL (in either version's request, after the
	// port) names no queue on any port.
	if binary.BigEndian.Uint32(r.body[4:]) != 0xffffffff {
		return errQueueBadQueue
	}
	c.newMPWriter(r.reply).finish()
	return nil
}

// groupStats answers OFPMP_GROUP and NXST_GROUP (ofp11_group_stats_request).
func groupStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 8 {
		return errBadLen
	}
	id := binary.BigEndian.Uint32(r.body)
	w := c.newMPWriter(r.reply)
	for _, g := range c.srv.cfg.Datapath.Groups() {
		if id == pipeline.GroupAll || g.Spec.ID == id {
			w.add(encodeGroupStats(&g, r.now))
		}
	}
	w.finish()
	return nil
}

// groupDescStats13 answers OFPMP_GROUP_DESC (every group).
func groupDescStats13(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	c.groupDescReply(r, pipeline.GroupAll, encodeGroupDesc13)
	return nil
}

// groupDescReply answers a group description request with group id (or
// all), each encoded by enc; a group enc cannot encode is logged and left out.
func (c *conn) groupDescReply(r *statsRequest, id uint32, enc func(*pipeline.GroupSpec) ([]byte, error)) {
	w := c.newMPWriter(r.reply)
	for _, g := range c.srv.cfg.Datapath.Groups() {
		if id != pipeline.GroupAll && g.Spec.ID != id {
			continue
		}
		e, err := enc(&g.Spec)
		if err != nil {
			c.srv.log.Warn("ofproto: group not encodable", zap.Error(err))
			continue
		}
		w.add(e)
	}
	w.finish()
}

// groupFeaturesStats answers OFPMP_GROUP_FEATURES and NXST_GROUP_FEATURES.
func groupFeaturesStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	w := c.newMPWriter(r.reply)
	w.add(groupFeaturesBody())
	w.finish()
	return nil
}

// tableFeaturesStats answers OFPMP_TABLE_FEATURES.
func tableFeaturesStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		// Changing the tables' features is not supported (as OVS).
		return pipeline.NewError(pipeline.OFPTFFC_EPERM)
	}
	n := c.srv.cfg.NumTables
	w := c.newMPWriter(r.reply)
	for _, ts := range c.srv.tableStats() {
		w.add(tableFeatures13(&ts, n))
	}
	w.finish()
	return nil
}

func portDescStats(c *conn, cd *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	w := c.newMPWriter(r.reply)
	ps := c.srv.ports()
	for i := range ps {
		m := &msg{}
		if cd.encodePort(m, &ps[i]) {
			w.add(m.b)
		}
	}
	w.finish()
	return nil
}

// experimenterStats13 refuses OpenFlow 1.3 experimenter multipart requests
// (gswitch has none).
func experimenterStats13(c *conn, cd *codec, r *statsRequest) error {
	if len(r.body) < 8 {
		return errBadLen
	}
	vendor := binary.BigEndian.Uint32(r.body)
	if cd.version == Version13 && vendor == nxm.ONFVendorID && binary.BigEndian.Uint32(r.body[4:]) == onfFlowMonitor {
		nr := &statsRequest{typ: r.typ, xid: r.xid, body: r.body[8:], reply: monitorReplyHeader(Version13, r.xid), now: r.now}
		return flowMonitorRequest(c, nr, decodeFlowMonitorRequestONF)
	}
	switch vendor {
	case nxm.NXVendorID, nxm.ONFVendorID:
		return errBadSubtype
	}
	return errBadVendor
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
		out[i].MaxEntries = 1000000
	}
	for _, ts := range s.cfg.Datapath.TableStats() {
		if int(ts.Table) < n {
			out[ts.Table] = ts
		}
	}
	return out
}

// nxStats answers OpenFlow 1.0 vendor statistics: Nicira's NXST_FLOW,
// NXST_AGGREGATE and the NXST_GROUP* requests.
func nxStats(c *conn, _ *codec, r *statsRequest) error {
	body := r.body
	if len(body) < 4 {
		return errBadLen
	}
	if binary.BigEndian.Uint32(body) != nxm.NXVendorID {
		return errBadVendor
	}
	if len(body) < 12 {
		return errBadLen
	}
	subtype := binary.BigEndian.Uint32(body[4:])
	nr := &statsRequest{typ: r.typ, xid: r.xid, body: body[12:], reply: nxstHeader10(r.xid, subtype), now: r.now}
	switch subtype {
	case NXSTFlow, NXSTAggregate:
		f, err := decodeNXFlowStatsRequest(nr.body, c.srv.tlv.table())
		if err != nil {
			return err
		}
		return c.flowStatsReply(nr, f, subtype == NXSTAggregate,
			func(fs *pipeline.FlowStats, now int64) ([]byte, error) { return encodeNXFlowStats(fs, now, Version10) })
	case nxstGroup:
		return groupStats(c, nil, nr)
	case nxstGroupDesc:
		if len(nr.body) != 8 {
			return errBadLen
		}
		c.groupDescReply(nr, binary.BigEndian.Uint32(nr.body), encodeNXGroupDesc)
		return nil
	case nxstGroupFeatures:
		return groupFeaturesStats(c, nil, nr)
	case NXSTFlowMonitor:
		nr.reply = monitorReplyHeader(Version10, r.xid)
		return flowMonitorRequest(c, nr, decodeFlowMonitorRequestNX)
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
