# setup: private ovsdb-server and ovs-vswitchd (Open vSwitch) 3.1.0 in namespace s6d-fm, started by tests/golden/vswitchd/failmode.sh (see its header); bridge br0 datapath_type=netdev, no ports
# normalize: plain
# exit status: 0
bash tests/golden/vswitchd/failmode.sh >tests/golden/vswitchd/failmode.txt
