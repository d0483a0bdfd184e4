package ofproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// OpenFlow versions gswitch speaks.
const (
	Version10 = 0x01
	Version13 = 0x04
	Version14 = 0x05
	Version15 = 0x06
)

// HeaderLen is the length of struct ofp_header.
const HeaderLen = 8

// MaxMessageLen is the largest OpenFlow message (the 16-bit length field).
const MaxMessageLen = 0xffff

// Message types shared by OpenFlow 1.0 and 1.3 (same numbers).
const (
	TypeHello          = 0
	TypeError          = 1
	TypeEchoRequest    = 2
	TypeEchoReply      = 3
	TypeVendor         = 4 // OF1.0 OFPT_VENDOR, OF1.3 OFPT_EXPERIMENTER
	TypeFeaturesReq    = 5
	TypeFeaturesReply  = 6
	TypeGetConfigReq   = 7
	TypeGetConfigReply = 8
	TypeSetConfig      = 9
	TypePacketIn       = 10
	TypeFlowRemoved    = 11
	TypePortStatus     = 12
	TypePacketOut      = 13
	TypeFlowMod        = 14
)

// OpenFlow 1.0 message types that differ from 1.3.
const (
	Type10PortMod        = 15
	Type10StatsRequest   = 16
	Type10StatsReply     = 17
	Type10BarrierRequest = 18
	Type10BarrierReply   = 19
	Type10QueueGetConfig = 20
	Type10QueueGetReply  = 21
)

// OpenFlow 1.3 message types from 15 on.
const (
	Type13GroupMod         = 15
	Type13PortMod          = 16
	Type13TableMod         = 17
	Type13MultipartRequest = 18
	Type13MultipartReply   = 19
	Type13BarrierRequest   = 20
	Type13BarrierReply     = 21
	Type13QueueGetConfig   = 22
	Type13QueueGetReply    = 23
	Type13RoleRequest      = 24
	Type13RoleReply        = 25
	Type13GetAsyncRequest  = 26
	Type13GetAsyncReply    = 27
	Type13SetAsync         = 28
	Type13MeterMod         = 29

	// OpenFlow 1.4+ message types.
	Type14BundleControl    = 33
	Type14BundleAddMessage = 34
)

// Multipart (stats) types. OpenFlow 1.0 uses 0-5 and 0xffff.
const (
	MPDesc          = 0
	MPFlow          = 1
	MPAggregate     = 2
	MPTable         = 3
	MPPortStats     = 4
	MPQueue         = 5
	MPGroup         = 6
	MPGroupDesc     = 7
	MPGroupFeatures = 8
	MPMeter         = 9
	MPMeterConfig   = 10
	MPMeterFeatures = 11
	MPTableFeatures = 12
	MPPortDesc      = 13
	MPTableDesc     = 14 // OpenFlow 1.4+
	MPExperimenter  = 0xffff
)

// Multipart flags.
const mpMore = 1

// Nicira message subtypes (NXT_*).
const (
	NXTRoleRequest         = 10
	NXTRoleReply           = 11
	NXTSetFlowFormat       = 12
	NXTFlowMod             = 13
	NXTFlowRemoved         = 14
	NXTFlowModTableID      = 15
	NXTSetPacketInFormat   = 16
	NXTPacketIn            = 17
	NXTFlowAge             = 18
	NXTSetAsyncConfig      = 19
	NXTSetControllerID     = 20
	NXTTLVTableMod         = 24
	NXTTLVTableRequest     = 25
	NXTTLVTableReply       = 26
	NXTResume              = 28
	NXTCtFlushZone         = 29
	NXTPacketIn2           = 30
	NXTGroupMod            = 31
	NXTCtFlush             = 32
	NXTSetAsyncConfig2     = 27 // NXT 1.0-1.3 (27): property-based async config
	NXSTFlow               = 0
	NXSTAggregate          = 1
	NXSTFlowMonitor        = 2
	ONFTBundleControl      = 2300
	ONFTBundleAddMessage   = 2301
	nxFlowFormatOpenFlow10 = 0
	nxFlowFormatNXM        = 2
	nxPacketInStd          = 0
	nxPacketInNXT          = 1
	nxPacketInNXT2         = 2
)

