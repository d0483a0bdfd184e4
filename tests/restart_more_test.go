package tests

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// restartSwitch stops gswitch with SIGTERM and starts it again in the
// switch's namespace with args (after the binary and OVS_RUNDIR), waiting
// until it answers OpenFlow; it returns the old process's output.
func restartSwitch(t *testing.T, tp *topo, args ...string) (saved string) {
	t.Helper()
	tp.sw.Stop()
	saved = tp.sw.Output()
	tp.sw = tp.S.Start(t, "env", append([]string{"OVS_RUNDIR=" + tp.rundir, netns.Bin(t)}, args...)...)
	if !netns.Eventually(10*time.Second, func() bool {
		_, err := tp.ofctl("-O", "OpenFlow13", "show")
		return err == nil || tp.sw.Exited()
	}) || tp.sw.Exited() {
		t.Fatalf("gswitch did not come back:\n%s", tp.sw.Output())
	}
	if !strings.Contains(tp.sw.Output(), "state restored") {
		t.Fatalf("no state restored:\n%s\nbefore:\n%s", tp.sw.Output(), saved)
	}
	return saved
}

// TestPrivilegedRestartKeepsPortsAndMeters: ports given without a number
// keep theirs across a restart even when the command line gives them in
// another order with a new one before them, and a meter keeps its
// counters and its age.
func TestPrivilegedRestartKeepsPortsAndMeters(t *testing.T) {
	state := t.TempDir()
	tp := newTopo(t, "s8r-p", "eth0", "veth1", "--state-dir", state, "--tap", "s8r-t3", "--tap", "s8r-t4")
	show := tp.mustOfctl(t, "show")
	for _, want := range []string{" 3(s8r-t3):", " 4(s8r-t4):"} {
		if !strings.Contains(show, want) {
			t.Fatalf("no %q before the restart:\n%s", want, show)
		}
	}
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-meter", "meter=1 pktps stats bands=type=drop rate=1000")
	// Only the pings' requests are metered (not what else the host sends).
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "priority=10,icmp,in_port=1,actions=meter:1,output:2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "priority=5,in_port=1,actions=output:2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "priority=5,in_port=2,actions=output:1")
	if out, err := tp.L.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R); err != nil {
		t.Fatalf("ping before the restart: %v\n%s", err, out)
	}
	dur := regexp.MustCompile(`duration:([0-9.]+)s`)
	meter := func() (string, float64) {
		st := tp.mustOfctl(t, "-O", "OpenFlow13", "meter-stats", "meter=1")
		m := dur.FindStringSubmatch(st)
		if m == nil {
			t.Fatalf("meter-stats without a duration:\n%s", st)
		}
		d, _ := strconv.ParseFloat(m[1], 64)
		return dur.ReplaceAllString(st, ""), d
	}
	statsBefore, durBefore := meter()
	if !strings.Contains(statsBefore, "packet_in_count:3 ") {
		t.Fatalf("meter-stats before the restart (3 pings):\n%s", statsBefore)
	}

	// Without the saved numbers s8r-t5 would take 3 and s8r-t3 5.
	restartSwitch(t, tp, "--port", "eth0=1", "--port", "veth1=2", "--tap", "s8r-t5", "--tap", "s8r-t4", "--tap", "s8r-t3",
		"--ctl", tp.ctl, "--of-listen", "ptcp:6653:127.0.0.1", "--fail-mode", "secure", "--state-dir", state)
	show = tp.mustOfctl(t, "show")
	for _, want := range []string{" 3(s8r-t3):", " 4(s8r-t4):", " 5(s8r-t5):"} {
		if !strings.Contains(show, want) {
			t.Errorf("no %q after the restart:\n%s", want, show)
		}
	}
	statsAfter, durAfter := meter()
	if statsAfter != statsBefore || durAfter < durBefore {
		t.Errorf("meter-stats after the restart:\n%s (duration %.3fs)\nbefore:\n%s (duration %.3fs)",
			statsAfter, durAfter, statsBefore, durBefore)
	}
	if out, err := tp.L.Try("ping", "-c", "2", "-i", "0.2", "-W", "2", ip4R); err != nil {
		t.Fatalf("ping after the restart: %v\n%s", err, out)
	}
	if st, _ := meter(); !strings.Contains(st, "packet_in_count:5 ") {
		t.Errorf("meter-stats after 2 more pings:\n%s", st)
	}
}

