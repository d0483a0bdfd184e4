# setup: ovs-vswitchd (Open vSwitch) 3.1.0 and ovsdb-server, private, run by tests/golden/ctzone/capture.sh (see its header): bridge br0 (netdev), ports s5z-a=1, s5z-b=2 in namespace s5z-ref
# normalize: plain
# exit status: 0
tests/golden/ctzone/capture.sh
# the commands are those of tests/golden/ctzone/steps.sh, echoed into ctzone.txt with "$ " before their output
