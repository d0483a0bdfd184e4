package packet_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tests/testutil"
)

func TestParseMPLS(t *testing.T) {
	inner := pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil)
	pk := pkttest.Parsed(pkttest.MPLS(inner, packet.EthTypeMPLS, pkttest.LSE(0xabcde, 5, false, 17), pkttest.LSE(3, 0, true, 1)))
	w := &pk.Key.W
	if w.EthType() != packet.EthTypeMPLS || pk.Key.L3 != 14 {
		t.Fatalf("eth_type %#x L3 %d", w.EthType(), pk.Key.L3)
	}
	for f, want := range map[packet.FieldID]uint64{
		packet.FieldMPLSLabel: 0xabcde, packet.FieldMPLSTC: 5, packet.FieldMPLSBOS: 0, packet.FieldMPLSTTL: 17,
	} {
		if got := w.Get(f).Lo; got != want {
			t.Errorf("%s = %#x, want %#x", f, got, want)
		}
	}
	// As OVS: nothing behind the label stack is in the key.
	if w[packet.WNw] != 0 || w[packet.WL3Misc] != 0 || w[packet.WTp] != 0 || pk.Key.Flags != 0 {
		t.Errorf("nw/tp fields or flags set: %x %x %x flags %#x", w[packet.WNw], w[packet.WL3Misc], w[packet.WTp], pk.Key.Flags)
	}
	if n := pk.MPLSLabels(); n != 2 {
		t.Errorf("MPLSLabels = %d, want 2", n)
	}
	// A stack cut short: zero, and not an error (OVS's parse_mpls).
	short := pkttest.Parsed(pkttest.MPLS(inner, packet.EthTypeMPLSMC)[:16])
	if short.Key.W[packet.WMPLS] != 0 || short.Key.Flags != 0 || short.MPLSLabels() != 0 {
		t.Errorf("short stack: %x flags %#x", short.Key.W[packet.WMPLS], short.Key.Flags)
	}
	// Prerequisite.
	if !packet.Fields[packet.FieldMPLSLabel].Prereq.MetBy(w, w) || packet.PrereqMPLS.MetBy(&pkttest.Parsed(inner).Key.W, w) {
		t.Error("PrereqMPLS")
	}
}

// lseAt returns the label stack entry i of a parsed frame.
func lseAt(pk *packet.Packet, i int) uint32 {
	return binary.BigEndian.Uint32(pk.Data[int(pk.Key.L3)+4*i:])
}

func TestPushPopMPLS(t *testing.T) {
	udp4 := pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, []byte("payload"))
	pk := pkttest.Parsed(udp4)
	pk.SetField(packet.FieldIPDSCP, packet.U128{Lo: 46}, packet.Ones(6)) // tc: 46&7 = 6
	pk.SetTTL(9)
	ip := append([]byte(nil), pk.Data[14:]...)
	pk.Conn = 1
	if !pk.PushMPLS(packet.EthTypeMPLS) {
		t.Fatal("push failed")
	}
	if pk.Conn != nil {
		t.Error("push kept the cached connection")
	}
	if got, want := lseAt(pk, 0), pkttest.LSE(0, 6, true, 9); got != want {
		t.Errorf("pushed LSE %#x, want %#x", got, want)
	}
	if !bytes.Equal(pk.Data[18:], ip) || binary.BigEndian.Uint16(pk.Data[12:]) != packet.EthTypeMPLS {
		t.Error("the IP datagram or eth_type changed")
	}
	if pk.Key.W.EthType() != packet.EthTypeMPLS || pk.Key.W[packet.WNw] != 0 || pk.Key.W.MPLSLSE() != pkttest.LSE(0, 6, true, 9) {
		t.Errorf("key after push: %x", pk.Key.W[20:])
	}
	// A second and third push copy the outer entry without BoS; a fourth drops.
	for i := 0; i < 2; i++ {
		if !pk.PushMPLS(packet.EthTypeMPLSMC) {
			t.Fatalf("push %d failed", i+2)
		}
		if got, want := lseAt(pk, 0), pkttest.LSE(0, 6, false, 9); got != want {
			t.Errorf("push %d: LSE %#x, want %#x", i+2, got, want)
		}
	}
	before := append([]byte(nil), pk.Data...)
	if pk.PushMPLS(packet.EthTypeMPLS) || !bytes.Equal(pk.Data, before) {
		t.Error("a fourth label was pushed")
	}
	if pk.MPLSLabels() != 3 {
		t.Errorf("MPLSLabels = %d", pk.MPLSLabels())
	}
	for i := 0; i < 2; i++ {
		if !pk.PopMPLS(packet.EthTypeMPLS) {
			t.Fatalf("pop %d failed", i+1)
		}
	}
	if !pk.PopMPLS(packet.EthTypeIPv4) {
		t.Fatal("last pop failed")
	}
	if !bytes.Equal(pk.Data[14:], ip) || pk.Key.W.EthType() != packet.EthTypeIPv4 || pk.Key.W.NwTTL() != 9 || pk.Key.Flags&packet.FlagL4 == 0 {
		t.Errorf("after the pops: key %x", pk.Key.W[20:])
	}
	// Pop on a packet without labels: nothing.
	before = append([]byte(nil), pk.Data...)
	if !pk.PopMPLS(packet.EthTypeIPv4) || !bytes.Equal(pk.Data, before) {
		t.Error("pop of an unlabelled packet changed it")
	}

	// IPv6: label 2 (IPv6 explicit null); non-IP: TTL 64.
	v6 := pkttest.Parsed(pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, nil))
	v6.PushMPLS(packet.EthTypeMPLS)
	if got, want := lseAt(v6, 0), pkttest.LSE(2, 0, true, 64); got != want {
		t.Errorf("IPv6 push: %#x, want %#x", got, want)
	}
	arp := pkttest.Parsed(pkttest.ARPRequest(pkttest.MAC1, "198.51.100.1", "198.51.100.2"))
	arp.PushMPLS(packet.EthTypeMPLS)
	if got, want := lseAt(arp, 0), pkttest.LSE(0, 0, true, 64); got != want {
		t.Errorf("ARP push: %#x, want %#x", got, want)
	}
	// Behind a VLAN tag: the label goes after the tag, the tag stays.
	vl := pkttest.Parsed(pkttest.VLAN(udp4, 0x2064))
	vl.PushMPLS(packet.EthTypeMPLS)
	if binary.BigEndian.Uint16(vl.Data[12:]) != packet.EthTypeVLAN || binary.BigEndian.Uint16(vl.Data[16:]) != packet.EthTypeMPLS ||
		vl.Key.L3 != 18 || vl.Key.W.VlanTCI() != 0x2064|packet.VlanCFI || !bytes.Equal(vl.Data[22:], udp4[14:]) {
		t.Errorf("VLAN push: % x", vl.Data[:24])
	}
	vl.PopMPLS(packet.EthTypeIPv4)
	if !bytes.Equal(vl.Data, pkttest.VLAN(udp4, 0x2064)) {
		t.Error("VLAN pop did not restore the frame")
	}

	// Three labels without bottom of stack: pop drops (OVS can't pop).
	deep := pkttest.Parsed(pkttest.MPLS(udp4, packet.EthTypeMPLS, 1<<12, 2<<12, 3<<12, pkttest.LSE(4, 0, true, 1)))
	if deep.MPLSLabels() != 3 || deep.PopMPLS(packet.EthTypeMPLS) {
		t.Error("pop of a 4-deep stack succeeded")
	}
}

