package vswitchd

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gswitch/ct"
	"gswitch/ct/dpctl"
	"gswitch/ovsdb"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// ctzoneGolden is OVS 3.1 driven by ovs-vsctl add-zone-tp / del-zone-tp
// (tests/golden/ctzone/capture.sh).
const ctzoneGolden = "../tests/golden/ctzone/ctzone.txt"

// ctDB is the part of the database ovs-vsctl's zone commands change: the
// netdev Datapath row's zones and their policies.
type ctDB struct {
	hasDP bool
	zones map[uint16]map[string]int64
}

// snapshot builds the ovsdb snapshot of db as the monitor would have it.
func (db *ctDB) snapshot() *ovsdb.Snapshot {
	s := &ovsdb.Snapshot{
		OpenVSwitch:       map[ovsdb.UUID]*ovsdb.OpenVSwitch{"root": {UUID: "root", Datapaths: map[string]ovsdb.UUID{}}},
		Datapaths:         map[ovsdb.UUID]*ovsdb.Datapath{},
		CTZones:           map[ovsdb.UUID]*ovsdb.CTZone{},
		CTTimeoutPolicies: map[ovsdb.UUID]*ovsdb.CTTimeoutPolicy{},
	}
	if !db.hasDP {
		return s
	}
	dp := &ovsdb.Datapath{UUID: "dp", CTZones: map[int64]ovsdb.UUID{}}
	s.OpenVSwitch["root"].Datapaths["netdev"] = dp.UUID
	s.Datapaths[dp.UUID] = dp
	for z, tp := range db.zones {
		zu, pu := ovsdb.UUID(fmt.Sprintf("zone%d", z)), ovsdb.UUID(fmt.Sprintf("tp%d", z))
		dp.CTZones[int64(z)] = zu
		s.CTZones[zu] = &ovsdb.CTZone{UUID: zu, TimeoutPolicy: &pu}
		s.CTTimeoutPolicies[pu] = &ovsdb.CTTimeoutPolicy{UUID: pu, Timeouts: maps.Clone(tp)}
	}
	return s
}

// vsctl applies one ovs-vsctl zone command that succeeded in the golden
// to db, as ovs-vsctl changes the database.
func (db *ctDB) vsctl(t *testing.T, args []string) {
	mayExist := false
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		mayExist = mayExist || args[0] == "--may-exist"
		args = args[1:]
	}
	switch {
	case len(args) >= 3 && args[0] == "add-zone-tp":
		z := zoneArg(t, args[2])
		if _, ok := db.zones[z]; ok && !mayExist {
			t.Fatalf("golden: add-zone-tp of an existing zone succeeded: %v", args)
		}
		tp := map[string]int64{}
		for _, kv := range args[3:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("golden: %s: %v", kv, err)
			}
			tp[k] = n
		}
		db.zones[z] = tp // --may-exist replaces the policy (OVS 3.1's ovs-vsctl)
	case len(args) >= 3 && args[0] == "del-zone-tp":
		delete(db.zones, zoneArg(t, args[2]))
	}
}

func zoneArg(t *testing.T, s string) uint16 {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "zone="), 10, 16)
	if err != nil {
		t.Fatalf("golden: %s: %v", s, err)
	}
	return uint16(n)
}

// goldenFrame is the frame pkt.py builds for kind, and the zone the
// golden's flows commit it in (udp and icmp: 5, tcp: 7).
func goldenFrame(kind string) ([]byte, uint16) {
	switch kind {
	case "udp":
		return pkttest.UDP4("198.51.100.1", "198.51.100.2", 1234, 5678, nil), 5
	case "udpr":
		return pkttest.UDP4("198.51.100.2", "198.51.100.1", 5678, 1234, nil), 5
	case "icmp":
		return pkttest.ICMP4Echo("198.51.100.1", "198.51.100.2", 7, 1, nil), 5
	case "syn":
		return pkttest.TCP4("198.51.100.1", "198.51.100.2", 1234, 80, "S", 1000, 0, nil), 7
	}
	panic("unknown frame kind " + kind)
}

var dumpTimeout = regexp.MustCompile(`^(\w+),.*,zone=(\d+),timeout=(\d+)`)

// dumpTimeouts maps "proto zone" to the timeout of each dump-conntrack -s line.
func dumpTimeouts(t *testing.T, lines []string) map[string]int {
	m := map[string]int{}
	for _, l := range lines {
		sm := dumpTimeout.FindStringSubmatch(l)
		if sm == nil {
			t.Fatalf("dump line without zone and timeout: %q", l)
		}
		n, _ := strconv.Atoi(sm[3])
		m[sm[1]+" zone="+sm[2]] = n
	}
	return m
}

func outputLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestCTZonesVsOVS replays the golden's commands: each ovs-vsctl zone
// command that OVS accepted changes the database, whose snapshot goes
// through DesiredCT and CTApplier.Apply into a tracker; packets are
// committed as the golden's flows commit them. Every list-zone-tp must print
// what OVS's ovs-vsctl printed (gswitch's dpctl/list-zone-tp has its format)
// and every dump-conntrack -s must show the same connections with the
// timeouts OVS showed (OVS's are read a few seconds later: the clock here
// stands still, so gswitch's may be up to 8 s more, never less).
func TestCTZonesVsOVS(t *testing.T) {
	f, err := os.Open(ctzoneGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}

	now := int64(1e12)
	tr := ct.New(ct.Config{Clock: func() int64 { return now }})
	db := &ctDB{zones: map[uint16]map[string]int64{}}
	var ap CTApplier
	apply := func() {
		want, problems := DesiredCT(db.snapshot())
		if len(problems) > 0 {
			t.Fatalf("problems: %v", problems)
		}
		ap.Apply(tr, want)
	}
	step, checked := "", 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if s, ok := strings.CutPrefix(l, "## "); ok {
			step = s
			continue
		}
		cmd, ok := strings.CutPrefix(l, "$ ")
		if !ok {
			continue
		}
		var out []string
		for j := i + 1; j < len(lines) && lines[j] != "" && !strings.HasPrefix(lines[j], "$ ") && !strings.HasPrefix(lines[j], "## "); j++ {
			out = append(out, lines[j])
		}
		failed := len(out) > 0 && (strings.HasPrefix(out[0], "ovs-vsctl: ") || strings.HasPrefix(out[0], "ovsdb_idl|"))
		args := strings.Fields(cmd)
		switch {
		case strings.Contains(cmd, "create Datapath"):
			db.hasDP = true
			apply()
		case args[0] == "ovs-vsctl" && strings.Contains(cmd, "-zone-tp") && !strings.Contains(cmd, "list-zone-tp"):
			if !failed {
				db.vsctl(t, args[1:])
				apply()
			}
		case args[0] == "ovs-vsctl" && len(args) == 3 && args[1] == "list-zone-tp":
			if failed {
				continue
			}
			got, err := dpctl.Run(tr, "dpctl/list-zone-tp", nil)
			if err != nil {
				t.Fatal(err)
			}
			if g := outputLines(got); !slicesEqual(g, out) {
				t.Errorf("%s: list-zone-tp:\n got %q\nwant %q (OVS)", step, g, out)
			}
			checked++
		case cmd == "ovs-appctl dpctl/flush-conntrack":
			if _, err := dpctl.Run(tr, "dpctl/flush-conntrack", nil); err != nil {
				t.Fatal(err)
			}
		case args[0] == "packet-out":
			frame, zone := goldenFrame(args[1])
			pk := pkttest.Parsed(frame)
			tr.Execute([]*packet.Packet{pk}, nil, &ct.Params{Zone: zone, Commit: true}, now)
		case cmd == "ovs-appctl dpctl/dump-conntrack -s":
			got, err := dpctl.Run(tr, "dpctl/dump-conntrack", []string{"-s"})
			if err != nil {
				t.Fatal(err)
			}
			g, w := dumpTimeouts(t, outputLines(got)), dumpTimeouts(t, out)
			if !sameKeys(g, w) {
				t.Errorf("%s: connections %v, OVS %v", step, g, w)
				continue
			}
			for k, wv := range w {
				if d := g[k] - wv; d < 0 || d > 8 {
					t.Errorf("%s: %s timeout=%d, OVS %d", step, k, g[k], wv)
				}
			}
			checked++
		}
	}
	if checked < 12 {
		t.Fatalf("only %d outputs compared: golden not as expected", checked)
	}
}

func slicesEqual(a, b []string) bool {
	return len(a) == len(b) && strings.Join(a, "\n") == strings.Join(b, "\n")
}

func sameKeys(a, b map[string]int) bool {
	ka, kb := make([]string, 0, len(a)), make([]string, 0, len(b))
	for k := range a {
		ka = append(ka, k)
	}
	for k := range b {
		kb = append(kb, k)
	}
	sort.Strings(ka)
	sort.Strings(kb)
	return slicesEqual(ka, kb)
}

