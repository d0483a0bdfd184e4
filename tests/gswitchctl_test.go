package tests

import (
	"context"
	"os"
	"os/exec"
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

// Tests of scripts/gswitch-ctl, the ovs-ctl of gswitch. Each run has its own
// rundir, logdir and dbdir under t.TempDir(); nothing in /etc or /var/run is
// touched. Debian's ovs-ctl, run the same way, is the reference: a copy of
// it (with ovs-lib and an ovs-kmod-ctl that loads nothing) next to fake
// daemons, so that no kernel module is loaded and no real ovs-vswitchd runs.

func gswitchCtlScript() string {
	return filepath.Join(golden.Dir(), "..", "..", "scripts", "gswitch-ctl")
}

// ctlRun is one run directory tree: root/{run,log,db,etc/openvswitch}.
type ctlRun struct {
	t                  *testing.T
	root, run, log, db string
	etc                string
	sbin               string // fake daemons
	extraEnv           []string
}

func newCtlRun(t *testing.T) *ctlRun {
	t.Helper()
	for _, tool := range []string{"ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-appctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				t.Skipf("no %s", tool)
			}
		}
	}
	root := t.TempDir()
	r := &ctlRun{t: t, root: root, run: filepath.Join(root, "run"), log: filepath.Join(root, "log"),
		db: filepath.Join(root, "db"), etc: filepath.Join(root, "etc"), sbin: filepath.Join(root, "sbin")}
	for _, d := range []string{r.run, r.log, r.db, filepath.Join(r.etc, "openvswitch"), r.sbin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Whatever a test leaves running is stopped by the pid in its pid file
	// (only processes this run started write there).
	t.Cleanup(func() {
		for _, f := range []string{"ovs-vswitchd.pid", "ovsdb-server.pid"} {
			b, err := os.ReadFile(filepath.Join(r.run, f))
			if err != nil {
				continue
			}
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 && alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return r
}

func (r *ctlRun) env() []string {
	return append([]string{"OVS_RUNDIR=" + r.run, "OVS_LOGDIR=" + r.log, "OVS_DBDIR=" + r.db,
		"OVS_SYSCONFDIR=" + r.etc, "PATH=" + r.sbin + ":" + os.Getenv("PATH") + ":/usr/sbin:/sbin"}, r.extraEnv...)
}

// exec runs a command with the run's environment; output and exit status.
func (r *ctlRun) exec(name string, args ...string) (string, int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), r.env()...)
	cmd.Dir = r.root
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		r.t.Fatalf("%s %v timed out:\n%s", name, args, out)
	}
	return string(out), exitCode(err)
}

// gctl runs gswitch-ctl with this run's directories as options.
func (r *ctlRun) gctl(args ...string) (string, int) {
	r.t.Helper()
	all := append([]string{gswitchCtlScript(), "--rundir=" + r.run, "--logdir=" + r.log, "--dbdir=" + r.db,
		"--timeout=20"}, args...)
	return r.exec("bash", all...)
}

// norm replaces the run's root with DIR, pids and UUIDs with placeholders.
func (r *ctlRun) norm(s string) string {
	s = strings.ReplaceAll(s, r.root, "DIR")
	s = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).ReplaceAllString(s, "UUID")
	s = regexp.MustCompile(`(pid |\(|\.)[0-9]+(\)|\.ctl)`).ReplaceAllString(s, "${1}PID$2")
	return regexp.MustCompile(`(with pid )[0-9]+`).ReplaceAllString(s, "${1}PID")
}

// openVSwitchRow is `ovs-vsctl list Open_vSwitch`, normalized.
func (r *ctlRun) openVSwitchRow() string {
	r.t.Helper()
	out, rc := r.exec("ovs-vsctl", "--db=unix:"+filepath.Join(r.run, "db.sock"), "--timeout=10", "list", "Open_vSwitch")
	if rc != 0 {
		r.t.Fatalf("ovs-vsctl list Open_vSwitch: %d\n%s", rc, out)
	}
	return r.norm(out)
}

// files lists the names in dir, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

