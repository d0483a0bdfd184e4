package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// TestPrivilegedTunnelGeneveTwoChassis runs two chassis, each a namespace
// with gswitch in database mode: br-int holds a VM's veth and a Geneve port
// (remote_ip the other chassis, key=flow), br-phy holds the underlay
// address on its LOCAL port and a veth to the other chassis, both bridges
// NORMAL. The VMs ping and talk TCP across the tunnel: the first packet
// finds no neighbour (an ARP request goes out of br-phy, its reply is
// snooped), later ones are encapsulated, recognized on the other side and
// decapsulated into its br-int.
func TestPrivilegedTunnelGeneveTwoChassis(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	CA, CB := netns.New(t, "s6t-ca"), netns.New(t, "s6t-cb")
	VA, VB := netns.New(t, "s6t-va"), netns.New(t, "s6t-vb")
	netns.Veth(t, "eth0", VA, "s6t-vma", CA)
	netns.Veth(t, "eth0", VB, "s6t-vmb", CB)
	netns.Veth(t, "s6t-ua", CA, "s6t-ub", CB)
	for i, vm := range []*netns.NS{VA, VB} {
		vm.Must(t, "ip", "link", "set", "eth0", "mtu", "1400")
		// No offloads: the first tunnel step encapsulates wire frames only.
		vm.Try("ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off")
		vm.Addr(t, "eth0", []string{"203.0.113.1/24", "203.0.113.2/24"}[i])
	}
	type chassis struct {
		ns     *netns.NS
		d      *dbSwitch
		vm, ul string
		addr   string
		remote string
	}
	cs := []*chassis{
		{ns: CA, vm: "s6t-vma", ul: "s6t-ua", addr: "198.51.100.1/24", remote: "198.51.100.2"},
		{ns: CB, vm: "s6t-vmb", ul: "s6t-ub", addr: "198.51.100.2/24", remote: "198.51.100.1"},
	}
	for _, c := range cs {
		c.d = startDBSwitch(t, c.ns, bin)
		c.d.Vsctl("add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev",
			"--", "add-port", "br-int", c.vm,
			"--", "add-port", "br-int", "gnv0", "--", "set", "interface", "gnv0", "type=geneve",
			"options:remote_ip="+c.remote, "options:key=flow",
			"--", "add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev",
			"--", "add-port", "br-phy", c.ul)
		c.ns.Must(t, "ip", "addr", "add", c.addr, "dev", "br-phy")
		c.ns.Must(t, "ip", "link", "set", "br-phy", "up")
		if got := c.d.Vsctl("get", "interface", "gnv0", "ofport"); got == "-1" || got == "[]" {
			t.Errorf("gnv0: ofport %s", got)
		}
		if got := c.d.Vsctl("get", "interface", "gnv0", "error"); got != "[]" {
			t.Errorf("gnv0: error %s", got)
		}
	}
	// A tunnel interface OVS refuses gets OVS's error and no port.
	cs[0].d.Vsctl("add-port", "br-int", "gnv9", "--", "set", "interface", "gnv9", "type=geneve")
	if got := cs[0].d.Vsctl("get", "interface", "gnv9", "error"); !strings.Contains(got, "remote_ip") {
		t.Errorf("gnv9 without remote_ip: error %s", got)
	}
	if got := cs[0].d.Vsctl("get", "interface", "gnv9", "ofport"); got != "-1" {
		t.Errorf("gnv9 without remote_ip: ofport %s, want -1", got)
	}

	ping := func(from *netns.NS, to string) bool {
		_, err := from.Try("ping", "-c", "1", "-W", "1", to)
		return err == nil
	}
	// The first pings resolve the remote chassis (ARP out of br-phy).
	if !netns.Eventually(15*time.Second, func() bool { return ping(VA, "203.0.113.2") }) {
		for _, c := range cs {
			out, _ := c.d.In("ovs-appctl", "tnl/neigh/show")
			rt, _ := c.d.In("ovs-appctl", "ovs/route/show")
			fl, _ := c.d.In("ovs-ofctl", "dump-ports", "br-int")
			t.Logf("%s: tnl/neigh/show:\n%s\nroutes:\n%s\nbr-int ports:\n%s", c.ns.Name, out, rt, fl)
		}
		t.Fatal("VM A cannot ping VM B across the Geneve tunnel")
	}
	if out, err := VA.Try("ping", "-c", "5", "-i", "0.2", "-W", "2", "203.0.113.2"); err != nil {
		t.Errorf("ping across the tunnel: %v\n%s", err, out)
	}
	for _, c := range cs {
		out, _ := c.d.In("ovs-appctl", "tnl/neigh/show")
		if !strings.Contains(out, c.remote) || !strings.Contains(out, "br-phy") {
			t.Errorf("%s: tnl/neigh/show has no entry for %s on br-phy:\n%s", c.ns.Name, c.remote, out)
		}
	}
	// TCP both ways through the tunnel.
	srv := startPy(t, VB, "tcp-server", "19380", "10")
	defer srv.Stop()
	if out, err := py(VA, "ready", "19380", "tcp", "203.0.113.2"); err != nil {
		t.Fatalf("tcp server not reachable: %v\n%s", err, out)
	}
	if out, err := py(VA, "tcp-client", "19381", "203.0.113.2", "19380"); err != nil {
		t.Errorf("tcp exchange across the tunnel: %v\n%s", err, out)
	}
	// Port counters: the tunnel port sent and received.
	out, _ := cs[0].d.In("ovs-ofctl", "dump-ports", "br-int", "gnv0")
	if strings.Contains(out, "rx pkts=0") || strings.Contains(out, "tx pkts=0") {
		t.Errorf("gnv0 counters:\n%s", out)
	}
}
