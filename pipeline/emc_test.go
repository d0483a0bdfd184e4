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

// TestEMCComparesMaskWords: a cache hit compares only the words the
// table's masks use. Keys that differ only in other words share an entry
// (and get the flow the classifier gives either); keys that differ in a
// used word never do. Checked against the classifier on random keys, and
// the word list follows subtables that come and go.
func TestEMCComparesMaskWords(t *testing.T) {
	e := newEnv(t)
	add(t, e.d, spec(0, 5, ipMatch(packet.FieldInPort, 1), Output{Port: 2}))
	add(t, e.d, spec(0, 4, ipMatch(packet.FieldNwProto, 17), Output{Port: 3}))
	add(t, e.d, spec(0, 3, mkMatch(packet.FieldReg5, 1), Output{Port: 3}))
	add(t, e.d, spec(0, 2, mkMatch(packet.FieldEthType, packet.EthTypeARP), Output{Port: 3}))
	add(t, e.d, spec(0, 1, Match{}, Output{Port: 4}))
	words := func() []uint8 { return e.d.cur.Load().tables[0].words }
	want := []uint8{packet.WInPort, packet.WRegs + 2, packet.WEthDst, packet.WL3Misc}
	if got := words(); !slices.Equal(got, want) {
		t.Fatalf("words %v, want %v", got, want)
	}

	w := e.d.getWorker()
	defer e.d.putWorker(w)
	check := func(round int) {
		t.Helper()
		w.begin(1)
		cls := w.v.tables[0]
		r := uint64(1)
		next := func() uint64 { r = r*6364136223846793005 + 1442695040888963407; return r >> 33 }
		for n := range 2000 {
			var k packet.Words
			k.SetInPort(uint32(1 + next()%2))
			k[packet.WEthDst] = []uint64{packet.EthTypeIPv4, packet.EthTypeARP, packet.EthTypeIPv6}[next()%3]
			k.SetNwProto([]uint8{6, 17}[next()%2])
			k[packet.WRegs+2] = next() % 2 << 32
			// words no mask uses: tun_id, ipv6_src, the ERSPAN word
			k[packet.WTunID] = next() % 4
			k[packet.WIPv6Src] = next() % 4
			k[packet.WErspan] = next() % 4
			if got, want := w.emcLookup(cls, 0, &k, &noTun), cls.lookup(&k); got != want {
				t.Fatalf("round %d key %d: cache gives priority %d, classifier %d", round, n,
					got.spec.Priority, want.spec.Priority)
			}
		}
		w.end()
	}
	check(0)
	if !testutil.RaceEnabled && e.d.Counters()["emc_hit"] < 1000 {
		t.Fatalf("%d hits: keys differing in unused words do not share entries", e.d.Counters()["emc_hit"])
	}

	// a new mask on tun_id: now keys differing in it must not share
	add(t, e.d, spec(0, 6, mkMatch(packet.FieldTunID, 3), Output{Port: 5}))
	if got := words(); !slices.Contains(got, packet.WTunID) {
		t.Fatalf("words %v lack tun_id's", got)
	}
	check(1)
	// and without it, tun_id is out again
	if err := e.d.FlowMod(fmod(FlowDeleteStrict, spec(0, 6, mkMatch(packet.FieldTunID, 3))), 1); err != nil {
		t.Fatal(err)
	}
	if got := words(); !slices.Equal(got, want) {
		t.Fatalf("after delete: words %v, want %v", got, want)
	}
	check(2)
}
