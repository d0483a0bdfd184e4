package packet

// U128 is a field value (or mask) of up to 128 bits, right-aligned: a 16-bit
// field's value is in the low 16 bits of Lo. Hi is used only by 128-bit fields.
type U128 struct{ Hi, Lo uint64 }

// IsZero reports whether u is zero.
func (u U128) IsZero() bool { return u.Hi == 0 && u.Lo == 0 }

// And returns u & v.
func (u U128) And(v U128) U128 { return U128{u.Hi & v.Hi, u.Lo & v.Lo} }

// Or returns u | v.
func (u U128) Or(v U128) U128 { return U128{u.Hi | v.Hi, u.Lo | v.Lo} }

// AndNot returns u &^ v.
func (u U128) AndNot(v U128) U128 { return U128{u.Hi &^ v.Hi, u.Lo &^ v.Lo} }

// Shl returns u << n.
func (u U128) Shl(n uint) U128 {
	switch {
	case n == 0:
		return u
	case n >= 128:
		return U128{}
	case n >= 64:
		return U128{u.Lo << (n - 64), 0}
	}
	return U128{u.Hi<<n | u.Lo>>(64-n), u.Lo << n}
}

// Shr returns u >> n.
func (u U128) Shr(n uint) U128 {
	switch {
	case n == 0:
		return u
	case n >= 128:
		return U128{}
	case n >= 64:
		return U128{0, u.Hi >> (n - 64)}
	}
	return U128{u.Hi >> n, u.Lo>>n | u.Hi<<(64-n)}
}

// Ones returns a value with the low n bits set (n <= 128).
func Ones(n uint) U128 {
	switch {
	case n == 0:
		return U128{}
	case n >= 128:
		return U128{^uint64(0), ^uint64(0)}
	case n > 64:
		return U128{^uint64(0) >> (128 - n), ^uint64(0)}
	case n == 64:
		return U128{0, ^uint64(0)}
	}
	return U128{0, 1<<n - 1}
}

// FieldID names a field of the registry. The zero value is invalid.
type FieldID uint16

// The fields. Names are OVS's (ovs-fields(7)).
const (
	FieldInvalid FieldID = iota
	FieldInPort
	FieldRecircID
	FieldMetadata
	FieldReg0
	FieldReg1
	FieldReg2
	FieldReg3
	FieldReg4
	FieldReg5
	FieldReg6
	FieldReg7
	FieldReg8
	FieldReg9
	FieldReg10
	FieldReg11
	FieldReg12
	FieldReg13
	FieldReg14
	FieldReg15
	FieldXReg0
	FieldXReg1
	FieldXReg2
	FieldXReg3
	FieldXReg4
	FieldXReg5
	FieldXReg6
	FieldXReg7
	FieldXXReg0
	FieldXXReg1
	FieldXXReg2
	FieldXXReg3
	FieldPktMark
	FieldCtState
	FieldCtZone
	FieldCtMark
	FieldCtLabel
	FieldCtNwProto
	FieldCtNwSrc
	FieldCtNwDst
	FieldCtIPv6Src
	FieldCtIPv6Dst
	FieldCtTpSrc
	FieldCtTpDst
	FieldConjID
	FieldTunID
	FieldTunSrc
	FieldTunDst
	FieldTunIPv6Src
	FieldTunIPv6Dst
	FieldTunFlags // 16 bits on the wire; only bit 0 (oam) is defined, matches keep it alone
	FieldTunGbpID
	FieldTunGbpFlags
	FieldEthSrc
	FieldEthDst
	FieldEthType
	FieldVlanTCI
	FieldVlanVID // OpenFlow 1.3 vlan_vid: 13 bits, OFPVID_PRESENT|VID
	FieldVlanPCP
	FieldIPv4Src
	FieldIPv4Dst
	FieldIPv6Src
	FieldIPv6Dst
	FieldIPv6Label
	FieldNwProto
	FieldNwTOS // whole TOS byte (nw_tos in OVS is DSCP<<2)
	FieldIPDSCP
	FieldIPECN
	FieldNwTTL
	FieldIPFrag
	FieldTCPSrc
	FieldTCPDst
	FieldTCPFlags
	FieldUDPSrc
	FieldUDPDst
	FieldSCTPSrc
	FieldSCTPDst
	FieldICMPType
	FieldICMPCode
	FieldICMPv6Type
	FieldICMPv6Code
	FieldARPOp
	FieldARPSpa
	FieldARPTpa
	FieldARPSha
	FieldARPTha
	FieldNdTarget
	FieldNdSll
	FieldNdTll
	FieldMPLSLabel
	FieldMPLSTC
	FieldMPLSBOS
	FieldMPLSTTL
	FieldActsetOutput // read-only: the action set's output port (ActsetOutputUnset if none)
	FieldDPHash       // read-only: the hash a select group computed (0 before any)
	FieldPacketType   // read-only: (ns<<16 | ns_type); always (0,0) for a packet
	// ERSPAN and GTP-U tunnel metadata, as wide as their wire bytes (OVS
	// keeps every bit a match or set_field gives them; their subfield
	// widths, OVS's n_bits, are narrower: see nxm).
	FieldTunErspanIdx
	FieldTunErspanVer
	FieldTunErspanDir
	FieldTunErspanHwid
	FieldTunGtpuFlags
	FieldTunGtpuMsgtype
	FieldNdReserved    // ND's 32-bit reserved word (the R,S,O flags of an advertisement)
	FieldNdOptionsType // the type of ND's first link-layer address option (0: none)
	// NSH (eth_type 0x894f): the base header's flags (2 bits on the wire),
	// TTL (6 bits on the wire), MD type and next protocol, the service path
	// header's SPI (24 bits) and SI, and the MD type 1 context headers.
	FieldNSHFlags
	FieldNSHTTL
	FieldNSHMdType
	FieldNSHNp
	FieldNSHSPI
	FieldNSHSI
	FieldNSHC1
	FieldNSHC2
	FieldNSHC3
	FieldNSHC4
	NumFields
)

