# setup: private OVS (ovs-vswitchd (Open vSwitch) 3.1.0), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports PFX-p1..5 as ofports 1-5; per case of tests/golden/cloneaset/cases.tsv: del-flows, del-groups, add its group and flows (-O OpenFlow13), then the command below, datapath port numbers printed as OpenFlow ports
# normalize: plain
# exit status: 0
tests/ovsref/capture-cloneaset.sh   # runs, per case: echo "case NAME"; ovs-appctl ofproto/trace br0 in_port=1,udp,nw_src=198.51.100.1,nw_dst=198.51.100.2 | grep '^Datapath actions:' (one line per translation: the packet's, then each recirculation's)
