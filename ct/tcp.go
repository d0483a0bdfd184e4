package ct

// TCP tracking follows OVS's lib/conntrack-tcp.c, itself derived from pf:
// each peer has a sequence window [seqlo, seqhi], a maximum window and a
// window scale; a segment is valid when it falls in the window (with pf's
// tolerances for retransmits and ACK skew). States are OVS's
// CT_DPIF_TCPS_* numbering (the dump prints their names).

// TCP peer states (ct_dpif_tcp_state).
const (
	tcpsClosed uint8 = iota
	tcpsListen
	tcpsSynSent
	tcpsSynRecv
	tcpsEstablished
	tcpsCloseWait
	tcpsFinWait1
	tcpsClosing
	tcpsLastAck
	tcpsFinWait2
	tcpsTimeWait
	tcpsMaxNum
)

var tcpStateNames = [tcpsMaxNum]string{
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "CLOSE_WAIT",
	"FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT",
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
)

const (
	tcpMaxWscale   = 14
	wscaleFlag     = 0x80
	wscaleUnknown  = 0x40
	wscaleMask     = 0x0f
	maxAckWindow   = 0xffff + 1500
	tcpOptEOL      = 0
	tcpOptNOP      = 1
	tcpOptWindow   = 3
	minTCPHeader   = 20
	tcpFlagsOffset = 12
)

// tcpPeer is one side's view, as pf's tcp_peer.
type tcpPeer struct {
	seqlo  uint32 // highest sequence number sent
	seqhi  uint32 // highest the other end ACKed plus its window
	maxWin uint16 // largest window seen (unscaled)
	wscale uint8
	state  uint8
}

// advance records an accepted segment from this peer to dst, pf's window
// update (tcpUpdate makes it in the in-window and in the loose case): the
// largest window seen (win, as the segment carries it), the highest
// sequence sent (end), and the highest sequence dst may send (the
// acknowledgement ack plus win scaled by sws).
func (src *tcpPeer) advance(dst *tcpPeer, end, ack, win uint32, sws uint8) {
	if uint32(src.maxWin) < win {
		src.maxWin = uint16(win)
	}
	if seqGT(end, src.seqlo) {
		src.seqlo = end
	}
	if seqGEQ(ack+(win<<sws), dst.seqhi) {
		dst.seqhi = ack + max(win<<sws, 1)
	}
}

func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqGEQ(a, b uint32) bool { return int32(a-b) >= 0 }
func seqGT(a, b uint32) bool  { return int32(a-b) > 0 }

// tcpSeg is what the state machine needs of a segment.
type tcpSeg struct {
	flags uint16
	seq   uint32
	ack   uint32
	win   uint16
	plen  uint32 // payload length
	hdr   []byte // the TCP header with options
}

func parseTCPSeg(l4 []byte) (s tcpSeg) {
	hl := int(l4[12]>>4) * 4
	if hl > len(l4) {
		hl = len(l4)
	}
	s.flags = uint16(be.Uint16(l4[12:]) & 0x0fff)
	s.seq = be.Uint32(l4[4:])
	s.ack = be.Uint32(l4[8:])
	s.win = be.Uint16(l4[14:])
	s.plen = uint32(len(l4) - hl)
	s.hdr = l4[:hl]
	return
}

// tcpInvalidFlags is pf's scrub check, as OVS applies it: SYN with RST or
// FIN, neither ACK nor RST, or FIN/PSH/URG without ACK.
func tcpInvalidFlags(f uint16) bool {
	if f&tcpSYN != 0 {
		if f&(tcpRST|tcpFIN) != 0 {
			return true
		}
	} else if f&(tcpACK|tcpRST) == 0 {
		return true
	}
	if f&tcpACK == 0 && f&(tcpFIN|tcpPSH|tcpURG) != 0 {
		return true
	}
	return false
}

// tcpValidNew reports whether a segment may start a connection: valid
// flags and not SYN|ACK (mid-stream pickup by a plain ACK is allowed).
func tcpValidNew(f uint16) bool {
	return !tcpInvalidFlags(f) && f&(tcpSYN|tcpACK) != tcpSYN|tcpACK
}

