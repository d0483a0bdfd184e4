package datapath

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/ports"
	"gswitch/ports/porttest"
	"gswitch/tests/testutil"
	"gswitch/tunnel/underlay"
)

var (
	local6  = underlay.AddrFromHiLo(0x20010db800000000, 1)
	remote6 = underlay.AddrFromHiLo(0x20010db800000000, 2)
)

// offloadFrame is an inner TCP frame as a VM's veth with TSO hands it
// over: payload n bytes, the IPv4 id 0xfffe (it wraps while segmenting),
// the sequence number 0xfffff000 (it wraps too), TCP flags flags, the
// checksum partial (the field holds the pseudo-header sum), and GSO of
// mss bytes when mss is not 0.
func offloadFrame(t testing.TB, v6 bool, flags string, n, mss int) (*packet.Packet, []byte) {
	t.Helper()
	payload := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(payload)
	var f []byte
	l3, l4 := 14, 34
	if v6 {
		f = pkttest.TCP6("2001:db8:1::1", "2001:db8:1::2", 19650, 19651, flags, 0xfffff000, 7, payload)
		l4 = 54
	} else {
		f = pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, flags, 0xfffff000, 7, payload)
		binary.BigEndian.PutUint16(f[l3+4:], 0xfffe)
		f[l3+10], f[l3+11] = 0, 0
		packet.PutIPv4HeaderChecksum(f[l3:l4])
	}
	binary.BigEndian.PutUint16(f[l4+16:], packet.Fold(packet.PseudoSumIPHeader(f[l3:], v6, 6, len(f)-l4)))
	pk := pkttest.Parsed(f)
	pk.Off = packet.Offload{CsumStart: uint16(l4), CsumOffset: 16, HdrLen: uint16(l4 + 20)}
	if mss != 0 {
		pk.Off.GSOType, pk.Off.GSOSize = ports.GSOTCPv4, uint16(mss)
		if v6 {
			pk.Off.GSOType = ports.GSOTCPv6
		}
	}
	pk.Key.Flags |= packet.FlagCsumPartial
	return pk, payload
}

// A GSO super-frame or a frame with a partial checksum output to a tunnel
// port leaves the underlay as wire frames, each encapsulated: every
// segment's inner IP length, IPv4 id, TCP sequence number, flags (CWR on
// the first only, FIN and PSH on the last only) and checksums right, its
// payload the next slice of the super-frame's; the outer IP and UDP
// lengths and checksums right (the UDP checksum always over IPv6, none
// over IPv4 without options:csum); no offload left on the outer frame. For
// IPv4 and IPv6 inside, IPv4 and IPv6 outside.
func TestTunnelSegmentsOffloads(t *testing.T) {
	type under struct {
		name          string
		local, remote underlay.Addr
		plen, l3      int
	}
	for _, u := range []under{{"outer4", local4, remote4, 120, 20}, {"outer6", local6, remote6, 64, 40}} {
		te := newTunnelEnvAt(t, "", u.local, u.remote, u.plen)
		te.tun.Neigh.Set("br-phy", u.remote, peerMAC)
		hl := 14 + u.l3 + 8 + 8
		for _, c := range []struct {
			v6         bool
			flags      string
			n, mss     int
			wantFrames int
		}{
			{false, "CFPA", 5000, 1400, 4},
			{true, "CFPA", 5000, 1400, 4},
			{false, "A", 2800, 1400, 2}, // an exact multiple
			{true, "PA", 900, 1400, 1},  // GSO that fits one segment
			{false, "PA", 900, 0, 1},    // a partial checksum only
			{true, "PA", 900, 0, 1},
		} {
			name := fmt.Sprintf("%s/inner6=%v/%s/n=%d/mss=%d", u.name, c.v6, c.flags, c.n, c.mss)
			t.Run(name, func(t *testing.T) {
				pk, payload := offloadFrame(t, c.v6, c.flags, c.n, c.mss)
				flags0 := pk.Data[pk.Key.L4+13]
				s := (*sender)(te.brInt)
				s.Output(te.gnv, pk)
				s.Flush()
				var got []byte
				for i := 0; i < c.wantFrames; i++ {
					var fr []byte
					select {
					case f := <-te.phy.Sent():
						if f.Off != (packet.Offload{}) {
							t.Errorf("segment %d leaves with offload %+v", i, f.Off)
						}
						fr = f.Data
					case <-time.After(2 * time.Second):
						t.Fatalf("br-phy sent %d frames, want %d", i, c.wantFrames)
					}
					got = append(got, checkSegment(t, i, c.wantFrames, fr, hl, u.l3 == 40, c.v6, flags0, c.mss)...)
				}
				expectNone(t, te.phy)
				if !bytes.Equal(got, payload) {
					t.Errorf("the segments carry %d bytes that differ from the %d sent", len(got), len(payload))
				}
			})
		}
	}
}

