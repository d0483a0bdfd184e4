package frag

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net/netip"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

const (
	src4 = "198.51.100.1"
	dst4 = "203.0.113.2"
	src6 = "2001:db8::1"
	dst6 = "2001:db8::2"
)

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// parsed returns frame as a parsed packet with in_port and a register set,
// so the test can see metadata travel.
func parsed(frame []byte, inPort uint32) *packet.Packet {
	pk := packet.New(frame)
	pk.Key.SetInPort(inPort)
	pk.Key.W.Set(packet.FieldXReg0, packet.U128{Lo: 0x1122334455667788})
	packet.Parse(pk)
	return pk
}

// setID4 rewrites the IPv4 ID of every fragment (fixing the checksum).
func setID4(frags [][]byte, id uint16) {
	for _, f := range frags {
		l3 := 14
		binary.BigEndian.PutUint16(f[l3+4:], id)
		fixCsum4(f, l3)
	}
}

func fixCsum4(f []byte, l3 int) {
	ihl := int(f[l3]&0xf) * 4
	binary.BigEndian.PutUint16(f[l3+10:], 0)
	binary.BigEndian.PutUint16(f[l3+10:], packet.Checksum(f[l3:l3+ihl]))
}

// frag4 builds a raw IPv4 fragment: offset in bytes (multiple of 8).
func frag4(id uint16, off int, more bool, data []byte) []byte {
	f := make([]byte, 14+20+len(data))
	copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00})
	h := f[14:]
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(data)))
	binary.BigEndian.PutUint16(h[4:], id)
	fo := uint16(off / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:], fo)
	h[8] = 64
	h[9] = packet.ProtoUDP
	a, b := netip.MustParseAddr(src4).As4(), netip.MustParseAddr(dst4).As4()
	copy(h[12:], a[:])
	copy(h[16:], b[:])
	copy(h[20:], data)
	fixCsum4(f, 14)
	return f
}

// frag6 builds a raw IPv6 fragment with the given unfragmentable extension
// headers (each a whole header whose first byte is overwritten with the
// chain's next header) before the Fragment header.
func frag6(id uint32, off int, more bool, nh uint8, ext [][]byte, data []byte) []byte {
	var ip []byte
	ip = append(ip, make([]byte, 40)...)
	ip[0] = 0x60
	ip[7] = 64
	a, b := netip.MustParseAddr(src6).As16(), netip.MustParseAddr(dst6).As16()
	copy(ip[8:], a[:])
	copy(ip[24:], b[:])
	types := []uint8{}
	for _, e := range ext {
		types = append(types, e[0]) // caller puts the header's own type in byte 0
	}
	prev := 6
	for i, e := range ext {
		ip[prev] = types[i]
		prev = len(ip)
		ip = append(ip, e...)
	}
	ip[prev] = packet.ProtoFragment
	fh := make([]byte, 8)
	fh[0] = nh
	offlg := uint16(off)
	if more {
		offlg |= 1
	}
	binary.BigEndian.PutUint16(fh[2:], offlg)
	binary.BigEndian.PutUint32(fh[4:], id)
	ip = append(ip, fh...)
	ip = append(ip, data...)
	binary.BigEndian.PutUint16(ip[4:], uint16(len(ip)-40))
	return append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}, ip...)
}

func handle(t *testing.T, r *Reassembler, frame []byte, zone uint16, now int64) (*Datagram, Verdict) {
	t.Helper()
	pk := parsed(frame, 7)
	if pk.Key.NwFrag()&packet.FragAny == 0 {
		t.Fatalf("test frame is no fragment: % x", frame[:60])
	}
	return r.Handle(pk, zone, now)
}

func order(n int, how string, rng *rand.Rand) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	switch how {
	case "reverse":
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			idx[i], idx[j] = idx[j], idx[i]
		}
	case "random":
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	return idx
}

