package pipeline

import (
	"fmt"
	"sync"
	"testing"

	"gswitch/ct"
	"gswitch/packet"
)

// sent is one output the fake sender saw.
type sent struct {
	port uint32
	data []byte
	key  packet.Key
	tun  packet.TunMeta
}

type fakeSender struct {
	mu      sync.Mutex
	out     []sent
	flushes int
	record  bool
}

func (s *fakeSender) Output(port uint32, pk *packet.Packet) {
	if !s.record {
		return
	}
	s.mu.Lock()
	s.out = append(s.out, sent{port, append([]byte(nil), pk.Data...), pk.Key, pk.Tun})
	s.mu.Unlock()
}

func (s *fakeSender) Flush() { s.flushes++ }

func (s *fakeSender) ports() []uint32 {
	var p []uint32
	for _, o := range s.out {
		p = append(p, o.port)
	}
	return p
}

func (s *fakeSender) reset() { s.out = nil }

type fakePI struct {
	pis []PacketIn
}

func (f *fakePI) PacketIn(pi *PacketIn) {
	c := *pi
	c.Data = append([]byte(nil), pi.Data...)
	f.pis = append(f.pis, c)
}

// fakeTracker marks packets +trk, +new until a connection (keyed by the
// 5-tuple, either direction) is committed, +est after; it records calls.
type fakeTracker struct {
	mu        sync.Mutex
	committed map[[5]uint64]bool
	calls     []ct.Params
	hold      bool // hold every packet (as for a fragment)
}

func tupleOf(k *packet.Key) [5]uint64 {
	a, b := uint64(k.IPv4Src()), uint64(k.IPv4Dst())
	pa, pb := uint64(k.TpSrc()), uint64(k.TpDst())
	if a > b || (a == b && pa > pb) {
		a, b, pa, pb = b, a, pb, pa
	}
	return [5]uint64{a, b, pa, pb, uint64(k.NwProto())}
}

func (t *fakeTracker) Execute(pkts []*packet.Packet, out []*packet.Packet, p *ct.Params, now int64) []*packet.Packet {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.committed == nil {
		t.committed = map[[5]uint64]bool{}
	}
	t.calls = append(t.calls, *p)
	if t.hold {
		return out
	}
	for _, pk := range pkts {
		tu := tupleOf(&pk.Key)
		st := packet.CsTrk | packet.CsNew
		if t.committed[tu] {
			st = packet.CsTrk | packet.CsEst
		}
		if p.Commit {
			t.committed[tu] = true
		}
		pk.Key.SetCtState(st)
		pk.Key.W.SetCtZone(p.Zone)
		pk.Conn = t
		out = append(out, pk)
	}
	return out
}

// Test frames.
func tcpFrame(sport, dport uint16) []byte {
	return tcp4("198.51.100.1", "198.51.100.2", sport, dport)
}

// mkMatch builds a match from field/value pairs (exact).
func mkMatch(kv ...any) Match {
	var m Match
	for i := 0; i < len(kv); i += 2 {
		f := kv[i].(packet.FieldID)
		var v uint64
		switch x := kv[i+1].(type) {
		case int:
			v = uint64(x)
		case uint64:
			v = x
		case uint32:
			v = uint64(x)
		default:
			panic(fmt.Sprintf("bad value %T", x))
		}
		m.SetExact(f, packet.U128{Lo: v})
	}
	return m
}

func ipMatch(kv ...any) Match {
	return mkMatch(append([]any{packet.FieldEthType, packet.EthTypeIPv4}, kv...)...)
}

func spec(table uint8, pri uint16, m Match, acts ...Action) FlowSpec {
	return FlowSpec{Table: table, Priority: pri, Match: m,
		Inst: Instructions{Apply: acts, HasApply: true, GotoTable: -1}}
}

func add(t testing.TB, d *Datapath, s FlowSpec) {
	t.Helper()
	if err := d.FlowMod(&FlowMod{Command: FlowAdd, Spec: s, OutPort: PortAny, OutGroup: GroupAny}, 1); err != nil {
		t.Fatalf("add %+v: %v", s, err)
	}
}

type env struct {
	d  *Datapath
	s  *fakeSender
	pi *fakePI
	tr *fakeTracker
}

func newEnv(t testing.TB, ports ...uint32) *env {
	e := &env{s: &fakeSender{record: true}, pi: &fakePI{}, tr: &fakeTracker{}}
	e.d = New(Config{Tracker: e.tr, Sender: e.s, PacketIn: e.pi})
	if len(ports) == 0 {
		ports = []uint32{1, 2, 3, 4}
	}
	var pis []PortInfo
	for _, p := range ports {
		pis = append(pis, PortInfo{No: p, Up: true})
	}
	e.d.SetPorts(pis)
	return e
}

// send runs frames in one batch from port in.
func (e *env) send(in uint32, frames ...[]byte) {
	b := &packet.Batch{Now: 1e9}
	for _, f := range frames {
		pk := packet.New(f)
		pk.Key.SetInPort(in)
		b.Pkts = append(b.Pkts, pk)
	}
	e.d.Process(b)
}

func errCode(err error) (uint16, uint16) {
	if e, ok := err.(*Error); ok {
		return e.Type, e.Code
	}
	return 0xffff, 0xffff
}
