package vswitchd

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"gswitch/ovsdb"
	"gswitch/pipeline"
	"gswitch/tunnel"
)

// IfaceTypes are the Interface types gswitch opens, written to
// Open_vSwitch.iface_types ("" is system).
var IfaceTypes = []string{"geneve", "internal", "patch", "system", "tap", "vxlan"}

// DatapathTypes is what Open_vSwitch.datapath_types says: OVS 3.1 writes
// [netdev, system]; gswitch is a netdev datapath and opens a bridge of
// either type the same way.
var DatapathTypes = []string{"netdev", "system"}

// RefuseSystem takes out of spec the bridges ovs-vswitchd run with
// --disable-system cannot create, those of datapath_type system ("" is
// system): netdev is then its only datapath type. It returns the lines
// OVS 3.1 logs for each at every reconfiguration (module ofproto's
// warnings, then bridge's error), in name order.
func RefuseSystem(spec *Spec) []ModuleLine {
	var names []string
	for name, b := range spec.Bridges {
		if b.DatapathType == "" || b.DatapathType == "system" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []ModuleLine
	for _, name := range names {
		delete(spec.Bridges, name)
		out = append(out,
			ModuleLine{Module: "ofproto", Level: "warn", Text: "unknown datapath type system"},
			ModuleLine{Module: "ofproto", Level: "warn", Text: "could not create datapath " + name + " of unknown type system"},
			ModuleLine{Module: "bridge", Level: "error", Text: "failed to create bridge " + name + ": Address family not supported by protocol"})
	}
	return out
}

// ModuleLine is a log line of an OVS module at a level ("warn", "error").
type ModuleLine struct {
	Module, Level, Text string
}

// BridgeSpec is one bridge as the database configures it.
type BridgeSpec struct {
	UUID          ovsdb.UUID
	Name          string
	DatapathType  string // the datapath_type column ("" is system)
	DatapathID    uint64 // when DatapathIDSet (other_config:datapath-id)
	DatapathIDSet bool
	HWAddr        [6]byte // when HWAddrSet (other_config:hwaddr, neither multicast nor zero)
	HWAddrSet     bool
	Protocols     uint32 // OpenFlow version bitmap (bit N: wire version N); 0: the default
	FailMode      string // "standalone" or "secure"
	Controllers   []ControllerSpec
	Ifaces        []IfaceSpec // sorted by name; the bridge's own internal port left out
	Local         ovsdb.UUID  // the bridge's own Interface row (named as the bridge), if any
	Tables        []TableSpec // flow_tables, by table id
	TableLog      []LogLine   // what configuring the tables logs (module bridge)
}

// ControllerSpec is one Controller row of a bridge, with the settings in
// effect as ovs-vswitchd computes them (bridge_configure_remotes, rconn).
type ControllerSpec struct {
	UUID   ovsdb.UUID
	Target string
	// Type is the type column: "primary", "service" or "" (by target:
	// active targets primary, passive ones services; datapath.IsPrimary).
	Type string
	// Probe is the inactivity probe: 5 s by default, off (negative) for
	// inactivity_probe=0, else the column's whole seconds, at least 5
	// (OVS rounds below 1000 ms up to 1 s, then rconn raises it to 5 s).
	Probe time.Duration
	// MaxBackoff is max_backoff's whole seconds, at least 1; 8 s by default.
	MaxBackoff time.Duration
}

// controllerSpec reads a Controller row. connection_mode is accepted and
// has no effect: gswitch has no in-band control, so every controller is
// out of band (as OVS with other_config:disable-in-band=true).
func controllerSpec(c *ovsdb.Controller) ControllerSpec {
	cs := ControllerSpec{UUID: c.UUID, Target: c.Target, Probe: 5 * time.Second, MaxBackoff: 8 * time.Second}
	if c.Type != nil {
		cs.Type = *c.Type
	}
	if p := c.InactivityProbe; p != nil {
		switch {
		case *p == 0:
			cs.Probe = -1
		default:
			cs.Probe = max(5, time.Duration(max(*p/1000, 1))) * time.Second
		}
	}
	if b := c.MaxBackoff; b != nil {
		cs.MaxBackoff = time.Duration(max(*b/1000, 1)) * time.Second
	}
	return cs
}

// IfaceSpec is one Interface of a bridge's ports.
type IfaceSpec struct {
	UUID ovsdb.UUID
	Port ovsdb.UUID
	Name string
	Type string // "" for system
	// Request is the number asked for (0: none): ofport_request, else
	// the ofport column a previous run wrote (OVS's iface_pick_ofport),
	// so that a restarted switch gives each port its number again.
	Request uint32
	Peer    string // options:peer of a patch
	// Options are a tunnel interface's (geneve, vxlan) options.
	Options map[string]string
	VLAN    VLANSpec
	MTU     int // mtu_request (0: none)
	// MAC is the Interface's mac column when MACSet: OVS sets it on
	// internal interfaces only (iface_set_mac).
	MAC    [6]byte
	MACSet bool
	// PortMAC is the Port's mac column when PortMACSet: the address the
	// port offers for the bridge's (find_local_hw_addr).
	PortMAC    [6]byte
	PortMACSet bool
}

// VLANSpec is a Port's VLAN configuration for NORMAL, with vlan_mode's
// default as ovs-vswitchd's port_configure: access when tag is set, else
// trunk. The zero value is a trunk of every VLAN.
type VLANSpec struct {
	Mode   pipeline.VLANMode
	Tag    uint16
	Trunks string // the trunks column, ascending, comma-separated
}

// vlanSpec reads a Port row's tag, trunks and vlan_mode.
func vlanSpec(p *ovsdb.Port) VLANSpec {
	var v VLANSpec
	tag := int64(-1)
	if p.Tag != nil && *p.Tag >= 0 && *p.Tag <= 4095 {
		tag = *p.Tag
		v.Tag = uint16(tag)
	}
	mode := ""
	if p.VLANMode != nil {
		mode = *p.VLANMode
	}
	switch mode {
	case "access":
		v.Mode = pipeline.VLANAccess
	case "native-tagged":
		v.Mode = pipeline.VLANNativeTagged
	case "native-untagged":
		v.Mode = pipeline.VLANNativeUntagged
	case "":
		if tag >= 0 {
			v.Mode = pipeline.VLANAccess
		}
	}
	ts := append([]int64(nil), p.Trunks...)
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	var b strings.Builder
	for _, t := range ts {
		if t >= 0 && t <= 4095 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(t, 10))
		}
	}
	v.Trunks = b.String()
	return v
}

