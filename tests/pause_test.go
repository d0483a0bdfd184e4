package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// pausePacket is capture-pause.sh's frame: UDP 198.51.100.1:20001 ->
// 198.51.100.2:9999 from 02:00:00:00:00:01 to 02:00:00:00:00:02.
const pausePacket = "02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270f000acdd56869"

var reBridgeUUID = regexp.MustCompile(`continuation\.bridge=[0-9a-f-]*`)

// port2 runs f while tcpdump watches r1 (port 2's far end) for one UDP
// frame, and returns "port2: ..." as capture-pause.sh prints it.
func (tp *topo) port2(t *testing.T, f func()) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	cmd := tp.R.Cmd(ctx, "timeout", "4", "tcpdump", "-nn", "-e", "-t", "-l", "-c", "1", "-i", "r1", "udp")
	var out syncBuf
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	f()
	cmd.Wait()
	s := strings.TrimRight(out.String(), "\n")
	if s == "" {
		return "port2: none\n"
	}
	return "port2: " + s + "\n"
}

// TestPrivilegedPauseVsOVS runs every case of tests/golden/pause/cases.tsv
// against gswitch as tests/ovsref/capture-pause.sh ran it against OVS 3.1:
// the case's flows, then tests/ovsref/pausectl injects a packet that a
// controller(pause) action stops, prints the NXT_PACKET_IN2 with its
// continuation byte for byte, sends the NXT_RESUME (unchanged, with a
// changed packet and register, or malformed), and prints what came back;
// what leaves port 2 follows. The output must be OVS's.
func TestPrivilegedPauseVsOVS(t *testing.T) {
	tp := newTopo(t, "g11w", "p1", "p2")
	tp.R.Try("ip", "link", "set", "r1", "up")
	pausectl := filepath.Join(t.TempDir(), "pausectl")
	if out, err := exec.Command("go", "build", "-o", pausectl, filepath.Join(golden.Dir(), "..", "ovsref", "pausectl")).CombinedOutput(); err != nil {
		t.Fatalf("building pausectl: %v\n%s", err, out)
	}
	load := func(t *testing.T, flows string) {
		tp.mustOfctl(t, "-O", "OpenFlow13", "del-flows")
		tp.mustOfctl(t, "-O", "OpenFlow13", "del-groups")
		if groups := golden.Path("pause/" + flows + ".groups"); isFile(groups) {
			tp.mustOfctl(t, "-O", "OpenFlow13", "add-groups", groups)
		}
		tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("pause/"+flows+".flows"))
		tp.appctl(t, "dpctl/flush-conntrack")
	}
	for _, line := range strings.Split(golden.Load("pause/cases.tsv"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		name, flows, mode := f[0], f[1], f[2]
		t.Run(name, func(t *testing.T) {
			load(t, flows)
			var out string
			p2 := tp.port2(t, func() {
				var err error
				out, err = tp.S.Try(pausectl, "-addr", "127.0.0.1:6653", "-in-port", "1", "-packet", pausePacket, "-mode", mode, "-ofp-print")
				// (pausectl fails, saying why, where OVS sent no
				// continuation: the golden has that line)
				if err != nil && !strings.Contains(out, "pausectl: ") {
					t.Errorf("pausectl: %v", err)
				}
			})
			compareGolden(t, golden.KindPlain, "pause/"+name+".txt", out+p2)
		})
	}
	// ovs-ofctl's own controller: it resumes every continuation it gets
	// (NXT_PACKET_IN2) and none on a standard packet-in.
	for _, v := range []struct{ name, format string }{{"monitor-nxt2", "nxt_packet_in2"}, {"monitor-standard", "standard"}} {
		t.Run(v.name, func(t *testing.T) {
			load(t, "basic")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := tp.S.Cmd(ctx, "env", "OVS_RUNDIR="+tp.rundir, "timeout", "4", "ovs-ofctl", "-O", "OpenFlow13",
				"monitor", "br0", "resume", "-P", v.format)
			var mon syncBuf
			cmd.Stdout, cmd.Stderr = &mon, &mon
			p2 := tp.port2(t, func() {
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Second)
				tp.mustOfctl(t, "-O", "OpenFlow13", "packet-out", "in_port=1 packet="+pausePacket+" actions=table")
				cmd.Wait()
			})
			var lines []string
			for _, l := range strings.Split(strings.TrimRight(mon.String(), "\n"), "\n") {
				if !reOfctlNoise.MatchString(l) {
					lines = append(lines, reBridgeUUID.ReplaceAllString(l, "continuation.bridge=X"))
				}
			}
			compareGolden(t, golden.KindPlain, "pause/"+v.name+".txt", strings.Join(lines, "\n")+"\n"+p2)
		})
	}
}

// isFile says whether name is an existing regular file.
func isFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}
