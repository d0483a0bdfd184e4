package vswitchd

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"go.uber.org/zap"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/ofproto"
	"gswitch/ovsdb"
	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports"
	"gswitch/tunnel"
	"gswitch/tunnel/underlay"
)

// Opener opens the device of an Interface of type typ ("" system,
// "internal", "tap"; never "patch"). kind is what `show` calls the port.
// An error that wraps a syscall.Errno is written to the Interface's error
// column as OVS words it ("could not open network device NAME (strerror)").
type Opener func(name, typ string) (dev ports.Port, kind string, err error)

// Config configures a Switch.
type Config struct {
	// RunDir is where each bridge's management socket BRIDGE.mgmt goes
	// (ovs-ofctl's default target); empty: no management sockets.
	RunDir string
	// Software is the OFPMP_DESC software description.
	Software string
	// Shared by every bridge (one conntrack, as OVS's netdev datapath).
	Tracker *ct.Tracker
	Pool    *packet.Pool
	Clock   func() int64
	Logger  *zap.Logger
	// Open opens devices; nil: OpenDevice.
	Open Opener
	// SetMTU sets a device's MTU (mtu_request); nil: ports.SetMTU.
	SetMTU func(name string, mtu int) error
	// GetMTU reads a device's MTU; nil: the kernel's (net.InterfaceByName).
	GetMTU func(name string) (int, error)
	// OpenLocal creates a bridge's LOCAL port device (named after the
	// bridge, with its address); nil: bridges have no LOCAL device (LOCAL
	// stays down, ARCHITECTURE.md). cmd/gswitch uses CreateLocalTAP.
	OpenLocal func(name string, mac [6]byte) (ports.Port, error)
	// Tunnels is native tunnelling shared by the bridges (nil: tunnel
	// interfaces get an error).
	Tunnels *datapath.Tunnels
	// RxThreadPerPort gives each port a receive thread of its own instead
	// of one per bridge (datapath.Config.RxThreadPerPort).
	RxThreadPerPort bool
	// Sampler gives each bridge, by name, the collector sets its sample
	// actions feed (nil: none).
	Sampler func(bridge string) pipeline.Sampler
	// SetIPFIX applies the database's IPFIX collector sets (DesiredIPFIX)
	// after each reconfiguration and returns what it could not do (nil:
	// the database's sets are not applied).
	SetIPFIX func(IPFIXSets) []string
	// Restore, when set, is called with each new bridge once it has its
	// ports and before it starts (before any port forwards), to load a
	// saved state into it (gswitch --state-dir).
	Restore func(br *datapath.Bridge)
}

// CreateLocalTAP is ovs-vswitchd's internal port for a bridge: a TAP
// device named after it, with its address, created down.
func CreateLocalTAP(name string, mac [6]byte) (ports.Port, error) {
	return ports.CreateTAP(name, ports.WithLinkDown(), ports.WithHWAddr(mac[:]))
}

// Switch runs the bridges a Spec asks for: Apply reconciles the running
// bridges, ports and patch pairs with it; State reports what runs, for the
// columns written back. Apply is called by one goroutine at a time; the
// other methods are safe for concurrent use.
type Switch struct {
	cfg Config
	log *zap.Logger

	mu      sync.Mutex
	bridges map[string]*runBridge
}

// runBridge is one running bridge and the interfaces it was asked for.
type runBridge struct {
	spec     *BridgeSpec
	br       *datapath.Bridge
	ifaces   map[string]*runIface // by interface name
	localErr string               // why the LOCAL device could not be made
	// minMTU is the smallest MTU of the ports whose MTU is their own, as
	// OVS's ofproto min_mtu (0: not computed yet).
	minMTU int
	// addrErr is the last failure to set the bridge's address (logged once).
	addrErr string
}

// runIface is one Interface of a bridge: the port it got, or why not.
type runIface struct {
	spec IfaceSpec
	no   uint32 // the port's number; 0 while it has none
	err  string // the error column ("" none)
	// peerBr is the bridge a patch port was linked towards (AddPatch's
	// peer), so a peer that moves or comes back is relinked.
	peerBr *datapath.Bridge
	// resets counts link state changes (link_resets); lastUp is the
	// state last seen.
	resets int64
	lastUp bool
	// tooBig is the port's count of frames the kernel refused for their
	// size (ports.DropTxTooBig) when State last looked.
	tooBig uint64
	// vlan is the VLAN configuration the port was given.
	vlan VLANSpec
	// mtu is the mtu_request last set on the device (0: none), mtuErr
	// the last failure to set one (logged once).
	mtu    int
	mtuErr string
	// macErr is the last refusal of the mac column (logged once).
	macErr string
	// tnl is a tunnel port's configuration (nil: not a tunnel, or refused).
	tnl *tunnel.Config
}

