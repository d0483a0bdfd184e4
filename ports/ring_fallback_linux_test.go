package ports

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/tests/netns"
)

// TestPrivilegedRingFallback: when the ring cannot be set up (here: a ring
// of 2^30 slots, whose block table alone is over kmalloc's limit, so the
// kernel refuses it at once with ENOMEM, or EINVAL on kernels that check
// the size first), IOAuto logs one line naming the port and the reason
// and the port works through recvmmsg/sendmmsg, saying so; IORing instead
// fails with the reason.
func TestPrivilegedRingFallback(t *testing.T) {
	netns.Require(t)
	saved := autoIO
	autoIO = IORing
	t.Cleanup(func() { autoIO = saved })
	ns := netns.New(t, "s8b-fb")
	ns.Must(t, "ip", "link", "add", "s8bfba", "type", "veth", "peer", "name", "s8bfbb")
	ns.Must(t, "ip", "link", "set", "s8bfba", "up")
	ns.Must(t, "ip", "link", "set", "s8bfbb", "up")
	var mu sync.Mutex
	var logs []string
	logf := func(f string, a ...any) { mu.Lock(); logs = append(logs, fmt.Sprintf(f, a...)); mu.Unlock() }
	open := func(name string, opts ...Option) (Port, error) {
		var p Port
		err := ns.Do(func() (err error) { p, err = OpenAFPacket(name, opts...); return err })
		return p, err
	}
	if _, err := open("s8bfba", WithIO(IORing), WithRingFrames(1<<30)); err == nil || !strings.Contains(err.Error(), "PACKET_RX_RING") || !strings.Contains(err.Error(), "s8bfba") {
		t.Fatalf("forced ring of 2^30 slots: %v", err)
	}
	a, err := open("s8bfba", WithRingFrames(1<<30), WithLogf(logf))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	mode, why := IOOf(a)
	if mode != IOMmsg || !strings.Contains(why, "PACKET_RX_RING") || KindOf(a, "afpacket") != "afpacket mmsg" {
		t.Fatalf("fallback port: %q (%s)", mode, why)
	}
	if len(logs) != 1 || !strings.Contains(logs[0], `"s8bfba"`) || !(strings.Contains(logs[0], "cannot allocate memory") || strings.Contains(logs[0], "invalid argument")) || !strings.Contains(logs[0], "recvmmsg/sendmmsg") {
		t.Fatalf("logs %q", logs)
	}
	// The default (auto, with the ring preferred) gets the ring.
	b, err := open("s8bfbb", WithLogf(logf))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if mode, _ := IOOf(b); mode != IORing || len(logs) != 1 {
		t.Fatalf("default port: %q, logs %q", mode, logs)
	}
	// Both work: frames each way.
	pool := packet.NewPool()
	for _, d := range []struct{ from, to Port }{{a, b}, {b, a}} {
		f := make([]byte, 60)
		copy(f, []byte{2, 0xbb, 0, 0, 0, 1})
		copy(f[6:], d.from.HWAddr())
		f[12], f[13] = 0x88, 0xb5
		copy(f[14:], "fallback")
		if err := d.from.WriteBatch([]*packet.Packet{packet.New(f)}); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			pkts := []*packet.Packet{pool.Get(), pool.Get(), pool.Get(), pool.Get()}
			for {
				n, err := d.to.ReadBatch(pkts)
				if err != nil {
					got <- err.Error()
					return
				}
				for _, pk := range pkts[:n] {
					if len(pk.Data) >= 22 && pk.Data[12] == 0x88 && pk.Data[13] == 0xb5 {
						got <- string(pk.Data[14:22])
						return
					}
				}
			}
		}()
		select {
		case s := <-got:
			if s != "fallback" {
				t.Fatalf("%s read %q", d.to.Name(), s)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: nothing from %s", d.to.Name(), d.from.Name())
		}
	}
}
