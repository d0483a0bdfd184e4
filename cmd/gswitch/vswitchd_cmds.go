package main

// The unixctl commands ovs-vswitchd answers that users and scripts run
// through plain `ovs-appctl`, in OVS 3.1's output format (goldens in
// tests/golden/vswitchd, captured from a private ovs-vswitchd).

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"

	"gswitch/cmd/gswitch/internal/ctl"
	"gswitch/ofptext"
	"gswitch/pipeline"
)

// coverageInterval is OVS's COVERAGE_RUN_INTERVAL.
const coverageInterval = 5 * time.Second

// registerVswitchdCommands adds ovs-vswitchd's commands to the control
// socket (exit and coverage/show replace the plain ones of commands.go).
func (s *Switch) registerVswitchdCommands(c *ctl.Server, vl *vlog, d *daemonState) {
	c.Register("vlog/set", "{spec | PATTERN:destination:pattern}", 0, 1<<30, func(a []string) (string, error) {
		if len(a) == 0 {
			return "", vl.set("")
		}
		for _, spec := range a {
			if _, err := parseVlogSpec(spec); err != nil {
				return "", err
			}
		}
		for _, spec := range a {
			vl.set(spec)
		}
		return "", nil
	})
	c.Register("vlog/list", "", 0, 0, func([]string) (string, error) { return vl.list(), nil })
	c.Register("vlog/reopen", "", 0, 0, func([]string) (string, error) { return "", vl.reopen() })
	c.Register("vlog/close", "", 0, 0, func([]string) (string, error) { vl.closeFile(); return "", nil })
	c.Register("exit", "[--cleanup]", 0, 1, func(a []string) (string, error) {
		// As ovs-vswitchd: any other argument is a plain exit.
		d.cleanup.Store(len(a) == 1 && a[0] == "--cleanup")
		select {
		case s.exitReq <- struct{}{}:
		default:
		}
		return "", nil
	})
	// gswitch has no megaflow cache: there is nothing to purge or wait for.
	c.Register("revalidator/purge", "", 0, 0, func([]string) (string, error) { return "", nil })
	c.Register("revalidator/wait", "", 0, 0, func([]string) (string, error) { return "", nil })
	c.Register("ofproto/list", "", 0, 0, func([]string) (string, error) {
		var b strings.Builder
		for _, br := range s.bridges() {
			b.WriteString(br.Name() + "\n")
		}
		return b.String(), nil
	})
	c.Register("bridge/dump-flows", "[--offload-stats] bridge", 1, 2, s.bridgeDumpFlows)
	c.Register("ofproto/trace", "{[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet]",
		1, 1<<30, s.ofprotoTrace)
	cov := newCoverage(s)
	c.Register("coverage/show", "", 0, 0, func([]string) (string, error) { return cov.show(), nil })
}

// hiddenFlows are the flows OVS 3.1's ofproto-dpif installs in its hidden
// table 254 of every bridge (recirculation and the internal controller and
// drop actions), as bridge/dump-flows shows them. gswitch has no table 254
// and nothing runs these: they are printed as fixed text so the answer is
// OVS's. Their counters stay 0 here; in OVS they count only its internal
// upcalls.
var hiddenFlows = [...]string{
	"priority=2,recirc_id=0,actions=drop",
	"priority=0,reg0=0x1,actions=controller(reason=)",
	"priority=0,reg0=0x2,actions=drop",
	"priority=0,reg0=0x3,actions=drop",
}

