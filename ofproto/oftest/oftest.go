// Package oftest is a scripted OpenFlow peer for tests: it dials a switch
// (or wraps one end of a net.Pipe), does the HELLO exchange with whatever
// versions the test asks for, sends raw messages and reads replies by xid,
// answering the switch's echo requests on the way.
//
// It depends only on the standard library (it frames messages itself), so
// package ofproto's own tests can use it.
//
// Usage:
//
//	p, err := oftest.Dial("tcp", addr)
//	v, err := p.Handshake(oftest.V13, 1<<oftest.V10|1<<oftest.V13)
//	reply, err := p.Request(oftest.Message(v, 5, 0)) // FEATURES_REQUEST
//
// A Peer is not safe for concurrent use.
package oftest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"time"
)

// Versions.
const (
	V10 = 0x01
	V13 = 0x04
)

// Message types used by the helpers.
const (
	typeHello       = 0
	typeError       = 1
	typeEchoRequest = 2
	typeEchoReply   = 3
)

// Peer is one scripted OpenFlow connection.
type Peer struct {
	c net.Conn
	r *bufio.Reader
	// Version is the negotiated version after Handshake.
	Version uint8
	// Timeout bounds each read (default 5s).
	Timeout time.Duration
	// KeepEcho makes Recv return the switch's echo requests instead of
	// answering them.
	KeepEcho bool
	xid      uint32
	// ServerHello is the switch's HELLO, after Handshake.
	ServerHello []byte
}

// Dial connects to a switch ("tcp", "127.0.0.1:6653" or "unix", path).
func Dial(network, addr string) (*Peer, error) {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return New(c), nil
}

// New wraps an established connection (e.g. one end of net.Pipe).
func New(c net.Conn) *Peer {
	return &Peer{c: c, r: bufio.NewReader(c), Timeout: 5 * time.Second, xid: 0x100}
}

// Conn returns the underlying connection.
func (p *Peer) Conn() net.Conn { return p.c }

// Close closes the connection.
func (p *Peer) Close() error { return p.c.Close() }

// NextXid returns a fresh transaction id.
func (p *Peer) NextXid() uint32 {
	p.xid++
	return p.xid
}

// Message builds an OpenFlow message with the body parts concatenated.
func Message(version, typ uint8, xid uint32, body ...[]byte) []byte {
	n := 8
	for _, b := range body {
		n += len(b)
	}
	m := make([]byte, 8, n)
	m[0], m[1] = version, typ
	binary.BigEndian.PutUint16(m[2:], uint16(n))
	binary.BigEndian.PutUint32(m[4:], xid)
	for _, b := range body {
		m = append(m, b...)
	}
	return m
}

// Hello builds an OFPT_HELLO of version with a version-bitmap element if
// bitmap is nonzero.
func Hello(version uint8, bitmap uint32) []byte {
	if bitmap == 0 {
		return Message(version, typeHello, 1)
	}
	e := make([]byte, 8)
	binary.BigEndian.PutUint16(e, 1)
	binary.BigEndian.PutUint16(e[2:], 8)
	binary.BigEndian.PutUint32(e[4:], bitmap)
	return Message(version, typeHello, 1, e)
}

// Header is a decoded ofp_header.
type Header struct {
	Version, Type uint8
	Length        uint16
	Xid           uint32
}

// ParseHeader decodes b's header (b must have 8 bytes).
func ParseHeader(b []byte) Header {
	return Header{b[0], b[1], binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:])}
}

// Handshake sends HELLO (version, with bitmap if nonzero), reads the
// switch's HELLO and returns the version both sides will use, computed as
// OpenFlow specifies. If the switch instead answers with OFPT_ERROR, the
// error message is returned in an *ErrorReply.
//
// It returns once the switch has taken our HELLO: the switch speaks first,
// so its HELLO proves nothing about ours, and until it has negotiated the
// version it sends the connection no asynchronous message (packet-in,
// port-status, ...) and closing it then may reset it. An echo round trip
// (xid handshakeXid, outside NextXid's sequence) makes sure.
func (p *Peer) Handshake(version uint8, bitmap uint32) (uint8, error) {
	if err := p.Send(Hello(version, bitmap)); err != nil {
		return 0, err
	}
	b, err := p.recvRaw()
	if err != nil {
		return 0, err
	}
	h := ParseHeader(b)
	if h.Type == typeError {
		return 0, &ErrorReply{Msg: b}
	}
	if h.Type != typeHello {
		return 0, fmt.Errorf("oftest: expected HELLO, got type %d", h.Type)
	}
	p.ServerHello = b
	ours := bitmap
	if ours == 0 {
		ours = (uint32(1)<<(version+1) - 1) &^ 1
	}
	theirs := helloBitmap(b)
	common := ours & theirs
	if common == 0 {
		// The switch will send HELLO_FAILED; read it.
		if e, err := p.recvRaw(); err == nil && ParseHeader(e).Type == typeError {
			return 0, &ErrorReply{Msg: e}
		}
		return 0, errors.New("oftest: no common version")
	}
	v := uint8(bits.Len32(common) - 1) // the highest common version
	p.Version = v
	if err := p.Send(Message(v, typeEchoRequest, handshakeXid)); err != nil {
		return 0, err
	}
	r, err := p.RecvXid(handshakeXid, nil)
	if err != nil {
		return 0, err
	}
	if r[1] == typeError {
		return 0, &ErrorReply{Msg: r}
	}
	return v, nil
}

