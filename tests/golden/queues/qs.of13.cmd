# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2 (veth peers idle), no QoS; the steps of tests/golden/queues/steps.tsv in order
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow13 queue-stats br0
