package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedOVNControllerDrivesGswitch: real OVN 23.03's
// ovn-controller drives gswitch, started with ovs-vswitchd's command line,
// on both chassis of the OVN capture's topology (tests/ovn/run-controller.sh:
// the central from the NB and SB databases the capture saved, the chassis
// rows deleted so the new ovn-controllers register and claim their ports
// again). Checked against what OVS 3.1 gave for the same databases
// (tests/golden/ovn, capture-ovn.sh): ovn-controller's log has no error,
// warning or reconnection beyond what it logs on OVS too; every VIF has
// its ofport and external_ids:ovn-installed, and the Southbound binds each
// port to its chassis as in the capture; the Geneve ports ovn-controller
// made have OVS's columns (status tunnel_egress_iface and its carrier);
// the OpenFlow 1.5 and 1.3 dumps of br-int's flows, groups, meters and TLV
// map equal OVS's once the numbers picked at run time are put as what they
// stand for (ovnCanonical); and nothing changes over 5 s (no flow churn: a
// flow monitor sees no update, a second dump is the same).
func TestPrivilegedOVNControllerDrivesGswitch(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	for _, c := range []string{"ovn-controller", "ovn-northd", "ovsdb-server", "ovs-ofctl"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skip(c + " not installed (ovn-central, ovn-host, openvswitch-switch)")
		}
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "ovn/run-controller.sh", out)
	// GSWITCH_OVN_SWITCH=ovs runs ovs-vswitchd instead: the goldens
	// checked against OVS itself.
	sw := os.Getenv("GSWITCH_OVN_SWITCH")
	if sw == "" {
		sw = "gswitch"
	}
	cmd.Env = append(os.Environ(), "SWITCH="+sw, "OVN_PREFIX=s7p", "OVN_GSWITCH="+bin)
	b, err := cmd.CombinedOutput()
	rd := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(out, name))
		return string(b)
	}
	if err != nil {
		for _, ch := range ovnChassis {
			t.Logf("%s ovn-controller.log:\n%s", ch, rd(ch+".ovn-controller.log"))
		}
		t.Fatalf("run-controller.sh: %v\n%s", err, b)
	}
	for _, ch := range ovnChassis {
		ovnCheckLog(t, ch, rd(ch+".ovn-controller.log"))
		ovnCheckVIFs(t, ch, rd(ch+".interfaces"))
		if got, want := rd(ch+".tunnels"), golden.Load("ovn/"+ch+".tunnels"); got != want {
			t.Errorf("%s: tunnel interfaces differ from OVS's (- OVS, + gswitch):\n%s", ch, lineDiff(want, got))
		}
		for _, v := range []string{"15", "13"} {
			gs := ovnDumped{ports: rd(ch + ".ports"), zones: rd(ch + ".ct-zones")}
			ref := ovnDumped{ports: golden.Load("ovn/" + ch + ".ports"), zones: golden.Load("ovn/" + ch + ".ct-zones")}
			for _, k := range []string{"flows", "groups", "meters", "tlv-map"} {
				if rc := strings.TrimSpace(rd(ch + "." + k + ".of" + v + ".rc")); rc != "0" {
					t.Errorf("%s: ovs-ofctl -O OpenFlow%s dump-%s exited %s:\n%s", ch, v, k, rc, rd(ch+"."+k+".of"+v+".raw"))
				}
				kind := golden.KindFlows
				if k == "tlv-map" {
					kind = golden.KindPlain
				}
				gs.set(k, golden.Normalize(kind, rd(ch+"."+k+".of"+v+".raw")))
				ref.set(k, golden.Load("ovn/"+ch+"."+k+".of"+v+".txt"))
			}
			want, got := ovnCanonical(ref), ovnCanonical(gs)
			for _, k := range []string{"flows", "groups", "meters", "tlv-map"} {
				if missing, extra := diffLines(want[k], got[k]); len(missing)+len(extra) > 0 {
					t.Errorf("%s: OpenFlow%s dump-%s differs from OVS's: %d lines missing, %d extra\nmissing:\n%s\nextra:\n%s",
						ch, v, k, len(missing), len(extra), strings.Join(head(missing, 20), "\n"), strings.Join(head(extra, 20), "\n"))
				}
			}
			if len(got["flows"]) < 500 {
				t.Errorf("%s: only %d flows", ch, len(got["flows"]))
			}
		}
		if m := rd(ch + ".monitor"); strings.Contains(m, "event=") || !strings.Contains(m, "FLOW_MONITOR reply") {
			t.Errorf("%s: flows changed after ovn-controller settled (ovs-ofctl monitor over 5 s):\n%s", ch, m)
		}
		if a, b := rd(ch+".flows.of15.raw"), rd(ch+".flows.after.raw"); a != b {
			t.Errorf("%s: dump-flows changed over 5 s:\n%s", ch, lineDiff(a, b))
		}
	}
	if got, want := ovnBindings(rd("sb-show")), ovnBindings(golden.Load("ovn/sb-show")); got != want {
		t.Errorf("Southbound port bindings:\n%s\nwant (OVS):\n%s", got, want)
	}
}

