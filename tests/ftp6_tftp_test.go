package tests

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gswitch/tests/golden"
)

// FTP over IPv6 (EPSV and EPRT, RFC 2428) through the talk's FTP flows
// written for IPv6, and TFTP write requests and transfers through SNAT,
// with real servers and clients: pyftpdlib and curl for FTP, tftpd-hpa's
// in.tftpd and curl for TFTP. Every transfer is bounded by curl's
// --max-time and by timeout(1).

// ftp6NS is the namespace prefix of these tests.
const ftp6NS = "gt6x"

// randomFile writes n random bytes to path and returns them.
func randomFile(t *testing.T, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// sameFile waits (at most 3 s: a server may close the file just after its
// last reply) until path holds want.
func sameFile(path string, want []byte) bool {
	return eventually(3*time.Second, func() bool {
		got, err := os.ReadFile(path)
		return err == nil && bytes.Equal(got, want)
	})
}

// wantConntrack compares a dpctl/dump-conntrack output with the expected
// lines (both normalized: ephemeral ports become EPH, lines sorted).
func wantConntrack(t *testing.T, got string, want ...string) {
	t.Helper()
	g := golden.Normalize(golden.KindConntrack, got)
	w := golden.Normalize(golden.KindConntrack, strings.Join(want, "\n"))
	if g != w {
		t.Errorf("dump-conntrack differs\n--- want\n%s--- got\n%s", w, g)
	}
}

// ftp6Server builds the topology (the talk's port names), loads flows and
// starts pyftpdlib on [2001:db8::2]:21, writable, passive port 20100, in a
// directory holding file.bin. It returns the directory and file.bin's
// content.
func ftp6Server(t *testing.T, flows string) (*topo, string, []byte) {
	t.Helper()
	tp := newTopo(t, ftp6NS, "eth0", "veth1")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", flows)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	data := randomFile(t, filepath.Join(dir, "file.bin"), 200000)
	tp.R.Start(t, "timeout", "90", "/usr/bin/python3", "-m", "pyftpdlib", "-i", ip6R, "-p", "21", "-w", "-d", dir, "-r", "20100-20100")
	waitListen(t, tp.R, "tcp", "21")
	if _, err := py(tp.R, "ready", "21", "tcp", ip6R); err != nil {
		t.Fatal("FTP server not ready")
	}
	return tp, dir, data
}

// ftp6Curl runs curl on the left host against ftp://[2001:db8::2]/name:
// control connection from port 20021, passive (EPSV) data from 20022,
// active (EPRT) data to [2001:db8::1]:20040. upload is the local file to
// send (-T), else the file is downloaded to out.
func ftp6Curl(tp *topo, active bool, maxTime, upload, out, name string) (string, error) {
	args := []string{"20", "curl", "-sS", "-v", "-g", "--max-time", maxTime, "--connect-timeout", "3", "--local-port", "20021-20022"}
	if active {
		args = append(args, "--ftp-port", "["+ip6L+"]:20040-20040")
	}
	if upload != "" {
		args = append(args, "-T", upload)
	} else {
		args = append(args, "-o", out)
	}
	return tp.L.Try("timeout", append(args, "ftp://["+ip6R+"]/"+name)...)
}

// TestPrivilegedFTP6: tests/testdata/ftp6-talk.flows (the talk's FTP flows
// for IPv6): EPSV and EPRT downloads and uploads of a 200000/150000-byte
// random file, the content checked, and the conntrack table: the control
// connection with helper=ftp and its one data connection, no expectation
// left.
func TestPrivilegedFTP6(t *testing.T) {
	const (
		ctl = "tcp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=20021,dport=21),reply=(src=2001:db8::2,dst=2001:db8::1,sport=21,dport=20021),protoinfo=(state=TIME_WAIT),helper=ftp"
		pas = "tcp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=20022,dport=20100),reply=(src=2001:db8::2,dst=2001:db8::1,sport=20100,dport=20022),protoinfo=(state=TIME_WAIT)"
		act = "tcp,orig=(src=2001:db8::2,dst=2001:db8::1,sport=EPH,dport=20040),reply=(src=2001:db8::1,dst=2001:db8::2,sport=20040,dport=EPH),protoinfo=(state=TIME_WAIT)"
	)
	for _, c := range []struct {
		name           string
		active, upload bool
		data           string
	}{
		{"epsv-download", false, false, pas},
		{"epsv-upload", false, true, pas},
		{"eprt-download", true, false, act},
		{"eprt-upload", true, true, act},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp, srv, data := ftp6Server(t, "testdata/ftp6-talk.flows")
			local := t.TempDir()
			var ok bool
			var msg string
			var err error
			start := time.Now()
			defer func() { t.Logf("transfer and check took %v", time.Since(start)) }()
			if c.upload {
				up := randomFile(t, filepath.Join(local, "up.bin"), 150000)
				msg, err = ftp6Curl(tp, c.active, "10", filepath.Join(local, "up.bin"), "", "up.bin")
				ok = err == nil && sameFile(filepath.Join(srv, "up.bin"), up)
			} else {
				msg, err = ftp6Curl(tp, c.active, "10", "", filepath.Join(local, "got"), "file.bin")
				ok = err == nil && sameFile(filepath.Join(local, "got"), data)
			}
			if !ok {
				t.Fatalf("%s: transfer failed or content differs: %v\n%s\n%s", c.name, err, msg, tp.appctl(t, "dpctl/dump-conntrack"))
			}
			cmd := "> EPSV"
			if c.active {
				cmd = "> EPRT |2|2001:db8::1|20040|"
			}
			if !strings.Contains(msg, cmd) {
				t.Errorf("curl did not send %q:\n%s", cmd, msg)
			}
			time.Sleep(700 * time.Millisecond)
			wantConntrack(t, tp.appctl(t, "dpctl/dump-conntrack"), ctl, c.data)
			m := tp.appctl(t, "dpctl/dump-conntrack", "-m")
			if strings.Count(m, "parent=(src=2001:db8::1,dst=2001:db8::2,sport=20021,dport=21)") != 1 {
				t.Errorf("want the data connection related to the control connection:\n%s", m)
			}
			if got := tp.appctl(t, "dpctl/dump-conntrack-exp"); got != "" {
				t.Errorf("expectations left after the transfer:\n%s", got)
			}
		})
	}
}

