package golden

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeFlows(t *testing.T) {
	in := "OFPST_FLOW reply (OF1.3) (xid=0x2):\r\n" +
		" cookie=0x0, duration=12.345s, table=0, n_packets=3, n_bytes=180, idle_age=7, hard_age=9, priority=1 actions=drop  \n\n"
	want := "OFPST_FLOW reply (OF1.3) (xid=0x2):\n" +
		" cookie=0x0, duration=X, table=0, n_packets=3, n_bytes=180, idle_age=X, hard_age=X, priority=1 actions=drop\n"
	if got := Normalize(KindFlows, in); got != want {
		t.Errorf("Normalize(flows):\n got %q\nwant %q", got, want)
	}
	hits := Normalize(KindFlowsHits, " cookie=0x0, duration=1.5s, table=1, n_packets=38, n_bytes=2628, priority=9 actions=drop\n n_packets=0, n_bytes=0\n")
	if hits != " cookie=0x0, duration=X, table=1, n_packets=N, n_bytes=N, priority=9 actions=drop\n n_packets=0, n_bytes=0\n" {
		t.Errorf("Normalize(flows-hits) = %q", hits)
	}
	sorted := Normalize(KindFlowsSorted, "H\n b\n a\n")
	if sorted != "H\n a\n b\n" {
		t.Errorf("Normalize(flows-sorted) = %q", sorted)
	}
	if got := Normalize(KindPlain, "2026-11-27T04:08:35Z|00001|ofp_table|WARN|x\n"); got != "TIME|00001|ofp_table|WARN|x\n" {
		t.Errorf("log time: %q", got)
	}
	if Normalize(KindPlain, "") != "" || Normalize(KindPlain, "\n") != "" {
		t.Error("empty text must stay empty")
	}
}

func TestNormalizeConntrack(t *testing.T) {
	in := "udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=20001,dport=7002),reply=(src=198.51.100.2,dst=198.51.100.1,sport=7002,dport=20001)\n" +
		"tcp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=45344,dport=7001),reply=(src=198.51.100.2,dst=198.51.100.1,sport=7001,dport=45344),timeout=431999,protoinfo=(state=ESTABLISHED)\n" +
		"icmp,orig=(src=198.51.100.1,dst=198.51.100.2,id=4711,type=8,code=0),reply=(src=198.51.100.2,dst=198.51.100.1,id=4711,type=0,code=0)\n"
	want := "icmp,orig=(src=198.51.100.1,dst=198.51.100.2,id=X,type=8,code=0),reply=(src=198.51.100.2,dst=198.51.100.1,id=X,type=0,code=0)\n" +
		"tcp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=EPH,dport=7001),reply=(src=198.51.100.2,dst=198.51.100.1,sport=7001,dport=EPH),timeout=X,protoinfo=(state=ESTABLISHED)\n" +
		"udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=20001,dport=7002),reply=(src=198.51.100.2,dst=198.51.100.1,sport=7002,dport=20001)\n"
	if got := Normalize(KindConntrack, in); got != want {
		t.Errorf("Normalize(conntrack):\n got %q\nwant %q", got, want)
	}
}

func TestNormalizeIPF(t *testing.T) {
	in := "        Fragment Lists:\n\n(src=b,state=first frag)\n(src=a,state=first frag)\n"
	want := "        Fragment Lists:\n\n(src=a,state=first frag)\n(src=b,state=first frag)\n"
	if got := Normalize(KindIPF, in); got != want {
		t.Errorf("got %q", got)
	}
}

func TestNormalizeConntrackNAT(t *testing.T) {
	in := "tcp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=21011,dport=7001),reply=(src=198.51.100.2,dst=203.0.113.100,sport=7001,dport=20047)\n"
	want := "tcp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=21011,dport=7001),reply=(src=198.51.100.2,dst=203.0.113.100,sport=7001,dport=NAT)\n"
	if got := Normalize(KindConntrackNAT, in); got != want {
		t.Errorf("got %q", got)
	}
	if got := Normalize(KindConntrack, in); got != in {
		t.Errorf("conntrack kind changed a NAT-range port: %q", got)
	}
}

// checkoutPath is an absolute path into some checkout of the repository.
var checkoutPath = regexp.MustCompile(`/[^\s'"]+/tests/(golden|ovsref)/`)

