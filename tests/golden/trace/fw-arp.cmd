# setup: tests/golden/trace/capture.sh (ovs-vswitchd (Open vSwitch) 3.1.0, bridge br0 netdev, ports s7t-p1..5 as ofports 1-5), scenario firewall loaded with ovs-ofctl -O OpenFlow15
# normalize: plain
# exit status: 0
ovs-appctl ofproto/trace br0 in_port=1,arp,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=198.51.100.1,arp_tpa=198.51.100.2
