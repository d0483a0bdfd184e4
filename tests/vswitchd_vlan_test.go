package tests

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"gswitch/tests/netns"
)

// TestPrivilegedVswitchdVLANVsOVS: NORMAL with Port tag, trunks and
// vlan_mode set through ovs-vsctl, run with gswitch and with OVS 3.1's
// ovs-vswitchd (same database commands, same hosts): which pings pass must
// be the same, and what ovs-vswitchd.conf.db(5) says. The hosts are
// untagged (this kernel has no 8021q): h1 access VLAN 10, h2 a trunk of
// every VLAN (its untagged frames are VLAN 0), h3 access 20, h4
// native-untagged 10, h6 native-tagged 10 (its frames from the bridge come
// tagged 10, which h6 drops), all in one subnet: only h1 and h4 reach each
// other.
func TestPrivilegedVswitchdVLANVsOVS(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	want := vlanPings(t, bin, "g")
	if strings.Join(want, " ") != "h1-h4:ok h4-h1:ok h1-h3:fail h1-h2:fail h1-h6:fail h2-h3:fail" {
		t.Errorf("gswitch: %v", want)
	}
	if _, err := exec.LookPath("ovs-vswitchd"); err != nil {
		t.Skip("ovs-vswitchd not installed")
	}
	if ovs := vlanPings(t, "ovs-vswitchd", "o"); strings.Join(ovs, " ") != strings.Join(want, " ") {
		t.Errorf("pings differ:\n gswitch %v\n OVS 3.1 %v", want, ovs)
	}
}

// vlanPings builds the hosts and the switch (daemon bin) and pings.
func vlanPings(t *testing.T, bin, tag string) []string {
	S := netns.New(t, "s5x-"+tag+"s")
	h := map[string]*netns.NS{}
	for i, n := range []string{"h1", "h2", "h3", "h4", "h6"} {
		h[n] = netns.New(t, "s5x-"+tag+n)
		netns.Veth(t, n, h[n], "s5x-"+n, S)
		h[n].Addr(t, n, "198.51.100."+strconv.Itoa(i+1)+"/24")
	}
	d := startDBSwitch(t, S, bin)
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
		"--", "add-port", "br0", "s5x-h1", "tag=10",
		"--", "add-port", "br0", "s5x-h2", "vlan_mode=trunk",
		"--", "add-port", "br0", "s5x-h3", "tag=20",
		"--", "add-port", "br0", "s5x-h4", "tag=10", "vlan_mode=native-untagged",
		"--", "add-port", "br0", "s5x-h6", "tag=10", "vlan_mode=native-tagged")
	var res []string
	for _, p := range []struct {
		name, from, to string
		ok             bool
	}{
		{"h1-h4", "h1", "198.51.100.4", true},
		{"h4-h1", "h4", "198.51.100.1", true},
		{"h1-h3", "h1", "198.51.100.3", false},
		{"h1-h2", "h1", "198.51.100.2", false},
		{"h1-h6", "h1", "198.51.100.5", false},
		{"h2-h3", "h2", "198.51.100.3", false},
	} {
		r := "fail"
		if _, err := h[p.from].Try("ping", "-c", "2", "-i", "0.2", "-W", "1", p.to); err == nil {
			r = "ok"
		} else if p.ok {
			// the first ARP may be slow: once more
			if _, err := h[p.from].Try("ping", "-c", "2", "-i", "0.2", "-W", "2", p.to); err == nil {
				r = "ok"
			}
		}
		res = append(res, p.name+":"+r)
	}
	return res
}
