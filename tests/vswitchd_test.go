package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gswitch/tests/golden"
	"gswitch/tests/netns"
)

// TestPrivilegedVswitchdDaemon starts gswitch as scripts start ovs-vswitchd
// (--detach --pidfile --log-file, OVS_RUNDIR/OVS_LOGDIR temp dirs, flag
// mode), checks that the parent returned only once the pid file and the
// control socket were there, sends the commands of
// tests/golden/vswitchd/appctl.steps with plain `ovs-appctl` (no -t) and
// compares with OVS 3.1's answers (tests/ovsref/capture-vswitchd.sh; the
// dpctl/ct-* and dpctl/ipf-* steps set and read the shared tracker), then
// checks that `exit --cleanup` ended the process and removed its files, and
// that the log is in OVS's vlog format.
// flowDuration is bridge/dump-flows' age of a flow.
var flowDuration = regexp.MustCompile(`duration=[0-9]+s`)

func TestPrivilegedVswitchdDaemon(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	ns := netns.New(t, "s5v-d")
	// No IPv6 (and no addresses): the veth pair sends nothing, so the
	// standalone bridge (OVS's default, whose NORMAL flow bridge/dump-flows
	// shows) learns nothing and fdb/show is as empty as OVS's bridge
	// without ports.
	ns.Must(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	netns.Veth(t, "s5v-a", ns, "s5v-b", ns)
	rundir, logdir := t.TempDir(), t.TempDir()
	env := []string{"env", "OVS_RUNDIR=" + rundir, "OVS_LOGDIR=" + logdir}
	sw := func(args ...string) (string, error) {
		return ns.Try(env[0], append(append(env[1:], bin), args...)...)
	}
	appctl := func(args ...string) (string, int) {
		out, err := ns.Try(env[0], append(append(env[1:], "timeout", "20", "ovs-appctl"), args...)...)
		return out, exitCode(err)
	}

	out, err := sw("--port", "s5v-a", "--of-listen", "ptcp:18410:127.0.0.1", "--detach", "--pidfile",
		"--log-file", "--no-chdir", "-vconsole:off", "-vvconn:file:dbg", "--monitor", "--mlockall", "--disable-system")
	if err != nil {
		t.Fatalf("gswitch --detach: %v\n%s", err, out)
	}
	pidfile := filepath.Join(rundir, "ovs-vswitchd.pid")
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("the parent returned before the pid file was written: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("pid file %q", b)
	}
	t.Cleanup(func() {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	})
	// --no-chdir: the daemon stays in the directory it was started from
	// (without it, it runs in /: checked below), as ovs-vswitchd 3.1.
	if wd, _ := os.Getwd(); cwdOf(pid) != wd {
		t.Errorf("--detach --no-chdir: daemon runs in %q, started in %q", cwdOf(pid), wd)
	}
	sock := filepath.Join(rundir, fmt.Sprintf("ovs-vswitchd.%d.ctl", pid))
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("the parent returned before the control socket %s was there: %v", sock, err)
	}

	want := splitSteps(golden.Load("vswitchd/appctl.txt"))
	steps := strings.Split(strings.TrimSpace(golden.Load("vswitchd/appctl.steps")), "\n")
	for _, step := range steps {
		got, rc := appctl(strings.Fields(step)...)
		g := golden.Normalize(golden.KindPlain, got)
		w, ok := want[step]
		if !ok {
			t.Fatalf("appctl.txt has no answer for %q: recapture", step)
		}
		if rc != w.rc {
			t.Errorf("ovs-appctl %s: exit status %d, OVS %d\n%s", step, rc, w.rc, got)
			continue
		}
		switch strings.Fields(step)[0] {
		case "version":
			// Differs by nature: gswitch names itself.
			if !strings.HasPrefix(g, "gswitch ") {
				t.Errorf("version: %q", g)
			}
		case "list-commands", "vlog/list":
			// gswitch has fewer commands and modules: each line it shows for
			// a command or module OVS has is OVS's line.
			compareSubset(t, step, w.out, g)
		case "coverage/show":
			// The counters differ by nature; the layout is OVS's.
			if n, m := coverageLayout(g), coverageLayout(w.out); n != m {
				t.Errorf("coverage/show layout:\n--- OVS\n%s--- gswitch\n%s", m, n)
			}
		case "bridge/dump-flows":
			// Flow ages differ by nature: whole seconds since each start.
			if d := flowDuration.ReplaceAllString(g, "duration=Ns"); d != flowDuration.ReplaceAllString(w.out, "duration=Ns") {
				t.Errorf("ovs-appctl %s:\n--- OVS\n%s--- gswitch\n%s", step, w.out, g)
			}
		default:
			want := w.out
			if strings.HasPrefix(step, "dpctl/") {
				// README's known difference: a dpctl error lacks OVS's
				// "ovs-vswitchd: " (program name) prefix.
				want = strings.ReplaceAll("\n"+want, "\novs-vswitchd: ", "\n")[1:]
			}
			// (ct-bkts ends with an empty line, which golden.Normalize
			// takes off gswitch's answer as well.)
			want = golden.Normalize(golden.KindPlain, want)
			if g != want {
				t.Errorf("ovs-appctl %s:\n--- OVS\n%s--- gswitch\n%s", step, w.out, g)
			}
		}
	}

	// The last step was exit --cleanup: the process goes, and so do its files.
	if !netns.Eventually(5*time.Second, func() bool { return !alive(pid) }) {
		t.Fatalf("gswitch (pid %d) still runs after exit --cleanup", pid)
	}
	for _, f := range []string{pidfile, sock, filepath.Join(rundir, "br0.mgmt")} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s left behind after exit --cleanup", f)
		}
	}
	checkVlogFile(t, filepath.Join(logdir, "ovs-vswitchd.log"))

	// --unixctl names the socket (relative to OVS_RUNDIR), --pidfile=FILE the
	// pid file; ovs-appctl -t reaches it.
	if out, err := sw("--port", "s5v-a", "--of-listen", "ptcp:18411:127.0.0.1", "--detach",
		"--pidfile=my.pid", "--unixctl=my.ctl"); err != nil {
		t.Fatalf("gswitch --unixctl: %v\n%s", err, out)
	}
	if out, rc := appctl("-t", filepath.Join(rundir, "my.ctl"), "ofproto/list"); rc != 0 || out != "br0\n" {
		t.Errorf("ofproto/list through --unixctl: %d %q", rc, out)
	}
	// --detach without --no-chdir: the daemon runs in /, as ovs-vswitchd 3.1.
	if b, err := os.ReadFile(filepath.Join(rundir, "my.pid")); err != nil {
		t.Errorf("my.pid: %v", err)
	} else if p, _ := strconv.Atoi(strings.TrimSpace(string(b))); cwdOf(p) != "/" {
		t.Errorf("--detach without --no-chdir: daemon runs in %q, want /", cwdOf(p))
	}
	// A second gswitch on the same pid file is refused, as OVS refuses it.
	if out, err := sw("--port", "s5v-b", "--of-listen", "ptcp:18412:127.0.0.1", "--pidfile=my.pid", "--unixctl=my2.ctl"); err == nil ||
		!strings.Contains(out, "already running as pid") {
		t.Errorf("second gswitch on a held pid file: %v\n%s", err, out)
	}
	if out, rc := appctl("-t", filepath.Join(rundir, "my.ctl"), "exit"); rc != 0 {
		t.Errorf("exit: %d %s", rc, out)
	}
	if !netns.Eventually(5*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(rundir, "my.pid"))
		return err != nil
	}) {
		t.Error("my.pid left behind after exit")
	}

	// A malformed database remote is refused, and so is mixing database
	// mode with the flag mode's bridge options (database mode itself:
	// vswitchd_db_test.go).
	if out, err := sw("tcp:127.0.0.1"); err == nil || !strings.Contains(out, "expected tcp:IP:PORT") {
		t.Errorf("database argument without a port: %v\n%s", err, out)
	}
	if out, err := sw("--ovsdb", "unix:/x", "--port", "s5v-a"); err == nil || !strings.Contains(out, "--port cannot be used with a database") {
		t.Errorf("--ovsdb with --port: %v\n%s", err, out)
	}
}

