// Package ct is gswitch's userspace connection tracker, in the spirit of
// Open vSwitch's lib/conntrack.c: TCP (window tracking), UDP, ICMP/ICMPv6 and
// other IP protocols over IPv4 and IPv6, zones, marks, 128-bit labels, NAT,
// fragment reassembly, limits and tunable timeouts, and the FTP and TFTP
// helpers (ct(alg=ftp), ct(alg=tftp): package ct/alg) with their
// expectations.
//
// It imports only packet (and its own leaf packages). The pipeline calls
// Tracker.Execute for the ct action; the control socket calls the dump,
// flush and tuning methods.
//
// # Usage
//
//	tr := ct.New(ct.Config{})   // OVS's defaults: 3,000,000 connections, ...
//	tr.Start()                  // background expiry sweep (or call tr.Sweep(now))
//	defer tr.Stop()
//	out = tr.Execute(pkts, out[:0], &params, now) // per ct action, per batch
//	conns := tr.Conns(nil)      // snapshots for the control commands (package ct/dpctl)
//	tr.FlushZone(5)             // NXT_CT_FLUSH_ZONE
//	tr.Flush(ct.FlushFilter{...}) // NXT_CT_FLUSH, flush-conntrack
//
// Execute follows OVS 3.1's conntrack_execute: per packet it finds or
// creates the connection in zone p.Zone and writes ct_state (+trk with
// +new/+est/+rel/+rpl/+inv as ovs-fields(7) defines them), ct_zone,
// ct_mark, ct_label, ct_nw_proto and the original-direction tuple
// (ct_nw_src/dst or ct_ipv6_src/dst, ct_tp_src/dst; for ICMP the type and
// code) into pk.Key, and caches the connection in pk.Conn. A packet that
// already went through ct in the same zone with a cached connection takes
// OVS's fast path: the state machine does not run again and ct_state is
// kept, provided the packet still carries the tuple under which the
// connection was found (one compare of its Key with the connection's key;
// OVS drops the cache in every action that rewrites an address, port or
// ICMP type/code, to the same effect): a packet whose tuple an action
// rewrote between two ct actions is looked up afresh, as another
// connection. Only commit creates connections; uncommitted ones are not
// remembered. When a limit refuses a new connection the packet is still
// +trk+new (as in OVS) and the refusal is counted (Counters).
//
// NAT (Params.NAT) follows OVS 3.1's userspace rules, with the tuple
// choice and packet rewriting of package ct/nat: commit with nat(src=...)
// or nat(dst=...) picks a translated reply tuple that no live connection
// uses (nat.Select; exhaustion leaves the packet +trk+new, untranslated,
// with no connection, counted as NATExhausted); every ct action with nat
// (bare nat included) rewrites the connection's packets both ways
// (nat.Apply, nat.ApplyRelated for ICMP errors) and sets +snat/+dnat; a
// packet already translated in the zone is not translated again, and is
// found again from its translated tuple. After a ct action with nat no
// connection is cached in the packet (as OVS). Fragments: the reassembled
// datagram is translated and frag's SyncFromWhole carries it into the
// fragments.
//
// # Helpers (ALGs)
//
// A connection committed with Params.Alg = AlgFTP (TCP) or AlgTFTP (UDP)
// keeps that helper for its life (dump-conntrack shows helper=ftp, as OVS),
// whatever alg= the later ct actions name (none included). Every control
// packet of it (OVS's get_alg_ctl_type: TCP to or from port 21, UDP to
// port 69, or any TCP/UDP packet when the action itself names ftp/tftp)
// that carries payload and that tracking accepted is given to the helper
// (ct/alg's Conn.Process, under the connection's lock) by every ct action
// that reaches it: such a packet never takes the cached fast path, so
// that a ct() that cached the connection followed by a ct(nat) still
// rewrites PORT/227 (as OVS's conntrack_execute). A command the helper refuses (a PORT naming a third host,
// a malformed one) adds +inv to the packet's state, as OVS's handle_ftp_ctl
// does (counted as ALGInvalid). Announced data connections become
// expectations in an alg.Table (bounded: 4096 in all, 4 per master, the
// oldest of a master replaced; 5 minutes; removed by the sweep, with their
// master, and by a flush of everything or of their zone). The first packet
// of a new connection in the same zone matching an expectation is
// +new+rel, committed or not, and carries the master's mark, label and
// original tuple (ct_nw_src... as OVS's write_ct_md); commit consumes the
// expectation and creates a related connection (dump -m: parent=(...))
// whose later packets are +est+rel (+rpl); as OVS's set_mark/set_label, a
// ct exec cannot change a related connection's mark or label. Under a ct action with nat (a
// bare nat is enough, as in OVS), the related connection gets the
// expectation's translation (SNATTo/DNATTo) instead of a new one.
//
// When a helper's connection is translated, the ct action with nat that
// translates a packet also rewrites the addresses its payload announces
// (PORT, EPRT, 227) with alg.ApplyRewrites, records length changes in the
// connection's alg.SeqAdjust and shifts seq/ack/SACK of every later
// segment both ways; the window tracking sees acknowledgements mapped back
// to the sender's numbering (SeqAdjust.Ack), so it always works in
// unrewritten sequence space. A packet already translated by an earlier
// ct(nat) in the zone is not processed again.
//
// Helper and related connections keep their ALG state beside the
// pointer-free slab, in a map keyed by slab index; other connections pay
// nothing, and while no expectation is pending a new connection costs one
// atomic load (Execute stays allocation-free). dpctl/dump-conntrack-exp
// (later OVS's command) lists pending expectations in later OVS's format
// (alg.Expectation.AppendOVS). An alg= without a registered helper makes
// packets +trk+inv (Unsupported); the pipeline refuses such flows.
//
// # Concurrency and ownership
//
// All methods are safe for concurrent use. The table is sharded (a power
// of two shards, each an RWMutex, an index and, per zone, a list of the
// connections whose original key is in the shard). A key is hashed once
// per packet, with a seeded and symmetric hash (every endpoint mixed on
// its own, then combined), so both directions' keys of a connection share
// a shard unless NAT changed the reply key, in which case both shards are
// locked, in order, to insert or remove it. The hash's top bits pick the
// shard in the zone's window of 64 shards; its low 32 bits place the key
// in the shard's index (index.go): open addressing over 8-byte slots (the
// hash bits and a slab ref; keys are compared in the connections), removal
// by backward shift (no tombstones, however much the table churns), and
// growth by moving whole clusters to a twice-larger array a few at a time,
// that array allocated outside the lock. A zone flush visits only that
// zone's lists in its 64 shards, releasing each lock every 512 removals.
// Each connection's mutable state has its own mutex (taken once per packet
// in the common case); its expiry deadline is an atomic read without
// locks. Connections live in a pointer-free slab (chunks of 4096 slots of
// three cache lines, the hot fields in the first two, so that neighbours
// updated by different goroutines share no line) and the index and lists
// hold 32-bit slab indexes, so the garbage collector never scans the
// table; a freed slot waits in its shard's FIFO (linked through the slots)
// and is reused after a grace period. Counts and limits are atomics.
//
// That no goroutine ever acts on a connection that is gone does not rest
// on that grace period (a goroutine can be delayed for any time). Each
// slot has a generation, which every removal increments with the
// connection's shard locks and conn.mu held; a connection is its slot and
// its generation. Whoever keeps a *conn past the lock under which it found
// it keeps the generation read there: a packet between its lookup (or its
// insert) and the connection's lock, a packet with a cached connection
// (Packet.ConnGen beside Packet.Conn), a removal (of a reply-direction
// connection under force, of a TCP connection that a SYN restarts, of
// an expired key holder, of a NATed connection whose keys are in two
// shards, a flush by tuple), a flush walk resuming between batches, a
// dump. It acts (state machine, mark, label, NAT, helper, ct tuple,
// removal, report) only in a hold of conn.mu (or of the shard locks, for
// a removal) that begins by finding the generation unchanged; otherwise
// the connection is gone: a packet is looked up afresh (or created anew,
// on commit) as when its connection has expired, a removal removes
// nothing. A slot's keys always belong to the shard whose free list
// keeps it, so its generation is also read under that shard's lock. The
// ALG side table is keyed by slot and generation, so a slot's ALG state
// never attaches to its next tenant. In tests, a hook (testHook) stalls a
// goroutine at each such place while its connection is removed and its
// slot reused (reuse_test.go).
// Execute does not allocate (except when the slab or an index grows).
// Packets stay the caller's; fragments ct holds are copies (ct/frag), and
// the fragments it releases are fresh heap packets.
//
// # Locks
//
// Every mutex of ct and its packages, in the order they nest (a goroutine
// holding one takes only locks further down the list):
//
//  1. shard.mu (RWMutex), at most two at a time: an insert or removal
//     whose two keys are in different shards locks both in the order of
//     the shards in Tracker.shards (lockPair). Readers (a packet's
//     lookup, dumps) take one for reading.
//  2. conn.mu: a connection's mutable state (TCP peers, other/ICMP state,
//     mark, label) and, with the shard locks, its generation. Taken once
//     per packet in the common case; insert initializes a new connection
//     under it with its shards locked; a removal increments the
//     generation under it with the shards locked; a flush by mark or
//     label reads them under it with the shard locked.
//  3. Leaves, taken under the locks above and holding no other:
//     Tracker.algs.mu (the ALG state side table: put by insert, deleted by
//     a removal, both under shard locks; read under conn.mu), alg.Table.mu (the expectations:
//     added by the FTP/TFTP helper under conn.mu, removed with their
//     master under shard locks, taken and found with no lock held) and
//     slab.mu (slab growth, under the shard lock of allocLocked).
//
// The other mutexes are taken with no other ct lock held and hold none:
// frag.Reassembler.mu (fragment lists: Execute passes fragments to ct/frag
// before any lookup), the ALG registry (ct/alg's helpers by name and
// port), Tracker.cfgMu (zone configuration updates), Tracker.nowMu (Now)
// and Tracker.stopMu (Start, Stop). ct/nat has no locks.
//
// A function whose name ends in Locked, and the shard methods that touch
// the index or the zone lists, require the lock their comment names; a
// "+checklocks:x.mu" (or "+checklocksread:") line beside it and beside
// the fields a lock guards says the same in gVisor's checklocks notation.
// In race builds (go test -race) package ct/internal/lockcheck checks
// these preconditions at run time (a function called without its lock
// panics; TestLockPreconditions, TestLockedCallersConcurrent); in other
// builds the checks compile to nothing.
//
// # Time
//
// now is the caller's monotonic clock in nanoseconds, passed with every
// batch; ct never reads the clock per packet. Control-plane operations
// (dump -s timeouts, the background sweep) use Config.Clock or an estimate
// derived from the latest now seen.
//
// # Differences from OVS 3.1 (deliberate)
//
//   - A zone without its own limit gets the default limit for itself (as
//     the ovs-dpctl man page says); OVS 3.1's code shares one counter among
//     all such zones. A limit of 0 means unlimited.
//   - ct-get-limits counts show each zone's live connections.
//   - TCP sequence checking can also be turned off per zone
//     (ct-disable-tcp-seq-chk zone=N).
//   - flush-conntrack also takes mark=X[/M] and labels=Y[/M] (the syntax of
//     later OVS), dump-conntrack takes --format=json, and the dump is
//     sorted (OVS prints in hash order).
//   - Expectations are consumed by the connection they announced, bounded
//     (globally and per master) and expire after 5 minutes, as Linux's;
//     OVS 3.1 keeps them, unbounded, until their master goes.
//   - The FTP helper also understands EPRT/EPSV over IPv4 (OVS added them
//     after 3.1) and runs for any port of a connection committed with
//     alg=ftp (OVS 3.1 parses only packets to or from port 21).
//   - dump-conntrack-exp, ct-get/set-sweep-interval are later OVS's
//     commands; add-zone-tp/del-zone-tp/list-zone-tp take ovs-vsctl's
//     syntax (without the datapath argument, which is optional here) and
//     zone=default changes the default policy. As in OVS, a connection
//     keeps the timeout policy its zone had when it was created: one
//     created before the policy keeps the defaults, and one whose policy
//     has since been replaced or deleted gets the defaults (OVS deletes
//     the policy id it holds).
package ct
