package pipeline

import (
	"slices"
	"testing"

	"gswitch/packet"
)

func TestConjunction(t *testing.T) {
	e := newEnv(t)
	const a, b, c = 0xc6336401, 0xc6336403, 0xc6336405
	cj := func(clause uint8) Conjunction { return Conjunction{ID: 7, Clause: clause, NClauses: 2} }
	for _, src := range []uint32{a, b} {
		add(t, e.d, spec(0, 10, ipMatch(packet.FieldIPv4Src, src), cj(0)))
	}
	for _, port := range []int{80, 443} {
		add(t, e.d, spec(0, 10, ipMatch(packet.FieldNwProto, 6, packet.FieldTCPDst, port), cj(1), Note{}))
	}
	add(t, e.d, spec(0, 10, mkMatch(packet.FieldConjID, 7), Output{Port: 2}))
	add(t, e.d, spec(0, 1, Match{}, Output{Port: 3}))
	try := func(src string, dport uint16, want uint32) {
		t.Helper()
		e.s.reset()
		e.send(1, tcp4(src, "198.51.100.2", 1000, dport))
		if got := e.s.ports(); !slices.Equal(got, []uint32{want}) {
			t.Fatalf("%s:%d -> %v, want %d", src, dport, got, want)
		}
	}
	try("198.51.100.1", 80, 2)
	try("198.51.100.3", 443, 2)
	try("198.51.100.1", 22, 3)  // clause 2 unmatched
	try("198.51.100.5", 80, 3)  // clause 1 unmatched
	try("198.51.100.2", 443, 3) // neither
	// a higher-priority ordinary flow wins over the conjunction
	add(t, e.d, spec(0, 20, ipMatch(packet.FieldNwProto, 6, packet.FieldTCPDst, 80), Output{Port: 4}))
	try("198.51.100.1", 80, 4)
	try("198.51.100.1", 443, 2)
	// removing a clause flow breaks the conjunction for its packets
	if err := e.d.FlowMod(fmod(FlowDeleteStrict, spec(0, 10, ipMatch(packet.FieldIPv4Src, b))), 1); err != nil {
		t.Fatal(err)
	}
	try("198.51.100.3", 443, 3)
	try("198.51.100.1", 443, 2)
	_ = c
}
