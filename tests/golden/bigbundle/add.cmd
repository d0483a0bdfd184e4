# setup: private OVS 3.1, ports ggo-p1=1 ggo-p2=2, protocols OpenFlow10,OpenFlow13,OpenFlow15; big.flows: 20000 flows generated as capture.sh section_bigbundle says; bigbad.flows: them in table 5 and table=6,actions=group:77; the steps in this order
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow15 --bundle add-flows br0 /tmp/ggo-capture.5D5NCe/big.flows