// feed hands frags to r in the order idx and checks that only the last
// completes; it returns the datagram.
func feed(t *testing.T, r *Reassembler, frags [][]byte, idx []int, zone uint16) *Datagram {
	t.Helper()
	var dg *Datagram
	for i, j := range idx {
		d, v := handle(t, r, frags[j], zone, int64(i))
		if i < len(idx)-1 {
			if v != Held || d != nil {
				t.Fatalf("fragment %d (#%d): verdict %v, datagram %v", i, j, v, d != nil)
			}
			continue
		}
		if v != Complete || d == nil {
			t.Fatalf("last fragment (#%d): verdict %v", j, v)
		}
		dg = d
	}
	// Frags are copies of the fragments in arrival order, unmodified.
	if len(dg.Frags) != len(frags) {
		t.Fatalf("got %d frags, want %d", len(dg.Frags), len(frags))
	}
	for i, j := range idx {
		if !bytes.Equal(dg.Frags[i].Data, frags[j]) {
			t.Fatalf("Frags[%d] is not fragment #%d", i, j)
		}
		if dg.Frags[i].Key.InPort() != 7 {
			t.Fatalf("Frags[%d] lost its key", i)
		}
	}
	if r.NumFrags() != 0 {
		t.Fatalf("NumFrags %d after completion", r.NumFrags())
	}
	return dg
}

func checkWhole4(t *testing.T, w *packet.Packet, orig []byte) {
	t.Helper()
	k := &w.Key
	if k.Flags&(packet.FlagIPv4|packet.FlagL4) != packet.FlagIPv4|packet.FlagL4 || k.Flags&(packet.FlagMalformed|packet.FlagBadIPCsum) != 0 {
		t.Fatalf("whole parses with flags %#x", k.Flags)
	}
	if k.NwFrag() != 0 || k.TpSrc() != 1000 || k.TpDst() != 2000 || k.NwProto() != packet.ProtoUDP {
		t.Fatalf("whole key: frag %d tp %d>%d proto %d", k.NwFrag(), k.TpSrc(), k.TpDst(), k.NwProto())
	}
	if k.InPort() != 7 || k.Reg(0) != 0x11223344 {
		t.Fatalf("whole lost the metadata: in_port %d reg0 %#x", k.InPort(), k.Reg(0))
	}
	d := w.Data
	if len(d) != len(orig) {
		t.Fatalf("whole is %d bytes, want %d", len(d), len(orig))
	}
	if fo := binary.BigEndian.Uint16(d[20:]); fo&0x3fff != 0 {
		t.Fatalf("whole flags/offset %#x", fo)
	}
	if !bytes.Equal(d[:20], orig[:20]) || !bytes.Equal(d[24:26], orig[24:26]) || !bytes.Equal(d[26:], orig[26:]) {
		// bytes 20..23 are flags/offset (DF cleared by Frag4) and TTL/proto.
		t.Fatalf("whole differs from the original datagram")
	}
	if packet.Checksum(d[14:34]) != 0 {
		t.Fatalf("whole has a bad IPv4 checksum")
	}
}

func TestReassembleV4(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{1473, 3000, 8972, 30000, 65507} {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			for _, how := range []string{"in-order", "reverse", "random"} {
				t.Run(how, func(t *testing.T) {
					for _, size := range []int{1480, 1184} {
						r := New()
						orig := pkttest.UDP4(src4, dst4, 1000, 2000, payload(n, byte(n)))
						frags := pkttest.Frag4(orig, size)
						if len(frags) < 2 {
							t.Fatalf("no fragments")
						}
						dg := feed(t, r, frags, order(len(frags), how, rng), 3)
						checkWhole4(t, dg.Whole, orig)
						s := r.Stats()
						if s.V4.Accepted != uint64(len(frags)) || s.V4.Completed != uint64(len(frags)) || s.NumFrags != 0 {
							t.Fatalf("n=%d %s: stats %+v", n, how, s.V4)
						}
					}
				})
			}
		})
	}
}

func TestReassembleV4SmallMin(t *testing.T) {
	r := New()
	if err := r.SetMinFrag(false, 400); err != nil {
		t.Fatal(err)
	}
	orig := pkttest.UDP4(src4, dst4, 1000, 2000, payload(20000, 3))
	frags := pkttest.Frag4(orig, 384) // 404-byte fragments, 53 of them
	dg := feed(t, r, frags, order(len(frags), "random", rand.New(rand.NewSource(2))), 0)
	checkWhole4(t, dg.Whole, orig)
}

