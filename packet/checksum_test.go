package packet_test

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"gswitch/packet"
)

// sameCsum compares two checksums in one's complement arithmetic, where
// 0x0000 and 0xffff both stand for zero.
func sameCsum(a, b uint16) bool {
	return a == b || a|b == 0xffff && (a == 0 || b == 0)
}

func TestChecksumKnown(t *testing.T) {
	// RFC 1071 section 3 example: sum 0xddf2.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if s := packet.Fold(packet.Sum(b, 0)); s != 0xddf2 {
		t.Fatalf("sum %#x", s)
	}
	if c := packet.Checksum(b); c != ^uint16(0xddf2) {
		t.Fatalf("checksum %#x", c)
	}
	// A real IPv4 header (checksum 0xb861).
	h := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if c := packet.Checksum(h); c != 0 {
		t.Fatalf("valid header sums to %#x", c)
	}
	h[10], h[11] = 0, 0
	if c := packet.Checksum(h); c != 0xb861 {
		t.Fatalf("header checksum %#x", c)
	}
	// Odd length and chaining.
	odd := []byte{1, 2, 3, 4, 5}
	if got, want := packet.Sum(odd, 0), refSum(odd, 0); got != want {
		t.Fatalf("odd: %#x want %#x", got, want)
	}
	if got, want := packet.Sum(odd[4:], packet.Sum(odd[:4], 0)), refSum(odd, 0); got != want {
		t.Fatalf("chained: %#x want %#x", got, want)
	}
	if packet.Sum(nil, 0) != 0 || packet.Checksum(make([]byte, 6)) != 0xffff {
		t.Fatal("zeros")
	}
}

func TestSumRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		n := rng.IntN(300)
		if i%4 == 0 {
			n = rng.IntN(9000) // long runs of 32-byte blocks and their carries
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if rng.IntN(4) == 0 {
			for j := range b {
				b[j] = 0xff
			}
		}
		init := rng.Uint32() & 0xffff
		if got, want := packet.Sum(b, init), refSum(b, init); got != want {
			t.Fatalf("len %d: %#x want %#x", len(b), got, want)
		}
	}
}

func TestPseudoSums(t *testing.T) {
	src, dst := uint32(0xc6336401), uint32(0xcb007102)
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:], src)
	binary.BigEndian.PutUint32(b[4:], dst)
	b[9] = 6
	binary.BigEndian.PutUint16(b[10:], 1480)
	if got, want := packet.PseudoSum4(src, dst, 6, 1480), refSum(b[:], 0); got != want {
		t.Fatalf("v4 %#x want %#x", got, want)
	}
	s6 := make([]byte, 32)
	for i := range s6 {
		s6[i] = byte(i * 7)
	}
	var l [8]byte
	binary.BigEndian.PutUint32(l[0:], 70000)
	l[7] = 17
	if got, want := packet.PseudoSum6(s6[:16], s6[16:], 17, 70000), refSum(l[:], refSum(s6, 0)); got != want {
		t.Fatalf("v6 %#x want %#x", got, want)
	}
}

// TestPseudoSumIPHeaderRandom checks PseudoSumIPHeader (the pseudo-header
// read from an IP header's bytes) and PutIPv4HeaderChecksum against refSum
// over the pseudo-header laid out as RFC 793/768 and RFC 8200 8.1 draw it.
func TestPseudoSumIPHeaderRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 5000; i++ {
		ip := make([]byte, 40)
		for j := range ip {
			ip[j] = byte(rng.Uint32())
		}
		proto := uint8(rng.Uint32())
		n := rng.IntN(70000)
		var ph []byte
		v6 := i%2 == 1
		if v6 {
			ph = append(ph, ip[8:40]...)
			ph = binary.BigEndian.AppendUint32(ph, uint32(n))
			ph = append(ph, 0, 0, 0, proto)
		} else {
			n &= 0xffff
			ph = append(ph, ip[12:20]...)
			ph = append(ph, 0, proto)
			ph = binary.BigEndian.AppendUint16(ph, uint16(n))
		}
		if got, want := packet.PseudoSumIPHeader(ip, v6, proto, n), refSum(ph, 0); got != want {
			t.Fatalf("v6 %v: %#x want %#x", v6, got, want)
		}
		h := ip[:20+4*rng.IntN(6)]
		packet.PutIPv4HeaderChecksum(h)
		if refSum(h, 0) != 0xffff {
			t.Fatalf("header checksum %#x does not verify", binary.BigEndian.Uint16(h[10:]))
		}
	}
}