// TestPrivilegedRestartQuiesce: connections that eight clients open one
// after another through the firewall while gswitch is stopped and started
// again are all in the restored table: each whose handshake completed for its client is
// there after the restart, and the outside (reply) side can send on it
// first. The stop quiesces the ports before the state is saved; without
// that, a connection made while the file was being written is forwarded
// but not saved, and its outside side is dropped after the restart.
func TestPrivilegedRestartQuiesce(t *testing.T) {
	state := t.TempDir()
	tp := newTopo(t, "s8r-q", "eth0", "veth1", "--state-dir", state)
	tp.mustOfctl(t, "add-flows", filepath.Join("..", "examples", "firewall", "firewall.flows"))
	var ln net.Listener
	if err := tp.R.Do(func() (err error) { ln, err = net.Listen("tcp", ip4R+":20400"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	accepted := map[int]net.Conn{} // by the client's port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted[c.RemoteAddr().(*net.TCPAddr).Port] = c
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range accepted {
			c.Close()
		}
		mu.Unlock()
	}()

	// Eight clients dial one after another each (at most 3000
	// connections in all, each dial given 4 s) until told to stop.
	const maxConns, dialers = 3000, 8
	var clients []net.Conn
	stop, dialed, ready := make(chan struct{}), make(chan error, dialers), make(chan struct{})
	var readyOnce sync.Once
	for range dialers {
		go func() {
			dialed <- tp.L.Do(func() error {
				for {
					select {
					case <-stop:
						return nil
					default:
					}
					d := net.Dialer{Timeout: 4 * time.Second}
					c, err := d.Dial("tcp", ip4R+":20400")
					if err != nil {
						continue // while gswitch is away
					}
					mu.Lock()
					clients = append(clients, c)
					n := len(clients)
					mu.Unlock()
					if n >= 200 {
						readyOnce.Do(func() { close(ready) })
					}
					if n >= maxConns {
						return nil
					}
				}
			})
		}()
	}
	defer func() {
		mu.Lock()
		for _, c := range clients {
			c.Close()
		}
		mu.Unlock()
	}()
	waitDialers := func() error {
		var first error
		for range dialers {
			if err := <-dialed; err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	select { // 200 connections before the stop
	case <-ready:
	case <-time.After(20 * time.Second):
		close(stop)
		waitDialers()
		t.Fatal("no 200 connections through the firewall in 20 s")
	}
	mu.Lock()
	beforeStop := len(clients)
	mu.Unlock()
	saved := restartSwitch(t, tp, "--port", "eth0=1", "--port", "veth1=2",
		"--ctl", tp.ctl, "--of-listen", "ptcp:6653:127.0.0.1", "--fail-mode", "secure", "--state-dir", state)
	time.Sleep(300 * time.Millisecond) // a few connections through the new gswitch
	close(stop)
	if err := waitDialers(); err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`state saved.*`).FindString(saved); m != "" {
		t.Logf("%s", m)
	}
	ctAfter := tp.appctl(t, "dpctl/dump-conntrack")

	mu.Lock()
	cs := append([]net.Conn(nil), clients...)
	mu.Unlock()
	t.Logf("%d connections made through the firewall, %d before the stop began", len(cs), beforeStop)
	var missing []int
	for _, c := range cs {
		port := c.LocalAddr().(*net.TCPAddr).Port
		if !strings.Contains(ctAfter, fmt.Sprintf("sport=%d,", port)) {
			missing = append(missing, port)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d connections whose client completed its handshake are not in the restored table (client ports %v)",
			len(missing), len(cs), missing[:min(len(missing), 20)])
	}

	// The server sends first on each; its accept may come late (its ACK
	// lost in the stop, the client's next one passes through the table).
	deadline := time.Now().Add(15 * time.Second)
	var failed []string
	for i, c := range cs {
		port := c.LocalAddr().(*net.TCPAddr).Port
		var s net.Conn
		for s == nil && time.Now().Before(deadline) {
			mu.Lock()
			s = accepted[port]
			mu.Unlock()
			if s == nil {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if s == nil {
			failed = append(failed, fmt.Sprintf("%d: never accepted", port))
			continue
		}
		s.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(s, "from outside %d\n", i); err != nil {
			failed = append(failed, fmt.Sprintf("%d: write: %v", port, err))
		}
	}
	for i, c := range cs {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := bufio.NewReader(c).ReadString('\n')
		if want := fmt.Sprintf("from outside %d\n", i); err != nil || got != want {
			failed = append(failed, fmt.Sprintf("%d: read %q, %v", c.LocalAddr().(*net.TCPAddr).Port, got, err))
		}
		if len(failed) > 20 {
			break
		}
	}
	if len(failed) > 0 {
		t.Fatalf("outside first after the restart: %d failed: %v", len(failed), failed)
	}
}

// TestPrivilegedVswitchdRestartKeepsState: gswitch as ovs-vswitchd with
// --state-dir keeps a bridge's flows and the conntrack table across a
// restart, and its ports come back with their ofport numbers (the
// Interface ofport column, as ovs-vswitchd; a fresh numbering would give
// them in name order): an established TCP connection through a stateful
// firewall written with port numbers continues, the outside side first.
func TestPrivilegedVswitchdRestartKeepsState(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	S := netns.New(t, "s8r-ds")
	h1, h2 := netns.New(t, "s8r-d1"), netns.New(t, "s8r-d2")
	netns.Veth(t, "h1", h1, "s8r-v1", S)
	netns.Veth(t, "h2", h2, "s8r-v2", S)
	h1.Addr(t, "h1", "198.51.100.1/24")
	h2.Addr(t, "h2", "198.51.100.2/24")
	state := t.TempDir()
	opts := []string{"--pidfile", "--detach", "--no-chdir", "--log-file", "-vconsole:off", "--state-dir", state}
	d := startDBSwitch(t, S, bin, opts[5:]...)
	// s8r-v2 (outside) first: it gets 1, s8r-v1 (inside) 2.
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev", "fail_mode=secure",
		"--", "add-port", "br0", "s8r-v2")
	d.Vsctl("add-port", "br0", "s8r-v1")
	ofports := func() string {
		return d.Vsctl("get", "interface", "s8r-v1", "ofport") + " " + d.Vsctl("get", "interface", "s8r-v2", "ofport")
	}
	if got := ofports(); got != "2 1" {
		t.Fatalf("ofports of s8r-v1 and s8r-v2: %s, want 2 1", got)
	}
	flows := []string{
		"priority=10,arp,in_port=1,actions=output:2",
		"priority=10,arp,in_port=2,actions=output:1",
		"priority=10,ip,ct_state=-trk,actions=ct(table=1)",
		"table=1,priority=10,ip,in_port=2,ct_state=+trk+new,actions=ct(commit),output:1",
		"table=1,priority=10,ip,in_port=2,ct_state=+trk+est,actions=output:1",
		"table=1,priority=10,ip,in_port=1,ct_state=+trk+est,actions=output:2",
	}
	for _, f := range flows {
		if out, err := d.In("ovs-ofctl", "add-flow", "br0", f); err != nil {
			t.Fatalf("add-flow %s: %v\n%s", f, err, out)
		}
	}
	var ln net.Listener
	if err := h2.Do(func() (err error) { ln, err = net.Listen("tcp", "198.51.100.2:20401"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var c net.Conn
	if err := h1.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", "198.51.100.2:20401", 5*time.Second)
		return err
	}); err != nil {
		t.Fatalf("h1 -> h2:20401 through the firewall: %v", err)
	}
	defer c.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cr, sr := bufio.NewReader(c), bufio.NewReader(s)
	exchange := func(what string, a net.Conn, br *bufio.Reader, b net.Conn, msg string) {
		t.Helper()
		b.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(a, "%s\n", msg); err != nil {
			t.Fatalf("%s: write: %v", what, err)
		}
		if got, err := br.ReadString('\n'); err != nil || got != msg+"\n" {
			t.Fatalf("%s: read %q, %v", what, got, err)
		}
	}
	exchange("before, inside to outside", c, sr, s, "hello")
	exchange("before, outside to inside", s, cr, c, "reply")
	ages := regexp.MustCompile(`(duration|idle_age|hard_age)=[0-9.]+s?, ?|n_packets=[0-9]+, n_bytes=[0-9]+, ?`)
	dumpFlows := func() string {
		out, err := d.In("ovs-ofctl", "dump-flows", "br0")
		if err != nil {
			t.Fatalf("dump-flows: %v\n%s", err, out)
		}
		return ages.ReplaceAllString(out, "")
	}
	flowsBefore := dumpFlows()
	ctBefore, _ := d.In("ovs-appctl", "dpctl/dump-conntrack")
	if !strings.Contains(ctBefore, "dport=20401") {
		t.Fatalf("no conntrack entry for the connection:\n%s", ctBefore)
	}

	syscall.Kill(d.Pid, syscall.SIGTERM)
	if !netns.Eventually(10*time.Second, func() bool { return !alive(d.Pid) }) {
		t.Fatal("gswitch did not stop on SIGTERM")
	}
	if out, err := d.In(bin, append([]string{d.DB}, opts...)...); err != nil {
		t.Fatalf("gswitch %s --detach again: %v\n%s", d.DB, err, out)
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, "ovs-vswitchd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	d.Pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	log, _ := os.ReadFile(filepath.Join(d.Dir, "ovs-vswitchd.log"))
	for _, want := range []string{"state saved", "state restored", "bridge state restored"} {
		if !strings.Contains(string(log), want) {
			t.Fatalf("no %q in the log:\n%s", want, log)
		}
	}
	if got := ofports(); got != "2 1" {
		t.Errorf("ofports of s8r-v1 and s8r-v2 after the restart: %s, want 2 1", got)
	}
	if got := dumpFlows(); got != flowsBefore {
		t.Errorf("flows after the restart:\n%s\nbefore:\n%s", got, flowsBefore)
	}
	exchange("after, outside first", s, cr, c, "after the restart, from outside")
	exchange("after, inside", c, sr, s, "and back")
	if ctAfter, _ := d.In("ovs-appctl", "dpctl/dump-conntrack"); ctAfter != ctBefore {
		t.Errorf("conntrack after the restart:\n%s\nbefore:\n%s", ctAfter, ctBefore)
	}
}
