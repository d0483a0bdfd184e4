package ofproto

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// Flow monitors, as OVS's ofmonitor (connmgr.c): a connection asks to be
// told of the flows that match a monitor's filter, now (the initial flows)
// and as flow-mods, expiry and learning add, modify and remove them. The
// monitors, their updates, abbreviation and pausing live here once; the
// wire form is a codec of it, chosen by the connection's version as OVS's
// ofputil_start_flow_update does: OpenFlow 1.4+'s OFPMP_FLOW_MONITOR,
// Nicira's NXST_FLOW_MONITOR with NXT_FLOW_MONITOR_CANCEL/PAUSED/RESUMED in
// OpenFlow 1.0, and ONF's extension of OpenFlow 1.3 (ONFST_FLOW_MONITOR,
// ONFT_FLOW_MONITOR_*), which takes Nicira's flags and update layout with
// OXM matches and 1.3 instructions.

// Flow monitor flags (OpenFlow 1.4's OFPFMF_*, OVS's common numbering).
const (
	fmfInitial      = 1 << 0
	fmfAdd          = 1 << 1
	fmfRemoved      = 1 << 2
	fmfModify       = 1 << 3
	fmfInstructions = 1 << 4
	fmfNoAbbrev     = 1 << 5
	fmfOnlyOwn      = 1 << 6
)

// Flow update events (OFPFME_*) not in pipeline's FlowEvent kinds.
const (
	fmeInitial = 0
	fmeAbbrev  = 4
	fmePaused  = 5
	fmeResumed = 6
)

// Flow monitor commands (OFPFMC_*).
const (
	fmcAdd    = 0
	fmcModify = 1
	fmcDelete = 2
)

// MPFlowMonitor is OpenFlow 1.4's OFPMP_FLOW_MONITOR.
const MPFlowMonitor = 16

// Nicira's (OpenFlow 1.0) and ONF's (1.3) flow monitor messages.
const (
	nxtFlowMonitorCancel   = 21   // NXT_FLOW_MONITOR_CANCEL
	nxtFlowMonitorPaused   = 22   // NXT_FLOW_MONITOR_PAUSED
	nxtFlowMonitorResumed  = 23   // NXT_FLOW_MONITOR_RESUMED
	onfFlowMonitor         = 1870 // ONFST_FLOW_MONITOR, ONFT_FLOW_MONITOR_CANCEL
	onftFlowMonitorPaused  = 1871
	onftFlowMonitorResumed = 1872
)

// Nicira's flow monitor flags (NXFMF_*, ONF's too) where they differ from
// OpenFlow 1.4's, and its update events (NXFME_*).
const (
	nxfmfOwn      = 1 << 5
	nxfmeAdded    = 0
	nxfmeDeleted  = 1
	nxfmeModified = 2
	nxfmeAbbrev   = 3
)

// monitorPauseBytes is how much a connection may have queued before its
// monitors pause (OVS's 128 KiB in ofmonitor_flush).
const monitorPauseBytes = 128 << 10

// flowMonitor is one monitor (OVS's struct ofmonitor).
type flowMonitor struct {
	id       uint32
	command  uint8
	flags    uint16
	outPort  uint32 // pipeline.PortAny: any
	outGroup uint32 // pipeline.GroupAny: any
	table    uint8  // pipeline.TableAll: every table
	match    pipeline.Match
}

// selects reports whether m reports a change of kind (fmfAdd, fmfRemoved,
// fmfModify) to ev's flow (OVS's test in ofmonitor_report).
func (m *flowMonitor) selects(update uint16, ev *pipeline.FlowEvent) bool {
	s := ev.Spec
	return m.flags&update != 0 &&
		(m.table == pipeline.TableAll || m.table == s.Table) &&
		(s.Inst.OutputsTo(m.outPort) || ev.OldInst != nil && ev.OldInst.OutputsTo(m.outPort)) &&
		s.Inst.OutputsToGroup(m.outGroup) &&
		m.match.Covers(&s.Match)
}

// monitorState is a connection's monitors (guarded by Server.monMu).
type monitorState struct {
	byID map[uint32]*flowMonitor
	// pausedAt is when the monitors paused (monotonic ns; 0: flowing):
	// OVS's monitor_paused, with flow times for its sequence numbers (a
	// flow created or modified at pausedAt or before was reported).
	pausedAt int64
}

// flowModOrigin is a flow-mod's pipeline.FlowMod.Origin: the connection
// and xid, for abbreviated updates.
type flowModOrigin struct {
	c   *conn
	xid uint32
}

