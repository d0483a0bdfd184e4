package pipeline

import (
	"fmt"

	"gswitch/ct"
	"gswitch/packet"
)

// Error is a refusal that knows its OFPT_ERROR type and code, numbered as in
// OpenFlow 1.3 (ofproto maps them to OpenFlow 1.0 numbers where they differ).
// Every validation failure in pipeline and nxm is an *Error.
type Error struct {
	Type uint16
	Code uint16
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (OFPT_ERROR type %d code %d)", e.Msg, e.Type, e.Code)
}

// Errorf returns an *Error.
func Errorf(typ, code uint16, format string, args ...any) *Error {
	return &Error{Type: typ, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// OpenFlow 1.3 error types (ofp_error_type).
const (
	ErrHelloFailed         = 0
	ErrBadRequest          = 1
	ErrBadAction           = 2
	ErrBadInstruction      = 3
	ErrBadMatch            = 4
	ErrFlowModFailed       = 5
	ErrGroupModFailed      = 6
	ErrPortModFailed       = 7
	ErrTableModFailed      = 8
	ErrQueueOpFailed       = 9
	ErrSwitchConfigFailed  = 10
	ErrRoleRequestFailed   = 11
	ErrMeterModFailed      = 12
	ErrTableFeaturesFailed = 13
	ErrExperimenter        = 0xffff
)

// Tracker is the connection tracker as the pipeline sees it; *ct.Tracker
// implements it. Execute runs one ct action over pkts (all in the same zone,
// p.Zone), writing ct_state, ct_zone, ct_mark, ct_label and the original
// direction tuple into each packet's Key, applying NAT to the frames, and
// caching the connection in Packet.Conn. now is monotonic nanoseconds.
type Tracker interface {
	Execute(pkts []*packet.Packet, p *ct.Params, now int64)
}

// Sender transmits frames. The pipeline calls Output during a batch; pk stays
// the caller's: an implementation copies what it needs before returning (it
// may queue the copy and send it at Flush). Flush ends the batch.
type Sender interface {
	Output(port uint32, pk *packet.Packet)
	Flush()
}

// PacketIn is a packet sent to the controllers. Data is valid only during the
// call to PacketInSink.PacketIn.
type PacketIn struct {
	Reason       uint8 // OpenFlow 1.3 OFPR_*: 0 no match (table-miss), 1 action, 2 invalid TTL
	TableID      uint8
	Cookie       uint64
	Key          packet.Key // metadata (in_port, regs, ct_*, ...) for the packet-in match
	Data         []byte
	MaxLen       uint16 // bytes of Data to send (0xffff: all)
	ControllerID uint16 // 0: every controller
	UserData     []byte
}

// PacketInSink receives packet-ins (ofproto implements it).
type PacketInSink interface {
	PacketIn(pi *PacketIn)
}

// PortInfo is what the pipeline needs to know of a port for FLOOD and ALL.
type PortInfo struct {
	No      uint32
	NoFlood bool
	Up      bool
}
