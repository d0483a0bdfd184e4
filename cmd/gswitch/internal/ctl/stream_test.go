package ctl

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// lineWriter hands each write to a channel.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

func TestStream(t *testing.T) {
	s, p := newTestServer(t)
	gone := make(chan struct{})
	// tick writes one line per value of its argument, waiting for release
	// between lines, or (one reply) returns them all.
	release := make(chan struct{}, 10)
	s.RegisterStream("tick", "N", 1, 1, func(a []string, st Stream) (string, error) {
		if a[0] == "bad" {
			return "", &RemoteError{Msg: "bad tick"}
		}
		if !st.Streaming() {
			return "one\ntwo\n", nil
		}
		if err := st.Start(); err != nil {
			return "", err
		}
		for _, w := range strings.Split(a[0], ",") {
			select {
			case <-release:
			case <-st.Done():
				close(gone)
				return "", nil
			}
			if err := st.Write(w + "\n"); err != nil {
				return "", err
			}
		}
		return "end\n", nil
	})
	// A streaming client gets each line as it is written, then the result.
	w := make(lineWriter, 10)
	errc := make(chan error, 1)
	go func() { errc <- DialStream(p, "tick", []string{"a,b"}, 2*time.Second, w) }()
	for _, want := range []string{"a\n", "b\n"} {
		release <- struct{}{}
		select {
		case got := <-w:
			if got != want {
				t.Fatalf("stream got %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no stream output")
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := <-w; got != "end\n" {
		t.Fatalf("result %q", got)
	}
	// A one-reply client (ovs-appctl, Dial) gets the handler's result; so
	// does Call.
	if out, err := Dial(p, "tick", []string{"x"}, 2*time.Second); err != nil || out != "one\ntwo\n" {
		t.Fatalf("one reply: %q %v", out, err)
	}
	if out, err := s.Call("tick", []string{"x"}); err != nil || out != "one\ntwo\n" {
		t.Fatalf("call: %q %v", out, err)
	}
	var sb strings.Builder
	if err := DialStream(p, "tick", []string{"bad"}, 2*time.Second, &sb); err == nil || err.Error() != "bad tick\n" {
		t.Fatalf("error reply: %v", err)
	}
	// Non-streaming commands answer DialStream once.
	sb.Reset()
	if err := DialStream(p, "version", nil, 2*time.Second, &sb); err != nil || sb.String() != "gswitch test\n" {
		t.Fatalf("plain command over DialStream: %q %v", sb.String(), err)
	}
	// A client that goes away ends the command.
	c, err := net.Dial("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, `{"id":1,"method":"tick","params":["a"],"stream":true}`)
	buf := make([]byte, 100)
	n, _ := c.Read(buf)
	if got := string(buf[:n]); got != `{"id":null,"method":"stream","params":[]}` {
		t.Fatalf("start notification %q", got)
	}
	c.Close()
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not see the client go")
	}
}
