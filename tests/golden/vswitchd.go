package golden

import (
	"regexp"
	"sort"
	"strings"
)

// The vswitchd kind (vswitchd/capture.sh): sections start with "### ", a
// section "### ovs-vsctl list TABLE" holds ovs-vsctl list records, a section
// "### ovs-vsctl show" the show tree; everything else is ovs-ofctl output or a
// command's messages.

// VswitchdMACPrefixes start the MACs capture.sh gives its veths, bridges and
// interfaces (02:5e: locally administered, 00:5e: universal ones, which OVS
// may pick as a bridge's address); other MACs (internal ports, the bridges'
// random local MACs) are chosen at random by the kernel or the switch and
// become MAC, and a datapath id made from such a MAC becomes DPID.
var VswitchdMACPrefixes = []string{"02:5e:", "00:5e:"}

// fixedMAC reports whether m (colon-separated, or the 12 hex digits without
// colons when bare) starts with one of VswitchdMACPrefixes.
func fixedMAC(m string, bare bool) bool {
	for _, p := range VswitchdMACPrefixes {
		if bare {
			p = strings.ReplaceAll(p, ":", "")
		}
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

var (
	reUUID      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	reMAC       = regexp.MustCompile(`\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b`)
	reDPID      = regexp.MustCompile(`\b0000([0-9a-f]{12})\b`)
	reTempDir   = regexp.MustCompile(`/tmp/s5r-vsw\.[A-Za-z0-9]+`)
	reStatValue = regexp.MustCompile(`=("?)[0-9]+("?)`)
	reSecSince  = regexp.MustCompile(`\b(sec_since_connect|sec_since_disconnect)="[0-9]+"`)
	reListLine  = regexp.MustCompile(`^([a-z_]+)\s*:\s?(.*)$`)
)

// NormalizeVswitchd normalizes the output of one vswitchd/capture.sh step:
//   - every row uuid becomes the name of its row, <Table:name> (Controller rows
//     by target, the Open_vSwitch row <Open_vSwitch>, unknown ones <uuid>),
//     and sets of them are sorted;
//   - ovs-vsctl list records are sorted by that name, ovs-vsctl show's
//     siblings (bridges, ports, their lines) sorted recursively: both come in
//     hash order;
//   - MACs not starting with one of VswitchdMACPrefixes become MAC, datapath ids made
//     of such a MAC DPID (bridge-local MACs are random unless hwaddr is set);
//   - ifindex values, statistics values and a controller's
//     sec_since_connect/disconnect become X (the keys are kept);
//   - the capture's temp dir /tmp/s5r-vsw.* becomes T, log timestamps TIME,
//     and "failed to connect to socket (Broken pipe)" (a version mismatch
//     seen while ovs-ofctl still writes) the "(Protocol error)" it is otherwise.
//
// Then the common rules (trailing blanks, one final newline).
func NormalizeVswitchd(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = reTempDir.ReplaceAllString(text, "T")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	// sections
	type section struct {
		head string
		body []string
	}
	var secs []section
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if strings.HasPrefix(l, "### ") || len(secs) == 0 {
			secs = append(secs, section{head: l})
			if !strings.HasPrefix(l, "### ") {
				secs[len(secs)-1].head = ""
				secs[len(secs)-1].body = []string{l}
			}
			continue
		}
		secs[len(secs)-1].body = append(secs[len(secs)-1].body, l)
	}
	// uuid -> row name, from the list sections
	names := map[string]string{}
	for _, s := range secs {
		table, ok := strings.CutPrefix(s.head, "### ovs-vsctl list ")
		if !ok {
			continue
		}
		for _, rec := range vsctlRecords(s.body) {
			uuid, name := "", ""
			for _, l := range rec {
				m := reListLine.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				switch {
				case m[1] == "_uuid":
					uuid = m[2]
				case m[1] == "name" || (table == "Controller" && m[1] == "target"):
					name = strings.Trim(m[2], `"`)
				}
			}
			if uuid == "" {
				continue
			}
			if table == "Open_vSwitch" {
				names[uuid] = "<Open_vSwitch>"
			} else {
				names[uuid] = "<" + table + ":" + name + ">"
			}
		}
	}
	uuids := func(l string) string {
		return reUUID.ReplaceAllStringFunc(l, func(u string) string {
			if n, ok := names[u]; ok {
				return n
			}
			return "<uuid>"
		})
	}
	var out []string
	for _, s := range secs {
		if s.head != "" {
			out = append(out, s.head)
		}
		body := make([]string, len(s.body))
		for i, l := range s.body {
			body[i] = normalizeVswitchdLine(uuids(l))
		}
		switch {
		case strings.HasPrefix(s.head, "### ovs-vsctl list "):
			recs := vsctlRecords(body)
			for _, rec := range recs {
				for i, l := range rec {
					rec[i] = normalizeVswitchdListLine(l)
				}
			}
			sort.SliceStable(recs, func(i, j int) bool { return recs[i][0] < recs[j][0] })
			for i, rec := range recs {
				if i > 0 {
					out = append(out, "")
				}
				out = append(out, rec...)
			}
		case s.head == "### ovs-vsctl show":
			out = append(out, sortTree(body)...)
		default:
			out = append(out, body...)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// vsctlRecords splits ovs-vsctl list output into records (blank-line separated).
func vsctlRecords(body []string) [][]string {
	var recs [][]string
	var cur []string
	for _, l := range body {
		if l == "" {
			if cur != nil {
				recs = append(recs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	if cur != nil {
		recs = append(recs, cur)
	}
	return recs
}

func normalizeVswitchdLine(l string) string {
	l = reLogTime.ReplaceAllString(l, "TIME|")
	// a version mismatch closes the connection while ovs-ofctl may still be
	// writing: its error is EPROTO or EPIPE by timing
	if strings.HasSuffix(l, "failed to connect to socket (Broken pipe)") {
		l = strings.TrimSuffix(l, "(Broken pipe)") + "(Protocol error)"
	}
	l = reDPID.ReplaceAllStringFunc(l, func(d string) string {
		m := d[4:]
		if fixedMAC(m, true) || strings.HasPrefix(m, "000000") {
			return d
		}
		return "DPID"
	})
	return reMAC.ReplaceAllStringFunc(l, func(m string) string {
		if fixedMAC(m, false) {
			return m
		}
		return "MAC"
	})
}

func normalizeVswitchdListLine(l string) string {
	m := reListLine.FindStringSubmatch(l)
	if m == nil {
		return l
	}
	key, val := m[1], m[2]
	prefix := l[:len(l)-len(val)]
	switch {
	case key == "ifindex" && val != "[]" && val != "0":
		val = "X"
	case key == "statistics":
		val = reStatValue.ReplaceAllString(val, "=${1}X${2}")
	case key == "status":
		val = reSecSince.ReplaceAllString(val, `${1}="X"`)
	case strings.HasPrefix(val, "[<") && strings.HasSuffix(val, ">]"):
		elems := strings.Split(val[1:len(val)-1], ", ")
		sort.Strings(elems)
		val = "[" + strings.Join(elems, ", ") + "]"
	}
	return prefix + val
}

// sortTree sorts ovs-vsctl show's indented tree: each line with the lines
// indented below it is one block, and sibling blocks are sorted.
func sortTree(lines []string) []string {
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	var blocks [][]string
	for i := 0; i < len(lines); {
		j := i + 1
		for j < len(lines) && indent(lines[j]) > indent(lines[i]) {
			j++
		}
		blk := append([]string{lines[i]}, sortTree(lines[i+1:j])...)
		blocks = append(blocks, blk)
		i = j
	}
	sort.SliceStable(blocks, func(a, b int) bool { return blocks[a][0] < blocks[b][0] })
	var out []string
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out
}
