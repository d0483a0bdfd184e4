package dpctl

import (
	"errors"
	"fmt"
	"strings"

	"gswitch/ct"
	"gswitch/ct/frag"
)

// ipf returns the handler of fragment command name, which runs on the
// tracker's reassembler.
func ipf(name string) handler {
	return func(t *ct.Tracker, args []string, o options) (string, error) {
		return fragCommand(t.Frag(), name, args, o.verbose)
	}
}

// fragCommand runs one of OVS's fragment commands on r and returns its
// reply as ovs-vswitchd sends it (newline included), or an *Error. name
// is the command with or without "dpctl/": ipf-set-enabled,
// ipf-set-disabled, ipf-set-min-frag, ipf-set-max-nfrags, ipf-get-status.
// args are the command's arguments after the options (-m, --more: pass
// verbose); an optional leading datapath name is accepted and ignored.
// Arguments are read as OVS reads them ("%2s", "%u" scans): for example
// "v6x" means v6 and "-1" is 4294967295.
func fragCommand(r *frag.Reassembler, name string, args []string, verbose bool) (string, error) {
	name = strings.TrimPrefix(name, "dpctl/")
	// Minimum and maximum argument counts (the maximum with the datapath).
	var lo, hi int
	switch name {
	case "ipf-set-enabled", "ipf-set-disabled":
		lo, hi = 1, 2
	case "ipf-set-min-frag":
		lo, hi = 2, 3
	case "ipf-set-max-nfrags":
		lo, hi = 1, 2
	case "ipf-get-status":
		lo, hi = 0, 1
	default:
		return "", &Error{Msg: fmt.Sprintf("%q is not a fragment command", name)}
	}
	full := "dpctl/" + name
	if len(args) < lo {
		return "", &Error{Msg: fmt.Sprintf("%q command requires at least %d arguments", full, lo)}
	}
	if len(args) > hi {
		return "", &Error{Msg: fmt.Sprintf("%q command takes at most %d arguments", full, hi)}
	}
	switch name {
	case "ipf-set-enabled", "ipf-set-disabled":
		on := name == "ipf-set-enabled"
		v6, ok := scanFamily(args[len(args)-1])
		if !ok {
			return "", einval("parameter missing: 'v4' for IPv4 or 'v6' for IPv6")
		}
		r.SetEnabled(v6, on)
		if on {
			return "enabling fragmentation reassembly successful\n", nil
		}
		return "disabling fragmentation reassembly successful\n", nil
	case "ipf-set-min-frag":
		v6, ok := scanFamily(args[len(args)-2])
		if !ok {
			return "", einval("parameter missing: v4 for IPv4 or v6 for IPv6")
		}
		n, ok := scanU(args[len(args)-1], 32)
		if !ok {
			return "", einval("parameter missing for minimum fragment size")
		}
		if err := r.SetMinFrag(v6, uint32(n)); err != nil {
			return "", fragError(err)
		}
		return "setting minimum fragment size successful\n", nil
	case "ipf-set-max-nfrags":
		n, ok := scanU(args[len(args)-1], 32)
		if !ok {
			return "", einval("parameter missing for maximum fragments")
		}
		if err := r.SetMaxFrags(uint32(n)); err != nil {
			return "", fragError(err)
		}
		return "setting maximum fragments successful\n", nil
	}
	return fragStatus(r, verbose), nil
}

// fragError is the command error of a refused setting: OVS's ipf setters
// return 1, which its daemon prints as EPERM's text.
func fragError(err error) error {
	if errors.Is(err, frag.ErrMinFragTooSmall) || errors.Is(err, frag.ErrMaxFragsTooBig) {
		return &Error{Msg: err.Error(), Errno: ePERM}
	}
	return err
}

// scanFamily reads "v4" or "v6" as OVS's ovs_scan("%2s") and strncmp do:
// leading white space skipped, the first two characters compared.
func scanFamily(s string) (v6, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	switch {
	case strings.HasPrefix(s, "v4"):
		return false, true
	case strings.HasPrefix(s, "v6"):
		return true, true
	}
	return false, false
}

// fragStatus returns exactly what `ovs-appctl dpctl/ipf-get-status` prints
// in OVS 3.1 (with verbose, `-m`/`--more`: also the fragment lists, oldest
// first; OVS prints them in hash order).
func fragStatus(r *frag.Reassembler, verbose bool) string {
	s := r.Stats()
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, "        "+format+"\n", a...) }
	p("Fragmentation Module Status")
	p("---------------------------")
	p("v4 enabled: %d", b2i(s.V4.Enabled))
	p("v6 enabled: %d", b2i(s.V6.Enabled))
	p("max num frags (v4/v6): %d", s.MaxFrags)
	p("num frag: %d", s.NumFrags)
	for _, f := range []struct {
		name string
		s    *frag.FamilyStats
	}{{"v4", &s.V4}, {"v6", &s.V6}} {
		p("min %s frag size: %d", f.name, f.s.MinFragSize)
		p("%s frags accepted: %d", f.name, f.s.Accepted)
		p("%s frags completed: %d", f.name, f.s.Completed)
		p("%s frags expired: %d", f.name, f.s.Expired)
		p("%s frags too small: %d", f.name, f.s.TooSmall)
		p("%s frags overlapped: %d", f.name, f.s.Overlapped)
		p("%s frags purged: %d", f.name, f.s.Purged)
	}
	if verbose {
		b.WriteString("\n        Fragment Lists:\n\n")
		for _, d := range r.Pending() {
			dlType := 0x800
			if d.Src.Is6() {
				dlType = 0x86dd
			}
			fmt.Fprintf(&b, "(src=%s,dst=%s,recirc_id=%d,ip_id=%d,dl_type=0x%x,zone=%d,nw_proto=%d,num_fragments=%d,state=%s)\n",
				d.Src, d.Dst, d.Recirc, d.ID, dlType, d.Zone, d.Proto, d.Fragments, d.State)
		}
	}
	return b.String()
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
