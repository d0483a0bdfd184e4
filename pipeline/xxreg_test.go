package pipeline

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
)

// TestXXRegLoadMove runs the flows of testdata/xxreg-trace.txt (loads, a
// move and a 128-bit set_field on xxreg subfields, then xxreg matches that
// must not match) and compares the registers with the "Final flow:" that
// OVS 3.1's ofproto/trace printed for them: xxreg(i) is reg(4i) (most
// significant) .. reg(4i+3), and a subfield may straddle two registers.
func TestXXRegLoadMove(t *testing.T) {
	b, err := os.ReadFile("testdata/xxreg-trace.txt")
	if err != nil {
		t.Fatal(err)
	}
	var want [16]uint32
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "Final flow: ")
		if !ok {
			continue
		}
		found = true
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, ok := strings.CutPrefix(k, "reg")
			if !ok {
				continue
			}
			i, err1 := strconv.Atoi(n)
			x, err2 := strconv.ParseUint(v, 0, 32)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad %q in the golden", kv)
			}
			want[i] = uint32(x)
		}
	}
	if !found {
		t.Fatal("no Final flow: in the golden")
	}

	xx := func(i int, ofs, n uint16) Subfield {
		return Subfield{Field: packet.FieldXXReg0 + packet.FieldID(i), Ofs: ofs, NBits: n}
	}
	e := newEnv(t)
	// The trace's starting registers (reg0=0x1, reg4..reg7), then the
	// golden's table 0 actions.
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1),
		sf(packet.FieldReg0, 1), sf(packet.FieldReg4, 0x11223344), sf(packet.FieldReg5, 0x55667788),
		sf(packet.FieldReg6, 0x99aabbcc), sf(packet.FieldReg7, 0xddeeff01),
		RegLoad{Dst: xx(0, 100, 2), Value: packet.U128{Lo: 1}},
		RegLoad{Dst: xx(1, 56, 16), Value: packet.U128{Lo: 0xffff}},
		Move{Src: xx(1, 0, 64), Dst: xx(2, 64, 64)},
		SetField{Field: packet.FieldXXReg3, Value: packet.U128{Hi: 0x1122334455667788, Lo: 0x99aabbccddeeff00}, Mask: packet.Ones(128)},
		RegLoad{Dst: xx(3, 0, 2), Value: packet.U128{Lo: 3}},
		Resubmit{InPort: PortInPort, Table: 1}))
	var m0, m2 Match
	m0.Set(packet.FieldXXReg0, packet.U128{Hi: 0x200000000}, packet.U128{Hi: 0x300000000})
	m2.Set(packet.FieldXXReg2, packet.U128{Lo: 5}, packet.U128{Lo: 0xf})
	add(t, e.d, spec(1, 10, m0, Output{Port: 2}))
	add(t, e.d, spec(1, 5, m2, Output{Port: 2}))
	// Not in the golden (there table 1 has no match and drops): a catch-all
	// that shows the registers.
	add(t, e.d, spec(1, 1, Match{}, Output{Port: 3}))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); len(got) != 1 || got[0] != 3 {
		t.Fatalf("outputs %v, want only the catch-all's 3 (the xxreg matches must miss, as in OVS)", got)
	}
	k := e.s.out[0].key
	for i := range want {
		if k.Reg(i) != want[i] {
			t.Errorf("reg%d=%#x, OVS has %#x", i, k.Reg(i), want[i])
		}
	}
	w := &k.W
	if got := w.Get(packet.FieldXXReg3); got != (packet.U128{Hi: 0x1122334455667788, Lo: 0x99aabbccddeeff03}) {
		t.Errorf("xxreg3=%#x", got)
	}
}