// Prereq is a field's prerequisite: what a match must say about the packet
// before it may match on (or an action may use) the field. The values are
// ovs-fields(7)'s "Prerequisites" (OVS's meta-flow.h MFP_*); Fields holds
// each field's, and MetBy is the one checker of them. ovs-fields(7)'s
// "Ethernet" is PrereqNone here: every gswitch packet is Ethernet.
type Prereq uint8

const (
	PrereqNone   Prereq = iota
	PrereqVLAN          // "VLAN VID": vlan_tci has the CFI (present) bit
	PrereqARP           // eth_type=0x0806 (ARP) or 0x8035 (RARP)
	PrereqIPv4          // eth_type=0x0800
	PrereqIPv6          // eth_type=0x86dd
	PrereqIPAny         // "IPv4/IPv6": eth_type=0x0800 or 0x86dd
	PrereqCT            // ct_state shows a valid connection (OVS's is_ct_valid)
	PrereqTCP           // IPAny and nw_proto=6, not a later fragment
	PrereqUDP           // IPAny and nw_proto=17, not a later fragment
	PrereqSCTP          // IPAny and nw_proto=132, not a later fragment
	PrereqICMPv4        // IPv4 and nw_proto=1
	PrereqICMPv6        // IPv6 and nw_proto=58
	PrereqND            // ICMPv6, icmpv6_type 135 or 136 and icmpv6_code 0
	PrereqNDSol         // "ND solicit": ICMPv6, icmpv6_type=135, icmpv6_code=0
	PrereqNDAdv         // "ND advert": ICMPv6, icmpv6_type=136, icmpv6_code=0
	PrereqMPLS          // eth_type=0x8847 or 0x8848
	PrereqNSH           // eth_type=0x894f
)

var prereqNames = [...]string{"none", "VLAN VID", "ARP", "IPv4", "IPv6", "IPv4/IPv6", "CT",
	"TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6", "ND", "ND solicit", "ND advert", "MPLS", "NSH"}

// String returns the prerequisite's name in ovs-fields(7).
func (p Prereq) String() string {
	if int(p) < len(prereqNames) {
		return prereqNames[p]
	}
	return "invalid-prereq"
}

