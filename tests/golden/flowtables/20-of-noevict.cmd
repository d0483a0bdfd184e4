# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
ofctl -O OpenFlow15 mod-table br0 4 noevict && desc; ofctl add-flow br0 "table=4,priority=3,hard_timeout=300,actions=drop"; ofctl --no-stats dump-flows br0 table=4