func checkWhole6(t *testing.T, w *packet.Packet, want []byte) {
	t.Helper()
	k := &w.Key
	if k.Flags&(packet.FlagIPv6|packet.FlagL4) != packet.FlagIPv6|packet.FlagL4 || k.Flags&packet.FlagMalformed != 0 {
		t.Fatalf("whole parses with flags %#x", k.Flags)
	}
	if k.NwFrag() != 0 || k.TpSrc() != 1000 || k.TpDst() != 2000 || k.NwProto() != packet.ProtoUDP {
		t.Fatalf("whole key: frag %d tp %d>%d proto %d", k.NwFrag(), k.TpSrc(), k.TpDst(), k.NwProto())
	}
	if k.InPort() != 7 {
		t.Fatalf("whole lost the metadata")
	}
	if !bytes.Equal(w.Data, want) {
		t.Fatalf("whole differs from the original datagram:\n got % x\nwant % x", w.Data[:80], want[:80])
	}
	if !w.L4ChecksumOK() {
		t.Fatalf("whole's UDP checksum is wrong")
	}
}

func TestReassembleV6(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{1300, 3000, 8952, 30000, 65000} {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			for _, how := range []string{"in-order", "reverse", "random"} {
				t.Run(how, func(t *testing.T) {
					r := New()
					orig := pkttest.UDP6(src6, dst6, 1000, 2000, payload(n, byte(n)))
					frags := pkttest.Frag6(orig, 1232, 0x1000+uint32(n))
					dg := feed(t, r, frags, order(len(frags), how, rng), 5)
					checkWhole6(t, dg.Whole, orig)
					s := r.Stats()
					if s.V6.Accepted != uint64(len(frags)) || s.V6.Completed != uint64(len(frags)) || s.V4.Accepted != 0 {
						t.Fatalf("stats %+v", s)
					}
				})
			}
		})
	}
}

// udp6Body returns a UDP header and payload with a correct checksum for
// src6 > dst6.
func udp6Body(n int) []byte {
	full := pkttest.UDP6(src6, dst6, 1000, 2000, payload(n, 9))
	return full[14+40:]
}

// TestReassembleV6ExtHeaders: extension headers before the Fragment header
// stay, the Fragment header goes, and the header before it names UDP.
func TestReassembleV6ExtHeaders(t *testing.T) {
	hop := []byte{packet.ProtoHopOpts, 0, 1, 4, 0, 0, 0, 0}         // Hop-by-Hop, PadN
	dst := []byte{60, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // Destination Options, 16 bytes
	rt := []byte{packet.ProtoRouting, 0, 0, 0, 0, 0, 0, 0}          // Routing type 0, segments left 0
	body := udp6Body(4000)
	for _, ext := range [][][]byte{{hop}, {hop, dst}, {hop, rt, dst}, {dst}} {
		var frags [][]byte
		for off := 0; off < len(body); off += 1448 {
			end := min(off+1448, len(body))
			frags = append(frags, frag6(77, off, end < len(body), packet.ProtoUDP, cloneAll(ext), body[off:end]))
		}
		for _, how := range []string{"in-order", "reverse", "random"} {
			r := New()
			dg := feed(t, r, frags, order(len(frags), how, rand.New(rand.NewSource(4))), 0)
			// The expected datagram: same headers, no Fragment header.
			want := frag6(77, 0, false, packet.ProtoUDP, cloneAll(ext), body)
			l3 := 14
			fh := len(want) - len(body) - 8
			prev := l3 + 6
			for p, i := l3+40, 0; i < len(ext); i++ {
				prev = p
				p += len(ext[i])
			}
			want[prev] = packet.ProtoUDP
			want = append(want[:fh:fh], want[fh+8:]...)
			binary.BigEndian.PutUint16(want[l3+4:], uint16(len(want)-l3-40))
			checkWhole6(t, dg.Whole, want)
		}
	}
}

func cloneAll(b [][]byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = bytes.Clone(b[i])
	}
	return out
}

