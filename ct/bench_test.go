package ct

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gswitch/packet"
)

// BenchmarkExecute measures one packet per op through Execute.
func BenchmarkExecute(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		tr := New(Config{MaxConns: 1 << 30})
		pk := udpFrame(A, B, 1, 53, 0)
		l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
		pk.Data[l4+6], pk.Data[l4+7] = 0, 0 // no UDP checksum: ports can change
		batch := []*packet.Packet{pk}
		out := make([]*packet.Packet, 0, 1)
		p := &Params{Commit: true}
		var i uint32
		b.ReportAllocs()
		for b.Loop() {
			i++
			binary.BigEndian.PutUint16(pk.Data[l3+14:], uint16(i>>16)) // src address low half
			binary.BigEndian.PutUint16(pk.Data[l4:], uint16(i))
			pk.Conn = nil
			out = tr.Execute(batch, out[:0], p, 1)
		}
	})
	// established and reply look the connection up; cached and
	// cached-reply are a second ct in the zone of the first (OVS's cached
	// fast path: no lookup, the tuple compared with the cached connection's
	// key).
	for _, dir := range []string{"established", "reply", "cached", "cached-reply"} {
		b.Run(dir, func(b *testing.B) {
			tr := New(Config{})
			established(&testing.T{}, tr)
			pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
			if strings.HasSuffix(dir, "reply") {
				pk = rev(tcpACK|tcpPSH, 501, 101, 100)
			}
			cached := strings.HasPrefix(dir, "cached")
			batch := []*packet.Packet{pk}
			out := make([]*packet.Packet, 0, 1)
			p := &Params{Commit: true}
			tr.Execute(batch, out[:0], p, 2e9)
			b.ReportAllocs()
			for b.Loop() {
				if !cached {
					pk.Conn = nil
				}
				out = tr.Execute(batch, out[:0], p, 2e9)
			}
			if pk.Key.CtState()&est == 0 || pk.Conn == nil {
				b.Fatalf("state %s", stateString(pk.Key.CtState()))
			}
		})
	}
	for _, dir := range []string{"new", "established", "reply"} {
		b.Run(dir+"-parallel", func(b *testing.B) {
			tr := New(Config{MaxConns: 1 << 30})
			var gid atomic.Uint32
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				g := gid.Add(1)
				src := fmt.Sprintf("203.0.113.%d", g)
				p := &Params{Commit: true}
				var pk *packet.Packet
				switch dir {
				case "new":
					pk = udpFrame(src, B, 1, 53, 0)
					pk.Data[pk.Key.L4+6], pk.Data[pk.Key.L4+7] = 0, 0
				default:
					mk := func(s, d string, sp, dp, fl uint16, seq, ack uint32, pl int) *packet.Packet {
						return tcpFrame(seg{src: s, dst: d, sport: sp, dport: dp, flags: fl, seq: seq, ack: ack, payload: pl, wscale: -1})
					}
					for _, x := range []*packet.Packet{mk(src, B, 1000, 80, tcpSYN, 100, 0, 0),
						mk(B, src, 80, 1000, tcpSYN|tcpACK, 500, 101, 0), mk(src, B, 1000, 80, tcpACK, 101, 501, 0)} {
						tr.Execute([]*packet.Packet{x}, nil, p, 1e9)
					}
					pk = mk(src, B, 1000, 80, tcpACK|tcpPSH, 101, 501, 100)
					if dir == "reply" {
						pk = mk(B, src, 80, 1000, tcpACK|tcpPSH, 501, 101, 100)
					}
				}
				batch := []*packet.Packet{pk}
				out := make([]*packet.Packet, 0, 1)
				l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
				var i uint32
				for pb.Next() {
					if dir == "new" {
						i++
						binary.BigEndian.PutUint16(pk.Data[l3+14:], uint16(i/65535))
						binary.BigEndian.PutUint16(pk.Data[l4:], uint16(i%65535+1))
					}
					pk.Conn = nil
					out = tr.Execute(batch, out[:0], p, 2e9)
				}
			})
		})
	}
}

