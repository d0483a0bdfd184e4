package vswitchd

import (
	"fmt"
	"maps"
	"sort"

	"gswitch/ct"
	"gswitch/ovsdb"
)

// This file holds the conntrack configuration ovs-vswitchd takes from the
// database (OVS's bridge.c datapath_reconfigure and ct_zones_reconfigure):
// the zone timeout policies of the Datapath rows, which `ovs-vsctl
// add-zone-tp` / `del-zone-tp` write, applied to the one ct.Tracker every
// bridge shares; and the capabilities ovs-vswitchd fills into a Datapath
// row. The reference is tests/golden/ctzone (OVS 3.1, capture.sh there).
//
// OVS 3.1's schema (8.3.1) has no zone limit column: zone limits stay
// dpctl/ct-set-limits only, as in OVS 3.1.

// CTZones is the conntrack configuration the database asks for: per zone,
// the CT_Timeout_Policy's timeouts (seconds by key; a key left out keeps
// the default, a zone whose CT_Zone has no policy has all defaults).
type CTZones map[uint16]map[string]uint32

// ctDatapathTypes are the Datapath rows (Open_vSwitch.datapaths keys)
// whose zones apply, the first winning where both name a zone: gswitch
// runs bridges of either type on its one tracker (DatapathTypes).
var ctDatapathTypes = []string{"netdev", "system"}

// DesiredCT returns the zone timeout policies snap configures, and what
// it leaves out and why (a key or value the tracker cannot take; OVS's
// schema refuses both, so only a foreign schema or server gets there).
func DesiredCT(snap *ovsdb.Snapshot) (CTZones, []string) {
	want := CTZones{}
	var problems []string
	root := snap.Root()
	if root == nil {
		return want, nil
	}
	for _, typ := range ctDatapathTypes {
		du, ok := root.Datapaths[typ]
		if !ok {
			continue
		}
		dp := snap.Datapaths[du]
		if dp == nil {
			continue
		}
		for _, z := range sortedZoneKeys(dp.CTZones) {
			if z < 0 || z > 0xffff {
				problems = append(problems, fmt.Sprintf("datapath %s: conntrack zone %d out of range, ignored", typ, z))
				continue
			}
			zone := uint16(z)
			zr := snap.CTZones[dp.CTZones[z]]
			if zr == nil {
				continue
			}
			tp := map[string]uint32{}
			if zr.TimeoutPolicy != nil {
				if pr := snap.CTTimeoutPolicies[*zr.TimeoutPolicy]; pr != nil {
					for _, k := range sortedKeys(pr.Timeouts) {
						v := pr.Timeouts[k]
						switch {
						case !ct.IsTimeoutAttr(k):
							problems = append(problems, fmt.Sprintf("datapath %s: zone %d: unknown timeout policy key %s, ignored", typ, zone, k))
						case v < 0 || v > 0xffffffff:
							problems = append(problems, fmt.Sprintf("datapath %s: zone %d: timeout %s=%d out of range, ignored", typ, zone, k, v))
						default:
							tp[k] = uint32(v)
						}
					}
				}
			}
			if prev, dup := want[zone]; dup {
				if !maps.Equal(prev, tp) {
					problems = append(problems, fmt.Sprintf("datapath %s: zone %d: timeout policy ignored, datapath %s's applies", typ, zone, ctDatapathTypes[0]))
				}
				continue
			}
			want[zone] = tp
		}
	}
	return want, problems
}

// CTApplier applies CTZones to a tracker. It changes only what differs
// (a zone whose policy the tracker already has is left alone, so its
// connections are not disturbed) and removes the policies of zones it
// applied before that the database no longer names; zones it never
// applied (dpctl/add-zone-tp by hand) are not its business. The zero
// value is ready; not safe for concurrent use (the reconcile loop owns it).
type CTApplier struct {
	applied map[uint16]bool
}

// Apply brings t's zone timeout policies to want and returns how many
// zones it changed.
func (a *CTApplier) Apply(t *ct.Tracker, want CTZones) int {
	if a.applied == nil {
		a.applied = map[uint16]bool{}
	}
	have := t.ZoneTimeouts()
	changed := 0
	for z := range a.applied {
		if _, ok := want[z]; !ok {
			if _, set := have[z]; set {
				t.DelZoneTimeouts(z)
				changed++
			}
			delete(a.applied, z)
		}
	}
	for z, tp := range want {
		a.applied[z] = true
		if cur, ok := have[z]; ok && maps.Equal(cur, tp) {
			continue
		}
		if err := t.SetZoneTimeouts(z, tp); err != nil {
			continue // DesiredCT keeps only keys the tracker takes
		}
		changed++
	}
	return changed
}

// DatapathCapabilities is what gswitch writes into a Datapath row's
// capabilities: OVS 3.1's netdev datapath's (tests/golden/ctzone, step
// "ovs-vswitchd fills the new row's capabilities"), except where gswitch
// lacks the feature (CapabilitiesUnlikeOVS), since controllers such as
// ovn-controller choose their flows by these keys.
var DatapathCapabilities = withCapabilityDiffs(map[string]string{
	"add_mpls": "true", "check_pkt_len": "true", "clone": "true", "ct_clear": "true",
	"ct_eventmask": "true", "ct_flush": "true", "ct_label": "true", "ct_mark": "true",
	"ct_orig_tuple": "true", "ct_orig_tuple6": "true", "ct_state": "true", "ct_state_nat": "true",
	"ct_timeout": "true", "ct_zero_snat": "true", "ct_zone": "true", "explicit_drop_action": "true",
	"lb_output_action": "true", "masked_set_action": "true", "max_hash_alg": "1", "max_mpls_depth": "3",
	"max_vlan_headers": "1", "nd_ext": "true", "recirc": "true", "sample_nesting": "true",
	"tnl_push_pop": "true", "trunc": "true", "ufid": "true",
})

// CapabilitiesUnlikeOVS are the capabilities gswitch reports otherwise than
// OVS 3.1's netdev datapath, with the reason.
var CapabilitiesUnlikeOVS = map[string]struct{ Value, Why string }{
	"lb_output_action": {"false", "no bonds: gswitch has no lb_output action"},
	"sample_nesting":   {"false", "no sample action yet (the observability issue)"},
	"trunc":            {"false", "output with max_len (NXAST_OUTPUT_TRUNC) is not supported"},
}

func withCapabilityDiffs(m map[string]string) map[string]string {
	for k, d := range CapabilitiesUnlikeOVS {
		m[k] = d.Value
	}
	return m
}

// DatapathOps returns the write-back of the Datapath rows: the netdev
// row's capabilities where one of DatapathCapabilities' keys differs (OVS
// sets them key by key when it first sees the row; other keys stay).
// OVS 3.1 creates no Datapath row (ovs-vsctl add-zone-tp needs one made
// with `ovs-vsctl create Datapath`), and neither does gswitch.
func DatapathOps(snap *ovsdb.Snapshot) []ovsdb.Op {
	root := snap.Root()
	if root == nil {
		return nil
	}
	du, ok := root.Datapaths["netdev"]
	if !ok {
		return nil
	}
	dp := snap.Datapaths[du]
	if dp == nil {
		return nil
	}
	for k, v := range DatapathCapabilities {
		if cur, ok := dp.Capabilities[k]; !ok || cur != v {
			return []ovsdb.Op{ovsdb.DatapathCapabilities(du, DatapathCapabilities)}
		}
	}
	return nil
}

func sortedZoneKeys(m map[int64]ovsdb.UUID) []int64 {
	ks := make([]int64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
