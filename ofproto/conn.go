package ofproto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"gswitch/pipeline"
)

// Controller roles (OpenFlow 1.3 numbering).
const (
	roleNoChange = 0
	roleEqual    = 1
	roleMaster   = 2
	roleSlave    = 3
)

// Asynchronous message kinds, indexes into asyncConfig masks.
const (
	asyncPacketIn    = 0
	asyncPortStatus  = 1
	asyncFlowRemoved = 2
	// OpenFlow 1.4+ only: kept for get-async (gswitch sends none of them)
	asyncRoleStatus     = 3
	asyncTableStatus    = 4
	asyncRequestForward = 5
)

// asyncConfig holds bitmasks of reasons; [0] applies to the master and equal
// roles, [1] to the slave role.
type asyncConfig [6][2]uint32

// Packet-in reasons (OFPR_*) and their bits.
const (
	reasonNoMatch    = 0
	reasonAction     = 1
	reasonInvalidTTL = 2
)

func defaultAsync(version uint8) asyncConfig {
	var a asyncConfig
	// As OVS's ofputil_async_cfg_default, restricted to the reasons that
	// exist in 1.0-1.3 (the OF1.4 reasons all map to OFPR_ACTION).
	a[asyncPacketIn][0] = 1<<reasonNoMatch | 1<<reasonAction
	if version >= Version15 {
		// OpenFlow 1.4's reasons: table miss, apply action, action set,
		// group, packet-out (not invalid TTL); 1.4's numbers keep 1.3's
		// for the first three, which are those the masks are checked with.
		a[asyncPacketIn][0] = 0x3b
	}
	a[asyncPortStatus][0] = 7
	a[asyncPortStatus][1] = 7
	a[asyncFlowRemoved][0] = codecFor(version).flowRemovedReasons
	return a
}

// connection state read by other goroutines, guarded by conn.mu.
type connState struct {
	version        uint8
	role           uint32
	async          asyncConfig
	missSendLen    uint16
	configFlags    uint16
	flowFormatNXM  bool  // NXT_SET_FLOW_FORMAT nxm (1.0)
	packetInFormat uint8 // nxPacketIn*
	flowModTableID bool
	controllerID   uint16
}

type conn struct {
	srv     *Server
	nc      net.Conn
	service bool
	name    string
	via     string // the Listen spec it was accepted on ("" for none)

	mu sync.Mutex
	st connState

	out       chan []byte
	queued    atomic.Int64
	done      chan struct{}
	closeOnce sync.Once
	// draining: the connection takes no more messages and closes once
	// those queued are written (drainAndClose).
	draining atomic.Bool
	closeWhy atomic.Pointer[string]

	lastRecv atomic.Int64 // unix ns of the last message received
	echoXid  atomic.Uint32
	// probe is the inactivity probe interval in ns (<= 0: off): the
	// server's ProbeInterval, or an active controller's own
	// (SetControllerOptions changes it on the running connection).
	probe atomic.Int64
	// probeAdjustable: an active controller's connection, whose probe
	// interval may be turned on later (set before run).
	probeAdjustable bool

	// mon are the connection's flow monitors (guarded by srv.mon.mu).
	mon monitorState
	// resuming is set while a resume of paused monitors is under way.
	resuming atomic.Bool

	// Used only by the reader goroutine.
	bundles map[uint32]*bundle
	mpParts *mpAssembly
	xidSeq  uint32
}

func newConn(s *Server, nc net.Conn, service bool) *conn {
	c := &conn{
		srv:     s,
		nc:      nc,
		service: service,
		out:     make(chan []byte, s.cfg.SendQueue),
		done:    make(chan struct{}),
		bundles: make(map[uint32]*bundle),
	}
	if ra := nc.RemoteAddr(); ra != nil && ra.String() != "" {
		c.name = ra.Network() + ":" + ra.String()
	} else {
		c.name = "conn"
	}
	c.st.role = roleEqual
	c.probe.Store(int64(s.cfg.ProbeInterval))
	if !service {
		c.st.missSendLen = 128 // OFP_DEFAULT_MISS_SEND_LEN
	}
	return c
}

