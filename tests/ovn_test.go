package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// The OVN replay: what real OVN 23.03's ovn-controller installed into OVS
// 3.1 on two chassis (tests/ovn/capture-ovn.sh, goldens in
// tests/golden/ovn/, README there) is fed to gswitch with the real
// ovs-ofctl, and dumped back.
//
// Until gswitch accepts all of it, the test is a ratchet: every message
// (TLV map, meter, group, flow; one per golden line) is sent alone over the
// highest OpenFlow version gswitch accepts that ovs-ofctl can express it in;
// tests/golden/ovn/refused.txt lists exactly the refused ones with their
// error. The test fails when a message outside the list is refused, when a
// listed one is accepted or refused differently (shrink the list:
// GSWITCH_OVN_UPDATE_REFUSED=1 rewrites it), or when what was accepted dumps
// back differently from OVS (from what OVS dumps when given the same text:
// the CH.replayV.* goldens). When the list holds nothing but lines ovs-ofctl
// cannot express as text, the final form runs too: TLV map and meters, then
// all groups and flows in one --bundle over OpenFlow 1.5, compared whole.

// ovnChassis are the captured chassis: hv1 is the gateway chassis.
var ovnChassis = []string{"hv1", "hv2"}

const ovnRefusedFile = "ovn/refused.txt"

// ovnMsg is one message to replay.
type ovnMsg struct {
	chassis string
	kind    string // tlv-map, meter, group, flow
	line    string // ovs-ofctl syntax
}

func (m ovnMsg) key() string { return m.chassis + "\t" + m.kind + "\t" + m.line }

var reXid = regexp.MustCompile(` \(xid=0x[0-9a-f]+\)`)

// ovnMessages reads chassis ch's replay inputs (CH.input.*, one message
// per line in ovs-ofctl syntax, made by capture-ovn.sh from the OpenFlow
// 1.5 dumps) in the order they must be sent: TLV map, meters, groups, flows.
func ovnMessages(t *testing.T, ch string) []ovnMsg {
	t.Helper()
	var msgs []ovnMsg
	for _, k := range []struct{ kind, file string }{
		{"tlv-map", "tlv-map"}, {"meter", "meters"}, {"group", "groups"}, {"flow", "flows"},
	} {
		for _, l := range strings.Split(golden.Load("ovn/"+ch+".input."+k.file), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				msgs = append(msgs, ovnMsg{ch, k.kind, l})
			}
		}
	}
	return msgs
}

