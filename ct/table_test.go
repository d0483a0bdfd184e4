package ct

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"gswitch/packet"
)

func TestGlobalLimit(t *testing.T) {
	tr := New(Config{MaxConns: 3})
	for i := 0; i < 3; i++ {
		runSteps(t, tr, []step{{"fill", udpFrame(A, B, uint16(1000+i), 53, 1), commit, trk | nw}})
	}
	// Full: the packet is +trk+new (as OVS) but nothing is created.
	runSteps(t, tr, []step{{"over", udpFrame(A, B, 2000, 53, 1), commit, trk | nw}})
	if tr.Count() != 3 || tr.Counters().Full != 1 {
		t.Fatalf("count %d full %d", tr.Count(), tr.Counters().Full)
	}
	runSteps(t, tr, []step{{"reply over", udpFrame(B, A, 53, 2000, 1), commit, trk | nw}})
	// Existing connections keep working.
	runSteps(t, tr, []step{{"existing", udpFrame(B, A, 53, 1000, 1), commit, trk | est | rpl}})
	tr.SetMaxConns(4)
	runSteps(t, tr, []step{{"room", udpFrame(A, B, 2000, 53, 1), commit, trk | nw}})
	if tr.Count() != 4 {
		t.Fatal("not created after raising the limit")
	}
}

func TestZoneLimits(t *testing.T) {
	tr := New(Config{})
	tr.SetZoneLimit(1, 2)
	tr.SetDefaultZoneLimit(3)
	z := func(n uint16) Params { return Params{Commit: true, Zone: n} }
	for i := 0; i < 5; i++ {
		exec1(tr, udpFrame(A, B, uint16(1000+i), 53, 1), z(1), 1)
		exec1(tr, udpFrame(A, B, uint16(1000+i), 53, 1), z(2), 1)
		exec1(tr, udpFrame(A, B, uint16(1000+i), 53, 1), z(3), 1)
	}
	for zone, want := range map[uint16]int{1: 2, 2: 3, 3: 3} {
		if _, _, n := tr.ZoneLimit(zone); n != want {
			t.Errorf("zone %d: %d conns, want %d", zone, n, want)
		}
	}
	tr.SetZoneLimit(3, 0) // unlimited
	exec1(tr, udpFrame(A, B, 3000, 53, 1), z(3), 1)
	if _, _, n := tr.ZoneLimit(3); n != 4 {
		t.Errorf("unlimited zone 3: %d", n)
	}
	tr.DelZoneLimit(1)
	exec1(tr, udpFrame(A, B, 3000, 53, 1), z(1), 1)
	if l, own, n := tr.ZoneLimit(1); own || l != 3 || n != 3 {
		t.Errorf("zone 1 after delete: limit %d own %v n %d", l, own, n)
	}
	if tr.Counters().ZoneFull == 0 {
		t.Error("zone refusals not counted")
	}
}

