package nat

import "testing"

// OVSFrame is one frame of the OVS 3.1 differential (ovs_test.go), for
// the external test that drives the real tracker.
type OVSFrame struct {
	Name     string
	InPort   int
	Frame    []byte
	HangsOVS bool
}

// OVSFramesForTest returns the differential's frames, in order.
func OVSFramesForTest() []OVSFrame {
	var out []OVSFrame
	for _, c := range ovsCases() {
		out = append(out, OVSFrame{c.name, c.inPort, c.frame, c.hangsOVS})
	}
	return out
}

// OVSOutForTest returns OVS's recorded output: name -> "port hex" lines.
func OVSOutForTest(t *testing.T) map[string][]string { return readOVSOut(t) }
