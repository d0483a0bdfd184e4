package dpctl_test

import (
	"fmt"

	"gswitch/ct"
	"gswitch/ct/dpctl"
)

func Example_ipfGetStatus() {
	out, _ := dpctl.Run(ct.New(ct.Config{}), "dpctl/ipf-get-status", nil)
	fmt.Print(out)
	// Output:
	//         Fragmentation Module Status
	//         ---------------------------
	//         v4 enabled: 1
	//         v6 enabled: 1
	//         max num frags (v4/v6): 1000
	//         num frag: 0
	//         min v4 frag size: 1200
	//         v4 frags accepted: 0
	//         v4 frags completed: 0
	//         v4 frags expired: 0
	//         v4 frags too small: 0
	//         v4 frags overlapped: 0
	//         v4 frags purged: 0
	//         min v6 frag size: 1280
	//         v6 frags accepted: 0
	//         v6 frags completed: 0
	//         v6 frags expired: 0
	//         v6 frags too small: 0
	//         v6 frags overlapped: 0
	//         v6 frags purged: 0
}
