// Command pausectl is a small OpenFlow controller for controller(pause)
// continuations: it connects to a switch (OpenFlow 1.3), asks for
// NXT_PACKET_IN2 packet-ins, injects one packet with a packet-out
// (in_port and output:TABLE, so the switch's flows see it), waits for the
// paused packet's NXT_PACKET_IN2 and sends an NXT_RESUME built from it as
// ovs-ofctl's ofputil_encode_resume does (the packet-in's properties but
// the userdata, then the continuation as received), changed as -mode asks,
// then a barrier; it prints every message it got and sent.
// tests/ovsref/capture-pause.sh runs it against a private OVS 3.1; the
// privileged tests run it against gswitch and compare.
//
//	pausectl -addr 127.0.0.1:17940 -in-port 1 -packet HEX -mode unchanged [-ofp-print]
//
// Modes:
//
//	unchanged  resume with what came
//	modify     resume with eth_src 02:00:00:00:00:99 and reg0 = 6 (the
//	           packet and the metadata a controller may change)
//	none       do not resume (just the packet-in)
//	stale      the continuation's bridge with its first byte changed
//	badprop    an unknown continuation property (type 0x80ff) appended
//	nopacket   no NXPINT_PACKET property
//	badaction  the first NXCPT_ACTIONS holds an action of unknown type
//
// Output: one line per message, "recv HEX" or "send HEX" (the 16 bytes of
// an NXCPT_BRIDGE property printed as "<bridge>"), each followed with
// -ofp-print by `ovs-ofctl ofp-print` of it (with the bridge zeroed, so
// OVS's printer leaves it out), indented. Nothing in it depends on the
// switch's bridge UUID.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

const (
	of13     = 4
	nxVendor = 0x2320

	typeHello        = 0
	typeError        = 1
	typeEchoRequest  = 2
	typeEchoReply    = 3
	typeVendor       = 4
	typeSetConfig    = 9
	typePacketOut    = 13
	typeBarrierReq   = 20
	typeBarrierReply = 21

	nxtSetPacketInFormat = 16
	nxtPacketIn2         = 30
	nxtResume            = 28

	nxpintPacket       = 0
	nxpintUserdata     = 7
	nxpintMetadata     = 6
	nxpintContinuation = 8
	nxcptBridge        = 0x8000
	nxcptActions       = 0x8006
)

var (
	addr     = flag.String("addr", "127.0.0.1:17940", "switch's passive OpenFlow TCP address")
	inPort   = flag.Uint("in-port", 1, "packet-out in_port")
	pktHex   = flag.String("packet", "", "the frame to inject, in hex")
	mode     = flag.String("mode", "unchanged", "unchanged, modify, none, stale, badprop, nopacket or badaction")
	timeout  = flag.Duration("timeout", 5*time.Second, "how long to wait for each answer")
	ofpPrint = flag.Bool("ofp-print", false, "decode each message with `ovs-ofctl ofp-print`")
	linger   = flag.Duration("linger", 700*time.Millisecond, "how long to keep printing messages after the barrier reply")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pausectl:", err)
		os.Exit(1)
	}
}

func msg(typ uint8, xid uint32, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	b[0], b[1] = of13, typ
	binary.BigEndian.PutUint16(b[2:], uint16(8+len(body)))
	binary.BigEndian.PutUint32(b[4:], xid)
	return append(b, body...)
}

func nx(subtype uint32, xid uint32, body []byte) []byte {
	h := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, nxVendor), subtype)
	return msg(typeVendor, xid, append(h, body...))
}

func read(c net.Conn) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(*timeout))
	return read2(c)
}

// read2 reads one message under the connection's current deadline.
func read2(c net.Conn) ([]byte, error) {
	h := make([]byte, 8)
	if _, err := io.ReadFull(c, h); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n < 8 {
		return nil, fmt.Errorf("message length %d", n)
	}
	b := make([]byte, n)
	copy(b, h)
	_, err := io.ReadFull(c, b[8:])
	return b, err
}

