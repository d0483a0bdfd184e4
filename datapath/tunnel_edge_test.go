package datapath

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"net/netip"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/tunnel"
)

// SetTunnelConfig changes a tunnel port in place: the next packet carries
// the new key and UDP port, the port keeps its number and counters, and
// tnl/ports/show follows the vport change.
func TestTunnelSetConfigInPlace(t *testing.T) {
	te := newTunnelEnv(t, "")
	te.tun.Neigh.Set("br-phy", remote4, peerMAC)
	pk := pkttest.Parsed(frame(0))
	s := (*sender)(te.brInt)
	s.Output(te.gnv, pk)
	s.Flush()
	if out := sent(t, te.phy); binary.BigEndian.Uint16(out[36:]) != 6081 {
		t.Fatalf("first frame to UDP port %d", binary.BigEndian.Uint16(out[36:]))
	}
	if got := te.tun.TnlPortsShow(false); got != "Listening ports:\ngenev_sys_6081 (1) ref_cnt=1\n" {
		t.Errorf("tnl/ports/show:\n%s", got)
	}
	cfg, _, err := tunnel.ParseConfig("gnv0", "geneve", map[string]string{"remote_ip": "198.51.100.2", "key": "77", "dst_port": "6082"})
	if err != nil {
		t.Fatal(err)
	}
	if err := te.brInt.SetTunnelConfig(te.gnv, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := te.brInt.SetTunnelConfig(99, &cfg); err == nil {
		t.Error("SetTunnelConfig of a port that is none: no error")
	}
	s.Output(te.gnv, pk)
	s.Flush()
	out := sent(t, te.phy)
	if binary.BigEndian.Uint16(out[36:]) != 6082 || binary.BigEndian.Uint32(out[46:])>>8 != 77 {
		t.Errorf("after the change: UDP port %d VNI %d", binary.BigEndian.Uint16(out[36:]), binary.BigEndian.Uint32(out[46:])>>8)
	}
	for _, p := range te.brInt.Ports() {
		if p.No == te.gnv && p.Stats.TxPackets != 2 {
			t.Errorf("gnv0 counted %d sent, want 2 (kept across the change)", p.Stats.TxPackets)
		}
	}
	if got := te.tun.TnlPortsShow(false); got != "Listening ports:\ngenev_sys_6082 (1) ref_cnt=1\n" {
		t.Errorf("tnl/ports/show after the change:\n%s", got)
	}
	v := te.tun.TnlPortsShow(true)
	want := "genev_sys_6082 (1) : eth(dst=02:00:00:00:00:a1),eth_type(0x0800),ipv4(dst=198.51.100.1,proto=17,frag=no),udp(dst=6082)\n"
	if !strings.HasPrefix(v, "Listening ports:\n") || !strings.Contains(v, want) {
		t.Errorf("tnl/ports/show -v:\n%s\nwant a line\n%s", v, want)
	}
}

// The vports tnl/ports/show lists: oldest first, the lowest free number
// for a new one, a count of the ports sharing one.
func TestTunnelListeners(t *testing.T) {
	mk := func(typ tunnel.Type, port uint16) tunnel.Port {
		return tunnel.Port{Config: &tunnel.Config{Type: typ, DstPort: port}}
	}
	ls := listeners(nil, []tunnel.Port{mk(tunnel.Geneve, 6081), mk(tunnel.VXLAN, 4789), mk(tunnel.Geneve, 6081)})
	ls = listeners(ls, []tunnel.Port{mk(tunnel.VXLAN, 4789), mk(tunnel.Geneve, 6082)})
	var got []string
	for _, l := range ls {
		got = append(got, l.Name+" "+string(rune('0'+l.No))+" "+string(rune('0'+l.Refs)))
	}
	if strings.Join(got, ", ") != "vxlan_sys_4789 2 1, genev_sys_6082 1 1" {
		t.Errorf("listeners: %s", strings.Join(got, ", "))
	}
}

// A packet whose tunnel destination would be the address it was
// decapsulated with is not sent (OVS's "Not tunneling to our own
// address", which ends a tunnel loop): counted as drop_action_of_pipeline,
// not as sent; one decapsulated with another address is sent.
func TestTunnelNotToOwnAddress(t *testing.T) {
	te := newTunnelEnv(t, "")
	te.tun.Neigh.Set("br-phy", remote4, peerMAC)
	s := (*sender)(te.brInt)
	pk := pkttest.Parsed(frame(0))
	pk.RxTunDst = remote4Addr()
	s.Output(te.gnv, pk)
	s.Flush()
	select {
	case f := <-te.phy.Sent():
		t.Fatalf("sent %x", f.Data)
	default:
	}
	if c := te.tun.Coverage(); c["drop_action_of_pipeline"] != 1 {
		t.Errorf("coverage %v", c)
	}
	pk.RxTunDst = local4Addr()
	s.Output(te.gnv, pk)
	s.Flush()
	sent(t, te.phy)
	for _, p := range te.brInt.Ports() {
		if p.No == te.gnv && p.Stats.TxPackets != 1 {
			t.Errorf("gnv0 counted %d sent, want 1", p.Stats.TxPackets)
		}
	}
}

// Received frames that cannot be used are dropped and counted under OVS's
// names: a bad outer IPv4 checksum (datapath_drop_tunnel_pop_error), a VNI
// no port has (datapath_drop_upcall_error), an unknown critical Geneve
// option (drop_action_invalid_tunnel_metadata), an inner frame shorter than
// an Ethernet header (datapath_drop_rx_invalid_packet); only the good one
// comes out of the VM port and counts as received.
func TestTunnelBadInputCounters(t *testing.T) {
	te := newTunnelEnv(t, "")
	cfg, _, err := tunnel.ParseConfig("gnv0", "geneve", map[string]string{"remote_ip": "198.51.100.2", "key": "5"})
	if err != nil {
		t.Fatal(err)
	}
	if err := te.brInt.SetTunnelConfig(te.gnv, &cfg); err != nil {
		t.Fatal(err)
	}
	inner := frame(0)
	good := geneveTo(t, inner, 5)
	badCsum := append([]byte(nil), good...)
	badCsum[24] ^= 0x11
	noKey := geneveTo(t, inner, 6)
	short := geneveTo(t, inner[:5], 5)
	// An unknown critical option (class 0xfff0, type 0x80, 4 bytes).
	crit := append([]byte(nil), good[:50]...)
	crit = append(crit, 0xff, 0xf0, 0x80, 1, 0, 0, 0, 1)
	crit = append(crit, inner...)
	crit[42] = 2 // options length: 2 words
	binary.BigEndian.PutUint16(crit[16:], uint16(len(crit)-14))
	crit[24], crit[25] = 0, 0
	packet.PutIPv4HeaderChecksum(crit[14:34])
	binary.BigEndian.PutUint16(crit[38:], uint16(len(crit)-34))
	for _, f := range [][]byte{badCsum, noKey, crit, short, good} {
		in := pkttest.Parsed(f)
		in.Key.SetInPort(1)
		te.brPhy.Pipeline().Process(&packet.Batch{Pkts: []*packet.Packet{in}, Now: te.brPhy.Now()})
	}
	if got := sent(t, te.vm); !bytes.Equal(got, inner) {
		t.Fatalf("VM port got %x", got)
	}
	select {
	case f := <-te.vm.Sent():
		t.Fatalf("VM port got a second frame %x", f.Data)
	default:
	}
	c := te.tun.Coverage()
	for name, n := range map[string]uint64{"datapath_drop_tunnel_pop_error": 1, "datapath_drop_upcall_error": 1,
		"drop_action_invalid_tunnel_metadata": 1, "datapath_drop_rx_invalid_packet": 1} {
		if c[name] != n {
			t.Errorf("%s = %d, want %d (all: %v)", name, c[name], n, c)
		}
	}
	for _, p := range te.brInt.Ports() {
		if p.No == te.gnv && p.Stats.RxPackets != 1 {
			t.Errorf("gnv0 counted %d received, want 1", p.Stats.RxPackets)
		}
	}
}

func remote4Addr() netip.Addr { return netip.AddrFrom4([4]byte(remote4[12:])) }
func local4Addr() netip.Addr  { return netip.AddrFrom4([4]byte(local4[12:])) }
