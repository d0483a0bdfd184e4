package ports

import (
	"bytes"
	"testing"

	"gswitch/packet"
)

// segmentsOf cuts a GSO frame of spec into wire segments of mss bytes.
func segmentsOf(t *testing.T, spec frameSpec, mss int) [][]byte {
	t.Helper()
	f, _ := buildFrame(t, spec)
	off := makePartial(t, f)
	off.GSOType, off.GSOSize = GSOTCPv4, uint16(mss)
	if spec.ipv6 {
		off.GSOType = GSOTCPv6
	}
	var segs [][]byte
	var s Segmenter
	if err := s.Segment(f, &off, func(seg []byte) { segs = append(segs, append([]byte(nil), seg...)) }); err != nil {
		t.Fatal(err)
	}
	return segs
}

// pool packets holding frames.
func pkts(pool *packet.Pool, frames [][]byte) []*packet.Packet {
	var out []*packet.Packet
	for _, f := range frames {
		pk := pool.Get()
		pk.SetLen(copy(pk.RxSpace(), f))
		out = append(out, pk)
	}
	return out
}

// Coalescing a stream's segments and cutting the result again gives the
// same segments byte for byte (lengths, IPv4 ids, sequence numbers, the
// PSH on the last, options, checksums); the merged frame is a TCP GSO
// frame with a partial checksum.
func TestCoalesceRoundTrip(t *testing.T) {
	pool := packet.NewPool()
	for _, c := range []struct {
		name string
		spec frameSpec
		mss  int
	}{
		{"v4", frameSpec{payload: 10000, flags: "P"}, 1400},
		{"v4-opts-exact", frameSpec{payload: 1448 * 4, options: true}, 1448},
		{"v6", frameSpec{ipv6: true, payload: 20000, options: true, flags: "P"}, 1428},
	} {
		t.Run(c.name, func(t *testing.T) {
			segs := segmentsOf(t, c.spec, c.mss)
			ps := pkts(pool, segs)
			for i, pk := range ps[1:] {
				if !Coalesce(ps[0], pk) {
					t.Fatalf("segment %d not merged", i+1)
				}
			}
			m := ps[0]
			want := GSOTCPv4
			if c.spec.ipv6 {
				want = GSOTCPv6
			}
			if m.Off.GSOType != uint8(want) || int(m.Off.GSOSize) != c.mss || !CsumPartial(&m.Off) || m.Key.Flags&packet.FlagCsumPartial == 0 {
				t.Errorf("merged offload %+v flags %#x", m.Off, m.Key.Flags)
			}
			var again [][]byte
			if err := Segment(m, func(f []byte) { again = append(again, append([]byte(nil), f...)) }); err != nil {
				t.Fatal(err)
			}
			if len(again) != len(segs) {
				t.Fatalf("%d segments again, want %d", len(again), len(segs))
			}
			for i := range segs {
				if !bytes.Equal(again[i], segs[i]) {
					t.Errorf("segment %d differs:\n got %x\nwant %x", i, again[i][:80], segs[i][:80])
				}
			}
		})
	}
}

// What must not be merged is not: a damaged segment, a gap, another
// stream, a segment after one with PSH, a stream whose sequence does not
// continue, a frame with a partial checksum.
func TestCoalesceRefuses(t *testing.T) {
	pool := packet.NewPool()
	segs := segmentsOf(t, frameSpec{payload: 5000, flags: "P"}, 1000) // 5 segments, PSH on the last
	fresh := func() []*packet.Packet { return pkts(pool, segs) }

	ps := fresh()
	ps[1].Data[len(ps[1].Data)-1] ^= 1 // payload damaged: the TCP checksum fails
	if Coalesce(ps[0], ps[1]) {
		t.Error("merged a segment whose checksum fails")
	}
	ps = fresh()
	ps[0].Data[14+10] ^= 1 // dst's IPv4 header checksum fails
	if Coalesce(ps[0], ps[1]) {
		t.Error("merged into a frame whose IPv4 checksum fails")
	}
	ps = fresh()
	if Coalesce(ps[0], ps[2]) {
		t.Error("merged across a gap")
	}
	ps = fresh()
	for _, p := range ps[1:4] {
		if !Coalesce(ps[0], p) {
			t.Fatal("in-order segment not merged")
		}
	}
	if !Coalesce(ps[0], ps[4]) || Coalesce(ps[0], pkts(pool, segs[1:2])[0]) {
		t.Error("the PSH segment should end the merge")
	}
	other := segmentsOf(t, frameSpec{payload: 5000, ipv6: true}, 1000)
	ps = fresh()
	if Coalesce(ps[0], pkts(pool, other[1:2])[0]) {
		t.Error("merged another stream")
	}
	small := segmentsOf(t, frameSpec{payload: 1500}, 500) // 3 segments of 500
	ps = fresh()
	sp := pkts(pool, small)
	if Coalesce(sp[0], ps[1]) {
		t.Error("merged a stream whose sequence does not continue")
	}
	ps = fresh()
	ps[1].Off = makePartial(t, ps[1].Data)
	if Coalesce(ps[0], ps[1]) {
		t.Error("merged a frame with a partial checksum")
	}
}
