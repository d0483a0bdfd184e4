# setup: tests/golden/trace/capture.sh (ovs-vswitchd (Open vSwitch) 3.1.0, bridge br0 netdev, ports s7t-p1..5 as ofports 1-5), scenario firewall loaded with ovs-ofctl -O OpenFlow15
# normalize: plain
# exit status: 0
ovs-appctl ofproto/trace br0 in_port=1 0200000000020200000000010800450000280001000040062665c6336401c63364029c4000500000000100000000500220009ee60000
