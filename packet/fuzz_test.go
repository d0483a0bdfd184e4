package packet_test

import (
	"bytes"
	"testing"

	"gswitch/packet"
	"gswitch/packet/pkttest"
)

func seedFrames() [][]byte {
	var out [][]byte
	for _, fr := range baseFrames() {
		out = append(out, fr)
	}
	udp6 := pkttest.UDP6("2001:db8::1", "2001:db8::2", 1, 2, make([]byte, 80))
	out = append(out, pkttest.Frag6(udp6, 32, 9)...)
	out = append(out, pkttest.ICMP6Error("2001:db8::1", "2001:db8::2", 2, 0, udp6))
	out = append(out, pkttest.NA("2001:db8::1", "2001:db8::2", "2001:db8::3", nil, 0))
	out = append(out, pkttest.ARPReply(pkttest.MAC1, "198.51.100.1", pkttest.MAC2, "198.51.100.2"))
	return out
}

// checkParsed checks the invariants of a parsed packet: offsets inside the
// frame and ordered, flags coherent, metadata kept, and a second Parse
// giving the same Key.
func checkParsed(t *testing.T, pk *packet.Packet) {
	t.Helper()
	k := pk.Key
	n := len(pk.Data)
	if int(k.L3) > n || int(k.L4) > n || int(k.L7) > n {
		t.Fatalf("offset past frame: %d/%d/%d > %d", k.L3, k.L4, k.L7, n)
	}
	if k.Flags&packet.FlagL3 != 0 && (k.L3 < 14 || k.L4 <= k.L3 && (k.L4 != 0 || k.Flags&packet.FlagMalformed == 0)) {
		t.Fatalf("L3 flag with offsets %d %d", k.L3, k.L4)
	}
	if k.Flags&packet.FlagL4 != 0 && (k.Flags&packet.FlagL3 == 0 || k.L7 <= k.L4) {
		t.Fatalf("L4 flag with offsets %d %d flags %x", k.L4, k.L7, k.Flags)
	}
	if k.Flags&packet.FlagL4 == 0 && k.L7 != 0 {
		t.Fatal("L7 without L4")
	}
	if k.Flags&packet.FlagIPv4 != 0 && k.Flags&packet.FlagIPv6 != 0 {
		t.Fatal("both IPv4 and IPv6")
	}
	packet.Parse(pk)
	if pk.Key != k {
		t.Fatalf("re-parse differs:\n%+v\n%+v", pk.Key, k)
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(fr)
		f.Add(fr[:len(fr)/2])
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		pk := packet.New(frame)
		pk.Key.W[packet.WRegs] = 0xdeadbeef
		packet.Parse(pk)
		if !bytes.Equal(pk.Data, frame) {
			t.Fatal("Parse changed the frame")
		}
		if pk.Key.W[packet.WRegs] != 0xdeadbeef {
			t.Fatal("metadata changed")
		}
		checkParsed(t, pk)
	})
}

// FuzzSetField rewrites a field of an arbitrary frame: no panic; a false
// result changes nothing; on a well-formed frame a true result leaves the
// Key equal to a fresh parse and right checksums right.
func FuzzSetField(f *testing.F) {
	for i, fr := range seedFrames() {
		f.Add(fr, uint8(i*7), uint64(i)*0x0123456789abcdef, uint64(0xffff), uint64(1)<<uint(i%64))
	}
	f.Fuzz(func(t *testing.T, frame []byte, fid uint8, v, m, hi uint64) {
		pk := packet.New(frame)
		packet.Parse(pk)
		wellFormed := pk.Key.Flags&(packet.FlagMalformed|packet.FlagBadIPCsum) == 0
		okBefore := wellFormed && verifyChecksums(pk) == ""
		before := pk.Key
		data := append([]byte(nil), pk.Data...)
		fld := packet.FieldID(fid) % packet.NumFields
		if !pk.SetField(fld, packet.U128{Hi: hi, Lo: v}, packet.U128{Hi: ^hi, Lo: m}) {
			if pk.Key != before || !bytes.Equal(pk.Data, data) {
				t.Fatal("false but changed")
			}
			return
		}
		if int(pk.Key.L7) > len(pk.Data) || int(pk.Key.L4) > len(pk.Data) {
			t.Fatal("offsets past frame")
		}
		if !wellFormed {
			return
		}
		q := packet.New(pk.Data)
		packet.Parse(q)
		got := pk.Key
		// As OVS: the flow keeps 8 bits of nsh_flags and nsh_ttl where the
		// wire has 2 and 6, and nsh_c1..c4 change the frame only in an MD
		// type 1 header; there only the NSH words may differ.
		switch fld {
		case packet.FieldNSHFlags, packet.FieldNSHTTL:
			got.W[packet.WNSH] = q.Key.W[packet.WNSH]
		case packet.FieldNSHC1, packet.FieldNSHC2, packet.FieldNSHC3, packet.FieldNSHC4:
			if pk.Key.W.Get(packet.FieldNSHMdType).Lo != 1 {
				got.W[packet.WNSHCtx], got.W[packet.WNSHCtx+1] = q.Key.W[packet.WNSHCtx], q.Key.W[packet.WNSHCtx+1]
			}
		}
		if q.Key != got {
			t.Fatalf("%s: key differs from re-parse\n got %x\nwant %x", fld, pk.Key.W[20:], q.Key.W[20:])
		}
		if okBefore {
			if s := verifyChecksums(pk); s != "" {
				t.Fatalf("%s: %s", fld, s)
			}
		}
	})
}

// FuzzStaleKey runs the rewriting and checksum functions on a packet whose
// Key was parsed from another frame (a caller bug): they must not panic.
func FuzzStaleKey(f *testing.F) {
	seeds := seedFrames()
	for i := range seeds {
		f.Add(seeds[i], seeds[(i+1)%len(seeds)], uint8(i), uint64(i), uint16(i*3), uint16(i))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, fid uint8, v uint64, cs, co uint16) {
		pa := packet.New(a)
		packet.Parse(pa)
		pk := packet.New(b)
		pk.Key = pa.Key
		pk.Key.Flags |= packet.FlagCsumPartial
		pk.Off.CsumStart, pk.Off.CsumOffset = cs, co
		all := packet.Ones(128)
		pk.SetField(packet.FieldID(fid)%packet.NumFields, packet.U128{Lo: v}, all)
		pk.L4ChecksumOK()
		pk.IPv4HeaderChecksumOK()
		packet.CompletePartialChecksum(pk)
		pk.RecomputeL4Checksum()
		pk.RecomputeIPv4Checksum()
		pk.DecTTL()
		pk.PushVLAN(packet.EthTypeVLAN, uint16(v))
		pk.PopVLAN()
		pk.PopVLAN()
		pk.Key = pa.Key
		pk.DecMPLSTTL()
		pk.PushMPLS(packet.EthTypeMPLS)
		pk.Key = pa.Key
		pk.PopMPLS(uint16(v))
	})
}
