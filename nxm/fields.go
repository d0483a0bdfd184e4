package nxm

import "gswitch/packet"

// OXM/NXM classes.
const (
	ClassNXM0         = 0x0000 // NXM_OF_*
	ClassNXM1         = 0x0001 // NXM_NX_*
	ClassOpenFlow     = 0x8000 // OFPXMC_OPENFLOW_BASIC
	ClassPacketRegs   = 0x8001 // OFPXMC_PACKET_REGS (OXM_OF_PKT_REG<N>, xreg)
	ClassEricsson     = 0x1000 // ERICOXM_OF_* (nd_reserved, nd_options_type): an OXM class of its own, no experimenter ID
	ClassExperimenter = 0xffff // OFPXMC_EXPERIMENTER: a 32-bit experimenter ID follows the header
)

// Header is an OXM/NXM header: class(16) field(7) hasmask(1) length(8).
// For ClassExperimenter the experimenter ID follows on the wire; it is not
// part of Header.
type Header uint32

// MakeHeader builds a header.
func MakeHeader(class uint16, field uint8, hasMask bool, length uint8) Header {
	h := uint32(class)<<16 | uint32(field&0x7f)<<9 | uint32(length)
	if hasMask {
		h |= 1 << 8
	}
	return Header(h)
}

// Class returns the header's OXM class (NXM vendor).
func (h Header) Class() uint16 { return uint16(h >> 16) }

// Field returns the 7-bit field number.
func (h Header) Field() uint8 { return uint8(h>>9) & 0x7f }

// HasMask reports whether a mask follows the value.
func (h Header) HasMask() bool { return h&(1<<8) != 0 }

// Length returns the payload length (value and mask, and for
// ClassExperimenter the 4-byte experimenter ID).
func (h Header) Length() uint8 { return uint8(h) }

// kind says how a wire field's value maps onto the model.
type kind uint8

const (
	kPlain       kind = iota // the wire value is the model field, right-aligned
	kInPort16                // NXM_OF_IN_PORT: an OpenFlow 1.0 16-bit port
	kInPort32                // OXM_OF_IN_PORT: an OpenFlow 1.1+ 32-bit port
	kVlanPCP                 // OXM_OF_VLAN_PCP: sets PCP and the CFI (present) bit
	kDSCPNXM                 // NXM_OF_IP_TOS: the TOS byte's DSCP bits (low 2 bits zero)
	kFrag                    // NXM_NX_IP_FRAG: mask bits beyond the 2 defined are dropped
	kTunFlags                // NXM_NX_TUN_FLAGS: mask bits beyond the one defined (oam) are dropped
	kActset                  // ONFOXM_ET_ACTSET_OUTPUT: a 32-bit port OVS keeps in 16 bits (u16_to_ofp)
	kPacketType              // OXM_OF_PACKET_TYPE: (1,X) also means eth_type X; (0,0) is the default
	kMaskIsValue             // ERSPAN ver/dir/hwid, GTP-U: OVS 3.1's match setters store the value as the mask
	kNSHMdType               // NXOXM_NSH_MDTYPE: a value other than 1 or 2 is BAD_VALUE (mf_is_value_valid), masked or not
)

// wireField is one OXM/NXM field assignment. Its prerequisite is its model
// field's (packet.Fields[ID].Prereq).
type wireField struct {
	Name     string // OVS's OXM/NXM name
	Class    uint16
	Field    uint8
	Exp      uint32 // experimenter ID, for ClassExperimenter
	Size     int    // value bytes
	ID       packet.FieldID
	Kind     kind
	Maskable bool
	Valid    packet.U128 // bits a value may have
}

func u(v uint64) packet.U128 { return packet.U128{Lo: v} }

var all128 = packet.Ones(128)

