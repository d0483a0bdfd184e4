package ofproto

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"gswitch/ofproto/oftest"
)

// TestControllersStatusAndDisconnect: an active controller reports its
// state as OVS's Controller columns need it (connected, role other, ACTIVE;
// BACKOFF with the connect error when nobody listens), Disconnect closes
// it and stops reconnecting, and SetProtocols changes what later
// handshakes offer.
func TestControllersStatusAndDisconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := newTestServer(t, nil)
	target := "tcp:" + ln.Addr().String()
	if err := env.srv.Connect(target); err != nil {
		t.Fatal(err)
	}
	if err := env.srv.Connect(target); err == nil {
		t.Error("a second Connect to the same target succeeded")
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := oftest.New(c).Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", func() bool {
		cs := env.srv.Controllers()
		return len(cs) == 1 && cs[0].Connected && cs[0].Role == "other" && cs[0].State == "ACTIVE"
	})

	// Nobody listens on a closed port: BACKOFF, connection refused.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadTarget := "tcp:" + dead.Addr().String()
	dead.Close()
	if err := env.srv.Connect(deadTarget); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "backoff", func() bool {
		for _, cs := range env.srv.Controllers() {
			if cs.Target == deadTarget {
				return !cs.Connected && cs.State == "BACKOFF" && errors.Is(cs.LastError, syscall.ECONNREFUSED)
			}
		}
		return false
	})

	// A new datapath id: the controller is made to reconnect and learns it.
	env.srv.SetDatapathID(0xb1)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("after SetDatapathID the connection was not closed: %v", err)
	}
	c.Close()
	c, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := oftest.New(c)
	if _, err := p.Handshake(4, 0); err != nil {
		t.Fatal(err)
	}
	r, err := p.Request(oftest.Message(4, TypeFeaturesReq, 0))
	if err != nil || len(r) < 16 || binary.BigEndian.Uint64(r[8:]) != 0xb1 {
		t.Fatalf("features reply after SetDatapathID: % x %v", r, err)
	}
	waitFor(t, "reconnected", func() bool {
		for _, cs := range env.srv.Controllers() {
			if cs.Target == target {
				return cs.Connected
			}
		}
		return false
	})

	if !env.srv.Disconnect(target) || env.srv.Disconnect(target) {
		t.Fatal("Disconnect: true once, then false")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			if err != io.EOF {
				t.Errorf("after Disconnect the connection was not closed: %v", err)
			}
			break
		}
	}
	env.srv.Disconnect(deadTarget)
	if cs := env.srv.Controllers(); len(cs) != 0 {
		t.Errorf("controllers left: %+v", cs)
	}

	// OpenFlow 1.3 only from now on: a 1.0-only hello is refused.
	env.srv.SetProtocols(1 << 4)
	nc, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := oftest.New(nc).Handshake(1, 0); err == nil {
		t.Error("an OpenFlow 1.0 handshake succeeded after SetProtocols(1.3 only)")
	}
}
