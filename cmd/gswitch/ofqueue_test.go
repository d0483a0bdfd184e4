package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"gswitch/ct"
	"gswitch/datapath"
	"gswitch/packet"
	"gswitch/ports/porttest"
)

// TestOpenFlowQueueDropsShown: the packet-ins dropped at a controller
// queue's bound and the connections closed on a full queue appear in show,
// in the coverage counters and in coverage/show.
func TestOpenFlowQueueDropsShown(t *testing.T) {
	s := &Switch{start: time.Now(), pool: packet.NewPool(), stop: make(chan struct{})}
	s.tracker = ct.New(ct.Config{Clock: s.Now})
	br, err := datapath.New(datapath.Config{Name: "br0", FailMode: "secure", Tracker: s.tracker, Pool: s.pool, Clock: s.Now},
		[]datapath.Port{{No: 1, Dev: porttest.New("p1"), Type: "porttest"}})
	if err != nil {
		t.Fatal(err)
	}
	s.br = br
	t.Cleanup(func() { close(s.stop); br.Close() })

	st := &br.OpenFlow().Stats
	st.PacketInDropped.Add(3)
	st.FlowRemovedDropped.Add(2)
	st.QueueOverflows.Add(1)
	if got := s.showText(); !strings.Contains(got, "  OpenFlow queue drops: packet-ins 3, flow-removed 2, connections closed on a full queue 1\n") {
		t.Errorf("show lacks the queue drops:\n%s", got)
	}
	if got := s.showText(); !regexp.MustCompile(`(?m)^process: [1-9]\d* goroutines$`).MatchString(got) {
		t.Errorf("show lacks the goroutine count:\n%s", got)
	}
	cov := s.coverageText()
	for _, re := range []string{`(?m)^rconn_overflow +5$`, `(?m)^ofconn_send_queue_full +1$`} {
		if !regexp.MustCompile(re).MatchString(cov) {
			t.Errorf("coverage lacks %s:\n%s", re, cov)
		}
	}
	show := newCoverage(s).show()
	for _, re := range []string{`(?m)^rconn_overflow .* total: 5$`, `(?m)^ofconn_send_queue_full .* total: 1$`} {
		if !regexp.MustCompile(re).MatchString(show) {
			t.Errorf("coverage/show lacks %s:\n%s", re, show)
		}
	}
}
