package ovsdb

import "maps"

// Snapshot is one consistent state of the monitored Open_vSwitch tables:
// typed rows by uuid, the references between them as UUIDs. It is never
// modified once published; hold it as long as needed.
type Snapshot struct {
	// Epoch counts the monitor's initial snapshots: it goes up after
	// every reconnect, whose snapshot is complete and fresh (reconcile
	// against it rather than applying differences).
	Epoch uint64
	// Seq goes up with every change.
	Seq uint64

	OpenVSwitch            map[UUID]*OpenVSwitch
	Bridges                map[UUID]*Bridge
	Ports                  map[UUID]*Port
	Interfaces             map[UUID]*Interface
	Controllers            map[UUID]*Controller
	Datapaths              map[UUID]*Datapath
	CTZones                map[UUID]*CTZone
	CTTimeoutPolicies      map[UUID]*CTTimeoutPolicy
	FlowSampleCollectorSet map[UUID]*FlowSampleCollectorSet
	IPFIX                  map[UUID]*IPFIX
	FlowTables             map[UUID]*FlowTable
}

// Root is the Open_vSwitch table's one row, or nil before `ovs-vsctl init`.
func (s *Snapshot) Root() *OpenVSwitch {
	for _, r := range s.OpenVSwitch {
		return r
	}
	return nil
}

// BridgeByName finds a bridge by its name.
func (s *Snapshot) BridgeByName(name string) *Bridge {
	for _, b := range s.Bridges {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// InterfaceByName finds an interface by its name.
func (s *Snapshot) InterfaceByName(name string) *Interface {
	for _, i := range s.Interfaces {
		if i.Name == name {
			return i
		}
	}
	return nil
}

// OpenVSwitch is the root row: configuration read, and what ovs-vswitchd
// writes back (CurCfg, DatapathTypes, IfaceTypes, versions).
type OpenVSwitch struct {
	UUID            UUID
	Bridges         []UUID
	Datapaths       map[string]UUID // datapath type -> Datapath
	OtherConfig     map[string]string
	ExternalIDs     map[string]string
	NextCfg         int64
	CurCfg          int64
	DatapathTypes   []string
	IfaceTypes      []string
	OVSVersion      *string
	DBVersion       *string
	SystemType      *string
	SystemVersion   *string
	DPDKInitialized bool
	DPDKVersion     *string
}

// Bridge is a Bridge row.
type Bridge struct {
	UUID            UUID
	Name            string
	Ports           []UUID
	Controller      []UUID
	DatapathType    string
	FailMode        *string // "standalone", "secure" or unset
	Protocols       []string
	OtherConfig     map[string]string // datapath-id, hwaddr, ...
	ExternalIDs     map[string]string
	FlowTables      map[int64]UUID
	IPFIX           *UUID
	DatapathID      *string // written back
	DatapathVersion string  // written back
	Status          map[string]string
}

// Port is a Port row.
type Port struct {
	UUID        UUID
	Name        string
	Interfaces  []UUID
	Tag         *int64
	Trunks      []int64
	VLANMode    *string
	MAC         *string
	OtherConfig map[string]string
	ExternalIDs map[string]string
}

// Interface is an Interface row: configuration read (Name, Type, Options,
// OfportRequest, MTURequest, ...) and state written back (Ofport, Error,
// AdminState, LinkState, ..., Status, Statistics).
type Interface struct {
	UUID          UUID
	Name          string
	Type          string // "", "system", "internal", "tap", "patch", ...
	Options       map[string]string
	OfportRequest *int64
	MTURequest    *int64
	MAC           *string
	OtherConfig   map[string]string
	ExternalIDs   map[string]string

	Ofport     *int64
	Error      *string
	AdminState *string
	LinkState  *string
	LinkSpeed  *int64
	LinkResets *int64
	MACInUse   *string
	MTU        *int64
	Ifindex    *int64
	Duplex     *string
	Status     map[string]string
	Statistics map[string]int64
}

// Controller is a Controller row.
type Controller struct {
	UUID            UUID
	Target          string
	Type            *string // "primary" or "service"; nil: by target
	ConnectionMode  *string
	InactivityProbe *int64 // milliseconds
	MaxBackoff      *int64 // milliseconds
	OtherConfig     map[string]string
	ExternalIDs     map[string]string

	IsConnected bool
	Role        *string
	Status      map[string]string
}

// Datapath is a Datapath row (`ovs-vsctl add-dp`, add-zone-tp).
type Datapath struct {
	UUID            UUID
	DatapathVersion string
	CTZones         map[int64]UUID // zone -> CT_Zone
	Capabilities    map[string]string
	ExternalIDs     map[string]string
}

// CTZone is a CT_Zone row.
type CTZone struct {
	UUID          UUID
	TimeoutPolicy *UUID
	ExternalIDs   map[string]string
}

// CTTimeoutPolicy is a CT_Timeout_Policy row.
type CTTimeoutPolicy struct {
	UUID        UUID
	Timeouts    map[string]int64 // seconds, by name ("tcp_established", ...)
	ExternalIDs map[string]string
}

// FlowSampleCollectorSet is a Flow_Sample_Collector_Set row.
type FlowSampleCollectorSet struct {
	UUID        UUID
	ID          int64
	Bridge      UUID
	IPFIX       *UUID
	ExternalIDs map[string]string
}

// IPFIX is an IPFIX row.
type IPFIX struct {
	UUID               UUID
	Targets            []string
	Sampling           *int64
	ObsDomainID        *int64
	ObsPointID         *int64
	CacheActiveTimeout *int64
	CacheMaxFlows      *int64
	OtherConfig        map[string]string
	ExternalIDs        map[string]string
}

// FlowTable is a Flow_Table row (a Bridge's flow_tables).
type FlowTable struct {
	UUID           UUID
	Name           *string
	FlowLimit      *int64
	OverflowPolicy *string // "refuse" or "evict"
	Groups         []string
	Prefixes       []string
	ExternalIDs    map[string]string
}

// tableSpec ties a table to its Snapshot field: the columns monitored, a
// copy of the field's map (copy on write) and setting or deleting a row.
type tableSpec struct {
	name    string
	columns []string
	clone   func(*Snapshot)
	set     func(*Snapshot, UUID, Row) // nil row: delete
}

func spec[T any](name string, columns []string, field func(*Snapshot) *map[UUID]*T, dec func(UUID, Row) *T) tableSpec {
	return tableSpec{
		name:    name,
		columns: columns,
		clone: func(s *Snapshot) {
			f := field(s)
			if *f == nil {
				*f = map[UUID]*T{}
			} else {
				*f = maps.Clone(*f)
			}
		},
		set: func(s *Snapshot, u UUID, r Row) {
			if r == nil {
				delete(*field(s), u)
			} else {
				(*field(s))[u] = dec(u, r)
			}
		},
	}
}

func findSpec(specs []tableSpec, name string) *tableSpec {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i]
		}
	}
	return nil
}