// checkSegment checks encapsulated segment i of n (outer header length
// hl) and returns its TCP payload.
func checkSegment(t *testing.T, i, n int, fr []byte, hl int, outer6, inner6 bool, flags0 byte, mss int) []byte {
	t.Helper()
	if len(fr) < hl+54 {
		t.Fatalf("segment %d: %d bytes", i, len(fr))
	}
	if err := pkttest.VerifyChecksums(fr); err != nil {
		t.Errorf("segment %d: outer %v", i, err)
	}
	udp := 34
	if outer6 {
		udp = 54
		if pl := int(binary.BigEndian.Uint16(fr[18:])); pl != len(fr)-54 {
			t.Errorf("segment %d: outer IPv6 payload length %d, frame %d", i, pl, len(fr))
		}
		if binary.BigEndian.Uint16(fr[udp+6:]) == 0 {
			t.Errorf("segment %d: no UDP checksum over IPv6", i)
		}
	} else if tl := int(binary.BigEndian.Uint16(fr[16:])); tl != len(fr)-14 {
		t.Errorf("segment %d: outer IPv4 total length %d, frame %d", i, tl, len(fr))
	}
	if ul := int(binary.BigEndian.Uint16(fr[udp+4:])); ul != len(fr)-udp {
		t.Errorf("segment %d: UDP length %d, want %d", i, ul, len(fr)-udp)
	}
	in := fr[hl:]
	if err := pkttest.VerifyChecksums(in); err != nil {
		t.Errorf("segment %d: inner %v", i, err)
	}
	l4 := 34
	if inner6 {
		l4 = 54
		if pl := int(binary.BigEndian.Uint16(in[18:])); pl != len(in)-54 {
			t.Errorf("segment %d: inner IPv6 payload length %d, frame %d", i, pl, len(in))
		}
	} else {
		if tl := int(binary.BigEndian.Uint16(in[16:])); tl != len(in)-14 {
			t.Errorf("segment %d: inner IPv4 total length %d, frame %d", i, tl, len(in))
		}
		if id := binary.BigEndian.Uint16(in[18:]); id != uint16(0xfffe+i) {
			t.Errorf("segment %d: IPv4 id %#x, want %#x", i, id, uint16(0xfffe+i))
		}
	}
	if seq := binary.BigEndian.Uint32(in[l4+4:]); seq != uint32(0xfffff000+i*mss) {
		t.Errorf("segment %d: seq %#x, want %#x", i, seq, uint32(0xfffff000+i*mss))
	}
	want := flags0
	if i > 0 {
		want &^= 0x80 // CWR
	}
	if i < n-1 {
		want &^= 0x01 | 0x08 // FIN, PSH
	}
	if in[l4+13] != want {
		t.Errorf("segment %d: TCP flags %#x, want %#x", i, in[l4+13], want)
	}
	p := in[l4+20:]
	if mss != 0 && ((i < n-1 && len(p) != mss) || len(p) > mss) {
		t.Errorf("segment %d: %d payload bytes, mss %d", i, len(p), mss)
	}
	return p
}

