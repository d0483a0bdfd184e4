package vswitchd

import (
	"fmt"
	"sort"

	"gswitch/ovsdb"
)

// IPFIXSets is what the database asks of per-flow sampling: for each
// bridge (by name), the IPFIX targets (HOST:PORT) of each collector set
// id its sample actions may name.
type IPFIXSets map[string]map[uint32][]string

// DesiredIPFIX reads the Flow_Sample_Collector_Set rows whose ipfix
// column names an IPFIX row with targets, as OVS's bridge_configure_ipfix
// does for flow exporters, and what it leaves out and why. (The IPFIX
// row's sampling, obs_domain_id, obs_point_id and cache columns are for
// bridge-wide sampling and the flow cache, which gswitch does not do.)
func DesiredIPFIX(snap *ovsdb.Snapshot) (IPFIXSets, []string) {
	want := IPFIXSets{}
	var problems []string
	var ids []ovsdb.UUID
	for u := range snap.FlowSampleCollectorSet {
		ids = append(ids, u)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, u := range ids {
		fs := snap.FlowSampleCollectorSet[u]
		br := snap.Bridges[fs.Bridge]
		if br == nil || fs.IPFIX == nil {
			continue
		}
		ip := snap.IPFIX[*fs.IPFIX]
		if ip == nil || len(ip.Targets) == 0 {
			continue
		}
		if fs.ID < 0 || fs.ID > 0xffffffff {
			problems = append(problems, fmt.Sprintf("bridge %s: Flow_Sample_Collector_Set id %d out of range, ignored", br.Name, fs.ID))
			continue
		}
		if want[br.Name] == nil {
			want[br.Name] = map[uint32][]string{}
		}
		t := append([]string(nil), ip.Targets...)
		sort.Strings(t)
		want[br.Name][uint32(fs.ID)] = append(want[br.Name][uint32(fs.ID)], t...)
	}
	return want, problems
}
