package tests

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gswitch/tests/netns"
)

// Ports of the flood tests (this file's range: 19950-19979).
const (
	floodLegitPort = 19950 // the legitimate TCP service (zone 8)
	floodSYNPort   = 19951 // the flooded TCP service (zone 7)
)

// procStatusKB returns a "kB" field (VmRSS, VmHWM) of /proc/PID/status.
func procStatusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("gswitch status: %v", err)
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no %s in /proc/%d/status", field, pid)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// switchPID is gswitch's PID: `ip netns exec` and `env` exec it in place.
func switchPID(t *testing.T, tp *topo) int {
	t.Helper()
	pid := tp.sw.Cmd.Process.Pid
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "gswitch" {
		t.Fatalf("process %d is %q (%v), not gswitch", pid, comm, err)
	}
	return pid
}

// zoneCount returns the count ct-get-limits prints for zone (and its limit).
func zoneCount(t *testing.T, tp *topo, zone int) (count, limit int) {
	t.Helper()
	out := tp.appctl(t, "dpctl/ct-get-limits", fmt.Sprintf("zone=%d", zone))
	m := regexp.MustCompile(fmt.Sprintf(`zone=%d,limit=(\d+),count=(\d+)`, zone)).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ct-get-limits zone=%d: %q", zone, out)
	}
	limit, _ = strconv.Atoi(m[1])
	count, _ = strconv.Atoi(m[2])
	return count, limit
}

// rawSocket opens an AF_PACKET socket bound to dev in ns; closed at cleanup.
func rawSocket(t *testing.T, ns *netns.NS, dev string) (fd int, to *unix.SockaddrLinklayer) {
	t.Helper()
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		to = &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
		return nil
	})
	if err != nil {
		t.Fatalf("raw socket on %s in %s: %v", dev, ns.Name, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, to
}

// csum16 is the Internet checksum of b folded onto sum.
func csum16(sum uint32, b []byte) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// ethIPv4 returns an Ethernet + IPv4 frame (left host to right host MACs)
// around payload, with the given protocol, id and fragment field.
func ethIPv4(src, dst net.IP, proto byte, id, fragField uint16, payload []byte) []byte {
	f := make([]byte, 14+20+len(payload))
	copy(f[0:6], []byte{2, 0, 0, 0, 2, 1})
	copy(f[6:12], []byte{2, 0, 0, 0, 1, 1})
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], id)
	binary.BigEndian.PutUint16(ip[6:], fragField)
	ip[8] = 64
	ip[9] = proto
	copy(ip[12:16], src.To4())
	copy(ip[16:20], dst.To4())
	binary.BigEndian.PutUint16(ip[10:], csum16(0, ip))
	copy(f[34:], payload)
	return f
}

// l4Csum sets the TCP/UDP checksum at off of seg (pseudo-header included).
func l4Csum(src, dst net.IP, proto byte, seg []byte, off int) {
	var sum uint32
	for _, a := range [][]byte{src.To4(), dst.To4()} {
		sum += (uint32(a[0])<<8 | uint32(a[1])) + (uint32(a[2])<<8 | uint32(a[3]))
	}
	sum += uint32(proto) + uint32(len(seg))
	binary.BigEndian.PutUint16(seg[off:], 0)
	binary.BigEndian.PutUint16(seg[off:], csum16(sum, seg))
}

// synFrame is a TCP SYN from src:sport to dst:dport.
func synFrame(src, dst net.IP, sport, dport uint16, seq uint32) []byte {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = 0x02 // SYN
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	l4Csum(src, dst, 6, tcp, 16)
	return ethIPv4(src, dst, 6, uint16(seq), 0x4000, tcp)
}

// echoServer listens on TCP port in ns and echoes one line per connection.
func echoServer(t *testing.T, ns *netns.NS, port int) {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		t.Fatalf("listen %d in %s: %v", port, ns.Name, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					c.Write([]byte(line))
				}
			}()
		}
	}()
}

// legitExchange opens a TCP connection from ns to addr, sends a line and
// waits for its echo (15 s at most: lost SYNs are retransmitted).
func legitExchange(ns *netns.NS, addr string, i int) error {
	return ns.Do(func() error {
		c, err := net.DialTimeout("tcp4", addr, 15*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(15 * time.Second))
		msg := fmt.Sprintf("legitimate %d\n", i)
		if _, err := c.Write([]byte(msg)); err != nil {
			return err
		}
		got, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		if got != msg {
			return fmt.Errorf("echo %q, want %q", got, msg)
		}
		return nil
	})
}

