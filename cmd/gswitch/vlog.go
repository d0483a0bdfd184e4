package main

// Logging as OVS's vlog: modules with a level per destination (console,
// syslog, file), set by -v/--verbose specs and `ovs-appctl vlog/set`, and
// the file destination (--log-file) in OVS's line format
// TIMESTAMP|SEQ|MODULE|LEVEL|text. It is a zap core of our own, so the
// rest of gswitch keeps logging through *zap.Logger: a logger's name is
// its module.

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// vlogLevel is OVS's enum vlog_level.
type vlogLevel int32

const (
	vllOff vlogLevel = iota
	vllEmer
	vllErr
	vllWarn
	vllInfo
	vllDbg
	vllN
)

var vlogLevelNames = [vllN]string{"OFF", "EMER", "ERR", "WARN", "INFO", "DBG"}

const (
	destConsole = iota
	destSyslog
	destFile
	nDest
)

var vlogDestNames = [nDest]string{"console", "syslog", "file"}

// gswitchModules are the modules gswitch logs under (vlog/list shows these).
// "vswitchd" is the unnamed top-level logger's.
var gswitchModules = []string{"bridge", "conntrack", "daemon_unix", "netdev", "ofproto", "ovsdb_idl",
	"reconnect", "unixctl", "vlog", "vswitchd"}

// ovsModules are OVS 3.1 ovs-vswitchd's modules (from `ovs-appctl vlog/list`
// on a private ovs-vswitchd, tests/golden/vswitchd/vlog-list.txt): specs
// naming them are accepted, and do nothing for those gswitch lacks.
//
//go:embed ovs-vlog-modules.txt
var ovsModulesText string

var ovsModules = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(ovsModulesText) {
		m[n] = true
	}
	return m
}()

func vlogLevelOf(word string) (vlogLevel, bool) {
	for i, n := range vlogLevelNames {
		if strings.EqualFold(word, n) {
			return vlogLevel(i), true
		}
	}
	return 0, false
}

func vlogDestOf(word string) (int, bool) {
	for i, n := range vlogDestNames {
		if strings.EqualFold(word, n) {
			return i, true
		}
	}
	return 0, false
}

// vlogSpec is one parsed spec: module "" is every module, dest -1 every
// destination. skip is a PATTERN or FACILITY spec (accepted, ignored).
type vlogSpec struct {
	module string
	dest   int
	level  vlogLevel
	skip   bool
}

// parseVlogSpec parses a spec as OVS's vlog_set_levels_from_string, with
// its error texts.
func parseVlogSpec(s string) (vlogSpec, error) {
	sp := vlogSpec{dest: -1, level: vllN}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ':' || r == '\t' })
	if len(words) > 0 && (strings.EqualFold(words[0], "PATTERN") || strings.EqualFold(words[0], "FACILITY")) {
		if strings.EqualFold(words[0], "PATTERN") {
			if len(words) < 2 {
				return sp, fmt.Errorf("missing destination")
			}
			if _, ok := vlogDestOf(words[1]); !ok && !strings.EqualFold(words[1], "ANY") {
				return sp, fmt.Errorf("unknown destination \"%s\"", words[1])
			}
		}
		sp.skip = true
		return sp, nil
	}
	modSet := false
	for _, w := range words {
		if strings.EqualFold(w, "ANY") {
			continue
		}
		if d, ok := vlogDestOf(w); ok {
			if sp.dest >= 0 {
				return sp, fmt.Errorf("cannot specify multiple destinations")
			}
			sp.dest = d
		} else if l, ok := vlogLevelOf(w); ok {
			if sp.level != vllN {
				return sp, fmt.Errorf("cannot specify multiple levels")
			}
			sp.level = l
		} else if isVlogModule(w) {
			if modSet {
				return sp, fmt.Errorf("cannot specify multiple modules")
			}
			sp.module, modSet = strings.ToLower(w), true
		} else {
			return sp, fmt.Errorf("no destination, level, or module \"%s\"", w)
		}
	}
	if sp.level == vllN {
		sp.level = vllDbg
	}
	return sp, nil
}

func isVlogModule(w string) bool {
	w = strings.ToLower(w)
	if ovsModules[w] {
		return true
	}
	for _, m := range gswitchModules {
		if m == w {
			return true
		}
	}
	return false
}

// checkVlogSpec checks a command-line spec ("" is a bare -v).
func checkVlogSpec(s string) error {
	if s == "" {
		return nil
	}
	if _, err := parseVlogSpec(s); err != nil {
		return fmt.Errorf("-v%s: %v", s, err)
	}
	return nil
}