// ctValidStates are the ct_state bits that imply a valid connection.
const ctValidStates = CsNew | CsEst | CsRel | CsRpl | CsSNAT | CsDNAT

// MetBy reports whether a match whose (masked) values are v and whose mask is
// m satisfies p, as OVS's mf_are_match_prereqs_ok judges it: on the values,
// and for PrereqCT also on whether the match looks at ct_state's +inv bit.
//
// OVS checks prerequisites at two points, and both use this checker: the
// OXM/NXM decoder with the match built from the fields before the one being
// decoded (so order matters on the wire), and flow validation with the
// whole match, for match fields and for the fields actions read or write.
func (p Prereq) MetBy(v, m *Words) bool {
	et := v.EthType()
	ip := et == EthTypeIPv4 || et == EthTypeIPv6
	switch p {
	case PrereqNone:
		return true
	case PrereqVLAN:
		return v.VlanTCI()&VlanCFI != 0
	case PrereqARP:
		return et == EthTypeARP || et == EthTypeRARP
	case PrereqIPv4:
		return et == EthTypeIPv4
	case PrereqIPv6:
		return et == EthTypeIPv6
	case PrereqIPAny:
		return ip
	case PrereqCT:
		s := v.CtState()
		return s&ctValidStates != 0 || s&CsTrk != 0 && m.CtState()&CsInv != 0 && s&CsInv == 0
	case PrereqTCP:
		return ip && v.NwProto() == ProtoTCP && v.NwFrag()&FragLater == 0
	case PrereqUDP:
		return ip && v.NwProto() == ProtoUDP && v.NwFrag()&FragLater == 0
	case PrereqSCTP:
		return ip && v.NwProto() == ProtoSCTP && v.NwFrag()&FragLater == 0
	case PrereqICMPv4:
		return et == EthTypeIPv4 && v.NwProto() == ProtoICMP
	case PrereqICMPv6:
		return et == EthTypeIPv6 && v.NwProto() == ProtoICMPv6
	case PrereqMPLS:
		return IsMPLS(et)
	case PrereqNSH:
		return et == EthTypeNSH
	case PrereqND, PrereqNDSol, PrereqNDAdv:
		if et != EthTypeIPv6 || v.NwProto() != ProtoICMPv6 || v.TpDst() != 0 {
			return false
		}
		t := v.TpSrc()
		return p == PrereqND && (t == 135 || t == 136) || p == PrereqNDSol && t == 135 || p == PrereqNDAdv && t == 136
	}
	return false
}

// Field describes one field: where it lives in Words and what may be done
// with it. A field of up to 64 bits lives in one word at Shift; a 128-bit
// field fills words Word and Word+1.
type Field struct {
	ID       FieldID
	Name     string // OVS's name, e.g. "reg0", "ct_state", "eth_src"
	Bits     uint   // width
	Word     int
	Shift    uint
	Maskable bool
	Writable bool // by set_field/load/move
	Prereq   Prereq
	// Header is true for fields carried in the frame's headers: writing one
	// rewrites the frame (Packet.SetField), not just the key.
	Header bool
	// Pipeline is true for OVS's pipeline fields (mf_is_pipeline_field):
	// in_port, metadata, the registers in all their views, packet_type
	// and the tunnel fields but tun_ttl/tun_tos, the only ones an
	// OpenFlow 1.5 packet-out's match may hold.
	Pipeline bool
}

