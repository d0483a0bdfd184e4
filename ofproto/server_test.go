package ofproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/nxm"
	"gswitch/ofproto/oftest"
	"gswitch/pipeline"
)

func dial(t testing.TB, env *testEnv, version uint8, bitmap uint32) *oftest.Peer {
	t.Helper()
	p, err := oftest.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	v, err := p.Handshake(version, bitmap)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	_ = v
	return p
}

func TestHandshake(t *testing.T) {
	// By default gswitch offers 1.0, 1.3 and 1.5 (OVS's default offers
	// every version it has); with protocols OpenFlow10,OpenFlow13 only those.
	for _, sv := range []struct {
		name      string
		protocols uint32
		hello     []byte // the server's HELLO
	}{
		{"default", 0, []byte{6, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0x52}},
		{"of10-of13", 1<<1 | 1<<4, []byte{4, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0x12}},
	} {
		env := newTestServer(t, func(c *Config) { c.Protocols = sv.protocols })
		cases := []struct {
			name    string
			version uint8
			bitmap  uint32
			want    uint8 // by default
			want13  uint8 // with 1.0 and 1.3 only
		}{
			{"of10-no-bitmap", 1, 0, 1, 1},
			{"of13-no-bitmap", 4, 0, 4, 4},
			{"of13-bitmap-10-13", 4, 1<<1 | 1<<4, 4, 4},
			{"of10-bitmap", 1, 1 << 1, 1, 1},
			{"of15-bitmap-10-15", 6, 1<<1 | 1<<4 | 1<<6, 6, 4},
			{"of15-no-bitmap", 6, 0, 6, 4},
			{"of11-no-bitmap", 2, 0, 1, 1},
			{"of14-no-bitmap", 5, 0, 4, 4},
		}
		for _, tc := range cases {
			t.Run(sv.name+"/"+tc.name, func(t *testing.T) {
				p := dial(t, env, tc.version, tc.bitmap)
				want := tc.want
				if sv.protocols != 0 {
					want = tc.want13
				}
				if p.Version != want {
					t.Fatalf("negotiated %d, want %d", p.Version, want)
				}
				if !bytes.Equal(p.ServerHello[:2], sv.hello[:2]) || !bytes.Equal(p.ServerHello[8:], sv.hello[8:]) {
					t.Fatalf("server hello % x, want % x", p.ServerHello, sv.hello)
				}
				// The connection works in the negotiated version.
				if err := p.Echo([]byte("hi")); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestHandshakeNoCommonVersion(t *testing.T) {
	env := newTestServer(t, nil)
	p, err := oftest.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Handshake(5, 1<<5) // 1.4 only
	var er *oftest.ErrorReply
	if !errors.As(err, &er) {
		t.Fatalf("want HELLO_FAILED, got %v", err)
	}
	typ, code := er.TypeCode()
	if typ != 0 || code != 0 {
		t.Fatalf("error %d/%d, want HELLO_FAILED/INCOMPATIBLE", typ, code)
	}
	if got := string(er.Data()); got != "We support versions 0x01, 0x04, 0x06, you support version 0x05, no common versions." {
		t.Fatalf("text %q", got)
	}
	// And the server closes the connection.
	if _, err := p.Recv(); err == nil {
		t.Fatal("connection still open")
	}
}

func TestFirstMessageNotHello(t *testing.T) {
	env := newTestServer(t, nil)
	p, err := oftest.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Send(oftest.Message(4, 2, 7)) // echo request first
	p.Recv()                        // server's hello
	if _, err := p.Recv(); err == nil {
		t.Fatal("expected close")
	}
}

func TestEchoFeaturesConfigBarrier(t *testing.T) {
	env := newTestServer(t, func(c *Config) { c.DatapathID = 0xabcdef })
	for _, v := range []uint8{1, 4} {
		t.Run(fmt.Sprintf("version %d", v), func(t *testing.T) {
			p := dial(t, env, v, 0)
			if err := p.Echo(bytes.Repeat([]byte{7}, 100)); err != nil {
				t.Fatal(err)
			}
			r, err := p.Request(oftest.Message(v, TypeFeaturesReq, 0))
			if err != nil {
				t.Fatal(err)
			}
			if r[1] != TypeFeaturesReply || binary.BigEndian.Uint64(r[8:]) != 0xabcdef || r[20] != 254 {
				t.Fatalf("features % x", r)
			}
			if v == 1 && len(r) != 32+3*48 {
				t.Fatalf("OF1.0 features length %d", len(r))
			}
			if v == 4 && len(r) != 32 {
				t.Fatalf("OF1.3 features length %d", len(r))
			}
			// SET_CONFIG then GET_CONFIG.
			p.Send(oftest.Message(v, TypeSetConfig, p.NextXid(), []byte{0, 1, 0x12, 0x34}))
			r, err = p.Request(oftest.Message(v, TypeGetConfigReq, 0))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r[8:], []byte{0, 1, 0x12, 0x34}) {
				t.Fatalf("get config % x", r)
			}
			if err := p.Barrier(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// errorOf sends b and expects an OFPT_ERROR with xid, type and code; it
// checks the error carries the first 64 bytes of b.
func expectError(t *testing.T, p *oftest.Peer, b []byte, typ, code uint16) []byte {
	t.Helper()
	r, err := p.Request(b)
	var er *oftest.ErrorReply
	if !errors.As(err, &er) {
		t.Fatalf("want error %d/%d, got reply % x (err %v)", typ, code, r, err)
	}
	gt, gc := er.TypeCode()
	if gt != typ || gc != code {
		t.Fatalf("error %d/%d, want %d/%d (% x)", gt, gc, typ, code, er.Msg)
	}
	if oftest.ParseHeader(er.Msg).Xid != oftest.ParseHeader(b).Xid && oftest.ParseHeader(b).Xid != 0 {
		t.Fatalf("xid mismatch")
	}
	return er.Msg
}

func TestBadRequests13(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	x := p.NextXid
	// Unknown type.
	msg := expectError(t, p, oftest.Message(4, 99, x()), 1, 1)
	if len(msg) != 12+8 {
		t.Fatalf("data len %d", len(msg)-12)
	}
	// Reply types sent to the switch.
	expectError(t, p, oftest.Message(4, TypeFeaturesReply, x()), 1, 1)
	// Wrong version.
	expectError(t, p, oftest.Message(1, TypeEchoRequest, x()), 1, 0)
	// FEATURES_REQUEST with a body.
	expectError(t, p, oftest.Message(4, TypeFeaturesReq, x(), []byte{1, 2, 3, 4}), 1, 6)
	// Unknown experimenter.
	expectError(t, p, oftest.Message(4, TypeVendor, x(), []byte{0, 0, 0x12, 0x34, 0, 0, 0, 1}), 1, 3)
	// Nicira unknown subtype.
	expectError(t, p, oftest.Message(4, TypeVendor, x(), []byte{0, 0, 0x23, 0x20, 0, 0, 0x7f, 0}), 1, 4)
	// Vendor message too short.
	expectError(t, p, oftest.Message(4, TypeVendor, x(), []byte{0, 0}), 1, 6)
	// Unknown multipart type.
	expectError(t, p, oftest.Message(4, Type13MultipartRequest, x(), []byte{0, 77, 0, 0, 0, 0, 0, 0}), 1, 2)
	// Long message: the error carries the whole request, as OVS's.
	long := oftest.Message(4, 99, x(), make([]byte, 200))
	msg = expectError(t, p, long, 1, 1)
	if !bytes.Equal(msg[12:], long) {
		t.Fatalf("data % x", msg[12:])
	}
	// HELLO and ERROR after the handshake are BAD_TYPE (as OVS).
	expectError(t, p, oftest.Message(4, TypeHello, x()), 1, 1)
	expectError(t, p, oftest.Message(4, TypeError, x(), []byte{0, 1, 0, 1}), 1, 1)
	// SET_CONFIG with flags outside OFPC_FRAG_MASK.
	expectError(t, p, oftest.Message(4, TypeSetConfig, x(), []byte{0xff, 0, 0, 0x80}), 10, 0)
	// TABLE_MOD of the hidden table 254.
	expectError(t, p, oftest.Message(4, Type13TableMod, x(), []byte{0xfe, 0, 0, 0, 0, 0, 0, 0}), 8, 2)
	// Packet-out with a buffer id.
	po := oftest.Message(4, TypePacketOut, x(), []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0})
	expectError(t, p, po, 1, 8)
	// Packet-out whose actions_len runs past the end.
	po = oftest.Message(4, TypePacketOut, x(), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 99, 0, 0, 0, 0, 0, 0})
	expectError(t, p, po, 1, 6)
	// Role request with a bad role.
	expectError(t, p, oftest.Message(4, Type13RoleRequest, x(), []byte{0, 0, 0, 9, 0, 0, 0, 0}, make([]byte, 8)), 11, 2)
	// Still alive.
	if err := p.Echo(nil); err != nil {
		t.Fatal(err)
	}
}

func TestBadRequests10(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 1, 0)
	x := p.NextXid
	expectError(t, p, oftest.Message(1, 99, x()), 1, 1)
	// OF1.3-only Nicira message in OF1.0 is fine; OF1.0-only in 1.3 is not
	// (tested below). Unknown stats type.
	expectError(t, p, oftest.Message(1, Type10StatsRequest, x(), []byte{0, 77, 0, 0}), 1, 2)
	// Unknown vendor stats.
	expectError(t, p, oftest.Message(1, Type10StatsRequest, x(), []byte{0xff, 0xff, 0, 0, 0, 0, 0x11, 0x11}), 1, 3)
	// Nicira stats with an unknown subtype.
	expectError(t, p, oftest.Message(1, Type10StatsRequest, x(), []byte{0xff, 0xff, 0, 0, 0, 0, 0x23, 0x20, 0, 0, 0, 99, 0, 0, 0, 0}), 1, 4)
	// A 1.3-numbered error with a different 1.0 encoding:
	// OFPBRC_BAD_TABLE_ID is NXET_VENDOR(1,512) in OpenFlow 1.0.
	b := encodeError(1, 5, errBadTableID, []byte{1, 2})
	want := []byte{1, 1, 0, 22, 0, 0, 0, 5, 0xb0, 0xc2, 0, 0, 0, 0, 0x23, 0x20, 0, 1, 2, 0, 1, 2}
	if !bytes.Equal(b, want[:len(b)]) || len(b) != 22 {
		t.Fatalf("encoded % x", b)
	}
	// OFPFMFC_OVERLAP is (3,1) in 1.0 and (5,3) in 1.3.
	ov := &pipeline.Error{Type: 5, Code: 3}
	if b := encodeError(1, 1, ov, nil); b[9] != 3 || b[11] != 1 {
		t.Fatalf("overlap 1.0 % x", b)
	}
	if b := encodeError(4, 1, ov, nil); b[9] != 5 || b[11] != 3 {
		t.Fatalf("overlap 1.3 % x", b)
	}
	if err := p.Echo(nil); err != nil {
		t.Fatal(err)
	}
}

func TestNXOnlyIn10(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	// NXT_SET_FLOW_FORMAT is OpenFlow 1.0 only.
	expectError(t, p, oftest.Message(4, TypeVendor, p.NextXid(), []byte{0, 0, 0x23, 0x20, 0, 0, 0, 12, 0, 0, 0, 2}), 1, 4)
}

// TestFraming checks length fields out of range: the error, then the
// connection keeps working.
func TestFraming(t *testing.T) {
	env := newTestServer(t, func(c *Config) { c.MaxMessageLen = 1000 })
	p := dial(t, env, 4, 0)
	// Length 4 (< 8): BAD_LEN, the 8 header bytes are consumed.
	p.Send([]byte{4, 2, 0, 4, 0, 0, 0, 9})
	r, err := p.RecvXid(9, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r[1] != TypeError || binary.BigEndian.Uint16(r[8:]) != 1 || binary.BigEndian.Uint16(r[10:]) != 6 {
		t.Fatalf("reply % x", r)
	}
	if err := p.Echo([]byte("after short")); err != nil {
		t.Fatal(err)
	}
	// Length over the maximum: BAD_LEN, the body is skipped.
	big := oftest.Message(4, 2, 10, make([]byte, 1500))
	p.Send(big)
	r, err = p.RecvXid(10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r[1] != TypeError || binary.BigEndian.Uint16(r[10:]) != 6 {
		t.Fatalf("reply % x", r)
	}
	if err := p.Echo([]byte("after long")); err != nil {
		t.Fatal(err)
	}
}

func TestUnixListener(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "br0.mgmt")
	env := newTestServer(t, nil)
	if err := env.srv.Listen("punix:" + path); err != nil {
		t.Fatal(err)
	}
	p, err := oftest.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	// Taken: a second listener on the same path fails clearly.
	s2, _ := New(Config{Datapath: &fakeDP{}})
	defer s2.Close()
	err = s2.Listen("punix:" + path)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("want in-use error, got %v", err)
	}
	// A regular file is not replaced.
	f := filepath.Join(dir, "file")
	os.WriteFile(f, nil, 0o600)
	if err := s2.Listen("punix:" + f); err == nil {
		t.Fatal("listened on a regular file")
	}
	// A stale socket is replaced.
	stale := filepath.Join(dir, "stale")
	ln, _ := net.Listen("unix", stale)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if err := s2.Listen("punix:" + stale); err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	for _, bad := range []string{"tcp:1", "ptcp:x", "punix:", "foo"} {
		t.Run(bad, func(t *testing.T) {
			if err := s2.Listen(bad); err == nil {
				t.Fatalf("Listen(%q) succeeded", bad)
			}
		})
	}
}

func TestActiveConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := newTestServer(t, nil)
	if err := env.srv.Connect("tcp:" + ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	p := oftest.New(c)
	if _, err := p.Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	// Primary connections have miss_send_len 128.
	r, err := p.Request(oftest.Message(4, TypeGetConfigReq, 0))
	if err != nil || binary.BigEndian.Uint16(r[10:]) != 128 {
		t.Fatalf("get config % x %v", r, err)
	}
	// Reconnects after a close.
	c.Close()
	c, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p = oftest.New(c)
	if _, err := p.Handshake(1, 0); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ptcp:1", "tcp:", "tcp::x"} {
		t.Run(bad, func(t *testing.T) {
			if err := env.srv.Connect(bad); err == nil {
				t.Fatalf("Connect(%q) succeeded", bad)
			}
		})
	}
}

func TestInactivityProbe(t *testing.T) {
	env := newTestServer(t, func(c *Config) { c.ProbeInterval = 50 * time.Millisecond })
	p := dial(t, env, 4, 0)
	p.KeepEcho = true
	r, err := p.Recv()
	if err != nil || r[1] != TypeEchoRequest {
		t.Fatalf("want echo request, got % x %v", r, err)
	}
	// Not answering: the server closes the connection.
	p.Timeout = 2 * time.Second
	for {
		if _, err := p.Recv(); err != nil {
			break
		}
	}
	if env.srv.Stats.ProbeTimeouts.Load() == 0 {
		t.Fatal("no probe timeout counted")
	}
}

// TestSlowReader: a peer that sends requests and never reads is
// disconnected; another connection is unaffected.
func TestSlowReader(t *testing.T) {
	env := newTestServer(t, func(c *Config) {
		c.SendQueue = 16
		c.SendQueueBytes = 64 << 10
		c.WriteTimeout = 200 * time.Millisecond
	})
	slow, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.TCPConn).SetReadBuffer(4096)
	slow.Write(oftest.Hello(4, 0))
	good := dial(t, env, 4, 0)
	echo := oftest.Message(4, TypeEchoRequest, 1, make([]byte, 60000))
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 2000; i++ {
			slow.SetWriteDeadline(time.Now().Add(3 * time.Second))
			if _, err := slow.Write(echo); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	waitFor(t, "overflow", func() bool { return env.srv.Stats.QueueOverflows.Load() > 0 })
	if err := good.Echo([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	<-done
}

func TestRoles(t *testing.T) {
	env := newTestServer(t, nil)
	a := dial(t, env, 4, 0)
	b := dial(t, env, 4, 0)
	role := func(p *oftest.Peer, r uint32, gen uint64) ([]byte, error) {
		body := make([]byte, 16)
		binary.BigEndian.PutUint32(body, r)
		binary.BigEndian.PutUint64(body[8:], gen)
		return p.Request(oftest.Message(4, Type13RoleRequest, 0, body))
	}
	r, err := role(a, roleMaster, 10)
	if err != nil || binary.BigEndian.Uint32(r[8:]) != roleMaster || binary.BigEndian.Uint64(r[16:]) != 10 {
		t.Fatalf("master: % x %v", r, err)
	}
	// Stale generation id.
	if _, err := role(b, roleMaster, 9); err == nil {
		t.Fatal("stale generation accepted")
	}
	r, err = role(b, roleMaster, 11)
	if err != nil {
		t.Fatal(err)
	}
	// a was demoted.
	r, _ = role(a, roleNoChange, 0)
	if binary.BigEndian.Uint32(r[8:]) != roleSlave {
		t.Fatalf("a not demoted: % x", r)
	}
	// A slave cannot modify the switch.
	fm := flowModNoMatch(4)
	expectError(t, a, fm, 1, 10)
	// Equal role ignores the generation id.
	if _, err := role(a, roleEqual, 0); err != nil {
		t.Fatal(err)
	}
	// NX role request (1.0 framing too).
	c := dial(t, env, 1, 0)
	r, err = c.Request(oftest.Message(1, TypeVendor, 0, []byte{0, 0, 0x23, 0x20, 0, 0, 0, NXTRoleRequest, 0, 0, 0, 2}))
	if err != nil || binary.BigEndian.Uint32(r[16:]) != 2 || binary.BigEndian.Uint32(r[12:]) != NXTRoleReply {
		t.Fatalf("nx role % x %v", r, err)
	}
	expectError(t, c, oftest.Message(1, TypeVendor, c.NextXid(), []byte{0, 0, 0x23, 0x20, 0, 0, 0, NXTRoleRequest, 0, 0, 0, 7}), 0xb0c2, 0)
}

// flowModNoMatch is a 1.3 flow-mod add with an empty OXM match and no
// instructions.
func flowModNoMatch(v uint8) []byte {
	body := make([]byte, 40)
	binary.BigEndian.PutUint32(body[20:], 0xffffffff) // buffer_id
	binary.BigEndian.PutUint32(body[24:], 0xffffffff) // out_port
	binary.BigEndian.PutUint32(body[28:], 0xffffffff) // out_group
	match := []byte{0, 1, 0, 4, 0, 0, 0, 0}
	return oftest.Message(v, TypeFlowMod, 0, body, match)
}

func TestAsyncConfig(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	r, err := p.Request(oftest.Message(4, Type13GetAsyncRequest, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 7, 0, 0, 0, 0xf, 0, 0, 0, 0}
	if !bytes.Equal(r[8:], want) {
		t.Fatalf("default async % x", r[8:])
	}
	set := []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6}
	p.Send(oftest.Message(4, Type13SetAsync, p.NextXid(), set))
	r, _ = p.Request(oftest.Message(4, Type13GetAsyncRequest, 0))
	if !bytes.Equal(r[8:], set) {
		t.Fatalf("async % x", r[8:])
	}
	// SET_ASYNC on a service connection turns miss_send_len 0 into 128.
	r, _ = p.Request(oftest.Message(4, TypeGetConfigReq, 0))
	if binary.BigEndian.Uint16(r[10:]) != 128 {
		t.Fatalf("miss_send_len % x", r)
	}
}

func TestCtFlush(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	nx := func(sub uint32, body ...byte) []byte {
		h := []byte{0, 0, 0x23, 0x20, 0, 0, 0, byte(sub)}
		return oftest.Message(4, TypeVendor, 0, h, body)
	}
	p.Send(nx(NXTCtFlushZone, 0, 0, 0, 0, 0, 0, 0, 5))
	if err := p.Barrier(); err != nil {
		t.Fatal(err)
	}
	if len(env.ct.zones) != 1 || env.ct.zones[0] != 5 {
		t.Fatalf("zones %v", env.ct.zones)
	}
	expectError(t, p, nx(NXTCtFlushZone, 1, 0, 0, 0, 0, 0, 0, 5), 0xffff, 4)
	// NXT_CT_FLUSH: proto 17, orig tuple src 10.0.0.1 sport 53, zone 7.
	var body []byte
	body = append(body, 17, 0, 0, 0, 0, 0, 0, 0)
	inner := []byte{0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1, 0, 0, 0, 0} // src (padded)
	inner = append(inner, 0, 2, 0, 6, 0, 53, 0, 0)                                                  // src port
	outer := []byte{0, 0, 0, byte(8 + len(inner)), 0, 0, 0, 0}
	body = append(body, outer...)
	body = append(body, inner...)
	body = append(body, 0, 2, 0, 6, 0, 7, 0, 0) // zone
	p.Send(nx(NXTCtFlush, body...))
	if err := p.Barrier(); err != nil {
		t.Fatal(err)
	}
	if len(env.ct.filters) != 1 {
		t.Fatalf("filters %v", env.ct.filters)
	}
	f := env.ct.filters[0]
	if !f.HasZone || f.Zone != 7 || f.Proto != 17 || f.Orig.Src.String() != "10.0.0.1" || f.Orig.SrcPort != 53 || !f.Reply.IsZero() {
		t.Fatalf("filter %+v", f)
	}
	// Bad property length.
	expectError(t, p, nx(NXTCtFlush, 17, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 99, 0, 0, 0, 0), 13, 3)
}

func TestPortModAndStatus(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	body := make([]byte, 32)
	binary.BigEndian.PutUint32(body, 1)
	copy(body[8:], []byte{0xaa, 0x55, 0xaa, 0x55, 0, 0x10})
	binary.BigEndian.PutUint32(body[16:], 1) // PORT_DOWN
	binary.BigEndian.PutUint32(body[20:], 1)
	p.Send(oftest.Message(4, Type13PortMod, p.NextXid(), body))
	if err := p.Barrier(); err != nil {
		t.Fatal(err)
	}
	if env.ports.ports[0].Config != 1 {
		t.Fatal("port mod not applied")
	}
	binary.BigEndian.PutUint32(body, 9)
	expectError(t, p, oftest.Message(4, Type13PortMod, p.NextXid(), body), 7, 0)
	// Port status reaches a connection that asked for async messages.
	p.Send(oftest.Message(4, TypeSetConfig, p.NextXid(), []byte{0, 0, 0xff, 0xff}))
	p.Barrier()
	env.srv.PortStatus(PortModified, env.ports.Ports()[0])
	r, err := p.Recv()
	if err != nil || r[1] != TypePortStatus || r[8] != PortModified || len(r) != 80 {
		t.Fatalf("port status % x %v", r, err)
	}
}

func TestMultipartSplit(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	// Table features for 254 tables is several messages, all but the last
	// with MORE.
	parts, err := p.Multipart(oftest.Message(4, Type13MultipartRequest, 0, []byte{0, MPTableFeatures, 0, 0, 0, 0, 0, 0}))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	n := 0
	for i, m := range parts {
		if len(m) > 65535 || int(binary.BigEndian.Uint16(m[2:])) != len(m) {
			t.Fatalf("part %d length", i)
		}
		more := binary.BigEndian.Uint16(m[10:])&1 != 0
		if more != (i < len(parts)-1) {
			t.Fatalf("part %d more=%v", i, more)
		}
		for b := m[16:]; len(b) > 0; b = b[binary.BigEndian.Uint16(b):] {
			n++
		}
	}
	if n != 254 {
		t.Fatalf("%d tables", n)
	}
}

func TestBundle(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	ctrl := func(id uint32, typ, flags uint16) []byte {
		b := make([]byte, 16)
		binary.BigEndian.PutUint32(b, nxm.ONFVendorID)
		binary.BigEndian.PutUint32(b[4:], ONFTBundleControl)
		binary.BigEndian.PutUint32(b[8:], id)
		binary.BigEndian.PutUint16(b[12:], typ)
		binary.BigEndian.PutUint16(b[14:], flags)
		return oftest.Message(4, TypeVendor, 0, b)
	}
	r, err := p.Request(ctrl(1, bundleOpenReq, 1))
	if err != nil || binary.BigEndian.Uint16(r[20:]) != bundleOpenReply {
		t.Fatalf("open % x %v", r, err)
	}
	expectError(t, p, ctrl(1, bundleOpenReq, 1), 0xffff, 2302) // exists → BAD_ID (and removed)
	expectError(t, p, ctrl(1, bundleCommitReq, 1), 0xffff, 2302)
	expectError(t, p, ctrl(2, 99, 0), 0xffff, 2306)
	r, err = p.Request(ctrl(3, bundleOpenReq, 0))
	if err != nil {
		t.Fatal(err)
	}
	expectError(t, p, ctrl(3, bundleCloseReq, 1), 0xffff, 2307) // flags differ
	if _, err := p.Request(ctrl(4, bundleOpenReq, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Request(ctrl(4, bundleCloseReq, 0)); err != nil {
		t.Fatal(err)
	}
	// Adding to a closed bundle fails.
	add := func(id uint32, xid uint32, inner []byte) []byte {
		b := make([]byte, 16)
		binary.BigEndian.PutUint32(b, nxm.ONFVendorID)
		binary.BigEndian.PutUint32(b[4:], ONFTBundleAddMessage)
		binary.BigEndian.PutUint32(b[8:], id)
		return oftest.Message(4, TypeVendor, xid, b, inner)
	}
	inner := oftest.Message(4, TypeEchoRequest, 77)
	expectError(t, p, add(5, 77, inner), 0xffff, 2310) // unsupported message
	inner = oftest.Message(4, TypeEchoRequest, 78)
	expectError(t, p, add(5, 77, inner), 0xffff, 2309) // xid mismatch
	r, err = p.Request(ctrl(4, bundleDiscardReq, 0))
	if err != nil || binary.BigEndian.Uint16(r[20:]) != bundleDiscardRep {
		t.Fatalf("discard % x %v", r, err)
	}
}

func TestQueueAndMeters(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	r, err := p.Request(oftest.Message(4, Type13QueueGetConfig, 0, []byte{0, 0, 0, 1, 0, 0, 0, 0}))
	if err != nil || r[1] != Type13QueueGetReply || len(r) != 16 {
		t.Fatalf("queue config % x %v", r, err)
	}
	expectError(t, p, oftest.Message(4, Type13QueueGetConfig, p.NextXid(), []byte{0, 0, 0, 9, 0, 0, 0, 0}), 9, 0)
	mm := oftest.Message(4, Type13MeterMod, p.NextXid(), []byte{0, 0, 0, 0, 0, 0, 0, 1})
	expectError(t, p, mm, 12, 5) // neither kbps nor pktps: OFPMMFC_BAD_FLAGS, as OVS
	mm = oftest.Message(4, Type13MeterMod, p.NextXid(), []byte{0, 2, 0, 0, 0, 0, 0, 1})
	p.Send(mm)
	if err := p.Barrier(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []byte{MPMeter, MPMeterConfig} {
		parts, err := p.Multipart(oftest.Message(4, Type13MultipartRequest, 0, []byte{0, typ, 0, 0, 0, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}))
		if err != nil || len(parts) != 1 || len(parts[0]) != 16 {
			t.Fatalf("meter stats %d: %v", typ, err)
		}
	}
}

// TestServePipe runs the channel over net.Pipe with the scripted peer.
func TestServePipe(t *testing.T) {
	env := newTestServer(t, nil)
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		env.srv.Serve(a, false)
		close(done)
	}()
	p := oftest.New(b)
	if v, err := p.Handshake(1, 0); err != nil || v != 1 {
		t.Fatalf("handshake %d %v", v, err)
	}
	if err := p.Echo([]byte("pipe")); err != nil {
		t.Fatal(err)
	}
	parts, err := p.Multipart(oftest.Message(1, Type10StatsRequest, 0, []byte{0, MPDesc, 0, 0}))
	if err != nil || len(parts) != 1 || len(parts[0]) != 12+1056 {
		t.Fatalf("desc: %v %d", err, len(parts))
	}
	p.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the peer closed")
	}
}

// panicDP panics on every flow-mod.
type panicDP struct{ fakeDP }

func (*panicDP) FlowMod(*pipeline.FlowMod, int64) error { panic("boom") }

// TestPanicClosesOnlyThatConnection: a panic while handling a message is
// recovered at the connection boundary, counted, and closes that
// connection; the server and other connections go on.
func TestPanicClosesOnlyThatConnection(t *testing.T) {
	env := newTestServer(t, func(c *Config) { c.Datapath = &panicDP{} })
	a := dial(t, env, 4, 0)
	b := dial(t, env, 4, 0)
	a.Send(flowModNoMatch(4))
	if _, err := a.Recv(); err == nil {
		t.Fatal("connection survived a panic")
	}
	waitFor(t, "panic counted", func() bool { return env.srv.Stats.Panics.Load() == 1 })
	if err := b.Echo([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	c := dial(t, env, 1, 0)
	if err := c.Echo(nil); err != nil {
		t.Fatal(err)
	}
}

func TestSilentPeerBeforeHello(t *testing.T) {
	env := newTestServer(t, func(c *Config) { c.ProbeInterval = 30 * time.Millisecond })
	c, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 64)
	for {
		if _, err := c.Read(b); err != nil {
			break // closed by the server
		}
	}
	if env.srv.Stats.ProbeTimeouts.Load() == 0 {
		t.Fatal("silent peer not timed out")
	}
}

// TestHalfClose: replies to requests sent before the peer shut down its
// side still arrive.
func TestHalfClose(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	p.Send(oftest.Message(4, Type13MultipartRequest, 77, []byte{0, MPPortDesc, 0, 0, 0, 0, 0, 0}))
	p.Conn().(*net.TCPConn).CloseWrite()
	r, err := p.RecvXid(77, nil)
	if err != nil || r[1] != Type13MultipartReply || len(r) != 16+3*64 {
		t.Fatalf("reply % x %v", r, err)
	}
}

// TestMultipartRequestMore: a request in several parts (OFPMPF_REQ_MORE)
// is answered once, after its last part.
func TestMultipartRequestMore(t *testing.T) {
	env := newTestServer(t, nil)
	p := dial(t, env, 4, 0)
	// PORT_STATS for port 1, its body split over two messages.
	p.Send(oftest.Message(4, Type13MultipartRequest, 9, []byte{0, MPPortStats, 0, 1, 0, 0, 0, 0}, []byte{0, 0, 0, 1}))
	p.Send(oftest.Message(4, Type13MultipartRequest, 9, []byte{0, MPPortStats, 0, 0, 0, 0, 0, 0}, []byte{0, 0, 0, 0}))
	r, err := p.RecvXid(9, nil)
	if err != nil || r[1] != Type13MultipartReply || len(r) != 16+112 || binary.BigEndian.Uint32(r[16:]) != 1 {
		t.Fatalf("reply % x %v", r, err)
	}
	// A part of another type in the middle of a sequence: BAD_STAT.
	p.Send(oftest.Message(4, Type13MultipartRequest, 10, []byte{0, MPPortStats, 0, 1, 0, 0, 0, 0}))
	expectError(t, p, oftest.Message(4, Type13MultipartRequest, 10, []byte{0, MPDesc, 0, 0, 0, 0, 0, 0}), 1, 2)
	if err := p.Echo(nil); err != nil {
		t.Fatal(err)
	}
}

// TestConnectionTypes: a Controller row's type overrides the target's
// default, as OVS's get_controller_ofconn_type: a listener of a primary
// controller accepts primary connections (miss_send_len 128), an active
// service controller's connection is a service one (miss_send_len 0).
func TestConnectionTypes(t *testing.T) {
	env := newTestServer(t, nil)
	if err := env.srv.ListenPrimary("ptcp:0:127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	addr := env.srv.Addr(len(env.srv.lspecs) - 1).String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	missSendLen := func(p *oftest.Peer) uint16 {
		t.Helper()
		r, err := p.Request(oftest.Message(4, TypeGetConfigReq, 0))
		if err != nil || len(r) < 12 {
			t.Fatalf("get config % x %v", r, err)
		}
		return binary.BigEndian.Uint16(r[10:])
	}
	p := oftest.New(c)
	if _, err := p.Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	if got := missSendLen(p); got != 128 {
		t.Errorf("primary listener: miss_send_len %d, want 128", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := env.srv.ConnectWith("tcp:"+ln.Addr().String(), ControllerOptions{Service: true}); err != nil {
		t.Fatal(err)
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c2, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	p2 := oftest.New(c2)
	if _, err := p2.Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	if got := missSendLen(p2); got != 0 {
		t.Errorf("service controller: miss_send_len %d, want 0", got)
	}
}
