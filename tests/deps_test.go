package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the layering of ARCHITECTURE.md: packet uses only
// the standard library; ct, pipeline, nxm, ofproto and ports never reach up
// (to datapath or cmd); datapath never reaches cmd; ct/dpctl uses only ct
// and packet.
func TestImportRules(t *testing.T) {
	forbidden := map[string][]string{
		"gswitch/packet":   {"gswitch/", "github.com/", "go.uber.org/", "golang.org/"},
		"gswitch/ct/...":   {"gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto", "gswitch/ports", "gswitch/datapath", "github.com/contiv/libOpenflow", "gswitch/tunnel/underlay"},
		"gswitch/pipeline": {"gswitch/nxm", "gswitch/ofproto", "gswitch/ports", "gswitch/datapath", "github.com/contiv/libOpenflow", "gswitch/tunnel/underlay"},
		"gswitch/nxm":      {"gswitch/ofproto", "gswitch/ports", "gswitch/datapath", "gswitch/tunnel/underlay"},
		// tunnel/underlay, the tunnel route table and neighbour cache (OVS's
		// ovs-router, route-table, tnl-neigh-cache): the standard library,
		// packet and the netlink library (with what it needs) only.
		"gswitch/tunnel/underlay": {"gswitch/ct", "gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto", "gswitch/ports",
			"gswitch/datapath", "gswitch/vswitchd", "gswitch/ovsdb", "gswitch/cmd", "gswitch/tests", "gswitch/ofptext",
			"github.com/contiv", "github.com/google", "github.com/sirupsen", "go.uber.org/"},
		// ofptext, OVS's flow text (bridge/dump-flows, ofproto/trace): the
		// model and nxm's field names, never the channel or the bridges.
		"gswitch/ofptext":   {"gswitch/ofproto", "gswitch/ports", "gswitch/datapath", "gswitch/vswitchd", "gswitch/cmd"},
		"gswitch/ports/...": {"gswitch/ct", "gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto", "gswitch/datapath"},
		"gswitch/ofproto":   {"gswitch/datapath", "gswitch/cmd"},
		// datapath, the bridges (ports, output queues, patch ports), uses
		// packet, ct, pipeline, nxm, ofproto and ports; only cmd/gswitch
		// imports it.
		"gswitch/datapath": {"gswitch/cmd", "gswitch/tests", "github.com/contiv/libOpenflow"},
		// Test helpers any package's tests may import, packet's included.
		"gswitch/tests/testutil": {"gswitch/", "github.com/", "go.uber.org/", "golang.org/"},
		// ct's run-time lock checks (race builds): the standard library
		// only, so that packet-path code anywhere in ct may use them.
		"gswitch/ct/internal/lockcheck": {"gswitch/", "github.com/", "go.uber.org/", "golang.org/"},
		// ct/dpctl, the conntrack control commands, uses only ct, packet
		// and the standard library.
		// ovsdb, the OVSDB client: the standard library and packet-free
		// utility code only.
		"gswitch/ovsdb/...": {"gswitch/packet", "gswitch/ct", "gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto",
			"gswitch/ports", "gswitch/datapath", "gswitch/vswitchd", "gswitch/cmd", "github.com/", "go.uber.org/", "golang.org/"},
		// vswitchd, the database reconciler: ovsdb, datapath and below;
		// only cmd/gswitch imports it.
		"gswitch/vswitchd/...": {"gswitch/cmd"},
		// tunnel, the packet side of Geneve/VXLAN ports: the standard
		// library and packet only.
		"gswitch/tunnel": {"gswitch/ct", "gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto", "gswitch/ofptext",
			"gswitch/ports", "gswitch/datapath", "gswitch/vswitchd", "gswitch/ovsdb", "gswitch/cmd", "gswitch/tests",
			"github.com/", "go.uber.org/", "golang.org/"},
		"gswitch/ct/dpctl": {"gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto", "gswitch/ports", "gswitch/cmd",
			"github.com/", "go.uber.org/", "golang.org/"},
		// sampling, the collector sets sample actions feed: pipeline's
		// Sampled records in, files and UDP out; nothing above pipeline.
		"gswitch/sampling": {"gswitch/nxm", "gswitch/ofproto", "gswitch/ofptext", "gswitch/ports", "gswitch/datapath",
			"gswitch/vswitchd", "gswitch/ovsdb", "gswitch/cmd", "gswitch/tests", "gswitch/tunnel", "github.com/", "go.uber.org/"},
		// statefile, the --state-dir file's framing: the standard library
		// only (each package encodes its own section).
		"gswitch/statefile": {"gswitch/packet", "gswitch/ct", "gswitch/pipeline", "gswitch/nxm", "gswitch/ofproto",
			"gswitch/ports", "gswitch/datapath", "gswitch/vswitchd", "gswitch/ovsdb", "gswitch/cmd", "gswitch/tests",
			"github.com/", "go.uber.org/", "golang.org/"},
	}
	for pkg, bad := range forbidden {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			self := strings.TrimSuffix(pkg, "/...")
			for _, dep := range strings.Fields(string(out)) {
				if dep == self || strings.HasPrefix(dep, self+"/") {
					continue
				}
				if self == "gswitch/packet" && !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") && !strings.HasPrefix(dep, "gswitch") {
					continue // standard library
				}
				for _, b := range bad {
					if strings.HasPrefix(dep, b) {
						t.Errorf("%s imports %s (forbidden by ARCHITECTURE.md)", pkg, dep)
					}
				}
			}
		})
	}
}

// TestOVSDBImporters: only cmd/gswitch (and a future vswitchd package) may
// import the OVSDB client.
func TestOVSDBImporters(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "gswitch/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		pkg := f[0]
		if pkg == "gswitch/ovsdb" || strings.HasPrefix(pkg, "gswitch/ovsdb/") ||
			pkg == "gswitch/cmd/gswitch" || strings.HasPrefix(pkg, "gswitch/cmd/gswitch/") ||
			pkg == "gswitch/vswitchd" || strings.HasPrefix(pkg, "gswitch/vswitchd/") {
			continue
		}
		for _, d := range f[1:] {
			if d == "gswitch/ovsdb" || strings.HasPrefix(d, "gswitch/ovsdb/") {
				t.Errorf("%s imports %s: only cmd/gswitch and vswitchd may (ARCHITECTURE.md)", pkg, d)
			}
		}
	}
}
