package ofproto

import (
	"gswitch/pipeline"
)

const groupMax = 0xffffff00 // OFPG_MAX

// decodeGroupMod decodes an OpenFlow 1.3 OFPT_GROUP_MOD.
func decodeGroupMod(b []byte) (uint16, *pipeline.GroupSpec, error) {
	r := reader{b: b, off: HeaderLen}
	cmd := r.u16()
	typ := r.u8()
	r.skip(1)
	id := r.u32()
	if r.err {
		return 0, nil, errBadLen
	}
	switch cmd {
	case pipeline.GroupAdd, pipeline.GroupModify, pipeline.GroupDelete:
	default:
		return 0, nil, errGroupCmd
	}
	if cmd != pipeline.GroupDelete {
		if typ > pipeline.GroupTypeFF {
			return 0, nil, ofErr("OFPGMFC_BAD_TYPE")
		}
		if id > groupMax {
			return 0, nil, ofErr("OFPGMFC_INVALID_GROUP")
		}
	}
	g := &pipeline.GroupSpec{ID: id, Type: typ}
	for r.left() > 0 {
		if r.left() < 16 {
			return 0, nil, ofErr("OFPGMFC_BAD_BUCKET")
		}
		start := r.off
		l := int(r.u16())
		if l < 16 || start+l > len(r.b) {
			return 0, nil, ofErr("OFPGMFC_BAD_BUCKET")
		}
		var bk pipeline.Bucket
		bk.Weight = r.u16()
		bk.WatchPort = r.u32()
		if checkPort11(bk.WatchPort) != nil {
			return 0, nil, ofErr("OFPGMFC_BAD_WATCH")
		}
		bk.WatchGroup = r.u32()
		r.skip(4)
		acts, err := decodeActions(Version13, r.take(l-16))
		if err != nil {
			return 0, nil, err
		}
		bk.Actions = acts
		g.Buckets = append(g.Buckets, bk)
	}
	if cmd == pipeline.GroupDelete {
		g.Buckets = nil
	}
	return cmd, g, nil
}

// encodeGroupDesc13 is one ofp_group_desc_stats.
func encodeGroupDesc13(g *pipeline.GroupSpec) ([]byte, error) {
	m := &msg{}
	m.u16(0).u8(g.Type).u8(0).u32(g.ID)
	for i := range g.Buckets {
		bk := &g.Buckets[i]
		acts, err := encodeActions(Version13, bk.Actions)
		if err != nil {
			return nil, err
		}
		m.u16(uint16(16 + len(acts))).u16(bk.Weight).u32(bk.WatchPort).u32(bk.WatchGroup).zeros(4)
		m.bytes(acts)
	}
	m.put16(0, uint16(m.len()))
	return m.b, nil
}

// encodeGroupStats13 is one ofp13_group_stats.
func encodeGroupStats13(g *pipeline.GroupStats, now int64) []byte {
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

// nxGroupMod handles NXT_GROUP_MOD (groups in OpenFlow 1.0): not supported.
func (c *conn) nxGroupMod(b []byte) error {
	return errBadSubtype
}
