package tunnel

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"

	"gswitch/packet"
)

// Header lengths.
const (
	EthLen    = 14
	IPv4Len   = 20
	IPv6Len   = 40
	UDPLen    = 8
	GeneveLen = 8 // without options
	VXLANLen  = 8

	// MaxGeneveOpts is the most option bytes a Geneve header holds (its
	// 6-bit length counts 4-byte words; OVS's TLV_TOT_OPT_SIZE).
	MaxGeneveOpts = 252

	// MaxEncapLen is the longest header Encap pushes (Ethernet, IPv6, UDP,
	// Geneve with the most options).
	MaxEncapLen = EthLen + IPv6Len + UDPLen + GeneveLen + MaxGeneveOpts
)

// The UDP source port range OVS picks from (tnl_udp_port_min/max, the
// defaults of ovs-appctl tnl/egress_port_range).
const (
	SrcPortMin = 32768
	SrcPortMax = 61000
)

// tun_flags bits of OVS's flow_tnl that are not OpenFlow fields (the
// datapath's view: FLOW_TNL_F_*). Only OAM is public (packet.TunFlagOAM).
const (
	FlagOAM  = 1 << 0
	FlagDF   = 1 << 1
	FlagCsum = 1 << 2
	FlagKey  = 1 << 3
)

// Flow is the tunnel header a packet is sent with: OVS's flow->tunnel after
// tnl_port_send applied the port's configuration to the packet's tunnel
// fields.
type Flow struct {
	ID  uint64
	Src netip.Addr // local_ip (or the packet's tun_src with local_ip=flow); zero: routing picks
	Dst netip.Addr // remote_ip (or the packet's tun_dst with remote_ip=flow); zero: cannot send
	TOS uint8
	TTL uint8
	// Flags holds FlagOAM (from the packet's tun_flags), FlagDF, FlagCsum
	// and FlagKey (from the configuration).
	Flags uint8
}

// SendFlow computes the tunnel header a packet with key k leaves through a
// port configured by c (OVS's tnl_port_send): fixed addresses and out_key
// from the configuration, the others from the packet's tunnel fields; TTL
// and TOS configured or inherited from an IP packet, whose ECN bits are
// always inherited (CE as ECT(0)).
func (c *Config) SendFlow(k *packet.Key, f *Flow) {
	w := &k.W
	*f = Flow{ID: w.TunID()}
	if !c.LocalFlow {
		f.Src = c.Local
	} else {
		f.Src = tunAddr(w.TunSrc(), w.TunIPv6Src())
	}
	if !c.RemoteFlow {
		f.Dst = c.Remote
	} else {
		f.Dst = tunAddr(w.TunDst(), w.TunIPv6Dst())
	}
	if !c.OutKeyFlow {
		f.ID = c.OutKey
	}
	et := w.EthType()
	isIP := et == 0x0800 || et == 0x86dd
	if c.TTLInherit && isIP {
		f.TTL = w.NwTTL()
	} else {
		f.TTL = c.TTL
	}
	tos := w.NwTOS()
	if c.TOSInherit && isIP {
		f.TOS = tos & 0xfc
	} else {
		f.TOS = c.TOS
	}
	if isIP {
		if tos&3 == 3 {
			f.TOS |= 2 // CE goes out as ECT(0)
		} else {
			f.TOS |= tos & 3
		}
	}
	if w.TunFlags()&packet.TunFlagOAM != 0 {
		f.Flags |= FlagOAM
	}
	if c.DontFragment {
		f.Flags |= FlagDF
	}
	if c.Csum {
		f.Flags |= FlagCsum
	}
	if c.OutKeyPresent {
		f.Flags |= FlagKey
	}
}

// tunAddr is the tunnel address of the IPv4 word, else of the IPv6 words
// (OVS's flow_tnl_src/dst: an IPv4 address wins when set).
func tunAddr(v4 uint32, v6 packet.U128) netip.Addr {
	if v4 != 0 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v4)
		return netip.AddrFrom4(b)
	}
	if v6.Hi == 0 && v6.Lo == 0 {
		return netip.Addr{}
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], v6.Hi)
	binary.BigEndian.PutUint64(b[8:], v6.Lo)
	return netip.AddrFrom16(b).Unmap()
}

// Outer is what the caller's routing decided for an encapsulated packet:
// the outer Ethernet addresses (the egress bridge's MAC, the next hop's
// from the neighbour table) and the outer source address.
type Outer struct {
	SrcMAC, DstMAC [6]byte
	Src            netip.Addr
}