// TestSCTPChecksumRandom checks SCTPChecksum against hash/crc32 over a copy
// whose checksum field is zeroed.
func TestSCTPChecksumRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	tab := crc32.MakeTable(crc32.Castagnoli)
	for i := 0; i < 2000; i++ {
		s := make([]byte, 12+rng.IntN(300))
		for j := range s {
			s[j] = byte(rng.Uint32())
		}
		z := append([]byte(nil), s...)
		clear(z[8:12])
		if got, want := packet.SCTPChecksum(s), crc32.Checksum(z, tab); got != want {
			t.Fatalf("len %d: %#x want %#x", len(s), got, want)
		}
	}
}

// checkIncremental changes the field of width bytes at even offset off of
// data to nv and checks that the incremental updates of the full checksum
// and of a partial (uncomplemented) sum equal recomputation.
func checkIncremental(t testing.TB, data []byte, off int, nv []byte) {
	c0 := packet.Checksum(data)
	s0 := packet.Fold(packet.Sum(data, 0))
	old := append([]byte(nil), data[off:off+len(nv)]...)
	copy(data[off:], nv)
	c1 := packet.Checksum(data)
	s1 := packet.Fold(packet.Sum(data, 0))
	var inc, adj uint16
	switch len(nv) {
	case 2:
		o, n := binary.BigEndian.Uint16(old), binary.BigEndian.Uint16(nv)
		inc, adj = packet.UpdateCsum16(c0, o, n), packet.AdjustSum16(s0, o, n)
	case 4:
		o, n := binary.BigEndian.Uint32(old), binary.BigEndian.Uint32(nv)
		inc, adj = packet.UpdateCsum32(c0, o, n), packet.AdjustSum32(s0, o, n)
	case 16:
		o := packet.U128{Hi: binary.BigEndian.Uint64(old), Lo: binary.BigEndian.Uint64(old[8:])}
		n := packet.U128{Hi: binary.BigEndian.Uint64(nv), Lo: binary.BigEndian.Uint64(nv[8:])}
		inc, adj = packet.UpdateCsum128(c0, o, n), packet.AdjustSum128(s0, o, n)
	}
	if !sameCsum(inc, c1) {
		t.Fatalf("incremental %#x, recomputed %#x (old %x new %x)", inc, c1, old, nv)
	}
	if !sameCsum(adj, s1) {
		t.Fatalf("adjusted sum %#x, recomputed %#x", adj, s1)
	}
}

func TestChecksumIncrementalTable(t *testing.T) {
	cases := []struct {
		data []byte
		off  int
		nv   []byte
	}{
		{[]byte{0x45, 0, 0, 20, 0, 1, 0, 0, 64, 6, 0, 0, 198, 51, 100, 1, 203, 0, 113, 2}, 12, []byte{10, 0, 0, 1}},
		{[]byte{0x45, 0, 0, 20, 0, 1, 0, 0, 64, 6, 0, 0, 198, 51, 100, 1, 203, 0, 113, 2}, 8, []byte{63, 6}},
		{[]byte{0xff, 0xff, 0, 0}, 0, []byte{0, 0}},
		{[]byte{0, 0, 0, 0}, 0, []byte{0xff, 0xff}},
		{[]byte{0, 0, 0, 0}, 2, []byte{0, 0}},
		{[]byte{0x12, 0x34, 0xed, 0xcb}, 0, []byte{0xff, 0xff}}, // sums to 0xffff before
		{make([]byte, 40), 8, []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}, 2, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		checkIncremental(t, append([]byte(nil), c.data...), c.off, c.nv)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 5000; i++ {
		n := 2 * (8 + rng.IntN(40))
		d := make([]byte, n)
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		w := []int{2, 4, 16}[rng.IntN(3)]
		off := 2 * rng.IntN((n-w)/2+1)
		nv := make([]byte, w)
		for j := range nv {
			nv[j] = byte(rng.Uint32())
		}
		checkIncremental(t, d, off, nv)
	}
}

func FuzzChecksumIncremental(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 20, 0, 1, 0, 0, 64, 6, 0, 0, 198, 51, 100, 1, 203, 0, 113, 2}, uint8(6), []byte{10, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 0}, uint8(0), []byte{0xff, 0xff})
	f.Add(make([]byte, 40), uint8(4), make([]byte, 16))
	f.Fuzz(func(t *testing.T, data []byte, off uint8, nv []byte) {
		switch {
		case len(nv) >= 16:
			nv = nv[:16]
		case len(nv) >= 4:
			nv = nv[:4]
		case len(nv) >= 2:
			nv = nv[:2]
		default:
			return
		}
		o := 2 * int(off)
		if o+len(nv) > len(data) {
			return
		}
		checkIncremental(t, append([]byte(nil), data...), o, nv)
	})
}
