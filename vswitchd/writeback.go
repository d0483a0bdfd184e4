package vswitchd

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"gswitch/ofproto"
	"gswitch/ovsdb"
	"gswitch/tunnel"
)

// ofppLocal is LOCAL as the database numbers it (OpenFlow 1.0's OFPP_LOCAL).
const ofppLocal = 0xfffe

// DatapathVersion is Bridge.datapath_version, as OVS's netdev datapath
// writes it.
const DatapathVersion = "<built-in>"

// DevInfo is what the kernel says about a device, for the Interface
// columns ovs-vswitchd fills.
type DevInfo struct {
	Ifindex  int64
	MTU      int64
	AdminUp  bool
	Carrier  bool   // IFF_RUNNING: OVS's netdev_get_carrier
	Driver   string // ethtool driver name ("" unknown)
	DrvVer   string
	Firmware string
}

// KernelDevInfo reads a device's DevInfo (ok false when it does not exist).
func KernelDevInfo(name string) (DevInfo, bool) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return DevInfo{}, false
	}
	d := DevInfo{Ifindex: int64(ifc.Index), MTU: int64(ifc.MTU), AdminUp: ifc.Flags&net.FlagUp != 0,
		Carrier: ifc.Flags&net.FlagRunning != 0}
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err == nil {
		if di, err := unix.IoctlGetEthtoolDrvinfo(fd, name); err == nil {
			d.Driver = unix.ByteSliceToString(di.Driver[:])
			d.DrvVer = unix.ByteSliceToString(di.Version[:])
			d.Firmware = unix.ByteSliceToString(di.Fw_version[:])
		}
		unix.Close(fd)
	}
	return d, true
}

// WriteBack is what gswitch writes to the database after applying a
// configuration: what ovs-vswitchd writes (package ovsdb's typed
// builders), each row only when it differs from what snap holds, so a
// write-back that changes nothing sends nothing and the loop settles.
// Interface statistics are written when an interface has none yet, and
// for all when stats (ovs-vswitchd's 5 s timer). DevInfo reads a device
// (nil: KernelDevInfo).
type WriteBack struct {
	DevInfo func(name string) (DevInfo, bool)
	// DatapathTypes is Open_vSwitch.datapath_types (nil: DatapathTypes;
	// ["netdev"] with --disable-system, as OVS).
	DatapathTypes []string
}

// Ops returns the operations that bring snap's written columns to what
// runs (st) for the configuration spec was made from.
func (w WriteBack) Ops(snap *ovsdb.Snapshot, spec Spec, st []BridgeState, stats bool) []ovsdb.Op {
	devInfo := w.DevInfo
	if devInfo == nil {
		devInfo = KernelDevInfo
	}
	root := snap.Root()
	if root == nil {
		return nil
	}
	var ops []ovsdb.Op
	dpTypes := w.DatapathTypes
	if dpTypes == nil {
		dpTypes = DatapathTypes
	}
	ws := ovsdb.OpenVSwitchState{CurCfg: spec.NextCfg, DatapathTypes: dpTypes, IfaceTypes: IfaceTypes,
		DPDKInitialized: false, DPDKVersion: p("none")}
	if root.CurCfg != ws.CurCfg || !slices.Equal(root.DatapathTypes, ws.DatapathTypes) || !slices.Equal(root.IfaceTypes, ws.IfaceTypes) ||
		root.DPDKInitialized || !eqp(root.DPDKVersion, ws.DPDKVersion) {
		ops = append(ops, ws.Update(root.UUID))
	}
	for _, b := range st {
		br := snap.Bridges[b.UUID]
		if br == nil {
			continue
		}
		bs := ovsdb.BridgeState{DatapathID: p(fmt.Sprintf("%016x", b.DatapathID)), DatapathVersion: DatapathVersion}
		if !eqp(br.DatapathID, bs.DatapathID) || br.DatapathVersion != bs.DatapathVersion {
			ops = append(ops, bs.Update(b.UUID))
		}
		for _, c := range b.Controllers {
			if row := snap.Controllers[c.UUID]; row != nil && c.Found {
				if cs := controllerState(c.Status); controllerDiffers(row, cs, stats) {
					ops = append(ops, cs.Update(c.UUID))
				}
			}
		}
		if b.Local != nil {
			if in := snap.Interfaces[b.Local.UUID]; in != nil {
				is, statsMap := localState(b)
				if b.Local.Port != nil {
					is, statsMap = ifaceState(*b.Local, devInfo)
				}
				ops = ifaceOps(ops, in, is, statsMap, stats)
			}
		}
		for _, is := range b.Ifaces {
			if in := snap.Interfaces[is.UUID]; in != nil {
				ist, statsMap := ifaceState(is, devInfo)
				ops = ifaceOps(ops, in, ist, statsMap, stats)
			}
		}
	}
	return ops
}