// TestPrivilegedFTP6WithoutHelper: ftp6-talk.flows without alg=ftp: the
// control connection works, but nothing announces the data connection, so
// it is dropped and the transfer fails; only the control connection, with
// no helper, is in the table.
func TestPrivilegedFTP6WithoutHelper(t *testing.T) {
	b, err := os.ReadFile("testdata/ftp6-talk.flows")
	if err != nil {
		t.Fatal(err)
	}
	noalg := strings.ReplaceAll(string(b), ",alg=ftp", "")
	if noalg == string(b) {
		t.Fatal("ftp6-talk.flows has no alg=ftp")
	}
	flows := filepath.Join(t.TempDir(), "noalg.flows")
	if err := os.WriteFile(flows, []byte(noalg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		active bool
	}{{"epsv", false}, {"eprt", true}} {
		t.Run(c.name, func(t *testing.T) {
			tp, _, _ := ftp6Server(t, flows)
			out := filepath.Join(t.TempDir(), "got")
			if msg, err := ftp6Curl(tp, c.active, "6", "", out, "file.bin"); err == nil {
				t.Fatalf("%s download succeeded without the FTP helper:\n%s", c.name, msg)
			}
			dump := tp.appctl(t, "dpctl/dump-conntrack")
			if strings.Contains(dump, "helper=") || strings.Count(dump, "\n") != 1 ||
				!strings.Contains(dump, "tcp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=20021,dport=21)") {
				t.Errorf("want only the control connection, without helper:\n%s", dump)
			}
			flowsOut := tp.mustOfctl(t, "-O", "OpenFlow13", "dump-flows", "table=1")
			for _, l := range strings.Split(flowsOut, "\n") {
				if strings.Contains(l, "priority=1 ") && strings.Contains(l, "n_packets=0,") {
					t.Errorf("nothing was dropped:\n%s", flowsOut)
				}
				if strings.Contains(l, "+new+rel") && !strings.Contains(l, "n_packets=0,") {
					t.Errorf("a related connection without the helper:\n%s", flowsOut)
				}
			}
		})
	}
}

// tftpServer starts tftpd-hpa's in.tftpd on the right host at addr:69
// (creating files allowed, transfers answered from port 20069) in a
// directory holding file.bin; it returns the directory and file.bin's
// content.
func tftpServer(t *testing.T, tp *topo, addr string) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	data := randomFile(t, filepath.Join(dir, "file.bin"), 20000)
	tp.R.Start(t, "timeout", "60", "in.tftpd", "-L", "-a", addr+":69", "-c", "-u", "root", "-s", dir, "-R", "20069:20069", "-v")
	waitListen(t, tp.R, "udp", "69")
	return dir, data
}

