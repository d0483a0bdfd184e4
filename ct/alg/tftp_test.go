package alg

import (
	"net/netip"
	"testing"
)

func TestTFTP(t *testing.T) {
	h, ok := Lookup("tftp")
	if !ok {
		t.Fatal("no tftp helper")
	}
	m := &Master{Proto: ProtoUDP, Zone: 3,
		Orig:  Tuple{Src: cli4, Dst: srv4, SrcPort: 40000, DstPort: 69},
		Reply: Tuple{Src: srv4, Dst: cli4, SrcPort: 69, DstPort: 40000}}
	nat := &Master{Proto: ProtoUDP, Zone: 3,
		Orig:  Tuple{Src: cli4, Dst: srv4, SrcPort: 40000, DstPort: 69},
		Reply: Tuple{Src: srv4, Dst: nat4, SrcPort: 69, DstPort: 50000}}
	m6 := &Master{Proto: ProtoUDP,
		Orig:  Tuple{Src: cli6, Dst: srv6, SrcPort: 40000, DstPort: 69},
		Reply: Tuple{Src: srv6, Dst: cli6, SrcPort: 69, DstPort: 40000}}
	rrq := []byte("\x00\x01file.txt\x00octet\x00")
	wrq := []byte("\x00\x02up.bin\x00octet\x00")
	for _, c := range []struct {
		name    string
		m       *Master
		dir     Dir
		p       []byte
		want    bool
		src     netip.Addr
		dst     netip.Addr
		dport   uint16
		dnat    netip.Addr
		dnatprt uint16
	}{
		{"RRQ", m, Orig, rrq, true, srv4, cli4, 40000, netip.Addr{}, 0},
		{"WRQ", m, Orig, wrq, true, srv4, cli4, 40000, netip.Addr{}, 0},
		{"RRQ v6", m6, Orig, rrq, true, srv6, cli6, 40000, netip.Addr{}, 0},
		{"RRQ SNAT", nat, Orig, rrq, true, srv4, nat4, 50000, cli4, 40000},
		{"bare opcode", m, Orig, []byte{0, 1}, true, srv4, cli4, 40000, netip.Addr{}, 0},
		{"DATA", m, Orig, []byte("\x00\x03\x00\x01data"), false, netip.Addr{}, netip.Addr{}, 0, netip.Addr{}, 0},
		{"ACK", m, Orig, []byte("\x00\x04\x00\x01"), false, netip.Addr{}, netip.Addr{}, 0, netip.Addr{}, 0},
		{"RRQ from the server", m, Reply, rrq, false, netip.Addr{}, netip.Addr{}, 0, netip.Addr{}, 0},
		{"short", m, Orig, []byte{0}, false, netip.Addr{}, netip.Addr{}, 0, netip.Addr{}, 0},
		{"opcode 0x0101", m, Orig, []byte{1, 1}, false, netip.Addr{}, netip.Addr{}, 0, netip.Addr{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res Result
			h.NewConn().Process(&Input{Master: c.m, Dir: c.dir, Payload: c.p, Now: 42}, &res)
			if !c.want {
				if len(res.Exps) != 0 || res.Invalid {
					t.Errorf("%s: %+v", c.name, res)
				}
				return
			}
			if len(res.Exps) != 1 {
				t.Fatalf("%s: %+v", c.name, res)
			}
			e := res.Exps[0]
			if e.Proto != ProtoUDP || e.Src != c.src || e.Dst != c.dst || e.SrcPort != 0 || e.DstPort != c.dport ||
				e.Zone != c.m.Zone || e.DNATTo != c.dnat || e.DNATPort != c.dnatprt || e.Helper != "tftp" || e.Created != 42 {
				t.Errorf("%s: %+v", c.name, e)
			}
			// The server's first reply, from a new port, is the expected one.
			if !e.Matches(ProtoUDP, c.m.Zone, c.src, c.dst, 33333, c.dport) {
				t.Errorf("%s: reply does not match", c.name)
			}
		})
	}
}
