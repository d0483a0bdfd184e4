package main

import (
	"fmt"
	"net"
	"reflect"
	"runtime"
	"sort"
	"strings"

	"gswitch/cmd/gswitch/internal/ctl"
	"gswitch/ct/dpctl"
	"gswitch/datapath"
	"gswitch/pipeline"
	"gswitch/ports"
)

type ctlServer = *ctl.Server

// registerCommands fills the control socket's registry. Conntrack commands
// answer to their plain name and to their dpctl/ name, as in ARCHITECTURE.md.
func (s *Switch) registerCommands(c *ctl.Server) {
	c.Register("version", "", 0, 0, func([]string) (string, error) {
		return "gswitch " + Version + "\n", nil
	})
	c.Register("show", "", 0, 0, func([]string) (string, error) { return s.showText(), nil })
	c.Register("dpctl/show", "[DP]", 0, 1, func([]string) (string, error) { return s.showText(), nil })
	c.Register("coverage/show", "", 0, 0, func([]string) (string, error) { return s.coverageText(), nil })
	c.Register("fdb/show", "bridge", 1, 1, func(a []string) (string, error) {
		br := s.bridge(a[0])
		if br == nil {
			return "", fmt.Errorf("no such bridge")
		}
		return s.fdbText(br), nil
	})
	c.Register("exit", "", 0, 0, func([]string) (string, error) {
		go func() { s.exitReq <- struct{}{} }()
		return "", nil
	})
	s.registerUnderlayCommands(c)
	s.registerSamplingCommands(c)
	for _, d := range dpctl.Commands() {
		fn := func(a []string) (string, error) { return dpctl.Run(s.tracker, d.Name, a) }
		for _, name := range d.Names() {
			c.Register(name, d.Usage, d.Min, d.Max, fn)
		}
	}
	events := func(a []string, st ctl.Stream) (string, error) { return dpctl.Events(s.tracker, a, st) }
	c.RegisterStream("ct-events", dpctl.EventsUsage, 0, 8, events)
	c.RegisterStream("dpctl/ct-events", dpctl.EventsUsage, 0, 8, events)
}

func (s *Switch) showText() string {
	var b strings.Builder
	for _, br := range s.bridges() {
		fmt.Fprintf(&b, "gswitch %s: bridge %s, datapath id %016x\n", Version, br.Name(), br.DatapathID())
		fmt.Fprintf(&b, "  flows: %d\n", br.Pipeline().NumFlows())
		fmt.Fprintf(&b, "  conntrack: %d connections (max %d)\n", s.tracker.Count(), s.tracker.MaxConns())
		fmt.Fprintf(&b, "  OpenFlow connections: %d\n", br.OpenFlow().NumConns())
		ofs := &br.OpenFlow().Stats
		fmt.Fprintf(&b, "  OpenFlow queue drops: packet-ins %d, flow-removed %d, connections closed on a full queue %d\n",
			ofs.PacketInDropped.Load(), ofs.FlowRemovedDropped.Load(), ofs.QueueOverflows.Load())
		for _, p := range br.Ports() {
			state := "up"
			if !p.Up {
				state = "down"
			}
			st := p.Stats
			fmt.Fprintf(&b, "  port %d: %s (%s, %s, %s)\n", p.No, p.Name, p.Type, state, p.HWAddr)
			fmt.Fprintf(&b, "    RX packets:%d bytes:%d dropped:%d errors:%d\n", st.RxPackets, st.RxBytes, st.RxDrops, st.RxErrors)
			fmt.Fprintf(&b, "    TX packets:%d bytes:%d dropped:%d errors:%d segmented:%d csum_finished:%d\n",
				st.TxPackets, st.TxBytes, st.TxDrops, st.TxErrors, st.TxSegmented, st.TxCsumFinished)
			if st.RxDrops+st.TxDrops != 0 {
				b.WriteString("    drops:")
				for r, v := range st.Drops {
					if v != 0 {
						fmt.Fprintf(&b, " %s:%d", ports.DropReason(r), v)
					}
				}
				b.WriteString("\n")
			}
		}
	}
	b.WriteString(s.samplers.Show())
	// The process's goroutines: each OpenFlow or control connection has
	// its own, so a leak from peers that come and go shows here.
	fmt.Fprintf(&b, "process: %d goroutines\n", runtime.NumGoroutine())
	return b.String()
}

// coverageText lists every nonzero named counter, as OVS's coverage/show
// lists its events.
func (s *Switch) coverageText() string {
	var lines []string
	for k, v := range s.pipelineCounters() {
		if v != 0 {
			lines = append(lines, fmt.Sprintf("pipeline_%-40s %d", k, v))
		}
	}
	for k, v := range counterMap(s.tracker.Counters()) {
		if v != 0 {
			lines = append(lines, fmt.Sprintf("ct_%-46s %d", k, v))
		}
	}
	for k, v := range s.ofprotoCounters() {
		if v != 0 {
			lines = append(lines, fmt.Sprintf("%-49s %d", k, v))
		}
	}
	lines = append(lines, s.samplingCoverage()...)
	sort.Strings(lines)
	return "Event counters (nonzero):\n" + strings.Join(lines, "\n") + "\n"
}

func (s *Switch) fdbText(br *datapath.Bridge) string {
	var b strings.Builder
	b.WriteString(" port  VLAN  MAC                Age\n")
	// As OVS: least recently used first; the port as ofputil_port_to_string.
	es := br.Pipeline().MACTable(s.Now())
	sort.SliceStable(es, func(i, j int) bool { return es[i].Age > es[j].Age })
	for _, e := range es {
		port := fmt.Sprint(e.Port)
		if e.Port == pipeline.PortLocal {
			port = "LOCAL"
		}
		fmt.Fprintf(&b, "%5s  %4d  %s  %3d\n", port, e.VLAN, net.HardwareAddr(e.MAC[:]), e.Age/1e9)
	}
	return b.String()
}

// counterMap turns a struct of uint64 counters into name → value.
func counterMap(c any) map[string]uint64 {
	out := map[string]uint64{}
	v := reflect.ValueOf(c)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Uint64 {
			out[strings.ToLower(v.Type().Field(i).Name)] = f.Uint()
		}
	}
	return out
}
