package alg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// tcpFrame builds an Ethernet/IP/TCP frame with TCP options opts (a
// multiple of 4 bytes) and right checksums, parsed.
func tcpFrame(t testing.TB, src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags byte, opts, payload []byte, pad int) *packet.Packet {
	var b []byte
	b = append(b, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1)
	thl := 20 + len(opts)
	l4len := thl + len(payload)
	if src.Is4() {
		b = append(b, 0x08, 0x00)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+l4len))
		ip[8] = 64
		ip[9] = ProtoTCP
		s, d := src.As4(), dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		b = append(b, ip...)
	} else {
		b = append(b, 0x86, 0xdd)
		ip := make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(l4len))
		ip[6] = ProtoTCP
		ip[7] = 64
		s, d := src.As16(), dst.As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		b = append(b, ip...)
	}
	th := make([]byte, thl)
	binary.BigEndian.PutUint16(th[0:], sport)
	binary.BigEndian.PutUint16(th[2:], dport)
	binary.BigEndian.PutUint32(th[4:], seq)
	binary.BigEndian.PutUint32(th[8:], ack)
	th[12] = byte(thl/4) << 4
	th[13] = flags
	binary.BigEndian.PutUint16(th[14:], 65000)
	copy(th[20:], opts)
	b = append(b, th...)
	b = append(b, payload...)
	b = append(b, make([]byte, pad)...) // Ethernet padding
	pk := packet.New(b)
	packet.Parse(pk)
	if src.Is4() && !pk.RecomputeIPv4Checksum() {
		t.Fatal("RecomputeIPv4Checksum")
	}
	if !pk.RecomputeL4Checksum() {
		t.Fatal("RecomputeL4Checksum")
	}
	if err := pkttest.VerifyChecksums(pk.Data); err != nil {
		t.Fatal(err)
	}
	return pk
}

func payloadOf(pk *packet.Packet) []byte {
	k := &pk.Key
	l3 := int(k.L3)
	end := l3 + 40 + int(binary.BigEndian.Uint16(pk.Data[l3+4:]))
	if k.Flags&packet.FlagIPv4 != 0 {
		end = l3 + int(binary.BigEndian.Uint16(pk.Data[l3+2:]))
	}
	return pk.Data[k.L7:end]
}

func TestFTPArg(t *testing.T) {
	for _, c := range []struct {
		k     Kind
		addr  string
		port  uint16
		delim byte
		want  string
	}{
		{KindPORT, "203.0.113.7", 20040, 0, "203,0,113,7,78,72"},
		{KindPASV, "0.0.0.0", 65535, 0, "0,0,0,0,255,255"},
		{KindEPRT, "203.0.113.7", 1, '!', "!1!203.0.113.7!1!"},
		{KindEPRT, "2001:db8::7", 20040, 0, "|2|2001:db8::7|20040|"},
		{KindEPSV, "", 20100, 0, "|||20100|"},
	} {
		t.Run(fmt.Sprintf("%v %s", c.k, c.want), func(t *testing.T) {
			var a netip.Addr
			if c.addr != "" {
				a = netip.MustParseAddr(c.addr)
			}
			got, err := FTPArg(nil, c.k, a, c.port, c.delim)
			if err != nil || string(got) != c.want {
				t.Errorf("FTPArg(%v, %s, %d) = %q, %v; want %q", c.k, c.addr, c.port, got, err, c.want)
			}
		})
	}
	if _, err := FTPArg(nil, KindPORT, cli6, 1, 0); err != ErrFamily {
		t.Errorf("PORT with IPv6: %v", err)
	}
	if _, err := FTPArg(nil, KindEPRT, netip.Addr{}, 1, 0); err != ErrFamily {
		t.Errorf("EPRT without address: %v", err)
	}
}

