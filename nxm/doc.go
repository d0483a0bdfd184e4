// Package nxm is gswitch's wire codec between OpenFlow bytes and the
// pipeline model (pipeline.Match, pipeline.Action, pipeline.Instructions):
// OXM and NXM matches, OpenFlow 1.0 ofp_match, OpenFlow 1.0 and 1.3 actions,
// Nicira (experimenter 0x00002320) actions including ct, nat, resubmit,
// load/move, output:reg, dec_ttl, note, conjunction, controller, clone, push/pop, check_pkt_larger,
// learn (NXAST_LEARN and NXAST_LEARN2, nxm/learn.go) and fin_timeout,
// multipath, bundle, bundle_load and pop_queue (nxm/nxselect.go), and
// OpenFlow 1.3 instructions.
//
// # Usage
//
// ofproto frames messages and hands the match, action and instruction parts
// to these functions:
//
//	m, n, err := nxm.DecodeOXMMatch(b)          // OpenFlow 1.3 ofp_match
//	in, err := nxm.DecodeInstructions(b[n:])     // OpenFlow 1.3 instructions
//	m, err := nxm.DecodeNXMatch(tlvs)            // NXT_FLOW_MOD, NXST_FLOW, NXT_PACKET_IN
//	m, err := nxm.DecodeOF10Match(b)             // OpenFlow 1.0 OFPT_FLOW_MOD
//	acts, err := nxm.DecodeActions(version, b)   // version 1 or 4
//
// and the Encode* functions to write flows back (dump-flows, flow-removed,
// packet-in matches). Decoding then encoding gives back the bytes OVS's
// ovs-ofctl 3.1 sent, byte for byte, for every flow in testdata/flows.txt
// (captured with TestCaptureOVS): the field order, the choice of OXM or NXM
// header, set_field versus reg_load, and the Nicira action forms follow
// OVS's lib/nx-match.c and lib/ofp-actions.c. Where the model could not
// record which of two wire forms a value came in, pipeline/model.go has a
// field for it (SetField.Wire, Resubmit.Short, OutputReg.V2,
// Controller.V2, DecTTL.CntIDs, PopVLAN.Strip, Output.Enqueue).
//
// OpenFlow 1.0 set actions decode to SetField with a Wire tag (WireOF10*):
// set_dl_src/dst, set_nw_src/dst to the address fields; set_nw_tos to
// ip_dscp; set_tp_src/dst to tcp_src/tcp_dst, meaning "the L4 source or
// destination port, whatever the protocol"; set_vlan_vid to vlan_vid with
// the CFI (present) bit set, meaning "push a tag if there is none";
// set_vlan_pcp to vlan_tci PCP|CFI under mask 0xf000, likewise.
// OFPAT_ENQUEUE decodes to Output with Enqueue and QueueID (in OpenFlow 1.3
// OVS encodes it as set_queue, output, pop_queue, and so does EncodeActions;
// those three decode as three actions). Plain
// dec_ttl decodes to DecTTL{ControllerIDs: [0]}, as OVS treats it.
//
// # Errors
//
// Every decoding error is a *pipeline.Error carrying the OpenFlow 1.3 error
// type and code OVS sends for the same input, made from a pipeline.ErrorCode
// (OVS's name, e.g. pipeline.OFPBMC_BAD_PREREQ, whose OpenFlow 1.0 numbers
// are in the same table). Nicira and ONF extension errors have Type
// pipeline.ErrExperimenter and the exp_type in Code. Besides the wire-level checks (lengths, unknown
// fields, masks, values beyond a field's width, duplicates) the decoders
// apply OVS's checks that belong to decoding: match prerequisites in field
// order (OFPBMC_BAD_PREREQ; each field's prerequisite is packet.Fields', and
// packet.Prereq.MetBy, which the pipeline uses on whole matches, checks it
// against the fields decoded so far), output port ranges, subfield bounds,
// writability, and the nesting rules of ct(exec(...)), write_actions and
// conjunction, and learn's learn_check except its sources' prerequisites,
// which need the flow's match (the pipeline checks those).
// Flow-table checks (goto_table order, group existence, port
// existence) are the pipeline's.
//
// Unsupported but valid OVS input is refused cleanly: Nicira actions we do
// not model (output_trunc, encap/decap, write_metadata, ...) get OFPBAC_BAD_EXP_TYPE; OpenFlow 1.3 MPLS, TTL copy,
// PBB and the deprecated OpenFlow 1.1 set actions get OFPBAC_BAD_TYPE;
// fields we do not model (tun_metadata
// without a TLV mapping, ...; testdata/fields-left-out.txt lists them, and
// TestFieldsAuditVsOVSFields keeps that list complete against ovs-fields(7))
// get OFPBMC_BAD_FIELD.
//
// # How it is checked against Open vSwitch
//
//   - testdata/captures.txt holds 233 flow-mods the real ovs-ofctl 3.1 sent
//     (OpenFlow 1.3, OpenFlow 1.0 ofp_match, and NXT_FLOW_MOD with NXM) for
//     the flows in testdata/flows.txt; TestCapturesRoundTrip decodes each
//     and encodes it back byte for byte. TestCaptureOVS regenerates them
//     with a recording fake switch (GSWITCH_CAPTURE=1).
//   - TestPrivilegedOVSErrors sends every error case of errors_test.go to a
//     private ovs-vswitchd and compares its OFPT_ERROR (OpenFlow 1.3 and
//     1.0 numbering) with ours; TestPrivilegedOVSDifferential does the same
//     for thousands of byte-mutated captured flow-mods. Both run under
//     GSWITCH_PRIV=1 (make privileged) or with GSWITCH_OVS_ADDR.
//
// Known, deliberate differences: OVS answers an unknown set_field header
// with BAD_SET_TYPE or BAD_SET_LEN depending on its hash table's layout (we
// say BAD_SET_TYPE); actions and fields OVS has and gswitch does not model
// are refused as described above.
//
// # Untrusted input
//
// All decoding is bounds-checked Go over the received bytes (a cursor over
// TLVs that always advances and keeps the first error); nothing here uses
// libOpenflow's decoders. Decoders never panic; every decoder has a fuzz
// target whose property is decode → encode → decode = the first decode.
// Decoded values never alias the input (Note data, controller userdata are
// copied).
//
// # Concurrency
//
// The package has no mutable state after init; every function may be
// called from any goroutine.
//
// # Differences from OVS, on purpose
//
// EncodeOXMMatch writes a vlan_tci match that OXM VLAN_VID/VLAN_PCP cannot
// express as NXM_OF_VLAN_TCI (which OVS also accepts in OpenFlow 1.3)
// instead of dropping bits, and writes ct_nw_proto/ct_tp_* whenever they are
// matched. OpenFlow 1.0 matches are normalized as OVS does (fields without
// their prerequisites are dropped).
package nxm
