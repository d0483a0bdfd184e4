package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// runDemo runs an examples/ script against the binary under test and
// returns its output, failing unless it ends with the success line. env
// (NAME=VALUE) is added to the script's environment.
func runDemo(t *testing.T, script, success string, env ...string) string {
	t.Helper()
	netns.Require(t)
	bin := netns.Bin(t)
	path := filepath.Join(golden.Dir(), "..", "..", "examples", script)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path, bin)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), success) {
		t.Fatalf("%s failed: %v\n%s", script, err, out)
	}
	return string(out)
}

// TestPrivilegedFirewallDemo runs `make demo`'s script as a test: the talk's
// firewall with plain ovs-ofctl on br0 and port names, real ping and HTTP.
func TestPrivilegedFirewallDemo(t *testing.T) {
	wantDemo(t, "firewall", runDemo(t, "firewall/demo.sh", "demo: all checks passed (gswitch, flags)"), firewallDemoWants)
}

// TestPrivilegedFirewallDemoDatabase runs the same demo with MODE=db:
// scripts/gswitch-ctl starts ovsdb-server and gswitch as ovs-vswitchd, br0
// and its ports are made with ovs-vsctl, and the connection table is read
// with plain ovs-appctl.
func TestPrivilegedFirewallDemoDatabase(t *testing.T) {
	wantDemo(t, "firewall", runDemoDatabase(t, "firewall/demo.sh"), firewallDemoWants)
}

var firewallDemoWants = []string{"ct_state=+est+trk", "tcp,orig=(src=198.51.100.1,dst=198.51.100.2,", "protoinfo=(state="}

// runDemoDatabase runs an examples/ script with MODE=db (gswitch-ctl starts
// ovsdb-server and gswitch unix:db.sock, br0 and its ports are made with
// ovs-vsctl, the connection table is read with plain ovs-appctl) and checks
// that it ran that way.
func runDemoDatabase(t *testing.T, script string) string {
	t.Helper()
	out := runDemo(t, script, "demo: all checks passed (gswitch, db)", "MODE=db")
	wantDemo(t, script, out, []string{"Starting gswitch.", "Bridge br0", "datapath_type: netdev",
		"Port eth0", "Port veth1", "ovs-appctl dpctl/dump-conntrack   (plain:"})
	return out
}

// wantDemo fails the test for each string of wants missing from a demo's
// output.
func wantDemo(t *testing.T, demo, out string, wants []string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("%s demo output lacks %q:\n%s", demo, want, out)
		}
	}
}

// TestPrivilegedNATDemo runs examples/nat: SNAT (ping, TCP, UDP, v4 and v6,
// a translated ICMP port unreachable), a port moved on a clash between two
// private hosts using the same source port, and DNAT port forwarding.
func TestPrivilegedNATDemo(t *testing.T) {
	wantDemo(t, "NAT", runDemo(t, "nat/demo.sh", "demo: all checks passed (gswitch, flags)"), natDemoWants)
}

// TestPrivilegedNATDemoDatabase runs examples/nat with MODE=db: the same
// checks with gswitch as ovs-vswitchd, br0 made with ovs-vsctl.
func TestPrivilegedNATDemoDatabase(t *testing.T) {
	wantDemo(t, "NAT", runDemoDatabase(t, "nat/demo.sh"), natDemoWants)
}

var natDemoWants = []string{
	"tcp,orig=(src=198.51.100.11,dst=203.0.113.5,sport=555,dport=8001),reply=(src=203.0.113.5,dst=203.0.113.100,sport=8001,dport=600)",
	"tcp,orig=(src=203.0.113.5,dst=203.0.113.101,sport=40000,dport=80),reply=(src=198.51.100.10,dst=203.0.113.5,sport=8080,dport=40001)",
}

// TestPrivilegedTAP joins a host over a veth port and a host over a TAP port
// that gswitch creates (then moved into the host's namespace), and checks
// ping and a TCP transfer with the kernel's default offloads.
func TestPrivilegedTAP(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	l := netns.New(t, "gttp-l")
	s := netns.New(t, "gttp-s")
	r := netns.New(t, "gttp-r")
	netns.Veth(t, "l1", l, "p1", s)
	l.Addr(t, "l1", ip4L+"/24")
	l.Addr(t, "l1", ip6L+"/64")
	ctlPath := filepath.Join(t.TempDir(), "g.ctl")
	sw := s.Start(t, "env", "OVS_RUNDIR="+t.TempDir(), bin, "--port", "p1=1", "--tap", "gttap0=3",
		"--ctl", ctlPath, "--of-listen", "ptcp:6653:127.0.0.1", "--fail-mode", "standalone")
	if !eventually(10*time.Second, func() bool { _, err := s.Ofctl("-O", "OpenFlow13", "show", "tcp:127.0.0.1:6653"); return err == nil }) {
		t.Fatalf("gswitch did not start:\n%s", sw.Output())
	}
	s.Must(t, "ip", "link", "set", "gttap0", "netns", r.Name)
	r.Must(t, "ip", "link", "set", "gttap0", "up")
	r.Addr(t, "gttap0", ip4R+"/24")
	r.Addr(t, "gttap0", ip6R+"/64")
	show := s.Must(t, "ovs-ofctl", "-O", "OpenFlow13", "show", "tcp:127.0.0.1:6653")
	if !strings.Contains(show, " 3(gttap0): addr:") {
		t.Errorf("TAP port missing from show:\n%s", show)
	}
	if out, err := l.Try("ping", "-c", "2", "-W", "2", ip4R); err != nil {
		t.Fatalf("ping over TAP: %v\n%s\n%s", err, out, sw.Output())
	}
	if out, err := l.Try("ping", "-6", "-c", "2", "-W", "2", ip6R); err != nil {
		t.Errorf("ping6 over TAP: %v\n%s", err, out)
	}
	// 4 MB over TCP each way, default offloads (GSO frames, partial checksums).
	srv := r.Start(t, "timeout", "20", "python3", "-c", tcpSink, "7009")
	_ = srv
	time.Sleep(300 * time.Millisecond)
	out, err := l.Try("timeout", "20", "python3", "-c", tcpSource, ip4R, "7009", "4000000")
	if err != nil || !strings.Contains(out, "ok 4000000") {
		t.Fatalf("TCP over TAP: %v\n%s\nswitch:\n%s", err, out, sw.Output())
	}
}

// tcpSink accepts one connection, counts the bytes and sends the count back.
const tcpSink = `
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(("0.0.0.0",int(sys.argv[1]))); s.listen(1); s.settimeout(15)
c,_=s.accept(); c.settimeout(15); n=0
while True:
    b=c.recv(65536)
    if not b: break
    n+=len(b)
c.sendall(str(n).encode()); c.close()
`

// tcpSource sends N bytes, half-closes, and prints "ok N" if the sink counted
// N; it retries a refused connect for up to 10 s (the sink may start late on
// a loaded machine).
const tcpSource = `
import socket,sys,time
for i in range(100):
    try:
        c=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=15); break
    except ConnectionRefusedError:
        time.sleep(0.1)  # the sink is not listening yet (bounded: 10 s)
else:
    raise SystemExit("sink never listened")
n=int(sys.argv[3]); buf=b"x"*65536; sent=0
while sent<n:
    k=c.send(buf[:min(len(buf),n-sent)]); sent+=k
c.shutdown(socket.SHUT_WR); r=c.recv(100).decode()
print(("ok " if int(r)==n else "bad ")+r)
`
