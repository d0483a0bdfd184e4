package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

const groupMax = 0xffffff00 // OFPG_MAX

// groupModRequest is a decoded group-mod (OVS's ofputil_group_mod).
type groupModRequest struct {
	command uint16 // pipeline.GroupAdd ... GroupDelete, or groupAddOrMod
	group   *pipeline.GroupSpec
}

// checkGroupModHeader checks a group-mod's command, type and group id, in
// the order OVS does, for the OpenFlow 1.3 and 1.5 forms alike.
func checkGroupModHeader(cmd uint16, typ uint8, id uint32) error {
	switch cmd {
	case pipeline.GroupAdd, pipeline.GroupModify, pipeline.GroupDelete, groupAddOrMod:
	default:
		// (INSERT_BUCKET and REMOVE_BUCKET are OpenFlow 1.5 commands:
		// decodeGroupMod15.)
		return errGroupCmd
	}
	if cmd != pipeline.GroupDelete {
		if typ > pipeline.GroupTypeFF {
			return pipeline.NewError(pipeline.OFPGMFC_BAD_TYPE)
		}
		if id > groupMax {
			return pipeline.NewError(pipeline.OFPGMFC_INVALID_GROUP)
		}
	}
	return nil
}

// newGroupModRequest is the request for a decoded group; a delete carries
// no buckets.
func newGroupModRequest(cmd uint16, g *pipeline.GroupSpec) *groupModRequest {
	if cmd == pipeline.GroupDelete {
		g.Buckets = nil
	}
	return &groupModRequest{command: cmd, group: g}
}

