package dpctl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gswitch/ct"
)

// EventsUsage is ct-events' usage, as list-commands shows it.
const EventsUsage = "[-m] [-s] [--format=json] [dp] [zone=N] [count=N] [duration=SECS]"

// EventSink is where Events writes: a control connection's stream (the
// control socket's Stream has these methods).
type EventSink interface {
	// Streaming reports whether the client takes the events as they come;
	// false: it takes one reply, Events' result.
	Streaming() bool
	// Start tells a streaming client that the subscription runs.
	Start() error
	// Write sends text to a streaming client.
	Write(text string) error
	// Done is closed when the client goes away (nil: never).
	Done() <-chan struct{}
}

// maxEventsReply bounds the text a one-reply ct-events collects.
const maxEventsReply = 16 << 20

// lostPoll is how often a reader with nothing queued looks for losses
// that no later event has carried.
const lostPoll = 200 * time.Millisecond

// eventsArgs are ct-events' arguments.
type eventsArgs struct {
	o        options
	zone     *uint16
	count    uint64
	duration time.Duration
}

func parseEventsArgs(args []string) (eventsArgs, error) {
	var e eventsArgs
	var err error
	if e.o, args, err = parseOptions(args); err != nil {
		return e, err
	}
	if len(args) > 0 && isDPName(args[0]) {
		args = args[1:]
	}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "zone":
			z, ok := scanZone(a)
			if !ok {
				return e, einval("ct-events: %q: zone must be a number from 0 to 65535", a)
			}
			e.zone = &z
		case "count":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return e, einval("ct-events: %q: count must be a positive number", a)
			}
			e.count = n
		case "duration":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return e, einval("ct-events: %q: duration must be a positive number of seconds", a)
			}
			e.duration = time.Duration(n) * time.Second
		default:
			return e, einval("ct-events: unknown argument %q (expected zone=N, count=N or duration=SECS)", a)
		}
	}
	return e, nil
}

// Events is gswitch's ct-events (dpctl/ct-events): it subscribes to t's
// connection events (of zone=N only, if given) and writes one line per
// event, as `conntrack -E` does for the kernel's tracker: the
// dump-conntrack line (with -m and -s as dump-conntrack's) prefixed by
// "[NEW] ", "[UPDATE] " or "[DESTROY] ", a DESTROY's reason after a
// space (" reason=timeout"); events the subscription lost (its queue
// was full) as "[LOST] N". With --format=json each line is
// dump-conntrack --format=json's object of the connection plus "event"
// and (DESTROY) "reason", and a loss is {"event":"lost","count":N}.
//
// A streaming client gets the lines as they come until count=N events,
// duration=SECS or its going away; a one-reply client (ovs-appctl) must
// give count=N or duration=SECS and gets the lines at the end.
func Events(t *ct.Tracker, args []string, sink EventSink) (string, error) {
	e, err := parseEventsArgs(args)
	if err != nil {
		return "", err
	}
	stream := sink.Streaming()
	if !stream && e.count == 0 && e.duration == 0 {
		return "", einval("ct-events: this client takes one reply (ovs-appctl): give count=N or duration=SECS, or use gswitch ctl, which streams")
	}
	sub := t.Subscribe(e.zone, 0)
	defer sub.Close()
	if err := sink.Start(); err != nil {
		return "", nil
	}
	var end <-chan time.Time
	if e.duration > 0 {
		tm := time.NewTimer(e.duration)
		defer tm.Stop()
		end = tm.C
	}
	tick := time.NewTicker(lostPoll)
	defer tick.Stop()
	var b strings.Builder
	var n uint64
	// flush sends what b holds to a streaming client.
	flush := func() error {
		if !stream || b.Len() == 0 {
			return nil
		}
		err := sink.Write(b.String())
		b.Reset()
		return err
	}
	for {
		select {
		case ev := <-sub.Events():
			// Take what else is queued too, so that a busy stream sends
			// a batch of lines per message.
			for more := true; more; {
				if ev.Lost > 0 {
					b.WriteString(FormatLost(ev.Lost, e.o.json))
				}
				b.WriteString(FormatEvent(&ev, e.o.json, e.o.verbose, e.o.stats))
				n++
				if (e.count > 0 && n >= e.count) || b.Len() >= maxEventsReply {
					if stream {
						return "", flush()
					}
					return b.String(), nil
				}
				select {
				case ev = <-sub.Events():
				default:
					more = false
				}
			}
			if err := flush(); err != nil {
				return "", nil // the client went away
			}
		case <-tick.C:
			if l := sub.TakeLost(); l > 0 {
				b.WriteString(FormatLost(l, e.o.json))
				if err := flush(); err != nil {
					return "", nil
				}
			}
		case <-end:
			if l := sub.TakeLost(); l > 0 {
				b.WriteString(FormatLost(l, e.o.json))
			}
			if stream {
				return "", flush()
			}
			return b.String(), nil
		case <-sink.Done():
			return "", nil
		}
	}
}

// eventPrefix is the text line's prefix of each event kind.
var eventPrefix = map[ct.EventType]string{
	ct.EventNew: "[NEW] ", ct.EventUpdate: "[UPDATE] ", ct.EventDestroy: "[DESTROY] ",
}

// jsonEvent is a JSON event line: the connection's dump object plus the
// event and its reason.
type jsonEvent struct {
	jsonConn
	Event  string `json:"event"`
	Reason string `json:"reason,omitempty"`
}

// FormatEvent returns ev's line (newline included): text, or with asJSON
// the JSON object; verbose and stats are dump-conntrack's -m and -s.
func FormatEvent(ev *ct.Event, asJSON, verbose, stats bool) string {
	if asJSON {
		j := jsonEvent{jsonConn: jsonConns([]ct.Conn{ev.Conn})[0], Event: ev.Type.String(), Reason: ev.Reason.String()}
		b, err := json.Marshal(j)
		if err != nil {
			return fmt.Sprintf("{\"event\":\"error\",\"error\":%q}\n", err.Error())
		}
		return string(b) + "\n"
	}
	line := eventPrefix[ev.Type] + formatConn(&ev.Conn, verbose, stats)
	if ev.Reason != ct.ReasonNone {
		line += " reason=" + ev.Reason.String()
	}
	return line + "\n"
}

// FormatLost returns the line that reports n lost events.
func FormatLost(n uint64, asJSON bool) string {
	if asJSON {
		return fmt.Sprintf("{\"event\":\"lost\",\"count\":%d}\n", n)
	}
	return fmt.Sprintf("[LOST] %d\n", n)
}
