package nat_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gswitch/ct"
	"gswitch/ct/nat"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// TestDeps: nat imports only the standard library and gswitch/packet, so
// that ct can import it.
func TestDeps(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Skip("go command not found")
		}
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "gswitch/ct/nat").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "gswitch/ct/nat" && p != "gswitch/packet" {
			t.Errorf("nat depends on %s", p)
		}
	}
}

// TestRawConstants: nat's copies of the NXAST_NAT bits are ct's.
func TestRawConstants(t *testing.T) {
	for _, c := range [][2]int{
		{nat.FlagSrc, ct.NATSrc}, {nat.FlagDst, ct.NATDst}, {nat.FlagPersistent, ct.NATPersistent},
		{nat.FlagHash, ct.NATHash}, {nat.FlagRandom, ct.NATRandom},
		{nat.RangeIPv4Min, ct.NATRangeIPv4Min}, {nat.RangeIPv4Max, ct.NATRangeIPv4Max},
		{nat.RangeIPv6Min, ct.NATRangeIPv6Min}, {nat.RangeIPv6Max, ct.NATRangeIPv6Max},
		{nat.RangeProtoMin, ct.NATRangeProtoMin}, {nat.RangeProtoMax, ct.NATRangeProtoMax},
	} {
		if c[0] != c[1] {
			t.Errorf("constant %#x != ct's %#x", c[0], c[1])
		}
	}
	// A ct.NAT as the nxm decoder builds it converts.
	n := ct.NAT{Flags: ct.NATSrc, RangePresent: ct.NATRangeIPv4Min | ct.NATRangeIPv4Max | ct.NATRangeProtoMin | ct.NATRangeProtoMax,
		AddrMin: [16]byte{203, 0, 113, 100}, AddrMax: [16]byte{203, 0, 113, 101}, PortMin: 20000, PortMax: 20099}
	r, err := nat.FromRaw(n.Flags, n.RangePresent, n.AddrMin, n.AddrMax, n.PortMin, n.PortMax)
	if err != nil || r.Kind != nat.Src || !r.HasAddr || !r.HasPorts || r.PortMax != 20099 {
		t.Fatalf("%+v %v", r, err)
	}
}

// Example: SNAT of a connection's first packet and un-NAT of its reply.
func Example() {
	// ct(commit,nat(src=203.0.113.100:20000-20099)), as decoded.
	r, err := nat.FromRaw(nat.FlagSrc, nat.RangeIPv4Min|nat.RangeProtoMin|nat.RangeProtoMax,
		[16]byte{203, 0, 113, 100}, [16]byte{}, 20000, 20099)
	if err != nil {
		panic(err)
	}
	// The tracker's table: reply tuples in use.
	table := map[nat.Tuple]bool{}
	inUse := func(t nat.Tuple) bool { return table[t] }

	pk := pkttest.Parsed(pkttest.UDP4("198.51.100.10", "203.0.113.5", 5353, 53, []byte("q")))
	orig := nat.Tuple{Src: [16]byte{198, 51, 100, 10}, Dst: [16]byte{203, 0, 113, 5}, SrcPort: 5353, DstPort: 53, Proto: packet.ProtoUDP}
	reply, ok := nat.Select(&r, &orig, inUse, 42)
	if !ok {
		panic("exhausted")
	}
	table[orig], table[reply] = true, true
	if err := nat.Apply(pk, r.Kind, nat.Orig, &reply); err != nil {
		panic(err)
	}
	fmt.Println(pkttest.VerifyChecksums(pk.Data), pk.Key.IPv4Src() == 0xcb007164, pk.Key.TpSrc() >= 20000 && pk.Key.TpSrc() <= 20099)

	// The server's answer, to the translated address and port.
	ans := pkttest.Parsed(pkttest.UDP4("203.0.113.5", "203.0.113.100", 53, reply.DstPort, []byte("a")))
	if err := nat.Apply(ans, r.Kind, nat.Reply, &orig); err != nil {
		panic(err)
	}
	fmt.Println(pkttest.Summary(ans.Data))
	// Output:
	// <nil> true true
	// IPv4 203.0.113.5>198.51.100.10 ttl=64 tos=0x0 UDP 53>5353 len=1
}
