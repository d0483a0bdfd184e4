package ports

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A full output drops the rest of the batch under tx_full and is no error
// (OVS's netdev_linux_send: ENOBUFS is EAGAIN, nothing logged); the
// other refusals drop one frame.
func TestTxVerdict(t *testing.T) {
	for _, c := range []struct {
		e           syscall.Errno
		reason      DropReason
		rest, isErr bool
	}{
		{unix.EAGAIN, DropTxFull, true, false},
		{unix.ENOBUFS, DropTxFull, true, false},
		{unix.EMSGSIZE, DropTxTooBig, false, false},
		{unix.EIO, DropTxDown, false, false},
		{unix.ENETDOWN, DropTxError, false, true},
		{unix.EINVAL, DropTxError, false, true},
	} {
		r, rest, isErr := txVerdict(c.e)
		if r != c.reason || rest != c.rest || isErr != c.isErr {
			t.Errorf("%v: %v rest=%v err=%v, want %v rest=%v err=%v", c.e, r, rest, isErr, c.reason, c.rest, c.isErr)
		}
	}
	if DropTxFull.String() != "tx_full" || DropTxFull.Rx() {
		t.Errorf("DropTxFull is %q (rx %v)", DropTxFull, DropTxFull.Rx())
	}
}
