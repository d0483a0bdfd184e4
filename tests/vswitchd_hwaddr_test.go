package tests

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// TestPrivilegedVswitchdHWAddrKeepsTCP: a TCP connection through a
// conntrack firewall (secure bridge: only h1 may open connections, replies
// pass as +est) keeps working across a run-time change of Bridge
// other_config:hwaddr, as with OVS 3.1, which changes the address in place
// (golden 22-hwaddr-change): the same flows, the same conntrack entry, the
// LOCAL device and the datapath id take the new address. (gswitch built
// the bridge again for a new hwaddr: its flows were gone, and a secure
// bridge then dropped the connection's packets.)
func TestPrivilegedVswitchdHWAddrKeepsTCP(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	S := netns.New(t, "s6h-s")
	h1, h2 := netns.New(t, "s6h-h1"), netns.New(t, "s6h-h2")
	netns.Veth(t, "h1", h1, "s6h-v1", S)
	netns.Veth(t, "h2", h2, "s6h-v2", S)
	h1.Addr(t, "h1", "198.51.100.1/24")
	h2.Addr(t, "h2", "198.51.100.2/24")
	d := startDBSwitch(t, S, bin)
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev", "fail_mode=secure",
		"--", "add-port", "br0", "s6h-v1", "--", "set", "interface", "s6h-v1", "ofport_request=1",
		"--", "add-port", "br0", "s6h-v2", "--", "set", "interface", "s6h-v2", "ofport_request=2")
	flows := []string{
		"priority=10,arp,actions=NORMAL",
		"priority=10,ip,ct_state=-trk,actions=ct(table=1)",
		"table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),NORMAL",
		"table=1,priority=10,ip,ct_state=+trk+est,actions=NORMAL",
	}
	for _, f := range flows {
		if out, err := d.In("ovs-ofctl", "add-flow", "br0", f); err != nil {
			t.Fatalf("add-flow %s: %v\n%s", f, err, out)
		}
	}
	srv := startPy(t, h2, "tcp-server", "7001", "40")
	defer srv.Stop()
	if out, err := py(h1, "ready", "7001", "tcp", "198.51.100.2"); err != nil {
		t.Fatalf("server not reachable through the firewall: %v\n%s", err, out)
	}
	var c net.Conn
	if err := h1.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", "198.51.100.2:7001", 3*time.Second)
		return err
	}); err != nil {
		t.Fatalf("h1 -> h2:7001: %v", err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	echo := func(line string) error {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(line + "\n")); err != nil {
			return err
		}
		got, err := rd.ReadString('\n')
		if err == nil && got != line+"\n" {
			t.Errorf("echo %q, want %q", got, line)
		}
		return err
	}
	if err := echo("before"); err != nil {
		t.Fatalf("echo before the change: %v", err)
	}
	ctBefore, _ := d.In("ovs-appctl", "dpctl/dump-conntrack")
	if !strings.Contains(ctBefore, "dport=7001") {
		t.Fatalf("no conntrack entry for the connection:\n%s", ctBefore)
	}

	d.Vsctl("set", "bridge", "br0", `other-config:hwaddr="02:5e:00:00:00:a0"`)
	if got := d.Vsctl("get", "bridge", "br0", "datapath_id"); got != `"0000025e000000a0"` {
		t.Errorf("datapath_id %s after the hwaddr change, want the address's", got)
	}
	if out, err := S.Try("ip", "-o", "link", "show", "br0"); err != nil || !strings.Contains(out, "02:5e:00:00:00:a0") {
		t.Errorf("LOCAL device br0 without the new address: %v %s", err, out)
	}
	if err := echo("after"); err != nil {
		t.Errorf("the connection did not survive the hwaddr change: %v", err)
	}
	out, err := d.In("ovs-ofctl", "dump-flows", "br0")
	if n := strings.Count(out, "actions="); err != nil || n != len(flows) {
		t.Errorf("dump-flows after the hwaddr change: %d flows, want %d: %v\n%s", n, len(flows), err, out)
	}
	ctAfter, _ := d.In("ovs-appctl", "dpctl/dump-conntrack")
	if !strings.Contains(ctAfter, "dport=7001") {
		t.Errorf("conntrack entry gone after the hwaddr change:\n%s", ctAfter)
	}
}
