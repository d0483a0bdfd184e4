package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"gswitch/ct/frag"
	"gswitch/ports"
)

// This file serves Prometheus metrics (--metrics-listen ADDR:PORT). One
// collector reads the counters the switch keeps anyway (ports, tables,
// conntrack, collector sets, OpenFlow) when /metrics is scraped: nothing is
// counted per packet for it, and a scrape takes only the locks the
// show/dump commands take, one short hold at a time.

func registerMetricsFlags(fs *flag.FlagSet, c *Config) {
	fs.Func("metrics-listen", "serve Prometheus metrics at http://`ADDR:PORT`/metrics (off by default; e.g. 127.0.0.1:9476)", func(v string) error {
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			return fmt.Errorf("--metrics-listen %q: expected ADDR:PORT: %v", v, err)
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("--metrics-listen %q: port must be 1 to 65535", v)
		}
		if host != "" && net.ParseIP(host) == nil {
			return fmt.Errorf("--metrics-listen %q: ADDR must be an IP address (or empty: every address)", v)
		}
		c.MetricsListen = v
		return nil
	})
}

// startMetrics listens on cfg.MetricsListen (if set) and serves /metrics
// until Close.
func (s *Switch) startMetrics() error {
	if s.cfg.MetricsListen == "" {
		return nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&switchCollector{s: s})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	ln, err := net.Listen("tcp", s.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("--metrics-listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.metrics = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("metrics server stopped", zap.Error(err))
		}
	}()
	s.log.Info("serving Prometheus metrics", zap.String("addr", ln.Addr().String()))
	return nil
}

func (s *Switch) stopMetrics() {
	if s.metrics == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.metrics.Shutdown(ctx)
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("gswitch_"+name, help, labels, nil)
}

var (
	mPort = map[string]*prometheus.Desc{}

	mTableLookups = desc("table_lookups_total", "Packets looked up in the OpenFlow table.", "bridge", "table")
	mTableMatches = desc("table_matches_total", "Packets that matched a flow of the OpenFlow table.", "bridge", "table")
	mTableFlows   = desc("table_flows", "Flows in the OpenFlow table.", "bridge", "table")
	mFlows        = desc("flows", "Flows in all the bridge's tables.", "bridge")

	mCtConns    = desc("ct_connections", "Conntrack connections in the zone (zone 0, and zones with connections, counts or a limit of their own).", "zone")
	mCtLimit    = desc("ct_zone_limit", "The zone's connection limit (0: unlimited).", "zone")
	mCtTotal    = desc("ct_connections_all", "Conntrack connections in all zones.")
	mCtMax      = desc("ct_connections_max", "The global conntrack connection limit (dpctl/ct-set-maxconns).")
	mCtCommits  = desc("ct_commits_total", "Connections committed in the zone.", "zone")
	mCtDrops    = desc("ct_drops_total", "Packets of the zone conntrack refused or marked invalid, by reason: limit (a zone or the global limit refused a new connection), invalid (+inv).", "zone", "reason")
	mCtFrag     = desc("ct_fragment_drops_total", "Fragments the reassembly dropped (all zones: expired, too small, overlapping, malformed, too big, inconsistent, table or list full, failed).")
	mCtRemoved  = desc("ct_removed_total", "Connections removed, by reason.", "reason")
	mEvLost     = desc("ct_events_lost_total", "Conntrack events ct-events subscribers lost because their queue was full.")
	mEvSubs     = desc("ct_event_subscribers", "Running ct-events subscriptions.")
	mSampleOut  = desc("sample_written_total", "Sampled packets a collector (packet log or IPFIX exporter) wrote.", "set_id", "collector")
	mSampleDrop = desc("sample_dropped_total", "Sampled packets a collector dropped because its queue was full (packet-log and IPFIX losses).", "set_id", "collector")
	mSampleErr  = desc("sample_errors_total", "A collector's write errors.", "set_id", "collector")

	mOFConns = desc("openflow_connections", "Open OpenFlow connections.", "bridge")
	mOFIn    = desc("openflow_messages_received_total", "OpenFlow messages received.", "bridge")
	mOFOut   = desc("openflow_messages_sent_total", "OpenFlow messages sent.", "bridge")
	mOFErr   = desc("openflow_errors_sent_total", "OFPT_ERROR messages sent.", "bridge")
	mOFAcc   = desc("openflow_connections_accepted_total", "OpenFlow connections accepted.", "bridge")

	mPortDrops = desc("port_drops_total", "Packets the port dropped, by reason: rx_truncated, rx_bad_vnet_hdr, tx_offload, tx_too_big, tx_error, tx_full (the kernel's queue was full: the rest of the batch is dropped, never waited for), tx_queue_full (the datapath's output queue for the port was full), tx_down (the interface is down).", "bridge", "port", "reason")
)