// tcpWscale returns the window scale option of a SYN, with wscaleFlag set
// when present.
func tcpWscale(hdr []byte) uint8 {
	if len(hdr) < minTCPHeader {
		return 0
	}
	opt := hdr[minTCPHeader:]
	var ws uint8
	for len(opt) >= 3 {
		switch opt[0] {
		case tcpOptEOL:
			return ws
		case tcpOptNOP:
			opt = opt[1:]
			continue
		case tcpOptWindow:
			ws = min(opt[2], tcpMaxWscale) | wscaleFlag
		}
		l := int(opt[1])
		if l < 2 {
			l = 2
		}
		if l >= len(opt) {
			return ws
		}
		opt = opt[l:]
	}
	return ws
}

func divRoundUp(a, b uint32) uint32 { return (a + b - 1) / b }

// tcpNew initializes c's peers from the first segment (tcp_new_conn).
func tcpNew(c *conn, s *tcpSeg) {
	src, dst := &c.tcp[0], &c.tcp[1]
	src.seqlo = s.seq
	src.seqhi = s.seq + s.plen + 1
	if s.flags&tcpSYN != 0 {
		src.seqhi++
		src.wscale = tcpWscale(s.hdr)
	} else {
		src.wscale = wscaleUnknown
		dst.wscale = wscaleUnknown
	}
	src.maxWin = max(s.win, 1)
	if src.wscale&wscaleMask != 0 {
		sws := src.wscale & wscaleMask
		src.maxWin = uint16(divRoundUp(uint32(src.maxWin), 1<<sws))
	}
	if s.flags&tcpFIN != 0 {
		src.seqhi++
	}
	dst.seqhi = 1
	dst.maxWin = 1
	src.state = tcpsSynSent
	dst.state = tcpsClosed
}

// update results (OVS's ct_update_res).
const (
	updInvalid = iota
	updValid
	updNew
	updValidNew
)