// New makes an empty Switch.
func New(cfg Config) *Switch {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Open == nil {
		cfg.Open = OpenDevice
	}
	if cfg.SetMTU == nil {
		cfg.SetMTU = ports.SetMTU
	}
	if cfg.GetMTU == nil {
		cfg.GetMTU = func(name string) (int, error) {
			ifc, err := net.InterfaceByName(name)
			if err != nil {
				return 0, err
			}
			return ifc.MTU, nil
		}
	}
	return &Switch{cfg: cfg, log: cfg.Logger, bridges: map[string]*runBridge{}}
}

// OpenDevice is the default Opener: a system interface through AF_PACKET
// (it must exist), an internal or tap interface as a TAP device gswitch
// creates (down, as OVS creates them); any other type is refused with
// EAFNOSUPPORT, as OVS refuses a type it has no netdev class for.
func OpenDevice(name, typ string) (ports.Port, string, error) {
	return OpenDeviceWith()(name, typ)
}

// OpenDeviceWith is OpenDevice with options for the AF_PACKET ports (e.g.
// ports.WithIO). The kind it returns names the port's I/O, e.g.
// "afpacket ring".
func OpenDeviceWith(opts ...ports.Option) Opener {
	return func(name, typ string) (ports.Port, string, error) { return openDevice(name, typ, opts) }
}

func openDevice(name, typ string, opts []ports.Option) (ports.Port, string, error) {
	switch typ {
	case "", "system":
		if _, err := net.InterfaceByName(name); err != nil {
			return nil, "", syscall.ENODEV
		}
		p, err := ports.OpenAFPacket(name, opts...)
		return p, ports.KindOf(p, "afpacket"), err
	case "internal", "tap":
		p, err := ports.CreateTAP(name, ports.WithLinkDown())
		return p, "tap", err
	}
	return nil, "", syscall.EAFNOSUPPORT
}

// openError is the error column for a device that could not be opened.
func openError(name string, err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return fmt.Sprintf("could not open network device %s (%s)", name, strerror(en))
	}
	return fmt.Sprintf("could not open network device %s (%v)", name, err)
}

// strerror is glibc's wording of an errno: Go's, capitalized.
func strerror(en syscall.Errno) string {
	s := en.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Bridge returns the running bridge name (nil when none).
func (s *Switch) Bridge(name string) *datapath.Bridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rb := s.bridges[name]; rb != nil {
		return rb.br
	}
	return nil
}

