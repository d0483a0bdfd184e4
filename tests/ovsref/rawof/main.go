// Command rawof sends malformed OpenFlow messages to a switch and records
// how it answers: the OFPT_ERROR type and code (if any) and whether the
// connection still answers an echo request afterwards. capture.sh runs it
// against real Open vSwitch 3.1 to produce tests/golden/of-errors.tsv; the
// same cases (and golden.Errors) let gswitch's ofproto and nxm tests assert
// the same answers.
//
//	rawof -addr 127.0.0.1:17501 [-ofp-print] [-only NAME] > of-errors.tsv
//
// Each case uses a fresh TCP connection: HELLO (of the case's version),
// wait for the switch's HELLO, send the case's bytes, collect replies for
// -wait, then send ECHO_REQUEST (xid 0xec0ec0) and wait for its reply.
//
// Output: a header line, then one tab-separated row per case:
//
//	name version request_hex error_type error_code kept ovs_error reply_hex
//
// error_type/error_code are -1 when no OFPT_ERROR came back; kept is yes
// (echo answered), closed (the switch closed the connection) or noreply
// (neither within the timeout). ovs_error is ovs-ofctl ofp-print's name for
// the error (with -ofp-print) or a note. request_hex may end in "+zN":
// N zero bytes follow (keeps the 64 KiB case readable).
package main

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

const (
	of10 = 1
	of13 = 4
	of15 = 6

	caseXID = 0x0000c0de
	echoXID = 0x00ec0ec0

	nxVendor = 0x00002320
)

type tcase struct {
	name    string
	version uint8
	hello   []byte // custom hello instead of the default one
	msg     []byte
	zeros   int // zero bytes appended to msg (the request is msg + zeros)
	note    string
}

var (
	addr     = flag.String("addr", "127.0.0.1:17501", "switch's passive OpenFlow TCP address")
	wait     = flag.Duration("wait", 200*time.Millisecond, "how long to collect replies to each case before the echo (the echo reply orders the rest)")
	ofpPrint = flag.Bool("ofp-print", false, "name errors with `ovs-ofctl ofp-print`")
	only     = flag.String("only", "", "run only the case with this name (with -replies: the cases whose name, or name without err-, starts with it)")
	list     = flag.Bool("list", false, "list the cases and their bytes, connect to nothing")
	replies  = flag.Bool("replies", false, "record the replies to well-formed requests (of-replies.tsv) instead of errors")
	of15Set  = flag.Bool("of15", false, "with -replies: the OpenFlow 1.5 cases (of15-replies.tsv; the switch must allow OpenFlow15)")
)

func main() {
	flag.Parse()
	if *replies {
		if err := runReplies(); err != nil {
			fmt.Fprintln(os.Stderr, "rawof:", err)
			os.Exit(1)
		}
		return
	}
	cases := allCases()
	if *list {
		for _, c := range cases {
			fmt.Printf("%s\t%d\t%s\t%s\n", c.name, c.version, reqHex(c), c.note)
		}
		return
	}
	fmt.Println("name\tversion\trequest_hex\terror_type\terror_code\tkept\tovs_error\treply_hex")
	failed := false
	for _, c := range cases {
		if *only != "" && c.name != *only {
			continue
		}
		row, err := run(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rawof: %s: %v\n", c.name, err)
			failed = true
			continue
		}
		fmt.Println(row)
	}
	if failed {
		os.Exit(1)
	}
}

func reqHex(c tcase) string {
	s := hex.EncodeToString(c.msg)
	if c.zeros > 0 {
		s += fmt.Sprintf("+z%d", c.zeros)
	}
	return s
}

// ---------------------------------------------------------------- running

