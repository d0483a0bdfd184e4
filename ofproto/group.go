package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
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
		// (OpenFlow 1.5's INSERT_BUCKET and REMOVE_BUCKET are not supported.)
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
func decodeGroupMod13(b []byte) (*groupModRequest, error) {
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
		acts, err := nxm.DecodeActions(Version13, r.take(l-16))
		if err != nil {
			return nil, err
		}
		bk.Actions = acts
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
func decodeNXGroupMod(b []byte) (*groupModRequest, error) {
	return decodeGroupMod15(b[16:], Version10)
}

// decodeGroupMod15 decodes the body of an OpenFlow 1.5 group-mod (struct
// ofp15_group_mod after its header, ofp15 buckets with properties), with
// actions of version actVersion.
func decodeGroupMod15(body []byte, actVersion uint8) (*groupModRequest, error) {
	r := reader{b: body}
	cmd := r.u16()
	typ := r.u8()
	r.skip(1)
	id := r.u32()
	blen := int(r.u16())
	r.skip(2)
	r.u32() // command_bucket_id
	if r.err {
		return nil, errBadLen
	}
	if err := checkGroupModHeader(cmd, typ, id); err != nil {
		return nil, err
	}
	buckets := r.take(blen)
	if r.err {
		return nil, errBadLen
	}
	// Group properties (OVS's selection method) follow; their framing is
	// checked, their content ignored.
	for rest := r.rest(); len(rest) > 0; {
		var err error
		if _, _, rest, err = pullProp(rest); err != nil {
			return nil, err
		}
	}
	g := &pipeline.GroupSpec{ID: id, Type: typ}
	for len(buckets) > 0 {
		if len(buckets) < 8 {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		l := int(binary.BigEndian.Uint16(buckets))
		alen := int(binary.BigEndian.Uint16(buckets[2:]))
		if l < 8 || l > len(buckets) || alen > l-8 {
			return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_BUCKET)
		}
		acts, err := nxm.DecodeActions(actVersion, buckets[8:8+alen])
		if err != nil {
			return nil, err
		}
		bk := pipeline.Bucket{Actions: acts, WatchPort: pipeline.PortAny, WatchGroup: pipeline.GroupAny}
		if typ == pipeline.GroupTypeSelect {
			bk.Weight = 1
		}
		for props := buckets[8+alen : l]; len(props) > 0; {
			ptyp, val, rest, err := pullProp(props)
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
				v := binary.BigEndian.Uint32(val)
				if ptyp == 1 {
					if checkPort11(v) != nil {
						return nil, pipeline.NewError(pipeline.OFPGMFC_BAD_WATCH)
					}
					bk.WatchPort = v
				} else {
					bk.WatchGroup = v
				}
			default:
				return nil, errPropBadType
			}
		}
		g.Buckets = append(g.Buckets, bk)
		buckets = buckets[l:]
	}
	return newGroupModRequest(cmd, g), nil
}

// encodeNXGroupDesc is one NXST_GROUP_DESC entry: OpenFlow 1.5's
// ofp15_group_desc_stats with OpenFlow 1.0 actions.
func encodeNXGroupDesc(g *pipeline.GroupSpec) ([]byte, error) {
	return encodeGroupDesc15(g, Version10)
}

// encodeGroupDesc15 is one ofp15_group_desc_stats with actions of version
// actVersion, bucket ids 0, 1, ... as OVS assigns them.
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
		m.u16(0).u16(uint16(len(acts))).u32(uint32(i)).bytes(acts)
		if g.Type == pipeline.GroupTypeSelect || bk.Weight != 0 {
			putProp(m, 0, []byte{byte(bk.Weight >> 8), byte(bk.Weight)})
		}
		if bk.WatchPort != pipeline.PortAny {
			putPropU32(m, 1, bk.WatchPort)
		}
		if bk.WatchGroup != pipeline.GroupAny {
			putPropU32(m, 2, bk.WatchGroup)
		}
		m.put16(start, uint16(m.len()-start))
	}
	m.put16(0, uint16(m.len()))
	m.put16(8, uint16(m.len()-16))
	return m.b, nil
}
