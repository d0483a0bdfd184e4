package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// handle processes one message (after the hello) and sends its replies or
// an OFPT_ERROR. It runs on the connection's reader goroutine, so a
// connection's requests are processed in order.
func (c *conn) handle(b []byte) {
	h := ParseHeader(b)
	v := c.version()
	if h.Version != v {
		c.replyError(v, h.Xid, errBadVersion, b)
		return
	}
	cd := codecFor(v)
	if err := c.dispatch(cd, h, b); err != nil {
		c.replyError(v, h.Xid, asOFError(err), b)
	}
}

// requestHandler answers one kind of request in every version.
type requestHandler struct {
	// write is set for requests that change the switch: a slave's are
	// refused (OFPBRC_IS_SLAVE) before anything else is checked, as by
	// OVS's reject_slave_controller.
	write bool
	fn    func(c *conn, cd *codec, h Header, b []byte) error
}

// requestHandlers answers each kind of request.
var requestHandlers = [...]requestHandler{
	kindEchoReply:             {fn: func(*conn, *codec, Header, []byte) error { return nil }},
	kindEchoRequest:           {fn: handleEchoRequest},
	kindExperimenter:          {fn: (*conn).handleVendor},
	kindFeaturesRequest:       {fn: handleFeaturesRequest},
	kindGetConfigRequest:      {fn: handleGetConfigRequest},
	kindSetConfig:             {fn: handleSetConfig},
	kindPacketOut:             {write: true, fn: handlePacketOut},
	kindFlowMod:               {write: true, fn: handleFlowMod},
	kindGroupMod:              {write: true, fn: handleGroupMod},
	kindPortMod:               {write: true, fn: handlePortMod},
	kindTableMod:              {write: true, fn: handleTableMod},
	kindStatsRequest:          {fn: (*conn).handleStats},
	kindBarrierRequest:        {fn: handleBarrier},
	kindQueueGetConfigRequest: {fn: handleQueueGetConfig},
	kindRoleRequest:           {fn: handleRoleRequest},
	kindGetAsyncRequest:       {fn: handleGetAsync},
	kindSetAsync:              {fn: handleSetAsync},
	kindMeterMod:              {write: true, fn: handleMeterMod},
	kindBundleControl:         {fn: handleBundleControl},
	kindBundleAdd:             {fn: handleBundleAdd},
}

// dispatch decodes and answers one request of cd's version.
func (c *conn) dispatch(cd *codec, h Header, b []byte) error {
	k := cd.requestKind(h.Type)
	if k == kindNone || int(k) >= len(requestHandlers) || requestHandlers[k].fn == nil {
		return errBadType
	}
	rh := &requestHandlers[k]
	if rh.write {
		if err := c.rejectSlave(); err != nil {
			return err
		}
	}
	return rh.fn(c, cd, h, b)
}

// requireLen checks that a fixed-size message is exactly n bytes.
func requireLen(b []byte, n int) error {
	if len(b) != n {
		return errBadLen
	}
	return nil
}

func (c *conn) rejectSlave() error {
	c.mu.Lock()
	role := c.st.role
	c.mu.Unlock()
	if role == roleSlave {
		return errIsSecondary
	}
	return nil
}

func handleEchoRequest(c *conn, _ *codec, _ Header, b []byte) error {
	c.reply(echoReply(b))
	return nil
}

func handleFeaturesRequest(c *conn, cd *codec, h Header, b []byte) error {
	if err := requireLen(b, HeaderLen); err != nil {
		return err
	}
	c.reply(cd.encodeFeaturesReply(c.srv, h.Xid))
	return nil
}

func handleGetConfigRequest(c *conn, _ *codec, h Header, b []byte) error {
	if err := requireLen(b, HeaderLen); err != nil {
		return err
	}
	c.reply(c.getConfigReply(h))
	return nil
}

func handleSetConfig(c *conn, cd *codec, _ Header, b []byte) error { return c.setConfig(cd, b) }

func handlePacketOut(c *conn, cd *codec, _ Header, b []byte) error { return c.packetOut(cd, b) }

func handleFlowMod(c *conn, cd *codec, h Header, b []byte) error {
	req, err := cd.decodeFlowMod(b, c.state().flowModTableID, c.srv.tlv.table())
	if err != nil {
		return err
	}
	req.fm.Origin = flowModOrigin{c, h.Xid}
	return c.flowMod(req)
}

