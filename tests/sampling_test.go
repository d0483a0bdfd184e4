package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// samplingFlows is the talk's firewall (examples/firewall) with sample
// actions: every rule that passes a packet logs it to collector set 1 (a
// packet log) and exports it to set 2 (IPFIX), its observation point the
// rule's cookie. (A sample after ct(commit) would log ct_state=0: as in
// OVS, a ct action without a table clears the ct fields.)
var samplingFlows = []string{
	"table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)",
	"table=0,priority=10,arp,actions=NORMAL",
	"table=0,priority=0,actions=drop",
	"table=1,cookie=0x100,priority=100,ip,in_port=1,ct_state=+trk+new,actions=sample(probability=65535,collector_set_id=1,obs_domain_id=1,obs_point_id=256),sample(probability=65535,collector_set_id=2,obs_domain_id=1,obs_point_id=256),ct(commit),output:2",
	"table=1,cookie=0x101,priority=100,ip,ct_state=+trk+est,in_port=1,actions=sample(probability=65535,collector_set_id=1,obs_domain_id=1,obs_point_id=257,ingress),sample(probability=65535,collector_set_id=2,obs_domain_id=1,obs_point_id=257),output:2",
	"table=1,cookie=0x102,priority=100,ip,ct_state=+trk+est,in_port=2,actions=sample(probability=65535,collector_set_id=1,obs_domain_id=1,obs_point_id=258,egress),sample(probability=65535,collector_set_id=2,obs_domain_id=1,obs_point_id=258),output:1",
	"table=1,cookie=0x1ff,priority=1,actions=sample(probability=65535,collector_set_id=1,obs_domain_id=1,obs_point_id=511)",
}

