// Command gswitch is an OpenFlow 1.3 (and 1.0 + Nicira) software switch with
// a userspace connection tracker. `gswitch --help` lists the flags;
// `gswitch ctl COMMAND` talks to a running switch over its control socket.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"gswitch/cmd/gswitch/internal/ctl"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ctl" {
		os.Exit(ctlMain(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	c, err := ParseArgs(args, os.Stderr)
	if err != nil {
		if err.Error() == "flag: help requested" {
			return 0
		}
		fmt.Fprintln(os.Stderr, "gswitch:", err)
		return 2
	}
	if c.ShowVersion {
		fmt.Println("gswitch", Version)
		return 0
	}
	if c.Daemon.Detach && !c.Daemon.Detached {
		return detachParent(args)
	}
	log, vl, err := newVlogLogger(c, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gswitch:", err)
		return 1
	}
	defer log.Sync()
	d, err := startDaemon(c, log)
	if err != nil {
		log.Error(err.Error())
		fmt.Fprintln(os.Stderr, "gswitch:", err)
		return 1
	}
	defer d.Close()

	var s *Switch
	if c.Daemon.OVSDB != "" {
		s, err = NewDBSwitch(c, log)
	} else {
		s, err = NewSwitch(c, log)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gswitch:", err)
		return 1
	}
	s.exitReq = make(chan struct{}, 1)
	cs := ctl.NewServer()
	s.registerCommands(cs)
	s.registerVswitchdCommands(cs, vl, d)
	ctlPath := d.ctlPath(c)
	if ctlPath != "none" {
		if err := cs.Listen(ctlPath); err != nil {
			fmt.Fprintln(os.Stderr, "gswitch:", err)
			s.Close()
			return 1
		}
	}
	s.ctl = cs
	if err := s.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "gswitch:", err)
		cs.Close()
		s.Close()
		return 1
	}
	if s.db != nil {
		// As ovs-vswitchd: ready (--detach returns) once the first
		// configuration from the database is applied.
		<-s.db.ready
		log.Info("gswitch running as ovs-vswitchd", zap.String("database", c.Daemon.OVSDB), zap.String("ports", s.portNames()),
			zap.String("ctl", ctlPath))
	} else {
		log.Info("gswitch running", zap.String("bridge", c.Bridge), zap.String("ports", s.portNames()),
			zap.Strings("of_listen", c.OFListen), zap.String("ctl", ctlPath), zap.String("dpid", fmt.Sprintf("%016x", s.dpid)))
	}
	d.Ready(vl)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case v := <-sig:
		log.Info("stopping", zap.String("signal", v.String()))
	case <-s.exitReq:
		log.Info("stopping", zap.String("reason", "exit command"))
	}
	cs.Close()
	if err := s.saveState(); err != nil {
		log.Error("state not saved", zap.Error(err))
	}
	s.Close()
	return 0
}