// wireFields lists every field assignment the codec knows. Numbers are from
// OVS's include/openvswitch/meta-flow.h.
var wireFields = []wireField{
	{"NXM_OF_IN_PORT", ClassNXM0, 0, 0, 2, packet.FieldInPort, kInPort16, false, u(0xffff)},
	{"NXM_OF_ETH_DST", ClassNXM0, 1, 0, 6, packet.FieldEthDst, kPlain, true, u(1<<48 - 1)},
	{"NXM_OF_ETH_SRC", ClassNXM0, 2, 0, 6, packet.FieldEthSrc, kPlain, true, u(1<<48 - 1)},
	{"NXM_OF_ETH_TYPE", ClassNXM0, 3, 0, 2, packet.FieldEthType, kPlain, false, u(0xffff)},
	{"NXM_OF_VLAN_TCI", ClassNXM0, 4, 0, 2, packet.FieldVlanTCI, kPlain, true, u(0xffff)},
	{"NXM_OF_IP_TOS", ClassNXM0, 5, 0, 1, packet.FieldIPDSCP, kDSCPNXM, false, u(0xfc)},
	{"NXM_OF_IP_PROTO", ClassNXM0, 6, 0, 1, packet.FieldNwProto, kPlain, false, u(0xff)},
	{"NXM_OF_IP_SRC", ClassNXM0, 7, 0, 4, packet.FieldIPv4Src, kPlain, true, u(0xffffffff)},
	{"NXM_OF_IP_DST", ClassNXM0, 8, 0, 4, packet.FieldIPv4Dst, kPlain, true, u(0xffffffff)},
	{"NXM_OF_TCP_SRC", ClassNXM0, 9, 0, 2, packet.FieldTCPSrc, kPlain, true, u(0xffff)},
	{"NXM_OF_TCP_DST", ClassNXM0, 10, 0, 2, packet.FieldTCPDst, kPlain, true, u(0xffff)},
	{"NXM_OF_UDP_SRC", ClassNXM0, 11, 0, 2, packet.FieldUDPSrc, kPlain, true, u(0xffff)},
	{"NXM_OF_UDP_DST", ClassNXM0, 12, 0, 2, packet.FieldUDPDst, kPlain, true, u(0xffff)},
	{"NXM_OF_ICMP_TYPE", ClassNXM0, 13, 0, 1, packet.FieldICMPType, kPlain, false, u(0xff)},
	{"NXM_OF_ICMP_CODE", ClassNXM0, 14, 0, 1, packet.FieldICMPCode, kPlain, false, u(0xff)},
	{"NXM_OF_ARP_OP", ClassNXM0, 15, 0, 2, packet.FieldARPOp, kPlain, false, u(0xff)},
	{"NXM_OF_ARP_SPA", ClassNXM0, 16, 0, 4, packet.FieldARPSpa, kPlain, true, u(0xffffffff)},
	{"NXM_OF_ARP_TPA", ClassNXM0, 17, 0, 4, packet.FieldARPTpa, kPlain, true, u(0xffffffff)},

	{"NXM_NX_ARP_SHA", ClassNXM1, 17, 0, 6, packet.FieldARPSha, kPlain, true, u(1<<48 - 1)},
	{"NXM_NX_ARP_THA", ClassNXM1, 18, 0, 6, packet.FieldARPTha, kPlain, true, u(1<<48 - 1)},
	{"NXM_NX_IPV6_SRC", ClassNXM1, 19, 0, 16, packet.FieldIPv6Src, kPlain, true, all128},
	{"NXM_NX_IPV6_DST", ClassNXM1, 20, 0, 16, packet.FieldIPv6Dst, kPlain, true, all128},
	{"NXM_NX_ICMPV6_TYPE", ClassNXM1, 21, 0, 1, packet.FieldICMPv6Type, kPlain, false, u(0xff)},
	{"NXM_NX_ICMPV6_CODE", ClassNXM1, 22, 0, 1, packet.FieldICMPv6Code, kPlain, false, u(0xff)},
	{"NXM_NX_ND_TARGET", ClassNXM1, 23, 0, 16, packet.FieldNdTarget, kPlain, true, all128},
	{"NXM_NX_ND_SLL", ClassNXM1, 24, 0, 6, packet.FieldNdSll, kPlain, true, u(1<<48 - 1)},
	{"NXM_NX_ND_TLL", ClassNXM1, 25, 0, 6, packet.FieldNdTll, kPlain, true, u(1<<48 - 1)},
	{"NXM_NX_IP_FRAG", ClassNXM1, 26, 0, 1, packet.FieldIPFrag, kFrag, true, u(3)},
	{"NXM_NX_IPV6_LABEL", ClassNXM1, 27, 0, 4, packet.FieldIPv6Label, kPlain, true, u(0xfffff)},
	{"NXM_NX_IP_ECN", ClassNXM1, 28, 0, 1, packet.FieldIPECN, kPlain, false, u(3)},
	{"NXM_NX_IP_TTL", ClassNXM1, 29, 0, 1, packet.FieldNwTTL, kPlain, false, u(0xff)},
	{"NXM_NX_MPLS_TTL", ClassNXM1, 30, 0, 1, packet.FieldMPLSTTL, kPlain, false, u(0xff)},
	{"NXM_NX_PKT_MARK", ClassNXM1, 33, 0, 4, packet.FieldPktMark, kPlain, true, u(0xffffffff)},
	{"NXM_NX_TCP_FLAGS", ClassNXM1, 34, 0, 2, packet.FieldTCPFlags, kPlain, true, u(0xfff)},
	{"NXM_NX_RECIRC_ID", ClassNXM1, 36, 0, 4, packet.FieldRecircID, kPlain, false, u(0xffffffff)},
	{"NXM_NX_CONJ_ID", ClassNXM1, 37, 0, 4, packet.FieldConjID, kPlain, false, u(0xffffffff)},
	{"NXM_NX_TUN_ID", ClassNXM1, 16, 0, 8, packet.FieldTunID, kPlain, true, u(^uint64(0))},
	{"NXM_NX_TUN_IPV4_SRC", ClassNXM1, 31, 0, 4, packet.FieldTunSrc, kPlain, true, u(0xffffffff)},
	{"NXM_NX_TUN_IPV4_DST", ClassNXM1, 32, 0, 4, packet.FieldTunDst, kPlain, true, u(0xffffffff)},
	{"NXM_NX_TUN_GBP_ID", ClassNXM1, 38, 0, 2, packet.FieldTunGbpID, kPlain, true, u(0xffff)},
	{"NXM_NX_TUN_GBP_FLAGS", ClassNXM1, 39, 0, 1, packet.FieldTunGbpFlags, kPlain, true, u(0xff)},
	{"NXM_NX_TUN_FLAGS", ClassNXM1, 104, 0, 2, packet.FieldTunFlags, kTunFlags, true, u(packet.TunFlagsMask)},
	{"NXM_NX_TUN_IPV6_SRC", ClassNXM1, 109, 0, 16, packet.FieldTunIPv6Src, kPlain, true, all128},
	{"NXM_NX_TUN_IPV6_DST", ClassNXM1, 110, 0, 16, packet.FieldTunIPv6Dst, kPlain, true, all128},
	{"NXM_NX_CT_STATE", ClassNXM1, 105, 0, 4, packet.FieldCtState, kPlain, true, u(0xff)},
	{"NXM_NX_CT_ZONE", ClassNXM1, 106, 0, 2, packet.FieldCtZone, kPlain, false, u(0xffff)},
	{"NXM_NX_CT_MARK", ClassNXM1, 107, 0, 4, packet.FieldCtMark, kPlain, true, u(0xffffffff)},
	{"NXM_NX_CT_LABEL", ClassNXM1, 108, 0, 16, packet.FieldCtLabel, kPlain, true, all128},
	{"NXM_NX_CT_NW_PROTO", ClassNXM1, 119, 0, 1, packet.FieldCtNwProto, kPlain, false, u(0xff)},
	{"NXM_NX_CT_NW_SRC", ClassNXM1, 120, 0, 4, packet.FieldCtNwSrc, kPlain, true, u(0xffffffff)},
	{"NXM_NX_CT_NW_DST", ClassNXM1, 121, 0, 4, packet.FieldCtNwDst, kPlain, true, u(0xffffffff)},
	{"NXM_NX_CT_IPV6_SRC", ClassNXM1, 122, 0, 16, packet.FieldCtIPv6Src, kPlain, true, all128},
	{"NXM_NX_CT_IPV6_DST", ClassNXM1, 123, 0, 16, packet.FieldCtIPv6Dst, kPlain, true, all128},
	{"NXM_NX_CT_TP_SRC", ClassNXM1, 124, 0, 2, packet.FieldCtTpSrc, kPlain, true, u(0xffff)},
	{"NXM_NX_CT_TP_DST", ClassNXM1, 125, 0, 2, packet.FieldCtTpDst, kPlain, true, u(0xffff)},
	{"NXM_NX_DP_HASH", ClassNXM1, 35, 0, 4, packet.FieldDPHash, kPlain, true, u(0xffffffff)},

	{"OXM_OF_IN_PORT", ClassOpenFlow, 0, 0, 4, packet.FieldInPort, kInPort32, false, u(0xffffffff)},
	{"OXM_OF_METADATA", ClassOpenFlow, 2, 0, 8, packet.FieldMetadata, kPlain, true, u(^uint64(0))},
	{"OXM_OF_ETH_DST", ClassOpenFlow, 3, 0, 6, packet.FieldEthDst, kPlain, true, u(1<<48 - 1)},
	{"OXM_OF_ETH_SRC", ClassOpenFlow, 4, 0, 6, packet.FieldEthSrc, kPlain, true, u(1<<48 - 1)},
	{"OXM_OF_ETH_TYPE", ClassOpenFlow, 5, 0, 2, packet.FieldEthType, kPlain, false, u(0xffff)},
	{"OXM_OF_VLAN_VID", ClassOpenFlow, 6, 0, 2, packet.FieldVlanVID, kPlain, true, u(0x1fff)},
	{"OXM_OF_VLAN_PCP", ClassOpenFlow, 7, 0, 1, packet.FieldVlanPCP, kVlanPCP, false, u(7)},
	{"OXM_OF_IP_DSCP", ClassOpenFlow, 8, 0, 1, packet.FieldIPDSCP, kPlain, false, u(0x3f)},
	{"OXM_OF_IP_ECN", ClassOpenFlow, 9, 0, 1, packet.FieldIPECN, kPlain, false, u(3)},
	{"OXM_OF_IP_PROTO", ClassOpenFlow, 10, 0, 1, packet.FieldNwProto, kPlain, false, u(0xff)},
	{"OXM_OF_IPV4_SRC", ClassOpenFlow, 11, 0, 4, packet.FieldIPv4Src, kPlain, true, u(0xffffffff)},
	{"OXM_OF_IPV4_DST", ClassOpenFlow, 12, 0, 4, packet.FieldIPv4Dst, kPlain, true, u(0xffffffff)},
	{"OXM_OF_TCP_SRC", ClassOpenFlow, 13, 0, 2, packet.FieldTCPSrc, kPlain, true, u(0xffff)},
	{"OXM_OF_TCP_DST", ClassOpenFlow, 14, 0, 2, packet.FieldTCPDst, kPlain, true, u(0xffff)},
	{"OXM_OF_UDP_SRC", ClassOpenFlow, 15, 0, 2, packet.FieldUDPSrc, kPlain, true, u(0xffff)},
	{"OXM_OF_UDP_DST", ClassOpenFlow, 16, 0, 2, packet.FieldUDPDst, kPlain, true, u(0xffff)},
	{"OXM_OF_SCTP_SRC", ClassOpenFlow, 17, 0, 2, packet.FieldSCTPSrc, kPlain, true, u(0xffff)},
	{"OXM_OF_SCTP_DST", ClassOpenFlow, 18, 0, 2, packet.FieldSCTPDst, kPlain, true, u(0xffff)},
	{"OXM_OF_ICMPV4_TYPE", ClassOpenFlow, 19, 0, 1, packet.FieldICMPType, kPlain, false, u(0xff)},
	{"OXM_OF_ICMPV4_CODE", ClassOpenFlow, 20, 0, 1, packet.FieldICMPCode, kPlain, false, u(0xff)},
	{"OXM_OF_ARP_OP", ClassOpenFlow, 21, 0, 2, packet.FieldARPOp, kPlain, false, u(0xff)},
	{"OXM_OF_ARP_SPA", ClassOpenFlow, 22, 0, 4, packet.FieldARPSpa, kPlain, true, u(0xffffffff)},
	{"OXM_OF_ARP_TPA", ClassOpenFlow, 23, 0, 4, packet.FieldARPTpa, kPlain, true, u(0xffffffff)},
	{"OXM_OF_ARP_SHA", ClassOpenFlow, 24, 0, 6, packet.FieldARPSha, kPlain, true, u(1<<48 - 1)},
	{"OXM_OF_ARP_THA", ClassOpenFlow, 25, 0, 6, packet.FieldARPTha, kPlain, true, u(1<<48 - 1)},
	{"OXM_OF_IPV6_SRC", ClassOpenFlow, 26, 0, 16, packet.FieldIPv6Src, kPlain, true, all128},
	{"OXM_OF_IPV6_DST", ClassOpenFlow, 27, 0, 16, packet.FieldIPv6Dst, kPlain, true, all128},
	{"OXM_OF_IPV6_FLABEL", ClassOpenFlow, 28, 0, 4, packet.FieldIPv6Label, kPlain, true, u(0xfffff)},
	{"OXM_OF_ICMPV6_TYPE", ClassOpenFlow, 29, 0, 1, packet.FieldICMPv6Type, kPlain, false, u(0xff)},
	{"OXM_OF_ICMPV6_CODE", ClassOpenFlow, 30, 0, 1, packet.FieldICMPv6Code, kPlain, false, u(0xff)},
	{"OXM_OF_IPV6_ND_TARGET", ClassOpenFlow, 31, 0, 16, packet.FieldNdTarget, kPlain, true, all128},
	{"OXM_OF_IPV6_ND_SLL", ClassOpenFlow, 32, 0, 6, packet.FieldNdSll, kPlain, true, u(1<<48 - 1)},
	{"OXM_OF_IPV6_ND_TLL", ClassOpenFlow, 33, 0, 6, packet.FieldNdTll, kPlain, true, u(1<<48 - 1)},
	{"OXM_OF_TUNNEL_ID", ClassOpenFlow, 38, 0, 8, packet.FieldTunID, kPlain, true, u(^uint64(0))},
	{"OXM_OF_MPLS_LABEL", ClassOpenFlow, 34, 0, 4, packet.FieldMPLSLabel, kPlain, false, u(0xfffff)},
	{"OXM_OF_MPLS_TC", ClassOpenFlow, 35, 0, 1, packet.FieldMPLSTC, kPlain, false, u(7)},
	{"OXM_OF_MPLS_BOS", ClassOpenFlow, 36, 0, 1, packet.FieldMPLSBOS, kPlain, false, u(1)},

	{"OXM_OF_PACKET_TYPE", ClassOpenFlow, 44, 0, 4, packet.FieldPacketType, kPacketType, false, u(0xffffffff)},

	{"ONFOXM_ET_TCP_FLAGS", ClassExperimenter, 42, ONFVendorID, 2, packet.FieldTCPFlags, kPlain, true, u(0xfff)},
	{"NXOXM_ET_ERSPAN_IDX", ClassExperimenter, 11, NXVendorID, 4, packet.FieldTunErspanIdx, kPlain, true, u(0xffffffff)},
	{"NXOXM_ET_ERSPAN_VER", ClassExperimenter, 12, NXVendorID, 1, packet.FieldTunErspanVer, kMaskIsValue, true, u(0xff)},
	{"NXOXM_ET_ERSPAN_DIR", ClassExperimenter, 13, NXVendorID, 1, packet.FieldTunErspanDir, kMaskIsValue, true, u(0xff)},
	{"NXOXM_ET_ERSPAN_HWID", ClassExperimenter, 14, NXVendorID, 1, packet.FieldTunErspanHwid, kMaskIsValue, true, u(0xff)},
	{"NXOXM_ET_GTPU_FLAGS", ClassExperimenter, 15, NXVendorID, 1, packet.FieldTunGtpuFlags, kMaskIsValue, true, u(0xff)},
	{"NXOXM_ET_GTPU_MSGTYPE", ClassExperimenter, 16, NXVendorID, 1, packet.FieldTunGtpuMsgtype, kMaskIsValue, true, u(0xff)},
	{"ERICOXM_OF_ICMPV6_ND_RESERVED", ClassEricsson, 1, 0, 4, packet.FieldNdReserved, kPlain, false, u(0xffffffff)},
	{"ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE", ClassEricsson, 2, 0, 1, packet.FieldNdOptionsType, kPlain, false, u(0xff)},
	{"NXOXM_NSH_FLAGS", ClassExperimenter, 1, NSHExperimenterID, 1, packet.FieldNSHFlags, kPlain, true, u(0xff)},
	{"NXOXM_NSH_MDTYPE", ClassExperimenter, 2, NSHExperimenterID, 1, packet.FieldNSHMdType, kNSHMdType, false, u(0xff)},
	{"NXOXM_NSH_NP", ClassExperimenter, 3, NSHExperimenterID, 1, packet.FieldNSHNp, kPlain, false, u(0xff)},
	{"NXOXM_NSH_SPI", ClassExperimenter, 4, NSHExperimenterID, 4, packet.FieldNSHSPI, kPlain, false, u(0xffffff)},
	{"NXOXM_NSH_SI", ClassExperimenter, 5, NSHExperimenterID, 1, packet.FieldNSHSI, kPlain, false, u(0xff)},
	{"NXOXM_NSH_C1", ClassExperimenter, 6, NSHExperimenterID, 4, packet.FieldNSHC1, kPlain, true, u(0xffffffff)},
	{"NXOXM_NSH_C2", ClassExperimenter, 7, NSHExperimenterID, 4, packet.FieldNSHC2, kPlain, true, u(0xffffffff)},
	{"NXOXM_NSH_C3", ClassExperimenter, 8, NSHExperimenterID, 4, packet.FieldNSHC3, kPlain, true, u(0xffffffff)},
	{"NXOXM_NSH_C4", ClassExperimenter, 9, NSHExperimenterID, 4, packet.FieldNSHC4, kPlain, true, u(0xffffffff)},
	{"NXOXM_NSH_TTL", ClassExperimenter, 10, NSHExperimenterID, 1, packet.FieldNSHTTL, kPlain, false, u(0x3f)},
	{"ONFOXM_ET_ACTSET_OUTPUT", ClassExperimenter, 43, ONFVendorID, 4, packet.FieldActsetOutput, kActset, false, u(0xffffffff)},

	// OpenFlow 1.5's standard headers for what 1.3 has as ONF
	// experimenter fields (after those: 1.3 and NXM-era encodings keep
	// the ONF ones; oxm15Of picks these for 1.5).
	{"OXM_OF_TCP_FLAGS", ClassOpenFlow, 42, 0, 2, packet.FieldTCPFlags, kPlain, true, u(0xfff)},
	{"OXM_OF_ACTSET_OUTPUT", ClassOpenFlow, 43, 0, 4, packet.FieldActsetOutput, kActset, false, u(0xffffffff)},
}

