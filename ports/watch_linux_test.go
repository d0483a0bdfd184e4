package ports

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// nlLink builds one RTM_NEWLINK/RTM_DELLINK message.
func nlLink(typ uint16, index int32, flags uint32, name string) []byte {
	attr := make([]byte, 4+len(name)+1)
	binary.NativeEndian.PutUint16(attr[0:], uint16(len(attr)))
	binary.NativeEndian.PutUint16(attr[2:], unix.IFLA_IFNAME)
	copy(attr[4:], name)
	for len(attr)%4 != 0 {
		attr = append(attr, 0)
	}
	m := make([]byte, unix.NLMSG_HDRLEN+unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint16(m[4:], typ)
	ifi := m[unix.NLMSG_HDRLEN:]
	binary.NativeEndian.PutUint32(ifi[4:], uint32(index))
	binary.NativeEndian.PutUint32(ifi[8:], flags)
	m = append(m, attr...)
	binary.NativeEndian.PutUint32(m[0:], uint32(len(m)))
	return m
}

func TestLinkWatcherHandle(t *testing.T) {
	type ev struct {
		name string
		up   bool
	}
	var evs []ev
	w := &LinkWatcher{fn: func(n string, up bool) { evs = append(evs, ev{n, up}) }, state: map[int32]linkState{}}
	upf := uint32(unix.IFF_UP | unix.IFF_RUNNING)
	// Seeding (the dump) reports nothing.
	done := nlLink(unix.NLMSG_DONE, 0, 0, "")
	if !w.handle(append(nlLink(unix.RTM_NEWLINK, 3, upf, "veth0"), done...), false) || len(evs) != 0 {
		t.Fatal("dump", evs)
	}
	w.handle(nlLink(unix.RTM_NEWLINK, 3, upf, "veth0"), true) // no change
	w.handle(nlLink(unix.RTM_NEWLINK, 3, unix.IFF_UP, "veth0"), true)
	w.handle(nlLink(unix.RTM_NEWLINK, 3, upf, "veth0"), true)
	w.handle(nlLink(unix.RTM_NEWLINK, 4, unix.IFF_UP, "tap0"), true) // new, down
	w.handle(nlLink(unix.RTM_DELLINK, 3, upf, "veth0"), true)
	want := []ev{{"veth0", false}, {"veth0", true}, {"tap0", false}, {"veth0", false}}
	if len(evs) != len(want) {
		t.Fatal(evs)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Fatal(evs)
		}
	}
	if up, known := w.Up("tap0"); up || !known {
		t.Fatal(up, known)
	}
	if _, known := w.Up("veth0"); known {
		t.Fatal("deleted link still known")
	}
}

// FuzzNetlinkLink: any datagram from the routing socket is parsed without a
// panic or a loop; it reports at most one change per message, each with a
// name, and the watcher holds at most one link per message.
func FuzzNetlinkLink(f *testing.F) {
	f.Add(nlLink(unix.RTM_NEWLINK, 3, unix.IFF_UP|unix.IFF_RUNNING, "veth0"))
	f.Add(append(nlLink(unix.RTM_DELLINK, 3, 0, "x"), nlLink(unix.NLMSG_DONE, 0, 0, "")...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs := 0
		w := &LinkWatcher{fn: func(name string, _ bool) {
			if name == "" {
				t.Fatal("a change reported without a name")
			}
			evs++
		}, state: map[int32]linkState{}}
		w.handle(b, true)
		msgs := len(b) / unix.NLMSG_HDRLEN
		if evs > msgs || len(w.state) > msgs {
			t.Fatalf("%d changes reported, %d links held, from %d bytes", evs, len(w.state), len(b))
		}
	})
}

// FuzzAuxData: control-message parsing of received frames.
func FuzzAuxData(f *testing.F) {
	b := make([]byte, cmsgLen)
	binary.NativeEndian.PutUint64(b[0:], 16+20)
	binary.NativeEndian.PutUint32(b[8:], unix.SOL_PACKET)
	binary.NativeEndian.PutUint32(b[12:], unix.PACKET_AUXDATA)
	binary.NativeEndian.PutUint32(b[16:], unix.TP_STATUS_VLAN_VALID)
	f.Add(b)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		// auxData reads through unsafe pointers: give it 8-aligned memory
		// as the kernel does.
		buf := make([]uint64, (len(b)+7)/8+1)
		al := unsafeBytes(buf)[:len(b)]
		copy(al, b)
		if a, ok := auxData(al); ok && a == nil {
			t.Fatal("ok without data")
		}
	})
}

func unsafeBytes(u []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), len(u)*8)
}
