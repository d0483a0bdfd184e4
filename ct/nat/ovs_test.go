package nat

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// The differential test against Open vSwitch 3.1: testdata/ovs31/in.txt
// holds frames (made by ovsCases) that testdata/ovs31/capture.sh sends
// through a private ovs-vswitchd (userspace datapath) with
// testdata/ovs31/nat.flows, one packet-out at a time, recording in
// out.txt what came out of which port. TestOVSFrames plays the same
// frames through a toy tracker that uses this package as the flows say,
// and wants OVS's output byte for byte.
//
// Regenerate (as root):
//   GNT_NAT_GEN=1 go test -run TestGenOVSInputs ./ct/nat
//   ct/nat/testdata/ovs31/capture.sh

type ovsCase struct {
	name   string
	inPort int
	frame  []byte
	// hangsOVS: Open vSwitch 3.1.0's userspace conntrack stops answering
	// (and ovs-vswitchd dies) when it translates this frame: an ICMPv4
	// error quoting less than the 20-byte TCP header of a NATed
	// connection (the IP header and 8 bytes that RFC 792 asks for).
	// capture.sh does not send it; we translate it (ports only, the TCP
	// checksum is not in the quote).
	hangsOVS bool
}

func ovsCases() []ovsCase {
	const (
		cli, srv, pub, rtr     = "198.51.100.10", "203.0.113.5", "203.0.113.100", "203.0.113.254"
		cli6, srv6, pub6, rtr6 = "2001:db8:1::10", "2001:db8:2::5", "2001:db8:2::100", "2001:db8:2::fe"
		vip, vip6              = "203.0.113.200", "2001:db8:2::200"
	)
	data := []byte("GET / HTTP/1.0\r\n\r\n")
	udpZero := pkttest.UDP4(cli, srv, 40003, 83, []byte("no checksum"))
	udpZero[14+20+6], udpZero[14+20+7] = 0, 0
	return []ovsCase{
		// SNAT TCP/IPv4 (nat(src=203.0.113.100:20000)).
		{"tcp4-syn", 1, pkttest.TCP4(cli, srv, 40001, 81, "S", 1000, 0, nil), false},
		{"tcp4-synack", 2, pkttest.TCP4(srv, pub, 81, 20000, "SA", 5000, 1001, nil), false},
		{"tcp4-data", 1, pkttest.TCP4(cli, srv, 40001, 81, "PA", 1001, 5001, data), false},
		{"tcp4-err-reply", 2, pkttest.ICMP4Error(rtr, pub, 3, 4, pkttest.TCP4(pub, srv, 20000, 81, "PA", 1001, 5001, data)), false},
		{"tcp4-err-reply-short", 2, pkttest.ICMP4ErrorN(rtr, pub, 11, 0, pkttest.TCP4(pub, srv, 20000, 81, "PA", 1001, 5001, data), 28), true},
		{"tcp4-err-short-du", 2, pkttest.ICMP4ErrorN(rtr, pub, 3, 4, pkttest.TCP4(pub, srv, 20000, 81, "PA", 1001, 5001, data), 28), true},
		{"tcp4-err-te-full", 2, pkttest.ICMP4Error(rtr, pub, 11, 0, pkttest.TCP4(pub, srv, 20000, 81, "PA", 1001, 5001, data)), false},
		{"tcp4-err-short20", 2, pkttest.ICMP4ErrorN(rtr, pub, 3, 4, pkttest.TCP4(pub, srv, 20000, 81, "PA", 1001, 5001, data), 40), false},
		{"tcp4-ack", 2, pkttest.TCP4(srv, pub, 81, 20000, "A", 5001, 1019, nil), false},
		// SNAT UDP/IPv4, with and without checksum, and errors both ways.
		{"udp4", 1, pkttest.UDP4(cli, srv, 40002, 82, []byte("question")), false},
		{"udp4-reply", 2, pkttest.UDP4(srv, pub, 82, 20000, []byte("answer")), false},
		{"udp4-zero", 1, udpZero, false},
		{"udp4-err-reply", 2, pkttest.ICMP4Error(srv, pub, 3, 3, pkttest.UDP4(pub, srv, 20000, 82, []byte("question"))), false},
		{"udp4-err-orig", 1, pkttest.ICMP4Error(cli, srv, 3, 3, pkttest.UDP4(srv, cli, 82, 40002, []byte("answer"))), false},
		// SNAT ICMP echo (nat(src=203.0.113.100): OVS 3.1 keeps the id).
		{"icmp4-echo", 1, pkttest.ICMP4Echo(cli, srv, 77, 1, []byte("ping")), false},
		{"icmp4-echoreply", 2, pkttest.ICMP4EchoReply(srv, pub, 77, 1, []byte("ping")), false},
		{"icmp4-err-echo", 2, pkttest.ICMP4Error(rtr, pub, 11, 0, pkttest.ICMP4Echo(pub, srv, 77, 2, []byte("ping"))), false},
		// SNAT over IPv6 (nat(src=[2001:db8:2::100]:20000)).
		{"tcp6-syn", 1, pkttest.TCP6(cli6, srv6, 40001, 81, "S", 1000, 0, nil), false},
		{"tcp6-synack", 2, pkttest.TCP6(srv6, pub6, 81, 20000, "SA", 5000, 1001, nil), false},
		{"tcp6-data", 1, pkttest.TCP6(cli6, srv6, 40001, 81, "PA", 1001, 5001, data), false},
		{"tcp6-err-reply", 2, pkttest.ICMP6Error(rtr6, pub6, 2, 0, pkttest.TCP6(pub6, srv6, 20000, 81, "PA", 1001, 5001, data)), false},
		{"udp6", 1, pkttest.UDP6(cli6, srv6, 40002, 82, []byte("question")), false},
		{"udp6-reply", 2, pkttest.UDP6(srv6, pub6, 82, 20000, []byte("answer")), false},
		{"udp6-err-reply", 2, pkttest.ICMP6Error(srv6, pub6, 1, 4, pkttest.UDP6(pub6, srv6, 20000, 82, []byte("question"))), false},
		{"udp6-err-orig", 1, pkttest.ICMP6Error(cli6, srv6, 1, 4, pkttest.UDP6(srv6, cli6, 82, 40002, []byte("answer"))), false},
		{"icmp6-echo", 1, pkttest.ICMP6Echo(cli6, srv6, 77, 1, []byte("ping")), false},
		{"icmp6-echoreply", 2, pkttest.ICMP6EchoReply(srv6, pub6, 77, 1, []byte("ping")), false},
		// DNAT TCP (nat(dst=198.51.100.10:8080)), IPv4 and IPv6.
		{"dnat4-syn", 2, pkttest.TCP4(srv, vip, 50000, 80, "S", 7000, 0, nil), false},
		{"dnat4-synack", 1, pkttest.TCP4(cli, srv, 8080, 50000, "SA", 9000, 7001, nil), false},
		{"dnat4-err-orig", 2, pkttest.ICMP4Error(srv, vip, 3, 3, pkttest.TCP4(vip, srv, 80, 50000, "SA", 9000, 7001, nil)), false},
		{"dnat4-err-reply", 1, pkttest.ICMP4Error("198.51.100.254", srv, 3, 1, pkttest.TCP4(srv, cli, 50000, 8080, "A", 7001, 9001, nil)), false},
		{"dnat6-syn", 2, pkttest.TCP6(srv6, vip6, 50000, 80, "S", 7000, 0, nil), false},
		{"dnat6-synack", 1, pkttest.TCP6(cli6, srv6, 8080, 50000, "SA", 9000, 7001, nil), false},
	}
}

