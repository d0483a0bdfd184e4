package alg

import (
	"testing"
)

var pasvReply = []byte("227 Entering Passive Mode (198,51,100,2,78,132).\r\n")

// BenchmarkFTPPASV parses a PASV reply (one packet, one expectation) on
// a reused connection state and Result.
func BenchmarkFTPPASV(b *testing.B) {
	m := plain(cli4, srv4, 40000)
	c := new(FTPConn)
	var res Result
	in := Input{Master: m, Dir: Reply, Payload: pasvReply}
	b.ReportAllocs()
	b.SetBytes(int64(len(pasvReply)))
	for b.Loop() {
		res.Reset()
		c.Process(&in, &res)
		in.Seq += uint32(len(pasvReply))
	}
	if len(res.Exps) != 1 {
		b.Fatal("no expectation")
	}
}

// BenchmarkFTPOther is the common case: a control packet of no interest.
func BenchmarkFTPOther(b *testing.B) {
	m := plain(cli4, srv4, 40000)
	c := new(FTPConn)
	var res Result
	p := []byte("226 Transfer complete.\r\n")
	in := Input{Master: m, Dir: Reply, Payload: p}
	b.ReportAllocs()
	for b.Loop() {
		res.Reset()
		c.Process(&in, &res)
		in.Seq += uint32(len(p))
	}
}

// BenchmarkSeqAdjustApplyTCP adjusts one segment's seq and ack.
func BenchmarkSeqAdjustApplyTCP(b *testing.B) {
	var s SeqAdjust
	s.Record(Orig, 1000, 5)
	pk := tcpFrame(b, cli4, srv4, 1, 21, 2000, 9000, 0x10, nil, []byte("data"), 0)
	b.ReportAllocs()
	for b.Loop() {
		s.ApplyTCP(pk, Orig)
	}
}

// TestZeroAlloc: the per-packet paths do not allocate once the Result has
// storage (PASV, PORT, other lines, split lines, SeqAdjust).
func TestZeroAlloc(t *testing.T) {
	m := plain(cli4, srv4, 40000)
	for _, c := range []struct {
		name string
		dir  Dir
		segs []string
	}{
		{"PASV", Reply, []string{string(pasvReply)}},
		{"PORT split", Orig, []string{"PORT 198,51,", "100,1,78,72\r\n"}},
		{"EPSV", Reply, []string{"229 Entering Extended Passive Mode (|||20100|)\r\n"}},
		{"other", Orig, []string{"RETR file.txt\r\nTYPE I\r\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := new(FTPConn)
			res := Result{Exps: make([]Expectation, 0, 4), Matches: make([]Match, 0, 4)}
			var seq uint32
			bs := make([][]byte, len(c.segs))
			for i, s := range c.segs {
				bs[i] = []byte(s)
			}
			n := testing.AllocsPerRun(100, func() {
				for _, b := range bs {
					res.Reset()
					conn.Process(&Input{Master: m, Dir: c.dir, Seq: seq, Payload: b}, &res)
					seq += uint32(len(b))
				}
			})
			if n != 0 {
				t.Errorf("%s: %.1f allocations per run", c.name, n)
			}
		})
	}
	var s SeqAdjust
	s.Record(Orig, 1000, 5)
	pk := tcpFrame(t, cli4, srv4, 1, 21, 2000, 9000, 0x10, nil, []byte("data"), 0)
	if n := testing.AllocsPerRun(100, func() { s.ApplyTCP(pk, Orig) }); n != 0 {
		t.Errorf("ApplyTCP: %.1f allocations", n)
	}
}
