package sampling

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"gswitch/pipeline"
)

// IPFIX (RFC 7011) as OVS 3.1's per-flow sampling exports it
// (ofproto/ofproto-dpif-ipfix.c with its flow cache off, the default):
// one data record per sampled packet, in a template chosen by the
// packet's layers (VLAN or not; IPv4, IPv6 or neither; TCP, UDP, SCTP,
// ICMP or none; ingress or egress), with OVS's template ids, its flow-key
// elements and its aggregated counters (totals over the exporter's life,
// deltas the sampling probability's estimate: 65535/P packets).
// Templates go out before their first data record and again every
// TemplateInterval per observation domain. Left out (README's known
// differences): interfaceName and interfaceDescription, the interface
// types, the tunnel elements and the exporter-statistics options template.

// TemplateInterval is how often a template is sent again (OVS's
// IPFIX_TEMPLATE_INTERVAL).
const TemplateInterval = 600 * time.Second

// Information elements (IANA ids) and their lengths.
const (
	ieOctetDeltaCount            = 1
	ieProtocolIdentifier         = 4
	ieIPClassOfService           = 5
	ieSourceTransportPort        = 7
	ieSourceIPv4Address          = 8
	ieIngressInterface           = 10
	ieDestinationTransportPort   = 11
	ieDestinationIPv4Address     = 12
	ieEgressInterface            = 14
	iePostMCastPacketDeltaCount  = 19
	iePostMCastOctetDeltaCount   = 20
	ieMinimumIPTotalLength       = 25
	ieMaximumIPTotalLength       = 26
	ieSourceIPv6Address          = 27
	ieDestinationIPv6Address     = 28
	ieFlowLabelIPv6              = 31
	ieSourceMacAddress           = 56
	ieVlanID                     = 58
	ieIPVersion                  = 60
	ieFlowDirection              = 61
	ieDestinationMacAddress      = 80
	ieOctetTotalCount            = 85
	iePacketTotalCount           = 86
	iePacketDeltaCount           = 2
	ieDroppedOctetDeltaCount     = 132
	ieDroppedPacketDeltaCount    = 133
	ieDroppedOctetTotalCount     = 134
	ieDroppedPacketTotalCount    = 135
	ieFlowEndReason              = 136
	ieObservationPointID         = 138
	ieFlowStartDeltaMicroseconds = 158
	ieFlowEndDeltaMicroseconds   = 159
	iePostMCastPacketTotalCount  = 174
	iePostMCastOctetTotalCount   = 175
	ieICMPTypeIPv4               = 176
	ieICMPCodeIPv4               = 177
	ieICMPTypeIPv6               = 178
	ieICMPCodeIPv6               = 179
	ieIPTTL                      = 192
	ieIPDiffServCodePoint        = 195
	ieIPPrecedence               = 196
	ieOctetDeltaSumOfSquares     = 198
	ieOctetTotalSumOfSquares     = 199
	ieTCPSynTotalCount           = 218
	ieTCPFinTotalCount           = 219
	ieTCPRstTotalCount           = 220
	ieTCPPshTotalCount           = 221
	ieTCPAckTotalCount           = 222
	ieTCPUrgTotalCount           = 223
	ieEthernetHeaderLength       = 240
	ieDot1qVlanID                = 243
	ieDot1qPriority              = 244
	ieEthernetType               = 256
	ieLayer2OctetDeltaCount      = 352
	ieLayer2OctetTotalCount      = 353
	ieIngressUnicastPacketTotal  = 354
	ieIngressMulticastPacketTot  = 355
	ieIngressBroadcastPacketTot  = 356
	ieEgressUnicastPacketTotal   = 357
	ieEgressBroadcastPacketTotal = 358
)

type ie struct{ id, size uint16 }

// Layers of a template (OVS's ipfix_proto_l2/l3/l4 and flow direction).
const (
	l3None, l3IPv4, l3IPv6                    = 0, 1, 2
	l4None, l4TCP, l4UDP, l4SCTP, l4ICMP, nL4 = 0, 1, 2, 3, 4, 5
)

// tmplKey names a template.
type tmplKey struct {
	vlan   bool
	l3, l4 uint8
	egress bool
}

// id is OVS's ipfix_get_template_id (never tunnelled here).
func (k tmplKey) id() uint16 {
	id := uint16(0)
	if k.vlan {
		id = 1
	}
	id = id*3 + uint16(k.l3)
	id = id*nL4 + uint16(k.l4)
	id = id * 2 // tunnel: none
	id *= 2
	if k.egress {
		id++
	}
	return 256 + id
}

