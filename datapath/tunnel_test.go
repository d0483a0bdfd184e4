package datapath

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/pipeline"
	"gswitch/ports/porttest"
	"gswitch/tunnel"
	"gswitch/tunnel/underlay"
)

var (
	phyMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xa1}
	peerMAC = underlay.MAC{0x02, 0, 0, 0, 0, 0xa2}
	local4  = underlay.AddrFrom4([4]byte{198, 51, 100, 1})
	remote4 = underlay.AddrFrom4([4]byte{198, 51, 100, 2})
)

// tunnelEnv is one chassis in memory: br-int (vm=1, gnv0: Geneve to
// 198.51.100.2, key=flow) and br-phy (phy=1, LOCAL holding 198.51.100.1/24).
type tunnelEnv struct {
	tun            *Tunnels
	brInt, brPhy   *Bridge
	vm, phy, local *porttest.Port
	gnv            uint32
}

func newTunnelEnv(t *testing.T, failMode string) *tunnelEnv {
	return newTunnelEnvAt(t, failMode, local4, remote4, 120)
}

// newTunnelEnvAt is newTunnelEnv with br-phy's address local in a subnet
// of plen bits (of 128) and gnv0's remote_ip remote.
func newTunnelEnvAt(t testing.TB, failMode string, local, remote underlay.Addr, plen int) *tunnelEnv {
	e := newEnv(t)
	var m underlay.Addr
	for i := 0; i < plen; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	var sub underlay.Addr
	for i := range sub {
		sub[i] = local[i] & m[i]
	}
	if local.Is4() {
		m = underlay.AddrFrom4([4]byte(m[12:]))
	}
	addrs := func(dev string) ([]underlay.IfAddr, error) {
		if dev == "br-phy" {
			return []underlay.IfAddr{{IP: local, Mask: m}}, nil
		}
		return nil, errors.New("no such device")
	}
	u := underlay.New(addrs)
	u.Router.ResetKernel([]underlay.KernelRoute{
		{Dst: local, Plen: 128, Local: true, Dev: "br-phy"},
		{Dst: sub, Plen: plen, Dev: "br-phy"},
	}, addrs)
	te := &tunnelEnv{tun: NewTunnels(u, addrs, nil)}
	te.vm, te.phy = porttest.New("vm"), porttest.New("phy")
	te.local = porttest.New("br-phy", porttest.HWAddr(phyMAC))
	var err error
	te.brInt, err = New(Config{Name: "br-int", FailMode: failMode, Tracker: e.tracker, Pool: e.pool, Clock: e.now, Tunnels: te.tun},
		[]Port{{No: 1, Dev: te.vm}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(te.brInt.Close)
	te.brPhy, err = New(Config{Name: "br-phy", FailMode: failMode, HWAddr: [6]byte(phyMAC), HWAddrSet: true, Local: te.local,
		Tracker: e.tracker, Pool: e.pool, Clock: e.now, Tunnels: te.tun}, []Port{{No: 1, Dev: te.phy}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(te.brPhy.Close)
	cfg, _, err := tunnel.ParseConfig("gnv0", "geneve", map[string]string{"remote_ip": remote.String(), "key": "flow"})
	if err != nil {
		t.Fatal(err)
	}
	if te.gnv, err = te.brInt.AddTunnel("gnv0", 0, &cfg); err != nil {
		t.Fatal(err)
	}
	return te
}

func sent(t *testing.T, p *porttest.Port) []byte {
	t.Helper()
	select {
	case f := <-p.Sent():
		return f.Data
	case <-time.After(2 * time.Second):
		t.Fatalf("%s sent nothing", p.Name())
		return nil
	}
}

// An output to a tunnel port: on a neighbour miss an ARP request leaves
// br-phy (from LOCAL, flooded) and the packet is dropped; with the
// neighbour known the Geneve frame leaves br-phy; a Geneve frame to
// br-phy's address comes out of br-int's VM port decapsulated.
func TestTunnelEncapDecap(t *testing.T) {
	te := newTunnelEnv(t, "")
	inner := frame(0)
	pk := pkttest.Parsed(inner)
	s := (*sender)(te.brInt)
	s.Output(te.gnv, pk)
	s.Flush()
	arp := sent(t, te.phy)
	want := underlay.BuildARPRequest(nil, underlay.MAC(phyMAC), local4.V4(), remote4.V4())
	if !bytes.Equal(arp, want) {
		t.Fatalf("on a miss br-phy sent\n%x, want the ARP request\n%x", arp, want)
	}

	te.tun.Neigh.Set("br-phy", remote4, peerMAC)
	s.Output(te.gnv, pk)
	s.Flush()
	out := sent(t, te.phy)
	if len(out) != len(inner)+50 || !bytes.Equal(out[50:], inner) || !bytes.Equal(out[0:6], peerMAC[:]) ||
		!bytes.Equal(out[6:12], phyMAC) || !bytes.Equal(out[26:34], []byte{198, 51, 100, 1, 198, 51, 100, 2}) ||
		out[36] != 0x17 || out[37] != 0xc1 {
		t.Fatalf("encapsulated frame %x", out)
	}

	// The other way: what the peer sends to us.
	g := geneveTo(t, inner, 0x99)
	in := pkttest.Parsed(g)
	in.Key.SetInPort(1)
	te.brPhy.Pipeline().Process(&packet.Batch{Pkts: []*packet.Packet{in}, Now: te.brPhy.Now()})
	got := sent(t, te.vm)
	if !bytes.Equal(got, inner) {
		t.Fatalf("br-int's VM port got\n%x, want\n%x", got, inner)
	}
	st := te.brInt.Ports()
	for _, p := range st {
		// Both outputs count, the one dropped on the miss too (as OVS
		// counts them when it translates them, before routing).
		if p.No == te.gnv && (p.Stats.RxPackets != 1 || p.Stats.TxPackets != 2) {
			t.Errorf("gnv0 counters %+v", p.Stats)
		}
	}
	if n, _ := te.tun.Neigh.Lookup("br-phy", remote4); n != peerMAC {
		t.Errorf("neighbour %v", n)
	}
}

// geneveTo is a Geneve frame from the peer (198.51.100.2) to br-phy's
// address carrying inner with VNI vni.
func geneveTo(t *testing.T, inner []byte, vni uint64) []byte {
	t.Helper()
	cfg, _, err := tunnel.ParseConfig("peer", "geneve", map[string]string{"remote_ip": "198.51.100.1", "key": "flow"})
	if err != nil {
		t.Fatal(err)
	}
	pk := pkttest.Parsed(inner)
	f := tunnel.Flow{ID: vni, Dst: netip.MustParseAddr("198.51.100.1"), TTL: 64, Flags: tunnel.FlagKey | tunnel.FlagDF}
	o := tunnel.Outer{SrcMAC: peerMAC, DstMAC: [6]byte(phyMAC), Src: netip.MustParseAddr("198.51.100.2")}
	if err := tunnel.Encap(pk, &cfg, &f, nil, &o, 1); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), pk.Data...)
}

// Encapsulation and decapsulation allocate nothing per packet (both
// bridges in secure mode: br-phy drops the outer frame; a flow sends
// received frames to LOCAL, where they are decapsulated, and br-int has no
// flow).
func TestTunnelNoAllocs(t *testing.T) {
	te := newTunnelEnv(t, "secure")
	te.tun.Neigh.Set("br-phy", remote4, peerMAC)
	pk := pkttest.Parsed(frame(0))
	s := (*sender)(te.brInt)
	run := func() {
		s.Output(te.gnv, pk)
		s.Flush()
	}
	for range 4 {
		run()
	}
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("tunnel output allocates %.1f per packet", a)
	}
	fm := &pipeline.FlowMod{Command: pipeline.FlowAdd, OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
		Spec: pipeline.FlowSpec{Inst: pipeline.Instructions{HasApply: true, GotoTable: -1,
			Apply: []pipeline.Action{pipeline.Output{Port: pipeline.PortLocal}}}}}
	if err := te.brPhy.Pipeline().FlowMod(fm, te.brPhy.Now()); err != nil {
		t.Fatal(err)
	}
	g := geneveTo(t, frame(0), 7)
	in := packet.New(g)
	b := &packet.Batch{Pkts: []*packet.Packet{in}}
	recv := func() {
		in.SetLen(copy(in.RxSpace(), g))
		in.Key.SetInPort(1)
		b.Now = te.brPhy.Now()
		te.brPhy.Pipeline().Process(b)
	}
	for range 4 {
		recv()
	}
	if a := testing.AllocsPerRun(100, recv); a != 0 {
		t.Errorf("tunnel receive allocates %.1f per packet", a)
	}
	for _, p := range te.brInt.Ports() {
		if p.No == te.gnv && p.Stats.RxPackets < 100 {
			t.Errorf("gnv0 received %d", p.Stats.RxPackets)
		}
	}
}
