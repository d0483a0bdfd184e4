package underlay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func ipAddr(ip net.IP) Addr {
	if v4 := ip.To4(); v4 != nil {
		return AddrFrom4([4]byte(v4))
	}
	if len(ip) == 16 {
		return Addr(ip)
	}
	return Addr{}
}

// ifAddrs converts netlink's addresses to OVS's form (mapped IPv4 masks).
func ifAddrs(list []netlink.Addr) []IfAddr {
	out := make([]IfAddr, 0, len(list))
	for _, a := range list {
		if a.IPNet == nil {
			continue
		}
		var x IfAddr
		if v4 := a.IP.To4(); v4 != nil && len(a.Mask) == 4 {
			x.IP = AddrFrom4([4]byte(v4))
			x.Mask = AddrFrom4([4]byte(a.Mask))
		} else if len(a.IP) == 16 && len(a.Mask) == 16 {
			x.IP, x.Mask = Addr(a.IP), Addr(a.Mask)
		} else {
			continue
		}
		out = append(out, x)
	}
	return out
}

// SystemAddrs is the AddrSource of the calling thread's network namespace:
// the device's addresses as the kernel lists them (IPv4, then IPv6).
func SystemAddrs(dev string) ([]IfAddr, error) {
	if dev == "" {
		return nil, unix.ENODEV
	}
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return nil, err
	}
	list, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return nil, err
	}
	return ifAddrs(list), nil
}

// retry runs a dump again while the kernel reports it interrupted.
func retry[T any](f func() (T, error)) (T, error) {
	var v T
	var err error
	for i := 0; i < 10; i++ {
		v, err = f()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return v, err
}

// dumpKernel is route_table_reset's dump: every table's routes of both
// families in the kernel's order, the relevant ones (unicast and local,
// scope not "nowhere", with a known device) as KernelRoutes, and the
// addresses of every device as they are now.
func dumpKernel() ([]KernelRoute, AddrSource, error) {
	links, err := retry(netlink.LinkList)
	if err != nil {
		return nil, nil, fmt.Errorf("link dump: %w", err)
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	addrs, err := retry(func() ([]netlink.Addr, error) { return netlink.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, nil, fmt.Errorf("address dump: %w", err)
	}
	byDev := map[string][]netlink.Addr{}
	for _, a := range addrs {
		if n, ok := names[a.LinkIndex]; ok {
			byDev[n] = append(byDev[n], a)
		}
	}
	src := func(dev string) ([]IfAddr, error) {
		if _, ok := byDev[dev]; !ok {
			for _, n := range names {
				if n == dev {
					return nil, nil
				}
			}
			return nil, unix.ENODEV
		}
		return ifAddrs(byDev[dev]), nil
	}
	routes, err := retry(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("route dump: %w", err)
	}
	var out []KernelRoute
	for _, rt := range routes {
		if rt.Family != unix.AF_INET && rt.Family != unix.AF_INET6 {
			continue
		}
		if rt.Scope == netlink.SCOPE_NOWHERE || (rt.Type != unix.RTN_UNICAST && rt.Type != unix.RTN_LOCAL) {
			continue
		}
		v4 := rt.Family == unix.AF_INET
		k := KernelRoute{Local: rt.Type == unix.RTN_LOCAL}
		if rt.Dst != nil {
			ones, _ := rt.Dst.Mask.Size()
			k.Dst, k.Plen = ipAddr(rt.Dst.IP), ones
		} else if v4 {
			k.Dst = AddrFrom4([4]byte{})
		}
		if v4 {
			k.Plen += 96
			if k.Dst == (Addr{}) {
				k.Dst = AddrFrom4([4]byte{})
			}
		}
		if rt.Gw != nil {
			k.Gw = ipAddr(rt.Gw)
		}
		if rt.LinkIndex != 0 {
			n, ok := names[rt.LinkIndex]
			if !ok {
				continue // if_indextoname: ENXIO, irrelevant
			}
			k.Dev = n
		}
		out = append(out, k)
	}
	return out, src, nil
}

// WatchKernel learns the kernel's routes into r and learns them all again
// after every route or link change (route-table.c: notifications invalidate
// the table, and the next run dumps it afresh), until ctx ends.
func WatchKernel(ctx context.Context, r *Router) error {
	for {
		routeCh := make(chan netlink.RouteUpdate, 64)
		linkCh := make(chan netlink.LinkUpdate, 64)
		done := make(chan struct{})
		if err := netlink.RouteSubscribeWithOptions(routeCh, done, netlink.RouteSubscribeOptions{}); err != nil {
			close(done)
			return fmt.Errorf("route subscribe: %w", err)
		}
		if err := netlink.LinkSubscribeWithOptions(linkCh, done, netlink.LinkSubscribeOptions{}); err != nil {
			close(done)
			return fmt.Errorf("link subscribe: %w", err)
		}
		err := watchLoop(ctx, r, routeCh, linkCh)
		close(done)
		if err != nil || ctx.Err() != nil {
			return err
		}
		// A subscription broke (its channel closed): subscribe again.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func watchLoop(ctx context.Context, r *Router, routeCh chan netlink.RouteUpdate, linkCh chan netlink.LinkUpdate) error {
	reset := func() error {
		routes, src, err := dumpKernel()
		if err != nil {
			return err
		}
		r.ResetKernel(routes, src)
		return nil
	}
	if err := reset(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-routeCh:
			if !ok {
				return nil
			}
		case _, ok := <-linkCh:
			if !ok {
				return nil
			}
		}
		// Take every notification already queued, then dump once.
	drain:
		for {
			select {
			case _, ok := <-routeCh:
				if !ok {
					return nil
				}
			case _, ok := <-linkCh:
				if !ok {
					return nil
				}
			default:
				break drain
			}
		}
		if err := reset(); err != nil {
			return err
		}
	}
}
