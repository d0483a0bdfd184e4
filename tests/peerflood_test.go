package tests

import (
	"encoding/binary"
	"fmt"
	"io"
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

	"gswitch/ofproto"
)

// goroutines is the process line of gswitch's show.
func goroutines(t *testing.T, tp *topo) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^process: (\d+) goroutines$`).FindStringSubmatch(tp.appctl(t, "show"))
	if m == nil {
		t.Fatal("show has no goroutine count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// ofDial connects to the switch's OpenFlow listener from its namespace and
// says HELLO (OpenFlow 1.3).
func ofDial(tp *topo) (net.Conn, error) {
	var c net.Conn
	if err := tp.S.Do(func() (err error) { c, err = net.Dial("tcp", "127.0.0.1:6653"); return err }); err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte{4, 0, 0, 8, 0, 0, 0, 1}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// echoRequest is an OpenFlow 1.3 echo request with 56 bytes of data.
func echoRequest(xid uint32) []byte {
	b := make([]byte, 64)
	b[0], b[1] = 4, 2
	binary.BigEndian.PutUint16(b[2:], 64)
	binary.BigEndian.PutUint32(b[4:], xid)
	return b
}

// flowModInPort3 is an OpenFlow 1.3 OFPFC_ADD of priority=50,in_port=3
// with no instructions (drop): sent again and again, it replaces itself.
func flowModInPort3(xid uint32) []byte {
	b := make([]byte, 64)
	b[0], b[1] = 4, 14
	binary.BigEndian.PutUint16(b[2:], 64)
	binary.BigEndian.PutUint32(b[4:], xid)
	// cookie, cookie_mask 0; table 0; command ADD; timeouts 0
	binary.BigEndian.PutUint16(b[30:], 50)         // priority
	binary.BigEndian.PutUint32(b[32:], 0xffffffff) // buffer_id: none
	binary.BigEndian.PutUint32(b[36:], 0xffffffff) // out_port: any
	binary.BigEndian.PutUint32(b[40:], 0xffffffff) // out_group: any
	// ofp_match: OXM, length 12: in_port=3, padded to 16.
	binary.BigEndian.PutUint16(b[48:], 1)
	binary.BigEndian.PutUint16(b[50:], 12)
	binary.BigEndian.PutUint32(b[52:], 0x80000004)
	binary.BigEndian.PutUint32(b[56:], 3)
	return b
}

// pingBG pings R from L count times every 10 ms in the background; the
// channel gets the number of replies (-1 on an unreadable summary).
func pingBG(tp *topo, count int) chan int {
	ch := make(chan int, 1)
	go func() {
		out, _ := tp.L.Try("ping", "-q", "-c", strconv.Itoa(count), "-i", "0.01", "-W", "2", ip4R)
		m := regexp.MustCompile(`(\d+) received`).FindStringSubmatch(out)
		if m == nil {
			ch <- -1
			return
		}
		n, _ := strconv.Atoi(m[1])
		ch <- n
	}()
	return ch
}

func pingFlows(t *testing.T, tp *topo) {
	t.Helper()
	for _, f := range []string{
		"priority=100,in_port=1,icmp,actions=output:2",
		"priority=100,in_port=2,icmp,actions=output:1",
	} {
		tp.mustOfctl(t, "-O", "OpenFlow13", "add-flow", f)
	}
}

// TestPrivilegedControllerFloodAndFlap: a controller that floods echo
// requests and flow-mods (reading its replies), another that floods echo
// requests and reads nothing, then a connection that flaps every 200 ms:
// pings on a normal flow keep passing, the flow-mod flood replaces its one
// flow, and once the peers are gone their connections and goroutines are
// too; RSS and goroutines are logged.
func TestPrivilegedControllerFloodAndFlap(t *testing.T) {
	tp := newTopo(t, "s7q", "s7qp1", "s7qp2")
	pingFlows(t, tp)
	pid := tp.sw.Cmd.Process.Pid
	g0, rss0 := goroutines(t, tp), vmRSS(t, pid)
	pings := pingBG(tp, 500)

	// Phase 1, 3 s: the two flooders.
	reader, err := ofDial(tp)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	staller, err := ofDial(tp)
	if err != nil {
		t.Fatal(err)
	}
	defer staller.Close()
	var replies atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			b, err := ofproto.ReadMessage(reader, 1<<16)
			if err != nil {
				return
			}
			if b[1] == 3 { // echo reply
				replies.Add(1)
			}
		}
	}()
	var sentEcho, sentFM, sentStall atomic.Int64
	end := time.Now().Add(3 * time.Second)
	wg.Add(2)
	go func() {
		defer wg.Done()
		reader.SetWriteDeadline(end.Add(time.Second))
		for xid := uint32(2); time.Now().Before(end); xid += 2 {
			if _, err := reader.Write(append(echoRequest(xid), flowModInPort3(xid+1)...)); err != nil {
				return
			}
			sentEcho.Add(1)
			sentFM.Add(1)
		}
	}()
	go func() {
		defer wg.Done()
		staller.SetWriteDeadline(end)
		for xid := uint32(2); time.Now().Before(end); xid++ {
			if _, err := staller.Write(echoRequest(xid)); err != nil {
				return
			}
			sentStall.Add(1)
		}
	}()
	time.Sleep(time.Until(end))
	// The switch answers its control socket meanwhile.
	gFlood := goroutines(t, tp)
	staller.Close()
	reader.Close()
	wg.Wait()
	rss1 := vmRSS(t, pid)

	// Phase 2, 3 s: a connection that flaps every 200 ms.
	for i := 0; i < 15; i++ {
		c, err := ofDial(tp)
		if err != nil {
			t.Fatalf("flap %d: %v", i, err)
		}
		c.Write([]byte{4, 9, 0, 12, 0, 0, 0, 2, 0, 0, 0xff, 0xff}) // SET_CONFIG miss_send_len
		time.Sleep(200 * time.Millisecond)
		c.Close()
	}
	got := <-pings
	if got < 475 {
		t.Errorf("pings on a normal flow during the floods and flaps: %d of 500 answered (want >= 475)", got)
	}
	if !strings.Contains(tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows"), "priority=50,in_port=3 actions=drop") {
		t.Error("the flow-mod flood's flow is missing")
	}
	var g1 int
	if !eventually(20*time.Second, func() bool {
		g1 = goroutines(t, tp)
		return strings.Contains(tp.appctl(t, "show"), "OpenFlow connections: 0\n") && g1 <= g0+5
	}) {
		t.Errorf("after the peers left: goroutines %d (before %d)\n%s", g1, g0, tp.appctl(t, "show"))
	}
	rss2 := vmRSS(t, pid)
	if rss2 > rss0+64<<10 {
		t.Errorf("RSS grew from %d KiB to %d KiB", rss0, rss2)
	}
	t.Logf("3 s flood: %d echo requests + %d flow-mods from a reading controller (%d echo replies read), "+
		"%d echo requests from one that reads nothing; then 15 flaps at 200 ms; pings %d of 500; "+
		"goroutines %d before, %d during the flood, %d after; RSS %d, %d, %d KiB",
		sentEcho.Load(), sentFM.Load(), replies.Load(), sentStall.Load(), got, g0, gFlood, g1, rss0, rss1, rss2)
}

// TestPrivilegedSlowCtlClient: a control-socket client that asks for a
// large reply (bridge/dump-flows of 20,000 flows) and never reads it does
// not hold the switch: other ctl commands answer and pings pass while it
// stalls, and its goroutine goes when it does.
func TestPrivilegedSlowCtlClient(t *testing.T) {
	tp := newTopo(t, "s7q", "s7qp1", "s7qp2")
	pingFlows(t, tp)
	var flows strings.Builder
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&flows, "priority=10,in_port=3,udp,tp_dst=%d,actions=drop\n", i)
	}
	file := filepath.Join(t.TempDir(), "flows.txt")
	if err := os.WriteFile(file, []byte(flows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", file)
	g0 := goroutines(t, tp)

	c, err := net.Dial("unix", tp.ctl)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(`{"id":1,"method":"bridge/dump-flows","params":["br0"]}`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	pings := pingBG(tp, 100)
	start := time.Now()
	for i := 0; i < 10; i++ {
		if out := tp.appctl(t, "version"); out == "" {
			t.Fatal("empty version")
		}
	}
	took := time.Since(start)
	if got := <-pings; got < 95 {
		t.Errorf("pings while a ctl client stalls: %d of 100 (want >= 95)", got)
	}
	// The stalled client has read nothing yet; what waits for it is its
	// reply, cut when it reads: take a little to show the reply exists.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 16)
	if _, err := io.ReadFull(c, head); err != nil || !strings.HasPrefix(string(head), `{"id":1`) {
		t.Errorf("stalled client's reply starts %q, %v", head, err)
	}
	c.Close()
	var g1 int
	if !eventually(10*time.Second, func() bool { g1 = goroutines(t, tp); return g1 <= g0+2 }) {
		t.Errorf("goroutines %d after the stalled client left, %d before", g1, g0)
	}
	t.Logf("10 ovs-appctl version while a client stalls on a 20,000-flow dump: %v; goroutines %d before, %d after", took, g0, g1)
}
