package pipeline

import (
	"slices"
	"testing"

	"gswitch/packet"
	"gswitch/tests/testutil"
)

func TestEMCInvalidatedByVersion(t *testing.T) {
	e := newEnv(t)
	// enough masks for the table to use the cache
	add(t, e.d, spec(0, 5, ipMatch(packet.FieldInPort, 1), Output{Port: 2}))
	add(t, e.d, spec(0, 4, ipMatch(packet.FieldNwProto, 17), Output{Port: 3}))
	add(t, e.d, spec(0, 3, mkMatch(packet.FieldReg5, 1), Output{Port: 3}))
	add(t, e.d, spec(0, 2, mkMatch(packet.FieldEthType, packet.EthTypeARP), Output{Port: 3}))
	add(t, e.d, spec(0, 1, Match{}, Output{Port: 4}))
	if n := len(e.d.cur.Load().tables[0].subs); n < emcMinSubs {
		t.Fatalf("only %d subtables", n)
	}
	for range 3 {
		e.send(1, tcpFrame(1, 2))
	}
	if got := e.s.ports(); !slices.Equal(got, []uint32{2, 2, 2}) {
		t.Fatalf("outputs %v", got)
	}
	if !testutil.RaceEnabled && e.d.Counters()["emc_hit"] == 0 {
		t.Fatal("no cache hits")
	}
	// a modify makes a new version: the cached answer must not be used
	if err := e.d.FlowMod(fmod(FlowModifyStrict, spec(0, 5, ipMatch(packet.FieldInPort, 1), Output{Port: 3})), 1); err != nil {
		t.Fatal(err)
	}
	e.s.reset()
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{3}) {
		t.Fatalf("after modify: %v", got)
	}
	if err := e.d.FlowMod(fmod(FlowDeleteStrict, spec(0, 5, ipMatch(packet.FieldInPort, 1))), 1); err != nil {
		t.Fatal(err)
	}
	e.s.reset()
	e.send(1, tcpFrame(1, 2))
	if got := e.s.ports(); !slices.Equal(got, []uint32{4}) {
		t.Fatalf("after delete: %v", got)
	}
}
