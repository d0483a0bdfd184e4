package frag

import (
	"encoding/binary"
	"math/rand"
	"runtime"
	"sync"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// fuzzFrame builds one fragment from a 6-byte record:
//
//	b0: bit0 IPv6, bits1-2 ID, bit3 More, bit4 zone, bits5-7 time step
//	b1-b2: offset in 8-byte units; b3-b4: data length (mod 2048)
//	b5: IPv6: 1 Hop-by-Hop, 2 Hop-by-Hop + Destination Options before the
//	    Fragment header; 255 on IPv4: a bad header checksum
func fuzzFrame(rec []byte) (frame []byte, zone uint16, step int64) {
	v6 := rec[0]&1 != 0
	id := uint32(rec[0]>>1) & 3
	more := rec[0]&8 != 0
	zone = uint16(rec[0]>>4) & 1
	step = int64(rec[0]>>5) * 2e9
	off := int(binary.BigEndian.Uint16(rec[1:])&0x1fff) * 8
	n := int(binary.BigEndian.Uint16(rec[3:]) % 2048)
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(off + i) // position-dependent, so misplaced data shows
	}
	if !v6 {
		if off+n+20 > 65535 {
			n = 65535 - 20 - off
			data = data[:max(n, 0)]
		}
		frame = frag4(uint16(id), off, more, data)
		if rec[5] == 255 {
			frame[24] ^= 1
		}
		return
	}
	var ext [][]byte
	switch rec[5] {
	case 1:
		ext = [][]byte{{packet.ProtoHopOpts, 0, 1, 4, 0, 0, 0, 0}}
	case 2:
		ext = [][]byte{{packet.ProtoHopOpts, 0, 1, 4, 0, 0, 0, 0}, {60, 0, 1, 4, 0, 0, 0, 0}}
	}
	if 40+len(ext)*8+8+off+n > 65535+40 {
		data = data[:0]
	}
	return frag6(id, off, more, packet.ProtoUDP, ext, data), zone, step
}

// checkDatagram checks the invariants of a completed datagram: Whole
// reparses as a whole IP datagram, its payload is the sum of the fragments'
// payloads, and each fragment's data sits at its offset.
func checkDatagram(t testing.TB, dg *Datagram) {
	w := packet.New(dg.Whole.Data)
	packet.Parse(w)
	k := &w.Key
	if k.Flags&(packet.FlagIPv4|packet.FlagIPv6) == 0 || k.NwFrag() != 0 {
		t.Fatalf("whole does not reparse: flags %#x frag %d", k.Flags, k.NwFrag())
	}
	if k.Flags&packet.FlagBadIPCsum != 0 {
		t.Fatalf("whole has a bad IPv4 checksum")
	}
	d := w.Data
	l3 := int(k.L3)
	var head int
	v6 := k.Flags&packet.FlagIPv6 != 0
	if v6 {
		plen := int(binary.BigEndian.Uint16(d[l3+4:]))
		if l3+40+plen != len(d) {
			t.Fatalf("whole v6 length %d, frame %d", plen, len(d))
		}
	} else {
		tot := int(binary.BigEndian.Uint16(d[l3+2:]))
		if l3+tot != len(d) {
			t.Fatalf("whole v4 length %d, frame %d", tot, len(d))
		}
	}
	sum := 0
	for i, f := range dg.Frags {
		var fi fragInfo
		if parseFrag(f, &fi) != psOK {
			t.Fatalf("frag %d does not parse", i)
		}
		sum += int(fi.end - fi.start)
		// The first fragment's headers (the IPv6 unfragmentable part, not
		// its Fragment header) stay before the data.
		if fi.start == 0 {
			head = fi.data
			if v6 {
				head = fi.fh
			}
		}
	}
	if len(d)-head != sum {
		t.Fatalf("whole carries %d bytes of data, fragments %d", len(d)-head, sum)
	}
	for i, f := range dg.Frags {
		var fi fragInfo
		parseFrag(f, &fi)
		got := d[head+int(fi.start) : head+int(fi.end)]
		want := f.Data[fi.data:fi.ipEnd]
		if string(got) != string(want) {
			t.Fatalf("frag %d's data is not at its offset in whole", i)
		}
	}
}

