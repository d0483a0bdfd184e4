# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2 (veth peers idle); the steps of tests/golden/meters/steps.tsv in order
# normalize: plain
# exit status: 0
ovs-ofctl -O OpenFlow13 packet-out br0 in_port=1\ packet=02000000000202000000000108004528002e000000004011262dc6336401c63364024e211b5b001aa9436d657465722d746573742d7061796c6f6164\ actions=table
