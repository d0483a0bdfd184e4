package tunnel_test

import (
	"net/netip"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tunnel"
)

// benchInner is a full-size TCP segment as a VM with a 1450-byte MTU sends.
func benchInner() []byte {
	return pkttest.TCP4("203.0.113.1", "203.0.113.2", 19650, 19651, "A", 1, 2, make([]byte, 1398))
}

// BenchmarkEncap: SendFlow and Encap of a 1464-byte frame, Geneve over
// IPv4 (no options, no UDP checksum) and over IPv6 (UDP checksum).
func BenchmarkEncap(b *testing.B) {
	for _, remote := range []string{"198.51.100.2", "2001:db8:100::2"} {
		name := "outer4"
		if netip.MustParseAddr(remote).Is6() {
			name = "outer6"
		}
		b.Run(name, func(b *testing.B) {
			c, _, err := tunnel.ParseConfig("g", "geneve", map[string]string{"remote_ip": remote, "key": "flow"})
			if err != nil {
				b.Fatal(err)
			}
			inner := benchInner()
			pool := packet.NewPool()
			pk := pool.Get()
			o := tunnel.Outer{SrcMAC: phyMAC, DstMAC: peerMAC, Src: local4}
			if remote != "198.51.100.2" {
				o.Src = local6
			}
			b.SetBytes(int64(len(inner)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				pk.Reset()
				pk.SetLen(copy(pk.RxSpace(), inner))
				packet.Parse(pk)
				var f tunnel.Flow
				c.SendFlow(&pk.Key, &f)
				if err := tunnel.Encap(pk, &c, &f, nil, &o, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecap: Recognize and Decap (Pop, Find, SetMetadata) of the
// outer frames BenchmarkEncap makes, after Parse.
func BenchmarkDecap(b *testing.B) {
	for _, v6 := range []bool{false, true} {
		b.Run(map[bool]string{true: "outer6", false: "outer4"}[v6], func(b *testing.B) {
			remote, local := "198.51.100.2", local4
			if v6 {
				remote, local = "2001:db8:100::2", local6
			}
			c, _, err := tunnel.ParseConfig("g", "geneve", map[string]string{"remote_ip": remote, "key": "flow"})
			if err != nil {
				b.Fatal(err)
			}
			inner := benchInner()
			pk := pkttest.Parsed(inner)
			var f tunnel.Flow
			c.SendFlow(&pk.Key, &f)
			// The frame as the remote end sends it to us.
			f.Dst, f.Src = local, netip.MustParseAddr(remote)
			if err := tunnel.Encap(pk, &c, &f, nil, &tunnel.Outer{SrcMAC: peerMAC, DstMAC: phyMAC, Src: netip.MustParseAddr(remote)}, 1); err != nil {
				b.Fatal(err)
			}
			outer := append([]byte(nil), pk.Data...)
			rc, _, err := tunnel.ParseConfig("g", "geneve", map[string]string{"remote_ip": remote, "key": "flow"})
			if err != nil {
				b.Fatal(err)
			}
			ps, _ := tunnel.NewPorts([]tunnel.Port{{OFPort: 2, Config: &rc}})
			ep := tunnel.Endpoint{MAC: phyMAC, Addr: local}
			pool := packet.NewPool()
			in := pool.Get()
			var h tunnel.Header
			b.SetBytes(int64(len(outer)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				in.Reset()
				in.SetLen(copy(in.RxSpace(), outer))
				packet.Parse(in)
				vp, ok := ps.Recognize(&in.Key, &ep)
				if !ok {
					b.Fatal("not recognized")
				}
				if _, d := ps.Decap(in, vp, &h, nil); d != tunnel.Pass {
					b.Fatal(d, h.Warning())
				}
			}
		})
	}
}