// BenchmarkMemory1M creates 1,000,000 TCP connections (one SYN each) and
// reports the heap bytes per connection (target: under 300).
// The work is done once whatever b.N is (it takes seconds).
func BenchmarkMemory1M(b *testing.B) {
	const n = 1000000
	{
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		tr := New(Config{})
		pk := tcpFrame(seg{src: A, dst: B, sport: 1, dport: 80, flags: tcpSYN, seq: 1, wscale: -1})
		pk.Key.Flags |= packet.FlagCsumPartial // ports change below; skip the TCP checksum
		l3, l4 := int(pk.Key.L3), int(pk.Key.L4)
		batch := []*packet.Packet{pk}
		p := &Params{Commit: true}
		out := make([]*packet.Packet, 0, 1)
		for i := uint32(0); i < n; i++ {
			binary.BigEndian.PutUint16(pk.Data[l3+14:], uint16(i/65535))
			binary.BigEndian.PutUint16(pk.Data[l4:], uint16(i%65535+1))
			pk.Conn = nil
			out = tr.Execute(batch, out[:0], p, 1)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if tr.Count() != n {
			b.Fatalf("count %d", tr.Count())
		}
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "B/conn")
		runtime.KeepAlive(tr)
	}
}

// ovsBenchFrame is the 42-byte frame of OVS's test-conntrack benchmark:
// 10.1.1.1 -> 10.1.1.2 UDP, src port 1+tid, dst port 2 (or the given
// ports), TTL 0, UDP checksum 0. As OVS's harness (dp_packet sized to
// the frame), the packet holds just the frame, not a full receive buffer:
// benchmark-zones keeps 10,000 of them, and 2 KB buffers would make the
// harness's own cache misses part of the figures.
func ovsBenchFrame(sport, dport uint16) *packet.Packet {
	f := []byte{
		0x50, 0x54, 0, 0, 0, 0x0a, 0x50, 0x54, 0, 0, 0, 0x09, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0, 0, 0, 17, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2,
		0, 0, 0, 0, 0, 8, 0, 0,
	}
	binary.BigEndian.PutUint16(f[24:], checksum(f[14:34], 0))
	binary.BigEndian.PutUint16(f[34:], sport)
	binary.BigEndian.PutUint16(f[36:], dport)
	pk := &packet.Packet{Data: f}
	packet.Parse(pk)
	return pk
}

