package tests

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// TestPrivilegedPortDeletedUnderLoad, with AF_PACKET ports in each I/O
// mode (--port-io mmsg, ring): the veth behind port 3 is deleted while a
// host floods UDP into it. Port 3's receive loop ends with one clear log
// line (no panic, no retry loop, no hang), and ports 1 and 2 go on
// forwarding: pings and a UDP stream between their hosts pass, and the
// switch answers OpenFlow and its control socket.
func TestPrivilegedPortDeletedUnderLoad(t *testing.T) {
	netns.Require(t)
	for i, c := range []struct{ name, mode, rx string }{
		{"mmsg", "mmsg", "bridge"},
		{"ring", "ring", "bridge"},
		// One receive thread per port (--rx-threads port) instead of the
		// bridge's shared one.
		{"thread-per-port", "mmsg", "port"},
	} {
		t.Run(c.name, func(t *testing.T) { portDeletedUnderLoad(t, c.mode, c.rx, c.name[:1], 21110+10*i) })
	}
}

// portDeletedUnderLoad runs the test with --port-io mode and --rx-threads
// rx, OpenFlow on TCP port base and UDP ports base+1, base+2; m makes its
// namespace and interface names unique.
func portDeletedUnderLoad(t *testing.T, mode, rx, m string, base int) {
	bin := netns.Bin(t)
	s := netns.New(t, "s9b-gone"+m+"-s")
	l := netns.New(t, "s9b-gone"+m+"-l")
	r := netns.New(t, "s9b-gone"+m+"-r")
	x := netns.New(t, "s9b-gone"+m+"-x")
	hosts := []struct {
		ns       *netns.NS
		dev, swp string
		ip       string
	}{
		{l, "s9bg" + m + "l", "s9bg" + m + "p1", "198.51.100.1"},
		{r, "s9bg" + m + "r", "s9bg" + m + "p2", "198.51.100.2"},
		{x, "s9bg" + m + "x", "s9bg" + m + "p3", "198.51.100.3"},
	}
	for _, h := range hosts {
		netns.Veth(t, h.dev, h.ns, h.swp, s)
		h.ns.Addr(t, h.dev, h.ip+"/24")
	}
	p3 := hosts[2].swp
	rundir := t.TempDir()
	ctl := filepath.Join(rundir, "gswitch.ctl")
	sw := s.Start(t, "env", "OVS_RUNDIR="+rundir, bin, "--port-io", mode, "--rx-threads", rx,
		"--port", hosts[0].swp+"=1", "--port", hosts[1].swp+"=2", "--port", p3+"=3",
		"--ctl", ctl, "--of-listen", fmt.Sprintf("ptcp:%d:127.0.0.1", base), "--fail-mode", "secure")
	of := fmt.Sprintf("tcp:127.0.0.1:%d", base)
	if !netns.Eventually(20*time.Second, func() bool {
		_, err := s.Ofctl("add-flow", of, "actions=NORMAL")
		return err == nil || sw.Exited()
	}) || sw.Exited() {
		t.Fatalf("gswitch did not take a flow:\n%s", sw.Output())
	}
	if out, err := s.Try(bin, "ctl", "--ctl", ctl, "show"); err != nil || strings.Count(out, "afpacket "+mode) != 3 {
		t.Fatalf("gswitch ctl show: %v; want 3 ports in afpacket %s:\n%s", err, mode, out)
	}
	// A port's own receive loop waits in ppoll(2); the bridge's shared one
	// in epoll_pwait, as Go's runtime does. So --rx-threads port shows 3
	// threads in ppoll, and bridge none.
	want := map[string]int{"bridge": 0, "port": 3}[rx]
	if n, ok := threadsInPpoll(sw.Cmd.Process.Pid); ok && !netns.Eventually(10*time.Second, func() bool {
		n, _ = threadsInPpoll(sw.Cmd.Process.Pid)
		return n == want
	}) {
		t.Fatalf("--rx-threads %s: %d threads waiting in ppoll, want %d", rx, n, want)
	}
	// ping retries on a loaded machine; a switch that does not forward
	// fails every try.
	ping := func(from *netns.NS, ip string) error {
		var out string
		var err error
		if netns.Eventually(20*time.Second, func() bool {
			out, err = from.Try("ping", "-c", "1", "-W", "2", ip)
			return err == nil
		}) {
			return nil
		}
		return fmt.Errorf("%v\n%s", err, out)
	}
	for _, h := range hosts[1:] {
		if err := ping(l, h.ip); err != nil {
			t.Fatalf("ping %s before the flood: %v", h.ip, err)
		}
	}

	// x floods l (frames into port 3's receive loop) until told to stop
	// (at most 60 s); the veth goes away once port 3 has received 1000
	// frames of it.
	stop := make(chan struct{})
	flood := make(chan error, 1)
	go func() { flood <- udpFlood(x, fmt.Sprintf("198.51.100.1:%d", base+1), 64, 100000, stop) }()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}()
	rxPkts := regexp.MustCompile(`rx pkts=(\d+)`)
	if !netns.Eventually(30*time.Second, func() bool {
		out, _ := s.Ofctl("dump-ports", of, "3")
		m := rxPkts.FindStringSubmatch(out)
		if m == nil {
			return false
		}
		n, _ := strconv.Atoi(m[1])
		return n >= 1000
	}) {
		out, _ := s.Ofctl("dump-ports", of, "3")
		t.Fatalf("port 3 did not receive the flood:\n%s", out)
	}
	s.Must(t, "ip", "link", "del", p3)
	if !netns.Eventually(30*time.Second, func() bool {
		return strings.Contains(sw.Output(), "interface is gone")
	}) {
		t.Fatalf("no log line about port 3's interface being gone:\n%s", sw.Output())
	}
	close(stop)
	select {
	case err := <-flood:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the flood did not stop within 30 s")
	}

	// The others keep forwarding.
	sink := newUDPSink(t, r, fmt.Sprintf("198.51.100.2:%d", base+2))
	sink.pc.(*net.UDPConn).SetReadBuffer(4 << 20) // a stalled reader loses less
	if err := ping(l, "198.51.100.2"); err != nil {
		t.Fatalf("ping l->r after port 3 went away: %v", err)
	}
	// A paced stream: a round passes when 90 % of it arrives; a loaded
	// machine may lose one round, a switch that does not forward loses
	// them all.
	const n = 1000
	passed := false
	for round := 0; round < 3 && !passed; round++ {
		before := sink.n.Load()
		if _, err := udpBlast(l, fmt.Sprintf("198.51.100.2:%d", base+2), n, 256, 2000); err != nil {
			t.Fatal(err)
		}
		netns.Eventually(10*time.Second, func() bool { return sink.n.Load()-before >= n*9/10 })
		got := sink.n.Load() - before
		t.Logf("round %d: %d of %d datagrams l->r", round, got, n)
		passed = got >= n*9/10
	}
	if !passed {
		t.Errorf("no round of %d datagrams l->r after port 3 went away got 90 %% through", n)
	}
	if out, err := s.Ofctl("show", of); err != nil || !strings.Contains(out, hosts[0].swp) {
		t.Errorf("ovs-ofctl show after port 3 went away: %v\n%s", err, out)
	}
	if out, err := netns.Try("ovs-appctl", "-t", ctl, "version"); err != nil {
		t.Errorf("control socket after port 3 went away: %v\n%s", err, out)
	}
	out := sw.Output()
	if sw.Exited() || strings.Contains(out, "panic") {
		t.Fatalf("gswitch exited or panicked:\n%s", out)
	}
	if c := strings.Count(out, "receive loop ends"); c != 1 {
		t.Errorf("%d log lines about the gone interface, want 1:\n%s", c, out)
	}
	if c := strings.Count(out, "receive failed"); c > 1 {
		t.Errorf("%d \"receive failed\" lines: the loop retried instead of ending:\n%s", c, out)
	}
}

// udpFlood sends size-byte UDP datagrams from ns to dst at about pps a
// second until stop closes, for at most 60 s; send errors (the route gone,
// ENOBUFS) are ignored.
func udpFlood(ns *netns.NS, dst string, size, pps int, stop <-chan struct{}) error {
	var c net.Conn
	if err := ns.Do(func() (err error) { c, err = net.Dial("udp", dst); return err }); err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, size)
	start := time.Now()
	for i := 0; time.Since(start) < 60*time.Second; i++ {
		if i%64 == 0 {
			select {
			case <-stop:
				return nil
			default:
			}
		}
		c.Write(buf)
		if d := time.Duration(i+1)*time.Second/time.Duration(pps) - time.Since(start); d > 0 {
			time.Sleep(d)
		}
	}
	return nil
}

// threadsInPpoll counts process pid's threads blocked in ppoll(2), from
// /proc/PID/task/*/syscall (x86-64 numbering; false elsewhere).
func threadsInPpoll(pid int) (int, bool) {
	if runtime.GOARCH != "amd64" {
		return 0, false
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, false
	}
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/syscall", pid, task.Name()))
		if err == nil && strings.HasPrefix(string(b), "271 ") { // SYS_ppoll
			n++
		}
	}
	return n, true
}
