# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 1
vsctl -- --id=@t create Flow_Table flow_limit=1 -- set bridge br0 flow_tables:1=@t && for s in 01 02; do ofctl packet-out br0 "in_port=LOCAL packet=$(pkt $s) actions=learn(table=1,hard_timeout=600,NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])"; done