// Header is struct ofp_header.
type Header struct {
	Version uint8
	Type    uint8
	Length  uint16
	Xid     uint32
}

// ParseHeader decodes the first 8 bytes of b.
func ParseHeader(b []byte) Header {
	return Header{b[0], b[1], binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:])}
}

// Framing errors.
var (
	ErrShortLength = errors.New("ofproto: message length under 8")
	ErrTooLong     = errors.New("ofproto: message length over the maximum")
)

// ReadMessage reads one OpenFlow message from r. It reads the 8-byte header
// with io.ReadFull, checks the length field (at least 8, at most max) before
// allocating, then reads the body. The returned slice holds the whole message.
// A length error (ErrShortLength, ErrTooLong) is returned together with the
// 8 header bytes, which are all that was consumed: the caller answers it and
// either resynchronises (conn.badFraming takes a length under 8 to cover the
// header alone and discards an oversized body) or closes the stream.
func ReadMessage(r io.Reader, max int) ([]byte, error) {
	var hdr [HeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[2:]))
	if n < HeaderLen {
		return hdr[:], fmt.Errorf("%w (%d)", ErrShortLength, n)
	}
	if max <= 0 || max > MaxMessageLen {
		max = MaxMessageLen
	}
	if n > max {
		return hdr[:], fmt.Errorf("%w (%d > %d)", ErrTooLong, n, max)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[HeaderLen:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}

// msg builds one outgoing message, or a part of one (an entry of a
// multipart reply) when made as &msg{}. done() writes the length field.
type msg struct{ b []byte }

func newMsg(version, typ uint8, xid uint32, sizeHint int) *msg {
	m := &msg{b: make([]byte, HeaderLen, HeaderLen+sizeHint)}
	m.b[0], m.b[1] = version, typ
	binary.BigEndian.PutUint32(m.b[4:], xid)
	return m
}

func (m *msg) u8(v uint8) *msg   { m.b = append(m.b, v); return m }
func (m *msg) u16(v uint16) *msg { m.b = binary.BigEndian.AppendUint16(m.b, v); return m }
func (m *msg) u32(v uint32) *msg { m.b = binary.BigEndian.AppendUint32(m.b, v); return m }
func (m *msg) u64(v uint64) *msg { m.b = binary.BigEndian.AppendUint64(m.b, v); return m }
func (m *msg) zeros(n int) *msg {
	for i := 0; i < n; i++ {
		m.b = append(m.b, 0)
	}
	return m
}
func (m *msg) bytes(p []byte) *msg { m.b = append(m.b, p...); return m }

// str appends s as a fixed-size, NUL-padded field of n bytes (truncated to
// n-1 bytes so it stays NUL-terminated).
func (m *msg) str(s string, n int) *msg {
	if len(s) > n-1 {
		s = s[:n-1]
	}
	m.b = append(m.b, s...)
	return m.zeros(n - len(s))
}

// pad8 pads the message to a multiple of 8 bytes from offset start.
func (m *msg) pad8(start int) *msg {
	for (len(m.b)-start)%8 != 0 {
		m.b = append(m.b, 0)
	}
	return m
}

func (m *msg) len() int { return len(m.b) }

func (m *msg) put16(off int, v uint16) { binary.BigEndian.PutUint16(m.b[off:], v) }
func (m *msg) put32(off int, v uint32) { binary.BigEndian.PutUint32(m.b[off:], v) }

// done sets the length field and returns the bytes.
func (m *msg) done() []byte {
	binary.BigEndian.PutUint16(m.b[2:], uint16(len(m.b)))
	return m.b
}

// reader is a sticky-error cursor over a message body.
type reader struct {
	b   []byte
	off int
	err bool
}

func (r *reader) need(n int) bool {
	if r.err || n < 0 || r.off+n > len(r.b) {
		r.err = true
		return false
	}
	return true
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) skip(n int) {
	if r.need(n) {
		r.off += n
	}
}

func (r *reader) take(n int) []byte {
	if !r.need(n) {
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *reader) rest() []byte {
	if r.err {
		return nil
	}
	v := r.b[r.off:]
	r.off = len(r.b)
	return v
}

func (r *reader) left() int {
	if r.err {
		return 0
	}
	return len(r.b) - r.off
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func pad8(n int) int { return (n + 7) &^ 7 }