// ifaceOps appends the ops writing is and statistics to row in where they
// differ from it (statistics: when it has none, or stats).
func ifaceOps(ops []ovsdb.Op, in *ovsdb.Interface, is ovsdb.InterfaceState, statistics map[string]int64, stats bool) []ovsdb.Op {
	if !eqp(in.Ofport, is.Ofport) || !eqp(in.Error, is.Error) || !eqp(in.AdminState, is.AdminState) ||
		!eqp(in.LinkState, is.LinkState) || !eqp(in.LinkSpeed, is.LinkSpeed) || !eqp(in.LinkResets, is.LinkResets) ||
		!eqp(in.MACInUse, is.MACInUse) || !eqp(in.MTU, is.MTU) || !eqp(in.Ifindex, is.Ifindex) ||
		!eqp(in.Duplex, is.Duplex) || !mapEq(in.Status, is.Status) {
		ops = append(ops, is.Update(in.UUID))
	}
	if statistics != nil && (len(in.Statistics) == 0 || stats) && !maps.Equal(in.Statistics, statistics) {
		ops = append(ops, ovsdb.InterfaceStatistics(in.UUID, statistics))
	}
	return ops
}

func p[T any](v T) *T { return &v }

func errp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func statsMap(rxp, rxb, txp, txb, rxd, txd, rxe, txe uint64, full bool) map[string]int64 {
	m := map[string]int64{"rx_packets": int64(rxp), "rx_bytes": int64(rxb), "tx_packets": int64(txp), "tx_bytes": int64(txb)}
	if full {
		m["rx_dropped"], m["tx_dropped"], m["rx_errors"], m["tx_errors"] = int64(rxd), int64(txd), int64(rxe), int64(txe)
		for _, k := range []string{"collisions", "rx_crc_err", "rx_frame_err", "rx_missed_errors", "rx_multicast_packets", "rx_over_err"} {
			m[k] = 0
		}
	}
	return m
}

// linkSpeed is what gswitch reports every port's speed as (OpenFlow's
// curr_speed 10 Gb/s), in bits per second.
const linkSpeed = 10_000_000_000