type appctlAnswer struct {
	out string
	rc  int
}

// splitSteps splits appctl.txt into its "=== STEP" sections.
func splitSteps(text string) map[string]appctlAnswer {
	m := map[string]appctlAnswer{}
	var step string
	var body []string
	for _, l := range strings.Split(text, "\n") {
		if s, ok := strings.CutPrefix(l, "=== "); ok {
			step, body = s, nil
			continue
		}
		if r, ok := strings.CutPrefix(l, "rc="); ok && step != "" {
			rc, _ := strconv.Atoi(r)
			out := strings.Join(body, "\n")
			if out != "" {
				out += "\n"
			}
			m[step] = appctlAnswer{out: out, rc: rc}
			step = ""
			continue
		}
		body = append(body, l)
	}
	return m
}

// compareSubset checks that got's first lines (the header, up to the first
// indented or named entry) are OVS's and that every entry of got that names
// something OVS's text names is OVS's line for it.
func compareSubset(t *testing.T, step, want, got string) {
	t.Helper()
	key := func(l string) string {
		if f := strings.Fields(l); len(f) > 0 {
			return f[0]
		}
		return ""
	}
	wl := strings.Split(strings.TrimRight(want, "\n"), "\n")
	gl := strings.Split(strings.TrimRight(got, "\n"), "\n")
	ovs := map[string]string{}
	for _, l := range wl {
		ovs[key(l)] = l
	}
	common := 0
	for i, l := range gl {
		w, ok := ovs[key(l)]
		if why := usageDiffers[key(l)]; why != "" && step == "list-commands" {
			continue
		}
		switch {
		case i < 2 && strings.HasPrefix(step, "vlog") || i < 1:
			if i >= len(wl) || l != wl[i] {
				t.Errorf("%s: header line %d %q, OVS %q", step, i, l, wl[min(i, len(wl)-1)])
			}
		case ok:
			common++
			if l != w {
				t.Errorf("%s: %q, OVS %q", step, l, w)
			}
		}
	}
	if common < 5 {
		t.Errorf("%s: only %d entries in common with OVS:\n%s", step, common, got)
	}
}

