package tunnel

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"

	"gswitch/packet"
)

// Drop is why a received tunnel packet is dropped, named by the OVS 3.1
// coverage counter that counts it (Counter); Pass is no drop.
type Drop uint8

const (
	Pass Drop = iota
	// DropPop: the outer headers are malformed (bad IPv4 header checksum
	// or length, IPv4 options, a bad UDP checksum, a short or unknown
	// Geneve/VXLAN header): OVS's tnl_pop fails.
	DropPop
	// DropNoPort: no tunnel port is configured for the packet's tunnel
	// (remote, local address, key); OVS logs "receive tunnel port not
	// found" and its upcall fails.
	DropNoPort
	// DropMetadata: the Geneve options cannot be taken into the flow (an
	// unknown critical option, a mapped option of another length, an
	// option running past the options): OVS's translation fails with
	// "Invalid Geneve tunnel metadata" and installs a drop.
	DropMetadata
)

// Counter is the OVS coverage counter a drop increments.
func (d Drop) Counter() string {
	switch d {
	case DropPop:
		return "datapath_drop_tunnel_pop_error"
	case DropNoPort:
		return "datapath_drop_upcall_error"
	case DropMetadata:
		return "drop_action_invalid_tunnel_metadata"
	}
	return ""
}

func (d Drop) String() string {
	switch d {
	case Pass:
		return "pass"
	case DropPop:
		return "tunnel pop error"
	case DropNoPort:
		return "no tunnel port"
	case DropMetadata:
		return "invalid tunnel metadata"
	}
	return "unknown"
}

// Reason says why Pop failed, for the warning OVS logs (Header.Warning).
type Reason uint8

const (
	ReasonNone Reason = iota
	ReasonNoL3L4
	ReasonIPCsum
	ReasonIPTruncated
	ReasonIPOptions
	ReasonIPVersion
	ReasonUDPCsum
	ReasonShort
	ReasonGeneveShort
	ReasonGeneveLen
	ReasonGeneveVersion
	ReasonGeneveProto
	ReasonVXLANFlags
	ReasonVXLANGPE
)

// PT values of VXLAN-GPE payloads (OVS's packet_type: namespace 1,
// the ethertype), Ethernet being 0.
const (
	PTEthernet = 0
	PTIPv4     = 1<<16 | 0x0800
	PTIPv6     = 1<<16 | 0x86dd
	PTNSH      = 1<<16 | 0x894f
)

// Header is what Pop took from a tunnel packet's outer headers: OVS's
// flow_tnl in its "udpif" form (Geneve options raw, not yet mapped by a
// TLV table).
type Header struct {
	Type         Type
	V6           bool
	Src4, Dst4   uint32      // IPv4 outer addresses (V6 false)
	Src6, Dst6   packet.U128 // IPv6 outer addresses (V6 true)
	TOS, TTL     uint8
	TpSrc, TpDst uint16
	ID           uint64
	Flags        uint8  // FlagOAM, FlagCsum, FlagKey
	PacketType   uint32 // PTEthernet, or VXLAN-GPE's payload type
	OptLen       int
	Opts         [MaxGeneveOpts]byte

	reason Reason
	a, b   int
}

// Endpoint is an underlay address gswitch receives tunnel traffic on: an
// address of an internal port (br-phy's) and that port's MAC.
type Endpoint struct {
	MAC  [6]byte
	Addr netip.Addr
}

// VPort is a tunnel type on a UDP port: OVS's tunnel vport (genev_sys_6081,
// vxlan_sys_4789, ...), shared by every tunnel port of that type and port.
type VPort struct {
	Type Type
	Port uint16
}