// reLogTime is an OVS log line's timestamp (ofp-print logs what it refuses).
var reLogTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\|`)

// bridges are the bridge UUIDs seen (and sent): show hides them wherever
// they appear (an OFPT_ERROR quotes the request).
var bridges [][]byte

// show prints a message with its bridge bytes hidden.
func show(dir string, b []byte) {
	h := hex.EncodeToString(b)
	masked := append([]byte(nil), b...)
	for _, u := range bridges {
		for {
			i := bytes.Index(masked, u)
			if i < 0 {
				break
			}
			clear(masked[i : i+16])
			h = h[:2*i] + strings.Repeat("_", 32) + h[2*(i+16):]
		}
	}
	h = strings.ReplaceAll(h, strings.Repeat("_", 32), "<bridge>")
	fmt.Printf("%s %s\n", dir, h)
	if *ofpPrint {
		// decoded with the bridge zeroed (OVS then leaves it out)
		out, _ := exec.Command("ovs-ofctl", "ofp-print", hex.EncodeToString(masked)).CombinedOutput()
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			fmt.Printf("    %s\n", reLogTime.ReplaceAllString(l, "TIME|"))
		}
	}
}

// props splits a property list (8-byte aligned properties).
func props(b []byte) (out [][]byte) {
	for len(b) >= 4 {
		l := int(binary.BigEndian.Uint16(b[2:]))
		p := (l + 7) &^ 7
		if l < 4 || p > len(b) {
			break
		}
		out = append(out, b[:p])
		b = b[p:]
	}
	return out
}

func ptype(p []byte) uint16 { return binary.BigEndian.Uint16(p) }

// bridgeOffset is the offset of the NXCPT_BRIDGE value in an
// NXT_PACKET_IN2 or NXT_RESUME, or -1.
func bridgeOffset(b []byte) int {
	if len(b) < 16 || b[1] != typeVendor {
		return -1
	}
	off := 16
	for _, p := range props(b[16:]) {
		if ptype(p) == nxpintContinuation && len(p) >= 8 {
			in := 8
			for _, q := range props(p[8:]) {
				if ptype(q) == nxcptBridge && len(q) >= 20 {
					return off + in + 4
				}
				in += len(q)
			}
		}
		off += len(p)
	}
	return -1
}

func run() error {
	frame, err := hex.DecodeString(*pktHex)
	if err != nil || len(frame) == 0 {
		return fmt.Errorf("bad -packet: %v", err)
	}
	c, err := net.DialTimeout("tcp", *addr, *timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	send := func(b []byte, print bool) error {
		if print {
			show("send", b)
		}
		_, err := c.Write(b)
		return err
	}
	// HELLO with a version bitmap of 1.3 only.
	hello := msg(typeHello, 1, []byte{0, 1, 0, 8, 0, 0, 0, 1 << of13})
	if err := send(hello, false); err != nil {
		return err
	}
	if _, err := read(c); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	setup := append(nx(nxtSetPacketInFormat, 2, []byte{0, 0, 0, 2}), msg(typeSetConfig, 3, []byte{0, 0, 0xff, 0xff})...)
	setup = append(setup, msg(typeBarrierReq, 4, nil)...)
	if err := send(setup, false); err != nil {
		return err
	}
	if err := waitBarrier(c, 4, false); err != nil {
		return err
	}
	// packet-out: buffer none, in_port, actions output:TABLE
	po := binary.BigEndian.AppendUint32(nil, 0xffffffff)
	po = binary.BigEndian.AppendUint32(po, uint32(*inPort))
	po = binary.BigEndian.AppendUint16(po, 16)
	po = append(po, 0, 0, 0, 0, 0, 0)
	po = append(po, 0, 0, 0, 16, 0xff, 0xff, 0xff, 0xf9, 0xff, 0xff, 0, 0, 0, 0, 0, 0)
	if err := send(msg(typePacketOut, 5, append(po, frame...)), false); err != nil {
		return err
	}
	var pin []byte
	for pin == nil {
		b, err := read(c)
		if err != nil {
			return fmt.Errorf("waiting for the packet-in: %w", err)
		}
		switch {
		case b[1] == typeEchoRequest:
			b[1] = typeEchoReply
			send(b, false)
		case b[1] == typeVendor && len(b) >= 16 && binary.BigEndian.Uint32(b[12:]) == nxtPacketIn2:
			pin = b
			if off := bridgeOffset(b); off >= 0 {
				bridges = append(bridges, append([]byte(nil), b[off:off+16]...))
			}
			show("recv", b)
		default:
			show("recv", b)
		}
	}
	if *mode == "none" {
		return nil
	}
	// NXT_RESUME: the packet-in's properties but userdata, as
	// ofputil_encode_resume (which puts the continuation last).
	var body, cont []byte
	for _, p := range props(pin[16:]) {
		switch ptype(p) {
		case nxpintUserdata:
		case nxpintContinuation:
			cont = append([]byte(nil), p...)
		case nxpintPacket:
			if *mode == "nopacket" {
				continue
			}
			if *mode == "modify" {
				p = append([]byte(nil), p...)
				copy(p[4+6:], []byte{2, 0, 0, 0, 0, 0x99})
			}
			body = append(body, p...)
		case nxpintMetadata:
			if *mode == "modify" {
				p = append([]byte(nil), p...)
				// NXM_NX_REG0 (class 1, field 0, length 4)
				if i := bytes.Index(p, []byte{0, 1, 0, 4}); i >= 4 && i+8 <= len(p) {
					binary.BigEndian.PutUint32(p[i+4:], 6)
				}
			}
			body = append(body, p...)
		default:
			body = append(body, p...)
		}
	}
	if cont == nil {
		return fmt.Errorf("the packet-in has no continuation")
	}
	switch *mode {
	case "stale":
		if off := bridgeOffset(pin); off >= 0 {
			for _, q := range props(cont[8:]) {
				if ptype(q) == nxcptBridge {
					q[4] ^= 0xff
					bridges = append(bridges, append([]byte(nil), q[4:20]...))
				}
			}
		}
	case "badprop":
		cont = append(cont, 0x80, 0xff, 0, 4, 0, 0, 0, 0)
		binary.BigEndian.PutUint16(cont[2:], uint16(len(cont)))
	case "badaction":
		for _, q := range props(cont[8:]) {
			if ptype(q) == nxcptActions && len(q) >= 16 {
				// the first action's type: an unknown OpenFlow action
				binary.BigEndian.PutUint16(q[8:], 0x00ee)
				break
			}
		}
	}
	body = append(body, cont...)
	resume := nx(nxtResume, 6, body)
	show("send", resume)
	if err := send(append(resume, msg(typeBarrierReq, 7, nil)...), false); err != nil {
		return err
	}
	if err := waitBarrier(c, 7, true); err != nil {
		return err
	}
	// Packet-ins of the resumed packet may come after the barrier reply
	// (OVS sends them from its upcall handlers).
	end := time.Now().Add(*linger)
	for {
		c.SetReadDeadline(end)
		b, err := read2(c)
		if err != nil {
			return nil
		}
		if b[1] == typeEchoRequest {
			b[1] = typeEchoReply
			c.Write(b)
			continue
		}
		show("recv", b)
	}
}

// waitBarrier reads until the barrier reply xid, printing what else comes.
func waitBarrier(c net.Conn, xid uint32, print bool) error {
	for {
		b, err := read(c)
		if err != nil {
			return fmt.Errorf("waiting for barrier %d: %w", xid, err)
		}
		switch {
		case b[1] == typeBarrierReply && binary.BigEndian.Uint32(b[4:]) == xid:
			return nil
		case b[1] == typeEchoRequest:
			b[1] = typeEchoReply
			c.Write(b)
		case print:
			show("recv", b)
		}
	}
}
