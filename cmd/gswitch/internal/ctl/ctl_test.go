package ctl

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T) (*Server, string) {
	t.Helper()
	s := NewServer()
	s.Register("version", "", 0, 0, func([]string) (string, error) { return "gswitch test\n", nil })
	s.Register("dpctl/echo", "[ARG...]", 1, 3, func(a []string) (string, error) { return strings.Join(a, ",") + "\n", nil })
	s.Register("fail", "", 0, 0, func([]string) (string, error) { return "", errors.New("it failed") })
	p := filepath.Join(t.TempDir(), "t.ctl")
	if err := s.Listen(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func TestDial(t *testing.T) {
	_, p := newTestServer(t)
	out, err := Dial(p, "dpctl/echo", []string{"a", "b"}, 2*time.Second)
	if err != nil || out != "a,b\n" {
		t.Fatalf("got %q, %v", out, err)
	}
	if _, err := Dial(p, "dpctl/echo", nil, 2*time.Second); err == nil ||
		err.Error() != "\"dpctl/echo\" command requires at least 1 arguments\n" {
		t.Fatalf("min args: %v", err)
	}
	if _, err := Dial(p, "dpctl/echo", []string{"1", "2", "3", "4"}, 2*time.Second); err == nil ||
		err.Error() != "\"dpctl/echo\" command takes at most 3 arguments\n" {
		t.Fatalf("max args: %v", err)
	}
	if _, err := Dial(p, "nope", nil, 2*time.Second); err == nil ||
		!strings.HasPrefix(err.Error(), "\"nope\" is not a valid command (use \"list-commands\"") {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := Dial(p, "fail", nil, 2*time.Second); err == nil || err.Error() != "it failed\n" {
		t.Fatalf("fail: %v", err)
	}
	out, err = Dial(p, "list-commands", nil, 2*time.Second)
	if err != nil || !strings.Contains(out, "  dpctl/echo              [ARG...]\n") || !strings.HasPrefix(out, "The available commands are:\n") {
		t.Fatalf("list: %q %v", out, err)
	}
}

func TestInUse(t *testing.T) {
	_, p := newTestServer(t)
	s2 := NewServer()
	if err := s2.Listen(p); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second listen on a live socket: %v", err)
	}
}

// TestOvsAppctl drives the socket with the real ovs-appctl when installed.
func TestOvsAppctl(t *testing.T) {
	if _, err := exec.LookPath("ovs-appctl"); err != nil {
		t.Skip("ovs-appctl not installed")
	}
	_, p := newTestServer(t)
	out, err := exec.Command("ovs-appctl", "-t", p, "dpctl/echo", "x", "y").CombinedOutput()
	if err != nil || string(out) != "x,y\n" {
		t.Fatalf("ovs-appctl: %q %v", out, err)
	}
	cmd := exec.Command("ovs-appctl", "-t", p, "fail")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "it failed") {
		t.Fatalf("ovs-appctl error: %q %v", out, err)
	}
}

func TestPipelinedRequests(t *testing.T) {
	s, _ := newTestServer(t)
	a, b := pipeConn()
	go s.Serve(a)
	b.Write([]byte(`{"id":1,"method":"version","params":[]}{"id":2,"method":"dpctl/echo","params":["q"]}`))
	dec := json.NewDecoder(b)
	for want := 1; want <= 2; want++ {
		var r Reply
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		if string(r.ID) != string(rune('0'+want)) || r.Result == nil {
			t.Fatalf("reply %d: %+v", want, r)
		}
	}
	b.Close()
}

func FuzzHandle(f *testing.F) {
	f.Add([]byte(`{"id":0,"method":"dpctl/echo","params":["a"]}`))
	f.Add([]byte(`{"id":"x","method":"help","params":[1,2]}`))
	f.Add([]byte(`{"id":0,"method":"dpctl/echo","params":[null]}`))
	f.Add([]byte(`[]`))
	s := NewServer()
	s.Register("dpctl/echo", "", 1, 3, func(a []string) (string, error) { return strings.Join(a, ","), nil })
	f.Fuzz(func(t *testing.T, b []byte) {
		var req Request
		if json.Unmarshal(b, &req) != nil {
			return
		}
		rep := s.Handle(&req)
		if (rep.Result == nil) == (rep.Error == nil) {
			t.Fatalf("reply must have exactly one of result and error: %+v", rep)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTooLong(t *testing.T) {
	s, _ := newTestServer(t)
	a, b := pipeConn()
	done := make(chan struct{})
	go func() { s.Serve(a); close(done) }()
	go func() {
		b.Write([]byte(`{"id":1,"method":"dpctl/echo","params":["`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < (MaxRequest>>16)+2; i++ {
			if _, err := b.Write(chunk); err != nil {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server kept reading an oversized request")
	}
	b.Close()
}
