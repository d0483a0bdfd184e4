package alg

import (
	"net/netip"
)

// The FTP helper (RFC 959 PORT and 227, RFC 2428 EPRT and 229).

// MaxLine is the longest FTP control line (with its CRLF) the helper
// reassembles; a longer line is skipped (no expectation; counted as
// Oversized). RFC 959 lines of interest are far shorter.
const MaxLine = 512

// Kind is the kind of an FTP announcement.
type Kind uint8

const (
	KindPORT Kind = iota + 1 // client: PORT h1,h2,h3,h4,p1,p2 (active)
	KindEPRT                 // client: EPRT |1|a.b.c.d|port| or |2|v6|port| (active)
	KindPASV                 // server: 227 ... h1,h2,h3,h4,p1,p2 (passive)
	KindEPSV                 // server: 229 ... (|||port|) (passive)
)

// String returns the command or reply code ("PORT", "227", ...).
func (k Kind) String() string {
	switch k {
	case KindPORT:
		return "PORT"
	case KindEPRT:
		return "EPRT"
	case KindPASV:
		return "227"
	case KindEPSV:
		return "229"
	}
	return "?"
}

// Match is one FTP announcement: where its argument is in the byte stream
// (so a NAT can rewrite it) and what it announced.
type Match struct {
	Kind Kind
	Dir  Dir
	// Seq is the stream sequence number of the argument's first byte and
	// Len its length: for PORT and 227 the "h1,h2,h3,h4,p1,p2" text, for
	// EPRT the text from the first delimiter to the last ("|1|a.b.c.d|p|"),
	// for 229 from the first delimiter to the last ("|||p|").
	Seq   uint32
	Len   int
	Addr  netip.Addr // the announced address (invalid for 229)
	Port  uint16
	Delim byte // EPRT/229 delimiter
}

// ftpHelper is the registered FTP helper.
type ftpHelper struct{}

func (ftpHelper) Name() string  { return "ftp" }
func (ftpHelper) Port() uint16  { return 21 }
func (ftpHelper) Proto() uint8  { return ProtoTCP }
func (ftpHelper) NewConn() Conn { return new(FTPConn) }

func init() { mustRegister(ftpHelper{}) }

// histLen is how many past matches per direction are remembered, to
// announce them again when a segment carrying them is retransmitted.
const histLen = 4

// ftpStream is the reassembly state of one direction.
type ftpStream struct {
	started bool
	skip    bool   // discarding up to the next '\n' (oversized line or a gap)
	next    uint32 // sequence number of the next byte expected
	n       int    // bytes in line
	lineSeq uint32 // sequence number of line[0]
	line    [MaxLine]byte
	hist    [histLen]Match
	nhist   int
	hnext   int
}

// FTPConn is the FTP helper's state for one control connection: a line
// reassembler per direction (bounded: MaxLine bytes each, no allocation).
// Commands split over several segments and several commands in one
// segment are handled; a line is parsed only when its '\n' arrived. The
// byte stream is followed by sequence number: data already seen
// (retransmissions) is not parsed again, but the announcements it carried
// are reported again in Result.Matches; after a gap (a lost or reordered
// segment), the current line is dropped and parsing resumes after the
// next '\n'.
//
// Client commands (PORT, EPRT) are taken only in the Orig direction,
// server replies (227, 229) only in the Reply direction, as the Linux
// helper does. A PORT/EPRT/227 address must be the sender's own address
// (before or after NAT, as OVS checks): an announcement of a third host's
// address creates no expectation and makes the packet Invalid. Ports
// below 1024 are accepted (neither OVS nor Linux refuses them); port 0 is
// refused.
type FTPConn struct {
	s [2]ftpStream
}