// bridgeDumpFlows is `bridge/dump-flows [--offload-stats] BRIDGE`: every
// flow of the bridge, hidden ones included, one line each as ovs-vswitchd
// prints it (ofptext.BridgeLine). The order is the flow-stats reply's
// (pipeline.Datapath.Flows: by table, then priority from highest, then
// age), as gswitch's dump-flows. OVS walks its classifier, as for its
// dump-flows: by table and priority too, but flows of equal priority come
// grouped by subtable (the fields they match), in hash order within one,
// so those may come in another order than here. As in OVS, the last
// argument names the bridge and an unknown option before it is ignored;
// with --offload-stats each line also says n_offload_packets and
// n_offload_bytes, always 0 (gswitch offloads no flow to hardware).
func (s *Switch) bridgeDumpFlows(a []string) (string, error) {
	br := s.bridge(a[len(a)-1])
	if br == nil {
		return "", fmt.Errorf("Unknown bridge")
	}
	offload := false
	for _, arg := range a[:len(a)-1] {
		offload = offload || arg == "--offload-stats"
	}
	now := br.Now()
	var b strings.Builder
	fl := pipeline.FlowFilter{Table: pipeline.TableAll, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}
	for _, f := range br.Pipeline().Flows(&fl, now) {
		b.WriteString(ofptext.BridgeLine(&f.Spec, ofptext.Stats{DurationSec: (now - f.Created) / 1e9,
			Packets: f.Packets, Bytes: f.Bytes, Offload: offload}))
		b.WriteByte('\n')
	}
	// The hidden flows are as old as the bridge: in OVS they come with it.
	// gswitch's clock starts with the process (the bridges of database mode
	// may be younger).
	offloadText := ""
	if offload {
		offloadText = "n_offload_packets=0, n_offload_bytes=0, "
	}
	for _, h := range hiddenFlows {
		fmt.Fprintf(&b, "table_id=254, duration=%ds, n_packets=0, n_bytes=0, %s%s\n", now/1e9, offloadText, h)
	}
	return b.String(), nil
}

// coverage keeps the event counters' totals every coverageInterval for an
// hour, for coverage/show's per-second rates (as OVS's lib/coverage.c).
type coverage struct {
	read func() map[string]uint64

	mu    sync.Mutex
	snaps []map[string]uint64 // oldest first; at most 721
}

func newCoverage(s *Switch) *coverage {
	c := &coverage{read: func() map[string]uint64 {
		m := map[string]uint64{}
		for k, v := range s.pipelineCounters() {
			m["pipeline_"+k] = v
		}
		for k, v := range counterMap(s.tracker.Counters()) {
			m["ct_"+k] = v
		}
		for k, v := range s.ofprotoCounters() {
			m[k] += v
		}
		if s.tunnels != nil {
			// OVS's own names (datapath.Tunnels.Coverage).
			for k, v := range s.tunnels.Coverage() {
				m[k] += v
			}
		}
		return m
	}}
	go func() {
		t := time.NewTicker(coverageInterval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				c.sample()
			}
		}
	}()
	return c
}

func (c *coverage) sample() {
	m := c.read()
	c.mu.Lock()
	c.snaps = append(c.snaps, m)
	if len(c.snaps) > 721 {
		c.snaps = c.snaps[len(c.snaps)-721:]
	}
	c.mu.Unlock()
}

// show is coverage/show: a header with a hash of the counters' ranking,
// each counter ever hit with its rates over the last interval, minute and
// hour and its total, then how many were never hit.
func (c *coverage) show() string {
	totals := c.read()
	c.mu.Lock()
	snaps := c.snaps
	c.mu.Unlock()
	back := func(n int) map[string]uint64 { // the snapshot n intervals before the last one
		if i := len(snaps) - 1 - n; i >= 0 {
			return snaps[i]
		}
		return nil
	}
	last := back(0)
	names := make([]string, 0, len(totals))
	for n := range totals {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "Event coverage, avg rate over last: %d seconds, last minute, last hour,  hash=%08x:\n",
		int(coverageInterval/time.Second), coverageHash(totals))
	never := 0
	for _, n := range names {
		if totals[n] == 0 {
			never++
			continue
		}
		fmt.Fprintf(&b, "%-24s %5.1f/sec %9.3f/sec %13.4f/sec   total: %d\n", n,
			float64(last[n]-back(1)[n])/coverageInterval.Seconds(),
			float64(last[n]-back(12)[n])/60, float64(last[n]-back(720)[n])/3600, totals[n])
	}
	fmt.Fprintf(&b, "%d events never hit\n", never)
	return b.String()
}

// coverageHash hashes the counters' names grouped by equal totals in
// decreasing order of total, as OVS's coverage_hash (with FNV: the value
// only tells two readings apart).
func coverageHash(totals map[string]uint64) uint32 {
	names := make([]string, 0, len(totals))
	for n, v := range totals {
		if v != 0 {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if totals[names[i]] != totals[names[j]] {
			return totals[names[i]] > totals[names[j]]
		}
		return names[i] < names[j]
	})
	h := fnv.New32a()
	groups := 0
	for i := 0; i < len(names); {
		groups++
		fmt.Fprintf(h, "%d|", i)
		j := i
		for ; j < len(names) && totals[names[j]] == totals[names[i]]; j++ {
			h.Write([]byte(names[j]))
		}
		i = j
	}
	fmt.Fprintf(h, "#%d", groups)
	return h.Sum32()
}
