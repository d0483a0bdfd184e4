# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
nsx timeout 20 ovs-ofctl add-flow br0 "priority=5,ip,actions=ct(commit),NORMAL" && ctlmark && psmark && vsctl set bridge br0 other-config:hwaddr=\"02:5e:00:00:00:a0\" && sleep 3 && ctlsince && pssince && nsx timeout 20 ovs-ofctl dump-flows br0 --no-stats