func TestOverlapAndDuplicate(t *testing.T) {
	body := payload(2960, 1)
	a := frag4(9, 0, true, body[:1480])
	b := frag4(9, 1480, false, body[1480:])
	for _, tc := range []struct {
		name string
		bad  []byte
	}{
		{"duplicate", a},
		{"teardrop", frag4(9, 1472, false, body[1472:])}, // starts inside a
		{"contains", frag4(9, 0, true, append(body[:1480:1480], body[1480:2960]...)[:2960-8])},
		{"tail", frag4(9, 8, true, body[8:1488])}, // ends inside b's range after a
		{"same-last", b},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New()
			first, second := a, b
			if tc.name == "same-last" {
				first, second = b, a
			}
			if _, v := handle(t, r, first, 0, 0); v != Held {
				t.Fatalf("first: %v", v)
			}
			if _, v := handle(t, r, tc.bad, 0, 1); v != Invalid {
				t.Fatalf("overlapping fragment: %v", v)
			}
			if got := r.Stats().V4.Overlapped; got != 1 {
				t.Fatalf("overlapped %d", got)
			}
			// The held fragment wins; the right one completes the datagram
			// with the original data.
			dg, v := handle(t, r, second, 0, 2)
			if v != Complete {
				t.Fatalf("completing fragment: %v", v)
			}
			if !bytes.Equal(dg.Whole.Data[34:], body) {
				t.Fatalf("reassembled data mixed in the overlapping fragment")
			}
			if len(dg.Frags) != 2 {
				t.Fatalf("%d frags", len(dg.Frags))
			}
		})
	}
}

func TestOverlapV6(t *testing.T) {
	r := New()
	body := udp6Body(3000)
	a := frag6(5, 0, true, packet.ProtoUDP, nil, body[:1456])
	if _, v := handle(t, r, a, 0, 0); v != Held {
		t.Fatal(v)
	}
	if _, v := handle(t, r, a, 0, 0); v != Invalid {
		t.Fatal(v)
	}
	if _, v := handle(t, r, frag6(5, 1448, false, packet.ProtoUDP, nil, body[1448:]), 0, 0); v != Invalid {
		t.Fatal(v)
	}
	if s := r.Stats(); s.V6.Overlapped != 2 || s.V6.Accepted != 1 || s.NumFrags != 1 {
		t.Fatalf("%+v", s)
	}
}

func TestTooSmall(t *testing.T) {
	r := New()
	body := payload(3000, 2)
	// 1199-byte non-last IPv4 fragment: too small; data 1176 (multiple of 8) -> 1196.
	if _, v := handle(t, r, frag4(1, 0, true, body[:1176]), 0, 0); v != Invalid {
		t.Fatalf("small first: %v", v)
	}
	// 1180 bytes of data (1200 in all) is not a multiple of 8: refused as
	// malformed, not too small.
	if _, v := handle(t, r, frag4(2, 0, true, body[:1180]), 0, 0); v != Invalid {
		t.Fatalf("unaligned: %v", v)
	}
	// A small last fragment is fine.
	if _, v := handle(t, r, frag4(3, 1480, false, body[:10]), 0, 0); v != Held {
		t.Fatalf("small last: %v", v)
	}
	s := r.Stats()
	if s.V4.TooSmall != 1 || s.V4.Malformed != 1 {
		t.Fatalf("too small %d, malformed %d", s.V4.TooSmall, s.V4.Malformed)
	}
	// Exactly the minimum is fine.
	r.SetMinFrag(false, 1196)
	if _, v := handle(t, r, frag4(5, 0, true, body[:1176]), 0, 0); v != Held {
		t.Fatalf("exactly the minimum: %v", v)
	}
	// IPv6: 1279 bytes is too small, 1280 is not.
	b6 := udp6Body(3000)
	if _, v := handle(t, r, frag6(1, 0, true, packet.ProtoUDP, nil, b6[:1224]), 0, 0); v != Invalid {
		t.Fatalf("v6 small: %v", v) // 40+8+1224 = 1272
	}
	if _, v := handle(t, r, frag6(2, 0, true, packet.ProtoUDP, nil, b6[:1232]), 0, 0); v != Held {
		t.Fatalf("v6 1280: %v", v)
	}
	if got := r.Stats().V6.TooSmall; got != 1 {
		t.Fatalf("v6 too small %d", got)
	}
	// Raising the minimum applies to new fragments.
	if err := r.SetMinFrag(false, 1600); err != nil {
		t.Fatal(err)
	}
	if _, v := handle(t, r, frag4(4, 0, true, body[:1480]), 0, 0); v != Invalid {
		t.Fatalf("under raised min: %v", v)
	}
}