// vlog is the process's logging state.
type vlog struct {
	// levels[module][dest], read on every log call.
	levels map[string]*[nDest]atomic.Int32
	// max is the highest level any module logs at anywhere (a cheap first
	// check for zap's Enabled).
	max atomic.Int32

	mu       sync.Mutex // serializes writes and the sequence number; guards file
	seq      uint32
	console  io.Writer
	conEnc   zapcore.Encoder
	file     *os.File
	filePath string
	now      func() time.Time
}

// newVlog builds the state: every gswitch module at base on every
// destination (OVS's default is INFO), then the specs applied in order.
func newVlog(base vlogLevel, specs []string, console io.Writer) (*vlog, error) {
	v := &vlog{levels: map[string]*[nDest]atomic.Int32{}, console: console, now: time.Now}
	for _, m := range gswitchModules {
		var a [nDest]atomic.Int32
		for d := range a {
			a[d].Store(int32(base))
		}
		v.levels[m] = &a
	}
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	v.conEnc = zapcore.NewConsoleEncoder(ec)
	for _, s := range specs {
		if err := v.set(s); err != nil {
			return nil, err
		}
	}
	v.recomputeMax()
	return v, nil
}

// set applies one spec; "" is every module and destination at dbg.
func (v *vlog) set(s string) error {
	sp := vlogSpec{dest: -1, level: vllDbg}
	if s != "" {
		var err error
		if sp, err = parseVlogSpec(s); err != nil {
			return err
		}
	}
	if sp.skip {
		return nil
	}
	for name, a := range v.levels {
		if sp.module != "" && sp.module != name {
			continue
		}
		for d := range a {
			if sp.dest < 0 || sp.dest == d {
				a[d].Store(int32(sp.level))
			}
		}
	}
	v.recomputeMax()
	return nil
}

func (v *vlog) recomputeMax() {
	max := vllOff
	for _, a := range v.levels {
		for d := range a {
			if d == destSyslog {
				continue // gswitch writes nothing to syslog
			}
			if d == destFile && v.filePath == "" {
				continue
			}
			if l := vlogLevel(a[d].Load()); l > max {
				max = l
			}
		}
	}
	v.max.Store(int32(max))
}

// list is vlog/list's text.
func (v *vlog) list() string {
	var b strings.Builder
	b.WriteString("                 console    syslog    file\n")
	b.WriteString("                 -------    ------    ------\n")
	names := make([]string, 0, len(v.levels))
	for n := range v.levels {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := v.levels[n]
		fmt.Fprintf(&b, "%-16s  %4s       %4s       %4s\n", n, vlogLevelNames[a[0].Load()],
			vlogLevelNames[a[1].Load()], vlogLevelNames[a[2].Load()])
	}
	return b.String()
}

// openFile opens (or reopens) the log file and logs it there, as OVS does.
func (v *vlog) openFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	v.mu.Lock()
	old := v.file
	v.file, v.filePath = f, path
	v.mu.Unlock()
	if old != nil {
		old.Close()
	}
	v.recomputeMax()
	v.log("vlog", vllInfo, "opened log file "+path)
	return nil
}

// reopen is vlog/reopen (log rotation).
func (v *vlog) reopen() error {
	v.mu.Lock()
	path := v.filePath
	v.mu.Unlock()
	if path == "" {
		return fmt.Errorf("Logging to file not configured")
	}
	return v.openFile(path)
}

// closeFile is vlog/close.
func (v *vlog) closeFile() {
	v.mu.Lock()
	if v.file != nil {
		v.file.Close()
		v.file = nil
	}
	v.mu.Unlock()
}

func (v *vlog) moduleLevels(name string) *[nDest]atomic.Int32 {
	if a := v.levels[name]; a != nil {
		return a
	}
	return v.levels["vswitchd"]
}

// log writes text at level from module to each destination that takes it
// (the vlog's own lines, not through zap).
func (v *vlog) log(module string, lvl vlogLevel, text string) {
	v.write(module, lvl, zapcore.Entry{Message: text, Time: v.now(), Level: zapLevel(lvl)}, nil)
}

