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
// # Usage
//
// At install time, build a Range from the raw NXAST_NAT fields (FromRaw;
// its errors are OFPBAC_BAD_ARGUMENT, errors.Is(err, ErrInvalid)).
//
// When a packet creates a connection under ct(commit,nat(src|dst=...)),
// call Select with the original tuple: it returns the reply tuple, unique
// in the table, which the tracker inserts as the connection's reply key
// (instead of the plain reverse of the original key). Then translate the
// packet with Apply(pk, r.Kind, Orig, &reply).
//
// Every later packet of a NATed connection that passes a ct action with
// nat (bare or not) is translated with Apply (or ApplyRelated for an ICMP
// error quoting the connection) with its direction and the connection's
// tuple of the other direction; the tracker ors State(kind, dir) into
// ct_state. A packet that already has +snat or +dnat from the same zone is
// not translated again (OVS's handle_nat).
//
// Fragments: translate the reassembled datagram and copy its headers back
// to the fragments (ct/frag Datagram.SyncFromWhole), never the fragments
// one by one.
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
