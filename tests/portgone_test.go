package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// TestPrivilegedPortDeletedUnderLoad: the veth behind port 3 is deleted
// while a host floods UDP into it. Port 3's receive loop ends with one
// clear log line (no panic, no retry loop, no hang), and ports 1 and 2 go
// on forwarding: pings and a UDP stream between their hosts pass, and
// the switch answers OpenFlow and its control socket.
func TestPrivilegedPortDeletedUnderLoad(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	s := netns.New(t, "s8c-gone-s")
	l := netns.New(t, "s8c-gone-l")
	r := netns.New(t, "s8c-gone-r")
	x := netns.New(t, "s8c-gone-x")
	hosts := []struct {
		ns       *netns.NS
		dev, swp string
		ip       string
	}{{l, "s8cgl", "s8cgp1", "198.51.100.1"}, {r, "s8cgr", "s8cgp2", "198.51.100.2"}, {x, "s8cgx", "s8cgp3", "198.51.100.3"}}
	for _, h := range hosts {
		netns.Veth(t, h.dev, h.ns, h.swp, s)
		h.ns.Addr(t, h.dev, h.ip+"/24")
	}
	rundir := t.TempDir()
	ctl := filepath.Join(rundir, "gswitch.ctl")
	sw := s.Start(t, "env", "OVS_RUNDIR="+rundir, bin, "--port", "s8cgp1=1", "--port", "s8cgp2=2", "--port", "s8cgp3=3",
		"--ctl", ctl, "--of-listen", "ptcp:20200:127.0.0.1", "--fail-mode", "secure")
	of := "tcp:127.0.0.1:20200"
	if !netns.Eventually(10*time.Second, func() bool {
		_, err := s.Ofctl("add-flow", of, "actions=NORMAL")
		return err == nil || sw.Exited()
	}) || sw.Exited() {
		t.Fatalf("gswitch did not take a flow:\n%s", sw.Output())
	}
	for _, h := range hosts[1:] {
		if out, err := l.Try("ping", "-c", "1", "-W", "2", h.ip); err != nil {
			t.Fatalf("ping %s before the flood: %v\n%s", h.ip, err, out)
		}
	}

	// x floods l (frames into port 3's receive loop) for at most 4 s; the
	// veth goes away 300 ms into it.
	flood := make(chan error, 1)
	go func() {
		_, err := udpBlast(x, "198.51.100.1:20201", 400000, 64, 100000)
		flood <- err
	}()
	time.Sleep(300 * time.Millisecond)
	s.Must(t, "ip", "link", "del", "s8cgp3")
	select {
	case <-flood:
	case <-time.After(10 * time.Second):
		t.Fatal("the flood did not end within 10 s")
	}
	if !netns.Eventually(5*time.Second, func() bool {
		return strings.Contains(sw.Output(), "interface is gone")
	}) {
		t.Fatalf("no log line about port 3's interface being gone:\n%s", sw.Output())
	}

	// The others keep forwarding.
	sink := newUDPSink(t, r, "198.51.100.2:20202")
	if out, err := l.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", "198.51.100.2"); err != nil {
		t.Fatalf("ping l->r after port 3 went away: %v\n%s", err, out)
	}
	const n = 2000
	if _, err := udpBlast(l, "198.51.100.2:20202", n, 256, 4000); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(3*time.Second, func() bool { return sink.n.Load() >= n*9/10 })
	if got := sink.n.Load(); got < n*9/10 {
		t.Errorf("%d of %d datagrams l->r after port 3 went away", got, n)
	}
	if out, err := s.Ofctl("show", of); err != nil || !strings.Contains(out, "s8cgp1") {
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
