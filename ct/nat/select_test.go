package nat

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var never = func(Tuple) bool { return false }

// valid checks the invariants of a selected reply tuple: it is orig
// reversed except for the translated side, whose address lies in the
// range (or is orig's without one) and whose port obeys OVS's rules.
func valid(t *testing.T, r *Range, orig, reply *Tuple) {
	t.Helper()
	want := orig.Reverse()
	var gotA, origA [16]byte
	var gotP, origP uint16
	if r.Kind == Src {
		gotA, origA = reply.Dst, orig.Src
		want.Dst = reply.Dst
		gotP, origP = reply.DstPort, orig.SrcPort
		want.DstPort = reply.DstPort
		if orig.isQuery() {
			want.SrcPort = reply.SrcPort
		}
	} else {
		gotA, origA = reply.Src, orig.Dst
		want.Src = reply.Src
		// DNAT may move the destination port (range) and, on a clash,
		// the source port (ephemeral class).
		want.SrcPort, want.DstPort = reply.SrcPort, reply.DstPort
		gotP, origP = reply.SrcPort, orig.DstPort
	}
	if *reply != want {
		t.Fatalf("reply %v changes more than the translated side of %v", reply, orig)
	}
	if r.HasAddr {
		a := load(&gotA, orig.V6)
		lo, hi := load(&r.AddrMin, r.V6), load(&r.AddrMax, r.V6)
		if less(a, lo) || less(hi, a) {
			t.Fatalf("address %v outside range %+v", reply, r)
		}
	} else if gotA != origA {
		t.Fatalf("address changed without a range: %v -> %v", orig, reply)
	}
	pat := orig.Proto == protoTCP || orig.Proto == protoUDP || orig.isQuery() ||
		orig.Proto == protoSCTP && orig.SrcPort|orig.DstPort != 0
	if !pat {
		if reply.SrcPort != orig.DstPort || reply.DstPort != orig.SrcPort {
			t.Fatalf("ports changed for proto %d", orig.Proto)
		}
		return
	}
	if orig.isQuery() {
		if reply.SrcPort != reply.DstPort {
			t.Fatalf("ICMP id differs between sides: %v", reply)
		}
		gotP, origP = reply.DstPort, orig.SrcPort
		if r.Kind == Src && r.HasPorts {
			if gotP < r.PortMin || gotP > r.PortMax {
				t.Fatalf("id %d outside %d-%d", gotP, r.PortMin, r.PortMax)
			}
		} else if lo, hi := ephemeralClass(origP); gotP != origP && (gotP < lo || gotP > hi) {
			t.Fatalf("id %d moved outside class of %d", gotP, origP)
		}
		return
	}
	switch {
	case r.Kind == Src && r.HasPorts:
		if gotP < r.PortMin || gotP > r.PortMax {
			t.Fatalf("port %d outside %d-%d", gotP, r.PortMin, r.PortMax)
		}
	case r.Kind == Src:
		if lo, hi := ephemeralClass(origP); gotP != origP && (gotP < lo || gotP > hi) {
			t.Fatalf("port %d moved outside the class of %d", gotP, origP)
		}
	default:
		inRange := r.HasPorts && gotP >= r.PortMin && gotP <= r.PortMax
		if !inRange && gotP != origP {
			t.Fatalf("DNAT port %d neither in range nor original %d", gotP, origP)
		}
		sp, osp := reply.DstPort, orig.SrcPort
		if lo, hi := ephemeralClass(osp); sp != osp && (sp < lo || sp > hi) {
			t.Fatalf("DNAT moved source port %d outside the class of %d", sp, osp)
		}
	}
}

