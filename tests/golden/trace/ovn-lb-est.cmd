# setup: tests/golden/trace/capture.sh (ovs-vswitchd (Open vSwitch) 3.1.0, bridge br0 netdev, ports s7t-p1..5 as ofports 1-5), scenario ovn loaded with ovs-ofctl -O OpenFlow15
# normalize: plain
# exit status: 0
ovs-appctl ofproto/trace br0 in_port=1,tcp,dl_src=02:00:00:00:00:11,dl_dst=02:00:00:00:ff:01,nw_src=198.51.100.11,nw_dst=198.51.100.200,nw_ttl=64,tp_src=40000,tp_dst=80 --ct-next trk,est --ct-next trk,est --ct-next trk,est
