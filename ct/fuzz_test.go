package ct

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"gswitch/ct/alg"
	"gswitch/packet"
)

// FuzzExecute builds a packet sequence from the fuzzer's bytes (each
// 12-byte record is one packet or one table operation) and runs it
// through a small tracker. Invariants: no panic, every connection is
// reachable from both of its keys, the counts equal the table.
func FuzzExecute(f *testing.F) {
	f.Add([]byte{0, 0, 0x02, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0x12, 0, 0, 0, 1, 0, 0, 0, 0, 0})
	f.Add([]byte("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x02\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x03\x00"))
	// FTP: SYN to 21 with alg=ftp, PORT, the data SYN; TFTP request.
	f.Add([]byte("\x09\x80\x00\x02\x00\x00\x03\xe8\x00\x00\x00\x00" +
		"\x09\xa0\x00\x12\x00\x00\x13\x88\x00\x00\x00\x00" +
		"\x09\x80\x00\x18\x00\x00\x03\xe9\x00\x00\x48\x00" +
		"\x09\x84\x00\x82\x00\x00\x00\x01\x00\x00\x48\x00" +
		"\x0a\x80\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00" +
		"\x0a\x84\x00\x01\x00\x00\x00\x00\x00\x00\x05\x00"))
	f.Add([]byte("\x07\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x05\x03\x10\x00\x00\x00\x05\x00\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := New(Config{MaxConns: 64, Shards: 4})
		tr.SetZoneLimit(3, 5)
		now := int64(time.Second)
		var last *packet.Packet
		for len(data) >= 12 {
			r := data[:12]
			data = data[12:]
			now += int64(r[11]) * int64(100*time.Millisecond)
			p := Params{Zone: uint16(r[1] & 3), Commit: r[1]&4 == 0, Force: r[1]&8 != 0,
				SetMark: r[1]&16 != 0, Mark: uint32(r[10]), MarkMask: 0xff}
			if r[1]&0x40 != 0 {
				// nat: bare, src or dst, with or without an address and
				// a (possibly tiny) port range.
				n := &NAT{Flags: uint16(r[2]>>2) & (NATSrc | NATDst | NATRandom)}
				if r[2]&0x80 != 0 {
					n.RangePresent |= NATRangeIPv4Min | NATRangeIPv4Max
					n.AddrMin = [16]byte{203, 0, 113, 1}
					n.AddrMax = [16]byte{203, 0, 113, 1 + r[10]&3}
					if r[0]&0x80 != 0 {
						n.RangePresent = NATRangeIPv6Min
						n.AddrMin = [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 9}
					}
				}
				if r[8]&1 != 0 {
					n.RangePresent |= NATRangeProtoMin | NATRangeProtoMax
					n.PortMin, n.PortMax = 100, 100+uint16(r[8]>>5)
				}
				p.NAT = n
			}
			dir := r[1]&0x20 != 0
			src, dst := A, B
			if r[0]&0x80 != 0 {
				src, dst = "2001:db8::1", "2001:db8::2"
			}
			if dir {
				src, dst = dst, src
			}
			sp, dp := uint16(1000+int(r[2]&3)), uint16(80)
			if dir {
				sp, dp = dp, sp
			}
			var pk *packet.Packet
			switch r[0] & 0x0f {
			case 0, 1, 2:
				pk = tcpFrame(seg{src: src, dst: dst, sport: sp, dport: dp, flags: uint16(r[3]) & 0x3f,
					seq: binary.BigEndian.Uint32(r[4:]), ack: binary.BigEndian.Uint32(r[6:]),
					win: uint16(r[8]) << 8, payload: int(r[9] & 0x3f), wscale: int(r[9]>>6) * 5})
			case 3:
				pk = udpFrame(src, dst, sp, dp, int(r[9]&7))
			case 4:
				typ := r[3]
				pk = icmpFrame(src, dst, typ, r[4]&1, uint16(r[5]), nil)
			case 5:
				// An ICMP error quoting the previous packet (maybe cut).
				if last != nil {
					q := ipDatagram(last)
					q = q[:int(r[9])%(len(q)+1)]
					typ := uint8(icmp4DstUnreach)
					if r[0]&0x80 != 0 {
						typ = icmp6DstUnreach
					}
					pk = icmpFrame(dst, src, typ, 0, 0, q)
				}
			case 6:
				tr.Sweep(now)
			case 7:
				tr.Flush(FlushFilter{HasZone: r[2]&1 != 0, Zone: uint16(r[3] & 3), Proto: r[4] & 0x1f})
			case 8:
				// Raw bytes as a frame.
				b := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 40}, r...)
				pk = packet.New(b)
				packet.Parse(pk)
			case 9, 10:
				// FTP control segments (to or from port 21, under
				// alg=ftp when bit 0x80 of r[1] is set) announcing data
				// connections, or TFTP requests (10, under alg=tftp).
				if r[1]&0x80 != 0 {
					p.Alg = AlgFTP
					if r[0]&0x0f == 10 {
						p.Alg = AlgTFTP
					}
				}
				cmds := []string{"PORT 198,51,100,1,78,%d\r\n", "227 Entering Passive Mode (198,51,100,2,78,%d)\r\n",
					"EPRT |1|198.51.100.1|%d|\r\n", "229 Entering Extended Passive Mode (|||%d|)\r\n",
					"EPRT |2|2001:db8::1|%d|\r\n", "PORT 203,0,113,9,0,%d\r\n", "PORT 198,51,1", "00,1,78,%d\r\n"}
				payload := []byte(fmt.Sprintf(cmds[r[9]&7], r[10]))
				if dir {
					sp, dp = 21, uint16(1000+int(r[2]&3))
				} else {
					sp, dp = uint16(1000+int(r[2]&3)), 21
				}
				if r[0]&0x0f == 10 {
					u := make([]byte, 8+4)
					binary.BigEndian.PutUint16(u[0:], 20000+uint16(r[10]))
					binary.BigEndian.PutUint16(u[2:], 69)
					binary.BigEndian.PutUint16(u[4:], 12)
					copy(u[8:], "\x00\x01f\x00")
					if r[3]&1 != 0 {
						// The server's reply from a new port.
						binary.BigEndian.PutUint16(u[0:], 30000)
						binary.BigEndian.PutUint16(u[2:], 20000+uint16(r[10]))
						src, dst = dst, src
					}
					pk = frame(src, dst, packet.ProtoUDP, u, 6)
				} else if r[3]&0x80 != 0 {
					// A data connection's SYN.
					pk = tcpFrame(seg{src: dst, dst: src, sport: 20, dport: 19968 + uint16(r[10]), flags: tcpSYN,
						seq: binary.BigEndian.Uint32(r[4:]), wscale: -1})
				} else {
					l4 := make([]byte, 20+len(payload))
					binary.BigEndian.PutUint16(l4[0:], sp)
					binary.BigEndian.PutUint16(l4[2:], dp)
					binary.BigEndian.PutUint32(l4[4:], binary.BigEndian.Uint32(r[4:]))
					binary.BigEndian.PutUint32(l4[8:], binary.BigEndian.Uint32(r[6:]))
					binary.BigEndian.PutUint16(l4[12:], 5<<12|uint16(r[3]&0x3f))
					binary.BigEndian.PutUint16(l4[14:], 65535)
					copy(l4[20:], payload)
					pk = frame(src, dst, packet.ProtoTCP, l4, 16)
				}
			default:
				if last != nil {
					// Same packet again (cached conn path).
					pk = last
				}
			}
			if pk != nil {
				out := tr.Execute([]*packet.Packet{pk}, nil, &p, now)
				for _, o := range out {
					if o.Key.CtState()&packet.CsTrk == 0 {
						t.Fatalf("packet not +trk: %s", stateString(o.Key.CtState()))
					}
				}
				last = pk
			}
		}
		checkInvariants(t, tr)
		if _, err := tr.DPCtl("dump-conntrack", []string{"-m", "-s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.DPCtl("dump-conntrack-exp", nil); err != nil {
			t.Fatal(err)
		}
		if n, max := tr.Expectations(), alg.DefaultTableMax; n > max {
			t.Fatalf("%d expectations", n)
		}
	})
}

