// Package golden holds reference outputs of real Open vSwitch 3.1 and the
// normalization that makes them comparable with gswitch's output.
//
// The files beside this source (*.txt, *.tsv) are produced by
// tests/ovsref/capture.sh, which runs a private OVS and pipes every capture
// through the same Normalize as tests use (via tests/ovsref/normalize), so a
// test does:
//
//	want := golden.Load("dump-flows/ct-firewall.of13.txt")
//	got := golden.Normalize(golden.KindFlows, runOfctl(t, "-O", "OpenFlow13", "dump-flows", "br0"))
//	if got != want { ... }
//
// README.md in this directory lists every file, the exact command that made
// it and which lines are switch-specific.
package golden

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Kinds of text, each with its own normalization.
const (
	// KindFlows: dump-flows, dump-aggregate, dump-tables, dump-ports,
	// dump-groups, dump-group-stats and other ovs-ofctl output. Replaces the
	// values of duration=, idle_age=, hard_age= with X. Line order is kept.
	KindFlows = "flows"
	// KindFlowsSorted: as KindFlows, then the lines after the first (the
	// reply header) are sorted. For switches whose dump order differs
	// from OVS's classifier order.
	KindFlowsSorted = "flows-sorted"
	// KindFlowsHits: as KindFlows, and non-zero n_packets=/n_bytes=/
	// packet_count=/byte_count= values become N: whether a flow was hit is
	// kept, how often (TCP ACK timing) is not.
	KindFlowsHits = "flows-hits"
	// KindConntrack: dpctl/dump-conntrack and dump-conntrack-exp. Replaces
	// ephemeral ports (sport=/dport= with a value in Linux's default
	// ephemeral range 32768-60999) with EPH, ICMP ids (id=N) with X,
	// timeout=N with X, then sorts the lines (OVS dumps in hash order).
	KindConntrack = "conntrack"
	// KindConntrackNAT: as KindConntrack, and also ports in NATPortLow..NATPortHigh
	// (the SNAT range of flows/nat.flows, from which OVS picks at random)
	// become NAT.
	KindConntrackNAT = "conntrack-nat"
	// KindIPF: dpctl/ipf-get-status -m: the fragment-list lines (those that
	// start with "(") are sorted among themselves (OVS lists them in hash
	// order); everything else is kept.
	KindIPF = "ipf"
	// KindPlain: only line endings and the trailing newline are normalized.
	KindPlain = "plain"
	// KindMonitor: ovs-ofctl monitor output: durations and buffer ids are
	// replaced by X; line order is kept, except that the " event=" lines
	// of one flow monitor reply are sorted (OVS lists them in its
	// classifier's order).
	KindMonitor = "monitor"
	// KindMeters: dump-meters and meter-stats: "duration:1.234s" becomes
	// "duration:X", blank lines (ovs-ofctl's separators) are dropped, and
	// the meters (a line starting "meter", with the lines up to the next
	// such line) are sorted after the reply header: OVS lists meters in
	// hash order.
	KindMeters = "meters"
	// KindVswitchd: the steps of vswitchd/capture.sh (ovs-vsctl show and
	// list, ovs-ofctl show and dump-ports-desc); see NormalizeVswitchd.
	KindVswitchd = "vswitchd"
)

