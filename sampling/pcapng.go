package sampling

import (
	"encoding/binary"
	"errors"
	"io"
	"time"
)

// The pcapng blocks and options written here (draft-ietf-opsawg-pcapng):
// gopacket's pcapgo.NgWriter writes no per-packet options, so this small
// writer does: a Section Header Block, one Interface Description Block
// per bridge (if_name, nanosecond timestamps) and Enhanced Packet Blocks
// with opt_comment and epb_flags (the direction of an ingress or egress
// sample). Little-endian, as the byte-order magic says.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockEPB = 0x00000006

	optEnd     = 0
	optComment = 1
	optIfName  = 2
	optTSResol = 9
	optEPBFlag = 2

	linkEthernet = 1

	// EPB flags: inbound and outbound (bits 0-1).
	flagInbound  = 1
	flagOutbound = 2
)

var le = binary.LittleEndian

// PcapngWriter writes one pcapng section: the header, then interfaces
// and packets as they come.
type PcapngWriter struct {
	w    io.Writer
	buf  []byte
	ifs  map[string]uint32
	size int64 // bytes written
}

// NewPcapngWriter writes the section header block to w.
func NewPcapngWriter(w io.Writer) (*PcapngWriter, error) {
	p := &PcapngWriter{w: w, ifs: map[string]uint32{}}
	b := p.begin(blockSHB)
	b = le.AppendUint32(b, 0x1A2B3C4D)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0)) // section length not given
	b = appendOpt(b, optEnd, nil)
	return p, p.end(b)
}

// Size is how many bytes the writer has written.
func (p *PcapngWriter) Size() int64 { return p.size }

func (p *PcapngWriter) begin(typ uint32) []byte {
	b := p.buf[:0]
	b = le.AppendUint32(b, typ)
	return le.AppendUint32(b, 0) // length, set by end
}

func (p *PcapngWriter) end(b []byte) error {
	n := uint32(len(b) + 4)
	le.PutUint32(b[4:], n)
	b = le.AppendUint32(b, n)
	p.buf = b
	k, err := p.w.Write(b)
	p.size += int64(k)
	return err
}

// appendOpt appends one option, its value padded to 4 bytes. optEnd
// ends a list.
func appendOpt(b []byte, code uint16, v []byte) []byte {
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for pad := (4 - len(v)%4) % 4; pad > 0; pad-- {
		b = append(b, 0)
	}
	return b
}

// Interface returns the interface id for name, writing its description
// block the first time.
func (p *PcapngWriter) Interface(name string) (uint32, error) {
	if id, ok := p.ifs[name]; ok {
		return id, nil
	}
	id := uint32(len(p.ifs))
	b := p.begin(blockIDB)
	b = le.AppendUint16(b, linkEthernet)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, MaxSnap)
	b = appendOpt(b, optIfName, []byte(name))
	b = appendOpt(b, optTSResol, []byte{9}) // 10^-9 s
	b = appendOpt(b, optEnd, nil)
	if err := p.end(b); err != nil {
		return 0, err
	}
	p.ifs[name] = id
	return id, nil
}

// errTooLong: a comment pcapng cannot hold in one option.
var errTooLong = errors.New("pcapng: option longer than 65535 bytes")

// Packet writes one enhanced packet block: data (origLen bytes on the
// wire) seen at t on interface ifID, with a comment (none when empty)
// and a direction: 0, flagInbound or flagOutbound.
func (p *PcapngWriter) Packet(ifID uint32, t time.Time, data []byte, origLen int, comment string, dir uint32) error {
	if len(comment) > 0xffff {
		return errTooLong
	}
	ns := uint64(t.UnixNano())
	b := p.begin(blockEPB)
	b = le.AppendUint32(b, ifID)
	b = le.AppendUint32(b, uint32(ns>>32))
	b = le.AppendUint32(b, uint32(ns))
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint32(b, uint32(origLen))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	if comment != "" {
		b = appendOpt(b, optComment, []byte(comment))
	}
	if dir != 0 {
		b = appendOpt(b, optEPBFlag, le.AppendUint32(nil, dir))
	}
	b = appendOpt(b, optEnd, nil)
	return p.end(b)
}
