package vswitchd

import (
	"encoding/binary"
	"encoding/hex"
	"strings"

	"gswitch/ovsdb"
)

// defaultHWAddr is the address of a bridge none of whose ports has one to
// give it: OVS's default_ea, the first 6 bytes of the Bridge row's uuid as
// OVS keeps it in memory (struct uuid's first two 32-bit words, each in the
// host's byte order), made a unicast locally administered address
// (eth_addr_mark_random). It is stable across restarts, like the row.
func defaultHWAddr(u ovsdb.UUID) [6]byte {
	var mac [6]byte
	b, err := hex.DecodeString(strings.ReplaceAll(string(u), "-", ""))
	if err != nil || len(b) != 16 {
		mac[0] = 2
		return mac
	}
	var mem [8]byte
	binary.NativeEndian.PutUint32(mem[0:], binary.BigEndian.Uint32(b[0:]))
	binary.NativeEndian.PutUint32(mem[4:], binary.BigEndian.Uint32(b[4:]))
	copy(mac[:], mem[:6])
	mac[0] = mac[0]&^1 | 2
	return mac
}

// candidateHWAddr reports whether a port's address may be the bridge's, as
// find_local_hw_addr: not multicast, not locally administered (nor a
// Nicira random 00:23:20:8x-fx), not one OVS reserves, not zero.
func candidateHWAddr(m [6]byte) bool {
	switch {
	case m[0]&1 != 0, m[0]&2 != 0:
		return false
	case m[0] == 0x00 && m[1] == 0x23 && m[2] == 0x20 && m[3]&0x80 != 0:
		return false
	case m == [6]byte{}:
		return false
	case m[0] == 0x00 && m[1] == 0xe0 && m[2] == 0x2b && m[3] == 0 && m[4] == 0 && (m[5] == 0 || m[5] == 4 || m[5] == 6):
		return false // Extreme's EDP and EAPS (eth_addr_is_reserved's unicast ones)
	}
	return true
}

// pickHWAddr is a bridge's Ethernet address as OVS's
// bridge_pick_local_hw_addr: other_config:hwaddr when valid; else the
// lowest candidate address among its ports (with an open interface), each
// port represented by its mac column when set, else by the device of its
// alphabetically first open interface (the LOCAL port does not count:
// gswitch leaves it out of Ifaces), internal ports included; else
// defaultHWAddr. Mirror output ports (which OVS leaves out) do not arise:
// gswitch has no mirrors.
func pickHWAddr(b *BridgeSpec, devMAC func(name string) ([6]byte, bool)) [6]byte {
	if b.HWAddrSet {
		return b.HWAddr
	}
	first := map[ovsdb.UUID]string{} // port -> its first open interface
	for _, is := range b.Ifaces {
		if _, ok := devMAC(is.Name); !ok {
			continue
		}
		if n, ok := first[is.Port]; !ok || is.Name < n {
			first[is.Port] = is.Name
		}
	}
	portMAC := map[ovsdb.UUID][6]byte{} // the Port mac columns
	for _, is := range b.Ifaces {
		if is.PortMACSet {
			portMAC[is.Port] = is.PortMAC
		}
	}
	var best [6]byte
	found := false
	for port, name := range first {
		m, _ := devMAC(name)
		if pm, ok := portMAC[port]; ok {
			m = pm
		}
		if candidateHWAddr(m) && (!found || string(m[:]) < string(best[:])) {
			best, found = m, true
		}
	}
	if !found {
		return defaultHWAddr(b.UUID)
	}
	return best
}