var (
	reDuration = regexp.MustCompile(`duration=[0-9]+(\.[0-9]+)?s`)
	reAge      = regexp.MustCompile(`\b(idle_age|hard_age)=[0-9]+`)
	rePort     = regexp.MustCompile(`\b(sport|dport)=([0-9]+)`)
	reICMPID   = regexp.MustCompile(`\bid=[0-9]+`)
	reTimeout  = regexp.MustCompile(`\btimeout=[0-9]+`)
	reMeterDur = regexp.MustCompile(`duration:[0-9]+(\.[0-9]+)?s`)
	reBufferID = regexp.MustCompile(`\bbuffer=0x[0-9a-f]+`)
	reCounter  = regexp.MustCompile(`\b(n_packets|n_bytes|packet_count|byte_count)=[1-9][0-9]*`)
	reLogTime  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z\|`)
)

// EphemeralLow and EphemeralHigh bound the port numbers KindConntrack
// replaces (Linux's default net.ipv4.ip_local_port_range). Fixed ports
// chosen by tests and captures stay below EphemeralLow.
const (
	EphemeralLow  = 32768
	EphemeralHigh = 60999
)

// NATPortLow and NATPortHigh bound the ports KindConntrackNAT replaces:
// the SNAT port range of flows/nat.flows (ct(commit,nat(src=203.0.113.100:20000-20099))).
const (
	NATPortLow  = 20000
	NATPortHigh = 20099
)

// Normalize returns text with the volatile parts of kind replaced, OVS log
// line timestamps ("2026-01-02T03:04:05Z|00001|...") turned into "TIME|" in
// every kind, with
// "\r\n" turned into "\n", trailing blanks removed from each line and exactly
// one trailing newline (none for empty text).
func Normalize(kind, text string) string {
	if kind == KindVswitchd {
		return NormalizeVswitchd(text)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	for i, l := range lines {
		l = strings.TrimRight(l, " \t")
		l = reLogTime.ReplaceAllString(l, "TIME|")
		switch kind {
		case KindFlows, KindFlowsSorted, KindFlowsHits:
			l = reDuration.ReplaceAllString(l, "duration=X")
			l = reAge.ReplaceAllString(l, "${1}=X")
			if kind == KindFlowsHits {
				l = reCounter.ReplaceAllString(l, "${1}=N")
			}
		case KindConntrack, KindConntrackNAT:
			nat := kind == KindConntrackNAT
			l = rePort.ReplaceAllStringFunc(l, func(m string) string {
				k, v, _ := strings.Cut(m, "=")
				n, err := strconv.Atoi(v)
				switch {
				case err != nil:
				case n >= EphemeralLow && n <= EphemeralHigh:
					return k + "=EPH"
				case nat && n >= NATPortLow && n <= NATPortHigh:
					return k + "=NAT"
				}
				return m
			})
			l = reICMPID.ReplaceAllString(l, "id=X")
			l = reTimeout.ReplaceAllString(l, "timeout=X")
		case KindMeters:
			l = reMeterDur.ReplaceAllString(l, "duration:X")
		case KindMonitor:
			l = reDuration.ReplaceAllString(l, "duration=X")
			l = reBufferID.ReplaceAllString(l, "buffer=X")
		}
		lines[i] = l
	}
	switch kind {
	case KindFlowsSorted:
		if len(lines) > 1 {
			sort.Strings(lines[1:])
		}
	case KindConntrack, KindConntrackNAT:
		sort.Strings(lines)
	case KindMeters:
		lines = sortMeterBlocks(lines)
	case KindMonitor:
		for i := 0; i < len(lines); {
			j := i
			for j < len(lines) && strings.HasPrefix(lines[j], " event=") {
				j++
			}
			if j > i {
				sort.Strings(lines[i:j])
				i = j
			} else {
				i++
			}
		}
	case KindIPF:
		var idx []int
		var list []string
		for i, l := range lines {
			if strings.HasPrefix(l, "(") {
				idx = append(idx, i)
				list = append(list, l)
			}
		}
		sort.Strings(list)
		for j, i := range idx {
			lines[i] = list[j]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Dir is the directory that holds the golden files.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Dir(file)
}

// Load returns the golden file name (a path relative to Dir, e.g.
// "dump-flows/ct-firewall.of13.txt"). It panics if the file is missing: a
// missing golden is a broken checkout, not a test outcome.
func Load(name string) string {
	b, err := os.ReadFile(filepath.Join(Dir(), filepath.FromSlash(name)))
	if err != nil {
		panic("golden: " + err.Error())
	}
	return string(b)
}

// Path returns the absolute path of golden file name (e.g. a flow file to
// load into the switch under test).
func Path(name string) string {
	return filepath.Join(Dir(), filepath.FromSlash(name))
}

// ErrorRow is one row of of-errors.tsv: what OVS 3.1 answered to one
// malformed (or, for the *-ok rows, well-formed) OpenFlow message sent on a
// fresh connection after HELLO of the row's version.
type ErrorRow struct {
	Name    string // short name of the case
	Version uint8  // OpenFlow version of the HELLO (1 = 1.0, 4 = 1.3)
	Request []byte // the bytes sent after the HELLO exchange
	Type    int    // OFPT_ERROR type, -1 if no error came back
	Code    int    // OFPT_ERROR code, -1 if no error came back
	// Kept is "yes" (an echo request afterwards was answered), "closed"
	// (OVS closed the connection) or "noreply" (neither, within 2 s).
	Kept    string
	OVSName string // ovs-ofctl ofp-print's name of the error, "-" if none, maybe with a note
	Reply   []byte // the OFPT_ERROR message as received (nil if none)
}

// Errors parses of-errors.tsv.
func Errors() []ErrorRow {
	var rows []ErrorRow
	for _, line := range strings.Split(Load("of-errors.tsv"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "name\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			panic("golden: of-errors.tsv: want 8 fields: " + line)
		}
		v, _ := strconv.Atoi(f[1])
		t, _ := strconv.Atoi(f[3])
		c, _ := strconv.Atoi(f[4])
		rows = append(rows, ErrorRow{
			Name: f[0], Version: uint8(v), Request: unhex(f[2]),
			Type: t, Code: c, Kept: f[5], OVSName: f[6], Reply: unhex(f[7]),
		})
	}
	return rows
}

// unhex decodes hex, where a trailing "+zN" stands for N zero bytes.
func unhex(s string) []byte {
	zeros := 0
	if i := strings.Index(s, "+z"); i >= 0 {
		n, err := strconv.Atoi(s[i+2:])
		if err != nil {
			panic("golden: bad zero count in " + s)
		}
		zeros, s = n, s[:i]
	}
	if s == "" && zeros == 0 {
		return nil
	}
	b := make([]byte, 0, len(s)/2+zeros)
	for i := 0; i+1 < len(s); i += 2 {
		n, err := strconv.ParseUint(s[i:i+2], 16, 8)
		if err != nil {
			panic("golden: bad hex " + s)
		}
		b = append(b, byte(n))
	}
	return append(b, make([]byte, zeros)...)
}

// ReplyRow is one row of of-replies.tsv: OVS 3.1's complete answer to
// well-formed requests sent on a fresh connection after HELLO of the row's
// version, up to the reply to a trailing barrier (xid 0xba11).
type ReplyRow struct {
	Name     string
	Version  uint8
	Requests [][]byte // the messages sent (for "hello": our HELLO)
	Replies  [][]byte // every message OVS sent back, in order (for "hello": OVS's HELLO)
	Print    string   // ovs-ofctl ofp-print's first line for the first reply
}

// Replies parses of-replies.tsv.
func Replies() []ReplyRow { return repliesFrom("of-replies.tsv") }

// Replies15 parses of15-replies.tsv (OpenFlow 1.5 requests).
func Replies15() []ReplyRow { return repliesFrom("of15-replies.tsv") }

func repliesFrom(name string) []ReplyRow {
	var rows []ReplyRow
	for _, line := range strings.Split(Load(name), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "name\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			panic("golden: " + name + ": want 5 fields: " + line)
		}
		v, _ := strconv.Atoi(f[1])
		r := ReplyRow{Name: f[0], Version: uint8(v), Print: f[4]}
		for _, h := range strings.Fields(f[2]) {
			r.Requests = append(r.Requests, unhex(h))
		}
		for _, h := range strings.Fields(f[3]) {
			r.Replies = append(r.Replies, unhex(h))
		}
		rows = append(rows, r)
	}
	return rows
}

// sortMeterBlocks sorts the blocks of lines that start with a "meter" line
// (a meter's config or stats), keeping any lines before the first block.
func sortMeterBlocks(lines []string) []string {
	var head []string
	var blocks [][]string
	for _, l := range lines {
		switch {
		case l == "":
		case strings.HasPrefix(l, "meter"):
			blocks = append(blocks, []string{l})
		case len(blocks) == 0:
			head = append(head, l)
		default:
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
		}
	}
	sort.SliceStable(blocks, func(i, j int) bool {
		return strings.Join(blocks[i], "\n") < strings.Join(blocks[j], "\n")
	})
	for _, b := range blocks {
		head = append(head, b...)
	}
	return head
}