// TestGenOVSInputs writes testdata/ovs31/in.txt (only with GNT_NAT_GEN set).
func TestGenOVSInputs(t *testing.T) {
	if os.Getenv("GNT_NAT_GEN") == "" {
		t.Skip("set GNT_NAT_GEN=1 to write testdata/ovs31/in.txt")
	}
	var b strings.Builder
	b.WriteString("# name in_port frame (made by TestGenOVSInputs; sent in this order)\n")
	for _, c := range ovsCases() {
		if c.hangsOVS {
			b.WriteString("# (not sent: hangs OVS 3.1.0) ")
		}
		fmt.Fprintf(&b, "%s %d %s\n", c.name, c.inPort, hex.EncodeToString(c.frame))
	}
	if err := os.WriteFile(filepath.Join("testdata", "ovs31", "in.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readOVSOut reads out.txt: "name port hex" per frame that came out, or
// "name none".
func readOVSOut(t *testing.T) map[string][]string {
	f, err := os.Open(filepath.Join("testdata", "ovs31", "out.txt"))
	if err != nil {
		t.Skipf("no OVS capture: %v", err)
	}
	defer f.Close()
	m := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		fs := strings.Fields(l)
		if len(fs) == 3 {
			m[fs[0]] = append(m[fs[0]], fs[1]+" "+fs[2])
		} else {
			m[fs[0]] = append(m[fs[0]], l)
		}
	}
	return m
}

// ovsRange is what testdata/ovs31/nat.flows does with a new connection
// coming in on port inPort.
func ovsRange(t *testing.T, inPort int, x *Tuple) *Range {
	switch {
	case inPort == 1 && x.isICMP():
		if x.V6 {
			return rng(Src, "2001:db8:2::100", "2001:db8:2::100", 0, 0)
		}
		return rng(Src, "203.0.113.100", "203.0.113.100", 0, 0)
	case inPort == 1 && x.V6:
		return rng(Src, "2001:db8:2::100", "2001:db8:2::100", 20000, 20000)
	case inPort == 1:
		return rng(Src, "203.0.113.100", "203.0.113.100", 20000, 20000)
	case inPort == 2 && x.Proto == protoTCP && x.V6:
		return rng(Dst, "2001:db8:1::10", "2001:db8:1::10", 8080, 8080)
	case inPort == 2 && x.Proto == protoTCP:
		return rng(Dst, "198.51.100.10", "198.51.100.10", 8080, 8080)
	}
	return nil
}

// TestOVSFrames: our translation of every frame is OVS 3.1's, byte for
// byte.
func TestOVSFrames(t *testing.T) {
	out := readOVSOut(t)
	ct := &toyCT{m: map[Tuple]toyEntry{}}
	for _, c := range ovsCases() {
		if c.hangsOVS {
			pk := parsed(c.frame)
			x, _ := ct.key(t, pk)
			ct.exec(t, pk, true, ovsRange(t, c.inPort, &x))
			checkPacket(t, pk)
			continue
		}
		got := out[c.name]
		if len(got) != 1 {
			t.Errorf("%s: OVS output %q", c.name, got)
			continue
		}
		port, want, _ := strings.Cut(got[0], " ")
		wantPort := 3 - c.inPort
		if port != strconv.Itoa(wantPort) {
			t.Errorf("%s: OVS sent it to %q", c.name, port)
			continue
		}
		pk := parsed(c.frame)
		x, _ := ct.key(t, pk)
		ct.exec(t, pk, true, ovsRange(t, c.inPort, &x))
		if c.name == "tcp6-err-reply" {
			// OVS 3.1.0 leaves the quoted TCP/IPv6 checksum wrong
			// (0xf1 off) after translating the quoted address; ours
			// verifies. The frames differ exactly there and in the outer
			// ICMPv6 checksum that covers it.
			w, _ := hex.DecodeString(want)
			qcs := int(pk.Key.L4) + 8 + 40 + 16
			ocs := int(pk.Key.L4) + 2
			if len(w) != len(pk.Data) {
				t.Fatalf("%s: lengths", c.name)
			}
			for i := range w {
				if w[i] != pk.Data[i] && i != qcs && i != qcs+1 && i != ocs && i != ocs+1 {
					t.Errorf("%s: byte %d differs from OVS", c.name, i)
				}
			}
			if err := pkttest.VerifyChecksums(quoteOf(t, pk)); err != nil {
				t.Errorf("%s: our quote: %v", c.name, err)
			}
			ovs := parsed(w)
			if pkttest.VerifyChecksums(quoteOf(t, ovs)) == nil {
				t.Errorf("%s: OVS's quoted TCP checksum verifies now: drop this exception", c.name)
			}
			continue
		}
		if h := hex.EncodeToString(pk.Data); h != want {
			t.Errorf("%s:\n ours %s\n  ovs %s\n ours %s\n  ovs %s", c.name, h, want, pkttest.Summary(pk.Data), summaryHex(want))
		}
	}
}

func summaryHex(h string) string {
	b, _ := hex.DecodeString(h)
	return pkttest.Summary(b)
}

var _ = packet.CsSNAT
