package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gswitch/cmd/gswitch/internal/ctl"
	"gswitch/sampling"
)

// CollectorSpec is one --packet-log or --ipfix: a collector in the
// collector set a sample action's collector_set_id names.
type CollectorSpec struct {
	ID     uint32
	Target string // the pcapng path, or HOST:PORT
}

// parseCollector parses ID=VALUE.
func parseCollector(flagName, v string) (CollectorSpec, error) {
	id, target, ok := strings.Cut(v, "=")
	n, err := strconv.ParseUint(id, 10, 32)
	if !ok || err != nil || target == "" {
		return CollectorSpec{}, fmt.Errorf("--%s %q: expected ID=%s (ID a collector_set_id, 0 to 4294967295)",
			flagName, v, map[string]string{"packet-log": "PATH", "ipfix": "HOST:PORT"}[flagName])
	}
	return CollectorSpec{ID: uint32(n), Target: target}, nil
}

func registerSamplingFlags(fs *flag.FlagSet, c *Config) {
	fs.Func("packet-log", "collector set `ID=PATH`: sample actions with collector_set_id=ID write their packets to the pcapng file PATH (rotated by size: PATH.1, ...), each with a comment naming the bridge, table, cookie, in_port and ct state (repeatable)", func(v string) error {
		cs, err := parseCollector("packet-log", v)
		c.PacketLogs = append(c.PacketLogs, cs)
		return err
	})
	fs.Func("ipfix", "collector set `ID=HOST:PORT`: sample actions with collector_set_id=ID send IPFIX records over UDP to HOST:PORT, as OVS's per-flow sampling exports them (repeatable)", func(v string) error {
		cs, err := parseCollector("ipfix", v)
		c.IPFIX = append(c.IPFIX, cs)
		return err
	})
}

// openCollectors starts the collector sets of the command line.
func (s *Switch) openCollectors() error {
	s.samplers = sampling.NewRegistry()
	for _, p := range s.cfg.PacketLogs {
		l, err := sampling.OpenPacketLog(p.Target, 0, 0)
		if err != nil {
			s.samplers.Close()
			return fmt.Errorf("--packet-log %d=%s: %w", p.ID, p.Target, err)
		}
		s.samplers.Add(p.ID, l)
	}
	for _, x := range s.cfg.IPFIX {
		e, err := sampling.DialIPFIX(x.Target)
		if err != nil {
			s.samplers.Close()
			return fmt.Errorf("--ipfix %d=%s: %w", x.ID, x.Target, err)
		}
		s.samplers.Add(x.ID, e)
	}
	return nil
}

// registerSamplingCommands adds `packet-log ID PATH`: collector set ID
// logs to PATH from now on (its previous packet log, if any, is closed;
// its IPFIX exporters stay). PATH "none" removes the set's packet log.
func (s *Switch) registerSamplingCommands(c *ctl.Server) {
	c.Register("packet-log", "ID PATH|none", 2, 2, func(a []string) (string, error) {
		n, err := strconv.ParseUint(a[0], 10, 32)
		if err != nil {
			return "", fmt.Errorf("packet-log: %q is not a collector set id (0 to 4294967295)", a[0])
		}
		isLog := func(w sampling.Writer) bool { _, ok := w.(*sampling.PacketLog); return ok }
		if a[1] == "none" {
			if err := s.samplers.Replace(uint32(n), isLog, nil); err != nil {
				return "", err
			}
			return fmt.Sprintf("collector set %d: no packet log\n", n), nil
		}
		path, err := filepath.Abs(a[1])
		if err != nil {
			return "", err
		}
		l, err := sampling.OpenPacketLog(path, 0, 0)
		if err != nil {
			return "", err
		}
		if err := s.samplers.Replace(uint32(n), isLog, l); err != nil {
			return "", err
		}
		return fmt.Sprintf("collector set %d: packet log %s\n", n, path), nil
	})
}

// samplingCoverage is coverage/show's lines for the collectors.
func (s *Switch) samplingCoverage() []string {
	st, unknown := s.samplers.Stats()
	var written, dropped, errs uint64
	for _, c := range st {
		written += c.Written
		dropped += c.Dropped
		errs += c.Errors
	}
	var lines []string
	for _, c := range []struct {
		name string
		v    uint64
	}{{"written", written}, {"dropped_queue_full", dropped}, {"write_errors", errs}, {"no_collector_set", unknown}} {
		if c.v != 0 {
			lines = append(lines, fmt.Sprintf("sample_%-45s %d", c.name, c.v))
		}
	}
	return lines
}
