// Command normalize applies golden.Normalize to its standard input, so
// capture.sh stores exactly the text that tests compare against.
//
//	go run ./tests/ovsref/normalize KIND < raw.txt > golden.txt
//
// KIND is one of flows, flows-sorted, flows-hits, conntrack, conntrack-nat, monitor, ipf, plain, meters, vswitchd
// (see tests/golden/golden.go).
package main

import (
	"fmt"
	"io"
	"os"

	"gswitch/tests/golden"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: normalize KIND < in > out")
		os.Exit(2)
	}
	switch os.Args[1] {
	case golden.KindFlows, golden.KindFlowsSorted, golden.KindFlowsHits, golden.KindConntrack, golden.KindConntrackNAT, golden.KindMonitor, golden.KindIPF, golden.KindPlain, golden.KindMeters, golden.KindVswitchd:
	default:
		fmt.Fprintln(os.Stderr, "normalize: unknown kind", os.Args[1])
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "normalize:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(golden.Normalize(os.Args[1], string(in)))
}
