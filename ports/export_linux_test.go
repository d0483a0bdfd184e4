package ports

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// RingTxFree is, for the tests of package ports_test, how many of ring
// port p's transmit slots are free to be filled (the kernel has released
// them): -1 when p is not a ring port.
func RingTxFree(p Port) int {
	rp, ok := p.(*ringPort)
	if !ok {
		return -1
	}
	rp.tmu.Lock()
	defer rp.tmu.Unlock()
	n := 0
	for i := 0; i < rp.tx.g.frames; i++ {
		switch atomic.LoadUint32(slotStatus(rp.tx.mem, rp.tx.g.off(i))) {
		case unix.TP_STATUS_AVAILABLE, unix.TP_STATUS_WRONG_FORMAT:
			n++
		}
	}
	return n
}