// Recognize reports whether the parsed outer frame k, arriving at endpoint
// ep, is tunnel traffic for one of ps's vports (OVS's tnl_port_map_lookup:
// Ethernet destination ep's MAC, no VLAN, IPv4 or IPv6 destination ep's
// address, UDP, not a fragment, destination port a vport's).
func (ps *Ports) Recognize(k *packet.Key, ep *Endpoint) (VPort, bool) {
	w := &k.W
	if k.Flags&packet.FlagL4 == 0 || w.VlanTCI() != 0 || w.NwProto() != 17 || w.NwFrag() != 0 {
		return VPort{}, false
	}
	if w.EthDst() != macWord(ep.MAC) {
		return VPort{}, false
	}
	switch w.EthType() {
	case 0x0800:
		if !ep.Addr.Is4() || w.IPv4Dst() != binary.BigEndian.Uint32(ep.Addr.AsSlice()) {
			return VPort{}, false
		}
	case 0x86dd:
		a := ep.Addr.As16()
		d := w.IPv6Dst()
		if !ep.Addr.Is6() || d.Hi != binary.BigEndian.Uint64(a[:8]) || d.Lo != binary.BigEndian.Uint64(a[8:]) {
			return VPort{}, false
		}
	default:
		return VPort{}, false
	}
	dp := w.TpDst()
	for _, v := range ps.vports {
		if v.Port == dp {
			return v, true
		}
	}
	return VPort{}, false
}

