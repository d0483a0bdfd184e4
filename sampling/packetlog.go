package sampling

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"gswitch/packet"
	"gswitch/pipeline"
)

// PacketLog is a collector that writes sampled packets to a pcapng file,
// each with a comment naming where it was sampled (Comment). When the file
// passes MaxSize bytes it is rotated: PATH becomes PATH.1, PATH.1 PATH.2,
// and so on up to PATH.Keep, and a new PATH begins.
type PacketLog struct {
	Path    string
	MaxSize int64 // 0: DefaultMaxSize
	Keep    int   // rotated files kept; 0: DefaultKeep

	f  *os.File
	bw *bufio.Writer
	pw *PcapngWriter
}

// Rotation defaults.
const (
	DefaultMaxSize = 64 << 20
	DefaultKeep    = 4
)

// OpenPacketLog creates (or truncates) path and writes the section header:
// a path that cannot be written is an error here, not later.
func OpenPacketLog(path string, maxSize int64, keep int) (*PacketLog, error) {
	l := &PacketLog{Path: path, MaxSize: maxSize, Keep: keep}
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultMaxSize
	}
	if l.Keep <= 0 {
		l.Keep = DefaultKeep
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *PacketLog) open() error {
	f, err := os.OpenFile(l.Path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("packet log: %w", err)
	}
	l.f = f
	l.bw = bufio.NewWriterSize(f, 64<<10)
	l.pw, err = NewPcapngWriter(l.bw)
	if err == nil {
		err = l.bw.Flush()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("packet log %s: %w", l.Path, err)
	}
	return nil
}

// rotate closes the file and shifts the old ones by one.
func (l *PacketLog) rotate() error {
	if err := l.closeFile(); err != nil {
		return err
	}
	for i := l.Keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.Path, i), fmt.Sprintf("%s.%d", l.Path, i+1)) // a missing one is fine
	}
	if err := os.Rename(l.Path, l.Path+".1"); err != nil {
		return fmt.Errorf("packet log: %w", err)
	}
	return l.open()
}

func (l *PacketLog) closeFile() error {
	err := l.bw.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Write writes r and flushes when the queue has nothing more (the file
// is then readable up to this packet).
func (l *PacketLog) Write(r *Record) error {
	if l.pw.Size() >= l.MaxSize {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	id, err := l.pw.Interface(r.Bridge)
	if err != nil {
		return err
	}
	var dir uint32
	switch r.Action.Direction {
	case pipeline.SampleIngress:
		dir = flagInbound
	case pipeline.SampleEgress:
		dir = flagOutbound
	}
	if err := l.pw.Packet(id, r.Time, r.Data, r.OrigLen, Comment(r), dir); err != nil {
		return err
	}
	return l.bw.Flush()
}

// Close flushes and closes the file.
func (l *PacketLog) Close() error { return l.closeFile() }

// Describe names the log.
func (l *PacketLog) Describe() string { return "packet-log " + l.Path }

var ctStateNames = [...]string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}

// Comment is the text a packet log gives a record: key=value pairs,
// values as ovs-ofctl prints them, so that one rule's packets are found
// with grep (tshark -T fields -e frame.comment), e.g.
//
//	bridge=br0 table=1 cookie=0x64 in_port=1 ct_state=new|trk ct_zone=0 ct_mark=0 ct_label=0 collector_set_id=1 obs_domain_id=1 obs_point_id=100
func Comment(r *Record) string {
	var b strings.Builder
	w := &r.Key.W
	fmt.Fprintf(&b, "bridge=%s table=%d cookie=%#x in_port=%d ct_state=", r.Bridge, r.Table, r.Cookie, w.InPort())
	cs := w.CtState()
	if cs == 0 {
		b.WriteString("0")
	}
	sep := ""
	for i, n := range ctStateNames {
		if cs&(1<<i) != 0 {
			b.WriteString(sep + n)
			sep = "|"
		}
	}
	fmt.Fprintf(&b, " ct_zone=%d ct_mark=%#x ct_label=%s", w.CtZone(), w.CtMark(), label(w))
	fmt.Fprintf(&b, " collector_set_id=%d obs_domain_id=%d obs_point_id=%d",
		r.Action.CollectorSetID, r.Action.ObsDomainID, r.Action.ObsPointID)
	switch r.Action.Direction {
	case pipeline.SampleIngress:
		b.WriteString(" direction=ingress")
	case pipeline.SampleEgress:
		b.WriteString(" direction=egress")
	}
	return b.String()
}

func label(w *packet.Words) string {
	hi, lo := w.CtLabel()
	if hi == 0 {
		return fmt.Sprintf("%#x", lo)
	}
	return fmt.Sprintf("%#x%016x", hi, lo)
}
