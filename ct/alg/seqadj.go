package alg

import (
	"encoding/binary"

	"gswitch/packet"
)

// TCP sequence adjustment after payload rewrites that change a segment's
// length (Linux nf_ct_seqadj, OVS's seq_skew).

// MaxSeqAdj is how many rewrite positions SeqAdjust remembers per
// direction. Older ones are folded into a base offset: a retransmission of
// data from before the oldest remembered rewrite then gets that base
// offset (Linux remembers one position).
const MaxSeqAdj = 8

type seqEntry struct {
	pos uint32 // first sequence number (sender's space) after the rewritten text
	cum int32  // total offset for sequence numbers at or after pos
}

type seqDir struct {
	base int32 // offset before the first entry
	n    int
	e    [MaxSeqAdj]seqEntry
}

// SeqAdjust maps TCP sequence numbers of a connection whose payload was
// rewritten with length changes. For each direction it keeps the
// positions (in the sender's sequence space) after which the stream is
// shifted and the cumulative shift. The zero value is an empty adjuster.
// It is not safe for concurrent use (keep it under the connection's
// lock).
type SeqAdjust struct {
	d [2]seqDir
}

// before reports a < b in sequence space.
func before(a, b uint32) bool { return int32(a-b) < 0 }

// Record notes that the payload sent in direction dir changed length by
// delta, with the change ending just before sequence number pos (the
// sender's number of the first byte after the rewritten text; for a Match
// m: m.Seq+m.Len). Recording the same pos again (a retransmission
// rewritten again) changes nothing. Positions may come in any order
// within the remembered window; a position before the window is ignored
// (false).
func (s *SeqAdjust) Record(dir Dir, pos uint32, delta int32) bool {
	if dir > Reply {
		return false
	}
	d := &s.d[dir]
	// Find the insertion point: entries are kept in increasing pos.
	i := d.n
	for i > 0 && before(pos, d.e[i-1].pos) {
		i--
	}
	if i > 0 && d.e[i-1].pos == pos {
		return true // already recorded
	}
	if delta == 0 {
		return true
	}
	if i == 0 && d.n == MaxSeqAdj {
		return false // older than everything we remember
	}
	if d.n == MaxSeqAdj {
		// Fold the oldest entry into the base.
		d.base = d.e[0].cum
		copy(d.e[:], d.e[1:])
		d.n--
		i--
	}
	copy(d.e[i+1:d.n+1], d.e[i:d.n])
	prev := d.base
	if i > 0 {
		prev = d.e[i-1].cum
	}
	d.e[i] = seqEntry{pos: pos, cum: prev + delta}
	d.n++
	for j := i + 1; j < d.n; j++ {
		d.e[j].cum += delta
	}
	return true
}

// Active reports whether any rewrite changed a length (so packets of the
// connection need ApplyTCP).
func (s *SeqAdjust) Active() bool {
	return s.d[0].n > 0 || s.d[1].n > 0 || s.d[0].base != 0 || s.d[1].base != 0
}

// offset returns the shift of the sender-space number seq in direction
// dir.
func (d *seqDir) offset(seq uint32) int32 {
	for i := d.n - 1; i >= 0; i-- {
		if !before(seq, d.e[i].pos) {
			return d.e[i].cum
		}
	}
	return d.base
}

// Seq maps the sequence number of a segment sent in direction dir (the
// sender's number) to the number the receiver sees.
func (s *SeqAdjust) Seq(dir Dir, seq uint32) uint32 {
	if dir > Reply {
		return seq
	}
	return seq + uint32(s.d[dir].offset(seq))
}

// Ack maps an acknowledgement number (or SACK edge) carried by a segment
// sent in direction dir, which acknowledges the other direction's stream
// as its receiver saw it, back to the other side's own numbering.
func (s *SeqAdjust) Ack(dir Dir, ack uint32) uint32 {
	if dir > Reply {
		return ack
	}
	d := &s.d[dir^1]
	for i := d.n - 1; i >= 0; i-- {
		if !before(ack-uint32(d.e[i].cum), d.e[i].pos) {
			return ack - uint32(d.e[i].cum)
		}
	}
	return ack - uint32(d.base)
}