// handshakeXid is the xid of Handshake's echo request.
const handshakeXid = 0xfffffffe

func helloBitmap(b []byte) uint32 {
	bm := (uint32(1)<<(b[0]+1) - 1) &^ 1
	body := b[8:]
	for len(body) >= 4 {
		typ := binary.BigEndian.Uint16(body)
		l := int(binary.BigEndian.Uint16(body[2:]))
		if l < 4 || l > len(body) {
			break
		}
		if typ == 1 && l >= 8 {
			bm = binary.BigEndian.Uint32(body[4:])
		}
		body = body[(l+7)&^7:]
	}
	return bm
}

// ErrorReply is an OFPT_ERROR received where a reply was expected.
type ErrorReply struct{ Msg []byte }

func (e *ErrorReply) Error() string {
	t, c := e.TypeCode()
	return fmt.Sprintf("oftest: OFPT_ERROR type %d code %d", t, c)
}

// TypeCode returns the error's type and code fields.
func (e *ErrorReply) TypeCode() (uint16, uint16) {
	if len(e.Msg) < 12 {
		return 0, 0
	}
	return binary.BigEndian.Uint16(e.Msg[8:]), binary.BigEndian.Uint16(e.Msg[10:])
}

// Data returns the error's data (after type and code).
func (e *ErrorReply) Data() []byte {
	if len(e.Msg) < 12 {
		return nil
	}
	return e.Msg[12:]
}

// Send writes one message.
func (p *Peer) Send(b []byte) error {
	p.c.SetWriteDeadline(time.Now().Add(p.timeout()))
	_, err := p.c.Write(b)
	return err
}

func (p *Peer) timeout() time.Duration {
	if p.Timeout <= 0 {
		return 5 * time.Second
	}
	return p.Timeout
}

func (p *Peer) recvRaw() ([]byte, error) {
	p.c.SetReadDeadline(time.Now().Add(p.timeout()))
	var hdr [8]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[2:]))
	if n < 8 {
		return nil, fmt.Errorf("oftest: switch sent length %d", n)
	}
	b := make([]byte, n)
	copy(b, hdr[:])
	if _, err := io.ReadFull(p.r, b[8:]); err != nil {
		return nil, err
	}
	return b, nil
}

// Recv reads the next message, answering echo requests (unless KeepEcho).
func (p *Peer) Recv() ([]byte, error) {
	for {
		b, err := p.recvRaw()
		if err != nil {
			return nil, err
		}
		if !p.KeepEcho && b[1] == typeEchoRequest {
			r := append([]byte(nil), b...)
			r[1] = typeEchoReply
			if err := p.Send(r); err != nil {
				return nil, err
			}
			continue
		}
		return b, nil
	}
}

// RecvXid reads until a message with xid arrives, returning it; others
// (asynchronous messages) are passed to skipped if it is not nil.
func (p *Peer) RecvXid(xid uint32, skipped func([]byte)) ([]byte, error) {
	for {
		b, err := p.Recv()
		if err != nil {
			return nil, err
		}
		if ParseHeader(b).Xid == xid {
			return b, nil
		}
		if skipped != nil {
			skipped(b)
		}
	}
}

// Request sends b (its xid replaced by a fresh one unless nonzero) and
// returns the first reply with that xid. An OFPT_ERROR reply is returned
// as *ErrorReply (with the message).
func (p *Peer) Request(b []byte) ([]byte, error) {
	xid := binary.BigEndian.Uint32(b[4:])
	if xid == 0 {
		xid = p.NextXid()
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint32(b[4:], xid)
	}
	if err := p.Send(b); err != nil {
		return nil, err
	}
	r, err := p.RecvXid(xid, nil)
	if err != nil {
		return nil, err
	}
	if r[1] == typeError {
		return r, &ErrorReply{Msg: r}
	}
	return r, nil
}

// Multipart sends a multipart/stats request and collects every reply
// message of the sequence (until one without the MORE flag).
func (p *Peer) Multipart(b []byte) ([][]byte, error) {
	r, err := p.Request(b)
	if err != nil {
		return nil, err
	}
	out := [][]byte{r}
	xid := ParseHeader(r).Xid
	for len(r) >= 12 && binary.BigEndian.Uint16(r[10:])&1 != 0 {
		if r, err = p.RecvXid(xid, nil); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Barrier sends a barrier request and waits for its reply.
func (p *Peer) Barrier() error {
	typ := uint8(20)
	if p.Version == V10 {
		typ = 18
	}
	_, err := p.Request(Message(p.Version, typ, 0))
	return err
}

// Echo sends an echo request with data and checks the reply echoes it.
func (p *Peer) Echo(data []byte) error {
	r, err := p.Request(Message(p.Version, typeEchoRequest, 0, data))
	if err != nil {
		return err
	}
	if r[1] != typeEchoReply || string(r[8:]) != string(data) {
		return fmt.Errorf("oftest: bad echo reply % x", r)
	}
	return nil
}