// Process implements Conn.
func (c *FTPConn) Process(in *Input, out *Result) {
	if in.Master == nil || in.Dir > Reply || len(in.Payload) == 0 {
		return
	}
	st := &c.s[in.Dir]
	p := in.Payload
	seq := in.Seq
	if !st.started {
		st.started = true
		st.next = seq
		st.lineSeq = seq
	}
	off := int32(seq - st.next)
	switch {
	case off < 0:
		// Starts before what we have seen: a retransmission (possibly
		// with new data at its end).
		counters.retransmits.Add(1)
		st.replay(seq, len(p), out)
		old := -int64(off)
		if old >= int64(len(p)) {
			return
		}
		p = p[old:]
		seq = st.next
	case off > 0:
		// A gap: we lost the bytes in between. Drop the line and resync
		// at the next line start.
		counters.gaps.Add(1)
		st.n = 0
		st.skip = true
		st.next = seq
	}
	for len(p) > 0 {
		i := indexByte(p, '\n')
		var chunk []byte
		if i < 0 {
			chunk = p
		} else {
			chunk = p[:i+1]
		}
		if st.skip {
			if i >= 0 {
				st.skip = false
				st.n = 0
				st.lineSeq = seq + uint32(len(chunk))
			}
		} else {
			if st.n == 0 {
				st.lineSeq = seq
			}
			if st.n+len(chunk) > MaxLine {
				counters.oversized.Add(1)
				st.n = 0
				if i < 0 {
					st.skip = true
				} else {
					st.lineSeq = seq + uint32(len(chunk))
				}
			} else {
				st.n += copy(st.line[st.n:], chunk)
				if i >= 0 {
					c.line(in, st, out)
					st.n = 0
				}
			}
		}
		seq += uint32(len(chunk))
		p = p[len(chunk):]
	}
	st.next = seq
}

// replay appends the remembered matches whose argument lies inside the
// retransmitted segment [seq, seq+n).
func (st *ftpStream) replay(seq uint32, n int, out *Result) {
	for i := 0; i < st.nhist; i++ {
		m := &st.hist[i]
		start := int64(int32(m.Seq - seq))
		if start >= 0 && start+int64(m.Len) <= int64(n) {
			out.Matches = append(out.Matches, *m)
		}
	}
}

