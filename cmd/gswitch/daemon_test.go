package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestParseDaemonOptions(t *testing.T) {
	t.Setenv("OVS_RUNDIR", "/run/x")
	t.Setenv("OVS_LOGDIR", "/log/y")
	c, err := ParseArgs([]string{"--port", "veth-a", "--pidfile", "--log-file", "--detach", "--no-chdir",
		"--monitor", "--mlockall", "--disable-system", "--no-self-confinement", "-vconsole:off",
		"-vvconn:file:dbg", "--verbose=ofproto:file:dbg", "-v", "--unixctl=sw.ctl"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Daemon
	if d.Pidfile != "/run/x/ovs-vswitchd.pid" || d.LogFile != "/log/y/ovs-vswitchd.log" || !d.Detach || !d.NoChdir ||
		!d.Monitor || !d.MLockAll || !d.DisableSystem || !d.NoSelfConfine || d.OVSDB != "" {
		t.Errorf("options %+v", d)
	}
	if c.Ctl != "/run/x/sw.ctl" || !c.CtlSet {
		t.Errorf("--unixctl: ctl %q %v", c.Ctl, c.CtlSet)
	}
	if strings.Join(d.Verbose, "|") != "console:off|vconn:file:dbg|ofproto:file:dbg|" {
		t.Errorf("verbose %q", d.Verbose)
	}
	c, err = ParseArgs([]string{"--pidfile=/p/gs.pid", "--log-file=rel.log", "--port=veth-a"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Daemon.Pidfile != "/p/gs.pid" || c.Daemon.LogFile != "/log/y/rel.log" || c.Ctl != "/run/x/gswitch.ctl" {
		t.Errorf("explicit files: %+v ctl %s", c.Daemon, c.Ctl)
	}
	// ovs-ctl's order: the database first, then the options.
	for _, args := range [][]string{
		{"unix:/run/x/db.sock", "-vconsole:emer", "-vsyslog:err", "-vfile:info", "--mlockall", "--no-chdir",
			"--log-file=/log/y/ovs-vswitchd.log", "--pidfile=/run/x/ovs-vswitchd.pid", "--detach", "--monitor"},
		{"--ovsdb", "unix:/run/x/db.sock"},
		{"--detach", "--", "unix:/run/x/db.sock"},
	} {
		c, err := ParseArgs(args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if c.Daemon.OVSDB != "unix:/run/x/db.sock" {
			t.Errorf("%v: database %q", args, c.Daemon.OVSDB)
		}
	}
	for _, db := range []string{"tcp:127.0.0.1:6640", "ssl:[::1]:6640"} {
		if _, err := ParseArgs([]string{db}, io.Discard); err != nil {
			t.Errorf("%s: %v", db, err)
		}
	}
}

func TestParseDaemonErrors(t *testing.T) {
	cases := map[string][]string{
		"--port cannot be used with a database":          {"--ovsdb", "unix:/db.sock", "--port", "a"},
		"--tap, --bridge cannot be used with a database": {"unix:/db.sock", "--tap", "t0", "--bridge", "br1"},
		"database given twice":                           {"--ovsdb", "unix:/a", "unix:/b"},
		"at most one DATABASE":                           {"unix:/a", "unix:/b"},
		"expected unix:PATH, tcp:IP:PORT":                {"--ovsdb", "http:x"},
		"expected tcp:IP:PORT":                           {"tcp:6640"},
		"unexpected argument \"stray\"":                  {"stray"},
		"no destination, level, or module \"loud\"":      {"-vloud"},
		"cannot specify multiple levels":                 {"--verbose=dbg:info"},
		"--ctl and --unixctl":                            {"--ctl", "/a", "--unixctl", "/b"},
		"does not drop privileges":                       {"--user", "nosuchuser-s5v"},
	}
	for want, args := range cases {
		_, err := ParseArgs(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: got %v, want error containing %q", args, err, want)
		}
	}
}

func TestVlogSpecs(t *testing.T) {
	v, err := newVlog(vllInfo, []string{"console:off", "ofproto:file:dbg", "vconn:dbg", "PATTERN:file:%m"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := v.levels["ofproto"]
	if vlogLevel(l[destConsole].Load()) != vllOff || vlogLevel(l[destSyslog].Load()) != vllInfo || vlogLevel(l[destFile].Load()) != vllDbg {
		t.Errorf("ofproto levels %v %v %v", l[0].Load(), l[1].Load(), l[2].Load())
	}
	if !strings.Contains(v.list(), "ofproto            OFF       INFO        DBG\n") {
		t.Errorf("vlog/list:\n%s", v.list())
	}
	for spec, want := range map[string]string{
		"bogus":              `no destination, level, or module "bogus"`,
		"file:dbg:console":   "cannot specify multiple destinations",
		"vconn:ofproto:dbg":  "cannot specify multiple modules",
		"PATTERN":            "missing destination",
		"PATTERN:nowhere:%m": `unknown destination "nowhere"`,
	} {
		if err := v.set(spec); err == nil || err.Error() != want {
			t.Errorf("vlog/set %s: %v, want %s", spec, err, want)
		}
	}
}

// The file destination writes OVS's line format (as
// tests/golden/vswitchd/ovs-vswitchd.log), numbered across destinations,
// only what the module's file level lets through.
func TestVlogFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sw.log")
	c := &Config{LogLevel: "info", Daemon: DaemonOptions{LogFile: path, Verbose: []string{"console:off", "ofproto:file:dbg"}}}
	var con bytes.Buffer
	log, v, err := newVlogLogger(c, &con)
	if err != nil {
		t.Fatal(err)
	}
	v.now = func() time.Time { return time.Date(2026, 12, 7, 5, 0, 0, 123456789, time.UTC) }
	log.Info("gswitch running", zap.String("bridge", "br0"))
	log.Debug("not written")
	log.Named("ofproto").Debug("hello")
	log.Warn("careful", zap.Int("n", 3))
	log.Sync()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[0], "|00001|vlog|INFO|opened log file "+path) {
		t.Fatalf("log:\n%s", b)
	}
	want := []string{
		"|00002|vswitchd|INFO|gswitch running (bridge=br0)",
		"|00003|ofproto|DBG|hello",
		"|00004|vswitchd|WARN|careful (n=3)",
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i+1], w) || !reVlogTime.MatchString(lines[i+1]) {
			t.Errorf("line %d %q, want ...%s", i+2, lines[i+1], w)
		}
	}
	if con.Len() != 0 {
		t.Errorf("console off, yet: %s", con.String())
	}
	if got := formatVlogLine(time.Date(2026, 12, 7, 5, 0, 0, 123456789, time.UTC), 7, "bridge", vllInfo, "x", nil); got != "2026-12-07T05:00:00.123Z|00007|bridge|INFO|x\n" {
		t.Errorf("formatVlogLine %q", got)
	}
}

var reVlogTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|`)