// floodResult is what floodWithLegit measured.
type floodResult struct {
	sent, sendErrs int
	dur            time.Duration
	ok, fail       int // legitimate connections
	during         int // legitimate connections started while the flood ran
	fails          []string
}

// floodWithLegit sends frames on the raw socket fd (20 s at most) while
// workers clients open legitimate connections to legitAddr from the left
// host (at least legitN in all, and on until the flood ends), and calls
// watch every 50 ms on the test's goroutine while the flood runs.
func floodWithLegit(tp *topo, fd int, to *unix.SockaddrLinklayer, frames [][]byte, legitAddr string, legitN, workers int, watch func()) floodResult {
	var r floodResult
	var floodDone atomic.Bool
	floodEnd := make(chan struct{})
	go func() {
		defer close(floodEnd)
		defer floodDone.Store(true)
		start := time.Now()
		deadline := start.Add(20 * time.Second)
		for i := 0; i < len(frames) && time.Now().Before(deadline); i++ {
			if err := unix.Sendto(fd, frames[i], 0, to); err != nil {
				r.sendErrs++
				time.Sleep(time.Millisecond) // a full queue: let it drain
				continue
			}
			r.sent++
		}
		r.dur = time.Since(start)
	}()

	var ok, fail, during, next atomic.Int32
	var failMu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				running := !floodDone.Load()
				if !running && i >= legitN {
					return
				}
				if running {
					during.Add(1)
				}
				if err := legitExchange(tp.L, legitAddr, i); err != nil {
					fail.Add(1)
					failMu.Lock()
					r.fails = append(r.fails, fmt.Sprintf("%d: %v", i, err))
					failMu.Unlock()
					continue
				}
				ok.Add(1)
			}
		}()
	}
	for !floodDone.Load() {
		if watch != nil {
			watch()
		}
		time.Sleep(50 * time.Millisecond)
	}
	<-floodEnd
	wg.Wait()
	r.ok, r.fail, r.during = int(ok.Load()), int(fail.Load()), int(during.Load())
	return r
}

// legitBefore starts the legitimate clients' echo server on the right,
// checks one exchange through the switch before any flood, and returns the
// switch's PID and the server's address.
func legitBefore(t *testing.T, tp *topo) (pid int, legitAddr string) {
	t.Helper()
	echoServer(t, tp.R, floodLegitPort)
	pid = switchPID(t, tp)
	legitAddr = net.JoinHostPort(ip4R, strconv.Itoa(floodLegitPort))
	if err := legitExchange(tp.L, legitAddr, -1); err != nil {
		t.Fatalf("legitimate connection before the flood: %v", err)
	}
	return pid, legitAddr
}

