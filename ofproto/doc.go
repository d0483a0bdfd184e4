// Package ofproto is gswitch's OpenFlow channel, as ovs-vswitchd offers it:
// OpenFlow 1.3, and OpenFlow 1.0 with the Nicira extensions that plain
// ovs-ofctl uses, over passive (ptcp:, punix:) and active (tcp:, unix:)
// connections.
//
// # Usage
//
//	srv, err := ofproto.New(ofproto.Config{
//		Datapath:   dp,      // *pipeline.Datapath (the Datapath interface)
//		Ports:      ports,   // the Ports interface (features, port-desc, stats, port-mod)
//		Ct:         flusher, // the CtFlusher interface (NXT_CT_FLUSH_ZONE, NXT_CT_FLUSH)
//		DatapathID: 1,
//		Clock:      clock,   // monotonic ns, the datapath's clock
//	})
//	srv.Listen("ptcp:6653:127.0.0.1")      // service connections (ovs-ofctl)
//	srv.Listen("punix:/run/gswitch/br0.mgmt")
//	srv.Connect("tcp:198.51.100.7:6653")    // a controller, reconnected with back-off
//	...
//	srv.PacketIn(pi)        // from the pipeline (pipeline.PacketInSink)
//	srv.FlowRemoved(fr)     // from the pipeline
//	srv.PortStatus(ofproto.PortModified, port)
//	srv.Close()
//
// # The channel
//
// Framing is the package's own: ReadMessage reads the 8-byte header with
// io.ReadFull and checks the length (at least 8, at most
// Config.MaxMessageLen) before allocating. A bad length gets OFPBRC_BAD_LEN
// and the stream resynchronizes (a length under 8 counts as the header, an
// oversized body is skipped). Every HELLO offers OpenFlow 1.0 and 1.3 (the
// versions in codecs) with a version bitmap; a peer's HELLO without a bitmap offers every version up to
// its own (so plain ovs-ofctl's OF1.0 HELLO gets OpenFlow 1.0); no common
// version gets OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE with OVS's text, and
// the connection closes.
//
// Every message that is malformed, truncated or unsupported gets an
// OFPT_ERROR with the request's xid and the request as data (all of it, as
// OVS does), numbered for the connection's version: errors are
// *pipeline.Error in OpenFlow 1.3 numbering, and errors.go maps them to
// OpenFlow 1.0 (and OVS's NXET_VENDOR / OFPET_EXPERIMENTER extension errors)
// from pipeline's table (pipeline/errcodes.go, generated from OVS 3.1's
// ofp-errors.h). tests/golden's of-errors.tsv is replayed against the Server
// in TestGoldenErrors.
//
// Connections are OVS's "service" connections when accepted by Listen
// (miss_send_len 0: no asynchronous messages until the peer sets a nonzero
// miss_send_len or an async config) and "primary" connections when made by
// Connect (miss_send_len 128). Roles (OpenFlow 1.3 role requests with
// generation ids, NXT_ROLE_REQUEST), async configuration (OFPT_SET_ASYNC,
// NXT_SET_ASYNC_CONFIG and its property form), controller ids and
// packet-in formats (OFPT_PACKET_IN, NXT_PACKET_IN, NXT_PACKET_IN2) decide
// who gets which packet-in, flow-removed and port-status, as in OVS's
// connmgr.
//
// Matches, actions and instructions are decoded and encoded by package nxm
// directly; this package handles everything around them: flow-mods
// (1.3, 1.0, NXT_FLOW_MOD with NXT_FLOW_MOD_TABLE_ID), flow, aggregate,
// table, port, queue, group and meter statistics (split into messages of at
// most 64 KiB with the MORE flag), port-desc, table features (with the
// table's configured name and max_entries), 1.4+ table descriptions and
// table-mod's eviction flag (Datapath.SetTableEviction), groups,
// packet-out, bundles (the ONF extension ovs-ofctl --bundle uses with
// OpenFlow 1.3; committed atomically through the optional ModTransactor or
// FlowTransactor interfaces, which *pipeline.Datapath implements), and the
// Nicira messages.
//
// # Versions
//
// Each OpenFlow version is one codec (codec.go), as OVS's
// ofputil_decode_*/ofputil_encode_* are one function per message with a
// case per version: a codec maps its version's message types to request
// kinds, decodes each request into one version-independent type (a flow-mod
// into flowModRequest, a port-mod into portModRequest, a flow stats request
// into a pipeline.FlowFilter, ...) and encodes replies, statistics entries
// and asynchronous messages in its version's form. The handlers (handle.go,
// stats.go) run once for every version; a message that only one version
// has (the Nicira extensions of OpenFlow 1.0, OpenFlow 1.3's multipart-only
// statistics) has one handler and is absent from the other codec. A new
// version is a new codec in the codecs table: its decoders and encoders,
// reusing those of the formats it shares; HELLO then offers it.
//
// # Concurrency and ownership
//
// A Server is safe for concurrent use. Each connection has a reader
// goroutine that handles its requests in order (a flow-mod is applied
// before the next message is read, so a barrier reply follows everything
// before it), a writer goroutine, and a bounded send queue: a reply waits up
// to WriteTimeout for room and an asynchronous message never waits; a peer
// whose queue stays full is disconnected (packet-ins are dropped, and
// counted, first), so a peer that never reads stalls nobody. A panic while
// handling a message is recovered at the connection boundary, logged,
// counted in Server.Stats.Panics, and closes that connection only.
//
// PacketIn, FlowRemoved and PortStatus may be called from any goroutine;
// they copy what they keep (pi.Data is only read during the call) and
// encode each event once per (version, format). The Datapath, Ports and
// CtFlusher are called from the connections' reader goroutines, concurrently
// for different connections.
//
// Package oftest is a scripted OpenFlow peer for tests of this package and
// of anything that embeds a Server.
package ofproto