// ovnBody is a dump's lines without the reply header line.
func ovnBody(dump string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(dump, "\n"), "\n") {
		if strings.Contains(l, " reply (OF") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// ovnKey is what identifies a flow, group or meter in a message or a dump
// line: a flow's cookie, table, priority and match (the text before
// actions=), a group's group_id, a meter's meter=N.
func ovnKey(kind, line string) string {
	line = strings.TrimSpace(line)
	switch kind {
	case "flow":
		k, _, _ := strings.Cut(line, " actions=")
		return k
	case "group":
		k, _, _ := strings.Cut(line, ",")
		return k
	case "meter":
		k, _, _ := strings.Cut(line, " ")
		return k
	}
	return line
}

// ovnVersions are the versions the replay may use, highest first, with the
// golden suffix of their dumps.
var ovnVersions = []struct{ name, suffix string }{
	{"OpenFlow15", "15"},
	{"OpenFlow14", ""},
	{"OpenFlow13", "13"},
}

// ovnSwitch is gswitch under replay, reached by ovs-ofctl through its
// management socket.
type ovnSwitch struct {
	tp       *topo
	target   string
	versions []string // the ovnVersions gswitch accepts, highest first
}

func (s *ovnSwitch) ofctl(version, cmd string, args ...string) (string, error) {
	return netns.Try("timeout", append([]string{"20", "ovs-ofctl", "-O", version, cmd, s.target}, args...)...)
}

func newOVNSwitch(t *testing.T, prefix string) *ovnSwitch {
	tp := newTopo(t, prefix, prefix+"-p1", prefix+"-p2", "--datapath-id", "0000000000000001")
	s := &ovnSwitch{tp: tp, target: "unix:" + filepath.Join(tp.rundir, "br0.mgmt")}
	for _, v := range ovnVersions {
		if _, err := s.ofctl(v.name, "show"); err == nil {
			s.versions = append(s.versions, v.name)
		}
	}
	if len(s.versions) == 0 {
		t.Fatalf("gswitch accepts none of OpenFlow 1.3-1.5 on %s", s.target)
	}
	return s
}

// ovnCommand is the ovs-ofctl command that adds one message of kind.
var ovnCommand = map[string]string{"tlv-map": "add-tlv-map", "meter": "add-meter", "group": "add-group", "flow": "add-flow"}

// send replays m alone over the highest version that ovs-ofctl can express
// it in; it returns the version used and, if refused, the error: the
// switch's OFPT_ERROR line (without xid), or ovs-ofctl's own complaint when
// no version expresses it.
func (s *ovnSwitch) send(m ovnMsg) (version, refusal string) {
	var last string
	for _, v := range s.versions {
		out, err := s.ofctl(v, ovnCommand[m.kind], m.line)
		if err == nil {
			return v, ""
		}
		if i := strings.Index(out, "OFPT_ERROR"); i >= 0 {
			line, _, _ := strings.Cut(out[i:], "\n")
			return v, reXid.ReplaceAllString(line, "")
		}
		last = strings.TrimSpace(out)
		if f, _, ok := strings.Cut(last, "\n"); ok {
			last = f
		}
	}
	return "", "ovs-ofctl: " + strings.TrimPrefix(last, "ovs-ofctl: ")
}

type ovnResult struct{ version, why string }

var (
	reSentFlowMod = regexp.MustCompile(`sent \(Success\): OFPT_FLOW_MOD \(OF[0-9.]+\) \(xid=(0x[0-9a-f]+)\)`)
	reErrorXid    = regexp.MustCompile(`^OFPT_ERROR \(OF[0-9.]+\) \(xid=(0x[0-9a-f]+)\)`)
	reCookie      = regexp.MustCompile(`^cookie=(0x[0-9a-f]+),`)
	reFileLine    = regexp.MustCompile(`^ovs-ofctl: [^:]+:([0-9]+): `)
)

// sendAll replays msgs in order, each as its own message. TLV mappings,
// meters and groups go one ovs-ofctl call each (send); flows, the bulk, go
// in batches through add-flows (not a bundle: each flow-mod stands alone):
// ovs-ofctl sends the whole file and reports only the first OFPT_ERROR, so
// the refused flow is found by the xid its vconn log gave it, the flows
// before it are accepted, and the rest is sent again (adding the same flow
// twice is harmless). A line ovs-ofctl cannot parse in the batch's version
// goes to send alone (which tries the lower versions).
func (s *ovnSwitch) sendAll(t *testing.T, msgs []ovnMsg) []ovnResult {
	res := make([]ovnResult, len(msgs))
	var pending []int
	for i, m := range msgs {
		if m.kind == "flow" {
			pending = append(pending, i)
			continue
		}
		res[i].version, res[i].why = s.send(m)
	}
	v := s.versions[0]
	f := filepath.Join(t.TempDir(), "batch.flows")
	for round := 0; len(pending) > 0; round++ {
		if round > len(msgs) {
			t.Fatalf("flow replay does not converge")
		}
		var b strings.Builder
		for _, i := range pending {
			b.WriteString(msgs[i].line + "\n")
		}
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := netns.Try("timeout", "120", "ovs-ofctl", "-O", v, "-vvconn:console:dbg", "add-flows", s.target, f)
		if err == nil {
			for _, i := range pending {
				res[i].version = v
			}
			return res
		}
		// ovs-ofctl 3.1's add-flows sends each flow-mod with a barrier
		// after it and stops at the first error, so flow-mod j has xid
		// first+2j (its vconn log is rate-limited: only the first is
		// certain to be logged) and nothing after the refused one was sent.
		first, k := int64(-1), -1
		var errLine string
		for _, l := range strings.Split(out, "\n") {
			if mm := reSentFlowMod.FindStringSubmatch(l); mm != nil && first < 0 {
				first, _ = strconv.ParseInt(mm[1], 0, 64)
			}
			if mm := reFileLine.FindStringSubmatch(l); mm != nil {
				// ovs-ofctl could not parse line N: nothing was sent
				n, _ := strconv.Atoi(mm[1])
				if n < 1 || n > len(pending) {
					t.Fatalf("add-flows: line %d out of range:\n%s", n, l)
				}
				i := pending[n-1]
				res[i].version, res[i].why = s.send(msgs[i])
				pending = append(pending[:n-1:n-1], pending[n:]...)
				k = -2
				break
			}
			if mm := reErrorXid.FindStringSubmatch(l); mm != nil && errLine == "" && first >= 0 {
				errLine = reXid.ReplaceAllString(l, "")
				x, _ := strconv.ParseInt(mm[1], 0, 64)
				if d := x - first; d >= 0 && d%2 == 0 && int(d/2) < len(pending) {
					k = int(d / 2)
				}
			}
		}
		if k >= 0 {
			// the error echoes the refused flow-mod: its cookie must be the line's
			if c := reCookie.FindStringSubmatch(msgs[pending[k]].line); c != nil && !strings.Contains(out, "cookie:"+c[1]) {
				t.Fatalf("add-flows: the refused flow-mod is not line %d (%s):\n%s", k+1, msgs[pending[k]].line, out[max(0, len(out)-3000):])
			}
		}
		switch {
		case k == -2:
			continue
		case k < 0:
			t.Fatalf("add-flows over %s failed and no refused flow is found in its output (last 3000 bytes):\n%s", v, out[max(0, len(out)-3000):])
		}
		for _, i := range pending[:k] {
			res[i].version = v
		}
		res[pending[k]] = ovnResult{v, errLine}
		pending = pending[k+1:]
	}
	return res
}

// loadRefused reads refused.txt: key (chassis, kind, line) -> "version\terror".
func loadRefused(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(golden.Load(ovnRefusedFile), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, "\t", 5)
		if len(f) != 5 {
			t.Fatalf("%s: bad line %q", ovnRefusedFile, l)
		}
		out[f[0]+"\t"+f[1]+"\t"+f[4]] = f[2] + "\t" + f[3]
	}
	return out
}

