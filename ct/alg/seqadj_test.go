package alg

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// refAdj is the reference model: unbounded, in unwrapped 64-bit stream
// offsets from the initial sequence number.
type refAdj struct {
	isn  uint32
	pos  []uint64
	delt []int32
}

func (r *refAdj) seq(x uint64) uint32 {
	var off int64
	for i, p := range r.pos {
		if x >= p {
			off += int64(r.delt[i])
		}
	}
	return r.isn + uint32(x) + uint32(off)
}

func TestSeqAdjustDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		var s SeqAdjust
		dir := Dir(iter & 1)
		ref := refAdj{isn: rng.Uint32()}
		n := 1 + rng.IntN(MaxSeqAdj)
		var x uint64 = uint64(rng.IntN(100))
		for i := 0; i < n; i++ {
			x += 64 + uint64(rng.IntN(3000))
			d := int32(rng.IntN(51) - 20)
			if d == 0 {
				d = 1
			}
			ref.pos = append(ref.pos, x)
			ref.delt = append(ref.delt, d)
		}
		end := x + 5000
		// Record in a random order, some twice (retransmissions).
		order := rng.Perm(n)
		for _, i := range order {
			if !s.Record(dir, ref.isn+uint32(ref.pos[i]), ref.delt[i]) {
				t.Fatalf("Record %d refused", i)
			}
			if rng.IntN(3) == 0 {
				s.Record(dir, ref.isn+uint32(ref.pos[i]), ref.delt[i])
			}
		}
		if !s.Active() {
			t.Fatal("not active")
		}
		for q := 0; q < 200; q++ {
			y := uint64(rng.Int64N(int64(end)))
			if q < 2*n { // the boundaries and one before each
				y = ref.pos[q/2] - uint64(q&1)
			}
			want := ref.seq(y)
			got := s.Seq(dir, ref.isn+uint32(y))
			if got != want {
				t.Fatalf("iter %d: Seq(+%d) = %d, want %d (pos %v delta %v)", iter, y, got-ref.isn, want-ref.isn, ref.pos, ref.delt)
			}
			// The other side acknowledges what it received: mapping back
			// gives the sender's number. (Not for numbers inside a
			// rewritten text: the last bytes of a shortened one have no
			// image, and no segment starts or ends inside an argument.)
			if inArg(ref.pos, y) {
				continue
			}
			if back := s.Ack(dir^1, got); back != ref.isn+uint32(y) {
				t.Fatalf("iter %d: Ack(Seq(+%d)) = +%d", iter, y, back-ref.isn)
			}
			// The other direction is untouched.
			if s.Seq(dir^1, ref.isn+uint32(y)) != ref.isn+uint32(y) || s.Ack(dir, got) != got {
				t.Fatal("other direction changed")
			}
		}
	}
}

// TestSeqAdjustOverflow: more rewrites than MaxSeqAdj keep recent numbers
// exact; the oldest fold into the base offset.
func TestSeqAdjustOverflow(t *testing.T) {
	var s SeqAdjust
	ref := refAdj{isn: 0xffffff00}
	var x uint64
	for i := 0; i < 3*MaxSeqAdj; i++ {
		x += 100
		ref.pos = append(ref.pos, x)
		ref.delt = append(ref.delt, int32(i%7)-2+int32(i&1)*10)
		if ref.delt[i] == 0 {
			ref.delt[i] = 3
		}
		if !s.Record(Orig, ref.isn+uint32(x), ref.delt[i]) {
			t.Fatalf("Record %d", i)
		}
	}
	oldest := ref.pos[len(ref.pos)-MaxSeqAdj]
	for y := oldest - 99; y < x+200; y += 7 {
		if got, want := s.Seq(Orig, ref.isn+uint32(y)), ref.seq(y); got != want {
			t.Fatalf("Seq(+%d) = %d, want %d", y, got, want)
		}
	}
	// A position older than everything remembered is refused.
	if s.Record(Orig, ref.isn+1, 5) {
		t.Fatal("very old position recorded")
	}
	var z SeqAdjust
	if z.Active() || z.Seq(Orig, 5) != 5 || z.Ack(Reply, 5) != 5 || !z.Record(Orig, 1, 0) || z.Active() {
		t.Fatal("zero SeqAdjust")
	}
}

