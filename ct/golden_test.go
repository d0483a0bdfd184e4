package ct

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gswitch/packet"
)

// readGolden returns a capture of real OVS 3.1 (testdata/capture-ovs31.sh):
// the reply text, and for a failed command the error text as ct returns
// it (without ovs-vswitchd's "PROGRAM: " prefix).
func readGolden(t *testing.T, name string) (out, errText string, failed bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ovs31", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.LastIndex(s, "exit=")
	body, code := s[:i], strings.TrimSpace(s[i+5:])
	if code == "0" {
		return body, "", false
	}
	first, _, _ := strings.Cut(body, "\n")
	return "", strings.TrimPrefix(first, "ovs-vswitchd: "), true
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	sort.Strings(l)
	return l
}

var timeoutRE = regexp.MustCompile(`timeout=\d+`)

// goldenTraffic replays, through a tracker, the traffic that produced the
// OVS captures: flows commit ICMP to zone 5 with mark 17 and label 0x1234,
// UDP and ICMPv6 echo to zone 0, TCP to zone 7.
func goldenTraffic(t *testing.T) (*Tracker, int64) {
	var now int64 = 1000 * int64(time.Second)
	tr := New(Config{Clock: func() int64 { return now }})
	z5 := Params{Commit: true, Zone: 5, SetMark: true, Mark: 17, MarkMask: ^uint32(0),
		SetLabel: true, Label: packet.U128{Lo: 0x1234}, LabelMask: packet.Ones(128)}
	z0 := Params{Commit: true}
	z7 := Params{Commit: true, Zone: 7}
	const a, b = "198.51.100.1", "198.51.100.2"
	step := func(pk *packet.Packet, p Params) {
		now += int64(time.Millisecond)
		tr.Execute([]*packet.Packet{pk}, nil, &p, now)
	}
	for i := 0; i < 2; i++ {
		step(icmpFrame(a, b, icmp4EchoRequest, 0, 3464, nil), z5)
		step(icmpFrame(b, a, icmp4EchoReply, 0, 3464, nil), z5)
	}
	step(icmpFrame("2001:db8::1", "2001:db8::2", icmp6EchoRequest, 0, 3476, nil), z0)
	step(icmpFrame("2001:db8::2", "2001:db8::1", icmp6EchoReply, 0, 3476, nil), z0)
	step(udpFrame(a, b, 40000, 5353, 1), z0)
	step(udpFrame(b, a, 5353, 40000, 1), z0)
	step(udpFrame(a, b, 40001, 9, 1), z0)
	tcp := func(src, dst string, sp, dp, fl uint16, seq, ack uint32, pl, ws int) *packet.Packet {
		return tcpFrame(seg{src: src, dst: dst, sport: sp, dport: dp, flags: fl, seq: seq, ack: ack, win: 502, payload: pl, wscale: ws})
	}
	for _, sp := range []uint16{41000, 41001} {
		step(tcp(a, b, sp, 8080, tcpSYN, 1000, 0, 0, 10), z7)
		step(tcp(b, a, 8080, sp, tcpSYN|tcpACK, 5000, 1001, 0, 10), z7)
		step(tcp(a, b, sp, 8080, tcpACK, 1001, 5001, 0, -1), z7)
		step(tcp(a, b, sp, 8080, tcpACK|tcpPSH, 1001, 5001, 2, -1), z7)
		step(tcp(b, a, 8080, sp, tcpACK, 5001, 1003, 0, -1), z7)
		if sp == 41000 {
			step(tcp(b, a, 8080, sp, tcpFIN|tcpACK, 5001, 1003, 0, -1), z7)
			step(tcp(a, b, sp, 8080, tcpACK, 1003, 5002, 0, -1), z7)
			step(tcp(a, b, sp, 8080, tcpFIN|tcpACK, 1003, 5002, 0, -1), z7)
			step(tcp(b, a, 8080, sp, tcpACK, 5002, 1004, 0, -1), z7)
		}
	}
	return tr, now
}

func TestDumpGolden(t *testing.T) {
	tr, _ := goldenTraffic(t)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"dump-conntrack", nil},
		{"dump-conntrack-m", []string{"-m"}},
		{"dump-conntrack-s", []string{"-s"}},
		{"dump-conntrack-ms", []string{"-m", "-s"}},
		{"dump-conntrack-zone7", []string{"zone=7"}},
		{"dump-conntrack-dp", []string{"netdev@ovs-netdev", "zone=5"}},
		{"ct-stats-show", nil},
		{"ct-stats-show-m", []string{"-m"}},
		{"ct-stats-show-zone7", []string{"zone=7"}},
		{"ct-get-nconns", nil},
		{"ct-get-maxconns", nil},
	} {
		want, _, _ := readGolden(t, c.golden)
		cmd := strings.TrimSuffix(strings.Split(c.golden, "-conntrack")[0], "-") + "-conntrack"
		if strings.HasPrefix(c.golden, "ct-") {
			cmd = strings.Join(strings.Split(c.golden, "-")[:3], "-")
		}
		got, err := tr.DPCtl("dpctl/"+cmd, c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.golden, err)
		}
		if strings.HasPrefix(c.golden, "dump") {
			// OVS prints in hash order; timeouts depend on when it ran.
			w := timeoutRE.ReplaceAllString(strings.Join(sortedLines(want), "\n"), "timeout=T")
			g := timeoutRE.ReplaceAllString(strings.Join(sortedLines(got), "\n"), "timeout=T")
			if g != w {
				t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.golden, g, w)
			}
			continue
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", c.golden, got, want)
		}
	}
	// The timeouts themselves: OVS's capture ran a few seconds after the
	// traffic, so each -s timeout is the policy's minus that much.
	got, _ := tr.DPCtl("dump-conntrack", []string{"-s"})
	for _, want := range []string{"sport=5353,dport=40000),timeout=29", "sport=9,dport=40001),timeout=59",
		"zone=7,timeout=86400,protoinfo=(state=ESTABLISHED)", "zone=7,timeout=29,protoinfo=(state=TIME_WAIT)",
		"zone=5,timeout=29,mark=17"} {
		if !strings.Contains(got, want) {
			t.Errorf("-s dump lacks %q:\n%s", want, got)
		}
	}
}

