package vswitchd

import (
	"fmt"
	"strings"
	"testing"

	"gswitch/ovsdb"
)

func TestDesiredIPFIX(t *testing.T) {
	i1, i2, empty := ovsdb.UUID("i1"), ovsdb.UUID("i2"), ovsdb.UUID("i3")
	snap := &ovsdb.Snapshot{
		Bridges: map[ovsdb.UUID]*ovsdb.Bridge{"b0": {UUID: "b0", Name: "br0"}, "b1": {UUID: "b1", Name: "br1"}},
		IPFIX: map[ovsdb.UUID]*ovsdb.IPFIX{
			i1:    {UUID: i1, Targets: []string{"127.0.0.1:19820", "127.0.0.1:19819"}},
			i2:    {UUID: i2, Targets: []string{"127.0.0.1:19821"}},
			empty: {UUID: empty},
		},
		FlowSampleCollectorSet: map[ovsdb.UUID]*ovsdb.FlowSampleCollectorSet{
			"f1": {UUID: "f1", ID: 2, Bridge: "b0", IPFIX: &i1},
			"f2": {UUID: "f2", ID: 2, Bridge: "b1", IPFIX: &i2},
			"f3": {UUID: "f3", ID: 3, Bridge: "b0"},                   // no ipfix: nothing to do
			"f4": {UUID: "f4", ID: 4, Bridge: "b0", IPFIX: &empty},    // no targets
			"f5": {UUID: "f5", ID: 5, Bridge: "gone", IPFIX: &i2},     // no such bridge
			"f6": {UUID: "f6", ID: 1 << 32, Bridge: "b0", IPFIX: &i2}, // out of range
		},
	}
	want, problems := DesiredIPFIX(snap)
	if got := fmt.Sprint(want); got != "map[br0:map[2:[127.0.0.1:19819 127.0.0.1:19820]] br1:map[2:[127.0.0.1:19821]]]" {
		t.Fatalf("got %s", got)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "id 4294967296 out of range") {
		t.Fatalf("problems %q", problems)
	}
}
