// Package frag reassembles IPv4 and IPv6 fragments for gswitch's connection
// tracker, in the spirit of Open vSwitch's userspace lib/ipf.c: conntrack
// sees whole datagrams, and the original fragments are what leave the switch
// afterwards, carrying the reassembled datagram's verdict.
//
// # Usage
//
// One Reassembler serves the whole tracker. For each packet whose key says
// it is a fragment (pk.Key.NwFrag()&packet.FragAny != 0, pk parsed by
// packet.Parse), the tracker calls Handle (or Add, which drops the verdict):
//
//	dg, v := r.Handle(pk, zone, now)
//	switch v {
//	case frag.Held:        // kept; the caller drops its original
//	case frag.Complete:    // track dg.Whole, then forward dg.Frags with its verdict
//	case frag.Invalid:     // refused and counted; OVS passes it on with ct_state +inv
//	case frag.Disabled:    // reassembly is off for the family (ipf-set-disabled): as OVS, +inv
//	case frag.NotFragment: // the bytes are no fragment after all (e.g. an IPv6 atomic fragment): track it as is
//	}
//
// After Whole went through conntrack, Datagram.SyncFromWhole copies what NAT
// changed (addresses, and the first fragment's L4 header) into the
// fragments, as OVS does, before they are forwarded.
//
// Add returns nil for every verdict but Complete, so a caller that uses Add
// must call Enabled(v6) first to tell "disabled" apart, and cannot tell
// "held" from "refused": Handle can.
//
// Expire (or ExpireInto, which also returns the expired fragments so they
// can be passed on as +inv, as OVS does) drops datagrams still incomplete
// Timeout after their first fragment. Call it once per batch or from a
// sweeper; it is a single atomic load when nothing is due. now is monotonic
// nanoseconds (packet.Batch.Now) everywhere.
//
// # Rules (OVS 3.1's, from lib/ipf.c)
//
//   - A datagram is identified by (source, destination, IP ID, protocol,
//     zone, recirc_id, family); as in OVS the protocol is 0 for IPv6 (the
//     ID is the 32-bit Fragment header identification).
//   - A fragment other than the last (More Fragments set) whose IP packet
//     (header included) is shorter than the minimum fragment size is
//     refused and counted "too small": 1200 bytes for IPv4 and 1280 for
//     IPv6 by default, at least 400 (SetMinFrag).
//   - At most MaxFrags fragments (1000 by default, at most 5000) are held
//     at once over all datagrams; a fragment beyond that is refused, like
//     OVS, without a counter of OVS's (Stats().V4.TableFull counts it).
//   - An IPv4 datagram holds at most ceil((65535-60)/(minfrag-60))
//     fragments (58 with the default minimum); IPv6 is bounded by MaxFrags.
//   - A fragment that overlaps or duplicates a held one is refused and
//     counted "overlapped"; the held ones are kept (first wins), so a
//     teardrop or a retransmitted duplicate never mixes data.
//   - A datagram still incomplete Timeout (15 s) after its first fragment
//     expires: its fragments count as "expired", or as "purged" when Expire
//     runs PurgeDelay (10 s) later than that.
//   - A completed datagram counts each of its fragments as "completed".
//   - A datagram complete but too big once whole (more than 65535 bytes with
//     its first fragment's headers) is OVS's "reassemble fail": it keeps its
//     fragments until it expires and refuses further ones.
//
// gswitch also refuses, counting them in Stats only (OVS's status has no
// line for them): a truncated or malformed header, a bad IPv4 header
// checksum, a fragment with no data, a non-last fragment whose data is not
// a multiple of 8 bytes (RFC 791, RFC 8200), a fragment ending beyond
// 65535 bytes (ping of death), and a fragment that contradicts the
// datagram's known total length (a second, different last fragment, or
// data beyond the last fragment's end).
//
// # Memory
//
// The number of held fragments never exceeds MaxFrags; each is a copy of at
// most one frame (an IP packet of at most 65535 bytes plus its link
// header), so memory is bounded by MaxFrags frames plus one reassembly
// scratch buffer.
//
// # Thread safety and ownership
//
// A Reassembler is safe for concurrent use: a mutex guards the fragment
// lists (fragments are the slow path, as in OVS); the enabled flags and
// limits are atomics. Handle never keeps pk or its buffer: it copies the
// frame. The returned Datagram's packets are fresh heap packets owned by
// the caller (packet.Pool.Put drops them).
//
// # Status
//
// Stats and Pending report the settings, counters and incomplete datagrams;
// package ct/dpctl runs the dpctl/ipf-* commands on them with OVS 3.1's
// replies and error texts (golden files from real OVS in testdata/).
package frag
