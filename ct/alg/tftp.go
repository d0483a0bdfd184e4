package alg

// The TFTP helper (RFC 1350): a read or write request to the server's
// port 69 makes the server answer from a new port (its transfer ID) to the
// client's port. The helper expects that reply connection: from the
// server's address, any source port, to the client's address and port
// (after NAT: as the reply direction of the request's connection).

// TFTP opcodes that open a transfer.
const (
	TFTPReadRequest  = 1
	TFTPWriteRequest = 2
)

type tftpHelper struct{}

func (tftpHelper) Name() string  { return "tftp" }
func (tftpHelper) Port() uint16  { return 69 }
func (tftpHelper) Proto() uint8  { return ProtoUDP }
func (tftpHelper) NewConn() Conn { return tftpConn{} }

func init() { mustRegister(tftpHelper{}) }

// tftpConn is stateless: every request is judged alone.
type tftpConn struct{}

// Process implements Conn: a request (opcode 1 or 2) in the original
// direction announces the transfer. Other datagrams are ignored (the
// kernel's helper does the same); a request too short to hold an opcode
// is ignored too.
func (tftpConn) Process(in *Input, out *Result) {
	if in.Master == nil || in.Dir != Orig || len(in.Payload) < 2 {
		return
	}
	op := uint16(in.Payload[0])<<8 | uint16(in.Payload[1])
	if op != TFTPReadRequest && op != TFTPWriteRequest {
		return
	}
	m := in.Master
	e := expect(m, Orig, "tftp", ProtoUDP, m.Reply.DstPort, in.Now)
	if m.Reply.DstPort != m.Orig.SrcPort {
		e.DNATPort = m.Orig.SrcPort
	}
	counters.commands.Add(1)
	out.Exps = append(out.Exps, e)
}
