# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 1
vsctl -- --id=@t create Flow_Table flow_limit=2 overflow_policy=evict -- set bridge br0 flow_tables:3=@t &&
ofctl add-flow br0 "table=3,priority=1,actions=drop" &&
ofctl add-flow br0 "table=3,priority=2,idle_timeout=300,actions=drop" &&
ofctl add-flow br0 "table=3,priority=3,actions=drop"; ofctl add-flow br0 "table=3,priority=4,hard_timeout=300,actions=drop"
