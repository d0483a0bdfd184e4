# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
nsx ip link add s5r-g2 address 00:5e:00:00:00:12 type veth peer name s5r-g2-x address 02:5e:00:00:01:12 && nsx ip link set s5r-g2 up && ctlmark && psmark && vsctl add-port br0 s5r-g2 && sleep 3 && ctlsince && pssince