func handleGroupMod(c *conn, cd *codec, _ Header, b []byte) error {
	gm, err := cd.decodeGroupMod(b, c.srv.tlv.looseTable())
	if err != nil {
		return err
	}
	return c.srv.applyGroupMod(gm)
}

func handlePortMod(c *conn, cd *codec, _ Header, b []byte) error {
	pm, err := cd.decodePortMod(b)
	if err != nil {
		return err
	}
	return c.srv.portMod(pm)
}

func handleBarrier(c *conn, cd *codec, h Header, b []byte) error {
	if err := requireLen(b, HeaderLen); err != nil {
		return err
	}
	c.reply(newMsg(cd.version, cd.barrierReply, h.Xid, 0).done())
	return nil
}

func handleQueueGetConfig(c *conn, cd *codec, h Header, b []byte) error {
	port, err := cd.decodeQueueGetConfig(b)
	if err != nil {
		return err
	}
	if err := c.srv.checkQueuePort(port); err != nil {
		return err
	}
	c.reply(cd.encodeQueueGetConfigReply(h.Xid, port))
	return nil
}

func handleRoleRequest(c *conn, cd *codec, h Header, b []byte) error {
	rr, err := cd.decodeRoleRequest(b)
	if err != nil {
		return err
	}
	return c.roleRequest(h, rr)
}

// handleGetAsync answers OFPT_GET_ASYNC_REQUEST in cd's form.
func handleGetAsync(c *conn, cd *codec, h Header, b []byte) error {
	if err := requireLen(b, HeaderLen); err != nil {
		return err
	}
	st := c.state()
	c.reply(cd.encodeGetAsyncReply(h.Xid, &st.async))
	return nil
}

// handleSetAsync applies OFPT_SET_ASYNC in cd's form.
func handleSetAsync(c *conn, cd *codec, _ Header, b []byte) error {
	a := c.state().async
	if err := cd.decodeSetAsync(b, &a); err != nil {
		return err
	}
	c.mu.Lock()
	c.st.async = a
	c.asyncSetLocked()
	c.mu.Unlock()
	return nil
}

func handleTableMod(c *conn, cd *codec, _ Header, b []byte) error {
	tm, err := cd.decodeTableMod(b)
	if err != nil {
		return err
	}
	table := tm.table
	if table != pipeline.TableAll && table >= c.srv.cfg.NumTables {
		// OVS's tables past n_tables are hidden and read-only.
		return pipeline.NewError(pipeline.OFPTMFC_EPERM)
	}
	// 1.4+'s eviction flag turns eviction on or off (OVS's
	// EVICTION_OPENFLOW). The rest of the table config (1.1-1.2 miss
	// behaviour, deprecated in 1.3; 1.4's vacancy events) is accepted and
	// ignored.
	switch tm.eviction {
	case evictionOn:
		c.srv.cfg.Datapath.SetTableEviction(table, true)
	case evictionOff:
		c.srv.cfg.Datapath.SetTableEviction(table, false)
	}
	return nil
}

// tableMod is a decoded table-mod (OVS's ofputil_table_mod, the parts
// gswitch uses).
type tableMod struct {
	table    uint8
	eviction uint32 // evictionDefault (no change), evictionOn, evictionOff; other values: no change
}

// OVS's enum ofputil_table_eviction.
const (
	evictionDefault = 0
	evictionOn      = 1
	evictionOff     = 2
)

func echoReply(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	out[1] = TypeEchoReply
	return out
}

// checkQueuePort validates the port of a queue config request.
func (s *Server) checkQueuePort(port uint32) error {
	if port == pipeline.PortAny {
		return nil
	}
	for _, p := range s.ports() {
		if p.No == port {
			return nil
		}
	}
	return errQueueBadPort
}

// capabilities as OVS reports them.
const (
	caps13 = 0x1 | 0x2 | 0x4 | 0x8 | 0x40  // FLOW, TABLE, PORT, GROUP, QUEUE stats
	caps10 = 0x1 | 0x2 | 0x4 | 0x40 | 0x80 // FLOW, TABLE, PORT, QUEUE stats, ARP_MATCH_IP
	// OpenFlow 1.0 actions bitmap: output ... mod_tp_dst, enqueue.
	actions10Bitmap = 0xfff
)

