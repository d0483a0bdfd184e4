package datapath

import (
	"errors"
	"net"
	"runtime"
	"sync"

	"go.uber.org/zap"

	"gswitch/packet"
	"gswitch/ports"
)

// rxGroup is a bridge's shared receive loop: one goroutine, on an OS
// thread of its own, waits for every Pollable port of the bridge in one
// ports.RxSet and runs each ready port's batch through that port's
// receiver (its buffers and pipeline worker), one port after the other,
// then waits again. A reply that comes in on another port while the loop
// is forwarding the request is read on the next round without a wake-up;
// a thread per port sleeping in poll(2) had to be woken for it, often on
// the other CPU (docs/bench/RESULTS.md, "Receive latency (session 9)").
type rxGroup struct {
	set  *ports.RxSet
	done chan struct{} // closed when the loop has returned

	mu      sync.Mutex
	members map[uint32]*receiver
	next    uint32

	evs [packet.MaxBatch]ports.RxEvent // the loop's
}

// joinGroup makes p a member of the bridge's receive group, starting the
// group with its first member (b.mu held). It reports false when p's
// device cannot join: p then gets a receive loop of its own.
func (b *Bridge) joinGroup(p *port) bool {
	pd, ok := p.dev.(ports.Pollable)
	if !ok || b.cfg.RxThreadPerPort {
		return false
	}
	g := b.rxg
	if g == nil {
		set, err := ports.NewRxSet()
		if err != nil {
			b.log.Warn("no shared receive loop: each port waits on a thread of its own", zap.Error(err))
			return false
		}
		g = &rxGroup{set: set, done: make(chan struct{}), members: map[uint32]*receiver{}}
		b.rxg = g
		b.wg.Add(1)
		go b.groupLoop(g)
	}
	r := b.newReceiver(p)
	r.pd = pd
	g.mu.Lock()
	g.next++
	r.key = g.next
	g.members[r.key] = r
	g.mu.Unlock()
	if err := g.set.Add(pd, r.key); err != nil {
		g.mu.Lock()
		delete(g.members, r.key)
		g.mu.Unlock()
		r.release()
		if !errors.Is(err, net.ErrClosed) {
			b.log.Warn("port cannot join the shared receive loop: it gets a loop of its own",
				zap.String("port", p.name), zap.Error(err))
		}
		return false
	}
	p.rxr = r
	return true
}

// groupLoop is the group's goroutine; it ends when the set is closed.
func (b *Bridge) groupLoop(g *rxGroup) {
	defer b.wg.Done()
	defer close(g.done)
	runtime.LockOSThread() // waits in epoll_wait on its own thread
	defer runtime.UnlockOSThread()
	defer g.releaseAll()
	for {
		n, err := g.set.Wait(g.evs[:])
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				b.log.Error("the shared receive loop failed: each port gets a loop of its own", zap.Error(err))
				b.scatter(g)
			}
			return
		}
		for _, ev := range g.evs[:n] {
			g.mu.Lock()
			r := g.members[ev.Key]
			g.mu.Unlock()
			if r != nil {
				b.serve(g, r, ev.Events)
			}
		}
	}
}

// serve runs one batch of r's port, which Wait reported with events.
func (b *Bridge) serve(g *rxGroup, r *receiver, events uint32) {
	r.mu.Lock()
	if r.left {
		r.mu.Unlock()
		return
	}
	r.reset()
	n, err := r.pd.ReadNow(r.bufs[:], events)
	res := r.handle(n, err)
	r.mu.Unlock()
	switch res {
	case rxEnd:
		g.leave(r)
	case rxFailed:
		// A port that keeps failing (or whose descriptor stays ready
		// without frames) would spin the shared loop: it waits on a
		// thread of its own from now on, as before the group, retrying
		// every 10 ms.
		g.leave(r)
		b.startOwnLoop(r.p)
	}
}

// leave takes r's port out of the group: its descriptor out of the set
// (before the device is closed), then, once a batch in progress has ended,
// its buffers back to the pool. It is idempotent.
func (g *rxGroup) leave(r *receiver) {
	g.set.Remove(r.key)
	g.mu.Lock()
	delete(g.members, r.key)
	g.mu.Unlock()
	r.mu.Lock()
	if !r.left {
		r.left = true
		r.release()
	}
	r.mu.Unlock()
}

// all returns the members at this moment.
func (g *rxGroup) all() []*receiver {
	g.mu.Lock()
	defer g.mu.Unlock()
	rs := make([]*receiver, 0, len(g.members))
	for _, r := range g.members {
		rs = append(rs, r)
	}
	return rs
}

// releaseAll makes every member leave (the loop has ended).
func (g *rxGroup) releaseAll() {
	for _, r := range g.all() {
		g.leave(r)
	}
}

// scatter gives every member a loop of its own (the set failed).
func (b *Bridge) scatter(g *rxGroup) {
	for _, r := range g.all() {
		g.leave(r)
		b.startOwnLoop(r.p)
	}
}

// startOwnLoop starts a receive loop of its own for p, which has left the
// group, unless p is being removed or the bridge closed.
func (b *Bridge) startOwnLoop(p *port) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.gone.Load() || b.closed || b.tab.Load().byNo[p.no] != p {
		return
	}
	p.rxr = nil
	p.rxDone = make(chan struct{})
	b.wg.Add(1)
	go b.rxLoop(p)
}