func run(c tcase) (string, error) {
	conn, err := net.DialTimeout("tcp", *addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	hello := c.hello
	if hello == nil {
		hello = msg(c.version, 0, 1, nil)
	}
	if _, err := conn.Write(hello); err != nil {
		return "", err
	}
	// the switch's hello
	m, err := readMsg(conn, time.Now().Add(3*time.Second))
	if err != nil {
		return "", fmt.Errorf("no hello: %v", err)
	}
	if m[1] != 0 {
		// e.g. an error right away for an incompatible hello
		return finish(c, conn, m)
	}
	req := append(append([]byte(nil), c.msg...), make([]byte, c.zeros)...)
	if _, err := conn.Write(req); err != nil {
		return "", err
	}
	return finish(c, conn, nil)
}

// finish collects replies to the case (first may already be read), then checks the connection.
func finish(c tcase, conn net.Conn, first []byte) (string, error) {
	etype, ecode := -1, -1
	var reply []byte
	kept := ""
	note := c.note
	take := func(m []byte) {
		if m[1] == 1 && etype < 0 && len(m) >= 12 { // OFPT_ERROR (same number in 1.0 and 1.3)
			etype = int(binary.BigEndian.Uint16(m[8:]))
			ecode = int(binary.BigEndian.Uint16(m[10:]))
			reply = m
		}
	}
	if first != nil {
		take(first)
	}
	deadline := time.Now().Add(*wait)
	for {
		m, err := readMsg(conn, deadline)
		if err != nil {
			if isTimeout(err) {
				break
			}
			kept = "closed"
			break
		}
		take(m)
	}
	if kept == "" {
		if _, err := conn.Write(msg(c.version, 2, echoXID, []byte("ping"))); err != nil {
			kept = "closed"
		} else {
			kept = "noreply"
			deadline := time.Now().Add(2 * time.Second)
			for {
				m, err := readMsg(conn, deadline)
				if err != nil {
					if !isTimeout(err) {
						kept = "closed"
					}
					break
				}
				if m[1] == 3 && binary.BigEndian.Uint32(m[4:]) == echoXID {
					kept = "yes"
					break
				}
				take(m)
			}
		}
	}
	name := ""
	if reply != nil {
		name = "error"
		if *ofpPrint {
			name = ofpName(reply)
		}
	} else {
		name = "-"
	}
	if note != "" {
		name += " (" + note + ")"
	}
	return fmt.Sprintf("%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s", c.name, c.version, reqHex(c), etype, ecode, kept, name, hex.EncodeToString(reply)), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func readMsg(conn net.Conn, deadline time.Time) ([]byte, error) {
	conn.SetReadDeadline(deadline)
	h := make([]byte, 8)
	if _, err := io.ReadFull(conn, h); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n < 8 {
		return nil, fmt.Errorf("bad length %d from switch", n)
	}
	m := make([]byte, n)
	copy(m, h)
	if _, err := io.ReadFull(conn, m[8:]); err != nil {
		return nil, err
	}
	return m, nil
}

// ofpName is ovs-ofctl's name for an OFPT_ERROR message (its first line, after the xid).
func ofpName(m []byte) string {
	out, err := exec.Command("ovs-ofctl", "ofp-print", hex.EncodeToString(m)).Output()
	if err != nil && len(out) == 0 {
		return "ofp-print failed"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	if i := strings.Index(line, "): "); i >= 0 {
		line = line[i+3:]
	}
	return strings.TrimSpace(line)
}

// ---------------------------------------------------------------- building

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// msg is an OpenFlow message with a correct length field.
func msg(version, typ uint8, xid uint32, body []byte) []byte {
	return cat([]byte{version, typ}, be16(uint16(8+len(body))), be32(xid), body)
}

// withLen overrides the length field of m.
func withLen(m []byte, n uint16) []byte {
	m = append([]byte(nil), m...)
	binary.BigEndian.PutUint16(m[2:], n)
	return m
}

// OXM / NXM entries
func oxm(class uint16, field uint8, hasMask bool, value []byte) []byte {
	f := field << 1
	if hasMask {
		f |= 1
	}
	return cat(be16(class), []byte{f, uint8(len(value))}, value)
}

const (
	oxmBasic = 0x8000
	nxm0     = 0x0000
	nxm1     = 0x0001
)

// OXM_OF_* field numbers
const (
	fInPort  = 0
	fEthDst  = 3
	fEthType = 5
	fVlanVID = 6
	fIPProto = 10
	fIPv4Src = 11
	fTCPDst  = 14
)

func ethType(t uint16) []byte { return oxm(oxmBasic, fEthType, false, be16(t)) }

// match13 is an OXM ofp_match (type 1) padded to 8.
func match13(oxms ...[]byte) []byte {
	body := cat(oxms...)
	return pad8(cat(be16(1), be16(uint16(4+len(body))), body))
}

// flowMod13 is an OF1.3 OFPFC_ADD (unless cmd says otherwise) with the given match and instructions.
func flowMod13(table, cmd uint8, match []byte, insts ...[]byte) []byte {
	body := cat(be64(0), be64(0), []byte{table, cmd}, be16(0), be16(0), be16(100),
		be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(0), be16(0), match, cat(insts...))
	return msg(of13, 14, caseXID, body)
}

func applyActions(actions ...[]byte) []byte {
	a := cat(actions...)
	return cat(be16(4), be16(uint16(8+len(a))), be32(0), a)
}

func gotoTable(t uint8) []byte { return cat(be16(1), be16(8), []byte{t, 0, 0, 0}) }

func output13(port uint32) []byte {
	return cat(be16(0), be16(16), be32(port), be16(0xffff), make([]byte, 6))
}

func group13(id uint32) []byte { return cat(be16(22), be16(8), be32(id)) }

func setField(o []byte) []byte {
	b := pad8(cat(be16(25), be16(0), o))
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// nxAction is a Nicira vendor action: body after the subtype, padded to 8.
func nxAction(subtype uint16, body []byte) []byte {
	b := pad8(cat(be16(0xffff), be16(0), be32(nxVendor), be16(subtype), body))
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// ct is NXAST_CT (35) with flags, immediate zone, recirc table (0xff: none), alg and nested actions.
func ct(flags uint16, zone uint16, table uint8, alg uint16, nested ...[]byte) []byte {
	n := cat(nested...)
	b := cat(be16(0xffff), be16(uint16(24+len(n))), be32(nxVendor), be16(35), be16(flags),
		be32(0), be16(zone), []byte{table, 0, 0, 0}, be16(alg), n)
	return b
}

// OF1.0 pieces
func match10All() []byte {
	return cat(be32(0x3fffff), make([]byte, 36))
}

func flowMod10(match []byte, actions ...[]byte) []byte {
	body := cat(match, be64(0), be16(0), be16(0), be16(0), be16(100), be32(0xffffffff), be16(0xffff), be16(0), cat(actions...))
	return msg(of10, 14, caseXID, body)
}

func output10(port uint16) []byte { return cat(be16(0), be16(8), be16(port), be16(0xffff)) }

// nxFlowMod10 is NXT_FLOW_MOD (13) with an NXM match.
func nxFlowMod10(nxmMatch []byte, actions ...[]byte) []byte {
	m := pad8(append([]byte(nil), nxmMatch...))
	body := cat(be32(nxVendor), be32(13), be64(0), be16(0), be16(0), be16(0), be16(100),
		be32(0xffffffff), be16(0xffff), be16(0), be16(uint16(len(nxmMatch))), make([]byte, 6), m, cat(actions...))
	return msg(of10, 4, caseXID, body)
}

// ---------------------------------------------------------------- cases

func allCases() []tcase {
	var cs []tcase
	add := func(name string, v uint8, m []byte) { cs = append(cs, tcase{name: name, version: v, msg: m}) }
	addNote := func(name string, v uint8, m []byte, note string) {
		cs = append(cs, tcase{name: name, version: v, msg: m, note: note})
	}

	for _, v := range []uint8{of13, of10} {
		echo := msg(v, 2, caseXID, nil)
		add("echo-ok", v, echo)
		for _, n := range []uint16{0, 4, 5, 7} {
			add(fmt.Sprintf("header-length-%d", n), v, withLen(echo, n))
		}
		addNote("length-past-end", v, withLen(echo, 100), "length 100, 8 bytes sent: the echo that follows is taken as the rest")
		cs = append(cs, tcase{name: "echo-length-65535", version: v, msg: withLen(echo, 0xffff), zeros: 0xffff - 8})
		add("unknown-type-255", v, msg(v, 255, caseXID, nil))
		add("unknown-type-40", v, msg(v, 40, caseXID, make([]byte, 8)))
		other := uint8(of10)
		if v == of10 {
			other = of13
		}
		add("wrong-version-after-hello", v, msg(other, 2, caseXID, nil))
		add("version-0x7f", v, msg(0x7f, 2, caseXID, nil))
		add("experimenter-unknown-id", v, msg(v, 4, caseXID, cat(be32(0xdeadbeef), be32(1))))
		add("experimenter-short", v, msg(v, 4, caseXID, be16(0x2320)))
		add("nicira-unknown-subtype", v, msg(v, 4, caseXID, cat(be32(nxVendor), be32(0xffff))))
		add("features-request-with-body", v, msg(v, 5, caseXID, make([]byte, 8)))
		add("hello-after-hello", v, msg(v, 0, caseXID, nil))
		add("error-from-controller", v, msg(v, 1, caseXID, cat(be16(1), be16(1))))
		// NXT_SET_ASYNC_CONFIG2 (OpenFlow 1.0-1.3) with the properties of
		// OpenFlow 1.4's OFPT_SET_ASYNC: role status, table status and
		// request forward (types 6-11), one past them, bits outside a
		// type's reasons, an experimenter property
		add("nx-set-async2-props-6-11", v, nxSetAsync2(v, asyncProp(6, 7), asyncProp(7, 7), asyncProp(8, 0x18),
			asyncProp(9, 0x18), asyncProp(10, 3), asyncProp(11, 3)))
		add("nx-set-async2-prop-12", v, nxSetAsync2(v, asyncProp(12, 0)))
		add("nx-set-async2-role-status-bad-bits", v, nxSetAsync2(v, asyncProp(6, 8)))
		add("nx-set-async2-packet-in-bad-bits", v, nxSetAsync2(v, asyncProp(1, 0xffffffff)))
		add("nx-set-async2-experimenter", v, nxSetAsync2(v, pad8(cat(be16(0xfffe), be16(12), be32(nxVendor), be32(0)))))
	}
	// a hello that admits only OpenFlow 1.1 (version bitmap): no common version
	cs = append(cs, tcase{name: "hello-incompatible-bitmap", version: 2,
		hello: msg(2, 0, 1, cat(be16(1), be16(8), be32(1<<2)))})

	// ---- OpenFlow 1.3 flow-mods
	ok := flowMod13(0, 0, match13(), applyActions(output13(1)))
	add("flow-mod-ok", of13, ok)
	add("flow-mod-truncated-40", of13, truncTo(ok, 40))
	add("flow-mod-bad-command", of13, flowMod13(0, 9, match13(), applyActions(output13(1))))
	add("flow-mod-table-255-add", of13, flowMod13(255, 0, match13(), applyActions(output13(1))))
	add("flow-mod-table-254-add", of13, flowMod13(254, 0, match13(), applyActions(output13(1))))
	// match problems
	{
		m := match13(ethType(0x0800))
		binary.BigEndian.PutUint16(m[2:], 4+4+6) // claims a longer OXM list than the entry
		add("match-length-past-oxm", of13, flowMod13(0, 0, m, applyActions(output13(1))))
	}
	{
		e := ethType(0x0800)
		e[3] = 8 // OXM length 8 for a 2-byte field
		add("oxm-bad-length", of13, flowMod13(0, 0, match13(cat(e, make([]byte, 6))), applyActions(output13(1))))
	}
	{
		e := ethType(0x0800)
		m := pad8(cat(be16(1), be16(uint16(4+len(e)+4)), e, be32(0x80000a01)))
		add("oxm-truncated-entry", of13, flowMod13(0, 0, m, applyActions(output13(1))))
	}
	add("match-type-standard", of13, flowMod13(0, 0, pad8(cat(be16(0), be16(88), make([]byte, 84))), applyActions(output13(1))))
	add("match-bad-type-7", of13, flowMod13(0, 0, pad8(cat(be16(7), be16(4))), applyActions(output13(1))))
	add("oxm-duplicate-field", of13, flowMod13(0, 0, match13(ethType(0x0800), ethType(0x0800)), applyActions(output13(1))))
	add("oxm-bad-prereq-tcp-dst", of13, flowMod13(0, 0, match13(oxm(oxmBasic, fTCPDst, false, be16(80))), applyActions(output13(1))))
	add("oxm-bad-prereq-tcp-dst-ipv4-only", of13, flowMod13(0, 0, match13(ethType(0x0800), oxm(oxmBasic, fTCPDst, false, be16(80))), applyActions(output13(1))))
	add("oxm-bad-mask-in-port", of13, flowMod13(0, 0, match13(oxm(oxmBasic, fInPort, true, cat(be32(1), be32(0xff)))), applyActions(output13(1))))
	add("oxm-bad-mask-eth-type", of13, flowMod13(0, 0, match13(oxm(oxmBasic, fEthType, true, cat(be16(0x800), be16(0xff00)))), applyActions(output13(1))))
	add("oxm-value-outside-mask", of13, flowMod13(0, 0, match13(ethType(0x0800), oxm(oxmBasic, fIPv4Src, true, cat(be32(0x0a000001), be32(0xffffff00)))), applyActions(output13(1))))
	add("oxm-bad-value-vlan-vid", of13, flowMod13(0, 0, match13(oxm(oxmBasic, fVlanVID, false, be16(0x3000))), applyActions(output13(1))))
	add("oxm-unknown-field", of13, flowMod13(0, 0, match13(oxm(oxmBasic, 127, false, be32(1))), applyActions(output13(1))))
	add("oxm-unknown-class", of13, flowMod13(0, 0, match13(oxm(0x1234, 1, false, be32(1))), applyActions(output13(1))))
	add("nxm-ct-state-no-mask-ok", of13, flowMod13(0, 0, match13(oxm(nxm1, 105, false, be32(0x20))), applyActions(output13(1))))
	add("nxm-ct-nw-src-no-ct-state", of13, flowMod13(0, 0, match13(ethType(0x0800), oxm(nxm1, 120, false, be32(0x0a000001))), applyActions(output13(1))))
	// instruction problems
	add("goto-table-backwards", of13, flowMod13(5, 0, match13(), gotoTable(3)))
	add("goto-table-same", of13, flowMod13(5, 0, match13(), gotoTable(5)))
	add("goto-table-255", of13, flowMod13(0, 0, match13(), gotoTable(255)))
	add("instruction-unknown-type", of13, flowMod13(0, 0, match13(), cat(be16(0x77), be16(8), be32(0))))
	add("instruction-bad-length", of13, flowMod13(0, 0, match13(), cat(be16(1), be16(12), []byte{1, 0, 0, 0}, be32(0))))
	add("instruction-duplicate-apply", of13, flowMod13(0, 0, match13(), applyActions(output13(1)), applyActions(output13(2))))
	// action problems
	add("output-port-0", of13, flowMod13(0, 0, match13(), applyActions(output13(0))))
	add("output-port-any", of13, flowMod13(0, 0, match13(), applyActions(output13(0xffffffff))))
	add("output-port-0xff00", of13, flowMod13(0, 0, match13(), applyActions(output13(0xffffff00))))
	add("output-port-missing-99", of13, flowMod13(0, 0, match13(), applyActions(output13(99))))
	add("action-bad-length-12", of13, flowMod13(0, 0, match13(), applyActions(cat(be16(0), be16(12), be32(1), be32(0)))))
	add("action-length-0", of13, flowMod13(0, 0, match13(), applyActions(cat(be16(0), be16(0), be32(1), be32(0)))))
	add("action-unknown-type", of13, flowMod13(0, 0, match13(), applyActions(cat(be16(0x77), be16(8), be32(0)))))
	add("action-unknown-experimenter", of13, flowMod13(0, 0, match13(), applyActions(cat(be16(0xffff), be16(16), be32(0xdeadbeef), be16(1), make([]byte, 6)))))
	add("action-nicira-unknown-subtype", of13, flowMod13(0, 0, match13(), applyActions(nxAction(0x7fff, make([]byte, 6)))))
	add("action-group-missing", of13, flowMod13(0, 0, match13(), applyActions(group13(77))))
	add("set-field-ipv4-src-no-prereq", of13, flowMod13(0, 0, match13(), applyActions(setField(oxm(oxmBasic, fIPv4Src, false, be32(0x0a000001))))))
	add("set-field-with-mask", of13, flowMod13(0, 0, match13(), applyActions(setField(oxm(oxmBasic, fEthDst, true, make([]byte, 12))))))
	add("set-field-in-port", of13, flowMod13(0, 0, match13(), applyActions(setField(oxm(oxmBasic, fInPort, false, be32(2))), output13(1))))
	// ct
	ip := match13(ethType(0x0800))
	ctMark := setField(oxm(nxm1, 107, false, be32(1)))
	add("ct-commit-ok", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0))))
	add("ct-no-ip-match", of13, flowMod13(0, 0, match13(), applyActions(ct(1, 0, 0xff, 0))))
	add("ct-exec-set-mark-ok", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0, ctMark))))
	add("ct-exec-without-commit", of13, flowMod13(0, 0, ip, applyActions(ct(0, 0, 0xff, 0, ctMark))))
	add("ct-exec-output", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0, output13(1)))))
	add("ct-exec-set-ip-src", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0, setField(oxm(oxmBasic, fIPv4Src, false, be32(0x0a000001)))))))
	add("ct-exec-nested-ct", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0, ct(1, 0, 0xff, 0)))))
	add("ct-exec-garbage", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0, []byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0}))))
	add("ct-exec-truncated-action", of13, flowMod13(0, 0, ip, applyActions(ct(1, 0, 0xff, 0, cat(be16(0), be16(16), be32(1))))))
	add("ct-length-short", of13, flowMod13(0, 0, ip, applyActions(cat(be16(0xffff), be16(16), be32(nxVendor), be16(35), be16(1), be32(0)))))
	add("ct-unknown-flags", of13, flowMod13(0, 0, ip, applyActions(ct(0x80, 0, 0xff, 0))))
	add("ct-force-without-commit", of13, flowMod13(0, 0, ip, applyActions(ct(2, 0, 0xff, 0))))
	add("ct-table-255-is-none-ok", of13, flowMod13(0, 0, ip, applyActions(ct(0, 0, 0xff, 0))))
	add("ct-table-backwards", of13, flowMod13(3, 0, ip, applyActions(ct(0, 0, 1, 0))))
	add("ct-alg-unknown-port-99", of13, flowMod13(0, 0, match13(ethType(0x0800), oxm(oxmBasic, fIPProto, false, []byte{6})), applyActions(ct(1, 0, 0xff, 99))))
	add("ct-alg-ftp-on-udp", of13, flowMod13(0, 0, match13(ethType(0x0800), oxm(oxmBasic, fIPProto, false, []byte{17})), applyActions(ct(1, 0, 0xff, 21))))
	add("ct-zone-src-unknown-field", of13, flowMod13(0, 0, ip, applyActions(cat(be16(0xffff), be16(24), be32(nxVendor), be16(35), be16(1), be32(0x7fff0004), be16(15), []byte{0xff, 0, 0, 0}, be16(0)))))
	add("ct-clear-ok", of13, flowMod13(0, 0, match13(), applyActions(nxAction(43, make([]byte, 6)))))
	// groups
	grp := func(cmd uint16, typ uint8, id uint32, buckets ...[]byte) []byte {
		return msg(of13, 15, caseXID, cat(be16(cmd), []byte{typ, 0}, be32(id), cat(buckets...)))
	}
	bucket := func(weight uint16, actions ...[]byte) []byte {
		a := cat(actions...)
		return cat(be16(uint16(16+len(a))), be16(weight), be32(0xffffffff), be32(0xffffffff), be32(0), a)
	}
	add("group-mod-ok-all", of13, grp(0, 0, 1, bucket(0, output13(1))))
	add("group-mod-unknown-type", of13, grp(0, 9, 2, bucket(0, output13(1))))
	add("group-mod-unknown-command", of13, grp(9, 0, 3, bucket(0, output13(1))))
	add("group-mod-id-any", of13, grp(0, 0, 0xffffffff, bucket(0, output13(1))))
	add("group-mod-bucket-bad-length", of13, grp(0, 0, 4, withLenBucket(bucket(0, output13(1)), 20)))
	add("group-mod-delete-missing-ok", of13, grp(2, 0, 88))
	add("group-mod-modify-missing", of13, grp(1, 0, 89, bucket(0, output13(1))))
	add("group-mod-indirect-two-buckets", of13, grp(0, 2, 5, bucket(0, output13(1)), bucket(0, output13(2))))
	// packet-out
	pktData := cat([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, be16(0x88b5), make([]byte, 46))
	pout := func(buffer, inPort uint32, actions []byte, data []byte) []byte {
		return msg(of13, 13, caseXID, cat(be32(buffer), be32(inPort), be16(uint16(len(actions))), make([]byte, 6), actions, data))
	}
	add("packet-out-ok", of13, pout(0xffffffff, 0xfffffffd, output13(1), pktData))
	add("packet-out-buffer-id", of13, pout(7, 0xfffffffd, output13(1), nil))
	add("packet-out-bad-in-port", of13, pout(0xffffffff, 0xfffffff0, output13(1), pktData))
	add("packet-out-actions-len-past-end", of13, withActionsLen(pout(0xffffffff, 0xfffffffd, output13(1), nil), 200))
	add("packet-out-actions-len-odd", of13, withActionsLen(pout(0xffffffff, 0xfffffffd, output13(1), pktData), 12))
	// multipart, role, config, table-mod, meter
	add("multipart-unknown-type", of13, msg(of13, 18, caseXID, cat(be16(99), be16(0), be32(0))))
	add("multipart-flow-short-body", of13, msg(of13, 18, caseXID, cat(be16(1), be16(0), be32(0), make([]byte, 8))))
	add("multipart-experimenter-unknown", of13, msg(of13, 18, caseXID, cat(be16(0xffff), be16(0), be32(0), be32(0xdeadbeef), be32(1))))
	add("role-request-bad-role", of13, msg(of13, 24, caseXID, cat(be32(9), be32(0), be64(0))))
	add("set-config-bad-flags", of13, msg(of13, 9, caseXID, cat(be16(0xff00), be16(128))))
	add("barrier-ok", of13, msg(of13, 20, caseXID, nil))
	add("meter-mod-unknown-command", of13, msg(of13, 29, caseXID, cat(be16(9), be16(1), be32(1))))
	add("port-mod-unknown-port", of13, msg(of13, 16, caseXID, cat(be32(77), be32(0), make([]byte, 6), be16(0), be32(0), be32(0), be32(0), be32(0))))
	add("table-mod-bad-table", of13, msg(of13, 17, caseXID, cat([]byte{0xfe, 0, 0, 0}, be32(0))))

	// ---- OpenFlow 1.0
	add("of10-flow-mod-ok", of10, flowMod10(match10All(), output10(1)))
	add("of10-flow-mod-bad-command", of10, withByte(flowMod10(match10All(), output10(1)), 8+40+8+1, 9))
	add("of10-output-port-0", of10, flowMod10(match10All(), output10(0)))
	add("of10-output-port-0xff00", of10, flowMod10(match10All(), output10(0xff00)))
	add("of10-action-bad-length", of10, flowMod10(match10All(), cat(be16(0), be16(12), be16(1), be16(0), be32(0))))
	add("of10-action-unknown-type", of10, flowMod10(match10All(), cat(be16(0x77), be16(8), be32(0))))
	add("of10-action-unknown-vendor", of10, flowMod10(match10All(), cat(be16(0xffff), be16(16), be32(0xdeadbeef), be16(1), make([]byte, 6))))
	add("of10-flow-mod-truncated-60", of10, truncTo(flowMod10(match10All(), output10(1)), 60))
	nxEthType := cat(be32(0x00000602), be16(0x0800))
	nxTCPDst := cat(be32(0x00001402), be16(80))
	nxIPProto := cat(be32(0x00000c01), []byte{6})
	add("of10-nx-flow-mod-ok", of10, nxFlowMod10(cat(nxEthType, nxIPProto, nxTCPDst), output10(1)))
	add("of10-nxm-duplicate-field", of10, nxFlowMod10(cat(nxEthType, nxEthType), output10(1)))
	add("of10-nxm-bad-prereq-tcp-dst", of10, nxFlowMod10(nxTCPDst, output10(1)))
	add("of10-nxm-bad-length", of10, nxFlowMod10(cat(be32(0x00000608), be16(0x0800), make([]byte, 6)), output10(1)))
	add("of10-nxm-unknown-field", of10, nxFlowMod10(cat(be32(0x0000fe04), be32(1)), output10(1)))
	add("of10-nxm-match-len-past-end", of10, withNXMatchLen(nxFlowMod10(nxEthType, output10(1)), 200))
	add("of10-nx-ct-exec-output", of10, nxFlowMod10(nxEthType, ct(1, 0, 0xff, 0, output10(1))))
	add("of10-nx-ct-exec-garbage", of10, nxFlowMod10(nxEthType, ct(1, 0, 0xff, 0, []byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0})))
	add("of10-nx-ct-no-ip", of10, nxFlowMod10(nil, ct(1, 0, 0xff, 0)))
	pout10 := func(buffer uint32, inPort uint16, actions []byte, data []byte) []byte {
		return msg(of10, 13, caseXID, cat(be32(buffer), be16(inPort), be16(uint16(len(actions))), actions, data))
	}
	add("of10-packet-out-ok", of10, pout10(0xffffffff, 0xfffe, output10(1), pktData))
	add("of10-packet-out-buffer-id", of10, pout10(7, 0xfffe, output10(1), nil))
	add("of10-packet-out-actions-len-past-end", of10, withByte(withByte(pout10(0xffffffff, 0xfffe, output10(1), nil), 14, 0), 15, 200))
	add("of10-stats-unknown-type", of10, msg(of10, 16, caseXID, cat(be16(99), be16(0))))
	add("of10-barrier-ok", of10, msg(of10, 18, caseXID, nil))
	return cs
}

