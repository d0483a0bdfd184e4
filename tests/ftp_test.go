package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// FTP and TFTP through gswitch's conntrack helpers (ct(commit,alg=ftp),
// ct(commit,alg=tftp)), as tests/ovsref/capture.sh's ftp, ftpnat and tftp
// sections ran them through OVS 3.1: a real FTP server (pyftpdlib) and
// client (curl), the talk's flows, and the conntrack table compared with
// OVS's.

const ftpFileSize = 100000

// ftpTopo builds the topology with the talk's port names, loads flows,
// and starts pyftpdlib on the right host with a 100000-byte file.txt and
// passive port 20100 (as capture.sh).
func ftpTopo(t *testing.T, flows string, withNAT bool) *topo {
	t.Helper()
	return ftpTopoIn(t, "gtft", flows, withNAT, "21")
}

// ftpTopoIn is ftpTopo with namespaces named PREFIX-l, PREFIX-s, PREFIX-r
// and the server on port.
func ftpTopoIn(t *testing.T, prefix, flows string, withNAT bool, port string) *topo {
	t.Helper()
	tp := newTopo(t, prefix, "eth0", "veth1")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", flows)
	if withNAT {
		tp.R.Must(t, "ip", "route", "add", "203.0.113.0/24", "dev", "r1")
		tp.R.Must(t, "ip", "neigh", "replace", "203.0.113.100", "lladdr", "02:00:00:00:01:01", "dev", "r1", "nud", "permanent")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file.txt"), []byte(strings.Repeat("x", ftpFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	tp.R.Start(t, "timeout", "90", "/usr/bin/python3", "-m", "pyftpdlib", "-i", ip4R, "-p", port, "-d", dir, "-r", "20100-20100")
	waitListen(t, tp.R, "tcp", port)
	if _, err := py(tp.R, "ready", port, "tcp", ip4R); err != nil {
		t.Fatal("FTP server not ready")
	}
	return tp
}

// ftpGet downloads file.txt with curl as capture.sh does (control
// connection from port 20021; passive data from 20022, active data to
// 20040) and reports whether the whole file came.
func ftpGet(t *testing.T, tp *topo, mode string, maxTime string) (bool, string) {
	t.Helper()
	return ftpGetFrom(t, tp, mode, maxTime, ip4R)
}

// ftpGetFrom is ftpGet from the server at host (an address, or
// address:port).
func ftpGetFrom(t *testing.T, tp *topo, mode, maxTime, host string) (bool, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "got")
	args := []string{"-sS", "--max-time", maxTime, "--connect-timeout", "3", "--local-port", "20021-20022", "-o", out}
	if mode == "passive" {
		args = append(args, "--disable-epsv")
	} else {
		args = append(args, "--disable-eprt", "--ftp-port", ip4L+":20040-20040")
	}
	msg, err := tp.L.Try("curl", append(args, "ftp://"+host+"/file.txt")...)
	if err != nil {
		return false, msg
	}
	st, err := os.Stat(out)
	return err == nil && st.Size() == ftpFileSize, msg
}

func ftpVsOVS(t *testing.T, dir, flows string, withNAT bool) {
	ftpVsOVSIn(t, "gtft", dir, flows, withNAT)
}

// ftpVsOVSIn is ftpVsOVS in namespaces named after prefix (ftpTopoIn).
func ftpVsOVSIn(t *testing.T, prefix, dir, flows string, withNAT bool) {
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			tp := ftpTopoIn(t, prefix, golden.Path("flows/"+flows), withNAT, "21")
			if ok, msg := ftpGet(t, tp, mode, "10"); !ok {
				t.Fatalf("%s download failed: %s\n%s", mode, msg, tp.appctl(t, "dpctl/dump-conntrack"))
			}
			time.Sleep(700 * time.Millisecond)
			base := dir + "/" + mode
			compareGolden(t, golden.KindConntrack, base+".dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
			compareGolden(t, golden.KindConntrack, base+".dump-conntrack-m.txt", tp.appctl(t, "dpctl/dump-conntrack", "-m"))
			compareGolden(t, golden.KindConntrack, base+".dump-conntrack-s.txt", tp.appctl(t, "dpctl/dump-conntrack", "-s"))
			compareGolden(t, golden.KindFlowsHits, base+".dump-flows.of13.txt",
				tp.mustOfctl(t, "-O", "OpenFlow13", "--names", "dump-flows", "table=1"))
			// OVS 3.1 has no dpctl/dump-conntrack-exp (its golden is the
			// error); gswitch has later OVS's: the expectation was used.
			if got := tp.appctl(t, "dpctl/dump-conntrack-exp"); got != "" {
				t.Errorf("expectations left after the transfer:\n%s", got)
			}
		})
	}
}

// TestPrivilegedFTP: the talk's flows (tests/golden/flows/talk-ftp.flows),
// passive and active downloads, compared with OVS 3.1's conntrack dumps
// and flow hit counts.
func TestPrivilegedFTP(t *testing.T) {
	ftpVsOVS(t, "ftp", "talk-ftp.flows", false)
}