var vswitchSpecs = []tableSpec{
	spec("Open_vSwitch", []string{"bridges", "datapaths", "other_config", "external_ids", "next_cfg", "cur_cfg",
		"datapath_types", "iface_types", "ovs_version", "db_version", "system_type", "system_version", "dpdk_initialized", "dpdk_version"},
		func(s *Snapshot) *map[UUID]*OpenVSwitch { return &s.OpenVSwitch },
		func(u UUID, r Row) *OpenVSwitch {
			return &OpenVSwitch{UUID: u, Bridges: r.uuids("bridges"), Datapaths: r.strUUIDMap("datapaths"),
				OtherConfig: r.strMap("other_config"), ExternalIDs: r.strMap("external_ids"),
				NextCfg: r.int("next_cfg"), CurCfg: r.int("cur_cfg"),
				DatapathTypes: r.strs("datapath_types"), IfaceTypes: r.strs("iface_types"),
				OVSVersion: r.optStr("ovs_version"), DBVersion: r.optStr("db_version"),
				SystemType: r.optStr("system_type"), SystemVersion: r.optStr("system_version"),
				DPDKInitialized: r.bool("dpdk_initialized"), DPDKVersion: r.optStr("dpdk_version")}
		}),
	spec("Bridge", []string{"name", "ports", "controller", "datapath_type", "fail_mode", "protocols", "other_config",
		"external_ids", "flow_tables", "ipfix", "datapath_id", "datapath_version", "status"},
		func(s *Snapshot) *map[UUID]*Bridge { return &s.Bridges },
		func(u UUID, r Row) *Bridge {
			return &Bridge{UUID: u, Name: r.str("name"), Ports: r.uuids("ports"), Controller: r.uuids("controller"),
				DatapathType: r.str("datapath_type"), FailMode: r.optStr("fail_mode"), Protocols: r.strs("protocols"),
				OtherConfig: r.strMap("other_config"), ExternalIDs: r.strMap("external_ids"),
				FlowTables: r.intUUIDMap("flow_tables"), IPFIX: r.optUUID("ipfix"),
				DatapathID: r.optStr("datapath_id"), DatapathVersion: r.str("datapath_version"), Status: r.strMap("status")}
		}),
	spec("Port", []string{"name", "interfaces", "tag", "trunks", "vlan_mode", "mac", "other_config", "external_ids"},
		func(s *Snapshot) *map[UUID]*Port { return &s.Ports },
		func(u UUID, r Row) *Port {
			return &Port{UUID: u, Name: r.str("name"), Interfaces: r.uuids("interfaces"), Tag: r.optInt("tag"),
				Trunks: r.ints("trunks"), VLANMode: r.optStr("vlan_mode"), MAC: r.optStr("mac"),
				OtherConfig: r.strMap("other_config"), ExternalIDs: r.strMap("external_ids")}
		}),
	spec("Interface", []string{"name", "type", "options", "ofport_request", "mtu_request", "mac", "other_config", "external_ids",
		"ofport", "error", "admin_state", "link_state", "link_speed", "link_resets", "mac_in_use", "mtu", "ifindex",
		"duplex", "status", "statistics"},
		func(s *Snapshot) *map[UUID]*Interface { return &s.Interfaces },
		func(u UUID, r Row) *Interface {
			return &Interface{UUID: u, Name: r.str("name"), Type: r.str("type"), Options: r.strMap("options"),
				OfportRequest: r.optInt("ofport_request"), MTURequest: r.optInt("mtu_request"), MAC: r.optStr("mac"),
				OtherConfig: r.strMap("other_config"), ExternalIDs: r.strMap("external_ids"),
				Ofport: r.optInt("ofport"), Error: r.optStr("error"), AdminState: r.optStr("admin_state"),
				LinkState: r.optStr("link_state"), LinkSpeed: r.optInt("link_speed"), LinkResets: r.optInt("link_resets"),
				MACInUse: r.optStr("mac_in_use"), MTU: r.optInt("mtu"), Ifindex: r.optInt("ifindex"),
				Duplex: r.optStr("duplex"), Status: r.strMap("status"), Statistics: r.strIntMap("statistics")}
		}),
	spec("Controller", []string{"target", "type", "connection_mode", "inactivity_probe", "max_backoff", "other_config",
		"external_ids", "is_connected", "role", "status"},
		func(s *Snapshot) *map[UUID]*Controller { return &s.Controllers },
		func(u UUID, r Row) *Controller {
			return &Controller{UUID: u, Target: r.str("target"), Type: r.optStr("type"), ConnectionMode: r.optStr("connection_mode"),
				InactivityProbe: r.optInt("inactivity_probe"), MaxBackoff: r.optInt("max_backoff"),
				OtherConfig: r.strMap("other_config"), ExternalIDs: r.strMap("external_ids"),
				IsConnected: r.bool("is_connected"), Role: r.optStr("role"), Status: r.strMap("status")}
		}),
	spec("Datapath", []string{"datapath_version", "ct_zones", "capabilities", "external_ids"},
		func(s *Snapshot) *map[UUID]*Datapath { return &s.Datapaths },
		func(u UUID, r Row) *Datapath {
			return &Datapath{UUID: u, DatapathVersion: r.str("datapath_version"), CTZones: r.intUUIDMap("ct_zones"),
				Capabilities: r.strMap("capabilities"), ExternalIDs: r.strMap("external_ids")}
		}),
	spec("CT_Zone", []string{"timeout_policy", "external_ids"},
		func(s *Snapshot) *map[UUID]*CTZone { return &s.CTZones },
		func(u UUID, r Row) *CTZone {
			return &CTZone{UUID: u, TimeoutPolicy: r.optUUID("timeout_policy"), ExternalIDs: r.strMap("external_ids")}
		}),
	spec("CT_Timeout_Policy", []string{"timeouts", "external_ids"},
		func(s *Snapshot) *map[UUID]*CTTimeoutPolicy { return &s.CTTimeoutPolicies },
		func(u UUID, r Row) *CTTimeoutPolicy {
			return &CTTimeoutPolicy{UUID: u, Timeouts: r.strIntMap("timeouts"), ExternalIDs: r.strMap("external_ids")}
		}),
	spec("Flow_Sample_Collector_Set", []string{"id", "bridge", "ipfix", "external_ids"},
		func(s *Snapshot) *map[UUID]*FlowSampleCollectorSet { return &s.FlowSampleCollectorSet },
		func(u UUID, r Row) *FlowSampleCollectorSet {
			b, _ := r.uuid("bridge")
			return &FlowSampleCollectorSet{UUID: u, ID: r.int("id"), Bridge: b, IPFIX: r.optUUID("ipfix"),
				ExternalIDs: r.strMap("external_ids")}
		}),
	spec("IPFIX", []string{"targets", "sampling", "obs_domain_id", "obs_point_id", "cache_active_timeout",
		"cache_max_flows", "other_config", "external_ids"},
		func(s *Snapshot) *map[UUID]*IPFIX { return &s.IPFIX },
		func(u UUID, r Row) *IPFIX {
			return &IPFIX{UUID: u, Targets: r.strs("targets"), Sampling: r.optInt("sampling"),
				ObsDomainID: r.optInt("obs_domain_id"), ObsPointID: r.optInt("obs_point_id"),
				CacheActiveTimeout: r.optInt("cache_active_timeout"), CacheMaxFlows: r.optInt("cache_max_flows"),
				OtherConfig: r.strMap("other_config"), ExternalIDs: r.strMap("external_ids")}
		}),
	spec("Flow_Table", []string{"name", "flow_limit", "overflow_policy", "groups", "prefixes", "external_ids"},
		func(s *Snapshot) *map[UUID]*FlowTable { return &s.FlowTables },
		func(u UUID, r Row) *FlowTable {
			return &FlowTable{UUID: u, Name: r.optStr("name"), FlowLimit: r.optInt("flow_limit"),
				OverflowPolicy: r.optStr("overflow_policy"), Groups: r.strs("groups"), Prefixes: r.strs("prefixes"),
				ExternalIDs: r.strMap("external_ids")}
		}),
}