// encodeFeatures13 is an OpenFlow 1.3 OFPT_FEATURES_REPLY (ports are in
// OFPMP_PORT_DESC).
func encodeFeatures13(s *Server, xid uint32) []byte {
	m := newMsg(Version13, TypeFeaturesReply, xid, 24)
	m.u64(s.dpid.Load()).u32(0).u8(s.cfg.NumTables).u8(0).zeros(2)
	m.u32(caps13).u32(0)
	return m.done()
}

// encodeFeatures10 is an OpenFlow 1.0 OFPT_FEATURES_REPLY with the ports.
func encodeFeatures10(s *Server, xid uint32) []byte {
	ps := s.ports()
	m := newMsg(Version10, TypeFeaturesReply, xid, 24+48*len(ps))
	m.u64(s.dpid.Load()).u32(0).u8(s.cfg.NumTables).zeros(3)
	m.u32(caps10).u32(actions10Bitmap)
	for i := range ps {
		if m.len()+48 > MaxMessageLen {
			break
		}
		encodePort10(m, &ps[i])
	}
	return m.done()
}

func (c *conn) getConfigReply(h Header) []byte {
	st := c.state()
	flags := uint16(c.srv.fragMode.Load()) | st.configFlags
	return newMsg(h.Version, TypeGetConfigReply, h.Xid, 4).u16(flags).u16(st.missSendLen).done()
}

func (c *conn) setConfig(cd *codec, b []byte) error {
	if err := requireLen(b, HeaderLen+4); err != nil {
		return err
	}
	flags := binary.BigEndian.Uint16(b[8:])
	msl := binary.BigEndian.Uint16(b[10:])
	if flags&^cd.configFlags != 0 {
		return pipeline.NewError(pipeline.OFPSCFC_BAD_FLAGS)
	}
	// Fragment handling is the switch's (as in OVS): normal, drop and
	// nx-match are kept; reassembly is not offered and is ignored.
	if frag := flags & 3; frag != 2 {
		c.srv.fragMode.Store(uint32(frag))
	}
	c.mu.Lock()
	c.st.configFlags = flags & 4
	c.st.missSendLen = msl
	c.mu.Unlock()
	return nil
}

// flowMod applies a decoded flow-mod.
func (c *conn) flowMod(req *flowModRequest) error {
	if t := req.fm.Spec.Table; t != pipeline.TableAll && t >= c.srv.cfg.NumTables {
		return errEPerm // a hidden, read-only table (OVS's table 254)
	}
	if err := c.srv.cfg.Datapath.FlowMod(&req.fm, c.srv.now()); err != nil {
		return err
	}
	if req.bufferID != noBuffer && req.fm.Command != pipeline.FlowDelete && req.fm.Command != pipeline.FlowDeleteStrict {
		// gswitch buffers no packets (n_buffers is 0): the flow was
		// installed, but the buffered packet does not exist.
		return errBadBuffer
	}
	return nil
}

// packetOut decodes and executes an OFPT_PACKET_OUT of cd's version (the
// caller has checked the role).
func (c *conn) packetOut(cd *codec, b []byte) error {
	po, err := cd.decodePacketOut(b, c.srv.tlv.looseTable())
	if err != nil {
		return err
	}
	if po.bufferID != noBuffer {
		return errBadBuffer
	}
	f := make([]byte, len(po.frame))
	copy(f, po.frame)
	return c.srv.cfg.Datapath.PacketOut(po.inPort, po.actions, f, c.srv.now())
}

// packetOutRequest is a decoded OFPT_PACKET_OUT (OVS's ofputil_packet_out).
type packetOutRequest struct {
	bufferID uint32
	inPort   uint32
	actions  []pipeline.Action
	frame    []byte // the packet, within the request
}

// decodePacketOut10 decodes an ofp10_packet_out.
func decodePacketOut10(b []byte, tab *packet.TLVTable) (*packetOutRequest, error) {
	r := reader{b: b, off: HeaderLen}
	bufferID := r.u32()
	inPort := nxm.PortFrom16(r.u16())
	acts := r.take(int(r.u16()))
	if r.err {
		return nil, errBadLen
	}
	return finishPacketOut(Version10, bufferID, inPort, acts, r.rest(), tab)
}

