package datapath

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"gswitch/ofproto"
	"gswitch/pipeline"
	"gswitch/ports"
)

// normalFlow is the flow ovs-vswitchd gives a standalone bridge with no
// controller: priority 0, match everything, NORMAL.
func normalFlow() *pipeline.FlowMod {
	return &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
		Spec: pipeline.FlowSpec{Inst: pipeline.Instructions{HasApply: true, GotoTable: -1,
			Apply: []pipeline.Action{pipeline.Output{Port: pipeline.PortNormal}}}}}
}

// SetControllers changes a running bridge's controllers and fail mode as
// ovs-vswitchd's bridge_configure_remotes does: controllers no longer
// listed are disconnected and new ones connected (the others keep their
// connections); a passive target (ptcp:, punix:) is a listener. types is
// the Controller rows' type column by target (Config.ControllerTypes):
// a primary controller's connections are primary ones, a service's are
// service connections (IsPrimary). A controller keeps the type it was
// added with while its target stays, as OVS 3.1's connection manager
// keeps an ofservice's type (checked against OVS in
// tests/golden/vswitchd/failmode.sh). Every flow is deleted when the
// bridge gains its first primary controller or loses its last, and when
// the fail mode changes while it has none (OVS's connmgr_set_controllers
// and connmgr_set_fail_mode); after such a flush a standalone bridge with
// no primary controller gets the NORMAL flow (connmgr_flushed). Nothing
// changes when both are as they were.
func (b *Bridge) SetControllers(targets []string, types map[string]string, failMode string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if failMode != "secure" {
		failMode = "standalone"
	}
	old, oldMode := b.cfg.Controllers, b.cfg.FailMode
	if oldMode != "secure" {
		oldMode = "standalone"
	}
	if slices.Equal(old, targets) && oldMode == failMode {
		return nil
	}
	for _, t := range old {
		if slices.Contains(targets, t) {
			continue
		}
		if IsPassiveTarget(t) {
			b.of.Unlisten(t)
		} else {
			b.of.Disconnect(t)
		}
	}
	oldPrimary := b.primary
	b.primary = controllerTypes(oldPrimary, targets, types)
	var err error
	for _, t := range targets {
		if slices.Contains(old, t) {
			continue
		}
		if e := b.connect(t, b.primary[t]); e != nil && err == nil {
			err = e
		}
	}
	b.cfg.Controllers, b.cfg.FailMode = slices.Clone(targets), failMode
	b.cfg.ControllerTypes = types
	primary := hasPrimary(b.primary)
	if hasPrimary(oldPrimary) == primary && (primary || oldMode == failMode) {
		return err
	}
	del := &pipeline.FlowMod{Command: pipeline.FlowDelete, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
		Spec: pipeline.FlowSpec{Table: pipeline.TableAll}}
	if e := b.dp.FlowMod(del, b.now()); e != nil && err == nil {
		err = e
	}
	if !primary && failMode == "standalone" {
		if e := b.dp.FlowMod(normalFlow(), b.now()); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// connect starts controller t: a listener for a passive target, a
// connection kept up for an active one; primary or service connections.
func (b *Bridge) connect(t string, primary bool) error {
	passive := IsPassiveTarget(t)
	switch {
	case passive && primary:
		return b.of.ListenPrimary(t)
	case passive:
		return b.of.Listen(t)
	default:
		return b.of.ConnectWith(t, ofproto.ControllerOptions{Service: !primary})
	}
}

// IsPassiveTarget reports whether a controller target is a passive one
// (ptcp:, punix:, pssl:): the switch listens there.
func IsPassiveTarget(t string) bool {
	return strings.HasPrefix(t, "ptcp:") || strings.HasPrefix(t, "punix:") || strings.HasPrefix(t, "pssl:")
}

// IsPrimary reports whether a controller of target t and type typ (the
// Controller type column: "primary", "service" or empty) is a primary
// controller, as OVS's get_controller_ofconn_type: the type when set (any
// other value than primary is a service), else active targets are
// primary and passive ones services.
func IsPrimary(t, typ string) bool {
	if typ != "" {
		return typ == "primary"
	}
	return !IsPassiveTarget(t)
}

// controllerTypes is whether each of targets is primary: the type it had
// in old when there, else IsPrimary with types.
func controllerTypes(old map[string]bool, targets []string, types map[string]string) map[string]bool {
	m := make(map[string]bool, len(targets))
	for _, t := range targets {
		if p, ok := old[t]; ok {
			m[t] = p
		} else {
			m[t] = IsPrimary(t, types[t])
		}
	}
	return m
}

// hasPrimary reports whether a bridge with these controllers has a
// primary one, which OVS's connmgr_has_controllers counts.
func hasPrimary(primary map[string]bool) bool {
	for _, p := range primary {
		if p {
			return true
		}
	}
	return false
}

// SetProtocols changes the OpenFlow versions the bridge offers (bit N:
// wire version N; 0: all) to connections made from now on.
func (b *Bridge) SetProtocols(bm uint32) {
	b.mu.Lock()
	b.cfg.Protocols = bm
	b.mu.Unlock()
	b.of.SetProtocols(bm)
}

// SetDatapathID changes a running bridge's datapath id: id when set, else
// the one derived from the bridge's address (as New). The controllers
// reconnect to learn it, as in OVS.
func (b *Bridge) SetDatapathID(id uint64, set bool) {
	b.SetAddress(b.HWAddr(), id, set)
}

// SetAddress changes a running bridge's Ethernet address and datapath id in
// place, as ovs-vswitchd's bridge_configure_datapath_id: flows, ports,
// OpenFlow connections and conntrack stay. The datapath id is dpid when
// dpidSet, else hw as a number. A new datapath id makes the controllers
// reconnect first (ofproto.SetDatapathID: OpenFlow cannot tell them), so, as
// with OVS, they learn the new address from the port description and see
// no port-status for it; then the LOCAL port's device takes hw and the
// connections still open get a port-status (OFPPR_MODIFY) when it changed.
// An error is the device's refusal of the address (the bridge keeps hw).
func (b *Bridge) SetAddress(hw [6]byte, dpid uint64, dpidSet bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := pickDatapathID(hw, dpid, dpidSet)
	b.cfg.DatapathID, b.cfg.DatapathIDSet = dpid, dpidSet
	if id != b.dpid {
		b.dpid = id
		b.of.SetDatapathID(id)
	}
	if *b.hwaddr.Load() == hw {
		return nil
	}
	b.hwaddr.Store(&hw)
	b.cfg.HWAddr, b.cfg.HWAddrSet = hw, true
	p := b.tab.Load().byNo[pipeline.PortLocal]
	var err error
	if p != nil {
		err = setDevHWAddr(p, hw)
		b.of.PortStatus(ofproto.PortModified, b.ofPort(p))
	} else {
		b.of.PortStatus(ofproto.PortModified, b.localPort())
	}
	return err
}

// SetPortHWAddr sets port no's device Ethernet address (an internal port's
// Interface mac, as OVS's iface_set_mac) and tells the connections with a
// port-status (OFPPR_MODIFY) when it changed.
func (b *Bridge) SetPortHWAddr(no uint32, hw [6]byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.tab.Load().byNo[no]
	if p == nil {
		return pipeline.Errorf(pipeline.OFPPMFC_BAD_PORT, "port %d does not exist", no)
	}
	if cur := p.hwAddr(); len(cur) == 6 && [6]byte(cur) == hw {
		return nil
	}
	if err := setDevHWAddr(p, hw); err != nil {
		return err
	}
	b.of.PortStatus(ofproto.PortModified, b.ofPort(p))
	return nil
}

// setDevHWAddr sets p's device address (ports.HWAddrSetter).
func setDevHWAddr(p *port, hw [6]byte) error {
	d, ok := p.dev.(ports.HWAddrSetter)
	if !ok {
		return fmt.Errorf("port %s: its device's Ethernet address cannot be set", p.name)
	}
	return d.SetHWAddr(net.HardwareAddr(hw[:]))
}