// ifaceState is what runs for an Interface, as ovs-vswitchd writes it, and
// its statistics (nil when it has no port).
func ifaceState(is IfaceState, devInfo func(string) (DevInfo, bool)) (ovsdb.InterfaceState, map[string]int64) {
	c := ovsdb.InterfaceState{Ofport: p(is.Ofport), Status: map[string]string{}}
	if is.Error != "" {
		c.Error = p(is.Error)
	}
	if is.Port == nil {
		return c, nil
	}
	st := is.Port.Stats
	c.MACInUse = p(is.Port.HWAddr.String())
	if is.Type == "patch" {
		// As OVS's patch ports: up, ifindex 0, bytes and packets only.
		c.AdminState, c.LinkState, c.Ifindex, c.LinkResets = p("up"), p("up"), p(int64(0)), p(int64(0))
		return c, statsMap(st.RxPackets, st.RxBytes, st.TxPackets, st.TxBytes, 0, 0, 0, 0, false)
	}
	if _, ok := tunnel.ParseType(is.Type); ok {
		// As OVS's tunnel vports: up, ifindex 0, no speed, duplex or mtu,
		// bytes and packets only, and the egress device with its carrier.
		c.AdminState, c.LinkState, c.Ifindex, c.LinkResets = p("up"), p("up"), p(int64(0)), p(int64(0))
		if is.Egress != "" {
			carrier := "down"
			if di, ok := devInfo(is.Egress); ok && di.Carrier {
				carrier = "up"
			}
			c.Status = map[string]string{"tunnel_egress_iface": is.Egress, "tunnel_egress_iface_carrier": carrier}
		}
		return c, statsMap(st.RxPackets, st.RxBytes, st.TxPackets, st.TxBytes, 0, 0, 0, 0, false)
	}
	up := "down"
	if is.Port.Up {
		up = "up"
	}
	c.LinkState, c.LinkSpeed, c.LinkResets, c.Duplex = p(up), p(int64(linkSpeed)), p(is.Resets), p("full")
	if di, ok := devInfo(is.Name); ok {
		admin := "down"
		if di.AdminUp && is.Port.Config&1 == 0 { // OFPPC_PORT_DOWN
			admin = "up"
		}
		c.AdminState, c.MTU, c.Ifindex = p(admin), p(di.MTU), p(di.Ifindex)
		if di.Driver != "" {
			c.Status = map[string]string{"driver_name": di.Driver, "driver_version": di.DrvVer, "firmware_version": di.Firmware}
		}
	}
	return c, statsMap(st.RxPackets, st.RxBytes, st.TxPackets, st.TxBytes, st.RxDrops, st.TxDrops, st.RxErrors, st.TxErrors, true)
}

// localState is the bridge's own internal interface (LOCAL, 65534) when
// it has no device (Config.OpenLocal nil, or it failed): down, with the
// bridge's address, and no ifindex.
func localState(b BridgeState) (ovsdb.InterfaceState, map[string]int64) {
	return ovsdb.InterfaceState{Ofport: p(int64(ofppLocal)), AdminState: p("down"), LinkState: p("down"),
		LinkSpeed: p(int64(linkSpeed)), LinkResets: p(int64(0)), MACInUse: p(net.HardwareAddr(b.HWAddr[:]).String()),
		MTU: p(int64(1500)), Duplex: p("full"), Status: map[string]string{}, Error: errp(b.Local.Error)}, statsMap(0, 0, 0, 0, 0, 0, 0, 0, true)
}

func eqp[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func mapEq(a, b map[string]string) bool { return len(a) == len(b) && maps.Equal(a, b) }

// controllerState is a controller's columns as OVS writes them:
// is_connected, role, and status with state and sec_since_connect (and
// sec_since_disconnect when it went down before, as after a datapath id
// change), or last_error and sec_since_disconnect.
func controllerState(st ofproto.ControllerStatus) ovsdb.ControllerState {
	status := map[string]string{"state": st.State}
	cs := ovsdb.ControllerState{IsConnected: st.Connected, Status: status}
	if st.Connected {
		status["sec_since_connect"] = fmt.Sprint(int64(st.Since.Seconds()))
		if st.WasDown {
			status["sec_since_disconnect"] = fmt.Sprint(int64(st.SinceDown.Seconds()))
		}
		cs.Role = p(st.Role)
	} else {
		if st.WasConnected {
			status["sec_since_disconnect"] = fmt.Sprint(int64(st.Since.Seconds()))
		}
		if st.LastError != nil {
			status["last_error"] = errorText(st.LastError)
		}
	}
	return cs
}

// controllerDiffers reports whether row needs cs written; the seconds
// alone are rewritten with the statistics only.
func controllerDiffers(row *ovsdb.Controller, cs ovsdb.ControllerState, stats bool) bool {
	if row.IsConnected != cs.IsConnected || !eqp(row.Role, cs.Role) {
		return true
	}
	if mapEq(row.Status, cs.Status) {
		return false
	}
	return stats || !mapEq(withoutSeconds(row.Status), withoutSeconds(cs.Status))
}

// errorText is an error as OVS words it: the errno's glibc text when
// there is one.
func errorText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return strerror(en)
	}
	return err.Error()
}

func withoutSeconds(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasPrefix(k, "sec_since_") {
			out[k] = v
		}
	}
	return out
}
