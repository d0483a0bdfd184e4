package ports

import (
	"errors"
	"fmt"
	"log"

	"golang.org/x/sys/unix"
)

// OpenAFPacket opens an existing kernel interface (a veth or any Ethernet
// netdev) of the current network namespace as a port, through an AF_PACKET
// socket bound to it: promiscuous, blind to its own transmissions
// (PACKET_IGNORE_OUTGOING), with virtio-net headers (PACKET_VNET_HDR) so that
// the kernel hands over GSO and partial-checksum frames as they are and
// takes them back the same way, and with PACKET_AUXDATA so that a VLAN tag
// the kernel took out of a frame is put back. Frames move in batches with
// packet rings (PACKET_MMAP, ring_linux.go) or with recvmmsg and sendmmsg
// (WithIO; with IOAuto, when the ring cannot be set up, one line says why
// and the port uses recvmmsg/sendmmsg).
//
// The socket stays in the namespace it was opened in, whichever goroutine
// later uses the port.
func OpenAFPacket(ifname string, opts ...Option) (Port, error) {
	o := buildOptions(opts)
	io, err := ParseIO(o.ring.mode)
	if err != nil {
		return nil, fmt.Errorf("ports: af_packet %q: %w", ifname, err)
	}
	fail := func(step string, err error) error {
		return fmt.Errorf("ports: af_packet %q: %s: %w", ifname, step, err)
	}
	ctl, err := newCtlSock(ifname)
	if err != nil {
		return nil, fail("control socket", err)
	}
	ifindex, err := ctl.index()
	if err != nil {
		ctl.close()
		if errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("ports: af_packet %q: no such interface", ifname)
		}
		return nil, fail("interface index", err)
	}
	if o.setUp {
		if err := ctl.setUp(); err != nil {
			ctl.close()
			return nil, fail("set link up", err)
		}
	}
	// Protocol 0: the socket receives nothing until bind, so no frame of
	// another interface slips in.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		ctl.close()
		return nil, fail("socket", err)
	}
	closeAll := func() { unix.Close(fd); ctl.close() }
	vnet := !o.noVnet
	if vnet {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
			closeAll()
			return nil, fail("PACKET_VNET_HDR", err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
		closeAll()
		return nil, fail("PACKET_IGNORE_OUTGOING", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		closeAll()
		return nil, fail("PACKET_AUXDATA", err)
	}
	if o.bufBytes > 0 {
		// The FORCE variants pass the sysctl limits (we run as root); fall
		// back to the capped ones.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, o.bufBytes) != nil {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, o.bufBytes)
		}
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, o.bufBytes) != nil {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, o.bufBytes)
		}
	}
	// The rings go in before bind, so that no frame waits in the socket's
	// queue where nobody reads it.
	var rs *ringSetup
	var ioNote string
	if io == IORing && !vnet {
		closeAll()
		return nil, fail("packet ring", errors.New("a packet ring needs virtio-net headers"))
	}
	if io == IORing || (io == IOAuto && autoIO == IORing && vnet) {
		rs, err = setupRing(fd, o.ring)
		if err != nil {
			if io == IORing {
				closeAll()
				return nil, fail("packet ring", err)
			}
			ioNote = err.Error()
			logf := o.ring.logf
			if logf == nil {
				logf = log.Printf
			}
			logf("ports: af_packet %q: no packet ring (%s); using recvmmsg/sendmmsg", ifname, ioNote)
		}
	}
	if rs != nil {
		closeAll = func() { unix.Munmap(rs.mem); unix.Close(fd); ctl.close() }
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		closeAll()
		return nil, fail("bind", err)
	}
	mreq := &unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, mreq); err != nil {
		closeAll()
		return nil, fail("promiscuous mode", err)
	}
	if rs != nil {
		p, err := newRingPort(ifname, fd, ifindex, ctl, rs, o)
		if err != nil {
			closeAll()
			return nil, fail("packet ring", err)
		}
		return p, nil
	}
	p, err := newFDPort(ifname, kindAFPacket, fd, vnet, ctl, o)
	if err != nil {
		ctl.close()
		return nil, fail("poller", err)
	}
	p.ioNote = ioNote
	return p, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