// Fields is the registry, indexed by FieldID.
var Fields = [NumFields]Field{
	FieldInPort:         {Name: "in_port", Bits: 32, Word: WInPort, Shift: 32, Writable: true},
	FieldRecircID:       {Name: "recirc_id", Bits: 32, Word: WInPort, Shift: 0},
	FieldMetadata:       {Name: "metadata", Bits: 64, Word: WMetadata, Maskable: true, Writable: true},
	FieldPktMark:        {Name: "pkt_mark", Bits: 32, Word: WPktMark, Shift: 32, Maskable: true, Writable: true},
	FieldCtState:        {Name: "ct_state", Bits: 32, Word: WPktMark, Shift: 0, Maskable: true},
	FieldCtMark:         {Name: "ct_mark", Bits: 32, Word: WCtMark, Shift: 32, Maskable: true},
	FieldCtZone:         {Name: "ct_zone", Bits: 16, Word: WCtMark, Shift: 16},
	FieldCtNwProto:      {Name: "ct_nw_proto", Bits: 8, Word: WCtMark, Shift: 8, Prereq: PrereqCT},
	FieldCtLabel:        {Name: "ct_label", Bits: 128, Word: WCtLabel, Maskable: true},
	FieldCtNwSrc:        {Name: "ct_nw_src", Bits: 32, Word: WCtNw, Shift: 32, Maskable: true, Prereq: PrereqCT},
	FieldCtNwDst:        {Name: "ct_nw_dst", Bits: 32, Word: WCtNw, Shift: 0, Maskable: true, Prereq: PrereqCT},
	FieldCtIPv6Src:      {Name: "ct_ipv6_src", Bits: 128, Word: WCtIPv6Src, Maskable: true, Prereq: PrereqCT},
	FieldCtIPv6Dst:      {Name: "ct_ipv6_dst", Bits: 128, Word: WCtIPv6Dst, Maskable: true, Prereq: PrereqCT},
	FieldCtTpSrc:        {Name: "ct_tp_src", Bits: 16, Word: WCtTp, Shift: 48, Maskable: true, Prereq: PrereqCT},
	FieldCtTpDst:        {Name: "ct_tp_dst", Bits: 16, Word: WCtTp, Shift: 32, Maskable: true, Prereq: PrereqCT},
	FieldConjID:         {Name: "conj_id", Bits: 32, Word: WCtTp, Shift: 0},
	FieldTunID:          {Name: "tun_id", Bits: 64, Word: WTunID, Maskable: true, Writable: true},
	FieldTunSrc:         {Name: "tun_src", Bits: 32, Word: WTunNw, Shift: 32, Maskable: true, Writable: true},
	FieldTunDst:         {Name: "tun_dst", Bits: 32, Word: WTunNw, Shift: 0, Maskable: true, Writable: true},
	FieldTunIPv6Src:     {Name: "tun_ipv6_src", Bits: 128, Word: WTunIPv6Src, Maskable: true, Writable: true},
	FieldTunIPv6Dst:     {Name: "tun_ipv6_dst", Bits: 128, Word: WTunIPv6Dst, Maskable: true, Writable: true},
	FieldTunFlags:       {Name: "tun_flags", Bits: 16, Word: WTunMisc, Shift: 48, Maskable: true, Writable: true},
	FieldTunGbpID:       {Name: "tun_gbp_id", Bits: 16, Word: WTunMisc, Shift: 32, Maskable: true, Writable: true},
	FieldTunGbpFlags:    {Name: "tun_gbp_flags", Bits: 8, Word: WTunMisc, Shift: 24, Maskable: true, Writable: true},
	FieldEthDst:         {Name: "eth_dst", Bits: 48, Word: WEthDst, Shift: 16, Maskable: true, Writable: true, Header: true},
	FieldEthType:        {Name: "eth_type", Bits: 16, Word: WEthDst, Shift: 0},
	FieldEthSrc:         {Name: "eth_src", Bits: 48, Word: WEthSrc, Shift: 16, Maskable: true, Writable: true, Header: true},
	FieldVlanTCI:        {Name: "vlan_tci", Bits: 16, Word: WEthSrc, Shift: 0, Maskable: true, Writable: true, Header: true},
	FieldVlanVID:        {Name: "vlan_vid", Bits: 13, Word: WEthSrc, Shift: 0, Maskable: true, Writable: true, Header: true},
	FieldVlanPCP:        {Name: "vlan_pcp", Bits: 3, Word: WEthSrc, Shift: 13, Writable: true, Header: true, Prereq: PrereqVLAN},
	FieldIPv4Src:        {Name: "ip_src", Bits: 32, Word: WNw, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqIPv4},
	FieldIPv4Dst:        {Name: "ip_dst", Bits: 32, Word: WNw, Shift: 0, Maskable: true, Writable: true, Header: true, Prereq: PrereqIPv4},
	FieldIPv6Src:        {Name: "ipv6_src", Bits: 128, Word: WIPv6Src, Maskable: true, Writable: true, Header: true, Prereq: PrereqIPv6},
	FieldIPv6Dst:        {Name: "ipv6_dst", Bits: 128, Word: WIPv6Dst, Maskable: true, Writable: true, Header: true, Prereq: PrereqIPv6},
	FieldIPv6Label:      {Name: "ipv6_label", Bits: 20, Word: WL3Misc, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqIPv6},
	FieldNwProto:        {Name: "nw_proto", Bits: 8, Word: WL3Misc, Shift: 24, Prereq: PrereqIPAny},
	FieldNwTOS:          {Name: "nw_tos", Bits: 8, Word: WL3Misc, Shift: 16, Writable: true, Header: true, Prereq: PrereqIPAny},
	FieldIPDSCP:         {Name: "ip_dscp", Bits: 6, Word: WL3Misc, Shift: 18, Writable: true, Header: true, Prereq: PrereqIPAny},
	FieldIPECN:          {Name: "ip_ecn", Bits: 2, Word: WL3Misc, Shift: 16, Writable: true, Header: true, Prereq: PrereqIPAny},
	FieldNwTTL:          {Name: "nw_ttl", Bits: 8, Word: WL3Misc, Shift: 8, Writable: true, Header: true, Prereq: PrereqIPAny},
	FieldIPFrag:         {Name: "ip_frag", Bits: 8, Word: WL3Misc, Shift: 0, Maskable: true, Prereq: PrereqIPAny},
	FieldTCPSrc:         {Name: "tcp_src", Bits: 16, Word: WTp, Shift: 48, Maskable: true, Writable: true, Header: true, Prereq: PrereqTCP},
	FieldTCPDst:         {Name: "tcp_dst", Bits: 16, Word: WTp, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqTCP},
	FieldTCPFlags:       {Name: "tcp_flags", Bits: 16, Word: WTp, Shift: 16, Maskable: true, Prereq: PrereqTCP},
	FieldUDPSrc:         {Name: "udp_src", Bits: 16, Word: WTp, Shift: 48, Maskable: true, Writable: true, Header: true, Prereq: PrereqUDP},
	FieldUDPDst:         {Name: "udp_dst", Bits: 16, Word: WTp, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqUDP},
	FieldSCTPSrc:        {Name: "sctp_src", Bits: 16, Word: WTp, Shift: 48, Maskable: true, Writable: true, Header: true, Prereq: PrereqSCTP},
	FieldSCTPDst:        {Name: "sctp_dst", Bits: 16, Word: WTp, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqSCTP},
	FieldICMPType:       {Name: "icmp_type", Bits: 8, Word: WTp, Shift: 48, Writable: true, Header: true, Prereq: PrereqICMPv4},
	FieldICMPCode:       {Name: "icmp_code", Bits: 8, Word: WTp, Shift: 32, Writable: true, Header: true, Prereq: PrereqICMPv4},
	FieldICMPv6Type:     {Name: "icmpv6_type", Bits: 8, Word: WTp, Shift: 48, Writable: true, Header: true, Prereq: PrereqICMPv6},
	FieldICMPv6Code:     {Name: "icmpv6_code", Bits: 8, Word: WTp, Shift: 32, Writable: true, Header: true, Prereq: PrereqICMPv6},
	FieldARPOp:          {Name: "arp_op", Bits: 8, Word: WL3Misc, Shift: 24, Writable: true, Header: true, Prereq: PrereqARP},
	FieldARPSpa:         {Name: "arp_spa", Bits: 32, Word: WNw, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqARP},
	FieldARPTpa:         {Name: "arp_tpa", Bits: 32, Word: WNw, Shift: 0, Maskable: true, Writable: true, Header: true, Prereq: PrereqARP},
	FieldARPSha:         {Name: "arp_sha", Bits: 48, Word: WArpSha, Shift: 16, Maskable: true, Writable: true, Header: true, Prereq: PrereqARP},
	FieldARPTha:         {Name: "arp_tha", Bits: 48, Word: WArpTha, Shift: 16, Maskable: true, Writable: true, Header: true, Prereq: PrereqARP},
	FieldNdTarget:       {Name: "nd_target", Bits: 128, Word: WNdTarget, Maskable: true, Writable: true, Header: true, Prereq: PrereqND},
	FieldNdSll:          {Name: "nd_sll", Bits: 48, Word: WArpSha, Shift: 16, Maskable: true, Writable: true, Header: true, Prereq: PrereqNDSol},
	FieldNdTll:          {Name: "nd_tll", Bits: 48, Word: WArpTha, Shift: 16, Maskable: true, Writable: true, Header: true, Prereq: PrereqNDAdv},
	FieldMPLSLabel:      {Name: "mpls_label", Bits: 20, Word: WMPLS, Shift: 44, Writable: true, Header: true, Prereq: PrereqMPLS},
	FieldMPLSTC:         {Name: "mpls_tc", Bits: 3, Word: WMPLS, Shift: 41, Writable: true, Header: true, Prereq: PrereqMPLS},
	FieldMPLSBOS:        {Name: "mpls_bos", Bits: 1, Word: WMPLS, Shift: 40, Prereq: PrereqMPLS},
	FieldMPLSTTL:        {Name: "mpls_ttl", Bits: 8, Word: WMPLS, Shift: 32, Writable: true, Header: true, Prereq: PrereqMPLS},
	FieldActsetOutput:   {Name: "actset_output", Bits: 32, Word: WActset, Shift: 32},
	FieldDPHash:         {Name: "dp_hash", Bits: 32, Word: WActset, Shift: 0, Maskable: true},
	FieldPacketType:     {Name: "packet_type", Bits: 32, Word: WPktType, Shift: 32},
	FieldTunErspanIdx:   {Name: "tun_erspan_idx", Bits: 32, Word: WErspan, Shift: 32, Maskable: true, Writable: true},
	FieldTunErspanVer:   {Name: "tun_erspan_ver", Bits: 8, Word: WErspan, Shift: 24, Maskable: true, Writable: true},
	FieldTunErspanDir:   {Name: "tun_erspan_dir", Bits: 8, Word: WErspan, Shift: 16, Maskable: true, Writable: true},
	FieldTunErspanHwid:  {Name: "tun_erspan_hwid", Bits: 8, Word: WErspan, Shift: 8, Maskable: true, Writable: true},
	FieldTunGtpuFlags:   {Name: "tun_gtpu_flags", Bits: 8, Word: WPktType, Shift: 24, Maskable: true},
	FieldTunGtpuMsgtype: {Name: "tun_gtpu_msgtype", Bits: 8, Word: WPktType, Shift: 16, Maskable: true},
	FieldNdReserved:     {Name: "nd_reserved", Bits: 32, Word: WMPLS, Shift: 0, Writable: true, Header: true, Prereq: PrereqND},
	FieldNdOptionsType:  {Name: "nd_options_type", Bits: 8, Word: WTp, Shift: 8, Writable: true, Header: true, Prereq: PrereqND},
	FieldNSHFlags:       {Name: "nsh_flags", Bits: 8, Word: WNSH, Shift: 56, Maskable: true, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHTTL:         {Name: "nsh_ttl", Bits: 8, Word: WNSH, Shift: 48, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHMdType:      {Name: "nsh_mdtype", Bits: 8, Word: WNSH, Shift: 40, Prereq: PrereqNSH},
	FieldNSHNp:          {Name: "nsh_np", Bits: 8, Word: WNSH, Shift: 32, Prereq: PrereqNSH},
	FieldNSHSPI:         {Name: "nsh_spi", Bits: 24, Word: WNSH, Shift: 8, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHSI:          {Name: "nsh_si", Bits: 8, Word: WNSH, Shift: 0, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHC1:          {Name: "nsh_c1", Bits: 32, Word: WNSHCtx, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHC2:          {Name: "nsh_c2", Bits: 32, Word: WNSHCtx, Shift: 0, Maskable: true, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHC3:          {Name: "nsh_c3", Bits: 32, Word: WNSHCtx + 1, Shift: 32, Maskable: true, Writable: true, Header: true, Prereq: PrereqNSH},
	FieldNSHC4:          {Name: "nsh_c4", Bits: 32, Word: WNSHCtx + 1, Shift: 0, Maskable: true, Writable: true, Header: true, Prereq: PrereqNSH},
}

func init() {
	for i := 0; i < 16; i++ {
		f := FieldReg0 + FieldID(i)
		Fields[f] = Field{Name: "reg" + itoa(i), Bits: 32, Word: WRegs + i/2, Shift: uint(32 * (1 - i%2)), Maskable: true, Writable: true}
	}
	for i := 0; i < 8; i++ {
		f := FieldXReg0 + FieldID(i)
		Fields[f] = Field{Name: "xreg" + itoa(i), Bits: 64, Word: WRegs + i, Maskable: true, Writable: true}
	}
	// xxreg(i) overlays reg(4i) (most significant) .. reg(4i+3), as in OVS:
	// words WRegs+2i (Hi) and WRegs+2i+1 (Lo).
	for i := 0; i < 4; i++ {
		f := FieldXXReg0 + FieldID(i)
		Fields[f] = Field{Name: "xxreg" + itoa(i), Bits: 128, Word: WRegs + 2*i, Maskable: true, Writable: true}
	}
	// ct_mark and ct_label are written only through ct(exec(...)); the
	// executor of ct enforces that, so they are marked writable for the codec.
	Fields[FieldCtMark].Writable = true
	Fields[FieldCtLabel].Writable = true
	for _, f := range []FieldID{FieldInPort, FieldMetadata, FieldPacketType,
		FieldTunID, FieldTunSrc, FieldTunDst, FieldTunIPv6Src, FieldTunIPv6Dst, FieldTunFlags,
		FieldTunGbpID, FieldTunGbpFlags, FieldTunErspanIdx, FieldTunErspanVer, FieldTunErspanDir,
		FieldTunErspanHwid, FieldTunGtpuFlags, FieldTunGtpuMsgtype} {
		Fields[f].Pipeline = true
	}
	for f := FieldReg0; f < FieldReg0+16; f++ {
		Fields[f].Pipeline = true
	}
	for f := FieldXReg0; f < FieldXReg0+8; f++ {
		Fields[f].Pipeline = true
	}
	for f := FieldXXReg0; f < FieldXXReg0+4; f++ {
		Fields[f].Pipeline = true
	}
	for i := range Fields {
		Fields[i].ID = FieldID(i)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return "1" + string(rune('0'+i-10))
}

// FieldByName returns the field with OVS name name.
func FieldByName(name string) (FieldID, bool) {
	for i := range Fields {
		if Fields[i].Name == name && i != 0 {
			return FieldID(i), true
		}
	}
	return FieldInvalid, false
}

// Valid reports whether id names a field.
func (id FieldID) Valid() bool { return id > FieldInvalid && id < NumFields }

// String returns the field's OVS name.
func (id FieldID) String() string {
	if !id.Valid() {
		return "invalid-field"
	}
	return Fields[id].Name
}

// Get returns field f's value from w.
func (w *Words) Get(f FieldID) U128 {
	d := &Fields[f]
	if d.Bits == 128 {
		return U128{w[d.Word], w[d.Word+1]}
	}
	return U128{0, (w[d.Word] >> d.Shift) & (1<<d.Bits - 1)}
}

// Set sets field f in w to v (v is truncated to the field's width).
func (w *Words) Set(f FieldID, v U128) {
	w.SetMasked(f, v, Ones(Fields[f].Bits))
}

// SetMasked sets the bits of field f selected by mask to those of v.
func (w *Words) SetMasked(f FieldID, v, mask U128) {
	d := &Fields[f]
	if d.Bits == 128 {
		w[d.Word] = w[d.Word]&^mask.Hi | v.Hi&mask.Hi
		w[d.Word+1] = w[d.Word+1]&^mask.Lo | v.Lo&mask.Lo
		return
	}
	m := (mask.Lo & (1<<d.Bits - 1)) << d.Shift
	w[d.Word] = w[d.Word]&^m | (v.Lo<<d.Shift)&m
}
