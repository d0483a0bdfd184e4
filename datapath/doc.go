// Package datapath runs bridges: each Bridge is one pipeline.Datapath, one
// ofproto.Server and its ports (ports.Port values, which it reads and
// writes), as one bridge of ovs-vswitchd's netdev datapath. Several bridges
// may share one conntrack (*ct.Tracker), clock and packet pool, as OVS's
// bridges share the netdev datapath's conntrack.
//
// Per port, a Bridge has a receiver (read a batch, set in_port, run it
// through the pipeline to completion on the port's own pipeline.Loop), an
// output queue (the pipeline's Sender copies outputs into it; Flush writes
// it in batches), and its OpenFlow state (port-mod config bits, link state,
// counters). Packet-ins go to the bridge's ofproto.Server after offloads
// are finished in software.
//
// Receive loops. The ports whose devices are ports.Pollable (AF_PACKET,
// ring and TAP ports) share one receive goroutine per bridge, on an OS
// thread of its own (rxgroup.go): it waits for all of them in one
// ports.RxSet and runs a batch of each ready port in turn, so the reply to
// a request it has just forwarded, already waiting on the other port, is
// read without a wake-up. A port that leaves (RemovePort) is taken out of
// the set before its device closes, waiting for its own batch in progress
// only; a port whose interface is gone leaves with one log line; a port
// whose reads fail is handed a receive goroutine of its own. Other ports
// (ports/porttest), and every port with Config.RxThreadPerPort, have a
// receive goroutine each, blocked in ReadBatch.
//
// Ports may be added and removed while traffic flows (AddPort, RemovePort):
// the port table is an immutable snapshot swapped under the bridge's
// mutex, so the packet path reads it with one atomic load and never locks.
//
// Output queues. Each output is copied into its port's queue; the
// goroutine that ends a batch (Flush) writes the queues of the ports it
// output to. A port is written by one goroutine at a time: a goroutine that
// finds another one writing leaves its packets to it (TryLock) instead of
// waiting, so a port that is slow to take frames does not stall the
// receive loops of other ports. A queue holds at most MaxQueue packets;
// more are dropped and counted as the port's tx drops.
//
// Patch ports (AddPatch) join two bridges as OVS's type=patch interfaces:
// an output to one runs the packet through the peer bridge's pipeline,
// from the peer port, on the same goroutine, at the end of the batch.
//
// Tunnel ports (AddTunnel: Interface type geneve or vxlan) need
// Config.Tunnels, shared by the bridges (tunnel.go): an output to one is
// routed, resolved and encapsulated at the end of the batch and runs
// through the bridge whose LOCAL port the route's device is; while one
// exists, an output of tunnel traffic for a port device's address is
// decapsulated into the tunnel port's bridge instead, and neighbour
// replies are snooped, as OVS's userspace datapath (native tunnelling).
//
// cmd/gswitch is the only importer; the package imports packet, ct,
// pipeline, ofproto, ports, tunnel and tunnel/underlay (tests/deps_test.go).
package datapath
