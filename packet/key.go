// The package documentation is in doc.go.

package packet

// NumWords is the number of 64-bit words of a Key's matchable part.
const NumWords = 44

// Words is the matchable part of a flow key, also used as a mask. Fields are
// packed big-endian style inside each word (the first-named field sits in the
// high bits). The layout is fixed; see the Field registry for every field's
// word, shift and width.
//
//	W0   in_port[63:32]        recirc_id[31:0]
//	W1   metadata
//	W2-9 reg(2i)[63:32] reg(2i+1)[31:0]    (so xreg(i) is W(2+i), xxreg(i) W(2+2i)-W(3+2i))
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
//	     or, when eth_type is 0x894f (NSH, which OVS parses no further):
//	W23  nsh_flags[63:56] nsh_ttl[55:48] nsh_mdtype[47:40] nsh_np[39:32] nsh_spi[31:8] nsh_si[7:0]
//	W24  nsh_c1[63:32] nsh_c2[31:0]   W25 nsh_c3[63:32] nsh_c4[31:0]   (W26 unused)
//	W27  ipv6_label[63:32]  nw_proto[31:24] nw_tos[23:16] nw_ttl[15:8] nw_frag[7:0]
//	W28  tp_src[63:48]  tp_dst[47:32]  tcp_flags[31:16]  nd_options_type[15:8]
//	W29  arp_sha / nd_sll[63:16]
//	W30  arp_tha / nd_tll[63:16]
//	W31-32 nd_target
//	W33  mpls_lse[63:32]: the outermost MPLS label stack entry as on the wire:
//	     mpls_label[63:44] mpls_tc[43:41] mpls_bos[40] mpls_ttl[39:32]
//	     nd_reserved[31:0] (an ND message is never MPLS, so they share the word)
//	W34  tun_id
//	W35  tun_src[63:32]        tun_dst[31:0]
//	W36-37 tun_ipv6_src        W38-39 tun_ipv6_dst
//	W40  tun_flags[63:48]  tun_gbp_id[47:32]  tun_gbp_flags[31:24]
//	W41  actset_output[63:32]  dp_hash[31:0]
//	W42  packet_type[63:32]    tun_gtpu_flags[31:24]  tun_gtpu_msgtype[23:16]
//	W43  tun_erspan_idx[63:32] tun_erspan_ver[31:24]  tun_erspan_dir[23:16]  tun_erspan_hwid[15:8]
//
// As in OVS, ARP's opcode lives in nw_proto, ICMP type and code in tp_src and
// tp_dst, and the two halves of a 128-bit field sit in consecutive words
// (high half first).
//
// The tunnel words (W34-W40) are metadata, like W0-W19: Parse leaves them
// alone (a set_field to tun_id survives a re-parse) and ResetMetadata zeroes
// them, so a packet from an ordinary port carries zeros, as in OVS. A port
// that decapsulates fills them after the reset. W41 is metadata too:
// ResetMetadata sets actset_output to ActsetOutputUnset and dp_hash to 0;
// the pipeline keeps actset_output equal to the output port of the action
// set (write_actions, clear_actions) and sets dp_hash when a select group
// hashes the packet. packet_type is always (0,0) (Ethernet): only matches
// carry other values. Geneve options
// (tun_metadata0..63) are not in Words: see TunMetadata.
type Words [NumWords]uint64

// Word indexes of the layout above.
const (
	WInPort     = 0
	WMetadata   = 1
	WRegs       = 2
	WPktMark    = 10
	WCtMark     = 11
	WCtLabel    = 12
	WCtNw       = 14
	WCtIPv6Src  = 15
	WCtIPv6Dst  = 17
	WCtTp       = 19
	WEthDst     = 20
	WEthSrc     = 21
	WNw         = 22
	WIPv6Src    = 23
	WIPv6Dst    = 25
	WNSH        = 23 // NSH base and service path headers (shares ipv6_src's first word)
	WNSHCtx     = 24 // NSH MD type 1 context headers c1..c4, two words
	WL3Misc     = 27
	WTp         = 28
	WArpSha     = 29
	WArpTha     = 30
	WNdTarget   = 31
	WMPLS       = 33
	WTunID      = 34
	WTunNw      = 35
	WTunIPv6Src = 36
	WTunIPv6Dst = 38
	WTunMisc    = 40
	WActset     = 41
	WPktType    = 42
	WErspan     = 43
)

