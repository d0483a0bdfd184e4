package nxm

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"gswitch/pipeline"
)

// TestPrivilegedOVSErrors sends every error case of errors_test.go to a
// real ovs-vswitchd in flow-mods and checks that OVS answers with the
// OFPT_ERROR type and code our decoders return. It needs an OVS OpenFlow
// listener (OpenFlow 1.0 and 1.3 enabled): GSWITCH_OVS_ADDR names one, or,
// with GSWITCH_PRIV=1, the test starts a private one with
// tests/ovsref/ovs-env.sh (root, Debian's openvswitch-switch). By hand:
//
//	tests/ovsref/ovs-env.sh -n '' -t 17350 -- \
//	    env GSWITCH_OVS_ADDR=127.0.0.1:17350 go test -run Privileged ./nxm
func TestPrivilegedOVSErrors(t *testing.T) {
	addr := ovsAddr(t)
	c13 := dialOF(t, addr, 4)
	c10 := dialOF(t, addr, 1)
	emptyMatch := hx("0001 0004 00000000")
	for _, tc := range matchErrorCases {
		b := hx(tc.tlvs)
		om := binary.BigEndian.AppendUint16(nil, 1)
		om = binary.BigEndian.AppendUint16(om, uint16(4+len(b)))
		om = append(om, b...)
		for len(om)%8 != 0 {
			om = append(om, 0)
		}
		t.Run("match/"+tc.name, func(t *testing.T) {
			skipDiffer(t, tc.name)
			compareOVS(t, c13, flowMod13(om, nil), tc.typ, tc.code)
		})
	}
	for _, tc := range actionErrorCases() {
		t.Run("action/"+tc.name, func(t *testing.T) {
			skipDiffer(t, tc.name)
			switch tc.version {
			case 4:
				inst := hx("0004 0000 00000000")
				inst = append(inst, tc.b...)
				binary.BigEndian.PutUint16(inst[2:], uint16(len(inst)))
				if len(tc.b)%8 != 0 {
					t.Skip("not expressible inside an instruction")
				}
				compareOVS(t, c13, flowMod13(emptyMatch, inst), tc.typ, tc.code)
			case 1:
				compareOVS(t, c10, flowMod10(tc.b), tc.typ, tc.code)
			default:
				t.Skip("version")
			}
		})
	}
	for _, tc := range instructionErrorCases() {
		t.Run("instruction/"+tc.name, func(t *testing.T) {
			skipDiffer(t, tc.name)
			compareOVS(t, c13, flowMod13(emptyMatch, tc.b), tc.typ, tc.code)
		})
	}
}

// ovsDiffers lists the cases where OVS's answer differs from ours, and why.
var ovsDiffers = map[string]string{
	"set_field unknown field (hash-dependent in OVS)": "OVS answers BAD_SET_LEN or BAD_SET_TYPE depending on hash-bucket neighbours (nxm_field_by_header)",
	"OF1.3 deprecated set_vlan_vid":                   "OVS decodes the OF1.1 set actions (then finds them inconsistent); gswitch decodes only set_tp_src/dst (types 9, 10: TestPrivilegedOVSSetTpDst13) and refuses the others (BAD_TYPE)",
	"ONF copy_field":                                  "OVS supports ONF copy_field; gswitch does not (BAD_EXP_TYPE)",
	"list not a multiple of 8":                        "OVS refuses the whole message first: OFPBRC_BAD_LEN from ofpraw_check_length, as a flow-mod's instructions/actions part must be a multiple of 8 (ofproto checks this framing before calling nxm)",
}

type ofConn struct {
	c   net.Conn
	ver uint8
	xid uint32
}

func dialOF(t *testing.T, addr string, ver uint8) *ofConn {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	oc := &ofConn{c: c, ver: ver}
	oc.send(0, nil)
	for {
		typ, _, err := oc.recv()
		if err != nil {
			t.Fatal(err)
		}
		if typ == 0 {
			break
		}
	}
	if ver == 1 {
		// NXT_FLOW_MOD_TABLE_ID on, as ovs-ofctl does before sending
		// NXT_FLOW_MODs whose command carries a table ID.
		oc.send(4, hx("00002320 0000000f 01 00000000000000"))
	}
	return oc
}

func (oc *ofConn) send(typ uint8, body []byte) uint32 {
	oc.xid++
	m := []byte{oc.ver, typ, 0, 0}
	m = binary.BigEndian.AppendUint32(m, oc.xid)
	m = append(m, body...)
	binary.BigEndian.PutUint16(m[2:], uint16(len(m)))
	oc.c.SetDeadline(time.Now().Add(5 * time.Second))
	oc.c.Write(m)
	return oc.xid
}

