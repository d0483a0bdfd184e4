package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// TestPrivilegedLocalPort: with --local-port the bridge's LOCAL port is a
// TAP device named after the bridge with the bridge's address (the first
// port's), as ovs-vswitchd's internal port; a host reaches an address on
// it through NORMAL, and the device goes away with the switch.
func TestPrivilegedLocalPort(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	l := netns.New(t, "s5d-l")
	s := netns.New(t, "s5d-s")
	netns.Veth(t, "l1", l, "s5dp1", s)
	l.Addr(t, "l1", ip4L+"/24")
	rundir := t.TempDir()
	sw := s.Start(t, "env", "OVS_RUNDIR="+rundir, bin, "--port", "s5dp1=1", "--bridge", "s5dbr0", "--local-port",
		"--ctl", filepath.Join(rundir, "g.ctl"), "--of-listen", "ptcp:6653:127.0.0.1", "--fail-mode", "standalone")
	defer sw.Stop()
	of := "tcp:127.0.0.1:6653"
	if !eventually(10*time.Second, func() bool { _, err := s.Ofctl("-O", "OpenFlow13", "show", of); return err == nil }) {
		t.Fatalf("gswitch did not start:\n%s", sw.Output())
	}
	link := s.Must(t, "ip", "-o", "link", "show", "s5dbr0")
	p1 := s.Must(t, "ip", "-o", "link", "show", "s5dp1")
	mac := func(ipLink string) string {
		_, rest, _ := strings.Cut(ipLink, "link/ether ")
		m, _, _ := strings.Cut(rest, " ")
		return m
	}
	if mac(link) == "" || mac(link) != mac(p1) {
		t.Errorf("LOCAL device address %q, want the first port's %q", mac(link), mac(p1))
	}
	show := s.Must(t, "ovs-ofctl", "-O", "OpenFlow13", "show", of)
	if !strings.Contains(show, " LOCAL(s5dbr0): addr:"+mac(p1)) {
		t.Errorf("LOCAL missing from show or with another address:\n%s", show)
	}
	s.Addr(t, "s5dbr0", "198.51.100.254/24")
	if out, err := l.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", "198.51.100.254"); err != nil {
		t.Fatalf("ping to the LOCAL port: %v\n%s\nswitch:\n%s", err, out, sw.Output())
	}
	ports := s.Must(t, "ovs-ofctl", "-O", "OpenFlow13", "dump-ports", of, "LOCAL")
	if !strings.Contains(ports, "port LOCAL: rx pkts=") || strings.Contains(ports, "rx pkts=0,") {
		t.Errorf("LOCAL counters:\n%s", ports)
	}
	sw.Stop()
	if !eventually(5*time.Second, func() bool { _, err := s.Try("ip", "link", "show", "s5dbr0"); return err != nil }) {
		t.Error("the LOCAL device outlived the switch")
	}
}
