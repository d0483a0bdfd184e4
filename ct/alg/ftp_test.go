package alg

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	cli4 = netip.MustParseAddr("198.51.100.1")
	srv4 = netip.MustParseAddr("198.51.100.2")
	nat4 = netip.MustParseAddr("203.0.113.7")
	oth4 = netip.MustParseAddr("203.0.113.99")
	cli6 = netip.MustParseAddr("2001:db8::1")
	srv6 = netip.MustParseAddr("2001:db8::2")
	nat6 = netip.MustParseAddr("2001:db8:ffff::7")
)

// plain returns an untranslated master client:cport -> server:21.
func plain(cli, srv netip.Addr, cport uint16) *Master {
	return &Master{Proto: ProtoTCP, Zone: 5,
		Orig:  Tuple{Src: cli, Dst: srv, SrcPort: cport, DstPort: 21},
		Reply: Tuple{Src: srv, Dst: cli, SrcPort: 21, DstPort: cport}}
}

// snat returns a master whose client is source-translated to nat:nport.
func snat(cli, srv, nat netip.Addr, cport, nport uint16) *Master {
	return &Master{Proto: ProtoTCP, Zone: 5,
		Orig:  Tuple{Src: cli, Dst: srv, SrcPort: cport, DstPort: 21},
		Reply: Tuple{Src: srv, Dst: nat, SrcPort: 21, DstPort: nport}}
}

func TestRegistry(t *testing.T) {
	for _, c := range []struct {
		name  string
		proto uint8
		port  uint16
	}{{"ftp", ProtoTCP, 21}, {"tftp", ProtoUDP, 69}} {
		t.Run(c.name, func(t *testing.T) {
			h, ok := Lookup(c.name)
			if !ok || h.Name() != c.name || h.Port() != c.port || h.Proto() != c.proto {
				t.Fatalf("Lookup(%q) = %v %v", c.name, h, ok)
			}
			h2, ok := ByPort(c.proto, c.port)
			if !ok || h2.Name() != c.name {
				t.Fatalf("ByPort(%d,%d) = %v %v", c.proto, c.port, h2, ok)
			}
			if h.NewConn() == nil {
				t.Fatalf("%s: NewConn nil", c.name)
			}
		})
	}
	if _, ok := Lookup("sip"); ok {
		t.Fatal("Lookup(sip) found something")
	}
	if _, ok := ByPort(ProtoUDP, 21); ok {
		t.Fatal("ByPort(udp, 21) found something")
	}
	if err := Register(ftpHelper{}); err != ErrDuplicate {
		t.Fatalf("duplicate Register: %v", err)
	}
	if err := Register(nil); err != ErrBadHelper {
		t.Fatalf("Register(nil): %v", err)
	}
	if got := Names(); !reflect.DeepEqual(got, []string{"ftp", "tftp"}) {
		t.Fatalf("Names = %v", got)
	}
}

