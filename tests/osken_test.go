package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// TestPrivilegedOsKenController connects gswitch (fail-mode secure, no flows)
// to a real os-ken controller application that relays every packet with
// packet-outs and drops TCP port 7777: traffic passes exactly as the
// controller decides.
func TestPrivilegedOsKenController(t *testing.T) {
	tp := newTopo(t, "gtok", "p1", "p2", "--controller", "tcp:127.0.0.1:16653")
	if out, err := tp.L.Try("ping", "-c", "1", "-W", "1", ip4R); err == nil {
		t.Fatalf("ping passed with no controller and no flows:\n%s", out)
	}
	app := filepath.Join(golden.Dir(), "..", "osken", "relay_app.py")
	ctl := tp.S.Start(t, "osken-manager", "--ofp-tcp-listen-port", "16653", app)
	if !eventually(30*time.Second, func() bool { return strings.Contains(ctl.Output(), "GSWITCH-TEST features") }) {
		t.Fatalf("controller never got FEATURES_REPLY:\n%s\nswitch:\n%s", ctl.Output(), tp.sw.Output())
	}
	if !eventually(5*time.Second, func() bool {
		out, _ := tp.ofctl("-O", "OpenFlow13", "dump-flows")
		return strings.Contains(out, "priority=0 actions=CONTROLLER:65535")
	}) {
		out, _ := tp.ofctl("-O", "OpenFlow13", "dump-flows")
		t.Fatalf("controller's table-miss flow not installed:\n%s", out)
	}
	if out, err := tp.L.Try("ping", "-c", "3", "-i", "0.3", "-W", "3", ip4R); err != nil {
		t.Fatalf("ping through the controller: %v\n%s\ncontroller:\n%s", err, out, ctl.Output())
	}
	startPy(t, tp.R, "tcp-server", "7001", "30")
	waitListen(t, tp.R, "tcp", "7001")
	startPy(t, tp.R, "tcp-server", "7777", "30")
	waitListen(t, tp.R, "tcp", "7777")
	py(tp.R, "ready", "7001", "tcp", "127.0.0.1")
	if out, err := py(tp.L, "tcp-client", "20001", ip4R, "7001"); err != nil {
		t.Errorf("TCP 7001 through the controller: %v\n%s", err, out)
	}
	if out, err := py(tp.L, "tcp-client", "20002", ip4R, "7777"); err == nil {
		t.Errorf("TCP 7777 passed although the controller drops it:\n%s", out)
	}
	log := ctl.Output()
	if !strings.Contains(log, "GSWITCH-TEST relay in_port=1 out=2") || !strings.Contains(log, "GSWITCH-TEST relay in_port=2 out=1") ||
		!strings.Contains(log, "GSWITCH-TEST drop tcp 7777") {
		t.Errorf("controller log lacks its decisions:\n%s", log)
	}
}
