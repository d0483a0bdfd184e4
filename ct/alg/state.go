package alg

import (
	"encoding/binary"
	"errors"
)

// seqAdjustSize is the length of SeqAdjust's binary form: per direction
// the base offset, the entry count and MaxSeqAdj (pos, cum) pairs.
const seqAdjustSize = 2 * (4 + 1 + MaxSeqAdj*8)

// MarshalBinary returns the adjuster's state (a restart keeps it: the
// peers' sequence spaces stay shifted).
func (s *SeqAdjust) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, seqAdjustSize)
	for i := range s.d {
		d := &s.d[i]
		b = binary.BigEndian.AppendUint32(b, uint32(d.base))
		b = append(b, byte(d.n))
		for _, e := range d.e {
			b = binary.BigEndian.AppendUint32(b, e.pos)
			b = binary.BigEndian.AppendUint32(b, uint32(e.cum))
		}
	}
	return b, nil
}

// UnmarshalBinary restores what MarshalBinary returned.
func (s *SeqAdjust) UnmarshalBinary(b []byte) error {
	if len(b) != seqAdjustSize {
		return errors.New("alg: sequence adjustment state: bad length")
	}
	var n SeqAdjust
	for i := range n.d {
		d := &n.d[i]
		d.base = int32(binary.BigEndian.Uint32(b))
		d.n = int(b[4])
		if d.n > MaxSeqAdj {
			return errors.New("alg: sequence adjustment state: too many entries")
		}
		b = b[5:]
		for j := range d.e {
			d.e[j] = seqEntry{pos: binary.BigEndian.Uint32(b), cum: int32(binary.BigEndian.Uint32(b[4:]))}
			b = b[8:]
		}
	}
	*s = n
	return nil
}
