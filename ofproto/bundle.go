package ofproto

import (
	"encoding/binary"

	"gswitch/nxm"
	"gswitch/pipeline"
)

// Bundles: OpenFlow 1.4's bundles as OVS offers them to OpenFlow 1.3 (the
// ONF extension, experimenter 0x4f4e4600 types 2300 and 2301), which
// `ovs-ofctl -O OpenFlow13 --bundle` uses.

const (
	bundleOpenReq     = 0
	bundleOpenReply   = 1
	bundleCloseReq    = 2
	bundleCloseReply  = 3
	bundleCommitReq   = 4
	bundleCommitReply = 5
	bundleDiscardReq  = 6
	bundleDiscardRep  = 7

	bundleFlagsValid = 1 | 2 // ATOMIC, ORDERED
)

type bundleEntry struct {
	raw  []byte // the BUNDLE_ADD_MESSAGE (for errors)
	xid  uint32
	kind msgKind // kindFlowMod, kindGroupMod, kindPortMod or kindPacketOut
	fm   *flowModRequest
	gm   *groupModRequest
	pm   *portModRequest
	po   []byte // the packet-out message
}

type bundle struct {
	id     uint32
	flags  uint16
	closed bool
	msgs   []*bundleEntry
}

// FlowTransactor is optionally implemented by a Datapath that can apply a
// list of flow-mods atomically (all or none). Bundle commits of flow-mods
// use it when the Datapath is no ModTransactor; without either (or with
// port-mods in the bundle), they apply in order and on failure restore the
// flow tables from a snapshot taken before the commit (flow counters are
// then reset). *pipeline.Datapath implements both.
type FlowTransactor interface {
	// FlowModBatch applies fms atomically. On failure it returns the index
	// of the flow-mod that failed and its error, and changes nothing.
	FlowModBatch(fms []*pipeline.FlowMod, now int64) (failed int, err error)
}

// ModTransactor is optionally implemented by a Datapath that can apply
// flow-mods and group-mods together atomically (all or none, one version).
// Bundle commits without port-mods use it (before FlowTransactor). Group
// commands are GroupAdd, GroupModify, GroupDelete, GroupAddOrModify,
// GroupInsertBucket and GroupRemoveBucket.
type ModTransactor interface {
	// ModBatch applies mods atomically. On failure it returns the index of
	// the mod that failed and its error, and changes nothing.
	ModBatch(mods []pipeline.Mod, now int64) (failed int, err error)
}

func (c *conn) discardBundles() {
	c.bundles = nil
}

func onfMsg(xid uint32, expType uint32, sizeHint int) *msg {
	return newMsg(Version13, TypeVendor, xid, 8+sizeHint).u32(nxm.ONFVendorID).u32(expType)
}

func (c *conn) bundleControl(cd *codec, h Header, b []byte) error {
	return c.bundleCtl(cd, h, b, 16, func(xid uint32) *msg { return onfMsg(xid, ONFTBundleControl, 8) })
}

// bundleCtl answers a bundle control message whose body (bundle_id, type,
// flags, properties) starts at off: ONF's (1.3) or OpenFlow 1.4+'s, whose
// reply starts with replyHdr.
func (c *conn) bundleCtl(cd *codec, h Header, b []byte, off int, replyHdr func(xid uint32) *msg) error {
	if err := c.rejectSlave(); err != nil {
		return err
	}
	r := reader{b: b, off: off}
	id := r.u32()
	typ := r.u16()
	flags := r.u16()
	if r.err {
		return errBadLen
	}
	// Properties may follow; OVS ignores unknown ones but checks framing.
	if rest := r.rest(); len(rest) > 0 {
		for len(rest) > 0 {
			var err error
			if _, _, rest, err = pullProp(rest); err != nil {
				return err
			}
		}
	}
	if flags&^bundleFlagsValid != 0 {
		return errBundleFlags
	}
	var replyType uint16
	var err error
	switch typ {
	case bundleOpenReq:
		replyType = bundleOpenReply
		if _, ok := c.bundles[id]; ok {
			delete(c.bundles, id)
			err = errBundleBadID
		} else if len(c.bundles) >= c.srv.cfg.MaxBundles {
			err = errBundleTooMany
		} else {
			c.bundles[id] = &bundle{id: id, flags: flags}
		}
	case bundleCloseReq:
		replyType = bundleCloseReply
		bd := c.bundles[id]
		switch {
		case bd == nil:
			err = errBundleBadID
		case bd.closed:
			delete(c.bundles, id)
			err = errBundleClosed
		case bd.flags != flags:
			delete(c.bundles, id)
			err = errBundleFlags
		default:
			bd.closed = true
		}
	case bundleCommitReq:
		replyType = bundleCommitReply
		bd := c.bundles[id]
		switch {
		case bd == nil:
			err = errBundleBadID
		case bd.flags != flags:
			delete(c.bundles, id)
			err = errBundleFlags
		default:
			delete(c.bundles, id)
			err = c.commit(cd, bd)
		}
	case bundleDiscardReq:
		replyType = bundleDiscardRep
		if c.bundles[id] == nil {
			err = errBundleBadID
		} else {
			delete(c.bundles, id)
		}
	default:
		return errBundleBadType
	}
	if err != nil {
		return err
	}
	c.reply(replyHdr(h.Xid).u32(id).u16(replyType).u16(0).done())
	return nil
}