func less(a, b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// candidates enumerates the reference search space where Select is
// exhaustive: every address of r (at most MaxAddrTries) with every port
// of an explicit SNAT range of at most 128 ports (or with the ports kept,
// for protocols without ports).
func candidates(r *Range, orig *Tuple) []Tuple {
	var out []Tuple
	lo := load(&r.AddrMin, r.V6)
	n := addrCount(r)
	pat := orig.Proto == protoTCP || orig.Proto == protoUDP || orig.isQuery()
	for i := uint64(0); i < n; i++ {
		c := orig.Reverse()
		lo.add(i).store(&c.Dst, r.V6)
		if !pat {
			out = append(out, c)
			continue
		}
		for p := uint32(r.PortMin); p <= uint32(r.PortMax); p++ {
			c.DstPort = uint16(p)
			if orig.isQuery() {
				c.SrcPort = uint16(p)
			}
			out = append(out, c)
		}
	}
	return out
}

// TestSelectReference compares Select with a brute-force search over
// random tables and random small SNAT ranges (where OVS's walk and our
// address fallback are exhaustive): never a tuple in use, and exhaustion
// exactly when every candidate is taken.
func TestSelectReference(t *testing.T) {
	rnd := newRand(t)
	protos := []uint8{protoTCP, protoUDP, protoICMP, 47}
	for iter := 0; iter < 3000; iter++ {
		nAddr := 1 + rnd.IntN(MaxAddrTries)
		nPort := 1 + rnd.IntN(maxPortAttempts)
		plo := uint16(1 + rnd.IntN(60000))
		r := &Range{Kind: Src, HasAddr: true, HasPorts: true, PortMin: plo, PortMax: plo + uint16(nPort-1)}
		v6 := rnd.IntN(2) == 0
		var orig Tuple
		if v6 {
			r.V6 = true
			r.AddrMin = a6("2001:db8:2::ff")
			orig = tup(protoTCP, "2001:db8:1::10", uint16(1+rnd.IntN(65535)), "2001:db8:2::5", 80)
		} else {
			r.AddrMin = a4("203.0.113.255") // ranges cross a byte boundary
			orig = tup(protoTCP, "198.51.100.10", uint16(1+rnd.IntN(65535)), "203.0.113.5", 80)
		}
		orig.Zone = uint16(rnd.IntN(3))
		r.AddrMax = r.AddrMin
		load(&r.AddrMin, v6).add(uint64(nAddr-1)).store(&r.AddrMax, v6)
		orig.Proto = protos[rnd.IntN(len(protos))]
		if orig.Proto == protoICMP {
			if v6 {
				orig.Proto = protoICMPv6
				orig.IType = 128
			} else {
				orig.IType = 8
			}
			orig.DstPort = orig.SrcPort
		}
		if orig.Proto == 47 {
			orig.SrcPort, orig.DstPort = 0, 0
		}
		cands := candidates(r, &orig)
		tb := table{}
		fill := rnd.Float64()
		if rnd.IntN(4) == 0 {
			fill = 1
		}
		for _, c := range cands {
			if rnd.Float64() < fill {
				tb[c] = true
			}
		}
		for i := 0; i < 20; i++ { // noise: other zones, other tuples
			c := cands[rnd.IntN(len(cands))]
			c.Zone += 7
			tb[c] = true
		}
		free := 0
		for _, c := range cands {
			if !tb[c] {
				free++
			}
		}
		calls := 0
		reply, ok := Select(r, &orig, func(x Tuple) bool { calls++; return tb.inUse(x) }, rnd.Uint64())
		if calls > MaxProbes {
			t.Fatalf("%d probes", calls)
		}
		if ok != (free > 0) {
			t.Fatalf("iter %d: ok=%v with %d of %d candidates free (range %+v, orig %v)", iter, ok, free, len(cands), r, orig)
		}
		if ok {
			if tb[reply] {
				t.Fatalf("selected a tuple in use: %v", reply)
			}
			valid(t, r, &orig, &reply)
		}
	}
}

// TestSelectLastFreePort: with one free port anywhere in a full range,
// Select finds exactly that one.
func TestSelectLastFreePort(t *testing.T) {
	rnd := newRand(t)
	for size := 1; size <= maxPortAttempts; size++ {
		r := rng(Src, "203.0.113.100", "203.0.113.101", 20000, uint16(20000+size-1))
		orig := tup(protoUDP, "198.51.100.10", 5353, "203.0.113.5", 53)
		cands := candidates(r, &orig)
		tb := table{}
		for _, c := range cands {
			tb[c] = true
		}
		hole := cands[rnd.IntN(len(cands))]
		delete(tb, hole)
		reply, ok := Select(r, &orig, tb.inUse, rnd.Uint64())
		if !ok || reply != hole {
			t.Fatalf("size %d: got %v %v, want %v", size, reply, ok, hole)
		}
		tb[hole] = true
		if _, ok := Select(r, &orig, tb.inUse, rnd.Uint64()); ok {
			t.Fatalf("size %d: success on a full range", size)
		}
	}
}

// TestSelectFillsRange plays the tracker: new connections from distinct
// private endpoints to one server take translations until the range is
// full (2 addresses x 100 ports = 200 connections), then are refused.
func TestSelectFillsRange(t *testing.T) {
	r := rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)
	tb := table{}
	seen := map[Tuple]bool{}
	for i := 0; ; i++ {
		orig := tup(protoTCP, "198.51.100.10", uint16(30000+i), "203.0.113.5", 80)
		reply, ok := Select(r, &orig, tb.inUse, 42)
		if !ok {
			if i != 200 {
				t.Fatalf("exhausted after %d connections, want 200", i)
			}
			break
		}
		if i >= 200 || seen[reply] {
			t.Fatalf("connection %d got %v (duplicate or beyond the range)", i, reply)
		}
		valid(t, r, &orig, &reply)
		seen[reply] = true
		tb.add(orig, reply)
	}
}