// TestNATRewrite: a client behind SNAT announces its inside address; the
// rewritten packet carries the NAT address, has right lengths and
// checksums, and a helper on the outside (seeing the translated
// connection) derives the same expectation.
func TestNATRewrite(t *testing.T) {
	type tc struct {
		name    string
		m       *Master
		outside *Master
		dir     Dir
		text    string
		want    string
		pad     int
		partial bool
	}
	m4 := snat(cli4, srv4, nat4, 40000, 50000)
	out4 := plain(nat4, srv4, 50000)
	m4short := snat(cli4, srv4, netip.MustParseAddr("1.2.3.4"), 40000, 50000)
	out4short := plain(netip.MustParseAddr("1.2.3.4"), srv4, 50000)
	m6 := snat(cli6, srv6, nat6, 40000, 50000)
	out6 := plain(nat6, srv6, 50000)
	// DNAT: client -> VIP nat4 -> real server srv4; the server's 227
	// must announce the VIP.
	d4 := &Master{Proto: ProtoTCP, Orig: Tuple{Src: cli4, Dst: nat4, SrcPort: 40000, DstPort: 21},
		Reply: Tuple{Src: srv4, Dst: cli4, SrcPort: 21, DstPort: 40000}}
	dout4 := plain(cli4, nat4, 40000)
	for _, c := range []tc{
		{"PORT grows", m4, out4, Orig, "PORT 198,51,100,1,78,72\r\n", "PORT 203,0,113,7,78,72\r\n", 0, false},
		{"PORT shrinks", m4short, out4short, Orig, "PORT 198,51,100,1,78,72\r\n", "PORT 1,2,3,4,78,72\r\n", 0, false},
		{"PORT pipelined", m4, out4, Orig, "TYPE I\r\nPORT 198,51,100,1,78,72\r\nPORT 198,51,100,1,78,73\r\nRETR x\r\n",
			"TYPE I\r\nPORT 203,0,113,7,78,72\r\nPORT 203,0,113,7,78,73\r\nRETR x\r\n", 0, false},
		{"short frame with padding", m4short, out4short, Orig, "PORT 198,51,100,1,0,99\n", "PORT 1,2,3,4,0,99\n", 20, false},
		{"partial checksum", m4, out4, Orig, "PORT 198,51,100,1,78,72\r\n", "PORT 203,0,113,7,78,72\r\n", 0, true},
		{"EPRT v4", m4, out4, Orig, "EPRT |1|198.51.100.1|20040|\r\n", "EPRT |1|203.0.113.7|20040|\r\n", 0, false},
		{"EPRT v6", m6, out6, Orig, "EPRT |2|2001:db8::1|20040|\r\n", "EPRT |2|2001:db8:ffff::7|20040|\r\n", 0, false},
		{"227 DNAT", d4, dout4, Reply, "227 Entering Passive Mode (198,51,100,2,78,132).\r\n", "227 Entering Passive Mode (203,0,113,7,78,132).\r\n", 0, false},
		{"229 unchanged", d4, dout4, Reply, "229 Entering Extended Passive Mode (|||20100|)\r\n", "229 Entering Extended Passive Mode (|||20100|)\r\n", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tu := c.m.Orig
			if c.dir == Reply {
				tu = c.m.Reply
			}
			const seq = 0xfffffff0 // wraps inside the payload
			pk := tcpFrame(t, tu.Src, tu.Dst, tu.SrcPort, tu.DstPort, seq, 777, 0x18, nil, []byte(c.text), c.pad)
			conn := new(FTPConn)
			var res Result
			conn.Process(&Input{Master: c.m, Dir: c.dir, Seq: seq, Payload: payloadOf(pk)}, &res)
			if len(res.Exps) == 0 || len(res.Matches) != len(res.Exps) || res.Invalid {
				t.Fatalf("result %+v", res)
			}
			var rws []Rewrite
			total := 0
			for i := range res.Matches {
				r, ok := res.Matches[i].NATRewrite(seq, len(c.text), c.m.NATAddr(c.dir), res.Matches[i].Port)
				if !ok {
					t.Fatalf("NATRewrite %+v", res.Matches[i])
				}
				rws = append(rws, r)
				total += r.Delta()
			}
			if c.partial {
				// Make the checksum field hold the pseudo-header sum only,
				// as a kernel with TX offload leaves it.
				k := &pk.Key
				pk.Key.Flags |= packet.FlagCsumPartial
				pk.Off.CsumStart = k.L4
				pk.Off.CsumOffset = 16
				l4len := uint16(len(payloadOf(pk)) + int(k.L7-k.L4))
				s, d := tu.Src.As4(), tu.Dst.As4()
				ps := packet.PseudoSum4(binary.BigEndian.Uint32(s[:]), binary.BigEndian.Uint32(d[:]), ProtoTCP, l4len)
				binary.BigEndian.PutUint16(pk.Data[k.L4+16:], packet.Fold(ps))
			}
			n0 := len(pk.Data)
			delta, err := ApplyRewrites(pk, rws)
			if err != nil || delta != total || len(pk.Data) != n0+delta {
				t.Fatalf("ApplyRewrites = %d, %v (len %d -> %d)", delta, err, n0, len(pk.Data))
			}
			if got := string(payloadOf(pk)); got != c.want {
				t.Fatalf("payload %q, want %q", got, c.want)
			}
			if c.partial {
				if !packet.CompletePartialChecksum(pk) {
					t.Fatal("CompletePartialChecksum")
				}
			}
			if err := pkttest.VerifyChecksums(pk.Data); err != nil {
				t.Fatalf("checksums after rewrite: %v", err)
			}
			// Parse again: the Key offsets are still right.
			k0 := pk.Key
			packet.Parse(pk)
			if pk.Key.L7 != k0.L7 || pk.Key.L4 != k0.L4 {
				t.Fatal("offsets moved")
			}
			// The outside view announces the same data connection.
			ot := c.outside
			var res2 Result
			new(FTPConn).Process(&Input{Master: ot, Dir: c.dir, Seq: seq, Payload: payloadOf(pk)}, &res2)
			if len(res2.Exps) != len(res.Exps) || res2.Invalid {
				t.Fatalf("outside: %+v", res2)
			}
			for i := range res.Exps {
				a, b := res.Exps[i], res2.Exps[i]
				if a.Src != b.Src || a.Dst != b.Dst || a.DstPort != b.DstPort {
					t.Errorf("inside exp %v->%v:%d, outside %v->%v:%d", a.Src, a.Dst, a.DstPort, b.Src, b.Dst, b.DstPort)
				}
			}
		})
	}
}

