// Package nat is the network address translation of gswitch's connection
// tracker: OVS's ct(commit,nat(src=...)), nat(dst=...) and bare nat, as
// Open vSwitch's userspace datapath implements them (lib/conntrack.c:
// nat_get_unique_tuple, nat_packet, nat_inner_packet).
//
// The package is a leaf: it imports only the standard library and
// gswitch/packet, so that package ct can import it. It has no state of its
// own: the tracker owns the table and the connections, and tells nat what
// is in use through a callback.
//
// # Usage (the tracker's integration)
//
// Install time: build a Range from the raw NXAST_NAT fields with FromRaw;
// its errors are OFPBAC_BAD_ARGUMENT (errors.Is(err, ErrInvalid)). A Kind
// None range is a bare nat.
//
// Tuples: Tuple is field for field ct's connKey (ICMP: the id in both
// ports, IType the source's message type), and Tuple.Reverse is ct's
// connKey.reverse.
//
// Commit of a new connection under ct(commit,nat(src|dst=...)), after the
// zone and global limits admitted it: reply, ok := Select(&r, &orig, inUse,
// seed), where inUse(t) reports whether t is a key (either direction) of a
// live connection in the table. ok false is tuple space exhaustion: OVS
// then creates no connection and the packet goes on +trk+new,
// untranslated. Otherwise the connection stores reply as its reply key
// (not orig.Reverse()) and its Kind, both keys go into the table
// atomically with a re-check (another packet may have taken reply since
// Select looked), and the packet is translated with Apply(pk, r.Kind,
// Orig, &reply); ct_state gets State(r.Kind, Orig).
//
// Later packets, through any ct action with nat (bare or not; a
// nat(src|dst=...) on an existing connection behaves as bare nat): when
// the connection has a translation and the packet does not already carry
// +snat/+dnat from this zone (OVS's handle_nat), translate it with
// Apply(pk, kind, dir, other), or ApplyRelated for an ICMP error quoting
// the connection, where dir is the packet's direction and other the
// connection's tuple of the other direction (the reply tuple for an
// original-direction packet, the original tuple for a reply), and or
// State(kind, dir) into ct_state. An error from either leaves the frame
// as it was: mark the packet +inv.
//
// Lookups of packets already translated (+snat/+dnat in the same zone):
// reverse the extracted key before the lookup, and on a hit flip the
// direction and continue with the connection's key of that direction (OVS's
// initial_conn_lookup with natted).
//
// Fragments: translate the reassembled datagram and copy its headers back
// to the fragments (ct/frag Datagram.SyncFromWhole, then packet.Parse each
// fragment), never the fragments one by one.
//
// # Behaviour
//
// Select follows OVS (see its doc for the order and the constants: hashed
// address, hashed or random port start, the 128/64/32/16/8 port walk,
// OVS's ephemeral classes when no port range is given, persistent hashing
// of the source address only). Beyond OVS it tries the next addresses of
// the range when the hashed one has no free port (MaxAddrTries, never with
// Persistent), and it translates ICMPv6 echo identifiers as OVS (since
// 2026) translates ICMPv4 ones. OVS 3.1 itself translates only TCP and UDP
// ports and ignores persistent and random.
//
// Apply and ApplyRelated rewrite with packet.SetField and incremental
// checksum updates (IPv4 header, TCP/UDP/ICMPv6 pseudo-header, UDP's "no
// checksum" 0, partial offloaded checksums, SCTP CRC); they leave the
// frame unchanged when they return an error, which the tracker turns into
// +inv.
//
// # Thread safety and allocation
//
// Every function is safe for concurrent use on distinct packets; a Range
// is read-only once built. Select, Apply and ApplyRelated allocate nothing.
package nat
