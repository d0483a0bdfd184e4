package ofproto

import (
	"testing"

	"gswitch/tests/golden"
)

// TestOfctlDecNSHTTLActionSet: dec_nsh_ttl is accepted in write_actions (it
// has an action-set slot, the last one, as in OVS 3.1) and dumped as OVS
// dumps it (golden dump-flows/nshttl-aset.of13-nostats.txt).
func TestOfctlDecNSHTTLActionSet(t *testing.T) {
	e := newOfctlEnv(t)
	e.ofctl(t, "-O", "OpenFlow13", "add-flows", "SW", golden.Path("flows/nshttl-aset.flows"))
	compareGolden(t, "dump-flows/nshttl-aset.of13-nostats.txt", golden.KindFlows,
		e.ofctl(t, "-O", "OpenFlow13", "dump-flows", "SW", "--no-stats"))
}
