package oftest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// fakeSwitch answers HELLO (offering 1.0 and 1.3), echo requests, and
// sends OFPT_ERROR for anything else.
func fakeSwitch(c net.Conn) {
	defer c.Close()
	go c.Write(Hello(V13, 1<<V10|1<<V13)) // net.Pipe is synchronous
	for {
		var h [8]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		b := make([]byte, binary.BigEndian.Uint16(h[2:]))
		copy(b, h[:])
		if _, err := io.ReadFull(c, b[8:]); err != nil {
			return
		}
		switch b[1] {
		case typeHello:
		case typeEchoRequest:
			b[1] = typeEchoReply
			c.Write(b)
		default:
			c.Write(Message(b[0], typeError, ParseHeader(b).Xid, []byte{0, 1, 0, 1}, b))
		}
	}
}

func TestPeer(t *testing.T) {
	a, b := net.Pipe()
	go fakeSwitch(a)
	p := New(b)
	defer p.Close()
	v, err := p.Handshake(V10, 0)
	if err != nil || v != V10 {
		t.Fatalf("handshake %d %v", v, err)
	}
	if err := p.Echo([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_, err = p.Request(Message(V10, 99, 0))
	var er *ErrorReply
	if !errors.As(err, &er) {
		t.Fatalf("want ErrorReply, got %v", err)
	}
	if typ, code := er.TypeCode(); typ != 1 || code != 1 || len(er.Data()) != 8 {
		t.Fatalf("error %d/%d data %x", typ, code, er.Data())
	}
}

func TestHandshakeNoCommon(t *testing.T) {
	a, b := net.Pipe()
	go fakeSwitch(a)
	p := New(b)
	p.Timeout = 200 * time.Millisecond // the fake sends no HELLO_FAILED
	defer p.Close()
	if _, err := p.Handshake(5, 1<<5); err == nil {
		t.Fatal("no error without a common version")
	}
}
