package pipeline

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

// tunTable maps tun_metadata0 (4 bytes), 1 (8) and 2 (4) as
// testdata/tunmeta-trace.txt's map line does (slots as OVS allocates them:
// first fit).
func tunTable() *packet.TLVTable {
	t := &packet.TLVTable{}
	t.E[0] = packet.TLVEntry{Valid: true, Class: 0x102, Type: 0x80, Len: 4, Slots: 0x1}
	t.E[1] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 1, Len: 8, Slots: 0x6}
	t.E[2] = packet.TLVEntry{Valid: true, Class: 0xffff, Type: 2, Len: 4, Slots: 0x8}
	t.Used = 0xf
	return t
}

func tunF(t *packet.TLVTable, i int) TunField {
	return TunField{Idx: uint8(i), Len: t.E[i].Len, Slots: t.E[i].Slots}
}

// tunSet is set_field:v/mask->tun_metadataN (v and mask right-aligned in
// the field's length, at most 8 bytes here).
func tunSet(f TunField, v, mask uint64) SetTun {
	a := SetTun{F: f}
	for i := 0; i < int(f.Len); i++ {
		sh := uint(8 * (int(f.Len) - 1 - i))
		if sh < 64 {
			a.Value[i] = byte((v & mask) >> sh)
			a.Mask[i] = byte(mask >> sh)
		}
	}
	return a
}

// tunMatch adds tun_metadataN=v/mask (mask 0: present only) to m.
func tunMatch(m *Match, tab *packet.TLVTable, i int, v, mask uint64) {
	if m.Tun == nil {
		m.Tun = new(packet.TunMatch)
	}
	a := tunSet(tunF(tab, i), v, mask)
	n := int(tab.E[i].Len)
	m.Tun.SetField(i, &tab.E[i], a.Value[:n], a.Mask[:n])
}

// TestTunMetadataSetMatch runs the flows of testdata/tunmeta-trace.txt: a
// packet from an ordinary port carries no tun_metadata (table 0's match on
// tun_metadata0=0 does not take it), table 0 sets tun_metadata0 and 1 with
// set_field, load and move and reads one back into reg2, and table 1
// matches them (not a flow that needs tun_metadata2 present, nor one with
// another value); the packet leaves on port 2 with the registers of the
// "Final flow:" OVS 3.1's ofproto/trace printed.
func TestTunMetadataSetMatch(t *testing.T) {
	b, err := os.ReadFile("testdata/tunmeta-trace.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	var outs []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Final flow: "); ok {
			for _, kv := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(kv, "=")
				want[k] = v
			}
		}
		if s := strings.TrimSpace(line); strings.HasPrefix(s, "output:") {
			outs = append(outs, s)
		}
	}
	if len(want) == 0 || len(outs) != 1 || outs[0] != "output:2" {
		t.Fatalf("golden: final flow %v, outputs %v", want, outs)
	}
	tab := tunTable()
	e := newEnv(t)
	var m0 Match
	tunMatch(&m0, tab, 0, 0, 0xffffffff)
	add(t, e.d, spec(0, 20, m0))
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1),
		RegLoad{Dst: Subfield{Field: packet.FieldReg14, NBits: 16}, Value: packet.U128{Lo: 0x5a5a}},
		tunSet(tunF(tab, 0), 0x2, 0xffffffff),
		Move{Src: Subfield{Field: packet.FieldReg14, NBits: 15}, Dst: Subfield{Tun: tunF(tab, 0), Ofs: 16, NBits: 15}},
		tunSet(tunF(tab, 1), 0x1122334455667788, ^uint64(0)),
		tunSet(tunF(tab, 1), 0x3000000000000000, 0xf000000000000000), // load:0x3->NXM_NX_TUN_METADATA1[60..63]
		Move{Src: Subfield{Tun: tunF(tab, 1), NBits: 32}, Dst: Subfield{Field: packet.FieldReg2, NBits: 32}},
		Resubmit{InPort: PortInPort, Table: 1}))
	var m20, m15, m10 Match
	tunMatch(&m20, tab, 0, 0x5a5a0002, 0x7fffffff)
	tunMatch(&m20, tab, 2, 0, 0)
	add(t, e.d, spec(1, 20, m20))
	tunMatch(&m15, tab, 0, 0x5a5a0003, 0x7fffffff)
	add(t, e.d, spec(1, 15, m15))
	m10 = mkMatch(packet.FieldReg2, 0x55667788)
	tunMatch(&m10, tab, 0, 0x5a5a0002, 0x7fffffff)
	tunMatch(&m10, tab, 1, 0x3122334455667788, ^uint64(0))
	add(t, e.d, spec(1, 10, m10,
		Move{Src: Subfield{Tun: tunF(tab, 0), Ofs: 16, NBits: 15}, Dst: Subfield{Field: packet.FieldReg15, NBits: 15}},
		Move{Src: Subfield{Tun: tunF(tab, 1), Ofs: 56, NBits: 8}, Dst: Subfield{Field: packet.FieldReg3, NBits: 8}},
		Output{Port: 2}))
	add(t, e.d, spec(1, 5, Match{}))
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("outputs %v, want [2] as OVS", got)
	}
	w := &e.s.out[0].key.W
	for _, r := range []int{2, 3, 14, 15} {
		k := "reg" + strconv.Itoa(r)
		x, err := strconv.ParseUint(want[k], 0, 32)
		if err != nil {
			t.Fatalf("golden %s=%q", k, want[k])
		}
		if got := uint64(w.Reg(r)); got != x {
			t.Errorf("%s=%#x, OVS %s", k, got, want[k])
		}
	}
	// A second packet from the same port starts without tun_metadata again.
	e.s.reset()
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("second packet: outputs %v, want [2]", got)
	}
}

