package ct

import (
	"math/rand"
	"testing"

	"gswitch/packet"
)

// The tests' shorthands for packet's checksum functions (ct has none of
// its own): checksum is the Internet checksum of b after the running sum
// initial, l4Checksum the TCP/UDP/ICMPv6 checksum of l4 with the
// pseudo-header of the IP header l3 (0 when the stored one is right).

func checksum(b []byte, initial uint32) uint16 { return ^packet.Fold(packet.Sum(b, initial)) }

func l4Checksum(v6 bool, l3, l4 []byte, proto uint8) uint16 {
	return ^packet.Fold(packet.Sum(l4, packet.PseudoSumIPHeader(l3, v6, proto, len(l4))))
}

// refChecksum and refL4Checksum are ct's own checksum code from before it
// used packet's, kept as references for TestChecksumVsReference.
func refChecksum(b []byte, initial uint64) uint16 {
	s := initial
	for len(b) >= 8 {
		v := be.Uint64(b)
		s += v >> 32
		s += v & 0xffffffff
		b = b[8:]
	}
	if len(b) >= 4 {
		s += uint64(be.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		s += uint64(be.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func refL4Checksum(v6 bool, l3, l4 []byte, proto uint8) uint16 {
	var s uint64
	if v6 {
		for i := 8; i < 40; i += 4 {
			s += uint64(be.Uint32(l3[i:]))
		}
	} else {
		s += uint64(be.Uint32(l3[12:])) + uint64(be.Uint32(l3[16:]))
	}
	s += uint64(proto) + uint64(len(l4))
	return refChecksum(l4, s)
}

// TestChecksumVsReference: packet's functions give the values and verdicts
// of ct's former ones, on random data and on data with a right checksum.
func TestChecksumVsReference(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for i := 0; i < 5000; i++ {
		l3 := make([]byte, 40)
		rng.Read(l3)
		l4 := make([]byte, rng.Intn(1600))
		rng.Read(l4)
		if rng.Intn(8) == 0 {
			clear(l4)
		}
		v6, proto := i%2 == 1, uint8(rng.Intn(256))
		if got, want := checksum(l4, 0), refChecksum(l4, 0); got != want {
			t.Fatalf("checksum %#x, reference %#x", got, want)
		}
		want := refL4Checksum(v6, l3, l4, proto)
		if got := l4Checksum(v6, l3, l4, proto); got != want {
			t.Fatalf("l4Checksum %#x, reference %#x", got, want)
		}
		if l4ChecksumOK(v6, l3, l4, proto) != (want == 0) {
			t.Fatalf("l4ChecksumOK disagrees with reference %#x", want)
		}
		if len(l4) >= 8 {
			// Store the right checksum at 6 (a UDP checksum's place): now
			// both must say it verifies.
			l4[6], l4[7] = 0, 0
			be.PutUint16(l4[6:], refL4Checksum(v6, l3, l4, proto))
			if !l4ChecksumOK(v6, l3, l4, proto) || refL4Checksum(v6, l3, l4, proto) != 0 {
				t.Fatal("a right checksum does not verify")
			}
			be.PutUint16(l4[6:], 0)
			be.PutUint16(l4[6:], refChecksum(l4, 0))
			if packet.Checksum(l4) != 0 {
				t.Fatal("a right ICMP checksum does not verify")
			}
		}
	}
}