// tcpUpdate runs one segment through c's state machine (tcp_conn_update);
// c.mu is held. It returns the update result (updValid...) and sets c's
// expiry itself (not in pf's loose case, nor for an invalid segment).
//
// +checklocks:c.mu
func (t *Tracker) tcpUpdate(c *conn, s *tcpSeg, reply bool, zone uint16, now int64) int {
	src, dst := &c.tcp[0], &c.tcp[1]
	if reply {
		src, dst = dst, src
	}
	f := s.flags
	win := uint32(s.win)
	if tcpInvalidFlags(f) {
		t.cnt.tcpBadFlags.Add(1)
		return updInvalid
	}
	if f&(tcpSYN|tcpACK) == tcpSYN {
		if dst.state >= tcpsFinWait2 && src.state >= tcpsFinWait2 {
			src.state, dst.state = tcpsClosed, tcpsClosed
			return updNew
		} else if src.state <= tcpsSynSent {
			src.state = tcpsSynSent
			t.setExp(c, zone, tmTCPFirst, now)
			return updValidNew
		}
	}
	var sws, dws uint8
	if src.wscale&wscaleFlag != 0 && dst.wscale&wscaleFlag != 0 && f&tcpSYN == 0 {
		sws, dws = src.wscale&wscaleMask, dst.wscale&wscaleMask
	} else if src.wscale&wscaleUnknown != 0 && dst.wscale&wscaleUnknown != 0 && f&tcpSYN == 0 {
		sws, dws = tcpMaxWscale, tcpMaxWscale
	}

	seq := s.seq
	origSeq := seq
	ack := s.ack
	end := seq + s.plen
	if f&tcpSYN != 0 {
		end++
	}
	if f&tcpFIN != 0 {
		end++
	}
	checkAckSkew := true
	if src.state < tcpsSynSent {
		// First segment from this end.
		if f&tcpSYN != 0 && dst.wscale&wscaleFlag != 0 {
			src.wscale = tcpWscale(s.hdr)
			if src.wscale&wscaleFlag != 0 {
				sws = src.wscale & wscaleMask
				win = divRoundUp(win, 1<<sws)
				dws = dst.wscale & wscaleMask
			} else {
				dst.maxWin = uint16(uint32(dst.maxWin) << (dst.wscale & wscaleMask))
				dst.wscale = 0
			}
		}
		src.seqlo = seq
		src.state = tcpsSynSent
		w := max(1, uint32(dst.maxWin)<<dws)
		if src.seqhi == 1 || seqGEQ(end+w, src.seqhi) {
			src.seqhi = end + w
			checkAckSkew = false
		}
		if win > uint32(src.maxWin) {
			src.maxWin = uint16(win)
		}
	}
	if f&tcpACK == 0 {
		ack = dst.seqlo
	} else if ack == 0 && f&(tcpACK|tcpRST) == tcpACK|tcpRST {
		ack = dst.seqlo
	}
	if seq == end {
		seq = src.seqlo
		end = seq
	}
	var ackskew int32
	if checkAckSkew {
		ackskew = int32(dst.seqlo - ack)
	}
	inWindow := seqGEQ(src.seqhi, end) &&
		seqGEQ(seq, src.seqlo-(uint32(dst.maxWin)<<dws)) &&
		ackskew >= -maxAckWindow &&
		int64(ackskew) <= int64(maxAckWindow)<<sws &&
		(f&tcpRST == 0 || origSeq == src.seqlo || origSeq == src.seqlo+1 || origSeq+1 == src.seqlo)
	if inWindow || !t.seqCheck(zone) {
		src.advance(dst, end, ack, win, sws)
		if f&tcpSYN != 0 && src.state < tcpsSynSent {
			src.state = tcpsSynSent
		}
		if f&tcpFIN != 0 && src.state < tcpsClosing {
			src.state = tcpsClosing
		}
		if f&tcpACK != 0 {
			if dst.state == tcpsSynSent {
				dst.state = tcpsEstablished
			} else if dst.state == tcpsClosing {
				dst.state = tcpsFinWait2
			}
		}
		if f&tcpRST != 0 {
			src.state, dst.state = tcpsTimeWait, tcpsTimeWait
		}
		switch {
		case src.state >= tcpsFinWait2 && dst.state >= tcpsFinWait2:
			t.setExp(c, zone, tmTCPClosed, now)
		case src.state >= tcpsClosing && dst.state >= tcpsClosing:
			t.setExp(c, zone, tmTCPFinWait, now)
		case src.state < tcpsEstablished || dst.state < tcpsEstablished:
			t.setExp(c, zone, tmTCPOpening, now)
		case src.state >= tcpsClosing || dst.state >= tcpsClosing:
			t.setExp(c, zone, tmTCPClosing, now)
		default:
			t.setExp(c, zone, tmTCPEstablished, now)
		}
		return updValid
	}
	if (dst.state < tcpsSynSent || dst.state >= tcpsFinWait2 || src.state >= tcpsFinWait2) &&
		seqGEQ(src.seqhi+maxAckWindow, end) &&
		seqGEQ(seq, src.seqlo-maxAckWindow) {
		// pf's loose case: shotgunned SYNs, a stream picked up after
		// establishment, stray packets after close. The expiry is not
		// refreshed here.
		src.advance(dst, end, ack, win, sws)
		if f&tcpFIN != 0 && src.state < tcpsClosing {
			src.state = tcpsClosing
		}
		if f&tcpRST != 0 {
			src.state, dst.state = tcpsTimeWait, tcpsTimeWait
		}
		return updValid
	}
	t.cnt.tcpSeqFail.Add(1)
	return updInvalid
}

// setExp sets c's deadline to now plus its timeout tm (zone's policy if c
// was created under it, Tracker.timeout).
func (t *Tracker) setExp(c *conn, zone uint16, tm tmIndex, now int64) {
	c.exp.Store(now + t.timeout(zone, c.tpGen, tm))
}
