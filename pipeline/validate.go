package pipeline

import (
	"gswitch/ct"
	"gswitch/ct/nat"
	"gswitch/packet"
)

// fieldMasks[f] has the bits of field f set.
var fieldMasks [packet.NumFields]packet.Words

func init() {
	for f := packet.FieldID(1); f < packet.NumFields; f++ {
		fieldMasks[f].Set(f, packet.Ones(packet.Fields[f].Bits))
	}
}

// checkMatch normalizes m (value bits outside the mask cleared) and checks
// that every matched bit belongs to a field whose prerequisites the whole
// match satisfies (OFPBMC_BAD_PREREQ otherwise; the wire decoders have
// already checked each field against the fields before it). Fields that
// share bits (tcp_src, udp_src, icmp_type...) are told apart by which
// prerequisites hold. Then, as OVS's ofputil_decode_flow_mod, the ct
// original-direction addresses must be of the match's IP version
// (OFPBAC_MATCH_INCONSISTENT): that is not a prerequisite (ct_nw_src's is
// CT), so it is checked here and not in the field table.
func checkMatch(m *Match) error {
	for i := range m.Value {
		m.Value[i] &= m.Mask[i]
	}
	left := m.Mask
	for f := packet.FieldID(1); f < packet.NumFields; f++ {
		if packet.Fields[f].Prereq.MetBy(&m.Value, &m.Mask) {
			for i := range left {
				left[i] &^= fieldMasks[f][i]
			}
		}
	}
	for i, w := range left {
		if w == 0 {
			continue
		}
		for f := packet.FieldID(1); f < packet.NumFields; f++ {
			if fieldMasks[f][i]&w != 0 {
				return Errorf(OFPBMC_BAD_PREREQ, "match on %s without its prerequisites", f)
			}
		}
		return Errorf(OFPBMC_BAD_FIELD, "match on unknown bits of key word %d", i)
	}
	et := m.Value.EthType()
	if (m.Mask.CtNwSrc() != 0 || m.Mask.CtNwDst() != 0) && et != packet.EthTypeIPv4 ||
		(!m.Mask.CtIPv6Src().IsZero() || !m.Mask.CtIPv6Dst().IsZero()) && et != packet.EthTypeIPv6 {
		return Errorf(OFPBAC_MATCH_INCONSISTENT, "ct original-direction addresses of another IP version than the match's eth_type %#x", et)
	}
	return nil
}

// checker validates action lists against a flow's match, as OVS's
// ofpacts_check: push_vlan and pop_vlan change what later actions may
// assume about the packet.
type checker struct {
	v     *version
	m     Match // working copy of the match
	table uint8
	lax   bool // OpenFlow 1.0: inconsistencies are tolerated
	// bucket: the actions of a group bucket, which OVS checks only as it
	// decodes them (ofpacts_pull_openflow_actions: the decoders and
	// ofpacts_verify; never ofpacts_check, never ofproto_check_ofpacts).
	// So none against a match (prerequisites, IP version of a NAT range,
	// protocol of an ALG), none that a named group exists, none of the
	// number of VLAN headers pushed.
	bucket bool
	vlans  int // VLAN headers known to be present
	// groups collects the groups the actions name.
	groups []uint32
}

func newChecker(v *version, m *Match, table uint8, lax bool) *checker {
	c := &checker{v: v, m: *m, table: table, lax: lax}
	if m.Value.VlanTCI()&packet.VlanCFI != 0 {
		c.vlans = 1
	}
	return c
}

func (c *checker) inconsistent(format string, args ...any) error {
	if c.lax || c.bucket {
		return nil
	}
	return Errorf(OFPBAC_MATCH_INCONSISTENT, format, args...)
}

func (c *checker) ethType() uint16 { return c.m.Value.EthType() }

// setEthType is what push_mpls and pop_mpls tell later actions: the
// packet's Ethernet type is et.
func (c *checker) setEthType(et uint16) {
	c.m.Value.Set(packet.FieldEthType, packet.U128{Lo: uint64(et)})
	c.m.Mask.Set(packet.FieldEthType, packet.Ones(16))
}

func (c *checker) isIP() bool {
	et := c.ethType()
	return et == packet.EthTypeIPv4 || et == packet.EthTypeIPv6
}

