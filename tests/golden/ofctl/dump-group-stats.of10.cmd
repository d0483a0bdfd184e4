# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off); ovs-ofctl -O OpenFlow13 add-groups br0 tests/golden/flows/kitchen-sink.groups; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/ct-firewall.flows; 3x ovs-ofctl packet-out br0 'in_port=1 packet=ffffffffffff0200000000010806000108000604000102000000000001c6336401000000000000c6336402 actions=table' (ARP request 198.51.100.1 -> 198.51.100.2)
# normalize: flows-sorted
# exit status: 0
ovs-ofctl dump-group-stats br0