// monitors is the server's flow monitor registry.
type monitors struct {
	mu sync.Mutex
	n  atomic.Int64 // monitors on all connections (changed under mu)
}

// FlowEventsWanted reports whether any connection has a flow monitor
// (pipeline.FlowEventSink). The pipeline asks under its own lock: this
// takes none, so a flow-mod never waits behind a monitor's reply.
func (s *Server) FlowEventsWanted() bool { return s.mon.n.Load() > 0 }

// FlowEvents sends the updates of one change of the flow tables to the
// connections whose monitors select them (pipeline.FlowEventSink): one
// OFPMP_FLOW_MONITOR reply per connection, xid 0, as OVS's ofmonitor_report
// and ofmonitor_flush.
func (s *Server) FlowEvents(evs []pipeline.FlowEvent) {
	s.mon.mu.Lock()
	defer s.mon.mu.Unlock()
	for _, c := range s.snapshot() {
		if len(c.mon.byID) == 0 {
			continue
		}
		version := c.version()
		var w *mpBuilder
		sentAbbrev := false
		for i := range evs {
			ev := &evs[i]
			var update uint16
			switch ev.Kind {
			case pipeline.FlowEventAdded:
				update = fmfAdd
			case pipeline.FlowEventRemoved:
				update = fmfRemoved
			case pipeline.FlowEventModified:
				update = fmfModify
			default:
				continue
			}
			paused := c.mon.pausedAt != 0
			if paused && (ev.Kind != pipeline.FlowEventRemoved || ev.Created > c.mon.pausedAt) {
				// Paused: only the removal of flows added before.
				continue
			}
			var flags uint16
			for _, m := range c.mon.byID {
				if m.selects(update, ev) {
					flags |= m.flags
				}
			}
			if flags == 0 {
				continue
			}
			if w == nil {
				w = newMPBuilder(monitorReplyHeader(version, 0))
			}
			o, _ := ev.Origin.(flowModOrigin)
			if flags&fmfOnlyOwn != 0 || o.c != c || paused {
				reason := uint8(0)
				if ev.Kind == pipeline.FlowEventRemoved {
					reason = ev.Reason
				}
				w.add(encodeFlowUpdateFull(version, ev.Kind, reason, ev.Spec, flags&fmfInstructions != 0))
			} else if !sentAbbrev {
				w.add(encodeFlowUpdateAbbrev(version, o.xid))
				sentAbbrev = true
			}
		}
		if w != nil {
			for _, b := range w.done() {
				c.enqueue(b, false)
			}
			s.checkMonitorPause(c)
		}
	}
}

// checkMonitorPause pauses c's monitors when its queue holds more than
// monitorPauseBytes (OVS's ofmonitor_flush): an OFPFME_PAUSED update, and
// from then on only removals of older flows until the queue empties
// (resumeMonitors). Call with s.mon.mu held.
func (s *Server) checkMonitorPause(c *conn) {
	if c.mon.pausedAt != 0 || c.queued.Load() <= monitorPauseBytes {
		return
	}
	c.mon.pausedAt = max(s.now(), 1)
	c.enqueue(encodeMonitorPause(c.version(), fmePaused), false)
}

// monitorsPaused reports whether c's monitors are paused.
func (c *conn) monitorsPaused() bool {
	c.srv.mon.mu.Lock()
	defer c.srv.mon.mu.Unlock()
	return c.mon.pausedAt != 0
}

// resumeMonitors resumes c's paused monitors once its queue has emptied
// (OVS's ofmonitor_resume): the flows added or modified since the pause,
// as ADDED or MODIFIED updates, then RESUMED in a message of its own.
func (c *conn) resumeMonitors() {
	s := c.srv
	s.mon.mu.Lock()
	defer s.mon.mu.Unlock()
	since := c.mon.pausedAt
	if since == 0 {
		return
	}
	now := s.now()
	version := c.version()
	w := newMPBuilder(monitorReplyHeader(version, 0))
	flows := s.cfg.Datapath.Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, now)
	for i := range flows {
		fs := &flows[i]
		var update uint16
		switch {
		case fs.Created > since:
			update = fmfAdd | fmfModify
		case fs.Modified > since:
			update = fmfModify
		default:
			continue
		}
		var flags uint16
		ev := pipeline.FlowEvent{Spec: &fs.Spec}
		for _, m := range c.mon.byID {
			if m.flags&update != 0 && m.selects(m.flags, &ev) {
				flags |= update | m.flags&fmfInstructions
			}
		}
		if flags == 0 {
			continue
		}
		kind := uint8(pipeline.FlowEventModified)
		if flags&fmfAdd != 0 {
			kind = pipeline.FlowEventAdded
		}
		w.add(encodeFlowUpdateFull(version, kind, 0, &fs.Spec, flags&fmfInstructions != 0))
	}
	for _, b := range w.done() {
		c.enqueue(b, false)
	}
	c.enqueue(encodeMonitorPause(version, fmeResumed), false)
	c.mon.pausedAt = 0
}

