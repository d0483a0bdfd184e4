// Package ovsdb is a small, typed OVSDB client (RFC 7047) for the
// Open_vSwitch database that Debian's ovsdb-server serves with
// /usr/share/openvswitch/vswitch.ovsschema: what gswitch needs to be
// configured like ovs-vswitchd and to write back what ovs-vswitchd writes.
//
// # Connecting
//
//	c, err := ovsdb.Dial(ctx, "unix:/var/run/openvswitch/db.sock", ovsdb.Options{})
//
// Targets are OVS remotes: unix:PATH, tcp:HOST:PORT and ssl:HOST:PORT (with
// Options.TLS, e.g. from TLSConfig(privateKey, certificate, caCert), the
// files ovs-vswitchd's --private-key, --certificate and --ca-cert name; as
// in OVS, the server's certificate must chain to the CA and its name is not
// checked). Dial retries with back-off until the first connection is up or
// ctx ends. After that the Client keeps itself connected until Close: a lost
// connection is redialled with OVS's back-off (1 s, doubling to 8 s), the
// schema is fetched again and every monitor is re-established. The server's
// echo requests are answered; after Options.InactivityProbe (5 s on tcp and
// ssl; unix sockets are not probed, as in OVS) of silence the client sends
// its own echo and drops the connection after twice that.
//
// # Reading: monitors and snapshots
//
//	m, err := c.MonitorVSwitch(ctx)   // returns once the first snapshot is in
//	for range m.Changed() {
//		snap := m.Snapshot()       // *Snapshot: typed rows by UUID
//		reconcile(snap)
//	}
//
// A monitor uses monitor_cond (update2 notifications, with their set and
// map diffs; an optional column's diff is its new value, as ovsdb-server
// sends it) and falls back to monitor (update) when the server lacks it. It
// keeps a replica of the tables Snapshot has (Open_vSwitch, Bridge, Port,
// Interface, Controller, Datapath, CT_Zone, CT_Timeout_Policy,
// Flow_Sample_Collector_Set, IPFIX, Flow_Table) with the columns their Go types carry,
// as far as the server's schema has them. References between rows stay
// UUIDs (Bridge.Ports -> Snapshot.Ports[u]). Each change publishes a new
// immutable *Snapshot (copy on write per table: unchanged tables share
// their maps); Changed is signalled, coalesced, and never closed (select on
// Client.Done too). After a reconnect the
// monitor's snapshot is rebuilt from scratch from the server's initial
// contents and carries a new Epoch, so a caller reconciles against it.
// Snapshot.Seq counts changes.
//
// # Writing: transactions
//
//	_, err := c.Transact(ctx,
//		ovsdb.UpdateUUID("Open_vSwitch", root.UUID, map[string]any{"cur_cfg": root.NextCfg}),
//		ovsdb.UpdateUUID("Interface", iface.UUID, map[string]any{"ofport": int64(7),
//			"status": map[string]string{"driver_name": "veth"}}))
//
// What ovs-vswitchd writes back has typed builders (writeback.go):
// OpenVSwitchState (cur_cfg, datapath_types, iface_types, dpdk_*), CurCfg,
// BridgeState (datapath_id, datapath_version), InterfaceState (ofport,
// error, admin_state, link_*, mac_in_use, mtu, ifindex, duplex, status),
// InterfaceStatistics, ControllerState (is_connected, role, status); each
// is one update by uuid, a nil pointer clearing an optional column. Other
// ops are built with Insert, Update, UpdateUUID, Mutate, Wait, Delete,
// Select and Comment. Row, condition and mutation values are Go values
// Value converts: string, bool, int/int64, float64, UUID and NamedUUID
// atoms; pointers for optional columns (nil is the empty set); slices for
// sets; maps for maps; or Set and Map themselves. A transaction that fails
// returns a *TransactError with the failing op's index and kind ("wait on
// Open_vSwitch"; index -1 when the commit failed) and the server's error and
// details; OVSDB then changed nothing. Transact waits for a connection;
// a ctx that ends first sends the server a cancel for the transaction.
// A connection lost after the request was sent gives ErrDisconnected: the
// transaction may or may not have committed (read the next snapshot).
// Client.Call sends any other method. MonitorVSwitch(ctx, "Interface.statistics", ...)
// leaves out columns only the caller writes, so that writing them wakes
// nobody (as ovs-vswitchd omits them).
//
// # The data model
//
// Atoms are string, int64, float64, bool, UUID and NamedUUID values; a Set
// is []Atom and a Map is map[Atom]Atom (RFC 7047 section 5.1). A decoded
// datum is normalised by the schema: a set column always holds a Set (the
// wire's bare atom for a one-element set included), a map column a Map, a
// scalar column an atom. Sets and maps are always sent in their tagged
// form, sorted, so encodings are deterministic.
//
// # Hostile input
//
// The stream is split into messages by a framer that counts bytes and
// nesting before any JSON parser runs: a message over Options.MaxMessage
// (64 MiB) or nested over 64 levels drops the connection, as does any
// malformed message or update (the reconnect then fetches a fresh
// snapshot). Nothing in the package panics on any input; the fuzz targets
// (fuzz_test.go, seeded with messages captured from ovsdb-server,
// testdata/capture) hold it to that.
//
// # Concurrency and ownership
//
// Client and Monitor methods are safe for concurrent use. A Snapshot and
// everything it points to is read-only. Each connection has one reader
// goroutine; monitor replies and update notifications are applied on it in
// the server's order.
//
// # Dependencies
//
// The standard library only. Only cmd/gswitch (and a future vswitchd
// package) may import ovsdb; tests/deps_test.go enforces both.
package ovsdb
