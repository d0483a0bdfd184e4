package underlay

import (
	"context"
	"time"
)

// Underlay is a route table and a neighbour cache.
type Underlay struct {
	Router *Router
	Neigh  *NeighCache
}

// New returns an empty underlay whose source addresses come from addrs
// (nil: from the kernel, SystemAddrs).
func New(addrs AddrSource) *Underlay {
	if addrs == nil {
		addrs = SystemAddrs
	}
	return &Underlay{Router: NewRouter(addrs), Neigh: NewNeighCache()}
}

// Command is one unixctl command, with its argument counts as OVS
// registers them.
type Command struct {
	Name, Usage string
	Min, Max    int
	Run         func(args []string) (string, error)
}

// Commands are OVS 3.1's ovs/route/* and tnl/neigh/*, tnl/arp/* commands.
func (u *Underlay) Commands() []Command {
	r, n := u.Router, u.Neigh
	show := func([]string) (string, error) { return r.ShowText(), nil }
	nshow := func([]string) (string, error) { return n.ShowText(), nil }
	cmds := []Command{
		{"ovs/route/add", "ip_addr/prefix_len out_br_name [gw] [pkt_mark=mark]", 2, 4, r.AddCmd},
		{"ovs/route/show", "", 0, 0, show},
		{"ovs/route/del", "ip_addr/prefix_len [pkt_mark=mark]", 1, 2, r.DelCmd},
		{"ovs/route/lookup", "ip_addr [pkt_mark=mark]", 1, 2, r.LookupCmd},
	}
	for _, p := range []string{"tnl/arp/", "tnl/neigh/"} {
		cmds = append(cmds,
			Command{p + "show", "", 0, 0, nshow},
			Command{p + "set", "BRIDGE IP MAC", 3, 3, n.SetCmd},
			Command{p + "flush", "", 0, 0, n.FlushCmd},
			Command{p + "aging", "[SECS]", 0, 1, n.AgingCmd})
	}
	return cmds
}

// Run keeps the route table in step with the kernel of the calling
// goroutine's network namespace (WatchKernel) and ages the neighbour
// cache, until ctx ends. A failure to watch the kernel is returned at once
// (the neighbour cache still ages until ctx ends if errc is drained).
func (u *Underlay) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- WatchKernel(ctx, u.Router) }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var werr error
	for {
		select {
		case <-ctx.Done():
			if werr != nil {
				return werr
			}
			return nil
		case err := <-errc:
			werr = err
			errc = nil
		case <-t.C:
			u.Neigh.Expire()
		}
	}
}

// BridgeAddrs is the address list xlate checks neighbour replies against
// (SnoopOutput's bridgeAddrs): every address of the device named as the
// bridge (xbridge_addr_create), then the first address of each of the
// bridge's ports' devices (is_neighbor_reply_correct looks at no other).
// Devices without addresses, or missing, add nothing.
func BridgeAddrs(addrs AddrSource, bridge string, ports []string) []Addr {
	var out []Addr
	if list, err := addrs(bridge); err == nil {
		for _, a := range list {
			out = append(out, a.IP)
		}
	}
	for _, p := range ports {
		if list, err := addrs(p); err == nil && len(list) > 0 {
			out = append(out, list[0].IP)
		}
	}
	return out
}

// MissSource is the source address of the ARP request or neighbour
// solicitation sent when the neighbour lookup for nextHop misses
// (native_tunnel_output): an address of the device named as the output
// bridge on nextHop's network, else the route's source.
func MissSource(addrs AddrSource, bridge string, nextHop, routeSrc Addr) Addr {
	if list, err := addrs(bridge); err == nil {
		if s, err := SourceAddress(list, nextHop); err == nil {
			return s
		}
	}
	return routeSrc
}