// TestSelectSpread: with an empty table the hash start reaches every port
// and address of the range.
func TestSelectSpread(t *testing.T) {
	r := rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)
	ports := map[uint16]int{}
	addrs := map[[16]byte]int{}
	for i := 0; i < 5000; i++ {
		orig := tup(protoTCP, "198.51.100.10", uint16(1024+i), "203.0.113.5", 80)
		reply, ok := Select(r, &orig, never, 7)
		if !ok {
			t.Fatal("failed on an empty table")
		}
		ports[reply.DstPort]++
		addrs[reply.Dst]++
	}
	if len(ports) != 100 || len(addrs) != 2 {
		t.Fatalf("reached %d ports and %d addresses, want 100 and 2", len(ports), len(addrs))
	}
}

// TestSelectKeepsPort: SNAT without a port range keeps the source port
// when the reply tuple is free, and otherwise moves it within OVS's class
// of the original port; nat(src) without addresses keeps the address.
func TestSelectKeepsPort(t *testing.T) {
	for _, c := range []struct {
		port, lo, hi uint16
	}{{80, 1, 511}, {511, 1, 511}, {512, 600, 1023}, {555, 600, 1023}, {1023, 600, 1023}, {1024, 1024, 65535}, {40000, 1024, 65535}, {65535, 1024, 65535}} {
		t.Run(fmt.Sprintf("port %d", c.port), func(t *testing.T) {
			for _, r := range []*Range{rng(Src, "203.0.113.100", "203.0.113.100", 0, 0), rng(Src, "", "", 0, 0)} {
				orig := tup(protoTCP, "198.51.100.10", c.port, "203.0.113.5", 80)
				reply, ok := Select(r, &orig, never, 1)
				if !ok || reply.DstPort != c.port {
					t.Fatalf("port %d not kept: %v", c.port, reply)
				}
				if !r.HasAddr && reply.Dst != orig.Src {
					t.Fatalf("nat(src) changed the address: %v", reply)
				}
				tb := table{}
				tb[reply] = true
				for i := 0; i < 50; i++ {
					reply2, ok := Select(r, &orig, tb.inUse, uint64(i))
					if !ok || reply2.DstPort == c.port || reply2.DstPort < c.lo || reply2.DstPort > c.hi {
						t.Fatalf("clash on %d: moved to %d (ok %v), want %d-%d", c.port, reply2.DstPort, ok, c.lo, c.hi)
					}
					valid(t, r, &orig, &reply2)
					tb[reply2] = true
				}
			}
		})
	}
}

