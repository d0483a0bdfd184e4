package ofptext

import (
	"encoding/hex"
	"testing"

	"gswitch/nxm"
)

// TestSampleVsOVS formats sample actions that ovs-ofctl 3.1 encoded
// (nxm/testdata/captures.txt) and compares with the text it printed for
// them (the same file's flow lines and tests/golden/dump-flows/sample.*).
func TestSampleVsOVS(t *testing.T) {
	for _, c := range []struct {
		version uint8
		hex     string
		want    string
	}{
		{4, "ffff001800002320001dffff000000010000000200000003",
			"sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3)"},
		{4, "ffff00200000232000260064ffffffff00000000000000070005000000000000",
			"sample(probability=100,collector_set_id=4294967295,obs_domain_id=0,obs_point_id=7,sampling_port=5)"},
		{4, "ffff00200000232000290001000000010000000200000003ffff010000000000",
			"sample(probability=1,collector_set_id=1,obs_domain_id=2,obs_point_id=3,ingress)"},
		{4, "ffff00200000232000290007000000090000000800000006fffe020000000000",
			"sample(probability=7,collector_set_id=9,obs_domain_id=8,obs_point_id=6,sampling_port=LOCAL,egress)"},
		{1, "ffff0020000023200026ffff000000010000000200000003fff8000000000000",
			"sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=IN_PORT)"},
	} {
		b, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := nxm.DecodeActions(c.version, b)
		if err != nil {
			t.Fatalf("%s: %v", c.want, err)
		}
		if got := Actions(acts); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
		again, err := nxm.EncodeActions(c.version, acts)
		if err != nil || hex.EncodeToString(again) != c.hex {
			t.Errorf("%s: re-encoded %x (%v), want %s", c.want, again, err, c.hex)
		}
	}
}