func (c *conn) state() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

func (c *conn) version() uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.version
}

// close closes the connection once; the reader and writer goroutines exit.
func (c *conn) close(why string) {
	c.closeOnce.Do(func() {
		c.closeWhy.Store(&why)
		close(c.done)
		c.nc.Close()
	})
}

func (c *conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// run is the connection's life: hello, then messages until EOF or error.
func (c *conn) run() {
	s := c.srv
	log := s.log.With(zap.String("conn", c.name))
	c.lastRecv.Store(time.Now().UnixNano())

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writeLoop()
	}()
	if c.probe.Load() > 0 || c.probeAdjustable {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.probeLoop()
		}()
	}
	defer func() {
		if r := recover(); r != nil {
			s.Stats.Panics.Add(1)
			log.Error("ofproto: panic handling a message; closing the connection",
				zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			c.close("panic")
		}
		c.close("done")
		wg.Wait()
		c.discardBundles()
		if why := c.closeWhy.Load(); why != nil {
			log.Debug("ofproto: connection closed", zap.String("why", *why))
		}
	}()

	// We speak first: HELLO offering every version in codecs, in the
	// highest one's header.
	ours := c.srv.versions()
	c.enqueue(encodeHello(uint8(highestVersion(ours)), ours), true)

	br := bufio.NewReaderSize(c.nc, 64<<10)
	first := true
	for {
		b, err := ReadMessage(br, s.cfg.MaxMessageLen)
		if err == nil {
			s.Stats.MsgsIn.Add(1)
		}
		if err != nil {
			if b == nil {
				if !errors.Is(err, io.EOF) && !c.isClosed() {
					log.Debug("ofproto: read", zap.Error(err))
				}
				// The peer may have only shut down its side: let the
				// replies already queued go out first.
				c.flushAndClose("read: " + err.Error())
				return
			}
			// A bad length field: the header was consumed.
			if !c.badFraming(br, b, err) || first {
				return
			}
			continue
		}
		c.lastRecv.Store(time.Now().UnixNano())
		if first {
			first = false
			if !c.hello(b) {
				// Give the writer a moment to send the error, then close.
				c.flushAndClose("hello failed")
				return
			}
			continue
		}
		c.handle(b)
		if c.isClosed() {
			return
		}
	}
}

// badFraming answers a message whose length field is out of range with
// OFPBRC_BAD_LEN and resynchronises when it can: a length under 8 counts as
// the 8 header bytes, an oversized message's body is discarded. It returns
// false if the stream cannot continue.
func (c *conn) badFraming(br *bufio.Reader, hdr []byte, err error) bool {
	h := ParseHeader(hdr)
	v := c.version()
	if v == 0 {
		v = Version13
	}
	c.replyError(v, h.Xid, errBadLen, hdr)
	if errors.Is(err, ErrTooLong) {
		if _, err := io.CopyN(io.Discard, br, int64(h.Length)-HeaderLen); err != nil {
			return false
		}
	}
	return true
}

// hello negotiates the version from the peer's first message.
func (c *conn) hello(b []byte) bool {
	h := ParseHeader(b)
	if h.Type != TypeHello {
		c.srv.log.Debug("ofproto: first message is not HELLO", zap.String("conn", c.name), zap.Uint8("type", h.Type))
		return false
	}
	peer := decodeHelloVersions(b)
	ours := c.srv.versions()
	common := peer & ours
	if common == 0 {
		v := uint8(Version13)
		if peer != 0 {
			v = uint8(highestVersion(peer))
		}
		text := fmt.Sprintf("We support %s, you support %s, no common versions.",
			versionBitmapString(ours), versionBitmapString(peer))
		c.enqueue(encodeHelloFailed(v, text), true)
		return false
	}
	v := uint8(highestVersion(common))
	c.mu.Lock()
	c.st.version = v
	c.st.async = defaultAsync(v)
	c.mu.Unlock()
	return true
}

// highestVersion returns the highest version set in a HELLO version bitmap
// (bit N is version N); bm must not be zero.
func highestVersion(bm uint32) int { return bits.Len32(bm) - 1 }