func (c *conn) bundleAdd(cd *codec, h Header, b []byte) error { return c.bundleAddAt(cd, h, b, 16) }

// bundleAddAt takes a bundle add message whose body (bundle_id, pad,
// flags, the message) starts at off.
func (c *conn) bundleAddAt(cd *codec, h Header, b []byte, off int) error {
	if err := c.rejectSlave(); err != nil {
		return err
	}
	r := reader{b: b, off: off}
	id := r.u32()
	r.skip(2)
	flags := r.u16()
	if r.err {
		return errBadLen
	}
	inner := r.rest()
	if len(inner) < HeaderLen {
		return errBundleMsgLen
	}
	ih := ParseHeader(inner)
	if ih.Version != h.Version {
		return errBundleBadVer
	}
	if int(ih.Length) < HeaderLen || int(ih.Length) > len(inner) {
		return errBundleMsgLen
	}
	if ih.Xid != h.Xid {
		return errBundleMsgXid
	}
	// Anything after the inner message (properties) is ignored, as OVS.
	inner = inner[:ih.Length]
	e := &bundleEntry{raw: b, xid: h.Xid, kind: cd.requestKind(ih.Type)}
	var err error
	defer func() {
		if e.fm != nil {
			e.fm.fm.Origin = flowModOrigin{c, ih.Xid}
		}
	}()
	switch {
	case e.kind == kindFlowMod:
		e.fm, err = cd.decodeFlowMod(inner, c.state().flowModTableID, c.srv.tlv.table())
	case e.kind == kindExperimenter && len(inner) >= 16 &&
		binary.BigEndian.Uint32(inner[8:]) == nxm.NXVendorID && binary.BigEndian.Uint32(inner[12:]) == NXTFlowMod:
		e.kind = kindFlowMod
		if len(inner) < 48 {
			return errBadLen
		}
		e.fm, err = decodeNXFlowMod(inner, h.Version, c.state().flowModTableID, c.srv.tlv.table())
	case e.kind == kindGroupMod:
		e.gm, err = cd.decodeGroupMod(inner, c.srv.tlv.looseTable())
	case e.kind == kindPortMod:
		e.pm, err = cd.decodePortMod(inner)
	case e.kind == kindPacketOut:
		if len(inner) < 24 {
			return errBadLen
		}
		e.po = append([]byte(nil), inner...)
	default:
		return errBundleMsgUns
	}
	if err != nil {
		return err
	}
	bd := c.bundles[id]
	switch {
	case bd == nil:
		if len(c.bundles) >= c.srv.cfg.MaxBundles {
			return errBundleTooMany
		}
		bd = &bundle{id: id, flags: flags}
		c.bundles[id] = bd
	case bd.closed:
		delete(c.bundles, id)
		return errBundleClosed
	case bd.flags != flags:
		delete(c.bundles, id)
		return errBundleFlags
	}
	if len(bd.msgs) >= c.srv.cfg.MaxBundleMsgs {
		delete(c.bundles, id)
		return pipeline.NewError(pipeline.OFPBFC_MSG_TOO_MANY)
	}
	e.raw = append([]byte(nil), b...)
	bd.msgs = append(bd.msgs, e)
	return nil
}

