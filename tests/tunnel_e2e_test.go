package tests

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// TestPrivilegedTunnelTwoChassis runs two chassis, each a namespace
// with the switch daemon in database mode: br-int holds a VM's veth and a
// Geneve port (remote_ip the other chassis, key=flow), br-phy holds the
// underlay address on its LOCAL port and a veth to the other chassis, both
// bridges NORMAL. The VMs ping (IPv4 and IPv6) and talk TCP across the tunnel: the first
// packet finds no neighbour (an ARP request goes out of br-phy, its reply
// is snooped), later ones are encapsulated, recognized on the other side
// and decapsulated into its br-int; then the same with VXLAN ports. The
// same is run with OVS 3.1's
// ovs-vswitchd: the results, the ports' descriptions and every distinct
// frame header seen on the underlay (outer headers, the inner Ethernet and
// IP header) must be the same.
func TestPrivilegedTunnelTwoChassis(t *testing.T) {
	netns.Require(t)
	for _, typ := range []string{"geneve", "vxlan"} {
		t.Run(typ, func(t *testing.T) {
			bin := netns.Bin(t)
			got := tunnelTwoChassis(t, bin, typ, "g"+typ[:1])
			for _, want := range []string{"ping=ok", "ping6=ok", "tcp=ok", "neigh-a=198.51.100.2 br-phy", "neigh-b=198.51.100.1 br-phy"} {
				if !strings.Contains(strings.Join(got, "\n"), want) {
					t.Errorf("gswitch: no %q in\n%s", want, strings.Join(got, "\n"))
				}
			}
			t.Logf("gswitch:\n%s", strings.Join(got, "\n"))
			if _, err := exec.LookPath("ovs-vswitchd"); err != nil {
				t.Skip("ovs-vswitchd not installed")
			}
			want := tunnelTwoChassis(t, "ovs-vswitchd", typ, "o"+typ[:1])
			// ARP frames on the underlay are left out of the comparison: which
			// chassis resolves first, whether the kernel's underlay veth answers
			// too, and whether tcpdump is already capturing then, all follow
			// timing (a CI run saw OVS's capture without any). The ARP request
			// sent on a miss is compared byte for byte by tunnel/underlay's
			// TestMissFramesVsOVS, and the neighbours learned are compared here.
			if d := lineDiff(strings.Join(withoutARP(want), "\n"), strings.Join(withoutARP(got), "\n")); d != "" {
				t.Errorf("gswitch differs from OVS 3.1 (- OVS, + gswitch):\n%s", d)
			}
		})
	}
}

// withoutARP returns lines without the "arp ..." underlay frames.
func withoutARP(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if !strings.HasPrefix(l, "arp ") {
			out = append(out, l)
		}
	}
	return out
}

var reOFPortAddr = regexp.MustCompile(`addr:[0-9a-f:]{17}`)

