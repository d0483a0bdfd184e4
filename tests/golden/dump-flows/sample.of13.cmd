# setup: private OVS 3.1 (tests/ovsref/ovs-env.sh), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/sample.flows
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow13 dump-flows br0