// usageDiffers are the commands whose usage deliberately differs from OVS
// 3.1's (README's known differences).
var usageDiffers = map[string]string{
	"dpctl/ct-disable-tcp-seq-chk": "gswitch also takes zone=N",
	"dpctl/ct-enable-tcp-seq-chk":  "gswitch also takes zone=N",
	"dpctl/ct-get-tcp-seq-chk":     "gswitch also takes zone=N",
	"dpctl/flush-conntrack":        "gswitch also takes mark= and labels= (as later OVS)",
	"dpctl/show":                   "gswitch's own summary; no -s",
}

var reCoverageHash = regexp.MustCompile(`hash=[0-9a-f]{8}:`)
var reCoverageNever = regexp.MustCompile(`^\d+ events never hit$`)
var reCoverageLine = regexp.MustCompile(`^\S+ +\d+\.\d/sec +\d+\.\d{3}/sec +\d+\.\d{4}/sec   total: \d+$`)

// coverageLayout is coverage/show's text with its values out: the header
// with the hash as X, counter lines in OVS's layout left out (any other
// line stays and differs), the never-hit count as N.
func coverageLayout(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		switch {
		case reCoverageLine.MatchString(l):
			l = "COUNTER"
		case reCoverageNever.MatchString(l):
			l = "N events never hit"
		default:
			l = reCoverageHash.ReplaceAllString(l, "hash=X:")
		}
		if l == "COUNTER" {
			continue // how many were hit differs by nature
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

var reVlogLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|(\d{5})\|[a-z_]+\|(EMER|ERR|WARN|INFO|DBG)\|`)

// checkVlogFile checks the log is in ovs-vswitchd's file format (as
// tests/golden/vswitchd/ovs-vswitchd.log), numbered from 1, with no warning
// or error in a clean run, opened as OVS opens its log.
func checkVlogFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	for _, ref := range strings.Split(strings.TrimSpace(golden.Load("vswitchd/ovs-vswitchd.log")), "\n") {
		if !reVlogLine.MatchString(ref) {
			t.Fatalf("the pattern does not match OVS's own log line %q", ref)
		}
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 || !strings.HasSuffix(lines[0], "|00001|vlog|INFO|opened log file "+path) {
		t.Errorf("log does not start as OVS's:\n%s", b)
	}
	for i, l := range lines {
		m := reVlogLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("log line %d not in vlog format: %q", i+1, l)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n != i+1 {
			t.Errorf("log line %d numbered %s", i+1, m[1])
		}
		if m[2] != "INFO" && m[2] != "DBG" {
			t.Errorf("a clean run logged %s: %q", m[2], l)
		}
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(interface{ ExitCode() int }); ok {
		return ee.ExitCode()
	}
	return -1
}

// cwdOf is the working directory of process pid ("" when unknown).
func cwdOf(pid int) string {
	d, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	return d
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
