// Package packet is gswitch's foundation: pooled packet buffers, the
// fixed-size flow key, the field registry, the one allocation-free parser,
// Internet checksums and the header rewriting helpers that keep frame, key
// and checksums consistent.
//
// It imports only the standard library (a deps test enforces it); gopacket
// is used only by its tests and by the test helper package packet/pkttest.
//
// # Usage
//
// A port fills a pooled Packet and parses it once:
//
//	pk := pool.Get()
//	n, _ := readFrame(pk.RxSpace())
//	pk.SetLen(n)
//	pk.Key.SetInPort(ofport)          // metadata words: the caller's
//	if vnetHdr.NeedsCsum {            // virtio-net offload, if any
//		pk.Key.Flags |= packet.FlagCsumPartial
//		pk.Off.CsumStart, pk.Off.CsumOffset = start, offset
//	}
//	packet.Parse(pk)                  // header words, offsets, flags
//
// The pipeline matches on pk.Key.W and rewrites with the methods of Packet:
//
//	pk.SetField(packet.FieldIPv4Src, packet.U128{Lo: addr}, packet.Ones(32)) // false: header absent, skip
//	pk.PushVLAN(packet.EthTypeVLAN, 0)
//	pk.PopVLAN()
//	if !pk.DecTTL() { /* TTL ran out: do not forward (OFPR_INVALID_TTL) */ }
//
// An output that cannot take a checksum offload calls ports.RecomputeOffloadChecksum(pk)
// before sending; ct may check L4ChecksumOK. Checksum helpers (Sum,
// Checksum, PseudoSum4/6, UpdateCsum16/32/128, AdjustSum16/32/128) serve
// code that edits bytes itself, e.g. NAT of the packet quoted in an ICMP
// error. checksum.go documents the partial-checksum (CHECKSUM_PARTIAL) rule.
//
// # The key
//
// Key is pointer-free and comparable: W (Words, NumWords uint64) holds every
// matchable field at the place the Fields registry gives, L3/L4/L7 are
// offsets into pk.Data and Flags records facts about the parse. W0..W19
// are metadata (in_port, recirc_id, metadata, registers, pkt_mark, ct_*,
// conj_id) that only their owners write, as are the tunnel words W34..W40
// and W41..W43 (actset_output, dp_hash, packet_type, the ERSPAN and GTP-U
// tunnel fields); Parse never touches them. W20..W33
// are header words that Parse recomputes from the frame, and that SetField,
// PushVLAN, PopVLAN, DecTTL and SetTTL keep equal to what Parse would give.
// Writing header words directly (Words.Set) changes only the key.
//
// # Ownership
//
//   - A Packet belongs to one goroutine at a time: the port goroutine that
//     received it, then the pipeline running the batch to completion on that
//     same goroutine, then the outputs. None of its methods are safe for
//     concurrent use; different packets may be used concurrently.
//   - The receive loop that took a packet from a Pool returns it with
//     Pool.Put once the batch is done. Nobody may keep a *Packet, pk.Data or
//     a sub-slice of it past its batch: code that needs the bytes later
//     (ct's fragment queues, packet-in, the ct(table=N) fork) copies them
//     (Clone, CopyFrom or append).
//   - pk.Data may move inside the buffer (PushVLAN and PopVLAN use the
//     headroom): re-read pk.Data after any call that changes the length.
//   - pk.Conn and pk.ConnGen belong to ct.
//   - Key, U128 and Offload are values: copy them freely. Fields is a
//     read-only table after package initialization.
//
// # Hot-path rules
//
//   - Nothing here allocates per packet: Parse, SetField, PushVLAN,
//     PopVLAN, DecTTL, SetTTL, DecNSHTTL, the checksum functions and CompletePartialChecksum are
//     covered by zero-allocation tests.
//   - Parse never fails and never panics: malformed or truncated input sets
//     FlagMalformed and parsing stops at that header; callers treat it as a
//     packet that matches only what was parsed.
//   - Rewrites never fail silently: they return false and change nothing
//     when the header is missing or the buffer has no room.
//   - No time, no locks, no logging per packet.
package packet