// fields is the template's element list, in OVS's order.
func (k tmplKey) fields() []ie {
	f := []ie{{ieObservationPointID, 4}, {ieFlowDirection, 1},
		{ieSourceMacAddress, 6}, {ieDestinationMacAddress, 6}, {ieEthernetType, 2}, {ieEthernetHeaderLength, 1},
		{ieIngressInterface, 4}}
	if k.egress {
		f = append(f, ie{ieEgressInterface, 4})
	}
	if k.vlan {
		f = append(f, ie{ieVlanID, 2}, ie{ieDot1qVlanID, 2}, ie{ieDot1qPriority, 1})
	}
	if k.l3 != l3None {
		f = append(f, ie{ieIPVersion, 1}, ie{ieIPTTL, 1}, ie{ieProtocolIdentifier, 1},
			ie{ieIPDiffServCodePoint, 1}, ie{ieIPPrecedence, 1}, ie{ieIPClassOfService, 1})
		ports := k.l4 == l4TCP || k.l4 == l4UDP || k.l4 == l4SCTP
		if k.l3 == l3IPv4 {
			f = append(f, ie{ieSourceIPv4Address, 4}, ie{ieDestinationIPv4Address, 4})
			if ports {
				f = append(f, ie{ieSourceTransportPort, 2}, ie{ieDestinationTransportPort, 2})
			} else if k.l4 == l4ICMP {
				f = append(f, ie{ieICMPTypeIPv4, 1}, ie{ieICMPCodeIPv4, 1})
			}
		} else {
			f = append(f, ie{ieSourceIPv6Address, 16}, ie{ieDestinationIPv6Address, 16}, ie{ieFlowLabelIPv6, 4})
			if ports {
				f = append(f, ie{ieSourceTransportPort, 2}, ie{ieDestinationTransportPort, 2})
			} else if k.l4 == l4ICMP {
				f = append(f, ie{ieICMPTypeIPv6, 1}, ie{ieICMPCodeIPv6, 1})
			}
		}
	}
	f = append(f, ie{ieFlowStartDeltaMicroseconds, 4}, ie{ieFlowEndDeltaMicroseconds, 4},
		ie{ieDroppedPacketDeltaCount, 8}, ie{ieDroppedPacketTotalCount, 8},
		ie{iePacketDeltaCount, 8}, ie{iePacketTotalCount, 8},
		ie{ieIngressUnicastPacketTotal, 8}, ie{ieIngressMulticastPacketTot, 8}, ie{ieIngressBroadcastPacketTot, 8},
		ie{ieEgressUnicastPacketTotal, 8}, ie{ieEgressBroadcastPacketTotal, 8},
		ie{iePostMCastPacketDeltaCount, 8}, ie{iePostMCastPacketTotalCount, 8},
		ie{ieLayer2OctetDeltaCount, 8}, ie{ieLayer2OctetTotalCount, 8}, ie{ieFlowEndReason, 1})
	if k.l3 != l3None {
		f = append(f, ie{ieDroppedOctetDeltaCount, 8}, ie{ieDroppedOctetTotalCount, 8},
			ie{ieOctetDeltaCount, 8}, ie{ieOctetTotalCount, 8},
			ie{ieOctetDeltaSumOfSquares, 8}, ie{ieOctetTotalSumOfSquares, 8},
			ie{ieMinimumIPTotalLength, 8}, ie{ieMaximumIPTotalLength, 8},
			ie{iePostMCastOctetDeltaCount, 8}, ie{iePostMCastOctetTotalCount, 8})
	}
	if k.l4 == l4TCP {
		f = append(f, ie{ieTCPAckTotalCount, 8}, ie{ieTCPFinTotalCount, 8}, ie{ieTCPPshTotalCount, 8},
			ie{ieTCPRstTotalCount, 8}, ie{ieTCPSynTotalCount, 8}, ie{ieTCPUrgTotalCount, 8})
	}
	return f
}

// headers is what the encoder reads from a frame.
type headers struct {
	k                 tmplKey
	src, dst          [6]byte
	ethType           uint16
	ethLen            uint8
	vid               uint16
	pcp               uint8
	ipVer, ttl, proto uint8
	tos               uint8
	ip4s, ip4d        [4]byte
	ip6s, ip6d        [16]byte
	label             uint32
	sport, dport      uint16
	icmpType, icmp    uint8
	tcpFlags          uint8
	l2Len, ipLen      int
}

