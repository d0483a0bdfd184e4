package pipeline

// Datapath event counters: every reason a packet is dropped has one.
const (
	cPackets           = iota // packets received by Process
	cPacketOut                // packets sent by PacketOut
	cOutputs                  // packets handed to the Sender
	cOutputsOwned             // of those, packets handed over without a copy (OwningSender)
	cPacketIn                 // packets handed to the PacketInSink
	cTableMiss                // lookups that matched no flow (the packet goes on as if the flow had no actions)
	cRecirculations           // tracked copies re-entering the pipeline (ct table=N)
	cCtExecute                // packets sent through the connection tracker
	cRecircLimit              // drop: ct(table=N) beyond MaxRecircDepth
	cResubmitLimit            // drop: resubmit beyond MaxResubmitDepth or MaxResubmits
	cResubmitCtInvalid        // resubmit(,,ct) of an untracked or invalid packet: no lookup
	cInvalidTTL               // drop: dec_ttl on TTL 0 or 1
	cOutputInPort             // drop: output to the in_port without IN_PORT
	cOutputNoPort             // drop: output to a port that does not exist
	cOutputBadPort            // drop: output to TABLE or ANY from a flow
	cNoLocalPort              // drop: output to LOCAL with no local port
	cNoSender                 // drop: no Sender configured
	cNoPacketInSink           // drop: packet-in with no PacketInSink
	cNoTracker                // drop: ct with no Tracker configured
	cGroupMissing             // drop: group that does not exist
	cGroupDepth               // drop: groups nested beyond MaxGroupDepth
	cGroupNoLiveBucket        // drop: fast-failover or select group with no live bucket
	cPushVLANFailed           // push_vlan that did not fit (frame too short or no room)
	cNormalReserved           // drop: NORMAL of a frame to a reserved multicast address (STP, LLDP...)
	cNormalBadSource          // drop: NORMAL of a frame with a multicast source address
	cNormalSamePort           // drop: NORMAL to the port the destination was learned on, = in_port
	cNormalBadVLAN            // drop: NORMAL of a frame whose VLAN its in_port does not carry
	cNormalFlood              // NORMAL floods (unknown or multicast destination)
	cMACLearned               // NORMAL learned a new MAC address
	cMACTableFull             // NORMAL could not learn: MAC table full
	cEMCHit                   // lookups answered by the exact-match cache
	cStackTooDeep             // drop: push: onto a full stack (packet.StackDepth entries)
	cStackUnderflow           // pop: from an empty stack (nothing written, as OVS)
	cLearned                  // learn added or changed a flow
	cLearnRefused             // learn: limit= reached (nothing learned, result_dst 0)
	cLearnDropped             // learn: the queue of pending learns was full (nothing learned)
	cLearnFailed              // learn: the flow could not be added (table full)
	cMPLSTooManyLabels        // drop: push_mpls onto 3 labels, pop_mpls of a stack without a bottom in 3 (OVS: too many MPLS LSEs)
	cMeterDrop                // drop: a meter's drop band (OVS datapath_drop_meter)
	cPaused                   // packets stopped by controller(pause), sent with their continuation
	cResumed                  // continuations resumed (NXT_RESUME)
	cSampled                  // packets a sample action picked and handed to the Sampler
	cSampleNoCollector        // packets a sample action picked with no Sampler configured
	numCounters
)

var counterNames = [numCounters]string{
	cPackets:           "datapath_packets",
	cPacketOut:         "datapath_packet_out",
	cOutputs:           "datapath_output",
	cOutputsOwned:      "datapath_output_handed_over",
	cPacketIn:          "datapath_packet_in",
	cTableMiss:         "table_miss",
	cRecirculations:    "recirculation",
	cCtExecute:         "ct_execute",
	cRecircLimit:       "drop_recirc_depth",
	cResubmitLimit:     "drop_resubmit_limit",
	cResubmitCtInvalid: "resubmit_ct_invalid",
	cInvalidTTL:        "invalid_ttl",
	cOutputInPort:      "drop_output_in_port",
	cOutputNoPort:      "drop_output_no_port",
	cOutputBadPort:     "drop_output_bad_port",
	cNoLocalPort:       "drop_no_local_port",
	cNoSender:          "drop_no_sender",
	cNoPacketInSink:    "drop_no_packet_in_sink",
	cNoTracker:         "drop_no_tracker",
	cGroupMissing:      "drop_group_missing",
	cGroupDepth:        "drop_group_depth",
	cGroupNoLiveBucket: "drop_group_no_live_bucket",
	cPushVLANFailed:    "push_vlan_failed",
	cNormalReserved:    "drop_normal_reserved_multicast",
	cNormalBadSource:   "drop_normal_multicast_source",
	cNormalSamePort:    "drop_normal_same_port",
	cNormalBadVLAN:     "drop_normal_bad_vlan",
	cNormalFlood:       "normal_flood",
	cMACLearned:        "mac_learned",
	cMACTableFull:      "mac_table_full",
	cEMCHit:            "emc_hit",
	cStackTooDeep:      "drop_stack_too_deep",
	cStackUnderflow:    "stack_underflow",
	cLearned:           "learn_installed",
	cLearnRefused:      "learn_limit_reached",
	cLearnDropped:      "drop_learn_queue_full",
	cLearnFailed:       "learn_failed",
	cMPLSTooManyLabels: "drop_too_many_mpls_labels",
	cMeterDrop:         "datapath_drop_meter",
	cPaused:            "paused",
	cResumed:           "resumed",
	cSampled:           "sampled",
	cSampleNoCollector: "drop_sample_no_collector",
}

// Counters returns the datapath's event counters by name (OVS
// coverage/show style): every drop reason, packets, outputs, packet-ins,
// recirculations. Counters only grow.
func (d *Datapath) Counters() map[string]uint64 {
	m := make(map[string]uint64, numCounters)
	for i := range d.ctrs {
		m[counterNames[i]] = d.ctrs[i].Load()
	}
	return m
}

// CounterNames returns the counter names in a fixed order.
func CounterNames() []string { return append([]string(nil), counterNames[:]...) }