// TestSynFlood fills the table with half-open connections; established
// ones keep working and nothing beyond the limit is created.
func TestSynFlood(t *testing.T) {
	tr := New(Config{MaxConns: 1000})
	established(t, tr)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				pk := tcpFrame(seg{src: fmt.Sprintf("203.0.113.%d", g+1), dst: B, sport: uint16(1024 + i), dport: 80, flags: tcpSYN, seq: 1, wscale: -1})
				if s := exec1(tr, pk, commit, int64(time.Second)); s != trk|nw {
					t.Errorf("flood SYN: %s", stateString(s))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if tr.Count() > 1000 || tr.Count() < 990 {
		t.Fatalf("count %d", tr.Count())
	}
	if c := tr.Counters(); c.Full < 3000 {
		t.Errorf("full refusals %d", c.Full)
	}
	runSteps(t, tr, []step{{"established data", fwd(tcpACK|tcpPSH, 101, 501, 10), commit, trk | est}})
	checkInvariants(t, tr)
}

// checkInvariants verifies that every connection is reachable from both
// keys and that the counts match the table.
func checkInvariants(t *testing.T, tr *Tracker) {
	t.Helper()
	conns := map[*conn]int{}
	inZone := map[*conn]int{}
	zones := map[uint16]int{}
	for i := range tr.shards {
		s := &tr.shards[i]
		s.mu.RLock()
		s.ix.each(func(h32 uint32, r ref) {
			c := s.sl.at(uint32(r >> 1))
			k := c.key
			if r&1 == 1 {
				k = c.rkey
			}
			if uint32(k.hash(tr.seed)) != h32 || tr.shardOf(&k) != s {
				t.Fatalf("key %+v under the wrong hash or shard", k)
			}
			conns[c]++
		})
		if s.ix.count() != func() int { n := 0; s.ix.each(func(uint32, ref) { n++ }); return n }() {
			t.Fatal("index count is off")
		}
		for zone, head := range s.zones {
			var prev uint32
			for i := head; i != 0; i = s.sl.at(i).znext {
				c := s.sl.at(i)
				if c.zprev != prev || c.key.zone != zone || tr.shardOf(&c.key) != s || c.dead {
					t.Fatalf("zone list of %d broken at %+v", zone, c.key)
				}
				inZone[c]++
				prev = i
			}
		}
		s.mu.RUnlock()
	}
	for c, n := range conns {
		if n != 2 {
			t.Fatalf("conn %+v reachable from %d keys", c.key, n)
		}
		if c.dead {
			t.Fatal("dead conn in table")
		}
		if inZone[c] != 1 {
			t.Fatalf("conn %+v in %d zone lists", c.key, inZone[c])
		}
		find := func(k *connKey) (*conn, bool) {
			h := k.hash(tr.seed)
			s := tr.shardAt(k.zone, h)
			s.mu.RLock()
			defer s.mu.RUnlock()
			return s.get(h, k)
		}
		if got, _ := find(&c.key); got != c {
			t.Fatal("conn not found from its key")
		}
		rk := c.rkey
		if got, reply := find(&rk); got != c || (reply == (rk == c.key)) {
			t.Fatal("conn not found from its reply key")
		}
		zones[c.key.zone]++
	}
	if len(conns) != tr.Count() {
		t.Fatalf("table has %d conns, count says %d", len(conns), tr.Count())
	}
	for z, n := range zones {
		if _, _, zn := tr.ZoneLimit(z); zn != n {
			t.Fatalf("zone %d: %d conns, count says %d", z, n, zn)
		}
	}
}

// TestTimeouts crosses every timeout with a manual clock.
func TestTimeouts(t *testing.T) {
	s := int64(time.Second)
	type tc struct {
		name    string
		setup   func(tr *Tracker, now int64) // leaves one conn whose last update was at now
		timeout int64
	}
	cases := []tc{
		{"tcp_syn_sent", func(tr *Tracker, now int64) { exec1(tr, fwd(tcpSYN, 100, 0, 0), commit, now) }, 30},
		{"tcp_syn_recv", func(tr *Tracker, now int64) {
			exec1(tr, fwd(tcpSYN, 100, 0, 0), commit, now)
			exec1(tr, rev(tcpSYN|tcpACK, 500, 101, 0), commit, now)
		}, 30},
		{"tcp_established", func(tr *Tracker, now int64) {
			exec1(tr, fwd(tcpSYN, 100, 0, 0), commit, now)
			exec1(tr, rev(tcpSYN|tcpACK, 500, 101, 0), commit, now)
			exec1(tr, fwd(tcpACK, 101, 501, 0), commit, now)
		}, 86400},
		{"tcp_fin_wait", func(tr *Tracker, now int64) {
			exec1(tr, fwd(tcpSYN, 100, 0, 0), commit, now)
			exec1(tr, rev(tcpSYN|tcpACK, 500, 101, 0), commit, now)
			exec1(tr, fwd(tcpACK, 101, 501, 0), commit, now)
			exec1(tr, fwd(tcpFIN|tcpACK, 101, 501, 0), commit, now)
		}, 900},
		{"tcp_time_wait", func(tr *Tracker, now int64) {
			exec1(tr, fwd(tcpSYN, 100, 0, 0), commit, now)
			exec1(tr, rev(tcpSYN|tcpACK, 500, 101, 0), commit, now)
			exec1(tr, fwd(tcpACK, 101, 501, 0), commit, now)
			exec1(tr, fwd(tcpFIN|tcpACK, 101, 501, 0), commit, now)
			exec1(tr, rev(tcpFIN|tcpACK, 501, 101, 0), commit, now) // both CLOSING, first FIN not acked
		}, 45},
		{"tcp_close", func(tr *Tracker, now int64) {
			exec1(tr, fwd(tcpSYN, 100, 0, 0), commit, now)
			exec1(tr, rev(tcpSYN|tcpACK, 500, 101, 0), commit, now)
			exec1(tr, fwd(tcpACK, 101, 501, 0), commit, now)
			exec1(tr, fwd(tcpRST|tcpACK, 101, 501, 0), commit, now)
		}, 30},
		{"udp_first", func(tr *Tracker, now int64) { exec1(tr, udpFrame(A, B, 1, 2, 0), commit, now) }, 60},
		{"udp_single", func(tr *Tracker, now int64) {
			exec1(tr, udpFrame(A, B, 1, 2, 0), commit, now)
			exec1(tr, udpFrame(A, B, 1, 2, 0), commit, now)
		}, 60},
		{"udp_multiple", func(tr *Tracker, now int64) {
			exec1(tr, udpFrame(A, B, 1, 2, 0), commit, now)
			exec1(tr, udpFrame(B, A, 2, 1, 0), commit, now)
		}, 30},
		{"icmp_first", func(tr *Tracker, now int64) { exec1(tr, icmpFrame(A, B, 8, 0, 1, nil), commit, now) }, 60},
		{"icmp_reply", func(tr *Tracker, now int64) {
			exec1(tr, icmpFrame(A, B, 8, 0, 1, nil), commit, now)
			exec1(tr, icmpFrame(B, A, 0, 0, 1, nil), commit, now)
		}, 30},
	}
	for _, c := range cases {
		for _, custom := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/custom=%v", c.name, custom), func(t *testing.T) {
				tr := New(Config{})
				want := c.timeout
				if custom {
					if err := tr.SetZoneTimeouts(0, map[string]uint32{c.name: 7}); err != nil {
						t.Fatal(err)
					}
					want = 7
				}
				now := 100 * s
				c.setup(tr, now)
				if tr.Count() != 1 {
					t.Fatalf("setup left %d conns", tr.Count())
				}
				if n := tr.Sweep(now + want*s - 1); n != 0 || tr.Count() != 1 {
					t.Fatalf("expired early (timeout %ds)", want)
				}
				// Just before the deadline the connection is still found.
				if got := len(tr.entries(nil, now+want*s-1)); got != 1 {
					t.Fatal("not visible before deadline")
				}
				if got := len(tr.entries(nil, now+want*s)); got != 0 {
					t.Fatal("visible at deadline")
				}
				if n := tr.Sweep(now + want*s); n != 1 || tr.Count() != 0 {
					t.Fatalf("not swept at deadline: %d", n)
				}
			})
		}
	}
}

