package alg

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// ftpSeeds are control streams for the fuzz corpora.
var ftpSeeds = []string{
	"USER anonymous\r\nPASS x\r\nPORT 198,51,100,1,78,72\r\nRETR f\r\n",
	"EPRT |1|198.51.100.1|20040|\r\nEPRT |2|2001:db8::1|20040|\r\n",
	"227 Entering Passive Mode (198,51,100,2,78,132).\r\n229 Entering Extended Passive Mode (|||20100|)\r\n",
	"PORT 203,0,113,99,78,72\r\nPORT 198,51,100,1,0,0\r\nPORT 198,51,100,1,78\r\n",
	"pOrT   198,51,100,1,1,1\n227 =198,51,100,2,1,2\n229 x (!!!7!)\n",
}

// FuzzFTP feeds an arbitrary stream, split at arbitrary points, to a
// control connection, in one direction chosen by the input, and checks:
// no panic; the same expectations and refusals whether split or not;
// every reported match points at its own argument in the stream; a
// retransmitted segment creates nothing new; rewriting a match with
// FTPArg and parsing it again gives the new address and port.
func FuzzFTP(f *testing.F) {
	for i, s := range ftpSeeds {
		f.Add([]byte(s), []byte{3, 7, 1, 200}, uint8(i))
		f.Add([]byte(s), []byte{}, uint8(i+1))
	}
	f.Fuzz(func(t *testing.T, stream, cuts []byte, mode uint8) {
		dir := Dir(mode & 1)
		v6 := mode&2 != 0
		m := plain(cli4, srv4, 40000)
		if v6 {
			m = plain(cli6, srv6, 40000)
		}
		seq0 := uint32(mode) * 0x1234567 // wraps for some modes
		before := Counters()
		whole := new(FTPConn)
		var rw Result
		whole.Process(&Input{Master: m, Dir: dir, Seq: seq0, Payload: stream}, &rw)
		wantInvalid := Counters().Malformed - before.Malformed + Counters().Refused - before.Refused
		wantExps := append([]Expectation(nil), rw.Exps...)
		for _, mt := range rw.Matches {
			off := int(mt.Seq - seq0)
			if off < 0 || off+mt.Len > len(stream) || mt.Len <= 0 {
				t.Fatalf("match %+v outside the stream (len %d)", mt, len(stream))
			}
			checkRewrite(t, mt, stream[off:off+mt.Len], v6)
		}
		if len(rw.Matches) != len(rw.Exps) {
			t.Fatalf("%d matches for %d expectations in one packet", len(rw.Matches), len(rw.Exps))
		}

		// Split.
		split := new(FTPConn)
		var got []Expectation
		var res Result
		seq := seq0
		p := stream
		type sg struct {
			seq uint32
			b   []byte
		}
		var segs []sg
		before = Counters()
		for i := 0; len(p) > 0; i++ {
			n := len(p)
			if i < len(cuts) {
				n = int(cuts[i])%len(p) + 1
			}
			res.Reset()
			split.Process(&Input{Master: m, Dir: dir, Seq: seq, Payload: p[:n]}, &res)
			got = append(got, res.Exps...)
			segs = append(segs, sg{seq, p[:n]})
			for _, mt := range res.Matches {
				off := int32(mt.Seq - seq)
				if off < 0 || int(off)+mt.Len > n {
					t.Fatalf("match %+v not inside its packet", mt)
				}
			}
			seq += uint32(n)
			p = p[n:]
			// Bounded state.
			for d := range split.s {
				if split.s[d].n > MaxLine || split.s[d].nhist > histLen {
					t.Fatal("state out of bounds")
				}
			}
		}
		gotInvalid := Counters().Malformed - before.Malformed + Counters().Refused - before.Refused
		if !reflect.DeepEqual(got, wantExps) {
			t.Fatalf("split: %+v\nwhole: %+v", got, wantExps)
		}
		if gotInvalid != wantInvalid {
			t.Fatalf("split: %d refused/malformed, whole: %d", gotInvalid, wantInvalid)
		}
		// Retransmit every segment: nothing new.
		for _, s := range segs {
			res.Reset()
			split.Process(&Input{Master: m, Dir: dir, Seq: s.seq, Payload: s.b}, &res)
			if len(res.Exps) != 0 || res.Invalid {
				t.Fatalf("retransmission created %+v", res)
			}
		}
		if unsafe.Sizeof(FTPConn{}) > 2*(MaxLine+64+histLen*64) {
			t.Fatal("FTPConn grew")
		}
	})
}

