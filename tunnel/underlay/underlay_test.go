package underlay

import (
	"encoding/hex"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

func a4(s string) Addr {
	a, ok := parse4(s)
	if !ok {
		panic(s)
	}
	return a
}

func a6(s string) Addr {
	a, ok := parse6(s)
	if !ok {
		panic(s)
	}
	return a
}

func ifa4(ip string, plen int) IfAddr {
	m := mask(plen).V4()
	return IfAddr{IP: a4(ip), Mask: AddrFromUint32(uint32(m))}
}

// fakeAddrs: br-phy with 198.51.100.1/24, 203.0.113.1/24, 2001:db8::1/64.
func fakeAddrs(dev string) ([]IfAddr, error) {
	switch dev {
	case "br-phy":
		return []IfAddr{
			{IP: a4("198.51.100.1"), Mask: AddrFrom4([4]byte{255, 255, 255, 0})},
			{IP: a4("203.0.113.1"), Mask: AddrFrom4([4]byte{255, 255, 255, 0})},
			{IP: a6("2001:db8::1"), Mask: mask(64)},
		}, nil
	case "lo":
		return []IfAddr{{IP: a4("127.0.0.1"), Mask: AddrFrom4([4]byte{255, 0, 0, 0})}, {IP: a6("::1"), Mask: mask(128)}}, nil
	}
	return nil, ErrNoSource
}

func kr(dst string, plen int, local bool, dev, gw string) KernelRoute {
	k := KernelRoute{Plen: plen, Local: local, Dev: dev}
	if strings.Contains(dst, ":") {
		k.Dst = a6(dst)
	} else {
		k.Dst, k.Plen = a4(dst), plen+96
	}
	if gw != "" {
		if strings.Contains(gw, ":") {
			k.Gw = a6(gw)
		} else {
			k.Gw = a4(gw)
		}
	}
	return k
}

func TestAddrString(t *testing.T) {
	for in, want := range map[string]string{
		"::ffff:198.51.100.1": "198.51.100.1", "2001:db8::1": "2001:db8::1", "::1": "::1", "::": "::",
		"::198.51.100.1": "::198.51.100.1", "fe80::5e:ff:fe00:601": "fe80::5e:ff:fe00:601",
	} {
		if got := a6(in).String(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestParsers(t *testing.T) {
	for _, c := range []struct {
		s    string
		plen int
		ok   bool
	}{{"198.51.100.0/24", 24, true}, {"198.51.100.7", 32, true}, {"198.51.100.0/255.255.255.192", 26, true},
		{"198.51.100.0/33", 0, false}, {"198.51.100.0/255.0.255.0", 0, false}, {"bogus", 0, false}, {"198.51.100.0/24x", 0, false}} {
		_, p, ok := parseCIDR4(c.s)
		if ok != c.ok || p != c.plen {
			t.Errorf("parseCIDR4(%q) = %d %v", c.s, p, ok)
		}
	}
	for _, c := range []struct {
		s    string
		plen int
		ok   bool
	}{{"2001:db8::/64", 64, true}, {"2001:db8::1", 128, true}, {"2001:db8::/ffff:ffff::", 32, true}, {"2001:db8::/129", 0, false}, {"2001:db8::zz", 0, false}} {
		_, p, ok := parseCIDR6(c.s)
		if ok != c.ok || p != c.plen {
			t.Errorf("parseCIDR6(%q) = %d %v", c.s, p, ok)
		}
	}
	for s, want := range map[string]uint32{"pkt_mark=7": 7, "pkt_mark=0x10": 16, "pkt_mark=010": 8, "pkt_mark=5x": 5, "pkt_mark=-1": 0xffffffff} {
		if m, ok := scanMark(s); !ok || m != want {
			t.Errorf("scanMark(%q) = %d %v", s, m, ok)
		}
	}
	for _, s := range []string{"pkt_mark=", "pkt_mark=x", "mark=1", "pkt_mark"} {
		if _, ok := scanMark(s); ok {
			t.Errorf("scanMark(%q) ok", s)
		}
	}
	if m, ok := parseMAC("2:5e:0:0:6:a"); !ok || m != (MAC{2, 0x5e, 0, 0, 6, 0xa}) {
		t.Errorf("parseMAC: %v %v", m, ok)
	}
	for _, s := range []string{"02:5e:00:00:06", "02:5e:00:00:06:09:01", "02:5e:00:00:06:0g"} {
		if _, ok := parseMAC(s); ok {
			t.Errorf("parseMAC(%q) ok", s)
		}
	}
}

// TestRouterOrder: the classifier's iteration order as OVS 3.1 showed it
// (tests/golden/underlay/steps.txt): subtables by highest priority, rules in
// insertion order, a user route kept at the head of its subtable when the
// kernel's routes are learned again, a same-match same-priority route
// displacing the earlier one in place; subtables of equal priority in the
// pvector's order (a subtable made again after a flush goes after those of
// equal priority: the /0 after the /64 that a user route holds at 96).
func TestRouterOrder(t *testing.T) {
	r := NewRouter(fakeAddrs)
	dump := []KernelRoute{
		kr("127.0.0.1", 32, true, "lo", ""), kr("198.51.100.1", 32, true, "br-phy", ""),
		kr("::1", 128, true, "lo", ""), kr("2001:db8::", 64, false, "s6r-x", ""),
		kr("2001:db8::", 64, false, "br-phy", ""), kr("127.0.0.0", 8, true, "lo", ""),
		kr("198.51.100.0", 24, false, "br-phy", ""), kr("0.0.0.0", 0, false, "br-phy", "198.51.100.2"),
	}
	r.ResetKernel(dump, nil)
	for _, c := range [][]string{{"198.51.100.7", "br-phy"}, {"198.51.100.0/24", "br-phy", "198.51.100.2", "pkt_mark=7"}, {"2001:db8:2::/64", "br-phy", "2001:db8::2"}} {
		if out, err := r.AddCmd(c); out != "OK" || err != nil {
			t.Fatalf("add %v: %q %v", c, out, err)
		}
	}
	r.ResetKernel(dump, nil)
	want := `Route Table:
User: 198.51.100.7/32 dev br-phy SRC 198.51.100.1
Cached: 127.0.0.1/32 dev lo SRC 127.0.0.1 local
Cached: 198.51.100.1/32 dev br-phy SRC 198.51.100.1 local
Cached: ::1/128 dev lo SRC ::1 local
Cached: 127.0.0.0/8 dev lo SRC 127.0.0.1 local
User: 198.51.100.0/24 MARK 7 dev br-phy GW 198.51.100.2 SRC 198.51.100.1
Cached: 198.51.100.0/24 dev br-phy SRC 198.51.100.1
User: 2001:db8:2::/64 dev br-phy GW 2001:db8::2 SRC 2001:db8::1
Cached: 2001:db8::/64 dev br-phy SRC 2001:db8::1
Cached: 0.0.0.0/0 dev br-phy GW 198.51.100.2 SRC 198.51.100.1
`
	if got := r.ShowText(); got != want {
		t.Errorf("show:\n%s\nwant:\n%s", got, want)
	}
	h, ok := r.Lookup(7, a4("198.51.100.9"), Addr{})
	if !ok || h.Dev != "br-phy" || h.Gw != a4("198.51.100.2") || h.Src != a4("198.51.100.1") {
		t.Errorf("lookup mark 7: %+v %v", h, ok)
	}
	if h.NextHop(a4("198.51.100.9")) != a4("198.51.100.2") {
		t.Errorf("next hop")
	}
	h, ok = r.Lookup(0, a4("203.0.113.9"), Addr{})
	if !ok || h.Gw != a4("198.51.100.2") || h.NextHop(a4("203.0.113.9")) != a4("198.51.100.2") {
		t.Errorf("default route: %+v %v", h, ok)
	}
	if _, ok := r.Lookup(0, a4("198.51.100.9"), a4("198.51.100.5")); ok {
		t.Errorf("a source that is not local must fail the lookup")
	}
	if h, ok := r.Lookup(0, a4("198.51.100.9"), a4("198.51.100.1")); !ok || h.Src != a4("198.51.100.1") {
		t.Errorf("local source: %+v %v", h, ok)
	}
	if _, err := r.DelCmd([]string{"198.51.100.0/24"}); err == nil || err.Error() != "Not found" {
		t.Errorf("del of a kernel route: %v", err)
	}
	if out, err := r.DelCmd([]string{"198.51.100.0/24", "pkt_mark=7"}); out != "OK" || err != nil {
		t.Errorf("del: %q %v", out, err)
	}
	if _, err := r.AddCmd([]string{"2001:db8:3::/64", "br-phy"}); err == nil || err.Error() != "Error while inserting route." {
		t.Errorf("add without a source: %v", err)
	}
	testutil.RequireNoAllocs(t, "Router.Lookup", func() { r.Lookup(0, a4("198.51.100.9"), Addr{}) })
}

func TestNeighCache(t *testing.T) {
	now := int64(1000)
	c := NewNeighCache()
	c.Now = func() int64 { return now }
	for _, a := range [][]string{{"br-phy", "198.51.100.9", "02:5e:00:00:06:09"}, {"br-phy", "2001:db8::9", "2:5e:0:0:6:a"},
		{"br-x", "198.51.100.10", "02:5e:00:00:06:0b"}, {"br-phy", "198.51.100.9", "02:5e:00:00:06:0c"}} {
		if out, err := c.SetCmd(a); out != "OK" || err != nil {
			t.Fatalf("set %v: %q %v", a, out, err)
		}
	}
	want := `IP                                            MAC                 Bridge
==========================================================================
2001:db8::9                                   02:5e:00:00:06:0a   br-phy
198.51.100.10                                 02:5e:00:00:06:0b   br-x
198.51.100.9                                  02:5e:00:00:06:0c   br-phy
`
	if got := c.ShowText(); got != want {
		t.Errorf("show:\n%s", got)
	}
	if m, ok := c.Lookup("br-phy", a4("198.51.100.9")); !ok || m != (MAC{2, 0x5e, 0, 0, 6, 0xc}) {
		t.Errorf("lookup: %v %v", m, ok)
	}
	if _, ok := c.Lookup("br-x", a4("198.51.100.9")); ok {
		t.Errorf("lookup on another bridge hit")
	}
	testutil.RequireNoAllocs(t, "NeighCache.Lookup", func() { c.Lookup("br-phy", a4("198.51.100.9")) })
	if out, _ := c.AgingCmd(nil); out != "900" {
		t.Errorf("aging %q", out)
	}
	for _, bad := range []string{"0", "3601", "x", "-1"} {
		if _, err := c.AgingCmd([]string{bad}); err == nil || err.Error() != "bad aging value" {
			t.Errorf("aging %s: %v", bad, err)
		}
	}
	c.AgingCmd([]string{"10"})
	now += 5000
	c.Lookup("br-phy", a4("198.51.100.9")) // renewed until 16000
	now += 6000
	if !strings.Contains(c.ShowText(), "198.51.100.10                                 02:5e:00:00:06:0b   br-x STALE\n") {
		t.Errorf("no STALE:\n%s", c.ShowText())
	}
	c.Expire()
	if got := c.ShowText(); strings.Count(got, "\n") != 3 || !strings.Contains(got, "198.51.100.9 ") {
		t.Errorf("after expiry:\n%s", got)
	}
	c.FlushCmd(nil)
	if strings.Count(c.ShowText(), "\n") != 2 {
		t.Errorf("flush")
	}
}

func hexFrame(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFrames: OVS's compose_arp and compose_nd_ns, byte for byte (the
// frames OVS 3.1 sent on a cache miss, tests/golden/underlay/miss.pcap).
func TestFrames(t *testing.T) {
	smac := MAC{0x02, 0x5e, 0, 0, 6, 1}
	arp := BuildARPRequest(nil, smac, a4("198.51.100.1").V4(), a4("198.51.100.2").V4())
	want := hexFrame(t, `ffffffffffff 025e00000601 0806 0001 0800 06 04 0001 025e00000601 c6336401 000000000000 c6336402`)
	if string(arp) != string(want) {
		t.Errorf("arp:\n%x\n%x", arp, want)
	}
	ns := BuildNS(nil, smac, a6("2001:db8::1"), a6("2001:db8::2"))
	pk := &packet.Packet{}
	pk.Data = append(pk.Data[:0], ns...)
	if len(ns) != NSLen || ns[0] != 0x33 || ns[5] != 0x02 {
		t.Errorf("ns: %x", ns)
	}
	// The ICMPv6 checksum verifies.
	ip := ns[14:]
	if s := packet.Fold(packet.Sum(ip[40:], packet.PseudoSum6(ip[8:24], ip[24:40], 58, 32))); s != 0xffff {
		t.Errorf("ns checksum does not verify: %x", s)
	}
	testutil.RequireNoAllocs(t, "BuildNS", func() {
		var buf [128]byte
		BuildNS(buf[:0], smac, a6("2001:db8::1"), a6("2001:db8::2"))
	})
}

// TestConcurrent: lookups run while the tables change (go test -race).
func TestConcurrent(t *testing.T) {
	r := NewRouter(fakeAddrs)
	c := NewNeighCache()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			r.ResetKernel([]KernelRoute{kr("198.51.100.0", 24, false, "br-phy", "")}, nil)
			c.Set("br-phy", a4("198.51.100.2"), MAC{2, 0, 0, 0, 0, byte(i)})
			c.Expire()
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
			r.Lookup(0, a4("198.51.100.2"), Addr{})
			c.Lookup("br-phy", a4("198.51.100.2"))
			_ = c.ShowText()
		}
	}
}

func TestBridgeAddrsAndMissSource(t *testing.T) {
	got := BridgeAddrs(fakeAddrs, "br-phy", []string{"lo", "s6r-none"})
	want := []Addr{a4("198.51.100.1"), a4("203.0.113.1"), a6("2001:db8::1"), a4("127.0.0.1")}
	if len(got) != len(want) {
		t.Fatalf("BridgeAddrs: %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("BridgeAddrs[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	if s := MissSource(fakeAddrs, "br-phy", a4("203.0.113.7"), a4("198.51.100.1")); s != a4("203.0.113.1") {
		t.Errorf("MissSource on the bridge's network: %s", s)
	}
	if s := MissSource(fakeAddrs, "br-x", a4("203.0.113.7"), a4("198.51.100.1")); s != a4("198.51.100.1") {
		t.Errorf("MissSource falling back to the route's source: %s", s)
	}
}
