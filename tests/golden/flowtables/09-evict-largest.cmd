# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
ofctl add-flow br0 "table=2,in_port=2,dl_dst=02:5e:00:00:bb:10,hard_timeout=500,actions=drop"
