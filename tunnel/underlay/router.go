package underlay

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Route is one entry of the route table (OVS's struct ovs_router_entry).
type Route struct {
	Dst      Addr   // network address (masked to Plen)
	Plen     int    // 0-128; an IPv4 route's is 96 more than written
	Mark     uint32 // pkt_mark the route applies to
	Dev      string // output device (OVS's output_bridge)
	Gw       Addr   // gateway, :: if none
	Src      Addr   // source address chosen when the route was added
	Priority int    // kernel: Plen (+64 if local); user: Plen+32
	Local    bool   // a kernel "local" route (an address of this host)
}

// Cached reports whether r was learned from the kernel (OVS's show says
// "Cached"), rather than added by ovs/route/add ("User").
func (r *Route) Cached() bool { return r.Priority == r.Plen || r.Local }

func (r *Route) sameMatch(o *Route) bool {
	return r.Plen == o.Plen && r.Dst == o.Dst && r.Mark == o.Mark
}

// IfAddr is one address of a device with its netmask, as OVS's
// netdev_get_addr_list gives them: an IPv4 address and its mask are both
// IPv4-mapped (so the mask is ::ffff:255.255.255.0 for a /24).
type IfAddr struct {
	IP, Mask Addr
}

// AddrSource lists a device's addresses in the kernel's order (IPv4 first).
// It returns an error if the device does not exist.
type AddrSource func(dev string) ([]IfAddr, error)

// ErrNoSource: no address of the device is on the destination's network.
var ErrNoSource = errors.New("source address not available")

// SourceAddress is OVS's ovs_router_get_netdev_source_address: of the
// device's addresses (only IPv4 ones for an IPv4 destination) whose network
// holds dst, the one with the longest mask (the first of equals).
func SourceAddress(addrs []IfAddr, dst Addr) (Addr, error) {
	best, bestLen := Addr{}, -1
	v4 := dst.Is4()
	for _, a := range addrs {
		if v4 && !a.IP.Is4() {
			continue
		}
		n := ones(a.Mask)
		if dst.and(a.Mask) == a.IP.and(a.Mask) && n > bestLen {
			best, bestLen = a.IP, n
		}
	}
	if bestLen < 0 {
		return Addr{}, ErrNoSource
	}
	return best, nil
}

// subtable holds the routes of one prefix length (OVS's classifier keeps
// one subtable per mask; a route's mask is its prefix plus all of pkt_mark).
type subtable struct {
	plen    int
	maxPrio int
	routes  []*Route // insertion order (the classifier's rules_list)
}

// Router is the route table. Lookups read a published snapshot; changes
// take mu.
type Router struct {
	mu        sync.Mutex
	subtables []*subtable // OVS's pvector: by maxPrio, decreasing
	addrs     AddrSource
	snap      atomic.Pointer[[]Route]
	seq       atomic.Uint64
}

// NewRouter returns an empty table whose source addresses come from addrs.
func NewRouter(addrs AddrSource) *Router {
	r := &Router{addrs: addrs}
	r.snap.Store(&[]Route{})
	return r
}

// Seq changes whenever the table changes (OVS's tnl_conf_seq), so a user
// caching lookups knows when to redo them.
func (r *Router) Seq() uint64 { return r.seq.Load() }

// sortSubtables is the pvector's publish: a stable sort by max priority.
func (r *Router) sortSubtables() {
	slices.SortStableFunc(r.subtables, func(a, b *subtable) int { return b.maxPrio - a.maxPrio })
}

// insertLocked is ovs_router_insert__ once the source address is known:
// classifier_replace of a rule with this match and priority.
func (r *Router) insertLocked(n *Route) {
	var st *subtable
	for _, s := range r.subtables {
		if s.plen == n.Plen {
			st = s
			break
		}
	}
	if st == nil {
		st = &subtable{plen: n.Plen, maxPrio: n.Priority}
		st.routes = append(st.routes, n)
		// pvector_insert: at the end, then sorted (stably) on publish.
		r.subtables = append(r.subtables, st)
		r.sortSubtables()
		return
	}
	for i, o := range st.routes {
		if o.sameMatch(n) && o.Priority == n.Priority {
			st.routes[i] = n // displaced in place
			return
		}
	}
	st.routes = append(st.routes, n)
	if n.Priority > st.maxPrio {
		st.maxPrio = n.Priority
		r.sortSubtables()
	}
}

// removeLocked is classifier_remove; sort is false while deferred (the
// pvector is sorted once at the end, as classifier_defer/publish do).
func (r *Router) removeLocked(st *subtable, i int, sort bool) {
	old := st.routes[i]
	st.routes = slices.Delete(st.routes, i, i+1)
	if len(st.routes) == 0 {
		// pvector_remove: the last entry takes the hole.
		j := slices.Index(r.subtables, st)
		last := len(r.subtables) - 1
		r.subtables[j] = r.subtables[last]
		r.subtables = r.subtables[:last]
	} else if old.Priority == st.maxPrio {
		max, n := -1, 0
		for _, o := range st.routes {
			if o.Priority > max {
				max, n = o.Priority, 1
			} else if o.Priority == max {
				n++
			}
		}
		st.maxPrio = max
	}
	if sort {
		r.sortSubtables()
	}
}

func (r *Router) publishLocked() {
	var all []Route
	for _, st := range r.subtables {
		for _, o := range st.routes {
			all = append(all, *o)
		}
	}
	r.snap.Store(&all)
	r.seq.Add(1)
}

// Routes returns the table in ovs/route/show's order.
func (r *Router) Routes() []Route { return slices.Clone(*r.snap.Load()) }

// add computes the source address and inserts (ovs_router_insert__).
func (r *Router) add(mark uint32, prio int, local bool, dst Addr, plen int, dev string, gw Addr) error {
	n := &Route{Dst: dst.and(mask(plen)), Plen: plen, Mark: mark, Dev: dev, Gw: gw, Priority: prio, Local: local}
	if err := setSource(n, r.addrs, dst); err != nil {
		return err
	}
	r.mu.Lock()
	r.insertLocked(n)
	r.publishLocked()
	r.mu.Unlock()
	return nil
}

// KernelRoute is one relevant route of the kernel's dump (route-table.c's
// route_data): Plen already 96 more for IPv4.
type KernelRoute struct {
	Dst   Addr
	Plen  int
	Local bool
	Dev   string
	Gw    Addr
	Mark  uint32
}

// ResetKernel is route_table_reset: every learned route is dropped and
// the kernel's routes (in dump order) are learned again; user routes stay.
// A route whose device has no address on its network (or its gateway's) is
// left out, as OVS leaves it out. addrs, if not nil, gives the devices'
// addresses for this reset (the dump's), otherwise the router's source.
func (r *Router) ResetKernel(routes []KernelRoute, addrs AddrSource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if addrs == nil {
		addrs = r.addrs
	}
	r.flushLocked()
	for _, k := range routes {
		prio := k.Plen
		if k.Local {
			prio += 64
		}
		n := &Route{Dst: k.Dst.and(mask(k.Plen)), Plen: k.Plen, Mark: k.Mark, Dev: k.Dev, Gw: k.Gw, Priority: prio, Local: k.Local}
		if err := setSource(n, addrs, k.Dst); err != nil {
			continue
		}
		r.insertLocked(n)
	}
	r.publishLocked()
}

// setSource chooses n's source address: an address of n.Dev on dst's
// network, else on its gateway's.
func setSource(n *Route, addrs AddrSource, dst Addr) error {
	if addrs == nil {
		return ErrNoSource
	}
	list, err := addrs(n.Dev)
	if err != nil {
		return err
	}
	n.Src, err = SourceAddress(list, dst)
	if err != nil && !n.Gw.IsZero() {
		n.Src, err = SourceAddress(list, n.Gw)
	}
	return err
}

// flushLocked is ovs_router_flush: the learned routes go, deferred.
func (r *Router) flushLocked() {
	for _, st := range slices.Clone(r.subtables) {
		for i := 0; i < len(st.routes); {
			if st.routes[i].Cached() {
				gone := len(st.routes) == 1
				r.removeLocked(st, i, false)
				if gone {
					break
				}
				continue
			}
			i++
		}
	}
	r.sortSubtables()
}

// Flush drops the learned routes (OVS does on exit).
func (r *Router) Flush() {
	r.mu.Lock()
	r.flushLocked()
	r.publishLocked()
	r.mu.Unlock()
}

// Hop is a route lookup's answer.
type Hop struct {
	Dev string // output device
	Src Addr   // source address
	Gw  Addr   // gateway (:: if none)
}

// NextHop is the address whose neighbour entry the packet needs:
// the gateway if it has one, else the destination (xlate's
// tnl_route_lookup_flow; an IPv4-mapped 0.0.0.0 gateway counts as none).
func (h *Hop) NextHop(dst Addr) Addr {
	if !h.Gw.IsZero() && (!h.Gw.Is4() || h.Gw.V4() != 0) {
		return h.Gw
	}
	return dst
}

// best is the classifier lookup: the highest-priority route whose mark
// and prefix match (the first of equals in iteration order).
func best(routes []Route, mark uint32, dst Addr) *Route {
	var b *Route
	for i := range routes {
		rt := &routes[i]
		if rt.Mark != mark || (b != nil && rt.Priority <= b.Priority) {
			continue
		}
		if matches(rt, dst) {
			b = rt
		}
	}
	return b
}

func matches(rt *Route, dst Addr) bool {
	full := rt.Plen / 8
	for i := 0; i < full; i++ {
		if dst[i] != rt.Dst[i] {
			return false
		}
	}
	if rem := rt.Plen % 8; rem != 0 {
		m := byte(0xff << (8 - rem))
		return dst[full]&m == rt.Dst[full]
	}
	return true
}

// Lookup is ovs_router_lookup: the route to dst for pkt_mark mark. A
// non-zero src (the tunnel's configured local address) must itself be a
// local address (its best route a local one) or the lookup fails, and is
// kept as the answer's source. No lock, no allocation.
func (r *Router) Lookup(mark uint32, dst, src Addr) (Hop, bool) {
	routes := *r.snap.Load()
	if !src.IsZero() {
		s := best(routes, mark, src)
		if s == nil || !s.Local {
			return Hop{}, false
		}
	}
	b := best(routes, mark, dst)
	if b == nil {
		return Hop{}, false // route_table_fallback_lookup fails on Linux
	}
	h := Hop{Dev: b.Dev, Gw: b.Gw, Src: src}
	if src.IsZero() {
		h.Src = b.Src
	}
	return h, true
}

// ShowText is ovs/route/show's reply.
func (r *Router) ShowText() string {
	var b strings.Builder
	b.WriteString("Route Table:\n")
	for _, rt := range *r.snap.Load() {
		if rt.Cached() {
			b.WriteString("Cached: ")
		} else {
			b.WriteString("User: ")
		}
		plen := rt.Plen
		if rt.Dst.Is4() {
			plen -= 96
		}
		fmt.Fprintf(&b, "%s/%d", rt.Dst, uint8(plen))
		if rt.Mark != 0 {
			fmt.Fprintf(&b, " MARK %d", rt.Mark)
		}
		fmt.Fprintf(&b, " dev %s", rt.Dev)
		if !rt.Gw.IsZero() {
			fmt.Fprintf(&b, " GW %s", rt.Gw)
		}
		fmt.Fprintf(&b, " SRC %s", rt.Src)
		if rt.Local {
			b.WriteString(" local")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// The unixctl commands' errors, OVS's texts.
var (
	errInvalid     = errors.New("Invalid parameters")
	errInvalidMark = errors.New("Invalid pkt_mark")
	errMarkOrGw    = errors.New("Invalid pkt_mark or gateway")
	errMarkOrGw6   = errors.New("Invalid pkt_mark or IPv6 gateway")
	errInsert      = errors.New("Error while inserting route.")
	errNotFound    = errors.New("Not found")
)

// AddCmd is ovs/route/add IP/PLEN DEV [GW] [pkt_mark=MARK].
func (r *Router) AddCmd(a []string) (string, error) {
	var dst, gw Addr
	var mark uint32
	var plen int
	if ip, p, ok := parseCIDR4(a[0]); ok {
		dst, plen = ip, p+96
		if len(a) > 2 {
			if m, ok := scanMark(a[2]); ok {
				mark = m
			} else if g, ok := parse4(a[2]); ok {
				if g.V4() != 0 {
					gw = g
				}
			} else {
				return "", errMarkOrGw
			}
		}
	} else if ip, p, ok := parseCIDR6(a[0]); ok {
		dst, plen = ip, p
		if len(a) > 2 {
			if m, ok := scanMark(a[2]); ok {
				mark = m
			} else if g, ok := parse6(a[2]); ok {
				gw = g
			} else {
				return "", errMarkOrGw6
			}
		}
	} else {
		return "", errInvalid
	}
	if len(a) > 3 {
		m, ok := scanMark(a[3])
		if !ok {
			return "", errInvalidMark
		}
		mark = m
	}
	if err := r.add(mark, plen+32, false, dst, plen, a[1], gw); err != nil {
		return "", errInsert
	}
	return "OK", nil
}

// DelCmd is ovs/route/del IP/PLEN [pkt_mark=MARK]: only a user route (the
// priority of one) is found.
func (r *Router) DelCmd(a []string) (string, error) {
	dst, plen, ok := parseCIDR4(a[0])
	if ok {
		plen += 96
	} else if dst, plen, ok = parseCIDR6(a[0]); !ok {
		return "", errInvalid
	}
	var mark uint32
	if len(a) > 1 {
		m, ok := scanMark(a[1])
		if !ok {
			return "", errInvalidMark
		}
		mark = m
	}
	want := Route{Dst: dst.and(mask(plen)), Plen: plen, Mark: mark}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.subtables {
		for i, o := range st.routes {
			if o.sameMatch(&want) && o.Priority == plen+32 {
				r.removeLocked(st, i, true)
				r.publishLocked()
				return "OK", nil
			}
		}
	}
	return "", errNotFound
}

// LookupCmd is ovs/route/lookup IP [pkt_mark=MARK].
func (r *Router) LookupCmd(a []string) (string, error) {
	dst, plen, ok := parseCIDR4(a[0])
	if !ok || plen != 32 {
		if dst, plen, ok = parseCIDR6(a[0]); !ok || plen != 128 {
			return "", errInvalid
		}
	}
	var mark uint32
	if len(a) > 1 {
		m, ok := scanMark(a[1])
		if !ok {
			return "", errInvalidMark
		}
		mark = m
	}
	h, ok := r.Lookup(mark, dst, Addr{})
	if !ok {
		return "", errNotFound
	}
	return fmt.Sprintf("src %s\ngateway %s\ndev %s\n", h.Src, h.Gw, h.Dev), nil
}
