package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gswitch/ports"
)

// PortSpec is one --port or --tap argument: an interface and its OpenFlow
// port number (0 until assigned: --port IFNAME takes the next free number,
// or with --state-dir the number it had before the restart).
type PortSpec struct {
	Name string
	No   uint32
	TAP  bool
	Auto bool // No was not given (--port IFNAME)
}

// Config is the parsed command line of the switch.
type Config struct {
	OFListen     []string
	Controllers  []string
	Ports        []PortSpec
	Ctl          string
	CtlSet       bool
	Bridge       string
	BridgeSet    bool
	RunDir       string
	DatapathID   uint64
	DatapathSet  bool
	LogLevel     string
	FailMode     string
	ShowVersion  bool
	NoMgmtSocket bool
	// StateDir keeps the state across a restart (state.go); "" none.
	StateDir string
	// LocalPort makes the bridge's LOCAL port a TAP device named after the
	// bridge (ovs-vswitchd's internal port); by default LOCAL has no device.
	LocalPort bool
	HWAddr    [6]byte
	HWAddrSet bool
	// Protocols is the OpenFlow version bitmap offered (bit N: wire version
	// N); 0 offers every version gswitch speaks.
	Protocols uint32
	// Daemon holds ovs-vswitchd's database argument and daemon options
	// (daemon.go).
	Daemon DaemonOptions
	// PacketLogs and IPFIX are the collector sets (sampling.go).
	PacketLogs, IPFIX []CollectorSpec
	// MetricsListen is --metrics-listen's ADDR:PORT ("": no metrics; metrics.go).
	MetricsListen string
	// PortIO is --port-io: how AF_PACKET ports move frames (ports.IOAuto,
	// IORing, IOMmsg).
	PortIO string
	// RxThreads is --rx-threads: "bridge" (one receive thread per bridge
	// for all its ports) or "port" (one per port).
	RxThreads string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// MaxPortNo is the highest OpenFlow port number a user may give (OFPP_MAX).
const MaxPortNo = 0xffffff00

// ParseArgs parses the switch's command line. Errors name the bad argument.
func ParseArgs(args []string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("gswitch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var listen, ctrls, portArgs, taps multiFlag
	c := &Config{}
	fs.Var(&listen, "of-listen", "passive OpenFlow listener `ptcp:PORT[:IP]` or `punix:PATH` (repeatable; default ptcp:6653:127.0.0.1)")
	fs.Var(&ctrls, "controller", "active controller connection `tcp:HOST:PORT` (repeatable)")
	fs.Var(&portArgs, "port", "existing kernel interface as a port: `IFNAME[=OFPORT]` (repeatable; without a number, the next free one)")
	fs.Var(&taps, "tap", "TAP device to create as a port: `NAME[=OFPORT]` (repeatable)")
	fs.StringVar(&c.Ctl, "ctl", "", "control socket `PATH` (default $OVS_RUNDIR/gswitch.ctl)")
	fs.StringVar(&c.Bridge, "bridge", "br0", "bridge `NAME`: also listen on punix:$OVS_RUNDIR/NAME.mgmt as ovs-vswitchd does")
	hw := fs.String("hwaddr", "", "bridge Ethernet address (the LOCAL port's; default: the first port's)")
	dpid := fs.String("datapath-id", "", "datapath id, 16 hex digits (default: derived from the first port's MAC)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.Func("protocols", "OpenFlow versions offered, as OVS's bridge `protocols` column: a comma-separated list of OpenFlow10, OpenFlow13, OpenFlow15 (default: all of them)", func(v string) error {
		bm, err := parseProtocols(v)
		c.Protocols = bm
		return err
	})
	fs.StringVar(&c.FailMode, "fail-mode", "standalone", "with no controller: standalone (a NORMAL flow, as OVS) or secure (no flows)")
	fs.BoolVar(&c.ShowVersion, "version", false, "print the version and exit")
	fs.BoolVar(&c.NoMgmtSocket, "no-mgmt-socket", false, "do not listen on $OVS_RUNDIR/BRIDGE.mgmt")
	fs.StringVar(&c.StateDir, "state-dir", "", "save flows, groups, meters, port numbers and the conntrack table to DIR on exit and restore them at start")
	fs.StringVar(&c.RxThreads, "rx-threads", "bridge", "receive threads: bridge (one per bridge, waiting for all its ports: the lowest latency) or port (one per port: more cores for a bridge with many busy ports)")
	fs.StringVar(&c.PortIO, "port-io", "auto", "how AF_PACKET ports move frames: auto (the faster one that can be set up), ring (PACKET_MMAP rings) or mmsg (recvmmsg/sendmmsg)")
	fs.BoolVar(&c.LocalPort, "local-port", false, "create the bridge's LOCAL port as a TAP device named after the bridge, with the bridge's address, as ovs-vswitchd's internal port (default: LOCAL has no device and stays down)")
	var df daemonFlags
	registerDaemonFlags(fs, &c.Daemon, &df)
	registerSamplingFlags(fs, c)
	registerMetricsFlags(fs, c)
	args = rewriteShortOptions(args)
	pos, err := parseWithPositional(fs, args)
	if err != nil {
		return nil, err
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		setFlags[f.Name] = true
		switch f.Name {
		case "ctl":
			c.CtlSet = true
		case "bridge":
			c.BridgeSet = true
		case "datapath-id":
			c.DatapathSet = true
		}
	})
	c.RunDir = os.Getenv("OVS_RUNDIR")
	if c.RunDir == "" {
		c.RunDir = "/var/run/openvswitch"
	}
	if err := finishDaemon(c, &df, pos, setFlags); err != nil {
		return nil, err
	}
	if c.Daemon.Unixctl != "" {
		c.Ctl, c.CtlSet = c.Daemon.Unixctl, true
	}
	if c.Ctl == "" {
		c.Ctl = filepath.Join(c.RunDir, "gswitch.ctl")
	}
	if c.Bridge == "" || strings.ContainsAny(c.Bridge, "/ \t") {
		return nil, fmt.Errorf("--bridge %q: not a valid bridge name", c.Bridge)
	}
	for _, l := range listen {
		if err := checkListenSpec(l); err != nil {
			return nil, err
		}
	}
	c.OFListen = listen
	if len(c.OFListen) == 0 {
		c.OFListen = []string{"ptcp:6653:127.0.0.1"}
	}
	for _, s := range ctrls {
		if !strings.HasPrefix(s, "tcp:") || strings.Count(s, ":") < 2 {
			return nil, fmt.Errorf("--controller %q: expected tcp:HOST:PORT", s)
		}
	}
	c.Controllers = ctrls
	if *dpid != "" {
		v, err := strconv.ParseUint(strings.TrimPrefix(*dpid, "0x"), 16, 64)
		if err != nil || len(strings.TrimPrefix(*dpid, "0x")) > 16 {
			return nil, fmt.Errorf("--datapath-id %q: expected up to 16 hex digits", *dpid)
		}
		c.DatapathID = v
	}
	if *hw != "" {
		m, err := net.ParseMAC(*hw)
		if err != nil || len(m) != 6 {
			return nil, fmt.Errorf("--hwaddr %q: expected an Ethernet address like 02:00:00:00:00:fe", *hw)
		}
		copy(c.HWAddr[:], m)
		c.HWAddrSet = true
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("--log-level %q: expected debug, info, warn or error", c.LogLevel)
	}
	if _, err := ports.ParseIO(c.PortIO); err != nil {
		return nil, fmt.Errorf("--port-io: %v", err)
	}
	if c.RxThreads != "bridge" && c.RxThreads != "port" {
		return nil, fmt.Errorf("--rx-threads %q: expected bridge or port", c.RxThreads)
	}
	switch c.FailMode {
	case "standalone", "secure":
	default:
		return nil, fmt.Errorf("--fail-mode %q: expected standalone or secure", c.FailMode)
	}
	used := map[uint32]string{}
	names := map[string]bool{}
	add := func(arg string, tap bool) error {
		flagName := "--port"
		if tap {
			flagName = "--tap"
		}
		name, num, hasNum := strings.Cut(arg, "=")
		if name == "" || len(name) > 15 || strings.ContainsAny(name, "/ \t=") {
			return fmt.Errorf("%s %q: not a valid interface name", flagName, arg)
		}
		if names[name] {
			return fmt.Errorf("%s %q: interface %s given twice", flagName, arg, name)
		}
		names[name] = true
		ps := PortSpec{Name: name, TAP: tap}
		if hasNum {
			v, err := strconv.ParseUint(num, 10, 32)
			if err != nil || v == 0 || v > MaxPortNo {
				return fmt.Errorf("%s %q: port number must be 1 to %d", flagName, arg, uint32(MaxPortNo))
			}
			if other, ok := used[uint32(v)]; ok {
				return fmt.Errorf("%s %q: port number %d is already taken by %s", flagName, arg, v, other)
			}
			ps.No = uint32(v)
			used[ps.No] = name
		}
		c.Ports = append(c.Ports, ps)
		return nil
	}
	// Keep the command-line order of --port and --tap.
	order := orderedPortArgs(args)
	for _, a := range order {
		if err := add(a.val, a.tap); err != nil {
			return nil, err
		}
	}
	next := uint32(1)
	for i := range c.Ports {
		if c.Ports[i].No != 0 {
			continue
		}
		for used[next] != "" {
			next++
		}
		c.Ports[i].No, c.Ports[i].Auto = next, true
		used[next] = c.Ports[i].Name
	}
	return c, nil
}

