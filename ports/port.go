package ports

import (
	"net"
	"sync/atomic"

	"gswitch/packet"
)

// HWAddrSetter is a Port whose Ethernet address the switch may set (a TAP
// device it created: OVS's internal ports, the bridge's LOCAL port).
type HWAddrSetter interface {
	SetHWAddr(mac net.HardwareAddr) error
}

// Port is one of the switch's real ports: a frame source and sink.
//
// ReadBatch is called by one goroutine at a time (the port's receive
// goroutine); WriteBatch may be called by several goroutines at once (every
// port's receive goroutine outputs to every port). Name, HWAddr, MTU, LinkUp
// and Stats may be called at any time from any goroutine.
type Port interface {
	// Name is the kernel interface name (for a TAP, the name the kernel gave).
	Name() string
	// HWAddr is the interface's current Ethernet address.
	HWAddr() net.HardwareAddr
	// MTU is the interface's current MTU (L3 bytes, without the L2 header).
	MTU() int
	// LinkUp reports the interface's state: administratively up and
	// operationally running (carrier).
	LinkUp() bool
	// ReadBatch blocks until at least one frame is available, then fills
	// pkts[0:n] with up to len(pkts) frames: pk.Data via RxSpace/SetLen and
	// pk.Off from the virtio-net header (zero when the frame is complete).
	// It may reorder the packets inside pkts (a frame it drops leaves its
	// buffer past n, with at most its bytes and Data changed: its Key, Off
	// and Conn stay as they were). After Close it returns net.ErrClosed.
	ReadBatch(pkts []*packet.Packet) (int, error)
	// WriteBatch sends every frame of pkts, honouring pk.Off: a port that
	// takes virtio-net headers passes the offload to the kernel, one that
	// does not segments and checksums in software. It never keeps a packet
	// past the call, but it may rewrite the L4 checksum field of a frame
	// with offload in place (see doc.go). A frame that cannot be sent is
	// dropped and counted; the error is only for a closed port.
	WriteBatch(pkts []*packet.Packet) error
	// Stats returns a snapshot of the port's counters.
	Stats() Stats
	// Close releases the port and unblocks ReadBatch. It is idempotent.
	Close() error
}

// DropReason says why a frame was dropped. Each has its own counter.
type DropReason uint8

const (
	// DropRxTruncated: a received frame was larger than the buffer.
	DropRxTruncated DropReason = iota
	// DropRxBadVnetHdr: the kernel's virtio-net header was inconsistent with
	// the frame (checksum start past the end, unknown GSO type).
	DropRxBadVnetHdr
	// DropTxOffload: a frame's GSO or partial checksum could not be honoured
	// (headers not parseable as IPv4/IPv6 TCP/UDP, unsupported GSO type).
	DropTxOffload
	// DropTxTooBig: the kernel refused the frame's size (EMSGSIZE).
	DropTxTooBig
	// DropTxError: the kernel refused the frame for another reason
	// (interface down, no buffer, invalid header).
	DropTxError
	// DropTxFull: the output was full (the kernel said EAGAIN or ENOBUFS:
	// the socket's send buffer or the device's queue); the rest of the
	// batch was dropped at once, never waited for, as OVS's
	// netdev_linux_send drops what sendmmsg did not take.
	DropTxFull
	// DropTxQueueFull: a queue in memory was full: an in-memory port's, or
	// the datapath's output queue for the port (datapath.MaxQueue).
	DropTxQueueFull
	// DropTxDown: the interface is down (a TAP answers EIO): an expected
	// drop, not an error, and not a fault to warn about, as OVS 3.1 counts
	// an internal port nobody brought up.
	DropTxDown
	// NumDropReasons is the number of drop reasons.
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	DropRxTruncated:  "rx_truncated",
	DropRxBadVnetHdr: "rx_bad_vnet_hdr",
	DropTxOffload:    "tx_offload",
	DropTxTooBig:     "tx_too_big",
	DropTxError:      "tx_error",
	DropTxFull:       "tx_full",
	DropTxQueueFull:  "tx_queue_full",
	DropTxDown:       "tx_down",
}

// String returns the reason's counter name, e.g. "rx_truncated".
func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return "unknown"
}

// Rx reports whether r counts against the receive side.
func (r DropReason) Rx() bool { return r <= DropRxBadVnetHdr }

// Stats is a snapshot of a port's counters. Packets and bytes count frames as
// they crossed the port (a GSO frame counts once on receive; a frame segmented
// in software counts each segment on transmit).
type Stats struct {
	RxPackets, RxBytes uint64
	TxPackets, TxBytes uint64
	RxDrops, TxDrops   uint64 // sums of the Drops of each side
	RxErrors, TxErrors uint64 // syscall failures
	// Drops counts each drop by its reason (index by DropReason).
	Drops [NumDropReasons]uint64
	// TxSegmented counts GSO frames segmented in software; TxCsumFinished
	// counts partial checksums completed in software.
	TxSegmented, TxCsumFinished uint64
}

// Counters are a port's live counters, updated with atomics. Implementations
// of Port outside this package (ports/porttest) embed one.
type Counters struct {
	rxPackets, rxBytes         atomic.Uint64
	txPackets, txBytes         atomic.Uint64
	rxErrors, txErrors         atomic.Uint64
	txSegmented, txCsumFinishd atomic.Uint64
	drops                      [NumDropReasons]atomic.Uint64
}

// Rx counts n received frames of b bytes in all.
func (c *Counters) Rx(n, b int) { c.rxPackets.Add(uint64(n)); c.rxBytes.Add(uint64(b)) }

// Tx counts n sent frames of b bytes in all.
func (c *Counters) Tx(n, b int) { c.txPackets.Add(uint64(n)); c.txBytes.Add(uint64(b)) }

// Drop counts n drops for reason r.
func (c *Counters) Drop(r DropReason, n int) { c.drops[r].Add(uint64(n)) }

// RxError counts a failed receive call.
func (c *Counters) RxError() { c.rxErrors.Add(1) }

// TxError counts a failed send call.
func (c *Counters) TxError() { c.txErrors.Add(1) }

// Segmented counts a frame segmented in software.
func (c *Counters) Segmented() { c.txSegmented.Add(1) }

// CsumFinished counts a checksum completed in software.
func (c *Counters) CsumFinished() { c.txCsumFinishd.Add(1) }

// Snapshot reads the counters.
func (c *Counters) Snapshot() Stats {
	s := Stats{
		RxPackets:      c.rxPackets.Load(),
		RxBytes:        c.rxBytes.Load(),
		TxPackets:      c.txPackets.Load(),
		TxBytes:        c.txBytes.Load(),
		RxErrors:       c.rxErrors.Load(),
		TxErrors:       c.txErrors.Load(),
		TxSegmented:    c.txSegmented.Load(),
		TxCsumFinished: c.txCsumFinishd.Load(),
	}
	for r := DropReason(0); r < NumDropReasons; r++ {
		v := c.drops[r].Load()
		s.Drops[r] = v
		if r.Rx() {
			s.RxDrops += v
		} else {
			s.TxDrops += v
		}
	}
	return s
}
