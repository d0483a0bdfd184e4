package ct

import (
	"fmt"
	"strings"
)

// Timeout policy attributes, named as ovs-vsctl add-zone-tp names them
// (OVS's CT_DPIF_TP_ATTR_*). The userspace tracker uses the eleven that
// have defaults; the others are accepted and stored.
const (
	attrTCPSynSent = iota
	attrTCPSynRecv
	attrTCPEstablished
	attrTCPFinWait
	attrTCPCloseWait
	attrTCPLastAck
	attrTCPTimeWait
	attrTCPClose
	attrTCPSynSent2
	attrTCPRetransmit
	attrTCPUnack
	attrUDPFirst
	attrUDPSingle
	attrUDPMultiple
	attrICMPFirst
	attrICMPReply
	numAttrs
)

var attrNames = [numAttrs]string{
	"tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait",
	"tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close",
	"tcp_syn_sent2", "tcp_retransmit", "tcp_unack",
	"udp_first", "udp_single", "udp_multiple", "icmp_first", "icmp_reply",
}

// policy is a timeout policy in seconds; present says which attributes
// were set explicitly.
type policy struct {
	attrs   [numAttrs]uint32
	present uint32
}

func defaultPolicy() *policy {
	p := &policy{}
	p.attrs[attrTCPSynSent] = 30
	p.attrs[attrTCPSynRecv] = 30
	p.attrs[attrTCPEstablished] = 24 * 60 * 60
	p.attrs[attrTCPFinWait] = 15 * 60
	p.attrs[attrTCPTimeWait] = 45
	p.attrs[attrTCPClose] = 30
	p.attrs[attrUDPFirst] = 60
	p.attrs[attrUDPSingle] = 60
	p.attrs[attrUDPMultiple] = 30
	p.attrs[attrICMPFirst] = 60
	p.attrs[attrICMPReply] = 30
	return p
}

// tmIndex is the tracker's internal timeout class (OVS's CT_TM_*).
type tmIndex uint8

const (
	tmTCPFirst tmIndex = iota
	tmTCPOpening
	tmTCPEstablished
	tmTCPClosing
	tmTCPFinWait
	tmTCPClosed
	tmOtherFirst
	tmOtherMultiple
	tmOtherBidir
	tmICMPFirst
	tmICMPReply
)

// tmAttr maps a timeout class to the policy attribute that sets it, as
// OVS's tm_to_ct_dpif_tp.
var tmAttr = [...]uint8{
	tmTCPFirst:       attrTCPSynSent,
	tmTCPOpening:     attrTCPSynRecv,
	tmTCPEstablished: attrTCPEstablished,
	tmTCPClosing:     attrTCPFinWait,
	tmTCPFinWait:     attrTCPTimeWait,
	tmTCPClosed:      attrTCPClose,
	tmOtherFirst:     attrUDPFirst,
	tmOtherMultiple:  attrUDPSingle,
	tmOtherBidir:     attrUDPMultiple,
	tmICMPFirst:      attrICMPFirst,
	tmICMPReply:      attrICMPReply,
}

// IsTimeoutAttr reports whether name is a timeout policy attribute
// (CT_Timeout_Policy's timeouts keys, as add-zone-tp names them).
func IsTimeoutAttr(name string) bool { return attrIndex(name) >= 0 }

func attrIndex(name string) int {
	for i, n := range attrNames {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// SetZoneTimeouts sets timeout attributes (seconds, by add-zone-tp name)
// for zone; unnamed attributes keep the defaults, as OVS's add-zone-tp.
// It replaces the zone's previous policy. As in OVS, the policy applies to
// connections created from now on; existing ones of the zone get the
// default timeouts at their next packet (Tracker.timeout).
func (t *Tracker) SetZoneTimeouts(zone uint16, attrs map[string]uint32) error {
	p, err := buildPolicy(attrs)
	if err != nil {
		return err
	}
	t.updateZone(zone, func(z *zoneConf) { z.tp, z.tpGen = p, t.nextTPGen() })
	return nil
}

// DelZoneTimeouts removes zone's timeout policy (the default applies).
func (t *Tracker) DelZoneTimeouts(zone uint16) bool {
	had := false
	t.updateZone(zone, func(z *zoneConf) { had = z.tp != nil; z.tp, z.tpGen = nil, 0 })
	return had
}

// SetDefaultTimeouts changes attributes of the default policy, which
// applies to zones without their own.
func (t *Tracker) SetDefaultTimeouts(attrs map[string]uint32) error {
	t.cfgMu.Lock()
	defer t.cfgMu.Unlock()
	np := *t.defTP.Load()
	for name, v := range attrs {
		i := attrIndex(name)
		if i < 0 {
			return fmt.Errorf("unknown timeout policy attribute %s", name)
		}
		np.attrs[i] = v
		np.present |= 1 << i
	}
	t.defTP.Store(&np)
	return nil
}

func buildPolicy(attrs map[string]uint32) (*policy, error) {
	p := defaultPolicy()
	for name, v := range attrs {
		i := attrIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("unknown timeout policy attribute %s", name)
		}
		p.attrs[i] = v
		p.present |= 1 << i
	}
	return p, nil
}

// ZoneTimeouts returns the zones that have their own timeout policy and
// the explicitly set attributes of each.
func (t *Tracker) ZoneTimeouts() map[uint16]map[string]uint32 {
	out := make(map[uint16]map[string]uint32)
	for z := range t.zones {
		zc := t.zones[z].Load()
		if zc == nil || zc.tp == nil {
			continue
		}
		m := make(map[string]uint32)
		for i := 0; i < numAttrs; i++ {
			if zc.tp.present&(1<<i) != 0 {
				m[attrNames[i]] = zc.tp.attrs[i]
			}
		}
		out[uint16(z)] = m
	}
	return out
}