// TestZonePolicyAtCommit: a connection keeps the zone's timeout policy of
// its creation, as OVS's connections keep their policy id (the
// tests/golden/ctzone steps): one created before add-zone-tp keeps the
// defaults, one created under a policy follows it, and one whose policy was
// replaced or deleted falls back to the defaults.
func TestZonePolicyAtCommit(t *testing.T) {
	const sec = int64(time.Second)
	tr := New(Config{})
	p5 := Params{Commit: true, Zone: 5}
	left := func(sport uint16, now int64) int64 {
		for _, c := range tr.entries(nil, now) {
			if c.key.sport == sport {
				return (c.exp.Load() - now) / sec
			}
		}
		t.Fatalf("connection from port %d not found", sport)
		return 0
	}
	exec1(tr, udpFrame(A, B, 1, 2, 0), p5, 0) // before the policy
	if err := tr.SetZoneTimeouts(5, map[string]uint32{"udp_first": 300, "udp_single": 200}); err != nil {
		t.Fatal(err)
	}
	exec1(tr, udpFrame(A, B, 3, 4, 0), p5, 0) // under it
	exec1(tr, udpFrame(A, B, 1, 2, 0), p5, 0)
	exec1(tr, udpFrame(A, B, 3, 4, 0), p5, 0)
	if l1, l3 := left(1, 0), left(3, 0); l1 != 60 || l3 != 200 {
		t.Fatalf("timeouts %d (created before the policy: 60) and %d (under it: 200)", l1, l3)
	}
	if err := tr.SetZoneTimeouts(5, map[string]uint32{"udp_single": 100}); err != nil {
		t.Fatal(err)
	}
	exec1(tr, udpFrame(A, B, 5, 6, 0), p5, 0) // under the new one
	exec1(tr, udpFrame(A, B, 3, 4, 0), p5, 0)
	exec1(tr, udpFrame(A, B, 5, 6, 0), p5, 0)
	if l3, l5 := left(3, 0), left(5, 0); l3 != 60 || l5 != 100 {
		t.Fatalf("after replacing: %d (old policy's: 60) and %d (new policy's: 100)", l3, l5)
	}
	tr.DelZoneTimeouts(5)
	exec1(tr, udpFrame(A, B, 5, 6, 0), p5, 0)
	if l5 := left(5, 0); l5 != 60 {
		t.Fatalf("after del: %d, want the default 60", l5)
	}
}

