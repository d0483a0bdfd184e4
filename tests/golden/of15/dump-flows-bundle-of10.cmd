# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off); the steps run in this order, from the repository's top directory
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow10 dump-flows br0 table=22
