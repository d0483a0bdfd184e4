package nxm

import (
	"encoding/binary"
	"fmt"

	"gswitch/packet"
	"gswitch/pipeline"
)

// Nicira learn and fin_timeout (OVS's lib/ofp-actions.c and lib/learn.c).
const (
	nxastLearn      = 16
	nxastFinTimeout = 19
	nxastLearn2     = 45
)

// flow_mod_spec header bits (NX_LEARN_*).
const (
	learnNBitsMask = 0x3ff
	learnSrcImm    = 1 << 13
	learnDstShift  = 11
	learnDstMask   = 3 << learnDstShift
)

// decodeFinTimeout is OVS's decode_NXAST_RAW_FIN_TIMEOUT: 16 bytes, the
// padding is not looked at.
func decodeFinTimeout(b []byte) (pipeline.Action, *pipeline.Error) {
	if err := fixedLen(len(b), 16, "fin_timeout"); err != nil {
		return nil, err
	}
	be16 := binary.BigEndian.Uint16
	return pipeline.FinTimeout{IdleTimeout: be16(b[10:]), HardTimeout: be16(b[12:])}, nil
}

// decodeLearn is OVS's decode_NXAST_RAW_LEARN/LEARN2 followed by the
// checks of learn_check that do not depend on the learning flow's match
// (the sources' prerequisites are the pipeline's, which knows the match):
// subfield bounds, the writability of load destinations, and the
// prerequisites of the learned match's fields, met only by the immediate
// values of earlier match specs. A spec's fields may be tun_metadata that
// tab maps (with the mapped width, as OVS's vl_mff_map gives them; an
// unmapped one is NXFMFC_INVALID_TLV_FIELD).
func decodeLearn(sub uint16, b []byte, tab *packet.TLVTable) (pipeline.Action, *pipeline.Error) {
	n := len(b)
	be16, be32, be64 := binary.BigEndian.Uint16, binary.BigEndian.Uint32, binary.BigEndian.Uint64
	hdrLen := 32
	if sub == nxastLearn2 {
		hdrLen = 40
	}
	if err := minLen(n, hdrLen, "learn"); err != nil {
		return nil, err
	}
	if sub == nxastLearn2 && be16(b[38:]) != 0 {
		return nil, pipeline.Errorf(pipeline.NXBAC_MUST_BE_ZERO, "learn2: nonzero padding")
	}
	l := pipeline.Learn{
		IdleTimeout: be16(b[10:]), HardTimeout: be16(b[12:]), Priority: be16(b[14:]),
		Cookie: be64(b[16:]), Flags: be16(b[24:]), Table: b[26],
		FinIdleTimeout: be16(b[28:]), FinHardTimeout: be16(b[30:]), V2: sub == nxastLearn2,
	}
	if b[27] != 0 {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "learn: nonzero padding")
	}
	if l.Table == 0xff {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "learn: table 255")
	}
	allowed := uint16(pipeline.LearnSendFlowRem | pipeline.LearnDeleteLearned)
	if l.V2 {
		allowed |= pipeline.LearnWriteResult
	}
	if l.Flags&^allowed != 0 {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "learn: unknown flags %#x", l.Flags)
	}
	p := b[hdrLen:]
	if l.V2 {
		l.Limit = be32(b[32:])
		ofs := be16(b[36:])
		if l.Flags&pipeline.LearnWriteResult != 0 {
			f, rest, err := pullHeader(p)
			if err != nil {
				return nil, err
			}
			if !packet.Fields[subfieldID(f)].Writable {
				return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "learn: result_dst %s is not writable", f.Name)
			}
			// OVS checks neither the offset nor the width here.
			l.ResultDst = pipeline.Subfield{Field: subfieldID(f), Ofs: ofs, NBits: 1}
			p = rest
		} else if ofs != 0 {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "learn: result_dst_ofs without result_dst")
		}
	}
	type rawSpec struct {
		spec     pipeline.LearnSpec
		src, dst pulledField
		hasSrc   bool
	}
	var raw []rawSpec
	for len(p) >= 2 {
		h := be16(p)
		p = p[2:]
		if h == 0 {
			break
		}
		s := pipeline.LearnSpec{Kind: uint8(h & learnDstMask >> learnDstShift), Imm: h&learnSrcImm != 0,
			NBits: h & learnNBitsMask}
		if !(s.Kind == pipeline.LearnMatch || s.Kind == pipeline.LearnLoad || s.Kind == pipeline.LearnOutput && !s.Imm) {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "learn: spec header %#x", h)
		}
		need := 6
		if s.Imm {
			need = 2 * ((int(s.NBits) + 15) / 16)
		}
		if s.Kind != pipeline.LearnOutput {
			need += 6
		}
		if len(p) < need {
			return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_LEN, "learn: spec needs %d bytes, %d left", need, len(p))
		}
		var r rawSpec
		if s.Imm {
			pb := 2 * ((int(s.NBits) + 15) / 16)
			ib := (int(s.NBits) + 7) / 8
			imm := p[pb-ib : pb]
			if len(imm) > 16 {
				// wider than any field but tun_metadata (the check
				// below refuses it elsewhere)
				s.Wide = append([]byte(nil), imm...)
				imm = imm[len(imm)-16:]
			}
			var v [16]byte
			copy(v[16-len(imm):], imm)
			s.Value = packet.U128{Hi: be64(v[:]), Lo: be64(v[8:])}
			p = p[pb:]
		} else {
			f, err := fieldFromNXMHeaderTun(be32(p), tab)
			if err != nil {
				return nil, err
			}
			r.src, r.hasSrc = f, true
			s.Src = f.subfield(be16(p[4:]), s.NBits)
			p = p[6:]
		}
		if s.Kind != pipeline.LearnOutput {
			f, err := fieldFromNXMHeaderTun(be32(p), tab)
			if err != nil {
				return nil, err
			}
			r.dst = f
			s.Dst = f.subfield(be16(p[4:]), s.NBits)
			p = p[6:]
		}
		r.spec = s
		raw = append(raw, r)
	}
	if !allZero(p) {
		return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_ARGUMENT, "learn: bytes after the specs")
	}
	// learn_check, but for the sources' prerequisites.
	var dm pipeline.Match
	for i := range raw {
		r := &raw[i]
		s := &r.spec
		if r.hasSrc {
			if _, err := r.src.check(s.Src.Ofs, s.NBits, false); err != nil {
				return nil, err
			}
		}
		switch s.Kind {
		case pipeline.LearnMatch, pipeline.LearnLoad:
			if _, err := r.dst.check(s.Dst.Ofs, s.NBits, false); err != nil {
				return nil, err
			}
			if r.dst.tun.Len != 0 {
				break // tun_metadata: no prerequisites, writable
			}
			if !packet.Fields[s.Dst.Field].Prereq.MetBy(&dm.Value, &dm.Mask) {
				return nil, pipeline.Errorf(pipeline.OFPBAC_MATCH_INCONSISTENT,
					"learn: destination field %s lacks correct prerequisites", r.dst.f.Name)
			}
			if s.Kind == pipeline.LearnLoad {
				if !packet.Fields[s.Dst.Field].Writable {
					return nil, pipeline.Errorf(pipeline.OFPBAC_BAD_SET_ARGUMENT, "learn: destination field %s is not writable", r.dst.f.Name)
				}
			} else if s.Imm {
				pipeline.LearnMatchSet(&dm, s.Dst, s.Value)
			}
		}
		l.Specs = append(l.Specs, *s)
	}
	return l, nil
}