// BenchmarkTunnelOutput: an output to a Geneve port and Flush, br-phy in
// secure mode dropping the outer frames (so the port's copy is not in the
// figure): a wire frame (1464 bytes), a frame with a partial checksum, and
// a 64 KiB TCP GSO super-frame (46 segments of 1398 bytes), per input
// frame; SetBytes is the inner bytes.
func BenchmarkTunnelOutput(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
		mss  int
		off  bool
	}{{"wire", 1398, 0, false}, {"partial", 1398, 0, true}, {"gso64k", 46 * 1398, 1398, true}} {
		b.Run(c.name, func(b *testing.B) {
			te := newTunnelEnvAt(b, "secure", local4, remote4, 120)
			te.tun.Neigh.Set("br-phy", remote4, peerMAC)
			src, _ := offloadFrame(b, false, "A", c.n, c.mss)
			if !c.off {
				src, _ = offloadFrame(b, false, "A", c.n, 0)
				if err := ports.RecomputeOffloadChecksum(src); err != nil {
					b.Fatal(err)
				}
				src.Off = packet.Offload{}
			}
			s := (*sender)(te.brInt)
			b.SetBytes(int64(len(src.Data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Output(te.gnv, src)
				s.Flush()
			}
		})
	}
}

// Segmenting and encapsulating a GSO frame allocates nothing per frame
// (br-phy in secure mode drops the outer frames).
func TestTunnelSegmentNoAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	te := newTunnelEnvAt(t, "secure", local4, remote4, 120)
	te.tun.Neigh.Set("br-phy", remote4, peerMAC)
	src, _ := offloadFrame(t, true, "A", 20*1398, 1398)
	s := (*sender)(te.brInt)
	testutil.RequireNoAllocs(t, "GSO output to a tunnel port", func() {
		s.Output(te.gnv, src)
		s.Flush()
	})
}

// Consecutive segments of one TCP stream received through a tunnel in one
// batch leave br-int's VM port as one GSO frame (GRO), which cut again
// gives the segments that were sent; a segment of another stream between
// them is not merged and keeps the order.
func TestTunnelReceiveCoalesces(t *testing.T) {
	te := newTunnelEnv(t, "")
	src, _ := offloadFrame(t, false, "PA", 5000, 1400)
	var inner [][]byte
	if err := ports.Segment(src, func(f []byte) { inner = append(inner, append([]byte(nil), f...)) }); err != nil {
		t.Fatal(err)
	}
	other, _ := offloadFrame(t, true, "A", 1000, 0)
	if err := ports.RecomputeOffloadChecksum(other); err != nil {
		t.Fatal(err)
	}
	var batch []*packet.Packet
	for _, f := range append(inner[:2:2], append([][]byte{other.Data}, inner[2:]...)...) {
		pk := pkttest.Parsed(geneveTo(t, f, 0x99))
		pk.Key.SetInPort(1)
		batch = append(batch, pk)
	}
	te.brPhy.Pipeline().Process(&packet.Batch{Pkts: batch, Now: te.brPhy.Now()})
	var got [][]byte
	for _, want := range []int{2, 1, 2} { // segments 0-1 merged, the other stream, segments 2-3 merged
		var f porttest.Frame
		select {
		case f = <-te.vm.Sent():
		case <-time.After(2 * time.Second):
			t.Fatalf("br-int's VM port sent %d frames", len(got))
		}
		var segs [][]byte
		pk := packet.New(f.Data)
		pk.Off = f.Off
		if err := ports.Segment(pk, func(s []byte) { segs = append(segs, append([]byte(nil), s...)) }); err != nil {
			t.Fatal(err)
		}
		if len(segs) != want || (want > 1 && !ports.IsGSO(&f.Off)) {
			t.Errorf("frame %d: %d segments (offload %+v), want %d", len(got), len(segs), f.Off, want)
		}
		got = append(got, segs...)
	}
	expectNone(t, te.vm)
	want := append(inner[:2:2], append([][]byte{other.Data}, inner[2:]...)...)
	for i := range want {
		if i >= len(got) || !bytes.Equal(got[i], want[i]) {
			t.Fatalf("segment %d differs from what was sent", i)
		}
	}
}