func FuzzReassemble(f *testing.F) {
	// Seeds: a 2-fragment v4 datagram, a 2-fragment v6 datagram with a
	// Hop-by-Hop header, an overlap, a bad checksum, reverse order.
	rec := func(b0 byte, off8, n uint16, b5 byte) []byte {
		return []byte{b0, byte(off8 >> 8), byte(off8), byte(n >> 8), byte(n), b5}
	}
	cat := func(rs ...[]byte) []byte {
		var out []byte
		for _, r := range rs {
			out = append(out, r...)
		}
		return out
	}
	f.Add(cat(rec(8, 0, 1480, 0), rec(0, 185, 100, 0)))
	f.Add(cat(rec(9, 0, 1232, 1), rec(1, 154, 300, 1)))
	f.Add(cat(rec(0, 185, 100, 0), rec(8, 0, 1480, 0)))
	f.Add(cat(rec(8, 0, 1480, 0), rec(0, 184, 100, 0), rec(0, 185, 100, 0)))
	f.Add(cat(rec(8, 0, 1480, 255), rec(0xe8, 0, 1480, 0), rec(0, 185, 8, 0)))
	f.Add(cat(rec(8, 0, 400, 0), rec(8, 50, 400, 0), rec(8, 100, 400, 0), rec(0, 150, 1, 0)))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := New()
		r.SetMinFrag(false, 400)
		r.SetMinFrag(true, 400)
		const maxFrags = 8
		r.SetMaxFrags(maxFrags)
		now := int64(0)
		for i := 0; i+6 <= len(in) && i < 6*300; i += 6 {
			frame, zone, step := fuzzFrame(in[i : i+6])
			now += step
			r.Expire(now)
			pk := packet.New(frame)
			packet.Parse(pk)
			if pk.Key.NwFrag()&packet.FragAny == 0 {
				continue
			}
			dg, v := r.Handle(pk, zone, now)
			if (dg != nil) != (v == Complete) || v == 0 {
				t.Fatalf("verdict %v with datagram %v", v, dg != nil)
			}
			if n := r.NumFrags(); n > maxFrags || n < 0 {
				t.Fatalf("%d fragments held, bound %d", n, maxFrags)
			}
			if dg != nil {
				checkDatagram(t, dg)
				// Without NAT, syncing changes nothing, and the fragments
				// reassemble again to the same datagram.
				dg.SyncFromWhole()
				r2 := New()
				r2.SetMinFrag(false, 400)
				r2.SetMinFrag(true, 400)
				var again *Datagram
				for _, f := range dg.Frags {
					if d, _ := r2.Handle(f, zone, now); d != nil {
						again = d
					}
				}
				if again == nil || string(again.Whole.Data) != string(dg.Whole.Data) {
					t.Fatalf("the fragments do not reassemble again to Whole")
				}
			}
			s := r.Stats()
			held := s.V4.Accepted + s.V6.Accepted - (s.V4.Completed + s.V6.Completed + s.V4.Expired + s.V6.Expired + s.V4.Purged + s.V6.Purged)
			if held != uint64(s.NumFrags) {
				t.Fatalf("counters: accepted-completed-expired-purged = %d, held %d", held, s.NumFrags)
			}
		}
		r.Expire(now + Timeout + 1)
		if r.NumFrags() != 0 || len(r.Pending()) != 0 {
			t.Fatalf("fragments left after expiry")
		}
	})
}

// TestFlood: a flood of fragments of distinct datagrams never holds more
// than MaxFrags fragments, and memory stays bounded.
func TestFlood(t *testing.T) {
	r := New()
	rng := rand.New(rand.NewSource(5))
	body := make([]byte, 1480)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	pk := packet.New(frag4(0, 0, true, body))
	packet.Parse(pk)
	held := 0
	for i := 0; i < 20000; i++ {
		d := pk.Data
		binary.BigEndian.PutUint16(d[18:], uint16(rng.Intn(65536)))
		binary.BigEndian.PutUint32(d[26:], rng.Uint32()) // source address
		binary.BigEndian.PutUint16(d[20:], 0x2000|uint16(rng.Intn(8000)))
		fixCsum4(d, 14)
		packet.Parse(pk)
		if _, v := r.Handle(pk, uint16(i), int64(i)*1000); v == Held {
			held++
		}
		if r.NumFrags() > DefaultMaxFrags {
			t.Fatalf("%d fragments held", r.NumFrags())
		}
	}
	if held != DefaultMaxFrags || r.Stats().V4.TableFull != 20000-DefaultMaxFrags {
		t.Fatalf("held %d, table full %d", held, r.Stats().V4.TableFull)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	// 1000 fragments of 1514 bytes (2 KiB buffers each) plus bookkeeping.
	if grow := int64(ms.HeapAlloc) - int64(base); grow > 8<<20 {
		t.Fatalf("heap grew by %d bytes holding %d fragments", grow, r.NumFrags())
	}
	r.Expire(20000*1000 + Timeout + 1)
	if r.NumFrags() != 0 || r.Stats().V4.Expired != DefaultMaxFrags {
		t.Fatalf("after expiry: %+v", r.Stats())
	}
}

// TestConcurrent reassembles in several goroutines while others read the
// status and expire (run with -race).
func TestConcurrent(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			orig := pkttest.UDP4(src4, dst4, 1000, 2000, payload(5000, byte(g)))
			frags := pkttest.Frag4(orig, 1480)
			for i := 0; i < 50; i++ {
				var done bool
				for j, f := range frags {
					pk := parsed(f, 7)
					dg, v := r.Handle(pk, uint16(g), int64(i))
					if j == len(frags)-1 {
						done = v == Complete && dg != nil
					}
				}
				if !done {
					t.Errorf("goroutine %d: datagram %d incomplete", g, i)
					return
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 100; i++ {
			_, _ = r.Stats(), r.Pending()
			r.Expire(0)
		}
	}()
	wg.Wait()
	if s := r.Stats(); s.NumFrags != 0 || s.V4.Completed != 4*50*4 {
		t.Fatalf("%+v", s)
	}
}

func BenchmarkReassemble2(b *testing.B) {
	r := New()
	orig := pkttest.UDP4(src4, dst4, 1000, 2000, payload(2000, 0))
	frags := pkttest.Frag4(orig, 1480)
	if len(frags) != 2 {
		b.Fatal(len(frags))
	}
	p0, p1 := parsed(frags[0], 1), parsed(frags[1], 1)
	b.ReportAllocs()
	for b.Loop() {
		r.Handle(p0, 0, 0)
		if dg, v := r.Handle(p1, 0, 0); v != Complete || dg == nil {
			b.Fatal(v)
		}
	}
}