// portCounters are the per-port counters, by metric name.
var portCounters = []struct {
	name, help string
}{
	{"port_rx_packets_total", "Packets received on the port."},
	{"port_rx_bytes_total", "Bytes received on the port."},
	{"port_rx_dropped_total", "Received packets dropped."},
	{"port_rx_errors_total", "Receive errors."},
	{"port_tx_packets_total", "Packets sent on the port."},
	{"port_tx_bytes_total", "Bytes sent on the port."},
	{"port_tx_dropped_total", "Packets to send dropped (a full output queue, a full kernel queue, an offload that could not be honoured, ...; by reason in gswitch_port_drops_total)."},
	{"port_tx_errors_total", "Send errors."},
}

func init() {
	for _, c := range portCounters {
		mPort[c.name] = desc(c.name, c.help, "bridge", "port")
	}
}

// switchCollector reads the switch's counters at scrape time.
type switchCollector struct{ s *Switch }

// Describe sends nothing: the collector is unchecked (its zones and
// collector sets come and go).
func (c *switchCollector) Describe(chan<- *prometheus.Desc) {}

func (c *switchCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, br := range s.bridges() {
		bn := br.Name()
		for _, p := range br.Ports() {
			st := p.Stats
			for i, v := range []uint64{st.RxPackets, st.RxBytes, st.RxDrops, st.RxErrors,
				st.TxPackets, st.TxBytes, st.TxDrops, st.TxErrors} {
				counter(mPort[portCounters[i].name], v, bn, p.Name)
			}
			for r, v := range st.Drops {
				counter(mPortDrops, v, bn, p.Name, ports.DropReason(r).String())
			}
		}
		dp := br.Pipeline()
		for _, ts := range dp.TableStats() {
			if ts.Active == 0 && ts.Lookups == 0 {
				continue
			}
			t := strconv.Itoa(int(ts.Table))
			counter(mTableLookups, ts.Lookups, bn, t)
			counter(mTableMatches, ts.Matched, bn, t)
			gauge(mTableFlows, float64(ts.Active), bn, t)
		}
		gauge(mFlows, float64(dp.NumFlows()), bn)
		of := br.OpenFlow()
		gauge(mOFConns, float64(of.NumConns()), bn)
		counter(mOFIn, of.Stats.MsgsIn.Load(), bn)
		counter(mOFOut, of.Stats.MsgsOut.Load(), bn)
		counter(mOFErr, of.Stats.Errors.Load(), bn)
		counter(mOFAcc, of.Stats.Accepted.Load(), bn)
	}

	tr := s.tracker
	for z := range 65536 {
		limit, own, n := tr.ZoneLimit(uint16(z))
		zc, counted := tr.ZoneCounters(uint16(z))
		if z != 0 && n == 0 && !own && !counted {
			continue
		}
		zs := strconv.Itoa(z)
		gauge(mCtConns, float64(n), zs)
		gauge(mCtLimit, float64(limit), zs)
		counter(mCtCommits, zc.Commits, zs)
		counter(mCtDrops, zc.LimitDrops, zs, "limit")
		counter(mCtDrops, zc.Invalid, zs, "invalid")
	}
	gauge(mCtTotal, float64(tr.Count()))
	gauge(mCtMax, float64(tr.MaxConns()))
	cn := tr.Counters()
	fs := tr.Frag().Stats()
	counter(mCtFrag, fragDrops(&fs.V4)+fragDrops(&fs.V6))
	counter(mCtRemoved, cn.Expired, "timeout")
	counter(mCtRemoved, cn.Flushed, "flush")
	counter(mEvLost, tr.EventsLost())
	gauge(mEvSubs, float64(tr.Subscribers()))

	st, _ := s.samplers.Stats()
	for _, x := range st {
		id := strconv.FormatUint(uint64(x.SetID), 10)
		counter(mSampleOut, x.Written, id, x.What)
		counter(mSampleDrop, x.Dropped, id, x.What)
		counter(mSampleErr, x.Errors, id, x.What)
	}
}

// fragDrops is the number of fragments the reassembler dropped.
func fragDrops(f *frag.FamilyStats) uint64 {
	return f.Expired + f.TooSmall + f.Overlapped + f.Purged + f.Malformed + f.TooBig +
		f.Inconsistent + f.TableFull + f.ListFull + f.Failed
}
