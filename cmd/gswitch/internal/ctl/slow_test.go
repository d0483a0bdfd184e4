package ctl

import (
	"net"
	"strings"
	"testing"
	"time"
)

// A client that asks for a large reply and never reads it holds neither the
// server nor other clients, and loses its connection after WriteTimeout.
func TestSlowClientDropped(t *testing.T) {
	old := WriteTimeout
	WriteTimeout = 300 * time.Millisecond
	defer func() { WriteTimeout = old }()
	s, p := newTestServer(t)
	big := strings.Repeat("x", 16<<20) // far more than a socket buffer
	s.Register("big", "", 0, 0, func([]string) (string, error) { return big, nil })

	c, err := net.Dial("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(`{"id":1,"method":"big","params":[]}`)); err != nil {
		t.Fatal(err)
	}
	// The server is writing the reply, blocked on the client.
	deadline := time.Now().Add(5 * time.Second)
	for s.busy.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server never started the reply")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Other clients are answered meanwhile.
	if out, err := Dial(p, "version", nil, 2*time.Second); err != nil || out != "gswitch test\n" {
		t.Fatalf("version while a client stalls: %q, %v", out, err)
	}
	// The stalled write times out: the request is no longer busy and the
	// connection is gone from the server.
	for {
		s.connsMu.Lock()
		n := len(s.conns)
		s.connsMu.Unlock()
		if n == 0 && s.busy.Load() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stalled client still held after %v: %d connections, %d busy", 5*time.Second, n, s.busy.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the client reads is a cut reply, then the end.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got int
	buf := make([]byte, 1<<20)
	for {
		n, err := c.Read(buf)
		got += n
		if err != nil {
			break
		}
	}
	if got >= len(big) {
		t.Fatalf("stalled client read %d bytes, the whole reply", got)
	}
}