// Typed column readers. A column that is absent or of another type reads
// as its zero value (the server's schema, checked in normalize, makes that
// the column's default).

func (r Row) atom(col string) Atom {
	switch x := r[col].(type) {
	case Set:
		if len(x) == 1 {
			return x[0]
		}
		return nil
	case Map:
		return nil
	default:
		return x
	}
}

func (r Row) str(col string) string { s, _ := r.atom(col).(string); return s }

func (r Row) int(col string) int64 { i, _ := r.atom(col).(int64); return i }

func (r Row) bool(col string) bool { b, _ := r.atom(col).(bool); return b }

func (r Row) uuid(col string) (UUID, bool) { u, ok := r.atom(col).(UUID); return u, ok }

func (r Row) optStr(col string) *string {
	if s, ok := r.atom(col).(string); ok {
		return &s
	}
	return nil
}

func (r Row) optInt(col string) *int64 {
	if i, ok := r.atom(col).(int64); ok {
		return &i
	}
	return nil
}

func (r Row) optUUID(col string) *UUID {
	if u, ok := r.uuid(col); ok {
		return &u
	}
	return nil
}

func (r Row) set(col string) Set {
	switch x := r[col].(type) {
	case Set:
		return x
	case Map, nil:
		return nil
	default:
		return Set{x}
	}
}

func setElems[T any](r Row, col string) []T {
	var out []T
	for _, a := range r.set(col) {
		if v, ok := a.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (r Row) strs(col string) []string { return setElems[string](r, col) }

func (r Row) ints(col string) []int64 { return setElems[int64](r, col) }

func (r Row) uuids(col string) []UUID { return setElems[UUID](r, col) }

func mapElems[K comparable, V any](r Row, col string) map[K]V {
	m, _ := r[col].(Map)
	out := make(map[K]V, len(m))
	for k, v := range m {
		kk, ok1 := k.(K)
		vv, ok2 := v.(V)
		if ok1 && ok2 {
			out[kk] = vv
		}
	}
	return out
}

func (r Row) strMap(col string) map[string]string { return mapElems[string, string](r, col) }

func (r Row) strIntMap(col string) map[string]int64 { return mapElems[string, int64](r, col) }

func (r Row) strUUIDMap(col string) map[string]UUID { return mapElems[string, UUID](r, col) }

func (r Row) intUUIDMap(col string) map[int64]UUID { return mapElems[int64, UUID](r, col) }