// dropMonitors forgets a closed connection's monitors.
func (c *conn) dropMonitors() {
	s := c.srv
	s.mon.mu.Lock()
	defer s.mon.mu.Unlock()
	s.mon.n.Add(-int64(len(c.mon.byID)))
	c.mon.byID = nil
}

// monitorReplyHeader is the header of a flow monitor reply (a request's
// answer, xid 0 for updates) in version: NXST_FLOW_MONITOR in 1.0,
// ONFST_FLOW_MONITOR in 1.3, OFPMP_FLOW_MONITOR from 1.4 on.
func monitorReplyHeader(version uint8, xid uint32) []byte {
	switch version {
	case Version10:
		return nxstHeader10(xid, NXSTFlowMonitor)
	case Version13:
		return newMsg(Version13, Type13MultipartReply, xid, 16).u16(MPExperimenter).u16(0).zeros(4).u32(nxm.ONFVendorID).u32(onfFlowMonitor).b
	}
	return mpHeader13(version, xid, MPFlowMonitor)
}

// encodeMonitorPause is the message that tells a connection its monitors
// paused or resumed (fmePaused, fmeResumed; OVS's
// ofputil_encode_flow_monitor_pause): NXT_FLOW_MONITOR_PAUSED/RESUMED in
// 1.0, ONFT_FLOW_MONITOR_PAUSED/RESUMED in 1.3, an OFPMP_FLOW_MONITOR reply
// with one ofp_flow_update_paused from 1.4 on. Its xid is 0.
func encodeMonitorPause(version uint8, event uint16) []byte {
	switch version {
	case Version10:
		sub := uint32(nxtFlowMonitorPaused)
		if event == fmeResumed {
			sub = nxtFlowMonitorResumed
		}
		return newMsg(Version10, TypeVendor, 0, 8).u32(nxm.NXVendorID).u32(sub).done()
	case Version13:
		sub := uint32(onftFlowMonitorPaused)
		if event == fmeResumed {
			sub = onftFlowMonitorResumed
		}
		return newMsg(Version13, TypeVendor, 0, 8).u32(nxm.ONFVendorID).u32(sub).done()
	}
	m := &msg{b: mpHeader13(version, 0, MPFlowMonitor)}
	return m.bytes(encodeFlowUpdateShort(event, 0)).done()
}

// encodeFlowUpdateAbbrev is an abbreviated update for the flow-mod with
// xid: ofp_flow_update_abbrev, or Nicira's nx_flow_update_abbrev in 1.0
// and 1.3 (event NXFME_ABBREV).
func encodeFlowUpdateAbbrev(version uint8, xid uint32) []byte {
	if version == Version10 || version == Version13 {
		return encodeFlowUpdateShort(nxfmeAbbrev, xid)
	}
	return encodeFlowUpdateShort(fmeAbbrev, xid)
}

// encodeFlowUpdateFull is an update with the flow: an ofp_flow_update_full
// from 1.4 on, Nicira's nx_flow_update_full in 1.0 (an nx_match, OpenFlow
// 1.0 actions) and 1.3 (an OXM match, 1.3 instructions). event is an
// OFPFME_* (initial, added, removed, modified).
func encodeFlowUpdateFull(version, event, reason uint8, s *pipeline.FlowSpec, instructions bool) []byte {
	if version == Version10 || version == Version13 {
		return encodeNXFlowUpdateFull(version, event, reason, s, instructions)
	}
	match := nxm.EncodeOXMMatchVersion(version, &s.Match)
	var inst []byte
	if instructions {
		var err error
		if inst, err = nxm.EncodeFlowInstructionsVersion(version, &s.Match, &s.Inst); err != nil {
			inst = nil
		}
	}
	m := &msg{b: make([]byte, 0, 24+len(match)+len(inst))}
	m.u16(uint16(24 + len(match) + len(inst))).u16(uint16(event))
	m.u8(s.Table).u8(reason).u16(s.IdleTimeout).u16(s.HardTimeout).u16(s.Priority).zeros(4).u64(s.Cookie)
	m.bytes(match).bytes(inst)
	return m.b
}