// BenchmarkOVSConntrack is OVS's `ovstest test-conntrack benchmark
// n_threads n_pkts batch_size` (see ../shared/bench/ovs-ct-microbench.md
// §1): per thread, batch_size identical UDP frames executed with commit in
// zone 0 at a fixed now, the cached connection cleared after each batch;
// the background sweeper runs. Each op is one packet; ns/pkt is the
// aggregate time per packet (wall time / all threads' packets).
func BenchmarkOVSConntrack(b *testing.B) {
	for _, c := range []struct{ threads, batch int }{{1, 32}, {2, 32}, {1, 1}, {4, 32}} {
		b.Run(fmt.Sprintf("threads=%d/batch=%d", c.threads, c.batch), func(b *testing.B) {
			tr := New(Config{})
			tr.Start()
			defer tr.Stop()
			now := int64(time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			perThread := (b.N + c.threads - 1) / c.threads
			// As OVS's threads, each worker builds its own batch (its own
			// memory), then all start together.
			var ready, wg sync.WaitGroup
			startc := make(chan struct{})
			for tid := 0; tid < c.threads; tid++ {
				ready.Add(1)
				wg.Add(1)
				go func(tid int) {
					defer wg.Done()
					var batch []*packet.Packet
					for i := 0; i < c.batch; i++ {
						batch = append(batch, ovsBenchFrame(uint16(1+tid), 2))
					}
					p := &Params{Commit: true}
					out := make([]*packet.Packet, 0, len(batch))
					ready.Done()
					<-startc
					for done := 0; done < perThread; done += len(batch) {
						out = tr.Execute(batch, out[:0], p, now)
						for _, pk := range batch {
							pk.Conn = nil
						}
					}
				}(tid)
			}
			ready.Wait()
			start := time.Now()
			close(startc)
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			total := perThread * c.threads
			b.ReportMetric(float64(el.Nanoseconds())/float64(total), "ns/pkt")
			b.ReportMetric(float64(el.Nanoseconds())/float64(perThread), "thread-ns/pkt")
		})
	}
}

// BenchmarkOVSZones is OVS's `ovstest test-conntrack benchmark-zones
// n_conns n_zones iterations` (ovs-ct-microbench.md §2): fill zones
// 0..n_zones-1 (the 3,000,000 global limit applies), then per iteration:
// flush zone 1, commit all n_conns into zone 1, run them again without
// commit, flush the empty zone 65535. Reported per phase: mean, min, p95,
// max and OVS's "Avg" (EWMA, alpha 0.01, starting at 0). The full upstream
// sizes run with GSWITCH_CT_BENCH_ZONES=1; otherwise a small version.
func BenchmarkOVSZones(b *testing.B) {
	sizes := []struct{ conns, zones int }{{10000, 30}, {1000, 30}}
	if os.Getenv("GSWITCH_CT_BENCH_ZONES") != "" {
		sizes = []struct{ conns, zones int }{{10000, 1000}, {1000, 10000}}
	}
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("conns=%d/zones=%d", sz.conns, sz.zones), func(b *testing.B) {
			tr := New(Config{})
			tr.Start()
			defer tr.Stop()
			now := int64(time.Hour)
			pkts := make([]*packet.Packet, sz.conns)
			for i := range pkts {
				sp, dp := uint16(i>>16), uint16(i&0xffff)
				if sp == 0 {
					sp = 65535
				}
				if dp == 0 {
					dp = 65535
				}
				pkts[i] = ovsBenchFrame(sp, dp)
			}
			one := make([]*packet.Packet, 1)
			out := make([]*packet.Packet, 0, 1)
			run := func(zone uint16, commit bool) {
				p := &Params{Zone: zone, Commit: commit}
				for _, pk := range pkts {
					one[0] = pk
					out = tr.Execute(one, out[:0], p, now)
					pk.Conn = nil
				}
			}
			t0 := time.Now()
			for z := 0; z < sz.zones; z++ {
				run(uint16(z), true)
			}
			insertMs := float64(time.Since(t0).Milliseconds()) // reported after the loop: ResetTimer clears metrics
			phases := []string{"flush-full", "commit", "no-commit", "flush-empty"}
			samples := make([][]float64, 4)
			b.ResetTimer()
			for b.Loop() {
				for ph := range phases {
					t := time.Now()
					switch ph {
					case 0:
						tr.FlushZone(1)
					case 1:
						run(1, true)
					case 2:
						run(1, false)
					case 3:
						tr.FlushZone(65535)
					}
					samples[ph] = append(samples[ph], float64(time.Since(t).Microseconds()))
				}
			}
			b.StopTimer()
			b.ReportMetric(insertMs, "insert-ms")
			for ph, name := range phases {
				s := append([]float64(nil), samples[ph]...)
				sort.Float64s(s)
				var sum, ewma float64
				for _, v := range samples[ph] {
					sum += v
					ewma = 0.99*ewma + 0.01*v
				}
				b.ReportMetric(sum/float64(len(s)), name+"-mean-us")
				b.ReportMetric(s[0], name+"-min-us")
				b.ReportMetric(s[len(s)*95/100], name+"-p95-us")
				b.ReportMetric(s[len(s)-1], name+"-max-us")
				b.ReportMetric(ewma, name+"-ovsavg-us")
			}
		})
	}
}

