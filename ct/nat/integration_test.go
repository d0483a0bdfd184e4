package nat

import (
	"encoding/binary"
	"testing"

	"gswitch/ct/frag"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// This file plays the tracker with a toy table, to show (and test) the
// integration recipe of doc.go: Select at commit, both tuples in the
// table, Apply/ApplyRelated on every later packet, State into ct_state,
// reassembled fragments translated whole and synced back.

type toyConn struct {
	kind        Kind
	orig, reply Tuple
}

type toyEntry struct {
	c   *toyConn
	dir Dir
}

type toyCT struct {
	m map[Tuple]toyEntry
}

// key extracts the lookup tuple of pk as the tracker does: the packet's
// own tuple, or for an ICMP error the quoted tuple reversed (related).
func (ct *toyCT) key(t *testing.T, pk *packet.Packet) (Tuple, bool) {
	x, ok := packetTuple(pk)
	if !ok {
		t.Fatal("not IP")
	}
	if x.isICMP() && !icmpIsQuery(x.V6, x.IType) {
		q, err := findQuote(pk, x.V6)
		if err != nil {
			t.Fatalf("quote: %v", err)
		}
		d := pk.Data
		var in Tuple
		in.V6, in.Proto = x.V6, q.proto
		if x.V6 {
			copy(in.Src[:], d[q.l3+8:])
			copy(in.Dst[:], d[q.l3+24:])
		} else {
			copy(in.Src[:4], d[q.l3+12:])
			copy(in.Dst[:4], d[q.l3+16:])
		}
		switch q.proto {
		case protoTCP, protoUDP:
			in.SrcPort, in.DstPort = binary.BigEndian.Uint16(d[q.l4:]), binary.BigEndian.Uint16(d[q.l4+2:])
		case protoICMP, protoICMPv6:
			in.IType = d[q.l4]
			id := binary.BigEndian.Uint16(d[q.l4+4:])
			in.SrcPort, in.DstPort = id, id
		}
		return in.Reverse(), true
	}
	return x, false
}

// exec is ct(commit?,nat...) for one packet: it returns the ct_state NAT
// bit it set (0 when none) and fails the test on a tracker-visible error.
func (ct *toyCT) exec(t *testing.T, pk *packet.Packet, commit bool, r *Range) uint32 {
	t.Helper()
	k, related := ct.key(t, pk)
	e, found := ct.m[k]
	if !found {
		if related || !commit || r == nil {
			return 0
		}
		// New connection: choose the reply tuple, insert both keys,
		// translate the packet.
		reply, ok := Select(r, &k, func(x Tuple) bool { _, in := ct.m[x]; return in }, 99)
		if !ok {
			t.Fatal("exhausted")
		}
		c := &toyConn{kind: r.Kind, orig: k, reply: reply}
		ct.m[k] = toyEntry{c, Orig}
		ct.m[reply] = toyEntry{c, Reply}
		e = toyEntry{c, Orig}
	}
	other := &e.c.reply
	if e.dir == Reply {
		other = &e.c.orig
	}
	var err error
	if related {
		err = ApplyRelated(pk, e.c.kind, e.dir, other)
	} else {
		err = Apply(pk, e.c.kind, e.dir, other)
	}
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return State(e.c.kind, e.dir)
}

// TestIntegrationTCP: a TCP conversation through an SNAT gateway and a
// DNAT port forward, packet by packet, with an ICMP error in each
// direction, checking what each side sees.
func TestIntegrationTCP(t *testing.T) {
	ct := &toyCT{m: map[Tuple]toyEntry{}}
	snat := rng(Src, "203.0.113.100", "203.0.113.101", 20000, 20099)
	// Client 198.51.100.10:40000 -> server 203.0.113.5:80, SNATed.
	syn := parsed(pkttest.TCP4("198.51.100.10", "203.0.113.5", 40000, 80, "S", 1, 0, nil))
	if st := ct.exec(t, syn, true, snat); st != packet.CsSNAT {
		t.Fatalf("state %#x", st)
	}
	checkPacket(t, syn)
	out, _ := packetTuple(syn)
	pubAddr, pubPort := out.SrcAddr().String(), out.SrcPort
	if pubPort < 20000 || pubPort > 20099 || out.DstAddr().String() != "203.0.113.5" {
		t.Fatalf("SYN left as %v", out)
	}
	// The server answers the translated endpoint.
	synack := parsed(pkttest.TCP4("203.0.113.5", pubAddr, 80, pubPort, "SA", 100, 2, nil))
	if st := ct.exec(t, synack, false, nil); st != packet.CsDNAT {
		t.Fatalf("reply state %#x", st)
	}
	checkPacket(t, synack)
	if got, _ := packetTuple(synack); got.DstAddr().String() != "198.51.100.10" || got.DstPort != 40000 {
		t.Fatalf("SYN-ACK reached the client as %v", got)
	}
	// Data with a partial checksum from the client (offload), then a
	// bare nat.
	data := parsed(pkttest.TCP4("198.51.100.10", "203.0.113.5", 40000, 80, "PA", 2, 101, []byte("GET / HTTP/1.0\r\n\r\n")))
	makePartial(data)
	ct.exec(t, data, false, nil)
	if !packet.CompletePartialChecksum(data) {
		t.Fatal("finish")
	}
	checkPacket(t, data)
	// A router on the server side reports the data packet as it left.
	icmp := parsed(pkttest.ICMP4Error("203.0.113.254", pubAddr, 3, 4, data.Data))
	if st := ct.exec(t, icmp, false, nil); st != packet.CsDNAT {
		t.Fatalf("related state %#x", st)
	}
	checkPacket(t, icmp)
	if got := quotedTuple(t, icmp); got.SrcAddr().String() != "198.51.100.10" || got.SrcPort != 40000 {
		t.Fatalf("quoted %v", got)
	}
	// The client reports a reply (as it got it) back to the server.
	rep := parsed(pkttest.TCP4("203.0.113.5", "198.51.100.10", 80, 40000, "A", 101, 20, nil))
	icmp = parsed(pkttest.ICMP4Error("198.51.100.10", "203.0.113.5", 3, 3, rep.Data))
	if st := ct.exec(t, icmp, false, nil); st != packet.CsSNAT {
		t.Fatalf("related state %#x", st)
	}
	checkPacket(t, icmp)
	if got := quotedTuple(t, icmp); got.DstAddr().String() != pubAddr || got.DstPort != pubPort {
		t.Fatalf("quoted %v", got)
	}

	// DNAT: 2001:db8:2::5 connects to [2001:db8:2::100]:80, forwarded to
	// [2001:db8:1::10]:8080.
	in := parsed(pkttest.TCP6("2001:db8:2::5", "2001:db8:2::100", 50000, 80, "S", 1, 0, nil))
	dnat6 := rng(Dst, "2001:db8:1::10", "2001:db8:1::10", 8080, 8080)
	if st := ct.exec(t, in, true, dnat6); st != packet.CsDNAT {
		t.Fatalf("dnat state %#x", st)
	}
	checkPacket(t, in)
	if got, _ := packetTuple(in); got.DstAddr().String() != "2001:db8:1::10" || got.DstPort != 8080 || got.SrcAddr().String() != "2001:db8:2::5" {
		t.Fatalf("forwarded as %v", got)
	}
	back := parsed(pkttest.TCP6("2001:db8:1::10", "2001:db8:2::5", 8080, 50000, "SA", 7, 2, nil))
	if st := ct.exec(t, back, false, nil); st != packet.CsSNAT {
		t.Fatalf("dnat reply state %#x", st)
	}
	checkPacket(t, back)
	if got, _ := packetTuple(back); got.SrcAddr().String() != "2001:db8:2::100" || got.SrcPort != 80 {
		t.Fatalf("answer left as %v", got)
	}
}

// TestIntegrationFragments: a fragmented UDP datagram is reassembled,
// the whole datagram translated, and its headers copied back to the
// fragments (ct/frag Datagram.SyncFromWhole): reassembled again, the
// fragments make the translated datagram, checksums right.
func TestIntegrationFragments(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(familyName(v6), func(t *testing.T) {
			payload := make([]byte, 4000)
			for i := range payload {
				payload[i] = byte(i * 7)
			}
			var whole []byte
			var frames [][]byte
			r := rng(Src, "203.0.113.100", "203.0.113.100", 20000, 20099)
			if v6 {
				whole = pkttest.UDP6("2001:db8:1::10", "2001:db8:2::5", 40000, 53, payload)
				frames = pkttest.Frag6(whole, 1400, 77)
				r = rng(Src, "2001:db8:2::100", "2001:db8:2::100", 20000, 20099)
			} else {
				whole = pkttest.UDP4("198.51.100.10", "203.0.113.5", 40000, 53, payload)
				frames = pkttest.Frag4(whole, 1400)
			}
			ra := frag.New()
			var dg *frag.Datagram
			for _, f := range frames {
				d, v := ra.Handle(parsed(f), 0, 1)
				if v == frag.Complete {
					dg = d
				}
			}
			if dg == nil {
				t.Fatal("no datagram")
			}
			ct := &toyCT{m: map[Tuple]toyEntry{}}
			ct.exec(t, dg.Whole, true, r)
			checkPacket(t, dg.Whole)
			want, _ := packetTuple(dg.Whole)
			dg.SyncFromWhole()
			// Reassemble the translated fragments again.
			ra2 := frag.New()
			var got *frag.Datagram
			for _, f := range dg.Frags {
				packet.Parse(f)
				if err := pkttest.VerifyChecksums(f.Data); err != nil {
					t.Fatalf("fragment: %v", err)
				}
				d, v := ra2.Handle(f, 0, 2)
				if v == frag.Complete {
					got = d
				}
			}
			if got == nil {
				t.Fatal("translated fragments do not reassemble")
			}
			checkPacket(t, got.Whole)
			if x, _ := packetTuple(got.Whole); x != want {
				t.Fatalf("v6=%v: fragments make %v, want %v", v6, x, want)
			}
		})
	}
}