// encodeNXFlowUpdateFull is an nx_flow_update_full (OVS's
// ofputil_append_flow_update for OpenFlow 1.0 to 1.3): match_len is the
// nx_match's length in 1.0 and the ofp11 match's (header and fields,
// without padding) in 1.3.
func encodeNXFlowUpdateFull(version, event, reason uint8, s *pipeline.FlowSpec, instructions bool) []byte {
	var match, acts []byte
	var matchLen int
	if version == Version10 {
		nx := nxm.EncodeNXMatch(&s.Match)
		matchLen = len(nx)
		match = append(nx, make([]byte, pad8(matchLen)-matchLen)...)
	} else {
		match = nxm.EncodeOXMMatchVersion(version, &s.Match)
		matchLen = int(binary.BigEndian.Uint16(match[2:]))
	}
	if instructions {
		var err error
		if version == Version10 {
			acts, err = nxm.EncodeFlowActions(version, &s.Match, actions10(&s.Inst))
		} else {
			acts, err = nxm.EncodeFlowInstructionsVersion(version, &s.Match, &s.Inst)
		}
		if err != nil {
			acts = nil
		}
	}
	nxEvent := uint16(nxfmeAdded)
	switch event {
	case pipeline.FlowEventRemoved:
		nxEvent = nxfmeDeleted
	case pipeline.FlowEventModified:
		nxEvent = nxfmeModified
	}
	m := &msg{b: make([]byte, 0, 24+len(match)+len(acts))}
	m.u16(uint16(24 + len(match) + len(acts))).u16(nxEvent)
	m.u16(uint16(reason)).u16(s.Priority).u16(s.IdleTimeout).u16(s.HardTimeout)
	m.u16(uint16(matchLen)).u8(s.Table).u8(0).u64(s.Cookie)
	m.bytes(match).bytes(acts)
	return m.b
}

// encodeFlowUpdateShort is an ofp_flow_update_abbrev (xid) or
// ofp_flow_update_paused (for PAUSED and RESUMED, xid 0).
func encodeFlowUpdateShort(event uint16, xid uint32) []byte {
	return (&msg{}).u16(8).u16(event).u32(xid).b
}

// decodeFlowMonitorRequest14 decodes one ofp14_flow_monitor_request at
// the start of b and returns its length, with OVS 3.1's checks in OVS's
// order (ofputil_decode_flow_monitor_request): a delete takes only the id
// (and a match, which must be there); the others need one of add, removed
// or modify and no flag beyond initial, add, removed, modify, instructions
// and only_own (no_abbrev is refused too, OFPMOFC_BAD_FLAGS).
func decodeFlowMonitorRequest14(b []byte, tab *packet.TLVTable) (*flowMonitor, int, error) {
	if len(b) < 16 {
		return nil, 0, errBadLen
	}
	m := &flowMonitor{
		id:       binary.BigEndian.Uint32(b),
		outPort:  binary.BigEndian.Uint32(b[4:]),
		outGroup: binary.BigEndian.Uint32(b[8:]),
		flags:    binary.BigEndian.Uint16(b[12:]),
		table:    b[14],
		command:  b[15],
	}
	if m.command != fmcDelete {
		const ok = fmfInitial | fmfAdd | fmfRemoved | fmfModify | fmfInstructions | fmfOnlyOwn
		if m.flags&(fmfAdd|fmfRemoved|fmfModify) == 0 || m.flags&^ok != 0 {
			return nil, 0, errMonitorBadFlags
		}
		if err := checkPort11(m.outPort); err != nil {
			return nil, 0, err
		}
	}
	if len(b) < 20 {
		return nil, 0, errMatchBadLen
	}
	match, n, err := nxm.DecodeOXMMatchTLV(b[16:], tab)
	if err != nil {
		return nil, 0, err
	}
	m.match = match
	return m, 16 + n, nil
}

