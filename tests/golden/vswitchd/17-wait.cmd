# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl set bridge br0 protocols=OpenFlow10,OpenFlow13 && vsctl get Open_vSwitch . next_cfg cur_cfg
