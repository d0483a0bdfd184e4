package alg_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"gswitch/ct/alg"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// Example shows what the tracker does with the packets of an FTP control
// connection committed with ct(commit,alg=ftp,nat(src=203.0.113.7)): a
// client command announcing the inside address is rewritten, the length
// change is recorded, and later segments have seq/ack shifted.
func Example() {
	h, _ := alg.Lookup("ftp")
	conn := h.NewConn() // kept with the connection
	var adj alg.SeqAdjust
	m := alg.Master{Proto: alg.ProtoTCP,
		Orig:  alg.Tuple{Src: netip.MustParseAddr("198.51.100.1"), Dst: netip.MustParseAddr("198.51.100.2"), SrcPort: 40000, DstPort: 21},
		Reply: alg.Tuple{Src: netip.MustParseAddr("198.51.100.2"), Dst: netip.MustParseAddr("203.0.113.7"), SrcPort: 21, DstPort: 50000}}

	// 1. A client segment: PORT with the inside address.
	pk := packet.New(pkttest.TCP4("198.51.100.1", "198.51.100.2", 40000, 21, "PA", 1000, 5000,
		[]byte("PORT 198,51,100,1,78,72\r\n")))
	packet.Parse(pk)
	seq := binary.BigEndian.Uint32(pk.Data[pk.Key.L4+4:])
	payload := alg.Payload(pk)

	//    (ack adjustment, then the tracker's TCP state update, come first)
	adj.ApplyAck(pk, alg.Orig)
	var res alg.Result
	conn.Process(&alg.Input{Master: &m, Dir: alg.Orig, Seq: seq, Payload: payload, Now: 1}, &res)
	for _, e := range res.Exps {
		fmt.Printf("expect %v -> %v:%d, then to %v\n", e.Src, e.Dst, e.DstPort, e.DNATTo)
	}
	var rws []alg.Rewrite
	for _, mt := range res.Matches {
		if r, ok := mt.NATRewrite(seq, len(payload), m.NATAddr(alg.Orig), mt.Port); ok {
			rws = append(rws, r)
			adj.Record(alg.Orig, mt.Seq+uint32(mt.Len), int32(r.Delta()))
		}
	}
	delta, err := alg.ApplyRewrites(pk, rws)
	adj.ApplySeq(pk, alg.Orig) // after the tracker
	fmt.Printf("%q delta %d err %v\n", alg.Payload(pk), delta, err)

	// 2. The next client segment and the server's acknowledgement.
	next := packet.New(pkttest.TCP4("198.51.100.1", "198.51.100.2", 40000, 21, "PA", 1025, 5000, []byte("RETR f\r\n")))
	packet.Parse(next)
	adj.ApplyTCP(next, alg.Orig)
	ack := packet.New(pkttest.TCP4("198.51.100.2", "203.0.113.7", 21, 50000, "A", 5000, 1032, nil))
	packet.Parse(ack)
	adj.ApplyTCP(ack, alg.Reply)
	fmt.Println("client seq", binary.BigEndian.Uint32(next.Data[next.Key.L4+4:]),
		"server ack", binary.BigEndian.Uint32(ack.Data[ack.Key.L4+8:]),
		"checksums", pkttest.VerifyChecksums(pk.Data), pkttest.VerifyChecksums(next.Data))
	// Output:
	// expect 198.51.100.2 -> 203.0.113.7:20040, then to 198.51.100.1
	// "PORT 203,0,113,7,78,72\r\n" delta -1 err <nil>
	// client seq 1024 server ack 1033 checksums <nil> <nil>
}