func TestApplyRewritesErrors(t *testing.T) {
	pk := tcpFrame(t, cli4, srv4, 1, 21, 1, 1, 0x18, nil, []byte("PORT 1,2,3,4,5,6\r\n"), 0)
	orig := append([]byte(nil), pk.Data...)
	for _, c := range []struct {
		name string
		rws  []Rewrite
	}{
		{"past the payload", []Rewrite{{Off: 10, OldLen: 20, New: []byte("x")}}},
		{"overlap", []Rewrite{{Off: 5, OldLen: 4, New: []byte("x")}, {Off: 6, OldLen: 1, New: []byte("y")}}},
		{"negative", []Rewrite{{Off: -1, OldLen: 1, New: nil}}},
		{"too big for IP", []Rewrite{{Off: 0, OldLen: 1, New: make([]byte, 70000)}}},
		{"unsorted", []Rewrite{{Off: 5, OldLen: 1, New: []byte("x")}, {Off: 2, OldLen: 1, New: []byte("y")}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ApplyRewrites(pk, c.rws); err == nil {
				t.Errorf("%v: no error", c.rws)
			}
			if !bytes.Equal(pk.Data, orig) {
				t.Fatalf("%v: packet changed on error", c.rws)
			}
		})
	}
	u := packet.New(pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 2, []byte("abc")))
	packet.Parse(u)
	if d, err := ApplyRewrites(u, []Rewrite{{Off: 1, OldLen: 1, New: []byte("xyz")}}); err != nil || d != 2 {
		t.Fatalf("UDP rewrite: %d %v", d, err)
	}
	if err := pkttest.VerifyChecksums(u.Data); err != nil || string(payloadOf(u)) != "axyzc" {
		t.Fatalf("UDP rewrite: %v %q", err, payloadOf(u))
	}
	if binary.BigEndian.Uint16(u.Data[u.Key.L4+4:]) != 8+5 {
		t.Fatal("UDP length not updated")
	}
	a := packet.New(pkttest.ICMP4Echo("198.51.100.1", "198.51.100.2", 1, 1, []byte("abc")))
	packet.Parse(a)
	if _, err := ApplyRewrites(a, nil); err != ErrNotTCPSeg {
		t.Fatalf("ICMP: %v", err)
	}
}