// parseHeaders reads the layers of frame (with its length on the wire);
// a short or odd frame yields fewer layers, never an error.
func parseHeaders(frame []byte, origLen int) headers {
	var h headers
	h.l2Len = origLen
	if len(frame) < 14 {
		return h
	}
	copy(h.dst[:], frame[0:6])
	copy(h.src[:], frame[6:12])
	off := 12
	et := binary.BigEndian.Uint16(frame[off:])
	if (et == 0x8100 || et == 0x88a8) && len(frame) >= 18 {
		tci := binary.BigEndian.Uint16(frame[14:])
		h.k.vlan = true
		h.vid, h.pcp = tci&0xfff, uint8(tci>>13)
		off = 16
		et = binary.BigEndian.Uint16(frame[off:])
	}
	off += 2
	h.ethType, h.ethLen = et, uint8(off)
	p := frame[off:]
	h.ipLen = origLen - off
	var l4 []byte
	switch {
	case et == 0x0800 && len(p) >= 20 && p[0]>>4 == 4:
		ihl := int(p[0]&15) * 4
		if ihl < 20 || len(p) < ihl {
			return h
		}
		h.k.l3, h.ipVer, h.tos, h.ttl, h.proto = l3IPv4, 4, p[1], p[8], p[9]
		copy(h.ip4s[:], p[12:16])
		copy(h.ip4d[:], p[16:20])
		if binary.BigEndian.Uint16(p[6:])&0x1fff == 0 { // first fragment or none
			l4 = p[ihl:]
		}
	case et == 0x86dd && len(p) >= 40 && p[0]>>4 == 6:
		v := binary.BigEndian.Uint32(p)
		h.k.l3, h.ipVer, h.tos, h.label = l3IPv6, 6, uint8(v>>20), v&0xfffff
		h.proto, h.ttl = p[6], p[7]
		copy(h.ip6s[:], p[8:24])
		copy(h.ip6d[:], p[24:40])
		l4 = p[40:]
	default:
		return h
	}
	switch h.proto {
	case 6, 17, 132:
		switch h.proto {
		case 6:
			h.k.l4 = l4TCP
		case 17:
			h.k.l4 = l4UDP
		default:
			h.k.l4 = l4SCTP
		}
		if len(l4) >= 4 {
			h.sport, h.dport = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		}
		if h.proto == 6 && len(l4) >= 14 {
			h.tcpFlags = l4[13]
		}
	case 1, 58:
		if (h.proto == 1) == (h.k.l3 == l3IPv4) {
			h.k.l4 = l4ICMP
			if len(l4) >= 2 {
				h.icmpType, h.icmp = l4[0], l4[1]
			}
		}
	}
	return h
}

// totals are the exporter's counters over its life (OVS's
// dpif_ipfix_global_stats).
type totals struct {
	droppedPkts, pkts, inU, inM, inB, outU, outB, postMPkts, l2Octets uint64
	droppedOctets, octets, sumSq, postMOctets                         uint64
	ack, fin, psh, rst, syn, urg                                      uint64
}

// Encoder builds IPFIX messages for one exporter: templates as needed
// and one data record per sampled packet.
type Encoder struct {
	tot  totals
	seq  map[uint32]uint32               // data records sent per observation domain
	sent map[uint32]map[uint16]time.Time // templates sent per domain
}

// NewEncoder returns an encoder with nothing sent.
func NewEncoder() *Encoder {
	return &Encoder{seq: map[uint32]uint32{}, sent: map[uint32]map[uint16]time.Time{}}
}

func put16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func put32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func put64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// Encode appends to b the IPFIX message for r exported at now: a
// template set first when the domain has not had the template within
// TemplateInterval, then a data set of one record.
func (e *Encoder) Encode(b []byte, r *Record, now time.Time) []byte {
	h := parseHeaders(r.Data, r.OrigLen)
	h.k.egress = egress(r)
	dom := r.Action.ObsDomainID
	tid := h.k.id()
	fields := h.k.fields()

	start := len(b)
	exportSec := uint32(now.Unix())
	b = put16(b, 10)
	b = put16(b, 0) // length, set below
	b = put32(b, exportSec)
	b = put32(b, e.seq[dom])
	b = put32(b, dom)

	sent := e.sent[dom]
	if sent == nil {
		sent = map[uint16]time.Time{}
		e.sent[dom] = sent
	}
	if t, ok := sent[tid]; !ok || now.Sub(t) >= TemplateInterval {
		set := len(b)
		b = put16(b, 2)
		b = put16(b, 0)
		b = put16(b, tid)
		b = put16(b, uint16(len(fields)))
		for _, f := range fields {
			b = put16(b, f.id)
			b = put16(b, f.size)
		}
		binary.BigEndian.PutUint16(b[set+2:], uint16(len(b)-set))
		sent[tid] = now
	}

	set := len(b)
	b = put16(b, tid)
	b = put16(b, 0)
	b = e.record(b, &h, r, fields, now)
	binary.BigEndian.PutUint16(b[set+2:], uint16(len(b)-set))
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	e.seq[dom]++
	return b
}