// TestPrivilegedFTPNAT: ftp-nat.flows, the client's side source-NATed to
// 203.0.113.100: the helper rewrites PORT/227 and the data connection is
// translated like its parent.
func TestPrivilegedFTPNAT(t *testing.T) {
	ftpVsOVS(t, "ftpnat", "ftp-nat.flows", true)
}

// TestPrivilegedFTPNATHelperFollowsConn: ftp-nat-ct.flows, as ftp-nat.flows
// but with a plain ct(table=1) first and the established packets
// translated by ct(nat) without alg=: the control connection keeps its FTP
// helper, so the active transfer's PORT still reaches the server as
// 203.0.113.100 (tests/ovsref/capture.sh ftpnatct ran the same through
// OVS 3.1; both transfers succeed there).
func TestPrivilegedFTPNATHelperFollowsConn(t *testing.T) {
	ftpVsOVSIn(t, "g11c", "ftpnatct", "ftp-nat-ct.flows", true)
}

// TestPrivilegedFTPNATHelperPort: ftp-nat-port.flows, the same with the
// server on port 2121: OVS 3.1 gives a packet of a helper's connection to
// the helper only when it is to or from port 21 or its ct action names the
// helper, so neither 227 nor PORT is seen and both transfers fail, as they
// did through OVS (tests/ovsref/capture.sh ftpnatport); only the control
// connection is left.
func TestPrivilegedFTPNATHelperPort(t *testing.T) {
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			tp := ftpTopoIn(t, "g11c", golden.Path("flows/ftp-nat-port.flows"), true, "2121")
			if ok, _ := ftpGetFrom(t, tp, mode, "6", ip4R+":2121"); ok {
				t.Fatalf("%s download succeeded: the helper saw a control packet on port 2121 of a ct without alg=\n%s",
					mode, tp.appctl(t, "dpctl/dump-conntrack"))
			}
			time.Sleep(700 * time.Millisecond)
			base := "ftpnatport/" + mode
			compareGolden(t, golden.KindConntrack, base+".dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
			compareGolden(t, golden.KindConntrack, base+".dump-conntrack-m.txt", tp.appctl(t, "dpctl/dump-conntrack", "-m"))
			compareGolden(t, golden.KindFlowsHits, base+".dump-flows.of13.txt",
				tp.mustOfctl(t, "-O", "OpenFlow13", "--names", "dump-flows", "table=1"))
			if got := tp.appctl(t, "dpctl/dump-conntrack-exp"); got != "" {
				t.Errorf("expectations announced on port 2121:\n%s", got)
			}
		})
	}
}