// checkRewrite rewrites the argument of mt with another address and port
// and parses the line again.
func checkRewrite(t *testing.T, mt Match, arg []byte, v6 bool) {
	var prefix string
	switch mt.Kind {
	case KindPORT:
		prefix = "PORT "
	case KindEPRT:
		prefix = "EPRT "
	case KindPASV:
		prefix = "227 x "
	case KindEPSV:
		prefix = "229 x ("
	}
	line0 := prefix + string(arg)
	if mt.Kind == KindEPSV {
		line0 += ")"
	}
	m0, st := parseFTPLine([]byte(line0+"\r\n"), mt.Dir, v6)
	if st != lineMatch || m0.Addr != mt.Addr || m0.Port != mt.Port || m0.Kind != mt.Kind {
		t.Fatalf("argument %q alone parses as %+v %d, want %+v", arg, m0, st, mt)
	}
	a := nat4
	if v6 {
		a = nat6
	}
	if mt.Kind == KindEPSV {
		a = mt.Addr
	}
	b, err := FTPArg(nil, mt.Kind, a, 4242, mt.Delim)
	if err != nil {
		t.Fatalf("FTPArg(%+v): %v", mt, err)
	}
	line := prefix + string(b)
	if mt.Kind == KindEPSV {
		line += ")"
	}
	m2, st := parseFTPLine([]byte(line+"\r\n"), mt.Dir, v6)
	if st != lineMatch || m2.Addr != a || m2.Port != 4242 || m2.Kind != mt.Kind {
		t.Fatalf("rewritten %q parses as %+v %d", line, m2, st)
	}
}

// FuzzTFTP: no panic; an expectation exactly for read/write requests in
// the original direction.
func FuzzTFTP(f *testing.F) {
	f.Add([]byte("\x00\x01file\x00octet\x00"), uint8(0))
	f.Add([]byte("\x00\x02file\x00netascii\x00"), uint8(0))
	f.Add([]byte("\x00\x03\x00\x01"), uint8(1))
	f.Add([]byte{}, uint8(0))
	h, _ := Lookup("tftp")
	f.Fuzz(func(t *testing.T, p []byte, mode uint8) {
		dir := Dir(mode & 1)
		m := &Master{Proto: ProtoUDP,
			Orig:  Tuple{Src: cli4, Dst: srv4, SrcPort: 40000, DstPort: 69},
			Reply: Tuple{Src: srv4, Dst: cli4, SrcPort: 69, DstPort: 40000}}
		var res Result
		h.NewConn().Process(&Input{Master: m, Dir: dir, Payload: p}, &res)
		want := dir == Orig && len(p) >= 2 && p[0] == 0 && (p[1] == 1 || p[1] == 2)
		if (len(res.Exps) == 1) != want || len(res.Exps) > 1 || res.Invalid || len(res.Matches) != 0 {
			t.Fatalf("%q dir %v: %+v", p, dir, res)
		}
	})
}

// FuzzRewrite applies a payload rewrite and a sequence adjustment to an
// arbitrary frame: no panic; on success the payload is the expected
// splice, lengths follow, and a frame whose checksums were right still
// verifies.
func FuzzRewrite(f *testing.F) {
	f.Add(pkttest.TCP4("198.51.100.1", "198.51.100.2", 40000, 21, "PA", 1000, 5000, []byte("PORT 198,51,100,1,78,72\r\n")), uint16(5), uint16(18), []byte("203,0,113,7,78,72"), uint32(1010), int32(-1))
	f.Add(pkttest.TCP6("2001:db8::1", "2001:db8::2", 40000, 21, "A", 1, 2, []byte("EPRT |2|2001:db8::1|20040|\r\n")), uint16(5), uint16(21), []byte("|2|2001:db8:ffff::7|20040|"), uint32(0), int32(5))
	f.Add(pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 69, []byte("\x00\x01f\x00octet\x00")), uint16(0), uint16(0), []byte("xx"), uint32(0), int32(0))
	f.Fuzz(func(t *testing.T, frame []byte, off, oldLen uint16, text []byte, pos uint32, delta int32) {
		pk := packet.New(frame)
		packet.Parse(pk)
		valid := pk.Key.Flags&packet.FlagL4 != 0 && pkttest.VerifyChecksums(frame) == nil
		before := append([]byte(nil), Payload(pk)...)
		n0 := len(pk.Data)
		d, err := ApplyRewrites(pk, []Rewrite{{Off: int(off), OldLen: int(oldLen), New: text}})
		if err != nil {
			if !bytes.Equal(pk.Data, frame) {
				t.Fatal("frame changed on error")
			}
		} else {
			want := append(append(append([]byte(nil), before[:off]...), text...), before[int(off)+int(oldLen):]...)
			if !bytes.Equal(Payload(pk), want) || len(pk.Data) != n0+d || d != len(text)-int(oldLen) {
				t.Fatalf("payload %q, want %q", Payload(pk), want)
			}
			if valid {
				if err := pkttest.VerifyChecksums(pk.Data); err != nil {
					t.Fatalf("checksums after rewrite: %v", err)
				}
			}
		}
		var s SeqAdjust
		s.Record(Orig, pos, delta)
		s.Record(Reply, ^pos, -delta)
		c := append([]byte(nil), pk.Data...)
		ok := s.ApplyTCP(pk, Dir(pos&1))
		if valid && err == nil && ok {
			if err := pkttest.VerifyChecksums(pk.Data); err != nil {
				t.Fatalf("checksums after ApplyTCP: %v", err)
			}
		}
		if !ok && !bytes.Equal(c, pk.Data) {
			t.Fatal("ApplyTCP changed a packet it refused")
		}
	})
}
