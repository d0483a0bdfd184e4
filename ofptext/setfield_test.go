package ofptext

import (
	"testing"

	"gswitch/nxm"
	"gswitch/packet"
	"gswitch/pipeline"
)

// TestSetFieldMaskKept: a set_field whose mask covers the field's bits but
// not its bytes, from NXAST_REG_LOAD2 or OpenFlow 1.5's masked
// OFPAT_SET_FIELD, prints with its mask as OVS 3.1 prints it
// (tests/golden/ovn: set_field:10/0x3f->ip_dscp); other wires print it
// without.
func TestSetFieldMaskKept(t *testing.T) {
	for _, c := range []struct {
		wire uint16
		want string
	}{
		{nxm.WireSetFieldMasked, "set_field:10/0x3f->ip_dscp"},
		{nxm.WireRegLoad2Masked, "set_field:10/0x3f->ip_dscp"},
		{nxm.WireSetField, "set_field:10->ip_dscp"},
	} {
		a := pipeline.SetField{Field: packet.FieldIPDSCP, Value: packet.U128{Lo: 10}, Mask: packet.U128{Lo: 0x3f}, Wire: c.wire}
		if got := Actions([]pipeline.Action{a}); got != c.want {
			t.Errorf("wire %d: %q, want %q", c.wire, got, c.want)
		}
	}
}
