package ovsdb

// Typed builders for what ovs-vswitchd writes back to the database. Each
// returns one update Op of the row by uuid; a nil pointer clears an optional
// column (the empty set, which `ovs-vsctl list` shows as []), and a nil map
// clears a map column. Put them in one Transact to write them together.

// OpenVSwitchState is what ovs-vswitchd writes to the root row: CurCfg
// (copied from next_cfg once the configuration is applied, which is what
// `ovs-vsctl --wait` waits for) and what the switch supports.
type OpenVSwitchState struct {
	CurCfg          int64
	DatapathTypes   []string // e.g. ["netdev"]
	IfaceTypes      []string // e.g. ["internal", "patch", "system", "tap"]
	DPDKInitialized bool
	DPDKVersion     *string // OVS writes "none" without DPDK
}

// Update is the op writing s to the root row u.
func (s OpenVSwitchState) Update(u UUID) Op {
	return UpdateUUID("Open_vSwitch", u, map[string]any{"cur_cfg": s.CurCfg, "datapath_types": nonNil(s.DatapathTypes),
		"iface_types": nonNil(s.IfaceTypes), "dpdk_initialized": s.DPDKInitialized, "dpdk_version": s.DPDKVersion})
}

// CurCfg is the op writing only cur_cfg.
func CurCfg(root UUID, cfg int64) Op {
	return UpdateUUID("Open_vSwitch", root, map[string]any{"cur_cfg": cfg})
}

// BridgeState is what ovs-vswitchd writes to a Bridge row.
type BridgeState struct {
	DatapathID      *string // 16 hex digits
	DatapathVersion string
}

// Update is the op writing s to Bridge row u.
func (s BridgeState) Update(u UUID) Op {
	return UpdateUUID("Bridge", u, map[string]any{"datapath_id": s.DatapathID, "datapath_version": s.DatapathVersion})
}

// InterfaceState is what ovs-vswitchd writes to an Interface row when it
// (re)configures it: Ofport -1 and Error when the device cannot be opened.
type InterfaceState struct {
	Ofport     *int64
	Error      *string
	AdminState *string // "up" or "down"
	LinkState  *string // "up" or "down"
	LinkSpeed  *int64  // bits per second
	LinkResets *int64
	MACInUse   *string
	MTU        *int64
	Ifindex    *int64
	Duplex     *string // "full" or "half"
	Status     map[string]string
}

// Update is the op writing s to Interface row u.
func (s InterfaceState) Update(u UUID) Op {
	return UpdateUUID("Interface", u, map[string]any{"ofport": s.Ofport, "error": s.Error, "admin_state": s.AdminState,
		"link_state": s.LinkState, "link_speed": s.LinkSpeed, "link_resets": s.LinkResets, "mac_in_use": s.MACInUse,
		"mtu": s.MTU, "ifindex": s.Ifindex, "duplex": s.Duplex, "status": nonNilMap(s.Status)})
}

// InterfaceStatistics is the op ovs-vswitchd's periodic statistics update
// makes: the whole statistics map of Interface row u.
func InterfaceStatistics(u UUID, stats map[string]int64) Op {
	if stats == nil {
		stats = map[string]int64{}
	}
	return UpdateUUID("Interface", u, map[string]any{"statistics": stats})
}

// ControllerState is what ovs-vswitchd writes to a Controller row.
type ControllerState struct {
	IsConnected bool
	Role        *string // "other", "master", "slave"
	Status      map[string]string
}

// Update is the op writing s to Controller row u.
func (s ControllerState) Update(u UUID) Op {
	return UpdateUUID("Controller", u, map[string]any{"is_connected": s.IsConnected, "role": s.Role,
		"status": nonNilMap(s.Status)})
}

// Ptr returns a pointer to v, for the optional columns above.
func Ptr[T any](v T) *T { return &v }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// DatapathCapabilities is the op with which ovs-vswitchd fills a Datapath
// row's capabilities when it first sees the row: each key of caps set
// (deleted, then inserted: OVSDB's insert keeps an existing key), the
// row's other keys kept.
func DatapathCapabilities(u UUID, caps map[string]string) Op {
	keys := make([]string, 0, len(caps))
	for k := range caps {
		keys = append(keys, k)
	}
	return Mutate("Datapath", WhereUUID(u),
		Mutation{Column: "capabilities", Mutator: "delete", Value: keys},
		Mutation{Column: "capabilities", Mutator: "insert", Value: nonNilMap(caps)})
}
