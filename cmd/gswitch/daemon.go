package main

// ovs-vswitchd's command line: the database argument and the daemon options
// that Debian's ovs-ctl and OVS's and OVN's test scripts pass, so that they
// start gswitch in place of ovs-vswitchd by changing only the binary's name.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// ProgramName is the name plain `ovs-appctl COMMAND` looks for: its default
// target is "ovs-vswitchd", found through $OVS_RUNDIR/ovs-vswitchd.pid and
// then the socket $OVS_RUNDIR/ovs-vswitchd.PID.ctl.
const ProgramName = "ovs-vswitchd"

// DaemonOptions are ovs-vswitchd's daemon options (lib/daemon.h, vlog.h,
// unixctl) as gswitch takes them.
type DaemonOptions struct {
	// OVSDB is the database to be configured from (`--ovsdb` or the
	// positional argument): unix:PATH, tcp:IP:PORT or ssl:IP:PORT. Empty:
	// flag mode.
	OVSDB string
	// Pidfile is the pid file's path ("" when none is written).
	Pidfile          string
	OverwritePidfile bool
	// Unixctl is --unixctl's socket path ("" when not given); "none" (as
	// OVS) creates no control socket.
	Unixctl string
	// LogFile is the vlog-format log's path ("" when none).
	LogFile         string
	Detach          bool
	NoChdir         bool
	Monitor         bool
	MLockAll        bool
	DisableSystem   bool
	NoSelfConfine   bool
	DisableSysRoute bool
	// Verbose are the -v/--verbose specs in command-line order ("" is a
	// bare -v: every module and destination at dbg).
	Verbose []string
	// Detached is set in the child that --detach started (internal).
	Detached bool
}

// optValue is a flag with an optional value, as getopt's optional_argument:
// `--pidfile` alone takes the default, `--pidfile=FILE` the file.
type optValue struct {
	set bool
	val string
	fn  func(set bool, v string) error
}

func (o *optValue) String() string   { return o.val }
func (o *optValue) IsBoolFlag() bool { return true }
func (o *optValue) Set(v string) error {
	if v == "true" {
		v = ""
	}
	o.set, o.val = true, v
	if o.fn != nil {
		return o.fn(true, v)
	}
	return nil
}

// pidfileOpt and logFileOpt keep whether the option was given and its value.
type daemonFlags struct {
	pidfile, logFile optValue
	user             string
}

// registerDaemonFlags adds ovs-vswitchd's options to fs.
func registerDaemonFlags(fs *flag.FlagSet, d *DaemonOptions, df *daemonFlags) {
	fs.StringVar(&d.OVSDB, "ovsdb", "", "configure from the Open_vSwitch database at `unix:PATH|tcp:IP:PORT|ssl:IP:PORT` (as ovs-vswitchd's positional DATABASE argument)")
	fs.Var(&df.pidfile, "pidfile", "write the process id to `FILE` (default $OVS_RUNDIR/ovs-vswitchd.pid), locked as OVS locks it")
	fs.BoolVar(&d.OverwritePidfile, "overwrite-pidfile", false, "with --pidfile, replace a pid file that another running process holds")
	fs.StringVar(&d.Unixctl, "unixctl", "", "control socket `SOCKET` (OVS's name for --ctl; relative to $OVS_RUNDIR; none for no socket)")
	fs.Var(&df.logFile, "log-file", "write log lines in OVS's vlog format to `FILE` (default $OVS_LOGDIR/ovs-vswitchd.log)")
	fs.BoolVar(&d.Detach, "detach", false, "run in the background; return once the pid file and control socket are in place")
	fs.BoolVar(&d.NoChdir, "no-chdir", false, "with --detach, do not change to the root directory")
	fs.BoolVar(&d.Monitor, "monitor", false, "accepted for ovs-vswitchd compatibility (gswitch is not restarted by a monitor process)")
	fs.BoolVar(&d.MLockAll, "mlockall", false, "lock the process's memory (mlockall), as ovs-vswitchd")
	fs.BoolVar(&d.DisableSystem, "disable-system", false, "as ovs-vswitchd: no system datapath (bridges of datapath_type system are refused; datapath_types is [netdev])")
	fs.BoolVar(&d.DisableSysRoute, "disable-system-route", false, "accepted for ovs-vswitchd compatibility")
	fs.BoolVar(&d.NoSelfConfine, "no-self-confinement", false, "accepted for ovs-vswitchd compatibility")
	fs.StringVar(&df.user, "user", "", "accepted when `USER[:GROUP]` is the user gswitch already runs as (gswitch does not drop privileges)")
	fs.Var(verboseFlag{d}, "verbose", "log levels as ovs-vswitchd's `-v[SPEC]`/--verbose[=SPEC]: [MODULE][:DEST][:LEVEL] (repeatable)")
}