func TestSetDecMPLSTTL(t *testing.T) {
	pk := pkttest.Parsed(pkttest.MPLS(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil), packet.EthTypeMPLS,
		pkttest.LSE(16, 0, false, 2), pkttest.LSE(17, 0, true, 64)))
	if !pk.DecMPLSTTL() || lseAt(pk, 0) != pkttest.LSE(16, 0, false, 1) || lseAt(pk, 1) != pkttest.LSE(17, 0, true, 64) {
		t.Fatalf("dec: % x", pk.Data[14:22])
	}
	if pk.DecMPLSTTL() || lseAt(pk, 0) != pkttest.LSE(16, 0, false, 1) {
		t.Error("dec of TTL 1 succeeded")
	}
	pk.SetField(packet.FieldMPLSLabel, packet.U128{Lo: 0x12345}, packet.Ones(20))
	pk.SetField(packet.FieldMPLSTC, packet.U128{Lo: 3}, packet.Ones(3))
	pk.SetField(packet.FieldMPLSTTL, packet.U128{Lo: 200}, packet.Ones(8))
	if want := pkttest.LSE(0x12345, 3, false, 200); lseAt(pk, 0) != want || pk.Key.W.MPLSLSE() != want {
		t.Errorf("set: %#x key %#x, want %#x", lseAt(pk, 0), pk.Key.W.MPLSLSE(), want)
	}
	ip := pkttest.Parsed(pkttest.UDP4("198.51.100.1", "203.0.113.2", 1, 2, nil))
	if ip.DecMPLSTTL() || ip.SetField(packet.FieldMPLSTTL, packet.U128{Lo: 1}, packet.Ones(8)) {
		t.Error("MPLS TTL of an IP packet")
	}
}

func TestMPLSNoAllocs(t *testing.T) {
	pk := pkttest.Parsed(pkttest.TCP4("198.51.100.1", "203.0.113.2", 1234, 80, "PA", 1, 2, []byte("hello")))
	testutil.RequireNoAllocs(t, "PushMPLS/SetField mpls_label/DecMPLSTTL/PopMPLS", func() {
		pk.PushMPLS(packet.EthTypeMPLS)
		pk.SetField(packet.FieldMPLSLabel, packet.U128{Lo: 99}, packet.Ones(20))
		pk.DecMPLSTTL()
		pk.PopMPLS(packet.EthTypeIPv4)
	})
}

// FuzzPushPopMPLS: a push followed by a pop to the original eth_type gives
// the original frame back, for any frame with an Ethernet II type.
func FuzzPushPopMPLS(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(fr)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		pk := packet.New(frame)
		packet.Parse(pk)
		et := pk.Key.W.EthType()
		if len(frame) < 14 || binary.BigEndian.Uint16(frame[12:]) < 0x600 || et < 0x600 {
			pk.PushMPLS(packet.EthTypeMPLS) // no panic
			return
		}
		orig := append([]byte(nil), pk.Data...)
		if !pk.PushMPLS(packet.EthTypeMPLS) {
			return
		}
		if pk.MPLSLabels() == 0 {
			// The stack's entries up to MaxMPLSLabels are all zero and
			// none is the bottom (the copy pushed is zero too): OVS's
			// flow_count_mpls_labels counts no label, so its pop_mpls pops
			// nothing, and neither does PopMPLS (crasher 182b99df0bd7ae4f).
			pushed := append([]byte(nil), pk.Data...)
			if !pk.PopMPLS(et) || !bytes.Equal(pk.Data, pushed) {
				t.Fatal("pop of a stack with no counted label changed the frame")
			}
			return
		}
		if !pk.PopMPLS(et) {
			if pk.MPLSLabels() == packet.MaxMPLSLabels {
				return // three entries, none the bottom: OVS cannot pop either
			}
			t.Fatal("pop after push failed")
		}
		if !bytes.Equal(pk.Data, orig) {
			t.Fatalf("push+pop changed the frame:\n% x\n% x", orig, pk.Data)
		}
	})
}
