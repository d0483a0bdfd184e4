package vswitchd

import (
	"testing"

	"gswitch/ovsdb"
)

// TestFlowRestoreWait: as OVS 3.1's bridge_run (failmode.sh's last steps
// show it on ovs-vswitchd): no configuration yet keeps the wait;
// flow-restore-wait=true keeps it (no controllers); its removal ends it,
// and a later true is not read.
func TestFlowRestoreWait(t *testing.T) {
	var l Loop
	spec := func() *Spec {
		return &Spec{Bridges: map[string]*BridgeSpec{"br0": {Name: "br0", Controllers: []ControllerSpec{{Target: "tcp:127.0.0.1:1"}}}}}
	}
	snap := func(oc map[string]string) *ovsdb.Snapshot {
		if oc == nil {
			return &ovsdb.Snapshot{}
		}
		return &ovsdb.Snapshot{OpenVSwitch: map[ovsdb.UUID]*ovsdb.OpenVSwitch{"r": {UUID: "r", OtherConfig: oc}}}
	}
	for i, step := range []struct {
		oc   map[string]string
		wait bool
	}{
		{nil, true},
		{map[string]string{"flow-restore-wait": "TRUE"}, true},
		{map[string]string{"flow-restore-wait": "true"}, true},
		{map[string]string{}, false},
		{map[string]string{"flow-restore-wait": "true"}, false},
	} {
		sp := spec()
		got := l.FlowRestoreWait(snap(step.oc), sp)
		if got != step.wait || (len(sp.Bridges["br0"].Controllers) == 0) != step.wait {
			t.Errorf("step %d: waiting %v, controllers %v", i, got, sp.Bridges["br0"].Controllers)
		}
	}
}