// TestSelectDNAT: a port forward to one backend; a clash (two clients'
// connections that would become the same reply tuple) moves the client's
// source port as OVS does.
func TestSelectDNAT(t *testing.T) {
	r := rng(Dst, "198.51.100.10", "198.51.100.10", 8080, 8080)
	orig := tup(protoTCP, "203.0.113.5", 40000, "203.0.113.100", 80)
	reply, ok := Select(r, &orig, never, 3)
	want := tup(protoTCP, "198.51.100.10", 8080, "203.0.113.5", 40000)
	if !ok || reply != want {
		t.Fatalf("got %v, want %v", reply, want)
	}
	// Another public address of the switch forwarded to the same backend
	// port, same client port: the reply tuple clashes.
	tb := table{}
	tb.add(orig, reply)
	orig2 := tup(protoTCP, "203.0.113.5", 40000, "203.0.113.101", 80)
	reply2, ok := Select(r, &orig2, tb.inUse, 3)
	if !ok || reply2.SrcPort != 8080 || reply2.DstPort == 40000 || reply2.DstPort < 1024 {
		t.Fatalf("clash: got %v %v", reply2, ok)
	}
	valid(t, r, &orig2, &reply2)
	// Without a port: only the address changes.
	r = rng(Dst, "198.51.100.10", "198.51.100.12", 0, 0)
	reply, ok = Select(r, &orig, never, 3)
	if !ok || reply.SrcPort != 80 || reply.DstPort != 40000 {
		t.Fatalf("dst without ports: %v", reply)
	}
	valid(t, r, &orig, &reply)
	// A port range: the destination port walks the range first.
	r = rng(Dst, "198.51.100.10", "198.51.100.10", 8080, 8081)
	tb = table{}
	var got []uint16
	for i := 0; i < 2; i++ {
		rp, ok := Select(r, &orig, tb.inUse, 3)
		if !ok || rp.DstPort != 40000 {
			t.Fatalf("dst range: %v %v", rp, ok)
		}
		got = append(got, rp.SrcPort)
		tb[rp] = true
	}
	if got[0] == got[1] {
		t.Fatalf("same backend port twice: %v", got)
	}
}

// TestSelectPersistent: the address depends on the client address only
// (not its ports, the server or the seed); without persistent it varies.
func TestSelectPersistent(t *testing.T) {
	r := rng(Src, "203.0.113.0", "203.0.113.63", 0, 0)
	r.Persistent = true
	rnd := newRand(t)
	for c := 0; c < 20; c++ {
		src := []string{"198.51.100.1", "198.51.100.2", "198.51.100.77", "198.51.100.200"}[c%4]
		var first [16]byte
		for i := 0; i < 30; i++ {
			orig := tup(protoTCP, src, uint16(1024+rnd.IntN(60000)), "203.0.113.200", uint16(1+rnd.IntN(1000)))
			reply, ok := Select(r, &orig, never, rnd.Uint64())
			if !ok {
				t.Fatal("persistent failed")
			}
			if i == 0 {
				first = reply.Dst
			} else if reply.Dst != first {
				t.Fatalf("persistent: %s got %v then %v", src, first, reply.Dst)
			}
		}
	}
	// The persistent address full: no fallback to other addresses.
	orig := tup(protoTCP, "198.51.100.1", 5000, "203.0.113.200", 80)
	r.HasPorts, r.PortMin, r.PortMax = true, 100, 101
	reply, _ := Select(r, &orig, never, 1)
	tb := table{}
	for p := uint16(100); p <= 101; p++ {
		x := reply
		x.DstPort = p
		tb[x] = true
	}
	if _, ok := Select(r, &orig, tb.inUse, 1); ok {
		t.Fatal("persistent fell back to another address")
	}
	r.Persistent = false
	if rp, ok := Select(r, &orig, tb.inUse, 1); !ok || rp.Dst == reply.Dst {
		t.Fatalf("non-persistent did not fall back: %v %v", rp, ok)
	}
	// Not persistent: the same client spreads over the range.
	r = rng(Src, "203.0.113.0", "203.0.113.63", 0, 0)
	addrs := map[[16]byte]bool{}
	for i := 0; i < 200; i++ {
		orig := tup(protoTCP, "198.51.100.1", uint16(1024+i), "203.0.113.200", 80)
		reply, _ := Select(r, &orig, never, 9)
		addrs[reply.Dst] = true
	}
	if len(addrs) < 32 {
		t.Fatalf("non-persistent used only %d addresses", len(addrs))
	}
}