func macWord(m [6]byte) uint64 {
	return uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 | uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

// Pop validates the outer headers of pk (parsed: pk.Key's L3 and L4
// offsets) as vport type t and, when they are well formed, fills h and
// strips them, leaving the inner frame in pk.Data (OVS 3.1's
// netdev_geneve_pop_header and netdev_vxlan_pop_header). It returns DropPop
// otherwise, pk unchanged; h.Warning says why, in OVS's words. Nothing is
// allocated.
func Pop(pk *packet.Packet, t Type, h *Header) Drop {
	h.reason, h.OptLen, h.Flags, h.PacketType, h.Type = ReasonNone, 0, 0, PTEthernet, t
	b := pk.Data
	k := &pk.Key
	l3, l4 := int(k.L3), int(k.L4)
	if k.Flags&packet.FlagL3 == 0 || k.Flags&packet.FlagL4 == 0 || l3 < EthLen || l4 <= l3 || l4 > len(b) {
		return h.fail(ReasonNoL3L4, 0, 0)
	}
	l4size := len(b) - l4
	minLen := GeneveLen + UDPLen
	if t == VXLAN {
		minLen = VXLANLen + UDPLen
	}
	if l4size < minLen {
		if t == Geneve {
			return h.fail(ReasonShort, minLen, l4size)
		}
		return h.fail(ReasonNoL3L4, 0, 0)
	}
	ip := b[l3:]
	var pseudo uint32
	switch ip[0] >> 4 {
	case 4:
		ihl := int(ip[0]&0xf) * 4
		if ihl < IPv4Len || l3+ihl > len(b) {
			return h.fail(ReasonNoL3L4, 0, 0)
		}
		if packet.Checksum(ip[:ihl]) != 0 {
			return h.fail(ReasonIPCsum, 0, 0)
		}
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		if tot > len(b)-l3 {
			return h.fail(ReasonIPTruncated, tot, len(b)-l3)
		}
		if ihl > IPv4Len {
			return h.fail(ReasonIPOptions, ihl, 0)
		}
		h.V6 = false
		h.Src4, h.Dst4 = binary.BigEndian.Uint32(ip[12:]), binary.BigEndian.Uint32(ip[16:])
		h.Src6, h.Dst6 = packet.U128{}, packet.U128{}
		h.TOS, h.TTL = ip[1], ip[8]
		pseudo = packet.PseudoSum4(h.Src4, h.Dst4, 17, uint16(tot-ihl))
	case 6:
		if l3+IPv6Len > len(b) {
			return h.fail(ReasonNoL3L4, 0, 0)
		}
		h.V6 = true
		h.Src4, h.Dst4 = 0, 0
		h.Src6 = packet.U128{Hi: binary.BigEndian.Uint64(ip[8:]), Lo: binary.BigEndian.Uint64(ip[16:])}
		h.Dst6 = packet.U128{Hi: binary.BigEndian.Uint64(ip[24:]), Lo: binary.BigEndian.Uint64(ip[32:])}
		h.TOS = uint8(binary.BigEndian.Uint32(ip[0:]) >> 20)
		h.TTL = ip[7]
		pseudo = packet.PseudoSum6(ip[8:24], ip[24:40], 17, uint32(binary.BigEndian.Uint16(ip[4:])))
	default:
		return h.fail(ReasonIPVersion, int(ip[0]>>4), 0)
	}
	u := b[l4:]
	if binary.BigEndian.Uint16(u[6:]) != 0 {
		// OVS sums the rest of the frame, trailing bytes included. A
		// partial outer checksum (the sending stack on this host left it
		// to the device) is not verified, as the kernel does not.
		if !outerPartial(pk, l4) && packet.Fold(packet.Sum(u, pseudo)) != 0xffff {
			return h.fail(ReasonUDPCsum, 0, 0)
		}
		h.Flags |= FlagCsum
	}
	h.TpSrc, h.TpDst = binary.BigEndian.Uint16(u[0:]), binary.BigEndian.Uint16(u[2:])
	th := u[UDPLen:]
	var hlen int
	switch t {
	case Geneve:
		optLen := int(th[0]&0x3f) * 4
		hlen = l4 + UDPLen + GeneveLen + optLen
		if hlen > len(b) {
			return h.fail(ReasonGeneveLen, hlen, len(b))
		}
		if th[0]>>6 != 0 {
			return h.fail(ReasonGeneveVersion, int(th[0]>>6), 0)
		}
		if p := binary.BigEndian.Uint16(th[2:]); p != 0x6558 {
			return h.fail(ReasonGeneveProto, int(p), 0)
		}
		if th[1]&0x80 != 0 {
			h.Flags |= FlagOAM
		}
		h.ID = uint64(binary.BigEndian.Uint32(th[4:]) >> 8)
		h.Flags |= FlagKey
		h.OptLen = copy(h.Opts[:], th[GeneveLen:GeneveLen+optLen])
	case VXLAN:
		flags := binary.BigEndian.Uint32(th[0:])
		vni := binary.BigEndian.Uint32(th[4:])
		if flags&0x04000000 != 0 { // VXLAN-GPE
			flags &^= 0x30000000 | 0x04000000 | 0x01000000 | 0xff
			if th[0]&0x01 != 0 { // OAM
				return h.fail(ReasonVXLANGPE, 0, 0)
			}
			switch th[3] {
			case 1:
				h.PacketType = PTIPv4
			case 2:
				h.PacketType = PTIPv6
			case 3:
				h.PacketType = PTEthernet
			case 4:
				h.PacketType = PTNSH
			default:
				return h.fail(ReasonVXLANGPE, 0, 0)
			}
		}
		if flags != 0x08000000 || vni&0xff != 0 {
			return h.fail(ReasonVXLANFlags, int(flags), int(vni))
		}
		h.ID = uint64(vni >> 8)
		h.Flags |= FlagKey
		hlen = l4 + UDPLen + VXLANLen
	default:
		return h.fail(ReasonNoL3L4, 0, 0)
	}
	pk.Shrink(0, hlen)
	innerOffload(pk, hlen)
	return Pass
}

// outerPartial reports whether pk's offload says the UDP checksum at l4
// is partial.
func outerPartial(pk *packet.Packet, l4 int) bool {
	return pk.Key.Flags&packet.FlagCsumPartial != 0 && int(pk.Off.CsumStart) == l4
}

// innerOffload moves pk's offload description past the hlen bytes of
// outer headers Pop stripped: an offload of the inner frame keeps its
// meaning, one of the outer headers is gone with them.
func innerOffload(pk *packet.Packet, hlen int) {
	o := &pk.Off
	if *o == (packet.Offload{}) {
		return
	}
	if int(o.CsumStart) <= hlen {
		*o = packet.Offload{}
		pk.Key.Flags &^= packet.FlagCsumPartial
		return
	}
	o.CsumStart -= uint16(hlen)
	if int(o.HdrLen) > hlen {
		o.HdrLen -= uint16(hlen)
	} else {
		o.HdrLen = 0
	}
}

func (h *Header) fail(r Reason, a, b int) Drop {
	h.reason, h.a, h.b = r, a, b
	return DropPop
}

// Warning is the line OVS 3.1 logs (module native_tnl, rate-limited) for
// the Pop failure of h, "" when it logs none.
func (h *Header) Warning() string {
	switch h.reason {
	case ReasonIPCsum:
		return "ip packet has invalid checksum"
	case ReasonIPTruncated:
		return fmt.Sprintf("ip packet is truncated (IP length %d, actual %d)", h.a, h.b)
	case ReasonIPOptions:
		return fmt.Sprintf("ip options not supported on tunnel packets (%d bytes)", h.a)
	case ReasonIPVersion:
		return fmt.Sprintf("ipv4 packet has invalid version (%d)", h.a)
	case ReasonShort:
		return fmt.Sprintf("geneve packet too small: min header=%d packet size=%d", h.a, h.b)
	case ReasonGeneveLen:
		return fmt.Sprintf("geneve packet too small: header len=%d packet size=%d", h.a, h.b)
	case ReasonGeneveVersion:
		return fmt.Sprintf("unknown geneve version: %d", h.a)
	case ReasonGeneveProto:
		return fmt.Sprintf("unknown geneve encapsulated protocol: %#x", h.a)
	case ReasonVXLANFlags:
		return fmt.Sprintf("invalid vxlan flags=%#x vni=%#x", h.a, h.b)
	}
	return ""
}

// Reason is why Pop failed (ReasonNone after a Pass).
func (h *Header) Reason() Reason { return h.reason }

// SrcAddr and DstAddr are the outer source and destination addresses.
func (h *Header) SrcAddr() netip.Addr { return u128Addr(h.V6, h.Src4, h.Src6) }
func (h *Header) DstAddr() netip.Addr { return u128Addr(h.V6, h.Dst4, h.Dst6) }

func u128Addr(v6 bool, v4 uint32, a packet.U128) netip.Addr {
	if !v6 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v4)
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.Hi)
	binary.BigEndian.PutUint64(b[8:], a.Lo)
	return netip.AddrFrom16(b)
}