// TestDPCtlGolden replays the control commands of the OVS capture in order.
func TestDPCtlGolden(t *testing.T) {
	tr, _ := goldenTraffic(t)
	for _, c := range []struct {
		golden string
		cmd    string
		args   []string
	}{
		{"ct-set-maxconns", "ct-set-maxconns", []string{"1000"}},
		{"ct-set-maxconns-bad", "ct-set-maxconns", []string{"abc"}},
		{"ct-get-maxconns-after", "ct-get-maxconns", nil},
		{"ct-get-limits-empty", "ct-get-limits", nil},
		{"ct-set-limits", "ct-set-limits", []string{"default=10", "zone=7,limit=5", "zone=9,limit=3"}},
		{"ct-set-limits-bad", "ct-set-limits", []string{"zone=7"}},
		{"ct-set-limits-bad2", "ct-set-limits", []string{"zone=x,limit=4"}},
		{"ct-del-limits", "ct-del-limits", []string{"zone=9"}},
		{"ct-get-tcp-seq-chk", "ct-get-tcp-seq-chk", nil},
		{"ct-disable-tcp-seq-chk", "ct-disable-tcp-seq-chk", nil},
		{"ct-get-tcp-seq-chk-off", "ct-get-tcp-seq-chk", nil},
		{"ct-enable-tcp-seq-chk", "ct-enable-tcp-seq-chk", nil},
		{"ipf-get-status", "ipf-get-status", nil},
		{"ipf-get-status-m", "ipf-get-status", []string{"-m"}},
		{"ipf-set-disabled", "ipf-set-disabled", []string{"v4"}},
		{"ipf-set-enabled", "ipf-set-enabled", []string{"v4"}},
		{"ipf-set-enabled-bad", "ipf-set-enabled", []string{"v5"}},
		{"ipf-set-min-frag", "ipf-set-min-frag", []string{"v4", "1000"}},
		{"ipf-set-min-frag-small", "ipf-set-min-frag", []string{"v4", "100"}},
		{"ipf-set-max-nfrags", "ipf-set-max-nfrags", []string{"500"}},
		{"ipf-set-max-nfrags-big", "ipf-set-max-nfrags", []string{"6000"}},
		{"flush-conntrack-bad", "flush-conntrack", []string{"zone=abc"}},
		{"flush-conntrack-badtuple", "flush-conntrack", []string{"ct_nw_src=1.2.3"}},
		{"flush-conntrack-badfield", "flush-conntrack", []string{"foo=1"}},
		{"flush-conntrack-port-noproto", "flush-conntrack", []string{"ct_tp_src=5"}},
		{"flush-conntrack-udp", "flush-conntrack", []string{"ct_nw_src=198.51.100.1,ct_nw_dst=198.51.100.2,ct_nw_proto=17,ct_tp_src=40000,ct_tp_dst=5353"}},
		{"dump-after-flush-udp", "dump-conntrack", nil},
		{"flush-conntrack-zone5", "flush-conntrack", []string{"zone=5"}},
		{"dump-after-flush-zone5", "dump-conntrack", nil},
		{"flush-conntrack-all", "flush-conntrack", nil},
		{"dump-after-flush-all", "dump-conntrack", nil},
		{"unknown-cmd", "ct-frobnicate", nil},
	} {
		want, wantErr, failed := readGolden(t, c.golden)
		got, err := tr.DPCtl(c.cmd, c.args)
		switch {
		case failed && err == nil:
			t.Errorf("%s: no error, want %q", c.golden, wantErr)
		case failed && err.Error() != wantErr:
			t.Errorf("%s: error %q, want %q", c.golden, err.Error(), wantErr)
		case !failed && err != nil:
			t.Errorf("%s: %v", c.golden, err)
		case !failed && strings.HasPrefix(c.cmd, "dump"):
			if strings.Join(sortedLines(got), "\n") != strings.Join(sortedLines(want), "\n") {
				t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.golden, got, want)
			}
		case !failed && got != want:
			t.Errorf("%s: got %q, want %q", c.golden, got, want)
		}
	}
	// ct-get-limits after the sets (counts are real in gswitch: zone 7
	// holds the two TCP connections; OVS 3.1 counts only connections
	// created after the limit was set).
	got, _ := tr.DPCtl("ct-get-limits", nil)
	if got != "default limit=10\nzone=7,limit=5,count=0\n" {
		t.Errorf("ct-get-limits: %q", got)
	}
}
