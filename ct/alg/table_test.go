package alg

import (
	"sync"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	var now int64 = 5e9 // a manual clock
	m := plain(cli4, srv4, 40000)
	tb := NewTable(0, 2)
	data := func(sport, dport uint16) Tuple { return Tuple{Src: srv4, Dst: cli4, SrcPort: sport, DstPort: dport} }
	if _, ok := tb.Take(ProtoTCP, 5, data(20, 20040), now); ok {
		t.Fatal("empty table")
	}
	e := expect(m, Orig, "ftp", ProtoTCP, 20040, now)
	if !tb.Add(e) || !tb.Add(e) || tb.Len() != 1 {
		t.Fatalf("Add dedupe: len %d", tb.Len())
	}
	// Wrong zone, port, protocol: not taken.
	for _, c := range []struct {
		name  string
		proto uint8
		zone  uint16
		tu    Tuple
	}{
		{"other zone", ProtoTCP, 6, data(20, 20040)},
		{"other port", ProtoTCP, 5, data(20, 20041)},
		{"udp", ProtoUDP, 5, data(20, 20040)},
		{"other source", ProtoTCP, 5, Tuple{Src: oth4, Dst: cli4, SrcPort: 20, DstPort: 20040}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := tb.Take(c.proto, c.zone, c.tu, now); ok {
				t.Fatalf("taken by %+v", c)
			}
		})
	}
	got, ok := tb.Take(ProtoTCP, 5, data(33333, 20040), now+1)
	if !ok || got != e || tb.Len() != 0 {
		t.Fatalf("Take = %+v %v", got, ok)
	}
	if _, ok := tb.Take(ProtoTCP, 5, data(33333, 20040), now+1); ok {
		t.Fatal("taken twice")
	}
	// Expiry with the manual clock.
	tb.Add(e)
	if _, ok := tb.Take(ProtoTCP, 5, data(1, 20040), now+int64(DefaultLifetime)); ok || tb.Len() != 0 {
		t.Fatal("expired expectation taken")
	}
	tb.Add(e)
	e2 := expect(m, Reply, "ftp", ProtoTCP, 20100, now+int64(time.Minute))
	tb.Add(e2)
	if n := tb.Sweep(now + int64(DefaultLifetime) - 1); n != 0 {
		t.Fatalf("Sweep early removed %d", n)
	}
	if n := tb.Sweep(now + int64(DefaultLifetime)); n != 1 || tb.Len() != 1 {
		t.Fatalf("Sweep removed %d, len %d", n, tb.Len())
	}
	// Per-master limit: the oldest goes.
	for p := uint16(1); p <= 3; p++ {
		tb.Add(expect(m, Orig, "ftp", ProtoTCP, 30000+p, now))
	}
	l := tb.List(nil)
	if len(l) != 2 {
		t.Fatalf("per-master limit: %+v", l)
	}
	for _, x := range l {
		if x.DstPort != 30002 && x.DstPort != 30003 {
			t.Fatalf("kept %d", x.DstPort)
		}
	}
	other := plain(cli4, srv4, 40001)
	tb.Add(expect(other, Orig, "ftp", ProtoTCP, 40000, now))
	if n := tb.RemoveMaster(5, m.Orig); n != 2 || tb.Len() != 1 {
		t.Fatalf("RemoveMaster: %d, len %d", n, tb.Len())
	}
	z := uint16(4)
	tb.Flush(&z)
	if tb.Len() != 1 {
		t.Fatal("Flush of another zone removed something")
	}
	tb.Flush(nil)
	if tb.Len() != 0 {
		t.Fatal("Flush")
	}
	// Global limit.
	small := NewTable(3, 10)
	for p := uint16(1); p <= 4; p++ {
		ok := small.Add(expect(m, Orig, "ftp", ProtoTCP, p, now))
		if ok != (p <= 3) {
			t.Fatalf("Add %d = %v", p, ok)
		}
	}
}

func TestTableConcurrent(t *testing.T) {
	tb := NewTable(0, 1000)
	m := plain(cli4, srv4, 40000)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				p := uint16(g*1000 + i + 1)
				tb.Add(expect(m, Orig, "ftp", ProtoTCP, p, 0))
				if _, ok := tb.Take(ProtoTCP, 5, Tuple{Src: srv4, Dst: cli4, SrcPort: 20, DstPort: p}, 1); !ok {
					t.Errorf("Take %d", p)
					return
				}
				tb.Sweep(1)
			}
		}(g)
	}
	wg.Wait()
	if tb.Len() != 0 {
		t.Fatalf("len %d", tb.Len())
	}
}

func TestAppendOVS(t *testing.T) {
	m := plain(cli4, srv4, 40000)
	e := expect(m, Orig, "ftp", ProtoTCP, 20040, 0)
	if got, want := string(e.AppendOVS(nil, 0, 0, 0)), "tcp,orig=(src=198.51.100.2,dst=198.51.100.1,sport=0,dport=20040),zone=5,parent=(src=198.51.100.1,dst=198.51.100.2,sport=40000,dport=21)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	m6 := plain(cli6, srv6, 40000)
	m6.Zone = 0
	e = expect(m6, Reply, "ftp", ProtoTCP, 20100, 0)
	if got, want := string(e.AppendOVS(nil, 7, 0, 0x1234)), "tcp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=0,dport=20100),mark=7,labels=0x1234,parent=(src=2001:db8::1,dst=2001:db8::2,sport=40000,dport=21)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	e.Proto = ProtoUDP
	if got := string(e.AppendOVS(nil, 0, 1<<56, 0)); got != "udp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=0,dport=20100),labels=0x1000000000000000000000000000000,parent=(src=2001:db8::1,dst=2001:db8::2,sport=40000,dport=21)" {
		t.Errorf("got %s", got)
	}
}