type portArg struct {
	val string
	tap bool
}

// orderedPortArgs returns the --port and --tap values in command-line order
// (the flag package keeps separate lists).
func orderedPortArgs(args []string) []portArg {
	var out []portArg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name := strings.TrimLeft(a, "-")
		if name == a {
			continue
		}
		n, v, has := strings.Cut(name, "=")
		if n != "port" && n != "tap" {
			continue
		}
		if !has {
			if i+1 >= len(args) {
				continue
			}
			v = args[i+1]
			i++
		}
		out = append(out, portArg{val: v, tap: n == "tap"})
	}
	return out
}

func checkListenSpec(s string) error {
	switch {
	case strings.HasPrefix(s, "ptcp:"):
		port, _, _ := strings.Cut(strings.TrimPrefix(s, "ptcp:"), ":")
		if v, err := strconv.ParseUint(port, 10, 16); err != nil || (v == 0 && port != "0") {
			return fmt.Errorf("--of-listen %q: expected ptcp:PORT[:IP]", s)
		}
	case strings.HasPrefix(s, "punix:"):
		if len(s) == len("punix:") {
			return fmt.Errorf("--of-listen %q: expected punix:PATH", s)
		}
	default:
		return fmt.Errorf("--of-listen %q: expected ptcp:PORT[:IP] or punix:PATH", s)
	}
	return nil
}

var errHelp = errors.New("help requested")

// parseProtocols parses --protocols: OVS's version names, of those gswitch
// speaks.
func parseProtocols(v string) (uint32, error) {
	var bm uint32
	for _, p := range strings.Split(v, ",") {
		switch strings.TrimSpace(p) {
		case "OpenFlow10":
			bm |= 1 << 1
		case "OpenFlow13":
			bm |= 1 << 4
		case "OpenFlow15":
			bm |= 1 << 6
		default:
			return 0, fmt.Errorf("%q: expected OpenFlow10, OpenFlow13 or OpenFlow15", p)
		}
	}
	return bm, nil
}