// ActsetOutputUnset is actset_output's value when the action set has no
// output port (OVS's OFPP_UNSET as an OpenFlow 1.1+ port).
const ActsetOutputUnset = 0xfffffff7

// PacketTypeEthernet is packet_type (0,0): an Ethernet frame, the type of
// every gswitch packet.
const PacketTypeEthernet = 0

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

// TunFlagsMask is the tun_flags bits OVS defines (FLOW_TNL_PUB_F_MASK):
// TunFlagOAM alone. Matches keep only these bits of a mask.
const (
	TunFlagOAM   = 0x1
	TunFlagsMask = TunFlagOAM
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

// Accessors of the layout above. They are the only code that knows where a
// field sits in its word: everything outside this package reads and writes
// key words through them (or through Get/Set by FieldID). They work on any
// Words value, so they serve a key and a match's value or mask alike.
// Setters change only the words, never a frame; use SetField on a Packet to
// rewrite headers.

func (w *Words) InPort() uint32        { return uint32(w[WInPort] >> 32) }
func (w *Words) SetInPort(p uint32)    { w[WInPort] = w[WInPort]&0xffffffff | uint64(p)<<32 }
func (w *Words) RecircID() uint32      { return uint32(w[WInPort]) }
func (w *Words) SetRecircID(id uint32) { w[WInPort] = w[WInPort]&^0xffffffff | uint64(id) }
func (w *Words) Metadata() uint64      { return w[WMetadata] }
func (w *Words) SetMetadata(m uint64)  { w[WMetadata] = m }

// Reg returns register i (0-15).
func (w *Words) Reg(i int) uint32 {
	r := w[WRegs+i/2]
	if i%2 == 0 {
		return uint32(r >> 32)
	}
	return uint32(r)
}

func (w *Words) PktMark() uint32          { return uint32(w[WPktMark] >> 32) }
func (w *Words) CtState() uint32          { return uint32(w[WPktMark]) }
func (w *Words) SetCtState(s uint32)      { w[WPktMark] = w[WPktMark]&^0xffffffff | uint64(s) }
func (w *Words) CtMark() uint32           { return uint32(w[WCtMark] >> 32) }
func (w *Words) SetCtMark(m uint32)       { w[WCtMark] = w[WCtMark]&0xffffffff | uint64(m)<<32 }
func (w *Words) CtZone() uint16           { return uint16(w[WCtMark] >> 16) }
func (w *Words) SetCtZone(z uint16)       { w[WCtMark] = w[WCtMark]&^(0xffff<<16) | uint64(z)<<16 }
func (w *Words) CtNwProto() uint8         { return uint8(w[WCtMark] >> 8) }
func (w *Words) SetCtNwProto(p uint8)     { w[WCtMark] = w[WCtMark]&^(0xff<<8) | uint64(p)<<8 }
func (w *Words) CtLabel() (hi, lo uint64) { return w[WCtLabel], w[WCtLabel+1] }
func (w *Words) SetCtLabel(hi, lo uint64) { w[WCtLabel], w[WCtLabel+1] = hi, lo }
func (w *Words) CtNwSrc() uint32          { return uint32(w[WCtNw] >> 32) }
func (w *Words) CtNwDst() uint32          { return uint32(w[WCtNw]) }

// SetCtNw sets ct_nw_src and ct_nw_dst.
func (w *Words) SetCtNw(src, dst uint32) { w[WCtNw] = uint64(src)<<32 | uint64(dst) }

func (w *Words) CtIPv6Src() U128 { return U128{w[WCtIPv6Src], w[WCtIPv6Src+1]} }
func (w *Words) CtIPv6Dst() U128 { return U128{w[WCtIPv6Dst], w[WCtIPv6Dst+1]} }

// SetCtIPv6 sets ct_ipv6_src and ct_ipv6_dst.
func (w *Words) SetCtIPv6(src, dst U128) {
	w[WCtIPv6Src], w[WCtIPv6Src+1] = src.Hi, src.Lo
	w[WCtIPv6Dst], w[WCtIPv6Dst+1] = dst.Hi, dst.Lo
}

func (w *Words) CtTpSrc() uint16 { return uint16(w[WCtTp] >> 48) }
func (w *Words) CtTpDst() uint16 { return uint16(w[WCtTp] >> 32) }

// SetCtTp sets ct_tp_src and ct_tp_dst (conj_id, in the same word, is kept).
func (w *Words) SetCtTp(src, dst uint16) {
	w[WCtTp] = uint64(src)<<48 | uint64(dst)<<32 | w[WCtTp]&0xffffffff
}

func (w *Words) ConjID() uint32      { return uint32(w[WCtTp]) }
func (w *Words) SetConjID(id uint32) { w[WCtTp] = w[WCtTp]&^0xffffffff | uint64(id) }
func (w *Words) EthDst() uint64      { return w[WEthDst] >> 16 }
func (w *Words) EthSrc() uint64      { return w[WEthSrc] >> 16 }
func (w *Words) EthType() uint16     { return uint16(w[WEthDst]) }
func (w *Words) VlanTCI() uint16     { return uint16(w[WEthSrc]) }
func (w *Words) SetVlanTCI(t uint16) { w[WEthSrc] = w[WEthSrc]&^0xffff | uint64(t) }
func (w *Words) IPv4Src() uint32     { return uint32(w[WNw] >> 32) }
func (w *Words) IPv4Dst() uint32     { return uint32(w[WNw]) }
func (w *Words) IPv6Src() U128       { return U128{w[WIPv6Src], w[WIPv6Src+1]} }
func (w *Words) IPv6Dst() U128       { return U128{w[WIPv6Dst], w[WIPv6Dst+1]} }
func (w *Words) NwProto() uint8      { return uint8(w[WL3Misc] >> 24) }
func (w *Words) SetNwProto(p uint8)  { w[WL3Misc] = w[WL3Misc]&^(0xff<<24) | uint64(p)<<24 }
func (w *Words) NwTOS() uint8        { return uint8(w[WL3Misc] >> 16) }
func (w *Words) NwTTL() uint8        { return uint8(w[WL3Misc] >> 8) }
func (w *Words) NwFrag() uint8       { return uint8(w[WL3Misc]) }
func (w *Words) TpSrc() uint16       { return uint16(w[WTp] >> 48) }
func (w *Words) TpDst() uint16       { return uint16(w[WTp] >> 32) }
func (w *Words) TCPFlags() uint16    { return uint16(w[WTp] >> 16) }
func (w *Words) MPLSLSE() uint32     { return uint32(w[WMPLS] >> 32) }
func (w *Words) SetMPLSLSE(l uint32) { w[WMPLS] = w[WMPLS]&0xffffffff | uint64(l)<<32 }

func (w *Words) TunID() uint64      { return w[WTunID] }
func (w *Words) SetTunID(id uint64) { w[WTunID] = id }
func (w *Words) TunSrc() uint32     { return uint32(w[WTunNw] >> 32) }
func (w *Words) TunDst() uint32     { return uint32(w[WTunNw]) }
func (w *Words) TunIPv6Src() U128   { return U128{w[WTunIPv6Src], w[WTunIPv6Src+1]} }
func (w *Words) TunIPv6Dst() U128   { return U128{w[WTunIPv6Dst], w[WTunIPv6Dst+1]} }
func (w *Words) TunFlags() uint16   { return uint16(w[WTunMisc] >> 48) }
func (w *Words) TunGbpID() uint16   { return uint16(w[WTunMisc] >> 32) }
func (w *Words) TunGbpFlags() uint8 { return uint8(w[WTunMisc] >> 24) }

func (w *Words) ActsetOutput() uint32     { return uint32(w[WActset] >> 32) }
func (w *Words) SetActsetOutput(p uint32) { w[WActset] = w[WActset]&0xffffffff | uint64(p)<<32 }
func (w *Words) DPHash() uint32           { return uint32(w[WActset]) }
func (w *Words) SetDPHash(h uint32)       { w[WActset] = w[WActset]&^0xffffffff | uint64(h) }
func (w *Words) PacketType() uint32       { return uint32(w[WPktType] >> 32) }

// SetTunNw sets tun_src and tun_dst.
func (w *Words) SetTunNw(src, dst uint32) { w[WTunNw] = uint64(src)<<32 | uint64(dst) }

// SetTunIPv6 sets tun_ipv6_src and tun_ipv6_dst.
func (w *Words) SetTunIPv6(src, dst U128) {
	w[WTunIPv6Src], w[WTunIPv6Src+1] = src.Hi, src.Lo
	w[WTunIPv6Dst], w[WTunIPv6Dst+1] = dst.Hi, dst.Lo
}

// SetTunMisc sets tun_flags, tun_gbp_id and tun_gbp_flags (the rest of
// their word is zeroed).
func (w *Words) SetTunMisc(flags, gbpID uint16, gbpFlags uint8) {
	w[WTunMisc] = uint64(flags)<<48 | uint64(gbpID)<<32 | uint64(gbpFlags)<<24
}

// ResetMetadata zeroes every field a packet enters the pipeline without
// (OVS: all metadata but in_port): recirc_id, metadata, the registers,
// pkt_mark, the ct_* fields, conj_id, the tunnel fields and dp_hash; it
// sets actset_output to ActsetOutputUnset and packet_type to Ethernet.
func (w *Words) ResetMetadata() {
	// Whole-array stores of constant size compile to a few vector stores
	// (a word-by-word loop cost a tenth of a forwarded packet).
	w[WInPort] &^= 0xffffffff
	*(*[WCtTp + 1 - WMetadata]uint64)(w[WMetadata:]) = [WCtTp + 1 - WMetadata]uint64{}
	*(*[NumWords - WTunID]uint64)(w[WTunID:]) = [NumWords - WTunID]uint64{}
	w[WActset] = ActsetOutputUnset << 32
}

// ClearTunnel zeroes the tunnel fields (tun_id ... tun_gbp_flags, the
// ERSPAN and GTP-U fields).
func (w *Words) ClearTunnel() {
	*(*[WTunMisc + 1 - WTunID]uint64)(w[WTunID:]) = [WTunMisc + 1 - WTunID]uint64{}
	w[WErspan] = 0
	w[WPktType] &^= 0xffff << 16
}

// The package fails to compile unless the metadata block ResetMetadata
// zeroes ends where the header words Parse sets begin (so the two together
// set every word of a received packet's key).
var _ [0]struct{} = [WEthDst - WCtTp - 1]struct{}{}

// ClearCt zeroes every ct_* field (ct_state, ct_zone, ct_mark, ct_label and
// the original-direction tuple), as ct_clear and the ct(table=N) fork do.
func (w *Words) ClearCt() {
	w[WPktMark] &^= 0xffffffff
	w[WCtMark] = 0
	for i := WCtLabel; i < WCtTp; i++ {
		w[i] = 0
	}
	w[WCtTp] &= 0xffffffff // keep conj_id
}

// CopyCt sets every ct_* field of w to src's (conj_id is kept).
func (w *Words) CopyCt(src *Words) {
	w.SetCtState(src.CtState())
	for i := WCtMark; i < WCtTp; i++ {
		w[i] = src[i]
	}
	w[WCtTp] = src[WCtTp]&^0xffffffff | w[WCtTp]&0xffffffff
}

// UseCtTuple puts the ct original-direction tuple (ct_nw_proto, the
// addresses of the key's IP version and ct_tp_src/dst) in place of the
// packet's nw_proto, addresses and tp_src/tp_dst, as resubmit(,,ct) looks
// a packet up.
func (w *Words) UseCtTuple() {
	// The addresses are copied as one block of four words: dst follows src
	// in both places (checked at compile time below).
	w[WL3Misc] = w[WL3Misc]&^(0xff<<24) | (w[WCtMark]>>8&0xff)<<24 // nw_proto = ct_nw_proto
	switch uint16(w[WEthDst]) {
	case EthTypeIPv4:
		w[WNw] = w[WCtNw]
	case EthTypeIPv6:
		*(*[4]uint64)(w[WIPv6Src:]) = *(*[4]uint64)(w[WCtIPv6Src:])
	}
	w[WTp] = w[WTp]&0xffffffff | w[WCtTp]&^0xffffffff
}

// The package fails to compile unless ipv6_dst follows ipv6_src and
// ct_ipv6_dst follows ct_ipv6_src, as UseCtTuple assumes.
var (
	_ [0]struct{} = [WIPv6Dst - WIPv6Src - 2]struct{}{}
	_ [0]struct{} = [WCtIPv6Dst - WCtIPv6Src - 2]struct{}{}
)

// Accessors of a Key's words, for the most used fields (see Words).

func (k *Key) InPort() uint32           { return k.W.InPort() }
func (k *Key) SetInPort(p uint32)       { k.W.SetInPort(p) }
func (k *Key) RecircID() uint32         { return k.W.RecircID() }
func (k *Key) SetRecircID(id uint32)    { k.W.SetRecircID(id) }
func (k *Key) Metadata() uint64         { return k.W.Metadata() }
func (k *Key) CtState() uint32          { return k.W.CtState() }
func (k *Key) SetCtState(s uint32)      { k.W.SetCtState(s) }
func (k *Key) CtMark() uint32           { return k.W.CtMark() }
func (k *Key) CtZone() uint16           { return k.W.CtZone() }
func (k *Key) CtLabel() (hi, lo uint64) { return k.W.CtLabel() }
func (k *Key) EthType() uint16          { return k.W.EthType() }
func (k *Key) VlanTCI() uint16          { return k.W.VlanTCI() }
func (k *Key) NwProto() uint8           { return k.W.NwProto() }
func (k *Key) NwTTL() uint8             { return k.W.NwTTL() }
func (k *Key) NwFrag() uint8            { return k.W.NwFrag() }
func (k *Key) TpSrc() uint16            { return k.W.TpSrc() }
func (k *Key) TpDst() uint16            { return k.W.TpDst() }
func (k *Key) TCPFlags() uint16         { return k.W.TCPFlags() }
func (k *Key) IPv4Src() uint32          { return k.W.IPv4Src() }
func (k *Key) IPv4Dst() uint32          { return k.W.IPv4Dst() }
func (k *Key) Reg(i int) uint32         { return k.W.Reg(i) }

// ClearCt is k.W.ClearCt().
func (k *Key) ClearCt() { k.W.ClearCt() }

// Ethernet types used throughout.
const (
	EthTypeIPv4   = 0x0800
	EthTypeARP    = 0x0806
	EthTypeVLAN   = 0x8100
	EthTypeQinQ   = 0x88a8
	EthTypeIPv6   = 0x86dd
	EthTypeMPLS   = 0x8847 // MPLS unicast
	EthTypeMPLSMC = 0x8848 // MPLS multicast
	EthTypeNSH    = 0x894f // Network Service Header (RFC 8300)
)

// IsMPLS reports whether et is an MPLS Ethernet type (OVS's eth_type_mpls).
func IsMPLS(et uint16) bool { return et == EthTypeMPLS || et == EthTypeMPLSMC }

// IP protocol numbers used throughout.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
	ProtoSCTP   = 132
)
