package dpctl

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gswitch/ct"
	"gswitch/packet"
)

// This file holds the commands that read or change the tracker's
// settings, and flush-conntrack.

func setMaxConns(t *ct.Tracker, args []string, _ options) (string, error) {
	if len(args) != 1 {
		return "", einval("maxconns missing or malformed")
	}
	n, ok := scanU(args[0], 32)
	if !ok {
		return "", einval("maxconns missing or malformed")
	}
	t.SetMaxConns(uint32(n))
	return "setting maxconns successful\n", nil
}

func getMaxConns(t *ct.Tracker, _ []string, _ options) (string, error) {
	return fmt.Sprintf("%d\n", t.MaxConns()), nil
}

func getNConns(t *ct.Tracker, _ []string, _ options) (string, error) {
	return fmt.Sprintf("%d\n", t.Count()), nil
}

// setTCPSeqCheck returns ct-enable-tcp-seq-chk (on) or
// ct-disable-tcp-seq-chk [zone=N]: globally, or for one zone (a gswitch
// extension).
func setTCPSeqCheck(on bool) handler {
	word, zoneOn := "disabling", 0
	if on {
		word, zoneOn = "enabling", 1
	}
	return func(t *ct.Tracker, args []string, _ options) (string, error) {
		if len(args) == 1 {
			z, ok := scanZone(args[0])
			if !ok {
				return "", einval("%s TCP sequence checking failed: bad argument %s", word, args[0])
			}
			t.SetZoneTCPSeqCheck(z, zoneOn)
		} else {
			t.SetTCPSeqCheck(on)
		}
		return word + " TCP sequence checking successful\n", nil
	}
}

func getTCPSeqCheck(t *ct.Tracker, args []string, _ options) (string, error) {
	on := t.TCPSeqCheck()
	if len(args) == 1 {
		z, ok := scanZone(args[0])
		if !ok {
			return "", einval("TCP sequence checking query failed: bad argument %s", args[0])
		}
		on = t.ZoneTCPSeqCheck(z)
	}
	if on {
		return "TCP sequence checking: enabled\n", nil
	}
	return "TCP sequence checking: disabled\n", nil
}

// setLimits is ct-set-limits [default=L] [zone=N,limit=L]...: every
// argument is checked before any limit changes.
func setLimits(t *ct.Tracker, args []string, _ options) (string, error) {
	var def *uint32
	i := 0
	if len(args) > 0 && strings.HasPrefix(args[0], "default=") {
		v, ok := scanPrefixU(args[0], "default=", 32)
		if !ok {
			return "", einval("invalid default limit")
		}
		d := uint32(v)
		def = &d
		i++
	}
	type zoneLimit struct {
		zone  uint16
		limit uint32
	}
	var zls []zoneLimit
	for ; i < len(args); i++ {
		var z zoneLimit
		gotZ, gotL := false, false
		for _, kv := range parseKV(args[i]) {
			if kv[1] == "" {
				return "", einval("field %s missing value", kv[0])
			}
			switch kv[0] {
			case "zone":
				v, ok := scanU(kv[1], 16)
				if !ok || v != uint64(uint16(v)) {
					return "", einval("failed to parse field zone")
				}
				z.zone, gotZ = uint16(v), true
			case "limit":
				v, ok := scanU(kv[1], 32)
				if !ok {
					return "", einval("failed to parse field limit")
				}
				z.limit, gotL = uint32(v), true
			default:
				return "", einval("invalid zone limit field: %s", kv[0])
			}
		}
		if !gotZ || !gotL {
			return "", einval("failed to parse zone limit")
		}
		zls = append(zls, z)
	}
	if def != nil {
		t.SetDefaultZoneLimit(*def)
	}
	for _, z := range zls {
		t.SetZoneLimit(z.zone, z.limit)
	}
	return "", nil
}

func delLimits(t *ct.Tracker, args []string, _ options) (string, error) {
	if len(args) != 1 {
		return "", einval("invalid argument")
	}
	zones, err := parseZoneList(args[0])
	if err != nil {
		return "", err
	}
	for _, z := range zones {
		t.DelZoneLimit(z)
	}
	return "", nil
}

// getLimits is ct-get-limits [zone=N1[,N2]...]: the default limit, then
// the listed zones, or without a list every zone with its own limit.
func getLimits(t *ct.Tracker, args []string, _ options) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "default limit=%d", t.DefaultZoneLimit())
	if len(args) > 0 {
		zs, err := parseZoneList(args[0])
		if err != nil {
			return "", err
		}
		for _, z := range zs {
			l, _, n := t.ZoneLimit(z)
			fmt.Fprintf(&b, "\nzone=%d,limit=%d,count=%d", z, l, n)
		}
	} else {
		for z := range 1 << 16 {
			if l, own, n := t.ZoneLimit(uint16(z)); own {
				fmt.Fprintf(&b, "\nzone=%d,limit=%d,count=%d", z, l, n)
			}
		}
	}
	b.WriteByte('\n')
	return b.String(), nil
}

