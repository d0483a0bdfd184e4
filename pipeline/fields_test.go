package pipeline

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
)

// TestActsetOutputMatch runs the flows of testdata/actset-trace.txt: each
// table matches actset_output (UNSET on entry, the output port written,
// UNSET again once a group joins the action set) and copies it into a
// register before its own write_actions, as apply-actions run first; the
// registers and the output port are those OVS 3.1's ofproto/trace shows.
func TestActsetOutputMatch(t *testing.T) {
	b, err := os.ReadFile("testdata/actset-trace.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Final flow: "); ok {
			for _, kv := range strings.Split(rest, ",") {
				if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "reg") {
					x, err := strconv.ParseUint(v, 0, 32)
					if err != nil {
						t.Fatalf("golden %s", kv)
					}
					want[k] = x
				}
			}
		}
		if strings.HasPrefix(line, "    output:") && line != "    output:2" {
			t.Fatalf("golden: action set %s", line)
		}
	}
	if len(want) != 4 {
		t.Fatalf("golden registers %v", want)
	}
	const unset = packet.ActsetOutputUnset
	e := newEnv(t)
	if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeIndirect,
		Buckets: []Bucket{{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{Output{Port: 3}}}}}); err != nil {
		t.Fatal(err)
	}
	toReg := func(r int) Action {
		return Move{Src: Subfield{Field: packet.FieldActsetOutput, Ofs: 0, NBits: 32}, Dst: Subfield{Field: packet.FieldReg0 + packet.FieldID(r), Ofs: 0, NBits: 32}}
	}
	step := func(table uint8, m Match, r int, clear bool, write Action) {
		s := spec(table, 10, m, toReg(r))
		s.Inst.ClearActions = clear
		s.Inst.HasWrite, s.Inst.Write = true, []Action{write}
		if table < 4 {
			s.Inst.GotoTable = int16(table) + 1
		}
		add(t, e.d, s)
		if table > 0 {
			add(t, e.d, spec(table, 5, Match{}))
		}
	}
	step(0, mkMatch(packet.FieldInPort, 1, packet.FieldActsetOutput, unset), 0, false, Output{Port: 3})
	step(1, mkMatch(packet.FieldActsetOutput, 3), 1, true, Output{Port: 2})
	step(2, mkMatch(packet.FieldActsetOutput, 2, packet.FieldReg0, unset, packet.FieldReg1, 3), 2, false, GroupAction{GroupID: 1})
	step(3, mkMatch(packet.FieldActsetOutput, unset), 3, false, Output{Port: 2})
	step(4, mkMatch(packet.FieldActsetOutput, unset), 4, true, Output{Port: 2})
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("outputs %v, want [2] as OVS", got)
	}
	w := &e.s.out[0].key.W
	for r := 0; r < 4; r++ {
		if got, k := uint64(w.Reg(r)), "reg"+strconv.Itoa(r); got != want[k] {
			t.Errorf("%s=%#x, OVS %#x", k, got, want[k])
		}
	}
}

// TestDPHashFromSelectGroup: dp_hash is 0 before a select group and, after
// one that uses OVS's dp_hash method (the hash table of selectSlots), holds
// the hash whose low bits chose the bucket, so a later table can match it.
func TestDPHashFromSelectGroup(t *testing.T) {
	e := newEnv(t)
	var bs []Bucket
	for i := 0; i < 2; i++ {
		bs = append(bs, Bucket{Weight: 1, WatchPort: PortAny, WatchGroup: GroupAny,
			Actions: []Action{sf(packet.FieldReg0, uint64(i)), Resubmit{InPort: PortInPort, Table: 1}}})
	}
	if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeSelect, Buckets: bs}); err != nil {
		t.Fatal(err)
	}
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldDPHash, 0), GroupAction{GroupID: 1}))
	// 16 hash values dealt alternately to the two buckets: the bucket is
	// the parity of the hash's low 4 bits.
	for i := 0; i < 2; i++ {
		m := mkMatch(packet.FieldReg0, i)
		m.Set(packet.FieldDPHash, packet.U128{Lo: uint64(i)}, packet.U128{Lo: 1})
		add(t, e.d, spec(1, 10, m, Output{Port: 2}))
	}
	add(t, e.d, spec(1, 5, Match{}, Output{Port: 3}))
	var frames [][]byte
	for p := uint16(1); p <= 64; p++ {
		frames = append(frames, tcpFrame(p, 80))
	}
	e.send(1, frames...)
	got := e.s.ports()
	if len(got) != 64 {
		t.Fatalf("%d outputs, want 64", len(got))
	}
	seen := map[uint32]bool{}
	for i, p := range got {
		if p != 2 {
			t.Fatalf("packet %d left on %d: dp_hash does not name its bucket", i, p)
		}
		seen[e.s.out[i].key.W.DPHash()&1] = true
	}
	if len(seen) != 2 {
		t.Errorf("all 64 flows took one bucket")
	}
}

