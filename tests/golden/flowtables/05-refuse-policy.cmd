# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 1
vsctl set Flow_Table $(ft 0) overflow_policy=refuse && ofctl add-flow br0 "priority=6,ip,nw_dst=203.0.113.6,actions=drop"
