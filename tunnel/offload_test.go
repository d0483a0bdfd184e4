package tunnel_test

import (
	"encoding/binary"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tunnel"
)

// geneveFrame encapsulates inner for 198.51.100.2 (options:csum as csum)
// and returns the parsed outer frame, its offload empty.
func geneveFrame(t *testing.T, inner []byte, csum bool) *packet.Packet {
	t.Helper()
	opts := map[string]string{"remote_ip": "198.51.100.2", "key": "flow"}
	if csum {
		opts["csum"] = "true"
	}
	c, _, err := tunnel.ParseConfig("g", "geneve", opts)
	if err != nil {
		t.Fatal(err)
	}
	pk := pkttest.Parsed(inner)
	var f tunnel.Flow
	c.SendFlow(&pk.Key, &f)
	if err := tunnel.Encap(pk, &c, &f, nil, &tunnel.Outer{SrcMAC: phyMAC, DstMAC: peerMAC, Src: local4}, 1); err != nil {
		t.Fatal(err)
	}
	return pkttest.Parsed(pk.Data)
}

// Pop carries an offload of the inner frame over to it (the offsets less
// the outer headers) and drops one of the outer headers: a partial outer
// UDP checksum (the sending stack on this host left it to the device) is
// not verified.
func TestPopOffload(t *testing.T) {
	inner := pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, "PA", 1, 2, make([]byte, 100))
	const hl = 14 + 20 + 8 + 8

	// An inner partial checksum and GSO stay, moved.
	pk := geneveFrame(t, inner, false)
	pk.Off = packet.Offload{CsumStart: hl + 34, CsumOffset: 16, GSOType: 1, GSOSize: 50, HdrLen: hl + 54}
	pk.Key.Flags |= packet.FlagCsumPartial
	var h tunnel.Header
	if d := tunnel.Pop(pk, tunnel.Geneve, &h); d != tunnel.Pass {
		t.Fatalf("pop: %v %s", d, h.Warning())
	}
	if want := (packet.Offload{CsumStart: 34, CsumOffset: 16, GSOType: 1, GSOSize: 50, HdrLen: 54}); pk.Off != want || pk.Key.Flags&packet.FlagCsumPartial == 0 {
		t.Errorf("inner offload %+v (flags %#x), want %+v", pk.Off, pk.Key.Flags, want)
	}

	// A partial outer UDP checksum: not verified, gone with the header.
	pk = geneveFrame(t, inner, true)
	u := pk.Data[34:]
	binary.BigEndian.PutUint16(u[6:], packet.Fold(packet.PseudoSumIPHeader(pk.Data[14:], false, 17, len(u))))
	pk.Off = packet.Offload{CsumStart: 34, CsumOffset: 6}
	pk.Key.Flags |= packet.FlagCsumPartial
	if d := tunnel.Pop(pk, tunnel.Geneve, &h); d != tunnel.Pass {
		t.Fatalf("pop of a partial outer checksum: %v %s", d, h.Warning())
	}
	if pk.Off != (packet.Offload{}) || pk.Key.Flags&packet.FlagCsumPartial != 0 || h.Flags&tunnel.FlagCsum == 0 {
		t.Errorf("outer offload left %+v (flags %#x), header flags %#x", pk.Off, pk.Key.Flags, h.Flags)
	}
	if string(pk.Data) != string(inner) {
		t.Errorf("inner frame %x", pk.Data)
	}

	// The same checksum without the offload is wrong: dropped.
	pk = geneveFrame(t, inner, true)
	u = pk.Data[34:]
	binary.BigEndian.PutUint16(u[6:], packet.Fold(packet.PseudoSumIPHeader(pk.Data[14:], false, 17, len(u))))
	if d := tunnel.Pop(pk, tunnel.Geneve, &h); d != tunnel.DropPop || h.Reason() != tunnel.ReasonUDPCsum {
		t.Errorf("pop of a bad outer checksum: %v %v", d, h.Reason())
	}
}

// Reencap of the headers Encap made for one frame gives another frame of
// the same flow the headers Encap would give it (lengths, IPv4 header
// checksum, UDP checksum over IPv4 with csum and over IPv6).
func TestReencap(t *testing.T) {
	for _, c := range []struct {
		remote string
		csum   bool
	}{{"198.51.100.2", false}, {"198.51.100.2", true}, {"2001:db8:100::2", false}} {
		opts := map[string]string{"remote_ip": c.remote, "key": "flow"}
		if c.csum {
			opts["csum"] = "true"
		}
		cfg, _, err := tunnel.ParseConfig("g", "geneve", opts)
		if err != nil {
			t.Fatal(err)
		}
		o := tunnel.Outer{SrcMAC: phyMAC, DstMAC: peerMAC, Src: local4}
		if cfg.Remote.Is6() {
			o.Src = local6
		}
		enc := func(n int) (*packet.Packet, int) {
			pk := pkttest.Parsed(pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, "A", 1, 2, make([]byte, n)))
			l := len(pk.Data)
			var f tunnel.Flow
			cfg.SendFlow(&pk.Key, &f)
			if err := tunnel.Encap(pk, &cfg, &f, nil, &o, 7); err != nil {
				t.Fatal(err)
			}
			return pk, len(pk.Data) - l
		}
		a, hl := enc(1000)
		want, _ := enc(333)
		pk := pkttest.Parsed(pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, "A", 1, 2, make([]byte, 333)))
		if err := tunnel.Reencap(pk, a.Data[:hl]); err != nil {
			t.Fatal(err)
		}
		if string(pk.Data) != string(want.Data) {
			t.Errorf("%s csum=%v: Reencap\n%x\nEncap\n%x", c.remote, c.csum, pk.Data[:hl], want.Data[:hl])
		}
	}
	if err := tunnel.Reencap(packet.New(make([]byte, 60)), make([]byte, 42)); err != tunnel.ErrTemplate {
		t.Errorf("short template: %v", err)
	}
}
