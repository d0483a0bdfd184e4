# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 1
vsctl set bridge br0 protocols=OpenFlow13 && nsx timeout 20 ovs-ofctl -O OpenFlow10 show br0
