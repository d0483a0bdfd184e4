package ct_test

import (
	"gswitch/ct"
	"gswitch/ct/dpctl"
)

func init() { ct.SetDPCtlForTest(dpctl.Run) }