// FuzzDPCtl feeds arbitrary arguments to the control commands: no panic.
func FuzzDPCtl(f *testing.F) {
	for _, s := range []string{"flush-conntrack|zone=1|ct_nw_src=1.2.3.4,ct_nw_proto=1,icmp_id=5",
		"ct-set-limits|default=5|zone=1,limit=2", "add-zone-tp|zone=3|udp_first=9", "dump-conntrack|-ms|zone=1",
		"flush-conntrack|mark=0x1/0xff|labels=0xff/0xffffffffffffffffffffffffffffffffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr := New(Config{Shards: 2})
		exec1(tr, udpFrame(A, B, 1, 2, 0), commit, 1)
		parts := splitBar(s)
		if len(parts) == 0 {
			return
		}
		out, err := tr.DPCtl(parts[0], parts[1:])
		if err != nil && out != "" {
			t.Fatalf("both output and error: %q %v", out, err)
		}
		checkInvariants(t, tr)
	})
}

func splitBar(s string) []string {
	var out []string
	cur := ""
	for _, c := range s {
		if c == '|' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(c)
	}
	return append(out, cur)
}

func TestExecuteNoAlloc(t *testing.T) {
	tr := New(Config{})
	established(t, tr)
	pk := fwd(tcpACK|tcpPSH, 101, 501, 100)
	rp := rev(tcpACK, 501, 201, 0)
	u := udpFrame(A, B, 7, 8, 10)
	exec1(tr, u, commit, int64(time.Second))
	batch := []*packet.Packet{pk, rp, u}
	out := make([]*packet.Packet, 0, 8)
	p := &Params{Commit: true}
	now := int64(2 * time.Second)
	allocs := testing.AllocsPerRun(1000, func() {
		for _, x := range batch {
			x.Conn = nil
		}
		out = tr.Execute(batch, out[:0], p, now)
	})
	if allocs != 0 {
		t.Fatalf("established path allocates: %v allocs/run", allocs)
	}
	// The cached fast path (a second ct in the zone) checks the tuple
	// without allocating either.
	allocs = testing.AllocsPerRun(1000, func() {
		out = tr.Execute(batch, out[:0], p, now)
	})
	if allocs != 0 {
		t.Fatalf("cached path allocates: %v allocs/run", allocs)
	}
	for _, x := range out[:2] {
		if s := x.Key.CtState(); s&est == 0 {
			t.Fatalf("state %s", stateString(s))
		}
	}
	_ = fmt.Sprint()
}
