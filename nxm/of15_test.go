package nxm

import (
	"bytes"
	"encoding/hex"
	"testing"

	"gswitch/pipeline"
)

// The instructions of the OpenFlow 1.5 flow-mod ovs-ofctl 3.1 sends for
// "actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[],load:0x5->NXM_NX_REG1[0..7],
// set_field:0x1/0x3->reg2,output:2" (row flow-mod-aggregate of
// tests/golden/of15-replies.tsv; OVS 3.1's flow stats send the same bytes
// back): OFPAT_COPY_FIELD and masked OFPAT_SET_FIELDs.
const of15Insts = "0004005000000000" +
	"001c00180020000000000000800016040001000400000000" +
	"0019001000010308" + "00000005000000ff" +
	"0019001000010508" + "0000000100000003" +
	"00000010000000020000000000000000"

func TestOF15CopyFieldMaskedSetField(t *testing.T) {
	b, _ := hex.DecodeString(of15Insts)
	in, err := DecodeInstructionsVersion(Version15, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in.Apply[0].(pipeline.Move); !ok {
		t.Fatalf("first action %#v, want a move", in.Apply[0])
	}
	enc, err := EncodeInstructionsVersion(Version15, &in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, b) {
		t.Fatalf("encoded\n%x\nwant (OVS)\n%x", enc, b)
	}
	// OpenFlow 1.3 has neither: the same actions go as NXAST_REG_MOVE and
	// NXAST_REG_LOADs, and 1.3 refuses copy_field and a masked set_field.
	if _, err := DecodeInstructions(b); err == nil {
		t.Fatal("OpenFlow 1.3 decoded OFPAT_COPY_FIELD")
	}
	// A load decoded from NXAST_REG_LOAD is a masked set_field in 1.5.
	acts := []pipeline.Action{pipeline.RegLoad{Dst: pipeline.Subfield{Field: in.Apply[1].(pipeline.SetField).Field, Ofs: 0, NBits: 8}, Value: in.Apply[1].(pipeline.SetField).Value}}
	got, err := EncodeActions(Version15, acts)
	if err != nil {
		t.Fatal(err)
	}
	if want := b[8+24 : 8+24+16]; !bytes.Equal(got, want) {
		t.Fatalf("load in 1.5: %x, want %x", got, want)
	}
}