type verboseFlag struct{ d *DaemonOptions }

func (v verboseFlag) String() string   { return "" }
func (v verboseFlag) IsBoolFlag() bool { return true }
func (v verboseFlag) Set(s string) error {
	if s == "true" {
		s = ""
	}
	if err := checkVlogSpec(s); err != nil {
		return err
	}
	v.d.Verbose = append(v.d.Verbose, s)
	return nil
}

// rewriteShortOptions turns ovs-vswitchd's getopt short options into the
// flag package's forms: -vSPEC (SPEC attached, as getopt wants it) becomes
// --verbose=SPEC, -V --version, -h --help.
func rewriteShortOptions(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch {
		case a == "-V":
			a = "--version"
		case a == "-v":
			a = "--verbose"
		case strings.HasPrefix(a, "-v") && !strings.HasPrefix(a, "-version"):
			a = "--verbose=" + a[2:]
		}
		out = append(out, a)
	}
	return out
}

// parseWithPositional runs fs.Parse, collecting positional arguments wherever
// they stand (getopt permutes them; ovs-ctl puts the database first).
func parseWithPositional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// checkOVSDBRemote checks a database remote as ovs-vswitchd takes it.
func checkOVSDBRemote(s string) error {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return fmt.Errorf("database %q: expected unix:PATH, tcp:IP:PORT or ssl:IP:PORT", s)
	}
	switch kind {
	case "unix":
	case "tcp", "ssl":
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 || i == len(rest)-1 {
			return fmt.Errorf("database %q: expected %s:IP:PORT", s, kind)
		}
	default:
		return fmt.Errorf("database %q: expected unix:PATH, tcp:IP:PORT or ssl:IP:PORT", s)
	}
	return nil
}