// decodePacketOut13 decodes an ofp11_packet_out.
func decodePacketOut13(b []byte, tab *packet.TLVTable) (*packetOutRequest, error) {
	r := reader{b: b, off: HeaderLen}
	bufferID := r.u32()
	inPort := r.u32()
	actsLen := int(r.u16())
	r.skip(6)
	if err := checkPort11(inPort); err != nil && !r.err {
		return nil, err
	}
	acts := r.take(actsLen)
	if r.err {
		return nil, errBadLen
	}
	return finishPacketOut(Version13, bufferID, inPort, acts, r.rest(), tab)
}

// finishPacketOut checks the in_port and decodes the actions of a
// packet-out (tun_metadata fields with the bridge's TLV table tab).
func finishPacketOut(version uint8, bufferID, inPort uint32, acts, frame []byte, tab *packet.TLVTable) (*packetOutRequest, error) {
	if inPort >= pipeline.PortMax && inPort != pipeline.PortLocal && inPort != pipeline.PortAny && inPort != pipeline.PortController {
		return nil, errBadPort
	}
	actions, err := nxm.DecodeActionsTLV(version, acts, tab)
	if err != nil {
		return nil, err
	}
	return &packetOutRequest{bufferID: bufferID, inPort: inPort, actions: actions, frame: frame}, nil
}

// decodeTableMod13 returns the table of an ofp11_table_mod.
func decodeTableMod13(b []byte) (tableMod, error) {
	if err := requireLen(b, 16); err != nil {
		return tableMod{}, err
	}
	return tableMod{table: b[8]}, nil
}

// Roles.

// roleRequest is a decoded OFPT_ROLE_REQUEST or NXT_ROLE_REQUEST (OVS's
// ofputil_role_request), with the role in OpenFlow 1.3's numbering.
type roleRequest struct {
	role      uint32
	haveGenID bool // a master or slave request of OpenFlow 1.2+
	genID     uint64
	nx        bool // NXT_ROLE_REQUEST: answered with NXT_ROLE_REPLY
}

// decodeRoleRequest13 decodes an ofp12_role_request.
func decodeRoleRequest13(b []byte) (*roleRequest, error) {
	if err := requireLen(b, 24); err != nil {
		return nil, err
	}
	role := binary.BigEndian.Uint32(b[8:])
	if role > roleSlave {
		return nil, errBadRole
	}
	return &roleRequest{
		role:      role,
		haveGenID: role == roleMaster || role == roleSlave,
		genID:     binary.BigEndian.Uint64(b[16:]),
	}, nil
}

// decodeNXRoleRequest decodes an nx_role_request (any version).
func decodeNXRoleRequest(b []byte) (*roleRequest, error) {
	if err := requireLen(b, 20); err != nil {
		return nil, err
	}
	rr := &roleRequest{nx: true}
	switch binary.BigEndian.Uint32(b[16:]) {
	case 0:
		rr.role = roleEqual
	case 1:
		rr.role = roleMaster
	case 2:
		rr.role = roleSlave
	default:
		return nil, errBadRole
	}
	return rr, nil
}

// roleRequest applies a role request and answers with the connection's role.
func (c *conn) roleRequest(h Header, rr *roleRequest) error {
	if rr.role != roleNoChange {
		if rr.haveGenID && !c.srv.setGenerationID(rr.genID) {
			return errStaleRole
		}
		c.srv.setRole(c, rr.role)
	}
	cur := c.state().role
	if rr.nx {
		nx := uint32(0)
		switch cur {
		case roleMaster:
			nx = 1
		case roleSlave:
			nx = 2
		}
		c.reply(nxMsg(h.Version, h.Xid, NXTRoleReply, 4).u32(nx).done())
		return nil
	}
	g, ok := c.srv.generationID()
	if !ok {
		g = ^uint64(0) // no generation id yet: OVS sends UINT64_MAX
	}
	c.reply(newMsg(h.Version, Type13RoleReply, h.Xid, 16).u32(cur).zeros(4).u64(g).done())
	return nil
}

// setGenerationID accepts id unless it is older than the current one
// (OpenFlow 1.2+ role generation ids, compared with wraparound).
func (s *Server) setGenerationID(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.genIDSet && int64(id-s.genID) < 0 {
		return false
	}
	s.genID, s.genIDSet = id, true
	return true
}

