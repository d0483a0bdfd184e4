package alg

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"

	"gswitch/packet"
)

// readPcap returns the frames of a classic little-endian pcap file with
// Ethernet link type.
func readPcap(t *testing.T, name string) [][]byte {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatalf("%s: not a little-endian Ethernet pcap", name)
	}
	var frames [][]byte
	for p := 24; p+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[p+8:]))
		p += 16
		if p+n > len(b) {
			t.Fatalf("%s: truncated record", name)
		}
		frames = append(frames, b[p:p+n])
		p += n
	}
	return frames
}

type capPkt struct {
	pk    *packet.Packet
	tu    Tuple
	seq   uint32
	ack   uint32
	flags byte
}

func capPackets(t *testing.T) []capPkt {
	var out []capPkt
	for _, f := range readPcap(t, "testdata/ftp-sessions.pcap") {
		pk := packet.New(f)
		packet.Parse(pk)
		k := &pk.Key
		if k.Flags&packet.FlagL4 == 0 || k.NwProto() != ProtoTCP {
			continue
		}
		l3 := int(k.L3)
		var src, dst netip.Addr
		if k.Flags&packet.FlagIPv4 != 0 {
			src = netip.AddrFrom4([4]byte(pk.Data[l3+12 : l3+16]))
			dst = netip.AddrFrom4([4]byte(pk.Data[l3+16 : l3+20]))
		} else {
			src = netip.AddrFrom16([16]byte(pk.Data[l3+8 : l3+24]))
			dst = netip.AddrFrom16([16]byte(pk.Data[l3+24 : l3+40]))
		}
		h := pk.Data[k.L4:]
		out = append(out, capPkt{pk: pk, tu: Tuple{src, dst, k.TpSrc(), k.TpDst()},
			seq: binary.BigEndian.Uint32(h[4:]), ack: binary.BigEndian.Uint32(h[8:]), flags: h[13]})
	}
	if len(out) < 50 {
		t.Fatalf("only %d TCP packets in the capture", len(out))
	}
	return out
}

func rev(t Tuple) Tuple { return Tuple{t.Dst, t.Src, t.DstPort, t.SrcPort} }

// TestRealFTPCapture replays real sessions (testdata/capture.sh: curl
// against pyftpdlib, PASV, EPSV, PORT, EPRT over IPv4, EPSV and EPRT over
// IPv6): every data connection the client or server opened was expected
// by the helper, and every expectation was used.
func TestRealFTPCapture(t *testing.T) {
	tb := NewTable(0, 0)
	h, _ := Lookup("ftp")
	ctl := map[Tuple]Conn{}
	var res Result
	kinds := map[string]int{}
	data := 0
	for i, c := range capPackets(t) {
		var key Tuple
		dir := Orig
		switch {
		case c.tu.DstPort == 21:
			key = c.tu
		case c.tu.SrcPort == 21:
			key, dir = rev(c.tu), Reply
		default:
			if c.flags&0x12 == 0x02 { // SYN without ACK: a new data connection
				data++
				if _, ok := tb.Take(ProtoTCP, 0, c.tu, int64(i)); !ok {
					t.Errorf("data connection %+v was not expected", c.tu)
				}
			}
			continue
		}
		conn := ctl[key]
		if conn == nil {
			conn = h.NewConn()
			ctl[key] = conn
		}
		p := Payload(c.pk)
		if len(p) == 0 {
			continue
		}
		m := &Master{Proto: ProtoTCP, Orig: key, Reply: rev(key)}
		res.Reset()
		conn.Process(&Input{Master: m, Dir: dir, Seq: c.seq, Payload: p, Now: int64(i)}, &res)
		if res.Invalid {
			t.Errorf("packet %d %q: invalid", i, p)
		}
		for _, e := range res.Exps {
			tb.Add(e)
		}
		for _, mt := range res.Matches {
			kinds[mt.Kind.String()+map[bool]string{true: "/v6", false: "/v4"}[m.IsV6()]]++
		}
	}
	if data != 6 || tb.Len() != 0 {
		t.Errorf("%d data connections, %d expectations left", data, tb.Len())
	}
	for _, k := range []string{"227/v4", "229/v4", "PORT/v4", "EPRT/v4", "229/v6", "EPRT/v6"} {
		if kinds[k] != 1 {
			t.Errorf("%s announced %d times, want 1 (%v)", k, kinds[k], kinds)
		}
	}
}

