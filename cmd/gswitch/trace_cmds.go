package main

// ofproto/trace and ofproto/trace-packet-out (ovs-vswitchd(8)), with OVS
// 3.1's argument handling and error texts (ofproto-dpif-trace.c's
// parse_flow_and_packet); the trace itself is pipeline.Datapath.Trace
// printed by ofptext.Trace.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gswitch/datapath"
	"gswitch/ofptext"
	"gswitch/pipeline"
)

// traceArgs is what parse_flow_and_packet makes of the arguments.
type traceArgs struct {
	br       *datapath.Bridge
	flow     *ofptext.ExactFlow
	frame    []byte // the packet given in hex, or generated
	generate bool
	l7len    int
	opts     pipeline.TraceOptions
}

// parseTraceArgs parses [options] bridge br_flow [packet]. gswitch takes
// bridge flows only (not the datapath flows OVS also accepts), and adds
// --ct-real: ct actions run on the real connection table.
func (s *Switch) parseTraceArgs(argv []string) (*traceArgs, error) {
	ta := &traceArgs{l7len: 64}
	var args []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "-generate" || a == "--generate":
			ta.generate = true
		case a == "--l7":
			if i+1 >= len(argv) {
				return nil, fmt.Errorf("Missing argument for option %s", a)
			}
			i++
			d, err := ofptext.ParseHexBytes(argv[i])
			if err != nil {
				return nil, errors.New("Trailing garbage in packet data")
			}
			ta.l7len = len(d)
		case a == "--l7-len":
			if i+1 >= len(argv) {
				return nil, fmt.Errorf("Missing argument for option %s", a)
			}
			i++
			n, _ := strconv.Atoi(argv[i])
			if n > 64000 {
				return nil, fmt.Errorf("%s: too much L7 data", argv[i])
			}
			ta.l7len = max(n, 0)
		case a == "-names" || a == "--names":
		case a == "--ct-next":
			if i+1 >= len(argv) {
				return nil, fmt.Errorf("Missing argument for option %s", a)
			}
			i++
			st, err := ofptext.ParseCtState(argv[i])
			if err != nil {
				return nil, err
			}
			ta.opts.CtNext = append(ta.opts.CtNext, st)
		case a == "--ct-real":
			ta.opts.RealCT = true
		case strings.HasPrefix(a, "-"):
			return nil, fmt.Errorf("%s: unknown option", a)
		case len(args) >= 3:
			return nil, errors.New("too many arguments")
		default:
			args = append(args, a)
		}
	}
	if !ta.generate && len(args) > 1 {
		frame, err := ofptext.ParseHexPacket(args[len(args)-1])
		if err == nil {
			ta.frame = frame
			args = args[:len(args)-1]
		} else if len(args) > 2 {
			return nil, err
		}
	}
	switch len(args) {
	case 2:
	case 1:
		return nil, fmt.Errorf("%s: gswitch traces bridge flows only (or the bridge name was omitted)", args[0])
	default:
		return nil, errors.New("Syntax error")
	}
	ta.br = s.bridge(args[0])
	if ta.br == nil {
		return nil, fmt.Errorf("%s: unknown bridge", args[0])
	}
	names := map[string]uint32{}
	for _, p := range ta.br.Ports() {
		names[p.Name] = p.No
	}
	names[ta.br.Name()] = pipeline.PortLocal
	fl, err := ofptext.ParseExactFlow(args[1], func(n string) (uint32, bool) { p, ok := names[n]; return p, ok })
	if err != nil {
		return nil, fmt.Errorf("Bad openflow flow syntax: %s", err.Error())
	}
	ta.flow = fl
	return ta, nil
}

// ofprotoTrace is `ofproto/trace [options] bridge br_flow [packet]`.
func (s *Switch) ofprotoTrace(argv []string) (string, error) {
	ta, err := s.parseTraceArgs(argv)
	if err != nil {
		return "", err
	}
	payload := 0
	if ta.generate {
		payload = ta.l7len
	}
	pk := ofptext.TracePacket(ta.flow, ta.frame, payload)
	ta.opts.SideEffects = ta.frame != nil || ta.generate
	ta.opts.Now = ta.br.Now()
	t := ofptext.NewTrace(ta.br.Name(), pk)
	ta.br.Pipeline().Trace(pk, ta.opts, t)
	return t.String() + "\n", nil
}