const ovnRefusedHeader = `# OVN replay: messages gswitch refuses today (TestPrivilegedOVNReplay, tests/ovn_test.go).
# Columns (tab-separated): chassis kind version error line
#   version: the OpenFlow version the message was sent with ("" if ovs-ofctl could express it in none)
#   error:   the switch's OFPT_ERROR (without xid), or ovs-ofctl's own error
# Kinds: tlv-map, meter, group, flow (refused messages); dump (a dump command refused);
# differs-K (accepted, but gswitch dumps OVS's line differently: error is gswitch's line);
# extra-K (gswitch dumps a line OVS does not).
# The test fails if another message is refused, or a listed one accepted or refused
# differently. Rewrite after a feature lands (as root, after make build):
#   GSWITCH_OVN_UPDATE_REFUSED=1 GSWITCH_PRIV=1 GSWITCH_BIN=$PWD/bin/gswitch go test -count=1 -run TestPrivilegedOVNReplay ./tests/
# normalize: plain
`

// TestPrivilegedOVNReplay replays the OVN capture into gswitch, one message
// at a time, and checks refusals against refused.txt and the dumps against
// OVS's; with nothing refused it also replays everything in one bundle.
func TestPrivilegedOVNReplay(t *testing.T) {
	netns.Require(t)
	want := loadRefused(t)
	update := os.Getenv("GSWITCH_OVN_UPDATE_REFUSED") != ""
	var newList []string
	total, accepted := 0, 0
	counts := map[string][2]int{} // kind -> accepted, total
	for _, ch := range ovnChassis {
		t.Run(ch, func(t *testing.T) {
			s := newOVNSwitch(t, "g11u")
			t.Logf("gswitch accepts %v", s.versions)
			refused := map[string]map[string]bool{} // kind -> ovnKey
			check := func(m ovnMsg, v, why string) {
				got := ""
				if why != "" {
					got = v + "\t" + why
					newList = append(newList, strings.Join([]string{m.chassis, m.kind, v, why, m.line}, "\t"))
				}
				exp, listed := want[m.key()]
				delete(want, m.key())
				if update {
					return
				}
				switch {
				case why != "" && !listed:
					t.Errorf("refused, not in %s: %s %s over %s: %s\n  %s", ovnRefusedFile, ch, m.kind, v, why, m.line)
				case why == "" && listed:
					t.Errorf("accepted now (over %s), remove it from %s: %s %s\n  %s", v, ovnRefusedFile, ch, m.kind, m.line)
				case why != "" && got != exp:
					t.Errorf("refused differently than %s records (%q): %s %s over %s: %s\n  %s", ovnRefusedFile, exp, ch, m.kind, v, why, m.line)
				}
			}
			msgs := ovnMessages(t, ch)
			res := s.sendAll(t, msgs)
			for i, m := range msgs {
				v, why := res[i].version, res[i].why
				total++
				c := counts[m.kind]
				c[1]++
				if why == "" {
					accepted++
					c[0]++
				} else {
					if refused[m.kind] == nil {
						refused[m.kind] = map[string]bool{}
					}
					refused[m.kind][ovnKey(m.kind, m.line)] = true
				}
				counts[m.kind] = c
				check(m, v, why)
			}
			nref := 0
			for _, r := range res {
				if r.why != "" {
					nref++
				}
			}
			t.Logf("%s: gswitch accepted %d of %d messages (%.1f %%)", ch, len(msgs)-nref, len(msgs), 100*float64(len(msgs)-nref)/float64(len(msgs)))
			ovnCompareDumps(t, s, ch, refused, check)
		})
	}
	if !update {
		for k := range want {
			t.Errorf("%s lists a message not in the capture: %q", ovnRefusedFile, k)
		}
	}
	if total > 0 {
		var kinds []string
		for k, c := range counts {
			kinds = append(kinds, fmt.Sprintf("%s %d/%d", k, c[0], c[1]))
		}
		sort.Strings(kinds)
		t.Logf("OVN replay: gswitch accepted %d of %d messages (%.1f %%): %s", accepted, total,
			100*float64(accepted)/float64(total), strings.Join(kinds, ", "))
	}
	if update {
		text := ovnRefusedHeader + strings.Join(newList, "\n")
		if len(newList) > 0 {
			text += "\n"
		}
		if err := os.WriteFile(golden.Path(ovnRefusedFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d refused)", golden.Path(ovnRefusedFile), len(newList))
		return
	}
	// The final form once gswitch refuses nothing: only messages that
	// ovs-ofctl itself cannot express as text (no version in the list) may
	// be left, and they are left out of the bundle.
	skip := map[string]bool{}
	for _, l := range newList {
		f := strings.SplitN(l, "\t", 5)
		if f[2] != "" {
			return
		}
		skip[f[0]+"\t"+f[1]+"\t"+f[4]] = true
	}
	if !t.Failed() {
		for _, ch := range ovnChassis {
			t.Run(ch+"-bundle", func(t *testing.T) { ovnBundleReplay(t, ch, skip) })
		}
	}
}

// ovnCompareDumps compares gswitch's dump-flows/dump-groups/dump-meters,
// in the highest version it accepts for which a golden exists, with OVS's
// dumps less the refused messages (as sets of lines: gswitch need not
// reproduce OVS's classifier order).
//
// A dump command that fails goes to check as a message of kind "dump" (so a
// switch without meters has its dump-meters refusal listed in
// refused.txt); check is nil in the bundle replay, where nothing may fail.
// dump-tlv-map is compared with OVS's when no TLV mapping was refused.
func ovnCompareDumps(t *testing.T, s *ovnSwitch, ch string, refused map[string]map[string]bool, check func(m ovnMsg, v, why string)) {
	version, suffix := "", ""
	for _, v := range ovnVersions {
		if v.suffix != "" && contains(s.versions, v.name) {
			version, suffix = v.name, v.suffix
			break
		}
	}
	for _, d := range []struct{ kind, cmd, file string }{
		{"flow", "dump-flows", "flows"},
		{"group", "dump-groups", "groups"},
		{"meter", "dump-meters", "meters"},
	} {
		args := []string{}
		if d.cmd == "dump-flows" {
			args = append(args, "--no-stats")
		}
		out, err := s.ofctl(version, d.cmd, args...)
		if ovnDumpFailed(t, ch, version, d.cmd, out, err, check) {
			continue
		}
		var w []string
		for _, l := range ovnItems(d.kind, golden.Load("ovn/"+ch+".replay"+suffix+"."+d.file+".txt")) {
			if !refused[d.kind][ovnKey(d.kind, l)] {
				w = append(w, l)
			}
		}
		g := ovnItems(d.kind, golden.Normalize(golden.KindFlows, out))
		missing, extra := diffLines(w, g)
		if check == nil {
			for _, l := range missing {
				t.Errorf("%s %s (%s): OVS dumps, gswitch does not:\n  %s", ch, d.cmd, version, l)
			}
			for _, l := range extra {
				t.Errorf("%s %s (%s): gswitch dumps, OVS does not:\n  %s", ch, d.cmd, version, l)
			}
			continue
		}
		// Each difference is a "differs" entry of the ratchet: OVS's line
		// with gswitch's line for the same match (text before actions=).
		byMatch := map[string][]string{}
		for _, l := range extra {
			k, _, _ := strings.Cut(l, " actions=")
			byMatch[k] = append(byMatch[k], l)
		}
		for _, l := range missing {
			k, _, _ := strings.Cut(l, " actions=")
			why := "gswitch dumps nothing for it"
			if e := byMatch[k]; len(e) > 0 {
				why = "gswitch dumps: " + e[0]
				byMatch[k] = e[1:]
			}
			check(ovnMsg{chassis: ch, kind: "differs-" + d.kind, line: l}, version, why)
		}
		var rest []string
		for _, e := range byMatch {
			rest = append(rest, e...)
		}
		sort.Strings(rest)
		for _, l := range rest {
			check(ovnMsg{chassis: ch, kind: "extra-" + d.kind, line: l}, version, "OVS dumps nothing for it")
		}
	}
	out, err := s.ofctl(version, "dump-tlv-map")
	if !ovnDumpFailed(t, ch, version, "dump-tlv-map", out, err, check) && len(refused["tlv-map"]) == 0 {
		want := golden.Load("ovn/" + ch + ".replay" + suffix + ".tlv-map.txt")
		if got := golden.Normalize(golden.KindPlain, out); got != want {
			t.Errorf("%s dump-tlv-map (%s) differs from OVS 3.1\n--- OVS\n%s--- gswitch\n%s", ch, version, want, got)
		}
	}
}

// ovnDumpFailed reports whether a dump command failed, handing the failure
// to check (or failing the test when check is nil).
func ovnDumpFailed(t *testing.T, ch, version, cmd, out string, err error, check func(m ovnMsg, v, why string)) bool {
	m := ovnMsg{chassis: ch, kind: "dump", line: cmd}
	why := ""
	if err != nil {
		why = "ovs-ofctl: " + strings.TrimSpace(out)
		if i := strings.Index(out, "OFPT_ERROR"); i >= 0 {
			why, _, _ = strings.Cut(out[i:], "\n")
			why = reXid.ReplaceAllString(why, "")
		} else if f, _, ok := strings.Cut(why, "\n"); ok {
			why = f
		}
	}
	if check != nil {
		check(m, version, why)
	} else if why != "" {
		t.Errorf("%s %s (%s): %s\n%s", ch, cmd, version, why, out)
	}
	return why != ""
}

// ovnItems splits a dump into items: one per flow or group line, one per
// meter (its lines joined).
func ovnItems(kind, dump string) []string {
	var out []string
	body := ovnBody(dump)
	if kind != "meter" {
		for _, l := range body {
			out = append(out, strings.TrimSpace(l))
		}
		return out
	}
	cur := ""
	for _, l := range append(body, "") {
		switch {
		case strings.TrimSpace(l) == "":
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
		case strings.HasPrefix(l, "meter="):
			if cur != "" {
				out = append(out, cur)
			}
			cur = l
		default:
			cur += " " + strings.TrimSpace(l)
		}
	}
	return out
}

// diffLines compares two multisets of lines.
func diffLines(want, got []string) (missing, extra []string) {
	n := map[string]int{}
	for _, l := range want {
		n[l]++
	}
	for _, l := range got {
		n[l]--
	}
	for l, c := range n {
		for ; c > 0; c-- {
			missing = append(missing, l)
		}
		for ; c < 0; c++ {
			extra = append(extra, l)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// ovnBundleReplay is the final form: the TLV map and the meters, then all
// groups and flows of chassis ch in one atomic bundle over OpenFlow 1.5,
// as ovn-controller sends them, and every dump compared whole.
func ovnBundleReplay(t *testing.T, ch string, skip map[string]bool) {
	s := newOVNSwitch(t, "g11u")
	if !contains(s.versions, "OpenFlow15") {
		t.Fatalf("nothing refused, but gswitch does not accept OpenFlow 1.5 (%v)", s.versions)
	}
	var bundle []string
	refused := map[string]map[string]bool{}
	for _, m := range ovnMessages(t, ch) {
		if skip[m.key()] {
			if refused[m.kind] == nil {
				refused[m.kind] = map[string]bool{}
			}
			refused[m.kind][ovnKey(m.kind, m.line)] = true
			continue
		}
		switch m.kind {
		case "group", "flow":
			bundle = append(bundle, m.kind+" add "+m.line)
		default:
			if out, err := s.ofctl("OpenFlow15", ovnCommand[m.kind], m.line); err != nil {
				t.Fatalf("%s %s: %v\n%s", ovnCommand[m.kind], m.line, err, out)
			}
		}
	}
	f := filepath.Join(t.TempDir(), ch+".bundle")
	if err := os.WriteFile(f, []byte(strings.Join(bundle, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := netns.Try("timeout", "60", "ovs-ofctl", "-O", "OpenFlow15", "--bundle", "bundle", s.target, f); err != nil {
		t.Fatalf("ovs-ofctl --bundle bundle (%d messages): %v\n%s", len(bundle), err, out)
	}
	ovnCompareDumps(t, s, ch, refused, nil)
}
