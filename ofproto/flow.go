package ofproto

import (
	"encoding/binary"
	"time"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

const noBuffer = 0xffffffff

// checkPort11 rejects an OpenFlow 1.1+ port number that has no 16-bit form
// (0xff00 to 0xfffffeff), as OVS's ofputil_port_from_ofp11.
func checkPort11(p uint32) error {
	if p >= 0xff00 && p < pipeline.PortMax {
		return pipeline.NewError(pipeline.OFPBAC_BAD_OUT_PORT)
	}
	return nil
}

// flowModRequest is a decoded flow-mod plus the bits that are not the
// datapath's business.
type flowModRequest struct {
	fm       pipeline.FlowMod
	bufferID uint32
}

// checkFraming is OVS's message framing check (ofpraw_check_length) for a
// message of fixed part minLen followed by a part whose length must be a
// multiple of 8 ("uint8_t[8][]" or "struct ofp11_instruction[]" in OVS's
// ofp-msgs.h): anything else is OFPBRC_BAD_LEN before the body is decoded.
// This is why OVS answers OFPBRC_BAD_LEN, not OFPBIC/OFPBAC_BAD_LEN, to a
// flow-mod whose instructions or actions are not a multiple of 8 long.
func checkFraming(b []byte, minLen int) error {
	if len(b) < minLen || (len(b)-minLen)%8 != 0 {
		return errBadLen
	}
	return nil
}

// Fixed parts of the flow-mods (header included), as OVS frames them.
const (
	flowMod13Len = HeaderLen + 40 // ofp11_flow_mod, then match and instructions
	flowMod10Len = HeaderLen + 64 // ofp10_flow_mod, then actions
	nxFlowModLen = 16 + 32        // nicira_header and nx_flow_mod, then match and actions
)

// decodeFlowMod13 decodes an OpenFlow 1.3 OFPT_FLOW_MOD (whole message).
func decodeFlowMod13(b []byte) (*flowModRequest, error) {
	return decodeFlowMod13Version(b, Version13, nil)
}

// decodeFlowMod13Version decodes an ofp11_flow_mod whose actions are of
// version (1.3, or 1.5 with its own actions).
func decodeFlowMod13Version(b []byte, version uint8, tab *packet.TLVTable) (*flowModRequest, error) {
	if err := checkFraming(b, flowMod13Len); err != nil {
		return nil, err
	}
	r := reader{b: b, off: HeaderLen}
	cookie, cookieMask := r.u64(), r.u64()
	table, cmd := r.u8(), r.u8()
	idle, hard, prio := r.u16(), r.u16(), r.u16()
	bufferID, outPort, outGroup := r.u32(), r.u32(), r.u32()
	flags := r.u16()
	r.skip(2)
	if r.err {
		return nil, errBadLen
	}
	match, n, err := nxm.DecodeOXMMatchTLV(r.b[r.off:], tab)
	if err != nil {
		return nil, err
	}
	r.skip(n)
	if r.err {
		return nil, errMatchBadLen
	}
	if err := checkPort11(outPort); err != nil {
		return nil, err
	}
	req := &flowModRequest{bufferID: bufferID}
	fm := &req.fm
	fm.Command = pipeline.FlowModCommand(cmd)
	if cmd == uint8(pipeline.FlowAdd) {
		fm.Spec.Cookie = cookie // cookie_mask is ignored for adds
	} else {
		fm.Spec.Cookie = cookie & cookieMask
		fm.CookieMask = cookieMask
	}
	if table == pipeline.TableAll && cmd != uint8(pipeline.FlowDelete) && cmd != uint8(pipeline.FlowDeleteStrict) {
		return nil, errFlowModTable
	}
	fm.Spec.Table = table
	fm.Spec.Priority = prio
	fm.Spec.IdleTimeout = idle
	fm.Spec.HardTimeout = hard
	fm.Spec.Match = match
	fm.OutPort = outPort
	fm.OutGroup = pipeline.GroupAny
	if cmd == uint8(pipeline.FlowDelete) || cmd == uint8(pipeline.FlowDeleteStrict) {
		fm.OutGroup = outGroup
	}
	if cmd > uint8(pipeline.FlowDeleteStrict) {
		return nil, errFlowModCmd
	}
	inst, err := nxm.DecodeInstructionsVersionTLV(version, r.rest(), tab)
	if err != nil {
		return nil, err
	}
	nxm.FitL4Ports(&fm.Spec.Match, inst.Apply)
	nxm.FitL4Ports(&fm.Spec.Match, inst.Write)
	fm.Spec.Inst = inst
	if flags&^0x1f != 0 {
		return nil, errBadFlags
	}
	fm.Spec.Flags = flags
	return req, nil
}

// decodeFlowMod10 decodes an OpenFlow 1.0 OFPT_FLOW_MOD. tid is whether
// NXT_FLOW_MOD_TABLE_ID is on (the command's high byte is the table).
func decodeFlowMod10(b []byte, tid bool, tab *packet.TLVTable) (*flowModRequest, error) {
	if err := checkFraming(b, flowMod10Len); err != nil {
		return nil, err
	}
	r := reader{b: b, off: HeaderLen}
	m := r.take(40)
	cookie := r.u64()
	command := r.u16()
	idle, hard, prio := r.u16(), r.u16(), r.u16()
	bufferID := r.u32()
	outPort := r.u16()
	flags := r.u16()
	if r.err {
		return nil, errBadLen
	}
	match, err := nxm.DecodeOF10Match(m)
	if err != nil {
		return nil, err
	}
	// OpenFlow 1.0: an exact-match rule has the highest priority.
	if binary.BigEndian.Uint32(m[0:4])&0x3fffff == 0 {
		prio = 0xffff
	}
	return finishFlowMod10(r.rest(), match, cookie, command, idle, hard, prio, bufferID, outPort, flags, tid, Version10, tab)
}

// decodeNXFlowMod decodes NXT_FLOW_MOD (OpenFlow 1.0 or 1.3 framing).
func decodeNXFlowMod(b []byte, version uint8, tid bool, tab *packet.TLVTable) (*flowModRequest, error) {
	if err := checkFraming(b, nxFlowModLen); err != nil {
		return nil, err
	}
	r := reader{b: b, off: 16}
	cookie := r.u64()
	command := r.u16()
	idle, hard, prio := r.u16(), r.u16(), r.u16()
	bufferID := r.u32()
	outPort := r.u16()
	flags := r.u16()
	matchLen := int(r.u16())
	r.skip(6)
	if r.err {
		return nil, errBadLen
	}
	nx, err := takeNXMatch(&r, matchLen)
	if err != nil {
		return nil, err
	}
	match, ck, ckMask, hasCookie, err := decodeNXMatchCookie(nx, tab)
	if err != nil {
		return nil, err
	}
	if command&0xff == uint16(pipeline.FlowAdd) && hasCookie && ckMask != 0 {
		// Flow additions may only set a new cookie, not match one.
		return nil, pipeline.NewError(pipeline.NXBRC_NXM_INVALID)
	}
	req, err := finishFlowMod10(r.rest(), match, cookie, command, idle, hard, prio, bufferID, outPort, flags, tid, version, tab)
	if err != nil {
		return nil, err
	}
	if command&0xff != uint16(pipeline.FlowAdd) {
		req.fm.Spec.Cookie = ck & ckMask
		req.fm.CookieMask = ckMask
	}
	return req, nil
}

func finishFlowMod10(acts []byte, match pipeline.Match, cookie uint64, command, idle, hard, prio uint16, bufferID uint32, outPort, flags uint16, tid bool, version uint8, tab *packet.TLVTable) (*flowModRequest, error) {
	req := &flowModRequest{bufferID: bufferID}
	fm := &req.fm
	cmd := command
	table := uint8(pipeline.TableAll)
	if tid {
		cmd, table = command&0xff, uint8(command>>8)
	}
	if cmd > uint16(pipeline.FlowDeleteStrict) {
		return nil, errFlowModCmd
	}
	fm.Command = pipeline.FlowModCommand(cmd)
	if table == pipeline.TableAll && fm.Command == pipeline.FlowAdd {
		table = 0 // OVS: an add without a table goes to table 0
	}
	fm.Spec.Table = table
	fm.Spec.Cookie = cookie
	if fm.Command != pipeline.FlowAdd {
		// OVS's new_cookie: modify sets the cookie unless it is all-ones;
		// the cookie filter (NXM_NX_COOKIE) is set by the caller.
		fm.Spec.Cookie = 0
		fm.SetCookie = cookie != ^uint64(0)
		fm.NewCookie = cookie
	}
	// OVS accepts actions inconsistent with the match from OpenFlow 1.0.
	fm.Lax = version == Version10
	fm.Spec.Priority = prio
	fm.Spec.IdleTimeout = idle
	fm.Spec.HardTimeout = hard
	fm.Spec.Match = match
	fm.OutPort = nxm.PortFrom16(outPort)
	fm.OutGroup = pipeline.GroupAny
	a, err := nxm.DecodeActionsTLV(version, acts, tab)
	if err != nil {
		return nil, err
	}
	nxm.FitL4Ports(&match, a) // mod_tp_* on a udp or sctp flow sets its ports
	fm.Spec.Inst = pipeline.Instructions{Apply: a, HasApply: true, GotoTable: -1}
	// OpenFlow 1.0 flags: SEND_FLOW_REM 1, CHECK_OVERLAP 2, EMERG 4. In 1.3
	// framing (NXT_FLOW_MOD in an OF1.3 session) the 1.3 flags apply.
	if version == Version10 {
		if flags&^0x7 != 0 {
			return nil, errBadFlags
		}
		if flags&4 != 0 {
			if idle != 0 || hard != 0 {
				return nil, pipeline.NewError(pipeline.OFPFMFC_BAD_EMERG_TIMEOUT)
			}
			return nil, pipeline.NewError(pipeline.OFPFMFC_TABLE_FULL)
		}
		fm.Spec.Flags = flags & 3
		if fm.Command == pipeline.FlowAdd {
			fm.Spec.Flags |= pipeline.FlagResetCounts
		}
	} else {
		if flags&^0x1f != 0 {
			return nil, errBadFlags
		}
		fm.Spec.Flags = flags
	}
	return req, nil
}

// NXM_NX_COOKIE and NXM_NX_COOKIE_W headers (class 1, field 30).
const (
	nxmCookie  = 0x00013c08
	nxmCookieW = 0x00013d10
)

// splitNXCookie removes NXM_NX_COOKIE(_W) from an nx_match (it filters
// flows by cookie; it is not a packet field) and returns the rest.
// takeNXMatch takes an nx_match of matchLen bytes and its padding to 8
// bytes from r; a match that runs past the message is OFPBMC_BAD_LEN.
func takeNXMatch(r *reader, matchLen int) ([]byte, error) {
	nx := r.take(matchLen)
	r.skip(pad8(matchLen) - matchLen)
	if r.err {
		return nil, errMatchBadLen
	}
	return nx, nil
}

// decodeNXMatchCookie decodes an nx_match of NXT_FLOW_MOD or NXST_FLOW:
// its NXM_NX_COOKIE entry, if any, is the request's cookie and mask (has
// says whether there was one), the rest the match.
func decodeNXMatchCookie(nx []byte, tab *packet.TLVTable) (m pipeline.Match, cookie, mask uint64, has bool, err error) {
	nx, cookie, mask, has, err = splitNXCookie(nx)
	if err != nil {
		return m, 0, 0, false, err
	}
	m, err = nxm.DecodeNXMatchTLV(nx, tab)
	return m, cookie, mask, has, err
}

func splitNXCookie(b []byte) (rest []byte, cookie, mask uint64, has bool, err error) {
	off := 0
	for off+4 <= len(b) {
		h := binary.BigEndian.Uint32(b[off:])
		l := int(h & 0xff)
		if off+4+l > len(b) {
			return b, 0, 0, false, nil // let the codec report it
		}
		if h == nxmCookie || h == nxmCookieW {
			if has {
				return nil, 0, 0, false, pipeline.NewError(pipeline.OFPBMC_DUP_FIELD)
			}
			has = true
			cookie = binary.BigEndian.Uint64(b[off+4:])
			mask = ^uint64(0)
			if h == nxmCookieW {
				mask = binary.BigEndian.Uint64(b[off+12:])
			}
			nb := make([]byte, 0, len(b)-4-l)
			nb = append(nb, b[:off]...)
			nb = append(nb, b[off+4+l:]...)
			b = nb
			continue
		}
		off += 4 + l
	}
	return b, cookie, mask, has, nil
}

// flowFilter builds a flow filter for a flow or aggregate stats request.
func flowFilter(table uint8, match pipeline.Match, outPort uint32, outGroup uint32, cookie, mask uint64) *pipeline.FlowFilter {
	return &pipeline.FlowFilter{
		Table:      table,
		Match:      match,
		Cookie:     cookie & mask,
		CookieMask: mask,
		OutPort:    outPort,
		OutGroup:   outGroup,
	}
}

// durations splits now-created into seconds and nanoseconds.
func durations(now, created int64) (uint32, uint32) {
	d := now - created
	if d < 0 {
		d = 0
	}
	// Millisecond resolution, as OVS's calc_duration(): ovs-ofctl then prints
	// durations like "1.022s", as it does for OVS.
	ms := d / int64(time.Millisecond)
	return uint32(ms / 1000), uint32(ms%1000) * 1000000
}

// age returns OVS's NX idle_age/hard_age: seconds since t, plus one, capped.
func age(now, t int64) uint16 {
	d := (now - t) / int64(time.Second)
	if d < 0 {
		d = 0
	}
	if d+1 > 0xffff {
		return 0xffff
	}
	return uint16(d + 1)
}

func flowCounters(fs *pipeline.FlowStats) (pkts, bytes uint64) {
	pkts, bytes = fs.Packets, fs.Bytes
	if fs.Spec.Flags&pipeline.FlagNoPktCounts != 0 {
		pkts = ^uint64(0)
	}
	if fs.Spec.Flags&pipeline.FlagNoBytCounts != 0 {
		bytes = ^uint64(0)
	}
	return
}

// actions10 returns the flow's actions for OpenFlow 1.0 encodings: its
// apply-actions, and goto_table as resubmit(,N) as OVS encodes it there.
func actions10(in *pipeline.Instructions) []pipeline.Action {
	acts := in.Apply
	if in.GotoTable >= 0 {
		acts = append(acts[:len(acts):len(acts)], pipeline.Resubmit{InPort: pipeline.PortInPort, Table: uint8(in.GotoTable)})
	}
	return acts
}

// encodeFlowStats13 appends one ofp_flow_stats (1.3).
func encodeFlowStats13(fs *pipeline.FlowStats, now int64) ([]byte, error) {
	match := nxm.EncodeOXMMatch(&fs.Spec.Match)
	inst, err := nxm.EncodeFlowInstructions(&fs.Spec.Match, &fs.Spec.Inst)
	if err != nil {
		return nil, err
	}
	sec, nsec := durations(now, fs.Created)
	pkts, bytes := flowCounters(fs)
	m := &msg{b: make([]byte, 0, 48+len(match)+len(inst))}
	m.u16(uint16(48 + len(match) + len(inst))).u8(fs.Spec.Table).u8(0)
	m.u32(sec).u32(nsec)
	m.u16(fs.Spec.Priority).u16(fs.Spec.IdleTimeout).u16(fs.Spec.HardTimeout)
	// OVS reports every flag it was given, check_overlap and reset_counts too
	// (also the reset_counts an OpenFlow 1.0 add implies).
	m.u16(fs.Spec.Flags & (pipeline.FlagSendFlowRem | pipeline.FlagCheckOverlap | pipeline.FlagResetCounts |
		pipeline.FlagNoPktCounts | pipeline.FlagNoBytCounts))
	m.zeros(4).u64(fs.Spec.Cookie).u64(pkts).u64(bytes)
	m.bytes(match).bytes(inst)
	return m.b, nil
}

// encodeFlowStats10 appends one ofp10_flow_stats.
func encodeFlowStats10(fs *pipeline.FlowStats, now int64) ([]byte, error) {
	// As OVS: an OpenFlow 1.0 match drops what it cannot express rather
	// than leaving the flow out of the reply.
	match := nxm.AppendOF10MatchLossy(nil, &fs.Spec.Match)
	acts, err := nxm.EncodeFlowActions(Version10, &fs.Spec.Match, actions10(&fs.Spec.Inst))
	if err != nil {
		return nil, err
	}
	sec, nsec := durations(now, fs.Created)
	pkts, bytes := flowCounters(fs)
	m := &msg{b: make([]byte, 0, 88+len(acts))}
	m.u16(uint16(88 + len(acts))).u8(fs.Spec.Table).u8(0)
	m.bytes(match)
	m.u32(sec).u32(nsec)
	m.u16(fs.Spec.Priority).u16(fs.Spec.IdleTimeout).u16(fs.Spec.HardTimeout)
	m.zeros(6).u64(fs.Spec.Cookie).u64(pkts).u64(bytes)
	m.bytes(acts)
	return m.b, nil
}

// encodeNXFlowStats appends one nx_flow_stats.
func encodeNXFlowStats(fs *pipeline.FlowStats, now int64, version uint8) ([]byte, error) {
	match := nxm.EncodeNXMatch(&fs.Spec.Match)
	acts, err := nxm.EncodeFlowActions(version, &fs.Spec.Match, actions10(&fs.Spec.Inst))
	if err != nil {
		return nil, err
	}
	sec, nsec := durations(now, fs.Created)
	pkts, bytes := flowCounters(fs)
	ml := len(match)
	total := 48 + pad8(ml) + len(acts)
	m := &msg{b: make([]byte, 0, total)}
	m.u16(uint16(total)).u8(fs.Spec.Table).u8(0)
	m.u32(sec).u32(nsec)
	m.u16(fs.Spec.Priority).u16(fs.Spec.IdleTimeout).u16(fs.Spec.HardTimeout)
	m.u16(uint16(ml))
	last := fs.LastUsed
	if last == 0 {
		last = fs.Created
	}
	// hard_age counts from the last modification (OVS's rule->modified).
	modified := fs.Modified
	if modified == 0 {
		modified = fs.Created
	}
	m.u16(age(now, last)).u16(age(now, modified))
	m.u64(fs.Spec.Cookie).u64(pkts).u64(bytes)
	m.bytes(match).zeros(pad8(ml) - ml)
	m.bytes(acts)
	return m.b, nil
}
