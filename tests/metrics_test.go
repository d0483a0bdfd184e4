package tests

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// scrape fetches /metrics from addr with curl in ns.
func scrape(t *testing.T, ns *netns.NS, addr string) string {
	t.Helper()
	var out string
	var err error
	if !netns.Eventually(10*time.Second, func() bool {
		out, err = ns.Try("curl", "-sf", "--max-time", "5", "http://"+addr+"/metrics")
		return err == nil
	}) {
		t.Fatalf("curl %s/metrics: %v\n%s", addr, err, out)
	}
	return out
}

// metric returns the value of the sample named by series (name and
// labels exactly as the exposition prints them), and whether there is one.
func metric(text, series string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// promtoolCheck runs promtool check metrics on text.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Fatal("promtool not installed (Debian package prometheus, in the Makefile's DEB_PKGS)")
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestPrivilegedMetrics scrapes --metrics-listen's /metrics with curl
// before and after TCP and ICMP traffic through the firewall example and
// checks that the port, table, conntrack and OpenFlow counters moved and
// that promtool accepts the output; then the same in database mode.
func TestPrivilegedMetrics(t *testing.T) {
	const addr = "127.0.0.1:19770"
	tp := newTopo(t, "s7em", "eth0", "veth1", "--metrics-listen", addr)
	tp.mustOfctl(t, "add-flows", filepath.Join("..", "examples", "firewall", "firewall.flows"))
	before := scrape(t, tp.S, addr)
	promtoolCheck(t, before)
	startPy(t, tp.R, "tcp-server", "19772", "30")
	waitListen(t, tp.R, "tcp", "19772")
	if out, err := py(tp.L, "tcp-client", "19773", ip4R, "19772", "0"); err != nil {
		t.Fatalf("tcp: %v\n%s", err, out)
	}
	if out, err := tp.L.Try("ping", "-q", "-c", "3", "-i", "0.2", "-W", "2", ip4R); err != nil {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	// A subscriber to conntrack events shows up as one.
	ev := tp.S.Start(t, netnsBin(t), "ctl", "--ctl", tp.ctl, "ct-events")
	after := ""
	if !netns.Eventually(10*time.Second, func() bool {
		after = scrape(t, tp.S, addr)
		v, _ := metric(after, "gswitch_ct_event_subscribers")
		return v == 1
	}) {
		t.Errorf("gswitch_ct_event_subscribers never 1:\n%s", after)
	}
	ev.Stop()
	promtoolCheck(t, after)
	for _, c := range []struct {
		series string
		min    float64 // after - before at least
	}{
		{`gswitch_port_rx_packets_total{bridge="br0",port="eth0"}`, 8},
		{`gswitch_port_rx_bytes_total{bridge="br0",port="eth0"}`, 8 * 60},
		{`gswitch_port_tx_packets_total{bridge="br0",port="veth1"}`, 8},
		{`gswitch_port_rx_packets_total{bridge="br0",port="veth1"}`, 8},
		{`gswitch_table_lookups_total{bridge="br0",table="0"}`, 16},
		{`gswitch_table_matches_total{bridge="br0",table="1"}`, 16},
		{`gswitch_ct_commits_total{zone="0"}`, 2},
		{`gswitch_openflow_messages_received_total{bridge="br0"}`, 0},
	} {
		b, _ := metric(before, c.series)
		a, ok := metric(after, c.series)
		if !ok || a-b < c.min {
			t.Errorf("%s: %v -> %v (present %v), want it up by %v at least", c.series, b, a, ok, c.min)
		}
	}
	for _, series := range []string{`gswitch_ct_connections{zone="0"}`, `gswitch_flows{bridge="br0"}`,
		`gswitch_table_flows{bridge="br0",table="1"}`, `gswitch_openflow_messages_received_total{bridge="br0"}`} {
		if v, ok := metric(after, series); !ok || v < 1 {
			t.Errorf("%s = %v (present %v), want at least 1", series, v, ok)
		}
	}
	for _, series := range []string{`gswitch_ct_drops_total{reason="invalid",zone="0"}`, `gswitch_ct_drops_total{reason="limit",zone="0"}`,
		`gswitch_ct_fragment_drops_total`, `gswitch_ct_zone_limit{zone="0"}`, `gswitch_ct_events_lost_total`,
		`gswitch_openflow_connections{bridge="br0"}`, `gswitch_port_tx_dropped_total{bridge="br0",port="eth0"}`,
		`gswitch_port_rx_errors_total{bridge="br0",port="eth0"}`, `gswitch_port_drops_total{bridge="br0",port="eth0",reason="tx_full"}`,
		`gswitch_port_drops_total{bridge="br0",port="eth0",reason="tx_queue_full"}`} {
		if _, ok := metric(after, series); !ok {
			t.Errorf("%s missing", series)
		}
	}
	if !strings.Contains(after, "\ngo_goroutines ") || !strings.Contains(after, "\nprocess_resident_memory_bytes ") {
		t.Error("no Go runtime or process metrics")
	}

	// Database mode: the same option on ovs-vswitchd's command line.
	S := netns.New(t, "s7em-db")
	netns.Veth(t, "s7edb0", S, "s7edb1", S)
	d := startDBSwitch(t, S, netnsBin(t), "--metrics-listen", "127.0.0.1:19771")
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
		"--", "add-port", "br0", "s7edb0")
	var out string
	if !netns.Eventually(10*time.Second, func() bool {
		out = scrape(t, S, "127.0.0.1:19771")
		_, ok := metric(out, `gswitch_port_rx_packets_total{bridge="br0",port="s7edb0"}`)
		return ok
	}) {
		t.Fatalf("database mode: no port metrics for s7edb0:\n%s", out)
	}
	promtoolCheck(t, out)
}