// appendLearn is OVS's encode_LEARN.
func appendLearn(b []byte, l *pipeline.Learn) ([]byte, error) {
	start := len(b)
	v2 := l.V2 || l.Limit != 0 || l.Flags&pipeline.LearnWriteResult != 0
	sub := uint16(nxastLearn)
	if v2 {
		sub = nxastLearn2
	}
	b = nxHdr(b, sub, 0)
	b = be16(b, l.IdleTimeout, l.HardTimeout, l.Priority)
	b = binary.BigEndian.AppendUint64(b, l.Cookie)
	b = be16(b, l.Flags)
	b = append(b, l.Table, 0)
	b = be16(b, l.FinIdleTimeout, l.FinHardTimeout)
	if v2 {
		ofs := uint16(0)
		if l.Flags&pipeline.LearnWriteResult != 0 {
			ofs = l.ResultDst.Ofs
		}
		b = be32(b, l.Limit)
		b = be16(b, ofs, 0)
		if l.Flags&pipeline.LearnWriteResult != 0 {
			h := subfieldHeader(l.ResultDst)
			if h == nil {
				return nil, fmt.Errorf("nxm: learn result_dst in an unknown field")
			}
			b = appendHeader(b, h)
		}
	}
	for _, s := range l.Specs {
		h := s.NBits&learnNBitsMask | uint16(s.Kind)<<learnDstShift
		if s.Imm {
			h |= learnSrcImm
		}
		b = be16(b, h)
		if s.Imm {
			pb := 2 * ((int(s.NBits) + 15) / 16)
			ib := (int(s.NBits) + 7) / 8
			b = zeros(b, pb-ib)
			if ib > 16 {
				if len(s.Wide) != ib {
					return nil, fmt.Errorf("nxm: learn immediate of %d bits without its %d bytes", s.NBits, ib)
				}
				b = append(b, s.Wide...)
			} else {
				var v [16]byte
				binary.BigEndian.PutUint64(v[:], s.Value.Hi)
				binary.BigEndian.PutUint64(v[8:], s.Value.Lo)
				b = append(b, v[16-ib:]...)
			}
		} else {
			var err error
			if b, err = appendLearnField(b, s.Src); err != nil {
				return nil, err
			}
		}
		if s.Kind != pipeline.LearnOutput {
			var err error
			if b, err = appendLearnField(b, s.Dst); err != nil {
				return nil, err
			}
		}
	}
	return finish(b, start), nil
}

// appendLearnField writes a spec's field header (4 bytes: NXM if the field
// has one, else OXM, as nxm_header_from_mff; tun_metadata with its mapped
// length) and offset.
func appendLearnField(b []byte, sf pipeline.Subfield) ([]byte, error) {
	if t := sf.Tun; t.Len != 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(MakeHeader(ClassNXM1, uint8(tunFieldBase+int(t.Idx)), false, t.Len)))
		return be16(b, sf.Ofs), nil
	}
	h := subfieldHeader(sf)
	if h == nil || h.Class == ClassExperimenter {
		return nil, fmt.Errorf("nxm: learn spec field %d has no 4-byte header", sf.Field)
	}
	return be16(appendHeader(b, h), sf.Ofs), nil
}