// truncTo cuts m to n bytes and sets its length field to n.
// nxSetAsync2 is an NXT_SET_ASYNC_CONFIG2 with the given properties.
func nxSetAsync2(v uint8, props ...[]byte) []byte {
	return msg(v, 4, caseXID, cat(be32(nxVendor), be32(27), cat(props...)))
}

// asyncProp is an async config property of type typ with mask val.
func asyncProp(typ uint16, val uint32) []byte { return cat(be16(typ), be16(8), be32(val)) }

func truncTo(m []byte, n int) []byte {
	return withLen(m[:n], uint16(n))
}

func withByte(m []byte, off int, v byte) []byte {
	m = append([]byte(nil), m...)
	m[off] = v
	return m
}

func withLenBucket(b []byte, n uint16) []byte {
	b = append([]byte(nil), b...)
	binary.BigEndian.PutUint16(b, n)
	return b
}

// withActionsLen overrides the actions_len of an OF1.3 packet-out.
func withActionsLen(m []byte, n uint16) []byte {
	m = append([]byte(nil), m...)
	binary.BigEndian.PutUint16(m[16:], n)
	return m
}

// withNXMatchLen overrides the match_len of an NXT_FLOW_MOD.
func withNXMatchLen(m []byte, n uint16) []byte {
	m = append([]byte(nil), m...)
	binary.BigEndian.PutUint16(m[16+24:], n)
	return m
}

