package alg

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
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

// ftpStreamState is ftpStream's saved form.
type ftpStreamState struct {
	Started, Skip bool
	Next, LineSeq uint32
	Line          []byte
	Hist          []Match
	HNext         int
}

// MarshalBinary returns the helper's state: per direction where the
// stream is, the command line received so far and the recent
// announcements (a restart keeps them).
func (c *FTPConn) MarshalBinary() ([]byte, error) {
	var ss [2]ftpStreamState
	for i := range c.s {
		st := &c.s[i]
		ss[i] = ftpStreamState{Started: st.started, Skip: st.skip, Next: st.next, LineSeq: st.lineSeq,
			Line: st.line[:st.n], Hist: st.hist[:st.nhist], HNext: st.hnext}
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&ss); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalBinary restores what MarshalBinary returned.
func (c *FTPConn) UnmarshalBinary(b []byte) error {
	var ss [2]ftpStreamState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&ss); err != nil {
		return fmt.Errorf("alg: ftp state: %w", err)
	}
	var n FTPConn
	for i := range ss {
		s, st := &ss[i], &n.s[i]
		if len(s.Line) > MaxLine || len(s.Hist) > histLen || s.HNext < 0 || s.HNext >= histLen {
			return errors.New("alg: ftp state out of bounds")
		}
		st.started, st.skip, st.next, st.lineSeq = s.Started, s.Skip, s.Next, s.LineSeq
		st.n = copy(st.line[:], s.Line)
		st.nhist = copy(st.hist[:], s.Hist)
		st.hnext = s.HNext
	}
	*c = n
	return nil
}