// checkSubfield is OVS's mf_check_src/mf_check_dst.
func (c *checker) checkSubfield(sf Subfield, dst bool) error {
	if t := sf.Tun; t.Len != 0 {
		w := uint(t.Bits())
		if sf.NBits == 0 || uint(sf.Ofs)+uint(sf.NBits) > w {
			return Errorf(OFPBAC_BAD_SET_LEN, "bits %d+%d exceed %d-bit tun_metadata%d", sf.Ofs, sf.NBits, w, t.Idx)
		}
		return nil
	}
	if !sf.Field.Valid() {
		return Errorf(OFPBAC_BAD_SET_TYPE, "unknown field %d", sf.Field)
	}
	d := &packet.Fields[sf.Field]
	switch {
	case sf.NBits == 0:
		return Errorf(OFPBAC_BAD_SET_LEN, "zero bit subfield of %s", d.Name)
	case uint(sf.Ofs) >= d.Bits:
		return Errorf(OFPBAC_BAD_SET_LEN, "bit offset %d exceeds %d-bit width of %s", sf.Ofs, d.Bits, d.Name)
	case uint(sf.Ofs)+uint(sf.NBits) > d.Bits:
		return Errorf(OFPBAC_BAD_SET_LEN, "bits %d..%d exceed %d-bit width of %s",
			sf.Ofs, int(sf.Ofs)+int(sf.NBits)-1, d.Bits, d.Name)
	}
	if err := c.checkPrereq(sf.Field); err != nil {
		return err
	}
	if dst && !d.Writable {
		return Errorf(OFPBAC_BAD_SET_ARGUMENT, "destination field %s is not writable", d.Name)
	}
	return nil
}

func (c *checker) checkPrereq(f packet.FieldID) error {
	if !c.bucket && !packet.Fields[f].Prereq.MetBy(&c.m.Value, &c.m.Mask) {
		return Errorf(OFPBAC_MATCH_INCONSISTENT, "field %s lacks correct prerequisites", f)
	}
	return nil
}

func isCTField(f packet.FieldID) bool { return f == packet.FieldCtMark || f == packet.FieldCtLabel }

// checkOutPort is OVS's ofpact_check_output_port.
func checkOutPort(p uint32) error {
	switch p {
	case PortInPort, PortTable, PortNormal, PortFlood, PortAll, PortController, PortLocal:
		return nil
	}
	if p < PortMax {
		return nil
	}
	return Errorf(OFPBAC_BAD_OUT_PORT, "invalid output port %#x", p)
}

// ActionSetAllowed reports whether a may be written to the action set
// (OVS's action_set_classify; dec_nsh_ttl has the last slot). The decoder
// of write-actions (nxm) asks it too.
func ActionSetAllowed(a Action) bool {
	switch a.(type) {
	case Output, GroupAction, SetField, RegLoad, Move, DecTTL, SetTTL, PushVLAN, PopVLAN,
		SetQueue, CT, CTClear, Resubmit, PushMPLS, PopMPLS, DecMPLSTTL, DecNSHTTL, SetTun:
		return true
	}
	return false
}

