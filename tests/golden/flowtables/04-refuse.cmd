# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl set Flow_Table $(ft 0) flow_limit=3 && for i in 1 2 3; do ofctl add-flow br0 "priority=$i,ip,nw_dst=203.0.113.$i,actions=drop"; done && ofctl add-flow br0 "priority=4,ip,nw_dst=203.0.113.4,actions=drop"; ofctl -O OpenFlow13 add-flow br0 "priority=5,ip,nw_dst=203.0.113.5,actions=drop"; ofctl add-flow br0 "priority=2,ip,nw_dst=203.0.113.2,actions=output:LOCAL"; ofctl mod-flows br0 "ip,nw_dst=203.0.113.1,actions=output:LOCAL"