func (s *Server) generationID() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.genID, s.genIDSet
}

// setRole sets c's role; a new master demotes the others to slave.
func (s *Server) setRole(c *conn, role uint32) {
	if role == roleMaster {
		for _, o := range s.snapshot() {
			if o == c {
				continue
			}
			o.mu.Lock()
			if o.st.role == roleMaster {
				o.st.role = roleSlave
			}
			o.mu.Unlock()
		}
	}
	c.mu.Lock()
	c.st.role = role
	c.mu.Unlock()
}

// Asynchronous configuration.

// encodeGetAsyncReply13 is an ofp13_async_config.
func encodeGetAsyncReply13(xid uint32, a *asyncConfig) []byte {
	m := newMsg(Version13, Type13GetAsyncReply, xid, 24)
	for k := 0; k < 3; k++ {
		m.u32(a[k][0]).u32(a[k][1])
	}
	return m.done()
}

// decodeSetAsync13 decodes an OFPT_SET_ASYNC of OpenFlow 1.3 into a.
func decodeSetAsync13(b []byte, a *asyncConfig) error {
	if err := requireLen(b, HeaderLen+24); err != nil {
		return err
	}
	for k := 0; k < 3; k++ {
		a[k][0] = binary.BigEndian.Uint32(b[HeaderLen+k*8:])
		a[k][1] = binary.BigEndian.Uint32(b[HeaderLen+k*8+4:])
	}
	return nil
}

// setAsync applies a struct ofp13_async_config / nx_async_config body
// (packet_in, port_status, flow_removed; each [master, slave]).
func (c *conn) setAsync(body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := 0; k < 3; k++ {
		c.st.async[k][0] = binary.BigEndian.Uint32(body[k*8:])
		c.st.async[k][1] = binary.BigEndian.Uint32(body[k*8+4:])
	}
	c.asyncSetLocked()
}

func (c *conn) asyncSetLocked() {
	if c.service && c.st.missSendLen == 0 {
		c.st.missSendLen = 128 // OFP_DEFAULT_MISS_SEND_LEN, as OVS
	}
}

// setAsyncProps applies NXT_SET_ASYNC_CONFIG2 properties (all twelve
// types of OpenFlow 1.4's OFPT_SET_ASYNC, with the reasons of the
// connection's version v, as OVS); nothing changes on error.
func (c *conn) setAsyncProps(props []byte, v uint8) error {
	c.mu.Lock()
	a := c.st.async
	c.mu.Unlock()
	if err := decodeAsyncProps(props, &a, v); err != nil {
		return err
	}
	c.mu.Lock()
	c.st.async = a
	c.asyncSetLocked()
	c.mu.Unlock()
	return nil
}

// nxMsg starts a Nicira vendor message.
func nxMsg(version uint8, xid uint32, subtype uint32, sizeHint int) *msg {
	return newMsg(version, TypeVendor, xid, 8+sizeHint).u32(nxm.NXVendorID).u32(subtype)
}

// handleVendor dispatches OFPT_VENDOR / OFPT_EXPERIMENTER.
func (c *conn) handleVendor(cd *codec, h Header, b []byte) error {
	if len(b) < 12 {
		return errBadLen
	}
	vendor := binary.BigEndian.Uint32(b[8:])
	switch vendor {
	case nxm.NXVendorID:
		if len(b) < 16 {
			return errBadLen
		}
		return c.handleNicira(h, b, binary.BigEndian.Uint32(b[12:]))
	case nxm.ONFVendorID:
		if h.Version != Version13 {
			return errBadVendor
		}
		if len(b) < 16 {
			return errBadLen
		}
		switch binary.BigEndian.Uint32(b[12:]) {
		case ONFTBundleControl:
			return c.bundleControl(cd, h, b)
		case ONFTBundleAddMessage:
			return c.bundleAdd(cd, h, b)
		case onfFlowMonitor: // ONFT_FLOW_MONITOR_CANCEL
			return c.cancelFlowMonitor(b[16:])
		case onftFlowMonitorPaused, onftFlowMonitorResumed:
			return errBadType // the switch's own notifications
		}
		return errBadSubtype
	}
	return errBadVendor
}