// ---------------------------------------------------------------- replies

// replyCase is a well-formed request whose complete answer is recorded.
type replyCase struct {
	name    string
	version uint8
	msgs    [][]byte // sent in order; then a barrier, and everything up to its reply is kept
}

const barrierXID = 0x0000ba11

func replyCases() []replyCase {
	pktData := cat([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, be16(0x0800),
		[]byte{0x45, 0, 0, 0x1e, 0, 0, 0x40, 0, 0x40, 0x11, 0xe6, 0x64, 198, 51, 100, 1, 198, 51, 100, 2},
		[]byte{0x4e, 0x21, 0x27, 0x0f, 0, 0x0a, 0xcd, 0xd5, 'h', 'i'})
	udp := match13(ethType(0x0800), oxm(oxmBasic, fIPProto, false, []byte{17}), oxm(oxmBasic, 16, false, be16(9999)))
	ctrl13 := cat(be16(0), be16(16), be32(0xfffffffd), be16(0xffff), make([]byte, 6))
	mp13 := func(typ uint16, body []byte) []byte {
		return msg(of13, 18, caseXID, cat(be16(typ), be16(0), be32(0), body))
	}
	st10 := func(typ uint16, body []byte) []byte {
		return msg(of10, 16, caseXID, cat(be16(typ), be16(0), body))
	}
	nx10UDP := cat(be32(0x00000602), be16(0x0800), be32(0x00000c01), []byte{17}, be32(0x00001802), be16(9999))
	return []replyCase{
		{"features", of13, [][]byte{msg(of13, 5, caseXID, nil)}},
		{"get-config", of13, [][]byte{msg(of13, 7, caseXID, nil)}},
		{"echo-payload", of13, [][]byte{msg(of13, 2, caseXID, []byte("gswitch!"))}},
		{"barrier", of13, [][]byte{msg(of13, 20, caseXID, nil)}},
		{"role-nochange", of13, [][]byte{msg(of13, 24, caseXID, cat(be32(0), be32(0), be64(0)))}},
		{"multipart-desc", of13, [][]byte{mp13(0, nil)}},
		{"multipart-aggregate-all", of13, [][]byte{mp13(2, cat([]byte{0xff, 0, 0, 0}, be32(0xffffffff), be32(0xffffffff), be32(0), be64(0), be64(0), match13()))}},
		{"multipart-port-desc", of13, [][]byte{mp13(13, nil)}},
		{"multipart-group-desc", of13, [][]byte{mp13(7, nil)}},
		{"multipart-group-features", of13, [][]byte{mp13(8, nil)}},
		{"multipart-meter-features", of13, [][]byte{mp13(11, nil)}},
		// a service (ptcp) connection gets packet-ins only once miss_send_len is not 0
		{"set-config-flow-mod-packet-out-packet-in", of13, [][]byte{
			msg(of13, 9, caseXID-1, cat(be16(0), be16(0xffff))),
			flowMod13(0, 0, udp, applyActions(ctrl13)),
			msg(of13, 13, caseXID+1, cat(be32(0xffffffff), be32(1), be16(16), make([]byte, 6), output13(0xfffffff9), pktData)),
		}},
		// the 1.4 properties over NXT_SET_ASYNC_CONFIG2, then what 1.3's
		// OFPT_GET_ASYNC_REQUEST reports
		{"nx-set-async2-props-6-11-get-async", of13, [][]byte{
			nxSetAsync2(of13, asyncProp(6, 7), asyncProp(7, 5), asyncProp(8, 0x18), asyncProp(9, 0x10), asyncProp(10, 3), asyncProp(11, 1)),
			msg(of13, 26, caseXID, nil)}},
		{"features", of10, [][]byte{msg(of10, 5, caseXID, nil)}},
		{"get-config", of10, [][]byte{msg(of10, 7, caseXID, nil)}},
		{"barrier", of10, [][]byte{msg(of10, 18, caseXID, nil)}},
		{"stats-desc", of10, [][]byte{st10(0, nil)}},
		{"stats-aggregate-all", of10, [][]byte{st10(2, cat(match10All(), []byte{0xff, 0}, be16(0xffff)))}},
		{"set-config-nx-flow-mod-packet-out-packet-in", of10, [][]byte{
			msg(of10, 9, caseXID-1, cat(be16(0), be16(0xffff))),
			nxFlowMod10(nx10UDP, output10(0xfffd)),
			msg(of10, 13, caseXID+1, cat(be32(0xffffffff), be16(1), be16(8), output10(0xfff9), pktData)),
		}},
	}
}

// replyCases15 are OpenFlow 1.5 requests; the flow-mod is the one ovs-ofctl
// -O OpenFlow15 add-flow sends for "table=0,priority=5,importance=7,
// idle_timeout=50,ip,nw_dst=198.51.100.2,actions=move:NXM_OF_IP_SRC[]->
// NXM_NX_REG0[],load:0x5->NXM_NX_REG1[0..7],set_field:0x1/0x3->reg2,output:2"
// (copy_field and masked set_field).
func replyCases15() []replyCase {
	mp := func(typ uint16, body []byte) []byte {
		return msg(of15, 18, caseXID, cat(be16(typ), be16(0), be32(0), body))
	}
	fm := unhex("060e009800000006000000000000000000000000000000000000003200000005ffffffffffffffffffffffff000000070001001280000a02080080001804c63364020000000000000004005000000000001c00180020000000000000800016040001000400000000001900100001030800000005000000ff0019001000010508000000010000000300000010000000020000000000000000")
	fmCT := unhex("060e007800000006000000000000000900000000000000000100000000000007ffffffffffffffffffffffff000000000001001580000a020800800014010680001c0200500000000004003000000000ffff00180000232000230001000000000000020000000000ffff001000002320000efff803000000")
	bundleCtl := func(xid uint32, typ uint16) []byte {
		return msg(of15, 33, xid, cat(be32(7), be16(typ), be16(3)))
	}
	// table=3,priority=1,actions=drop (an empty apply-actions)
	addFlow := msg(of15, 14, 0, cat(be64(0), be64(0), []byte{3, 0}, be16(0), be16(0), be16(1),
		be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(0), be16(0), be16(1), be16(4), be32(0), be16(4), be16(8), be32(0)))
	bundleAdd := func(xid uint32, m []byte) []byte {
		m = append([]byte(nil), m...)
		binary.BigEndian.PutUint32(m[4:], xid)
		return pad8(msg(of15, 34, xid, cat(be32(7), be16(0), be16(3), m)))
	}
	return append([]replyCase{
		{"features", of15, [][]byte{msg(of15, 5, caseXID, nil)}},
		{"get-config", of15, [][]byte{msg(of15, 7, caseXID, nil)}},
		{"set-config-get-config", of15, [][]byte{msg(of15, 9, caseXID-1, cat(be16(1), be16(0x80))), msg(of15, 7, caseXID, nil)}},
		{"echo-payload", of15, [][]byte{msg(of15, 2, caseXID, []byte("gswitch!"))}},
		{"barrier", of15, [][]byte{msg(of15, 20, caseXID, nil)}},
		{"role-nochange", of15, [][]byte{msg(of15, 24, caseXID, cat(be32(0), be32(0), be64(0)))}},
		{"role-master", of15, [][]byte{msg(of15, 24, caseXID, cat(be32(2), be32(0), be64(5)))}},
		{"nx-role-request", of15, [][]byte{msg(of15, 4, caseXID, cat(be32(nxVendor), be32(10), be32(0)))}},
		{"get-async", of15, [][]byte{msg(of15, 26, caseXID, nil)}},
		{"set-async-get-async", of15, [][]byte{
			msg(of15, 28, caseXID-1, cat(be16(0), be16(8), be32(1), be16(1), be16(8), be32(7), be16(5), be16(8), be32(0xf))),
			msg(of15, 26, caseXID, nil)}},
		// role-status (6, 7), table-status (8, 9) and request-forward
		// (10, 11) masks, each slave then master: valid reasons, then
		// every bit
		{"set-async-status-props-get-async", of15, [][]byte{
			msg(of15, 28, caseXID-1, cat(be16(6), be16(8), be32(1), be16(7), be16(8), be32(7), be16(8), be16(8), be32(0x8),
				be16(9), be16(8), be32(0x18), be16(10), be16(8), be32(1), be16(11), be16(8), be32(3))),
			msg(of15, 26, caseXID, nil)}},
		{"set-async-status-props-all-bits", of15, [][]byte{
			msg(of15, 28, caseXID-1, cat(be16(6), be16(8), be32(0xffffffff), be16(7), be16(8), be32(0xffffffff), be16(8), be16(8), be32(0xffffffff),
				be16(9), be16(8), be32(0xffffffff), be16(10), be16(8), be32(0xffffffff), be16(11), be16(8), be32(0xffffffff))),
			msg(of15, 26, caseXID, nil)}},
		{"table-mod", of15, [][]byte{msg(of15, 17, caseXID, cat([]byte{0, 0, 0, 0}, be32(0)))}},
		{"table-mod-evict", of15, [][]byte{msg(of15, 17, caseXID, cat([]byte{0, 0, 0, 0}, be32(4)))}},
		{"multipart-desc", of15, [][]byte{mp(0, nil)}},
		{"multipart-port-desc", of15, [][]byte{mp(13, cat(be32(0xffffffff), be32(0)))}},
		{"multipart-queue-stats", of15, [][]byte{mp(5, cat(be32(0xffffffff), be32(0xffffffff)))}},
		{"multipart-meter-features", of15, [][]byte{mp(11, nil)}},
		{"multipart-group-features", of15, [][]byte{mp(8, nil)}},
		{"flow-mod-aggregate", of15, [][]byte{fm, fmCT,
			mp(2, cat([]byte{0xff, 0, 0, 0}, be32(0xffffffff), be32(0xffffffff), be32(0), be64(0), be64(0), be16(1), be16(4), be32(0)))}},
		{"nx-tlv-table-request", of15, [][]byte{msg(of15, 4, caseXID, cat(be32(nxVendor), be32(25)))}},
		{"nx-set-packet-in-format", of15, [][]byte{msg(of15, 4, caseXID, cat(be32(nxVendor), be32(16), be32(2)))}},
		{"bundle-open-add-commit", of15, [][]byte{bundleCtl(caseXID, 0), bundleAdd(caseXID+1, addFlow), bundleCtl(caseXID+2, 4)}},
		{"bundle-open-close-discard", of15, [][]byte{bundleCtl(caseXID, 0), bundleCtl(caseXID+1, 2), bundleCtl(caseXID+2, 6)}},
	}, append(append(append(append(append(meterCases15(), asyncCases15()...), groupCases15()...), errorCases15()...), flowMonitorCases15()...), flowMonitorCasesNX()...)...)
}

// flowMonitorCases15 are OFPMP_FLOW_MONITOR requests (ofp14_flow_monitor_request)
// and the updates a monitor gets for its own connection's flow-mods, in
// table 200 (each case removes its flows again): abbreviated (ABBREV with the
// flow-mod's xid) or, with OFPFMF_ONLY_OWN, in full; the initial flows; the
// modify and delete commands; out_port; and the errors for bad requests.
// Captured on their own (rawof -replies -of15 -only flow-monitor) and
// appended to of15-replies.tsv.
func flowMonitorCases15() []replyCase {
	const (
		fInitial, fAdd, fRemoved, fModify, fInstr, fNoAbbrev, fOwn = 1, 2, 4, 8, 16, 32, 64
		all                                                        = fInitial | fAdd | fRemoved | fModify | fInstr
		ft                                                         = 200 // a table no other case uses
	)
	fmr := func(id, outPort uint32, flags uint16, table, cmd uint8, match []byte) []byte {
		return cat(be32(id), be32(outPort), be32(0xffffffff), be16(flags), []byte{table, cmd}, match)
	}
	mon := func(xid uint32, reqs ...[]byte) []byte {
		return msg(of15, 18, xid, cat(be16(16), be16(0), be32(0), cat(reqs...)))
	}
	empty := match13()
	udp := match13(ethType(0x0800), oxm(oxmBasic, fIPProto, false, []byte{17}))
	// fm is a 1.5 flow-mod in table ft, priority pri, output:port (0: no actions)
	fm := func(xid uint32, cmd uint8, pri uint16, cookie uint64, port uint32) []byte {
		var inst []byte
		if port != 0 {
			inst = applyActions(output13(port))
		}
		return msg(of15, 14, xid, cat(be64(cookie), be64(0), []byte{ft, cmd}, be16(0), be16(0), be16(pri),
			be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(0), be16(0), udp, inst))
	}
	del := fm(caseXID+9, 3, 0, 0, 0)
	return []replyCase{
		{"flow-monitor-empty", of15, [][]byte{mon(caseXID, fmr(1, 0xffffffff, all|fOwn, ft, 0, empty))}},
		{"flow-monitor-own-abbrev", of15, [][]byte{mon(caseXID, fmr(1, 0xffffffff, all, ft, 0, empty)),
			fm(caseXID+1, 0, 5, 0x10, 1), fm(caseXID+2, 0, 6, 0x11, 2), fm(caseXID+3, 1, 5, 0, 2), del}},
		{"flow-monitor-own-full", of15, [][]byte{mon(caseXID, fmr(1, 0xffffffff, all|fOwn, ft, 0, empty)),
			fm(caseXID+1, 0, 5, 0x10, 1), fm(caseXID+2, 0, 5, 0x12, 1), fm(caseXID+3, 1, 5, 0, 2), fm(caseXID+4, 1, 5, 0, 2), del}},
		{"flow-monitor-initial", of15, [][]byte{fm(caseXID+1, 0, 5, 0x10, 1), fm(caseXID+2, 0, 7, 0x20, 2),
			mon(caseXID, fmr(7, 0xffffffff, all|fOwn, ft, 0, udp)), del}},
		{"flow-monitor-no-instructions", of15, [][]byte{fm(caseXID+1, 0, 5, 0x10, 1),
			mon(caseXID, fmr(7, 0xffffffff, fInitial|fAdd|fRemoved|fOwn, ft, 0, empty)), del}},
		{"flow-monitor-out-port", of15, [][]byte{fm(caseXID+1, 0, 5, 0x10, 1), fm(caseXID+2, 0, 6, 0x20, 2),
			mon(caseXID, fmr(3, 2, all|fOwn, ft, 0, empty)), fm(caseXID+3, 0, 7, 0x30, 1), fm(caseXID+4, 0, 8, 0x40, 2), del}},
		{"flow-monitor-two", of15, [][]byte{fm(caseXID+1, 0, 5, 0x10, 1),
			mon(caseXID, fmr(1, 0xffffffff, all|fOwn, ft, 0, empty), fmr(2, 0xffffffff, fInitial|fAdd, ft, 0, udp)), del}},
		{"flow-monitor-delete", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, all|fOwn, ft, 0, empty)),
			mon(caseXID+1, fmr(5, 0, 0, 0, 2, nil)), fm(caseXID+2, 0, 5, 0x10, 1), del}},
		{"flow-monitor-modify", of15, [][]byte{fm(caseXID+1, 0, 5, 0x10, 1), mon(caseXID, fmr(5, 0xffffffff, fAdd, ft, 0, empty)),
			mon(caseXID+2, fmr(5, 0xffffffff, all|fOwn, ft, 1, empty)), del}},
		{"flow-monitor-command-3", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, all, ft, 3, empty))}},
		{"flow-monitor-table-254", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, all, 254, 0, empty))}},
		{"err-flow-monitor-exists", of15, [][]byte{mon(caseXID-1, fmr(5, 0xffffffff, fAdd, ft, 0, empty)),
			mon(caseXID, fmr(5, 0xffffffff, fAdd, ft, 0, empty))}},
		{"err-flow-monitor-exists-one-msg", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, fAdd, ft, 0, empty),
			fmr(5, 0xffffffff, fAdd, ft, 0, empty)), mon(caseXID+1, fmr(5, 0xffffffff, fInitial|fAdd, ft, 0, empty))}},
		{"err-flow-monitor-delete-unknown", of15, [][]byte{mon(caseXID, fmr(99, 0, 0, 0, 2, empty))}},
		{"err-flow-monitor-modify-unknown", of15, [][]byte{mon(caseXID, fmr(99, 0xffffffff, fAdd, ft, 1, empty))}},
		{"err-flow-monitor-flags-initial-only", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, fInitial, ft, 0, empty))}},
		{"err-flow-monitor-flags-no-abbrev", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, fAdd|fNoAbbrev, ft, 0, empty))}},
		{"err-flow-monitor-flags-unknown", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, fAdd|0x80, ft, 0, empty))}},
		{"err-flow-monitor-short", of15, [][]byte{mon(caseXID, be64(1))}},
		{"err-flow-monitor-no-match", of15, [][]byte{mon(caseXID, fmr(5, 0xffffffff, fAdd, ft, 0, nil))}},
		{"err-flow-monitor-bad-out-port", of15, [][]byte{mon(caseXID, fmr(5, 0xff00, fAdd, ft, 0, empty))}},
	}
}

