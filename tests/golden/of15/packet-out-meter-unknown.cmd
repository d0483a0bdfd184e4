# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off); the steps run in this order, from the repository's top directory
# normalize: flows
# exit status: 1
ovs-ofctl -O OpenFlow15 packet-out br0 in_port=controller\ packet=020000000002020000000001080045000014000040004011e672c6336401c6336402\ actions=meter:8\,output:1