func (st *ftpStream) remember(m Match) {
	st.hist[st.hnext] = m
	st.hnext = (st.hnext + 1) % histLen
	if st.nhist < histLen {
		st.nhist++
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// line parses one complete line (st.line[:st.n], ending in '\n').
func (c *FTPConn) line(in *Input, st *ftpStream, out *Result) {
	l := st.line[:st.n]
	m, st0 := parseFTPLine(l, in.Dir, in.Master.IsV6())
	switch st0 {
	case lineOther:
		return
	case lineMalformed:
		counters.malformed.Add(1)
		out.Invalid = true
		return
	}
	if m.Kind != KindEPSV && !senderAddrOK(in.Master, in.Dir, m.Addr) {
		counters.refused.Add(1)
		out.Invalid = true
		return
	}
	m.Seq += st.lineSeq
	counters.commands.Add(1)
	out.Exps = append(out.Exps, expect(in.Master, in.Dir, "ftp", ProtoTCP, m.Port, in.Now))
	st.remember(m)
	// Report it for NAT only when its argument is inside this packet.
	start := int64(int32(m.Seq - in.Seq))
	if start >= 0 && start+int64(m.Len) <= int64(len(in.Payload)) {
		out.Matches = append(out.Matches, m)
	}
}

type lineStatus uint8

const (
	lineOther     lineStatus = iota // not a line of interest
	lineMatch                       // an announcement (m is filled)
	lineMalformed                   // a line of interest that does not parse
)

// parseFTPLine parses one control line (with or without its CRLF) sent in
// direction dir on an IPv4 (v6 false) or IPv6 connection. It returns
// lineMatch and the announcement, with Match.Seq the argument's offset in
// line; lineMalformed for a line of interest that does not parse
// (malformed, port 0, wrong address family); lineOther for any other line.
// Address ownership is not checked here.
func parseFTPLine(line []byte, dir Dir, v6 bool) (m Match, status lineStatus) {
	if dir == Orig {
		switch {
		case hasPrefixFold(line, "PORT"):
			if v6 {
				return m, lineOther // as OVS: PORT is not looked at over IPv6
			}
			i := skipSpaces(line, 4)
			if i == 4 {
				return m, lineOther // "PORTX..."
			}
			a, n, ok := parseNumbers(line[i:], 6, ',')
			if !ok || !lineEnd(line[i+n:]) {
				return m, lineMalformed
			}
			m = Match{Kind: KindPORT, Dir: Orig, Seq: uint32(i), Len: n,
				Addr: netip.AddrFrom4([4]byte{byte(a[0]), byte(a[1]), byte(a[2]), byte(a[3])}),
				Port: uint16(a[4])<<8 | uint16(a[5])}
		case hasPrefixFold(line, "EPRT"):
			i := skipSpaces(line, 4)
			if i == 4 {
				return m, lineOther
			}
			var ok bool
			m, ok = parseEPRT(line, i, v6)
			if !ok {
				return m, lineMalformed
			}
		default:
			return m, lineOther
		}
	} else {
		switch {
		case hasPrefixFold(line, "227 "):
			if v6 {
				return m, lineOther
			}
			// RFC 1123 4.1.2.6: scan for the first digit of h1.
			i := 4
			for i < len(line) && !isDigit(line[i]) {
				i++
			}
			a, n, ok := parseNumbers(line[i:], 6, ',')
			if !ok || (i+n < len(line) && isDigit(line[i+n])) {
				return m, lineMalformed
			}
			m = Match{Kind: KindPASV, Dir: Reply, Seq: uint32(i), Len: n,
				Addr: netip.AddrFrom4([4]byte{byte(a[0]), byte(a[1]), byte(a[2]), byte(a[3])}),
				Port: uint16(a[4])<<8 | uint16(a[5])}
		case hasPrefixFold(line, "229 "):
			i := 4
			for i < len(line) && line[i] != '(' {
				i++
			}
			if i == len(line) {
				return m, lineMalformed
			}
			i++
			var ok bool
			m, ok = parseEPSV(line, i)
			if !ok {
				return m, lineMalformed
			}
		default:
			return m, lineOther
		}
	}
	if m.Port == 0 {
		return m, lineMalformed
	}
	return m, lineMatch
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

func skipSpaces(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// lineEnd reports whether rest is only spaces and the line terminator.
func lineEnd(rest []byte) bool {
	for _, c := range rest {
		if c != ' ' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// parseNumbers parses count decimal numbers 0..255 (1 to 3 digits each)
// separated by sep at the start of b, returning them and the length of
// the text.
func parseNumbers(b []byte, count int, sep byte) (a [6]int, n int, ok bool) {
	for k := 0; k < count; k++ {
		if k > 0 {
			if n >= len(b) || b[n] != sep {
				return a, 0, false
			}
			n++
		}
		d := 0
		v := 0
		for n < len(b) && isDigit(b[n]) && d < 4 {
			v = v*10 + int(b[n]-'0')
			n++
			d++
		}
		if d == 0 || d > 3 || v > 255 {
			return a, 0, false
		}
		a[k] = v
	}
	return a, n, true
}

// parsePort parses a decimal port of 1 to 5 digits at b[i:] that must be
// followed by delim; it returns the port and the index after delim.
func parsePort(b []byte, i int, delim byte) (port uint16, j int, ok bool) {
	v, d := 0, 0
	for i < len(b) && isDigit(b[i]) {
		if d++; d > 5 {
			return 0, 0, false
		}
		v = v*10 + int(b[i]-'0')
		i++
	}
	if d == 0 || v > 65535 || i >= len(b) || b[i] != delim {
		return 0, 0, false
	}
	return uint16(v), i + 1, true
}

func validDelim(c byte) bool { return c >= 33 && c <= 126 && !isDigit(c) }

// parseEPRT parses "<d><af><d><addr><d><port><d>" at line[i:].
func parseEPRT(line []byte, i int, v6 bool) (m Match, ok bool) {
	if len(line)-i < 4 {
		return m, false
	}
	d := line[i]
	if !validDelim(d) || line[i+2] != d {
		return m, false
	}
	af := line[i+1]
	if (af == '1') == v6 || (af != '1' && af != '2') {
		return m, false // the family must be the connection's
	}
	a := i + 3
	e := a
	for e < len(line) && line[e] != d && e-a <= 45 {
		e++
	}
	if e >= len(line) || line[e] != d {
		return m, false
	}
	addr, err := netip.ParseAddr(string(line[a:e]))
	if err != nil || addr.Zone() != "" || (af == '1') != addr.Is4() {
		return m, false
	}
	port, j, ok := parsePort(line, e+1, d)
	if !ok || !lineEnd(line[j:]) {
		return m, false
	}
	return Match{Kind: KindEPRT, Dir: Orig, Seq: uint32(i), Len: j - i, Addr: addr, Port: port, Delim: d}, true
}

// parseEPSV parses "<d><d><d><port><d>)" at line[i:].
func parseEPSV(line []byte, i int) (m Match, ok bool) {
	if len(line)-i < 5 {
		return m, false
	}
	d := line[i]
	if !validDelim(d) || line[i+1] != d || line[i+2] != d {
		return m, false
	}
	port, j, ok := parsePort(line, i+3, d)
	if !ok || j >= len(line) || line[j] != ')' {
		return m, false
	}
	return Match{Kind: KindEPSV, Dir: Reply, Seq: uint32(i), Len: j - i, Port: port, Delim: d}, true
}
