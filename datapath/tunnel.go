package datapath

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
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

	mu      sync.Mutex
	bridges []*Bridge // registered, in order
	state   atomic.Pointer[tnlState]

	drops   [16]atomic.Uint64 // decapsulation drops by tunnel.Drop
	encErrs atomic.Uint64     // datapath_drop_tunnel_push_error
	noRoute atomic.Uint64
	lastLog atomic.Int64
}

// tnlState is an immutable snapshot of the tunnel ports and endpoints.
type tnlState struct {
	ports   *tunnel.Ports // nil: no tunnel port (native tunnelling off)
	bridges []*Bridge     // tunnel.Port.Bridge indexes this
	eps     []tunnel.Endpoint
	brAddrs [][]underlay.Addr // per bridge (same index): BridgeAddrs
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
				tps = append(tps, tunnel.Port{OFPort: p.no, Bridge: i, Config: p.tnl.cfg})
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
	t.state.Store(st)
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

// warn logs at most one line a second.
func (t *Tunnels) warn(msg string) {
	now := time.Now().UnixNano()
	last := t.lastLog.Load()
	if now-last < int64(time.Second) || !t.lastLog.CompareAndSwap(last, now) {
		return
	}
	t.Log.Warn(msg)
}

// tunnelEnd is a tunnel port's state.
type tunnelEnd struct {
	cfg *tunnel.Config
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
	te := &tunnelEnd{cfg: cfg}
	rand.Read(te.hw[:])
	te.hw[0] = te.hw[0]&^1 | 2
	p, err := b.addPortEnd(ofport, name, cfg.Type.String(), nil, nil, te)
	if err != nil {
		return 0, err
	}
	b.cfg.Tunnels.Rebuild()
	return p.no, nil
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
				msg := sc.hdr.Warning()
				if msg == "" {
					msg = "tunnel packet dropped: " + drop.String()
				}
				t.warn(msg)
				b.pool.Put(pk)
				continue
			}
			to := st.bridges[port.Bridge]
			if tp := to.tab.Load().byNo[port.OFPort]; tp != nil && tp.tnl != nil {
				tp.tnl.ctr.Rx(1, len(pk.Data))
			}
			pk.Key.SetInPort(port.OFPort)
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
		s.PatchDepth = pk.PatchDepth
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
func (b *Bridge) encap(t *Tunnels, te *tunnelEnd, pk *packet.Packet) (*Bridge, bool) {
	var f tunnel.Flow
	te.cfg.SendFlow(&pk.Key, &f)
	if !f.Dst.IsValid() {
		t.encErrs.Add(1)
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
		t.noRoute.Add(1)
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
		t.noRoute.Add(1)
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
		b.sendMiss(t, to, smac, nh, hop.Src)
		return nil, false
	}
	rss := pipeline.RSSHash(&pk.Key)
	o := tunnel.Outer{SrcMAC: smac, DstMAC: mac, Src: netip.AddrFrom16(hop.Src).Unmap()}
	if err := tunnel.Encap(pk, te.cfg, &f, b.of.TLVTable(), &o, rss); err != nil {
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
