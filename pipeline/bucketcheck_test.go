package pipeline

import (
	"net/netip"
	"testing"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// Bucket actions that OVS 3.1 accepts without a match to check them against
// (tests/golden/group-actions, replayed by ofproto's
// TestOfctlGroupActionsGolden) run on whatever packet reaches them: an
// IPv4 DNAT bucket translates IPv4, leaves IPv6 and ARP untranslated (no
// panic), and a group that names itself ends at the group depth limit.
func TestBucketWithoutMatchChecksRuns(t *testing.T) {
	s := &fakeSender{record: true}
	d := New(Config{Tracker: ct.New(ct.Config{}), Sender: s, PacketIn: &fakePI{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	n := ct.NAT{Flags: ct.NATDst, RangePresent: ct.NATRangeIPv4Min | ct.NATRangeProtoMin,
		PortMin: 8080}
	copy(n.AddrMin[:], netip.MustParseAddr("203.0.113.9").AsSlice())
	lb := CT{Flags: CTCommit, Zone: 5, Table: 1, Exec: []Action{NAT{n}}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeSelect, Buckets: []Bucket{
		{Weight: 100, WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{lb}}}}))
	must(d.GroupMod(GroupAdd, &GroupSpec{ID: 2, Type: GroupTypeAll, Buckets: []Bucket{
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{GroupAction{GroupID: 2}}}}}))
	add(t, d, spec(0, 10, mkMatch(packet.FieldInPort, 1), GroupAction{GroupID: 1}))
	add(t, d, spec(0, 10, mkMatch(packet.FieldInPort, 2), GroupAction{GroupID: 2}))
	add(t, d, spec(1, 0, Match{}, Output{Port: 2}))
	send := func(in uint32, f []byte) {
		pk := packet.New(f)
		pk.Key.SetInPort(in)
		d.Process(&packet.Batch{Now: 1e9, Pkts: []*packet.Packet{pk}})
	}
	send(1, tcp4("198.51.100.1", "198.51.100.2", 1000, 80))
	send(1, pkttest.TCP6("2001:db8::1", "2001:db8::2", 1000, 80, "S", 1, 0, nil))
	send(1, arpFrame())
	if len(s.out) != 3 {
		t.Fatalf("%d outputs, want 3", len(s.out))
	}
	k := s.out[0].key
	if k.W.IPv4Dst() != 0xcb007109 || k.TpDst() != 8080 || k.CtState()&packet.CsDNAT == 0 {
		t.Errorf("IPv4 through the DNAT bucket: dst %#x:%d ct_state %#x", k.W.IPv4Dst(), k.TpDst(), k.CtState())
	}
	if k := s.out[1].key; k.TpDst() != 80 || k.CtState()&(packet.CsDNAT|packet.CsSNAT) != 0 {
		t.Errorf("IPv6 through an IPv4 DNAT bucket: port %d ct_state %#x", k.TpDst(), k.CtState())
	}
	send(2, tcp4("198.51.100.1", "198.51.100.2", 1001, 80))
	if c := d.Counters()["drop_group_depth"]; c != 1 {
		t.Errorf("drop_group_depth %d, want 1", c)
	}
}
