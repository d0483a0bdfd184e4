package datapath

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"gswitch/packet"
	"gswitch/pipeline"
	"gswitch/ports"
	"gswitch/tunnel"
	"gswitch/tunnel/underlay"
)

// Tunnels is native tunnelling as OVS 3.1's userspace datapath does it,
// shared by every bridge of a process (Config.Tunnels): the tunnel ports of
// all bridges (OVS's tnl-ports), the underlay addresses they receive on
// (every port device's addresses: OVS's tnl_port_map ip_devs), and the
// route table and neighbour cache that send the outer packets.
//
// Sending: an output to a tunnel port queues a copy; at the end of the
// batch the copy's tunnel header is computed (tunnel.Config.SendFlow), its
// destination routed (the route's device names the bridge whose LOCAL port
// it is, as OVS's tnl_route_lookup_flow), its next hop resolved in the
// neighbour cache, and the encapsulated frame runs through that bridge's
// pipeline as from its LOCAL port. On a neighbour miss an ARP request or
// neighbour solicitation runs there instead and the packet is dropped.
//
// Receiving: while a tunnel port exists, a packet output to any other port
// whose Ethernet and IP destination are an underlay endpoint's, UDP to a
// tunnel's port, is not sent but decapsulated (terminate_native_tunnel);
// the inner frame enters the tunnel port's bridge with its tunnel fields.
// ARP replies and neighbour advertisements output there teach the
// neighbour cache.
type Tunnels struct {
	Router *underlay.Router
	Neigh  *underlay.NeighCache
	Addrs  underlay.AddrSource
	Log    *zap.Logger

	mu        sync.Mutex
	bridges   []*Bridge  // registered, in order
	listeners []Listener // the vports in use, oldest first (under mu)
	state     atomic.Pointer[tnlState]

	drops   [16]atomic.Uint64 // decapsulation drops by tunnel.Drop
	encErrs atomic.Uint64     // datapath_drop_tunnel_push_error
	noSend  atomic.Uint64     // outputs that send nothing: drop_action_of_pipeline
	// rxInvalid counts inner frames too short to be Ethernet:
	// datapath_drop_rx_invalid_packet.
	rxInvalid atomic.Uint64
	lastLog   atomic.Int64
}

// tnlState is an immutable snapshot of the tunnel ports and endpoints.
type tnlState struct {
	ports   *tunnel.Ports // nil: no tunnel port (native tunnelling off)
	bridges []*Bridge     // tunnel.Port.Bridge indexes this
	eps     []tunnel.Endpoint
	brAddrs [][]underlay.Addr // per bridge (same index): BridgeAddrs
	devEps  []tunnel.Endpoint // every port device's addresses, per device (TnlPortsShow)
}

// Listener is a vport the tunnel ports use (OVS's tnl-ports port_list):
// its datapath name (genev_sys_6081, vxlan_sys_4789, ...), a number for it
// (OVS's datapath port number; the lowest unused, from 1) and how many
// tunnel ports use it.
type Listener struct {
	VPort tunnel.VPort
	Name  string
	No    uint32
	Refs  int
}