func TestSeqAdjustApplyTCP(t *testing.T) {
	var s SeqAdjust
	s.Record(Orig, 1000, 5)   // client's stream grew by 5 after 1000
	s.Record(Reply, 9000, -3) // server's stream shrank by 3 after 9000
	// SACK option: NOP NOP kind 5 len 18, two blocks.
	sack := func(edges ...uint32) []byte {
		o := []byte{1, 1, 5, byte(2 + 4*len(edges))}
		for _, e := range edges {
			o = binary.BigEndian.AppendUint32(o, e)
		}
		return o
	}
	for _, c := range []struct {
		name          string
		dir           Dir
		seq, ack      uint32
		flags         byte
		opts          []byte
		wantSeq       uint32
		wantAck       uint32
		wantOpts      []byte
		partial       bool
		payload       string
		wantUnchanged bool
	}{
		{"client after rewrite", Orig, 1010, 9500, 0x10, nil, 1015, 9503, nil, false, "data", false},
		{"client retransmit before", Orig, 990, 8000, 0x10, nil, 990, 8000, nil, false, "data", true},
		{"server with SACK", Reply, 9100, 1100, 0x10, sack(1200, 1300, 995, 999), 9097, 1095, sack(1195, 1295, 995, 999), false, "", false},
		{"no ACK flag", Orig, 1001, 9999, 0x02, nil, 1006, 9999, nil, false, "", false},
		{"partial checksum", Orig, 1010, 9500, 0x10, nil, 1015, 9503, nil, true, "x", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, dst := cli4, srv4
			if c.dir == Reply {
				src, dst = srv4, cli4
			}
			pk := tcpFrame(t, src, dst, 1, 21, c.seq, c.ack, c.flags, c.opts, []byte(c.payload), 0)
			before := append([]byte(nil), pk.Data...)
			if c.partial {
				pk.Key.Flags |= packet.FlagCsumPartial
				pk.Off.CsumStart = pk.Key.L4
				pk.Off.CsumOffset = 16
			}
			if !s.ApplyTCP(pk, c.dir) {
				t.Fatal("ApplyTCP false")
			}
			h := pk.Data[pk.Key.L4:]
			if got := binary.BigEndian.Uint32(h[4:]); got != c.wantSeq {
				t.Errorf("seq %d, want %d", got, c.wantSeq)
			}
			if got := binary.BigEndian.Uint32(h[8:]); got != c.wantAck {
				t.Errorf("ack %d, want %d", got, c.wantAck)
			}
			if c.wantOpts != nil && string(h[20:20+len(c.wantOpts)]) != string(c.wantOpts) {
				t.Errorf("options %x, want %x", h[20:20+len(c.wantOpts)], c.wantOpts)
			}
			if c.partial {
				if string(h[16:18]) != string(before[pk.Key.L4+16:pk.Key.L4+18]) {
					t.Error("partial checksum field changed")
				}
				return
			}
			if err := pkttest.VerifyChecksums(pk.Data); err != nil {
				t.Error(err)
			}
			if c.wantUnchanged && string(before) != string(pk.Data) {
				t.Error("packet changed")
			}
		})
	}
	u := packet.New(pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 2, []byte("abc")))
	packet.Parse(u)
	if s.ApplyTCP(u, Orig) {
		t.Error("ApplyTCP on UDP")
	}
}

// inArg reports whether y is inside the (up to 40-byte) rewritten text
// ending before one of pos.
func inArg(pos []uint64, y uint64) bool {
	for _, p := range pos {
		if y < p && y+40 >= p {
			return true
		}
	}
	return false
}
