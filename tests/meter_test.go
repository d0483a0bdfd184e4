package tests

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// rxCounter reads a statistics counter of dev in ns.
func rxCounter(t *testing.T, ns *netns.NS, dev, name string) uint64 {
	t.Helper()
	out := ns.Must(t, "cat", "/sys/class/net/"+dev+"/statistics/"+name)
	n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("%s %s: %q", dev, name, out)
	}
	return n
}

// floodUDP sends UDP datagrams of size bytes from the left host to the
// right host's port for d, perBurst of them every millisecond (bounded:
// at most d/1ms bursts), with IP TOS byte tos, and returns how many it sent
// and for how long.
func floodUDP(t *testing.T, tp *topo, port, size, perBurst, tos int, d time.Duration) (sent int, took time.Duration) {
	t.Helper()
	err := tp.L.Do(func() error {
		c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip4L), Port: 20001},
			&net.UDPAddr{IP: net.ParseIP(ip4R), Port: port})
		if err != nil {
			return err
		}
		defer c.Close()
		if tos != 0 {
			rc, err := c.SyscallConn()
			if err != nil {
				return err
			}
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, tos)
			}); err != nil {
				return err
			}
			if serr != nil {
				return serr
			}
		}
		buf := make([]byte, size)
		start := time.Now()
		for i := 0; i < int(d/time.Millisecond) && time.Since(start) < d; i++ {
			for range perBurst {
				if _, err := c.Write(buf); err == nil {
					sent++
				}
			}
			time.Sleep(time.Millisecond)
		}
		took = time.Since(start)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent, took
}

// TestPrivilegedMeterRate sends more UDP than a meter's band allows
// through gswitch between veth pairs and measures what reaches the other
// side against the band's rate: a pktps band (2000 packets/s, burst 200)
// and a kbps band (10000 kbit/s, burst 1000 kbit). Expected: rate x the
// sending time + the burst, at most 3 % more (the sending time is measured
// by the sender) and at most 10 % less (the bursts absorb the sender's
// gaps up to 100 ms; a longer one on a loaded machine loses tokens).
func TestPrivilegedMeterRate(t *testing.T) {
	tp := newTopo(t, "g11q", "g11q-p1", "g11q-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-meter", "meter=1 pktps burst stats bands=type=drop rate=2000 burst_size=200")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-meter", "meter=2 kbps burst stats bands=type=drop rate=10000 burst_size=1000")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "priority=10,udp,in_port=1,tp_dst=7001,actions=meter:1,output:2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "priority=10,udp,in_port=1,tp_dst=7002,actions=meter:2,output:2")

	check := func(name string, got, want float64) {
		t.Helper()
		t.Logf("%s: passed %.0f, band allows %.0f (%.1f %%)", name, got, want, 100*got/want)
		if got > 1.03*want || got < 0.90*want {
			t.Errorf("%s: passed %.0f, want %.0f (-10 %%, +3 %%)", name, got, want)
		}
	}

	// pktps: 12 packets every millisecond or so offered for 2 s
	before := rxCounter(t, tp.R, "r1", "rx_packets")
	sent, took := floodUDP(t, tp, 7001, 64, 12, 0, 2*time.Second)
	time.Sleep(200 * time.Millisecond)
	passed := rxCounter(t, tp.R, "r1", "rx_packets") - before
	if float64(sent) < 1.5*2000*took.Seconds() {
		t.Skipf("offered only %d packets in %v: the machine is too busy to measure", sent, took)
	}
	check("pktps 2000", float64(passed), 2000*took.Seconds()+200)
	st := tp.mustOfctl(t, "-O", "OpenFlow13", "meter-stats", "meter=1")
	if !strings.Contains(st, fmt.Sprintf("packet_in_count:%d ", sent)) {
		t.Logf("meter-stats (sent %d):\n%s", sent, st)
	}

	// kbps: 1000-byte datagrams (1042-byte frames, 8336 bits), 3 a
	// millisecond or so for 2 s
	beforeB := rxCounter(t, tp.R, "r1", "rx_bytes")
	sent, took = floodUDP(t, tp, 7002, 1000, 6, 0, 2*time.Second)
	time.Sleep(200 * time.Millisecond)
	bits := float64(rxCounter(t, tp.R, "r1", "rx_bytes")-beforeB) * 8
	if float64(sent)*8336 < 1.5*10e6*took.Seconds() {
		t.Skipf("offered only %d datagrams in %v: the machine is too busy to measure", sent, took)
	}
	check("kbps 10000 (bits)", bits, 10e6*took.Seconds()+1000e3)
}

// TestPrivilegedMeterDSCPRemark offers more IPv4 UDP with DSCP AF21 (18)
// than a dscp_remark band's rate (1000 packets/s, no burst flag: a bucket
// of one second of the rate) and counts, as os-ken's switch tester does,
// what leaves with DSCP 18 and with the remarked AF22 (20) in the flows of
// the next table. All of it passes; DSCP 18 keeps rate x the sending time +
// the bucket (at most 3 % more, at most 10 % less, as TestPrivilegedMeterRate)
// and the rest is remarked. (OVS 3.1's userspace datapath refuses the band:
// nothing to compare with; the arithmetic is its drop band's.)
func TestPrivilegedMeterDSCPRemark(t *testing.T) {
	tp := newTopo(t, "s5m", "s5m-p1", "s5m-p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-meter", "meter=3 pktps stats bands=type=dscp_remark rate=1000 prec_level=1")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "priority=10,udp,in_port=1,tp_dst=7003,actions=meter:3,goto_table:1")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=1,cookie=0x12,ip,ip_dscp=18,actions=output:2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", "table=1,cookie=0x14,ip,ip_dscp=20,actions=output:2")

	sent, took := floodUDP(t, tp, 7003, 64, 3, 18<<2, 2*time.Second)
	time.Sleep(200 * time.Millisecond)
	if float64(sent) < 1.5*1000*took.Seconds() {
		t.Skipf("offered only %d packets in %v: the machine is too busy to measure", sent, took)
	}
	count := func(cookie string) float64 {
		out := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "cookie="+cookie+"/-1")
		i := strings.Index(out, "n_packets=")
		if i < 0 {
			t.Fatalf("no n_packets in %q", out)
		}
		n, err := strconv.ParseUint(strings.TrimRight(strings.Fields(out[i+len("n_packets="):])[0], ","), 10, 64)
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return float64(n)
	}
	kept, remarked := count("0x12"), count("0x14")
	want := 1000*took.Seconds() + 1000
	t.Logf("sent %d in %v: DSCP 18 %.0f (band allows %.0f), remarked to 20 %.0f", sent, took, kept, want, remarked)
	if kept > 1.03*want || kept < 0.90*want {
		t.Errorf("DSCP 18: %.0f, want %.0f (-10 %%, +3 %%)", kept, want)
	}
	if int(kept+remarked) != sent {
		t.Errorf("DSCP 18 %.0f + remarked %.0f = %.0f, want every packet sent (%d)", kept, remarked, kept+remarked, sent)
	}
}
