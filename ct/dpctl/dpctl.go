// Package dpctl runs OVS's conntrack control commands (dpctl/dump-conntrack,
// dpctl/ct-set-limits, dpctl/ipf-get-status and the rest) against a
// ct.Tracker: it parses their arguments and prints their replies exactly as
// ovs-vswitchd 3.1 does, plus gswitch's --format=json for dump-conntrack.
//
// The tracker only answers typed queries (ct.Tracker.Conns, ZoneLimit,
// ZoneTimeouts, Frag().Stats, ...); every command syntax and output format
// lives here, as OVS keeps dpctl.c and ct-dpif.c apart from conntrack.c.
//
//	out, err := dpctl.Run(tr, "dpctl/dump-conntrack", []string{"-m"})
package dpctl

import (
	"fmt"
	"strings"

	"gswitch/ct"
)

// Error is an error of a command. Its text is what OVS's daemon sends
// after its "PROGRAM: " prefix: the message, then the errno text in
// parentheses when OVS adds one, e.g. "maxconns missing or malformed
// (Invalid argument)".
type Error struct {
	Msg   string
	Errno string // strerror text, e.g. "Invalid argument"; empty for none
}

func (e *Error) Error() string {
	if e.Errno == "" {
		return e.Msg
	}
	return e.Msg + " (" + e.Errno + ")"
}

// strerror texts of the errnos the commands fail with.
const (
	eINVAL = "Invalid argument"
	eNOENT = "No such file or directory"
	ePERM  = "Operation not permitted"
)

func einval(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...), Errno: eINVAL}
}

// options are the options OVS's dpctl unixctl handler reads before the
// command's arguments.
type options struct {
	verbose, stats, json bool
	mayExist, ifExists   bool
	dp                   bool // the arguments began with the datapath's name (Run took it off)
}

// handler runs one command on its arguments (options and datapath name
// removed).
type handler func(t *ct.Tracker, args []string, o options) (string, error)

// Command is one control command: its name (without "dpctl/"), its usage,
// and its argument counts as OVS registers them (OVS counts every word
// after the command, options and the datapath name included).
type Command struct {
	Name     string
	Usage    string
	Min, Max int
	run      handler
}

// Names returns the names the command answers to: its plain name and
// "dpctl/" + name, as ovs-appctl knows it.
func (c *Command) Names() []string { return []string{c.Name, "dpctl/" + c.Name} }

// commands is the command table, with OVS's usage strings and argument
// bounds (commands OVS 3.1 lacks carry later OVS's, or gswitch's where
// OVS has none).
var commands = []Command{
	{"dump-conntrack", "[-m] [-s] [dp] [zone=N]", 0, 5, dumpConntrack},
	{"dump-conntrack-exp", "[dp] [zone=N]", 0, 2, dumpExpectations},
	{"flush-conntrack", "[dp] [zone=N] [mark=X[/M]] [labels=Y[/N]] [ct-orig-tuple [ct-reply-tuple]]", 0, 6, flushConntrack},
	{"ct-stats-show", "[dp] [zone=N]", 0, 3, statsShow},
	{"ct-bkts", "[dp] [gt=N]", 0, 2, ctBuckets},
	{"ct-set-maxconns", "[dp] maxconns", 1, 2, setMaxConns},
	{"ct-get-maxconns", "[dp]", 0, 1, getMaxConns},
	{"ct-get-nconns", "[dp]", 0, 1, getNConns},
	{"ct-enable-tcp-seq-chk", "[dp] [zone=N]", 0, 2, setTCPSeqCheck(true)},
	{"ct-disable-tcp-seq-chk", "[dp] [zone=N]", 0, 2, setTCPSeqCheck(false)},
	{"ct-get-tcp-seq-chk", "[dp] [zone=N]", 0, 2, getTCPSeqCheck},
	{"ct-set-limits", "[dp] [default=L] [zone=N,limit=L]...", 1, 1 << 20, setLimits},
	{"ct-del-limits", "[dp] zone=N1[,N2]...", 1, 2, delLimits},
	{"ct-get-limits", "[dp] [zone=N1[,N2]...]", 0, 2, getLimits},
	{"ct-get-sweep-interval", "[dp]", 0, 1, getSweepInterval},
	{"ct-set-sweep-interval", "[dp] ms", 1, 2, setSweepInterval},
	{"add-zone-tp", "[dp] zone=N|default key=val...", 2, 64, addZoneTP},
	{"del-zone-tp", "[dp] zone=N", 1, 3, delZoneTP},
	{"list-zone-tp", "[dp]", 0, 1, listZoneTP},
	{"ipf-set-enabled", "[dp] v4|v6", 1, 2, ipf("ipf-set-enabled")},
	{"ipf-set-disabled", "[dp] v4|v6", 1, 2, ipf("ipf-set-disabled")},
	{"ipf-set-min-frag", "[dp] v4|v6 minfragment", 2, 3, ipf("ipf-set-min-frag")},
	{"ipf-set-max-nfrags", "[dp] maxfrags", 1, 2, ipf("ipf-set-max-nfrags")},
	{"ipf-get-status", "[dp]", 0, 1, ipf("ipf-get-status")},
}

