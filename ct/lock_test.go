package ct

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"gswitch/ct/internal/lockcheck"
)

// panics reports whether f panics.
func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

// TestLockPreconditions: in race builds, where package lockcheck checks
// the lock preconditions, a *Locked function or shard method called
// without its lock (or with a read lock where it writes) panics before it
// touches anything.
func TestLockPreconditions(t *testing.T) {
	if !lockcheck.Enabled {
		t.Skip("lock preconditions are checked in race builds (go test -race)")
	}
	tr := New(Config{Shards: 4})
	pk := udpFrame(A, B, 7, 7, 0)
	exec1(tr, pk, commit, 2)
	c, _, _ := cachedConn(pk)
	if c == nil {
		t.Fatal("no connection")
	}
	s, h := tr.shardOf(&c.key), c.key.hash(tr.seed)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"shard.get", func() { s.get(h, &c.key) }},
		{"shard.each", func() { s.each(-1, func(*conn) bool { return true }) }},
		{"shard.put", func() { s.put(h, c, false) }},
		{"shard.del", func() { s.del(h, c, false) }},
		{"shard.unzone", func() { s.unzone(c) }},
		{"growNeeds", func() { growNeeds(s, s) }},
		{"allocLocked", func() { tr.allocLocked(s, 2) }},
		{"removeLocked", func() { tr.removeLocked(c, nil, 2) }},
		{"removeLocked, read lock", func() {
			s.mu.RLock()
			defer s.mu.RUnlock()
			tr.removeLocked(c, nil, 2)
		}},
		{"unlinkLocked", func() { tr.unlinkLocked(c, s, h, s, h, 2) }},
		{"markLabelLocked", func() { tr.markLabelLocked(c, &Params{}) }},
		{"updateLocked", func() { tr.updateLocked(c, &lookupCtx{key: c.key}, nil, 2) }},
		{"runHelper", func() { tr.runHelper(pk, c, &algState{}, false, false, new(uint32), 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !panics(tc.f) {
				t.Fatal("no panic without the lock")
			}
		})
	}
	// The checks changed nothing.
	if st := exec1(tr, udpFrame(B, A, 7, 7, 0), commit, 3); st != trk|est|rpl {
		t.Fatalf("reply after the checks: %s", stateString(st))
	}
	checkInvariants(t, tr)
}

// TestLockedCallersConcurrent runs every caller of the *Locked functions
// at once: commits with and without NAT, an FTP control connection whose
// PORT makes an expectation and whose data connection consumes it (the
// ALG, expectation and connection locks), replies, and the sweep, flushes
// and dumps (the shard locks, one and two at a time). Under go test -race
// the lock checks panic on any broken precondition and the race detector
// reports unguarded accesses; everywhere it must not deadlock.
func TestLockedCallersConcurrent(t *testing.T) {
	tr := New(Config{Shards: 4})
	ctl := Params{Commit: true, Alg: AlgFTP, NAT: natTo(NATSrc, srvNAT, 0, 0)}
	relc := Params{Commit: true, NAT: &NAT{}}
	snat := Params{Commit: true, NAT: natTo(NATSrc, srvNAT, 0, 0)}
	const rounds = 200
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			now := int64(time.Second)
			for i := 0; i < rounds; i++ {
				now += int64(time.Millisecond)
				cport := uint16(20000 + g*1000 + i)
				exec1(tr, tcp4(A, B, cport, 21, "S", 1000, 0, ""), ctl, now)
				exec1(tr, tcp4(B, srvNAT, 21, cport, "SA", 5000, 1001, ""), ctBareNAT, now)
				exec1(tr, tcp4(A, B, cport, 21, "A", 1001, 5001, ""), ctBareNAT, now)
				dport := cport + 20000 // the data connection's port
				port := fmt.Sprintf("PORT 198,51,100,1,%d,%d\r\n", dport>>8, dport&0xff)
				exec1(tr, tcp4(A, B, cport, 21, "PA", 1001, 5001, port), ctBareNAT, now)
				data := tcp4(B, srvNAT, 20, dport, "S", 7000, 0, "")
				exec1(tr, data, ctBareNAT, now)
				exec1(tr, data, relc, now)
				exec1(tr, tcp4(A, B, dport, 20, "SA", 9000, 7001, ""), ctBareNAT, now)
				exec1(tr, udpFrame(A, B, cport, 53, 0), snat, now)
				exec1(tr, udpFrame(B, A, 53, cport, 0), commit, now)
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		zone := uint16(0)
		for i := 0; i < rounds/4; i++ {
			now := tr.Now()
			tr.Conns(nil)
			tr.Conns(&zone)
			tr.PendingExpectations(nil)
			tr.Sweep(now + int64(time.Duration(i)*time.Second))
			tr.Flush(FlushFilter{Proto: 17, Orig: FlushTuple{DstPort: 53}})
			if i%10 == 9 {
				tr.FlushZone(0)
			}
		}
	}()
	wg.Wait()
	checkInvariants(t, tr)
}
