# setup: none (ovs-vswitchd (Open vSwitch) 3.1.0)
# normalize: flows
# exit status: 0
for every case: echo "## NAME"; ovs-ofctl -O OpenFlow13 parse-group SPEC