// flowMonitorCasesNX are Nicira's NXST_FLOW_MONITOR (OpenFlow 1.0, flow-mods
// as NXT_FLOW_MOD with NXT_FLOW_MOD_TABLE_ID on) and ONF's
// ONFST_FLOW_MONITOR (1.3) requests, NXT/ONFT_FLOW_MONITOR_CANCEL, the
// updates for the connection's own flow-mods (abbreviated, or in full with
// own) and the errors for bad requests, in table 200 as flowMonitorCases15.
// Captured on their own (rawof -replies -of15 -only nx-flow-monitor, then
// -only onf-flow-monitor) and appended to of15-replies.tsv.
func flowMonitorCasesNX() []replyCase {
	const (
		fInitial, fAdd, fDelete, fModify, fActions, fOwn = 1, 2, 4, 8, 16, 32
		all                                              = fInitial | fAdd | fDelete | fModify | fActions
		ft                                               = 200
		onfVendor                                        = 0x4f4e4600
	)
	// OpenFlow 1.0, Nicira
	nxUDP := cat(be32(0x00000602), be16(0x0800), be32(0x00000c01), []byte{17})
	nxfmr := func(id uint32, flags, outPort uint16, table uint8, nx []byte) []byte {
		return cat(be32(id), be16(flags), be16(outPort), be16(uint16(len(nx))), []byte{table, 0, 0, 0, 0, 0}, pad8(append([]byte(nil), nx...)))
	}
	nxmon := func(xid uint32, reqs ...[]byte) []byte {
		return msg(of10, 16, xid, cat(be16(0xffff), be16(0), be32(nxVendor), be32(2), be32(0), cat(reqs...)))
	}
	nxfm := func(xid uint32, cmd uint8, pri uint16, cookie uint64, port uint16) []byte {
		var acts []byte
		if port != 0 {
			acts = output10(port)
		}
		return msg(of10, 4, xid, cat(be32(nxVendor), be32(13), be64(cookie), be16(ft<<8|uint16(cmd)), be16(0), be16(0), be16(pri),
			be32(0xffffffff), be16(0xffff), be16(0), be16(uint16(len(nxUDP))), make([]byte, 6), pad8(append([]byte(nil), nxUDP...)), acts))
	}
	tableID := msg(of10, 4, caseXID-2, cat(be32(nxVendor), be32(15), []byte{1, 0, 0, 0, 0, 0, 0, 0}))
	nxcancel := func(xid uint32, body []byte) []byte { return msg(of10, 4, xid, cat(be32(nxVendor), be32(21), body)) }
	nxdel := nxfm(caseXID+9, 3, 0, 0, 0)
	// OpenFlow 1.3, ONF
	udp := match13(ethType(0x0800), oxm(oxmBasic, fIPProto, false, []byte{17}))
	empty := match13()
	onfmr := func(id uint32, flags uint16, outPort uint32, table uint8, match []byte) []byte {
		ml := uint16(0)
		if len(match) >= 4 {
			ml = binary.BigEndian.Uint16(match[2:])
		}
		return cat(be32(id), be16(flags), be16(ml), be32(outPort), []byte{table, 0, 0, 0}, match)
	}
	onfmon := func(xid uint32, reqs ...[]byte) []byte {
		return msg(of13, 18, xid, cat(be16(0xffff), be16(0), be32(0), be32(onfVendor), be32(1870), cat(reqs...)))
	}
	fm13 := func(xid uint32, cmd uint8, pri uint16, cookie uint64, port uint32) []byte {
		var inst []byte
		if port != 0 {
			inst = applyActions(output13(port))
		}
		return msg(of13, 14, xid, cat(be64(cookie), be64(0), []byte{ft, cmd}, be16(0), be16(0), be16(pri),
			be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(0), be16(0), udp, inst))
	}
	onfcancel := func(xid uint32, body []byte) []byte { return msg(of13, 4, xid, cat(be32(onfVendor), be32(1870), body)) }
	del13 := fm13(caseXID+9, 3, 0, 0, 0)
	return []replyCase{
		{"nx-flow-monitor-empty", of10, [][]byte{nxmon(caseXID, nxfmr(1, all|fOwn, 0xffff, ft, nil))}},
		{"nx-flow-monitor-own-abbrev", of10, [][]byte{tableID, nxmon(caseXID, nxfmr(1, all, 0xffff, ft, nil)),
			nxfm(caseXID+1, 0, 5, 0x10, 1), nxfm(caseXID+2, 0, 6, 0x11, 2), nxfm(caseXID+3, 1, 5, 0, 2), nxdel}},
		{"nx-flow-monitor-own-full", of10, [][]byte{tableID, nxmon(caseXID, nxfmr(1, all|fOwn, 0xffff, ft, nil)),
			nxfm(caseXID+1, 0, 5, 0x10, 1), nxfm(caseXID+2, 0, 5, 0x12, 1), nxfm(caseXID+3, 1, 5, 0, 2), nxfm(caseXID+4, 1, 5, 0, 2), nxdel}},
		{"nx-flow-monitor-initial", of10, [][]byte{tableID, nxfm(caseXID+1, 0, 5, 0x10, 1), nxfm(caseXID+2, 0, 7, 0x20, 2),
			nxmon(caseXID, nxfmr(7, all|fOwn, 0xffff, ft, nxUDP)), nxdel}},
		{"nx-flow-monitor-no-actions", of10, [][]byte{tableID, nxfm(caseXID+1, 0, 5, 0x10, 1),
			nxmon(caseXID, nxfmr(7, fInitial|fAdd|fDelete|fOwn, 0xffff, ft, nil)), nxdel}},
		{"nx-flow-monitor-out-port", of10, [][]byte{tableID, nxfm(caseXID+1, 0, 5, 0x10, 1), nxfm(caseXID+2, 0, 6, 0x20, 2),
			nxmon(caseXID, nxfmr(3, all|fOwn, 2, ft, nil)), nxfm(caseXID+3, 0, 7, 0x30, 1), nxfm(caseXID+4, 0, 8, 0x40, 2), nxdel}},
		{"nx-flow-monitor-two", of10, [][]byte{tableID, nxfm(caseXID+1, 0, 5, 0x10, 1),
			nxmon(caseXID, nxfmr(1, all|fOwn, 0xffff, ft, nil), nxfmr(2, fInitial|fAdd, 0xffff, ft, nxUDP)), nxdel}},
		{"nx-flow-monitor-cancel", of10, [][]byte{tableID, nxmon(caseXID, nxfmr(5, all|fOwn, 0xffff, ft, nil)),
			nxcancel(caseXID+1, be32(5)), nxfm(caseXID+2, 0, 5, 0x10, 1), nxdel}},
		{"err-nx-flow-monitor-cancel-unknown", of10, [][]byte{nxcancel(caseXID, be32(99))}},
		{"err-nx-flow-monitor-cancel-short", of10, [][]byte{nxcancel(caseXID, be16(5))}},
		{"err-nx-flow-monitor-cancel-long", of10, [][]byte{nxcancel(caseXID, be64(5))}},
		{"err-nx-flow-monitor-paused", of10, [][]byte{msg(of10, 4, caseXID, cat(be32(nxVendor), be32(22)))}},
		{"err-nx-flow-monitor-resumed", of10, [][]byte{msg(of10, 4, caseXID, cat(be32(nxVendor), be32(23)))}},
		{"err-nx-flow-monitor-exists", of10, [][]byte{nxmon(caseXID-1, nxfmr(5, fAdd, 0xffff, ft, nil)), nxmon(caseXID, nxfmr(5, fAdd, 0xffff, ft, nil))}},
		{"err-nx-flow-monitor-flags-initial-only", of10, [][]byte{nxmon(caseXID, nxfmr(5, fInitial, 0xffff, ft, nil))}},
		{"err-nx-flow-monitor-flags-unknown", of10, [][]byte{nxmon(caseXID, nxfmr(5, fAdd|0x40, 0xffff, ft, nil))}},
		{"err-nx-flow-monitor-zeros", of10, [][]byte{nxmon(caseXID, cat(be32(5), be16(fAdd), be16(0xffff), be16(0), []byte{ft, 0, 0, 1, 0, 0}))}},
		{"err-nx-flow-monitor-short", of10, [][]byte{nxmon(caseXID, be64(1))}},
		{"err-nx-flow-monitor-match-len", of10, [][]byte{nxmon(caseXID, cat(be32(5), be16(fAdd), be16(0xffff), be16(12), []byte{ft, 0, 0, 0, 0, 0}))}},
		{"err-nx-flow-monitor-bad-field", of10, [][]byte{nxmon(caseXID, nxfmr(5, fAdd, 0xffff, ft, cat(be32(0x0000ff04), be32(1))))}},
		{"err-nx-flow-monitor-of13", of13, [][]byte{msg(of13, 18, caseXID, cat(be16(0xffff), be16(0), be32(0), be32(nxVendor), be32(2), nxfmr(5, fAdd, 0xffff, ft, nil)))}},
		{"err-nx-flow-monitor-cancel-of13", of13, [][]byte{msg(of13, 4, caseXID, cat(be32(nxVendor), be32(21), be32(5)))}},
		{"onf-flow-monitor-empty", of13, [][]byte{onfmon(caseXID, onfmr(1, all|fOwn, 0xffffffff, ft, empty))}},
		{"onf-flow-monitor-own-abbrev", of13, [][]byte{onfmon(caseXID, onfmr(1, all, 0xffffffff, ft, empty)),
			fm13(caseXID+1, 0, 5, 0x10, 1), fm13(caseXID+2, 0, 6, 0x11, 2), fm13(caseXID+3, 1, 5, 0, 2), del13}},
		{"onf-flow-monitor-own-full", of13, [][]byte{onfmon(caseXID, onfmr(1, all|fOwn, 0xffffffff, ft, empty)),
			fm13(caseXID+1, 0, 5, 0x10, 1), fm13(caseXID+2, 0, 5, 0x12, 1), fm13(caseXID+3, 1, 5, 0, 2), fm13(caseXID+4, 1, 5, 0, 2), del13}},
		{"onf-flow-monitor-initial", of13, [][]byte{fm13(caseXID+1, 0, 5, 0x10, 1), fm13(caseXID+2, 0, 7, 0x20, 2),
			onfmon(caseXID, onfmr(7, all|fOwn, 0xffffffff, ft, udp)), del13}},
		{"onf-flow-monitor-no-actions", of13, [][]byte{fm13(caseXID+1, 0, 5, 0x10, 1),
			onfmon(caseXID, onfmr(7, fInitial|fAdd|fDelete|fOwn, 0xffffffff, ft, empty)), del13}},
		{"onf-flow-monitor-out-port", of13, [][]byte{fm13(caseXID+1, 0, 5, 0x10, 1), fm13(caseXID+2, 0, 6, 0x20, 2),
			onfmon(caseXID, onfmr(3, all|fOwn, 2, ft, empty)), fm13(caseXID+3, 0, 7, 0x30, 1), fm13(caseXID+4, 0, 8, 0x40, 2), del13}},
		{"onf-flow-monitor-cancel", of13, [][]byte{onfmon(caseXID, onfmr(5, all|fOwn, 0xffffffff, ft, empty)),
			onfcancel(caseXID+1, be32(5)), fm13(caseXID+2, 0, 5, 0x10, 1), del13}},
		{"err-onf-flow-monitor-cancel-unknown", of13, [][]byte{onfcancel(caseXID, be32(99))}},
		{"err-onf-flow-monitor-cancel-short", of13, [][]byte{onfcancel(caseXID, be16(5))}},
		{"err-onf-flow-monitor-paused", of13, [][]byte{msg(of13, 4, caseXID, cat(be32(onfVendor), be32(1871)))}},
		{"err-onf-flow-monitor-exists", of13, [][]byte{onfmon(caseXID-1, onfmr(5, fAdd, 0xffffffff, ft, empty)), onfmon(caseXID, onfmr(5, fAdd, 0xffffffff, ft, empty))}},
		{"err-onf-flow-monitor-flags-initial-only", of13, [][]byte{onfmon(caseXID, onfmr(5, fInitial, 0xffffffff, ft, empty))}},
		{"err-onf-flow-monitor-flags-unknown", of13, [][]byte{onfmon(caseXID, onfmr(5, fAdd|0x40, 0xffffffff, ft, empty))}},
		{"err-onf-flow-monitor-zeros", of13, [][]byte{onfmon(caseXID, cat(be32(5), be16(fAdd), be16(4), be32(0xffffffff), []byte{ft, 0, 1, 0}, empty))}},
		{"err-onf-flow-monitor-short", of13, [][]byte{onfmon(caseXID, be64(1))}},
		{"err-onf-flow-monitor-no-match", of13, [][]byte{onfmon(caseXID, onfmr(5, fAdd, 0xffffffff, ft, nil))}},
		{"err-onf-flow-monitor-bad-out-port", of13, [][]byte{onfmon(caseXID, onfmr(5, fAdd, 0xff00, ft, empty))}},
		{"err-onf-flow-monitor-of15", of15, [][]byte{msg(of15, 18, caseXID, cat(be16(0xffff), be16(0), be32(0), be32(onfVendor), be32(1870), onfmr(5, fAdd, 0xffffffff, ft, empty)))}},
	}
}