// TestPrivilegedFloodSYN: a bounded SYN flood (random sources in
// 203.0.113.0/24, random ports) against zone 7's limit while legitimate TCP
// connections open and exchange a line in zone 8. Zone 7's count never
// passes its limit, every legitimate connection succeeds, and gswitch's
// memory stays bounded. Rates and RSS are logged, never asserted. The
// sender is an AF_PACKET socket in the left namespace (100,000 distinct
// SYNs, 20 s at most).
func TestPrivilegedFloodSYN(t *testing.T) {
	const (
		synLimit     = 1000
		legitLimit   = 1000
		floodN       = 100000
		legitN       = 100
		legitWorkers = 10
	)
	tp := newTopo(t, "s7f-syn", "s7fsyn1", "s7fsyn2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", filepath.Join("testdata", "flood.flows"))
	tp.appctl(t, "dpctl/ct-set-limits", fmt.Sprintf("zone=7,limit=%d", synLimit), fmt.Sprintf("zone=8,limit=%d", legitLimit))
	pid, legitAddr := legitBefore(t, tp)
	rssBefore := procStatusKB(t, pid, "VmRSS")

	fd, to := rawSocket(t, tp.L, "l1")
	dst := net.ParseIP(ip4R)
	rng := rand.New(rand.NewSource(1))
	frames := make([][]byte, floodN)
	for i := range frames {
		src := net.IPv4(203, 0, 113, byte(1+rng.Intn(254)))
		frames[i] = synFrame(src, dst, uint16(1024+rng.Intn(64000)), floodSYNPort, rng.Uint32())
	}

	maxCount, polls := 0, 0
	fr := floodWithLegit(tp, fd, to, frames, legitAddr, legitN, legitWorkers, func() {
		c, _ := zoneCount(t, tp, 7)
		polls++
		if c > maxCount {
			maxCount = c
		}
	})
	sent, sendErrs, floodTime := fr.sent, fr.sendErrs, fr.dur
	c7, l7 := zoneCount(t, tp, 7)
	c8, l8 := zoneCount(t, tp, 8)
	if c7 > maxCount {
		maxCount = c7
	}
	dump7 := strings.Count(tp.appctl(t, "dpctl/dump-conntrack", "zone=7"), "\n")
	rssAfter := procStatusKB(t, pid, "VmRSS")
	hwm := procStatusKB(t, pid, "VmHWM")
	rate := float64(sent) / floodTime.Seconds()
	t.Logf("SYN flood: %d SYNs offered in %v (%.0f/s, %d send errors), zone 7 limit %d: max count seen %d (%d polls), final %d, dump-conntrack %d; "+
		"legitimate in zone 8 (limit %d, count %d): %d/%d succeeded (%d started during the flood); gswitch RSS %d kB before, %d kB after, peak %d kB",
		sent, floodTime.Round(time.Millisecond), rate, sendErrs, l7, maxCount, polls, c7, dump7, l8, c8, fr.ok, fr.ok+fr.fail, fr.during, rssBefore, rssAfter, hwm)

	if tp.sw.Exited() {
		t.Fatalf("gswitch exited during the flood:\n%s", tp.sw.Output())
	}
	if maxCount > synLimit || dump7 > synLimit {
		t.Errorf("zone 7 passed its limit %d: max count %d, dump-conntrack %d", synLimit, maxCount, dump7)
	}
	if c7 < synLimit {
		t.Logf("flows:\n%s\nports:\n%s", tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows"), tp.mustOfctl(t, "-O", "OpenFlow13", "dump-ports"))
		t.Errorf("zone 7 holds %d connections after %d SYNs: the flood never reached the limit %d", c7, sent, synLimit)
	}
	if fr.fail != 0 {
		t.Errorf("%d of %d legitimate connections failed during the flood:\n%s", fr.fail, fr.ok+fr.fail, strings.Join(fr.fails, "\n"))
	}
	if c8 > legitLimit {
		t.Errorf("zone 8 count %d passed its limit %d", c8, legitLimit)
	}
	// Generous: 1,000 connections need well under a megabyte; 256 MiB of
	// growth would mean the flood is kept somewhere.
	if hwm-rssBefore > 256*1024 {
		t.Errorf("gswitch's peak RSS grew by %d kB during the flood (before %d kB, peak %d kB)", hwm-rssBefore, rssBefore, hwm)
	}
	// Still forwarding after the flood.
	if err := legitExchange(tp.L, legitAddr, legitN); err != nil {
		t.Errorf("legitimate connection after the flood: %v", err)
	}
}

// icmpErrorFrame is an ICMP destination unreachable (port unreachable) from
// router to the left host, sent on the right host's wire, quoting a UDP or
// TCP packet from the left host to quotedDst:dport from sport.
func icmpErrorFrame(router, left, quotedDst net.IP, proto byte, sport, dport uint16, id uint16) []byte {
	inner := make([]byte, 28)
	inner[0] = 0x45
	binary.BigEndian.PutUint16(inner[2:], 60)
	binary.BigEndian.PutUint16(inner[4:], id)
	inner[8] = 64
	inner[9] = proto
	copy(inner[12:16], left.To4())
	copy(inner[16:20], quotedDst.To4())
	binary.BigEndian.PutUint16(inner[10:], csum16(0, inner[:20]))
	binary.BigEndian.PutUint16(inner[20:], sport)
	binary.BigEndian.PutUint16(inner[22:], dport)
	icmp := make([]byte, 8+len(inner))
	icmp[0], icmp[1] = 3, 3
	copy(icmp[8:], inner)
	binary.BigEndian.PutUint16(icmp[2:], csum16(0, icmp))
	f := ethIPv4(router, left, 1, id, 0, icmp)
	// From the right host's MAC to the left host's.
	copy(f[0:6], []byte{2, 0, 0, 0, 1, 1})
	copy(f[6:12], []byte{2, 0, 0, 0, 2, 1})
	return f
}

// TestPrivilegedFloodICMPErrors: a bounded flood of ICMP errors from the
// outside quoting random UDP/TCP tuples of the inside host (none of them a
// connection) through the firewall, tracked in zone 9, while legitimate TCP
// connections in zone 8 open and exchange a line. Every error is +inv and
// dropped by the +inv rule, none is +rel, no connection is created, every
// legitimate connection succeeds and gswitch's memory stays bounded.
func TestPrivilegedFloodICMPErrors(t *testing.T) {
	const (
		floodN       = 50000
		legitN       = 100
		legitWorkers = 10
	)
	tp := newTopo(t, "s7f-icmp", "s7ficmp1", "s7ficmp2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", filepath.Join("testdata", "flood.flows"))
	for _, f := range []string{
		"table=0,priority=100,icmp,actions=ct(zone=9,table=1)",
		"table=1,priority=110,ct_state=+trk+inv,icmp,actions=drop",
		"table=1,priority=105,ct_state=+trk+rel,icmp,in_port=2,actions=output:1",
	} {
		tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", f)
	}
	pid, legitAddr := legitBefore(t, tp)
	rssBefore := procStatusKB(t, pid, "VmRSS")

	fd, to := rawSocket(t, tp.R, "r1")
	left := net.ParseIP(ip4L)
	rng := rand.New(rand.NewSource(3))
	frames := make([][]byte, floodN)
	for i := range frames {
		router := net.IPv4(203, 0, 113, byte(1+rng.Intn(254)))
		quoted := net.IPv4(203, 0, 113, byte(1+rng.Intn(254)))
		proto := byte(17)
		if i%2 == 1 {
			proto = 6
		}
		frames[i] = icmpErrorFrame(router, left, quoted, proto, uint16(1024+rng.Intn(64000)), uint16(1+rng.Intn(65535)), uint16(i))
	}
	maxNew := 0
	fr := floodWithLegit(tp, fd, to, frames, legitAddr, legitN, legitWorkers, func() {
		if n := strings.Count(tp.appctl(t, "dpctl/dump-conntrack", "zone=9"), "\n"); n > maxNew {
			maxNew = n
		}
	})
	flows := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows")
	seen := nPackets(t, flows, "priority=100,icmp actions=ct(table=1,zone=9)")
	inv := nPackets(t, flows, "ct_state=+inv+trk,icmp")
	rel := nPackets(t, flows, "ct_state=+rel+trk,icmp")
	zone9 := strings.Count(tp.appctl(t, "dpctl/dump-conntrack", "zone=9"), "\n")
	zone8 := strings.Count(tp.appctl(t, "dpctl/dump-conntrack", "zone=8"), "\n")
	nconns, _ := strconv.Atoi(strings.TrimSpace(tp.appctl(t, "dpctl/ct-get-nconns")))
	rssAfter := procStatusKB(t, pid, "VmRSS")
	hwm := procStatusKB(t, pid, "VmHWM")
	t.Logf("ICMP error flood: %d errors offered in %v (%.0f/s, %d send errors), %d reached conntrack: %d +inv, %d +rel; connections in zone 9 %d (max seen %d), all zones %d (zone 8 %d); "+
		"legitimate: %d/%d succeeded (%d started during the flood); gswitch RSS %d kB before, %d kB after, peak %d kB",
		fr.sent, fr.dur.Round(time.Millisecond), float64(fr.sent)/fr.dur.Seconds(), fr.sendErrs, seen, inv, rel, zone9, maxNew, nconns, zone8,
		fr.ok, fr.ok+fr.fail, fr.during, rssBefore, rssAfter, hwm)

	if tp.sw.Exited() {
		t.Fatalf("gswitch exited during the flood:\n%s", tp.sw.Output())
	}
	if seen == 0 || inv != seen || rel != 0 {
		t.Errorf("ICMP errors through conntrack: %d, +inv %d, +rel %d: want all +inv\n%s", seen, inv, rel, flows)
	}
	if zone9 != 0 || maxNew != 0 || nconns != zone8 {
		t.Errorf("the ICMP errors created connections: zone 9 %d (max seen %d), all zones %d, legitimate zone 8 %d", zone9, maxNew, nconns, zone8)
	}
	if fr.fail != 0 {
		t.Errorf("%d of %d legitimate connections failed during the flood:\n%s", fr.fail, fr.ok+fr.fail, strings.Join(fr.fails, "\n"))
	}
	if hwm-rssBefore > 256*1024 {
		t.Errorf("gswitch's peak RSS grew by %d kB during the flood (before %d kB, peak %d kB)", hwm-rssBefore, rssBefore, hwm)
	}
}

const floodFragPort = 19952 // the legitimate UDP echo service (zone 10)

// udpEchoServer echoes every datagram to UDP port in ns.
func udpEchoServer(t *testing.T, ns *netns.NS, port int) {
	t.Helper()
	var pc net.PacketConn
	if err := ns.Do(func() (err error) {
		pc, err = net.ListenPacket("udp4", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		t.Fatalf("listen udp %d in %s: %v", port, ns.Name, err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
}

// fragExchange sends a size-byte UDP datagram (fragmented on the 1500-byte
// wire) from ns to addr and waits 2 s at most for its echo.
func fragExchange(ns *netns.NS, addr string, size, i int) error {
	return ns.Do(func() error {
		c, err := net.Dial("udp4", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		msg := make([]byte, size)
		copy(msg, fmt.Sprintf("fragmented %d", i))
		if _, err := c.Write(msg); err != nil {
			return err
		}
		got := make([]byte, size+1)
		n, err := c.Read(got)
		if err != nil {
			return err
		}
		if n != size || string(got[:n]) != string(msg) {
			return fmt.Errorf("echo of %d bytes differs (%d bytes)", size, n)
		}
		return nil
	})
}

// numFrags returns ipf-get-status's "num frag" and "max num frags".
func numFrags(t *testing.T, tp *topo) (n, max int) {
	t.Helper()
	out := tp.appctl(t, "dpctl/ipf-get-status")
	m := regexp.MustCompile(`max num frags \(v4/v6\): (\d+)\s+num frag: (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ipf-get-status: %q", out)
	}
	max, _ = strconv.Atoi(m[1])
	n, _ = strconv.Atoi(m[2])
	return n, max
}

// TestPrivilegedFloodFragments: a bounded flood of first IPv4 fragments
// (100,000: 20,000 distinct ones five times over; 1,500-byte UDP fragments from random sources in 203.0.113.0/24 whose
// datagrams never complete) against ipf-set-max-nfrags 500 while
// legitimate TCP connections (unfragmented, zone 8) open and exchange a
// line. The number of held fragments never passes the limit, every
// legitimate TCP connection succeeds, and gswitch's memory stays bounded.
// As in OVS 3.1, a full table refuses new fragments until the held ones
// expire (15 s): fragmented legitimate UDP (3,000-byte datagrams, zone 10)
// passes before the flood and again after that expiry (30 s at most);
// how many passed during the flood is logged.
func TestPrivilegedFloodFragments(t *testing.T) {
	const (
		maxFrags     = 500
		distinct     = 20000 // distinct fragments, each sent 5 times
		floodN       = 5 * distinct
		legitN       = 100
		legitWorkers = 10
		fragSize     = 3000
	)
	tp := newTopo(t, "s7f-frag", "s7ffrag1", "s7ffrag2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", filepath.Join("testdata", "flood.flows"))
	for _, f := range []string{
		"table=0,priority=90,udp,actions=ct(zone=10,table=1)",
		// No port match: a datagram's later fragments have none.
		"table=1,priority=100,udp,in_port=1,ct_state=+trk+new,actions=ct(commit,zone=10),output:2",
	} {
		tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", f)
	}
	tp.appctl(t, "dpctl/ipf-set-max-nfrags", strconv.Itoa(maxFrags))
	udpEchoServer(t, tp.R, floodFragPort)
	pid, legitAddr := legitBefore(t, tp)
	fragAddr := net.JoinHostPort(ip4R, strconv.Itoa(floodFragPort))
	if err := fragExchange(tp.L, fragAddr, fragSize, -1); err != nil {
		t.Fatalf("fragmented UDP before the flood: %v\n%s\n%s\n%s", err, tp.appctl(t, "dpctl/ipf-get-status", "-m"), tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows"), tp.mustOfctl(t, "dump-ports"))
	}
	rssBefore := procStatusKB(t, pid, "VmRSS")

	fd, to := rawSocket(t, tp.L, "l1")
	dst := net.ParseIP(ip4R)
	rng := rand.New(rand.NewSource(5))
	frames := make([][]byte, floodN)
	for i := range frames {
		if i >= distinct {
			frames[i] = frames[i%distinct]
			continue
		}
		src := net.IPv4(203, 0, 113, byte(1+rng.Intn(254)))
		// A first fragment (MF, offset 0) of a UDP datagram said to be
		// longer: 8 bytes of UDP header and 1472 of data.
		udp := make([]byte, 1480)
		binary.BigEndian.PutUint16(udp[0:], uint16(1024+rng.Intn(64000)))
		binary.BigEndian.PutUint16(udp[2:], floodFragPort)
		binary.BigEndian.PutUint16(udp[4:], 3008)
		frames[i] = ethIPv4(src, dst, 17, uint16(rng.Intn(65536)), 0x2000, udp)
	}
	maxSeen, polls, fragDuringOK, fragDuringTried := 0, 0, 0, 0
	fr := floodWithLegit(tp, fd, to, frames, legitAddr, legitN, legitWorkers, func() {
		n, _ := numFrags(t, tp)
		polls++
		if n > maxSeen {
			maxSeen = n
		}
		if polls%4 == 0 {
			fragDuringTried++
			if fragExchange(tp.L, fragAddr, fragSize, polls) == nil {
				fragDuringOK++
			}
		}
	})
	nAfter, max := numFrags(t, tp)
	if nAfter > maxSeen {
		maxSeen = nAfter
	}
	status := tp.appctl(t, "dpctl/ipf-get-status")
	start := time.Now()
	recovered := netns.Eventually(30*time.Second, func() bool { return fragExchange(tp.L, fragAddr, fragSize, 0) == nil })
	recovery := time.Since(start)
	rssAfter := procStatusKB(t, pid, "VmRSS")
	hwm := procStatusKB(t, pid, "VmHWM")
	t.Logf("fragment flood: %d first fragments offered in %v (%.0f/s, %d send errors), max num frags %d: max held seen %d (%d polls), held after %d; "+
		"legitimate TCP: %d/%d succeeded (%d started during the flood); fragmented UDP during the flood: %d/%d; after: passes again %v after the flood ended (%v); "+
		"gswitch RSS %d kB before, %d kB after, peak %d kB\nipf-get-status after the flood:\n%s",
		fr.sent, fr.dur.Round(time.Millisecond), float64(fr.sent)/fr.dur.Seconds(), fr.sendErrs, max, maxSeen, polls, nAfter,
		fr.ok, fr.ok+fr.fail, fr.during, fragDuringOK, fragDuringTried, recovery.Round(100*time.Millisecond), recovered,
		rssBefore, rssAfter, hwm, status)

	if tp.sw.Exited() {
		t.Fatalf("gswitch exited during the flood:\n%s", tp.sw.Output())
	}
	if maxSeen > maxFrags {
		t.Errorf("held fragments passed the limit %d: %d", maxFrags, maxSeen)
	}
	if maxSeen < maxFrags/2 {
		t.Errorf("the flood held only %d fragments: it never pressed the limit %d", maxSeen, maxFrags)
	}
	if fr.fail != 0 {
		t.Errorf("%d of %d legitimate TCP connections failed during the flood:\n%s", fr.fail, fr.ok+fr.fail, strings.Join(fr.fails, "\n"))
	}
	if !recovered {
		t.Errorf("fragmented UDP still fails 30 s after the flood:\n%s", tp.appctl(t, "dpctl/ipf-get-status"))
	}
	if hwm-rssBefore > 256*1024 {
		t.Errorf("gswitch's peak RSS grew by %d kB during the flood (before %d kB, peak %d kB)", hwm-rssBefore, rssBefore, hwm)
	}
}