// decodeGroupMod13 decodes an OpenFlow 1.3 OFPT_GROUP_MOD (ofp11_group_mod
// and ofp11_buckets).
func decodeGroupMod13(b []byte, tab *packet.TLVTable) (*groupModRequest, error) {
	r := reader{b: b, off: HeaderLen}
	cmd := r.u16()
	typ := r.u8()
	r.skip(1)
	id := r.u32()
	if r.err {
		return nil, errBadLen
	}
	if err := checkGroupModHeader(cmd, typ, id); err != nil {
		return nil, err
	}
	g := &pipeline.GroupSpec{ID: id, Type: typ}
	for r.left() > 0 {
		if r.left() < 16 {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		start := r.off
		l := int(r.u16())
		if l < 16 || start+l > len(r.b) {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		var bk pipeline.Bucket
		bk.Weight = r.u16()
		bk.WatchPort = r.u32()
		if checkPort11(bk.WatchPort) != nil {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_WATCH)
		}
		bk.WatchGroup = r.u32()
		r.skip(4)
		acts, err := nxm.DecodeActionsTLV(Version13, r.take(l-16), tab)
		if err != nil {
			return nil, err
		}
		bk.Actions = acts
		bk.ID = uint32(len(g.Buckets))
		g.Buckets = append(g.Buckets, bk)
	}
	return newGroupModRequest(cmd, g), nil
}

// encodeGroupDesc13 is one ofp_group_desc_stats.
func encodeGroupDesc13(g *pipeline.GroupSpec) ([]byte, error) {
	m := &msg{}
	m.u16(0).u8(g.Type).u8(0).u32(g.ID)
	for i := range g.Buckets {
		bk := &g.Buckets[i]
		acts, err := nxm.EncodeActions(Version13, bk.Actions)
		if err != nil {
			return nil, err
		}
		m.u16(uint16(16 + len(acts))).u16(bk.Weight).u32(bk.WatchPort).u32(bk.WatchGroup).zeros(4)
		m.bytes(acts)
	}
	m.put16(0, uint16(m.len()))
	return m.b, nil
}

// encodeGroupStats is one ofp13_group_stats (OFPMP_GROUP, and NXST_GROUP
// in OpenFlow 1.0).
func encodeGroupStats(g *pipeline.GroupStats, now int64) []byte {
	n := len(g.Spec.Buckets)
	if len(g.Buckets) > n {
		n = len(g.Buckets)
	}
	m := &msg{}
	m.u16(uint16(40 + 16*n)).zeros(2).u32(g.Spec.ID).u32(g.RefCount).zeros(4)
	m.u64(g.Packets).u64(g.Bytes)
	sec, nsec := durations(now, g.Created)
	m.u32(sec).u32(nsec)
	for i := 0; i < n; i++ {
		var bs pipeline.BucketStats
		if i < len(g.Buckets) {
			bs = g.Buckets[i]
		}
		m.u64(bs.Packets).u64(bs.Bytes)
	}
	return m.b
}

// groupFeaturesBody is ofp12_group_features_stats, as OVS reports it.
func groupFeaturesBody() []byte {
	m := &msg{}
	m.u32(0xf).u32(0x7) // all four types; select weight, liveness, chaining
	for i := 0; i < 4; i++ {
		m.u32(groupMax)
	}
	for i := 0; i < 4; i++ {
		m.u32(0x03ff8001)
	}
	return m.b
}

// groupAddOrMod is OVS's OFPGC_ADD_OR_MOD extension command (ovs-ofctl
// mod-group --may-create).
const groupAddOrMod = pipeline.GroupAddOrModify // OFPGC11_ADD_OR_MOD (OVS)

// applyGroupMod applies a group-mod, with ADD_OR_MOD as modify-else-add.
func (s *Server) applyGroupMod(gm *groupModRequest) error {
	dp := s.cfg.Datapath
	if gm.command != groupAddOrMod {
		return dp.GroupMod(gm.command, gm.group)
	}
	err := dp.GroupMod(pipeline.GroupModify, gm.group)
	if pe, ok := err.(*pipeline.Error); ok && pe.HasCode(pipeline.OFPGMFC_UNKNOWN_GROUP) {
		return dp.GroupMod(pipeline.GroupAdd, gm.group)
	}
	return err
}

// decodeNXGroupMod decodes NXT_GROUP_MOD: groups in OpenFlow 1.0, in
// OpenFlow 1.5's group-mod format with OpenFlow 1.0 actions.
func decodeNXGroupMod(b []byte, tab *packet.TLVTable) (*groupModRequest, error) {
	return decodeGroupMod15(b[16:], Version10, tab)
}

// OVS's selection method group property (ntr_group_prop_selection_method,
// an OFPGPT15_EXPERIMENTER property of 40 bytes and the OXM field array).
const (
	ntrVendorID       = 0x0000154d // NTR_VENDOR_ID
	ntrCompatVendorID = 0x00001540 // NTR_COMPAT_VENDOR_ID (OVS 2.4's)
	ntrSelectionLen   = 40
	ntrMaxMethodLen   = 16
)

// pullProp15 is OVS's ofpprop_pull for group and bucket properties: an
// experimenter property (type 0xffff) needs its 12-byte header and a
// nonzero experimenter; exp is then its experimenter id and expType its
// type. val is the payload after the 4-byte header; whole the property
// without its padding.
func pullProp15(b []byte) (typ uint16, exp, expType uint32, val, whole, rest []byte, err error) {
	typ, val, rest, err = pullProp(b)
	if err != nil {
		return
	}
	whole = b[:4+len(val)]
	if typ == 0xffff {
		if len(val) < 8 {
			err = errPropBadLen
			return
		}
		exp, expType = binary.BigEndian.Uint32(val), binary.BigEndian.Uint32(val[4:])
		if exp == 0 {
			err = pipeline.NewError(pipeline.OFPBPC_BAD_EXPERIMENTER)
		}
	}
	return
}

// errPropUnknown is OVS's OFPPROP_UNKNOWN (not loose) for property type typ.
func errPropUnknown(typ uint16) error {
	if typ == 0xffff {
		return pipeline.NewError(pipeline.OFPBPC_BAD_EXP_TYPE)
	}
	return errPropBadType
}

// decodeGroupMod15 decodes the body of an OpenFlow 1.5 group-mod (struct
// ofp15_group_mod after its header, ofp15 buckets with properties, group
// properties), with actions of version actVersion (tun_metadata with tab), in the order of OVS's
// ofputil_pull_ofp15_group_mod and ofputil_check_group_mod:
// command_bucket_id for the command, the bucket list's length, each
// bucket, duplicate bucket ids, the group properties, then type and
// command.
func decodeGroupMod15(body []byte, actVersion uint8, tab *packet.TLVTable) (*groupModRequest, error) {
	r := reader{b: body}
	cmd := r.u16()
	typ := r.u8()
	r.skip(1)
	id := r.u32()
	blen := int(r.u16())
	r.skip(2)
	cbid := r.u32()
	if r.err {
		return nil, errBadLen
	}
	okID := cbid == pipeline.BucketAll
	switch cmd {
	case pipeline.GroupRemoveBucket, pipeline.GroupInsertBucket:
		okID = cbid == pipeline.BucketAll && cmd == pipeline.GroupRemoveBucket ||
			cbid <= pipeline.BucketMax || cbid == pipeline.BucketFirst || cbid == pipeline.BucketLast
	}
	if !okID {
		return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
	}
	if blen > r.left() {
		return nil, errBadLen
	}
	buckets := r.take(blen)
	g := &pipeline.GroupSpec{ID: id, Type: typ, CommandBucketID: cbid}
	for len(buckets) > 0 {
		if len(buckets) < 8 {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		l := int(binary.BigEndian.Uint16(buckets))
		alen := int(binary.BigEndian.Uint16(buckets[2:]))
		if l < 8 || l > len(buckets) || alen > l-8 {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		acts, err := nxm.DecodeActionsTLV(actVersion, buckets[8:8+alen], tab)
		if err != nil {
			return nil, err
		}
		bk := pipeline.Bucket{Actions: acts, WatchPort: pipeline.PortAny, WatchGroup: pipeline.GroupAny,
			ID: binary.BigEndian.Uint32(buckets[4:])}
		if typ == pipeline.GroupTypeSelect {
			bk.Weight = 1
		}
		for props := buckets[8+alen : l]; len(props) > 0; {
			ptyp, _, _, val, _, rest, err := pullProp15(props)
			if err != nil {
				return nil, err
			}
			props = rest
			switch ptyp {
			case 0: // OFPGBPT15_WEIGHT
				if len(val) < 2 {
					return nil, errPropBadLen
				}
				bk.Weight = binary.BigEndian.Uint16(val)
			case 1, 2: // OFPGBPT15_WATCH_PORT, _WATCH_GROUP
				if len(val) != 4 {
					return nil, errPropBadLen
				}
				if ptyp == 1 {
					bk.WatchPort = binary.BigEndian.Uint32(val)
				} else {
					bk.WatchGroup = binary.BigEndian.Uint32(val)
				}
			default:
				return nil, errPropUnknown(ptyp)
			}
		}
		if checkPort11(bk.WatchPort) != nil {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_WATCH)
		}
		if bk.ID > pipeline.BucketMax {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		g.Buckets = append(g.Buckets, bk)
		buckets = buckets[l:]
	}
	for i := range g.Buckets {
		for j := i + 1; j < len(g.Buckets); j++ {
			if g.Buckets[i].ID == g.Buckets[j].ID {
				return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
			}
		}
	}
	for props := r.rest(); len(props) > 0; {
		ptyp, exp, expType, _, whole, rest, err := pullProp15(props)
		if err != nil {
			return nil, err
		}
		props = rest
		if ptyp != 0xffff || expType != 1 || exp != ntrVendorID && exp != ntrCompatVendorID {
			return nil, errPropUnknown(ptyp)
		}
		if err := decodeSelectionMethod(whole, typ, cmd, &g.Selection); err != nil {
			return nil, err
		}
	}
	// ofputil_check_group_mod: type, then command.
	switch {
	case typ > pipeline.GroupTypeFF:
		return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_TYPE)
	case typ == pipeline.GroupTypeIndirect && cmd != pipeline.GroupDelete && len(g.Buckets) != 1:
		return nil, pipeline.NewError(pipeline.OFPGMFC_INVALID_GROUP)
	}
	switch cmd {
	case pipeline.GroupAdd, pipeline.GroupModify, pipeline.GroupDelete, groupAddOrMod, pipeline.GroupInsertBucket:
	case pipeline.GroupRemoveBucket:
		if len(g.Buckets) > 0 {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
	default:
		return nil, errGroupCmd
	}
	if cmd != pipeline.GroupDelete && id > groupMax {
		return nil, pipeline.NewError(pipeline.OFPGMFC_INVALID_GROUP)
	}
	return newGroupModRequest(cmd, g), nil
}

// decodeSelectionMethod decodes OVS's selection method property p (whole,
// unpadded) of a group of type typ in a group-mod with command cmd, as
// OVS's parse_group_prop_ntr_selection_method.
func decodeSelectionMethod(p []byte, typ uint8, cmd uint16, sel *pipeline.GroupSelection) error {
	badValue := pipeline.NewError(pipeline.OFPBPC_BAD_VALUE)
	switch {
	case typ == pipeline.GroupTypeSelect:
	case typ <= pipeline.GroupTypeFF:
		return badValue
	default:
		return pipeline.NewError(pipeline.OFPGMFC_BAD_TYPE)
	}
	switch cmd {
	case pipeline.GroupAdd, pipeline.GroupModify, groupAddOrMod:
	case pipeline.GroupDelete, pipeline.GroupInsertBucket, pipeline.GroupRemoveBucket:
		return badValue
	default:
		return errGroupCmd
	}
	if len(p) < ntrSelectionLen {
		return errPropBadLen
	}
	name := p[16 : 16+ntrMaxMethodLen]
	n := 0
	for n < len(name) && name[n] != 0 {
		n++
	}
	if n == ntrMaxMethodLen {
		return badValue
	}
	method := string(name[:n])
	if method != "hash" && method != "dp_hash" {
		return badValue
	}
	sel.Method = method
	sel.Param = binary.BigEndian.Uint64(p[32:])
	sel.Fields = nil
	if fields := p[ntrSelectionLen:]; len(fields) > 0 {
		if method != "hash" {
			return badValue
		}
		fs, err := nxm.DecodeFieldArray(fields)
		if err != nil {
			return err
		}
		sel.Fields = fs
	}
	return nil
}

// putSelectionMethod appends g's selection method property, if it has one
// (OVS's ofputil_put_group_prop_ntr_selection_method); the field array in
// OXM (OpenFlow 1.5) or NXM (OpenFlow 1.0) form.
func putSelectionMethod(m *msg, sel *pipeline.GroupSelection, actVersion uint8) {
	if sel.Method == "" {
		return
	}
	start := m.len()
	var name [ntrMaxMethodLen]byte
	copy(name[:ntrMaxMethodLen-1], sel.Method)
	m.u16(0xffff).u16(0).u32(ntrVendorID).u32(1).zeros(4).bytes(name[:]).u64(sel.Param)
	m.bytes(nxm.AppendFieldArray(nil, sel.Fields, actVersion != Version10))
	m.put16(start+2, uint16(m.len()-start))
	m.pad8(start)
}

// encodeNXGroupDesc is one NXST_GROUP_DESC entry: OpenFlow 1.5's
// ofp15_group_desc_stats with OpenFlow 1.0 actions.
func encodeNXGroupDesc(g *pipeline.GroupSpec) ([]byte, error) {
	return encodeGroupDesc15(g, Version10)
}

// encodeGroupDesc15 is one ofp15_group_desc_stats with actions of version
// actVersion: buckets with their ids and properties, then the group's
// selection method property.
func encodeGroupDesc15(g *pipeline.GroupSpec, actVersion uint8) ([]byte, error) {
	m := &msg{}
	m.u16(0).u8(g.Type).u8(0).u32(g.ID).u16(0).zeros(6)
	for i := range g.Buckets {
		bk := &g.Buckets[i]
		acts, err := nxm.EncodeActions(actVersion, bk.Actions)
		if err != nil {
			return nil, err
		}
		start := m.len()
		m.u16(0).u16(uint16(len(acts))).u32(bk.ID).bytes(acts)
		if g.Type == pipeline.GroupTypeSelect || bk.Weight != 0 {
			// (OVS's ofpprop_put_be16 pads the value to 4 bytes, length 8.)
			putProp(m, 0, []byte{byte(bk.Weight >> 8), byte(bk.Weight), 0, 0})
		}
		if bk.WatchPort != pipeline.PortAny {
			putPropU32(m, 1, bk.WatchPort)
		}
		if bk.WatchGroup != pipeline.GroupAny {
			putPropU32(m, 2, bk.WatchGroup)
		}
		m.put16(start, uint16(m.len()-start))
	}
	m.put16(8, uint16(m.len()-16))
	putSelectionMethod(m, &g.Selection, actVersion)
	m.put16(0, uint16(m.len()))
	return m.b, nil
}
