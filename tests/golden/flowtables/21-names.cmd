# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl set Flow_Table $(ft 2) name=s6f-evict && ofctl --names --no-stats dump-flows br0 table=2 | sort && ofctl --names --no-stats dump-flows br0 table=s6f-evict | sort