// ApplyTCP rewrites the sequence number, the acknowledgement number (with
// ACK set) and the SACK option edges of the TCP segment pk, sent in
// direction dir, and updates the TCP checksum incrementally (a partial,
// offloaded checksum is left alone: it covers only the pseudo-header).
// It reports whether pk is a parsed TCP segment it could adjust. It is
// ApplyAck and ApplySeq together; a tracker that validates TCP windows
// calls ApplyAck before its window check and ApplySeq after it, so that
// it sees the sender's own numbering (as OVS orders it).
func (s *SeqAdjust) ApplyTCP(pk *packet.Packet, dir Dir) bool { return s.apply(pk, dir, true, true) }

// ApplyAck maps the acknowledgement number and SACK edges of pk (sent in
// direction dir) back to the other side's numbering; see ApplyTCP.
func (s *SeqAdjust) ApplyAck(pk *packet.Packet, dir Dir) bool { return s.apply(pk, dir, false, true) }

// ApplySeq maps the sequence number of pk (sent in direction dir) to the
// receiver's numbering; see ApplyTCP.
func (s *SeqAdjust) ApplySeq(pk *packet.Packet, dir Dir) bool { return s.apply(pk, dir, true, false) }

func (s *SeqAdjust) apply(pk *packet.Packet, dir Dir, doSeq, doAck bool) bool {
	k := &pk.Key
	if k.Flags&packet.FlagL4 == 0 || k.NwProto() != ProtoTCP || k.NwFrag() != 0 || dir > Reply {
		return false
	}
	l4 := int(k.L4)
	if l4+20 > len(pk.Data) {
		return false
	}
	h := pk.Data[l4:]
	hl := int(h[12]>>4) * 4
	if hl < 20 || l4+hl > len(pk.Data) {
		return false
	}
	// Sum the words we may change before and after: seq and ack
	// (h[4:12]) and the options (h[20:hl]); both start on even offsets.
	s0 := packet.Sum(h[4:12], 0)
	s0 = packet.Sum(h[20:hl], s0)
	if doSeq {
		binary.BigEndian.PutUint32(h[4:], s.Seq(dir, binary.BigEndian.Uint32(h[4:])))
	}
	if doAck && h[13]&0x10 != 0 { // ACK
		binary.BigEndian.PutUint32(h[8:], s.Ack(dir, binary.BigEndian.Uint32(h[8:])))
		s.sack(h[20:hl], dir)
	}
	s1 := packet.Sum(h[4:12], 0)
	s1 = packet.Sum(h[20:hl], s1)
	if s0 != s1 {
		csOff := l4 + 16
		partial := k.Flags&packet.FlagCsumPartial != 0 && int(pk.Off.CsumStart)+int(pk.Off.CsumOffset) == csOff
		if !partial {
			c := binary.BigEndian.Uint16(h[16:])
			binary.BigEndian.PutUint16(h[16:], packet.UpdateCsum16(c, packet.Fold(s0), packet.Fold(s1)))
		}
	}
	return true
}

// sack adjusts the edges of SACK options (kind 5) in opts.
func (s *SeqAdjust) sack(opts []byte, dir Dir) {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // end of options
			return
		case 1: // no-op
			i++
			continue
		}
		if i+1 >= len(opts) {
			return
		}
		l := int(opts[i+1])
		if l < 2 || i+l > len(opts) {
			return
		}
		if opts[i] == 5 && (l-2)%8 == 0 {
			for j := i + 2; j+4 <= i+l; j += 4 {
				binary.BigEndian.PutUint32(opts[j:], s.Ack(dir, binary.BigEndian.Uint32(opts[j:])))
			}
		}
		i += l
	}
}
