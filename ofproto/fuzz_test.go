package ofproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// FuzzReadMessage: framing never panics, never allocates past the bound,
// and a message it returns is exactly the header's length, a prefix of the
// input.
func FuzzReadMessage(f *testing.F) {
	f.Add([]byte{4, 2, 0, 8, 0, 0, 0, 1})
	f.Add([]byte{4, 2, 0, 4, 0, 0, 0, 1})
	f.Add([]byte{4, 2, 0, 0})
	f.Add([]byte{1, 0, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3})
	f.Add(append([]byte{4, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x12}, 4, 2, 0, 8, 0, 0, 0, 2))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		off := 0
		for {
			b, err := ReadMessage(r, 1024)
			if err != nil {
				if b != nil {
					// A length error: the 8 header bytes were consumed.
					if len(b) != HeaderLen || !(errors.Is(err, ErrShortLength) || errors.Is(err, ErrTooLong)) {
						t.Fatalf("bad length error: %v % x", err, b)
					}
					n := int(binary.BigEndian.Uint16(b[2:]))
					if errors.Is(err, ErrShortLength) && n >= 8 || errors.Is(err, ErrTooLong) && n <= 1024 {
						t.Fatalf("wrong length error %v for %d", err, n)
					}
					return
				}
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("error %v", err)
				}
				return
			}
			n := int(binary.BigEndian.Uint16(b[2:]))
			if n != len(b) || n < HeaderLen || n > 1024 {
				t.Fatalf("message length %d, header %d", len(b), n)
			}
			if !bytes.Equal(b, in[off:off+n]) {
				t.Fatal("message is not the input")
			}
			off += n
		}
	})
}

// nullConn is a net.Conn that discards writes (replies are read from the
// connection's queue instead).
type nullConn struct{}

func (nullConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (nullConn) Write(b []byte) (int, error)      { return len(b), nil }
func (nullConn) Close() error                     { return nil }
func (nullConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (nullConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (nullConn) SetDeadline(time.Time) error      { return nil }
func (nullConn) SetReadDeadline(time.Time) error  { return nil }
func (nullConn) SetWriteDeadline(time.Time) error { return nil }

// handleOnce runs one message through a fresh connection of version v and
// returns every message it queued.
func handleOnce(t testing.TB, s *Server, v uint8, b []byte) [][]byte {
	c := newConn(s, nullConn{}, true)
	c.st.version = v
	c.st.async = defaultAsync(v)
	c.handle(b)
	var out [][]byte
	for {
		select {
		case m := <-c.out:
			out = append(out, m)
		default:
			return out
		}
	}
}

// FuzzHandle: any bytes, framed as one message of either version, get
// replies that are well-formed messages of that version with the request's
// xid (an OFPT_ERROR or the proper reply), a bounded amount of them, and
// never a panic.
func FuzzHandle(f *testing.F) {
	for _, row := range golden.Errors() {
		if len(row.Request) >= 8 {
			f.Add(row.Version == 1, row.Request[1:])
		}
	}
	f.Add(false, []byte{TypeFeaturesReq})
	f.Add(true, []byte{TypeFeaturesReq})
	f.Add(false, append([]byte{Type13MultipartRequest, 0, 0, 0, 0}, 0, MPPortDesc, 0, 0, 0, 0, 0, 0))
	f.Add(true, append([]byte{Type10StatsRequest, 0, 0, 0, 0}, 0xff, 0xff, 0, 0, 0, 0, 0x23, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0, 0, 0))
	f.Add(false, append([]byte{TypeVendor, 0, 0, 0, 0}, 0, 0, 0x23, 0x20, 0, 0, 0, NXTCtFlush, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 2, 0, 8, 0, 0, 0, 0))
	f.Add(false, append([]byte{TypeVendor, 0, 0, 0, 0}, 0x4f, 0x4e, 0x46, 0, 0, 0, 0x08, 0xfd, 0, 0, 0, 1, 0, 0, 0, 1))
	env := newTestServer(f, nil)
	f.Fuzz(func(t *testing.T, of10 bool, rest []byte) {
		if len(rest) < 1 || len(rest) > 4096 {
			return
		}
		v := uint8(Version13)
		if of10 {
			v = Version10
		}
		fuzzHandleOne(t, env, v, rest)
	})
}

// fuzzHandleOne frames rest as one message of version v (type, then xid
// and body) and checks what handling it queues (see FuzzHandle).
func fuzzHandleOne(t *testing.T, env *testEnv, v uint8, rest []byte) {
	// Frame it: version, then the fuzzer's type and body, with a
	// correct length and the xid from the fuzzer's bytes 1-4.
	b := make([]byte, HeaderLen, HeaderLen+len(rest))
	b[0], b[1] = v, rest[0]
	xid := uint32(0x1234)
	body := rest[1:]
	if len(body) >= 4 {
		xid = binary.BigEndian.Uint32(body)
		body = body[4:]
	}
	binary.BigEndian.PutUint32(b[4:], xid)
	b = append(b, body...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	replies := handleOnce(t, env.srv, v, b)
	if len(replies) > 300 {
		t.Fatalf("%d replies", len(replies))
	}
	for _, r := range replies {
		if len(r) < HeaderLen || int(binary.BigEndian.Uint16(r[2:])) != len(r) {
			t.Fatalf("malformed reply % x", r)
		}
		h := ParseHeader(r)
		if h.Version != v {
			t.Fatalf("reply version %d in a %d session", h.Version, v)
		}
		if h.Xid != xid && h.Type != TypeEchoRequest {
			t.Fatalf("reply xid %#x, request %#x", h.Xid, xid)
		}
		if h.Type == TypeError && len(r) < 12 {
			t.Fatalf("short error % x", r)
		}
	}
}

// FuzzHandle15 is FuzzHandle for OpenFlow 1.5: the 1.5 flow-mod, packet-out,
// port-mod, async config and table-mod decoders, standard bundles and the
// 1.5 statistics, the 1.5 group-mod (bucket ids and properties, OVS's
// selection method with its field array, insert and remove buckets),
// seeded with the requests of of15-replies.tsv (its group-mod-* cases
// among them).
func FuzzHandle15(f *testing.F) {
	for _, row := range golden.Replies15() {
		for _, m := range row.Requests {
			if len(m) >= 8 && m[0] == Version15 {
				f.Add(m[1:])
			}
		}
	}
	// packet-out: buffer, actions_len 16, match in_port=1, output:2, a frame
	f.Add(append([]byte{TypePacketOut, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 16, 0, 0,
		0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0}, make([]byte, 14)...))
	// port-mod with an ethernet property
	f.Add([]byte{Type13PortMod, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0x20})
	env := newTestServer(f, func(c *Config) { c.Datapath = realDatapath() })
	f.Fuzz(func(t *testing.T, rest []byte) {
		if len(rest) < 1 || len(rest) > 4096 {
			return
		}
		fuzzHandleOne(t, env, Version15, rest)
	})
}