func (c *conn) handleNicira(h Header, b []byte, subtype uint32) error {
	body := b[16:]
	switch subtype {
	case NXTRoleRequest:
		rr, err := decodeNXRoleRequest(b)
		if err != nil {
			return err
		}
		return c.roleRequest(h, rr)
	case NXTSetFlowFormat:
		if h.Version != Version10 {
			return errBadSubtype
		}
		if len(body) != 4 {
			return errBadLen
		}
		switch binary.BigEndian.Uint32(body) {
		case nxFlowFormatOpenFlow10:
			c.mu.Lock()
			c.st.flowFormatNXM = false
			c.mu.Unlock()
		case nxFlowFormatNXM:
			c.mu.Lock()
			c.st.flowFormatNXM = true
			c.mu.Unlock()
		default:
			return errEPerm
		}
		return nil
	case NXTFlowMod:
		if err := c.rejectSlave(); err != nil {
			return err
		}
		if len(body) < 32 {
			return errBadLen
		}
		req, err := decodeNXFlowMod(b, h.Version, c.state().flowModTableID, c.srv.tlv.table())
		if err != nil {
			return err
		}
		req.fm.Origin = flowModOrigin{c, h.Xid}
		return c.flowMod(req)
	case nxtFlowMonitorCancel:
		if h.Version != Version10 {
			return errBadSubtype
		}
		return c.cancelFlowMonitor(body)
	case nxtFlowMonitorPaused, nxtFlowMonitorResumed:
		if h.Version != Version10 {
			return errBadSubtype
		}
		return errBadType // the switch's own notifications
	case NXTFlowModTableID:
		if len(body) != 8 {
			return errBadLen
		}
		c.mu.Lock()
		c.st.flowModTableID = body[0] != 0
		c.mu.Unlock()
		return nil
	case NXTSetPacketInFormat:
		if len(body) != 4 {
			return errBadLen
		}
		f := binary.BigEndian.Uint32(body)
		if f > nxPacketInNXT2 {
			return errEPerm
		}
		c.mu.Lock()
		c.st.packetInFormat = uint8(f)
		c.mu.Unlock()
		return nil
	case NXTFlowAge:
		if len(body) != 0 {
			return errBadLen
		}
		return nil // flow ages are always reported
	case NXTSetAsyncConfig:
		if len(body) != 24 {
			return errBadLen
		}
		c.setAsync(body)
		return nil
	case NXTSetAsyncConfig2:
		if h.Version != Version10 && h.Version != Version13 {
			return errBadSubtype
		}
		return c.setAsyncProps(body, h.Version)
	case NXTSetControllerID:
		if len(body) != 8 {
			return errBadLen
		}
		if !allZero(body[:6]) {
			return errMustBeZero
		}
		c.mu.Lock()
		c.st.controllerID = binary.BigEndian.Uint16(body[6:])
		c.mu.Unlock()
		return nil
	case NXTCtFlushZone:
		if len(body) != 8 {
			return errBadLen
		}
		return c.srv.ctFlushZone(body)
	case NXTCtFlush:
		if len(body) < 8 {
			return errBadLen
		}
		return c.srv.ctFlush(body)
	case NXTTLVTableRequest:
		if len(body) != 0 {
			return errBadLen
		}
		c.reply(c.srv.tlv.appendReply(nxMsg(h.Version, h.Xid, NXTTLVTableReply, 16)).done())
		return nil
	case NXTTLVTableMod:
		if err := c.rejectSlave(); err != nil {
			return err
		}
		if len(body) < 8 || (len(body)-8)%8 != 0 {
			return errBadLen
		}
		cmd, maps, err := decodeTLVMod(body)
		if err != nil {
			return err
		}
		dp, _ := c.srv.cfg.Datapath.(tunInUse)
		return c.srv.tlv.mod(cmd, maps, dp)
	case NXTResume:
		return c.resume(h, body)
	case NXTGroupMod:
		if h.Version != Version10 {
			return errBadSubtype
		}
		if err := c.rejectSlave(); err != nil {
			return err
		}
		gm, err := decodeNXGroupMod(b, c.srv.tlv.looseTable())
		if err != nil {
			return err
		}
		return c.srv.applyGroupMod(gm)
	}
	return errBadSubtype
}