func getSweepInterval(t *ct.Tracker, _ []string, _ options) (string, error) {
	return fmt.Sprintf("%d\n", t.SweepInterval().Milliseconds()), nil
}

func setSweepInterval(t *ct.Tracker, args []string, _ options) (string, error) {
	n, ok := uint64(0), false
	if len(args) == 1 {
		n, ok = scanU(args[0], 32)
	}
	if !ok || n == 0 {
		return "", einval("invalid sweep value")
	}
	t.SetSweepInterval(time.Duration(n) * time.Millisecond)
	return "setting sweep interval successful\n", nil
}

// addZoneTP is add-zone-tp [--may-exist] zone=N|default name=seconds...
func addZoneTP(t *ct.Tracker, args []string, o options) (string, error) {
	if len(args) < 1 || !strings.HasPrefix(args[0], "zone=") {
		return "", &Error{Msg: "add-zone-tp: expected zone=N"}
	}
	if len(args) < 2 {
		return "", &Error{Msg: "No timeout policy"}
	}
	attrs, err := parseTimeoutPolicy(args[1:])
	if err != nil {
		return "", &Error{Msg: err.Error()}
	}
	if args[0] == "zone=default" {
		return "", t.SetDefaultTimeouts(attrs)
	}
	z, ok := scanZone(args[0])
	if !ok {
		return "", &Error{Msg: "add-zone-tp: invalid zone " + args[0]}
	}
	if _, exists := t.ZoneTimeouts()[z]; exists && !o.mayExist {
		return "", &Error{Msg: fmt.Sprintf("zone id %d already exists", z)}
	}
	return "", t.SetZoneTimeouts(z, attrs)
}

// delZoneTP is del-zone-tp [--if-exists] zone=N.
func delZoneTP(t *ct.Tracker, args []string, o options) (string, error) {
	if len(args) != 1 {
		return "", &Error{Msg: "del-zone-tp: expected zone=N"}
	}
	z, ok := scanZone(args[0])
	if !ok {
		return "", &Error{Msg: "del-zone-tp: invalid zone " + args[0]}
	}
	if !t.DelZoneTimeouts(z) && !o.ifExists {
		return "", &Error{Msg: fmt.Sprintf("zone id %d does not exist", z)}
	}
	return "", nil
}

// listZoneTP is list-zone-tp: each zone with its own policy, with the
// attributes set explicitly in name order (ovsdb's map order).
func listZoneTP(t *ct.Tracker, _ []string, _ options) (string, error) {
	zt := t.ZoneTimeouts()
	zones := make([]int, 0, len(zt))
	for z := range zt {
		zones = append(zones, int(z))
	}
	sort.Ints(zones)
	var b strings.Builder
	for _, z := range zones {
		fmt.Fprintf(&b, "Zone:%d, Timeout Policies: ", z)
		p := zt[uint16(z)]
		names := make([]string, 0, len(p))
		for n := range p {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s=%d", n, p[n])
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// flushConntrack is flush-conntrack [zone=N] [mark=X[/M]] [labels=Y[/N]]
// [ct-orig-tuple [ct-reply-tuple]] (mark and labels are a gswitch
// extension in OVS 3.1; later OVS has the same syntax).
func flushConntrack(t *ct.Tracker, args []string, _ options) (string, error) {
	var f ct.FlushFilter
	if len(args) > 0 && strings.HasPrefix(args[0], "zone=") {
		z, ok := scanZone(args[0])
		if !ok {
			return "", einval("failed to parse zone")
		}
		f.HasZone, f.Zone = true, z
		args = args[1:]
	}
	for len(args) > 0 {
		if v, ok := strings.CutPrefix(args[0], "mark="); ok {
			m, mm, ok := parseMasked32(v)
			if !ok {
				return "", einval("failed to parse field mark")
			}
			f.Mark, f.MarkMask = m, mm
		} else if v, ok := strings.CutPrefix(args[0], "labels="); ok {
			vs, ms, hasMask := strings.Cut(v, "/")
			l, ok := parseNum(vs, 128)
			if !ok {
				return "", einval("failed to parse field labels")
			}
			lm := packet.Ones(128)
			if hasMask {
				if lm, ok = parseNum(ms, 128); !ok {
					return "", einval("failed to parse field labels")
				}
			}
			f.Labels, f.LabelsMask = l, lm
		} else {
			break
		}
		args = args[1:]
	}
	var m flushMatch
	for i := 0; i < 2 && len(args) > 0; i++ {
		ft := &m.orig
		if i == 1 {
			ft = &m.reply
		}
		if args[0] != "" {
			if err := parseCtTuple(args[0], ft, &m); err != nil {
				return "", err
			}
		}
		args = args[1:]
	}
	if len(args) > 0 {
		return "", einval("invalid arguments")
	}
	f.Proto, f.Orig, f.Reply = m.proto, m.orig, m.reply
	// A full original tuple is a key lookup (either direction, zone 0
	// without zone=) that fails when nothing is found (ct.FlushMatching).
	if _, err := t.FlushMatching(f); err != nil {
		return "", &Error{Msg: "failed to flush conntrack", Errno: eNOENT}
	}
	return "", nil
}