// nxFlowMonitorFlags checks Nicira's (and ONF's) NXFMF_* flags as OVS 3.1
// does (one of add, delete or modify; nothing beyond initial, add, delete,
// modify, actions and own: OFPMOFC_BAD_FLAGS) and returns them as OpenFlow
// 1.4's (nx_to_ofp_flow_monitor_flags).
func nxFlowMonitorFlags(f uint16) (uint16, error) {
	const ok = fmfInitial | fmfAdd | fmfRemoved | fmfModify | fmfInstructions | nxfmfOwn
	if f&(fmfAdd|fmfRemoved|fmfModify) == 0 || f&^ok != 0 {
		return 0, errMonitorBadFlags
	}
	return f&^nxfmfOwn | (f&nxfmfOwn)<<1, nil
}

// decodeFlowMonitorRequestNX decodes one nx_flow_monitor_request (NXST_FLOW_MONITOR,
// OpenFlow 1.0) at the start of b, in OVS 3.1's order: length, flags, the
// zero bytes (NXBRC_MUST_BE_ZERO), then the nx_match of match_len bytes
// padded to 8. Its command is always add; out_port is 16-bit (no check).
func decodeFlowMonitorRequestNX(b []byte, tab *packet.TLVTable) (*flowMonitor, int, error) {
	if len(b) < 16 {
		return nil, 0, errBadLen
	}
	flags, err := nxFlowMonitorFlags(binary.BigEndian.Uint16(b[4:]))
	if err != nil {
		return nil, 0, err
	}
	if !allZero(b[11:16]) {
		return nil, 0, errMustBeZero
	}
	m := &flowMonitor{
		id:       binary.BigEndian.Uint32(b),
		command:  fmcAdd,
		flags:    flags,
		outPort:  nxm.PortFrom16(binary.BigEndian.Uint16(b[6:])),
		outGroup: pipeline.GroupAny,
		table:    b[10],
	}
	r := reader{b: b[16:]}
	nx, err := takeNXMatch(&r, int(binary.BigEndian.Uint16(b[8:])))
	if err != nil {
		return nil, 0, err
	}
	if m.match, err = nxm.DecodeNXMatchTLV(nx, tab); err != nil {
		return nil, 0, err
	}
	return m, 16 + r.off, nil
}

// decodeFlowMonitorRequestONF decodes one onf_flow_monitor_request
// (ONFST_FLOW_MONITOR, OpenFlow 1.3) at the start of b, in OVS 3.1's
// order: length, flags (Nicira's), the zero bytes, out_port (a 32-bit
// port, checked as 1.1+ ports are), then an ofp11 OXM match (its
// match_len field is not looked at, as in OVS).
func decodeFlowMonitorRequestONF(b []byte, tab *packet.TLVTable) (*flowMonitor, int, error) {
	if len(b) < 16 {
		return nil, 0, errBadLen
	}
	flags, err := nxFlowMonitorFlags(binary.BigEndian.Uint16(b[4:]))
	if err != nil {
		return nil, 0, err
	}
	if !allZero(b[13:16]) {
		return nil, 0, errMustBeZero
	}
	m := &flowMonitor{
		id:       binary.BigEndian.Uint32(b),
		command:  fmcAdd,
		flags:    flags,
		outPort:  binary.BigEndian.Uint32(b[8:]),
		outGroup: pipeline.GroupAny,
		table:    b[12],
	}
	if err := checkPort11(m.outPort); err != nil {
		return nil, 0, err
	}
	if len(b) < 20 {
		return nil, 0, errMatchBadLen
	}
	match, n, err := nxm.DecodeOXMMatchTLV(b[16:], tab)
	if err != nil {
		return nil, 0, err
	}
	m.match = match
	return m, 16 + n, nil
}

// flowMonitorDecoder decodes one flow monitor request of a version's
// wire form at the start of b and returns its length.
type flowMonitorDecoder func(b []byte, tab *packet.TLVTable) (*flowMonitor, int, error)

// flowMonitorStats answers an OFPMP_FLOW_MONITOR request.
func flowMonitorStats(c *conn, _ *codec, r *statsRequest) error {
	return flowMonitorRequest(c, r, decodeFlowMonitorRequest14)
}

// cancelFlowMonitor is NXT_FLOW_MONITOR_CANCEL and
// ONFT_FLOW_MONITOR_CANCEL (body: the monitor's id; any other length is
// OFPBRC_BAD_LEN): the monitor goes, or OFPMOFC_UNKNOWN_MONITOR.
func (c *conn) cancelFlowMonitor(body []byte) error {
	if len(body) != 4 {
		return errBadLen
	}
	id := binary.BigEndian.Uint32(body)
	s := c.srv
	s.mon.mu.Lock()
	defer s.mon.mu.Unlock()
	if c.mon.byID[id] == nil {
		return errMonitorUnknown
	}
	delete(c.mon.byID, id)
	s.mon.n.Add(-1)
	return nil
}

