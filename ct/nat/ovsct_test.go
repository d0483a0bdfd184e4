package nat_test

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"gswitch/ct"
	"gswitch/ct/nat"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// TestOVSFramesTracker drives the real tracker (package ct, which uses
// this package) with the frames of the OVS 3.1 differential, as
// testdata/ovs31/nat.flows would: table 0 runs ct(nat) (bare), and a +new
// packet then goes through ct(commit,nat(...)) with the flow's range. Every
// frame must come out as OVS's, byte for byte (with the one documented
// OVS 3.1 checksum exception, where it must verify instead).
func TestOVSFramesTracker(t *testing.T) {
	out := nat.OVSOutForTest(t)
	tr := ct.New(ct.Config{})
	bare := &ct.Params{NAT: &ct.NAT{}}
	v4 := func(a [4]byte, pmin uint16) *ct.NAT {
		n := &ct.NAT{RangePresent: ct.NATRangeIPv4Min}
		copy(n.AddrMin[:], a[:])
		if pmin != 0 {
			n.PortMin, n.RangePresent = pmin, n.RangePresent|ct.NATRangeProtoMin
		}
		return n
	}
	v6 := func(a [16]byte, pmin uint16) *ct.NAT {
		n := &ct.NAT{RangePresent: ct.NATRangeIPv6Min, AddrMin: a}
		if pmin != 0 {
			n.PortMin, n.RangePresent = pmin, n.RangePresent|ct.NATRangeProtoMin
		}
		return n
	}
	pub6 := netip.MustParseAddr("2001:db8:2::100").As16()
	cli6 := netip.MustParseAddr("2001:db8:1::10").As16()
	natted, compared := 0, 0
	now := int64(1e9)
	for _, f := range nat.OVSFramesForTest() {
		pk := packet.New(f.Frame)
		packet.Parse(pk)
		v6pkt := pk.Key.Flags&packet.FlagIPv6 != 0
		now += 1e6
		res := tr.Execute([]*packet.Packet{pk}, nil, bare, now)
		if len(res) != 1 {
			t.Fatalf("%s: %d packets out", f.Name, len(res))
		}
		st := pk.Key.CtState()
		if st&packet.CsNew != 0 {
			var n *ct.NAT
			proto := pk.Key.NwProto()
			icmp := proto == packet.ProtoICMP || proto == packet.ProtoICMPv6
			switch {
			case f.InPort == 1 && icmp && v6pkt:
				n = v6(pub6, 0)
			case f.InPort == 1 && icmp:
				n = v4([4]byte{203, 0, 113, 100}, 0)
			case f.InPort == 1 && v6pkt:
				n = v6(pub6, 20000)
			case f.InPort == 1:
				n = v4([4]byte{203, 0, 113, 100}, 20000)
			case v6pkt:
				n = v6(cli6, 8080)
			default:
				n = v4([4]byte{198, 51, 100, 10}, 8080)
			}
			if f.InPort == 1 {
				n.Flags = ct.NATSrc
			} else {
				n.Flags = ct.NATDst
			}
			tr.Execute([]*packet.Packet{pk}, nil, &ct.Params{Commit: true, NAT: n}, now)
			st = pk.Key.CtState()
		}
		if st&(packet.CsSNAT|packet.CsDNAT) != 0 {
			natted++
		}
		if f.HangsOVS {
			if err := pkttest.VerifyChecksums(pk.Data); err != nil || st&packet.CsRel == 0 {
				t.Errorf("%s: state %#x, %v", f.Name, st, err)
			}
			continue
		}
		got := out[f.Name]
		if len(got) != 1 {
			t.Errorf("%s: OVS output %q", f.Name, got)
			continue
		}
		port, want, _ := strings.Cut(got[0], " ")
		if port != strconv.Itoa(3-f.InPort) {
			t.Errorf("%s: OVS port %s", f.Name, port)
			continue
		}
		h := hex.EncodeToString(pk.Data)
		if f.Name == "tcp6-err-reply" {
			if err := pkttest.VerifyChecksums(pk.Data); err != nil || len(h) != len(want) {
				t.Errorf("%s: %v", f.Name, err)
			}
			continue
		}
		compared++
		if h != want {
			w, _ := hex.DecodeString(want)
			t.Errorf("%s (state %#x):\n ours %s\n  ovs %s\n ours %s\n  ovs %s", f.Name, st, h, want, pkttest.Summary(pk.Data), pkttest.Summary(w))
		}
	}
	if n := len(nat.OVSFramesForTest()); natted != n || compared != n-3 {
		t.Errorf("%d of %d frames translated, %d compared", natted, n, compared)
	}
}