// TestDesiredCT covers what the golden cannot reach (the schema refuses
// it): a zone without a policy (all defaults), a key the tracker does not
// know, a value out of range, and a system Datapath row beside netdev's.
func TestDesiredCT(t *testing.T) {
	tp1, tp2, tp3 := ovsdb.UUID("tp1"), ovsdb.UUID("tp2"), ovsdb.UUID("tp3")
	s := &ovsdb.Snapshot{
		OpenVSwitch: map[ovsdb.UUID]*ovsdb.OpenVSwitch{"root": {UUID: "root",
			Datapaths: map[string]ovsdb.UUID{"netdev": "dpn", "system": "dps"}}},
		Datapaths: map[ovsdb.UUID]*ovsdb.Datapath{
			"dpn": {UUID: "dpn", CTZones: map[int64]ovsdb.UUID{0: "z0", 5: "z5"}},
			"dps": {UUID: "dps", CTZones: map[int64]ovsdb.UUID{5: "z5s", 9: "z9"}},
		},
		CTZones: map[ovsdb.UUID]*ovsdb.CTZone{
			"z0": {UUID: "z0"}, "z5": {UUID: "z5", TimeoutPolicy: &tp1},
			"z5s": {UUID: "z5s", TimeoutPolicy: &tp2}, "z9": {UUID: "z9", TimeoutPolicy: &tp3},
		},
		CTTimeoutPolicies: map[ovsdb.UUID]*ovsdb.CTTimeoutPolicy{
			"tp1": {UUID: "tp1", Timeouts: map[string]int64{"udp_first": 7, "bogus": 1, "icmp_first": 1 << 33}},
			"tp2": {UUID: "tp2", Timeouts: map[string]int64{"udp_first": 8}},
			"tp3": {UUID: "tp3", Timeouts: map[string]int64{"tcp_established": 100}},
		},
	}
	want, problems := DesiredCT(s)
	exp := CTZones{0: {}, 5: {"udp_first": 7}, 9: {"tcp_established": 100}}
	if !maps.EqualFunc(want, exp, func(a, b map[string]uint32) bool { return maps.Equal(a, b) }) {
		t.Errorf("DesiredCT = %v, want %v", want, exp)
	}
	if len(problems) != 3 {
		t.Errorf("problems %q, want 3 (bogus key, icmp_first range, zone 5 of system)", problems)
	}

	tr := ct.New(ct.Config{})
	tr.SetZoneTimeouts(100, map[string]uint32{"udp_first": 1}) // by hand (dpctl): not the applier's
	var ap CTApplier
	if n := ap.Apply(tr, want); n != 3 {
		t.Errorf("first Apply changed %d zones, want 3", n)
	}
	if n := ap.Apply(tr, want); n != 0 {
		t.Errorf("second Apply changed %d zones, want 0", n)
	}
	delete(want, 9)
	want[5] = map[string]uint32{"udp_first": 9}
	if n := ap.Apply(tr, want); n != 2 {
		t.Errorf("Apply after a change and a removal changed %d zones, want 2", n)
	}
	got := tr.ZoneTimeouts()
	if _, ok := got[9]; ok || got[5]["udp_first"] != 9 || got[100]["udp_first"] != 1 || got[0] == nil {
		t.Errorf("tracker zones %v", got)
	}
	if n := ap.Apply(tr, CTZones{}); n != 2 || len(tr.ZoneTimeouts()) != 1 {
		t.Errorf("Apply of nothing changed %d, left %v", n, tr.ZoneTimeouts())
	}
}

// TestDatapathCapabilitiesVsOVS: the capabilities written are OVS 3.1
// netdev's (list-dp-cap in the golden), written once: not again when the
// row has them, and only for the netdev row.
func TestDatapathCapabilitiesVsOVS(t *testing.T) {
	b, err := os.ReadFile(ctzoneGolden)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "$ ovs-vsctl list-dp-cap netdev")
	var caps []string
	for _, l := range strings.Split(rest, "\n")[1:] {
		if l == "" {
			break
		}
		if k, _, ok := strings.Cut(l, "="); ok {
			if d, unlike := CapabilitiesUnlikeOVS[k]; unlike {
				l = k + "=" + d.Value
			}
		}
		caps = append(caps, l)
	}
	var ours []string
	for k, v := range DatapathCapabilities {
		ours = append(ours, k+"="+v)
	}
	sort.Strings(ours)
	if !slicesEqual(caps, ours) {
		t.Errorf("capabilities\n got %q\nwant %q (OVS)", ours, caps)
	}

	s := (&ctDB{hasDP: true}).snapshot()
	ops := DatapathOps(s)
	if len(ops) != 1 || ops[0].Table != "Datapath" || ops[0].Op != "mutate" {
		t.Fatalf("DatapathOps = %+v", ops)
	}
	if _, err := ops[0].MarshalJSON(); err != nil {
		t.Fatal(err)
	}
	s.Datapaths["dp"].Capabilities = maps.Clone(DatapathCapabilities)
	s.Datapaths["dp"].Capabilities["other"] = "x"
	if ops := DatapathOps(s); len(ops) != 0 {
		t.Errorf("DatapathOps on a filled row = %+v", ops)
	}
	if ops := DatapathOps((&ctDB{}).snapshot()); len(ops) != 0 {
		t.Errorf("DatapathOps without a netdev row = %+v", ops)
	}
}