// errorCases15 are malformed OpenFlow 1.5 messages: OVS's OFPT_ERROR for
// each (bad lengths, bad properties in port-mod, table-mod and set-async,
// a packet-out match with a field that is not a pipeline field, a bundle
// add of a message of another version).
func errorCases15() []replyCase {
	portMod := func(props ...[]byte) []byte {
		return msg(of15, 16, caseXID, cat(be32(1), be32(0), []byte{2, 0, 0, 0, 0, 1}, be16(0), be32(0), be32(0), cat(props...)))
	}
	prop := func(typ uint16, val []byte) []byte { return pad8(cat(be16(typ), be16(uint16(4+len(val))), val)) }
	tableMod := func(props ...[]byte) []byte {
		return msg(of15, 17, caseXID, cat([]byte{0, 0, 0, 0}, be32(0), cat(props...)))
	}
	setAsync := func(props ...[]byte) []byte { return msg(of15, 28, caseXID, cat(props...)) }
	pktData := cat([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, be16(0x0800), make([]byte, 20))
	// packet-out match: in_port=1, eth_type=0x0800 (not a pipeline field)
	poBad := msg(of15, 13, caseXID, cat(be32(0xffffffff), be16(0), be16(0),
		be16(1), be16(4+8+6), be32(0x80000004), be32(1), ethType(0x0800), make([]byte, 6), pktData))
	fm13 := flowMod13(3, 0, match13(), applyActions(output13(1)))
	bundleAdd := pad8(msg(of15, 34, caseXID, cat(be32(8), be16(0), be16(3), fm13)))
	fm15 := msg(of15, 14, caseXID, cat(be64(0), be64(0), []byte{3, 0}, be16(0), be16(0), be16(1),
		be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(0), be16(0), be16(1), be16(4), be32(0)))
	return []replyCase{
		{"err-features-bad-len", of15, [][]byte{msg(of15, 5, caseXID, be64(0))}},
		{"err-flow-mod-short", of15, [][]byte{withLen(fm15[:40], 40)}},
		{"err-port-mod-prop-bad-len", of15, [][]byte{portMod(prop(0, be64(0)))}},
		{"err-port-mod-prop-bad-type", of15, [][]byte{portMod(prop(5, be32(0)))}},
		{"err-port-mod-prop-experimenter", of15, [][]byte{portMod(prop(0xffff, cat(be32(0x2320), be32(0))))}},
		{"err-port-mod-prop-truncated", of15, [][]byte{portMod(cat(be16(0), be16(16), be32(0)))}},
		{"err-table-mod-prop-unknown", of15, [][]byte{tableMod(prop(9, be32(0)))}},
		{"err-table-mod-prop-eviction-bad-len", of15, [][]byte{tableMod(prop(2, be64(0)))}},
		{"err-set-async-prop-bad-type", of15, [][]byte{setAsync(prop(12, be32(0)))}},
		{"err-set-async-prop-bad-len", of15, [][]byte{setAsync(prop(0, be64(0)))}},
		{"err-set-async-prop-experimenter", of15, [][]byte{setAsync(prop(0xfffe, cat(be32(0x2320), be32(0))))}},
		{"err-packet-out-non-pipeline-field", of15, [][]byte{poBad}},
		{"err-port-desc-bad-body", of15, [][]byte{msg(of15, 18, caseXID, cat(be16(13), be16(0), be32(0), be32(0xffffffff)))}},
		{"err-bundle-add-other-version", of15, [][]byte{bundleAdd}},
	}
}

// meterCases15 are OpenFlow 1.5's meter action (OFPAT_METER) and meter
// messages, run in order after replyCases15's: meter 2 is added, flows in
// table 7 use it (first in apply-actions, as 1.3's meter instruction, and
// after another action, which only the wire allows), their descriptions
// over 1.5 and 1.3 (whose durations the test masks), the wrong forms, a
// packet-out through it, and the meter's deletion.
func meterCases15() []replyCase {
	mp := func(v uint8, typ uint16, body []byte) []byte {
		return msg(v, 18, caseXID, cat(be16(typ), be16(0), be32(0), body))
	}
	meter := func(id uint32) []byte { return cat(be16(29), be16(8), be32(id)) }
	// ofp15_flow_mod add, no match; importance 0
	fm := func(xid uint32, table uint8, prio uint16, insts ...[]byte) []byte {
		return msg(of15, 14, xid, cat(be64(0), be64(0), []byte{table, 0}, be16(0), be16(0), be16(prio),
			be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(0), be16(0), be16(1), be16(4), be32(0), cat(insts...)))
	}
	// OFPMC_ADD / OFPMC_DELETE meter 2, pktps and burst, one drop band at
	// 100/s with a burst of 100 (without OFPMF_BURST OVS reports the rate
	// as the burst, a known difference of gswitch's)
	meterAdd := msg(of15, 29, caseXID-1, cat(be16(0), be16(6), be32(2), be16(1), be16(16), be32(100), be32(100), be32(0)))
	meterDel := msg(of15, 29, caseXID-1, cat(be16(2), be16(0), be32(2)))
	table7 := cat([]byte{7, 0, 0, 0}, be32(0xffffffff), be32(0xffffffff), be32(0), be64(0), be64(0), be16(1), be16(4), be32(0))
	inst := func(typ uint16, body []byte) []byte { return cat(be16(typ), be16(uint16(8+len(body))), be32(0), body) }
	clone := nxAction(42, cat(make([]byte, 6), meter(2)))
	pktData := cat([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, be16(0x0800),
		[]byte{0x45, 0, 0, 0x1e, 0, 0, 0x40, 0, 0x40, 0x11, 0xe6, 0x64, 198, 51, 100, 1, 198, 51, 100, 2},
		[]byte{0x4e, 0x21, 0x27, 0x0f, 0, 0x0a, 0xcd, 0xd5, 'h', 'i'})
	// ofp15_packet_out: in_port=CONTROLLER in the match
	po := func(acts []byte) []byte {
		return msg(of15, 13, caseXID, cat(be32(0xffffffff), be16(uint16(len(acts))), be16(0),
			be16(1), be16(12), be32(0x80000004), be32(0xfffffffd), be32(0), acts, pktData))
	}
	return []replyCase{
		{"meter-mod-config-stats", of15, [][]byte{meterAdd,
			mp(of15, 10, cat(be32(0xffffffff), be32(0))), mp(of15, 9, cat(be32(0xffffffff), be32(0)))}},
		{"meter-action-flow-desc", of15, [][]byte{
			fm(caseXID-3, 7, 3, applyActions(meter(2), output13(1))),
			fm(caseXID-2, 7, 2, applyActions(output13(1), meter(2), output13(2))),
			fm(caseXID-1, 7, 1, applyActions(meter(2), meter(2))),
			mp(of15, 1, table7)}},
		{"meter-action-flow-stats-of13", of13, [][]byte{mp(of13, 1, table7)}},
		{"meter-action-meter-stats", of15, [][]byte{mp(of15, 9, cat(be32(2), be32(0)))}},
		{"meter-instruction-of15", of15, [][]byte{fm(caseXID, 7, 9, inst(6, nil)[:4], be32(2))}},
		{"meter-action-unknown-meter", of15, [][]byte{fm(caseXID, 7, 9, applyActions(meter(7), output13(1)))}},
		{"meter-action-unknown-meter-later", of15, [][]byte{fm(caseXID, 7, 9, applyActions(output13(1), meter(7)))}},
		{"meter-action-id0", of15, [][]byte{fm(caseXID, 7, 9, applyActions(meter(0)))}},
		{"meter-action-bad-len", of15, [][]byte{fm(caseXID, 7, 9, applyActions(cat(be16(29), be16(16), be32(2), be32(0), be32(0))))}},
		{"meter-action-in-write-actions", of15, [][]byte{fm(caseXID, 7, 9, inst(3, meter(2)))}},
		{"meter-action-in-clone", of15, [][]byte{fm(caseXID, 7, 9, applyActions(clone))}},
		{"meter-action-packet-out", of15, [][]byte{po(cat(meter(2), output13(1)))}},
		{"meter-action-packet-out-unknown", of15, [][]byte{po(cat(meter(8), output13(1)))}},
		{"meter-delete-aggregate", of15, [][]byte{meterDel, mp(of15, 2, table7)}},
	}
}

// asyncCases15 are OpenFlow 1.5's asynchronous messages, run last: a
// flow-removed (a send_flow_rem flow in table 8 deleted; the test masks
// its durations) and packet-ins from packet-outs whose match carries
// pipeline fields (reg0, metadata) that the packet-in's match reports:
// one by output:CONTROLLER in the packet-out itself, one by a flow in
// table 9 that a resubmit reaches; then both again as NXT_PACKET_IN2. A
// service connection gets them once miss_send_len is set.
func asyncCases15() []replyCase {
	setConfig := msg(of15, 9, caseXID-3, cat(be16(0), be16(0xffff)))
	udp := match13(ethType(0x0800), oxm(oxmBasic, fIPProto, false, []byte{17}), oxm(oxmBasic, 16, false, be16(9999)))
	// ofp15_flow_mod: command, flags (send_flow_rem), cookie 0x77
	fm := func(xid uint32, table, cmd uint8, prio, flags uint16, match []byte, insts ...[]byte) []byte {
		return msg(of15, 14, xid, cat(be64(0x77), be64(0), []byte{table, cmd}, be16(0), be16(0), be16(prio),
			be32(0xffffffff), be32(0xffffffff), be32(0xffffffff), be16(flags), be16(3), match, cat(insts...)))
	}
	ctrl := cat(be16(0), be16(16), be32(0xfffffffd), be16(0xffff), make([]byte, 6))
	pktData := cat([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, be16(0x0800),
		[]byte{0x45, 0, 0, 0x1e, 0, 0, 0x40, 0, 0x40, 0x11, 0xe6, 0x64, 198, 51, 100, 1, 198, 51, 100, 2},
		[]byte{0x4e, 0x21, 0x27, 0x0f, 0, 0x0a, 0xcd, 0xd5, 'h', 'i'})
	// in_port=1, reg0=5 (NXM_NX_REG0), metadata=0x9
	poMatch := cat(be16(1), be16(4+8+8+12), be32(0x80000004), be32(1), be32(0x00010004), be32(5),
		be32(0x80000408), be64(9))
	po := func(xid uint32, acts []byte) []byte {
		return msg(of15, 13, xid, cat(be32(0xffffffff), be16(uint16(len(acts))), be16(0), poMatch, acts, pktData))
	}
	resubmit9 := nxAction(14, cat(be16(0xfff8), []byte{9, 0, 0, 0}))
	setFormat2 := msg(of15, 4, caseXID-4, cat(be32(nxVendor), be32(16), be32(2)))
	return []replyCase{
		{"flow-removed-delete", of15, [][]byte{setConfig,
			fm(caseXID-1, 8, 0, 5, 1, udp, applyActions(output13(1))),
			fm(caseXID, 8, 3, 0, 0, cat(be16(1), be16(4), be32(0)))}},
		{"packet-out-controller-packet-in", of15, [][]byte{setConfig, po(caseXID, ctrl)}},
		{"packet-out-resubmit-packet-in", of15, [][]byte{setConfig,
			fm(caseXID-1, 9, 0, 5, 0, udp, applyActions(ctrl)),
			po(caseXID, resubmit9)}},
		// the same two packet-ins as NXT_PACKET_IN2 (NXT_SET_PACKET_IN_FORMAT
		// 2): the metadata property carries 1.5's OXM headers
		{"packet-in2-controller", of15, [][]byte{setFormat2, setConfig, po(caseXID, ctrl)}},
		{"packet-in2-resubmit", of15, [][]byte{setFormat2, setConfig, po(caseXID, resubmit9)}},
	}
}

// groupCases15 are OpenFlow 1.5 group-mods with bucket ids and OVS's
// selection method property, run after the meter cases: groups 80 and 81
// are added (a "hash" method with a masked field array, the compat vendor
// id) and described back, then the wrong forms of OVS's
// ofputil_pull_ofp15_group_mod, parse_group_prop_ntr_selection_method and
// oxm_pull_field_array, one error each.
func groupCases15() []replyCase {
	out := cat(be16(0), be16(16), be32(1), be16(0xffff), make([]byte, 6))
	weight := func(w uint16) []byte { return cat(be16(0), be16(6), be16(w), be16(0)) }
	bucket := func(id uint32, acts []byte, props ...[]byte) []byte {
		p := cat(props...)
		return cat(be16(uint16(8+len(acts)+len(p))), be16(uint16(len(acts))), be32(id), acts, p)
	}
	// selection method property: vendor, method name, param, field array
	sel := func(vendor uint32, name string, param uint64, fields []byte) []byte {
		n := make([]byte, 16)
		copy(n, name)
		return pad8(cat(be16(0xffff), be16(uint16(40+len(fields))), be32(vendor), be32(1), be32(0), n, be64(param), fields))
	}
	gm := func(cmd uint16, typ uint8, id uint32, cbid uint32, buckets []byte, props ...[]byte) []byte {
		return msg(of15, 15, caseXID, cat(be16(cmd), []byte{typ, 0}, be32(id), be16(uint16(len(buckets))), be16(0), be32(cbid), buckets, cat(props...)))
	}
	const all = 0xffffffff
	ipSrc24 := cat(be32(0x80001604), be32(0xffffff00))
	tcpDst := cat(be32(0x80001c02), be16(0xffff))
	b1 := bucket(5, out, weight(2))
	desc := func(id uint32) []byte {
		return msg(of15, 18, caseXID+1, cat(be16(7), be16(0), be32(0), be32(id), be32(0)))
	}
	return []replyCase{
		{"group-mod-hash-fields-desc", of15, [][]byte{gm(0, 1, 80, all, cat(b1, bucket(3, out)), sel(0x154d, "hash", 7, cat(ipSrc24, tcpDst))), desc(80)}},
		{"group-mod-compat-vendor-desc", of15, [][]byte{gm(0, 1, 81, all, b1, sel(0x1540, "dp_hash", 0x100000002, nil)), desc(81)}},
		{"group-mod-prop-short", of15, [][]byte{gm(0, 1, 82, all, b1, cat(be16(0xffff), be16(36), be32(0x154d), be32(1), make([]byte, 28)))}},
		{"group-mod-method-unterminated", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "0123456789abcdef", 0, nil))}},
		{"group-mod-method-unknown", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "foo", 0, nil))}},
		{"group-mod-method-empty", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "", 0, nil))}},
		{"group-mod-dp-hash-fields", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "dp_hash", 0, tcpDst))}},
		{"group-mod-prop-type-all", of15, [][]byte{gm(0, 0, 82, all, bucket(0, out), sel(0x154d, "hash", 0, nil))}},
		{"group-mod-prop-delete", of15, [][]byte{gm(2, 1, 82, all, nil, sel(0x154d, "hash", 0, nil))}},
		{"group-mod-prop-insert", of15, [][]byte{gm(3, 1, 80, 0xfffffffe, nil, sel(0x154d, "hash", 0, nil))}},
		{"group-mod-prop-std-type", of15, [][]byte{gm(0, 1, 82, all, b1, cat(be16(1), be16(8), be32(0)))}},
		{"group-mod-prop-exp-zero", of15, [][]byte{gm(0, 1, 82, all, b1, cat(be16(0xffff), be16(12), be32(0), be32(1)))}},
		{"group-mod-prop-exp-other", of15, [][]byte{gm(0, 1, 82, all, b1, cat(be16(0xffff), be16(12), be32(0x2320), be32(1), be32(0)))}},
		{"group-mod-prop-exp-short", of15, [][]byte{gm(0, 1, 82, all, b1, cat(be16(0xffff), be16(8), be32(0x154d)))}},
		{"group-mod-prop-len-over", of15, [][]byte{gm(0, 1, 82, all, b1, cat(be16(0xffff), be16(64), be32(0x154d), be32(1)))}},
		{"group-mod-fields-masked-header", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "hash", 0, cat(be32(0x80001708), be32(0), be32(0xffffff00))))}},
		{"group-mod-fields-dup", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "hash", 0, cat(tcpDst, tcpDst)))}},
		{"group-mod-fields-nxm-oxm-dup", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "hash", 0, cat(tcpDst, be32(0x00001402), be16(0xffff))))}},
		{"group-mod-fields-unknown", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "hash", 0, cat(be32(0x80007f04), be32(0xffffffff))))}},
		{"group-mod-fields-in-port-partial", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "hash", 0, cat(be32(0x00000002), be16(0x00ff))))}},
		{"group-mod-fields-truncated", of15, [][]byte{gm(0, 1, 82, all, b1, sel(0x154d, "hash", 0, cat(be32(0x80001604), be16(0xffff))))}},
		{"group-mod-cbid-add", of15, [][]byte{gm(0, 1, 82, 0, b1)}},
		{"group-mod-cbid-insert-all", of15, [][]byte{gm(3, 1, 80, all, bucket(9, out))}},
		{"group-mod-cbid-insert-bad", of15, [][]byte{gm(3, 1, 80, 0xffffff01, bucket(9, out))}},
		{"group-mod-bucket-id-max", of15, [][]byte{gm(0, 1, 82, all, bucket(0xffffff01, out))}},
		{"group-mod-bucket-id-dup", of15, [][]byte{gm(0, 1, 82, all, cat(bucket(1, out), bucket(1, out)))}},
		{"group-mod-remove-with-buckets", of15, [][]byte{gm(5, 1, 80, all, bucket(9, out))}},
		{"group-mod-command-4", of15, [][]byte{gm(4, 1, 80, all, nil)}},
		{"group-mod-bucket-prop-exp", of15, [][]byte{gm(0, 1, 82, all, bucket(0, out, cat(be16(0xffff), be16(12), be32(0x2320), be32(1), be32(0))))}},
		{"group-mod-bucket-prop-type", of15, [][]byte{gm(0, 1, 82, all, bucket(0, out, cat(be16(3), be16(8), be32(0))))}},
		{"group-mod-bucket-weight-short", of15, [][]byte{gm(0, 1, 82, all, bucket(0, out, cat(be16(0), be16(5), []byte{1, 0, 0, 0})))}},
		{"group-mod-bucket-watch-long", of15, [][]byte{gm(0, 3, 82, all, bucket(0, out, cat(be16(1), be16(12), be32(1), be32(0), be32(0))))}},
		{"group-mod-bucket-list-over", of15, [][]byte{msg(of15, 15, caseXID, cat(be16(0), []byte{1, 0}, be32(82), be16(64), be16(0), be32(all), b1))}},
		{"group-mod-insert-unknown-group", of15, [][]byte{gm(3, 1, 99, 0xfffffffe, bucket(9, out))}},
		{"group-mod-remove-first-desc", of15, [][]byte{gm(5, 0, 80, 0xfffffffd, nil), desc(80)}},
	}
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func runReplies() error {
	fmt.Println("name\tversion\trequest_hex\treplies_hex\tovs_print")
	versions, cases := []uint8{of13, of10}, replyCases()
	if *of15Set {
		versions, cases = []uint8{of15}, replyCases15()
	}
	// the switch's HELLO, once per version
	for _, v := range versions {
		conn, err := net.DialTimeout("tcp", *addr, 3*time.Second)
		if err != nil {
			return err
		}
		hello := msg(v, 0, 1, nil)
		conn.Write(hello)
		m, err := readMsg(conn, time.Now().Add(3*time.Second))
		conn.Close()
		if err != nil {
			return err
		}
		fmt.Printf("hello\t%d\t%s\t%s\t%s\n", v, hex.EncodeToString(hello), hex.EncodeToString(m), printName(m))
	}
	for _, c := range cases {
		if *only != "" && !strings.HasPrefix(c.name, *only) && !strings.HasPrefix(c.name, "err-"+*only) {
			continue
		}
		row, err := runReply(c)
		if err != nil {
			return fmt.Errorf("%s: %v", c.name, err)
		}
		fmt.Println(row)
	}
	return nil
}

