package ports

import (
	"net"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ctlSock is a datagram socket used for the interface ioctls (flags, MTU,
// address). It is made in the network namespace of the port, and ioctls on
// it act in that namespace whichever thread calls them.
type ctlSock struct {
	mu   sync.RWMutex
	fd   int // -1 once closed
	name string
}

func newCtlSock(name string) (*ctlSock, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &ctlSock{fd: fd, name: name}, nil
}

func (c *ctlSock) close() {
	c.mu.Lock()
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
	c.mu.Unlock()
}

func (c *ctlSock) ifreq(req uint) (*unix.Ifreq, error) {
	ifr, err := unix.NewIfreq(c.name)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fd < 0 {
		return nil, net.ErrClosed
	}
	if err := unix.IoctlIfreq(c.fd, req, ifr); err != nil {
		return nil, err
	}
	return ifr, nil
}

func (c *ctlSock) index() (int, error) {
	ifr, err := c.ifreq(unix.SIOCGIFINDEX)
	if err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

func (c *ctlSock) flags() (uint16, error) {
	ifr, err := c.ifreq(unix.SIOCGIFFLAGS)
	if err != nil {
		return 0, err
	}
	return ifr.Uint16(), nil
}

func (c *ctlSock) setUp() error { return c.setFlags(unix.IFF_UP) }

// setFlags turns the device flags on (SIOCSIFFLAGS), leaving the others.
func (c *ctlSock) setFlags(on uint16) error {
	ifr, err := c.ifreq(unix.SIOCGIFFLAGS)
	if err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | on)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fd < 0 {
		return net.ErrClosed
	}
	return unix.IoctlIfreq(c.fd, unix.SIOCSIFFLAGS, ifr)
}

func (c *ctlSock) linkUp() bool {
	f, err := c.flags()
	return err == nil && f&unix.IFF_UP != 0 && f&unix.IFF_RUNNING != 0
}

func (c *ctlSock) mtu() int {
	ifr, err := c.ifreq(unix.SIOCGIFMTU)
	if err != nil {
		return 0
	}
	return int(ifr.Uint32())
}

// SetMTU sets network device name's MTU (SIOCSIFMTU), as OVS's
// netdev_set_mtu for an Interface's mtu_request.
func SetMTU(name string, mtu int) error {
	c, err := newCtlSock(name)
	if err != nil {
		return err
	}
	defer c.close()
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	ifr.SetUint32(uint32(mtu))
	return unix.IoctlIfreq(c.fd, unix.SIOCSIFMTU, ifr)
}

// rawIfreq is struct ifreq with ifr_hwaddr (a struct sockaddr) in the union,
// which unix.Ifreq has no accessor for.
type rawIfreq struct {
	name   [unix.IFNAMSIZ]byte
	family uint16
	addr   [14]byte
	_      [8]byte
}

func (c *ctlSock) hwAddr() net.HardwareAddr {
	var r rawIfreq
	copy(r.name[:unix.IFNAMSIZ-1], c.name)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fd < 0 {
		return nil
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(c.fd), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&r))); e != 0 {
		return nil
	}
	return net.HardwareAddr(append([]byte(nil), r.addr[:6]...))
}

// setHWAddr sets the interface's Ethernet address (SIOCSIFHWADDR).
func (c *ctlSock) setHWAddr(mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return unix.EINVAL
	}
	var r rawIfreq
	copy(r.name[:unix.IFNAMSIZ-1], c.name)
	r.family = unix.ARPHRD_ETHER
	copy(r.addr[:], mac)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fd < 0 {
		return net.ErrClosed
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(c.fd), unix.SIOCSIFHWADDR, uintptr(unsafe.Pointer(&r))); e != 0 {
		return e
	}
	return nil
}
