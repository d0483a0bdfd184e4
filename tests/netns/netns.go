// Package netns is the namespace test harness: it makes network namespaces
// and veth pairs with a per-test prefix, runs commands in them, starts the
// real gswitch binary there, runs Go code inside them (NS.Do), and removes
// all of it when the test ends. The end-to-end tests in tests/ and the
// privileged port tests in ports/ both use it.
//
// Tests using it are named TestPrivileged* and call Require first, which
// skips unless GSWITCH_PRIV=1 (set by `make test`, which runs as root).
package netns

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Require skips t unless privileged tests are enabled.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("GSWITCH_PRIV") != "1" {
		t.Skip("privileged namespace test: set GSWITCH_PRIV=1 (make test does) and run as root")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// Bin returns the gswitch binary to test ($GSWITCH_BIN, else bin/gswitch
// from the repository top), failing the test when there is none.
func Bin(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("GSWITCH_BIN"); b != "" {
		return b
	}
	wd, _ := os.Getwd()
	for d := wd; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			b := filepath.Join(d, "bin", "gswitch")
			if _, err := os.Stat(b); err == nil {
				return b
			}
			break
		}
	}
	t.Fatal("no gswitch binary: run `make build` or set GSWITCH_BIN")
	return ""
}

// Run runs a command in the root namespace (for `ip` itself) and returns its
// combined output; it fails the test on error.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := Try(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs a command with a 60 s bound and returns its combined output.
func Try(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// NS is one network namespace made by a test.
type NS struct{ Name string }

// New makes namespace name, removed at cleanup (with whatever interfaces
// are in it; a failure to remove it fails the test). Loopback is brought up.
func New(t testing.TB, name string) *NS {
	t.Helper()
	Try("ip", "netns", "del", name) // a leftover from a killed run
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := Try("ip", "netns", "del", name); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	ns := &NS{Name: name}
	ns.Must(t, "ip", "link", "set", "lo", "up")
	// No router solicitations, no DAD delays: tests start at once.
	ns.Try("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	return ns
}

// Try runs a command in the namespace.
func (n *NS) Try(name string, args ...string) (string, error) {
	return Try("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Must runs a command in the namespace and fails the test on error.
func (n *NS) Must(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := n.Try(name, args...)
	if err != nil {
		t.Fatalf("[%s] %s %s: %v\n%s", n.Name, name, strings.Join(args, " "), err, out)
	}
	return out
}

// Cmd returns an unstarted command in the namespace.
// The command runs in its own process group; cancelling ctx signals the
// whole group (so children such as the one `timeout` starts go too), and
// Wait gives up on its output pipes 3 s after that.
func (n *NS) Cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 3 * time.Second
	return cmd
}

// Veth makes a veth pair with end a in namespace na and end b in nb, both up.
func Veth(t testing.TB, a string, na *NS, b string, nb *NS) {
	t.Helper()
	Run(t, "ip", "link", "add", a, "netns", na.Name, "type", "veth", "peer", "name", b, "netns", nb.Name)
	na.Must(t, "ip", "link", "set", a, "up")
	nb.Must(t, "ip", "link", "set", b, "up")
}

// Addr adds an address (CIDR) to dev in the namespace; IPv6 without DAD.
func (n *NS) Addr(t testing.TB, dev, cidr string) {
	t.Helper()
	args := []string{"addr", "add", cidr, "dev", dev}
	if strings.Contains(cidr, ":") {
		args = append(args, "nodad")
	}
	n.Must(t, "ip", args...)
}

// Proc is a background process started by a test, stopped by PID at cleanup.
type Proc struct {
	Cmd *exec.Cmd
	Out *bytes.Buffer
	// done is closed when the process has exited.
	done chan struct{}
	err  error
}

// Start starts a long-running command in the namespace. It is sent SIGTERM
// (then SIGKILL after 5 s) at cleanup, and its output is logged on failure.
func (n *NS) Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	var out bytes.Buffer
	w := &syncWriter{b: &out}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{Cmd: cmd, Out: &out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("output of %s %s:\n%s", name, strings.Join(args, " "), w.String())
		}
	})
	return p
}

// Stop terminates the process (TERM, then KILL after 5 s) and waits.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the process printed so far.
func (p *Proc) Output() string {
	if w, ok := p.Cmd.Stdout.(*syncWriter); ok {
		return w.String()
	}
	return ""
}

// Eventually polls cond every 100 ms until it is true or timeout passes.
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Ofctl runs ovs-ofctl in the namespace (args as for ovs-ofctl).
func (n *NS) Ofctl(args ...string) (string, error) {
	return n.Try("timeout", append([]string{"20", "ovs-ofctl"}, args...)...)
}

// Errorf is fmt.Errorf, for helpers' messages.
var Errorf = fmt.Errorf