// finishDaemon checks the daemon options against the rest of the command
// line and fills the defaults. pos are the positional arguments.
func finishDaemon(c *Config, df *daemonFlags, pos []string, setFlags map[string]bool) error {
	d := &c.Daemon
	switch {
	case len(pos) > 1:
		return fmt.Errorf("unexpected argument %q (ovs-vswitchd takes at most one DATABASE argument)", pos[1])
	case len(pos) == 1:
		if d.OVSDB != "" {
			return fmt.Errorf("database given twice: --ovsdb %s and %s", d.OVSDB, pos[0])
		}
		if !strings.Contains(pos[0], ":") {
			return fmt.Errorf("unexpected argument %q (flags start with --; a database is unix:PATH, tcp:IP:PORT or ssl:IP:PORT)", pos[0])
		}
		d.OVSDB = pos[0]
	}
	if d.OVSDB != "" {
		if err := checkOVSDBRemote(d.OVSDB); err != nil {
			return err
		}
		var bad []string
		for _, f := range []string{"port", "tap", "bridge"} {
			if setFlags[f] {
				bad = append(bad, "--"+f)
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s cannot be used with a database (%s): bridges and ports come from the database then (ovs-vsctl add-br, add-port)", strings.Join(bad, ", "), d.OVSDB)
		}
	}
	if setFlags["ctl"] && d.Unixctl != "" {
		return errors.New("--ctl and --unixctl name the same socket: give one of them")
	}
	if df.pidfile.set {
		d.Pidfile = absIn(c.RunDir, df.pidfile.val, ProgramName+".pid")
	}
	if df.logFile.set {
		logdir := os.Getenv("OVS_LOGDIR")
		if logdir == "" {
			logdir = "/var/log/openvswitch"
		}
		d.LogFile = absIn(logdir, df.logFile.val, ProgramName+".log")
	}
	if d.Unixctl != "" && d.Unixctl != "none" {
		d.Unixctl = absIn(c.RunDir, d.Unixctl, "")
	}
	if df.user != "" {
		if err := checkUser(df.user); err != nil {
			return err
		}
	}
	d.Detached = os.Getenv(detachEnv) != ""
	return nil
}

// absIn is OVS's abs_file_name: name relative to dir, or def in dir when
// name is empty.
func absIn(dir, name, def string) string {
	if name == "" {
		name = def
	}
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// checkUser accepts --user naming the user (and group) gswitch runs as.
func checkUser(spec string) error {
	name, group, _ := strings.Cut(spec, ":")
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("--user %s: %v", spec, err)
	}
	if name != u.Username && name != u.Uid {
		return fmt.Errorf("--user %s: gswitch does not drop privileges; run it as that user instead", spec)
	}
	if group != "" {
		g, err := user.LookupGroupId(u.Gid)
		if err != nil || (group != g.Name && group != u.Gid) {
			return fmt.Errorf("--user %s: gswitch does not change its group; run it as that group instead", spec)
		}
	}
	return nil
}

// detachEnv carries, to the child that --detach starts, the number of the
// descriptor on which it reports readiness.
const detachEnv = "GSWITCH_DETACH_FD"

// detachParent is --detach's parent: it starts this program again in a new
// session and returns 0 once the child reports ready (pid file and control
// socket in place), or 1 when the child exits first (its errors went to our
// stderr), as ovs-vswitchd's daemonize.
func detachParent(args []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gswitch: --detach:", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gswitch: --detach:", err)
		return 1
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gswitch: --detach:", err)
		return 1
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), detachEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gswitch: --detach:", err)
		return 1
	}
	w.Close()
	null.Close()
	msg, _ := io.ReadAll(io.LimitReader(r, 64))
	r.Close()
	if strings.HasPrefix(string(msg), "ready") {
		cmd.Process.Release()
		return 0
	}
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
	}
	fmt.Fprintln(os.Stderr, "gswitch: --detach: the daemon exited before it was ready")
	return 1
}

// daemonState is what a running gswitch holds as a daemon: its pid file
// (locked while it runs) and the files it removes at exit.
type daemonState struct {
	opts    *DaemonOptions
	pidfile *os.File
	readyFD *os.File
	isReady bool
	// cleanup is set by `exit --cleanup`.
	cleanup atomic.Bool
}

// startDaemon is the daemon's side of the options once the command line is
// parsed: the pid file (written by the process that runs, so its pid and
// lock are the daemon's, as OVS's make_pidfile) and --mlockall.
func startDaemon(c *Config, log *zap.Logger) (*daemonState, error) {
	d := &daemonState{opts: &c.Daemon}
	if fd := os.Getenv(detachEnv); fd != "" {
		os.Unsetenv(detachEnv)
		if n, err := strconv.Atoi(fd); err == nil {
			d.readyFD = os.NewFile(uintptr(n), "ready")
		}
	}
	if c.Daemon.Pidfile != "" {
		f, err := makePidfile(c.Daemon.Pidfile, c.Daemon.OverwritePidfile)
		if err != nil {
			return nil, err
		}
		d.pidfile = f
	}
	if c.Daemon.MLockAll {
		if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE); err != nil {
			log.Named("vswitchd").Warn("mlockall failed: " + err.Error())
		}
	}
	return d, nil
}