// Commands returns the command table, for a control socket's registry.
func Commands() []Command { return append([]Command(nil), commands...) }

// isDPName reports whether s names an existing datapath: gswitch has one,
// OVS's userspace datapath netdev@ovs-netdev (OVS 3.1 with only that one
// finds neither ovs-netdev, which means system@ovs-netdev, nor
// system@ovs-system).
func isDPName(s string) bool { return s == "netdev@ovs-netdev" }

// dpArgs is, for the commands that need it, the number of arguments at
// which the first must name the datapath (OVS's opt_dpif_open: with fewer
// the one datapath is used, with exactly that many and no datapath first it
// is "datapath not found"). Commands that take trailing arguments off
// first (zone=N, gt=N) check in their handler.
var dpArgs = map[string]int{
	"ct-set-maxconns": 2, "ct-get-maxconns": 1, "ct-get-nconns": 1,
	"ct-del-limits": 2, "ct-get-limits": 2,
	"ct-get-sweep-interval": 1, "ct-set-sweep-interval": 2, "list-zone-tp": 1,
	"ipf-set-enabled": 2, "ipf-set-disabled": 2, "ipf-set-min-frag": 3,
	"ipf-set-max-nfrags": 2, "ipf-get-status": 1,
}

// parseOptions reads the options before the command's arguments and
// returns the rest.
func parseOptions(args []string) (options, []string, error) {
	var o options
	for len(args) > 0 {
		a := args[0]
		if strings.HasPrefix(a, "--") {
			switch a {
			case "--more":
				o.verbose = true
			case "--statistics":
				o.stats = true
			case "--format=json":
				o.json = true
			case "--may-exist":
				o.mayExist = true
			case "--if-exists":
				o.ifExists = true
			default:
				return o, nil, &Error{Msg: "Unrecognized option " + a}
			}
		} else if len(a) > 1 && a[0] == '-' {
			for _, ch := range a[1:] {
				switch ch {
				case 'm':
					o.verbose = true
				case 's':
					o.stats = true
				default:
					return o, nil, &Error{Msg: fmt.Sprintf("Unrecognized option -%c", ch)}
				}
			}
		} else {
			break
		}
		args = args[1:]
	}
	return o, args, nil
}

// Run runs the command cmd (with or without "dpctl/") on t and returns
// its output exactly as ovs-vswitchd 3.1 replies (newline included), or an
// *Error. Options (-m/--more, -s/--statistics, --may-exist, --if-exists,
// and gswitch's --format=json for dump-conntrack) come first, then an
// optional datapath name (netdev@ovs-netdev; any other name is "datapath
// not found" where OVS says so), then the command's arguments.
func Run(t *ct.Tracker, cmd string, args []string) (string, error) {
	name := strings.TrimPrefix(cmd, "dpctl/")
	o, args, err := parseOptions(args)
	if err != nil {
		return "", err
	}
	if len(args) > 0 && isDPName(args[0]) {
		args, o.dp = args[1:], true
	} else if n := dpArgs[name]; n > 0 && len(args) == n {
		return "", einval("datapath not found")
	}
	for i := range commands {
		if commands[i].Name == name {
			return commands[i].run(t, args, o)
		}
	}
	return "", &Error{Msg: fmt.Sprintf("%q is not a valid command (use \"list-commands\" to see a list of valid commands)", "dpctl/"+name)}
}