func init() {
	for i := 0; i < 16; i++ {
		wireFields = append(wireFields, wireField{"NXM_NX_REG" + itoa(i), ClassNXM1, uint8(i), 0, 4,
			packet.FieldReg0 + packet.FieldID(i), kPlain, true, u(0xffffffff)})
	}
	for i := 0; i < 8; i++ {
		wireFields = append(wireFields, wireField{"OXM_OF_PKT_REG" + itoa(i), ClassPacketRegs, uint8(i), 0, 8,
			packet.FieldXReg0 + packet.FieldID(i), kPlain, true, u(^uint64(0))})
	}
	for i := 0; i < 4; i++ {
		wireFields = append(wireFields, wireField{"NXM_NX_XXREG" + itoa(i), ClassNXM1, uint8(111 + i), 0, 16,
			packet.FieldXXReg0 + packet.FieldID(i), kPlain, true, all128})
	}
	byKey = make(map[uint64]*wireField, len(wireFields))
	for i := range wireFields {
		f := &wireFields[i]
		byKey[fieldKey(f.Class, f.Field, f.Exp)] = f
		if f.Class == ClassNXM0 || f.Class == ClassNXM1 {
			if nxmOf[f.ID] == nil {
				nxmOf[f.ID] = f
			}
		} else if oxmOf[f.ID] == nil {
			oxmOf[f.ID] = f
		}
	}
	// The model's vlan_tci/vlan_vid/vlan_pcp share bits; NXM has only TCI.
	nxmOf[packet.FieldVlanVID] = nxmOf[packet.FieldVlanTCI]
	// xregs have no NXM header: OVS writes them as OXM in either encoding.
	oxm15Of[packet.FieldTCPFlags] = byKey[fieldKey(ClassOpenFlow, 42, 0)]
	oxm15Of[packet.FieldActsetOutput] = byKey[fieldKey(ClassOpenFlow, 43, 0)]
}

