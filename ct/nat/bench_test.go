package nat

import (
	"testing"

	"gswitch/packet"
)

// BenchmarkSelect: a new connection's translation on an empty range and on
// a range 90% full (1000 ports of one address, a table of 900 reply
// tuples for the same server, taken at random: OVS's bounded walk may fail
// when the free ports are all in one block far from the hashed start).
func BenchmarkSelect(b *testing.B) {
	r := rng(Src, "203.0.113.100", "203.0.113.100", 20000, 20999)
	base := tup(protoTCP, "198.51.100.10", 1024, "203.0.113.5", 80)
	mk := func(i int) Tuple {
		o := base
		o.SrcPort = uint16(1024 + i%60000)
		return o
	}
	b.Run("empty", func(b *testing.B) {
		tb := table{}
		in := tb.inUse
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			o := mk(i)
			if _, ok := Select(r, &o, in, 1); !ok {
				b.Fatal("select")
			}
			i++
		}
	})
	b.Run("full90", func(b *testing.B) {
		tb := table{}
		for _, p := range newRand(b).Perm(1000)[:900] {
			x := tup(protoTCP, "203.0.113.5", 80, "203.0.113.100", uint16(20000+p))
			tb[x] = true
		}
		in := tb.inUse
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			o := mk(i)
			if _, ok := Select(r, &o, in, 1); !ok {
				b.Fatal("select")
			}
			i++
		}
	})
}

// BenchmarkApply: translating packets of an established SNAT connection
// (addresses and ports of TCP over IPv4 and IPv6), alternately to and
// from the translated tuple so every call rewrites.
func BenchmarkApply(b *testing.B) {
	for _, c := range []struct {
		name string
		orig Tuple
		r    *Range
	}{
		{"tcp4", tup(protoTCP, "198.51.100.10", 40000, "203.0.113.5", 80), rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)},
		{"tcp6", tup(protoTCP, "2001:db8:1::10", 40000, "2001:db8:2::5", 80), rng(Src, "2001:db8:2::100", "2001:db8:2::101", 20000, 20099)},
	} {
		b.Run(c.name, func(b *testing.B) {
			reply, _ := Select(c.r, &c.orig, never, 1)
			back := c.orig.Reverse()
			pk := packet.New(buildF(c.orig, make([]byte, 1400)))
			packet.Parse(pk)
			b.ReportAllocs()
			b.SetBytes(int64(len(pk.Data)))
			i := 0
			for b.Loop() {
				other := &reply
				if i&1 != 0 {
					other = &back
				}
				if err := Apply(pk, Src, Orig, other); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