func head(l []string, n int) []string {
	if len(l) > n {
		return append(l[:n:n], "...")
	}
	return l
}

// ovnLogAllowed are the ovn-controller log lines at WARN and above that it
// writes on OVS 3.1 too in this setup: no representor VIF plug provider on
// this machine, and hv2 starting before hv1 has registered its encap.
var ovnLogAllowed = regexp.MustCompile(`vif_plug_provider\|WARN\|failed to initialize representor|physical\|WARN\|Failed to locate tunnel to reach main chassis`)

// ovnLogBad are lines that tell of an error, a refused message or a lost
// connection, at any level.
var ovnLogBad = regexp.MustCompile(`(?i)\|(WARN|ERR|EMER)\||disconnect|connection (dropped|closed)|broken pipe|reset by peer|unsupported|OFPT_ERROR|bad_|error|timed out|backoff|reconnect`)

// ovnCheckLog checks ovn-controller's log of chassis ch: no bad line, and
// each connection (the OVS database, the SB, and the three OpenFlow
// connections to br-int.mgmt: features, ofctrl and pinctrl) made once.
func ovnCheckLog(t *testing.T, ch, log string) {
	t.Helper()
	if !strings.Contains(log, "Setting lport") {
		t.Errorf("%s: ovn-controller's log is incomplete:\n%s", ch, log)
	}
	connected := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.HasSuffix(l, ": connected") {
			connected++
		}
		// The reconnect module's first connection and ovn-controller's
		// first "IDL reconnected"/"OpenFlow connection reconnected" are
		// how it starts on OVS as well.
		if strings.Contains(l, "|reconnect|INFO|") && (strings.HasSuffix(l, "connecting...") || strings.HasSuffix(l, "connected")) ||
			strings.Contains(l, "|main|INFO|") && strings.Contains(l, "reconnected") {
			continue
		}
		if ovnLogBad.MatchString(l) && !ovnLogAllowed.MatchString(l) {
			t.Errorf("%s: ovn-controller logged: %s", ch, l)
		}
	}
	if connected != 5 {
		t.Errorf("%s: %d connections made, want 5 (OVS database, SB, 3 x br-int.mgmt): a reconnection?\n%s", ch, connected, log)
	}
}

