# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl -- --id=@t create Flow_Table name=s6f-main -- set bridge br0 flow_tables:0=@t && ofctl -O OpenFlow13 dump-table-features br0 | sed -n "1,/^  table 1/p" | grep -E "^  table|^  tables|max_entries|metadata: match"