// TestTunMetaBits checks the option-space accessors on a field split over
// slots that are not contiguous and not in ascending allocation order.
func TestTunMetaBits(t *testing.T) {
	var m packet.TunMeta
	slots := uint64(1)<<3 | 1<<9 // 8 bytes: slot 3 holds the high half, slot 9 the low
	m.Opts[3], m.Opts[9] = 0xdead, 0xbeef
	if v := m.GetBits(5, slots, 0, 64); !v.IsZero() {
		t.Fatalf("absent field reads %#x, want 0", v)
	}
	m.SetBits(5, slots, 28, 8, packet.U128{Lo: 0xab})
	if m.Opts[3] != 0xa || m.Opts[9] != 0xb0000000 {
		t.Fatalf("slots %#x %#x after SetBits", m.Opts[3], m.Opts[9])
	}
	if v := m.GetBits(5, slots, 0, 64); v.Lo != 0x0000000ab0000000 {
		t.Fatalf("GetBits %#x", v.Lo)
	}
	m.SetBytes(5, slots, []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0xff})
	if m.Opts[3] != 0x01020304 || m.Opts[9] != 0xb0000008 {
		t.Fatalf("slots %#x %#x after SetBytes", m.Opts[3], m.Opts[9])
	}
}

// TestZeroAllocTunMetadata: set_field, move and a match on tun_metadata
// cost no allocation per packet (the EMC is bypassed for packets that carry
// options, the classifier checks them in place).
func TestZeroAllocTunMetadata(t *testing.T) {
	tab := tunTable()
	d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
	d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})
	add(t, d, spec(0, 10, ipMatch(),
		tunSet(tunF(tab, 0), 0x2, 0xffffffff),
		Move{Src: Subfield{Field: packet.FieldReg14, NBits: 15}, Dst: Subfield{Tun: tunF(tab, 0), Ofs: 16, NBits: 15}},
		Resubmit{InPort: PortInPort, Table: 1}))
	for i := 0; i < 6; i++ { // enough subtables for the EMC to be in front
		add(t, d, spec(1, uint16(20+i), mkMatch(packet.FieldReg0+packet.FieldID(i), 7)))
	}
	var m Match
	tunMatch(&m, tab, 0, 0x2, 0xffff)
	add(t, d, spec(1, 10, m, Move{Src: Subfield{Tun: tunF(tab, 0), NBits: 16}, Dst: Subfield{Field: packet.FieldReg3, NBits: 16}}, Output{Port: 2}))
	frames := batchFrames(32)
	b := mkBatch(1, frames...)
	testutil.SkipAllocsUnderRace(t)
	testutil.RequireNoAllocs(t, "Process/tun_metadata", func() { resetBatch(b, frames, 1); d.Process(b) })
}
