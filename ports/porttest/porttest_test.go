package porttest_test

import (
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"gswitch/packet"
	"gswitch/ports"
	"gswitch/ports/porttest"
)

func frame(n int, b byte) []byte {
	f := make([]byte, n)
	for i := range f {
		f[i] = b
	}
	return f
}

func TestPair(t *testing.T) {
	a, b := porttest.Pair("a", "b")
	pool := packet.NewPool()
	out := []*packet.Packet{packet.New(frame(60, 1)), packet.New(frame(70, 2))}
	out[1].Off = packet.Offload{CsumStart: 34, CsumOffset: 16}
	if err := a.WriteBatch(out); err != nil {
		t.Fatal(err)
	}
	in := []*packet.Packet{pool.Get(), pool.Get(), pool.Get()}
	n, err := b.ReadBatch(in)
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	if len(in[0].Data) != 60 || in[0].Data[0] != 1 || len(in[1].Data) != 70 || in[1].Off.CsumStart != 34 ||
		in[1].Key.Flags&packet.FlagCsumPartial == 0 {
		t.Fatalf("got %d/%d bytes, off %+v", len(in[0].Data), len(in[1].Data), in[1].Off)
	}
	if s := a.Stats(); s.TxPackets != 2 || s.TxBytes != 130 {
		t.Fatalf("a %+v", s)
	}
	if s := b.Stats(); s.RxPackets != 2 || s.RxBytes != 130 {
		t.Fatalf("b %+v", s)
	}
	// And back.
	if err := b.WriteBatch(out[:1]); err != nil {
		t.Fatal(err)
	}
	if n, err := a.ReadBatch(in); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}

func TestQueueFullDrops(t *testing.T) {
	a, _ := porttest.Pair("a", "b", porttest.QueueLen(2))
	pk := packet.New(frame(60, 1))
	a.WriteBatch([]*packet.Packet{pk, pk, pk, pk})
	if s := a.Stats(); s.TxPackets != 2 || s.Drops[ports.DropTxFull] != 2 || s.TxDrops != 2 {
		t.Fatalf("%+v", s)
	}
}

// TestCloseUnblocks closes a port while a ReadBatch waits on it. It runs in
// a synctest bubble: synctest.Wait makes sure the reader is blocked before
// Close, and the two-second bound is on the bubble's fake time.
func TestCloseUnblocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, _ := porttest.Pair("a", "b")
		done := make(chan error)
		go func() {
			_, err := a.ReadBatch([]*packet.Packet{packet.NewPool().Get()})
			done <- err
		}()
		synctest.Wait()
		a.Close()
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatal(err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("still blocked")
		}
		if err := a.WriteBatch(nil); !errors.Is(err, net.ErrClosed) {
			t.Fatal(err)
		}
	})
}

func TestSingleAndLink(t *testing.T) {
	p := porttest.New("p")
	var events []bool
	p.Watch(func(name string, up bool) { events = append(events, up) })
	p.Inject(frame(64, 7), packet.Offload{})
	in := []*packet.Packet{packet.NewPool().Get()}
	if n, err := p.ReadBatch(in); n != 1 || err != nil || in[0].Data[0] != 7 {
		t.Fatal(n, err)
	}
	p.WriteBatch(in)
	if f := <-p.Sent(); len(f.Data) != 64 {
		t.Fatal(len(f.Data))
	}
	p.SetLinkUp(false)
	p.SetLinkUp(false)
	if p.LinkUp() {
		t.Fatal("up")
	}
	p.WriteBatch(in)
	if s := p.Stats(); s.Drops[ports.DropTxError] != 1 {
		t.Fatalf("%+v", s)
	}
	p.SetLinkUp(true)
	if len(events) != 2 || events[0] || !events[1] {
		t.Fatal(events)
	}
}

// TestNoOffloadSegments: a GSO frame written to a NoOffload port reaches
// the wire as segments.
func TestNoOffloadSegments(t *testing.T) {
	// Ethernet + IPv4 + TCP, 3000 bytes of payload, cut at 1000.
	f := make([]byte, 14+20+20+3000)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	ip[2], ip[3] = (20+20+3000)>>8, (20+20+3000)&0xff
	copy(ip[12:], []byte{198, 51, 100, 1, 198, 51, 100, 2})
	tcp := ip[20:]
	tcp[12] = 5 << 4
	tcp[13] = 0x10
	pk := packet.New(f)
	pk.Off = packet.Offload{CsumStart: 34, CsumOffset: 16, GSOType: ports.GSOTCPv4, GSOSize: 1000, HdrLen: 54}
	p := porttest.New("p", porttest.NoOffload())
	if err := p.WriteBatch([]*packet.Packet{pk}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		fr := <-p.Sent()
		if len(fr.Data) != 1054 || ports.HasOffload(&fr.Off) {
			t.Fatalf("segment %d: %d bytes, off %+v", i, len(fr.Data), fr.Off)
		}
	}
	if s := p.Stats(); s.TxSegmented != 1 || s.TxPackets != 3 {
		t.Fatalf("%+v", s)
	}
}
