package ports

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// tapOffloads are the offloads a TAP port accepts from the kernel: partial
// checksums, TCP segmentation (with ECN) and, where the kernel has it, UDP
// segmentation.
const (
	tapOffloads    = unix.TUN_F_CSUM | unix.TUN_F_TSO4 | unix.TUN_F_TSO6 | unix.TUN_F_TSO_ECN
	tapOffloadsUSO = tapOffloads | unix.TUN_F_USO4 | unix.TUN_F_USO6
)

// CreateTAP creates a TAP device in the current network namespace (name may
// be empty, or a pattern such as "gs%d", to let the kernel choose), sets it
// promiscuous and up and returns it as a port. The port talks to the kernel with virtio-net
// headers (IFF_VNET_HDR, TUNSETVNETHDRSZ) and tells the kernel it takes
// partial checksums and TCP/UDP GSO frames (TUNSETOFFLOAD), so the kernel
// does not segment before handing them over. The device goes away when the
// port is closed.
//
// songgao/water is not used: it cannot ask for IFF_VNET_HDR, and TUNSETIFF
// can be done only once per file descriptor.
func CreateTAP(name string, opts ...Option) (Port, error) {
	o := buildOptions(opts)
	fail := func(step string, err error) error {
		return fmt.Errorf("ports: tap %q: %s: %w", name, step, err)
	}
	if len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("ports: tap %q: name longer than %d bytes", name, unix.IFNAMSIZ-1)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fail("open /dev/net/tun", err)
	}
	vnet := !o.noVnet
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fail("name", err)
	}
	flags := uint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if vnet {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fail("TUNSETIFF", err)
	}
	real := ifr.Name()
	if vnet {
		if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, VnetHdrLen); err != nil {
			unix.Close(fd)
			return nil, fail("TUNSETVNETHDRSZ", err)
		}
		if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tapOffloadsUSO); err != nil {
			if !errors.Is(err, unix.EINVAL) {
				unix.Close(fd)
				return nil, fail("TUNSETOFFLOAD", err)
			}
			if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tapOffloads); err != nil {
				unix.Close(fd)
				return nil, fail("TUNSETOFFLOAD", err)
			}
		}
	}
	ctl, err := newCtlSock(real)
	if err != nil {
		unix.Close(fd)
		return nil, fail("control socket", err)
	}
	if len(o.hwaddr) > 0 {
		if err := ctl.setHWAddr(o.hwaddr); err != nil {
			unix.Close(fd)
			ctl.close()
			return nil, fail("set hardware address", err)
		}
	}
	// Promiscuous, as OVS 3.1's userspace datapath turns on every port it
	// adds (netdev_turn_flags_on NETDEV_PROMISC): the kernel takes the
	// frames the switch sends it whatever their destination address.
	if err := ctl.setFlags(unix.IFF_PROMISC); err != nil {
		unix.Close(fd)
		ctl.close()
		return nil, fail("set promiscuous", err)
	}
	if o.leaveDown {
		// nothing: the device is created down
	} else if err := ctl.setUp(); err != nil {
		unix.Close(fd)
		ctl.close()
		return nil, fail("set link up", err)
	}
	p, err := newFDPort(real, kindTAP, fd, vnet, ctl, o)
	if err != nil {
		ctl.close()
		return nil, fail("poller", err)
	}
	return p, nil
}
