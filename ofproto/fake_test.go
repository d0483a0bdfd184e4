package ofproto

import (
	"sync"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/pipeline"
)

// fakeDP is a small Datapath for tests: a flow list with OVS-like add,
// modify and delete semantics, groups, and a record of packet-outs.
type fakeDP struct {
	mu         sync.Mutex
	flows      []pipeline.FlowStats
	groups     []pipeline.GroupStats
	packetOuts []fakePacketOut
	mdp        *pipeline.Datapath // meters
	flowMods   int
	failNext   error
	resumes    []fakeResume
}

type fakeResume struct {
	meta  packet.Words
	frame []byte
	cont  pipeline.Continuation
}

type fakePacketOut struct {
	inPort uint32
	acts   []pipeline.Action
	frame  []byte
}

func covers(filter, flow *pipeline.Match) bool {
	for i := range filter.Mask {
		if filter.Mask[i]&^flow.Mask[i] != 0 || flow.Value[i]&filter.Mask[i] != filter.Value[i] {
			return false
		}
	}
	return true
}

func (d *fakeDP) sel(table uint8, m *pipeline.Match, strict bool, prio uint16, cookie, mask uint64) []int {
	var out []int
	for i, f := range d.flows {
		if table != pipeline.TableAll && f.Spec.Table != table {
			continue
		}
		if f.Spec.Cookie&mask != cookie&mask {
			continue
		}
		if strict {
			if f.Spec.Priority != prio || f.Spec.Match != *m {
				continue
			}
		} else if !covers(m, &f.Spec.Match) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func (d *fakeDP) FlowMod(fm *pipeline.FlowMod, now int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.flowMods++
	if d.failNext != nil {
		err := d.failNext
		d.failNext = nil
		return err
	}
	s := fm.Spec
	switch fm.Command {
	case pipeline.FlowAdd:
		for i, f := range d.flows {
			if f.Spec.Table == s.Table && f.Spec.Priority == s.Priority && f.Spec.Match == s.Match {
				d.flows[i].Spec = s
				return nil
			}
		}
		if s.Flags&pipeline.FlagCheckOverlap != 0 {
			for _, f := range d.flows {
				if f.Spec.Table == s.Table && f.Spec.Priority == s.Priority {
					return pipeline.Errorf(pipeline.OFPFMFC_OVERLAP, "overlap")
				}
			}
		}
		d.flows = append(d.flows, pipeline.FlowStats{Spec: s, Created: now, LastUsed: now})
	case pipeline.FlowModify, pipeline.FlowModifyStrict:
		for _, i := range d.sel(s.Table, &s.Match, fm.Command == pipeline.FlowModifyStrict, s.Priority, s.Cookie, fm.CookieMask) {
			d.flows[i].Spec.Inst = s.Inst
			if fm.SetCookie {
				d.flows[i].Spec.Cookie = fm.NewCookie
			}
		}
	case pipeline.FlowDelete, pipeline.FlowDeleteStrict:
		idx := d.sel(s.Table, &s.Match, fm.Command == pipeline.FlowDeleteStrict, s.Priority, s.Cookie, fm.CookieMask)
		for j := len(idx) - 1; j >= 0; j-- {
			i := idx[j]
			d.flows = append(d.flows[:i], d.flows[i+1:]...)
		}
	default:
		return pipeline.Errorf(pipeline.OFPFMFC_BAD_COMMAND, "bad command")
	}
	return nil
}

func (d *fakeDP) Flows(f *pipeline.FlowFilter, now int64) []pipeline.FlowStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []pipeline.FlowStats
	for _, i := range d.sel(f.Table, &f.Match, f.Strict, f.Priority, f.Cookie, f.CookieMask) {
		out = append(out, d.flows[i])
	}
	return out
}

func (d *fakeDP) SetTableEviction(uint8, bool) {}
func (d *fakeDP) TableEviction(uint8) bool     { return false }

func (d *fakeDP) TableStats() []pipeline.TableStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ts []pipeline.TableStats
	n := map[uint8]uint32{}
	for _, f := range d.flows {
		n[f.Spec.Table]++
	}
	for t, c := range n {
		ts = append(ts, pipeline.TableStats{Table: t, Active: c})
	}
	return ts
}

func (d *fakeDP) GroupMod(cmd uint16, g *pipeline.GroupSpec) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch cmd {
	case pipeline.GroupAdd:
		for _, o := range d.groups {
			if o.Spec.ID == g.ID {
				return pipeline.Errorf(pipeline.OFPGMFC_GROUP_EXISTS, "exists")
			}
		}
		d.groups = append(d.groups, pipeline.GroupStats{Spec: *g})
	case pipeline.GroupModify:
		for i := range d.groups {
			if d.groups[i].Spec.ID == g.ID {
				d.groups[i].Spec = *g
				return nil
			}
		}
		return pipeline.Errorf(pipeline.OFPGMFC_UNKNOWN_GROUP, "unknown group")
	case pipeline.GroupDelete:
		for i := 0; i < len(d.groups); i++ {
			if g.ID == pipeline.GroupAll || d.groups[i].Spec.ID == g.ID {
				d.groups = append(d.groups[:i], d.groups[i+1:]...)
				i--
			}
		}
	}
	return nil
}

