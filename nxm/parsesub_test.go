package nxm

import (
	"testing"

	"gswitch/packet"
	"gswitch/pipeline"
)

func TestParseSubfield(t *testing.T) {
	for _, c := range []struct {
		in, rest string
		want     pipeline.Subfield
	}{
		{"NXM_OF_IN_PORT[]", "", pipeline.Subfield{Field: packet.FieldInPort, NBits: 16}},
		{"in_port", "", pipeline.Subfield{Field: packet.FieldInPort, NBits: 16}},
		{"NXM_NX_REG0[8..15]", "", pipeline.Subfield{Field: packet.FieldReg0, Ofs: 8, NBits: 8}},
		{"dl_dst[0]x", "x", pipeline.Subfield{Field: packet.FieldEthDst, NBits: 1}},
		{"OXM_OF_ETH_SRC_W[]", "", pipeline.Subfield{Field: packet.FieldEthSrc, NBits: 48}},
	} {
		got, rest, err := ParseSubfield(c.in)
		if err != nil || got != c.want || rest != c.rest {
			t.Errorf("%s: %+v %q %v, want %+v %q", c.in, got, rest, err, c.want, c.rest)
		}
	}
	// OVS 3.1's text (tests/golden/flowtables/18-groups-bad.txt).
	if _, _, err := ParseSubfield("s6f_bogus[]"); err == nil || err.Error() != "s6f_bogus[]: unknown field `s6f_bogus'" {
		t.Errorf("unknown field: %v", err)
	}
	for _, bad := range []string{"reg0[40]", "reg0[3..1]", "reg0[x]", "reg0[1"} {
		if _, _, err := ParseSubfield(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
