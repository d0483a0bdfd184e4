# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl -- --id=@t create Flow_Table flow_limit=6 overflow_policy=evict groups=\"NXM_OF_IN_PORT[]\" -- set bridge br0 flow_tables:2=@t &&
ofctl add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0a,hard_timeout=3000,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0b,hard_timeout=1000,actions=drop" &&
ofctl -O OpenFlow15 add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0c,hard_timeout=2000,importance=5,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0d,idle_timeout=4000,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=2,dl_dst=02:5e:00:00:bb:0e,hard_timeout=100,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=3,dl_dst=02:5e:00:00:bb:0f,actions=drop"
