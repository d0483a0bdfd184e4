// Package alg holds conntrack's application-level gateways ("helpers"):
// FTP and TFTP, as OVS's lib/conntrack.c has them (ct(alg=ftp),
// ct(alg=tftp)). It is a leaf package: it knows packets and bytes, not
// the tracker; package ct calls it.
//
// # Framework
//
// A Helper (Name, Port, Proto, NewConn) is registered by name and port
// from its own file's init (ftp.go, tftp.go): a new helper is one new file
// plus its tests. The tracker finds it with Lookup("ftp") or, from a ct
// action's alg= value (the well-known port), ByPort(ProtoTCP, 21).
//
// For each control connection committed with alg=NAME the tracker keeps
// one Conn (Helper.NewConn) and calls Conn.Process with every packet of
// that connection that carries payload, in both directions, in the order
// it tracks them, before any rewrite of that packet:
//
//	in := alg.Input{Master: &m, Dir: dir, Seq: tcpSeq, Payload: l7, Now: now}
//	res.Reset()
//	conn.Process(&in, &res)
//
// Master gives the connection's original-direction tuple (before NAT) and
// reply-direction tuple (after NAT). res.Exps are new Expectations (an
// expected data connection: its protocol, zone, addresses, destination
// port, source port or 0 for any, creation time and lifetime, and the NAT
// the data connection must get); res.Invalid asks for +inv as OVS does for
// a malformed or refused command; res.Matches are the announcements a NAT
// must rewrite in this packet.
//
// # Expectations
//
// The tracker stores expectations (deduplicated by Expectation.Key; Table
// does all of this, bounded, with one atomic load per new connection while
// it is empty; Table.Find answers for an uncommitted packet, Take consumes
// at commit; the tracker stamps Expectation.Mark/LabelHi/LabelLo with the
// master's), and
// when the first packet of a new connection (zone, proto, src, dst,
// sport, dport) satisfies Expectation.Matches, it creates that connection
// as related (+rel, with the master's mark and label), applies SNATTo /
// DNATTo / DNATPort when set, and removes the expectation. Expectations
// whose Expired(now) is true are dropped by the tracker's sweep, and the
// master's expectations should go with the master.
//
// # NAT
//
// When the master is translated (Master.NATed), for each Match in the
// packet the tracker builds a Rewrite with Match.NATRewrite(seq, len,
// Master.NATAddr(dir), match.Port), applies all of a packet's rewrites
// with ApplyRewrites (payload, IP length, checksums) and records each
// length change in the connection's SeqAdjust: Record(dir,
// match.Seq+uint32(match.Len), delta). Every later packet of the
// connection (both directions) then goes through SeqAdjust.ApplyTCP,
// which shifts seq (this direction's rewrites) and ack and SACK edges
// (the other direction's), with incremental checksum updates. Order for
// one packet: ack adjustment must precede TCP window tracking and seq
// adjustment must follow it, so the tracker sees one consistent,
// unrewritten sequence space: SeqAdjust.ApplyAck before the window check,
// SeqAdjust.ApplySeq after it (the package Example walks through one
// control packet).
//
// # Safety
//
// Every parser takes arbitrary bytes without panicking. Per-connection
// state is bounded (two MaxLine line buffers and a few remembered
// matches; SeqAdjust is MaxSeqAdj entries per direction) and Process does
// not allocate unless an EPRT address is parsed. A Conn and a SeqAdjust
// are not safe for concurrent use: call them under the connection's lock.
// The registry, Table and the package counters (Counters) are safe for
// concurrent use.
package alg
