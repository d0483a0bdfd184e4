package tests

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// waitSubscribed sends UDP datagrams from the inside (each from a new source
// port, to a port nothing listens on) until every stream in procs shows its
// connection's NEW line: then they are all subscribed.
func waitSubscribed(t *testing.T, tp *topo, procs ...*netns.Proc) {
	t.Helper()
	for i := range 40 {
		py(tp.L, "udp-client", fmt.Sprint(19760+i), ip4R, "19799", "1")
		all := true
		for _, p := range procs {
			if !strings.Contains(p.Output(), fmt.Sprintf("sport=%d,dport=19799", 19760+i)) &&
				!strings.Contains(p.Output(), fmt.Sprintf(`"sport":%d,"dport":19799`, 19760+i)) {
				all = false
			}
		}
		if all {
			return
		}
	}
	for _, p := range procs {
		t.Logf("stream output:\n%s", p.Output())
	}
	t.Fatal("the ct-events streams never showed a probe's connection")
}

// TestPrivilegedCtEvents runs real TCP and UDP traffic through the
// firewall example and checks what `gswitch ctl ct-events` (text and JSON)
// and ovs-appctl dpctl/ct-events print: NEW on commit, UPDATE on the TCP
// state changes, DESTROY on a flush, on expiry and after a TCP close.
func TestPrivilegedCtEvents(t *testing.T) {
	tp := newTopo(t, "s7e", "eth0", "veth1")
	tp.mustOfctl(t, "add-flows", filepath.Join("..", "examples", "firewall", "firewall.flows"))
	bin := netnsBin(t)
	startPy(t, tp.R, "tcp-server", "19751", "60")
	waitListen(t, tp.R, "tcp", "19751")
	startPy(t, tp.R, "udp-server", "19752", "60")
	waitListen(t, tp.R, "udp", "19752")

	// ovs-appctl takes one reply: without count= or duration= it is told so.
	if out, err := netns.Try("ovs-appctl", "-t", tp.ctl, "dpctl/ct-events"); err == nil ||
		!strings.Contains(out, "give count=N or duration=SECS") {
		t.Errorf("ovs-appctl dpctl/ct-events without a bound: %v\n%s", err, out)
	}
	text := tp.S.Start(t, bin, "ctl", "--ctl", tp.ctl, "ct-events")
	js := tp.S.Start(t, bin, "ctl", "--ctl", tp.ctl, "dpctl/ct-events", "--format=json", "zone=0")
	other := tp.S.Start(t, bin, "ctl", "--ctl", tp.ctl, "ct-events", "zone=9")
	waitSubscribed(t, tp, text, js)
	appctl := tp.S.Start(t, "ovs-appctl", "-t", tp.ctl, "dpctl/ct-events", "count=1", "zone=0")
	time.Sleep(500 * time.Millisecond) // ovs-appctl's subscription (nothing shows it)

	// A UDP exchange, flushed.
	if out, err := py(tp.L, "udp-client", "19753", ip4R, "19752", "2"); err != nil {
		t.Fatalf("udp: %v\n%s", err, out)
	}
	tp.appctl(t, "dpctl/flush-conntrack")
	// Short timeouts for what follows: a TCP connection that closes and a
	// UDP one that goes idle.
	tp.appctl(t, "dpctl/ct-set-sweep-interval", "100")
	tp.appctl(t, "dpctl/add-zone-tp", "zone=0", "tcp_fin_wait=1", "tcp_time_wait=1", "tcp_close=1",
		"tcp_last_ack=1", "tcp_close_wait=1", "udp_first=1", "udp_single=1", "udp_multiple=1")
	if out, err := py(tp.L, "tcp-client", "19754", ip4R, "19751", "0"); err != nil {
		t.Fatalf("tcp: %v\n%s", err, out)
	}
	if out, err := py(tp.L, "udp-client", "19755", ip4R, "19752", "1"); err != nil {
		t.Fatalf("udp: %v\n%s", err, out)
	}
	udp := func(sport string) string {
		return "udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=" + sport + ",dport=19752),reply=(src=198.51.100.2,dst=198.51.100.1,sport=19752,dport=" + sport + ")"
	}
	tcp := "tcp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=19754,dport=19751),reply=(src=198.51.100.2,dst=198.51.100.1,sport=19751,dport=19754)"
	want := []string{
		"[NEW] " + udp("19753") + "\n",
		"[DESTROY] " + udp("19753") + " reason=flush\n",
		"[NEW] " + tcp + ",protoinfo=(state=SYN_SENT)\n",
		"[UPDATE] " + tcp + ",protoinfo=(state=ESTABLISHED)\n",
		"[DESTROY] " + tcp + ",protoinfo=(state=TIME_WAIT) reason=tcp_close\n",
		"[NEW] " + udp("19755") + "\n",
		"[DESTROY] " + udp("19755") + " reason=timeout\n",
	}
	done := func() bool {
		out := text.Output()
		for _, w := range want {
			if !strings.Contains(out, w) {
				return false
			}
		}
		return true
	}
	if !netns.Eventually(15*time.Second, done) {
		t.Fatalf("gswitch ctl ct-events lacks some of\n%s--- it printed\n%s", strings.Join(want, ""), text.Output())
	}
	// In order, each connection's events.
	out := text.Output()
	for i := 1; i < len(want); i++ {
		if strings.Index(out, want[i-1]) > strings.Index(out, want[i]) && !strings.HasPrefix(want[i], "[NEW] "+udp("19755")) {
			t.Errorf("%q came before %q", want[i], want[i-1])
		}
	}
	// Every line is an event line of the dump-conntrack format.
	lineRE := regexp.MustCompile(`^\[(NEW|UPDATE|DESTROY)\] (udp|tcp|icmp),orig=\(.*\),reply=\(.*\)( reason=(flush|timeout|tcp_close))?$`)
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !lineRE.MatchString(l) {
			t.Errorf("not an event line: %q", l)
		}
	}

	// The JSON stream: the same events as objects.
	if !netns.Eventually(5*time.Second, func() bool { return strings.Contains(js.Output(), `"reason":"timeout"`) }) {
		t.Fatalf("JSON stream:\n%s", js.Output())
	}
	type jev struct {
		Proto    string `json:"proto"`
		Zone     int    `json:"zone"`
		Orig     struct{ Sport, Dport int }
		TCPState string `json:"tcp_state"`
		Event    string `json:"event"`
		Reason   string `json:"reason"`
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(js.Output(), "\n"), "\n") {
		var e jev
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("JSON line %q: %v", l, err)
		}
		if e.Orig.Dport == 19799 {
			continue // a probe
		}
		got = append(got, fmt.Sprintf("%s %s %d %s %s", e.Event, e.Proto, e.Orig.Sport, e.TCPState, e.Reason))
	}
	wantJS := []string{"new udp 19753  ", "destroy udp 19753  flush", "new tcp 19754 SYN_SENT ",
		"update tcp 19754 ESTABLISHED "}
	gotS := strings.Join(got, "\n")
	for _, w := range append(wantJS, "destroy tcp 19754 TIME_WAIT tcp_close", "new udp 19755  ", "destroy udp 19755  timeout") {
		if !strings.Contains(gotS, w) {
			t.Errorf("JSON stream lacks %q:\n%s", w, gotS)
		}
	}
	// ovs-appctl got its one event and ended.
	if !netns.Eventually(5*time.Second, appctl.Exited) {
		t.Errorf("ovs-appctl dpctl/ct-events count=1 did not end:\n%s", appctl.Output())
	} else if got := appctl.Output(); got != "[NEW] "+udp("19753")+"\n" {
		t.Errorf("ovs-appctl dpctl/ct-events count=1: %q", got)
	}
	// The zone 9 stream saw nothing; the streams still run.
	if other.Output() != "" || other.Exited() || text.Exited() {
		t.Errorf("zone 9 stream: %q (exited %v; text stream exited %v)", other.Output(), other.Exited(), text.Exited())
	}
}
