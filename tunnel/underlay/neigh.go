package underlay

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAging is how long an unused neighbour entry lives (OVS's
// NEIGH_ENTRY_DEFAULT_IDLE_TIME_MS, 15 minutes); MaxAging the most
// tnl/neigh/aging accepts (NEIGH_ENTRY_MAX_AGING_TIME_S, an hour).
const (
	DefaultAging = 15 * time.Minute
	MaxAging     = time.Hour
)

// MAC is an Ethernet address.
type MAC [6]byte

func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

type neighKey struct {
	br string
	ip Addr
}

type neighEntry struct {
	key     neighKey
	mac     MAC
	expires atomic.Int64 // ms on the cache's clock
}

type neighTable struct {
	byKey map[neighKey]*neighEntry // the newest entry of each key
	list  []*neighEntry            // every entry, oldest first (show's order)
}

// NeighCache is OVS's tunnel neighbour cache (lib/tnl-neigh-cache.c):
// (bridge, IP) -> MAC, learned by snooping and tnl/neigh/set, each entry
// living Aging after its last use.
type NeighCache struct {
	mu    sync.Mutex
	tab   atomic.Pointer[neighTable]
	aging atomic.Int64 // ms
	seq   atomic.Uint64
	start time.Time
	// Now, if set, is the clock in milliseconds (tests).
	Now func() int64
}

// NewNeighCache returns an empty cache with OVS's default aging.
func NewNeighCache() *NeighCache {
	c := &NeighCache{start: time.Now()}
	c.aging.Store(DefaultAging.Milliseconds())
	c.tab.Store(&neighTable{byKey: map[neighKey]*neighEntry{}})
	return c
}

func (c *NeighCache) now() int64 {
	if c.Now != nil {
		return c.Now()
	}
	return time.Since(c.start).Milliseconds()
}

// Seq changes whenever an entry is added, changed or removed (OVS's
// tnl_conf_seq).
func (c *NeighCache) Seq() uint64 { return c.seq.Load() }

// Aging returns the current aging time.
func (c *NeighCache) Aging() time.Duration { return time.Duration(c.aging.Load()) * time.Millisecond }

// lookup is tnl_neigh_lookup__: an unexpired entry, its life renewed.
func (c *NeighCache) lookup(br string, ip Addr) *neighEntry {
	e := c.tab.Load().byKey[neighKey{br, ip}]
	if e == nil {
		return nil
	}
	now := c.now()
	if e.expires.Load() <= now {
		return nil
	}
	e.expires.Store(now + c.aging.Load())
	return e
}

// Lookup is tnl_neigh_lookup: the MAC of ip on bridge br, or false on a
// miss (then the caller sends BuildARPRequest/BuildNS). A hit renews the
// entry. No lock, no allocation.
func (c *NeighCache) Lookup(br string, ip Addr) (MAC, bool) {
	if e := c.lookup(br, ip); e != nil {
		return e.mac, true
	}
	return MAC{}, false
}

// Set is tnl_neigh_set: the same MAC only renews the entry; another MAC, or
// an expired or missing entry, makes a new entry (an expired one stays until
// the next Expire, shown STALE, as in OVS).
func (c *NeighCache) Set(br string, ip Addr, mac MAC) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.lookup(br, ip)
	if old != nil && old.mac == mac {
		old.expires.Store(c.now() + c.aging.Load())
		return
	}
	t := c.tab.Load()
	n := &neighTable{byKey: make(map[neighKey]*neighEntry, len(t.byKey)+1), list: make([]*neighEntry, 0, len(t.list)+1)}
	for _, e := range t.list {
		if e != old {
			n.list = append(n.list, e)
		}
	}
	for k, e := range t.byKey {
		if e != old {
			n.byKey[k] = e
		}
	}
	e := &neighEntry{key: neighKey{br, ip}, mac: mac}
	e.expires.Store(c.now() + c.aging.Load())
	n.list = append(n.list, e)
	n.byKey[e.key] = e
	c.tab.Store(n)
	c.seq.Add(1)
}

