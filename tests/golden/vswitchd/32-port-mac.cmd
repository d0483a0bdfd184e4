# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one
# normalize: vswitchd
# exit status: 0
ctlmark && psmark && vsctl set port s5r-g1 mac=\"00:5e:00:00:00:03\" -- remove bridge br0 other-config datapath-id -- remove bridge br0 other-config hwaddr && sleep 3 && ctlsince && pssince