// TestSelectRandom: hash selection is a function of the tuple and seed;
// random selection varies from call to call.
func TestSelectRandom(t *testing.T) {
	r := rng(Src, "203.0.113.100", "203.0.113.100", 1024, 65535)
	orig := tup(protoUDP, "198.51.100.10", 5000, "203.0.113.5", 53)
	a, _ := Select(r, &orig, never, 5)
	r.Hash = true
	for i := 0; i < 10; i++ {
		if b, _ := Select(r, &orig, never, 5); b != a {
			t.Fatal("hash selection is not deterministic")
		}
	}
	if b, _ := Select(r, &orig, never, 6); b == a {
		t.Log("another seed chose the same port (possible, unlikely)")
	}
	r.Hash, r.Random = false, true
	ports := map[uint16]bool{}
	for i := 0; i < 20; i++ {
		b, ok := Select(r, &orig, never, 5)
		if !ok {
			t.Fatal("random failed")
		}
		ports[b.DstPort] = true
	}
	if len(ports) < 15 {
		t.Fatalf("random chose only %d distinct ports in 20 calls", len(ports))
	}
}

// TestSelectICMP: echo identifiers are translated like ports, the same on
// both sides of the reply tuple.
func TestSelectICMP(t *testing.T) {
	for _, o := range []Tuple{echo("198.51.100.10", "203.0.113.5", 77), echo("2001:db8:1::10", "2001:db8:2::5", 77)} {
		t.Run(familyName(o.V6), func(t *testing.T) {
			var r *Range
			if o.V6 {
				r = rng(Src, "2001:db8:2::100", "2001:db8:2::101", 20000, 20099)
			} else {
				r = rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)
			}
			reply, ok := Select(r, &o, never, 1)
			if !ok || reply.SrcPort != reply.DstPort || reply.SrcPort < 20000 || reply.SrcPort > 20099 {
				t.Fatalf("%v -> %v", o, reply)
			}
			if reply.IType != reverseICMPType(o.V6, o.IType) {
				t.Fatalf("reply type %d", reply.IType)
			}
			valid(t, r, &o, &reply)
			// Without ports the id is kept unless it clashes.
			r.HasPorts = false
			reply, _ = Select(r, &o, never, 1)
			if reply.SrcPort != 77 || reply.DstPort != 77 {
				t.Fatalf("id not kept: %v", reply)
			}
			tb := table{reply: true}
			reply2, ok := Select(r, &o, tb.inUse, 1)
			if !ok || reply2.SrcPort == 77 || reply2.SrcPort != reply2.DstPort {
				t.Fatalf("id clash: %v", reply2)
			}
		})
	}
}

// TestSelectBounded: an exhausted huge range costs at most MaxProbes
// lookups and fails.
func TestSelectBounded(t *testing.T) {
	r := rng(Dst, "198.51.100.0", "198.51.100.255", 1, 65535)
	orig := tup(protoTCP, "203.0.113.5", 40000, "203.0.113.100", 80)
	calls := 0
	_, ok := Select(r, &orig, func(Tuple) bool { calls++; return true }, 1)
	if ok || calls == 0 || calls > MaxProbes {
		t.Fatalf("ok %v after %d probes", ok, calls)
	}
	// OVS's bound for one address and one port search: 128+64+32+16+8.
	r = rng(Src, "203.0.113.100", "203.0.113.100", 1, 65535)
	calls = 0
	Select(r, &orig, func(Tuple) bool { calls++; return true }, 1)
	if calls != 248 {
		t.Fatalf("%d probes, want OVS's 248", calls)
	}
}

