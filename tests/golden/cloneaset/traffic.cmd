# setup: private OVS (ovs-vswitchd (Open vSwitch) 3.1.0), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports PFX-p1..5 as ofports 1-5 with their veth peers PFX-pN-x in the switch's namespace (IPv6 off; PFX-p1-x 198.51.100.1/24, 198.51.100.2 a static neighbour); per case named in the script: del-flows, del-groups, its group and flows from cases.tsv (-O OpenFlow13), dpctl/flush-conntrack, 3 UDP datagrams 198.51.100.1:5000 -> 198.51.100.2:9 from PFX-p1-x, tx_packets of ports 2-5 (ovs-ofctl dump-ports) after minus before
# normalize: plain
# exit status: 0
tests/ovsref/capture-cloneaset-traffic.sh
