package tunnel

import (
	"fmt"
	"net/netip"

	"gswitch/packet"
)

// Port is a configured tunnel port: its OpenFlow port number on its bridge
// and its configuration. Bridge is the caller's handle of the bridge it is
// on (Find hands it back; the package does not interpret it).
type Port struct {
	OFPort uint32
	Bridge int
	Config *Config
}

// match is OVS's tnl_match: what a received packet must carry to belong to
// a port (addresses as IPv6, IPv4 mapped).
type match struct {
	inKey               uint64
	local, remote       [16]byte
	vport               VPort
	inKeyFlow           bool
	localFlow, remoteFl bool
	pt                  PTMode
}

// Ports is the set of tunnel ports of a datapath (all its bridges): the
// vports they need and OVS's twelve match maps (tunnel.c), built once and
// read-only after, so receive loops share it without a lock.
type Ports struct {
	vports []VPort
	maps   [12]map[match]Port
}

// NewPorts indexes ports. A port whose match is another's (same type, UDP
// port, addresses and key) is left out with the warning OVS logs.
func NewPorts(ports []Port) (*Ports, []string) {
	ps := &Ports{}
	var warns []string
	for _, p := range ports {
		c := p.Config
		vp := VPort{Type: c.Type, Port: c.DstPort}
		m := match{
			inKey:     c.InKey,
			vport:     vp,
			inKeyFlow: c.InKeyFlow,
			localFlow: c.LocalFlow,
			remoteFl:  c.RemoteFlow,
			pt:        c.PTMode,
		}
		if c.InKeyFlow {
			m.inKey = 0
		}
		if c.Local.IsValid() {
			m.local = c.Local.As16()
		}
		if c.Remote.IsValid() {
			m.remote = c.Remote.As16()
		}
		i := mapIndex(m.inKeyFlow, m.remoteFl, srcType(m.localFlow, c.Local.IsValid()))
		if ps.maps[i] == nil {
			ps.maps[i] = make(map[match]Port)
		}
		if old, ok := ps.maps[i][m]; ok {
			warns = append(warns, fmt.Sprintf("%s: attempting to add tunnel port with same config as port '%s'", c.Name, old.Config.Name))
			continue
		}
		ps.maps[i][m] = p
		dup := false
		for _, v := range ps.vports {
			dup = dup || v == vp
		}
		if !dup {
			ps.vports = append(ps.vports, vp)
		}
	}
	return ps, warns
}

// VPorts lists the vports the ports use.
func (ps *Ports) VPorts() []VPort { return ps.vports }

const (
	srcCfg = iota
	srcAny
	srcFlow
)

func srcType(flow, set bool) int {
	switch {
	case flow:
		return srcFlow
	case set:
		return srcCfg
	}
	return srcAny
}

func mapIndex(inKeyFlow, dstFlow bool, src int) int {
	i := src
	if dstFlow {
		i += 3
	}
	if inKeyFlow {
		i += 6
	}
	return i
}

// Find returns the port a packet popped from vport vp with header h
// belongs to (OVS's tnl_find): the most specific first, a fixed key before
// key=flow, a fixed remote before remote_ip=flow, a fixed local address
// before none before local_ip=flow; a port of the packet's legacy mode
// before a packet-type-aware one.
func (ps *Ports) Find(vp VPort, h *Header) (Port, bool) {
	var local, remote [16]byte
	if h.V6 {
		local, remote = u128Bytes(h.Dst6), u128Bytes(h.Src6)
	} else {
		local, remote = mapped4(h.Dst4), mapped4(h.Src4)
	}
	legacy := LegacyL2
	if h.PacketType != PTEthernet {
		legacy = LegacyL3
	}
	i := 0
	for keyFlow := 0; keyFlow < 2; keyFlow++ {
		for dstFlow := 0; dstFlow < 2; dstFlow++ {
			for src := 0; src < 3; src++ {
				mp := ps.maps[i]
				i++
				if mp == nil {
					continue
				}
				m := match{vport: vp, inKeyFlow: keyFlow == 1, remoteFl: dstFlow == 1, localFlow: src == srcFlow}
				if keyFlow == 0 {
					m.inKey = h.ID
				}
				if src == srcCfg {
					m.local = local
				}
				if dstFlow == 0 {
					m.remote = remote
				}
				m.pt = legacy
				if p, ok := mp[m]; ok {
					return p, true
				}
				m.pt = PTAware
				if p, ok := mp[m]; ok {
					return p, true
				}
			}
		}
	}
	return Port{}, false
}

func u128Bytes(a packet.U128) [16]byte {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(a.Hi >> (56 - 8*i))
		b[8+i] = byte(a.Lo >> (56 - 8*i))
	}
	return b
}

func mapped4(v uint32) [16]byte {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).As16()
}

// Decap runs the whole receive side on pk, a parsed frame that Recognize
// gave vport vp: Pop, Find and SetMetadata with the TLV table of the
// port's bridge (tlvOf, called once). On Pass pk holds the inner frame
// (not parsed yet), its tunnel words and pk.Tun are set, and port is where
// it enters; the caller sets in_port and parses. h is the caller's scratch
// space (it holds up to 252 bytes of options; keep one per receive loop).
// On DropMetadata port is the port the packet was for; on other drops it
// is the zero Port.
func (ps *Ports) Decap(pk *packet.Packet, vp VPort, h *Header, tlvOf func(bridge int) *packet.TLVTable) (Port, Drop) {
	if d := Pop(pk, vp.Type, h); d != Pass {
		return Port{}, d
	}
	p, ok := ps.Find(vp, h)
	if !ok {
		// OVS's upcall finds no input port before it translates.
		return Port{}, DropNoPort
	}
	var tlv *packet.TLVTable
	if tlvOf != nil {
		tlv = tlvOf(p.Bridge)
	}
	if d := h.SetMetadata(&pk.Key, &pk.Tun, tlv); d != Pass {
		return p, d // the port, for the drop's log line
	}
	return p, Pass
}