// Encap errors: the packet is dropped (OVS counts a failed header build
// or push as datapath_drop_tunnel_push_error).
var (
	ErrNoRemote     = errors.New("tunnel: no remote address")
	ErrFamily       = errors.New("tunnel: outer source and destination differ in address family")
	ErrNoRoom       = errors.New("tunnel: no room for the outer headers")
	ErrOptsTooLong  = errors.New("tunnel: Geneve options exceed 252 bytes")
	ErrNotEthernet  = errors.New("tunnel: only Ethernet frames can be encapsulated")
	ErrUnsupportedT = errors.New("tunnel: unsupported tunnel type")
)

// SrcPort maps a packet's 5-tuple hash (OVS's RSS hash,
// miniflow_hash_5tuple of the inner packet) into the source port range, as
// netdev_tnl_get_src_port does.
func SrcPort(hash uint32) uint16 {
	return uint16(uint64(hash)*(SrcPortMax-SrcPortMin)>>32 + SrcPortMin)
}

// Encap pushes the outer Ethernet, IPv4 or IPv6 (by f.Dst's family), UDP
// and Geneve or VXLAN headers of port c in front of pk's frame, as OVS 3.1's
// userspace datapath builds and pushes them: IP id 0, DF from f, TOS and
// TTL from f (IPv6: traffic class and hop limit, flow label 0), the UDP
// source port from hash (SrcPort), the UDP checksum when f asks for it and
// always over IPv6; Geneve options from pk.Tun for every present field the
// TLV table tlv maps, in field order, the critical bit when one of them is
// critical, the OAM bit from f; VXLAN's VNI from the low 24 bits of f.ID.
// VXLAN GBP is not encoded (OVS 3.1's userspace datapath has no GBP).
//
// The frame grows into the buffer's headroom (or is moved within the
// buffer); nothing is allocated. pk.Key is not updated: it still describes
// the inner frame.
func Encap(pk *packet.Packet, c *Config, f *Flow, tlv *packet.TLVTable, o *Outer, hash uint32) error {
	if !f.Dst.IsValid() {
		return ErrNoRemote
	}
	v6 := f.Dst.Is6()
	if o.Src.IsValid() && o.Src.Is6() != v6 {
		return ErrFamily
	}
	var optLen int
	crit := false
	if c.Type == Geneve {
		optLen, crit = geneveOptsLen(&pk.Tun, tlv)
		if optLen > MaxGeneveOpts {
			return ErrOptsTooLong
		}
	} else if c.Type != VXLAN {
		return ErrUnsupportedT
	}
	if c.Type == VXLAN && c.Exts&ExtGPE != 0 && pk.Key.W.PacketType() != 0 {
		return ErrNotEthernet
	}
	l3 := IPv4Len
	if v6 {
		l3 = IPv6Len
	}
	tl := GeneveLen + optLen
	if c.Type == VXLAN {
		tl = VXLANLen
	}
	hl := EthLen + l3 + UDPLen + tl
	inner := len(pk.Data)
	if !pk.Grow(0, hl) {
		return ErrNoRoom
	}
	b := pk.Data
	copy(b[0:6], o.DstMAC[:])
	copy(b[6:12], o.SrcMAC[:])
	ip := b[EthLen:]
	udpLen := UDPLen + tl + inner
	if v6 {
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		binary.BigEndian.PutUint32(ip[0:], 6<<28|uint32(f.TOS)<<20)
		binary.BigEndian.PutUint16(ip[4:], uint16(udpLen))
		ip[6], ip[7] = 17, f.TTL
		s := o.Src.As16()
		d := f.Dst.As16()
		copy(ip[8:24], s[:])
		copy(ip[24:40], d[:])
	} else {
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		ip[0], ip[1] = 0x45, f.TOS
		binary.BigEndian.PutUint16(ip[2:], uint16(IPv4Len+udpLen))
		ip[4], ip[5] = 0, 0
		frag := uint16(0)
		if f.Flags&FlagDF != 0 {
			frag = 0x4000
		}
		binary.BigEndian.PutUint16(ip[6:], frag)
		ip[8], ip[9] = f.TTL, 17
		ip[10], ip[11] = 0, 0
		var s [4]byte
		if o.Src.IsValid() {
			s = o.Src.As4()
		}
		d := f.Dst.As4()
		copy(ip[12:16], s[:])
		copy(ip[16:20], d[:])
		packet.PutIPv4HeaderChecksum(ip[:IPv4Len])
	}
	u := ip[l3:]
	binary.BigEndian.PutUint16(u[0:], SrcPort(hash))
	binary.BigEndian.PutUint16(u[2:], c.DstPort)
	binary.BigEndian.PutUint16(u[4:], uint16(udpLen))
	u[6], u[7] = 0, 0
	t := u[UDPLen:]
	vni := uint32(f.ID) << 8
	if c.Type == Geneve {
		t[0] = byte(optLen / 4)
		t[1] = 0
		if f.Flags&FlagOAM != 0 {
			t[1] |= 0x80
		}
		if crit {
			t[1] |= 0x40
		}
		binary.BigEndian.PutUint16(t[2:], 0x6558)
		binary.BigEndian.PutUint32(t[4:], vni)
		putGeneveOpts(t[GeneveLen:GeneveLen+optLen], &pk.Tun, tlv)
	} else {
		flags := uint32(0x08000000)
		if c.Exts&ExtGPE != 0 {
			flags |= 0x04000000 | 3 // next protocol: Ethernet
		}
		binary.BigEndian.PutUint32(t[0:], flags)
		binary.BigEndian.PutUint32(t[4:], vni)
	}
	if v6 || f.Flags&FlagCsum != 0 {
		seg := u[:udpLen]
		var sum uint32
		if v6 {
			sum = packet.PseudoSum6(ip[8:24], ip[24:40], 17, uint32(udpLen))
		} else {
			sum = packet.PseudoSum4(binary.BigEndian.Uint32(ip[12:]), binary.BigEndian.Uint32(ip[16:]), 17, uint16(udpLen))
		}
		cs := ^packet.Fold(packet.Sum(seg, sum))
		if cs == 0 {
			cs = 0xffff
		}
		binary.BigEndian.PutUint16(u[6:], cs)
	}
	return nil
}

