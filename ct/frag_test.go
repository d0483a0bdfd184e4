package ct

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"gswitch/packet"
)

// fragments splits an IPv4 UDP datagram into n-byte pieces of IP payload.
func fragments(pk *packet.Packet, n int) []*packet.Packet {
	d := pk.Data
	l3 := int(pk.Key.L3)
	ihl := int(d[l3]&0xf) * 4
	payload := d[l3+ihl:]
	var out []*packet.Packet
	for off := 0; off < len(payload); off += n {
		end := min(off+n, len(payload))
		f := append([]byte(nil), d[:l3+ihl]...)
		f = append(f, payload[off:end]...)
		h := f[l3:]
		binary.BigEndian.PutUint16(h[2:], uint16(ihl+end-off))
		binary.BigEndian.PutUint16(h[4:], 0x1234)
		fo := uint16(off / 8)
		if end < len(payload) {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(h[6:], fo)
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:], checksum(h[:ihl], 0))
		fp := packet.New(f)
		packet.Parse(fp)
		out = append(out, fp)
	}
	return out
}

func TestFragments(t *testing.T) {
	tr := New(Config{})
	big := udpFrame(A, B, 5000, 53, 3000)
	frags := fragments(big, 1400)
	if len(frags) != 3 {
		t.Fatalf("%d fragments", len(frags))
	}
	now := int64(time.Second)
	var out []*packet.Packet
	for i, f := range frags {
		out = tr.Execute([]*packet.Packet{f}, out[:0], &commit, now)
		if i < len(frags)-1 && len(out) != 0 {
			t.Fatalf("fragment %d not held", i)
		}
	}
	if len(out) != 3 {
		t.Fatalf("%d fragments released", len(out))
	}
	for i, f := range out {
		if s := f.Key.CtState(); s != trk|nw {
			t.Errorf("fragment %d: %s", i, stateString(s))
		}
		if f.Key.W.CtNwSrc() == 0 && f.Key.W.CtNwDst() == 0 || f.Key.W.CtTpSrc() != 5000 {
			t.Errorf("fragment %d lacks the datagram's tuple", i)
		}
		if c, _, _ := cachedConn(f); c == nil {
			t.Errorf("fragment %d lacks the connection", i)
		}
	}
	if tr.Count() != 1 {
		t.Fatalf("count %d", tr.Count())
	}
	// The reply, also fragmented, is +est+rpl.
	rfr := fragments(udpFrame(B, A, 53, 5000, 2000), 1400)
	out = out[:0]
	for _, f := range rfr {
		out = tr.Execute([]*packet.Packet{f}, out, &commit, now)
	}
	if len(out) != 2 || out[0].Key.CtState() != trk|est|rpl {
		t.Fatalf("reply fragments: %d, %s", len(out), stateString(out[0].Key.CtState()))
	}
	// Disabled reassembly: fragments are +inv, as in OVS.
	tr.Frag().SetEnabled(false, false)
	f := fragments(big, 1400)[0]
	out = tr.Execute([]*packet.Packet{f}, out[:0], &commit, now)
	if len(out) != 1 || out[0].Key.CtState() != trk|inv {
		t.Fatalf("disabled: %d packets", len(out))
	}
	// A too-small fragment is refused: +inv.
	tr.Frag().SetEnabled(false, true)
	small := fragments(udpFrame(A, B, 5001, 53, 300), 104)[0]
	out = tr.Execute([]*packet.Packet{small}, out[:0], &commit, now)
	if len(out) != 1 || out[0].Key.CtState() != trk|inv {
		t.Fatalf("small fragment: %d", len(out))
	}
}

// TestFragmentsNAT: the reassembled datagram is translated and the
// translation is carried into every fragment.
func TestFragmentsNAT(t *testing.T) {
	tr := New(Config{})
	frags := fragments(udpFrame(A, B, 5000, 53, 3000), 1400)
	p := Params{Commit: true, NAT: natTo(NATSrc, X, 0, 0)}
	var out []*packet.Packet
	for _, f := range frags {
		out = tr.Execute([]*packet.Packet{f}, out, &p, int64(time.Second))
	}
	if len(out) != 3 {
		t.Fatalf("%d fragments", len(out))
	}
	for i, f := range out {
		d := f.Data[f.Key.L3:]
		if s := f.Key.CtState(); s != trk|nw|snat {
			t.Errorf("fragment %d: %s", i, stateString(s))
		}
		if checksum(d[:20], 0) != 0 || netip.AddrFrom4([4]byte(d[12:16])).String() != X {
			t.Errorf("fragment %d: source %s", i, netip.AddrFrom4([4]byte(d[12:16])))
		}
	}
}