func TestExpiredConnReplaced(t *testing.T) {
	tr := New(Config{})
	exec1(tr, udpFrame(A, B, 1, 2, 0), commit, 0)
	// After expiry (not swept), the same tuple starts a new connection.
	if s := exec1(tr, udpFrame(B, A, 2, 1, 0), commit, 61*int64(time.Second)); s != trk|nw {
		t.Fatalf("state %s", stateString(s))
	}
	if tr.Count() != 1 {
		t.Fatalf("count %d", tr.Count())
	}
	checkInvariants(t, tr)
}

func TestFlushVariants(t *testing.T) {
	setup := func() *Tracker {
		tr := New(Config{})
		for z := uint16(0); z < 3; z++ {
			p := Params{Commit: true, Zone: z, SetMark: true, Mark: uint32(z) * 0x10, MarkMask: ^uint32(0),
				SetLabel: true, Label: packet.U128{Hi: uint64(z)}, LabelMask: packet.Ones(128)}
			exec1(tr, udpFrame(A, B, 1000, 53, 0), p, 1)
			exec1(tr, fwd(tcpSYN, 1, 0, 0), p, 1)
			exec1(tr, icmpFrame(A, B, 8, 0, 9, nil), p, 1)
			exec1(tr, udpFrame("2001:db8::1", "2001:db8::2", 1000, 53, 0), p, 1)
		}
		return tr
	}
	a := netip.MustParseAddr(A)
	for _, c := range []struct {
		name string
		f    FlushFilter
		left int
	}{
		{"all", FlushFilter{}, 0},
		{"zone", FlushFilter{HasZone: true, Zone: 1}, 8},
		{"proto", FlushFilter{Proto: packet.ProtoUDP}, 6},
		{"orig src v4 (no protocol: ICMP ids not compared, OVS 3.1)", FlushFilter{Orig: FlushTuple{Src: a}}, 3},
		{"protocol ICMP alone (ids compared even when zero, OVS 3.1)", FlushFilter{Proto: 1}, 12},
		{"5-tuple in zone", FlushFilter{HasZone: true, Zone: 2, Proto: 6, Orig: FlushTuple{Src: a, Dst: netip.MustParseAddr(B), SrcPort: 1000, DstPort: 80}}, 11},
		{"reply tuple", FlushFilter{Proto: 17, Reply: FlushTuple{SrcPort: 53}}, 6},
		{"icmp orig exact, reply zero (the reply id is compared too: OVS 3.1)", FlushFilter{Proto: 1, Orig: FlushTuple{Src: a, ICMPID: 9, ICMPType: 8}}, 12},
		{"icmp both exact", FlushFilter{Proto: 1, Orig: FlushTuple{Src: a, ICMPID: 9, ICMPType: 8}, Reply: FlushTuple{ICMPID: 9}}, 9},
		{"icmp wrong id", FlushFilter{Proto: 1, Orig: FlushTuple{Src: a, ICMPID: 8, ICMPType: 8}}, 12},
		{"mark", FlushFilter{Mark: 0x10, MarkMask: 0xff}, 8},
		{"labels", FlushFilter{Labels: packet.U128{Hi: 2}, LabelsMask: packet.Ones(128)}, 8},
		{"v6 only", FlushFilter{Orig: FlushTuple{Dst: netip.MustParseAddr("2001:db8::2")}}, 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := setup()
			if tr.Count() != 12 {
				t.Fatalf("setup: %d", tr.Count())
			}
			tr.Flush(c.f)
			if tr.Count() != c.left {
				t.Errorf("%s: %d left, want %d", c.name, tr.Count(), c.left)
			}
			checkInvariants(t, tr)
		})
	}
	// The dpctl forms.
	tr := setup()
	for _, args := range [][]string{{"zone=1"}, {"mark=0x20/0xf0"}, {"labels=0"}} {
		if _, err := tr.DPCtl("flush-conntrack", args); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Count() != 0 {
		t.Errorf("after dpctl flushes: %d", tr.Count())
	}
	tr = setup()
	if _, err := tr.DPCtl("flush-conntrack", []string{"ct_nw_src=198.51.100.1,ct_nw_dst=198.51.100.2,ct_nw_proto=17,ct_tp_src=9,ct_tp_dst=53"}); err == nil ||
		err.Error() != "failed to flush conntrack (No such file or directory)" {
		t.Errorf("missing 5-tuple: %v", err)
	}
	if _, err := tr.DPCtl("flush-conntrack", []string{"zone=2", "", "ct_nw_src=198.51.100.2,ct_nw_proto=6"}); err != nil || tr.Count() != 11 {
		t.Errorf("reply-only tuple: %v, %d left", err, tr.Count())
	}
	if n := tr.FlushZone(1); n != 4 || tr.Count() != 7 {
		t.Errorf("FlushZone: %d", n)
	}
}