// geneveOptsLen is the length of the options pk.Tun makes and whether one
// of them is critical.
func geneveOptsLen(m *packet.TunMeta, tlv *packet.TLVTable) (n int, crit bool) {
	if tlv == nil {
		return 0, false
	}
	for p := m.Present; p != 0; p &= p - 1 {
		e := &tlv.E[bits.TrailingZeros64(p)]
		if !e.Valid {
			continue
		}
		n += 4 + int(e.Len)
		crit = crit || e.Type&0x80 != 0
	}
	return n, crit
}

// putGeneveOpts writes the options of m (OVS's tun_metadata_to_geneve__).
func putGeneveOpts(b []byte, m *packet.TunMeta, tlv *packet.TLVTable) {
	if tlv == nil {
		return
	}
	for p := m.Present; p != 0; p &= p - 1 {
		e := &tlv.E[bits.TrailingZeros64(p)]
		if !e.Valid {
			continue
		}
		binary.BigEndian.PutUint16(b[0:], e.Class)
		b[2], b[3] = e.Type, e.Len/4
		b = b[4:]
		for s := e.Slots; s != 0; s &= s - 1 {
			binary.BigEndian.PutUint32(b, m.Opts[bits.TrailingZeros64(s)])
			b = b[4:]
		}
	}
}

// ErrTemplate is Reencap's error for headers Encap did not make.
var ErrTemplate = errors.New("tunnel: not outer headers made by Encap")

// Reencap pushes hdr, the outer headers Encap pushed in front of another
// frame of the same flow (same port, tunnel fields, options and route),
// in front of pk's frame, with the outer IP and UDP lengths, the IPv4
// header checksum and the UDP checksum (when hdr has one) made for pk's
// frame: each segment of a GSO super-frame gets its outer headers this
// way, without being routed and built again. Nothing is allocated.
func Reencap(pk *packet.Packet, hdr []byte) error {
	if len(hdr) < EthLen+IPv4Len+UDPLen {
		return ErrTemplate
	}
	l3 := IPv4Len
	v6 := false
	switch binary.BigEndian.Uint16(hdr[12:]) {
	case 0x0800:
	case 0x86dd:
		v6, l3 = true, IPv6Len
	default:
		return ErrTemplate
	}
	if len(hdr) < EthLen+l3+UDPLen {
		return ErrTemplate
	}
	inner := len(pk.Data)
	if !pk.Grow(0, len(hdr)) {
		return ErrNoRoom
	}
	b := pk.Data
	copy(b, hdr)
	ip := b[EthLen:]
	u := ip[l3:]
	udpLen := len(hdr) - EthLen - l3 + inner
	binary.BigEndian.PutUint16(u[4:], uint16(udpLen))
	if v6 {
		binary.BigEndian.PutUint16(ip[4:], uint16(udpLen))
	} else {
		binary.BigEndian.PutUint16(ip[2:], uint16(IPv4Len+udpLen))
		ip[10], ip[11] = 0, 0
		packet.PutIPv4HeaderChecksum(ip[:IPv4Len])
	}
	if u[6] != 0 || u[7] != 0 {
		u[6], u[7] = 0, 0
		var sum uint32
		if v6 {
			sum = packet.PseudoSum6(ip[8:24], ip[24:40], 17, uint32(udpLen))
		} else {
			sum = packet.PseudoSum4(binary.BigEndian.Uint32(ip[12:]), binary.BigEndian.Uint32(ip[16:]), 17, uint16(udpLen))
		}
		cs := ^packet.Fold(packet.Sum(u[:udpLen], sum))
		if cs == 0 {
			cs = 0xffff
		}
		binary.BigEndian.PutUint16(u[6:], cs)
	}
	return nil
}
