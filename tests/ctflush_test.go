package tests

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedCtFlushVsOVS runs the steps of
// tests/golden/flows/ctflush.steps (connections made by packet-out, then
// dpctl/flush-conntrack and ovs-ofctl ct-flush by reply tuples, NATed
// tuples, partial tuples, ICMP and IPv6 tuples) against gswitch and
// compares the transcript, each command's output and exit status and
// dump-conntrack after it, with OVS 3.1's (tests/ovsref/capture.sh
// ctflush, golden ctflush/transcript.txt).
func TestPrivilegedCtFlushVsOVS(t *testing.T) {
	tp := newTopo(t, "g11b", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/ctflush.flows"))
	exitOf := func(err error) int {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("running a step: %v", err)
		}
		return 0
	}
	var b strings.Builder
	for _, line := range strings.Split(golden.Load("flows/ctflush.steps"), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		w := strings.Fields(line)
		for i := range w {
			if w[i] == "''" {
				w[i] = ""
			}
		}
		var out string
		var err error
		switch w[0] {
		case "packet":
			hex, perr := py(tp.S, "packet", w[1])
			if perr != nil {
				t.Fatalf("traffic.py packet %s: %v\n%s", w[1], perr, hex)
			}
			tp.mustOfctl(t, "packet-out", "in_port=1 packet="+strings.TrimSpace(hex)+" actions=table")
			continue
		case "ofctl":
			out, err = tp.ofctl(w[1:]...)
		case "appctl":
			out, err = netns.Try("ovs-appctl", append([]string{"-t", tp.ctl}, w[1:]...)...)
		case "dump":
		default:
			t.Fatalf("bad step %q", line)
		}
		fmt.Fprintf(&b, "$ %s\n", line)
		if out = strings.TrimRight(out, "\n"); out != "" {
			b.WriteString(out + "\n")
		}
		fmt.Fprintf(&b, "(exit %d)\n", exitOf(err))
		b.WriteString(golden.Normalize(golden.KindConntrack, tp.appctl(t, "dpctl/dump-conntrack")))
	}
	// ovs-appctl names its target in its own error line (OVS: the daemon's
	// name, here the socket path) and OVS's daemon puts its program name
	// before a command's error; neither is the flush's doing.
	norm := func(s string) string {
		var out []string
		for _, l := range strings.Split(golden.Normalize(golden.KindPlain, s), "\n") {
			if strings.HasPrefix(l, "ovs-appctl: ") && strings.HasSuffix(l, ": server returned an error") {
				continue
			}
			out = append(out, strings.TrimPrefix(l, "ovs-vswitchd: "))
		}
		return strings.Join(out, "\n")
	}
	if got, want := norm(b.String()), norm(golden.Load("ctflush/transcript.txt")); got != want {
		t.Errorf("ctflush/transcript.txt differs from OVS 3.1's\n--- OVS (golden)\n%s\n--- gswitch\n%s", want, got)
	}
}
