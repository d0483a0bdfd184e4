package underlay

import (
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"

	"gswitch/packet/pkttest"
)

const goldenDir = "../../tests/golden/underlay/"

// readPcap returns the frames of a classic pcap file (any byte order).
func readPcap(t *testing.T, name string) [][]byte {
	b, err := os.ReadFile(goldenDir + name)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 {
		t.Fatalf("%s: short", name)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(b) == 0xa1b2c3d4 {
		bo = binary.BigEndian
	}
	var out [][]byte
	for p := 24; p+16 <= len(b); {
		n := int(bo.Uint32(b[p+8:]))
		if p+16+n > len(b) {
			t.Fatalf("%s: truncated record", name)
		}
		out = append(out, b[p+16:p+16+n])
		p += 16 + n
	}
	return out
}

// goldenSection returns the output of the nth step (0-based among those
// whose command is cmd) of steps.txt.
func goldenSection(t *testing.T, cmd string, nth int) string {
	b, err := os.ReadFile(goldenDir + "steps.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range SplitSteps(string(b)) {
		if s.Cmd == cmd {
			if nth == 0 {
				return s.Out
			}
			nth--
		}
	}
	t.Fatalf("steps.txt has no step %q", cmd)
	return ""
}

// Step is one step of tests/golden/underlay/steps.txt: its command, output
// and exit status line.
type Step struct{ Cmd, Out, Exit string }

// SplitSteps cuts capture.sh's output into steps.
func SplitSteps(s string) []Step {
	var out []Step
	for _, part := range strings.Split(s, "=== ")[1:] {
		line, rest, _ := strings.Cut(part, "\n")
		if strings.HasPrefix(line, "exit ") && len(out) > 0 {
			out[len(out)-1].Exit = line
			continue
		}
		out = append(out, Step{Cmd: line, Out: rest})
	}
	return out
}

// sortNeigh sorts tnl/neigh/show's entry lines: OVS lists them in its
// cmap's order, which depends on a random hash basis per run.
func sortNeigh(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > 2 {
		slices.Sort(lines[2:])
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestSnoopReplay feeds the frames the peer sent into OVS 3.1's bridge
// (snoop.pcap, captured by capture.sh) to SnoopOutput as the datapath will
// (output to br-phy's LOCAL port, which has addresses, no tunnel port
// claiming them) and compares the neighbour table with the one OVS learned
// from the same frames: ARP replies to the bridge's address and gratuitous
// ARPs (request and reply) are learned, the neighbour advertisement
// answering br-phy's solicitation is, the unsolicited one to ff02::1 is not,
// ARP requests and echo traffic are not.
func TestSnoopReplay(t *testing.T) {
	c := NewNeighCache()
	// br-phy's addresses then (203.0.113.1 was deleted before), and the
	// first address of each port's device.
	addrs := []Addr{a4("198.51.100.1"), a6("2001:db8::1"), a6("fe80::5e:ff:fe00:601"), a6("fe80::5e:ff:fe00:603")}
	for _, f := range readPcap(t, "snoop.pcap") {
		pk := pkttest.Parsed(f)
		c.SnoopOutput("br-phy", &pk.Key.W, addrs, false)
	}
	want := goldenSection(t, "appctl tnl/neigh/show", 3)
	if got := c.ShowText(); sortNeigh(got) != sortNeigh(want) {
		t.Errorf("snooped:\n%s\nOVS 3.1 learned:\n%s", got, want)
	}
}

// TestMissFramesVsOVS: the ARP request and neighbour solicitation OVS 3.1
// sent from br-phy (02:5e:00:00:06:01) on a neighbour cache miss for its
// Geneve ports' remotes (miss.pcap), byte for byte.
func TestMissFramesVsOVS(t *testing.T) {
	smac := MAC{0x02, 0x5e, 0, 0, 6, 1}
	arp := BuildARPRequest(nil, smac, a4("198.51.100.1").V4(), a4("198.51.100.2").V4())
	ns := BuildNS(nil, smac, a6("2001:db8::1"), a6("2001:db8::2"))
	var gotARP, gotNS bool
	for _, f := range readPcap(t, "miss.pcap") {
		// Only broadcast ARP and solicited-node NS: the kernel's own
		// unicast probes from br-phy are in the capture too.
		if string(f[6:12]) != string(smac[:]) || (f[0] != 0xff && f[0] != 0x33) {
			continue
		}
		switch {
		case binary.BigEndian.Uint16(f[12:]) == ethTypeARP:
			gotARP = true
			if string(f) != string(arp) {
				t.Errorf("ARP request:\nOVS     %x\ngswitch %x", f, arp)
			}
		case len(f) > 54 && f[54] == ndNS:
			gotNS = true
			if string(f) != string(ns) {
				t.Errorf("neighbour solicitation:\nOVS     %x\ngswitch %x", f, ns)
			}
		}
	}
	if !gotARP || !gotNS {
		t.Errorf("miss.pcap lacks OVS's ARP request (%v) or solicitation (%v)", gotARP, gotNS)
	}
}
