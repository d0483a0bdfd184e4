package ofproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"gswitch/pipeline"
	"gswitch/tests/golden"
)

// meterDivergent are the steps of tests/golden/meters/steps.tsv where
// gswitch deliberately differs from OVS 3.1, with what gswitch answers
// instead: it accepts dscp_remark bands (OVS refuses them with
// OFPMMFC_BAD_BAND), so reports them in its band types and has the meter
// afterwards.
var meterDivergent = map[string]string{
	"features": "OFPST_METER_FEATURES reply (OF1.3) (xid=0x2):\n" +
		"max_meter:262144 max_bands:8 max_color:0\nband_types: drop dscp_remark\n" +
		"capabilities: kbps pktps burst stats\n",
	"add-dscp": "",
	"dump-dscp": "OFPST_METER_CONFIG reply (OF1.3) (xid=0x2):\n" +
		"meter=4 kbps bands=\ntype=dscp_remark rate=100 prec_level=1\n",
}

// TestOfctlMetersGolden runs the steps of tests/golden/meters/steps.tsv
// (add-meter, mod-meter, del-meters, dump-meters, meter-stats,
// meter-features, flows with meter:N and controller(meter_id=N), packets
// through them) with ovs-ofctl against gswitch, in order, and compares
// each output and exit status with what OVS 3.1 answered (captured by
// tests/ovsref/capture.sh meters).
func TestOfctlMetersGolden(t *testing.T) {
	ofctlSteps(t, newOfctlEnv(t), "meters", []string{"-O", "OpenFlow13"}, meterDivergent)
}

// ofctlSteps runs the steps of tests/golden/DIR/steps.tsv (name,
// normalization, ovs-ofctl arguments after prefix; br0 is the switch) with
// ovs-ofctl against gswitch, in order, and compares each output and exit
// status with OVS 3.1's (DIR/NAME.txt and .cmd); the steps in divergent
// must give exit 0 and the output given there instead.
func ofctlSteps(t *testing.T, e *ofctlEnv, dir string, prefix []string, divergent map[string]string) {
	t.Helper()
	for _, line := range strings.Split(golden.Load(dir+"/steps.tsv"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		name, kind, args := f[0], f[1], append(append([]string(nil), prefix...), f[2:]...)
		for i, a := range args {
			if a == "br0" {
				args[i] = "SW"
			}
		}
		out, err := e.ofctlErr(args...)
		rc := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			rc = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want, ok := divergent[name]; ok {
			if rc != 0 || out != want {
				t.Errorf("%s (deliberate difference): exit %d\n%s--- want exit 0\n%s", name, rc, out, want)
			}
			continue
		}
		if cmd := golden.Load(dir + "/" + name + ".cmd"); !strings.Contains(cmd, "# exit status: "+itoa(rc)+"\n") {
			t.Errorf("%s: exit status %d, OVS:\n%s", name, rc, cmd)
		}
		compareGolden(t, dir+"/"+name+".txt", kind, out)
	}
}

// TestOfctlQueuesGolden: queue config and stats (no queues: an empty
// config, 0 queues, OFPQOFC_BAD_QUEUE for a queue id, OFPQOFC_BAD_PORT for
// a port that is not there) and flows with set_queue, enqueue and
// pop_queue (enqueue is set_queue,output,pop_queue in OpenFlow 1.3), as
// OVS 3.1 answers them (capture.sh section queues).
func TestOfctlQueuesGolden(t *testing.T) {
	ofctlSteps(t, newOfctlEnv(t), "queues", nil, nil)
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// meterModMsg is an OFPT_METER_MOD with the given command, flags, id and
// bands (type, rate, burst, prec_level each).
func meterModMsg(cmd, flags uint16, id uint32, bands ...[4]uint32) []byte {
	m := &msg{}
	m.u8(Version13).u8(Type13MeterMod).u16(0).u32(1).u16(cmd).u16(flags).u32(id)
	for _, b := range bands {
		m.u16(uint16(b[0])).u16(16).u32(b[1]).u32(b[2]).u8(uint8(b[3])).zeros(3)
	}
	m.put16(2, uint16(m.len()))
	return m.b
}

// FuzzMeterMod feeds METER_MOD bodies to the decoder and the pipeline:
// never a panic; a decoded add's bands encode back to the bytes sent
// (meter config reports what the controller sent); the meter count stays
// within MaxMeters.
func FuzzMeterMod(f *testing.F) {
	f.Add(meterModMsg(0, 1, 1, [4]uint32{1, 1000, 0, 0}))
	f.Add(meterModMsg(0, 6, 2, [4]uint32{1, 10, 5, 0}, [4]uint32{2, 20, 0, 3}))
	f.Add(meterModMsg(1, 2, 1, [4]uint32{3, 10, 0, 0}))
	f.Add(meterModMsg(2, 0, 0xffffffff))
	f.Add(meterModMsg(0, 3, 1, [4]uint32{1, 1, 1, 1})[:30])
	dp := pipeline.New(pipeline.Config{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 4 {
			binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		}
		cmd, spec, err := decodeMeterMod(b)
		if err != nil {
			if _, ok := err.(*pipeline.Error); !ok && asOFError(err) == nil {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if cmd != pipeline.MeterDelete {
			enc := encodeMeterConfig(spec)
			if len(enc) != len(b)-8 || !bytes.Equal(enc[8:], b[16:]) && !onlyPadDiffers(enc[8:], b[16:]) {
				t.Fatalf("bands % x encode as % x", b[16:], enc[8:])
			}
		}
		_ = dp.MeterMod(cmd, spec, 1)
		if ms, _ := dp.Meters(pipeline.MeterAll); len(ms) > pipeline.MaxMeters {
			t.Fatalf("%d meters", len(ms))
		}
	})
}

// onlyPadDiffers reports whether two band lists differ only in what the
// encoder zeroes: the pad bytes, and prec_level of a drop band.
func onlyPadDiffers(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i += 16 {
		if !bytes.Equal(a[i:i+12], b[i:i+12]) {
			return false
		}
		if binary.BigEndian.Uint16(a[i:]) == pipeline.BandDSCPRemark && a[i+12] != b[i+12] {
			return false
		}
	}
	return true
}
