// Package pipeline is gswitch's OpenFlow datapath: flow tables, groups and
// the executor that runs packets through them.
//
// # What
//
// A Datapath holds up to 255 flow tables, each a versioned priority
// classifier (tuple-space search: one subtable per distinct mask, each a
// persistent hash trie of the masked match, scanned by decreasing maximum
// priority with an early exit), and the groups. Tables and groups form one
// immutable version published with atomic.Pointer: a flow-mod or group-mod
// builds the next version by copying only the paths it changes, and
// packets in flight finish on the version they loaded.
//
// The executor implements OpenFlow 1.3 instructions (apply-actions,
// clear/write-actions with the action set run at the end of the pipeline
// in the specification's order, write-metadata, goto-table), the OpenFlow
// and Nicira actions of model.go (output to ports and the reserved ports
// IN_PORT, ALL, FLOOD, CONTROLLER, LOCAL, NORMAL and TABLE, output:reg,
// groups of the four types (a bucket's actions run as an action set, as in
// OVS's xlate_group_bucket: only the set-field family, the action-set slots
// and one final action; asActionSet; the flow is restored after each
// bucket, but what the tables a bucket reaches by resubmit write, clear,
// push or pop stays for the next bucket and the group's caller, as OVS 3.1
// keeps ctx->action_set and ctx->stack: a group whose buckets may reach
// tables is "sticky" and runs one packet at a time), push/pop VLAN, set_field/load/move on header
// and metadata fields, dec_ttl, resubmit with in_port and ct tuple, exit,
// ct, ct_clear, clone (starting with a copy of the action set, which runs
// when the clone's actions end, as OVS 3.1's clone_xlate_actions does),
// push/pop on the packet's stack (ct(table=N)'s recirculation carries the
// registers, stack and action set of the moment and executes that action
// set at its end, from a clone or a group bucket too),
// check_pkt_larger, learn, fin_timeout and controller(pause), whose continuation — the rest of
// every enclosing action list, in runs with the table and cookie OVS's
// unroll_xlate records, the action set, the stack and the conntracked flag
// (pause.go) — goes to the PacketInSink and comes back through Resume; a
// pause inside a clone freezes the clone's rest and its copy of the action
// set only and ends what follows the clone as exit does, as OVS 3.1 does;
// exit stops the action set too, as OVS 3.1's translation does)
// and OVS's conjunctive matches (conjunction/conj_id),
// with OVS's semantics and limits (resubmit nesting 64, counting
// resubmits to the same or an earlier table only,
// 4096 resubmits, ct recirculation depth 8; the stack holds
// packet.StackDepth entries where OVS allows 64 kB).
//
// # Usage
//
//	d := pipeline.New(pipeline.Config{Tracker: tr, Sender: ports, PacketIn: ofp,
//		FlowRemoved: ofp.FlowRemoved})
//	d.SetPorts(ports)
//	err := d.FlowMod(fm, now)      // *pipeline.Error with OpenFlow type/code
//	n, err := d.ModBatch(mods, now) // flow-mods and group-mods, all or none (bundles)
//	d.Process(batch)               // from each port's receive goroutine
//	d.Expire(now)                  // about once a second
//	d.Trace(pk, opts, tracer)      // ofproto/trace: reports each step (trace.go)
//
// # Thread safety
//
// Process may run on any number of goroutines at once; control methods
// (FlowMod, GroupMod, PacketOut, SetPorts, Expire, Flows, ...) may run
// concurrently with Process and each other. Changes serialize on a mutex
// that packets never take.
//
// # Ownership
//
// Process borrows the batch's packets: it never keeps one past the call.
// Sender.Output and PacketInSink.PacketIn must copy what they keep.
// ProcessOwned (and Loop.ProcessOwned, a receive loop's own worker with its
// own exact-match cache) also hands a packet over to an OwningSender at its
// last use, an output with nothing after it on the packet's way
// (worker.lastUse), and leaves its slot in the batch nil. Copies
// the executor makes (the tracked copy of ct(table=N), the copies a group
// bucket works on) come from an internal pool and go back to it. A
// FlowMod's action slices are copied at install.
//
// # Hot path
//
// Process runs a batch to completion on the calling goroutine, in
// continuation-passing style over groups of packets: a lookup splits the
// group by matched flow, each part runs its flow's compiled ops, and the
// rest of the pipeline after a resubmit travels with it. No allocation in
// the steady state, no time.Now, no lock (NORMAL's MAC table takes a
// sharded read lock; learn takes its queue's lock only when it learns a
// new or changed flow, and applies the queue after the batch with
// TryLock: see learn.go for the lock order and the bounds). Flow and table counters are accumulated per batch
// and published with one atomic add per flow per batch. Every drop reason
// has a named counter (Counters). Tables with many subtables sit behind a
// per-worker exact-match cache tagged with the version it was filled from,
// so a flow-mod invalidates it without any message to the workers.
//
// multipath, bundle and bundle_load hash and choose exactly as OVS 3.1
// (flowhash.go: flow_hash_fields, the four multipath algorithms, bundle's
// hrw and active_backup; TestMultipathBundleVsOVS compares with OVS's
// ofproto/trace). A bundle member is live while SetPorts reports its port
// up; the members' liveness is read once per group of packets.
//
// # Table configuration
//
// SetTableConfig gives a table a name, a flow limit and OVS's overflow
// policy (tableconfig.go, the database's Flow_Table): past the limit an
// add (a learned flow too; a packet-out's learn answers the error, as OVS)
// fails with OFPFMFC_TABLE_FULL, or with eviction on removes one flow with
// a timeout: from the eviction group (the Groups subfields' values in the
// match) with the most such flows, the lowest importance, then the
// earliest expiry (OVS's choose_rule_to_evict; the flow-removed reason is
// OFPRR_EVICTION). Choosing scans the table once per eviction.
//
// # Not yet
//
// NAT and ALGs inside ct (validated, then refused by supportedCT until the
// tracker executes them), meters, queues (set_queue has no effect).
package pipeline
