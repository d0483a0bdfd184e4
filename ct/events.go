package ct

import (
	"sync"
	"sync/atomic"
	"time"

	"gswitch/packet"
)

// This file is the tracker's event feed, what `conntrack -E` shows for the
// kernel's tracker: a NEW event when a connection is committed, UPDATE when
// its TCP state, mark or label changes, DESTROY (with the reason) when it
// leaves the table. Subscribers each have a bounded queue; an event that
// does not fit is lost for that subscriber and counted, so the datapath
// never waits for a reader. With no subscriber the datapath pays one atomic
// load per ct action and allocates nothing.

// EventType is the kind of a connection event.
type EventType uint8

// The event kinds.
const (
	EventNew     EventType = iota + 1 // committed
	EventUpdate                       // TCP state, mark or label changed
	EventDestroy                      // removed from the table
)

// String returns the event's name as the JSON stream spells it ("new").
func (e EventType) String() string {
	switch e {
	case EventNew:
		return "new"
	case EventUpdate:
		return "update"
	case EventDestroy:
		return "destroy"
	}
	return "unknown"
}

// DestroyReason says why a connection left the table.
type DestroyReason uint8

// The reasons of a DESTROY event. gswitch never evicts a connection to
// make room (as OVS's userspace tracker, a full table or zone refuses the
// new connection instead), so there is no eviction reason.
const (
	ReasonNone     DestroyReason = iota
	ReasonTimeout                // expired (idle)
	ReasonFlush                  // flush-conntrack, NXT_CT_FLUSH, a zone flush
	ReasonTCPClose               // a TCP connection that closed (FIN or RST) expired or was replaced by a new SYN
	ReasonForce                  // ct(force) met the connection in its reply direction
)

// String returns the reason's name ("timeout", "tcp_close").
func (r DestroyReason) String() string {
	switch r {
	case ReasonTimeout:
		return "timeout"
	case ReasonFlush:
		return "flush"
	case ReasonTCPClose:
		return "tcp_close"
	case ReasonForce:
		return "force"
	}
	return ""
}

// Event is one connection event.
type Event struct {
	Type   EventType
	Reason DestroyReason // DESTROY only
	// Lost is how many events this subscriber lost (its queue was full)
	// just before this one.
	Lost uint64
	// Conn is the connection as it is after the change (as it was, for
	// DESTROY).
	Conn Conn
}

// DefaultEventQueue is a subscriber's queue length when Subscribe is
// given 0.
const DefaultEventQueue = 4096

// Subscription receives the tracker's events until Close.
type Subscription struct {
	t       *Tracker
	zone    int // -1: every zone
	ch      chan Event
	pending atomic.Uint64 // lost since the last event delivered
	once    sync.Once
}

// eventHub is the set of subscriptions: an immutable slice swapped whole,
// so emitters read it with one atomic load.
type eventHub struct {
	mu   sync.Mutex // serializes Subscribe and Close
	subs atomic.Pointer[[]*Subscription]
	lost atomic.Uint64 // every subscriber's losses, ever
}

// Subscribe starts a subscription to the events of zone (nil: every
// zone) with a queue of queue events (0: DefaultEventQueue).
func (t *Tracker) Subscribe(zone *uint16, queue int) *Subscription {
	if queue <= 0 {
		queue = DefaultEventQueue
	}
	s := &Subscription{t: t, zone: -1, ch: make(chan Event, queue)}
	if zone != nil {
		s.zone = int(*zone)
	}
	h := &t.events
	h.mu.Lock()
	defer h.mu.Unlock()
	var next []*Subscription
	if old := h.subs.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, s)
	h.subs.Store(&next)
	return s
}

// Events is the subscription's queue. It is never closed: stop reading
// after Close.
func (s *Subscription) Events() <-chan Event { return s.ch }

