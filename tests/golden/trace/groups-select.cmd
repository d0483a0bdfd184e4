# setup: tests/golden/trace/capture.sh (ovs-vswitchd (Open vSwitch) 3.1.0, bridge br0 netdev, ports s7t-p1..5 as ofports 1-5), scenario groups loaded with ovs-ofctl -O OpenFlow15
# normalize: plain
# exit status: 0
ovs-appctl ofproto/trace br0 in_port=1,udp,nw_src=198.51.100.1,nw_dst=198.51.100.2,udp_dst=2