func runReply(c replyCase) (string, error) {
	conn, err := net.DialTimeout("tcp", *addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.Write(msg(c.version, 0, 1, nil))
	if _, err := readMsg(conn, time.Now().Add(3*time.Second)); err != nil {
		return "", err
	}
	var req []string
	for _, m := range c.msgs {
		conn.Write(m)
		req = append(req, hex.EncodeToString(m))
	}
	barrier := uint8(20)
	if c.version == of10 {
		barrier = 18
	}
	// the packet-in of a packet-out comes asynchronously: give it a moment before the barrier
	time.Sleep(300 * time.Millisecond)
	conn.Write(msg(c.version, barrier, barrierXID, nil))
	var got []string
	first := ""
	deadline := time.Now().Add(3 * time.Second)
	for {
		m, err := readMsg(conn, deadline)
		if err != nil {
			return "", fmt.Errorf("waiting for barrier reply: %v", err)
		}
		if binary.BigEndian.Uint32(m[4:]) == barrierXID && c.name != "barrier" {
			break
		}
		got = append(got, hex.EncodeToString(m))
		if first == "" {
			first = printName(m)
		}
		if binary.BigEndian.Uint32(m[4:]) == barrierXID {
			break
		}
	}
	return fmt.Sprintf("%s\t%d\t%s\t%s\t%s", c.name, c.version, strings.Join(req, " "), strings.Join(got, " "), first), nil
}

// printName is the first line of ovs-ofctl ofp-print for m (with -ofp-print), else "".
func printName(m []byte) string {
	if !*ofpPrint {
		return ""
	}
	out, _ := exec.Command("ovs-ofctl", "ofp-print", hex.EncodeToString(m)).Output()
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
