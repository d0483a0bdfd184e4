package main

import (
	"context"
	"strings"

	"go.uber.org/zap"

	"gswitch/cmd/gswitch/internal/ctl"
	"gswitch/tunnel/underlay"
)

// underlayTable is the tunnel underlay (routes and neighbours) of the
// switch's namespace, made on first use.
func (s *Switch) underlayTable() *underlay.Underlay {
	if s.under == nil {
		s.under = underlay.New(nil)
	}
	return s.under
}

// registerUnderlayCommands adds OVS's ovs/route/* and tnl/neigh/*,
// tnl/arp/* commands.
func (s *Switch) registerUnderlayCommands(c *ctl.Server) {
	for _, cmd := range s.underlayTable().Commands() {
		c.Register(cmd.Name, cmd.Usage, cmd.Min, cmd.Max, cmd.Run)
	}
	// As OVS: -v (any case) lists the receive matches, any other argument
	// is ignored.
	c.Register("tnl/ports/show", "-v", 0, 1, func(a []string) (string, error) {
		verbose := len(a) == 1 && strings.EqualFold(a[0], "-v")
		if s.tunnels == nil {
			return "Listening ports:\n", nil
		}
		return s.tunnels.TnlPortsShow(verbose), nil
	})
}

// startUnderlay learns the namespace's routes (and follows their changes)
// and ages the neighbour cache until Close.
func (s *Switch) startUnderlay() {
	u := s.underlayTable()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.stop
		cancel()
	}()
	if s.tunnels != nil {
		go s.tunnels.Run(ctx)
	}
	go func() {
		if err := u.Run(ctx); err != nil && s.log != nil {
			s.log.Warn("route table unavailable; ovs/route/show lists only user routes", zap.Error(err))
		}
	}()
}
