# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl add-br br1 -- set bridge br1 datapath_type=netdev -- add-port br0 s5r-pa0 -- set interface s5r-pa0 type=patch options:peer=s5r-pa1 -- add-port br1 s5r-pa1 -- set interface s5r-pa1 type=patch options:peer=s5r-pa0