// TestPrivilegedPacketLogAndIPFIX runs real traffic through the sampled
// firewall: tshark must read the packet log with one comment per packet
// naming its rule, nfcapd must store the IPFIX records (nfdump lists the
// flows) and tshark must decode them; `packet-log ID PATH` moves the log.
func TestPrivilegedPacketLogAndIPFIX(t *testing.T) {
	for _, tool := range []string{"tshark", "nfcapd", "nfdump"} {
		if _, err := netns.Try("which", tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "fw.pcapng")
	flowDir := filepath.Join(dir, "nfcapd")
	os.Mkdir(flowDir, 0o755)
	capPath := filepath.Join(dir, "ipfix.pcapng")
	var nfcapd, capture *netns.Proc
	tp := newTopoHook(t, "s7lp", "s7l-p1", "s7l-p2", func(tp *topo) {
		tp.S.Must(t, "ip", "link", "set", "lo", "up")
		nfcapd = tp.S.Start(t, "nfcapd", "-b", "127.0.0.1", "-p", "19801", "-w", flowDir, "-t", "60")
		capture = tp.S.Start(t, "tshark", "-q", "-i", "lo", "-f", "udp port 19801", "-w", capPath)
	}, "--packet-log", "1="+logPath, "--ipfix", "2=127.0.0.1:19801")
	for _, f := range samplingFlows {
		tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", f)
	}
	// tshark's capture must be running before the first export.
	if !netns.Eventually(10*time.Second, func() bool { _, err := os.Stat(capPath); return err == nil }) {
		t.Fatalf("tshark did not start capturing:\n%s", capture.Output())
	}
	time.Sleep(500 * time.Millisecond)
	tp.L.Must(t, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip4R)
	// A datagram from the outside: no connection, the priority-1 rule
	// logs it (set 1 only) and drops it.
	tp.R.Must(t, "sh", "-c", "echo x | timeout 3 nc -u -w1 -p 19802 "+ip4L+" 19803 || true")

	// The packet log: 3 requests (1 new, 2 est) and 3 replies, then the
	// outside datagram.
	var lines []string
	netns.Eventually(10*time.Second, func() bool {
		out, _ := netns.Try("tshark", "-r", logPath, "-T", "fields", "-E", "separator=;",
			"-e", "frame.comment", "-e", "frame.interface_name", "-e", "ip.src", "-e", "ip.dst", "-e", "frame.p2p_dir")
		lines = commentLines(out)
		return len(lines) >= 7
	})
	// frame.p2p_dir is pcapng's epb_flags direction: 1 inbound (ingress),
	// 0 outbound (egress), empty when the action names none.
	want := []string{
		"bridge=br0 table=1 cookie=0x100 in_port=1 ct_state=new|trk ct_zone=0 ct_mark=0x0 ct_label=0x0 collector_set_id=1 obs_domain_id=1 obs_point_id=256;br0;198.51.100.1;198.51.100.2;",
		"bridge=br0 table=1 cookie=0x102 in_port=2 ct_state=est|rpl|trk ct_zone=0 ct_mark=0x0 ct_label=0x0 collector_set_id=1 obs_domain_id=1 obs_point_id=258 direction=egress;br0;198.51.100.2;198.51.100.1;0",
		"bridge=br0 table=1 cookie=0x101 in_port=1 ct_state=est|trk ct_zone=0 ct_mark=0x0 ct_label=0x0 collector_set_id=1 obs_domain_id=1 obs_point_id=257 direction=ingress;br0;198.51.100.1;198.51.100.2;1",
	}
	if len(lines) != 7 {
		t.Fatalf("packet log has %d packets, want 7:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, l := range lines[:6] {
		w := want[0]
		if i%2 == 1 {
			w = want[1]
		} else if i > 0 {
			w = want[2]
		}
		if l != w {
			t.Errorf("packet %d:\n got %s\nwant %s", i+1, l, w)
		}
	}
	if !strings.HasPrefix(lines[6], "bridge=br0 table=1 cookie=0x1ff in_port=2 ct_state=new|trk ") || !strings.Contains(lines[6], "obs_point_id=511;br0;198.51.100.2;198.51.100.1") {
		t.Errorf("outside datagram: %s", lines[6])
	}
	// grep for one rule, as a user would.
	out, _ := netns.Try("sh", "-c", "tshark -r "+logPath+" -T fields -e frame.comment 2>/dev/null | grep -c 'obs_point_id=258'")
	if strings.TrimSpace(out) != "3" {
		t.Errorf("grep obs_point_id=258 counted %q", out)
	}

	// Move the log at run time: later packets go to the new file.
	moved := filepath.Join(dir, "moved.pcapng")
	if got := tp.appctl(t, "packet-log", "1", moved); !strings.Contains(got, moved) {
		t.Fatalf("packet-log answered %q", got)
	}
	tp.L.Must(t, "ping", "-c", "1", "-W", "2", ip4R)
	if !netns.Eventually(10*time.Second, func() bool {
		out, _ := netns.Try("tshark", "-r", moved, "-T", "fields", "-e", "frame.comment")
		return strings.Count(out, "bridge=br0") == 2
	}) {
		out, _ := netns.Try("tshark", "-r", moved, "-T", "fields", "-e", "frame.comment")
		t.Fatalf("moved log:\n%s", out)
	}
	if out, _ := netns.Try("tshark", "-r", logPath, "-T", "fields", "-e", "frame.comment"); strings.Count(out, "bridge=br0") != 7 {
		t.Errorf("old log changed after the move:\n%s", out)
	}
	if _, err := netns.Try("ovs-appctl", "-t", tp.ctl, "packet-log", "x", moved); err == nil {
		t.Error("packet-log with a bad id succeeded")
	}
	show := tp.appctl(t, "show")
	if !strings.Contains(show, "1: packet-log "+moved+" written=2 dropped=0 errors=0") ||
		!strings.Contains(show, "2: ipfix 127.0.0.1:19801 written=8 dropped=0 errors=0") {
		t.Errorf("show:\n%s", show)
	}

	// IPFIX: nfcapd writes its file when it stops; nfdump lists the
	// flows, tshark decodes the captured messages.
	time.Sleep(300 * time.Millisecond)
	capture.Stop()
	nfcapd.Stop()
	files, _ := filepath.Glob(filepath.Join(flowDir, "nfcapd.2*"))
	if len(files) == 0 {
		t.Fatalf("nfcapd wrote no file:\n%s", nfcapd.Output())
	}
	var listing string
	for _, f := range files {
		out, err := netns.Try("nfdump", "-r", f, "-o", "fmt:%pr %sa %da %pkt %byt", "-q")
		if err != nil {
			t.Fatalf("nfdump -r %s: %v\n%s", f, err, out)
		}
		listing += out
	}
	// One record per sampled packet (OVS's flow cache is off by
	// default); nfdump's packet count is the record's packetTotalCount,
	// which follows packetDeltaCount in OVS's template too.
	var in, outside int
	for _, l := range strings.Split(listing, "\n") {
		switch f := strings.Join(strings.Fields(l), " "); {
		case strings.HasPrefix(f, "ICMP 198.51.100.1 198.51.100.2 "):
			in++
		case strings.HasPrefix(f, "ICMP 198.51.100.2 198.51.100.1 "):
			outside++
		}
	}
	if in != 4 || outside != 4 || !strings.Contains(listing, " 8 ") {
		t.Errorf("nfdump lists %d ICMP flows from the inside and %d from the outside, want 4 and 4 (totals up to 8):\n%s", in, outside, listing)
	}
	dec, err := netns.Try("tshark", "-r", capPath, "-d", "udp.port==19801,cflow", "-T", "fields", "-E", "separator=;",
		"-e", "cflow.version", "-e", "cflow.od_id", "-e", "cflow.srcaddr", "-e", "cflow.dstaddr", "-e", "cflow.protocol", "-e", "cflow.observation_point_id")
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, dec)
	}
	if n := strings.Count(dec, "10;1;198.51.100.1;198.51.100.2;1;"); n != 4 || strings.Count(dec, ";258") != 4 {
		t.Errorf("tshark decoded %d IPFIX records of the inside's pings, want 4:\n%s", n, dec)
	}
}

