# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
vsctl set Flow_Table $(ft 2) groups=\"s6f_bogus[]\",\"NXM_OF_IN_PORT[]x\"