// flowMonitorRequest answers a flow monitor request (OVS's
// handle_flow_monitor_request): its monitors are added, modified (replaced)
// and deleted in order; on the first error the monitors it added are
// removed again (a modified or deleted one stays as it was made), and the
// error is the answer. Otherwise the reply holds the initial flows of the
// monitors it added or modified with the initial flag.
func flowMonitorRequest(c *conn, r *statsRequest, decode flowMonitorDecoder) error {
	s := c.srv
	tab := s.tlv.table()
	s.mon.mu.Lock()
	var added []*flowMonitor
	fail := func(err error) error {
		for _, m := range added {
			if c.mon.byID[m.id] == m {
				delete(c.mon.byID, m.id)
				s.mon.n.Add(-1)
			}
		}
		s.mon.mu.Unlock()
		return err
	}
	body := r.body
	for len(body) > 0 {
		m, n, err := decode(body, tab)
		if err != nil {
			return fail(err)
		}
		body = body[n:]
		if m.command != fmcDelete && m.table != pipeline.TableAll && m.table >= s.cfg.NumTables {
			return fail(errBadTableID)
		}
		old := c.mon.byID[m.id]
		switch m.command {
		case fmcAdd, fmcModify:
			if m.command == fmcAdd && old != nil {
				return fail(errMonitorExists)
			}
			if m.command == fmcModify {
				if old == nil {
					return fail(errMonitorUnknown)
				}
				delete(c.mon.byID, m.id)
				s.mon.n.Add(-1)
			}
			if c.mon.byID == nil {
				c.mon.byID = map[uint32]*flowMonitor{}
			}
			c.mon.byID[m.id] = m
			s.mon.n.Add(1)
			added = append(added, m)
		case fmcDelete:
			if old == nil {
				return fail(errMonitorUnknown)
			}
			delete(c.mon.byID, m.id)
			s.mon.n.Add(-1)
		}
		// (another command does nothing, as in OVS)
	}
	w := c.newMPWriter(r.reply)
	var initial []*flowMonitor
	for _, m := range added {
		if m.flags&fmfInitial != 0 && c.mon.byID[m.id] == m {
			initial = append(initial, m)
		}
	}
	if len(initial) > 0 {
		flows := s.cfg.Datapath.Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, r.now)
		for i := range flows {
			fs := &flows[i]
			ev := pipeline.FlowEvent{Spec: &fs.Spec}
			var flags uint16
			for _, m := range initial {
				if (m.table == pipeline.TableAll || m.table == fs.Spec.Table) && m.selects(m.flags, &ev) {
					flags |= m.flags
				}
			}
			if flags != 0 {
				w.add(encodeFlowUpdateFull(c.version(), fmeInitial, 0, &fs.Spec, flags&fmfInstructions != 0))
			}
		}
	}
	w.finish() // before any update that follows
	s.mon.mu.Unlock()
	return nil
}

// mpBuilder builds a multipart reply split into messages of at most
// MaxMessageLen, each entry whole (MORE on all but the last), for
// asynchronous replies that are queued rather than sent as replies.
type mpBuilder struct {
	hdr  []byte
	msgs []*msg
}

// newMPBuilder starts a reply whose messages start with hdr (the first
// message begins with the first entry: a reply without entries is none).
func newMPBuilder(hdr []byte) *mpBuilder {
	return &mpBuilder{hdr: hdr}
}

func (w *mpBuilder) next() {
	m := &msg{b: make([]byte, len(w.hdr), 1024)}
	copy(m.b, w.hdr)
	w.msgs = append(w.msgs, m)
}

func (w *mpBuilder) add(e []byte) {
	if len(w.hdr)+len(e) > MaxMessageLen {
		return
	}
	if len(w.msgs) == 0 {
		w.next()
	}
	cur := w.msgs[len(w.msgs)-1]
	if cur.len()+len(e) > MaxMessageLen {
		cur.put16(10, binary.BigEndian.Uint16(cur.b[10:])|mpMore)
		w.next()
		cur = w.msgs[len(w.msgs)-1]
	}
	cur.bytes(e)
}

func (w *mpBuilder) done() [][]byte {
	out := make([][]byte, len(w.msgs))
	for i, m := range w.msgs {
		out[i] = m.done()
	}
	return out
}
