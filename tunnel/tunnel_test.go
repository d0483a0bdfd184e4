package tunnel_test

import (
	"bytes"
	"net/netip"
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
	"gswitch/tunnel"
)

func TestParseConfigDefaults(t *testing.T) {
	c, w, err := tunnel.ParseConfig("t0", "vxlan", map[string]string{"remote_ip": "198.51.100.2"})
	if err != nil || len(w) != 0 {
		t.Fatal(err, w)
	}
	if c.DstPort != 4789 || c.TTL != 64 || !c.DontFragment || c.PTMode != tunnel.LegacyL2 || c.InKeyPresent || c.Csum {
		t.Errorf("defaults: %+v", c)
	}
	c, w, err = tunnel.ParseConfig("t1", "geneve", map[string]string{
		"remote_ip": "flow", "local_ip": "flow", "in_key": "0x10", "out_key": "flow", "key": "5",
		"ttl": "inherit", "tos": "inherit", "dst_port": "7000", "seq": "true", "packet_type": "ptap",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !c.RemoteFlow || !c.LocalFlow || c.InKey != 16 || !c.InKeyPresent || c.InKeyFlow || !c.OutKeyFlow ||
		!c.TTLInherit || !c.TOSInherit || c.DstPort != 7000 || c.PTMode != tunnel.PTAware {
		t.Errorf("parsed: %+v", c)
	}
	// seq is GRE's: a warning only, as OVS logs it.
	if len(w) != 1 || w[0] != "t1: unknown geneve argument 'seq'" {
		t.Errorf("warnings %q", w)
	}
}

// TestFindOrder: OVS's tnl_find order: a port with a fixed key before
// key=flow, a fixed remote before remote_ip=flow.
func TestFindOrder(t *testing.T) {
	mk := func(name string, of uint32, opts map[string]string) tunnel.Port {
		c, _, err := tunnel.ParseConfig(name, "geneve", opts)
		if err != nil {
			t.Fatal(err)
		}
		return tunnel.Port{OFPort: of, Config: &c}
	}
	ps, warns := tunnel.NewPorts([]tunnel.Port{
		mk("a", 1, map[string]string{"remote_ip": "flow", "key": "flow"}),
		mk("b", 2, map[string]string{"remote_ip": "198.51.100.2", "key": "flow"}),
		mk("c", 3, map[string]string{"remote_ip": "198.51.100.2", "key": "7"}),
		mk("d", 4, map[string]string{"remote_ip": "198.51.100.2", "key": "7", "local_ip": "198.51.100.1"}),
		mk("dup", 5, map[string]string{"remote_ip": "198.51.100.2", "key": "flow"}),
	})
	if len(warns) != 1 {
		t.Errorf("warnings %q", warns)
	}
	vp := tunnel.VPort{Type: tunnel.Geneve, Port: 6081}
	for _, tc := range []struct {
		src, dst uint32
		id       uint64
		want     uint32
	}{
		{0xc6336402, 0xc6336401, 7, 4},
		{0xc6336402, 0xc6336409, 7, 3},
		{0xc6336402, 0xc6336401, 8, 2},
		{0xc6336403, 0xc6336401, 7, 1},
	} {
		h := tunnel.Header{Src4: tc.src, Dst4: tc.dst, ID: tc.id}
		p, ok := ps.Find(vp, &h)
		if !ok || p.OFPort != tc.want {
			t.Errorf("%+v: got %d %v, want %d", tc, p.OFPort, ok, tc.want)
		}
	}
	h := tunnel.Header{Src4: 1, Dst4: 2, ID: 1}
	if _, ok := ps.Find(tunnel.VPort{Type: tunnel.VXLAN, Port: 4789}, &h); ok {
		t.Error("found a port on another vport")
	}
}

// TestEncapRoundTrip: what Encap builds, Pop and SetMetadata take back
// (options in other slots of another table mapping the same options too).
func TestEncapRoundTrip(t *testing.T) {
	tlv := captureTLV()
	for _, remote := range []string{"198.51.100.2", "2001:db8:100::2"} {
		c, _, err := tunnel.ParseConfig("g", "geneve", map[string]string{"remote_ip": remote, "key": "flow", "csum": "true"})
		if err != nil {
			t.Fatal(err)
		}
		inner := []byte("\x02\x00\x00\x00\x01\x02\x02\x00\x00\x00\x01\x01\x08\x06payload-payload-payload-payload-!")
		pk := packet.New(inner)
		packet.Parse(pk)
		pk.Key.W.SetTunID(0xabcdef)
		pk.Key.W.SetTunMisc(packet.TunFlagOAM, 0, 0)
		setMeta(pk, tlv, 1, "1122334455667788")
		setMeta(pk, tlv, 2, "99aabbcc")
		var f tunnel.Flow
		c.SendFlow(&pk.Key, &f)
		o := tunnel.Outer{SrcMAC: phyMAC, DstMAC: peerMAC, Src: local4}
		if f.Dst.Is6() {
			o.Src = local6
		}
		if err := tunnel.Encap(pk, &c, &f, tlv, &o, 12345); err != nil {
			t.Fatal(err)
		}
		out := packet.New(pk.Data)
		packet.Parse(out)
		var h tunnel.Header
		if d := tunnel.Pop(out, tunnel.Geneve, &h); d != tunnel.Pass {
			t.Fatalf("%s: pop %v %s", remote, d, h.Warning())
		}
		if !bytes.Equal(out.Data, inner) {
			t.Errorf("%s: inner %x", remote, out.Data)
		}
		if h.ID != 0xabcdef || h.Flags&tunnel.FlagOAM == 0 || h.Flags&tunnel.FlagCsum == 0 || h.SrcAddr() != o.Src || h.DstAddr() != f.Dst {
			t.Errorf("%s: header %+v", remote, h)
		}
		var other packet.TLVTable
		other.E[7] = packet.TLVEntry{Valid: true, Class: 0x0102, Type: 0x01, Len: 8, Slots: 1<<30 | 1<<31}
		other.E[9] = packet.TLVEntry{Valid: true, Class: 0x0103, Type: 0x81, Len: 4, Slots: 1 << 40}
		if d := h.SetMetadata(&out.Key, &out.Tun, &other); d != tunnel.Pass {
			t.Fatal(d)
		}
		if out.Tun.Present != 1<<7|1<<9 || out.Tun.Opts[30] != 0x11223344 || out.Tun.Opts[31] != 0x55667788 || out.Tun.Opts[40] != 0x99aabbcc {
			t.Errorf("%s: options %x %x", remote, out.Tun.Present, out.Tun.Opts)
		}
		if out.Key.W.TunFlags() != packet.TunFlagOAM || out.Key.W.TunID() != 0xabcdef {
			t.Errorf("%s: tunnel words", remote)
		}
		// Without the critical option's mapping the packet is dropped.
		other.E[9].Valid = false
		if d := h.SetMetadata(&out.Key, &out.Tun, &other); d != tunnel.DropMetadata {
			t.Errorf("%s: unmapped critical option: %v", remote, d)
		}
	}
}

// TestEncapOptionsTooLong: more than 252 bytes of options is refused (OVS
// has room for 252 only), never written past the header.
func TestEncapOptionsTooLong(t *testing.T) {
	var tlv packet.TLVTable
	for i := 0; i < 3; i++ {
		tlv.E[i] = packet.TLVEntry{Valid: true, Class: 1, Type: uint8(i), Len: 84, Slots: ((1 << 21) - 1) << (21 * i)}
	}
	pk := packet.New(make([]byte, 60))
	packet.Parse(pk)
	for i := 0; i < 3; i++ {
		pk.Tun.SetBytes(i, tlv.E[i].Slots, make([]byte, 84), bytes.Repeat([]byte{0xff}, 84))
	}
	c, _, _ := tunnel.ParseConfig("g", "geneve", map[string]string{"remote_ip": "198.51.100.2"})
	var f tunnel.Flow
	c.SendFlow(&pk.Key, &f)
	if err := tunnel.Encap(pk, &c, &f, &tlv, &tunnel.Outer{Src: local4}, 0); err != tunnel.ErrOptsTooLong {
		t.Errorf("err %v", err)
	}
}

func TestEncapDecapNoAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	tlv := captureTLV()
	cfgs := configs(t)
	sent, received := splitCapture(t)
	pool := packet.NewPool()
	inner := innerOf(t, sent[0])
	o := tunnel.Outer{SrcMAC: phyMAC, DstMAC: peerMAC, Src: local4}
	testutil.RequireNoAllocs(t, "Encap", func() {
		pk := pool.Get()
		pk.SetLen(copy(pk.RxSpace(), inner))
		packet.Parse(pk)
		setMeta2(pk, tlv)
		var f tunnel.Flow
		cfgs[10].SendFlow(&pk.Key, &f)
		if err := tunnel.Encap(pk, cfgs[10], &f, tlv, &o, 1); err != nil {
			t.Fatal(err)
		}
		pool.Put(pk)
	})
	ps := capturePortSet(t)
	var h tunnel.Header
	tlvOf := func(int) *packet.TLVTable { return tlv }
	ep := tunnel.Endpoint{MAC: phyMAC, Addr: local4}
	testutil.RequireNoAllocs(t, "Decap", func() {
		pk := pool.Get()
		pk.SetLen(copy(pk.RxSpace(), received[0]))
		packet.Parse(pk)
		vp, ok := ps.Recognize(&pk.Key, &ep)
		if !ok {
			t.Fatal("not recognized")
		}
		if _, d := ps.Decap(pk, vp, &h, tlvOf); d != tunnel.Pass {
			t.Fatal(d)
		}
		pool.Put(pk)
	})
}

func setMeta2(pk *packet.Packet, tlv *packet.TLVTable) {
	pk.Tun.SetBits(0, tlv.E[0].Slots, 0, 32, packet.U128{Lo: 0xaabbccdd})
}

// FuzzDecap: any frame, recognized or popped as either type, never panics;
// a popped frame is a suffix of the original, and its options fit.
func FuzzDecap(f *testing.F) {
	for i, fr := range readPcap(f, "testdata/capture.pcap") {
		f.Add(fr)
		if i < 4 && len(fr) > 60 {
			// The bad input TestPrivilegedTunnelEdgeGoldens sends: options
			// longer than the packet, Geneve version 1, a frame cut inside
			// the Geneve header, an inner frame of 5 bytes.
			for _, m := range []func(b []byte) []byte{
				func(b []byte) []byte { b[42] |= 0x3f; return b },
				func(b []byte) []byte { b[42] |= 0x40; return b },
				func(b []byte) []byte { return b[:46] },
				func(b []byte) []byte { return b[:50+5] },
			} {
				f.Add(m(append([]byte(nil), fr...)))
			}
		}
	}
	tlv := captureTLV()
	ps := capturePortSet(f)
	tlvOf := func(int) *packet.TLVTable { return tlv }
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, typ := range []tunnel.Type{tunnel.Geneve, tunnel.VXLAN} {
			pk := packet.New(frame)
			packet.Parse(pk)
			var h tunnel.Header
			if d := tunnel.Pop(pk, typ, &h); d == tunnel.Pass {
				if !bytes.HasSuffix(frame, pk.Data) || h.OptLen > tunnel.MaxGeneveOpts {
					t.Fatalf("pop: %x -> %x", frame, pk.Data)
				}
				_ = h.SetMetadata(&pk.Key, &pk.Tun, tlv)
			} else if d != tunnel.DropPop || !bytes.Equal(pk.Data, frame) {
				t.Fatalf("failed pop changed the frame or said %v", d)
			}
		}
		pk := packet.New(frame)
		packet.Parse(pk)
		for _, a := range []netip.Addr{local4, local6} {
			ep := tunnel.Endpoint{MAC: phyMAC, Addr: a}
			if vp, ok := ps.Recognize(&pk.Key, &ep); ok {
				var h tunnel.Header
				port, d := ps.Decap(pk, vp, &h, tlvOf)
				_ = h.Warning()
				if (d == tunnel.Pass || d == tunnel.DropMetadata) != (port.Config != nil) {
					t.Fatalf("decap said %v with port %+v", d, port)
				}
				break
			}
		}
	})
}