// TestAddrCount: IPv6 ranges are capped as OVS caps them.
func TestAddrCount(t *testing.T) {
	for _, c := range []struct {
		lo, hi string
		n      uint64
	}{
		{"203.0.113.1", "203.0.113.1", 1},
		{"203.0.113.0", "203.0.113.255", 256},
		{"0.0.0.1", "255.255.255.255", 0xffffffff},
		{"2001:db8::1", "2001:db8::1", 1},
		{"2001:db8::ffff:ffff:ffff:ff00", "2001:db8:0:1::ff", 512},
		{"2001:db8::", "2001:db8::1:0:0", 0xffffffff},
		{"2001:db8::", "2001:db9::", 0xffffffff},
	} {
		t.Run(c.lo+"-"+c.hi, func(t *testing.T) {
			r := rng(Src, c.lo, c.hi, 0, 0)
			if n := addrCount(r); n != c.n {
				t.Errorf("%s-%s: %d, want %d", c.lo, c.hi, n, c.n)
			}
		})
	}
	// Addresses past a 64-bit boundary come out right.
	r := rng(Src, "2001:db8::ffff:ffff:ffff:fffe", "2001:db8:0:1::1", 0, 0)
	seen := map[[16]byte]bool{}
	for i := 0; i < 400; i++ {
		orig := tup(protoUDP, "2001:db8:1::1", uint16(1000+i), "2001:db8:2::1", 53)
		reply, _ := Select(r, &orig, never, 1)
		valid(t, r, &orig, &reply)
		seen[reply.Dst] = true
	}
	if len(seen) != 4 {
		t.Fatalf("%d addresses of 4", len(seen))
	}
	_ = rand.Uint64
}

// TestSelectClashOVS: on a clash without a port range the walk starts at
// the original port (tried even when outside its class's range), goes up
// and wraps to the class minimum, as OVS's FOR_EACH_PORT_IN_RANGE does.
// The 555 -> 600 case (and the DNAT one below) was checked against Open vSwitch 3.1 by
// examples/nat/demo.sh (SWITCH=ovs): two private hosts, source port 555,
// nat(src=203.0.113.100); OVS gave the second one port 600.
func TestSelectClashOVS(t *testing.T) {
	for _, c := range []struct{ port, want uint16 }{{555, 600}, {80, 81}, {511, 1}, {1023, 600}, {40000, 40001}, {65535, 1024}, {600, 601}} {
		t.Run(fmt.Sprintf("port %d", c.port), func(t *testing.T) {
			r := rng(Src, "203.0.113.100", "203.0.113.100", 0, 0)
			orig := tup(protoTCP, "198.51.100.10", c.port, "203.0.113.5", 8001)
			taken := orig.Reverse()
			taken.Dst = a4("203.0.113.100")
			tb := table{taken: true}
			for seed := uint64(0); seed < 5; seed++ {
				reply, ok := Select(r, &orig, tb.inUse, seed)
				if !ok || reply.DstPort != c.want {
					t.Fatalf("clash on %d: got %d, want %d", c.port, reply.DstPort, c.want)
				}
			}
		})
	}
	// DNAT: two public addresses forwarded to one backend port, one client
	// port: the second connection's client port moves up by one (checked
	// against OVS 3.1 by examples/nat/demo.sh: 40000 -> 40001).
	r := rng(Dst, "198.51.100.10", "198.51.100.10", 8080, 8080)
	first := tup(protoTCP, "203.0.113.5", 40000, "203.0.113.100", 80)
	reply, _ := Select(r, &first, never, 1)
	tb := table{}
	tb.add(first, reply)
	second := tup(protoTCP, "203.0.113.5", 40000, "203.0.113.101", 80)
	reply2, ok := Select(r, &second, tb.inUse, 1)
	if want := tup(protoTCP, "198.51.100.10", 8080, "203.0.113.5", 40001); !ok || reply2 != want {
		t.Fatalf("DNAT clash: got %v, want %v", reply2, want)
	}
}