// ovnCheckVIFs: each VIF (external_ids:iface-id) in `ovs-vsctl list
// interface` has its ofport and ovn-installed, and there are two.
func ovnCheckVIFs(t *testing.T, ch, list string) {
	t.Helper()
	n := 0
	for _, row := range strings.Split(list, "\n\n") {
		cols := map[string]string{}
		for _, l := range strings.Split(row, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				cols[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		if !strings.Contains(cols["external_ids"], "iface-id=") {
			continue
		}
		n++
		if no, err := strconv.Atoi(cols["ofport"]); err != nil || no <= 0 {
			t.Errorf("%s: VIF %s has ofport %q", ch, cols["name"], cols["ofport"])
		}
		if !strings.Contains(cols["external_ids"], `ovn-installed="true"`) {
			t.Errorf("%s: VIF %s not ovn-installed: %s", ch, cols["name"], cols["external_ids"])
		}
	}
	if n != 2 {
		t.Errorf("%s: %d VIFs, want 2:\n%s", ch, n, list)
	}
}

// ovnBindings is `ovn-sbctl show`'s chassis with their port bindings, in
// sorted order.
func ovnBindings(show string) string {
	var out []string
	ch := ""
	for _, l := range strings.Split(show, "\n") {
		if c, ok := strings.CutPrefix(l, "Chassis "); ok {
			ch = c
		}
		if p, ok := strings.CutPrefix(strings.TrimSpace(l), "Port_Binding "); ok {
			out = append(out, ch+" "+p)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// ovnDumped is what one chassis's br-int held (OpenFlow dumps, normalized)
// and what names its run-time numbers (lib.sh's ovn_dump: NAME.ports,
// NAME.ct-zones).
type ovnDumped struct {
	flows, groups, meters, tlvMap, ports, zones string
}

func (d *ovnDumped) set(kind, text string) {
	switch kind {
	case "flows":
		d.flows = text
	case "groups":
		d.groups = text
	case "meters":
		d.meters = text
	case "tlv-map":
		d.tlvMap = text
	}
}

var (
	reOVNCookie   = regexp.MustCompile(`^cookie=0x[0-9a-f]+, `)
	reOVNZoneLoad = regexp.MustCompile(`set_field:0x([0-9a-f]+)->(reg1[123])\b`)
	reOVNPortRef  = regexp.MustCompile(`\b(in_port=|output:)(\d+)\b`)
	reOVNGroupRef = regexp.MustCompile(`\bgroup:(\d+)\b`)
	reOVNMeterRef = regexp.MustCompile(`\b(meter:|meter_id=)(\d+)\b`)
	reOVNGroupID  = regexp.MustCompile(`^group_id=(\d+),`)
	reOVNMeterID  = regexp.MustCompile(`^meter=(\d+) `)
)

// ovnCanonical puts the numbers of d that a run picks as what they stand
// for, so that two runs on the same Southbound database (the same datapath
// and port keys and logical flows) compare equal: flow cookies are left
// out (each flow still has its table, priority and match); ofports are the
// VIF's iface-id or the port's name (ovn-controller adds the patch and
// tunnel ports as it learns of them, so their order follows timing); ct
// zones loaded into reg11-13 are their ct-zone-list names (ovn-controller
// numbers them in the order it meets them); group and meter ids are the
// place of their text among the sorted others (numbered in the order
// ovn-controller meets them). Lines are sorted; the reply headers go.
func ovnCanonical(d ovnDumped) map[string][]string {
	ports := map[string]string{}
	for _, l := range strings.Split(d.ports, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		ports[f[0]] = f[1]
		if len(f) == 3 {
			ports[f[0]] = "vif:" + f[2]
		}
	}
	zones := map[uint64]string{}
	for _, l := range strings.Split(d.zones, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			if z, err := strconv.ParseUint(f[1], 10, 16); err == nil {
				zones[z] = f[0]
			}
		}
	}
	groups, gl := ovnRenumber(ovnReplyLines(d.groups), reOVNGroupID, "G")
	meters, ml := ovnRenumber(ovnMeterLines(d.meters), reOVNMeterID, "M")
	var fl []string
	for _, l := range ovnReplyLines(d.flows) {
		l = reOVNCookie.ReplaceAllString(l, "")
		l = reOVNZoneLoad.ReplaceAllStringFunc(l, func(x string) string {
			m := reOVNZoneLoad.FindStringSubmatch(x)
			if v, err := strconv.ParseUint(m[1], 16, 64); err == nil && zones[v] != "" {
				return "set_field:zone(" + zones[v] + ")->" + m[2]
			}
			return x
		})
		l = reOVNPortRef.ReplaceAllStringFunc(l, func(x string) string {
			m := reOVNPortRef.FindStringSubmatch(x)
			if n, ok := ports[m[2]]; ok {
				return m[1] + "port(" + n + ")"
			}
			return x
		})
		l = reOVNGroupRef.ReplaceAllStringFunc(l, func(x string) string {
			if n, ok := groups[reOVNGroupRef.FindStringSubmatch(x)[1]]; ok {
				return "group:" + n
			}
			return x
		})
		l = reOVNMeterRef.ReplaceAllStringFunc(l, func(x string) string {
			m := reOVNMeterRef.FindStringSubmatch(x)
			if n, ok := meters[m[2]]; ok {
				return m[1] + n
			}
			return x
		})
		fl = append(fl, l)
	}
	sort.Strings(fl)
	return map[string][]string{"flows": fl, "groups": gl, "meters": ml, "tlv-map": ovnReplyLines(d.tlvMap)}
}

// ovnReplyLines are a dump's lines without the reply header and blank
// lines, trimmed.
func ovnReplyLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, " reply (OF") {
			out = append(out, l)
		}
	}
	return out
}

// ovnMeterLines is a dump-meters reply with each meter on one line (its
// band lines joined).
func ovnMeterLines(text string) []string {
	var out []string
	cur := ""
	flush := func() {
		if cur != "" {
			out = append(out, cur)
		}
		cur = ""
	}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.Contains(l, " reply (OF"):
		case strings.HasPrefix(l, "meter="):
			flush()
			cur = l
		case l == "":
			flush()
		default:
			cur += " " + l
		}
	}
	flush()
	return out
}

// ovnRenumber labels each id (re's first group) prefix and the place of
// its line's text without the id among the others, sorted; it returns the
// labels by id and the lines, sorted, with the labels for the ids.
func ovnRenumber(lines []string, re *regexp.Regexp, prefix string) (map[string]string, []string) {
	type item struct{ id, rest string }
	items := make([]item, 0, len(lines))
	for _, l := range lines {
		if m := re.FindStringSubmatchIndex(l); m != nil {
			items = append(items, item{l[m[2]:m[3]], l[:m[0]] + l[m[1]:]})
		} else {
			items = append(items, item{"", l})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].rest < items[j].rest })
	ids := map[string]string{}
	out := make([]string, 0, len(items))
	for i, it := range items {
		if it.id == "" {
			out = append(out, it.rest)
			continue
		}
		label := fmt.Sprintf("%s%d", prefix, i+1)
		ids[it.id] = label
		out = append(out, label+" "+it.rest)
	}
	return ids, out
}
