package dpctl

import (
	"strings"
	"testing"
	"time"

	"gswitch/ct"
	"gswitch/packet"
	"gswitch/packet/pkttest"
)

// sink is an EventSink for tests: streaming or not, its writes collected.
type sink struct {
	stream bool
	writes chan string
	done   chan struct{}
}

func (s *sink) Streaming() bool { return s.stream }
func (s *sink) Start() error    { s.writes <- "<start>"; return nil }
func (s *sink) Write(text string) error {
	s.writes <- text
	return nil
}
func (s *sink) Done() <-chan struct{} { return s.done }

func newSink(stream bool) *sink {
	return &sink{stream: stream, writes: make(chan string, 100), done: make(chan struct{})}
}

// udpTraffic commits a UDP connection 198.51.100.1:5000 -> .2:53 in zone
// 3, sets its mark from the reply, and flushes it.
func udpTraffic(tr *ct.Tracker) {
	run := func(frame []byte, p ct.Params) {
		tr.Execute([]*packet.Packet{pkttest.Parsed(frame)}, nil, &p, int64(time.Second))
	}
	run(pkttest.UDP4("198.51.100.1", "198.51.100.2", 5000, 53, []byte("q")), ct.Params{Zone: 3, Commit: true})
	run(pkttest.UDP4("198.51.100.2", "198.51.100.1", 53, 5000, []byte("a")),
		ct.Params{Zone: 3, Commit: true, SetMark: true, Mark: 7, MarkMask: ^uint32(0)})
	tr.FlushAll()
}

// waitStart waits until Events has subscribed.
func waitStart(t *testing.T, s *sink) {
	t.Helper()
	select {
	case w := <-s.writes:
		if w != "<start>" {
			t.Fatalf("first write %q", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Events did not start")
	}
}

func TestEventsOneReply(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"count=3"}, "[NEW] udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=5000,dport=53),reply=(src=198.51.100.2,dst=198.51.100.1,sport=53,dport=5000),zone=3\n" +
			"[UPDATE] udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=5000,dport=53),reply=(src=198.51.100.2,dst=198.51.100.1,sport=53,dport=5000),zone=3,mark=7\n" +
			"[DESTROY] udp,orig=(src=198.51.100.1,dst=198.51.100.2,sport=5000,dport=53),reply=(src=198.51.100.2,dst=198.51.100.1,sport=53,dport=5000),zone=3,mark=7 reason=flush\n"},
		{[]string{"--format=json", "netdev@ovs-netdev", "zone=3", "count=3"}, `{"proto":"udp","zone":3,"orig":{"src":"198.51.100.1","dst":"198.51.100.2","sport":5000,"dport":53},"reply":{"src":"198.51.100.2","dst":"198.51.100.1","sport":53,"dport":5000},"mark":0,"labels":"0x00000000000000000000000000000000","timeout":60,"event":"new"}` + "\n" +
			`{"proto":"udp","zone":3,"orig":{"src":"198.51.100.1","dst":"198.51.100.2","sport":5000,"dport":53},"reply":{"src":"198.51.100.2","dst":"198.51.100.1","sport":53,"dport":5000},"mark":7,"labels":"0x00000000000000000000000000000000","timeout":30,"event":"update"}` + "\n" +
			`{"proto":"udp","zone":3,"orig":{"src":"198.51.100.1","dst":"198.51.100.2","sport":5000,"dport":53},"reply":{"src":"198.51.100.2","dst":"198.51.100.1","sport":53,"dport":5000},"mark":7,"labels":"0x00000000000000000000000000000000","timeout":30,"event":"destroy","reason":"flush"}` + "\n"},
	} {
		tr := ct.New(ct.Config{Clock: func() int64 { return int64(time.Second) }})
		s := newSink(false)
		res := make(chan string, 1)
		go func() {
			out, err := Events(tr, c.args, s)
			if err != nil {
				out = "error: " + err.Error()
			}
			res <- out
		}()
		waitStart(t, s)
		udpTraffic(tr)
		if got := <-res; got != c.want {
			t.Errorf("%v:\n got %s\nwant %s", c.args, got, c.want)
		}
		if tr.Subscribers() != 0 {
			t.Errorf("%v: subscription left open", c.args)
		}
	}
}

func TestEventsStreamAndLoss(t *testing.T) {
	tr := ct.New(ct.Config{})
	s := newSink(true)
	res := make(chan error, 1)
	go func() {
		_, err := Events(tr, []string{"zone=3"}, s)
		res <- err
	}()
	waitStart(t, s)
	// Another zone's connection is not shown.
	tr.Execute([]*packet.Packet{pkttest.Parsed(pkttest.UDP4("198.51.100.1", "198.51.100.2", 1, 2, nil))}, nil,
		&ct.Params{Zone: 4, Commit: true}, int64(time.Second))
	udpTraffic(tr)
	var got strings.Builder
	for strings.Count(got.String(), "\n") < 3 {
		select {
		case w := <-s.writes:
			got.WriteString(w)
		case <-time.After(5 * time.Second):
			t.Fatalf("stream stopped after %q", got.String())
		}
	}
	lines := strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "[NEW] udp,") || !strings.HasPrefix(lines[1], "[UPDATE] udp,") ||
		!strings.HasSuffix(lines[2], ",zone=3,mark=7 reason=flush") {
		t.Errorf("stream lines %q", lines)
	}
	// The client going away ends it.
	close(s.done)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if tr.Subscribers() != 0 {
		t.Error("subscription left open")
	}
	if got := FormatLost(5, false) + FormatLost(5, true); got != "[LOST] 5\n{\"event\":\"lost\",\"count\":5}\n" {
		t.Errorf("lost lines %q", got)
	}
}

func TestEventsArgs(t *testing.T) {
	tr := ct.New(ct.Config{})
	for _, c := range []struct {
		args   []string
		stream bool
		want   string
	}{
		{nil, false, "ct-events: this client takes one reply (ovs-appctl): give count=N or duration=SECS, or use gswitch ctl, which streams (Invalid argument)"},
		{[]string{"zone=x"}, true, `ct-events: "zone=x": zone must be a number from 0 to 65535 (Invalid argument)`},
		{[]string{"count=0"}, true, `ct-events: "count=0": count must be a positive number (Invalid argument)`},
		{[]string{"duration=-1"}, true, `ct-events: "duration=-1": duration must be a positive number of seconds (Invalid argument)`},
		{[]string{"bogus"}, true, `ct-events: unknown argument "bogus" (expected zone=N, count=N or duration=SECS) (Invalid argument)`},
		{[]string{"--nope"}, true, "Unrecognized option --nope"},
	} {
		if _, err := Events(tr, c.args, newSink(c.stream)); err == nil || err.Error() != c.want {
			t.Errorf("%v: %v, want %s", c.args, err, c.want)
		}
	}
	// duration ends a one-reply run with what came (here nothing).
	if out, err := Events(tr, []string{"duration=1"}, newSink(false)); err != nil || out != "" {
		t.Errorf("duration: %q %v", out, err)
	}
}