// fakeDaemon is a stand-in for ovs-vswitchd or gswitch (the file's name is
// its process name): --version answers as OVS's daemons do; otherwise it
// records its arguments in argv, and, unless $FAKE_REFUSE is set (then it
// refuses as gswitch without database mode did), starts a copy of itself
// that runs until SIGTERM (at most 300 s) and writes its pid to --pidfile.
const fakeDaemon = `#!/bin/bash
case "$1" in
--version) echo "${0##*/} (Open vSwitch) 3.1.0"; exit 0 ;;
--serve) trap 'exit 0' TERM; for _ in $(seq 600); do sleep 0.5; done; exit 0 ;;
esac
printf '%s\n' "${0##*/} $*" >"$(dirname "$0")/argv"
if [ -n "${FAKE_REFUSE:-}" ]; then
	echo "${0##*/}: database mode is not built yet: configure gswitch with --port/--tap/--bridge for now" >&2
	exit 1
fi
pidfile=
for a; do case $a in --pidfile=*) pidfile=${a#*=} ;; esac; done
"$0" --serve </dev/null >/dev/null 2>&1 &
echo $! >"$pidfile"
`

func (r *ctlRun) writeFake(name string) string {
	r.t.Helper()
	p := filepath.Join(r.sbin, name)
	if err := os.WriteFile(p, []byte(fakeDaemon), 0o755); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// ovsCtl copies Debian's ovs-ctl and ovs-lib into the run with an
// ovs-kmod-ctl that loads nothing, and a fake ovs-vswitchd found first
// through OVS_SBINDIR.
func (r *ctlRun) ovsCtl() string {
	r.t.Helper()
	src := "/usr/share/openvswitch/scripts"
	dst := filepath.Join(r.root, "scripts")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		r.t.Fatal(err)
	}
	for _, f := range []string{"ovs-ctl", "ovs-lib"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			r.t.Skipf("no Debian ovs-ctl: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o755); err != nil {
			r.t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "ovs-kmod-ctl"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.writeFake("ovs-vswitchd")
	r.extraEnv = append(r.extraEnv, "OVS_SBINDIR="+r.sbin)
	return filepath.Join(dst, "ovs-ctl")
}

// TestPrivilegedGswitchCtlVsOvsCtl runs `start`, `status` and `stop` of
// gswitch-ctl and of Debian's ovs-ctl (as its systemd units call it, minus
// the split into two units) on fresh directories, each with a fake switch
// daemon, and compares what they print, ovsdb-server's command line, the
// switch daemon's command line, the Open_vSwitch row they leave, and the
// files left after stop. Differences by design: the daemon's name (gswitch,
// whose pid file keeps ovs-vswitchd's name) and its log file (gswitch.log).
func TestPrivilegedGswitchCtlVsOvsCtl(t *testing.T) {
	netns.Require(t) // ovs-ctl installs its directories owned by root
	ref, our := newCtlRun(t), newCtlRun(t)
	ovsCtl := ref.ovsCtl()
	fake := our.writeFake("gswitch")

	refOut, rc := ref.exec(ovsCtl, "--no-monitor", "--system-id=random", "--no-record-hostname", "start")
	if rc != 0 {
		t.Fatalf("ovs-ctl start: %d\n%s", rc, refOut)
	}
	ourOut, rc := our.gctl("--gswitch="+fake, "start")
	if rc != 0 {
		t.Fatalf("gswitch-ctl start: %d\n%s", rc, ourOut)
	}
	// As ovs-ctl with "ovs-vswitchd" read as gswitch. ovs-ctl's raising of
	// the descriptor limit may fail here (a container's hard limit);
	// gswitch-ctl's does so quietly.
	refOut = regexp.MustCompile(`(?m)^.*ulimit: error setting limit.*\n`).ReplaceAllString(refOut, "")
	want := strings.ReplaceAll(ref.norm(refOut), "ovs-vswitchd", "gswitch")
	if got := our.norm(ourOut); got != want {
		t.Errorf("start output:\n--- ovs-ctl\n%s--- gswitch-ctl\n%s", want, got)
	}

	cmdline := func(r *ctlRun) string {
		b, err := os.ReadFile(filepath.Join(r.run, "ovsdb-server.pid"))
		if err != nil {
			t.Fatalf("no ovsdb-server pid file: %v", err)
		}
		c, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/cmdline")
		if err != nil {
			t.Fatalf("ovsdb-server is not running: %v", err)
		}
		return r.norm(strings.TrimSpace(strings.ReplaceAll(string(c), "\x00", " ")))
	}
	if w, g := cmdline(ref), cmdline(our); g != w {
		t.Errorf("ovsdb-server's command line:\n ovs-ctl:     %s\n gswitch-ctl: %s", w, g)
	}
	argv := func(r *ctlRun) string {
		b, err := os.ReadFile(filepath.Join(r.sbin, "argv"))
		if err != nil {
			t.Fatalf("the switch daemon was not started: %v", err)
		}
		return r.norm(strings.TrimSpace(string(b)))
	}
	w := strings.NewReplacer("ovs-vswitchd ", "gswitch ", "log/ovs-vswitchd.log", "log/gswitch.log").Replace(argv(ref))
	if g := argv(our); g != w {
		t.Errorf("the switch's command line:\n ovs-ctl (as gswitch): %s\n gswitch-ctl:          %s", w, g)
	}
	if w, g := ref.openVSwitchRow(), our.openVSwitchRow(); g != w {
		t.Errorf("Open_vSwitch row:\n--- ovs-ctl\n%s--- gswitch-ctl\n%s", w, g)
	}
	for _, f := range []string{"etc/openvswitch/system-id.conf", "db/conf.db"} {
		if _, err := os.Stat(filepath.Join(our.root, f)); err != nil {
			t.Errorf("gswitch-ctl made no %s (ovs-ctl does): %v", f, err)
		}
	}

	refOut, rc1 := ref.exec(ovsCtl, "status")
	ourOut, rc2 := our.gctl("--gswitch="+fake, "status")
	if w, g := strings.ReplaceAll(ref.norm(refOut), "ovs-vswitchd", "gswitch"), our.norm(ourOut); g != w || rc1 != 0 || rc2 != 0 {
		t.Errorf("status (exit %d, ovs-ctl %d):\n--- ovs-ctl\n%s--- gswitch-ctl\n%s", rc2, rc1, w, g)
	}
	if !strings.Contains(ourOut, "gswitch is running with pid") {
		t.Errorf("status: %s", ourOut)
	}

	pids := func(r *ctlRun) []int {
		var p []int
		for _, f := range []string{"ovs-vswitchd.pid", "ovsdb-server.pid"} {
			b, _ := os.ReadFile(filepath.Join(r.run, f))
			n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			p = append(p, n)
		}
		return p
	}
	refPids, ourPids := pids(ref), pids(our)
	if out, rc := ref.exec(ovsCtl, "stop"); rc != 0 {
		t.Fatalf("ovs-ctl stop: %d\n%s", rc, out)
	}
	ourOut, rc = our.gctl("--gswitch="+fake, "stop")
	if rc != 0 {
		t.Fatalf("gswitch-ctl stop: %d\n%s", rc, ourOut)
	}
	for i, p := range append(refPids, ourPids...) {
		if p <= 1 || alive(p) {
			t.Errorf("daemon %d (pid %d) still runs after stop:\n%s", i, p, ourOut)
		}
	}
	// The fake daemons leave their pid files (a real daemon removes its own):
	// compare the rest.
	left := func(r *ctlRun) string {
		var n []string
		for _, f := range files(t, r.run) {
			if f != "ovs-vswitchd.pid" {
				n = append(n, f)
			}
		}
		return strings.Join(n, " ")
	}
	if w, g := left(ref), left(our); g != w {
		t.Errorf("files left in the run directory after stop: ovs-ctl %q, gswitch-ctl %q", w, g)
	}
	ourOut, rc = our.gctl("--gswitch="+fake, "status")
	if rc != 1 || !strings.Contains(ourOut, "ovsdb-server is not running") {
		t.Errorf("status after stop (exit %d):\n%s", rc, ourOut)
	}
}

// TestPrivilegedGswitchCtlUpgradesDB: a database made with an older schema
// is backed up, compacted and converted as ovs-ctl does it (the same lines,
// the same backup file, the new schema version).
func TestPrivilegedGswitchCtlUpgradesDB(t *testing.T) {
	netns.Require(t)
	ref, our := newCtlRun(t), newCtlRun(t)
	ovsCtl := ref.ovsCtl()
	fake := our.writeFake("gswitch")
	// The old schema: version 8.2.0, without Open_vSwitch's dpdk_initialized.
	sch, err := os.ReadFile("/usr/share/openvswitch/vswitch.ovsschema")
	if err != nil {
		t.Skipf("no schema: %v", err)
	}
	old := regexp.MustCompile(`"version": "[0-9.]+"`).ReplaceAllString(string(sch), `"version": "8.2.0"`)
	old = regexp.MustCompile(`"dpdk_initialized": \{\s*"type": "boolean"\},\s*`).ReplaceAllString(old, "")
	if old == string(sch) || strings.Contains(old, `"dpdk_initialized"`) {
		t.Fatal("could not make the older schema")
	}
	oldPath := filepath.Join(t.TempDir(), "old.ovsschema")
	if err := os.WriteFile(oldPath, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*ctlRun{ref, our} {
		if out, rc := r.exec("ovsdb-tool", "create", filepath.Join(r.db, "conf.db"), oldPath); rc != 0 {
			t.Fatalf("ovsdb-tool create: %s", out)
		}
	}
	refOut, rc := ref.exec(ovsCtl, "--no-monitor", "--system-id=random", "--no-record-hostname", "--no-ovs-vswitchd", "start")
	if rc != 0 {
		t.Fatalf("ovs-ctl start: %d\n%s", rc, refOut)
	}
	ourOut, rc := our.gctl("--gswitch="+fake, "--no-gswitch", "start")
	if rc != 0 {
		t.Fatalf("gswitch-ctl start: %d\n%s", rc, ourOut)
	}
	if w, g := ref.norm(refOut), our.norm(ourOut); g != w {
		t.Errorf("start output:\n--- ovs-ctl\n%s--- gswitch-ctl\n%s", w, g)
	}
	if w, g := strings.Join(files(t, ref.db), " "), strings.Join(files(t, our.db), " "); g != w || !strings.Contains(g, "conf.db.backup8.2.0-") {
		t.Errorf("database directory: ovs-ctl %q, gswitch-ctl %q", w, g)
	}
	for _, r := range []*ctlRun{ref, our} {
		if out, _ := r.exec("ovsdb-tool", "db-version", filepath.Join(r.db, "conf.db")); strings.TrimSpace(out) == "8.2.0" {
			t.Errorf("%s: not converted", r.root)
		}
	}
	if w, g := ref.openVSwitchRow(), our.openVSwitchRow(); g != w {
		t.Errorf("Open_vSwitch row:\n--- ovs-ctl\n%s--- gswitch-ctl\n%s", w, g)
	}
	ref.exec(ovsCtl, "--no-ovs-vswitchd", "stop")
	if out, rc := our.gctl("--no-gswitch", "stop"); rc != 0 {
		t.Errorf("gswitch-ctl stop: %d\n%s", rc, out)
	}
}

// TestGswitchCtlReportsRefusal: when gswitch refuses to start (as it refused
// a database before database mode), `start` creates the database, leaves
// ovsdb-server running, prints gswitch's own message and "Starting gswitch
// ... failed!" and exits 1; `status` says which daemon runs; `stop` stops
// ovsdb-server. Needs ovsdb-server, not root.
func TestGswitchCtlReportsRefusal(t *testing.T) {
	r := newCtlRun(t)
	fake := r.writeFake("gswitch")
	r.extraEnv = append(r.extraEnv, "FAKE_REFUSE=1")
	out, rc := r.gctl("--gswitch="+fake, "--system-id=s5s-test", "start")
	if rc != 1 {
		t.Fatalf("start: exit %d, want 1\n%s", rc, out)
	}
	for _, want := range []string{
		"Creating empty database " + filepath.Join(r.db, "conf.db") + ".\n",
		"Starting ovsdb-server.\n",
		"gswitch: database mode is not built yet",
		"Starting gswitch ... failed!\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("start output lacks %q:\n%s", want, out)
		}
	}
	if row := r.openVSwitchRow(); !strings.Contains(row, `system-id=s5s-test`) || !strings.Contains(row, `ovs_version         : "3.1.0"`) {
		t.Errorf("Open_vSwitch row:\n%s", row)
	}
	out, rc = r.gctl("--gswitch="+fake, "status")
	if rc != 1 || r.norm(out) != "ovsdb-server is running with pid PID\ngswitch is not running\n" {
		t.Errorf("status: exit %d\n%s", rc, out)
	}
	out, rc = r.gctl("--gswitch="+fake, "stop")
	if rc != 0 || r.norm(out) != "gswitch is not running.\nExiting ovsdb-server (PID).\n" {
		t.Errorf("stop: exit %d\n%s", rc, out)
	}
	if got := strings.Join(files(t, r.run), " "); got != "" {
		t.Errorf("left in the run directory: %s", got)
	}
}

// TestGswitchCtlLeavesOVSAlone: an ovs-vswitchd (Open vSwitch's own, by its
// process name) holding the pid file makes start and stop fail with a
// message naming it, and it keeps running.
func TestGswitchCtlLeavesOVSAlone(t *testing.T) {
	r := newCtlRun(t)
	ovs := r.writeFake("ovs-vswitchd")
	pidfile := filepath.Join(r.run, "ovs-vswitchd.pid")
	if out, rc := r.exec(ovs, "--pidfile="+pidfile); rc != 0 {
		t.Fatalf("fake ovs-vswitchd: %s", out)
	}
	b, _ := os.ReadFile(pidfile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if !netns.Eventually(5*time.Second, func() bool {
		c, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return strings.TrimSpace(string(c)) == "ovs-vswitchd"
	}) {
		t.Fatalf("fake ovs-vswitchd (pid %d) is not running", pid)
	}
	fake := r.writeFake("gswitch")
	out, rc := r.gctl("--gswitch="+fake, "--no-ovsdb-server", "start")
	if rc != 1 || !strings.Contains(out, "Open vSwitch's ovs-vswitchd runs (pid "+strconv.Itoa(pid)) {
		t.Errorf("start: exit %d\n%s", rc, out)
	}
	out, rc = r.gctl("--gswitch="+fake, "--no-ovsdb-server", "status")
	if rc != 1 || !strings.Contains(out, "gswitch is not running (Open vSwitch's ovs-vswitchd runs with pid") {
		t.Errorf("status: exit %d\n%s", rc, out)
	}
	out, rc = r.gctl("--gswitch="+fake, "--no-ovsdb-server", "stop")
	if rc != 1 || !strings.Contains(out, "belongs to Open vSwitch's ovs-vswitchd") {
		t.Errorf("stop: exit %d\n%s", rc, out)
	}
	if !alive(pid) {
		t.Errorf("gswitch-ctl stopped ovs-vswitchd")
	}
	if _, err := os.Stat(filepath.Join(r.sbin, "argv")); err == nil {
		b, _ := os.ReadFile(filepath.Join(r.sbin, "argv"))
		if strings.HasPrefix(string(b), "gswitch") {
			t.Errorf("gswitch was started beside ovs-vswitchd")
		}
	}
}

// TestGswitchServiceUnit: `make install DESTDIR=...` puts gswitch, gswitch-ctl
// and gswitch.service (paths filled in) in place, and systemd-analyze verify
// accepts the unit beside Debian's OVS units; it is ordered after and
// requires ovsdb-server.service, as ovs-vswitchd.service does, and conflicts
// with ovs-vswitchd.service.
func TestGswitchServiceUnit(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	top := filepath.Join(golden.Dir(), "..", "..")
	d := t.TempDir()
	if out, err := exec.Command("make", "-s", "-C", top, "install", "DESTDIR="+d).CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	unit := filepath.Join(d, "etc/systemd/system/gswitch.service")
	for _, f := range []string{"usr/local/sbin/gswitch", "usr/local/share/gswitch/scripts/gswitch-ctl"} {
		if fi, err := os.Stat(filepath.Join(d, f)); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s not installed executable: %v", f, err)
		}
	}
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"\nRequires=ovsdb-server.service\n", "\nAfter=ovsdb-server.service ", "\nConflicts=ovs-vswitchd.service\n",
		"ExecStart=/usr/local/share/gswitch/scripts/gswitch-ctl --gswitch=/usr/local/sbin/gswitch \\\n          --no-ovsdb-server",
		"\nPIDFile=/run/openvswitch/ovs-vswitchd.pid\n", "\nType=forking\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("gswitch.service lacks %q", want)
		}
	}
	if strings.Contains(text, "@") {
		t.Errorf("gswitch.service has a placeholder left:\n%s", text)
	}
	// Debian's units, which gswitch.service names, beside it.
	lib := filepath.Join(d, "lib/systemd/system")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ovsdb-server.service", "ovs-vswitchd.service", "openvswitch-switch.service", "ovs-record-hostname.service"} {
		b, err := os.ReadFile("/lib/systemd/system/" + u)
		if err != nil {
			t.Skipf("no Debian OVS units: %v", err)
		}
		if err := os.WriteFile(filepath.Join(lib, u), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(sa, "verify", "--root="+d, unit).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestPrivilegedGswitchCtlDatabase: the whole way a user takes, in a
// namespace with temp dirs: `gswitch-ctl start` (database made, ovsdb-server
// and the real gswitch in database mode), ovs-vsctl add-br and add-port of
// two veths, ping across, plain ovs-appctl reaching gswitch, `status`, then
// `stop`: both daemons gone, the run directory empty, the bridge's internal
// device gone.
func TestPrivilegedGswitchCtlDatabase(t *testing.T) {
	netns.Require(t)
	bin := netns.Bin(t)
	r := newCtlRun(t)
	sw := netns.New(t, "s5s-sw")
	ha := netns.New(t, "s5s-ha")
	hb := netns.New(t, "s5s-hb")
	netns.Veth(t, "s5s-a", sw, "s5s-ax", ha)
	netns.Veth(t, "s5s-b", sw, "s5s-bx", hb)
	ha.Addr(t, "s5s-ax", "198.51.100.1/24")
	hb.Addr(t, "s5s-bx", "198.51.100.2/24")

	ctl := func(args ...string) (string, error) {
		return sw.Try("bash", append([]string{gswitchCtlScript(), "--rundir=" + r.run, "--logdir=" + r.log,
			"--dbdir=" + r.db, "--timeout=20", "--gswitch=" + bin}, args...)...)
	}
	out, err := ctl("start")
	if err != nil {
		t.Fatalf("gswitch-ctl start: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Starting gswitch.\n") || !strings.Contains(out, "Enabling remote OVSDB managers.\n") {
		t.Errorf("start output:\n%s", out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(r.log, "gswitch.log"))
			t.Logf("gswitch.log:\n%s", b)
		}
	})
	vsctl := func(args ...string) string {
		t.Helper()
		return sw.Must(t, "ovs-vsctl", append([]string{"--db=unix:" + filepath.Join(r.run, "db.sock"), "--timeout=20"}, args...)...)
	}
	vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
	vsctl("add-port", "br0", "s5s-a", "--", "add-port", "br0", "s5s-b")
	if out, err := ha.Try("ping", "-c", "3", "-W", "2", "198.51.100.2"); err != nil {
		t.Fatalf("ping across br0: %v\n%s", err, out)
	}
	if out, err := sw.Try("env", "OVS_RUNDIR="+r.run, "timeout", "10", "ovs-appctl", "ofproto/list"); err != nil || out != "br0\n" {
		t.Errorf("plain ovs-appctl ofproto/list: %v %q", err, out)
	}
	if got := vsctl("get", "Open_vSwitch", ".", "ovs_version"); !strings.Contains(got, strings.Fields(sw.Must(t, bin, "--version"))[1]) {
		t.Errorf("ovs_version %s is not gswitch's", got)
	}
	out, err = ctl("status")
	if err != nil || !regexp.MustCompile(`^ovsdb-server is running with pid [0-9]+\ngswitch is running with pid [0-9]+\n$`).MatchString(out) {
		t.Errorf("status: %v\n%s", err, out)
	}
	var pids []int
	for _, f := range []string{"ovs-vswitchd.pid", "ovsdb-server.pid"} {
		b, _ := os.ReadFile(filepath.Join(r.run, f))
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		pids = append(pids, n)
	}

	out, err = ctl("stop")
	if err != nil || r.norm(out) != "Exiting gswitch (PID).\nExiting ovsdb-server (PID).\n" {
		t.Errorf("stop: %v\n%s", err, out)
	}
	for _, p := range pids {
		if p <= 1 || alive(p) {
			t.Errorf("pid %d still runs after stop", p)
		}
	}
	if left := files(t, r.run); len(left) != 0 {
		t.Errorf("left in the run directory after stop: %v", left)
	}
	if out, err := sw.Try("ip", "link", "show", "br0"); err == nil {
		t.Errorf("br0's internal device left after stop:\n%s", out)
	}
	out, err = ctl("status")
	if exitCode(err) != 1 || out != "ovsdb-server is not running\ngswitch is not running\n" {
		t.Errorf("status after stop: %v\n%s", err, out)
	}
}
