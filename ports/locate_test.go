package ports

import (
	"encoding/binary"
	"math/rand"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// refLocate is locate as it was before it used packet.WalkIPv6 (its own
// walk over hop-by-hop, routing and destination options headers), kept as
// the slow reference. It walks Ethernet, any number of 802.1Q/802.1ad tags, IPv4 or IPv6
// (with hop-by-hop, routing and destination-options extension headers) to a
// TCP, UDP or SCTP header. Fragments and anything else are refused.
func refLocate(f []byte) (l4Info, bool) {
	var in l4Info
	if len(f) < 14 {
		return in, false
	}
	off := 12
	et := binary.BigEndian.Uint16(f[off:])
	off += 2
	for et == packet.EthTypeVLAN || et == packet.EthTypeQinQ {
		if len(f) < off+4 {
			return in, false
		}
		et = binary.BigEndian.Uint16(f[off+2:])
		off += 4
	}
	in.l3 = off
	var proto uint8
	switch et {
	case packet.EthTypeIPv4:
		if len(f) < off+20 || f[off]>>4 != 4 {
			return in, false
		}
		ihl := int(f[off]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(f[off+2:]))
		if ihl < 20 || tot < ihl || off+tot > len(f) {
			return in, false
		}
		if binary.BigEndian.Uint16(f[off+6:])&0x3fff != 0 { // MF or a fragment offset
			return in, false
		}
		in.ipv4 = true
		proto = f[off+9]
		in.end = off + tot
		off += ihl
	case packet.EthTypeIPv6:
		if len(f) < off+40 || f[off]>>4 != 6 {
			return in, false
		}
		pl := int(binary.BigEndian.Uint16(f[off+4:]))
		in.end = off + 40 + pl
		if pl == 0 { // a jumbogram (BIG TCP): the frame's length is the packet's
			in.end = len(f)
		}
		if in.end > len(f) {
			return in, false
		}
		proto = f[off+6]
		off += 40
		for proto == 0 || proto == 43 || proto == 60 { // hop-by-hop, routing, dest-opts
			if in.end < off+8 {
				return in, false
			}
			proto = f[off]
			off += (int(f[off+1]) + 1) * 8
		}
	default:
		return in, false
	}
	in.l4 = off
	in.proto = proto
	switch proto {
	case packet.ProtoTCP:
		if in.end < off+20 {
			return in, false
		}
		doff := int(f[off+12]>>4) * 4
		if doff < 20 || in.end < off+doff {
			return in, false
		}
		in.hdrLen = off + doff
		in.csumOff = 16
	case packet.ProtoUDP:
		if in.end < off+8 {
			return in, false
		}
		in.hdrLen = off + 8
		in.csumOff = 6
	case packet.ProtoSCTP:
		if in.end < off+12 {
			return in, false
		}
		in.hdrLen = off + 12
		in.csumOff = 8
	default:
		return in, false
	}
	return in, true
}

// checkLocate compares locate with refLocate on frame.
func checkLocate(t *testing.T, frame []byte) {
	t.Helper()
	got, gok := locate(frame)
	want, wok := refLocate(frame)
	if gok != wok || gok && got != want {
		t.Fatalf("locate %+v %v, reference %+v %v (% x)", got, gok, want, wok, frame)
	}
}

// locateSeeds are IPv4/IPv6 TCP/UDP frames, IPv6 ones with extension
// headers (hop-by-hop, routing, destination options, AH, fragment).
func locateSeeds() [][]byte {
	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 40))
	out := [][]byte{
		pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 2, make([]byte, 30)),
		udp6,
	}
	out = append(out, pkttest.Frag6(udp6, 16, 9)...)
	for _, nhs := range [][]uint8{{0}, {0, 43, 60}, {60, 51}, {0, 44}, {60, 60, 60, 60, 60, 60, 60, 60, 60, 60}} {
		f := append([]byte(nil), udp6[:54]...)
		for i, nh := range nhs {
			prev := 20
			if i > 0 {
				prev = len(f) - 8
			}
			f[prev] = nh
			f = append(f, 0, 0, 0, 0, 0, 0, 0, 0)
			if nh == 51 {
				f[len(f)-7] = 0 // AH of 8 bytes
			}
		}
		f[len(f)-8] = packet.ProtoUDP
		f = append(f, udp6[54:]...)
		binary.BigEndian.PutUint16(f[18:], uint16(len(f)-54))
		out = append(out, f)
	}
	return out
}

func TestLocateVsReference(t *testing.T) {
	rng := rand.New(rand.NewSource(60))
	seeds := locateSeeds()
	for _, f := range seeds {
		if _, ok := locate(f); !ok && f[14]>>4 == 4 {
			t.Fatalf("seed refused: % x", f)
		}
		for n := 0; n <= len(f); n++ {
			checkLocate(t, f[:n])
		}
	}
	for i := 0; i < 20000; i++ {
		f := append([]byte(nil), seeds[rng.Intn(len(seeds))]...)
		for j := rng.Intn(4); j > 0; j-- {
			f[rng.Intn(len(f))] = byte(rng.Uint32())
		}
		checkLocate(t, f)
	}
}

// FuzzLocate: locate never panics and agrees with the walk it replaced.
func FuzzLocate(f *testing.F) {
	for _, s := range locateSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkLocate)
}
