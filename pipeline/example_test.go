package pipeline_test

import (
	"fmt"

	"gswitch/packet"
	"gswitch/packet/pkttest"
	"gswitch/pipeline"
)

type printSender struct{}

func (printSender) Output(port uint32, pk *packet.Packet) {
	fmt.Printf("port %d: %d bytes, ttl %d\n", port, len(pk.Data), pk.Key.NwTTL())
}
func (printSender) Flush() {}

func ExampleDatapath() {
	d := pipeline.New(pipeline.Config{Sender: printSender{}})
	d.SetPorts([]pipeline.PortInfo{{No: 1, Up: true}, {No: 2, Up: true}})

	var m pipeline.Match
	m.SetExact(packet.FieldInPort, packet.U128{Lo: 1})
	m.SetExact(packet.FieldEthType, packet.U128{Lo: packet.EthTypeIPv4})
	err := d.FlowMod(&pipeline.FlowMod{
		Command: pipeline.FlowAdd,
		Spec: pipeline.FlowSpec{Priority: 10, Match: m, Inst: pipeline.Instructions{
			HasApply: true, GotoTable: -1,
			Apply: []pipeline.Action{pipeline.DecTTL{ControllerIDs: []uint16{0}}, pipeline.Output{Port: 2}},
		}},
		OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny,
	}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}

	pk := packet.New(pkttest.UDP4("198.51.100.1", "198.51.100.2", 5000, 53, []byte("query")))
	pk.Key.SetInPort(1)
	d.Process(&packet.Batch{Pkts: []*packet.Packet{pk}, Now: 1})

	// A flow-mod that OpenFlow forbids comes back as an OpenFlow error.
	err = d.FlowMod(&pipeline.FlowMod{Command: pipeline.FlowAdd,
		Spec:    pipeline.FlowSpec{Table: 1, Inst: pipeline.Instructions{GotoTable: 0}},
		OutPort: pipeline.PortAny, OutGroup: pipeline.GroupAny}, 0)
	fmt.Println(err)
	// Output:
	// port 2: 60 bytes, ttl 63
	// goto_table:0 from table 1 (OFPT_ERROR type 3 code 2)
}
