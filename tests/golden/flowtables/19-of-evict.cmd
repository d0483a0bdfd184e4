# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl -- --id=@t create Flow_Table flow_limit=1 -- set bridge br0 flow_tables:4=@t &&
ofctl add-flow br0 "table=4,priority=1,hard_timeout=300,actions=drop" && ofctl add-flow br0 "table=4,priority=2,hard_timeout=300,actions=drop";
ofctl -O OpenFlow15 mod-table br0 4 evict && desc && ofctl add-flow br0 "table=4,priority=2,hard_timeout=300,actions=drop" && ofctl --no-stats dump-flows br0 table=4
