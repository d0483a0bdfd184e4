package frag

import (
	"math/rand"
	"testing"

	"gswitch/packet"
)

// refParse6 is parse6 as it was before it used packet.WalkIPv6 (its own
// walk, bounded at 16 extension headers), kept as the slow reference.
func refParse6(d []byte, l3 int, fi *fragInfo) parseStatus {
	if len(d)-l3 < 40 || d[l3]>>4 != 6 {
		return psMalformed
	}
	end := l3 + 40 + int(be.Uint16(d[l3+4:]))
	if end > len(d) {
		return psMalformed
	}
	nh := d[l3+6]
	prev := l3 + 6
	p := l3 + 40
	for i := 0; ; i++ {
		if i == 16 {
			return psMalformed
		}
		var l int
		switch nh {
		case 44:
			if end-p < 8 {
				return psMalformed
			}
			offlg := be.Uint16(d[p+2:])
			if offlg&0xfff9 == 0 {
				return psNotFragment
			}
			start := int32(offlg & 0xfff8)
			fi.v6 = true
			fi.more = offlg&1 != 0
			fi.start = start
			fi.end = start + int32(end-(p+8))
			fi.l3Size = end - l3
			fi.l3 = l3
			fi.ipEnd = end
			fi.data = p + 8
			fi.fh = p
			fi.prevNH = prev
			fi.nextHdr = d[p]
			fi.key = fragKey{id: be.Uint32(d[p+4:]), v6: true}
			copy(fi.key.src[:], d[l3+8:l3+24])
			copy(fi.key.dst[:], d[l3+24:l3+40])
			return psOK
		case 0, 43, 60:
			if end-p < 8 {
				return psMalformed
			}
			l = (int(d[p+1]) + 1) * 8
		case 51:
			if end-p < 8 {
				return psMalformed
			}
			l = (int(d[p+1]) + 2) * 4
		default:
			return psNotFragment
		}
		if end-p < l {
			return psMalformed
		}
		prev = p
		nh = d[p]
		p += l
	}
}

// checkParse6 compares parse6 with refParse6 on frame. They must agree on
// every frame that Handle accepts (packet.Parse found a fragment: its walk
// is bounded at packet.MaxIPv6ExtHeaders, so the reference's longer bound
// is never reached); on others parse6 must only not panic.
func checkParse6(t *testing.T, frame []byte) {
	t.Helper()
	pk := packet.New(frame)
	packet.Parse(pk)
	var got, want fragInfo
	st := parseFrag(pk, &got)
	if pk.Key.Flags&packet.FlagIPv6 == 0 || pk.Key.NwFrag()&packet.FragAny == 0 {
		return
	}
	if ws := refParse6(frame, int(pk.Key.L3), &want); st != ws || got != want {
		t.Fatalf("parse6 %v %+v, reference %v %+v (% x)", st, got, ws, want, frame)
	}
}

func parse6Seeds() [][]byte {
	hop := []byte{packet.ProtoHopOpts, 0, 1, 4, 0, 0, 0, 0}
	dst := []byte{packet.ProtoDstOpts, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	ah := []byte{packet.ProtoAH, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	var out [][]byte
	for _, ext := range [][][]byte{nil, {hop}, {hop, dst}, {hop, ah, dst}, {hop, hop, hop, hop, hop, hop, hop}} {
		for _, off := range []int{0, 8, 1232} {
			for _, more := range []bool{false, true} {
				out = append(out, frag6(7, off, more, packet.ProtoUDP, ext, payload(64, 3)))
				// A second Fragment header after the first.
				out = append(out, frag6(7, off, more, packet.ProtoFragment, ext, append([]byte{packet.ProtoUDP, 0, 0, 9, 0, 0, 0, 7}, payload(64, 3)...)))
			}
		}
	}
	return out
}

func TestParse6VsReference(t *testing.T) {
	rng := rand.New(rand.NewSource(44))
	seeds := parse6Seeds()
	for _, f := range seeds {
		for n := 14; n <= len(f); n++ {
			checkParse6(t, f[:n])
		}
	}
	for i := 0; i < 20000; i++ {
		f := append([]byte(nil), seeds[rng.Intn(len(seeds))]...)
		for j := rng.Intn(4); j > 0; j-- {
			f[14+rng.Intn(len(f)-14)] = byte(rng.Uint32())
		}
		checkParse6(t, f)
	}
}

// FuzzParse6: parse6 never panics and agrees with the walk it replaced on
// every frame Handle takes.
func FuzzParse6(f *testing.F) {
	for _, s := range parse6Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		checkParse6(t, frame)
	})
}