func TestParseFTPLine(t *testing.T) {
	a := netip.MustParseAddr
	for _, c := range []struct {
		line string
		dir  Dir
		v6   bool
		st   lineStatus
		kind Kind
		addr netip.Addr
		port uint16
		arg  string // the argument text Seq/Len select
	}{
		{"PORT 198,51,100,1,78,32\r\n", Orig, false, lineMatch, KindPORT, a("198.51.100.1"), 78<<8 | 32, "198,51,100,1,78,32"},
		{"port   198,51,100,1,0,255\n", Orig, false, lineMatch, KindPORT, a("198.51.100.1"), 255, "198,51,100,1,0,255"},
		{"PORT 198,51,100,1,0,21\r\n", Orig, false, lineMatch, KindPORT, a("198.51.100.1"), 21, "198,51,100,1,0,21"}, // low port: accepted, as OVS/Linux
		{"PORT 198,51,100,1,0,0\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"PORT 198,51,100,1,256,1\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"PORT 198,51,100,1,1\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"PORT 198,51,100,1,1,2,3\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"PORT 0198,51,100,1,1,2\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"PORT 198,51,100,1,1,2 x\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"PORT\r\n", Orig, false, lineOther, 0, netip.Addr{}, 0, ""},
		{"PORTS 1,2,3,4,5,6\r\n", Orig, false, lineOther, 0, netip.Addr{}, 0, ""},
		{"PORT 198,51,100,1,78,32\r\n", Reply, false, lineOther, 0, netip.Addr{}, 0, ""}, // a server does not send PORT
		{"PORT 198,51,100,1,78,32\r\n", Orig, true, lineOther, 0, netip.Addr{}, 0, ""},   // not over IPv6 (OVS)
		{"EPRT |1|198.51.100.1|6275|\r\n", Orig, false, lineMatch, KindEPRT, a("198.51.100.1"), 6275, "|1|198.51.100.1|6275|"},
		{"eprt !1!198.51.100.1!6275!\r\n", Orig, false, lineMatch, KindEPRT, a("198.51.100.1"), 6275, "!1!198.51.100.1!6275!"},
		{"EPRT |2|2001:db8::1|5282|\r\n", Orig, true, lineMatch, KindEPRT, a("2001:db8::1"), 5282, "|2|2001:db8::1|5282|"},
		{"EPRT |2|2001:db8::1|5282|\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""}, // family of the connection
		{"EPRT |1|198.51.100.1|6275|\r\n", Orig, true, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT |1|2001:db8::1|6275|\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT |2|fe80::1%eth0|6275|\r\n", Orig, true, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT |1|198.51.100.1|65536|\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT |1|198.51.100.1|0|\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT |1|198.51.100.1|6275\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT 1|1|198.51.100.1|6275|\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"EPRT |3|198.51.100.1|6275|\r\n", Orig, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"227 Entering Passive Mode (198,51,100,2,78,164).\r\n", Reply, false, lineMatch, KindPASV, a("198.51.100.2"), 78<<8 | 164, "198,51,100,2,78,164"},
		{"227 Entering Passive Mode 198,51,100,2,78,164\r\n", Reply, false, lineMatch, KindPASV, a("198.51.100.2"), 78<<8 | 164, "198,51,100,2,78,164"},
		{"227 =198,51,100,2,0,80\n", Reply, false, lineMatch, KindPASV, a("198.51.100.2"), 80, "198,51,100,2,0,80"},
		{"227 Entering Passive Mode (198,51,100,2,78)\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"227 Entering Passive Mode (198,51,100,2,78,1644)\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"227 no numbers\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"227-multi line\r\n", Reply, false, lineOther, 0, netip.Addr{}, 0, ""},
		{"227 Entering Passive Mode (198,51,100,2,78,164).\r\n", Orig, false, lineOther, 0, netip.Addr{}, 0, ""},
		{"229 Entering Extended Passive Mode (|||20100|)\r\n", Reply, false, lineMatch, KindEPSV, netip.Addr{}, 20100, "|||20100|"},
		{"229 Entering Extended Passive Mode (|||20100|)\r\n", Reply, true, lineMatch, KindEPSV, netip.Addr{}, 20100, "|||20100|"},
		{"229 ok (!!!1!)\n", Reply, false, lineMatch, KindEPSV, netip.Addr{}, 1, "!!!1!"},
		{"229 Entering Extended Passive Mode (|||20100|\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"229 Entering Extended Passive Mode (||20100|)\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"229 Entering Extended Passive Mode |||20100|\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"229 Entering Extended Passive Mode (111201001)\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"229 Entering Extended Passive Mode (|||0|)\r\n", Reply, false, lineMalformed, 0, netip.Addr{}, 0, ""},
		{"220 Welcome\r\n", Reply, false, lineOther, 0, netip.Addr{}, 0, ""},
		{"RETR file.txt\r\n", Orig, false, lineOther, 0, netip.Addr{}, 0, ""},
		{"", Orig, false, lineOther, 0, netip.Addr{}, 0, ""},
	} {
		t.Run(fmt.Sprintf("%v v6=%v %s", c.dir, c.v6, strings.TrimRight(c.line, "\r\n")), func(t *testing.T) {
			m, st := parseFTPLine([]byte(c.line), c.dir, c.v6)
			if st != c.st {
				t.Errorf("%q dir=%v v6=%v: status %d, want %d", c.line, c.dir, c.v6, st, c.st)
				return
			}
			if st != lineMatch {
				return
			}
			if m.Kind != c.kind || m.Addr != c.addr || m.Port != c.port || m.Dir != c.dir {
				t.Errorf("%q: got %+v", c.line, m)
			}
			if got := c.line[m.Seq : int(m.Seq)+m.Len]; got != c.arg {
				t.Errorf("%q: argument %q, want %q", c.line, got, c.arg)
			}
		})
	}
}

// feed runs payloads (each sent in dir at consecutive sequence numbers
// from seq0) through a fresh connection state and collects the results.
type seg struct {
	dir Dir
	b   string
}

func run(m *Master, segs []seg, seqs [2]uint32) (exps []Expectation, matches []Match, invalid int) {
	c := new(FTPConn)
	var res Result
	for _, s := range segs {
		res.Reset()
		c.Process(&Input{Master: m, Dir: s.dir, Seq: seqs[s.dir], Payload: []byte(s.b), Now: 1000}, &res)
		seqs[s.dir] += uint32(len(s.b))
		exps = append(exps, res.Exps...)
		matches = append(matches, res.Matches...)
		if res.Invalid {
			invalid++
		}
	}
	return
}

func TestFTPStream(t *testing.T) {
	m4 := plain(cli4, srv4, 40000)
	m6 := plain(cli6, srv6, 40000)
	active4 := Expectation{Proto: ProtoTCP, Src: srv4, Dst: cli4, DstPort: 20040, Zone: 5, Created: 1000, Lifetime: DefaultLifetime, MasterOrig: m4.Orig, Helper: "ftp"}
	passive4 := Expectation{Proto: ProtoTCP, Src: cli4, Dst: srv4, DstPort: 20100, Zone: 5, Created: 1000, Lifetime: DefaultLifetime, MasterOrig: m4.Orig, Helper: "ftp"}
	active6 := Expectation{Proto: ProtoTCP, Src: srv6, Dst: cli6, DstPort: 20040, Zone: 5, Created: 1000, Lifetime: DefaultLifetime, MasterOrig: m6.Orig, Helper: "ftp"}
	passive6 := Expectation{Proto: ProtoTCP, Src: cli6, Dst: srv6, DstPort: 20100, Zone: 5, Created: 1000, Lifetime: DefaultLifetime, MasterOrig: m6.Orig, Helper: "ftp"}
	long := strings.Repeat("x", MaxLine)
	for _, c := range []struct {
		name    string
		m       *Master
		segs    []seg
		want    []Expectation
		invalid int
	}{
		{"active PORT", m4, []seg{{Orig, "PORT 198,51,100,1,78,72\r\n"}}, []Expectation{active4}, 0},
		{"passive 227", m4, []seg{{Orig, "PASV\r\n"}, {Reply, "227 Entering Passive Mode (198,51,100,2,78,132).\r\n"}}, []Expectation{passive4}, 0},
		{"active EPRT v4", m4, []seg{{Orig, "EPRT |1|198.51.100.1|20040|\r\n"}}, []Expectation{active4}, 0},
		{"passive EPSV v4", m4, []seg{{Reply, "229 Entering Extended Passive Mode (|||20100|)\r\n"}}, []Expectation{passive4}, 0},
		{"active EPRT v6", m6, []seg{{Orig, "EPRT |2|2001:db8::1|20040|\r\n"}}, []Expectation{active6}, 0},
		{"passive EPSV v6", m6, []seg{{Reply, "229 Extended Passive (|||20100|)\r\n"}}, []Expectation{passive6}, 0},
		{"split in 2", m4, []seg{{Orig, "PORT 198,51,1"}, {Orig, "00,1,78,72\r\n"}}, []Expectation{active4}, 0},
		{"split in 3", m4, []seg{{Orig, "PO"}, {Orig, "RT 198,51,100,1,78,72"}, {Orig, "\r\n"}}, []Expectation{active4}, 0},
		{"split with replies between", m4, []seg{{Reply, "227 Entering Pas"}, {Orig, "NOOP\r\n"}, {Reply, "sive Mode (198,51,100,2,78,132).\r\n"}}, []Expectation{passive4}, 0},
		{"no expectation from half a line", m4, []seg{{Orig, "PORT 198,51,100,1,78,72"}}, nil, 0},
		{"pipelined", m4, []seg{{Orig, "TYPE I\r\nPORT 198,51,100,1,78,72\r\nRETR f\r\nEPRT |1|198.51.100.1|20100|\r\n"}},
			[]Expectation{active4, func() Expectation { e := active4; e.DstPort = 20100; return e }()}, 0},
		{"third host PORT refused", m4, []seg{{Orig, "PORT 203,0,113,99,78,72\r\n"}}, nil, 1},
		{"third host 227 refused", m4, []seg{{Reply, "227 Entering Passive Mode (203,0,113,99,78,132).\r\n"}}, nil, 1},
		{"third host EPRT v6 refused", m6, []seg{{Orig, "EPRT |2|2001:db8::99|20040|\r\n"}}, nil, 1},
		{"malformed", m4, []seg{{Orig, "PORT 198,51,100,1,78\r\n"}}, nil, 1},
		{"oversized line skipped", m4, []seg{{Orig, "PORT 198,51,100,1,78,72 " + long + "\r\n"}, {Orig, "PORT 198,51,100,1,78,72\r\n"}}, []Expectation{active4}, 0},
		{"oversized split", m4, []seg{{Orig, long}, {Orig, long + "PORT 198,51,100,1,78,72\r\n"}, {Orig, "PORT 198,51,100,1,78,72\r\n"}}, []Expectation{active4}, 0},
		{"line exactly MaxLine", m4, []seg{{Orig, "PORT 198,51,100,1,78,72" + strings.Repeat(" ", MaxLine-25) + "\r\n"}}, []Expectation{active4}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, inv := run(c.m, c.segs, [2]uint32{100, 5000})
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: got %+v\nwant %+v", c.name, got, c.want)
			}
			if inv != c.invalid {
				t.Errorf("%s: %d invalid packets, want %d", c.name, inv, c.invalid)
			}
		})
	}
}

func TestFTPNATExpectations(t *testing.T) {
	// Client 198.51.100.1:40000 source-translated to 203.0.113.7:50000.
	m := snat(cli4, srv4, nat4, 40000, 50000)
	// The client announces its own (inside) address: accepted, and the data
	// connection from the server arrives at the NAT address, to be sent on
	// to the client.
	got, ms, inv := run(m, []seg{{Orig, "PORT 198,51,100,1,78,72\r\n"}}, [2]uint32{1, 1})
	if inv != 0 || len(got) != 1 || len(ms) != 1 {
		t.Fatalf("got %+v %+v inv %d", got, ms, inv)
	}
	e := got[0]
	if e.Src != srv4 || e.Dst != nat4 || e.DstPort != 20040 || e.DNATTo != cli4 || e.SNATTo.IsValid() {
		t.Fatalf("active SNAT expectation %+v", e)
	}
	// The NAT address is the client's too.
	if got, _, inv := run(m, []seg{{Orig, "PORT 203,0,113,7,78,72\r\n"}}, [2]uint32{1, 1}); inv != 0 || len(got) != 1 {
		t.Fatalf("NAT address refused: %+v", got)
	}
	// A third host is not.
	if got, _, inv := run(m, []seg{{Orig, "PORT 203,0,113,99,78,72\r\n"}}, [2]uint32{1, 1}); inv != 1 || len(got) != 0 {
		t.Fatalf("third host accepted: %+v", got)
	}
	// Passive: the client connects from its inside address; it must be
	// source-translated like the master.
	got, _, _ = run(m, []seg{{Reply, "227 Entering Passive Mode (198,51,100,2,78,132).\r\n"}}, [2]uint32{1, 1})
	if len(got) != 1 || got[0].Src != cli4 || got[0].Dst != srv4 || got[0].SNATTo != nat4 || got[0].DNATTo.IsValid() {
		t.Fatalf("passive SNAT expectation %+v", got)
	}
	if m.NATAddr(Orig) != nat4 || m.NATAddr(Reply) != srv4 || !m.NATed() || plain(cli4, srv4, 1).NATed() {
		t.Fatal("NATAddr/NATed")
	}
	// DNAT'd server (client -> VIP 203.0.113.7, really 198.51.100.2):
	// the server announces its real address, the client connects to the VIP.
	d := &Master{Proto: ProtoTCP, Orig: Tuple{Src: cli4, Dst: nat4, SrcPort: 40000, DstPort: 21},
		Reply: Tuple{Src: srv4, Dst: cli4, SrcPort: 21, DstPort: 40000}}
	got, _, _ = run(d, []seg{{Reply, "227 Entering Passive Mode (198,51,100,2,78,132).\r\n"}}, [2]uint32{1, 1})
	if len(got) != 1 || got[0].Src != cli4 || got[0].Dst != nat4 || got[0].DNATTo != srv4 || got[0].SNATTo.IsValid() {
		t.Fatalf("passive DNAT expectation %+v", got)
	}
	if d.NATAddr(Reply) != nat4 {
		t.Fatal("DNAT NATAddr")
	}
}

func TestFTPRetransmitAndGap(t *testing.T) {
	m := plain(cli4, srv4, 40000)
	c := new(FTPConn)
	var res Result
	p := func(seq uint32, s string) Result {
		res.Reset()
		c.Process(&Input{Master: m, Dir: Orig, Seq: seq, Payload: []byte(s)}, &res)
		return Result{Exps: append([]Expectation(nil), res.Exps...), Matches: append([]Match(nil), res.Matches...), Invalid: res.Invalid}
	}
	cmd := "PORT 198,51,100,1,78,72\r\n"
	r := p(1000, cmd)
	if len(r.Exps) != 1 || len(r.Matches) != 1 || r.Matches[0].Seq != 1005 || r.Matches[0].Len != 18 {
		t.Fatalf("first: %+v", r)
	}
	// Retransmission: no new expectation, the match again for NAT.
	r = p(1000, cmd)
	if len(r.Exps) != 0 || len(r.Matches) != 1 || r.Matches[0].Seq != 1005 {
		t.Fatalf("retransmit: %+v", r)
	}
	// Retransmission with new data after it.
	n := uint32(1000 + len(cmd))
	r = p(1000, cmd+"EPRT |1|198.51.100.1|20100|\r\n")
	if len(r.Exps) != 1 || r.Exps[0].DstPort != 20100 || len(r.Matches) != 2 {
		t.Fatalf("retransmit+new: %+v", r)
	}
	n += uint32(len("EPRT |1|198.51.100.1|20100|\r\n"))
	// A gap: the half line after it is dropped until the next newline.
	r = p(n+10, "198,51,100,1,78,72\r\nPORT 198,51,100,1,0,99\r\n")
	if len(r.Exps) != 1 || r.Exps[0].DstPort != 99 {
		t.Fatalf("after gap: %+v", r)
	}
}

func TestExpired(t *testing.T) {
	var clock int64 = 1_000_000
	m := plain(cli4, srv4, 40000)
	_, _, _ = run(m, nil, [2]uint32{})
	c := new(FTPConn)
	var res Result
	c.Process(&Input{Master: m, Dir: Orig, Seq: 1, Payload: []byte("PORT 198,51,100,1,78,72\r\n"), Now: clock}, &res)
	if len(res.Exps) != 1 {
		t.Fatal("no expectation")
	}
	e := res.Exps[0]
	if e.Created != clock || e.Lifetime != DefaultLifetime {
		t.Fatalf("%+v", e)
	}
	for _, c := range []struct {
		dt   int64
		want bool
	}{{0, false}, {int64(DefaultLifetime) - 1, false}, {int64(DefaultLifetime), true}, {int64(DefaultLifetime) * 2, true}} {
		t.Run("+"+time.Duration(c.dt).String(), func(t *testing.T) {
			if got := e.Expired(clock + c.dt); got != c.want {
				t.Errorf("Expired(+%d) = %v", c.dt, got)
			}
		})
	}
	if !e.Matches(ProtoTCP, 5, srv4, cli4, 20, 20040) || !e.Matches(ProtoTCP, 5, srv4, cli4, 33333, 20040) {
		t.Error("does not match the data connection")
	}
	if e.Matches(ProtoTCP, 6, srv4, cli4, 20, 20040) || e.Matches(ProtoTCP, 5, oth4, cli4, 20, 20040) ||
		e.Matches(ProtoUDP, 5, srv4, cli4, 20, 20040) || e.Matches(ProtoTCP, 5, srv4, cli4, 20, 20041) {
		t.Error("matches another connection")
	}
}
