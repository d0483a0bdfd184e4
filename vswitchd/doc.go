// Package vswitchd makes gswitch act as ovs-vswitchd: it reads the
// Open_vSwitch database (package ovsdb's snapshots), reconciles it into
// datapath bridges and writes back the columns ovs-vswitchd writes. The
// reference for every rule is tests/golden/vswitchd (OVS 3.1 driven by
// ovs-vsctl; capture.sh there lists what it shows), which
// TestPrivilegedVswitchdGoldens replays with gswitch.
//
// # Reading
//
// Desired turns a snapshot into a Spec: bridges with their datapath id,
// hwaddr, protocols, fail mode, controllers, their own (LOCAL) Interface
// row, and interfaces with type, ofport_request and patch peer, leaving
// out what ovs-vswitchd leaves out (a second use of a name, a bad
// datapath-id), with a reason. DesiredCT reads the conntrack zone
// timeout policies (Datapath["netdev"], then ["system"], ct_zones and
// their CT_Timeout_Policy; `ovs-vsctl add-zone-tp`), checked against OVS
// 3.1 in tests/golden/ctzone.
//
// # Applying
//
// Switch.Apply makes the running bridges what a Spec asks for, touching
// only what changed: bridges gone are closed and new ones made (each with
// its BRIDGE.mgmt socket in Config.RunDir and, with Config.OpenLocal, its
// LOCAL port as a TAP named after it); interfaces gone are removed and new
// ones added with ovs-vswitchd's numbering (datapath's allocator:
// ofport_request when free, or without one the ofport column a previous
// run wrote, as OVS's iface_pick_ofport, so a restart keeps the numbers;
// else the next number; a freed number is not reused at once); internal and tap interfaces are TAP devices gswitch
// creates, down; patch interfaces are datapath patch ports, linked to
// their peer's bridge and relinked when it comes back; controllers, fail
// mode, protocols and datapath id change on the running bridge (datapath
// SetControllers, SetProtocols, SetDatapathID: flows are flushed when a
// bridge gains its first or loses its last controller, and a standalone
// bridge without one gets the NORMAL flow, as ovs-vswitchd's
// bridge_configure_remotes); a controller's inactivity_probe and
// max_backoff change on its running connection (ofproto
// SetControllerOptions, in effect as OVS computes them: ControllerSpec),
// and a change of protocols drops every OpenFlow connection of the bridge,
// which the controllers make again at once, as OVS builds the services
// again; a Controller's type column (primary, service) overrides the
// target's default (active primary, passive service) and is kept while the
// target stays, as OVS 3.1's connection manager; connection_mode is accepted (gswitch has no in-band control:
// every controller is out of band). Nothing builds a bridge again: at the
// end of each Apply every bridge takes its Ethernet address and datapath
// id in place, as ovs-vswitchd's bridge_configure_datapath_id (pickHWAddr:
// other_config:hwaddr unless multicast or zero; else the lowest universal
// address among its ports, one per port (its mac column, else its
// alphabetically first open interface's), internal ports included, LOCAL
// not; else the Bridge uuid's
// first bytes marked random, OVS's default_ea; the datapath id is
// other_config:datapath-id or that address). Through datapath SetAddress a
// new datapath id makes the controllers reconnect and the LOCAL device
// takes the address (a port-status when the id stayed); flows, ports and
// conntrack stay. New bridges start once they have their ports and
// address. An internal interface's mac column sets its device's address
// (datapath SetPortHWAddr, with a port-status; OVS's iface_set_mac); other
// types ignore it. A device that
// cannot be opened leaves its Interface with ofport -1 and OVS's error
// text; Apply tries it again each time, so a device that appears later
// gets its port then. Every bridge shares one conntrack, pool and clock;
// CTApplier.Apply sets on that tracker the zone policies that differ and
// removes those the database dropped (zones set by hand with
// dpctl/add-zone-tp are left alone).
//
// # Writing back
//
// WriteBack.Ops compares what runs (Switch.State) with the snapshot and
// returns package ovsdb's typed updates only for rows that differ:
// Open_vSwitch cur_cfg = next_cfg (what ovs-vsctl's wait waits for),
// datapath_types, iface_types, dpdk_initialized, dpdk_version; Bridge
// datapath_id and datapath_version; Interface ofport, error, admin_state,
// link_state, link_speed, link_resets, mac_in_use, mtu, ifindex, duplex,
// status (ethtool's driver) and statistics (when an interface has none,
// and every 5 s); Controller is_connected, role and status. DatapathOps
// fills the netdev Datapath row's capabilities (OVS 3.1 netdev's). A write-back
// that changes nothing sends nothing, so the loop settles.
//
// # The loop
//
// While Open_vSwitch other_config:flow-restore-wait is true when gswitch
// starts (ovs-ctl restart, OVN upgrades) no bridge gets its controllers,
// so the flows restored through BRIDGE.mgmt stay; once it is false the
// controllers come and it is not read again (Loop.FlowRestoreWait, as
// OVS 3.1's bridge_run; tests/golden/vswitchd/failmode.sh).
//
// With ovs-vswitchd's --disable-system (Loop.DisableSystem) bridges of
// datapath_type system ("" too) are not created, their rows get nothing
// written, OVS's warnings and error are logged at each new snapshot
// (RefuseSystem), and datapath_types is [netdev]
// (tests/golden/vswitchd/dbfaults.sh).
//
// Loop.Run applies each new snapshot and writes back, and again every
// second (devices that appeared, link state, controller state). While
// ovsdb-server is away the bridges keep forwarding with the last
// configuration; the monitor reconnects and its fresh snapshot is applied
// like any other. Loop.Ready is called after the first configuration is
// applied (ovs-vswitchd's --detach returns then).
//
// A Port's tag, trunks and vlan_mode (access, trunk, native-tagged,
// native-untagged; none: access with a tag, else trunk, as port_configure)
// are its ports' VLAN configuration for NORMAL, set in place (datapath
// SetPortVLAN; pipeline.NewPortVLAN applies OVS's bundle_set rules).
// dot1q-tunnel, cvlans and other_config:priority-tags are not read.
//
// An Interface's mtu_request sets its device's MTU (ports.SetMTU; retried
// while it fails), and internal ports without one, the bridge's LOCAL
// among them, take the smallest MTU of the bridge's other ports, as OVS's
// update_mtu_ofproto; the mtu column written back is the device's.
//
// A Bridge's flow_tables (Flow_Table rows) configure its OpenFlow tables
// in place, as OVS's bridge_configure_tables (flowtables.go, checked
// against OVS 3.1 in tests/golden/flowtables): name (table statistics and
// features), flow_limit, overflow_policy=evict with its eviction groups
// (pipeline.TableConfig: flows stay; a lower limit evicts at once when
// eviction is on), and prefixes, accepted with OVS's INFO line naming the
// fields used and its warnings for fields it cannot use (the classifier
// has no prefix tries: they change no result in OVS either). Groups that
// do not parse get OVS's warnings. The bridge's table messages are logged
// when one of its tables changes (OVS logs them at every reconfiguration).
//
// Not read yet: Interface options other than a patch's peer,
// IPFIX/sFlow/NetFlow, mirrors (whose output ports find_local_hw_addr
// skips), QoS.
//
// Only cmd/gswitch imports this package; it may import ovsdb, datapath and
// the packages below them (tests/deps_test.go).
package vswitchd
