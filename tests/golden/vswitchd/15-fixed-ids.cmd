# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl set bridge br1 other-config:datapath-id=00000000000000b1 other-config:hwaddr=\"02:5e:00:00:00:b1\" fail_mode=secure