// Every golden text has its command file, and every file is already normalized.
func TestGoldenFilesWellFormed(t *testing.T) {
	var n int
	err := filepath.WalkDir(Dir(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txt") {
			return err
		}
		rel, _ := filepath.Rel(Dir(), p)
		if rel == "ovs-version.txt" {
			return nil
		}
		n++
		cmd := strings.TrimSuffix(p, ".txt") + ".cmd"
		b, err := os.ReadFile(cmd)
		if err != nil {
			t.Errorf("%s: no command file: %v", rel, err)
			return nil
		}
		// A capture names the repository's files relative to its top: the
		// path of the checkout that captured it is no part of the golden.
		if m := checkoutPath.FindString(string(b)); m != "" {
			t.Errorf("%s: .cmd names a checkout's absolute path %s", rel, m)
		}
		kind := ""
		for _, l := range strings.Split(string(b), "\n") {
			if k, ok := strings.CutPrefix(l, "# normalize: "); ok {
				kind = k
			}
		}
		if kind == "" {
			t.Errorf("%s: .cmd names no normalization", rel)
			return nil
		}
		text := Load(filepath.ToSlash(rel))
		if Normalize(kind, text) != text {
			t.Errorf("%s: not normalized as %s", rel, kind)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("only %d golden texts found", n)
	}
}

func TestErrorsTable(t *testing.T) {
	rows := Errors()
	if len(rows) < 100 {
		t.Fatalf("only %d rows", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		key := r.Name + "/" + string(rune('0'+r.Version))
		if seen[key] {
			t.Errorf("duplicate case %s", key)
		}
		seen[key] = true
		switch r.Kept {
		case "yes", "closed", "noreply":
		default:
			t.Errorf("%s: kept=%q", r.Name, r.Kept)
		}
		if (r.Type < 0) != (r.Reply == nil) {
			t.Errorf("%s: type %d but reply %x", r.Name, r.Type, r.Reply)
		}
		if r.Reply != nil {
			if r.Reply[1] != 1 || int(binary.BigEndian.Uint16(r.Reply[2:])) != len(r.Reply) ||
				int(binary.BigEndian.Uint16(r.Reply[8:])) != r.Type || int(binary.BigEndian.Uint16(r.Reply[10:])) != r.Code {
				t.Errorf("%s: reply %x does not match type %d code %d", r.Name, r.Reply, r.Type, r.Code)
			}
		}
		if strings.HasSuffix(r.Name, "-ok") && r.Type >= 0 {
			t.Errorf("%s: an -ok case got error %s", r.Name, r.OVSName)
		}
	}
	// a few anchors that gswitch's ofproto/nxm tests rely on
	want := map[string]string{
		"oxm-duplicate-field/4":    "OFPBMC_DUP_FIELD",
		"oxm-bad-prereq-tcp-dst/4": "OFPBMC_BAD_PREREQ",
		"goto-table-backwards/4":   "OFPBIC_BAD_TABLE_ID",
		"packet-out-buffer-id/4":   "OFPBRC_BUFFER_UNKNOWN",
		"unknown-type-255/1":       "OFPBRC_BAD_TYPE",
	}
	for _, r := range rows {
		if w, ok := want[r.Name+"/"+string(rune('0'+r.Version))]; ok && !strings.HasPrefix(r.OVSName, w) {
			t.Errorf("%s: %s, want %s", r.Name, r.OVSName, w)
		}
	}
	if Errors()[0].Request == nil {
		t.Error("first request empty")
	}
}

func TestRepliesTable(t *testing.T) {
	rows := Replies()
	if len(rows) < 15 {
		t.Fatalf("only %d rows", len(rows))
	}
	var packetIns int
	for _, r := range rows {
		if len(r.Requests) == 0 || len(r.Replies) == 0 {
			t.Errorf("%s/%d: empty", r.Name, r.Version)
		}
		for _, m := range r.Replies {
			if len(m) < 8 || int(binary.BigEndian.Uint16(m[2:])) != len(m) {
				t.Errorf("%s: bad reply framing %x", r.Name, m)
			}
			if m[1] == 1 {
				t.Errorf("%s: OVS answered with an error: %s", r.Name, r.Print)
			}
			if m[1] == 10 {
				packetIns++
			}
		}
	}
	if packetIns != 2 {
		t.Errorf("%d packet-ins recorded, want 2 (OF1.0 and OF1.3)", packetIns)
	}
}