// actions checks acts (apply-actions, a write-actions set or a bucket) and
// fills in CT.Params. acts is edited in place: pass a copy.
func (c *checker) actions(acts []Action, actionSet bool) error {
	for i, a := range acts {
		if actionSet && !ActionSetAllowed(a) {
			return Errorf(OFPBAC_BAD_TYPE, "%T action not allowed in the action set", a)
		}
		if err := c.action(acts, i); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) action(acts []Action, i int) error {
	switch a := acts[i].(type) {
	case Output:
		return checkOutPort(a.Port)
	case OutputReg:
		return c.checkSubfield(a.Src, false)
	case Controller:
	case GroupAction:
		if !c.bucket && c.v.groups[a.GroupID] == nil {
			return Errorf(OFPBAC_BAD_OUT_GROUP, "group %d does not exist", a.GroupID)
		}
		c.groups = append(c.groups, a.GroupID)
	case SetField:
		if !a.Field.Valid() {
			return Errorf(OFPBAC_BAD_SET_TYPE, "set_field of unknown field %d", a.Field)
		}
		d := &packet.Fields[a.Field]
		if !d.Writable {
			return Errorf(OFPBAC_BAD_SET_TYPE, "field %s is not writable", d.Name)
		}
		if isCTField(a.Field) {
			return Errorf(OFPBAC_BAD_SET_ARGUMENT, "cannot set CT fields outside of ct action")
		}
		if !a.Value.AndNot(packet.Ones(d.Bits)).IsZero() {
			return Errorf(OFPBAC_BAD_SET_ARGUMENT, "value too wide for %s", d.Name)
		}
		if !c.bucket && (!d.Prereq.MetBy(&c.m.Value, &c.m.Mask) ||
			(a.Field == packet.FieldVlanVID && c.vlans == 0)) {
			if c.lax && d.Header {
				return nil
			}
			return Errorf(OFPBAC_MATCH_INCONSISTENT, "set_field %s lacks correct prerequisites", d.Name)
		}
		if a.Field == packet.FieldVlanTCI {
			// set_field may add or remove the tag.
			if a.Value.Lo&packet.VlanCFI != 0 {
				c.vlans = max(c.vlans, 1)
			} else {
				c.vlans = 0
			}
		}
	case SetTun:
		if a.F.Len == 0 || a.F.Len > packet.TunMetaMaxLen {
			return Errorf(OFPBAC_BAD_SET_TYPE, "set_field of unmapped tun_metadata%d", a.F.Idx)
		}
	case RegLoad:
		if err := c.checkSubfield(a.Dst, true); err != nil {
			return err
		}
		if isCTField(a.Dst.Field) {
			return Errorf(OFPBAC_BAD_SET_ARGUMENT, "cannot set CT fields outside of ct action")
		}
		if !a.Value.AndNot(subOnes(a.Dst.NBits)).IsZero() {
			return Errorf(OFPBAC_BAD_SET_ARGUMENT, "value does not fit in %d bits", a.Dst.NBits)
		}
	case Move:
		if err := c.checkSubfield(a.Src, false); err != nil {
			return err
		}
		if err := c.checkSubfield(a.Dst, true); err != nil {
			return err
		}
		if a.Src.NBits != a.Dst.NBits {
			return Errorf(OFPBAC_BAD_SET_LEN, "move of %d bits into %d bits", a.Src.NBits, a.Dst.NBits)
		}
		if isCTField(a.Dst.Field) {
			return Errorf(OFPBAC_BAD_SET_ARGUMENT, "cannot set CT fields outside of ct action")
		}
	case Resubmit:
		if a.CT && !c.bucket {
			if !packet.PrereqCT.MetBy(&c.m.Value, &c.m.Mask) {
				return Errorf(OFPBAC_MATCH_INCONSISTENT, "resubmit(,,ct) needs a match on a valid ct_state")
			}
		}
	case DecTTL:
		if !c.isIP() {
			return c.inconsistent("dec_ttl on a flow that does not match IP")
		}
	case SetTTL:
		if !c.isIP() {
			return c.inconsistent("mod_nw_ttl on a flow that does not match IP")
		}
	case PushVLAN:
		if a.EthType != packet.EthTypeVLAN && a.EthType != packet.EthTypeQinQ {
			return Errorf(OFPBAC_BAD_ARGUMENT, "push_vlan: %#x is not a VLAN ethertype", a.EthType)
		}
		if c.vlans >= packet.MaxVLANs && !c.bucket {
			return Errorf(OFPBAC_BAD_TAG, "push_vlan: too many VLAN headers")
		}
		c.vlans++
		c.m.Value.SetVlanTCI(c.m.Value.VlanTCI() | packet.VlanCFI)
		c.m.Mask.SetVlanTCI(c.m.Mask.VlanTCI() | packet.VlanCFI)
	case PopVLAN:
		if c.vlans == 0 {
			if err := c.inconsistent("pop_vlan on a flow that does not match a VLAN"); err != nil {
				return err
			}
		} else {
			c.vlans--
		}
		if c.vlans == 0 {
			c.m.Value.SetVlanTCI(0)
			c.m.Mask.SetVlanTCI(0)
		}
	case PushMPLS:
		// OVS's check_PUSH_MPLS: the packet is MPLS from here on, its
		// network protocol unknown.
		if !packet.IsMPLS(a.EthType) {
			return Errorf(OFPBAC_BAD_ARGUMENT, "push_mpls: %#x is not an MPLS ethertype", a.EthType)
		}
		c.setEthType(a.EthType)
		c.m.Value.SetNwProto(0)
	case PopMPLS:
		if !packet.IsMPLS(c.ethType()) {
			if err := c.inconsistent("pop_mpls on a flow that does not match MPLS"); err != nil {
				return err
			}
		}
		c.setEthType(a.EthType)
	case DecMPLSTTL:
		if !packet.IsMPLS(c.ethType()) {
			return c.inconsistent("dec_mpls_ttl on a flow that does not match MPLS")
		}
	case DecNSHTTL:
		// OVS's check_DEC_NSH_TTL (packet_type (1,0x894f) also sets
		// eth_type in the match).
		if c.ethType() != packet.EthTypeNSH {
			return c.inconsistent("dec_nsh_ttl on a flow that does not match NSH")
		}
	case SetQueue, PopQueue, Note, CTClear, Exit:
	case Multipath:
		// OVS's multipath_check: the destination, as a load's.
		return c.checkSubfield(a.Dst, true)
	case Bundle:
		// OVS's bundle_check.
		if a.Load {
			if err := c.checkSubfield(a.Dst, true); err != nil {
				return err
			}
		}
		for _, p := range a.Members {
			if p != PortAny {
				if err := checkOutPort(p); err != nil {
					return err
				}
			}
			if p == PortController {
				return Errorf(OFPBAC_BAD_OUT_PORT, "bundle: controller members are not supported")
			}
		}
	case Conjunction:
		if a.NClauses < 2 || a.NClauses > 64 || a.Clause >= a.NClauses {
			return Errorf(NXBAC_BAD_CONJUNCTION, "conjunction(%d,%d/%d): bad clause", a.ID, a.Clause+1, a.NClauses)
		}
		for _, o := range acts {
			switch o.(type) {
			case Conjunction, Note:
			default:
				return Errorf(NXBAC_BAD_CONJUNCTION,
					"\"conjunction\" actions may be used along with \"note\" but not any other kind of action (such as %T)", o)
			}
		}
	case NAT:
		return Errorf(OFPBAC_BAD_SET_ARGUMENT, "cannot have NAT action outside of \"ct\" action")
	case StackPush:
		return c.checkSubfield(a.Src, false)
	case StackPop:
		// OVS accepts pop into ct_mark and ct_label (ofpacts_verify's
		// ct-field rule does not look at pop): only the key changes.
		return c.checkSubfield(a.Dst, true)
	case CheckPktLarger:
		// OVS checks the destination's width and writability only (its
		// check_CHECK_PKT_LARGER does not look at the match).
		if a.Dst.NBits != 1 {
			return Errorf(OFPBAC_BAD_SET_LEN, "check_pkt_larger writes 1 bit, not %d", a.Dst.NBits)
		}
		np := c.bucket
		c.bucket = true
		err := c.checkSubfield(a.Dst, true)
		c.bucket = np
		return err
	case Learn:
		return c.learn(&a)
	case FinTimeout:
		// OVS's check_FIN_TIMEOUT refuses nothing.
		return nil
	case Sample:
		// OVS's check_SAMPLE refuses nothing (the decoder refused a zero
		// probability and an unknown direction).
		return nil
	case Meter:
		// OVS's check_METER, then ofproto_check_ofpacts (flow-mods and
		// packet-outs, not group buckets): the meter must exist.
		if a.ID == 0 || a.ID > MeterMax {
			return Errorf(OFPMMFC_INVALID_METER, "meter:%d is not a valid meter id", a.ID)
		}
		if !c.bucket && c.v.meters.get(a.ID) == nil {
			return Errorf(OFPMMFC_INVALID_METER, "meter %d does not exist", a.ID)
		}
	case Clone:
		// OVS's check_CLONE: the nested actions are checked as if they
		// were in the enclosing list (sharing what push/pop_vlan imply).
		a.Actions = append([]Action(nil), a.Actions...)
		if err := c.actions(a.Actions, false); err != nil {
			return err
		}
		acts[i] = a
	case CT:
		p, err := c.checkCT(&a)
		if err != nil {
			return err
		}
		a.Params = *p
		acts[i] = a
	default:
		return Errorf(OFPBAC_BAD_TYPE, "unknown action %T", a)
	}
	return nil
}

// checkCT validates a ct action (OVS check_CT, decode_NXAST_RAW_CT and
// ofpacts_verify_nested) and derives its ct.Params.
func (c *checker) checkCT(a *CT) (*ct.Params, error) {
	st := c.m.Value.CtState()
	proto := c.m.Value.NwProto()
	commit := a.Flags&CTCommit != 0
	switch {
	case !c.isIP() && !c.bucket:
		return nil, Errorf(OFPBAC_MATCH_INCONSISTENT, "ct needs a flow that matches IPv4 or IPv6")
	case st&packet.CsInv != 0 && commit:
		return nil, Errorf(OFPBAC_MATCH_INCONSISTENT, "ct(commit) on a flow matching +inv")
	case a.Alg == ct.AlgFTP && proto != packet.ProtoTCP && !c.bucket:
		return nil, Errorf(OFPBAC_MATCH_INCONSISTENT, "ct(alg=ftp) needs a flow that matches TCP")
	case a.Alg == ct.AlgTFTP && proto != packet.ProtoUDP && !c.bucket:
		return nil, Errorf(OFPBAC_MATCH_INCONSISTENT, "ct(alg=tftp) needs a flow that matches UDP")
	case a.Alg != 0 && a.Alg != ct.AlgFTP && a.Alg != ct.AlgTFTP:
		return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct: unknown alg %d", a.Alg)
	case a.Flags&CTForce != 0 && !commit:
		return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct(force) requires commit")
	case a.Flags&^(CTCommit|CTForce) != 0:
		return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct: unknown flags %#x", a.Flags)
	}
	p := &ct.Params{Zone: a.Zone, Commit: commit, Force: a.Flags&CTForce != 0, Alg: a.Alg}
	if a.ZoneSrc.Field != packet.FieldInvalid {
		if err := c.checkSubfield(a.ZoneSrc, false); err != nil {
			return nil, err
		}
		if a.ZoneSrc.NBits != 16 {
			return nil, Errorf(OFPBAC_BAD_SET_LEN, "ct zone subfield must be 16 bits, not %d", a.ZoneSrc.NBits)
		}
		p.Zone = 0
	}
	for _, x := range a.Exec {
		var f packet.FieldID
		var v, m packet.U128
		switch x := x.(type) {
		case NAT:
			et := c.ethType()
			if !c.bucket && (x.IsV6() && et != packet.EthTypeIPv6 ||
				!x.IsV6() && x.RangePresent&(ct.NATRangeIPv4Min|ct.NATRangeIPv4Max) != 0 && et != packet.EthTypeIPv4) {
				return nil, Errorf(OFPBAC_MATCH_INCONSISTENT, "nat address family does not match the flow")
			}
			// More than one nat: the last one counts (OVS's translation
			// keeps the last it meets; no decoder or check refuses it).
			// The range rules of OVS's NXAST_NAT decoder (inverted address
			// or port range, mixed families, flags without a kind).
			if _, err := nat.FromRaw(x.Flags, x.RangePresent, x.AddrMin, x.AddrMax, x.PortMin, x.PortMax); err != nil {
				return nil, Errorf(OFPBAC_BAD_ARGUMENT, "nat: %v", err)
			}
			n := x.NAT
			p.NAT = &n
			continue
		case Move:
			// move:SRC->ct_mark[...] / ct_label[...]: the value comes from
			// each packet at run time; only the destination bits are known.
			if !isCTField(x.Dst.Field) || x.Dst.Field == packet.FieldCtState {
				return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct action doesn't support nested modification of %s", x.Dst.Field)
			}
			if err := c.checkSubfield(x.Src, false); err != nil {
				return nil, err
			}
			if err := c.checkSubfield(x.Dst, true); err != nil {
				return nil, err
			}
			if x.Src.NBits != x.Dst.NBits {
				return nil, Errorf(OFPBAC_BAD_SET_LEN, "move: source and destination widths differ (%d, %d)", x.Src.NBits, x.Dst.NBits)
			}
			if !commit {
				return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct requires commit for actions other than a bare nat")
			}
			m := subOnes(x.Dst.NBits).Shl(uint(x.Dst.Ofs))
			switch x.Dst.Field {
			case packet.FieldCtMark:
				p.SetMark = true
				p.MarkMask |= uint32(m.Lo)
			case packet.FieldCtLabel:
				p.SetLabel = true
				p.LabelMask = p.LabelMask.Or(m)
			default:
				return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct action doesn't support nested modification of %s", x.Dst.Field)
			}
			continue
		case SetField:
			f, v, m = x.Field, x.Value.And(x.Mask), x.Mask
		case RegLoad:
			f = x.Dst.Field
			if isCTField(f) {
				if err := c.checkSubfield(x.Dst, true); err != nil {
					return nil, err
				}
			}
			m = subOnes(x.Dst.NBits).Shl(uint(x.Dst.Ofs))
			v = x.Value.Shl(uint(x.Dst.Ofs)).And(m)
		default:
			return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct action doesn't support nested action %T", x)
		}
		if !commit {
			return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct requires commit for actions other than a bare nat")
		}
		switch f {
		case packet.FieldCtMark:
			p.SetMark = true
			p.Mark = uint32(v.Lo) | p.Mark&^uint32(m.Lo)
			p.MarkMask |= uint32(m.Lo)
		case packet.FieldCtLabel:
			p.SetLabel = true
			p.Label = v.Or(p.Label.AndNot(m))
			p.LabelMask = p.LabelMask.Or(m)
		default:
			return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct action doesn't support nested modification of %s", f)
		}
	}
	if p.NAT != nil && p.NAT.Flags&(ct.NATSrc|ct.NATDst) != 0 && !commit {
		return nil, Errorf(OFPBAC_BAD_ARGUMENT, "ct requires commit for nat with arguments")
	}
	if err := supportedCT(p); err != nil {
		return nil, err
	}
	return p, nil
}

// supportedCT is the one place that says which ct features the tracker can
// execute today: of the ALGs, FTP (alg=21) and TFTP (alg=69).
func supportedCT(p *ct.Params) error {
	switch p.Alg {
	case ct.AlgNone, ct.AlgFTP, ct.AlgTFTP:
		return nil
	}
	return Errorf(OFPBAC_BAD_ARGUMENT, "ct(alg=%d) is not supported by this switch", p.Alg)
}

// checkInstructions validates a flow's instructions against its match and
// table (spec.Inst's action slices are replaced by checked copies).
func (c *checker) instructions(in *Instructions) error {
	if in.Meter != 0 && c.v.meters.get(in.Meter) == nil {
		// OVS's ofproto_check_ofpacts: an unknown meter is an invalid one.
		return Errorf(OFPMMFC_INVALID_METER, "meter %d does not exist", in.Meter)
	}
	in.Apply = append([]Action(nil), in.Apply...)
	if err := c.actions(in.Apply, false); err != nil {
		return err
	}
	in.Write = append([]Action(nil), in.Write...)
	if err := c.actions(in.Write, true); err != nil {
		return err
	}
	if conjunctionsOf(in) != nil && (in.HasWrite || in.ClearActions || in.WriteMetadata || in.GotoTable >= 0) {
		return Errorf(OFPBAC_BAD_ARGUMENT, "a conjunctive flow may have no instruction but apply-actions")
	}
	if in.GotoTable >= 0 && (c.table != NoTable && uint8(in.GotoTable) <= c.table || in.GotoTable >= NumTables) {
		return Errorf(OFPBIC_BAD_TABLE_ID, "goto_table:%d from table %d", in.GotoTable, c.table)
	}
	return nil
}

// learn is OVS's learn_check: the sources against the flow's match, the
// destinations against the learned match as the specs build it (nxm
// checks the same at decode; this serves flows built in Go).
func (c *checker) learn(l *Learn) error {
	if l.Table >= NumTables {
		return Errorf(OFPBAC_BAD_ARGUMENT, "learn: table %d", l.Table)
	}
	var dm Match
	for i := range l.Specs {
		s := &l.Specs[i]
		if s.Kind > LearnOutput || s.Imm && s.Kind == LearnOutput {
			return Errorf(OFPBAC_BAD_ARGUMENT, "learn: spec kind %d", s.Kind)
		}
		if !s.Imm {
			if s.Src.NBits != s.NBits {
				return Errorf(OFPBAC_BAD_SET_LEN, "learn: source of %d bits for a %d-bit spec", s.Src.NBits, s.NBits)
			}
			if err := c.checkSubfield(s.Src, false); err != nil {
				return err
			}
		}
		if s.Kind == LearnOutput {
			continue
		}
		if s.Dst.NBits != s.NBits {
			return Errorf(OFPBAC_BAD_SET_LEN, "learn: destination of %d bits for a %d-bit spec", s.Dst.NBits, s.NBits)
		}
		dc := checker{m: dm}
		if err := dc.checkSubfield(s.Dst, s.Kind == LearnLoad); err != nil {
			return err
		}
		if s.Kind == LearnMatch && s.Imm && s.Dst.Tun.Len == 0 {
			LearnMatchSet(&dm, s.Dst, s.Value)
		}
	}
	if l.Flags&LearnWriteResult != 0 {
		if !l.ResultDst.Field.Valid() || !packet.Fields[l.ResultDst.Field].Writable {
			return Errorf(OFPBAC_BAD_SET_ARGUMENT, "learn: result_dst is not writable")
		}
	}
	return nil
}
