// The package documentation is in doc.go.

package packet

// NumWords is the number of 64-bit words of a Key's matchable part.
const NumWords = 33

// Words is the matchable part of a flow key, also used as a mask. Fields are
// packed big-endian style inside each word (the first-named field sits in the
// high bits). The layout is fixed; see the Field registry for every field's
// word, shift and width.
//
//	W0   in_port[63:32]        recirc_id[31:0]
//	W1   metadata
//	W2-9 reg(2i)[63:32] reg(2i+1)[31:0]    (so xreg(i) is W(2+i))
//	W10  pkt_mark[63:32]       ct_state[31:0]
//	W11  ct_mark[63:32]        ct_zone[31:16]  ct_nw_proto[15:8]
//	W12  ct_label[127:64]      W13 ct_label[63:0]
//	W14  ct_nw_src[63:32]      ct_nw_dst[31:0]
//	W15-16 ct_ipv6_src         W17-18 ct_ipv6_dst
//	W19  ct_tp_src[63:48]      ct_tp_dst[47:32]  conj_id[31:0]
//	W20  eth_dst[63:16]        eth_type[15:0]
//	W21  eth_src[63:16]        vlan_tci[15:0]    (OVS TCI: PCP|CFI(present)|VID)
//	W22  nw_src[63:32]         nw_dst[31:0]      (IPv4 or ARP spa/tpa)
//	W23-24 ipv6_src            W25-26 ipv6_dst
//	W27  ipv6_label[63:32]  nw_proto[31:24] nw_tos[23:16] nw_ttl[15:8] nw_frag[7:0]
//	W28  tp_src[63:48]  tp_dst[47:32]  tcp_flags[31:16]
//	W29  arp_sha / nd_sll[63:16]
//	W30  arp_tha / nd_tll[63:16]
//	W31-32 nd_target
//
// As in OVS, ARP's opcode lives in nw_proto, ICMP type and code in tp_src and
// tp_dst, and the two halves of a 128-bit field sit in consecutive words
// (high half first).
type Words [NumWords]uint64

// Word indexes of the layout above.
const (
	WInPort    = 0
	WMetadata  = 1
	WRegs      = 2
	WPktMark   = 10
	WCtMark    = 11
	WCtLabel   = 12
	WCtNw      = 14
	WCtIPv6Src = 15
	WCtIPv6Dst = 17
	WCtTp      = 19
	WEthDst    = 20
	WEthSrc    = 21
	WNw        = 22
	WIPv6Src   = 23
	WIPv6Dst   = 25
	WL3Misc    = 27
	WTp        = 28
	WArpSha    = 29
	WArpTha    = 30
	WNdTarget  = 31
)

// ct_state bits, as ovs-fields(7) numbers them.
const (
	CsNew  uint32 = 0x01
	CsEst  uint32 = 0x02
	CsRel  uint32 = 0x04
	CsRpl  uint32 = 0x08
	CsInv  uint32 = 0x10
	CsTrk  uint32 = 0x20
	CsSNAT uint32 = 0x40
	CsDNAT uint32 = 0x80
)

// ip_frag (nw_frag) bits, as OVS numbers them.
const (
	FragAny   = 0x1 // the packet is a fragment
	FragLater = 0x2 // ... and not the first one
)

// VLAN TCI bit that says a VLAN header is present (OVS's VLAN_CFI; the
// OFPVID_PRESENT bit of OpenFlow 1.3's vlan_vid).
const VlanCFI = 0x1000

// Key flags: facts about the parse that are not matchable fields.
const (
	FlagMalformed   uint16 = 1 << iota // a header was truncated or inconsistent; parsing stopped there
	FlagL3                             // an IPv4 or IPv6 header was parsed (L3 is valid)
	FlagL4                             // a TCP/UDP/SCTP/ICMP header was parsed (L4 is valid)
	FlagIPv4                           // the L3 header is IPv4
	FlagIPv6                           // the L3 header is IPv6
	FlagBadIPCsum                      // the IPv4 header checksum is wrong
	FlagCsumPartial                    // the L4 checksum is partial (offload); see Packet.Csum*
)

// Key is a parsed packet: the matchable words plus offsets into the frame.
// It is fixed-size and pointer-free, so it can be copied, hashed and compared.
type Key struct {
	W     Words
	L3    uint16 // offset of the IPv4/IPv6/ARP header
	L4    uint16 // offset of the L4 header (after IPv6 extension headers)
	L7    uint16 // offset of the L4 payload
	Flags uint16
}

// Accessors for the most used fields. Setters change only the key, never the
// frame; use SetField on a Packet to rewrite headers.

func (k *Key) InPort() uint32           { return uint32(k.W[WInPort] >> 32) }
func (k *Key) SetInPort(p uint32)       { k.W[WInPort] = k.W[WInPort]&0xffffffff | uint64(p)<<32 }
func (k *Key) RecircID() uint32         { return uint32(k.W[WInPort]) }
func (k *Key) SetRecircID(id uint32)    { k.W[WInPort] = k.W[WInPort]&^0xffffffff | uint64(id) }
func (k *Key) Metadata() uint64         { return k.W[WMetadata] }
func (k *Key) CtState() uint32          { return uint32(k.W[WPktMark]) }
func (k *Key) SetCtState(s uint32)      { k.W[WPktMark] = k.W[WPktMark]&^0xffffffff | uint64(s) }
func (k *Key) CtMark() uint32           { return uint32(k.W[WCtMark] >> 32) }
func (k *Key) CtZone() uint16           { return uint16(k.W[WCtMark] >> 16) }
func (k *Key) CtLabel() (hi, lo uint64) { return k.W[WCtLabel], k.W[WCtLabel+1] }
func (k *Key) EthType() uint16          { return uint16(k.W[WEthDst]) }
func (k *Key) VlanTCI() uint16          { return uint16(k.W[WEthSrc]) }
func (k *Key) NwProto() uint8           { return uint8(k.W[WL3Misc] >> 24) }
func (k *Key) NwTTL() uint8             { return uint8(k.W[WL3Misc] >> 8) }
func (k *Key) NwFrag() uint8            { return uint8(k.W[WL3Misc]) }
func (k *Key) TpSrc() uint16            { return uint16(k.W[WTp] >> 48) }
func (k *Key) TpDst() uint16            { return uint16(k.W[WTp] >> 32) }
func (k *Key) TCPFlags() uint16         { return uint16(k.W[WTp] >> 16) }
func (k *Key) IPv4Src() uint32          { return uint32(k.W[WNw] >> 32) }
func (k *Key) IPv4Dst() uint32          { return uint32(k.W[WNw]) }
func (k *Key) Reg(i int) uint32 {
	w := k.W[WRegs+i/2]
	if i%2 == 0 {
		return uint32(w >> 32)
	}
	return uint32(w)
}

// ClearCt zeroes every ct_* field (ct_state, ct_zone, ct_mark, ct_label and
// the original-direction tuple), as ct_clear and the ct(table=N) fork do.
func (k *Key) ClearCt() {
	k.W[WPktMark] &^= 0xffffffff
	k.W[WCtMark] = 0
	for w := WCtLabel; w < WCtTp; w++ {
		k.W[w] = 0
	}
	k.W[WCtTp] &= 0xffffffff // keep conj_id
}

// Ethernet types used throughout.
const (
	EthTypeIPv4 = 0x0800
	EthTypeARP  = 0x0806
	EthTypeVLAN = 0x8100
	EthTypeQinQ = 0x88a8
	EthTypeIPv6 = 0x86dd
)

// IP protocol numbers used throughout.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
	ProtoSCTP   = 132
)