// TakeLost returns the events lost since the last delivered event (or the
// last TakeLost) and resets the count: a reader whose queue is empty calls
// it to report a loss no later event has carried.
func (s *Subscription) TakeLost() uint64 { return s.pending.Swap(0) }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		h := &s.t.events
		h.mu.Lock()
		defer h.mu.Unlock()
		old := h.subs.Load()
		if old == nil {
			return
		}
		var next []*Subscription
		for _, x := range *old {
			if x != s {
				next = append(next, x)
			}
		}
		if len(next) == 0 {
			h.subs.Store(nil)
		} else {
			h.subs.Store(&next)
		}
	})
}

// EventsLost returns how many events all subscribers together have lost.
func (t *Tracker) EventsLost() uint64 { return t.events.lost.Load() }

// Subscribers returns the number of event subscriptions.
func (t *Tracker) Subscribers() int {
	if p := t.events.subs.Load(); p != nil {
		return len(*p)
	}
	return 0
}

// watching returns the subscriptions, nil when there are none (the one
// load the datapath pays without subscribers).
func (t *Tracker) watching() []*Subscription {
	if p := t.events.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// emit hands ev to every subscription of its zone without blocking.
func (t *Tracker) emit(subs []*Subscription, ev *Event) {
	for _, s := range subs {
		if s.zone >= 0 && uint16(s.zone) != ev.Conn.Zone {
			continue
		}
		n := s.pending.Swap(0)
		e := *ev
		e.Lost = n
		select {
		case s.ch <- e:
		default:
			s.pending.Add(n + 1)
			t.events.lost.Add(1)
		}
	}
}

// watchState is what an UPDATE compares: a connection's TCP state (the
// later of its peers'), mark and label.
type watchState struct {
	tcp   uint8
	mark  uint32
	label packet.U128
}

// watchLocked reads c's watched state (c.mu held).
//
// +checklocks:c.mu
func watchLocked(c *conn) watchState {
	return watchState{tcp: max(c.tcp[0].state, c.tcp[1].state), mark: c.mark, label: c.label}
}

// connLocked is c's Conn (c.mu held; c still in the table, so its ALG
// state is there).
//
// +checklocks:c.mu
func (t *Tracker) connLocked(c *conn, now int64) Conn {
	e := Conn{Proto: c.key.proto, Zone: c.key.zone, Orig: tupleOf(&c.key), Reply: tupleOf(&c.rkey),
		Mark: c.mark, Label: c.label}
	if left := c.exp.Load() - now; left > 0 {
		e.Timeout = time.Duration(left)
	}
	if c.key.proto == packet.ProtoTCP {
		e.TCP = [2]TCPPeer{tcpPeerOf(&c.tcp[0]), tcpPeerOf(&c.tcp[1])}
	}
	if h := helperOf(c.helper); h != nil {
		e.Helper = h.Name()
	}
	if c.related {
		if st := t.algs.get(c.idx, c.gen); st != nil && st.related {
			p := tupleOf(&st.parent)
			e.Parent = &p
		}
	}
	return e
}

// emitDestroy sends a DESTROY for c, which is being removed with the
// given counter as its reason (c's shards locked, c not yet unlinked).
func (t *Tracker) emitDestroy(subs []*Subscription, c *conn, reason *atomic.Uint64, now int64) {
	c.mu.Lock()
	ev := Event{Type: EventDestroy, Conn: t.connLocked(c, now)}
	closed := c.key.proto == packet.ProtoTCP && (c.tcp[0].state == tcpsClosed && c.tcp[1].state == tcpsClosed ||
		c.tcp[0].state >= tcpsFinWait2 && c.tcp[1].state >= tcpsFinWait2)
	c.mu.Unlock()
	switch {
	case reason == &t.forced:
		ev.Reason = ReasonForce
	case reason == &t.cnt.flushed:
		ev.Reason = ReasonFlush
	case closed:
		ev.Reason = ReasonTCPClose
	default:
		ev.Reason = ReasonTimeout
	}
	t.emit(subs, &ev)
}
