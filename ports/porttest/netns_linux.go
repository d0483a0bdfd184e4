package porttest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// NetNS is a named network namespace made for a test with iproute2 (so that
// `ip netns exec NAME ...` reaches it too). Privileged tests only.
type NetNS struct {
	Name string
}

// NewNetNS creates namespace name (deleting a stale one of that name first)
// and brings its loopback up.
func NewNetNS(name string) (*NetNS, error) {
	exec.Command("ip", "netns", "del", name).Run()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ip netns add %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	n := &NetNS{Name: name}
	if _, err := n.IP("link", "set", "lo", "up"); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// Close deletes the namespace (and so every interface left in it).
func (n *NetNS) Close() error {
	if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", n.Name, err, bytes.TrimSpace(out))
	}
	return nil
}

// IP runs `ip -n NAME args...`.
func (n *NetNS) IP(args ...string) ([]byte, error) {
	out, err := exec.Command("ip", append([]string{"-n", n.Name}, args...)...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ip -n %s %v: %v: %s", n.Name, args, err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Exec runs a command inside the namespace (`ip netns exec NAME cmd...`).
func (n *NetNS) Exec(cmd ...string) ([]byte, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", n.Name}, cmd...)...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ip netns exec %s %v: %v: %s", n.Name, cmd, err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Do runs f on the calling goroutine with its OS thread switched into the
// namespace, and switches back. Sockets, TAPs and netlink sockets that f
// opens stay in the namespace afterwards, whichever thread uses them;
// goroutines that f starts do not run in it.
func (n *NetNS) Do(f func() error) error {
	target, err := unix.Open("/run/netns/"+n.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netns %s: %w", n.Name, err)
	}
	defer unix.Close(target)
	runtime.LockOSThread()
	orig, err := unix.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns %s: current namespace: %w", n.Name, err)
	}
	defer unix.Close(orig)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns %s: setns: %w", n.Name, err)
	}
	defer func() {
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		// Else the thread stays locked and dies with the goroutine, so no
		// other goroutine runs in the wrong namespace.
	}()
	return f()
}