// TestPrivilegedFTPDNAT: the client connects to a virtual address
// (203.0.113.200) that the switch translates to the server; the server's
// 227 reply names its real address and the client must see the virtual
// one, and the server's active connection must come from it.
func TestPrivilegedFTPDNAT(t *testing.T) {
	flows := filepath.Join(t.TempDir(), "ftp-dnat.flows")
	err := os.WriteFile(flows, []byte(`table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1,nat)
table=0,priority=10,arp,actions=drop
table=0,priority=0,actions=drop
table=1,priority=1000,tcp,ct_state=+new+trk,in_port=eth0,nw_dst=203.0.113.200,tp_dst=21,actions=ct(commit,alg=ftp,nat(dst=198.51.100.2)),output:veth1
table=1,priority=900,ct_state=+new+rel+trk,tcp,in_port=eth0,actions=ct(commit,nat),output:veth1
table=1,priority=900,ct_state=+new+rel+trk,tcp,in_port=veth1,actions=ct(commit,nat),output:eth0
table=1,priority=800,ct_state=+est+trk,in_port=eth0,actions=output:veth1
table=1,priority=800,ct_state=+est+trk,in_port=veth1,actions=output:eth0
table=1,priority=1,actions=drop
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			tp := ftpTopo(t, flows, false)
			tp.L.Must(t, "ip", "route", "add", "203.0.113.0/24", "dev", "l1")
			tp.L.Must(t, "ip", "neigh", "replace", "203.0.113.200", "lladdr", "02:00:00:00:02:01", "dev", "l1", "nud", "permanent")
			out := filepath.Join(t.TempDir(), "got")
			args := []string{"-sS", "--max-time", "10", "--connect-timeout", "3", "--local-port", "20021-20022", "-o", out}
			if mode == "passive" {
				args = append(args, "--disable-epsv")
			} else {
				args = append(args, "--disable-eprt", "--ftp-port", ip4L+":20040-20040")
			}
			if msg, err := tp.L.Try("curl", append(args, "ftp://203.0.113.200/file.txt")...); err != nil {
				t.Fatalf("download through DNAT: %v\n%s\n%s", err, msg, tp.appctl(t, "dpctl/dump-conntrack"))
			}
			if st, err := os.Stat(out); err != nil || st.Size() != ftpFileSize {
				t.Fatalf("incomplete download: %v", err)
			}
			dump := golden.Normalize(golden.KindConntrack, tp.appctl(t, "dpctl/dump-conntrack", "-m"))
			want := []string{"tcp,orig=(src=198.51.100.1,dst=203.0.113.200,sport=20021,dport=21),reply=(src=198.51.100.2,dst=198.51.100.1,sport=21,dport=20021)"}
			if mode == "passive" {
				want = append(want, "tcp,orig=(src=198.51.100.1,dst=203.0.113.200,sport=20022,dport=20100),reply=(src=198.51.100.2,dst=198.51.100.1,sport=20100,dport=20022)")
			} else {
				want = append(want, "tcp,orig=(src=198.51.100.2,dst=198.51.100.1,sport=EPH,dport=20040),reply=(src=198.51.100.1,dst=203.0.113.200,sport=20040,dport=EPH)")
			}
			for _, w := range want {
				if !strings.Contains(dump, w) {
					t.Errorf("dump lacks %s:\n%s", w, dump)
				}
			}
			if strings.Count(dump, "parent=(src=198.51.100.1,dst=203.0.113.200,sport=20021,dport=21)") != 1 {
				t.Errorf("want one related connection:\n%s", dump)
			}
		})
	}
}

// TestPrivilegedFTPWithoutHelper: the same talk flows without alg=ftp: the
// control connection works but its data connection is not related (no
// helper announced it) and is dropped, so the transfer fails.
func TestPrivilegedFTPWithoutHelper(t *testing.T) {
	b, err := os.ReadFile(golden.Path("flows/talk-ftp.flows"))
	if err != nil {
		t.Fatal(err)
	}
	noalg := strings.ReplaceAll(string(b), ",alg=ftp", "")
	if noalg == string(b) {
		t.Fatal("talk-ftp.flows has no alg=ftp")
	}
	flows := filepath.Join(t.TempDir(), "noalg.flows")
	if err := os.WriteFile(flows, []byte(noalg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			tp := ftpTopo(t, flows, false)
			if ok, _ := ftpGet(t, tp, mode, "6"); ok {
				t.Fatalf("%s download succeeded without the FTP helper", mode)
			}
			dump := tp.appctl(t, "dpctl/dump-conntrack")
			if strings.Contains(dump, "helper=") || strings.Count(dump, "\n") != 1 ||
				!strings.Contains(dump, "sport=20021,dport=21)") {
				t.Errorf("want only the control connection, without helper:\n%s", dump)
			}
			flowsOut := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "table=1")
			for _, l := range strings.Split(flowsOut, "\n") {
				if strings.Contains(l, "priority=1 ") && strings.Contains(l, "n_packets=0,") {
					t.Errorf("the data connection was not dropped:\n%s", flowsOut)
				}
			}
		})
	}
}

// TestPrivilegedTFTP: tests/golden/flows/tftp.flows and traffic.py's TFTP
// server (answering from port 20069) and client (from port 20061), as
// capture.sh's tftp section.
func TestPrivilegedTFTP(t *testing.T) {
	tp := newTopo(t, "gtft", "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/tftp.flows"))
	startPy(t, tp.R, "tftp-server", "69", "30", "20069")
	waitListen(t, tp.R, "udp", "69")
	if out, err := py(tp.L, "tftp-client", "20061", ip4R); err != nil {
		t.Fatalf("TFTP read through the switch: %v\n%s\n%s", err, out, tp.appctl(t, "dpctl/dump-conntrack"))
	}
	time.Sleep(500 * time.Millisecond)
	compareGolden(t, golden.KindConntrack, "tftp/dump-conntrack.txt", tp.appctl(t, "dpctl/dump-conntrack"))
	compareGolden(t, golden.KindConntrack, "tftp/dump-conntrack-m.txt", tp.appctl(t, "dpctl/dump-conntrack", "-m"))
	compareGolden(t, golden.KindFlowsHits, "tftp/dump-flows.of13.txt", tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "table=1"))
}

// TestPrivilegedFTPDemo runs examples/ftp/demo.sh (the talk's FTP flows
// added one by one with ovs-ofctl; PASV, PORT, EPSV and EPRT downloads and
// uploads; an unannounced connection dropped).
func TestPrivilegedFTPDemo(t *testing.T) {
	wantDemo(t, "FTP", runDemo(t, "ftp/demo.sh", "demo: all checks passed (gswitch, flags)"), ftpDemoWants)
}

// TestPrivilegedFTPDemoDatabase runs examples/ftp/demo.sh with MODE=db: the
// same transfers with gswitch as ovs-vswitchd, br0 made with ovs-vsctl.
func TestPrivilegedFTPDemoDatabase(t *testing.T) {
	wantDemo(t, "FTP", runDemoDatabase(t, "ftp/demo.sh"), ftpDemoWants)
}

var ftpDemoWants = []string{
	"actions=ct(commit,alg=ftp),output:2",
	",dport=21),reply=(src=198.51.100.2,dst=198.51.100.1,sport=21,",
	"protoinfo=(state=TIME_WAIT),helper=ftp",
	",dport=20040),reply=(src=198.51.100.1,dst=198.51.100.2,sport=20040,",
}
