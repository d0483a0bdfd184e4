package nxm

import (
	"encoding/binary"
	"math/rand"
	"os"
	"testing"

	"gswitch/pipeline"
)

// TestPrivilegedOVSDifferential mutates captured flow-mods (bytes of the
// match, instructions or actions) and compares what a real ovs-vswitchd
// answers with what our decoders say. Cases where OVS rejects but we accept
// are expected when the rejection comes from checks that are the
// pipeline's (prerequisites of actions, ports, groups, tables); cases where
// OVS supports what gswitch does not model are counted apart; everything
// else fails. See TestPrivilegedOVSErrors for how OVS is found.
// GSWITCH_OVS_MUTATIONS and GSWITCH_OVS_FLIPS tune the run.
func TestPrivilegedOVSDifferential(t *testing.T) {
	addr := ovsAddr(t)
	c13 := dialOF(t, addr, 4)
	c10 := dialOF(t, addr, 1)
	rng := rand.New(rand.NewSource(int64(atoiOr(os.Getenv("GSWITCH_OVS_SEED"), 1))))
	caps := loadCaptures(t)
	n := 600
	if s := os.Getenv("GSWITCH_OVS_MUTATIONS"); s != "" {
		n = atoiOr(s, n)
	}
	flips := atoiOr(os.Getenv("GSWITCH_OVS_FLIPS"), 1)
	var agree, pipelineOnly, unsupported, differ int
	for i := 0; i < n; i++ {
		c := caps[rng.Intn(len(caps))]
		msg := append([]byte(nil), c.msg...)
		pos, from := 0, 48
		if c.kind == "of10" {
			from = 72 // after the OpenFlow 1.0 match: cookie, command, ... are ofproto's
		}
		if from >= len(msg) {
			continue
		}
		for k := 0; k < flips; k++ {
			pos = from + rng.Intn(len(msg)-from)
			msg[pos] = byte(rng.Intn(256))
		}
		var oc *ofConn
		var body []byte
		var ours error
		if c.kind == "of10" {
			oc, body = c10, msg[8:]
			_, err := DecodeOF10Match(msg[8:48])
			if err == nil {
				_, err = DecodeActions(Version10, msg[72:])
			}
			ours = err
		} else if c.kind == "oxm" {
			oc, body = c13, msg[8:]
			m, n, err := DecodeOXMMatch(msg[48:])
			_ = m
			if err == nil {
				_, err = DecodeInstructions(msg[48+n:])
			}
			ours = err
		} else {
			oc, body = c10, msg[8:]
			ml := int(binary.BigEndian.Uint16(msg[40:]))
			end := 48 + (ml+7)&^7
			if end > len(msg) {
				continue
			}
			_, err := DecodeNXMatch(msg[48 : 48+ml])
			if err == nil {
				_, err = DecodeActions(Version10, msg[end:])
			}
			ours = err
		}
		gotT, gotC, gotExp, rejected := ovsVerdict(t, oc, msg[1], body)
		same := false
		var wt, wc uint16
		var pe *pipeline.Error
		if ours != nil && rejected {
			pe = ours.(*pipeline.Error)
			wt, wc = pe.Type, pe.Code
			if oc.ver == 1 {
				wt, wc, _ = OF10Code(pe)
			}
			same = wt == gotT && wc == gotC && (gotT != 0xffff || gotExp == ExperimenterOf(pe))
		}
		switch {
		case ours == nil && !rejected, same:
			agree++
		case ours == nil:
			pipelineOnly++
			t.Logf("OVS rejects (type %d code %d exp %#x), we accept: %s byte %d -> %#x", gotT, gotC, gotExp, c.flow, pos, msg[pos])
		case rejected && gotT == pipeline.ErrBadAction && (gotC == BACBadSetType || gotC == BACBadSetLen) &&
			pe.Type == pipeline.ErrBadAction && pe.Code == BACBadSetType:
			// Unknown set_field header: OVS's answer depends on its hash
			// bucket neighbours (see decodeSetField).
			agree++
		case unsupportedByDesign(ours):
			unsupported++
			t.Logf("unsupported by gswitch (%v); OVS: rejected=%v type %d code %d: %s byte %d -> %#x",
				ours, rejected, gotT, gotC, c.flow, pos, msg[pos])
		case !rejected:
			differ++
			t.Errorf("we reject (%v), OVS accepts: %s byte %d -> %#x", ours, c.flow, pos, msg[pos])
		default:
			differ++
			t.Errorf("OVS type %d code %d exp %#x, we %d/%d (%s): %s byte %d -> %#x",
				gotT, gotC, gotExp, wt, wc, pe.Msg, c.flow, pos, msg[pos])
		}
	}
	t.Logf("%d agree, %d rejected only by OVS (pipeline checks), %d unsupported by design, %d differ",
		agree, pipelineOnly, unsupported, differ)
}

func atoiOr(s string, def int) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// ovsVerdict sends a message (type typ, body) and a barrier, and returns
// OVS's error, if any.
func ovsVerdict(t *testing.T, oc *ofConn, typ uint8, body []byte) (uint16, uint16, uint32, bool) {
	oc.send(typ, body)
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
		if mt == 1 && len(b) >= 4 {
			gotT, gotC, got = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), true
			if gotT == 0xffff && len(b) >= 8 {
				gotExp = binary.BigEndian.Uint32(b[4:])
			}
			if gotT == 0xb0c2 && len(b) >= 12 { // OpenFlow 1.0 Nicira vendor error
				gotT, gotC = binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[10:])
			}
		}
		if mt == barrier+1 {
			return gotT, gotC, gotExp, got
		}
	}
}

// unsupportedByDesign reports errors that mean "OVS has this, gswitch does
// not model it": a Nicira action we refuse, a standard action type we do
// not support, a field we do not model.
func unsupportedByDesign(err error) bool {
	pe, ok := err.(*pipeline.Error)
	if !ok {
		return false
	}
	return (pe.Type == pipeline.ErrBadAction && (pe.Code == BACBadExpType || pe.Code == BACBadType || pe.Code == BACBadSetType)) ||
		(pe.Type == pipeline.ErrBadMatch && pe.Code == BMCBadField)
}
