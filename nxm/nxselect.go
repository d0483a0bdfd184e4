package nxm

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"gswitch/packet"
	"gswitch/pipeline"
)

// NXAST_POP_QUEUE, NXAST_MULTIPATH, NXAST_BUNDLE and NXAST_BUNDLE_LOAD, as
// OVS 3.1's lib/ofp-actions.c decodes and encodes them.
const (
	nxastPopQueue   = 5
	nxastMultipath  = 10
	nxastBundle     = 12
	nxastBundleLoad = 13
)

// nxmInPortHeader is NXM_OF_IN_PORT's header, the only bundle member type.
const nxmInPortHeader = 0x00000002

func validHashFields(f uint16) bool { return f <= pipeline.HashSymmetricL3 }

// decodeMultipath is OVS's decode_NXAST_RAW_MULTIPATH (32 bytes).
func decodeMultipath(b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	if err := fixedLen(len(b), 32, "multipath"); err != nil {
		return nil, err
	}
	be16, be32 := binary.BigEndian.Uint16, binary.BigEndian.Uint32
	mp := pipeline.Multipath{Fields: be16(b[10:]), Basis: be16(b[12:]), Algorithm: be16(b[16:]),
		MaxLink: be16(b[18:]), Arg: be32(b[20:])}
	ofsNBits := be16(b[26:])
	ofs, nbits := ofsNBits>>6, ofsNBits&0x3f+1
	f, err := fieldFromNXMHeaderTun(be32(b[28:]), tab)
	if err != nil {
		return nil, err
	}
	nLinks := uint32(mp.MaxLink) + 1
	minBits := uint16(bits.Len32(nLinks - 1)) // log_2_ceil
	switch {
	case !validHashFields(mp.Fields):
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "multipath: unsupported fields %d", mp.Fields)
	case mp.Algorithm > pipeline.MPIterHash:
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "multipath: unsupported algorithm %d", mp.Algorithm)
	case nbits < minBits:
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "multipath: %d links need at least %d bits", nLinks, minBits)
	}
	sf, err := f.check(ofs, nbits, true)
	if err != nil {
		return nil, err
	}
	mp.Dst = sf
	return mp, nil
}

// decodeBundle is OVS's decode_bundle: its checks and their precedence
// (the first of the argument errors, then a bad destination header, then a
// short member list; the member ports last).
func decodeBundle(load bool, b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	if err := minLen(len(b), 32, "bundle"); err != nil {
		return nil, err
	}
	be16, be32 := binary.BigEndian.Uint16, binary.BigEndian.Uint32
	bd := pipeline.Bundle{Algorithm: be16(b[10:]), Fields: be16(b[12:]), Basis: be16(b[14:]), Load: load}
	memberType, n := be32(b[16:]), int(be16(b[20:]))
	ofsNBits, dst := be16(b[22:]), be32(b[24:])
	var err *pipeline.Error
	bad := func(what string, args ...any) *pipeline.Error {
		return pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "bundle: "+what, args...)
	}
	switch {
	case !validHashFields(bd.Fields):
		err = bad("unsupported fields %d", bd.Fields)
	case n > pipeline.BundleMaxMembers:
		err = bad("too many members (%d)", n)
	case bd.Algorithm != pipeline.BundleHRW && bd.Algorithm != pipeline.BundleActiveBackup:
		err = bad("unsupported algorithm %d", bd.Algorithm)
	case memberType != nxmInPortHeader:
		err = bad("unsupported member type %#x", memberType)
	}
	if !allZero(b[28:32]) {
		err = bad("reserved field is nonzero")
	}
	var sf pipeline.Subfield
	var dstErr *pipeline.Error
	if load {
		f, e := fieldFromNXMHeaderTun(dst, tab)
		if e != nil {
			return nil, e
		}
		nbits := ofsNBits&0x3f + 1
		if nbits < 16 {
			err = bad("bundle_load needs a destination of at least 16 bits")
		}
		sf, dstErr = f.check(ofsNBits>>6, nbits, true)
	} else if ofsNBits != 0 || dst != 0 {
		err = bad("nonzero reserved fields")
	}
	if len(b)-32 < 2*n {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "bundle: %d bytes for %d members", len(b)-32, n)
	}
	if err != nil {
		return nil, err
	}
	if dstErr != nil {
		return nil, dstErr
	}
	bd.Dst = sf
	bd.Members = make([]uint32, n)
	for i := range bd.Members {
		p := PortFrom16(be16(b[32+2*i:]))
		if p != pipeline.PortAny {
			if e := checkOutputPort(p); e != nil {
				return nil, e
			}
		}
		if p == pipeline.PortController {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_OUT_PORT, "bundle: controller members are not supported")
		}
		bd.Members[i] = p
	}
	return bd, nil
}

func appendMultipath(b []byte, mp *pipeline.Multipath) ([]byte, error) {
	h := subfieldHeader(mp.Dst)
	if h == nil || h.Class == ClassExperimenter {
		return nil, fmt.Errorf("nxm: multipath into %v has no NXM header", mp.Dst.Field)
	}
	b = nxHdr(b, nxastMultipath, 32)
	b = be16(b, mp.Fields, mp.Basis, 0, mp.Algorithm, mp.MaxLink)
	b = be32(b, mp.Arg)
	b = be16(b, 0, encodeOfsNBits(mp.Dst.Ofs, mp.Dst.NBits))
	return appendHeader(b, h), nil
}

func appendBundle(b []byte, bd *pipeline.Bundle) ([]byte, error) {
	sub := uint16(nxastBundle)
	if bd.Load {
		sub = nxastBundleLoad
	}
	start := len(b)
	b = nxHdr(b, sub, 0)
	b = be16(b, bd.Algorithm, bd.Fields, bd.Basis)
	b = be32(b, nxmInPortHeader)
	b = be16(b, uint16(len(bd.Members)))
	if bd.Load {
		h := subfieldHeader(bd.Dst)
		if h == nil || h.Class == ClassExperimenter {
			return nil, fmt.Errorf("nxm: bundle_load into %v has no NXM header", bd.Dst.Field)
		}
		b = be16(b, encodeOfsNBits(bd.Dst.Ofs, bd.Dst.NBits))
		b = appendHeader(b, h)
	} else {
		b = zeros(b, 6)
	}
	b = zeros(b, 4)
	for _, p := range bd.Members {
		v, ok := PortTo16(p)
		if !ok {
			return nil, fmt.Errorf("nxm: bundle member %#x has no OpenFlow 1.0 number", p)
		}
		b = be16(b, v)
	}
	return finish(b, start), nil
}