// dialect is the header set a match is written with: NXM (OpenFlow 1.0),
// OXM as OVS writes it for OpenFlow 1.2-1.4, or for OpenFlow 1.5 (OVS's
// mf_oxm_header by version: the fields whose preferred header changed in
// 1.5, and nx_put_raw's registers as xregs).
type dialect uint8

const (
	dNXM dialect = iota
	dOXM
	dOXM15
)

// dialectOf is the OXM dialect of OpenFlow version.
func dialectOf(version uint8) dialect {
	if version >= Version15 {
		return dOXM15
	}
	return dOXM
}

// header is the wire field d writes model field id with.
func (d dialect) header(id packet.FieldID) *wireField {
	if d == dOXM15 && oxm15Of[id] != nil {
		return oxm15Of[id]
	}
	return headerFor(id, d != dNXM)
}

var (
	byKey map[uint64]*wireField
	nxmOf [packet.NumFields]*wireField // the NXM assignment of a model field
	oxmOf [packet.NumFields]*wireField // the OXM (or experimenter) assignment
	// oxm15Of is the OpenFlow 1.5 header where it differs from oxmOf's
	oxm15Of [packet.NumFields]*wireField
)

func fieldKey(class uint16, field uint8, exp uint32) uint64 {
	if class != ClassExperimenter {
		exp = 0
	}
	return uint64(class)<<48 | uint64(field&0x7f)<<40 | uint64(exp)
}

// lookupField finds the wire field for a header (and experimenter ID).
func lookupField(h Header, exp uint32) *wireField {
	return byKey[fieldKey(h.Class(), h.Field(), exp)]
}

// headerFor returns the header OVS uses for model field id in an OpenFlow
// 1.2+ (oxm) or NXM encoding: OXM where one exists for OpenFlow 1.3, else NXM.
func headerFor(id packet.FieldID, oxm bool) *wireField {
	if oxm {
		if f := oxmOf[id]; f != nil {
			return f
		}
		return nxmOf[id]
	}
	if f := nxmOf[id]; f != nil {
		return f
	}
	return oxmOf[id]
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return "1" + string(rune('0'+i-10))
}

// FieldName is the name OVS prints a subfield of model field id with
// (mf_format_subfield: the field's first NXM or OXM header, NXM_NX_REG0,
// OXM_OF_METADATA, ...); "" for a field with no header.
func FieldName(id packet.FieldID) string {
	if int(id) < len(nxmOf) && nxmOf[id] != nil {
		return nxmOf[id].Name
	}
	if int(id) < len(oxmOf) && oxmOf[id] != nil {
		return oxmOf[id].Name
	}
	return ""
}