// commentLines keeps tshark's lines that are packets (it also prints a
// warning about running as root).
func commentLines(out string) []string {
	var l []string
	for _, s := range strings.Split(out, "\n") {
		if strings.HasPrefix(s, "bridge=") {
			l = append(l, s)
		}
	}
	return l
}

// TestPrivilegedIPFIXDatabase: in database mode a Flow_Sample_Collector_Set
// with an IPFIX row makes its bridge's sample actions export there, as in
// OVS; nfcapd stores the flows, and removing the row stops the exporter.
func TestPrivilegedIPFIXDatabase(t *testing.T) {
	for _, tool := range []string{"nfcapd", "nfdump"} {
		if _, err := netns.Try("which", tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
	netns.Require(t)
	bin := netns.Bin(t)
	S := netns.New(t, "s7ld-s")
	H1, H2 := netns.New(t, "s7ld-h1"), netns.New(t, "s7ld-h2")
	netns.Veth(t, "h1", H1, "s7l-v1", S)
	netns.Veth(t, "h2", H2, "s7l-v2", S)
	H1.Addr(t, "h1", ip4L+"/24")
	H2.Addr(t, "h2", ip4R+"/24")
	S.Must(t, "ip", "link", "set", "lo", "up")
	flowDir := t.TempDir()
	nfcapd := S.Start(t, "nfcapd", "-b", "127.0.0.1", "-p", "19805", "-w", flowDir, "-t", "60")
	d := startDBSwitch(t, S, bin)
	d.Vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
	d.Vsctl("add-port", "br0", "s7l-v1", "--", "add-port", "br0", "s7l-v2")
	d.Vsctl("--", "--id=@br", "get", "Bridge", "br0", "--", "--id=@i", "create", "IPFIX", `targets="127.0.0.1:19805"`,
		"--", "create", "Flow_Sample_Collector_Set", "id=7", "bridge=@br", "ipfix=@i")
	if out, err := d.In("ovs-ofctl", "add-flow", "br0", "priority=10,ip,actions=sample(probability=65535,collector_set_id=7,obs_domain_id=3,obs_point_id=9),NORMAL"); err != nil {
		t.Fatalf("add-flow: %v\n%s", err, out)
	}
	if !netns.Eventually(10*time.Second, func() bool {
		out, _ := d.In("ovs-appctl", "show")
		return strings.Contains(out, "7: ipfix 127.0.0.1:19805 (bridge br0, database)")
	}) {
		out, _ := d.In("ovs-appctl", "show")
		t.Fatalf("show:\n%s", out)
	}
	H1.Must(t, "ping", "-c", "2", "-i", "0.2", "-W", "2", ip4R)
	if !netns.Eventually(10*time.Second, func() bool {
		out, _ := d.In("ovs-appctl", "show")
		return strings.Contains(out, "(bridge br0, database) written=4 ")
	}) {
		out, _ := d.In("ovs-appctl", "show")
		t.Fatalf("show after the pings:\n%s", out)
	}
	d.Vsctl("destroy", "Flow_Sample_Collector_Set", "7")
	if !netns.Eventually(10*time.Second, func() bool {
		out, _ := d.In("ovs-appctl", "show")
		return !strings.Contains(out, "database)")
	}) {
		out, _ := d.In("ovs-appctl", "show")
		t.Fatalf("show after the row went:\n%s", out)
	}
	nfcapd.Stop()
	files, _ := filepath.Glob(filepath.Join(flowDir, "nfcapd.2*"))
	var listing string
	for _, f := range files {
		out, _ := netns.Try("nfdump", "-r", f, "-o", "fmt:%pr %sa %da", "-q")
		listing += out
	}
	var n int
	for _, l := range strings.Split(listing, "\n") {
		if f := strings.Join(strings.Fields(l), " "); f == "ICMP 198.51.100.1 198.51.100.2" || f == "ICMP 198.51.100.2 198.51.100.1" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("nfdump lists %d ICMP flows, want 4:\n%s\nnfcapd:\n%s", n, listing, nfcapd.Output())
	}
}