// TestRealFTPCaptureNAT replays the same sessions as if every client were
// source-translated (to 203.0.113.7 / 2001:db8:ffff::7): client commands
// are rewritten, sequence numbers shifted; the server side sees one
// contiguous byte stream announcing the NAT address, and its
// acknowledgements map back to the client's numbering exactly.
func TestRealFTPCaptureNAT(t *testing.T) {
	h, _ := Lookup("ftp")
	type state struct {
		inside, outside Conn
		adj             SeqAdjust
		next            uint32 // next rewritten seq the server should see from the client
		started         bool
		outExps         []Expectation
	}
	conns := map[Tuple]*state{}
	var res, res2 Result
	rewritten := 0
	for _, c := range capPackets(t) {
		var key Tuple
		dir := Orig
		switch {
		case c.tu.DstPort == 21:
			key = c.tu
		case c.tu.SrcPort == 21:
			key, dir = rev(c.tu), Reply
		default:
			continue
		}
		st := conns[key]
		if st == nil {
			st = &state{inside: h.NewConn(), outside: h.NewConn()}
			conns[key] = st
		}
		natA := nat4
		if key.Src.Is6() {
			natA = nat6
		}
		m := &Master{Proto: ProtoTCP, Orig: key,
			Reply: Tuple{Src: key.Dst, Dst: natA, SrcPort: 21, DstPort: key.SrcPort}}
		outside := plain(natA, key.Dst, key.SrcPort)
		pk := c.pk
		if dir == Reply {
			// The server acknowledges the stream it saw (rewritten
			// numbering); simulate that, then map it back.
			if c.flags&0x10 != 0 {
				seen := st.adj.Seq(Orig, c.ack)
				binary.BigEndian.PutUint32(pk.Data[pk.Key.L4+8:], seen)
				st.adj.ApplyAck(pk, Reply)
				if got := binary.BigEndian.Uint32(pk.Data[pk.Key.L4+8:]); got != c.ack {
					t.Fatalf("ack %d mapped back to %d, want %d", seen, got, c.ack)
				}
			}
			continue
		}
		p := Payload(pk)
		res.Reset()
		st.inside.Process(&Input{Master: m, Dir: Orig, Seq: c.seq, Payload: p}, &res)
		var rws []Rewrite
		for _, mt := range res.Matches {
			r, ok := mt.NATRewrite(c.seq, len(p), m.NATAddr(Orig), mt.Port)
			if !ok {
				t.Fatalf("match %+v not rewritable", mt)
			}
			rws = append(rws, r)
			st.adj.Record(Orig, mt.Seq+uint32(mt.Len), int32(r.Delta()))
		}
		if len(rws) > 0 {
			if _, err := ApplyRewrites(pk, rws); err != nil {
				t.Fatal(err)
			}
			rewritten++
		}
		st.adj.ApplySeq(pk, Orig)
		seq := binary.BigEndian.Uint32(pk.Data[pk.Key.L4+4:])
		np := Payload(pk)
		if c.flags&0x02 != 0 { // SYN
			st.next, st.started = seq+1, true
			continue
		}
		if len(np) > 0 {
			if !st.started || seq != st.next {
				t.Fatalf("server sees seq %d, want %d (contiguous)", seq, st.next)
			}
			st.next += uint32(len(np))
			res2.Reset()
			st.outside.Process(&Input{Master: outside, Dir: Orig, Seq: seq, Payload: np}, &res2)
			if res2.Invalid {
				t.Fatalf("outside: invalid %q", np)
			}
			st.outExps = append(st.outExps, res2.Exps...)
		}
	}
	if rewritten != 3 { // PORT, EPRT |1|, EPRT |2|
		t.Errorf("%d packets rewritten, want 3", rewritten)
	}
	n := 0
	for _, st := range conns {
		for _, e := range st.outExps {
			n++
			if e.Dst != nat4 && e.Dst != nat6 {
				t.Errorf("outside expectation to %v", e.Dst)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d active expectations seen outside, want 3", n)
	}
}
