package tests

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// vmRSS is a process's resident set in KiB (/proc/PID/status).
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// udpBlast sends n datagrams of size bytes from ns to dst, as fast as the
// socket takes them (pps 0) or at about pps a second, and returns how long
// it took.
func udpBlast(ns *netns.NS, dst string, n, size, pps int) (time.Duration, error) {
	var c net.Conn
	if err := ns.Do(func() (err error) { c, err = net.Dial("udp", dst); return err }); err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, size)
	start := time.Now()
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint32(buf, uint32(i))
		c.Write(buf) // ENOBUFS and the like are losses, counted at the receiver
		if pps > 0 {
			if d := time.Duration(i+1)*time.Second/time.Duration(pps) - time.Since(start); d > 0 {
				time.Sleep(d)
			}
		}
	}
	return time.Since(start), nil
}

// udpSink counts the datagrams reaching addr in ns until closed.
type udpSink struct {
	pc net.PacketConn
	n  atomic.Int64
}

func newUDPSink(t *testing.T, ns *netns.NS, addr string) *udpSink {
	t.Helper()
	s := &udpSink{}
	if err := ns.Do(func() (err error) { s.pc, err = net.ListenPacket("udp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := s.pc.ReadFrom(buf); err != nil {
				return
			}
			s.n.Add(1)
		}
	}()
	return s
}

// forwardRate sends n datagrams on the normal flow (L to R port 19991) and
// returns how many arrived and the rate at which they were offered.
func forwardRate(t *testing.T, tp *topo, sink *udpSink, n int) (int64, float64) {
	t.Helper()
	before := sink.n.Load()
	d, err := udpBlast(tp.L, ip4R+":19991", n, 512, 0)
	if err != nil {
		t.Fatal(err)
	}
	netns.Eventually(2*time.Second, func() bool { return sink.n.Load()-before >= int64(n) })
	got := sink.n.Load() - before
	return got, float64(got) / d.Seconds()
}

// pacedStream sends n datagrams on the normal flow at about 2000 a second
// and returns how many arrived.
func pacedStream(t *testing.T, tp *topo, sink *udpSink, n int) int64 {
	t.Helper()
	before := sink.n.Load()
	if _, err := udpBlast(tp.L, ip4R+":19991", n, 512, 2000); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(2*time.Second, func() bool { return sink.n.Load()-before >= int64(n) })
	return sink.n.Load() - before
}

// TestPrivilegedStalledController: a controller that connects, asks for
// packet-ins (miss_send_len) and never reads its socket does not stall the
// datapath. Packet-ins for a table-miss flood queue up to the connection's
// bound, the rest are dropped and counted (show, coverage/show); pings and
// a UDP stream on normal output flows keep passing; gswitch's RSS stays
// bounded. The forwarding rates with and without the stalled controller are
// logged (figures, not asserted).
func TestPrivilegedStalledController(t *testing.T) {
	tp := newTopo(t, "s7q", "s7qp1", "s7qp2")
	for _, f := range []string{
		"priority=100,in_port=1,icmp,actions=output:2",
		"priority=100,in_port=2,icmp,actions=output:1",
		"priority=100,in_port=1,udp,tp_dst=19991,actions=output:2",
		"priority=0,actions=CONTROLLER:65535",
	} {
		tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", f)
	}
	sink := newUDPSink(t, tp.R, ip4R+":19991")
	pid := tp.sw.Cmd.Process.Pid
	const n = 20000

	// Without a controller (the table-miss packet-ins go nowhere).
	got0, rate0 := forwardRate(t, tp, sink, n)
	rss0 := vmRSS(t, pid)

	// The stalled controller: HELLO, SET_CONFIG miss_send_len=0xffff (a
	// service connection takes packet-ins only then), then no reading.
	var c net.Conn
	if err := tp.S.Do(func() (err error) { c, err = net.Dial("tcp", "127.0.0.1:6653"); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hello := []byte{4, 0, 0, 8, 0, 0, 0, 1}
	setConfig := []byte{4, 9, 0, 12, 0, 0, 0, 2, 0, 0, 0xff, 0xff}
	if _, err := c.Write(append(hello, setConfig...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)

	// A table-miss flood (UDP to a port no flow matches, 10,000 a second:
	// the controller's queue fills in well under a second) in the
	// background until the measurements end (at most 200,000 datagrams),
	// pings, a paced stream and the unpaced one meanwhile.
	stop := make(chan struct{})
	flood := make(chan error, 1)
	var flooded atomic.Int64
	go func() {
		var err error
		for i := 0; i < 100 && err == nil; i++ {
			select {
			case <-stop:
				flood <- nil
				return
			default:
			}
			_, err = udpBlast(tp.L, ip4R+":19990", 2000, 1000, 10000)
			flooded.Add(2000)
		}
		flood <- err
	}()
	ping, perr := tp.L.Try("ping", "-q", "-c", "100", "-i", "0.01", "-W", "2", ip4R)
	paced := pacedStream(t, tp, sink, 2000)
	got1, rate1 := forwardRate(t, tp, sink, n)
	close(stop)
	if err := <-flood; err != nil {
		t.Fatal(err)
	}
	rss1 := vmRSS(t, pid)

	if paced < 1900 {
		t.Errorf("paced UDP stream (2000 at 2000/s) on a normal flow with a stalled controller: %d delivered (want >= 1900)", paced)
	}
	m := regexp.MustCompile(`(\d+) received`).FindStringSubmatch(ping)
	if m == nil {
		t.Fatalf("ping: %v\n%s", perr, ping)
	}
	if rcv, _ := strconv.Atoi(m[1]); rcv < 95 {
		t.Errorf("pings on a normal flow with a stalled controller: %d of 100 answered (want >= 95)\n%s", rcv, ping)
	}
	show := tp.appctl(t, "show")
	dm := regexp.MustCompile(`OpenFlow queue drops: packet-ins (\d+),`).FindStringSubmatch(show)
	if dm == nil || dm[1] == "0" {
		t.Errorf("no packet-in drops counted:\n%s", show)
	}
	if cov := tp.appctl(t, "coverage/show"); !regexp.MustCompile(`(?m)^rconn_overflow +[1-9]`).MatchString(cov) {
		t.Errorf("coverage lacks rconn_overflow:\n%s", cov)
	}
	// The queue holds at most 16 MiB (the bytes bound) more than before.
	if rss1 > rss0+64<<10 {
		t.Errorf("RSS grew from %d KiB to %d KiB with a stalled controller", rss0, rss1)
	}
	if !strings.Contains(tp.appctl(t, "show"), "OpenFlow connections: 1") {
		t.Errorf("the stalled controller's connection was closed (packet-ins only are dropped)")
	}
	t.Logf("normal UDP flow (%d x 512 B): without a controller %d delivered, %.0f pkt/s offered-and-delivered; "+
		"with a stalled controller during a table-miss flood (%d x 1000 B at 10,000/s): %d delivered, %.0f pkt/s; "+
		"paced 2000 at 2000/s: %d delivered; pings %s of 100; packet-ins dropped %s; RSS %d -> %d KiB",
		n, got0, rate0, flooded.Load(), got1, rate1, paced, m[1], dm[1], rss0, rss1)
}