func TestTableFull(t *testing.T) {
	r := New()
	if err := r.SetMaxFrags(3); err != nil {
		t.Fatal(err)
	}
	body := payload(1480, 0)
	for id := uint16(1); id <= 5; id++ {
		_, v := handle(t, r, frag4(id, 0, true, body), 0, 0)
		if want := map[bool]Verdict{true: Held, false: Invalid}[id <= 3]; v != want {
			t.Fatalf("id %d: %v, want %v", id, v, want)
		}
	}
	s := r.Stats()
	if s.NumFrags != 3 || s.V4.TableFull != 2 || s.V4.Accepted != 3 {
		t.Fatalf("%+v", s)
	}
	// Max 0 holds nothing.
	r.SetMaxFrags(0)
	r.Expire(Timeout + 1)
	if _, v := handle(t, r, frag4(9, 0, true, body), 0, Timeout+2); v != Invalid {
		t.Fatalf("max 0: %v", v)
	}
}

func TestListFull(t *testing.T) {
	r := New()
	r.SetMinFrag(false, 400)
	body := payload(40000, 0)
	for _, f := range [][]byte{
		frag4(1, 0, true, body[:400]),
		frag4(1, 400, true, body[:400]),
		frag4(1, 64000, false, body[:100]),
	} {
		if _, v := handle(t, r, f, 0, 0); v != Held {
			t.Fatal(v)
		}
	}
	// ceil(65475/(30000-60)) = 3 fragments per IPv4 datagram.
	r.SetMinFrag(false, 30000)
	if _, v := handle(t, r, frag4(1, 800, true, body[:30000]), 0, 0); v != Invalid {
		t.Fatalf("4th fragment: %v", v)
	}
	if s := r.Stats(); s.V4.ListFull != 1 || s.NumFrags != 3 {
		t.Fatalf("%+v", s.V4)
	}
	if maxV4FragsPerDgm(DefaultMinFragV4) != 58 || maxV4FragsPerDgm(400) != 193 {
		t.Fatalf("per-datagram limits %d %d", maxV4FragsPerDgm(DefaultMinFragV4), maxV4FragsPerDgm(400))
	}
}

func TestTooBigAndInconsistent(t *testing.T) {
	r := New()
	body := payload(1480, 0)
	// Ping of death: data ending beyond 65515.
	if _, v := handle(t, r, frag4(1, 65512, false, body[:100]), 0, 0); v != Invalid {
		t.Fatal(v)
	}
	if _, v := handle(t, r, frag4(1, 64040, false, body[:1480]), 0, 0); v != Invalid {
		t.Fatal(v) // ends at 65520 > 65515
	}
	if got := r.Stats().V4.TooBig; got != 2 {
		t.Fatalf("too big %d", got)
	}
	// v6: 65535 is the limit of the fragmentable part.
	if _, v := handle(t, r, frag6(1, 65528, false, packet.ProtoUDP, nil, body[:16]), 0, 0); v != Invalid {
		t.Fatal(v)
	}
	if got := r.Stats().V6.TooBig; got != 1 {
		t.Fatalf("v6 too big %d", got)
	}

	// Total length mismatch: a second, different last fragment; a
	// fragment beyond the known end; a last fragment before held data.
	if _, v := handle(t, r, frag4(2, 2960, false, body[:100]), 0, 0); v != Held {
		t.Fatal(v)
	}
	if _, v := handle(t, r, frag4(2, 4440, false, body[:100]), 0, 0); v != Invalid {
		t.Fatalf("second last: %v", v)
	}
	if _, v := handle(t, r, frag4(2, 4440, true, body), 0, 0); v != Invalid {
		t.Fatalf("beyond the end: %v", v)
	}
	if _, v := handle(t, r, frag4(3, 2960, true, body), 0, 0); v != Held {
		t.Fatal(v)
	}
	if _, v := handle(t, r, frag4(3, 1480, false, body[:100]), 0, 0); v != Invalid {
		t.Fatalf("last before held data: %v", v)
	}
	if got := r.Stats().V4.Inconsistent; got != 3 {
		t.Fatalf("inconsistent %d", got)
	}
}