// ctlPath is the control socket's path: --ctl/--unixctl's, else as OVS
// $OVS_RUNDIR/ovs-vswitchd.PID.ctl when a pid file is written or in
// database mode (plain `ovs-appctl` finds it), else $OVS_RUNDIR/gswitch.ctl.
func (d *daemonState) ctlPath(c *Config) string {
	if c.CtlSet || (d.opts.Pidfile == "" && d.opts.OVSDB == "") {
		return c.Ctl
	}
	return filepath.Join(c.RunDir, fmt.Sprintf("%s.%d.ctl", ProgramName, os.Getpid()))
}

// Ready is the readiness hook: --detach's parent exits 0 once it is called;
// then, as OVS's daemonize_complete, the daemon changes to / (unless
// --no-chdir) and drops its standard descriptors. Flag mode calls it once
// the ports, listeners and control socket are up; database mode must call it
// only once the first configuration from the database is applied.
func (d *daemonState) Ready(vl *vlog) {
	if d.isReady {
		return
	}
	d.isReady = true
	if d.readyFD == nil {
		return
	}
	d.readyFD.WriteString("ready\n")
	d.readyFD.Close()
	if !d.opts.NoChdir {
		os.Chdir("/")
	}
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		for fd := 0; fd <= 2; fd++ {
			unix.Dup3(int(null.Fd()), fd, 0)
		}
		null.Close()
	}
	// As OVS's close_standard_fds: no more logging to the console.
	vl.set("console:off")
}

// Close removes the pid file (releasing its lock) at exit.
func (d *daemonState) Close() {
	if d.pidfile != nil {
		os.Remove(d.opts.Pidfile)
		d.pidfile.Close()
		d.pidfile = nil
	}
}

// makePidfile writes the pid file as OVS's make_pidfile: PATH.tmp is
// created and locked (F_SETLK, F_WRLCK: `ovs-appctl` treats an unlocked pid
// file as stale), a pid file another running process holds is refused
// unless overwrite, then the pid is written and PATH.tmp renamed to PATH.
// The returned file stays open: closing it would release the lock.
func makePidfile(path string, overwrite bool) (*os.File, error) {
	tmp := path + ".tmp"
	if overwrite {
		tmp = fmt.Sprintf("%s.tmp%d", path, os.Getpid())
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: create failed (%v)", tmp, err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: fcntl(F_SETLK) failed (%v)", tmp, err)
	}
	if !overwrite {
		if pid := lockedPid(path); pid > 0 {
			os.Remove(tmp)
			f.Close()
			return nil, fmt.Errorf("%s: already running as pid %d, aborting", path, pid)
		}
	}
	if err := f.Truncate(0); err == nil {
		_, err = fmt.Fprintf(f, "%d\n", os.Getpid())
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			os.Remove(tmp)
			f.Close()
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	return f, nil
}

// lockedPid is the pid of the process holding path's lock, 0 when none
// does (no file, or a stale one), as OVS's read_pidfile.
func lockedPid(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk); err != nil || lk.Type == unix.F_UNLCK {
		return 0
	}
	return int(lk.Pid)
}

// defaultCtlTarget is `gswitch ctl`'s socket without --ctl: gswitch.ctl in
// rundir when it exists, else ovs-vswitchd.PID.ctl for the pid that
// ovs-vswitchd.pid names (as plain ovs-appctl finds ovs-vswitchd).
func defaultCtlTarget(rundir string) string {
	def := filepath.Join(rundir, "gswitch.ctl")
	if _, err := os.Stat(def); err == nil {
		return def
	}
	b, err := os.ReadFile(filepath.Join(rundir, ProgramName+".pid"))
	if err != nil {
		return def
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return def
	}
	return filepath.Join(rundir, fmt.Sprintf("%s.%d.ctl", ProgramName, pid))
}