// removeLocked publishes the table without the entries drop selects.
func (c *NeighCache) removeLocked(drop func(*neighEntry) bool) bool {
	t := c.tab.Load()
	n := &neighTable{byKey: map[neighKey]*neighEntry{}}
	for _, e := range t.list {
		if drop(e) {
			continue
		}
		n.list = append(n.list, e)
		if t.byKey[e.key] == e {
			n.byKey[e.key] = e
		}
	}
	if len(n.list) == len(t.list) {
		return false
	}
	c.tab.Store(n)
	c.seq.Add(1)
	return true
}

// Expire is tnl_neigh_cache_run: expired entries go. The owner calls it
// periodically (OVS runs it from its main loop).
func (c *NeighCache) Expire() {
	c.mu.Lock()
	now := c.now()
	c.removeLocked(func(e *neighEntry) bool { return e.expires.Load() <= now })
	c.mu.Unlock()
}

// FlushBridge is tnl_neigh_flush: a bridge's entries go (OVS calls it when
// the bridge's addresses change or the bridge goes).
func (c *NeighCache) FlushBridge(br string) {
	c.mu.Lock()
	c.removeLocked(func(e *neighEntry) bool { return e.key.br == br })
	c.mu.Unlock()
}

// FlushCmd is tnl/neigh/flush (and tnl/arp/flush).
func (c *NeighCache) FlushCmd([]string) (string, error) {
	c.mu.Lock()
	c.removeLocked(func(*neighEntry) bool { return true })
	c.mu.Unlock()
	return "OK", nil
}

// ShowText is tnl/neigh/show's reply (tnl/arp/show's too).
func (c *NeighCache) ShowText() string {
	var b strings.Builder
	b.WriteString("IP                                            MAC                 Bridge\n")
	b.WriteString("==========================================================================\n")
	now := c.now()
	for _, e := range c.tab.Load().list {
		ip := e.key.ip.String()
		b.WriteString(ip)
		if pad := 46 - len(ip); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		fmt.Fprintf(&b, "%s   %s", e.mac, e.key.br)
		if e.expires.Load() <= now {
			b.WriteString(" STALE")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	errBadIP    = errors.New("bad IP address")
	errBadMAC   = errors.New("bad MAC address")
	errBadAging = errors.New("bad aging value")
)

// SetCmd is tnl/neigh/set BRIDGE IP MAC (and tnl/arp/set).
func (c *NeighCache) SetCmd(a []string) (string, error) {
	var ip Addr
	var ok bool
	if strings.Contains(a[1], ":") {
		ip, ok = parse6(a[1])
	} else {
		ip, ok = parse4(a[1])
	}
	if !ok {
		return "", errBadIP
	}
	mac, ok := parseMAC(a[2])
	if !ok {
		return "", errBadMAC
	}
	c.Set(a[0], ip, mac)
	return "OK", nil
}

// parseMAC is eth_addr_from_string: ETH_ADDR_SCAN_FMT ("%hhx:" six
// times) and nothing after.
func parseMAC(s string) (MAC, bool) {
	var m MAC
	for i := 0; i < 6; i++ {
		if i > 0 {
			if s == "" || s[0] != ':' {
				return MAC{}, false
			}
			s = s[1:]
		}
		v, rest, ok := scanUint(s, 16)
		if !ok {
			return MAC{}, false
		}
		m[i], s = byte(v), rest
	}
	return m, s == ""
}

// AgingCmd is tnl/neigh/aging [SECS] (and tnl/arp/aging): without an
// argument the aging time in seconds; with one (1-3600) the new time, and
// entries living longer are cut to it.
func (c *NeighCache) AgingCmd(a []string) (string, error) {
	if len(a) == 0 {
		return fmt.Sprintf("%d", uint32(c.aging.Load()/1000)), nil
	}
	v, _, ok := scanUint(a[0], 10)
	secs := uint32(v)
	if !ok || secs == 0 || secs > uint32(MaxAging/time.Second) {
		return "", errBadAging
	}
	ms := int64(secs) * 1000
	c.aging.Store(ms)
	exp := c.now() + ms
	for _, e := range c.tab.Load().list {
		if exp < e.expires.Load() {
			e.expires.Store(exp)
		}
	}
	return "OK", nil
}