// Bridges returns the running bridges, by name.
func (s *Switch) Bridges() []*datapath.Bridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*datapath.Bridge, 0, len(s.bridges))
	for _, rb := range s.bridges {
		out = append(out, rb.br)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// setControllerOptions gives each controller its inactivity probe and
// back-off ceiling, in place (OVS's ofconn_reconfigure: nothing
// reconnects).
func setControllerOptions(br *datapath.Bridge, b *BridgeSpec) {
	for _, c := range b.Controllers {
		br.OpenFlow().SetControllerOptions(c.Target, ofproto.ControllerOptions{ProbeInterval: c.Probe, MaxBackoff: c.MaxBackoff})
	}
}

func targets(b *BridgeSpec) []string {
	var out []string
	for _, c := range b.Controllers {
		out = append(out, c.Target)
	}
	return out
}

// controllerTypes is the bridge's Controller type columns by target.
func controllerTypes(b *BridgeSpec) map[string]string {
	m := map[string]string{}
	for _, c := range b.Controllers {
		if c.Type != "" {
			m[c.Target] = c.Type
		}
	}
	return m
}

// Apply makes the running bridges what spec asks for: bridges gone from it
// are closed; new ones are created and started; a bridge's own settings
// (protocols, controllers, address, datapath id) change in place;
// interfaces gone are removed and new ones added (their numbers as
// ovs-vswitchd's), leaving every other port alone. A device that cannot be
// opened leaves its Interface without a port and with the error OVS
// writes; Apply tries it again each time (an interface that appears later
// gets its port then). Last, each bridge takes its Ethernet address and
// datapath id (bridgeAddress) and new bridges start.
func (s *Switch) Apply(spec Spec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Bridges gone.
	for name, rb := range s.bridges {
		if spec.Bridges[name] == nil {
			rb.br.Close()
			delete(s.bridges, name)
		}
	}
	names := make([]string, 0, len(spec.Bridges))
	for name := range spec.Bridges {
		names = append(names, name)
	}
	sort.Strings(names)
	// New bridges (started at the end, once they have their ports and
	// address, so their controllers connect once) and settings.
	var fresh []*runBridge
	for _, name := range names {
		want := spec.Bridges[name]
		rb := s.bridges[name]
		if rb != nil {
			if want.Protocols != rb.spec.Protocols {
				rb.br.SetProtocols(want.Protocols)
			}
			if err := rb.br.SetControllers(targets(want), controllerTypes(want), want.FailMode); err != nil {
				s.log.Warn("bridge "+name+": "+err.Error(), zap.String("bridge", name))
			}
			setControllerOptions(rb.br, want)
			s.applyTables(rb.br, rb.spec, want)
			rb.spec = want
			continue
		}
		br, localErr, err := s.newBridge(want)
		if err != nil {
			s.log.Error("bridge "+name+": "+err.Error(), zap.String("bridge", name))
			continue
		}
		setControllerOptions(br, want)
		s.applyTables(br, nil, want)
		rb = &runBridge{spec: want, br: br, ifaces: map[string]*runIface{}, localErr: localErr}
		s.bridges[name] = rb
		fresh = append(fresh, rb)
	}
	// Interfaces gone or changed.
	for _, name := range names {
		rb := s.bridges[name]
		if rb == nil {
			continue
		}
		want := map[string]IfaceSpec{}
		for _, is := range rb.spec.Ifaces {
			want[is.Name] = is
		}
		for n, ri := range rb.ifaces {
			w, ok := want[n]
			if ok && w.Type == ri.spec.Type && w.Peer == ri.spec.Peer && maps.Equal(w.Options, ri.spec.Options) {
				continue
			}
			if ok && ri.no != 0 && w.Type == ri.spec.Type && isTunnelType(w.Type) && s.retuneTunnel(rb, ri, w) {
				continue
			}
			if ok && ri.no != 0 && w.Type == ri.spec.Type && isTunnelType(w.Type) {
				// Re-added: the port keeps its number.
				for i := range rb.spec.Ifaces {
					if rb.spec.Ifaces[i].Name == n {
						rb.spec.Ifaces[i].Request = ri.no
					}
				}
			}
			s.removeIface(rb, ri)
			delete(rb.ifaces, n)
		}
	}
	// Interfaces new or not open yet: devices first, then patch ports
	// (whose peers may be on bridges made above).
	freshIfaces := map[string]bool{} // interfaces that got their port now
	for _, patches := range []bool{false, true} {
		for _, name := range names {
			rb := s.bridges[name]
			if rb == nil {
				continue
			}
			for _, is := range rb.spec.Ifaces {
				if (is.Type == "patch") != patches {
					continue
				}
				ri := rb.ifaces[is.Name]
				if ri == nil {
					ri = &runIface{spec: is}
					rb.ifaces[is.Name] = ri
				} else {
					ri.spec = is
				}
				if patches {
					s.applyPatch(spec, rb, ri)
				} else if isTunnelType(is.Type) {
					if ri.no == 0 {
						s.applyTunnel(rb, ri)
					}
				} else if ri.no == 0 {
					s.openIface(rb, ri)
					if ri.no != 0 {
						freshIfaces[is.Name] = true
					}
				}
				if ri.no != 0 && is.MTU != 0 && is.MTU != ri.mtu && is.Type != "patch" && !isTunnelType(is.Type) {
					s.setMTU(rb, ri, is.MTU)
				}
				if ri.no != 0 && ri.vlan != is.VLAN {
					rb.br.SetPortVLAN(ri.no, is.VLAN.PortVLAN())
					ri.vlan = is.VLAN
				}
				if ri.no != 0 && is.MACSet && is.Type == "internal" {
					s.setIfaceMAC(rb, ri, is.MAC)
				}
			}
		}
	}
	for _, name := range names {
		if rb := s.bridges[name]; rb != nil {
			s.applyMinMTU(rb, freshIfaces)
			s.bridgeAddress(rb)
		}
	}
	for _, rb := range fresh {
		if s.cfg.Restore != nil {
			s.cfg.Restore(rb.br)
		}
		if err := rb.br.Start(); err != nil {
			s.log.Error("bridge "+rb.spec.Name+": "+err.Error(), zap.String("bridge", rb.spec.Name))
			rb.br.Close()
			delete(s.bridges, rb.spec.Name)
		}
	}
}

// bridgeAddress gives a bridge its Ethernet address and datapath id in
// place, as ovs-vswitchd's bridge_configure_datapath_id at each
// reconfiguration (pickHWAddr; datapath SetAddress: a new datapath id
// makes the controllers reconnect, flows and conntrack stay).
func (s *Switch) bridgeAddress(rb *runBridge) {
	macs := map[string][6]byte{}
	ps := rb.br.Ports()
	byNo := make(map[uint32][6]byte, len(ps))
	for _, p := range ps {
		if len(p.HWAddr) == 6 {
			byNo[p.No] = [6]byte(p.HWAddr)
		}
	}
	for n, ri := range rb.ifaces {
		if m, ok := byNo[ri.no]; ok && ri.no != 0 {
			macs[n] = m
		}
	}
	hw := pickHWAddr(rb.spec, func(name string) ([6]byte, bool) { m, ok := macs[name]; return m, ok })
	if err := rb.br.SetAddress(hw, rb.spec.DatapathID, rb.spec.DatapathIDSet); err != nil {
		msg := fmt.Sprintf("bridge %s: failed to set bridge Ethernet address: %v", rb.spec.Name, err)
		if msg != rb.addrErr {
			s.log.Warn(msg, zap.String("bridge", rb.spec.Name))
			rb.addrErr = msg
		}
		return
	}
	rb.addrErr = ""
}

// setIfaceMAC sets an internal interface's device address to its mac
// column, as OVS's iface_set_mac (a multicast or zero address is refused
// and logged once).
func (s *Switch) setIfaceMAC(rb *runBridge, ri *runIface, mac [6]byte) {
	var msg string
	switch {
	case mac[0]&1 != 0:
		msg = fmt.Sprintf("interface %s: cannot set MAC to multicast address", ri.spec.Name)
	case mac == [6]byte{}:
		msg = fmt.Sprintf("interface %s: cannot set MAC to all zero address", ri.spec.Name)
	default:
		if err := rb.br.SetPortHWAddr(ri.no, mac); err != nil {
			msg = fmt.Sprintf("interface %s: setting MAC failed (%v)", ri.spec.Name, err)
		}
	}
	if msg != "" && msg != ri.macErr {
		s.log.Warn(msg, zap.String("bridge", rb.spec.Name))
	}
	ri.macErr = msg
}

// applyMinMTU gives the ports whose MTU is not their own (internal ports,
// the bridge's LOCAL among them, without mtu_request) the smallest MTU of
// the others, as OVS's update_mtu_ofproto: all of them when that minimum
// changes, and a new one only downwards (update_mtu).
func (s *Switch) applyMinMTU(rb *runBridge, newIfaces map[string]bool) {
	type dev struct {
		name  string
		isNew bool
	}
	var overridden []dev
	min := 0
	if rb.localErr == "" && s.cfg.OpenLocal != nil {
		overridden = append(overridden, dev{rb.spec.Name, false})
	}
	for _, is := range rb.spec.Ifaces {
		ri := rb.ifaces[is.Name]
		if ri == nil || ri.no == 0 || is.Type == "patch" || isTunnelType(is.Type) {
			continue
		}
		if (is.Type == "internal") && is.MTU == 0 {
			overridden = append(overridden, dev{is.Name, newIfaces[is.Name]})
			continue
		}
		if m, err := s.cfg.GetMTU(is.Name); err == nil && (min == 0 || m < min) {
			min = m
		}
	}
	if min == 0 {
		min = 1500 // ETH_PAYLOAD_MAX
	}
	changed := min != rb.minMTU
	rb.minMTU = min
	for _, d := range overridden {
		if !changed && !d.isNew {
			continue
		}
		m, err := s.cfg.GetMTU(d.name)
		if err != nil || m == min || (!changed && m < min) {
			continue
		}
		if err := s.cfg.SetMTU(d.name, min); err != nil {
			s.log.Warn(fmt.Sprintf("port %s: could not set MTU %d (%v)", d.name, min, err), zap.String("bridge", rb.spec.Name))
		}
	}
}

// setMTU sets an interface's device MTU to its mtu_request (as OVS's
// iface_set_netdev_mtu); the mtu column written back is the device's.
func (s *Switch) setMTU(rb *runBridge, ri *runIface, mtu int) {
	if err := s.cfg.SetMTU(ri.spec.Name, mtu); err != nil {
		msg := fmt.Sprintf("port %s: could not set MTU %d (%v)", ri.spec.Name, mtu, err)
		if msg != ri.mtuErr {
			s.log.Warn(msg, zap.String("bridge", rb.spec.Name))
			ri.mtuErr = msg
		}
		return
	}
	ri.mtu, ri.mtuErr = mtu, ""
}

func (s *Switch) newBridge(b *BridgeSpec) (_ *datapath.Bridge, localErr string, _ error) {
	cfg := datapath.Config{
		Name: b.Name, DatapathID: b.DatapathID, DatapathIDSet: b.DatapathIDSet,
		HWAddr: b.HWAddr, HWAddrSet: b.HWAddrSet, Protocols: b.Protocols, FailMode: b.FailMode,
		Software: s.cfg.Software, Tracker: s.cfg.Tracker, Pool: s.cfg.Pool, Clock: s.cfg.Clock, Tunnels: s.cfg.Tunnels,
		Logger: s.log.With(zap.String("bridge", b.Name)),
		// As ovs-vswitchd's log: drops are logged in OVS's words
		// (warnTooBig), not as gswitch's per-port drop summary.
		NoDropLog:       true,
		RxThreadPerPort: s.cfg.RxThreadPerPort,
	}
	cfg.Controllers, cfg.ControllerTypes = targets(b), controllerTypes(b)
	if s.cfg.Sampler != nil {
		cfg.Sampler = s.cfg.Sampler(b.Name)
	}
	if s.cfg.RunDir != "" {
		cfg.Mgmt = filepath.Join(s.cfg.RunDir, b.Name+".mgmt")
	}
	// The address before any port is added (pickHWAddr: hwaddr or the
	// uuid's); bridgeAddress picks again once the ports are there.
	mac := pickHWAddr(b, func(string) ([6]byte, bool) { return [6]byte{}, false })
	cfg.HWAddr, cfg.HWAddrSet = mac, true
	if s.cfg.OpenLocal != nil {
		local, err := s.cfg.OpenLocal(b.Name, mac)
		if err != nil {
			localErr = openError(b.Name, err)
			s.log.Warn(localErr, zap.String("bridge", b.Name))
		} else {
			cfg.Local = local
		}
	}
	br, err := datapath.New(cfg, nil)
	if err != nil {
		return nil, "", err
	}
	return br, localErr, nil
}

func (s *Switch) removeIface(rb *runBridge, ri *runIface) {
	if ri.no != 0 {
		if err := rb.br.RemovePort(ri.no); err != nil {
			s.log.Warn("removing port: "+err.Error(), zap.String("port", ri.spec.Name))
		}
		ri.no, ri.vlan, ri.mtu = 0, VLANSpec{}, 0
	}
}

// openIface opens a device and adds its port.
func (s *Switch) openIface(rb *runBridge, ri *runIface) {
	dev, kind, err := s.cfg.Open(ri.spec.Name, ri.spec.Type)
	if err != nil {
		msg := openError(ri.spec.Name, err)
		if msg != ri.err {
			s.log.Warn(msg, zap.String("bridge", rb.spec.Name))
		}
		ri.err = msg
		return
	}
	no, err := rb.br.AddPort(datapath.Port{No: ri.spec.Request, Dev: dev, Type: kind})
	if err != nil {
		ri.err = fmt.Sprintf("could not add network device %s to ofproto (%v)", ri.spec.Name, err)
		s.log.Warn(ri.err, zap.String("bridge", rb.spec.Name))
		return
	}
	ri.no, ri.err, ri.lastUp = no, "", dev.LinkUp()
	s.log.Info(fmt.Sprintf("bridge %s: added interface %s on port %d", rb.spec.Name, ri.spec.Name, no))
}

// peerOf finds the patch interface that is is's peer: an interface named
// is.Peer, of type patch, whose own peer is is.Name.
func (s *Switch) peerOf(spec Spec, is IfaceSpec) *runBridge {
	for _, name := range sortedBridgeNames(spec) {
		for _, o := range spec.Bridges[name].Ifaces {
			if o.Name == is.Peer && o.Type == "patch" && o.Peer == is.Name {
				return s.bridges[name]
			}
		}
	}
	return nil
}

func sortedBridgeNames(spec Spec) []string {
	names := make([]string, 0, len(spec.Bridges))
	for n := range spec.Bridges {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// applyPatch adds a patch port, or relinks it when its peer's bridge
// changed (the port keeps its number).
func (s *Switch) applyPatch(spec Spec, rb *runBridge, ri *runIface) {
	peer := s.peerOf(spec, ri.spec)
	ri.err = ""
	if ri.spec.Peer == "" {
		ri.err = "patch interface missing peer"
	} else if peer == nil {
		ri.err = fmt.Sprintf("No usable peer '%s' exists in 'netdev' datapath.", ri.spec.Peer)
	}
	target := rb.br
	if peer != nil {
		target = peer.br
	}
	if ri.no != 0 && ri.peerBr == target {
		return
	}
	req := ri.spec.Request
	relink := ri.no != 0
	if relink {
		req = ri.no
		s.removeIface(rb, ri)
	}
	peerName := ri.spec.Peer
	if peerName == "" || (target == rb.br && peerName == ri.spec.Name) {
		peerName = "\x00none" // an end that never links
	}
	no, err := rb.br.AddPatch(ri.spec.Name, req, target, peerName)
	if err != nil {
		ri.err = fmt.Sprintf("could not add network device %s to ofproto (%v)", ri.spec.Name, err)
		return
	}
	ri.no, ri.peerBr = no, target
	if !relink {
		// OVS logs a patch port as any other it adds (a relink is no new port).
		s.log.Info(fmt.Sprintf("bridge %s: added interface %s on port %d", rb.spec.Name, ri.spec.Name, no))
	}
}

// applyTunnel adds a tunnel port (geneve, vxlan) from its options, or
// writes OVS's configuration error.
func (s *Switch) applyTunnel(rb *runBridge, ri *runIface) {
	cfg, warns, err := tunnel.ParseConfig(ri.spec.Name, ri.spec.Type, ri.spec.Options)
	for _, w := range warns {
		s.log.Warn(w, zap.String("bridge", rb.spec.Name))
	}
	if err != nil {
		if err.Error() != ri.err {
			s.log.Warn(err.Error(), zap.String("bridge", rb.spec.Name))
		}
		ri.err = err.Error()
		return
	}
	if s.cfg.Tunnels == nil {
		ri.err = fmt.Sprintf("could not add network device %s to ofproto (Address family not supported by protocol)", ri.spec.Name)
		return
	}
	no, err := rb.br.AddTunnel(ri.spec.Name, ri.spec.Request, &cfg)
	if err != nil {
		ri.err = fmt.Sprintf("could not add network device %s to ofproto (%v)", ri.spec.Name, err)
		s.log.Warn(ri.err, zap.String("bridge", rb.spec.Name))
		return
	}
	ri.no, ri.err, ri.tnl = no, "", &cfg
	s.log.Info(fmt.Sprintf("bridge %s: added interface %s on port %d", rb.spec.Name, ri.spec.Name, no))
}

// TunnelEgress is the device a tunnel port's packets leave by, as OVS
// 3.1's tunnel_check_status_change__ finds it for the status column: the
// route to remote_ip (:: with remote_ip=flow) for egress_pkt_mark, no
// source address given; "" when there is no route.
func TunnelEgress(r *underlay.Router, c *tunnel.Config) string {
	var dst underlay.Addr
	if c.Remote.Is4() {
		dst = underlay.AddrFrom4(c.Remote.As4())
	} else if c.Remote.Is6() {
		dst = underlay.Addr(c.Remote.As16())
	}
	h, ok := r.Lookup(c.EgressPktMark, dst, underlay.Addr{})
	if !ok {
		return ""
	}
	return h.Dev
}

// warnTooBig logs, as OVS's netdev_linux does when the kernel refuses a
// frame longer than the device's MTU (an encapsulated packet too big for
// the underlay, say), "error sending Ethernet packet on DEV: Message too
// long": once per look (State runs at every database write-back, every
// few seconds at most) in which port p's count of such frames grew.
func (s *Switch) warnTooBig(ri *runIface, p *datapath.PortState) {
	if p == nil {
		return
	}
	n := p.Stats.Drops[ports.DropTxTooBig]
	if n > ri.tooBig {
		s.log.Named("netdev_linux").Warn(fmt.Sprintf("error sending Ethernet packet on %s: Message too long", ri.spec.Name))
	}
	ri.tooBig = n
}

// retuneTunnel applies tunnel interface ri's changed options w in place,
// as OVS's netdev_set_config on a tunnel vport: the port, its number and
// its counters stay. False when the new options are refused (the port is
// then removed and applyTunnel writes OVS's error).
func (s *Switch) retuneTunnel(rb *runBridge, ri *runIface, w IfaceSpec) bool {
	cfg, warns, err := tunnel.ParseConfig(w.Name, w.Type, w.Options)
	if err != nil {
		return false
	}
	for _, m := range warns {
		s.log.Warn(m, zap.String("bridge", rb.spec.Name))
	}
	if rb.br.SetTunnelConfig(ri.no, &cfg) != nil {
		return false
	}
	w.Request = ri.spec.Request
	ri.spec, ri.tnl = w, &cfg
	return true
}

// LinkChanged passes a kernel link change to the bridges (and counts
// link_resets).
func (s *Switch) LinkChanged(name string, up bool) {
	s.mu.Lock()
	brs := make([]*datapath.Bridge, 0, len(s.bridges))
	for _, rb := range s.bridges {
		brs = append(brs, rb.br)
		if ri := rb.ifaces[name]; ri != nil && ri.no != 0 && ri.lastUp != up {
			ri.lastUp = up
			ri.resets++
		}
	}
	s.mu.Unlock()
	for _, b := range brs {
		b.LinkChanged(name, up)
	}
}

// Close closes every bridge.
func (s *Switch) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, rb := range s.bridges {
		rb.br.Close()
		delete(s.bridges, name)
	}
}

// IfaceState is what runs for one Interface row.
type IfaceState struct {
	UUID   ovsdb.UUID
	Name   string
	Type   string
	Ofport int64  // -1: no port
	Error  string // "": none
	Port   *datapath.PortState
	Resets int64
	// Egress is a tunnel port's egress device: the route table's device
	// for its remote_ip ("": no route, or not a tunnel).
	Egress string
}

// BridgeState is what runs for one Bridge row.
type BridgeState struct {
	// Local is the bridge's own Interface row (nil when it has none).
	Local       *IfaceState
	Controllers []ControllerState
	UUID        ovsdb.UUID
	Name        string
	DatapathID  uint64
	HWAddr      [6]byte
	Ifaces      []IfaceState
}

// ControllerState is what runs for one Controller row.
type ControllerState struct {
	UUID   ovsdb.UUID
	Status ofproto.ControllerStatus
	Found  bool
}

// State reports the running bridges and their interfaces.
func (s *Switch) State() []BridgeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []BridgeState
	for _, rb := range s.bridges {
		bs := BridgeState{UUID: rb.spec.UUID, Name: rb.spec.Name, DatapathID: rb.br.DatapathID(), HWAddr: rb.br.HWAddr()}
		cs := rb.br.OpenFlow().Controllers()
		for _, c := range rb.spec.Controllers {
			st := ControllerState{UUID: c.UUID}
			for _, x := range cs {
				if x.Target == c.Target {
					st.Status, st.Found = x, true
				}
			}
			bs.Controllers = append(bs.Controllers, st)
		}
		byNo := map[uint32]*datapath.PortState{}
		ps := rb.br.Ports()
		for i := range ps {
			byNo[ps[i].No] = &ps[i]
		}
		if rb.spec.Local != "" {
			bs.Local = &IfaceState{UUID: rb.spec.Local, Name: rb.spec.Name, Type: "internal", Ofport: ofppLocal,
				Error: rb.localErr, Port: byNo[pipeline.PortLocal]}
		}
		for _, is := range rb.spec.Ifaces {
			ri := rb.ifaces[is.Name]
			st := IfaceState{UUID: is.UUID, Name: is.Name, Type: is.Type, Ofport: -1}
			if ri != nil {
				st.Error, st.Resets = ri.err, ri.resets
				if ri.no != 0 {
					st.Ofport = int64(ri.no)
					st.Port = byNo[ri.no]
					s.warnTooBig(ri, st.Port)
					if ri.tnl != nil && s.cfg.Tunnels != nil {
						st.Egress = TunnelEgress(s.cfg.Tunnels.Router, ri.tnl)
					}
				}
			}
			bs.Ifaces = append(bs.Ifaces, st)
		}
		out = append(out, bs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