// SetMetadata writes h into the tunnel fields of k (tun_id, tun_src and
// tun_dst or tun_ipv6_src and tun_ipv6_dst, tun_flags; tun_gbp_* zero, the
// other tunnel words cleared) and its Geneve options into m, each option
// the TLV table tlv maps put in its field's slots (OVS's
// tun_metadata_from_geneve_udpif): options tlv does not map are left out
// (OVS keeps them only in the datapath's raw copy, where no flow can see
// them); an unmapped critical option (type bit 0x80), a mapped option whose
// length differs from the mapping's, or an option that runs past the
// options is DropMetadata.
func (h *Header) SetMetadata(k *packet.Key, m *packet.TunMeta, tlv *packet.TLVTable) Drop {
	w := &k.W
	w.ClearTunnel()
	w.SetTunID(h.ID)
	if h.V6 {
		w.SetTunIPv6(h.Src6, h.Dst6)
	} else {
		w.SetTunNw(h.Src4, h.Dst4)
	}
	var fl uint16
	if h.Flags&FlagOAM != 0 {
		fl = packet.TunFlagOAM
	}
	w.SetTunMisc(fl, 0, 0)
	m.Present = 0
	o := h.Opts[:h.OptLen]
	for len(o) > 0 {
		if len(o) < 4 {
			return DropMetadata
		}
		l := 4 + int(o[3]&0x1f)*4
		if l > len(o) {
			return DropMetadata
		}
		class, typ := binary.BigEndian.Uint16(o), o[2]
		idx := -1
		if tlv != nil {
			for i := range tlv.E {
				if e := &tlv.E[i]; e.Valid && e.Class == class && e.Type == typ {
					idx = i
					break
				}
			}
		}
		switch {
		case idx >= 0:
			e := &tlv.E[idx]
			if int(e.Len) != l-4 {
				return DropMetadata
			}
			v := o[4:l]
			for s := e.Slots; s != 0; s &= s - 1 {
				m.Opts[bits.TrailingZeros64(s)] = binary.BigEndian.Uint32(v)
				v = v[4:]
			}
			m.Present |= 1 << uint(idx)
		case typ&0x80 != 0:
			return DropMetadata
		}
		o = o[l:]
	}
	return Pass
}