// egress is OVS's flow direction of a sample: the action's, or by
// default egress when it names a sampling port other than the in_port
// (xlate_sample_action's output port), else ingress.
func egress(r *Record) bool {
	switch r.Action.Direction {
	case pipeline.SampleIngress:
		return false
	case pipeline.SampleEgress:
		return true
	}
	p := r.Action.SamplingPort
	return p != pipeline.PortAny && p != r.Key.W.InPort()
}

// record appends the data record of h in the order of fields.
func (e *Encoder) record(b []byte, h *headers, r *Record, fields []ie, now time.Time) []byte {
	p := uint64(1)
	if r.Action.Probability != 0 {
		p = 65535 / uint64(r.Action.Probability)
	}
	bcast := h.dst == [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	mcast := !bcast && h.dst[0]&1 != 0
	t := &e.tot
	l2 := p * uint64(h.l2Len)
	t.pkts += p
	t.l2Octets += l2
	var postMPkts, postMOctets uint64
	switch {
	case bcast && !h.k.egress:
		t.inB += p
	case bcast:
		t.outB += p
	case mcast && !h.k.egress:
		t.inM += p
	case mcast:
		postMPkts = p
		t.postMPkts += p
	case !h.k.egress:
		t.inU += p
	default:
		t.outU += p
	}
	var octets, sumSq uint64
	if h.k.l3 != l3None {
		octets = p * uint64(h.ipLen)
		sumSq = octets * uint64(h.ipLen)
		t.octets += octets
		t.sumSq += sumSq
		if mcast && h.k.egress {
			postMOctets = octets
			t.postMOctets += octets
		}
	}
	if h.k.l4 == l4TCP {
		fl := h.tcpFlags
		for _, c := range []struct {
			bit uint8
			n   *uint64
		}{{0x10, &t.ack}, {0x01, &t.fin}, {0x08, &t.psh}, {0x04, &t.rst}, {0x02, &t.syn}, {0x20, &t.urg}} {
			if fl&c.bit != 0 {
				*c.n += p
			}
		}
	}
	delta := uint64(0)
	if us := now.Unix()*1e6 - r.Time.UnixMicro(); us > 0 {
		delta = uint64(us)
	}
	egressPort := uint32(0)
	if p := r.Action.SamplingPort; p != pipeline.PortAny && p != r.Key.W.InPort() {
		egressPort = p
	}
	dir := uint8(0)
	if h.k.egress {
		dir = 1
	}
	for _, f := range fields {
		switch f.id {
		case ieObservationPointID:
			b = put32(b, r.Action.ObsPointID)
		case ieFlowDirection:
			b = append(b, dir)
		case ieSourceMacAddress:
			b = append(b, h.src[:]...)
		case ieDestinationMacAddress:
			b = append(b, h.dst[:]...)
		case ieEthernetType:
			b = put16(b, h.ethType)
		case ieEthernetHeaderLength:
			b = append(b, h.ethLen)
		case ieIngressInterface:
			b = put32(b, r.Key.W.InPort())
		case ieEgressInterface:
			b = put32(b, egressPort)
		case ieVlanID, ieDot1qVlanID:
			b = put16(b, h.vid)
		case ieDot1qPriority:
			b = append(b, h.pcp)
		case ieIPVersion:
			b = append(b, h.ipVer)
		case ieIPTTL:
			b = append(b, h.ttl)
		case ieProtocolIdentifier:
			b = append(b, h.proto)
		case ieIPDiffServCodePoint:
			b = append(b, h.tos>>2)
		case ieIPPrecedence:
			b = append(b, h.tos>>5)
		case ieIPClassOfService:
			b = append(b, h.tos)
		case ieSourceIPv4Address:
			b = append(b, h.ip4s[:]...)
		case ieDestinationIPv4Address:
			b = append(b, h.ip4d[:]...)
		case ieSourceIPv6Address:
			b = append(b, h.ip6s[:]...)
		case ieDestinationIPv6Address:
			b = append(b, h.ip6d[:]...)
		case ieFlowLabelIPv6:
			b = put32(b, h.label)
		case ieSourceTransportPort:
			b = put16(b, h.sport)
		case ieDestinationTransportPort:
			b = put16(b, h.dport)
		case ieICMPTypeIPv4, ieICMPTypeIPv6:
			b = append(b, h.icmpType)
		case ieICMPCodeIPv4, ieICMPCodeIPv6:
			b = append(b, h.icmp)
		case ieFlowStartDeltaMicroseconds, ieFlowEndDeltaMicroseconds:
			b = put32(b, uint32(delta))
		case ieDroppedPacketDeltaCount, ieDroppedOctetDeltaCount:
			b = put64(b, 0) // gswitch does not know whether the flow outputs it
		case ieDroppedPacketTotalCount:
			b = put64(b, t.droppedPkts)
		case iePacketDeltaCount:
			b = put64(b, p)
		case iePacketTotalCount:
			b = put64(b, t.pkts)
		case ieIngressUnicastPacketTotal:
			b = put64(b, t.inU)
		case ieIngressMulticastPacketTot:
			b = put64(b, t.inM)
		case ieIngressBroadcastPacketTot:
			b = put64(b, t.inB)
		case ieEgressUnicastPacketTotal:
			b = put64(b, t.outU)
		case ieEgressBroadcastPacketTotal:
			b = put64(b, t.outB)
		case iePostMCastPacketDeltaCount:
			b = put64(b, postMPkts)
		case iePostMCastPacketTotalCount:
			b = put64(b, t.postMPkts)
		case ieLayer2OctetDeltaCount:
			b = put64(b, l2)
		case ieLayer2OctetTotalCount:
			b = put64(b, t.l2Octets)
		case ieFlowEndReason:
			b = append(b, 2) // active timeout: OVS's reason with its cache off
		case ieDroppedOctetTotalCount:
			b = put64(b, t.droppedOctets)
		case ieOctetDeltaCount:
			b = put64(b, octets)
		case ieOctetTotalCount:
			b = put64(b, t.octets)
		case ieOctetDeltaSumOfSquares:
			b = put64(b, sumSq)
		case ieOctetTotalSumOfSquares:
			b = put64(b, t.sumSq)
		case ieMinimumIPTotalLength, ieMaximumIPTotalLength:
			b = put64(b, uint64(h.ipLen))
		case iePostMCastOctetDeltaCount:
			b = put64(b, postMOctets)
		case iePostMCastOctetTotalCount:
			b = put64(b, t.postMOctets)
		case ieTCPAckTotalCount:
			b = put64(b, t.ack)
		case ieTCPFinTotalCount:
			b = put64(b, t.fin)
		case ieTCPPshTotalCount:
			b = put64(b, t.psh)
		case ieTCPRstTotalCount:
			b = put64(b, t.rst)
		case ieTCPSynTotalCount:
			b = put64(b, t.syn)
		case ieTCPUrgTotalCount:
			b = put64(b, t.urg)
		default:
			panic(fmt.Sprintf("ipfix: element %d in a template but not encoded", f.id))
		}
	}
	return b
}

// IPFIXExporter is a collector that sends each record as an IPFIX
// message over UDP.
type IPFIXExporter struct {
	Target string
	conn   net.Conn
	enc    *Encoder
	buf    []byte
}

// DialIPFIX opens the UDP socket towards target (HOST:PORT).
func DialIPFIX(target string) (*IPFIXExporter, error) {
	c, err := net.Dial("udp", target)
	if err != nil {
		return nil, fmt.Errorf("ipfix: %w", err)
	}
	return &IPFIXExporter{Target: target, conn: c, enc: NewEncoder()}, nil
}

// Write sends r's message.
func (x *IPFIXExporter) Write(r *Record) error {
	x.buf = x.enc.Encode(x.buf[:0], r, time.Now())
	_, err := x.conn.Write(x.buf)
	return err
}

// Close closes the socket.
func (x *IPFIXExporter) Close() error { return x.conn.Close() }

// Describe names the exporter.
func (x *IPFIXExporter) Describe() string { return "ipfix " + x.Target }
