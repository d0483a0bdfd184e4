# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
ctlmark && psmark && vsctl set bridge br0 other-config:hwaddr=\"01:5e:00:00:00:01\" && sleep 3 && ctlsince && pssince
