package ct

import (
	"math/rand/v2"
	"testing"
)

// TestHashSymmetric: a key and its reverse hash the same (one shard, one
// chain), for v4, v6 and ICMP echo; zone, protocol and family change it.
func TestHashSymmetric(t *testing.T) {
	tr := New(Config{})
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		var k connKey
		k.v6 = i%2 == 1
		for j := range k.src {
			if k.v6 || j < 4 {
				k.src[j], k.dst[j] = byte(r.Uint32()), byte(r.Uint32())
			}
		}
		k.sport, k.dport, k.zone = uint16(r.Uint32()), uint16(r.Uint32()), uint16(r.Uint32())
		k.proto = 17
		if i%3 == 0 {
			k.proto, k.itype, k.dport = 1, icmp4EchoRequest, k.sport
			if k.v6 {
				k.proto, k.itype = 58, icmp6EchoRequest
			}
		}
		rk := k.reverse()
		if k.hash(tr.seed) != rk.hash(tr.seed) {
			t.Fatalf("%+v and its reverse hash differently", k)
		}
		for _, m := range []func(*connKey){
			func(x *connKey) { x.zone++ },
			func(x *connKey) { x.proto++ },
			func(x *connKey) { x.v6 = !x.v6 },
		} {
			x := k
			m(&x)
			if x.hash(tr.seed) == k.hash(tr.seed) {
				t.Fatalf("%+v and %+v collide", k, x)
			}
		}
	}
}

// TestHashNoSumCollisions: keys whose addresses and ports have the same
// sums (which a hash of raw sums would put in one chain, for an attacker
// to lengthen at will) spread out.
func TestHashNoSumCollisions(t *testing.T) {
	tr := New(Config{})
	seen := map[uint64]bool{}
	for i := 0; i < 20000; i++ {
		var k connKey
		k.src[3], k.dst[3] = byte(i%200), byte(200-i%200)
		k.sport, k.dport, k.proto = uint16(1000+i), uint16(60000-i), 6
		seen[k.hash(tr.seed)] = true
	}
	if len(seen) != 20000 {
		t.Fatalf("%d distinct hashes of 20000 keys", len(seen))
	}
}

// TestChains puts many connections under one hash (as a 64-bit collision
// would) and removes them in a random order: every key stays findable
// with its direction, and the chain, the zone lists and the map entry
// are left empty at the end.
func TestChains(t *testing.T) {
	tr := New(Config{Shards: 1})
	s := &tr.shards[0]
	const h = 0x1234
	var conns []*conn
	for i := 0; i < 50; i++ {
		c := tr.slab.at(tr.slab.fresh())
		c.idx = uint32(len(conns) + 1) // overwritten below
		c.key = connKey{sport: uint16(1000 + i), dport: 53, proto: 17, zone: uint16(i % 3)}
		c.key.src[3], c.key.dst[3] = 1, 2
		c.rkey = c.key.reverse()
		conns = append(conns, c)
	}
	for i, c := range conns {
		c.idx = uint32(i + 1)
		s.put(h, c, false)
		s.put(h, c, true)
	}
	check := func(live []*conn) {
		t.Helper()
		for _, c := range live {
			if got, reply := s.get(h, &c.key); got != c || reply {
				t.Fatalf("key of %d: got %v reply %v", c.idx, got != nil, reply)
			}
			if got, reply := s.get(h, &c.rkey); got != c || !reply {
				t.Fatalf("reply key of %d: got %v reply %v", c.idx, got != nil, reply)
			}
		}
		n := 0
		s.each(-1, func(*conn) bool { n++; return true })
		if n != len(live) {
			t.Fatalf("walk found %d of %d", n, len(live))
		}
		for z := 0; z < 3; z++ {
			want := 0
			for _, c := range live {
				if int(c.key.zone) == z {
					want++
				}
			}
			got := 0
			s.each(z, func(c *conn) bool {
				if int(c.key.zone) != z {
					t.Fatalf("conn of zone %d in zone %d's list", c.key.zone, z)
				}
				got++
				return true
			})
			if got != want {
				t.Fatalf("zone %d: %d in list, want %d", z, got, want)
			}
		}
	}
	check(conns)
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(conns), func(i, j int) { conns[i], conns[j] = conns[j], conns[i] })
	for len(conns) > 0 {
		c := conns[len(conns)-1]
		conns = conns[:len(conns)-1]
		if c.idx%3 == 0 {
			s.delBoth(h, c)
		} else {
			s.del(h, c, c.idx%2 == 0)
			s.del(h, c, c.idx%2 == 1)
		}
		if got, _ := s.get(h, &c.key); got != nil {
			t.Fatal("removed key still found")
		}
		check(conns)
	}
	if len(s.idx) != 0 || len(s.zones) != 0 {
		t.Fatalf("left behind: %d chains, %d zone lists", len(s.idx), len(s.zones))
	}
}