// decodeHelloVersions returns the versions a HELLO offers: its version
// bitmap element if it has one, else every version up to its header version.
func decodeHelloVersions(b []byte) uint32 {
	v := b[0]
	var bitmap uint32
	if v < 31 {
		bitmap = (uint32(1)<<(v+1) - 1) &^ 1
	}
	r := reader{b: b[HeaderLen:]}
	for r.left() >= 4 {
		typ, l := r.u16(), int(r.u16())
		if l < 4 || r.off-4+pad8(l) > len(r.b) {
			break
		}
		body := r.b[r.off : r.off-4+l]
		r.off = r.off - 4 + pad8(l)
		if typ == 1 && len(body) >= 4 { // OFPHET_VERSIONBITMAP
			bitmap = 0
			// Only the first 32 bits matter to us.
			bitmap = uint32(body[0])<<24 | uint32(body[1])<<16 | uint32(body[2])<<8 | uint32(body[3])
		}
	}
	return bitmap
}

// versionBitmapString formats a version bitmap as OVS's vconn does.
func versionBitmapString(bm uint32) string {
	if bm == 0 {
		return "no versions"
	}
	top := highestVersion(bm)
	if bm&(bm-1) == 0 {
		return fmt.Sprintf("version 0x%02x", top)
	}
	if x := bm>>1 + 1; x&(x-1) == 0 {
		return fmt.Sprintf("version 0x%02x and earlier", top)
	}
	s := "versions "
	first := true
	for i := 0; i < 32; i++ {
		if bm&(1<<uint(i)) != 0 {
			if !first {
				s += ", "
			}
			first = false
			s += fmt.Sprintf("0x%02x", i)
		}
	}
	return s
}

func encodeHello(version uint8, bitmap uint32) []byte {
	m := newMsg(version, TypeHello, 0, 8)
	m.u16(1).u16(8).u32(bitmap) // OFPHET_VERSIONBITMAP
	return m.done()
}

// enqueue queues b for the writer. A reply (wait) waits up to WriteTimeout
// for room; an asynchronous message never waits. Either way, a connection
// whose queue stays full is closed: a peer that never reads cannot stall
// anyone.
func (c *conn) enqueue(b []byte, wait bool) bool {
	if c.isClosed() || c.draining.Load() {
		return false
	}
	s := c.srv
	if c.queued.Load()+int64(len(b)) > int64(s.cfg.SendQueueBytes) && wait {
		// Wait for the writer to drain below the byte bound.
		deadline := time.Now().Add(s.cfg.WriteTimeout)
		for c.queued.Load()+int64(len(b)) > int64(s.cfg.SendQueueBytes) {
			if time.Now().After(deadline) || c.isClosed() {
				s.Stats.QueueOverflows.Add(1)
				c.close("send queue full")
				return false
			}
			time.Sleep(time.Millisecond)
		}
	} else if c.queued.Load()+int64(len(b)) > int64(s.cfg.SendQueueBytes) {
		s.Stats.QueueOverflows.Add(1)
		c.close("send queue full")
		return false
	}
	c.queued.Add(int64(len(b)))
	select {
	case c.out <- b:
		return true
	default:
	}
	if wait {
		t := time.NewTimer(s.cfg.WriteTimeout)
		defer t.Stop()
		select {
		case c.out <- b:
			return true
		case <-c.done:
		case <-t.C:
		}
	}
	c.queued.Add(-int64(len(b)))
	if !c.isClosed() {
		s.Stats.QueueOverflows.Add(1)
		c.close("send queue full")
	}
	return false
}

// enqueueDroppable queues a packet-in unless the queue is over 3/4 full, in
// which case the packet-in is dropped and counted (as OVS drops packet-ins
// on queue overflow).
func (c *conn) enqueueDroppable(b []byte) {
	s := c.srv
	if c.overBound(b, 3, 4) {
		s.Stats.PacketInDropped.Add(1)
		return
	}
	c.enqueue(b, false)
}

