package vswitchd

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gswitch/datapath"
	"gswitch/nxm"
	"gswitch/ovsdb"
	"gswitch/pipeline"
)

// TableSpec is one configured flow table of a bridge (a flow_tables entry
// and its Flow_Table row), as OVS's bridge_configure_tables reads it.
type TableSpec struct {
	Table  uint8
	Config pipeline.TableConfig
}

// LogLine is a message ovs-vswitchd logs while it configures a bridge's
// flow tables (module bridge), Warn or else INFO.
type LogLine struct {
	Warn bool
	Text string
}

// prefixFields are the fields OVS can use for prefix lookups (those with
// a "Prefix lookup member" in meta-flow.h, 32 or 128 bits or tun_id's 64).
var prefixFields = map[string]bool{
	"tun_id": true, "tun_src": true, "tun_dst": true, "tun_ipv6_src": true, "tun_ipv6_dst": true,
	"ct_nw_src": true, "ct_nw_dst": true, "ct_ipv6_src": true, "ct_ipv6_dst": true,
	"ip_src": true, "ip_dst": true, "ipv6_src": true, "ipv6_dst": true,
}

// maxPrefixFields is CLS_MAX_TRIES: the prefix lookups a table may have.
const maxPrefixFields = 3

// tableSpecs reads a bridge's flow_tables as bridge_configure_tables: name,
// flow_limit (below 2^32, else none), overflow_policy evict, the eviction
// groups that parse (OVS's warnings for the others) and the prefixes
// (accepted: a lookup optimisation that changes no result in OVS; the
// INFO line naming the fields used, the warnings for those OVS cannot
// use). Table ids are 0-254 by the schema.
func tableSpecs(s *ovsdb.Snapshot, b *ovsdb.Bridge) ([]TableSpec, []LogLine) {
	ids := make([]int64, 0, len(b.FlowTables))
	for id := range b.FlowTables {
		if id >= 0 && id < pipeline.NumTables {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var specs []TableSpec
	var log []LogLine
	for _, id := range ids {
		ft := s.FlowTables[b.FlowTables[id]]
		if ft == nil {
			continue
		}
		ts := TableSpec{Table: uint8(id)}
		tc := &ts.Config
		if ft.Name != nil {
			tc.Name = *ft.Name
		}
		if ft.FlowLimit != nil && *ft.FlowLimit >= 0 && *ft.FlowLimit < 1<<32-1 {
			tc.Limited, tc.FlowLimit = true, uint32(*ft.FlowLimit)
		}
		tc.Evict = ft.OverflowPolicy != nil && *ft.OverflowPolicy == "evict"
		for _, g := range ft.Groups {
			sf, rest, err := nxm.ParseSubfield(g)
			switch {
			case err != nil:
				log = append(log, LogLine{true, fmt.Sprintf("bridge %s table %d: error parsing 'groups' (%v)", b.Name, id, err)})
			case rest != "":
				log = append(log, LogLine{true, fmt.Sprintf("bridge %s table %d: 'groups' element '%s' contains trailing garbage", b.Name, id, g)})
			default:
				tc.Groups = append(tc.Groups, sf)
			}
		}
		if len(ft.Prefixes) > 0 {
			var used []string
			for _, p := range ft.Prefixes {
				if p == "none" {
					used = nil
					break
				}
				_, name, ok := nxm.FieldByOVSName(p)
				switch {
				case !ok:
					log = append(log, LogLine{true, fmt.Sprintf("bridge %s: 'prefixes' with unknown field: %s", b.Name, p)})
				case !prefixFields[name]:
					log = append(log, LogLine{true, fmt.Sprintf("bridge %s: 'prefixes' with incompatible field: %s", b.Name, p)})
				case len(used) >= maxPrefixFields:
					log = append(log, LogLine{true, fmt.Sprintf("bridge %s: 'prefixes' with too many fields, field not used: %s", b.Name, p)})
				default:
					used = append(used, name)
				}
			}
			if len(used) > 0 || containsNone(ft.Prefixes) {
				u := strings.Join(used, ",")
				if u == "" {
					u = "none"
				}
				log = append(log, LogLine{false, fmt.Sprintf("bridge %s table %d: Prefix lookup with: %s.", b.Name, id, u)})
			}
		}
		specs = append(specs, ts)
	}
	return specs, log
}

func containsNone(ps []string) bool {
	for _, p := range ps {
		if p == "none" {
			return true
		}
	}
	return false
}

// applyTables gives br's tables the configuration want asks for, in place
// (the flows stay; a lower limit may evict), touching only the tables that
// changed (old: what br runs, nil for a new bridge), and logs the bridge's
// table messages when any changed (OVS logs them at each reconfiguration).
func (s *Switch) applyTables(br *datapath.Bridge, old, want *BridgeSpec) {
	had := map[uint8]pipeline.TableConfig{}
	if old != nil {
		for _, t := range old.Tables {
			had[t.Table] = t.Config
		}
	}
	changed := false
	for _, t := range want.Tables {
		if o, ok := had[t.Table]; ok && sameTableConfig(&o, &t.Config) {
			delete(had, t.Table)
			continue
		}
		delete(had, t.Table)
		br.Pipeline().SetTableConfig(t.Table, t.Config, br.Now())
		changed = true
	}
	for t := range had {
		br.Pipeline().SetTableConfig(t, pipeline.TableConfig{}, br.Now())
		changed = true
	}
	if !changed && (old == nil || slices.Equal(old.TableLog, want.TableLog)) {
		return
	}
	for _, l := range want.TableLog {
		if l.Warn {
			s.log.Warn(l.Text)
		} else {
			s.log.Info(l.Text)
		}
	}
}

func sameTableConfig(a, b *pipeline.TableConfig) bool {
	return a.Name == b.Name && a.Limited == b.Limited && a.FlowLimit == b.FlowLimit && a.Evict == b.Evict &&
		slices.Equal(a.Groups, b.Groups)
}