// PortVLAN is the pipeline's form of v (nil for a trunk of every VLAN).
func (v VLANSpec) PortVLAN() *pipeline.PortVLAN {
	if v == (VLANSpec{}) {
		return nil
	}
	var trunks []uint16
	for _, f := range strings.Split(v.Trunks, ",") {
		if n, err := strconv.ParseUint(f, 10, 16); err == nil {
			trunks = append(trunks, uint16(n))
		}
	}
	return pipeline.NewPortVLAN(v.Mode, v.Tag, trunks)
}

// Spec is the whole configuration: bridges by name, and next_cfg.
type Spec struct {
	NextCfg int64
	Bridges map[string]*BridgeSpec
}

// Desired reads the configuration out of a snapshot. Rows that cannot be
// applied as they are (a bad datapath-id, two bridges or ports of one name)
// are left out as ovs-vswitchd leaves them out, with a reason in problems.
func Desired(s *ovsdb.Snapshot) (spec Spec, problems []string) {
	spec.Bridges = map[string]*BridgeSpec{}
	root := s.Root()
	if root == nil {
		return spec, nil
	}
	spec.NextCfg = root.NextCfg
	seenIface := map[string]bool{}
	for _, bu := range sortedUUIDs(root.Bridges) {
		b := s.Bridges[bu]
		if b == nil {
			continue
		}
		if spec.Bridges[b.Name] != nil {
			problems = append(problems, fmt.Sprintf("bridge %s specified twice", b.Name))
			continue
		}
		bs := &BridgeSpec{UUID: b.UUID, Name: b.Name, DatapathType: b.DatapathType, FailMode: "standalone"}
		if b.FailMode != nil && *b.FailMode == "secure" {
			bs.FailMode = "secure"
		}
		if v, ok := b.OtherConfig["datapath-id"]; ok {
			id, err := parseDatapathID(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("bridge %s: other_config:datapath-id %q: %v", b.Name, v, err))
			} else {
				bs.DatapathID, bs.DatapathIDSet = id, true
			}
		}
		if v, ok := b.OtherConfig["hwaddr"]; ok {
			// As bridge_pick_local_hw_addr: a multicast or zero address is
			// refused (logged), and the bridge picks its own.
			if hw, ok := parseMAC(v); !ok {
				problems = append(problems, fmt.Sprintf("bridge %s: other_config:hwaddr %q is not an Ethernet address", b.Name, v))
			} else if hw[0]&1 != 0 {
				problems = append(problems, fmt.Sprintf("bridge %s: cannot set MAC address to multicast address %s", b.Name, net.HardwareAddr(hw[:])))
			} else if hw == ([6]byte{}) {
				problems = append(problems, fmt.Sprintf("bridge %s: cannot set MAC address to zero", b.Name))
			} else {
				bs.HWAddr, bs.HWAddrSet = hw, true
			}
		}
		bs.Protocols = Protocols(b.Protocols)
		bs.Tables, bs.TableLog = tableSpecs(s, b)
		for _, cu := range sortedUUIDs(b.Controller) {
			if c := s.Controllers[cu]; c != nil {
				bs.Controllers = append(bs.Controllers, controllerSpec(c))
			}
		}
		for _, pu := range sortedUUIDs(b.Ports) {
			p := s.Ports[pu]
			if p == nil {
				continue
			}
			for _, iu := range sortedUUIDs(p.Interfaces) {
				in := s.Interfaces[iu]
				if in == nil {
					continue
				}
				if in.Name == b.Name {
					bs.Local = in.UUID // the bridge's LOCAL port is the bridge's own
					continue
				}
				if seenIface[in.Name] {
					problems = append(problems, fmt.Sprintf("interface %s specified twice", in.Name))
					continue
				}
				seenIface[in.Name] = true
				is := IfaceSpec{UUID: in.UUID, Port: p.UUID, Name: in.Name, Type: in.Type, VLAN: vlanSpec(p)}
				if is.Type == "system" {
					is.Type = ""
				}
				if in.OfportRequest != nil && *in.OfportRequest > 0 && *in.OfportRequest < 0xff00 {
					is.Request = uint32(*in.OfportRequest)
				} else if in.Ofport != nil && *in.Ofport > 0 && *in.Ofport < 0xff00 {
					is.Request = uint32(*in.Ofport)
				}
				if is.Type == "patch" {
					is.Peer = in.Options["peer"]
				}
				if isTunnelType(is.Type) {
					is.Options = in.Options
				}
				if in.MTURequest != nil && *in.MTURequest >= 1 && *in.MTURequest <= 65535 {
					is.MTU = int(*in.MTURequest)
				}
				if in.MAC != nil {
					is.MAC, is.MACSet = parseMAC(*in.MAC)
				}
				if p.MAC != nil {
					is.PortMAC, is.PortMACSet = parseMAC(*p.MAC)
				}
				bs.Ifaces = append(bs.Ifaces, is)
			}
		}
		sort.Slice(bs.Ifaces, func(i, j int) bool { return bs.Ifaces[i].Name < bs.Ifaces[j].Name })
		spec.Bridges[b.Name] = bs
	}
	return spec, problems
}