// BenchmarkFlushZoneWhileForwarding: zone 1 holds 1,000,000 UDP
// connections; while another goroutine flushes zone 1, this one forwards
// batches of 32 established packets (32 connections) of zone 2. It
// reports the time per batch during the flush (mean, p99.9 and max) and
// the same figures with no flush running, and how long the flush took.
// A flush must not stall other zones: it holds each shard's lock for at
// most removeBatch removals. The work is done once whatever b.N is.
func BenchmarkFlushZoneWhileForwarding(b *testing.B) {
	const n = 1000000
	tr := New(Config{})
	fillZone(b, tr, 1, n)
	var flushed int
	took := forwardDuring(b, tr, func() { flushed = tr.FlushZone(1) })
	if flushed != n {
		b.Fatalf("flushed %d of %d", flushed, n)
	}
	b.ReportMetric(float64(took.Milliseconds()), "flush-ms")
}

// BenchmarkGrowWhileForwarding: while another goroutine commits 2,000,000
// new connections in zone 1 (the slab and zone 1's shard indexes grow
// many times over), this one forwards batches of 32 established packets
// of zone 2; reported as BenchmarkFlushZoneWhileForwarding. Growing must
// not stall traffic: index arrays are allocated outside the shard locks
// and entries move to them a few at a time.
func BenchmarkGrowWhileForwarding(b *testing.B) {
	const n = 2000000
	tr := New(Config{})
	took := forwardDuring(b, tr, func() { fillZone(b, tr, 1, n) })
	if tr.Count() != n+32 {
		b.Fatalf("count %d", tr.Count())
	}
	b.ReportMetric(float64(took.Milliseconds()), "fill-ms")
}

// fillZone commits n distinct UDP connections in zone.
func fillZone(b *testing.B, tr *Tracker, zone uint16, n int) {
	now := int64(time.Hour)
	fill := ovsBenchFrame(1, 1)
	one := []*packet.Packet{fill}
	out := make([]*packet.Packet, 0, 1)
	p := &Params{Zone: zone, Commit: true}
	before := tr.Count()
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint16(fill.Data[34:], uint16(i/65535)+1)
		binary.BigEndian.PutUint16(fill.Data[36:], uint16(i%65535)+1)
		fill.Conn = nil
		out = tr.Execute(one, out[:0], p, now)
	}
	if tr.Count() != before+n {
		b.Errorf("filled %d of %d", tr.Count()-before, n)
	}
}

// forwardDuring forwards batches of 32 established zone-2 packets, for
// 200 ms alone and then while work runs on another goroutine, and reports
// the time per batch in both (idle-*, during-*); it returns how long work
// took.
func forwardDuring(b *testing.B, tr *Tracker, work func()) time.Duration {
	now := int64(time.Hour)
	batch := make([]*packet.Packet, 32)
	for i := range batch {
		batch[i] = ovsBenchFrame(uint16(100+i), 7)
	}
	out := make([]*packet.Packet, 0, 32)
	p2 := &Params{Zone: 2, Commit: true}
	forward := func(stop func() bool) []float64 {
		ts := make([]float64, 0, 1<<20)
		for !stop() {
			t0 := time.Now()
			out = tr.Execute(batch, out[:0], p2, now)
			for _, pk := range batch {
				pk.Conn = nil
			}
			ts = append(ts, float64(time.Since(t0).Nanoseconds())/1000)
		}
		return ts
	}
	report := func(name string, ts []float64) {
		var sum float64
		for _, v := range ts {
			sum += v
		}
		sort.Float64s(ts)
		b.ReportMetric(sum/float64(len(ts)), name+"-mean-us")
		b.ReportMetric(ts[len(ts)*999/1000], name+"-p999-us")
		b.ReportMetric(ts[len(ts)-1], name+"-max-us")
	}
	b.ResetTimer()
	end := time.Now().Add(200 * time.Millisecond)
	idle := forward(func() bool { return time.Now().After(end) })
	var done atomic.Bool
	var took time.Duration
	go func() {
		t0 := time.Now()
		work()
		took = time.Since(t0)
		done.Store(true)
	}()
	during := forward(done.Load)
	b.StopTimer()
	report("idle", idle)
	report("during", during)
	return took
}
