package tests

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"gswitch/tests/netns"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func eventually(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitListen waits (at most 10 s) until something listens on port (proto
// "tcp" or "udp") in ns, so a client never races its server's start.
func waitListen(t *testing.T, ns *netns.NS, proto, port string) {
	t.Helper()
	flag := "-Hltn"
	if proto == "udp" {
		flag = "-Hlun"
	}
	if !eventually(10*time.Second, func() bool {
		out, err := ns.Try("ss", flag, "sport", "=", ":"+port)
		return err == nil && strings.TrimSpace(out) != ""
	}) {
		t.Fatalf("nothing listens on %s port %s in %s", proto, port, ns.Name)
	}
}
