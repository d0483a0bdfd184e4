package packet

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestPrereqsMatchOVSFields checks every field's prerequisite in Fields
// against ovs-fields(7) of OVS 3.1 (testdata/ovs-fields-prereqs.txt,
// extracted from the man page by testdata/ovs-fields-prereqs.sh). The man
// page lists reg0 and xreg0 for all registers; its "Ethernet" is
// PrereqNone here (every gswitch packet is Ethernet).
func TestPrereqsMatchOVSFields(t *testing.T) {
	f, err := os.Open("testdata/ovs-fields-prereqs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	man := map[string]string{} // every name and alias -> prerequisite
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		names, prereq, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		if prereq == "Ethernet" {
			prereq = "none"
		}
		// "ip_src (aka nw_src)"
		name, alias, _ := strings.Cut(names, " (aka ")
		man[name] = prereq
		if alias != "" {
			man[strings.TrimSuffix(alias, ")")] = prereq
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(man) < 80 {
		t.Fatalf("only %d names in the man page extract", len(man))
	}
	// Fields ovs-fields(7) does not document, with the prerequisite OVS's
	// meta-flow.h gives them.
	man["recirc_id"] = "none"
	man["dp_hash"] = "none"
	for id := FieldID(1); id < NumFields; id++ {
		name := Fields[id].Name
		t.Run(name, func(t *testing.T) {
			lookup := name
			switch {
			case id >= FieldReg0 && id <= FieldReg15:
				lookup = "reg0"
			case id >= FieldXReg0 && id <= FieldXReg7:
				lookup = "xreg0"
			case id >= FieldXXReg0 && id <= FieldXXReg3:
				lookup = "xxreg0"
			}
			want, ok := man[lookup]
			if !ok {
				t.Fatalf("%s is not in ovs-fields(7)", lookup)
			}
			if got := Fields[id].Prereq.String(); got != want {
				t.Errorf("%s: prerequisite %q, ovs-fields(7) says %q", name, got, want)
			}
		})
	}
}

// TestPrereqMetBy checks the checker on one satisfying and one failing
// match per prerequisite (the per-field answers of OVS itself are checked by
// nxm's TestPrereqsVsOVS).
func TestPrereqMetBy(t *testing.T) {
	type kv struct {
		f FieldID
		v uint64
	}
	match := func(fs ...kv) (v, m Words) {
		for _, x := range fs {
			v.Set(x.f, U128{Lo: x.v})
			m.Set(x.f, Ones(Fields[x.f].Bits))
		}
		return
	}
	ip4, ip6 := kv{FieldEthType, EthTypeIPv4}, kv{FieldEthType, EthTypeIPv6}
	icmp6 := kv{FieldNwProto, ProtoICMPv6}
	cases := []struct {
		p        Prereq
		yes, no  []kv
		noReason string
	}{
		{PrereqNone, nil, nil, ""},
		{PrereqVLAN, []kv{{FieldVlanTCI, VlanCFI | 5}}, []kv{{FieldVlanTCI, 5}}, "no CFI"},
		{PrereqARP, []kv{{FieldEthType, EthTypeRARP}}, []kv{ip4}, "IPv4"},
		{PrereqIPv4, []kv{ip4}, []kv{ip6}, "IPv6"},
		{PrereqIPv6, []kv{ip6}, []kv{ip4}, "IPv4"},
		{PrereqIPAny, []kv{ip6}, []kv{{FieldEthType, EthTypeARP}}, "ARP"},
		{PrereqCT, []kv{{FieldCtState, uint64(CsTrk | CsEst)}}, []kv{{FieldCtState, uint64(CsTrk | CsInv)}}, "+trk+inv"},
		{PrereqCT, []kv{{FieldCtState, uint64(CsRpl)}}, []kv{ip4}, "no ct_state"},
		{PrereqTCP, []kv{ip4, {FieldNwProto, ProtoTCP}}, []kv{ip4, {FieldNwProto, ProtoTCP}, {FieldIPFrag, FragAny | FragLater}}, "later fragment"},
		{PrereqUDP, []kv{ip6, {FieldNwProto, ProtoUDP}}, []kv{{FieldNwProto, ProtoUDP}}, "no eth_type"},
		{PrereqSCTP, []kv{ip4, {FieldNwProto, ProtoSCTP}}, []kv{ip4, {FieldNwProto, ProtoTCP}}, "TCP"},
		{PrereqICMPv4, []kv{ip4, {FieldNwProto, ProtoICMP}}, []kv{ip6, {FieldNwProto, ProtoICMP}}, "IPv6"},
		{PrereqICMPv6, []kv{ip6, icmp6}, []kv{ip4, icmp6}, "IPv4"},
		{PrereqND, []kv{ip6, icmp6, {FieldICMPv6Type, 136}}, []kv{ip6, icmp6, {FieldICMPv6Type, 135}, {FieldICMPv6Code, 1}}, "code 1"},
		{PrereqNDSol, []kv{ip6, icmp6, {FieldICMPv6Type, 135}}, []kv{ip6, icmp6, {FieldICMPv6Type, 136}}, "advert"},
		{PrereqNDAdv, []kv{ip6, icmp6, {FieldICMPv6Type, 136}}, []kv{ip6, icmp6, {FieldICMPv6Type, 135}}, "solicit"},
	}
	for _, c := range cases {
		t.Run(c.p.String()+"/"+c.noReason, func(t *testing.T) {
			v, m := match(c.yes...)
			if !c.p.MetBy(&v, &m) {
				t.Errorf("%v not met by %v", c.p, c.yes)
			}
			if c.noReason == "" {
				return
			}
			v, m = match(c.no...)
			if c.p.MetBy(&v, &m) {
				t.Errorf("%v met by %v (%s)", c.p, c.no, c.noReason)
			}
		})
	}
	// +trk alone is valid only when the match also says -inv.
	v, m := match(kv{FieldCtState, uint64(CsTrk)})
	m.Set(FieldCtState, U128{Lo: uint64(CsTrk)})
	if PrereqCT.MetBy(&v, &m) {
		t.Error("ct_state=+trk satisfies CT")
	}
	m.Set(FieldCtState, U128{Lo: uint64(CsTrk | CsInv)})
	if !PrereqCT.MetBy(&v, &m) {
		t.Error("ct_state=+trk-inv does not satisfy CT")
	}
}
