package ofproto

import (
	"io"
	"net"
	"testing"
	"time"

	"gswitch/ofproto/oftest"
)

// acceptPeer accepts the switch's next connection on ln and completes an
// OpenFlow 1.3 handshake.
func acceptPeer(t *testing.T, ln net.Listener) (net.Conn, *oftest.Peer) {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := oftest.New(c)
	if _, err := p.Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	return c, p
}

// TestControllerOptionsInPlace: SetControllerOptions gives the running
// connection its new inactivity probe (an echo request comes after the
// new interval; the connection is not remade), as OVS's
// ofconn_reconfigure; and a controller that does not answer is dropped
// after twice the interval and reconnects.
func TestControllerOptionsInPlace(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := newTestServer(t, nil) // the server's own probe is off
	target := "tcp:" + ln.Addr().String()
	if env.srv.SetControllerOptions(target, ControllerOptions{}) {
		t.Error("SetControllerOptions of an unknown controller reported true")
	}
	if err := env.srv.ConnectWith(target, ControllerOptions{ProbeInterval: -1, MaxBackoff: time.Second}); err != nil {
		t.Fatal(err)
	}
	c, p := acceptPeer(t, ln)
	waitFor(t, "connected", func() bool {
		cs := env.srv.Controllers()
		return len(cs) == 1 && cs[0].Connected
	})
	// No probe yet: nothing arrives within 300 ms.
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if m, err := p.Recv(); err == nil {
		t.Fatalf("a message with the probe off: % x", m)
	}
	c.SetReadDeadline(time.Time{})
	start := time.Now()
	if !env.srv.SetControllerOptions(target, ControllerOptions{ProbeInterval: 200 * time.Millisecond}) {
		t.Fatal("SetControllerOptions: controller not found")
	}
	p.KeepEcho = true // the controller does not answer
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := p.Recv()
	if err != nil || m[1] != TypeEchoRequest {
		t.Fatalf("want an echo request on the same connection after the new probe interval, got % x %v", m, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("echo request after %v, want about 200ms", d)
	}
	// Unanswered: closed after as long again.
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("unanswered probe: connection not closed: %v", err)
	}
	acceptPeer(t, ln) // reconnects
}

// TestControllerMaxBackoff: a controller's max_backoff caps the reconnect
// back-off (1 s here: a peer that hangs up at once is redialled every
// second, where the default doubles to 2 s, 4 s, ...).
func TestControllerMaxBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := newTestServer(t, nil)
	// Default options first, then the cap set in place (as the database
	// changes it): the next back-off takes it.
	target := "tcp:" + ln.Addr().String()
	if err := env.srv.Connect(target); err != nil {
		t.Fatal(err)
	}
	env.srv.SetControllerOptions(target, ControllerOptions{MaxBackoff: time.Second})
	n := 0
	end := time.Now().Add(4500 * time.Millisecond)
	for time.Now().Before(end) {
		ln.(*net.TCPListener).SetDeadline(end)
		c, err := ln.Accept()
		if err != nil {
			break
		}
		n++
		c.Close()
	}
	// Capped at 1 s (+1/8 jitter): dials at 0, 1, 2, 3, 4 s; uncapped 0, 1, 3.
	if n < 4 {
		t.Errorf("%d dials in 4.5 s with max_backoff 1 s, want at least 4", n)
	}
}

// TestProtocolsChangeDropsConnections: as OVS, which builds a controller
// service again when the bridge's protocols change, SetProtocols closes
// every connection, active and passive, even one whose version stays
// allowed; the controller reconnects at once with the new versions. Setting the
// same versions again closes nothing.
func TestProtocolsChangeDropsConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := newTestServer(t, func(c *Config) { c.Protocols = 1<<1 | 1<<4 })
	target := "tcp:" + ln.Addr().String()
	if err := env.srv.Connect(target); err != nil {
		t.Fatal(err)
	}
	c, _ := acceptPeer(t, ln)
	pc, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := oftest.New(pc).Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", func() bool {
		cs := env.srv.Controllers()
		return len(cs) == 1 && cs[0].Connected
	})
	env.srv.SetProtocols(1<<1 | 1<<4) // unchanged: nothing closes
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); err == nil || err == io.EOF {
		t.Fatalf("the same protocols again closed the controller's connection (%v)", err)
	}
	changed := time.Now()
	env.srv.SetProtocols(1 << 4) // OpenFlow 1.3 stays allowed, yet both close
	for name, x := range map[string]net.Conn{"controller": c, "passive": pc} {
		x.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, x); err != nil {
			t.Errorf("%s connection not closed after a protocols change: %v", name, err)
		}
	}
	acceptPeer(t, ln) // the controller comes back at once, as a new rconn in OVS
	if d := time.Since(changed); d > 900*time.Millisecond {
		t.Errorf("the controller came back %v after the protocols change, want no back-off", d)
	}
}