func (oc *ofConn) recv() (uint8, []byte, error) {
	oc.c.SetDeadline(time.Now().Add(5 * time.Second))
	var h [8]byte
	if _, err := io.ReadFull(oc.c, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n < 8 {
		return 0, nil, fmt.Errorf("bad length %d", n)
	}
	body := make([]byte, n-8)
	if _, err := io.ReadFull(oc.c, body); err != nil {
		return 0, nil, err
	}
	if h[1] == 2 { // ECHO_REQUEST
		oc.c.Write(append([]byte{h[0], 3, h[2], h[3], h[4], h[5], h[6], h[7]}, body...))
	}
	return h[1], body, nil
}

// flowMod13 builds an OpenFlow 1.3 OFPT_FLOW_MOD (add, table 0).
func flowMod13(match, inst []byte) []byte {
	b := make([]byte, 40)
	binary.BigEndian.PutUint16(b[18:], 0x100)      // priority
	binary.BigEndian.PutUint32(b[20:], 0xffffffff) // buffer_id
	binary.BigEndian.PutUint32(b[24:], 0xffffffff) // out_port
	binary.BigEndian.PutUint32(b[28:], 0xffffffff) // out_group
	return append(append(b, match...), inst...)
}

// flowMod10 builds an OpenFlow 1.0 OFPT_FLOW_MOD (add) matching everything.
func flowMod10(actions []byte) []byte {
	b := make([]byte, 40+24)
	binary.BigEndian.PutUint32(b, ofpfw10All)
	binary.BigEndian.PutUint16(b[40+12:], 0x100)      // priority
	binary.BigEndian.PutUint32(b[40+14:], 0xffffffff) // buffer_id
	binary.BigEndian.PutUint16(b[40+18:], 0xffff)     // out_port
	return append(b, actions...)
}

// compareOVS sends a flow-mod, then a barrier, and compares OVS's error.
func compareOVS(t *testing.T, oc *ofConn, body []byte, typ, code uint16) {
	t.Helper()
	oc.send(14, body)
	barrier := uint8(20)
	if oc.ver == 1 {
		barrier = 18
	}
	oc.send(barrier, nil)
	var gotT, gotC uint16
	var gotExp uint32
	var got bool
	for {
		mt, b, err := oc.recv()
		if err != nil {
			t.Fatal(err)
		}
		if mt == 1 && len(b) >= 4 { // OFPT_ERROR
			gotT, gotC, got = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), true
			if gotT == 0xffff && len(b) >= 8 {
				gotExp = binary.BigEndian.Uint32(b[4:])
			}
			if gotT == 0xb0c2 && len(b) >= 12 { // OpenFlow 1.0 Nicira vendor error
				gotT, gotC = binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[10:])
			}
		}
		if mt == barrier+1 {
			break
		}
	}
	if !got {
		t.Errorf("OVS accepted it; we say type %d code %d", typ, code)
		return
	}
	want := &pipeline.Error{Type: typ, Code: code}
	wt, wc := typ, code
	if oc.ver == 1 {
		wt, wc, _ = OF10Code(want)
	}
	if gotT != wt || gotC != wc || (gotT == 0xffff && gotExp != ExperimenterOf(want)) {
		t.Errorf("OVS says type %d code %d (exp %#x); we say type %d code %d (exp %#x)",
			gotT, gotC, gotExp, wt, wc, ExperimenterOf(want))
	}
}

func skipDiffer(t *testing.T, name string) {
	if why, ok := ovsDiffers[name]; ok {
		t.Skip(why)
	}
}

// A private ovs-vswitchd for the privileged tests, started once, stopped by
// TestMain.
var (
	ovsOnce sync.Once
	ovsAt   string
	ovsErr  error
	ovsStop func()
)

const ovsPort = "17361" // within nxm's 17300-17399

// ovsAddr returns the address of an OVS OpenFlow listener, or skips.
func ovsAddr(t *testing.T) string {
	if a := os.Getenv("GSWITCH_OVS_ADDR"); a != "" {
		return a
	}
	if os.Getenv("GSWITCH_PRIV") != "1" {
		t.Skip("set GSWITCH_PRIV=1 (root, OVS installed) or GSWITCH_OVS_ADDR")
	}
	if _, err := exec.LookPath("ovs-vswitchd"); err != nil {
		t.Skip("ovs-vswitchd not installed")
	}
	ovsOnce.Do(startOVS)
	if ovsErr != nil {
		t.Fatal(ovsErr)
	}
	return ovsAt
}

// startOVS runs tests/ovsref/ovs-env.sh with a command that waits for its
// standard input to close; closing it stops OVS (ovs-env.sh cleans up).
func startOVS() {
	cmd := exec.Command("../tests/ovsref/ovs-env.sh", "-n", "", "-t", ovsPort, "--", "sh", "-c", "echo ready; read x")
	in, err := cmd.StdinPipe()
	if err != nil {
		ovsErr = err
		return
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		ovsErr = err
		return
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		ovsErr = err
		return
	}
	ovsStop = func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			ovsErr = fmt.Errorf("ovs-env.sh exited before OVS was ready")
			return
		}
	case <-time.After(60 * time.Second):
		ovsErr = fmt.Errorf("OVS did not start in 60s")
		return
	}
	ovsAt = "127.0.0.1:" + ovsPort
	for i := 0; i < 50; i++ {
		if c, err := net.Dial("tcp", ovsAt); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ovsErr = fmt.Errorf("no OpenFlow listener on %s", ovsAt)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if ovsStop != nil {
		ovsStop()
	}
	os.Exit(code)
}
