package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gswitch/tests/netns"
)

// dbSwitch is gswitch run as ovs-vswitchd in namespace S under a private
// ovsdb-server: database, sockets, pid file and logs in one temp dir (Dir),
// gswitch started with ovs-vswitchd's command line (the database as
// positional argument, --pidfile --detach --log-file), so plain ovs-appctl
// and ovs-ofctl BRIDGE reach it through OVS_RUNDIR. Stopped by its pid at
// cleanup; its log is printed when the test failed.
type dbSwitch struct {
	t   *testing.T
	S   *netns.NS
	Dir string
	DB  string      // unix:Dir/db.sock
	DBP *netns.Proc // ovsdb-server
	Pid int         // gswitch
}

// startDBSwitch creates the database, starts ovsdb-server (ovs-vsctl
// --no-wait init) and gswitch (bin) with --detach, which returns once the
// first configuration is applied. extra are more gswitch options.
func startDBSwitch(t *testing.T, S *netns.NS, bin string, extra ...string) *dbSwitch {
	t.Helper()
	if _, err := exec.LookPath("ovsdb-server"); err != nil {
		t.Skip("ovsdb-server not installed")
	}
	d := &dbSwitch{t: t, S: S, Dir: t.TempDir()}
	d.DB = "unix:" + filepath.Join(d.Dir, "db.sock")
	netns.Run(t, "ovsdb-tool", "create", filepath.Join(d.Dir, "conf.db"), "/usr/share/openvswitch/vswitch.ovsschema")
	d.DBP = d.StartDB()
	d.Vsctl("--no-wait", "init")
	args := append([]string{d.DB, "--pidfile", "--detach", "--no-chdir", "--log-file", "-vconsole:off"}, extra...)
	if out, err := d.In(bin, args...); err != nil {
		t.Fatalf("gswitch %s --detach: %v\n%s", d.DB, err, out)
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, "ovs-vswitchd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	d.Pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	t.Cleanup(func() {
		if d.Pid > 0 && alive(d.Pid) {
			syscall.Kill(d.Pid, syscall.SIGTERM)
			netns.Eventually(5*time.Second, func() bool { return !alive(d.Pid) })
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(d.Dir, "ovs-vswitchd.log"))
			t.Logf("ovs-vswitchd.log:\n%s", log)
		}
	})
	return d
}

// StartDB starts ovsdb-server on the database (again, after DBP.Stop).
func (d *dbSwitch) StartDB() *netns.Proc {
	d.t.Helper()
	p := d.S.Start(d.t, "ovsdb-server", filepath.Join(d.Dir, "conf.db"), "--remote=p"+d.DB,
		"--unixctl="+filepath.Join(d.Dir, "ovsdb.ctl"), "--log-file="+filepath.Join(d.Dir, "ovsdb-server.log"))
	if !netns.Eventually(10*time.Second, func() bool { _, err := os.Stat(filepath.Join(d.Dir, "db.sock")); return err == nil }) {
		d.t.Fatalf("ovsdb-server did not start:\n%s", p.Output())
	}
	return p
}

// In runs a command in S with OVS_RUNDIR, OVS_LOGDIR and OVS_DBDIR set to
// Dir, bounded to 40 s.
func (d *dbSwitch) In(name string, args ...string) (string, error) {
	env := []string{"OVS_RUNDIR=" + d.Dir, "OVS_LOGDIR=" + d.Dir, "OVS_DBDIR=" + d.Dir}
	return d.S.Try("env", append(append(env, "timeout", "40", name), args...)...)
}

// Vsctl runs ovs-vsctl on the database (with its default wait for
// cur_cfg) and fails the test if it fails; the output is trimmed.
func (d *dbSwitch) Vsctl(args ...string) string {
	d.t.Helper()
	out, err := d.In("ovs-vsctl", append([]string{"--db=" + d.DB, "--timeout=30"}, args...)...)
	if err != nil {
		d.t.Fatalf("ovs-vsctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}