// Protocols maps the Bridge protocols column to a version bitmap (bit N:
// wire version N, OpenFlow10 bit 1 ... OpenFlow15 bit 6), as OVS's
// allowed versions: a change of the bitmap is a change of OVS's, which
// drops the bridge's connections; gswitch offers the versions it speaks
// (1.0, 1.3, 1.5) among them. 0 (every version gswitch speaks) when the
// column is empty.
func Protocols(names []string) uint32 {
	var bm uint32
	for _, n := range names {
		if len(n) == len("OpenFlow1x") && strings.HasPrefix(n, "OpenFlow1") && n[9] >= '0' && n[9] <= '5' {
			bm |= 1 << (n[9] - '0' + 1)
		}
	}
	return bm
}

// parseMAC parses an Ethernet address as xx:xx:xx:xx:xx:xx (quotes
// around it allowed).
func parseMAC(v string) (mac [6]byte, ok bool) {
	hw, err := net.ParseMAC(strings.Trim(v, `"`))
	if err != nil || len(hw) != 6 {
		return mac, false
	}
	return [6]byte(hw), true
}

// parseDatapathID parses other_config:datapath-id: exactly 16 hex digits,
// not all zero (as OVS's dpid_from_string and bridge_configure_datapath_id).
func parseDatapathID(v string) (uint64, error) {
	if len(v) != 16 {
		return 0, fmt.Errorf("want 16 hex digits")
	}
	id, err := strconv.ParseUint(v, 16, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("want 16 hex digits, not all zero")
	}
	return id, nil
}

func sortedUUIDs(us []ovsdb.UUID) []ovsdb.UUID {
	out := append([]ovsdb.UUID(nil), us...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// isTunnelType reports whether typ is a tunnel Interface type gswitch
// runs natively (tunnel.ParseType).
func isTunnelType(typ string) bool {
	_, ok := tunnel.ParseType(typ)
	return ok
}
