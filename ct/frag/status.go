package frag

import (
	"fmt"
	"net/netip"
	"strings"
)

// CommandError is an error of a dpctl/ipf-* command. Error returns the
// text OVS's daemon sends after its "PROGRAM: " prefix: the message, then
// the errno text in parentheses, e.g. "setting maximum fragments failed
// (Operation not permitted)". ovs-vswitchd's unixctl reply is
// "ovs-vswitchd: " + Error() + "\n".
type CommandError struct {
	Msg   string
	Errno string // strerror text, e.g. "Invalid argument"; empty for none
}

func (e *CommandError) Error() string {
	if e.Errno == "" {
		return e.Msg
	}
	return e.Msg + " (" + e.Errno + ")"
}

const (
	errnoEPERM  = "Operation not permitted" // OVS's ipf setters return 1
	errnoEINVAL = "Invalid argument"
)

// Errors of SetMinFrag and SetMaxFrags, with OVS's texts.
var (
	ErrMinFragTooSmall = &CommandError{Msg: "requested minimum fragment size too small; see documentation", Errno: errnoEPERM}
	ErrMaxFragsTooBig  = &CommandError{Msg: "setting maximum fragments failed", Errno: errnoEPERM}
)

// Status returns exactly what `ovs-appctl dpctl/ipf-get-status` prints in
// OVS 3.1 (with verbose, `-m`/`--more`: also the fragment lists, oldest
// first; OVS prints them in hash order).
func (r *Reassembler) Status(verbose bool) string {
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
		s    *FamilyStats
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
		for _, l := range r.Lists() {
			b.WriteString(l)
			b.WriteByte('\n')
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

// Lists returns one line per incomplete datagram, oldest first, as OVS's
// `ipf-get-status -m` prints them:
// (src=A,dst=B,recirc_id=N,ip_id=N,dl_type=0x800,zone=N,nw_proto=N,num_fragments=N,state=S)
func (r *Reassembler) Lists() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for d := r.head; d != nil; d = d.next {
		k := &d.key
		var src, dst string
		dlType := 0x800
		if k.v6 {
			src, dst = netip.AddrFrom16(k.src).String(), netip.AddrFrom16(k.dst).String()
			dlType = 0x86dd
		} else {
			src = netip.AddrFrom4([4]byte(k.src[:4])).String()
			dst = netip.AddrFrom4([4]byte(k.dst[:4])).String()
		}
		out = append(out, fmt.Sprintf("(src=%s,dst=%s,recirc_id=%d,ip_id=%d,dl_type=0x%x,zone=%d,nw_proto=%d,num_fragments=%d,state=%s)",
			src, dst, k.recirc, k.id, dlType, k.zone, k.proto, len(d.frags), stateNames[d.state]))
	}
	return out
}

// Command runs one of OVS's fragment commands and returns its reply as
// ovs-vswitchd sends it (newline included), or a *CommandError. name is
// the command with or without "dpctl/": ipf-set-enabled, ipf-set-disabled,
// ipf-set-min-frag, ipf-set-max-nfrags, ipf-get-status. args are the
// command's arguments after the options (-m, --more: pass verbose); an
// optional leading datapath name is accepted and ignored (gswitch has one
// datapath). Arguments are read as OVS reads them ("%2s", "%u" scans): for
// example "v6x" means v6 and "-1" is 4294967295.
func (r *Reassembler) Command(name string, args []string, verbose bool) (string, error) {
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
		return "", &CommandError{Msg: fmt.Sprintf("%q is not a fragment command", name)}
	}
	full := "dpctl/" + name
	if len(args) < lo {
		return "", &CommandError{Msg: fmt.Sprintf("%q command requires at least %d arguments", full, lo)}
	}
	if len(args) > hi {
		return "", &CommandError{Msg: fmt.Sprintf("%q command takes at most %d arguments", full, hi)}
	}
	switch name {
	case "ipf-set-enabled", "ipf-set-disabled":
		on := name == "ipf-set-enabled"
		v6, ok := scanFamily(args[len(args)-1])
		if !ok {
			return "", &CommandError{Msg: "parameter missing: 'v4' for IPv4 or 'v6' for IPv6", Errno: errnoEINVAL}
		}
		r.SetEnabled(v6, on)
		if on {
			return "enabling fragmentation reassembly successful\n", nil
		}
		return "disabling fragmentation reassembly successful\n", nil
	case "ipf-set-min-frag":
		v6, ok := scanFamily(args[len(args)-2])
		if !ok {
			return "", &CommandError{Msg: "parameter missing: v4 for IPv4 or v6 for IPv6", Errno: errnoEINVAL}
		}
		n, ok := scanU32(args[len(args)-1])
		if !ok {
			return "", &CommandError{Msg: "parameter missing for minimum fragment size", Errno: errnoEINVAL}
		}
		if err := r.SetMinFrag(v6, n); err != nil {
			return "", err
		}
		return "setting minimum fragment size successful\n", nil
	case "ipf-set-max-nfrags":
		n, ok := scanU32(args[len(args)-1])
		if !ok {
			return "", &CommandError{Msg: "parameter missing for maximum fragments", Errno: errnoEINVAL}
		}
		if err := r.SetMaxFrags(n); err != nil {
			return "", err
		}
		return "setting maximum fragments successful\n", nil
	}
	return r.Status(verbose), nil
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

// scanU32 reads a number as OVS's ovs_scan("%"SCNu32) does: leading white
// space, an optional sign, decimal digits (trailing text ignored); the
// value wraps modulo 2^64 and is then truncated to 32 bits, so "-1" is
// 4294967295.
func scanU32(s string) (uint32, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v uint64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	if i == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return uint32(v), true
}
