# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2 (veth peers idle); the steps of tests/golden/meters/steps.tsv in order
# normalize: plain
# exit status: 1
ovs-ofctl -O OpenFlow13 add-meter br0 meter=all\ kbps\ bands=type=drop\ rate=5
