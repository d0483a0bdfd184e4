package ports

import (
	"bytes"
	"testing"

	"gswitch/packet"
)

func TestVnetHdrRoundTrip(t *testing.T) {
	h := VnetHdr{Flags: VnetFlagNeedsCsum, GSOType: GSOTCPv6 | GSOECN, HdrLen: 86, GSOSize: 1428, CsumStart: 54, CsumOffset: 16}
	var b [VnetHdrLen]byte
	h.Encode(b[:])
	var g VnetHdr
	if err := g.Decode(b[:]); err != nil || g != h {
		t.Fatalf("%+v %v", g, err)
	}
	if err := g.Decode(b[:9]); err != ErrShortVnetHdr {
		t.Fatal(err)
	}
	o, err := h.Offload(2000)
	if err != nil {
		t.Fatal(err)
	}
	want := packet.Offload{CsumStart: 54, CsumOffset: 16, GSOType: GSOTCPv6 | GSOECN, GSOSize: 1428, HdrLen: 86}
	if o != want {
		t.Fatalf("%+v", o)
	}
	if !CsumPartial(&o) || !IsGSO(&o) || !HasOffload(&o) {
		t.Fatal("predicates")
	}
}

func TestVnetHdrOffloadRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		h    VnetHdr
	}{
		{"csum start 0", VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 0, CsumOffset: 16}},
		{"csum past the end", VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 90, CsumOffset: 16}},
		{"GSO without csum", VnetHdr{GSOType: GSOTCPv4, GSOSize: 1000}},
		{"GSO size 0", VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 34, CsumOffset: 16, GSOType: GSOTCPv4}},
		{"UFO", VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 34, CsumOffset: 6, GSOType: GSOUDP, GSOSize: 8}},
		{"ECN alone", VnetHdr{GSOType: GSOECN}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.h.Offload(100); err == nil {
				t.Errorf("%+v accepted", c.h)
			}
		})
	}
	// DATA_VALID alone is a complete frame.
	h := VnetHdr{Flags: VnetFlagDataValid}
	if o, err := h.Offload(60); err != nil || HasOffload(&o) {
		t.Fatal(o, err)
	}
}

func FuzzVnetHdr(f *testing.F) {
	f.Add([]byte{1, 1, 66, 0, 0xa8, 5, 34, 0, 16, 0}, 9000)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 34, 0, 6, 0}, 60)
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 60)
	f.Fuzz(func(t *testing.T, b []byte, frameLen int) {
		var h VnetHdr
		if err := h.Decode(b); err != nil {
			if len(b) >= VnetHdrLen {
				t.Fatal(err)
			}
			return
		}
		var e [VnetHdrLen]byte
		h.Encode(e[:])
		if !bytes.Equal(e[:], b[:VnetHdrLen]) {
			t.Fatalf("round trip %x -> %x", b[:VnetHdrLen], e)
		}
		o, err := h.Offload(frameLen)
		if err != nil {
			return
		}
		if CsumPartial(&o) && int(o.CsumStart)+int(o.CsumOffset)+2 > frameLen {
			t.Fatalf("checksum outside the frame: %+v len %d", o, frameLen)
		}
		if IsGSO(&o) && (!CsumPartial(&o) || o.GSOSize == 0) {
			t.Fatalf("GSO without checksum or size: %+v", o)
		}
	})
}

func FuzzSegment(f *testing.F) {
	add := func(spec frameSpec, gso uint8, mss uint16) {
		fr, _ := buildFrame(f, spec)
		o := makePartial(f, fr)
		f.Add(fr, o.CsumStart, o.CsumOffset, gso, mss)
	}
	add(frameSpec{payload: 300, options: true, flags: "FP"}, GSOTCPv4, 100)
	add(frameSpec{payload: 300, ipv6: true}, GSOTCPv6, 100)
	add(frameSpec{payload: 300, udp: true, vlan: true}, GSOUDPL4, 99)
	add(frameSpec{payload: 30}, GSONone, 0)
	f.Fuzz(func(t *testing.T, fr []byte, cs, co uint16, gso uint8, mss uint16) {
		if len(fr) > 70000 {
			return
		}
		o := packet.Offload{CsumStart: cs, CsumOffset: co, GSOType: gso, GSOSize: mss}
		orig := append([]byte(nil), fr...)
		var s Segmenter
		segs, total := 0, 0
		err := s.Segment(fr, &o, func(seg []byte) {
			segs++
			total += len(seg)
			if len(seg) > len(orig) {
				t.Fatalf("segment of %d bytes from a %d-byte frame", len(seg), len(orig))
			}
		})
		if err != nil {
			return
		}
		if segs == 0 || segs > len(orig) {
			t.Fatalf("%d segments", segs)
		}
		if IsGSO(&o) {
			in, ok := locate(orig)
			if !ok {
				t.Fatal("segmented a frame locate refuses")
			}
			payload := in.end - in.hdrLen
			if want := max(1, (payload+int(mss)-1)/int(mss)); segs != want {
				t.Fatalf("%d segments, want %d", segs, want)
			}
			if total != segs*in.hdrLen+payload {
				t.Fatalf("%d bytes in all, want %d", total, segs*in.hdrLen+payload)
			}
		}
		// A second pass over the (now completed) frame must not panic either.
		var h VnetHdr
		_ = prepareVnet(fr, &o, &h)
	})
}
