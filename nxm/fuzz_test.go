package nxm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

// Fuzz targets. Property: no panic; every error is a *pipeline.Error; when
// decoding succeeds, encoding succeeds, and decoding the encoding gives the
// same model; encoding is stable.

func checkErr(t *testing.T, err error) {
	t.Helper()
	var pe *pipeline.Error
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *pipeline.Error", err, err)
	}
}

func seedCaptures(f *testing.F, pick func(c capture) []byte) {
	for _, c := range loadCaptures(f) {
		if b := pick(c); b != nil {
			f.Add(b)
		}
	}
}

func FuzzDecodeOXMMatch(f *testing.F) {
	seedCaptures(f, func(c capture) []byte {
		if c.kind == "oxm" {
			return c.match
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := DecodeOXMMatch(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		if n > len(b) || n%8 != 0 {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		enc := EncodeOXMMatch(&m)
		m2, n2, err := DecodeOXMMatch(enc)
		if err != nil || n2 != len(enc) {
			t.Fatalf("re-decode of %x: %v (n %d)", enc, err, n2)
		}
		if m2 != m {
			t.Fatalf("decode(encode(x)) != x for %x -> %x", b, enc)
		}
		if !bytes.Equal(EncodeOXMMatch(&m2), enc) {
			t.Fatal("encoding not stable")
		}
	})
}

func FuzzDecodeNXMatch(f *testing.F) {
	seedCaptures(f, func(c capture) []byte {
		switch c.kind {
		case "nxm":
			return c.match
		case "oxm":
			return c.match[4:]
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeNXMatch(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, enc := range [][]byte{EncodeNXMatch(&m), AppendOXMTLVs(nil, &m)} {
			m2, err := DecodeNXMatch(enc)
			if err != nil {
				t.Fatalf("re-decode of %x: %v", enc, err)
			}
			if m2 != m {
				t.Fatalf("decode(encode(x)) != x for %x -> %x", b, enc)
			}
		}
	})
}

func FuzzDecodeOF10Match(f *testing.F) {
	seedCaptures(f, func(c capture) []byte {
		if c.kind == "of10" {
			return c.match
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeOF10Match(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		enc, err := EncodeOF10Match(&m)
		if err != nil {
			t.Fatalf("encode of decoded %x: %v", b, err)
		}
		m2, err := DecodeOF10Match(enc)
		if err != nil || m2 != m {
			t.Fatalf("decode(encode(x)) != x for %x -> %x (%v)", b, enc, err)
		}
		if lossy := AppendOF10MatchLossy(nil, &m); !bytes.Equal(lossy, enc) {
			t.Fatalf("lossy encoding %x of an expressible match, strict %x", lossy, enc)
		}
		// Every OpenFlow 1.0 match is expressible in NXM and OXM too.
		if m3, err := DecodeNXMatch(EncodeNXMatch(&m)); err != nil || m3 != m {
			t.Fatalf("NXM round trip of OF1.0 match %x: %v", b, err)
		}
	})
}

func fuzzActions(t *testing.T, version uint8, b []byte) {
	fuzzActionsTLV(t, version, b, nil)
}

// fuzzTLV maps tun_metadata0 (4 bytes), 1 (8) and 63 (124), for the
// decoders that take a TLV table.
var fuzzTLV = func() *packet.TLVTable {
	t := &packet.TLVTable{}
	t.E[0] = packet.TLVEntry{Valid: true, Class: 0x102, Type: 0x80, Len: 4, Slots: 0x1}
	t.E[1] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 1, Len: 8, Slots: 0x6}
	t.E[63] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 2, Len: 124, Slots: (1<<31 - 1) << 3}
	return t
}()

// fuzzActionsTLV is fuzzActions decoding with TLV table tab.
func fuzzActionsTLV(t *testing.T, version uint8, b []byte, tab *packet.TLVTable) {
	acts, err := DecodeActionsTLV(version, b, tab)
	checkErr(t, err)
	if err != nil {
		return
	}
	enc, err := EncodeActions(version, acts)
	if err != nil {
		t.Fatalf("encode of decoded %x: %v", b, err)
	}
	acts2, err := DecodeActionsTLV(version, enc, tab)
	if err != nil {
		t.Fatalf("re-decode of %x (from %x): %v", enc, b, err)
	}
	// OpenFlow 1.5 sends a load as a set_field (as OVS): its decoding is
	// the set_field's, stable from the first encoding on.
	if version != Version15 && !reflect.DeepEqual(acts, acts2) {
		t.Fatalf("decode(encode(x)) != x\n in %x\nenc %x\n%+v\n%+v", b, enc, acts, acts2)
	}
	enc2, _ := EncodeActions(version, acts2)
	if !bytes.Equal(enc, enc2) {
		t.Fatal("encoding not stable")
	}
}

func FuzzDecodeActions(f *testing.F) {
	for _, c := range loadCaptures(f) {
		switch c.kind {
		case "nxm", "of10":
			f.Add(uint8(Version10), c.rest)
		case "oxm":
			if in, err := DecodeInstructions(c.rest); err == nil {
				if b, err := EncodeActions(Version13, in.Apply); err == nil && len(b) > 0 {
					f.Add(uint8(Version13), b)
				}
				if b, err := EncodeActions(Version15, in.Apply); err == nil && len(b) > 0 {
					f.Add(uint8(Version15), b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, v uint8, b []byte) {
		version := uint8(Version10)
		switch {
		case v == Version10 || v == Version13 || v == Version15:
			version = v // a seed's own version
		case v%3 == 1:
			version = Version13
		case v%3 == 2:
			version = Version15
		}
		fuzzActions(t, version, b)
	})
}

func FuzzDecodeInstructions(f *testing.F) {
	seedCaptures(f, func(c capture) []byte {
		if c.kind == "oxm" {
			return c.rest
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeInstructions(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		enc, err := EncodeInstructions(&in)
		if err != nil {
			t.Fatalf("encode of decoded %x: %v", b, err)
		}
		in2, err := DecodeInstructions(enc)
		if err != nil {
			t.Fatalf("re-decode of %x: %v", enc, err)
		}
		if !reflect.DeepEqual(in, in2) {
			t.Fatalf("decode(encode(x)) != x\n in %x\nenc %x\n%+v\n%+v", b, enc, in, in2)
		}
	})
}

// FuzzDecodeLearn fuzzes the body of a NXAST_LEARN or NXAST_LEARN2 action
// (everything after the subtype: the fixed part and the flow_mod_specs),
// seeded with the learn actions of the captures and the error cases.
func FuzzDecodeLearn(f *testing.F) {
	for _, tc := range actionErrorCases() {
		if len(tc.b) >= 10 && tc.b[0] == 0xff && (tc.b[9] == nxastLearn || tc.b[9] == nxastLearn2) {
			f.Add(tc.b[9] == nxastLearn2, tc.b[10:])
		}
	}
	for _, c := range loadCaptures(f) {
		if c.kind != "oxm" {
			continue
		}
		in, err := DecodeInstructions(c.rest)
		if err != nil {
			continue
		}
		for _, a := range in.Apply {
			if l, ok := a.(pipeline.Learn); ok {
				if b, err := EncodeActions(Version13, []pipeline.Action{l}); err == nil {
					f.Add(b[9] == nxastLearn2, b[10:])
				}
			}
		}
	}
	// tun_metadata specs (as tlv-learn.steps): a 992-bit immediate into
	// tun_metadata63, a load of its bits 0..159 to 800..959, an output of
	// tun_metadata0[0..15]
	t0 := pipeline.TunField{Idx: 0, Len: 4, Slots: 0x1}
	t63 := pipeline.TunField{Idx: 63, Len: 124, Slots: fuzzTLV.E[63].Slots}
	wide := make([]byte, 124)
	wide[0], wide[123] = 0xa5, 5
	tl := pipeline.Learn{Table: 10, Specs: []pipeline.LearnSpec{
		{Kind: pipeline.LearnMatch, Imm: true, NBits: 992, Wide: wide, Value: packet.U128{Lo: 5}, Dst: pipeline.Subfield{Tun: t63, NBits: 992}},
		{Kind: pipeline.LearnLoad, NBits: 160, Src: pipeline.Subfield{Tun: t63, NBits: 160}, Dst: pipeline.Subfield{Tun: t63, Ofs: 800, NBits: 160}},
		{Kind: pipeline.LearnOutput, NBits: 16, Src: pipeline.Subfield{Tun: t0, NBits: 16}}}}
	if b, err := EncodeActions(Version10, []pipeline.Action{tl}); err == nil {
		f.Add(false, b[10:])
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v2 bool, body []byte) {
		if len(body) > 4000 {
			return
		}
		sub := uint16(nxastLearn)
		if v2 {
			sub = nxastLearn2
		}
		fuzzActions(t, Version13, nxa(sub, hex.EncodeToString(body)))
		fuzzActions(t, Version10, nxa(sub, hex.EncodeToString(body)))
		fuzzActionsTLV(t, Version10, nxa(sub, hex.EncodeToString(body)), fuzzTLV)
	})
}

// FuzzDecodeMultipathBundle fuzzes the body (after the subtype) of
// NXAST_MULTIPATH, NXAST_BUNDLE, NXAST_BUNDLE_LOAD and NXAST_POP_QUEUE
// (sel picks the subtype), seeded with those actions of the captures and
// the error cases.
func FuzzDecodeMultipathBundle(f *testing.F) {
	subs := []uint16{nxastMultipath, nxastBundle, nxastBundleLoad, nxastPopQueue}
	seed := func(b []byte) {
		if len(b) >= 10 && b[0] == 0xff && b[1] == 0xff {
			for i, s := range subs {
				if uint16(b[8])<<8|uint16(b[9]) == s {
					f.Add(uint8(i), b[10:])
				}
			}
		}
	}
	for _, tc := range actionErrorCases() {
		seed(tc.b)
	}
	for _, c := range loadCaptures(f) {
		var acts []pipeline.Action
		switch c.kind {
		case "oxm":
			in, err := DecodeInstructions(c.rest)
			if err != nil {
				continue
			}
			acts = in.Apply
		default:
			continue
		}
		for _, a := range acts {
			switch a.(type) {
			case pipeline.Multipath, pipeline.Bundle, pipeline.PopQueue:
				if b, err := EncodeActions(Version13, []pipeline.Action{a}); err == nil {
					seed(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		if len(body) > 5000 {
			return
		}
		sub := subs[int(sel)%len(subs)]
		fuzzActions(t, Version13, nxa(sub, hex.EncodeToString(body)))
		fuzzActions(t, Version10, nxa(sub, hex.EncodeToString(body)))
	})
}
