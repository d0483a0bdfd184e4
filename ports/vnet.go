package ports

import (
	"encoding/binary"
	"errors"
	"fmt"

	"gswitch/packet"
)

// VnetHdrLen is the size of struct virtio_net_hdr, the header that
// PACKET_VNET_HDR sockets and IFF_VNET_HDR TAPs put before every frame.
const VnetHdrLen = 10

// virtio_net_hdr flags and GSO types (include/uapi/linux/virtio_net.h).
const (
	VnetFlagNeedsCsum = 0x01 // the L4 checksum is partial: complete from CsumStart
	VnetFlagDataValid = 0x02 // the checksum was verified (receive only)

	GSONone  = 0x00
	GSOTCPv4 = 0x01
	GSOUDP   = 0x03 // UFO: IP fragmentation of one datagram (not produced nor handled here)
	GSOTCPv6 = 0x04
	GSOUDPL4 = 0x05 // UDP segmentation: one datagram per GSOSize bytes of payload
	GSOECN   = 0x80 // with TCPv4/TCPv6: the TCP header carries CWR
)

// VnetHdr is a decoded struct virtio_net_hdr:
//
//	 0      1        2         4          6            8             10
//	+-------+--------+---------+----------+------------+-------------+
//	| flags |gso_type| hdr_len | gso_size | csum_start | csum_offset |
//	+-------+--------+---------+----------+------------+-------------+
//
// The 16-bit fields are in the host's byte order: the kernel uses the
// virtio "native" (legacy) byte order for both AF_PACKET and TAP unless
// TUNSETVNETLE/BE is used, which gswitch does not.
type VnetHdr struct {
	Flags      uint8
	GSOType    uint8
	HdrLen     uint16
	GSOSize    uint16
	CsumStart  uint16
	CsumOffset uint16
}

// ErrShortVnetHdr is returned when fewer than VnetHdrLen bytes are given.
var ErrShortVnetHdr = errors.New("ports: short virtio-net header")

// Decode reads a header from b.
func (h *VnetHdr) Decode(b []byte) error {
	if len(b) < VnetHdrLen {
		return ErrShortVnetHdr
	}
	ne := binary.NativeEndian
	h.Flags = b[0]
	h.GSOType = b[1]
	h.HdrLen = ne.Uint16(b[2:])
	h.GSOSize = ne.Uint16(b[4:])
	h.CsumStart = ne.Uint16(b[6:])
	h.CsumOffset = ne.Uint16(b[8:])
	return nil
}

// Encode writes the header into b[:VnetHdrLen]; b must be that long.
func (h *VnetHdr) Encode(b []byte) {
	_ = b[VnetHdrLen-1]
	ne := binary.NativeEndian
	b[0] = h.Flags
	b[1] = h.GSOType
	ne.PutUint16(b[2:], h.HdrLen)
	ne.PutUint16(b[4:], h.GSOSize)
	ne.PutUint16(b[6:], h.CsumStart)
	ne.PutUint16(b[8:], h.CsumOffset)
}

// Offload converts a header received with a frame of frameLen bytes into the
// packet's offload description, checking it against the frame. The rules,
// which every package reading pk.Off relies on:
//
//   - Off.CsumStart != 0 means the L4 checksum is partial (NEEDS_CSUM):
//     the checksum field at CsumStart+CsumOffset holds the pseudo-header sum
//     and the rest is to be summed from CsumStart to the end of the L4 data.
//     (A checksum cannot start at offset 0 of an Ethernet frame.)
//   - Off.GSOType != GSONone means the frame is a GSO super-frame to be cut
//     into segments of GSOSize payload bytes; it is then always partial.
//   - The ECN bit stays in GSOType.
func (h *VnetHdr) Offload(frameLen int) (packet.Offload, error) {
	var o packet.Offload
	if h.Flags&VnetFlagNeedsCsum != 0 {
		if h.CsumStart == 0 || int(h.CsumStart)+int(h.CsumOffset)+2 > frameLen {
			return o, fmt.Errorf("ports: virtio-net header: checksum at %d+%d outside a %d-byte frame",
				h.CsumStart, h.CsumOffset, frameLen)
		}
		o.CsumStart, o.CsumOffset = h.CsumStart, h.CsumOffset
	}
	switch h.GSOType &^ GSOECN {
	case GSONone:
		if h.GSOType != GSONone {
			return packet.Offload{}, errors.New("ports: virtio-net header: ECN without GSO")
		}
		return o, nil
	case GSOTCPv4, GSOTCPv6, GSOUDPL4:
	default:
		return packet.Offload{}, fmt.Errorf("ports: virtio-net header: unsupported GSO type %#x", h.GSOType)
	}
	if h.GSOSize == 0 {
		return packet.Offload{}, errors.New("ports: virtio-net header: GSO with size 0")
	}
	if o.CsumStart == 0 {
		return packet.Offload{}, errors.New("ports: virtio-net header: GSO without partial checksum")
	}
	o.GSOType, o.GSOSize, o.HdrLen = h.GSOType, h.GSOSize, h.HdrLen
	return o, nil
}

// CsumPartial reports whether o says the frame's L4 checksum is partial.
func CsumPartial(o *packet.Offload) bool { return o.CsumStart != 0 }

// IsGSO reports whether o says the frame is a GSO super-frame.
func IsGSO(o *packet.Offload) bool { return o.GSOType&^GSOECN != GSONone }

// HasOffload reports whether the frame needs any work before it is a plain
// wire frame (a partial checksum or segmentation).
func HasOffload(o *packet.Offload) bool { return o.CsumStart != 0 || o.GSOType != GSONone }
