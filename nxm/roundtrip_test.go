package nxm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"

	"gswitch/pipeline"
)

// capture is one flow-mod ovs-ofctl sent, split into its match and its
// actions (OpenFlow 1.0) or instructions (1.3).
type capture struct {
	proto, flow string
	msg         []byte
	kind        string // "oxm", "nxm", "of10"
	match       []byte // ofp_match incl. padding (oxm), raw TLVs (nxm), 40 bytes (of10)
	matchPad    []byte // nxm: padding after the TLVs
	rest        []byte // instructions (oxm) or actions
}

func loadCaptures(t testing.TB) []capture {
	f, err := os.Open("testdata/captures.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var caps []capture
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *capture
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "flow "); ok {
			proto, flow, _ := strings.Cut(rest, " ")
			caps = append(caps, capture{proto: proto, flow: flow})
			cur = &caps[len(caps)-1]
			continue
		}
		msg, err := hex.DecodeString(line)
		if err != nil || cur == nil {
			t.Fatalf("bad capture line %q", line)
		}
		cur.msg = msg
		splitCapture(t, cur)
	}
	return caps
}

func splitCapture(t testing.TB, c *capture) {
	m := c.msg
	be16 := binary.BigEndian.Uint16
	switch {
	case (m[0] == 4 || m[0] == 6) && m[1] == 14:
		c.kind = "oxm"
		if m[0] == 6 {
			c.kind = "oxm15"
		}
		ml := int(be16(m[50:]))
		end := 48 + (ml+7)&^7
		c.match, c.rest = m[48:end], m[end:]
	case m[0] == 1 && m[1] == 14:
		c.kind = "of10"
		c.match, c.rest = m[8:48], m[72:]
	case m[0] == 1 && m[1] == 4:
		c.kind = "nxm"
		ml := int(be16(m[40:]))
		end := 48 + (ml+7)&^7
		c.match, c.matchPad, c.rest = m[48:48+ml], m[48+ml:end], m[end:]
	default:
		t.Fatalf("%s: unknown message %x", c.flow, m[:8])
	}
}

// TestCapturesRoundTrip decodes every captured ovs-ofctl flow-mod and
// checks that encoding the model gives back the same bytes.
func TestCapturesRoundTrip(t *testing.T) {
	caps := loadCaptures(t)
	if len(caps) < 5 {
		t.Fatalf("only %d captures", len(caps))
	}
	for _, c := range caps {
		t.Run(c.proto+" "+c.flow, func(t *testing.T) {
			switch c.kind {
			case "oxm", "oxm15":
				v := uint8(Version13)
				if c.kind == "oxm15" {
					v = Version15
				}
				m, n, err := DecodeOXMMatch(c.match)
				if err != nil {
					t.Fatalf("DecodeOXMMatch(%x): %v", c.match, err)
				}
				if n != len(c.match) {
					t.Errorf("consumed %d of %d", n, len(c.match))
				}
				if got := EncodeOXMMatchVersion(v, &m); !bytes.Equal(got, c.match) {
					t.Errorf("match re-encoded\n got %x\nwant %x", got, c.match)
				}
				in, err := DecodeInstructionsVersion(v, c.rest)
				if err != nil {
					t.Fatalf("DecodeInstructions(%x): %v", c.rest, err)
				}
				got, err := EncodeInstructionsVersion(v, &in)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, c.rest) {
					t.Errorf("instructions re-encoded\n got %x\nwant %x", got, c.rest)
				}
				in2, err := DecodeInstructionsVersion(v, got)
				if err != nil || !reflect.DeepEqual(in, in2) {
					t.Errorf("instructions decode(encode) differs: %v\n%+v\n%+v", err, in, in2)
				}
			case "nxm", "of10":
				var m pipeline.Match
				var err error
				if c.kind == "nxm" {
					m, err = DecodeNXMatch(c.match)
				} else {
					m, err = DecodeOF10Match(c.match)
				}
				if err != nil {
					t.Fatalf("decode match %x: %v", c.match, err)
				}
				var got []byte
				if c.kind == "nxm" {
					got = EncodeNXMatch(&m)
				} else if got, err = EncodeOF10Match(&m); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, c.match) {
					t.Errorf("match re-encoded\n got %x\nwant %x", got, c.match)
				}
				acts, err := DecodeActions(Version10, c.rest)
				if err != nil {
					t.Fatalf("DecodeActions(%x): %v", c.rest, err)
				}
				gotA, err := EncodeActions(Version10, acts)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(gotA, c.rest) {
					t.Errorf("actions re-encoded\n got %x\nwant %x", gotA, c.rest)
				}
			}
		})
	}
}
