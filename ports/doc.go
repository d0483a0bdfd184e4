// Package ports is gswitch's real ports: existing kernel interfaces (a veth
// or any Ethernet netdev) through AF_PACKET sockets, and TAP devices it
// creates, both behind the Port interface; the virtio-net header codec;
// software segmentation and checksum completion for outputs that cannot take
// an offload; and a link-state watcher. ports/porttest has in-memory ports
// for tests.
//
// It imports packet, golang.org/x/sys/unix and the standard library only
// (never ct, pipeline, nxm or ofproto).
//
// # Usage
//
//	p, err := ports.OpenAFPacket("veth0")  // or ports.CreateTAP("gs0")
//	pool := packet.NewPool()
//	pkts := make([]*packet.Packet, packet.MaxBatch)
//	for i := range pkts { pkts[i] = pool.Get() }
//	for {
//		n, err := p.ReadBatch(pkts)       // blocks; net.ErrClosed after Close
//		if err != nil { return }
//		for _, pk := range pkts[:n] {
//			pk.Key.SetInPort(ofport)
//			packet.Parse(pk)          // keeps FlagCsumPartial
//		}
//		... pipeline ...; other.WriteBatch(out)
//	}
//
//	w, err := ports.Watch(func(name string, up bool) { ... PORT_STATUS ... })
//	defer w.Close()
//
// Both constructors act in the network namespace of the calling thread; the
// port stays there whichever goroutine uses it later. OpenAFPacket names
// the interface in its error when it does not exist.
//
// # Offloads
//
// With the kernel's default settings a veth hands its packet sockets TCP
// frames of up to 64 KiB (GSO) whose checksums are not computed yet
// (CHECKSUM_PARTIAL). Both port kinds therefore exchange a virtio-net
// header with the kernel (PACKET_VNET_HDR, IFF_VNET_HDR with TUNSETOFFLOAD),
// which ReadBatch turns into pk.Off:
//
//   - pk.Off.CsumStart != 0: the L4 checksum is partial. The field holds
//     the pseudo-header sum (see packet/checksum.go). ReadBatch also sets
//     packet.FlagCsumPartial in pk.Key.Flags, which packet.Parse keeps and
//     packet's rewriters (PushVLAN, PopVLAN, NAT) honour.
//   - pk.Off.GSOType != GSONone: the frame is a GSO super-frame to be cut
//     into segments of pk.Off.GSOSize payload bytes (GSOTCPv4, GSOTCPv6,
//     GSOUDPL4; the GSOECN bit may be set with the TCP ones).
//
// pk.Off is the source of truth for ports: what ports reads to decide how to
// send a frame (CsumPartial, IsGSO, HasOffload). FlagCsumPartial mirrors it
// for packet's helpers; they agree unless someone clears one of them, and
// ports does the right thing either way because it never trusts the
// offsets: on every write it finds the headers again by parsing the frame
// (Ethernet, any 802.1Q/802.1ad tags, IPv4 or IPv6 with extension headers,
// TCP/UDP/SCTP), so a VLAN pushed or popped by the pipeline, or a key that
// is stale, does not matter.
//
// WriteBatch to a port with virtio-net headers passes the offload on: it
// derives csum_start, csum_offset and hdr_len from the current headers,
// rewrites the checksum field to the pseudo-header sum of the current
// addresses and length (so NAT cannot leave a stale one), and lets the
// kernel finish the job. WriteBatch to a port without them (WithoutVnetHdr)
// segments GSO frames (Segmenter, Segment) and computes partial checksums
// in software (RecomputeOffloadChecksum). Use Segment for any other place
// that needs plain wire frames, e.g. a packet-in. Either way WriteBatch may rewrite the
// L4 checksum field of a frame with offload in place; it does not change
// pk.Off, so the frame stays correct for the next output.
//
// A socket opened WithoutVnetHdr still receives the kernel's unfinished
// frames; ReadBatch describes them from PACKET_AUXDATA's
// TP_STATUS_CSUMNOTREADY (partial checksum at the parsed L4 header; a TCP
// frame longer than the MTU is taken as GSO cut at the MTU). That is a
// fallback: keep virtio-net headers on.
//
// An AF_PACKET socket receives frames without the VLAN tag the kernel moved
// into skb metadata (VLAN acceleration, or skb_vlan_untag on receive);
// ReadBatch puts the tag back from PACKET_AUXDATA so the pipeline sees the
// frame as it was on the wire.
//
// # Packet rings
//
// An AF_PACKET port moves frames either with recvmmsg/sendmmsg or through
// PACKET_MMAP rings (ring_linux.go), chosen with WithIO: IOMmsg, IORing
// (the ring or an error), or IOAuto (the default), which takes the faster
// of the two as measured (see README's Performance: recvmmsg/sendmmsg on
// veths) and, where that is the ring and the ring cannot be set up, logs
// one line naming the port and the reason (through WithLogf) and uses
// recvmmsg/sendmmsg. IOOf and KindOf say which a port uses.
//
// The rings are TPACKET_V2 both ways, of slots of 68 KiB, so that every
// slot holds a 64 KiB GSO super-frame with its virtio-net header: 480 to
// receive (32 MiB, room for bursts of small frames) and 120 to transmit (8
// MiB) per port (WithRingFrames). (TPACKET_V3's receive blocks are handed over only
// when full or after a timer of at least a millisecond, too slow for
// request/response traffic.) ReadBatch copies each frame out of its slot
// into the caller's buffer and gives the slot back at once, so the packets
// it returns own their bytes; a frame the kernel had to cut to the slot
// (over 64 KiB) is dropped, counted (rx_truncated) and logged. When the
// ring is empty it watches it for a few microseconds, then sleeps in
// poll(2) on the receive loop's thread (LockRxThread; fdWaiter, which Close
// wakes): the socket is not in Go's netpoller. A deleted interface ends
// it with ErrDeviceGone, as for recvmmsg. WriteBatch copies
// each frame with its virtio-net header into a transmit slot and kicks the
// batch with one send(MSG_DONTWAIT); it never waits: when the next slot is
// still being sent by the kernel, or the kernel takes only part of the
// batch, the rest is dropped and counted. A frame the kernel refuses is
// skipped (PACKET_LOSS) and counted as tx_error.
//
// # Concurrency and ownership
//
// One goroutine at a time calls ReadBatch or ReadNow on a port; any number may call
// WriteBatch (it serializes them). ReadBatch fills the caller's packets and
// may reorder them within the slice. WriteBatch keeps no packet past the
// call (frames are sent, or copied for segmentation, before it returns). It
// never waits: when the output is full (EAGAIN, ENOBUFS) the rest of the
// batch is dropped and counted (DropTxFull), so a receive loop that writes
// to a slow port is not held by it. Close unblocks a pending ReadBatch,
// which then returns net.ErrClosed, as do later calls.
//
// # No netpoller
//
// No port's descriptor is in Go's netpoller (the os.File around it is made
// from a blocking descriptor, so it is not pollable, and is kept only for its
// reference count: the kernel descriptor is closed when the last call in
// flight returns). ReadBatch reads without waiting (recvmmsg with
// MSG_DONTWAIT; on a TAP, one read(2) per frame until EAGAIN or the batch
// is full) and only when nothing is there waits in poll(2) on the calling
// thread, woken by Close through an eventfd (fdWaiter, rxwait_linux.go).
// So no goroutine parks in epoll for a batch, and the kernel raises no
// EPOLLOUT edge for every frame sent (docs/bench/PROFILE.md, R2). A receive
// loop calls LockRxThread first (datapath's rxLoop does): it keeps one OS
// thread, and a blocked poll(2) hands the thread's P to other goroutines as
// any blocking syscall does. When the port's interface is deleted (or
// leaves the namespace), ReadBatch returns ErrDeviceGone from then on, so
// the loop can end; a link that only goes down is waited through.
//
// # One wait for several ports
//
// A receive loop may instead wait for several ports at once: RxSet is an
// epoll set of our own (level triggered, EPOLLIN only, so still no EPOLLOUT
// edges) of Pollable ports (AF_PACKET, ring and TAP ports are) plus an
// eventfd that Close signals. Its one goroutine, on its own locked thread,
// calls Wait, then ReadNow on each port it reported: ReadBatch without the
// wait (recvmmsg or readv until EAGAIN, or the ring's slots the kernel has
// handed over). A member whose link went down or whose socket reported an
// error is also reported every RxRecheck, so that ReadNow can tell a
// deleted interface (ErrDeviceGone) from one that is only down. A port
// leaves the set (Remove) before it is closed. datapath's bridges read all
// their ports this way, one thread per bridge: a frame that arrives on one
// port while the thread is busy with another (the reply to the request
// it is forwarding) costs no wake-up, where a thread per port asleep in
// poll(2) had to be woken for it, often on another CPU (docs/bench/RESULTS.md,
// "Receive latency (session 9)").
//
// # Counters
//
// Stats has packets, bytes, errors and a counter per DropReason; each drop
// is counted exactly once under one reason. Counters are atomics.
//
// # Tests
//
// Unit tests need no privileges. TestPrivileged* tests run only with
// GSWITCH_PRIV=1 as root: they make network namespaces holding veths and
// TAPs (named gpt*, or with the prefix each test file names), move real
// TCP traffic through a small Go bridge of two ports with the kernel's
// default offloads, in each I/O mode (TestPrivilegedTCPThroughBridge/mmsg,
// /ring), and delete everything they made.
package ports