// tftpCurl runs curl's TFTP client on the left host from port 20061:
// upload (-T) the local file, or download name to out.
func tftpCurl(tp *topo, upload, out, name string) (string, error) {
	args := []string{"20", "curl", "-sS", "--max-time", "10", "--local-port", "20061"}
	if upload != "" {
		args = append(args, "-T", upload)
	} else {
		args = append(args, "-o", out)
	}
	return tp.L.Try("timeout", append(args, "tftp://"+ip4R+"/"+name)...)
}

// tftpTransfer runs one TFTP transfer (a 20000-byte download of file.bin
// or a 15000-byte upload of up.bin) and checks the content on the other
// side.
func tftpTransfer(t *testing.T, tp *topo, srv string, data []byte, put bool) {
	t.Helper()
	local := t.TempDir()
	var msg string
	var err error
	var ok bool
	start := time.Now()
	defer func() { t.Logf("transfer and check took %v", time.Since(start)) }()
	if put {
		up := randomFile(t, filepath.Join(local, "up.bin"), 15000)
		msg, err = tftpCurl(tp, filepath.Join(local, "up.bin"), "", "up.bin")
		ok = err == nil && sameFile(filepath.Join(srv, "up.bin"), up)
	} else {
		msg, err = tftpCurl(tp, "", filepath.Join(local, "got"), "file.bin")
		ok = err == nil && sameFile(filepath.Join(local, "got"), data)
	}
	if !ok {
		t.Fatalf("TFTP %s: transfer failed or content differs: %v\n%s\n%s", map[bool]string{true: "put", false: "get"}[put],
			err, msg, tp.appctl(t, "dpctl/dump-conntrack"))
	}
}

// TestPrivilegedTFTPPut: a write request through tests/golden/flows/tftp.flows:
// the server's first ACK comes from its new port 20069 (+new+rel, an
// expectation of the request) and the upload completes.
func TestPrivilegedTFTPPut(t *testing.T) {
	tp := newTopo(t, ftp6NS, "p1", "p2")
	tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", golden.Path("flows/tftp.flows"))
	srv, data := tftpServer(t, tp, ip4R)
	tftpTransfer(t, tp, srv, data, true)
	time.Sleep(300 * time.Millisecond)
	wantConntrack(t, tp.appctl(t, "dpctl/dump-conntrack"),
		"udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=20061,dport=69),reply=(src=198.51.100.2,dst=198.51.100.1,sport=69,dport=20061),helper=tftp",
		"udp,orig=(src=198.51.100.2,dst=198.51.100.1,sport=20069,dport=20061),reply=(src=198.51.100.1,dst=198.51.100.2,sport=20061,dport=20069)")
	if got := tp.appctl(t, "dpctl/dump-conntrack-exp"); got != "" {
		t.Errorf("expectations left after the transfer:\n%s", got)
	}
}

// TestPrivilegedTFTPSNAT: TFTP get and put through tests/testdata/tftp-snat.flows
// (the client leaves as 203.0.113.100): the server's transfer from its new
// port to 203.0.113.100 is related to the request and translated back to
// the client by ct(commit,nat).
func TestPrivilegedTFTPSNAT(t *testing.T) {
	for _, put := range []bool{false, true} {
		name := map[bool]string{true: "put", false: "get"}[put]
		t.Run(name, func(t *testing.T) {
			tp := newTopo(t, ftp6NS, "p1", "p2")
			tp.mustOfctl(t, "-O", "OpenFlow13", "add-flows", "testdata/tftp-snat.flows")
			tp.R.Must(t, "ip", "route", "add", "203.0.113.0/24", "dev", "r1")
			tp.R.Must(t, "ip", "neigh", "replace", "203.0.113.100", "lladdr", "02:00:00:00:01:01", "dev", "r1", "nud", "permanent")
			srv, data := tftpServer(t, tp, ip4R)
			tftpTransfer(t, tp, srv, data, put)
			time.Sleep(300 * time.Millisecond)
			wantConntrack(t, tp.appctl(t, "dpctl/dump-conntrack"),
				"udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=20061,dport=69),reply=(src=198.51.100.2,dst=203.0.113.100,sport=69,dport=20061),helper=tftp",
				"udp,orig=(src=198.51.100.2,dst=203.0.113.100,sport=20069,dport=20061),reply=(src=198.51.100.1,dst=198.51.100.2,sport=20061,dport=20069)")
			if got := tp.appctl(t, "dpctl/dump-conntrack-exp"); got != "" {
				t.Errorf("expectations left after the transfer:\n%s", got)
			}
		})
	}
}