func TestZoneTimeoutPolicyDPCtl(t *testing.T) {
	tr := New(Config{})
	if _, err := tr.DPCtl("add-zone-tp", []string{"netdev@ovs-netdev", "zone=5", "udp_first=5", "icmp_reply=3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.DPCtl("add-zone-tp", []string{"zone=5", "udp_first=6"}); err == nil {
		t.Error("duplicate add-zone-tp accepted")
	}
	if _, err := tr.DPCtl("add-zone-tp", []string{"zone=6", "bogus=1"}); err == nil {
		t.Error("unknown attribute accepted")
	}
	out, _ := tr.DPCtl("list-zone-tp", nil)
	if out != "Zone:5, Timeout Policies: icmp_reply=3 udp_first=5\n" {
		t.Errorf("list-zone-tp: %q", out)
	}
	exec1(tr, udpFrame(A, B, 1, 2, 0), Params{Commit: true, Zone: 5}, 0)
	if tr.Sweep(5*int64(time.Second)) != 1 {
		t.Error("zone policy not applied")
	}
	if _, err := tr.DPCtl("del-zone-tp", []string{"zone=5"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.DPCtl("del-zone-tp", []string{"zone=5"}); err == nil {
		t.Error("deleting a missing policy succeeded")
	}
	if _, err := tr.DPCtl("add-zone-tp", []string{"zone=default", "udp_first=2"}); err != nil {
		t.Fatal(err)
	}
	exec1(tr, udpFrame(A, B, 1, 2, 0), commit, 0)
	if tr.Sweep(2*int64(time.Second)) != 1 {
		t.Error("default policy not applied")
	}
}

func TestDPCtlMisc(t *testing.T) {
	tr := New(Config{})
	for _, c := range []struct {
		cmd  string
		args []string
		out  string
		err  string
	}{
		{"ct-set-sweep-interval", []string{"500"}, "setting sweep interval successful\n", ""},
		{"ct-get-sweep-interval", nil, "500\n", ""},
		{"ct-set-sweep-interval", []string{"0"}, "", "invalid sweep value (Invalid argument)"},
		{"dump-conntrack-exp", nil, "", ""},
		{"dump-conntrack", []string{"--format=json"}, "[]\n", ""},
		{"dump-conntrack", []string{"-x"}, "", "Unrecognized option -x"},
		{"ct-disable-tcp-seq-chk", []string{"zone=4"}, "disabling TCP sequence checking successful\n", ""},
		{"ct-get-tcp-seq-chk", []string{"zone=4"}, "TCP sequence checking: disabled\n", ""},
		{"ct-get-tcp-seq-chk", nil, "TCP sequence checking: enabled\n", ""},
		{"ct-del-limits", []string{"foo"}, "", "invalid argument foo (Invalid argument)"},
		{"ct-get-limits", []string{"zone=1,2"}, "default limit=0\nzone=1,limit=0,count=0\nzone=2,limit=0,count=0\n", ""},
		{"flush-conntrack", []string{"mark=zz"}, "", "failed to parse field mark (Invalid argument)"},
		{"flush-conntrack", []string{"a=1", "b=2", "c=3"}, "", "invalid conntrack tuple field: a (Invalid argument)"},
	} {
		out, err := tr.DPCtl(c.cmd, c.args)
		es := ""
		if err != nil {
			es = err.Error()
		}
		if out != c.out || es != c.err {
			t.Errorf("%s %v: %q, %q; want %q, %q", c.cmd, c.args, out, es, c.out, c.err)
		}
	}
	exec1(tr, icmpFrame(A, B, 8, 0, 3, nil), Params{Commit: true, Zone: 2, SetMark: true, Mark: 1, MarkMask: 1}, 1)
	out, _ := tr.DPCtl("dump-conntrack", []string{"--format=json"})
	want := `[{"proto":"icmp","zone":2,"orig":{"src":"198.51.100.1","dst":"198.51.100.2","id":3,"type":8,"code":0},"reply":{"src":"198.51.100.2","dst":"198.51.100.1","id":3,"type":0,"code":0},"mark":1,"labels":"0x00000000000000000000000000000000","timeout":`
	if len(out) < len(want) || out[:len(want)] != want {
		t.Errorf("json: %s", out)
	}
}

// TestFlushLargeZone flushes a zone bigger than one lock hold's batch
// while another zone keeps working.
func TestFlushLargeZone(t *testing.T) {
	tr := New(Config{Shards: 4})
	p := Params{Commit: true, Zone: 9}
	for i := 0; i < 5000; i++ {
		exec1(tr, udpFrame(A, B, uint16(1+i), 53, 0), p, 1)
	}
	established(t, tr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			if s := exec1(tr, fwd(tcpACK, 101, 501, 0), commit, 2); s != trk|est {
				t.Errorf("zone 0 during flush: %s", stateString(s))
				return
			}
		}
	}()
	if n := tr.FlushZone(9); n != 5000 {
		t.Errorf("flushed %d", n)
	}
	<-done
	if tr.Count() != 1 {
		t.Fatalf("count %d", tr.Count())
	}
	checkInvariants(t, tr)
	// Freed slots are reused after the grace period, not before.
	next := tr.slab.next.Load()
	exec1(tr, udpFrame(A, B, 1, 53, 0), p, 1)
	if tr.slab.next.Load() != next+1 {
		t.Error("slot reused within the grace period")
	}
	exec1(tr, udpFrame(A, B, 2, 53, 0), p, tr.Now()+reuseGrace+1)
	if tr.slab.next.Load() != next+1 {
		t.Error("freed slot not reused after the grace period")
	}
	checkInvariants(t, tr)
}

// TestBackgroundSweep runs the sweeper goroutine with a manual clock for
// the connections' ages, in a synctest bubble so that the sweeper's timer
// and the test's polling run on the bubble's fake time (no real waiting).
func TestBackgroundSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var now atomic.Int64
		now.Store(int64(time.Second))
		tr := New(Config{Clock: now.Load, SweepInterval: 5 * time.Millisecond})
		tr.Start()
		tr.Start() // idempotent
		defer tr.Stop()
		for i := 0; i < 100; i++ {
			exec1(tr, udpFrame(A, B, uint16(1+i), 53, 0), commit, now.Load())
		}
		now.Add(61 * int64(time.Second))
		deadline := time.Now().Add(5 * time.Second)
		for tr.Count() != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if tr.Count() != 0 {
			t.Fatalf("background sweep left %d", tr.Count())
		}
		tr.Stop()
		tr.Stop()
	})
}

