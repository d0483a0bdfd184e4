package ofproto

import (
	"encoding/binary"
	"testing"

	"gswitch/pipeline"
	"gswitch/tests/golden"
)

// FuzzFlowMonitorRequest feeds OFPMP_FLOW_MONITOR request bodies (seeded
// with of15-replies.tsv's flow-monitor rows) to decodeFlowMonitorRequest14
// as flowMonitorStats walks them: never a panic, only OpenFlow errors, each
// entry whole and a multiple of 8 long (its match padded), and a monitor
// other than a delete has flags OVS accepts and a 16-bit-able out_port.
func FuzzFlowMonitorRequest(f *testing.F) {
	for _, row := range golden.Replies15() {
		for _, m := range row.Requests {
			if len(m) >= 16 && m[1] == Type13MultipartRequest && binary.BigEndian.Uint16(m[8:]) == MPFlowMonitor {
				f.Add(m[16:])
			}
		}
	}
	f.Add([]byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x1f, 0xff, 0, 0, 1, 0, 4, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		for len(body) > 0 {
			m, n, err := decodeFlowMonitorRequest14(body, nil)
			if err != nil {
				if _, ok := err.(*pipeline.Error); !ok {
					t.Fatalf("error %T %v", err, err)
				}
				return
			}
			if n < 24 || n > len(body) || n%8 != 0 {
				t.Fatalf("entry of %d bytes in %d", n, len(body))
			}
			if m.command != fmcDelete {
				if m.flags&(fmfAdd|fmfRemoved|fmfModify) == 0 || m.flags&(fmfNoAbbrev|0xff80) != 0 {
					t.Fatalf("flags %#x accepted", m.flags)
				}
				if m.outPort >= 0xff00 && m.outPort < pipeline.PortMax {
					t.Fatalf("out_port %#x accepted", m.outPort)
				}
			}
			body = body[n:]
		}
	})
}
