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
// connections); a passive target (ptcp:, punix:) is a listener, whose
// connections are service connections, as OVS's Controller rows without a
// type. Every flow is deleted when the bridge gains its first active
// (primary) controller or loses its last, and when the fail mode changes
// while it has none (OVS's connmgr_set_controllers and
// connmgr_set_fail_mode); after such a flush a standalone bridge with no
// active controller gets the NORMAL flow (connmgr_flushed). Nothing
// changes when both are as they were.
func (b *Bridge) SetControllers(targets []string, failMode string) error {
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
	var err error
	for _, t := range targets {
		if slices.Contains(old, t) {
			continue
		}
		var e error
		if IsPassiveTarget(t) {
			e = b.of.Listen(t)
		} else {
			e = b.of.Connect(t)
		}
		if e != nil && err == nil {
			err = e
		}
	}
	b.cfg.Controllers, b.cfg.FailMode = slices.Clone(targets), failMode
	primary := hasPrimary(targets)
	if hasPrimary(old) == primary && (primary || oldMode == failMode) {
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

// IsPassiveTarget reports whether a controller target is a passive one
// (ptcp:, punix:, pssl:): the switch listens there, and what connects is a
// service connection, not a primary controller.
func IsPassiveTarget(t string) bool {
	return strings.HasPrefix(t, "ptcp:") || strings.HasPrefix(t, "punix:") || strings.HasPrefix(t, "pssl:")
}

// hasPrimary reports whether targets include an active (primary)
// controller, which OVS's connmgr_has_controllers counts.
func hasPrimary(targets []string) bool {
	return slices.ContainsFunc(targets, func(t string) bool { return !IsPassiveTarget(t) })
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
