# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2 (veth peers idle); the steps of tests/golden/meters/steps.tsv in order
# normalize: flows-sorted
# exit status: 0
ovs-ofctl -O OpenFlow13 dump-flows br0
