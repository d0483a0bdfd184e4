# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server run by tests/golden/tunneledge/capture.sh (see its header); each step is the command, its output (the run's temp dir written $T) and its exit status
# normalize: plain
tests/golden/tunneledge/capture.sh