// TestReassFail: a datagram that would exceed 65535 bytes once whole (its
// first fragment has 40 bytes of options) fails like OVS's "reassemble
// fail": it keeps its fragments until they expire and refuses more.
func TestReassFail(t *testing.T) {
	r := New()
	body := payload(65496, 0)
	first := frag4(1, 0, true, body[:1480])
	// Add 40 bytes of options (NOPs) to the first fragment's header.
	withOpts := append(bytes.Clone(first[:34]), bytes.Repeat([]byte{1}, 40)...)
	withOpts = append(withOpts, first[34:]...)
	withOpts[14] = 0x4f
	binary.BigEndian.PutUint16(withOpts[16:], uint16(len(withOpts)-14))
	fixCsum4(withOpts, 14)
	if _, v := handle(t, r, withOpts, 0, 0); v != Held {
		t.Fatal(v)
	}
	for off := 1480; off < 65496; off += 1480 {
		end := min(off+1480, 65496)
		_, v := handle(t, r, frag4(1, off, end < 65496, body[off:end]), 0, 0)
		if v != Held {
			t.Fatalf("off %d: %v", off, v)
		}
	}
	s := r.Stats()
	if s.V4.ReassFailed != 1 || s.V4.Completed != 0 || s.NumFrags == 0 {
		t.Fatalf("%+v", s)
	}
	if _, v := handle(t, r, frag4(1, 0, true, body[:1480]), 0, 0); v != Invalid {
		t.Fatal(v)
	}
	if l := r.Pending(); len(l) != 1 || l[0].State.String() != "reassemble fail" {
		t.Fatalf("%+v", l)
	}
	r.Expire(Timeout + 1)
	if s := r.Stats(); s.NumFrags != 0 || s.V4.Expired == 0 {
		t.Fatalf("%+v", s)
	}
}

func TestExpiry(t *testing.T) {
	r := New()
	body := payload(1480, 0)
	handle(t, r, frag4(1, 0, true, body), 0, 100)
	handle(t, r, frag4(1, 1480, true, body), 0, 200)
	handle(t, r, frag4(2, 0, true, body), 0, 5e9)
	b6 := udp6Body(3000)
	handle(t, r, frag6(3, 0, true, packet.ProtoUDP, nil, b6[:1232]), 0, 6e9)

	r.Expire(100 + Timeout) // not yet: OVS expires when now > expiration
	if r.NumFrags() != 4 {
		t.Fatalf("expired too early")
	}
	out := r.ExpireInto(101+Timeout, nil)
	if len(out) != 2 || !bytes.Equal(out[0].Data, frag4(1, 0, true, body)) || !bytes.Equal(out[1].Data, frag4(1, 1480, true, body)) {
		t.Fatalf("expired frags %d", len(out))
	}
	if s := r.Stats(); s.V4.Expired != 2 || s.NumFrags != 2 {
		t.Fatalf("%+v", s)
	}
	// A fragment of the expired datagram starts a new one.
	if _, v := handle(t, r, frag4(1, 1480, true, body), 0, 102+Timeout); v != Held {
		t.Fatal(v)
	}
	// Expired 10 s late: purged, not expired, and not returned; the new
	// datagram 1 (expiring at 30 s) is merely expired.
	out = r.ExpireInto(6e9+Timeout+PurgeDelay, nil)
	if len(out) != 1 || !bytes.Equal(out[0].Data, frag4(1, 1480, true, body)) {
		t.Fatalf("expired frags %d", len(out))
	}
	s := r.Stats()
	if s.V4.Purged != 1 || s.V6.Purged != 1 || s.V4.Expired != 3 || s.NumFrags != 0 {
		t.Fatalf("%+v", s)
	}
	r.Expire(1 << 62)
	if r.NumFrags() != 0 || len(r.Pending()) != 0 {
		t.Fatalf("left over")
	}
}