// TestErspanFieldsSetMatch runs the flows of testdata/erspan-trace.txt: a
// packet from an ordinary port has zero ERSPAN and GTP-U fields; table 0
// sets the ERSPAN fields and reads them back with move, table 1 matches
// them (ver, dir and hwid with their value as the mask, as OVS 3.1 stores
// such matches) and the packet leaves on port 2 with the register OVS's
// ofproto/trace shows.
func TestErspanFieldsSetMatch(t *testing.T) {
	b, err := os.ReadFile("testdata/erspan-trace.txt")
	if err != nil {
		t.Fatal(err)
	}
	var reg0 uint64
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Final flow: "); ok {
			for _, kv := range strings.Split(rest, ",") {
				if v, ok := strings.CutPrefix(kv, "reg0="); ok {
					reg0, _ = strconv.ParseUint(v, 0, 32)
				}
			}
		}
		if strings.HasPrefix(line, "Datapath actions: ") && line != "Datapath actions: 2" {
			t.Fatalf("golden: %s", line)
		}
	}
	if reg0 == 0 {
		t.Fatal("no reg0 in the golden's Final flow")
	}
	e := newEnv(t)
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldInPort, 1, packet.FieldTunErspanIdx, 0),
		sf(packet.FieldTunErspanVer, 2), sf(packet.FieldTunErspanIdx, 0x12345),
		sf(packet.FieldTunErspanDir, 1), sf(packet.FieldTunErspanHwid, 0x15),
		Move{Src: Subfield{Field: packet.FieldTunErspanIdx, Ofs: 0, NBits: 16}, Dst: Subfield{Field: packet.FieldReg0, Ofs: 0, NBits: 16}},
		Move{Src: Subfield{Field: packet.FieldTunGtpuMsgtype, Ofs: 0, NBits: 8}, Dst: Subfield{Field: packet.FieldReg1, Ofs: 0, NBits: 8}},
		Resubmit{InPort: PortInPort, Table: 1}))
	m1 := mkMatch(packet.FieldTunErspanIdx, 0x12345, packet.FieldReg0, 0x2345, packet.FieldReg1, 0)
	for _, fv := range []struct {
		f packet.FieldID
		v uint64
	}{{packet.FieldTunErspanVer, 2}, {packet.FieldTunErspanDir, 1}, {packet.FieldTunErspanHwid, 0x15}} {
		m1.Set(fv.f, packet.U128{Lo: fv.v}, packet.U128{Lo: fv.v})
	}
	add(t, e.d, spec(1, 10, m1, Output{Port: 2}))
	add(t, e.d, spec(1, 5, Match{}))
	pk := packet.New(tcpFrame(1, 2))
	pk.Key.SetInPort(1)
	pk.Key.W.Set(packet.FieldTunErspanIdx, packet.U128{Lo: 9}) // a reused buffer's leftovers
	pk.Key.W.Set(packet.FieldTunGtpuMsgtype, packet.U128{Lo: 9})
	e.d.Process(&packet.Batch{Now: 1e9, Pkts: []*packet.Packet{pk}})
	if got := e.s.ports(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("outputs %v, want [2] as OVS", got)
	}
	w := &e.s.out[0].key.W
	if uint64(w.Reg(0)) != reg0 {
		t.Errorf("reg0=%#x, OVS %#x", w.Reg(0), reg0)
	}
	if got := w.Get(packet.FieldTunErspanHwid).Lo; got != 0x15 {
		t.Errorf("tun_erspan_hwid=%#x", got)
	}
}