func (d *fakeDP) Groups() []pipeline.GroupStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]pipeline.GroupStats(nil), d.groups...)
}

func (d *fakeDP) Resume(meta *packet.Words, frame []byte, c *pipeline.Continuation, now int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.resumes = append(d.resumes, fakeResume{*meta, frame, *c})
	return nil
}

func (d *fakeDP) PacketOut(inPort uint32, acts []pipeline.Action, frame []byte, now int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.packetOuts = append(d.packetOuts, fakePacketOut{inPort, acts, frame})
	return nil
}

func (d *fakeDP) numFlows() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.flows)
}

// fakePorts is a Ports with two ports and LOCAL.
type fakePorts struct {
	mu    sync.Mutex
	ports []Port
	mods  int
	stats func(no uint32) PortStats // nil: fixed test counters
}

func newFakePorts() *fakePorts {
	return &fakePorts{ports: []Port{
		{No: 1, Name: "p1", HWAddr: [6]byte{0xaa, 0x55, 0xaa, 0x55, 0, 0x10}},
		{No: 2, Name: "p2", HWAddr: [6]byte{0xaa, 0x55, 0xaa, 0x55, 0, 0x0f}},
		{No: pipeline.PortLocal, Name: "br0", HWAddr: [6]byte{0x7a, 0x6d, 0x78, 0x88, 0x43, 0x41}},
	}}
}

func (p *fakePorts) Ports() []Port {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Port(nil), p.ports...)
}

func (p *fakePorts) PortStats(no uint32) []PortStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PortStats
	for _, pt := range p.ports {
		if no == pipeline.PortAny || no == pt.No {
			if p.stats != nil {
				out = append(out, p.stats(pt.No))
				continue
			}
			out = append(out, PortStats{No: pt.No, RxPackets: 3, TxPackets: 4, RxBytes: 300, TxBytes: 400,
				RxDropped: Unknown, TxDropped: Unknown, RxErrors: Unknown, TxErrors: Unknown,
				RxFrameErr: Unknown, RxOverErr: Unknown, RxCRCErr: Unknown, Collisions: Unknown})
		}
	}
	return out
}

func (p *fakePorts) PortMod(no uint32, hw [6]byte, config, mask, adv uint32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.ports {
		if p.ports[i].No == no {
			if p.ports[i].HWAddr != hw {
				return errPortModHW
			}
			p.ports[i].Config = p.ports[i].Config&^mask | config&mask
			p.mods++
			return nil
		}
	}
	return errPortModPort
}

type fakeCt struct {
	mu      sync.Mutex
	zones   []uint16
	filters []CtFlushFilter
}

func (f *fakeCt) FlushZone(z uint16) {
	f.mu.Lock()
	f.zones = append(f.zones, z)
	f.mu.Unlock()
}

func (f *fakeCt) Flush(flt *CtFlushFilter) {
	f.mu.Lock()
	f.filters = append(f.filters, *flt)
	f.mu.Unlock()
}

type testEnv struct {
	srv   *Server
	dp    *fakeDP
	ports *fakePorts
	ct    *fakeCt
	addr  string
}

// newTestServer starts a Server with fakes on a free 127.0.0.1 port.
func newTestServer(t testing.TB, mod func(*Config)) *testEnv {
	t.Helper()
	env := &testEnv{dp: &fakeDP{}, ports: newFakePorts(), ct: &fakeCt{}}
	cfg := Config{Datapath: env.dp, Ports: env.ports, Ct: env.ct, DatapathID: 1, ProbeInterval: -1}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("ptcp:0:127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	env.srv = s
	env.addr = s.Addr(0).String()
	t.Cleanup(func() { s.Close() })
	return env
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Meters are the pipeline's own (fakeDP keeps no copy of their rules).
func (d *fakeDP) meterDP() *pipeline.Datapath {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mdp == nil {
		d.mdp = pipeline.New(pipeline.Config{})
	}
	return d.mdp
}

func (d *fakeDP) MeterMod(cmd uint16, m *pipeline.MeterSpec, now int64) error {
	return d.meterDP().MeterMod(cmd, m, now)
}

func (d *fakeDP) Meters(id uint32) ([]pipeline.MeterStats, error) { return d.meterDP().Meters(id) }
