package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gswitch/cmd/gswitch/internal/ctl"
)

const ctlUsage = `usage: gswitch ctl [--ctl SOCKET] [--timeout SECS] COMMAND [ARG...]
Sends COMMAND to a running gswitch over its control socket (default
$OVS_RUNDIR/gswitch.ctl, else the one $OVS_RUNDIR/ovs-vswitchd.pid names, as
plain ovs-appctl finds it) and prints the answer. "gswitch ctl help" lists the
commands. ovs-appctl -t SOCKET COMMAND works against the same socket.
Streaming commands (ct-events) print as their output comes, until they end
or gswitch ctl is interrupted.
`

// ctlMain is `gswitch ctl ...`; it returns the exit status (0, 1 usage, 2 error).
func ctlMain(args []string) int {
	sock := ""
	timeout := 30 * time.Second
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		name, val, has := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "h", "help":
			fmt.Print(ctlUsage)
			return 0
		case "ctl", "t", "target", "timeout":
			if !has {
				if len(args) < 2 {
					fmt.Fprintf(os.Stderr, "gswitch ctl: %s needs a value\n", a)
					return 1
				}
				val = args[1]
				args = args[1:]
			}
			if name == "timeout" {
				d, err := time.ParseDuration(val + "s")
				if err != nil || d <= 0 {
					fmt.Fprintf(os.Stderr, "gswitch ctl: --timeout %q: expected a number of seconds\n", val)
					return 1
				}
				timeout = d
			} else {
				sock = val
			}
		default:
			fmt.Fprintf(os.Stderr, "gswitch ctl: unknown option %s\n%s", a, ctlUsage)
			return 1
		}
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, "gswitch ctl: missing command name\n"+ctlUsage)
		return 1
	}
	if sock == "" {
		rd := os.Getenv("OVS_RUNDIR")
		if rd == "" {
			rd = "/var/run/openvswitch"
		}
		sock = defaultCtlTarget(rd)
	}
	// A streaming command (ct-events) prints as its output comes; --timeout
	// bounds only the wait for its start.
	err := ctl.DialStream(sock, args[0], args[1:], timeout, os.Stdout)
	if err != nil {
		var re *ctl.RemoteError
		if errors.As(err, &re) {
			fmt.Fprint(os.Stderr, re.Msg)
			fmt.Fprintf(os.Stderr, "gswitch ctl: %s: server returned an error\n", sock)
		} else {
			fmt.Fprintf(os.Stderr, "gswitch ctl: %v\n", err)
		}
		return 2
	}
	return 0
}