// commit applies a bundle: every flow-mod, group-mod and port-mod in order,
// all or none, then its packet-outs. A failing message gets its own
// OFPT_ERROR and the commit fails with OFPBFC_MSG_FAILED, as in OVS.
func (c *conn) commit(cd *codec, bd *bundle) error {
	s := c.srv
	dp := s.cfg.Datapath
	now := s.now()
	fail := func(e *bundleEntry, err error) error {
		c.replyError(cd.version, e.xid, asOFError(err), e.raw)
		return errBundleFailed
	}
	onlyFlows, hasPortMod := true, false
	var mods []pipeline.Mod
	var modIdx []int
	for i, e := range bd.msgs {
		switch e.kind {
		case kindFlowMod:
			if e.fm.bufferID != noBuffer {
				return fail(e, errBadBuffer)
			}
			mods = append(mods, pipeline.Mod{Flow: &e.fm.fm})
			modIdx = append(modIdx, i)
		case kindGroupMod:
			onlyFlows = false
			mods = append(mods, pipeline.Mod{GroupCmd: e.gm.command, Group: e.gm.group}) // groupAddOrMod is pipeline.GroupAddOrModify
			modIdx = append(modIdx, i)
		case kindPortMod:
			onlyFlows, hasPortMod = false, true
		}
	}
	if mt, ok := dp.(ModTransactor); ok && !hasPortMod {
		if len(mods) > 0 {
			if n, err := mt.ModBatch(mods, now); err != nil {
				if n < 0 || n >= len(modIdx) {
					n = 0
				}
				return fail(bd.msgs[modIdx[n]], err)
			}
		}
	} else if ft, ok := dp.(FlowTransactor); ok && onlyFlows {
		var fms []*pipeline.FlowMod
		var idx []int
		for i, e := range bd.msgs {
			if e.kind == kindFlowMod {
				fms = append(fms, &e.fm.fm)
				idx = append(idx, i)
			}
		}
		if len(fms) > 0 {
			if n, err := ft.FlowModBatch(fms, now); err != nil {
				if n < 0 || n >= len(idx) {
					n = 0
				}
				return fail(bd.msgs[idx[n]], err)
			}
		}
	} else {
		var snap []pipeline.FlowStats
		var groups []pipeline.GroupStats
		haveSnap := false
		for _, e := range bd.msgs {
			var err error
			switch e.kind {
			case kindFlowMod:
				if !haveSnap {
					snap = dp.Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, now)
					groups = dp.Groups()
					haveSnap = true
				}
				err = dp.FlowMod(&e.fm.fm, now)
			case kindGroupMod:
				if !haveSnap {
					snap = dp.Flows(&pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, now)
					groups = dp.Groups()
					haveSnap = true
				}
				err = s.applyGroupMod(e.gm)
			case kindPortMod:
				err = s.portMod(e.pm)
			}
			if err != nil {
				if haveSnap {
					restore(dp, snap, groups, now)
				}
				return fail(e, err)
			}
		}
	}
	for _, e := range bd.msgs {
		if e.kind == kindPacketOut {
			err := c.rejectSlave()
			if err == nil {
				err = c.packetOut(cd, e.po)
			}
			if err != nil {
				c.replyError(cd.version, e.xid, asOFError(err), e.raw)
			}
		}
	}
	return nil
}

// restore puts the flow and group tables back as they were in snap.
func restore(dp Datapath, snap []pipeline.FlowStats, groups []pipeline.GroupStats, now int64) {
	dp.FlowMod(&pipeline.FlowMod{
		Command:  pipeline.FlowDelete,
		Spec:     pipeline.FlowSpec{Table: pipeline.TableAll},
		OutPort:  pipeline.PortAny,
		OutGroup: pipeline.GroupAny,
	}, now)
	dp.GroupMod(pipeline.GroupDelete, &pipeline.GroupSpec{ID: pipeline.GroupAll})
	for i := range groups {
		dp.GroupMod(pipeline.GroupAdd, &groups[i].Spec)
	}
	for i := range snap {
		spec := snap[i].Spec
		spec.Flags &^= pipeline.FlagCheckOverlap
		dp.FlowMod(&pipeline.FlowMod{Command: pipeline.FlowAdd, Spec: spec, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, now)
	}
}