// tunnelTwoChassis builds the two chassis (namespaces tagged tag, tunnel
// ports of type typ) with daemon bin, runs the traffic and returns what is
// compared.
func tunnelTwoChassis(t *testing.T, bin, typ, tag string) []string {
	const tcpPort = "19380" // the same in both runs: the outer UDP source port hashes it
	p := "s6t-" + tag
	CA, CB := netns.New(t, p+"ca"), netns.New(t, p+"cb")
	VA, VB := netns.New(t, p+"va"), netns.New(t, p+"vb")
	for _, n := range []*netns.NS{CA, CB, VA, VB} {
		// No IPv6 chatter (router solicitations, MLD) on any link.
		n.Must(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	vma, vmb, ua, ub := p+"vma", p+"vmb", p+"ua", p+"ub"
	netns.Veth(t, "eth0", VA, vma, CA)
	netns.Veth(t, "eth0", VB, vmb, CB)
	netns.Veth(t, ua, CA, ub, CB)
	// Fixed addresses: the kernel answers ARP on the underlay veth too.
	CA.Must(t, "ip", "link", "set", ua, "address", "02:00:00:00:00:c1")
	CB.Must(t, "ip", "link", "set", ub, "address", "02:00:00:00:00:c2")
	for i, vm := range []*netns.NS{VA, VB} {
		vm.Must(t, "ip", "link", "set", "eth0", "mtu", "1400", "address", []string{"02:00:00:00:01:01", "02:00:00:00:01:02"}[i])
		// No offloads: tunnel ports encapsulate wire frames only.
		vm.Try("ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off")
		vm.Addr(t, "eth0", []string{"203.0.113.1/24", "203.0.113.2/24"}[i])
		vm.Must(t, "sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=0")
		vm.Addr(t, "eth0", []string{"2001:db8:1::1/64", "2001:db8:1::2/64"}[i])
	}
	type chassis struct {
		ns     *netns.NS
		d      *dbSwitch
		vm, ul string
		addr   string
		remote string
		hw     string
	}
	cs := []*chassis{
		{ns: CA, vm: vma, ul: ua, addr: "198.51.100.1/24", remote: "198.51.100.2", hw: "02:00:00:00:00:a1"},
		{ns: CB, vm: vmb, ul: ub, addr: "198.51.100.2/24", remote: "198.51.100.1", hw: "02:00:00:00:00:a2"},
	}
	var res []string
	for _, c := range cs {
		c.d = startDBSwitch(t, c.ns, bin)
		c.d.Vsctl("add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev",
			"--", "add-port", "br-int", c.vm, "--", "set", "interface", c.vm, "ofport_request=1",
			"--", "add-port", "br-int", "gnv0", "--", "set", "interface", "gnv0", "type="+typ, "ofport_request=2",
			"options:remote_ip="+c.remote, "options:key=flow",
			"--", "add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev",
			"other-config:hwaddr=\""+c.hw+"\"",
			"--", "add-port", "br-phy", c.ul)
		if !netns.Eventually(5*time.Second, func() bool { _, err := c.ns.Try("ip", "link", "show", "br-phy"); return err == nil }) {
			t.Fatalf("%s: no br-phy device", bin)
		}
		c.ns.Must(t, "ip", "link", "set", "br-phy", "up")
		c.ns.Must(t, "ip", "addr", "add", c.addr, "dev", "br-phy")
		res = append(res, "gnv0 ofport="+c.d.Vsctl("get", "interface", "gnv0", "ofport")+" error="+c.d.Vsctl("get", "interface", "gnv0", "error"))
	}
	// A tunnel interface OVS refuses gets OVS's error and no port.
	cs[0].d.Vsctl("add-port", "br-int", "gnv9", "--", "set", "interface", "gnv9", "type="+typ)
	res = append(res, "gnv9 ofport="+cs[0].d.Vsctl("get", "interface", "gnv9", "ofport")+" error="+cs[0].d.Vsctl("get", "interface", "gnv9", "error"))
	cs[0].d.Vsctl("del-port", "gnv9")
	if out, err := cs[0].d.In("ovs-ofctl", "dump-ports-desc", "br-int"); err == nil {
		out = strings.ReplaceAll(reOFPortAddr.ReplaceAllString(strings.TrimSpace(out), "addr:X"), p, "s6t-X")
		res = append(res, "br-int ports:\n"+out)
	} else {
		t.Errorf("%s: dump-ports-desc: %v\n%s", bin, err, out)
	}

	pcap := filepath.Join(t.TempDir(), "underlay.pcap")
	dump := CB.Start(t, "tcpdump", "-i", ub, "-U", "--immediate-mode", "-n", "-s", "200", "-w", pcap)
	netns.Eventually(5*time.Second, func() bool { _, err := os.Stat(pcap); return err == nil })
	time.Sleep(300 * time.Millisecond)

	ping := func() bool {
		_, err := VA.Try("ping", "-c", "1", "-W", "1", "203.0.113.2")
		return err == nil
	}
	// The first pings resolve the remote chassis (ARP out of br-phy).
	if !netns.Eventually(15*time.Second, ping) {
		for _, c := range cs {
			out, _ := c.d.In("ovs-appctl", "tnl/neigh/show")
			fl, _ := c.d.In("ovs-ofctl", "dump-ports", "br-int")
			t.Logf("%s %s: tnl/neigh/show:\n%s\nbr-int ports:\n%s", bin, c.ns.Name, out, fl)
		}
		t.Fatalf("%s: VM A cannot ping VM B across the Geneve tunnel", bin)
	}
	if out, err := VA.Try("ping", "-c", "3", "-i", "0.2", "-W", "2", "203.0.113.2"); err != nil {
		t.Errorf("%s: ping across the tunnel: %v\n%s", bin, err, out)
	} else {
		res = append(res, "ping=ok")
	}
	// IPv6 inside the tunnel.
	if !netns.Eventually(10*time.Second, func() bool {
		_, err := VA.Try("ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2")
		return err == nil
	}) {
		t.Errorf("%s: no IPv6 ping across the tunnel", bin)
	} else if out, err := VA.Try("ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "2001:db8:1::2"); err != nil {
		t.Errorf("%s: IPv6 ping across the tunnel: %v\n%s", bin, err, out)
	} else {
		res = append(res, "ping6=ok")
	}
	for i, c := range cs {
		out, _ := c.d.In("ovs-appctl", "tnl/neigh/show")
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == c.remote {
				res = append(res, "neigh-"+[]string{"a", "b"}[i]+"="+f[0]+" "+f[2])
			}
		}
	}
	// TCP through the tunnel (fixed ports: the outer UDP source port is
	// the inner 5-tuple's hash).
	srv := startPy(t, VB, "tcp-server", tcpPort, "10")
	defer srv.Stop()
	if out, err := py(VA, "ready", tcpPort, "tcp", "203.0.113.2"); err != nil {
		t.Fatalf("%s: tcp server not reachable: %v\n%s", bin, err, out)
	}
	if out, err := py(VA, "tcp-client", strconv.Itoa(tcpClientPort), "203.0.113.2", tcpPort); err != nil {
		t.Errorf("%s: tcp exchange across the tunnel: %v\n%s", bin, err, out)
	} else {
		res = append(res, "tcp=ok")
	}
	time.Sleep(time.Second)
	dump.Stop()
	frames, err := underlayFrames(pcap)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return append(res, frames...)
}

// tcpClientPort is the TCP client's fixed source port.
const tcpClientPort = 19399

// underlayFrames reads a pcap file and returns its distinct frame headers,
// sorted: ARP frames whole; Geneve and VXLAN frames as the outer Ethernet,
// IPv4, UDP and Geneve/VXLAN headers (8 bytes each), then the inner Ethernet header and the inner ARP or
// IPv4 header with its id and checksum left out (they vary with the run);
// TCP only of the connection from tcpClientPort; inner IPv6 only ICMPv6
// echo requests and replies, without the flow label.
func underlayFrames(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	if len(b) < 24 {
		return nil, nil
	}
	for off := 24; off+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		f := b[off+16 : min(off+16+n, len(b))]
		off += 16 + n
		if len(f) < 14 {
			continue
		}
		var s string
		switch {
		case f[12] == 0x08 && f[13] == 0x06:
			s = "arp " + hex.EncodeToString(f[:min(len(f), 42)])
		case f[12] == 0x08 && f[13] == 0x00 && len(f) >= 50+14 && f[23] == 17:
			s = "udp " + hex.EncodeToString(f[:50]) + " | " + hex.EncodeToString(f[50:64])
			in := f[64:]
			switch {
			case f[62] == 0x08 && f[63] == 0x06 && len(in) >= 28:
				s += " " + hex.EncodeToString(in[:28])
			case f[62] == 0x86 && f[63] == 0xdd:
				if len(in) < 41 || in[6] != 58 || (in[40] != 128 && in[40] != 129) {
					continue // only echo requests and replies: ND and MLD come as timing has it
				}
				// Payload length, next header, hop limit and the
				// addresses (the flow label is the sender's choice).
				s += " " + hex.EncodeToString(in[4:40]) + " " + hex.EncodeToString(in[40:42])
			case f[62] == 0x08 && f[63] == 0x00 && len(in) >= 24:
				if in[9] == 6 && binary.BigEndian.Uint16(in[20:]) != tcpClientPort && binary.BigEndian.Uint16(in[22:]) != tcpClientPort {
					continue // traffic.py ready's probe, from an ephemeral port
				}
				s += " " + hex.EncodeToString(in[:4]) + "...." + hex.EncodeToString(in[6:10]) + "...." + hex.EncodeToString(in[12:20])
			}
		default:
			s = "other " + hex.EncodeToString(f[:14])
		}
		seen[s] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}