func TestDisabled(t *testing.T) {
	r := New()
	r.SetEnabled(false, false)
	if r.Enabled(false) || !r.Enabled(true) {
		t.Fatal("Enabled")
	}
	body := payload(1480, 0)
	pk := parsed(frag4(1, 0, true, body), 1)
	if d, v := r.Handle(pk, 0, 0); d != nil || v != Disabled {
		t.Fatalf("%v", v)
	}
	if r.Add(pk, 0, 0) != nil {
		t.Fatal("Add")
	}
	b6 := udp6Body(3000)
	if _, v := handle(t, r, frag6(1, 0, true, packet.ProtoUDP, nil, b6[:1232]), 0, 0); v != Held {
		t.Fatal(v)
	}
	if s := r.Stats(); s.V4.Accepted != 0 || s.V6.Accepted != 1 || s.V4.Enabled {
		t.Fatalf("%+v", s)
	}
	r.SetEnabled(false, true)
	if _, v := handle(t, r, frag4(1, 0, true, body), 0, 0); v != Held {
		t.Fatal(v)
	}
}

func TestKeyFields(t *testing.T) {
	r := New()
	body := payload(2960, 0)
	a := frag4(1, 0, true, body[:1480])
	b := frag4(1, 1480, false, body[1480:])
	// Different zone, ID, protocol, source, recirc_id: different datagrams.
	handle(t, r, a, 1, 0)
	if _, v := handle(t, r, b, 2, 0); v != Held {
		t.Fatalf("zone: %v", v)
	}
	b2 := bytes.Clone(b)
	binary.BigEndian.PutUint16(b2[18:], 2)
	fixCsum4(b2, 14)
	if _, v := handle(t, r, b2, 1, 0); v != Held {
		t.Fatalf("id: %v", v)
	}
	b3 := bytes.Clone(b)
	b3[23] = packet.ProtoTCP
	fixCsum4(b3, 14)
	if _, v := handle(t, r, b3, 1, 0); v != Held {
		t.Fatalf("proto: %v", v)
	}
	pk := parsed(b, 7)
	pk.Key.SetRecircID(5)
	if _, v := r.Handle(pk, 1, 0); v != Held {
		t.Fatalf("recirc: %v", v)
	}
	if _, v := handle(t, r, b, 1, 0); v != Complete {
		t.Fatalf("same key: %v", v)
	}
}

func TestMalformed(t *testing.T) {
	r := New()
	body := payload(1480, 0)
	bad := frag4(1, 0, true, body)
	bad[24] ^= 0xff // checksum
	pk := packet.New(bad)
	packet.Parse(pk)
	if _, v := r.Handle(pk, 0, 0); v != Invalid {
		t.Fatalf("bad checksum: %v", v)
	}
	// Zero data.
	if _, v := handle(t, r, frag4(1, 1480, false, nil), 0, 0); v != Invalid {
		t.Fatalf("empty: %v", v)
	}
	if got := r.Stats().V4.Malformed; got != 2 {
		t.Fatalf("malformed %d", got)
	}
	// An IPv6 atomic fragment is no fragment.
	at := frag6(1, 0, false, packet.ProtoUDP, nil, udp6Body(100))
	pk = packet.New(at)
	packet.Parse(pk)
	if _, v := r.Handle(pk, 0, 0); v != NotFragment {
		t.Fatalf("atomic: %v", v)
	}
	// A non-IP packet.
	pk = packet.New(make([]byte, 60))
	packet.Parse(pk)
	if _, v := r.Handle(pk, 0, 0); v != NotFragment {
		t.Fatalf("non-IP: %v", v)
	}
}

