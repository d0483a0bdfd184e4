# An os-ken (Ryu) application for gswitch's external-controller test.
# It installs only a table-miss flow that sends every packet to the controller,
# then decides each packet itself: TCP to port 7777 is dropped, everything else
# is relayed with a packet-out to the other port (1 <-> 2). So traffic passes
# only through this controller's decisions. Each decision is printed.
from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.ofproto import ofproto_v1_3
from os_ken.lib.packet import packet, tcp


class Relay(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def features(self, ev):
        dp = ev.msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                [parser.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)])]
        dp.send_msg(parser.OFPFlowMod(datapath=dp, priority=0, match=parser.OFPMatch(), instructions=inst))
        print("GSWITCH-TEST features dpid=%016x" % dp.id, flush=True)

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        in_port = msg.match['in_port']
        pkt = packet.Packet(msg.data)
        t = pkt.get_protocol(tcp.tcp)
        if t is not None and (t.dst_port == 7777 or t.src_port == 7777):
            print("GSWITCH-TEST drop tcp 7777 in_port=%d" % in_port, flush=True)
            return
        out = 2 if in_port == 1 else 1
        dp.send_msg(parser.OFPPacketOut(datapath=dp, buffer_id=ofp.OFP_NO_BUFFER, in_port=in_port,
                                        actions=[parser.OFPActionOutput(out)], data=msg.data))
        print("GSWITCH-TEST relay in_port=%d out=%d len=%d" % (in_port, out, len(msg.data)), flush=True)