func (v *vlog) write(module string, lvl vlogLevel, ent zapcore.Entry, fields []zapcore.Field) error {
	a := v.moduleLevels(module)
	toCon := vlogLevel(a[destConsole].Load()) >= lvl
	toFile := vlogLevel(a[destFile].Load()) >= lvl
	if !toCon && !toFile {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	if toFile && v.file != nil {
		line := formatVlogLine(ent.Time, v.seq, module, lvl, ent.Message, fields)
		if _, err := io.WriteString(v.file, line); err != nil {
			return err
		}
	}
	if toCon && v.console != nil {
		buf, err := v.conEnc.EncodeEntry(ent, fields)
		if err != nil {
			return err
		}
		_, err = v.console.Write(buf.Bytes())
		buf.Free()
		return err
	}
	return nil
}

// formatVlogLine is OVS's file pattern %D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c|%p|%m:
// UTC with milliseconds, the sequence number, the module, the level. zap
// fields follow the message as "key=value".
func formatVlogLine(t time.Time, seq uint32, module string, lvl vlogLevel, msg string, fields []zapcore.Field) string {
	var b strings.Builder
	b.WriteString(t.UTC().Format("2006-01-02T15:04:05.000Z"))
	fmt.Fprintf(&b, "|%05d|%s|%s|%s", seq, module, vlogLevelNames[lvl], msg)
	if len(fields) > 0 {
		enc := zapcore.NewMapObjectEncoder()
		for i, f := range fields {
			f.AddTo(enc)
			if i == 0 {
				b.WriteString(" (")
			} else {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s=%v", f.Key, enc.Fields[f.Key])
		}
		b.WriteString(")")
	}
	b.WriteByte('\n')
	return b.String()
}

func vlogLevelFromZap(l zapcore.Level) vlogLevel {
	switch {
	case l <= zapcore.DebugLevel:
		return vllDbg
	case l == zapcore.InfoLevel:
		return vllInfo
	case l == zapcore.WarnLevel:
		return vllWarn
	case l == zapcore.ErrorLevel:
		return vllErr
	default:
		return vllEmer
	}
}

func zapLevel(l vlogLevel) zapcore.Level {
	switch l {
	case vllDbg:
		return zapcore.DebugLevel
	case vllInfo:
		return zapcore.InfoLevel
	case vllWarn:
		return zapcore.WarnLevel
	case vllErr:
		return zapcore.ErrorLevel
	default:
		return zapcore.FatalLevel
	}
}

// moduleOf is a zap logger's name as a vlog module: the unnamed logger is
// "vswitchd", a dotted name its last part.
func moduleOf(loggerName string) string {
	if loggerName == "" {
		return "vswitchd"
	}
	if i := strings.LastIndexByte(loggerName, '.'); i >= 0 {
		loggerName = loggerName[i+1:]
	}
	return loggerName
}

// vlogCore is the zap core over a vlog.
type vlogCore struct {
	v      *vlog
	fields []zapcore.Field
}

func (c *vlogCore) Enabled(l zapcore.Level) bool {
	return vlogLevel(c.v.max.Load()) >= vlogLevelFromZap(l)
}

func (c *vlogCore) With(fields []zapcore.Field) zapcore.Core {
	return &vlogCore{v: c.v, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

func (c *vlogCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	lvl := vlogLevelFromZap(ent.Level)
	a := c.v.moduleLevels(moduleOf(ent.LoggerName))
	if vlogLevel(a[destConsole].Load()) >= lvl || vlogLevel(a[destFile].Load()) >= lvl {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *vlogCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	all := fields
	if len(c.fields) > 0 {
		all = append(append([]zapcore.Field(nil), c.fields...), fields...)
	}
	return c.v.write(moduleOf(ent.LoggerName), vlogLevelFromZap(ent.Level), ent, all)
}

func (c *vlogCore) Sync() error {
	c.v.mu.Lock()
	defer c.v.mu.Unlock()
	if c.v.file != nil {
		return c.v.file.Sync()
	}
	return nil
}

// baseVlogLevel maps --log-level onto vlog's levels.
func baseVlogLevel(s string) vlogLevel {
	switch s {
	case "debug":
		return vllDbg
	case "warn":
		return vllWarn
	case "error":
		return vllErr
	}
	return vllInfo
}

// newVlogLogger builds the process's logger: console on stderr in zap's
// console format, the file (if --log-file) in OVS's, sampled as before
// (100 a second of each message, then every 100th).
func newVlogLogger(c *Config, console io.Writer) (*zap.Logger, *vlog, error) {
	v, err := newVlog(baseVlogLevel(c.LogLevel), c.Daemon.Verbose, console)
	if err != nil {
		return nil, nil, err
	}
	if c.Daemon.LogFile != "" {
		if err := v.openFile(c.Daemon.LogFile); err != nil {
			return nil, nil, fmt.Errorf("--log-file: %w", err)
		}
	}
	core := zapcore.NewSamplerWithOptions(&vlogCore{v: v}, time.Second, 100, 100)
	return zap.New(core), v, nil
}