func TestSetters(t *testing.T) {
	r := New()
	if err := r.SetMinFrag(false, 399); err != ErrMinFragTooSmall {
		t.Fatal(err)
	}
	if err := r.SetMinFrag(true, 399); err != ErrMinFragTooSmall {
		t.Fatal(err)
	}
	if err := r.SetMinFrag(true, 400); err != nil || r.MinFrag(true) != 400 {
		t.Fatal(err)
	}
	if err := r.SetMaxFrags(5001); err != ErrMaxFragsTooBig {
		t.Fatal(err)
	}
	if err := r.SetMaxFrags(5000); err != nil || r.MaxFrags() != 5000 {
		t.Fatal(err)
	}
}

// TestSyncFromWhole: NAT the reassembled datagram (new source address and
// port, checksums fixed), copy back into the fragments, reassemble those
// again: the result is the NATed datagram.
func TestSyncFromWhole(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			var orig []byte
			var frags [][]byte
			if v6 {
				orig = pkttest.UDP6(src6, dst6, 1000, 2000, payload(4000, 1))
				frags = pkttest.Frag6(orig, 1232, 9)
			} else {
				orig = pkttest.UDP4(src4, dst4, 1000, 2000, payload(4000, 1))
				frags = pkttest.Frag4(orig, 1480)
			}
			r := New()
			dg := feed(t, r, frags, order(len(frags), "reverse", nil), 0)
			w := dg.Whole
			l3, l4 := int(w.Key.L3), int(w.Key.L4)
			if v6 {
				w.Data[l3+8+15] = 0x99
			} else {
				w.Data[l3+12+3] = 0x99
				w.RecomputeIPv4Checksum()
			}
			binary.BigEndian.PutUint16(w.Data[l4:], 4242)
			packet.Parse(w)
			if !w.RecomputeL4Checksum() {
				t.Fatal("recompute")
			}
			dg.SyncFromWhole()
			r2 := New()
			var again *Datagram
			for _, f := range dg.Frags {
				pk := packet.New(f.Data)
				packet.Parse(pk)
				if d, _ := r2.Handle(pk, 0, 0); d != nil {
					again = d
				}
			}
			if again == nil {
				t.Fatalf("v6=%v: synced fragments do not reassemble", v6)
			}
			if !bytes.Equal(again.Whole.Data, w.Data) {
				t.Fatalf("v6=%v: synced fragments reassemble to another datagram", v6)
			}
			if !again.Whole.L4ChecksumOK() {
				t.Fatalf("v6=%v: L4 checksum", v6)
			}
		})
	}
}

// TestVLAN: fragments behind an 802.1Q tag (L3 at 18) reassemble, the tag
// stays in Whole.
func TestVLAN(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			var orig []byte
			var frags [][]byte
			if v6 {
				orig = pkttest.UDP6(src6, dst6, 1000, 2000, payload(3000, 4))
				frags = pkttest.Frag6(orig, 1232, 4)
			} else {
				orig = pkttest.UDP4(src4, dst4, 1000, 2000, payload(3000, 4))
				frags = pkttest.Frag4(orig, 1480)
			}
			for i := range frags {
				frags[i] = pkttest.VLAN(frags[i], 100)
			}
			r := New()
			dg := feed(t, r, frags, order(len(frags), "reverse", nil), 0)
			w := dg.Whole
			if w.Key.L3 != 18 || w.Key.VlanTCI()&0xfff != 100 || w.Key.Flags&packet.FlagL4 == 0 || w.Key.TpDst() != 2000 {
				t.Fatalf("v6=%v: whole L3 %d tci %#x flags %#x", v6, w.Key.L3, w.Key.VlanTCI(), w.Key.Flags)
			}
			if !w.L4ChecksumOK() {
				t.Fatalf("v6=%v: checksum", v6)
			}
		})
	}
}
