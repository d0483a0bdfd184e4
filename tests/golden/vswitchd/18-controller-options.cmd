# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
ctlmark && vsctl set controller br0 inactivity_probe=30000 max_backoff=2000 connection_mode=out-of-band && sleep 3 && ctlsince
