package pipeline

import (
	"math/rand/v2"
	"testing"

	"gswitch/packet"
)

// randMatch makes a match over few fields and values, so that random
// rules overlap a lot.
func randMatch(r *rand.Rand) Match {
	var m Match
	if r.IntN(2) == 0 {
		m.SetExact(packet.FieldInPort, packet.U128{Lo: uint64(1 + r.IntN(3))})
	}
	if r.IntN(3) != 0 {
		m.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
		if r.IntN(2) == 0 {
			plen := []uint{8, 16, 24, 32}[r.IntN(4)]
			mask := uint64(0xffffffff) << (32 - plen) & 0xffffffff
			m.Set(packet.FieldIPv4Src, packet.U128{Lo: 0xc6336400 | uint64(r.IntN(4))}, packet.U128{Lo: mask})
		}
	}
	if r.IntN(2) == 0 {
		m.Set(packet.FieldReg0, packet.U128{Lo: uint64(r.IntN(8))}, packet.U128{Lo: uint64(r.IntN(8))})
	}
	if r.IntN(3) == 0 {
		m.SetExact(packet.FieldTCPDst, packet.U128{Lo: uint64(r.IntN(3))})
	}
	return m
}

func randKey(r *rand.Rand) packet.Words {
	var k packet.Words
	k.Set(packet.FieldInPort, packet.U128{Lo: uint64(1 + r.IntN(3))})
	if r.IntN(4) != 0 {
		k.Set(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
	} else {
		k.Set(packet.FieldEthType, packet.U128{Lo: packet.EthTypeARP})
	}
	k.Set(packet.FieldIPv4Src, packet.U128{Lo: 0xc6336400 | uint64(r.IntN(4))})
	k.Set(packet.FieldReg0, packet.U128{Lo: uint64(r.IntN(8))})
	k.Set(packet.FieldTCPDst, packet.U128{Lo: uint64(r.IntN(3))})
	return k
}

// checkAgainstLinear verifies c against the reference on keys.
func checkAgainstLinear(t testing.TB, c *classifier, all []*flow, keys []packet.Words) {
	t.Helper()
	n := 0
	c.each(func(*flow) bool { n++; return true })
	if n != len(all) || c.n != len(all) {
		t.Fatalf("classifier holds %d flows (n=%d), reference %d", n, c.n, len(all))
	}
	for i := range keys {
		k := &keys[i]
		got, want := c.lookup(k), linearLookup(all, k)
		switch {
		case got == nil && want == nil:
		case got == nil || want == nil:
			t.Fatalf("key %d: got %v, want %v", i, got, want)
		case got.spec.Priority != want.spec.Priority || !got.spec.Match.Matches(k):
			t.Fatalf("key %d: got priority %d (matches %v), want %d", i, got.spec.Priority,
				got.spec.Match.Matches(k), want.spec.Priority)
		}
	}
}

// applyOps runs a random sequence of inserts and removes, in several txns,
// checking every published version (and that old versions are unchanged).
func runClassifierOps(t testing.TB, r *rand.Rand, nops int) {
	var c *classifier
	var all []*flow
	keys := make([]packet.Words, 64)
	for i := range keys {
		keys[i] = randKey(r)
	}
	id := uint64(0)
	for step := 0; step < nops; {
		tx := &txn{}
		prev, prevAll := c, append([]*flow(nil), all...)
		c = c.own(tx)
		for batch := 1 + r.IntN(8); batch > 0 && step < nops; batch-- {
			step++
			if len(all) > 0 && r.IntN(3) == 0 {
				i := r.IntN(len(all))
				if !c.remove(tx, all[i]) {
					t.Fatalf("remove of a present flow failed")
				}
				all = append(all[:i], all[i+1:]...)
				continue
			}
			m := randMatch(r)
			pri := uint16(r.IntN(6))
			id++
			f := &flow{spec: FlowSpec{Priority: pri, Match: m}, id: id}
			if old := c.find(&m, pri); old != nil {
				if !c.replace(tx, old, f) {
					t.Fatalf("replace failed")
				}
				for i := range all {
					if all[i] == old {
						all[i] = f
					}
				}
				continue
			}
			c.insert(tx, f)
			all = append(all, f)
		}
		checkAgainstLinear(t, c, all, keys)
		if prev != nil {
			checkAgainstLinear(t, prev, prevAll, keys) // old versions are immutable
		}
	}
}

func TestClassifierVsLinear(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		runClassifierOps(t, rand.New(rand.NewPCG(seed, 7)), 400)
	}
}

func FuzzClassifier(f *testing.F) {
	f.Add(uint64(1), uint16(50))
	f.Add(uint64(99), uint16(300))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		runClassifierOps(t, rand.New(rand.NewPCG(seed, seed>>32)), int(n%600))
	})
}

// TestClassifierManyHashes pushes the hash trie deep.
func TestClassifierManyHashes(t *testing.T) {
	tx := &txn{}
	c := (*classifier)(nil).own(tx)
	var all []*flow
	for i := range 20000 {
		m := mkMatch(packet.FieldReg1, uint32(i))
		f := &flow{spec: FlowSpec{Priority: uint16(i % 7), Match: m}}
		c.insert(tx, f)
		all = append(all, f)
	}
	for i := 0; i < 20000; i += 7 {
		var k packet.Words
		k.Set(packet.FieldReg1, packet.U128{Lo: uint64(i)})
		if got := c.lookup(&k); got != all[i] {
			t.Fatalf("reg1=%d: wrong flow", i)
		}
	}
	for i := 0; i < 20000; i += 2 {
		c.remove(tx, all[i])
	}
	for i := range 20000 {
		var k packet.Words
		k.Set(packet.FieldReg1, packet.U128{Lo: uint64(i)})
		got := c.lookup(&k)
		if (i%2 == 0) != (got == nil) {
			t.Fatalf("reg1=%d after removes: got %v", i, got)
		}
	}
}