// enqueueFlowRemoved queues a flow-removed unless the queue is over 7/8
// full (in messages or bytes), in which case it is dropped and counted: a
// controller that stops reading keeps its connection (and the last eighth
// of its queue for replies) while flow expiries go on.
func (c *conn) enqueueFlowRemoved(b []byte) {
	if c.overBound(b, 7, 8) {
		c.srv.Stats.FlowRemovedDropped.Add(1)
		return
	}
	c.enqueue(b, false)
}

// overBound reports whether queueing b would take the queue past num/den
// of its bound in messages or in bytes.
func (c *conn) overBound(b []byte, num, den int) bool {
	return len(c.out) >= cap(c.out)*num/den ||
		c.queued.Load()+int64(len(b)) > int64(c.srv.cfg.SendQueueBytes)*int64(num)/int64(den)
}

func (c *conn) writeLoop() {
	s := c.srv
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	for {
		var b []byte
		select {
		case b = <-c.out:
		case <-c.done:
			return
		}
		c.nc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		if _, err := bw.Write(b); err != nil {
			c.close("write: " + err.Error())
			return
		}
		s.Stats.MsgsOut.Add(1)
		if len(c.out) == 0 {
			if err := bw.Flush(); err != nil {
				c.close("write: " + err.Error())
				return
			}
		}
		// Counted out only once written (and flushed if it was the
		// last), so that flushAndClose knows when everything has left.
		if c.queued.Add(-int64(len(b))) == 0 && c.monitorsPaused() && c.resuming.CompareAndSwap(false, true) {
			// The queue has emptied: paused flow monitors resume
			// (OVS's ofmonitor_may_resume).
			go func() {
				defer c.resuming.Store(false)
				c.resumeMonitors()
			}()
		}
	}
}

// flushAndClose waits (up to a second) for the queued messages to be
// written, then closes.
func (c *conn) flushAndClose(why string) {
	deadline := time.Now().Add(time.Second)
	for c.queued.Load() > 0 && time.Now().Before(deadline) && !c.isClosed() {
		time.Sleep(time.Millisecond)
	}
	c.close(why)
}

// drainAndClose stops the connection taking messages at once, then lets
// those already queued go out (flushAndClose, in the background), as OVS's
// rconn has sent them before a reconnect.
func (c *conn) drainAndClose(why string) {
	c.draining.Store(true)
	go c.flushAndClose(why)
}

// probeLoop sends an echo request after the probe interval of silence and
// closes the connection after as long again. The interval is read each
// tick, so a change (SetControllerOptions) applies to the running
// connection, as OVS's rconn_set_probe_interval.
func (c *conn) probeLoop() {
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	sent := false
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		iv := time.Duration(c.probe.Load())
		tick := iv / 4
		switch {
		case iv <= 0:
			tick = time.Second
		case tick < time.Millisecond:
			tick = time.Millisecond
		case tick > time.Second:
			tick = time.Second
		}
		t.Reset(tick)
		if iv <= 0 {
			sent = false
			continue
		}
		idle := time.Duration(time.Now().UnixNano() - c.lastRecv.Load())
		switch {
		case idle < iv:
			sent = false
		case idle >= 2*iv && sent:
			c.srv.Stats.ProbeTimeouts.Add(1)
			c.close("inactivity probe timeout")
			return
		case !sent:
			v := c.version()
			if v == 0 {
				// A peer that never sends its HELLO.
				if idle >= 2*iv {
					c.srv.Stats.ProbeTimeouts.Add(1)
					c.close("no hello")
					return
				}
				continue
			}
			sent = true
			xid := c.echoXid.Add(1) | 0x80000000
			c.enqueue(newMsg(v, TypeEchoRequest, xid, 0).done(), false)
		}
	}
}

// reply sends a reply from the reader goroutine.
func (c *conn) reply(b []byte) { c.enqueue(b, true) }

// replyError sends OFPT_ERROR for the request req.
func (c *conn) replyError(version uint8, xid uint32, pe *pipeline.Error, req []byte) {
	c.srv.Stats.Errors.Add(1)
	c.reply(encodeError(version, xid, pe, req))
}