// NewTunnels makes a Tunnels over an underlay (addrs nil: the kernel's).
func NewTunnels(u *underlay.Underlay, addrs underlay.AddrSource, log *zap.Logger) *Tunnels {
	if addrs == nil {
		addrs = underlay.SystemAddrs
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Tunnels{Router: u.Router, Neigh: u.Neigh, Addrs: addrs, Log: log}
}

func (t *Tunnels) register(b *Bridge) {
	t.mu.Lock()
	t.bridges = append(t.bridges, b)
	t.mu.Unlock()
	t.Rebuild()
}

func (t *Tunnels) unregister(b *Bridge) {
	t.mu.Lock()
	for i, x := range t.bridges {
		if x == b {
			t.bridges = append(t.bridges[:i:i], t.bridges[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	t.Rebuild()
}

// Rebuild recomputes the tunnel ports and the endpoints (the addresses of
// every port device of every bridge). Bridges call it when their ports
// change; Run calls it when the routes (and so the addresses) change.
func (t *Tunnels) Rebuild() {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &tnlState{bridges: append([]*Bridge(nil), t.bridges...)}
	var tps []tunnel.Port
	seen := map[netip.Addr]bool{}
	for i, b := range st.bridges {
		tab := b.tab.Load()
		var names []string
		for _, p := range tab.list {
			if p.tnl != nil {
				tps = append(tps, tunnel.Port{OFPort: p.no, Bridge: i, Config: p.tnl.cfg.Load()})
				continue
			}
			if p.dev == nil {
				continue
			}
			names = append(names, p.name)
			list, err := t.Addrs(p.name)
			if err != nil {
				continue
			}
			var mac [6]byte
			copy(mac[:], p.dev.HWAddr())
			for _, a := range list {
				ip := netip.AddrFrom16(a.IP).Unmap()
				st.devEps = append(st.devEps, tunnel.Endpoint{MAC: mac, Addr: ip})
				if !seen[ip] {
					seen[ip] = true
					st.eps = append(st.eps, tunnel.Endpoint{MAC: mac, Addr: ip})
				}
			}
		}
		st.brAddrs = append(st.brAddrs, underlay.BridgeAddrs(t.Addrs, b.cfg.Name, names))
	}
	if len(tps) > 0 {
		var warns []string
		st.ports, warns = tunnel.NewPorts(tps)
		for _, w := range warns {
			t.Log.Warn(w)
		}
	}
	t.listeners = listeners(t.listeners, tps)
	t.state.Store(st)
}

// listeners updates old (oldest first) to the vports ports use: gone
// ones removed, new ones appended with the lowest free number, each with
// its count of ports.
func listeners(old []Listener, ports []tunnel.Port) []Listener {
	refs := map[tunnel.VPort]int{}
	var order []tunnel.VPort
	for _, p := range ports {
		vp := tunnel.VPort{Type: p.Config.Type, Port: p.Config.DstPort}
		if refs[vp] == 0 {
			order = append(order, vp)
		}
		refs[vp]++
	}
	out := make([]Listener, 0, len(refs))
	used := map[uint32]bool{}
	for _, l := range old {
		if n := refs[l.VPort]; n > 0 {
			l.Refs = n
			out = append(out, l)
			used[l.No] = true
		}
	}
	for _, vp := range order {
		known := false
		for _, l := range out {
			known = known || l.VPort == vp
		}
		if known {
			continue
		}
		no := uint32(1)
		for used[no] {
			no++
		}
		used[no] = true
		name := "genev_sys_"
		if vp.Type == tunnel.VXLAN {
			name = "vxlan_sys_"
		}
		out = append(out, Listener{VPort: vp, Name: fmt.Sprintf("%s%d", name, vp.Port), No: no, Refs: refs[vp]})
	}
	return out
}

// TnlPortsShow is `ovs-appctl tnl/ports/show [-v]` as OVS 3.1 prints it:
// each vport in use, its number and how many tunnel ports use it; with -v
// instead what it receives, one line for each vport and each address of
// each port device (the match OVS's tnl_port_map_lookup uses). OVS lists
// those lines in its classifier's order, gswitch by vport, then device.
func (t *Tunnels) TnlPortsShow(verbose bool) string {
	var b strings.Builder
	b.WriteString("Listening ports:\n")
	t.mu.Lock()
	ls := append([]Listener(nil), t.listeners...)
	t.mu.Unlock()
	if !verbose {
		for _, l := range ls {
			fmt.Fprintf(&b, "%s (%d) ref_cnt=%d\n", l.Name, l.No, l.Refs)
		}
		return b.String()
	}
	st := t.state.Load()
	if st == nil {
		return b.String()
	}
	for _, l := range ls {
		for _, ep := range st.devEps {
			fmt.Fprintf(&b, "%s (%d) : eth(dst=%s),", l.Name, l.No, net.HardwareAddr(ep.MAC[:]))
			if ep.Addr.Is4() {
				fmt.Fprintf(&b, "eth_type(0x0800),ipv4(dst=%s,proto=17,frag=no)", ep.Addr)
			} else {
				fmt.Fprintf(&b, "eth_type(0x86dd),ipv6(dst=%s,proto=17,frag=no)", ep.Addr)
			}
			fmt.Fprintf(&b, ",udp(dst=%d)\n", l.VPort.Port)
		}
	}
	return b.String()
}

// Run rebuilds the endpoints when the route table changes (an address
// added or removed changes the local routes) and every few seconds, until
// ctx ends.
func (t *Tunnels) Run(ctx context.Context) {
	tk := time.NewTicker(200 * time.Millisecond)
	defer tk.Stop()
	var seq uint64
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		n++
		if s := t.Router.Seq(); s != seq || n%10 == 0 {
			seq = s
			t.Rebuild()
		}
	}
}

// on is the snapshot while a tunnel port exists (OVS's
// ovs_native_tunneling_is_on), else nil.
func (t *Tunnels) on() *tnlState {
	if t == nil {
		return nil
	}
	if st := t.state.Load(); st != nil && st.ports != nil {
		return st
	}
	return nil
}

// DecapDrops is how many received tunnel packets were dropped, by reason
// counter name (tunnel.Drop.Counter).
func (t *Tunnels) DecapDrops() map[string]uint64 {
	m := map[string]uint64{}
	for i := range t.drops {
		if n := t.drops[i].Load(); n != 0 {
			m[tunnel.Drop(i).Counter()] = n
		}
	}
	return m
}

// Coverage is the tunnel events under the names of the OVS 3.1 coverage
// counters that count them (coverage/show), zero ones included: the
// decapsulation drops (DecapDrops), datapath_drop_tunnel_push_error (a
// header that could not be pushed) and drop_action_of_pipeline for an
// output to a tunnel port that sent nothing (no route, the route's device
// no bridge's, a neighbour cache miss, the packet's own tunnel
// destination), datapath_drop_rx_invalid_packet for a decapsulated frame
// shorter than an Ethernet header. OVS counts drop_action_of_pipeline
// only when the packet's whole action list came out empty, which it is
// when the tunnel output was its only output.
func (t *Tunnels) Coverage() map[string]uint64 {
	m := map[string]uint64{
		"datapath_drop_tunnel_pop_error":      0,
		"datapath_drop_upcall_error":          0,
		"drop_action_invalid_tunnel_metadata": 0,
	}
	for i := range t.drops {
		if c := tunnel.Drop(i).Counter(); c != "" {
			m[c] += t.drops[i].Load()
		}
	}
	m["datapath_drop_tunnel_push_error"] = t.encErrs.Load()
	m["drop_action_of_pipeline"] = t.noSend.Load()
	m["datapath_drop_rx_invalid_packet"] = t.rxInvalid.Load()
	return m
}

// debug logs, at debug level, why a packet for tunnel port name was not
// sent, in the words of OVS's xlate_report (which ofproto/trace shows).
func (t *Tunnels) debug(name, msg string) {
	if ce := t.Log.Check(zap.DebugLevel, msg); ce != nil {
		ce.Write(zap.String("port", name))
	}
}

// warnDrop logs why a received tunnel packet was dropped as OVS 3.1 does
// (its module and words, rate-limited): a malformed outer header as
// native_tnl's pop functions (some, such as a bad UDP checksum, say
// nothing), no tunnel port as tunnel's "receive tunnel port not found"
// (OVS adds the whole flow; gswitch the tunnel fields), unusable Geneve
// options as the translation's "Invalid Geneve tunnel metadata on bridge
// B" (OVS adds "while processing" and the flow).
func (t *Tunnels) warnDrop(st *tnlState, d tunnel.Drop, h *tunnel.Header, p tunnel.Port) {
	var module, msg string
	switch d {
	case tunnel.DropPop:
		module, msg = "native_tnl", h.Warning()
	case tunnel.DropNoPort:
		module = "tunnel"
		msg = fmt.Sprintf("receive tunnel port not found (tun_id=%#x,tun_src=%s,tun_dst=%s)", h.ID, h.SrcAddr(), h.DstAddr())
	case tunnel.DropMetadata:
		module, msg = "ofproto_dpif_xlate", "Invalid Geneve tunnel metadata"
		if p.Bridge >= 0 && p.Bridge < len(st.bridges) && p.Config != nil {
			msg += " on bridge " + st.bridges[p.Bridge].cfg.Name
		}
	}
	if msg != "" && t.logOK() {
		t.Log.Named(module).Warn(msg)
	}
}

// logOK is the drop warnings' rate limit, as OVS's (VLOG_RATE_LIMIT_INIT
// (60, 5) and the like): a burst of 5, then one a second.
func (t *Tunnels) logOK() bool {
	const burst, every = 5, int64(time.Second)
	now := time.Now().UnixNano()
	for {
		// last is when the bucket was empty, in effect: a token for
		// every second since, at most burst.
		old := t.lastLog.Load()
		last := max(old, now-burst*every)
		if now-last < every {
			return false
		}
		if t.lastLog.CompareAndSwap(old, last+every) {
			return true
		}
	}
}

// tunnelEnd is a tunnel port's state.
type tunnelEnd struct {
	cfg atomic.Pointer[tunnel.Config] // replaced in place (SetTunnelConfig)
	hw  [6]byte
	ctr ports.Counters
}

// AddTunnel adds a tunnel port (Interface type geneve or vxlan) named
// name, requested number ofport (0: none, numbered as AddPort), configured
// by cfg. The bridge needs Config.Tunnels.
func (b *Bridge) AddTunnel(name string, ofport uint32, cfg *tunnel.Config) (uint32, error) {
	if b.cfg.Tunnels == nil {
		return 0, fmt.Errorf("bridge %s: no tunnel support", b.cfg.Name)
	}
	te := &tunnelEnd{}
	te.cfg.Store(cfg)
	rand.Read(te.hw[:])
	te.hw[0] = te.hw[0]&^1 | 2
	p, err := b.addPortEnd(ofport, name, cfg.Type.String(), nil, nil, te)
	if err != nil {
		return 0, err
	}
	b.cfg.Tunnels.Rebuild()
	return p.no, nil
}

// SetTunnelConfig replaces the configuration of tunnel port no in place,
// as OVS applies a tunnel interface's changed options: the port, its
// number and its counters stay, and the next packets sent or received use
// the new remote, key, UDP port, checksum and the rest.
func (b *Bridge) SetTunnelConfig(no uint32, cfg *tunnel.Config) error {
	p := b.tab.Load().byNo[no]
	if p == nil || p.tnl == nil {
		return fmt.Errorf("bridge %s: no tunnel port %d", b.cfg.Name, no)
	}
	p.tnl.cfg.Store(cfg)
	b.cfg.Tunnels.Rebuild()
	return nil
}

// tnlRxEntry is a packet waiting to be decapsulated.
type tnlRxEntry struct {
	pk *packet.Packet
	vp tunnel.VPort
}

// terminate is terminate_native_tunnel for an output of pk on b (not to a
// tunnel port): true when pk is tunnel traffic to an endpoint, queued (a
// copy) for decapsulation; neighbour replies are snooped.
func (b *Bridge) terminate(st *tnlState, pk *packet.Packet) bool {
	t := b.cfg.Tunnels
	w := &pk.Key.W
	for i := range st.eps {
		vp, ok := st.ports.Recognize(&pk.Key, &st.eps[i])
		if !ok {
			continue
		}
		t.Neigh.SnoopOutput(b.cfg.Name, w, nil, true)
		c := b.pool.Get()
		c.CopyFrom(pk)
		b.tnlRxMu.Lock()
		b.tnlRx = append(b.tnlRx, tnlRxEntry{c, vp})
		b.tnlRxMu.Unlock()
		b.tnlRxN.Add(1)
		return true
	}
	et := w.EthType()
	if et == 0x0806 || ((et == 0x86dd) && w.NwProto() == 58) {
		for i, x := range st.bridges {
			if x == b {
				t.Neigh.SnoopOutput(b.cfg.Name, w, st.brAddrs[i], false)
			}
		}
	}
	return false
}

// tnlScratch is a flush's scratch space.
type tnlScratch struct {
	hdr   tunnel.Header
	tmpl  [tunnel.MaxEncapLen]byte // a GSO frame's first segment's outer headers
	ents  [packet.MaxBatch]tnlRxEntry
	pkts  [packet.MaxBatch]*packet.Packet
	batch packet.Batch
}

var tnlScratches = sync.Pool{New: func() any { return new(tnlScratch) }}

// flushDecap decapsulates what terminate queued and runs each inner frame
// through its tunnel port's bridge.
func (b *Bridge) flushDecap() {
	t := b.cfg.Tunnels
	st := t.state.Load()
	sc := tnlScratches.Get().(*tnlScratch)
	for b.tnlRxN.Load() > 0 {
		b.tnlRxMu.Lock()
		n := copy(sc.ents[:], b.tnlRx)
		rest := copy(b.tnlRx, b.tnlRx[n:])
		clear(b.tnlRx[rest:])
		b.tnlRx = b.tnlRx[:rest]
		b.tnlRxN.Add(int32(-n))
		b.tnlRxMu.Unlock()
		var cur *Bridge
		np := 0
		for i := 0; i < n; i++ {
			pk, vp := sc.ents[i].pk, sc.ents[i].vp
			sc.ents[i] = tnlRxEntry{}
			if st == nil || st.ports == nil {
				b.pool.Put(pk)
				continue
			}
			port, drop := st.ports.Decap(pk, vp, &sc.hdr, st.tlvOf)
			if drop != tunnel.Pass {
				t.drops[drop].Add(1)
				t.warnDrop(st, drop, &sc.hdr, port)
				b.pool.Put(pk)
				continue
			}
			if len(pk.Data) < tunnel.EthLen {
				// OVS's datapath drops a frame shorter than an Ethernet
				// header before it looks at it, the inner one too.
				t.rxInvalid.Add(1)
				b.pool.Put(pk)
				continue
			}
			to := st.bridges[port.Bridge]
			if tp := to.tab.Load().byNo[port.OFPort]; tp != nil && tp.tnl != nil {
				tp.tnl.ctr.Rx(1, len(pk.Data))
			}
			pk.Key.SetInPort(port.OFPort)
			pk.RxTunDst = sc.hdr.DstAddr().Unmap()
			// Consecutive segments of one TCP stream through one tunnel
			// (same port, outer flow and metadata) go on as one GSO frame
			// (ports.Coalesce), as the kernel's GRO would pass them.
			if np > 0 && cur == to {
				if prev := sc.pkts[np-1]; prev.Key.W == pk.Key.W && prev.Tun == pk.Tun && ports.Coalesce(prev, pk) {
					b.pool.Put(pk)
					continue
				}
			}
			if cur != to && np > 0 {
				b.runBatch(cur, sc, np, true)
				np = 0
			}
			cur = to
			sc.pkts[np] = pk
			np++
		}
		if np > 0 {
			b.runBatch(cur, sc, np, true)
		}
	}
	tnlScratches.Put(sc)
}

// runBatch runs sc.pkts[:n] through to's pipeline and returns them to the
// pool.
func (b *Bridge) runBatch(to *Bridge, sc *tnlScratch, n int, tun bool) {
	sc.batch = packet.Batch{Pkts: sc.pkts[:n], Now: b.now(), Tunnel: tun}
	to.dp.Process(&sc.batch)
	sc.batch = packet.Batch{}
	for i := 0; i < n; i++ {
		b.pool.Put(sc.pkts[i])
		sc.pkts[i] = nil
	}
}

func (st *tnlState) tlvOf(i int) *packet.TLVTable {
	return st.bridges[i].of.TLVTable()
}

// flushTunnel sends what is queued for tunnel port p.
func (b *Bridge) flushTunnel(p *port) {
	q := tnlOut{b: b, sc: tnlScratches.Get().(*tnlScratch)}
	var out [packet.MaxBatch]*packet.Packet
	for p.npend.Load() > 0 {
		n := p.take(out[:])
		if n == 0 {
			break
		}
		for i := 0; i < n; i++ {
			pk := out[i]
			out[i] = nil
			if ports.HasOffload(&pk.Off) {
				b.encapOffload(&q, p.tnl, pk)
				continue
			}
			b.encapOne(&q, p.tnl, pk)
		}
		q.flush()
	}
	tnlScratches.Put(q.sc)
}

// tnlOut gathers encapsulated frames into batches, one egress bridge and
// at most packet.MaxBatch frames at a time.
type tnlOut struct {
	b   *Bridge
	sc  *tnlScratch
	cur *Bridge
	np  int
}

func (q *tnlOut) add(to *Bridge, pk *packet.Packet) {
	if q.np > 0 && (q.cur != to || q.np == len(q.sc.pkts)) {
		q.flush()
	}
	q.cur = to
	q.sc.pkts[q.np] = pk
	q.np++
}

func (q *tnlOut) flush() {
	if q.np > 0 {
		q.b.runBatch(q.cur, q.sc, q.np, false)
		q.np = 0
	}
}

// encapOne encapsulates pk, a wire frame, and queues it (or drops it).
func (b *Bridge) encapOne(q *tnlOut, te *tunnelEnd, pk *packet.Packet) {
	to, ok := b.encap(b.cfg.Tunnels, te, pk)
	if !ok {
		b.pool.Put(pk)
		return
	}
	pk.Key.SetInPort(pipeline.PortLocal)
	q.add(to, pk)
}

// encapOffload sends pk, a frame whose checksum or segmentation the
// kernel left to us (pk.Off), as the wire frames it stands for, each
// encapsulated: the outer headers would hide the inner ones from the
// underlay port's offload, so a partial checksum is completed and a GSO
// super-frame cut into segments (ports.Segment: lengths, IPv4 ids, TCP
// sequence numbers and flags, checksums) before encapsulation. OVS 3.1
// drops such frames instead ("Tunneling packets with HW offload flags is
// not supported").
func (b *Bridge) encapOffload(q *tnlOut, te *tunnelEnd, pk *packet.Packet) {
	t := b.cfg.Tunnels
	if !ports.IsGSO(&pk.Off) {
		if err := ports.RecomputeOffloadChecksum(pk); err != nil {
			t.encErrs.Add(1)
			b.pool.Put(pk)
			return
		}
		pk.Off = packet.Offload{}
		b.encapOne(q, te, pk)
		return
	}
	// The first segment is routed and encapsulated; the others get a copy
	// of its outer headers (tunnel.Reencap), as they share its key.
	var cur, first *packet.Packet
	var to *Bridge
	tmpl := q.sc.tmpl[:0]
	failed := false
	into := func(n int) []byte {
		cur = b.pool.Get()
		cur.SetLen(n)
		return cur.Data
	}
	err := ports.SegmentInto(pk, into, func(f []byte) {
		s := cur
		cur = nil
		if s == nil { // the frame itself (one segment)
			s = b.pool.Get()
			s.SetLen(copy(s.RxSpace(), f))
		}
		if failed {
			b.pool.Put(s)
			return
		}
		s.Key = pk.Key
		s.Key.Flags &^= packet.FlagCsumPartial
		s.Key.SetInPort(pipeline.PortLocal)
		s.PatchDepth, s.RxTunDst = pk.PatchDepth, pk.RxTunDst
		if first == nil {
			s.Tun.Present = pk.Tun.Present
			if pk.Tun.Present != 0 {
				s.Tun.Opts = pk.Tun.Opts
			}
			n := len(s.Data)
			var ok bool
			if to, ok = b.encap(t, te, s); !ok {
				failed = true
				b.pool.Put(s)
				return
			}
			first = s
			tmpl = append(tmpl, s.Data[:len(s.Data)-n]...)
			q.add(to, s)
			return
		}
		te.ctr.Tx(1, len(s.Data))
		if err := tunnel.Reencap(s, tmpl); err != nil {
			t.encErrs.Add(1)
			b.pool.Put(s)
			return
		}
		s.PatchDepth++
		q.add(to, s)
	})
	if err != nil {
		t.encErrs.Add(1)
	}
	b.pool.Put(pk)
}

// encap routes and encapsulates pk for tunnel end te: the bridge its
// outer frame goes through (from LOCAL), or false when it is dropped.
// As OVS's xlate: a packet whose tunnel destination would be the one it
// was received with is not sent ("Not tunneling to our own address");
// otherwise it counts as sent on the tunnel port (inner length) before
// it is routed, so an unreachable remote's port counts its packets too.
func (b *Bridge) encap(t *Tunnels, te *tunnelEnd, pk *packet.Packet) (*Bridge, bool) {
	cfg := te.cfg.Load()
	var f tunnel.Flow
	cfg.SendFlow(&pk.Key, &f)
	if !f.Dst.IsValid() {
		t.encErrs.Add(1)
		return nil, false
	}
	if f.Dst == pk.RxTunDst {
		t.noSend.Add(1)
		t.debug(cfg.Name, "Not tunneling to our own address")
		return nil, false
	}
	// OVS counts the output on the tunnel port as it translates it
	// (netdev_vport_inc_tx), before routing: a packet then dropped for
	// want of a route or a neighbour is counted too.
	te.ctr.Tx(1, len(pk.Data))
	dst := underlay.Addr(f.Dst.As16())
	var src underlay.Addr
	if f.Src.IsValid() {
		src = underlay.Addr(f.Src.As16())
	}
	hop, ok := t.Router.Lookup(pk.Key.W.PktMark(), dst, src)
	if !ok {
		t.noSend.Add(1)
		t.debug(cfg.Name, "native tunnel routing failed")
		return nil, false
	}
	var to *Bridge
	st := t.state.Load()
	for _, x := range st.bridges {
		if x.cfg.Name == hop.Dev {
			to = x
			break
		}
	}
	if to == nil {
		// OVS: the route's device is no bridge's: "native tunnel routing
		// failed".
		t.noSend.Add(1)
		t.debug(cfg.Name, "native tunnel routing failed")
		return nil, false
	}
	var smac [6]byte
	if lp := to.tab.Load().byNo[pipeline.PortLocal]; lp != nil && lp.dev != nil {
		copy(smac[:], lp.dev.HWAddr())
	} else {
		smac = to.HWAddr()
	}
	nh := hop.NextHop(dst)
	mac, ok := t.Neigh.Lookup(to.cfg.Name, nh)
	if !ok {
		t.noSend.Add(1)
		if t.Log.Core().Enabled(zap.DebugLevel) {
			kind := "ARP"
			if !nh.Is4() {
				kind = "ND"
			}
			t.debug(cfg.Name, fmt.Sprintf("neighbor cache miss for %s on bridge %s, sending %s request", f.Dst, to.cfg.Name, kind))
		}
		b.sendMiss(t, to, smac, nh, hop.Src)
		return nil, false
	}
	rss := pipeline.RSSHash(&pk.Key)
	o := tunnel.Outer{SrcMAC: smac, DstMAC: mac, Src: netip.AddrFrom16(hop.Src).Unmap()}
	if err := tunnel.Encap(pk, cfg, &f, b.of.TLVTable(), &o, rss); err != nil {
		t.encErrs.Add(1)
		return nil, false
	}
	pk.PatchDepth++
	return to, pk.PatchDepth <= MaxPatchDepth
}

// sendMiss runs an ARP request (IPv4) or neighbour solicitation (IPv6) for
// nh through bridge to as from its LOCAL port (OVS's tnl_send_arp_request,
// tnl_send_nd_request).
func (b *Bridge) sendMiss(t *Tunnels, to *Bridge, smac [6]byte, nh, routeSrc underlay.Addr) {
	src := underlay.MissSource(t.Addrs, to.cfg.Name, nh, routeSrc)
	pk := b.pool.Get()
	pk.Reset()
	var fr []byte
	if nh.Is4() {
		fr = underlay.BuildARPRequest(pk.RxSpace()[:0], smac, src.V4(), nh.V4())
	} else {
		fr = underlay.BuildNS(pk.RxSpace()[:0], smac, src, nh)
	}
	pk.SetLen(len(fr))
	pk.Key.SetInPort(pipeline.PortLocal)
	sc := tnlScratches.Get().(*tnlScratch)
	sc.pkts[0] = pk
	b.runBatch(to, sc, 1, false)
	tnlScratches.Put(sc)
}