// TestLimitStatesAsOVS mirrors testdata/ovs31/limit-flows.txt: with
// ct-set-maxconns 0, a ping request is +trk+new (nothing is created) and
// its reply +trk+inv (an echo reply cannot start a connection).
func TestLimitStatesAsOVS(t *testing.T) {
	tr := New(Config{})
	if _, err := tr.DPCtl("ct-set-maxconns", []string{"0"}); err != nil {
		t.Fatal(err)
	}
	runSteps(t, tr, []step{
		{"request", icmpFrame(A, B, icmp4EchoRequest, 0, 1, nil), commit, trk | nw},
		{"reply", icmpFrame(B, A, icmp4EchoReply, 0, 1, nil), commit, trk | inv},
	})
	if out, _ := tr.DPCtl("ct-get-nconns", nil); out != "0\n" {
		t.Errorf("nconns %q", out)
	}
}

// TestSweepIntervalTakesEffect: a new sweep period applies at once, not
// after the rest of the old one (dpctl/ct-set-sweep-interval right after
// start used to wait out the 20 s default).
func TestSweepIntervalTakesEffect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var now atomic.Int64
		now.Store(int64(time.Second))
		tr := New(Config{Clock: now.Load})
		tr.Start()
		defer tr.Stop()
		exec1(tr, udpFrame(A, B, 1, 53, 0), commit, now.Load())
		now.Add(61 * int64(time.Second))
		time.Sleep(time.Second)
		synctest.Wait()
		tr.SetSweepInterval(10 * time.Millisecond)
		time.Sleep(time.Second)
		synctest.Wait()
		if tr.Count() != 0 {
			t.Fatalf("%d connections left a second after the sweep period became 10 ms", tr.Count())
		}
	})
}
