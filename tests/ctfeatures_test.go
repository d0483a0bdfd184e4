package tests

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nPackets returns n_packets of the first dump-flows line containing sel.
func nPackets(t *testing.T, dump, sel string) int {
	t.Helper()
	for _, l := range strings.Split(dump, "\n") {
		if strings.Contains(l, sel) {
			m := regexp.MustCompile(`n_packets=(\d+)`).FindStringSubmatch(l)
			if m != nil {
				n, _ := strconv.Atoi(m[1])
				return n
			}
		}
	}
	t.Fatalf("no flow with %q in:\n%s", sel, dump)
	return 0
}

// TestPrivilegedCtFeatures: zone from a register, ct_mark/ct_label set with
// exec and matched in a later table, ct_clear, and a per-zone limit, with
// real UDP traffic through the real binary.
func TestPrivilegedCtFeatures(t *testing.T) {
	tp := newTopo(t, "gtcf", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", filepath.Join("testdata", "ct-features.flows"))
	startPy(t, tp.R, "udp-server", "7201", "60")
	waitListen(t, tp.R, "udp", "7201")
	time.Sleep(300 * time.Millisecond)

	// Two datagrams, both echoed: the first commits, the echo comes back by
	// mark, the second goes out through ct_clear and table 2.
	if out, err := py(tp.L, "udp-client", "20101", ip4R, "7201", "2"); err != nil {
		t.Fatalf("UDP through the ct pipeline: %v\n%s\nflows:\n%s", err, out, tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows"))
	}
	dump := tp.appctl(t, "dpctl/dump-conntrack", "zone=9")
	want := "udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=20101,dport=7201),reply=(src=198.51.100.2,dst=198.51.100.1,sport=7201,dport=20101),zone=9,mark=33,labels=0x1\n"
	if dump != want {
		t.Errorf("dump-conntrack zone=9:\n got %q\nwant %q", dump, want)
	}
	if d := tp.appctl(t, "dpctl/dump-conntrack", "zone=0"); d != "" {
		t.Errorf("the connection leaked into zone 0:\n%s", d)
	}
	flows := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows")
	if n := nPackets(t, flows, "ct_mark=0x21"); n < 2 {
		t.Errorf("replies matched by ct_mark: %d, want >= 2\n%s", n, flows)
	}
	if n := nPackets(t, flows, "actions=ct_clear,resubmit(,2)"); n < 1 {
		t.Errorf("packets matched by ct_label: %d, want >= 1\n%s", n, flows)
	}
	if n := nPackets(t, flows, "table=2, n_packets"); n < 1 {
		t.Errorf("packets reaching table 2 untracked after ct_clear: %d\n%s", n, flows)
	}

	// A limit of 1 in zone 9: a second connection is not committed, so its
	// reply finds no connection and is dropped; the first keeps working.
	tp.appctl(t, "dpctl/ct-set-limits", "zone=9,limit=1")
	if out := tp.appctl(t, "dpctl/ct-get-limits", "zone=9"); !strings.Contains(out, "zone=9,limit=1,count=1") {
		t.Errorf("ct-get-limits: %q", out)
	}
	if out, err := py(tp.L, "udp-client", "20102", ip4R, "7201", "1"); err == nil {
		t.Errorf("a second connection passed a zone limit of 1:\n%s\n%s", out, tp.appctl(t, "dpctl/dump-conntrack", "zone=9"))
	}
	if out, err := py(tp.L, "udp-client", "20101", ip4R, "7201", "1"); err != nil {
		t.Errorf("the existing connection stopped working at the limit: %v\n%s", err, out)
	}
	if n := strings.Count(tp.appctl(t, "dpctl/dump-conntrack", "zone=9"), "\n"); n != 1 {
		t.Errorf("zone 9 has %d connections, want 1", n)
	}
	tp.appctl(t, "dpctl/ct-del-limits", "zone=9")
	if out, err := py(tp.L, "udp-client", "20103", ip4R, "7201", "1"); err != nil {
		t.Errorf("after ct-del-limits: %v\n%s", err, out)
	}
}

// TestPrivilegedCtForce: ct(commit,force) on a packet in the reply direction
// of an existing connection replaces it with one in the packet's direction.
func TestPrivilegedCtForce(t *testing.T) {
	tp := newTopo(t, "gtfo", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", filepath.Join("testdata", "ct-force.flows"))
	py(tp.R, "udp-client", "20300", ip4L, "7301", "1") // no answer expected
	before := tp.appctl(t, "dpctl/dump-conntrack")
	wantBefore := "udp,orig=(src=198.51.100.2,dst=198.51.100.1,sport=20300,dport=7301),reply=(src=198.51.100.1,dst=198.51.100.2,sport=7301,dport=20300)\n"
	if before != wantBefore {
		t.Fatalf("before force:\n got %q\nwant %q", before, wantBefore)
	}
	py(tp.L, "udp-client", "7301", ip4R, "20300", "1")
	after := tp.appctl(t, "dpctl/dump-conntrack")
	wantAfter := "udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=7301,dport=20300),reply=(src=198.51.100.2,dst=198.51.100.1,sport=20300,dport=7301)\n"
	if after != wantAfter {
		t.Errorf("after ct(commit,force) from the other side:\n got %q\nwant %q", after, wantAfter)
	}
}
