package tests

import (
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// bulkPy sends or receives a bulk TCP stream and prints its length and
// SHA-256: "recv PORT" (one connection, IPv4 or IPv6), "send ADDR PORT N"
// (N bytes of a fixed pseudo-random stream).
const bulkPy = `
import hashlib, random, socket, sys
a = sys.argv[1:]
if a[0] == "recv":
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(a[1])))
    s.listen(1)
    s.settimeout(40)
    c, _ = s.accept()
    c.settimeout(40)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest(), flush=True)
else:
    fam = socket.AF_INET6 if ":" in a[1] else socket.AF_INET
    c = socket.create_connection((a[1], int(a[2])), timeout=40)
    r = random.Random(13)
    h, n, total = hashlib.sha256(), 0, int(a[3])
    while n < total:
        b = r.randbytes(min(1 << 18, total - n))
        c.sendall(b)
        h.update(b)
        n += len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    print(n, h.hexdigest(), flush=True)
`

// TestPrivilegedTunnelTCPOffloads: two chassis as in
// TestPrivilegedTunnelTwoChassis (gswitch in database mode, br-int with a
// VM's veth and a Geneve port, br-phy with the underlay), but the VMs keep
// the kernel's default offloads (TSO, GSO, checksum offload), so gswitch
// gets GSO super-frames and partial checksums on br-int and must segment
// and checksum them before encapsulation. A TCP stream of 24 MiB each way,
// over IPv4 and over IPv6 inside the tunnel, arrives whole (length and
// SHA-256 the same), within 40 s each. OVS 3.1 drops such frames
// ("Tunneling packets with HW offload flags is not supported"), so there
// is nothing to compare with.
func TestPrivilegedTunnelTCPOffloads(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	const p = "s7s-to"
	CA, CB := netns.New(t, p+"ca"), netns.New(t, p+"cb")
	VA, VB := netns.New(t, p+"va"), netns.New(t, p+"vb")
	for _, n := range []*netns.NS{CA, CB} {
		n.Must(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	vma, vmb, ua, ub := p+"vma", p+"vmb", p+"ua", p+"ub"
	netns.Veth(t, "eth0", VA, vma, CA)
	netns.Veth(t, "eth0", VB, vmb, CB)
	netns.Veth(t, ua, CA, ub, CB)
	for i, vm := range []*netns.NS{VA, VB} {
		// The inner MTU leaves room for 50 bytes of Geneve over IPv4.
		vm.Must(t, "ip", "link", "set", "eth0", "mtu", "1400")
		vm.Addr(t, "eth0", []string{"203.0.113.1/24", "203.0.113.2/24"}[i])
		vm.Addr(t, "eth0", []string{"2001:db8:1::1/64", "2001:db8:1::2/64"}[i])
		out := vm.Must(t, "ethtool", "-k", "eth0")
		if !strings.Contains(out, "tcp-segmentation-offload: on") || !strings.Contains(out, "tx-checksumming: on") {
			t.Fatalf("the VM's veth has not the default offloads:\n%s", out)
		}
	}
	type chassis struct {
		ns             *netns.NS
		vm, ul, addr   string
		remote, hwaddr string
	}
	cs := []chassis{
		{CA, vma, ua, "198.51.100.1/24", "198.51.100.2", "02:00:00:00:00:a1"},
		{CB, vmb, ub, "198.51.100.2/24", "198.51.100.1", "02:00:00:00:00:a2"},
	}
	for _, c := range cs {
		d := startDBSwitch(t, c.ns, bin)
		d.Vsctl("add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev",
			"--", "add-port", "br-int", c.vm, "--", "set", "interface", c.vm, "ofport_request=1",
			"--", "add-port", "br-int", "gnv0", "--", "set", "interface", "gnv0", "type=geneve", "ofport_request=2",
			"options:remote_ip="+c.remote, "options:key=flow",
			"--", "add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev",
			"other-config:hwaddr=\""+c.hwaddr+"\"",
			"--", "add-port", "br-phy", c.ul)
		if !netns.Eventually(5*time.Second, func() bool { _, err := c.ns.Try("ip", "link", "show", "br-phy"); return err == nil }) {
			t.Fatal("no br-phy device")
		}
		c.ns.Must(t, "ip", "link", "set", "br-phy", "up")
		c.ns.Must(t, "ip", "addr", "add", c.addr, "dev", "br-phy")
	}
	if !netns.Eventually(15*time.Second, func() bool {
		_, err := VA.Try("ping", "-c", "1", "-W", "1", "203.0.113.2")
		return err == nil
	}) {
		t.Fatal("VM A cannot ping VM B across the Geneve tunnel")
	}
	if !netns.Eventually(10*time.Second, func() bool {
		_, err := VA.Try("ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2")
		return err == nil
	}) {
		t.Fatal("VM A cannot ping VM B over IPv6 across the Geneve tunnel")
	}
	const size = "25165824"
	port := 19660
	for _, dir := range []struct {
		name       string
		from, to   *netns.NS
		dst4, dst6 string
	}{{"a-to-b", VA, VB, "203.0.113.2", "2001:db8:1::2"}, {"b-to-a", VB, VA, "203.0.113.1", "2001:db8:1::1"}} {
		for _, dst := range []string{dir.dst4, dir.dst6} {
			port++
			srv := dir.to.Start(t, "timeout", "45", "python3", "-c", bulkPy, "recv", itoa(port))
			ok := netns.Eventually(5*time.Second, func() bool {
				out, _ := dir.to.Try("ss", "-Hltn", "sport = :"+itoa(port))
				return strings.Contains(out, "LISTEN")
			})
			if !ok {
				srv.Stop()
				t.Fatalf("%s %s: the receiver does not listen", dir.name, dst)
			}
			start := time.Now()
			sent, err := dir.from.Try("timeout", "45", "python3", "-c", bulkPy, "send", dst, itoa(port), size)
			if err != nil {
				srv.Stop()
				t.Fatalf("%s %s: send: %v\n%s", dir.name, dst, err, sent)
			}
			netns.Eventually(5*time.Second, srv.Exited)
			srv.Stop()
			got := strings.TrimSpace(srv.Output())
			sent = strings.TrimSpace(sent)
			if got != sent || !strings.HasPrefix(sent, size+" ") {
				t.Errorf("%s %s: sent %q, received %q", dir.name, dst, sent, got)
			} else {
				t.Logf("%s %s: %s bytes intact in %v", dir.name, dst, size, time.Since(start).Round(time.Millisecond))
			}
		}
	}
}
