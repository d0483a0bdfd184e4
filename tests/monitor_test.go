package tests

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// udpHex is capture.sh's udp_hex: UDP 198.51.100.1:20001 -> 198.51.100.2:PORT,
// payload "hi", from 02:00:00:00:00:01 to 02:00:00:00:00:02.
var udpHex = map[string]string{
	"9999": "02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270f000acdd56869",
	"9998": "02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270e000acdd66869",
	"9997": "02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270d000acdd76869",
	"9996": "02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270c000acdd86869",
	"9995": "02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270b000acdd96869",
}

var reOfctlNoise = regexp.MustCompile(`fatal_signal|WARN|terminating with signal`)

// TestPrivilegedMonitorVsOVS injects packets with ovs-ofctl packet-out into
// flows that send them to the controller, and compares what
// `ovs-ofctl monitor` prints (every packet-in format, and over OpenFlow 1.5
// with a flow monitor's initial flows too) with OVS 3.1's output.
func TestPrivilegedMonitorVsOVS(t *testing.T) {
	tp := newGoldenTopo(t, "gtmo")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/packet-in.flows"))
	for _, v := range []struct {
		name string
		args []string
	}{
		{"of10-nxt_packet_in", []string{"monitor", "65534", "-P", "nxt_packet_in"}},
		{"of10-default", []string{"monitor", "65534"}},
		{"of10-standard", []string{"monitor", "65534", "-P", "standard"}},
		{"of13-default", []string{"-O", "OpenFlow13", "monitor", "65534"}},
		{"of13-standard", []string{"-O", "OpenFlow13", "monitor", "65534", "-P", "standard"}},
		{"of15-default", []string{"-O", "OpenFlow15", "monitor"}},
		{"of15-watch", []string{"-O", "OpenFlow15", "monitor", "watch:"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			tp.mustOfctl(t, "-O", "OpenFlow13", "del-flows")
			tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/packet-in.flows"))
			tp.appctl(t, "dpctl/flush-conntrack")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var opts, rest []string
			for i, a := range v.args {
				if a == "monitor" {
					opts, rest = v.args[:i], v.args[i+1:]
					break
				}
			}
			// As the golden was taken: through the bridge's management
			// socket (a service connection, as OVS's br0.mgmt).
			args := append(append(append([]string{"OVS_RUNDIR=" + tp.rundir, "timeout", "20", "ovs-ofctl"}, opts...), "monitor", "br0", "65534"), rest...)
			cmd := tp.S.Cmd(ctx, "env", args...)
			var out syncBuf
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(700 * time.Millisecond)
			for _, p := range []string{"9999", "9998", "9997", "9996", "9995"} {
				tp.mustOfctl(t, "packet-out", "in_port=1 packet="+udpHex[p]+" actions=table")
			}
			// The last packet's packet-in printed: the monitor has printed
			// the rest (if it never comes, the comparison says what is missing).
			eventually(15*time.Second, func() bool { return strings.Contains(out.String(), "tp_dst=9995") })
			cancel()
			cmd.Wait()
			var lines []string
			for _, l := range strings.Split(out.String(), "\n") {
				if !reOfctlNoise.MatchString(l) {
					lines = append(lines, l)
				}
			}
			compareGolden(t, golden.KindMonitor, "monitor/packet-in."+v.name+".txt", strings.Join(lines, "\n"))
		})
	}
}

// TestPrivilegedFlowTimeouts checks idle and hard timeouts expire flows and
// that FLOW_REMOVED reaches a monitoring controller.
func TestPrivilegedFlowTimeouts(t *testing.T) {
	tp := newTopo(t, "gtto", "p1", "p2")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := tp.S.Cmd(ctx, "ovs-ofctl", "-O", "OpenFlow13", "monitor", tp.of, "65534")
	var out syncBuf
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); cmd.Wait() }()
	time.Sleep(500 * time.Millisecond)
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=0,priority=5,cookie=0x11,idle_timeout=1,send_flow_rem,ip,nw_dst=203.0.113.9,actions=drop")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=0,priority=6,cookie=0x22,hard_timeout=2,send_flow_rem,ip,nw_dst=203.0.113.10,actions=drop")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=0,priority=7,cookie=0x33,hard_timeout=2,ip,nw_dst=203.0.113.11,actions=drop")
	if !eventually(8*time.Second, func() bool {
		s := out.String()
		return strings.Contains(s, "nw_dst=203.0.113.9 reason=idle table_id=0 cookie:0x11") &&
			strings.Contains(s, "nw_dst=203.0.113.10 reason=hard table_id=0 cookie:0x22")
	}) {
		t.Fatalf("no FLOW_REMOVED for both flows; monitor printed:\n%s", out.String())
	}
	if strings.Contains(out.String(), "cookie:0x33") {
		t.Errorf("FLOW_REMOVED for a flow without send_flow_rem:\n%s", out.String())
	}
	// The flow without send_flow_rem was added last and nothing announces
	// its removal: the expiry sweep may take it a moment after the others
	// (OVS's runs about once a second too).
	var dump string
	if !eventually(3*time.Second, func() bool {
		dump = tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows")
		return !strings.Contains(dump, "203.0.113.")
	}) {
		t.Errorf("flows did not expire:\n%s", dump)
	}
}

// TestPrivilegedFlowMonitorVsOVS runs tests/golden/monitor/flowmon-steps.sh
// against gswitch: `ovs-ofctl monitor br0 watch:...` (OpenFlow 1.5, 1.3
// with ONF's ONFST_FLOW_MONITOR and plain 1.0 with Nicira's
// NXST_FLOW_MONITOR, each with and without initial flows, own, actions, delete/modify, and with
// out_port, table and match filters) while another ovs-ofctl adds,
// modifies, replaces and deletes flows and one expires; each output must be
// OVS 3.1's for the same steps (capture-flowmon.sh beside the goldens). The
// script waits for each event it needs (its stderr, which fails the test,
// says which one did not come).
func TestPrivilegedFlowMonitorVsOVS(t *testing.T) {
	tp := newGoldenTopo(t, "s6nw")
	dir := t.TempDir()
	var names []string
	files, _ := filepath.Glob(golden.Path("monitor/flowmon.*.txt"))
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "flowmon."), ".txt")
		if name == "of14-watch" {
			t.Run(name, func(t *testing.T) {
				t.Skip("gswitch does not speak OpenFlow 1.4 (HELLO offers 1.0, 1.3 and 1.5): ovs-ofctl -O OpenFlow14 cannot connect")
			})
			continue
		}
		names = append(names, name)
	}
	if len(names) < 21 {
		t.Fatalf("flow monitor goldens: %v", names)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 360*time.Second)
	defer cancel()
	args := append([]string{"OVS_RUNDIR=" + tp.rundir, "bash", golden.Path("monitor/flowmon-steps.sh"), dir}, names...)
	out, err := tp.S.Cmd(ctx, "env", args...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("flowmon-steps.sh: %v\n%s", err, out)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, name+".raw"))
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, golden.KindMonitor, "monitor/flowmon."+name+".txt", string(got))
		})
	}
}
