package datapath

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/ports/porttest"
	"gswitch/tests/golden"
)

// benchRig is a bridge over two porttest.Replay ports (1 and 2), started
// (one receive goroutine per port), its flows loaded from a flow file with
// ovs-ofctl, as the tests load them.
type benchRig struct {
	br     *Bridge
	p1, p2 *porttest.Replay
}

func newBenchRig(tb testing.TB, flows string) *benchRig {
	tb.Helper()
	if _, err := exec.LookPath("ovs-ofctl"); err != nil {
		tb.Skip("ovs-ofctl not installed")
	}
	e := newEnv(tb)
	r := &benchRig{p1: porttest.NewReplay("p1", nil), p2: porttest.NewReplay("p2", nil)}
	sock := filepath.Join(tb.TempDir(), "br0.sock")
	br, err := New(Config{Name: "br0", FailMode: "secure", Listen: []string{"punix:" + sock},
		Tracker: e.tracker, Pool: e.pool, Clock: e.now}, []Port{{No: 1, Dev: r.p1}, {No: 2, Dev: r.p2}})
	if err != nil {
		tb.Fatal(err)
	}
	if err := br.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(br.Close)
	r.br = br
	out, err := exec.Command("ovs-ofctl", "-O", "OpenFlow13", "add-flows", "unix:"+sock, golden.Path("flows/"+flows)).CombinedOutput()
	if err != nil {
		tb.Fatalf("ovs-ofctl add-flows %s: %v\n%s", flows, err, out)
	}
	return r
}

// send makes from read frames, n of them, and waits until to has written
// them all (to counts everything written to it since it was made).
func (r *benchRig) send(tb testing.TB, from, to *porttest.Replay, frames []porttest.Frame, n int) {
	tb.Helper()
	from.SetFrames(frames)
	want := to.TxCount() + int64(n)
	from.Allow(n)
	done := make(chan bool, 1)
	go func() { done <- to.WaitSent(want) }()
	select {
	case ok := <-done:
		if !ok {
			tb.Fatal("port closed")
		}
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s wrote %d of %d frames: %+v", to.Name(), to.TxCount(), want, r.br.Ports())
	}
}

const benchGSOPayload = 30 * 1448 // a TCP GSO super-frame as a veth with TSO hands one over: 43,494 bytes

// benchUDP64 is n 64-byte UDP frames (before the FCS) from the left host
// to the right one, from n source ports.
func benchUDP64(n int) []porttest.Frame {
	var fs []porttest.Frame
	for i := range n {
		fs = append(fs, porttest.Frame{Data: pkttest.UDP4("198.51.100.1", "198.51.100.2", uint16(20000+i), 20099, make([]byte, 64-42))})
	}
	return fs
}

func benchUDP64Reply(n int) []porttest.Frame {
	var fs []porttest.Frame
	for i := range n {
		fs = append(fs, porttest.Frame{Data: pkttest.UDP4("198.51.100.2", "198.51.100.1", 20099, uint16(20000+i), make([]byte, 64-42))})
	}
	return fs
}

// benchGSO is one TCP connection's GSO super-frame from the left host
// (offloadFrame's: 203.0.113.1:19650 to 203.0.113.2:19651, sequence
// 0xfffff000, ack 7), cut at 1448 bytes, its checksum partial; the same
// frame again and again (retransmissions, as far as conntrack's window
// checks go).
func benchGSO(tb testing.TB) []porttest.Frame {
	pk, _ := offloadFrame(tb, false, "A", benchGSOPayload, 1448)
	return []porttest.Frame{{Data: pk.Data, Off: pk.Off}}
}

// tcpHandshake opens benchGSO's TCP connection through the bridge.
func (r *benchRig) tcpHandshake(tb testing.TB) {
	syn := pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, "S", 0xfffff000-1, 0, nil)
	synack := pkttest.TCP4("203.0.113.2", "203.0.113.1", 19651, 19650, "SA", 6, 0xfffff000, nil)
	ack := pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, "A", 0xfffff000, 7, nil)
	r.send(tb, r.p1, r.p2, []porttest.Frame{{Data: syn}}, 1)
	r.send(tb, r.p2, r.p1, []porttest.Frame{{Data: synack}}, 1)
	r.send(tb, r.p1, r.p2, []porttest.Frame{{Data: ack}}, 1)
}

// cpuNs is the process's CPU time (user and system) so far.
func cpuNs() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkForward is packets through a bridge, port 1 to port 2, one
// receive loop, over porttest.Replay ports (no kernel): L2 forwarding
// (l2-forward.flows) and the conntrack firewall (ct-firewall.flows, every
// packet of established connections: ct, recirculation, output), with
// 64-byte UDP frames (64 flows) and a TCP connection's 43 KB GSO frames.
// ns/op, allocs/op and cpu-ns/pkt (the process's CPU time) are per
// packet.
func BenchmarkForward(b *testing.B) {
	for _, c := range []struct {
		name, flows string
		tcp         bool
	}{
		{"l2/udp64", "l2-forward.flows", false},
		{"l2/gso43k", "l2-forward.flows", true},
		{"ctfw/udp64", "ct-firewall.flows", false},
		{"ctfw/gso43k", "ct-firewall.flows", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := newBenchRig(b, c.flows)
			var frames []porttest.Frame
			if c.tcp {
				r.tcpHandshake(b)
				frames = benchGSO(b)
			} else {
				frames = benchUDP64(64)
				// one packet each way: the connections are established
				r.send(b, r.p1, r.p2, frames, len(frames))
				r.send(b, r.p2, r.p1, benchUDP64Reply(64), len(frames))
			}
			// warm up (pools, caches)
			r.send(b, r.p1, r.p2, frames, 10*packet.MaxBatch)
			b.SetBytes(int64(len(frames[0].Data)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuNs()
			r.send(b, r.p1, r.p2, frames, b.N)
			cpu = cpuNs() - cpu
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/pkt")
			if st := r.br.Ports()[1].Stats; st.TxDrops != 0 {
				b.Fatalf("p2 dropped %d", st.TxDrops)
			}
		})
	}
}
