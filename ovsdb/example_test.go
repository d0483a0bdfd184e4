package ovsdb_test

import (
	"context"
	"log"

	"gswitch/ovsdb"
)

// A reconciler's loop: apply each snapshot, then copy next_cfg to cur_cfg
// so that `ovs-vsctl --wait` returns.
func Example() {
	ctx := context.Background()
	c, err := ovsdb.Dial(ctx, "unix:/var/run/openvswitch/db.sock", ovsdb.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	m, err := c.MonitorVSwitch(ctx, "Interface.statistics")
	if err != nil {
		log.Fatal(err)
	}
	for {
		snap := m.Snapshot()
		root := snap.Root()
		for _, b := range snap.Bridges {
			_ = b // configure bridge b.Name with its snap.Ports[...] and snap.Interfaces[...]
		}
		if root != nil && root.CurCfg != root.NextCfg {
			if _, err := c.Transact(ctx, ovsdb.CurCfg(root.UUID, root.NextCfg)); err != nil {
				log.Print(err) // retried on the next change
			}
		}
		select {
		case <-m.Changed():
		case <-c.Done():
			return
		}
	}
}
