// Package underlay is the tunnel underlay as Open vSwitch's userspace
// datapath keeps it: the route table of OVS 3.1's lib/ovs-router.c (routes
// learned from the kernel of the switch's namespace as lib/route-table.c
// learns them, plus user routes), the neighbour cache of
// lib/tnl-neigh-cache.c (learned by snooping ARP and neighbour
// advertisements as ofproto-dpif-xlate.c's terminate_native_tunnel does, set
// by hand, aged), the ARP request and neighbour solicitation OVS sends when a
// lookup misses, and the unixctl commands of both (ovs/route/*, tnl/neigh/*,
// tnl/arp/*) with OVS's texts.
//
// Addresses are 16-byte IPv6 addresses, IPv4 ones IPv4-mapped
// (::ffff:a.b.c.d), as OVS keeps them; prefix lengths of IPv4 routes are
// therefore 96 more than written.
//
// The per-packet side (Router.Lookup, NeighCache.Lookup) reads immutable
// snapshots published with an atomic pointer: no lock and no allocation. The
// writers (kernel sync, commands, snooping of a new or changed neighbour)
// serialise on a mutex and publish a new snapshot.
//
// Ordering: `ovs/route/show` lists routes as OVS's classifier iterates them:
// by subtable (one per prefix length) in decreasing order of the subtable's
// highest priority, and within a subtable in insertion order; kernel routes
// are re-learned (all dropped and dumped again) on every route or link change,
// as OVS does. `tnl/neigh/show` lists entries in insertion order; OVS lists them
// in its cmap's order, which depends on a random hash basis per run.
package underlay
